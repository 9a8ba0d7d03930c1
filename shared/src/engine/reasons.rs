//! Reason codes and texts. Codes are stable identifiers clients may branch on; texts name
//! the real styles, attributes and categories behind a pick.

use super::features::SharedAttribute;
use super::taste::{PreferenceMatch, ProfileMatch};
use crate::domain::{
    Category, ColourFamily, FaceShape, Material, Reason, RimType, Shape, SignalKind, Style,
};

pub(crate) fn category_label(c: Category) -> &'static str {
    match c {
        Category::Optical => "optical frames",
        Category::Sun => "sunglasses",
        Category::Sport => "sport eyewear",
        Category::Kids => "kids' frames",
    }
}

pub(crate) fn shape_label(s: Shape) -> &'static str {
    match s {
        Shape::Round => "round",
        Shape::Oval => "oval",
        Shape::Square => "square",
        Shape::Rectangle => "rectangle",
        Shape::CatEye => "cat-eye",
        Shape::Aviator => "aviator",
        Shape::Browline => "browline",
        Shape::Geometric => "geometric",
        Shape::Wayfarer => "wayfarer",
        Shape::Butterfly => "butterfly",
        Shape::Wrap => "wrap",
    }
}

pub(crate) fn material_label(m: Material) -> &'static str {
    match m {
        Material::Acetate => "acetate",
        Material::Tr90 => "TR-90",
        Material::Titanium => "titanium",
        Material::StainlessSteel => "stainless steel",
        Material::Monel => "Monel",
        Material::Mixed => "mixed-material",
    }
}

pub(crate) fn rim_label(r: RimType) -> &'static str {
    match r {
        RimType::Full => "full-rim",
        RimType::SemiRimless => "semi-rimless",
        RimType::Rimless => "rimless",
    }
}

pub(crate) fn colour_label(c: ColourFamily) -> &'static str {
    match c {
        ColourFamily::Black => "black",
        ColourFamily::Tortoise => "tortoise",
        ColourFamily::Brown => "brown",
        ColourFamily::Gold => "gold",
        ColourFamily::Silver => "silver",
        ColourFamily::Gunmetal => "gunmetal",
        ColourFamily::Grey => "grey",
        ColourFamily::Clear => "clear",
        ColourFamily::Blue => "blue",
        ColourFamily::Green => "green",
        ColourFamily::Red => "red",
        ColourFamily::Pink => "pink",
        ColourFamily::Purple => "purple",
        ColourFamily::Orange => "orange",
        ColourFamily::Yellow => "yellow",
        ColourFamily::White => "white",
    }
}

pub(crate) fn face_label(f: FaceShape) -> &'static str {
    match f {
        FaceShape::Oval => "an oval",
        FaceShape::Round => "a round",
        FaceShape::Square => "a square",
        FaceShape::Oblong => "an oblong",
        FaceShape::Heart => "a heart-shaped",
        FaceShape::Diamond => "a diamond-shaped",
        FaceShape::Triangle => "a triangular",
    }
}

pub(crate) fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Code suffix and past-tense phrase for a history signal ("tried on Aurora").
fn action(kind: SignalKind, name: &str) -> (&'static str, String) {
    match kind {
        SignalKind::Purchase => ("purchased", format!("bought {name}")),
        SignalKind::AddToCart => ("added_to_cart", format!("added {name} to your cart")),
        SignalKind::TryOn => ("tried_on", format!("tried on {name}")),
        SignalKind::Favorite => ("favorited", format!("saved {name}")),
        _ => ("viewed", format!("viewed {name}")),
    }
}

/// Collaborative pick anchored on a history style: "Because you tried on Aurora Round".
pub(crate) fn because_you(kind: SignalKind, anchor: &Style) -> Reason {
    let (code, phrase) = action(kind, &anchor.name);
    Reason::new(
        format!("because_you_{code}"),
        format!("Because you {phrase}"),
    )
}

/// A pick anchored on the shopper's own signal on that style: "Still in your cart".
pub(crate) fn you_engaged(kind: SignalKind) -> Reason {
    let (code, text) = match kind {
        SignalKind::AddToCart => ("added_to_cart", "Still in your cart"),
        SignalKind::TryOn => ("tried_on", "You tried this on"),
        SignalKind::Favorite => ("favorited", "You saved this"),
        _ => ("viewed", "You looked at this recently"),
    };
    Reason::new(format!("you_{code}"), text)
}

/// Content pick anchored on a history style: "Similar shape to your last purchase, Milo".
pub(crate) fn similar_to_history(
    kind: SignalKind,
    anchor: &Style,
    shared: SharedAttribute,
    last_purchase: bool,
) -> Reason {
    let what = match shared {
        SharedAttribute::Shape => "Similar shape to",
        SharedAttribute::Colour => "Similar colour to",
        SharedAttribute::Material => "Same material as",
        SharedAttribute::Brand => "Same brand as",
        SharedAttribute::Style => "Similar style to",
    };
    let name = &anchor.name;
    if kind == SignalKind::Purchase {
        let which = if last_purchase {
            "your last purchase"
        } else {
            "your purchase"
        };
        Reason::new("similar_to_purchase", format!("{what} {which}, {name}"))
    } else {
        let (_, phrase) = action(kind, "");
        let verb = phrase.trim_end();
        let text = if kind == SignalKind::AddToCart {
            format!("{what} {name}, in your cart")
        } else {
            format!("{what} {name}, which you {verb}")
        };
        Reason::new("similar_to_history", text)
    }
}

pub(crate) fn matches_preference(m: PreferenceMatch, style: &Style) -> Reason {
    let text = match m {
        PreferenceMatch::Shape(s) => {
            format!("Matches your preference for {} frames", shape_label(s))
        }
        PreferenceMatch::Colour(c) => {
            format!("Matches your preference for {} frames", colour_label(c))
        }
        PreferenceMatch::Material(x) => {
            format!("Matches your preference for {} frames", material_label(x))
        }
        PreferenceMatch::Rim(r) => format!("Matches your preference for {} frames", rim_label(r)),
        PreferenceMatch::Brand => format!("Matches your preference for {}", style.brand),
        PreferenceMatch::Category(c) => {
            format!("Matches your preference for {}", category_label(c))
        }
        PreferenceMatch::Budget => "Within your budget".to_string(),
    };
    Reason::new("matches_preference", text)
}

pub(crate) fn profile(m: ProfileMatch, style: &Style) -> Reason {
    match m {
        ProfileMatch::FaceShape(face) => {
            let text = crate::optics::style::frame_shape_fit(face, style.shape, style.rim)
                .1
                .map_or_else(
                    || {
                        format!(
                            "{} frames suit {} face",
                            capitalized(shape_label(style.shape)),
                            face_label(face)
                        )
                    },
                    str::to_string,
                );
            Reason::new("suits_face_shape", text)
        }
        ProfileMatch::Colouring(undertone, season, index) => {
            let text = style
                .colourways
                .get(index)
                .and_then(|c| crate::optics::style::colour_harmony(undertone, season, &c.colour).1)
                .unwrap_or_else(|| "Colours that suit your colouring".to_string());
            Reason::new("suits_colouring", text)
        }
    }
}

pub(crate) fn trending(c: Category) -> Reason {
    Reason::new(
        "trending_in_category",
        format!("Trending in {} this week", category_label(c)),
    )
}

pub(crate) fn popular(c: Category) -> Reason {
    Reason::new(
        "popular_in_category",
        format!("Popular in {}", category_label(c)),
    )
}

pub(crate) fn new_in(c: Category) -> Reason {
    Reason::new("new_in_category", format!("New in {}", category_label(c)))
}

pub(crate) fn in_category(c: Category) -> Reason {
    Reason::new("in_category", format!("From our {}", category_label(c)))
}

/// Sun season or back-to-school.
pub(crate) fn seasonal(c: Category) -> Reason {
    let text = if c == Category::Kids {
        "Back-to-school pick"
    } else {
        "Sun season pick"
    };
    Reason::new("seasonal", text)
}

pub(crate) fn also_liked(source: &Style) -> Reason {
    Reason::new(
        "also_liked",
        format!("Shoppers who liked {} also liked this", source.name),
    )
}

pub(crate) fn similar_style(source: &Style, item: &Style) -> Reason {
    Reason::new(
        "similar_style",
        format!(
            "Similar {} {} frame to {}",
            shape_label(item.shape),
            material_label(item.material),
            source.name
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testkit::StyleBuilder;

    #[test]
    fn when_anchor_tried_on_should_name_it() {
        let s = StyleBuilder::new("a").name("Aurora Round").build();
        let r = because_you(SignalKind::TryOn, &s);
        assert_eq!(r.code, "because_you_tried_on");
        assert_eq!(r.text, "Because you tried on Aurora Round");
    }

    #[test]
    fn when_pick_anchors_on_itself_should_not_name_itself_as_the_cause() {
        let r = you_engaged(SignalKind::AddToCart);
        assert_eq!(
            (r.code.as_str(), r.text.as_str()),
            ("you_added_to_cart", "Still in your cart")
        );
        assert_eq!(you_engaged(SignalKind::Click).code, "you_viewed");
    }

    #[test]
    fn when_anchor_is_last_purchase_should_say_so() {
        let s = StyleBuilder::new("m").name("Milo").build();
        let r = similar_to_history(SignalKind::Purchase, &s, SharedAttribute::Shape, true);
        assert_eq!(r.code, "similar_to_purchase");
        assert_eq!(r.text, "Similar shape to your last purchase, Milo");
        let r = similar_to_history(SignalKind::TryOn, &s, SharedAttribute::Colour, false);
        assert_eq!(r.text, "Similar colour to Milo, which you tried on");
    }

    #[test]
    fn when_face_shape_matches_should_read_naturally() {
        let s = StyleBuilder::new("x").shape(Shape::Rectangle).build();
        let r = profile(ProfileMatch::FaceShape(FaceShape::Round), &s);
        assert_eq!(r.text, "Angular frames balance a round face");
        // A shape the table has no praise for falls back to the generic text.
        let s = StyleBuilder::new("y").shape(Shape::Aviator).build();
        let r = profile(ProfileMatch::FaceShape(FaceShape::Round), &s);
        assert_eq!(r.text, "Aviator frames suit a round face");
    }
}
