//! Fit: which size and colourway of a style to offer a shopper, and how well a frame suits
//! their face and colouring (domain brief sections 2 and 5). Optics rules (prescription
//! compatibility) plug in as further [`FitRule`]s.

use crate::domain::{
    AgeBand, Category, Customer, FaceShape, FrameColour, FrameSize, RimType, Shape, SizeClass,
    Style,
};
use crate::optics::frame::{evaluate_summary, FrameRulesConfig};
use crate::optics::rx::RxSummary;
use crate::optics::style as style_rules;

/// Judges one frame size for one shopper. The engine asks every rule for every in-stock
/// size of a picked style; a style with no acceptable size is left off the list.
pub trait FitRule: Send + Sync {
    /// `None`: this size must not be offered to this shopper. `Some(cost)`: lower fits
    /// better; costs of all rules add up.
    fn size_cost(&self, customer: &Customer, style: &Style, size: &FrameSize) -> Option<f32>;
}

/// Face width band from domain section 2 (total frame width: narrow < 130, medium 130-139,
/// wide >= 140 mm; frame width should match face width at the temples).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WidthBand {
    Narrow,
    Medium,
    Wide,
}

impl WidthBand {
    fn of_face(face_width: f32) -> Self {
        if face_width < 130.0 {
            Self::Narrow
        } else if face_width < 140.0 {
            Self::Medium
        } else {
            Self::Wide
        }
    }

    /// Lens width that suits the band: narrow <= 50, medium 51-55, wide >= 56.
    fn of_lens(lens_width: f32) -> Self {
        if lens_width <= 50.0 {
            Self::Narrow
        } else if lens_width < 56.0 {
            Self::Medium
        } else {
            Self::Wide
        }
    }

    fn rank(self) -> u8 {
        self as u8
    }

    /// Temple lengths that go with the band (135-140, 140-145, >= 150).
    fn temple_range(self) -> (f32, f32) {
        match self {
            Self::Narrow => (135.0, 140.0),
            Self::Medium => (140.0, 145.0),
            Self::Wide => (150.0, 160.0),
        }
    }
}

/// Prefers the size whose total width is closest to the face width, then the lens width and
/// temple length that go with the face's width band. Never rejects a size.
#[derive(Debug, Clone, Copy, Default)]
pub struct FaceWidthRule;

impl FitRule for FaceWidthRule {
    fn size_cost(&self, customer: &Customer, _style: &Style, size: &FrameSize) -> Option<f32> {
        let Some(face) = &customer.face_measurements else {
            return Some(0.0);
        };
        if !face.face_width.is_finite() {
            return Some(0.0);
        }
        let band = WidthBand::of_face(face.face_width);
        let lens_band = WidthBand::of_lens(size.lens_width);
        let (tmin, tmax) = band.temple_range();
        let temple_off = if size.temple_length < tmin {
            tmin - size.temple_length
        } else if size.temple_length > tmax {
            size.temple_length - tmax
        } else {
            0.0
        };
        Some(
            (size.total_width - face.face_width).abs()
                + 3.0 * f32::from(band.rank().abs_diff(lens_band.rank()))
                + 0.1 * temple_off,
        )
    }
}

/// Outcome of choosing a SKU for a style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SkuChoice {
    Sku(String),
    /// Nothing in stock.
    NoStock,
    /// In stock, but every size was rejected by a fit rule.
    Unsuitable,
}

/// What the SKU choice knows about the shopper.
pub(crate) struct FitContext<'a> {
    pub customer: Option<&'a Customer>,
    pub rules: &'a [Box<dyn FitRule>],
    /// Preference for a frame colour (higher is better); ties go to stock.
    pub colour_score: &'a dyn Fn(&FrameColour) -> f32,
    /// Size class the shopper has bought or tried before, if any.
    pub size_class: Option<SizeClass>,
}

/// Picks an in-stock variant: the best-fitting size first (fit rules, then the shopper's
/// usual size class or medium, then stock), then the colourway the shopper prefers in that
/// size (then stock).
pub(crate) fn choose_sku(style: &Style, ctx: &FitContext<'_>) -> SkuChoice {
    let wanted_class = ctx.size_class.unwrap_or(SizeClass::Medium);
    let mut any_stock = false;
    // (cost, class miss, -stock, position)
    let mut best_size: Option<(f32, u8, i64, usize)> = None;
    for (pos, size) in style.sizes.iter().enumerate() {
        let stock: u64 = style
            .colourways
            .iter()
            .flat_map(|c| &c.variants)
            .filter(|v| v.size == size.label)
            .map(|v| u64::from(v.stock))
            .sum();
        if stock == 0 {
            continue;
        }
        any_stock = true;
        let mut cost = 0.0f32;
        if let Some(customer) = ctx.customer {
            let mut rejected = false;
            for rule in ctx.rules {
                match rule.size_cost(customer, style, size) {
                    Some(c) if c.is_finite() => cost += c,
                    Some(_) => {}
                    None => rejected = true,
                }
            }
            if rejected {
                continue;
            }
        }
        let key = (
            cost,
            u8::from(size.size_class() != wanted_class),
            -i64::try_from(stock).unwrap_or(i64::MAX),
            pos,
        );
        let better = match &best_size {
            None => true,
            Some(b) => key
                .0
                .total_cmp(&b.0)
                .then(key.1.cmp(&b.1))
                .then(key.2.cmp(&b.2))
                .then(key.3.cmp(&b.3))
                .is_lt(),
        };
        if better {
            best_size = Some(key);
        }
    }
    let Some((_, _, _, size_pos)) = best_size else {
        return if any_stock {
            SkuChoice::Unsuitable
        } else {
            SkuChoice::NoStock
        };
    };
    let label = &style.sizes[size_pos].label;
    let mut best: Option<(f32, u32, &str)> = None;
    for colourway in &style.colourways {
        let score = (ctx.colour_score)(&colourway.colour);
        let score = if score.is_finite() { score } else { 0.0 };
        for v in colourway
            .variants
            .iter()
            .filter(|v| v.size == *label && v.stock > 0)
        {
            let better = match best {
                None => true,
                Some((s, stock, _)) => score > s || (score == s && v.stock > stock),
            };
            if better {
                best = Some((score, v.stock, v.sku.as_str()));
            }
        }
    }
    match best {
        Some((_, _, sku)) => SkuChoice::Sku(sku.to_string()),
        None => SkuChoice::NoStock,
    }
}

/// How a frame shape suits a face shape, in [-1, 1]; the table lives in
/// [`crate::optics::style`] (domain section 5).
pub(crate) fn face_shape_fit(face: FaceShape, shape: Shape, rim: RimType) -> f32 {
    style_rules::frame_shape_fit(face, shape, rim).0
}

/// How a frame colour suits a shopper's undertone and colour season, in [-1, 1]
/// (see [`crate::optics::style::colour_harmony`]).
pub(crate) fn colour_harmony(customer: &Customer, colour: &FrameColour) -> f32 {
    style_rules::colour_harmony_score(customer.undertone, customer.colour_season, colour)
}

/// Prescription compatibility (rules F1-F11 of [`crate::optics::frame`]) as a fit rule: a
/// size any hard rule blocks is never offered; among allowed sizes the one with the best
/// compatibility score and the thinnest lens costs least. Customers without a
/// prescription are unaffected.
#[derive(Debug, Clone, Default)]
pub struct PrescriptionRule {
    config: FrameRulesConfig,
}

impl PrescriptionRule {
    pub fn new(config: FrameRulesConfig) -> Self {
        Self { config }
    }
}

impl FitRule for PrescriptionRule {
    fn size_cost(&self, customer: &Customer, style: &Style, size: &FrameSize) -> Option<f32> {
        let Some(rx) = &customer.prescription else {
            return Some(0.0);
        };
        let check = evaluate_summary(&RxSummary::of(rx), style, size, None, &self.config);
        check.allowed.then(|| check.cost(&self.config))
    }
}

/// Kids' frames for children and teens, adult frames for adults, in [-1, 1].
pub(crate) fn age_fit(age: AgeBand, category: Category) -> f32 {
    match (age, category == Category::Kids) {
        (AgeBand::Child, true) => 1.0,
        (AgeBand::Child, false) => -0.5,
        (AgeBand::Teen, true) => 0.5,
        (AgeBand::Teen, false) => 0.0,
        (_, true) => -1.0,
        (_, false) => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ColourFamily, FaceMeasurements};
    use crate::engine::testkit::{frame_size, StyleBuilder};

    fn customer_with_face(width: f32) -> Customer {
        let mut c = Customer::new("c1");
        c.face_measurements = Some(FaceMeasurements {
            face_width: width,
            face_length: 190.0,
            forehead_width: None,
            cheekbone_width: None,
            jaw_width: None,
        });
        c
    }

    fn three_size_style() -> Style {
        StyleBuilder::new("s1")
            .sizes(vec![
                frame_size("49", 49.0, 18.0, 138.0, 125.0),
                frame_size("53", 53.0, 18.0, 142.0, 134.0),
                frame_size("57", 57.0, 19.0, 150.0, 143.0),
            ])
            .colourway(
                "blk",
                ColourFamily::Black,
                &[("49", 5), ("53", 5), ("57", 5)],
            )
            .build()
    }

    fn pick(style: &Style, customer: Option<&Customer>) -> SkuChoice {
        let rules: Vec<Box<dyn FitRule>> = vec![Box::new(FaceWidthRule)];
        choose_sku(
            style,
            &FitContext {
                customer,
                rules: &rules,
                colour_score: &|_| 0.0,
                size_class: None,
            },
        )
    }

    #[test]
    fn when_face_is_narrow_should_pick_small_size() {
        let style = three_size_style();
        assert_eq!(
            pick(&style, Some(&customer_with_face(124.0))),
            SkuChoice::Sku("s1-blk-49".into())
        );
    }

    #[test]
    fn when_face_is_wide_should_pick_large_size() {
        let style = three_size_style();
        assert_eq!(
            pick(&style, Some(&customer_with_face(146.0))),
            SkuChoice::Sku("s1-blk-57".into())
        );
    }

    #[test]
    fn when_face_unknown_should_pick_medium_size() {
        let style = three_size_style();
        assert_eq!(pick(&style, None), SkuChoice::Sku("s1-blk-53".into()));
        assert_eq!(
            pick(&style, Some(&Customer::new("c2"))),
            SkuChoice::Sku("s1-blk-53".into())
        );
    }

    #[test]
    fn when_best_size_out_of_stock_should_pick_next_in_stock() {
        let style = StyleBuilder::new("s2")
            .sizes(vec![
                frame_size("49", 49.0, 18.0, 138.0, 125.0),
                frame_size("53", 53.0, 18.0, 142.0, 134.0),
            ])
            .colourway("blk", ColourFamily::Black, &[("49", 0), ("53", 2)])
            .build();
        assert_eq!(
            pick(&style, Some(&customer_with_face(124.0))),
            SkuChoice::Sku("s2-blk-53".into())
        );
    }

    #[test]
    fn when_colour_preferred_should_pick_that_colourway_else_most_stock() {
        let style = StyleBuilder::new("s3")
            .colourway("blk", ColourFamily::Black, &[("52", 9)])
            .colourway("tor", ColourFamily::Tortoise, &[("52", 1)])
            .build();
        let rules: Vec<Box<dyn FitRule>> = vec![Box::new(FaceWidthRule)];
        let likes_tortoise =
            |c: &FrameColour| f32::from(u8::from(c.family == ColourFamily::Tortoise));
        let ctx = FitContext {
            customer: None,
            rules: &rules,
            colour_score: &likes_tortoise,
            size_class: None,
        };
        assert_eq!(choose_sku(&style, &ctx), SkuChoice::Sku("s3-tor-52".into()));
        assert_eq!(pick(&style, None), SkuChoice::Sku("s3-blk-52".into()));
    }

    #[test]
    fn when_rule_rejects_every_size_should_be_unsuitable() {
        struct RejectAll;
        impl FitRule for RejectAll {
            fn size_cost(&self, _: &Customer, _: &Style, _: &FrameSize) -> Option<f32> {
                None
            }
        }
        let style = three_size_style();
        let rules: Vec<Box<dyn FitRule>> = vec![Box::new(RejectAll)];
        let customer = Customer::new("c");
        let ctx = FitContext {
            customer: Some(&customer),
            rules: &rules,
            colour_score: &|_| 0.0,
            size_class: None,
        };
        assert_eq!(choose_sku(&style, &ctx), SkuChoice::Unsuitable);
    }

    #[test]
    fn when_round_face_should_favour_angular_frames() {
        assert!(face_shape_fit(FaceShape::Round, Shape::Rectangle, RimType::Full) > 0.5);
        assert!(face_shape_fit(FaceShape::Round, Shape::Round, RimType::Full) < 0.0);
    }

    fn strong_minus_customer() -> Customer {
        use crate::domain::{EyeRx, Prescription, PupillaryDistance};
        let eye = EyeRx {
            sph: -7.0,
            cyl: 0.0,
            axis: None,
            add: None,
            prism: None,
        };
        let mut c = Customer::new("rx");
        c.prescription = Some(Prescription {
            od: eye.clone(),
            os: eye,
            pd: PupillaryDistance::Binocular(62.0),
            fitting_height: None,
        });
        c
    }

    #[test]
    fn when_prescription_too_strong_for_rimless_should_never_list_it() {
        use crate::engine::testkit::june;
        use crate::engine::{Engine, EngineConfig, Model, RecommendRequest};
        let mut rimless = three_size_style();
        rimless.id = "rimless".into();
        rimless.rim = RimType::Rimless;
        let full = StyleBuilder::new("full").build();
        let styles = vec![rimless, full];
        let config = EngineConfig::default();
        let model = Model::build(&styles, &[], &[], june(), &config);
        let engine = Engine::new(styles, model, config);
        let customer = strong_minus_customer();
        let ids = |c: Option<&Customer>| -> Vec<String> {
            engine
                .recommend(&RecommendRequest {
                    customer: c,
                    history: &[],
                    now: june(),
                    limit: 10,
                    feeds: None,
                })
                .into_iter()
                .map(|i| i.style_id)
                .collect()
        };
        assert_eq!(ids(Some(&customer)), vec!["full".to_string()]);
        assert_eq!(ids(Some(&Customer::new("plain"))).len(), 2);
    }

    #[test]
    fn when_high_minus_should_pick_the_smallest_thinnest_size() {
        let rules: Vec<Box<dyn FitRule>> = vec![
            Box::new(FaceWidthRule),
            Box::new(PrescriptionRule::default()),
        ];
        let customer = strong_minus_customer();
        let ctx = FitContext {
            customer: Some(&customer),
            rules: &rules,
            colour_score: &|_| 0.0,
            size_class: None,
        };
        // Without the prescription the medium size wins; -7.00 D moves it to the small one.
        assert_eq!(
            choose_sku(&three_size_style(), &ctx),
            SkuChoice::Sku("s1-blk-49".into())
        );
    }
}
