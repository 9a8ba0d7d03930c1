//! Eyewear attributes of a shop product read from its words: tags (`acetate`, `cat-eye`,
//! `shape:round`), product type and title, and colour names (`Honey Tortoise`, `Matte Black`).
//!
//! Defaults when nothing is recognised (documented in the README): category `optical`,
//! shape `rectangle`, rim `full`, material `acetate`, colour family `black`; shape, material
//! and colour defaults are reported per product so an operator can add the missing tag.

use crate::domain::{
    Category, ColourFamily, ColourValue, Finish, FrameColour, Material, Pattern, RimType, Shape,
    Temperature,
};

/// The frame attributes of a product and which of them fell back to a default.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FrameAttributes {
    pub category: Category,
    pub shape: Shape,
    pub rim: RimType,
    pub material: Material,
    pub defaulted: Vec<&'static str>,
}

/// Lower-cased words of a text joined by single spaces, padded for whole-word search
/// (`"Cat-Eye, TR-90"` -> `" cat eye tr 90 "`).
fn words(text: &str) -> String {
    let mut out = String::from(" ");
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push_str(&word.to_lowercase());
        out.push(' ');
    }
    out
}

/// The first value whose phrases one of the texts holds as whole words, searching the texts
/// in order (the most explicit source first).
fn find<T: Copy>(texts: &[String], table: &[(&[&str], T)]) -> Option<T> {
    texts.iter().find_map(|text| {
        table.iter().find_map(|(phrases, value)| {
            phrases
                .iter()
                .any(|p| text.contains(&format!(" {p} ")))
                .then_some(*value)
        })
    })
}

const CATEGORIES: &[(&[&str], Category)] = &[
    (
        &["kids", "kid", "children", "child", "junior"],
        Category::Kids,
    ),
    (
        &["sport", "sports", "ski", "cycling", "running"],
        Category::Sport,
    ),
    (&["sun", "sunglasses", "sunglass", "shades"], Category::Sun),
    (
        &[
            "optical",
            "eyeglasses",
            "glasses",
            "spectacles",
            "prescription",
        ],
        Category::Optical,
    ),
];

const SHAPES: &[(&[&str], Shape)] = &[
    (&["cat eye", "cateye"], Shape::CatEye),
    (
        &["aviator", "pilot", "navigator", "teardrop"],
        Shape::Aviator,
    ),
    (&["browline", "clubmaster"], Shape::Browline),
    (&["wayfarer", "d frame"], Shape::Wayfarer),
    (&["butterfly", "oversized"], Shape::Butterfly),
    (&["wrap", "wraparound", "shield"], Shape::Wrap),
    (
        &["geometric", "hexagonal", "hexagon", "octagonal", "octagon"],
        Shape::Geometric,
    ),
    (&["rectangle", "rectangular"], Shape::Rectangle),
    (&["square"], Shape::Square),
    (&["oval"], Shape::Oval),
    (&["round", "circle", "panto"], Shape::Round),
];

const RIMS: &[(&[&str], RimType)] = &[
    (
        &["semi rimless", "semirimless", "half rim", "half rimmed"],
        RimType::SemiRimless,
    ),
    (&["rimless"], RimType::Rimless),
    (&["full rim", "full rimmed"], RimType::Full),
];

const MATERIALS: &[(&[&str], Material)] = &[
    (&["mixed", "combination", "combo"], Material::Mixed),
    (&["acetate", "zyl"], Material::Acetate),
    (&["tr90", "tr 90", "nylon", "grilamid"], Material::Tr90),
    (&["titanium"], Material::Titanium),
    (&["stainless", "steel"], Material::StainlessSteel),
    (&["monel"], Material::Monel),
];

/// Reads category, shape, rim and material from a product's tags (a `key:value` tag such as
/// `shape:round` first, then each tag), its type and its title.
pub(super) fn frame_attributes(
    tags: &[String],
    product_type: &str,
    title: &str,
) -> FrameAttributes {
    let keyed = |keys: &[&str]| -> Vec<String> {
        tags.iter()
            .filter_map(|t| tag_value(t, keys))
            .map(words)
            .collect()
    };
    let plain: Vec<String> = tags.iter().map(|t| words(t)).collect();
    let sources = |keys: &[&str]| {
        let mut texts = keyed(keys);
        texts.extend(plain.iter().cloned());
        texts.push(words(product_type));
        texts.push(words(title));
        texts
    };
    let mut defaulted = Vec::new();
    let category = find(&sources(&["category"]), CATEGORIES).unwrap_or(Category::Optical);
    let shape = find(&sources(&["shape"]), SHAPES).unwrap_or_else(|| {
        defaulted.push("shape");
        Shape::Rectangle
    });
    let rim = find(&sources(&["rim"]), RIMS).unwrap_or(RimType::Full);
    // Materials are gathered per source, all tags together: `acetate` and `titanium` as two
    // tags are one mixed frame.
    let material_sources = [
        keyed(&["material"]).concat(),
        plain.concat(),
        words(product_type),
        words(title),
    ];
    let material = material(&material_sources).unwrap_or_else(|| {
        defaulted.push("material");
        Material::Acetate
    });
    FrameAttributes {
        category,
        shape,
        rim,
        material,
        defaulted,
    }
}

/// The material named, or `mixed` when the words name more than one (an acetate front
/// with titanium temples).
fn material(texts: &[String]) -> Option<Material> {
    let mut found: Vec<Material> = Vec::new();
    for text in texts {
        for (phrases, value) in MATERIALS {
            if phrases.iter().any(|p| text.contains(&format!(" {p} "))) && !found.contains(value) {
                found.push(*value);
            }
        }
        // The most explicit source that names a material decides.
        if !found.is_empty() {
            break;
        }
    }
    match found.as_slice() {
        [] => None,
        [one] => Some(*one),
        _ => Some(Material::Mixed),
    }
}

/// The value of a `key:value` tag whose key is one of `keys` (case and spaces ignored,
/// `-`, `_` and ` ` alike: `Lens Width: 52` matches `lens-width`).
pub(super) fn tag_value<'a>(tag: &'a str, keys: &[&str]) -> Option<&'a str> {
    let (key, value) = tag.split_once(':')?;
    let key: String = key
        .trim()
        .chars()
        .map(|c| match c {
            '_' | ' ' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    keys.contains(&key.as_str()).then(|| value.trim())
}

const FAMILIES: &[(&[&str], ColourFamily)] = &[
    (
        &["tortoise", "tortoiseshell", "havana", "demi"],
        ColourFamily::Tortoise,
    ),
    (&["gunmetal", "gun metal"], ColourFamily::Gunmetal),
    (&["black", "onyx", "jet"], ColourFamily::Black),
    (
        &[
            "brown",
            "chocolate",
            "espresso",
            "coffee",
            "amber",
            "bronze",
        ],
        ColourFamily::Brown,
    ),
    (&["gold", "golden", "champagne"], ColourFamily::Gold),
    (&["silver", "chrome"], ColourFamily::Silver),
    (
        &["grey", "gray", "smoke", "slate", "charcoal", "graphite"],
        ColourFamily::Grey,
    ),
    (
        &["blue", "navy", "cobalt", "indigo", "teal"],
        ColourFamily::Blue,
    ),
    (
        &["green", "olive", "khaki", "emerald", "sage", "mint"],
        ColourFamily::Green,
    ),
    (
        &["red", "burgundy", "wine", "cherry", "bordeaux", "crimson"],
        ColourFamily::Red,
    ),
    (&["pink", "rose", "blush", "fuchsia"], ColourFamily::Pink),
    (
        &["purple", "lilac", "lavender", "violet", "plum"],
        ColourFamily::Purple,
    ),
    (&["orange", "coral", "peach"], ColourFamily::Orange),
    (&["yellow", "mustard"], ColourFamily::Yellow),
    (&["white", "ivory", "cream"], ColourFamily::White),
    (&["clear", "crystal", "transparent"], ColourFamily::Clear),
];

/// A frame colour from its name: family from the first colour word recognised (else black,
/// and `defaulted` is true), temperature from the family, lightness, finish and pattern from
/// words such as `light`, `matte`, `gradient`, `crystal` or a two-tone `Black/Gold`.
pub(super) fn frame_colour(name: &str) -> (FrameColour, bool) {
    let text = words(name);
    let has = |phrases: &[&str]| phrases.iter().any(|p| text.contains(&format!(" {p} ")));
    let found = find(std::slice::from_ref(&text), FAMILIES);
    let family = found.unwrap_or(ColourFamily::Black);
    use ColourFamily::*;
    let temperature = match family {
        Gold | Brown | Tortoise | Orange | Red | Yellow => Temperature::Warm,
        Silver | Gunmetal | Grey | Blue | Purple | Pink => Temperature::Cool,
        Black | Clear | Green | White => Temperature::Neutral,
    };
    let value = if has(&["light", "pale", "honey", "blonde", "pastel"])
        || matches!(family, Clear | White | Yellow)
    {
        ColourValue::Light
    } else if has(&["dark", "deep", "navy", "midnight"]) || matches!(family, Black | Gunmetal) {
        ColourValue::Dark
    } else {
        ColourValue::Medium
    };
    let see_through = has(&["clear", "crystal", "transparent"]);
    let finish = if has(&["matte", "matt", "brushed"]) {
        Finish::Matte
    } else if see_through {
        Finish::Transparent
    } else if has(&["metallic"]) || matches!(family, Gold | Silver | Gunmetal) {
        Finish::Metallic
    } else {
        Finish::Glossy
    };
    let pattern = if family == Tortoise {
        Pattern::Tortoise
    } else if has(&["gradient", "fade", "faded"]) {
        Pattern::Gradient
    } else if has(&["two tone", "twotone", "duo"]) || name.contains('/') {
        Pattern::TwoTone
    } else if see_through {
        Pattern::Crystal
    } else {
        Pattern::Solid
    };
    let colour = FrameColour {
        name: name.trim().to_string(),
        family,
        temperature,
        value,
        finish,
        pattern,
        hex: None,
    };
    (colour, found.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn when_tags_name_attributes_should_read_them_before_type_and_title() {
        let a = frame_attributes(
            &tags(&["Cat-Eye", "TR-90", "semi-rimless", "sunglasses"]),
            "Eyewear",
            "Luna Round",
        );
        assert_eq!(a.category, Category::Sun);
        assert_eq!(a.shape, Shape::CatEye, "a tag wins over the title");
        assert_eq!(a.rim, RimType::SemiRimless);
        assert_eq!(a.material, Material::Tr90);
        assert!(a.defaulted.is_empty());
        let keyed = frame_attributes(&tags(&["shape: oval", "square"]), "", "");
        assert_eq!(keyed.shape, Shape::Oval, "shape:oval is the explicit one");
        let mixed = frame_attributes(&tags(&["acetate", "titanium"]), "", "");
        assert_eq!(mixed.material, Material::Mixed);
    }

    #[test]
    fn when_nothing_is_recognised_should_use_and_report_defaults() {
        let a = frame_attributes(&tags(&["new-in"]), "Frames", "The Classic");
        assert_eq!(a.category, Category::Optical);
        assert_eq!(a.shape, Shape::Rectangle);
        assert_eq!(a.rim, RimType::Full);
        assert_eq!(a.material, Material::Acetate);
        assert_eq!(a.defaulted, vec!["shape", "material"]);
    }

    #[test]
    fn when_a_colour_is_named_should_read_family_and_look() {
        let (c, defaulted) = frame_colour("Light Honey Tortoise");
        assert!(!defaulted);
        assert_eq!(
            (c.family, c.temperature, c.value, c.pattern),
            (
                ColourFamily::Tortoise,
                Temperature::Warm,
                ColourValue::Light,
                Pattern::Tortoise
            )
        );
        let (c, _) = frame_colour("Matte Black");
        assert_eq!((c.family, c.finish), (ColourFamily::Black, Finish::Matte));
        let (c, _) = frame_colour("Blue Crystal");
        assert_eq!(
            (c.family, c.finish, c.pattern),
            (ColourFamily::Blue, Finish::Transparent, Pattern::Crystal)
        );
        let (c, _) = frame_colour("Black/Gold");
        assert_eq!(
            (c.family, c.pattern),
            (ColourFamily::Black, Pattern::TwoTone)
        );
        let (c, defaulted) = frame_colour("Midnight Sky");
        assert!(defaulted);
        assert_eq!(c.family, ColourFamily::Black);
        assert_eq!(c.name, "Midnight Sky");
    }
}
