//! The shopper's taste as a "your style" page shows it: the current (short-term) and
//! long-term profiles with their leading values, the drift between them, a month-by-month
//! timeline, and reasons in plain words. Every reason is a claim the profiles make true
//! (see [`claims`]); the texts are in [`super::taste_words`].

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::config::EngineConfig;
use super::evolution::{Drift, Evolution, Profile, TasteAttribute, ATTRIBUTES};
use super::features::Catalogue;
use super::taste_words::{claim_reason, value_names};
use crate::domain::{ColourFamily, Material, Reason, Signal};

/// Leading values shown per attribute of a profile.
const TOP_VALUES: usize = 3;
/// An attribute counts as moved when its own distance is at least this and its leading
/// value changed.
const MOVED_MIN: f32 = 0.3;
/// Colour and material group shifts named in reasons: at least this much share moved.
const GROUP_SHIFT_MIN: f32 = 0.25;
/// Price reasons: the mean price band (0 budget .. 3 luxury) moved at least this far.
const PRICE_SHIFT_MIN: f32 = 0.75;

/// One value of an attribute and its share of the profile's positive signal weight.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ValueShare {
    /// The value as the API names it (`cat_eye`, `titanium`, `premium`), or the brand.
    pub value: String,
    /// The value in words (`cat-eye`, `titanium`, `premium`).
    pub label: String,
    /// Share in [0, 1].
    pub share: f32,
}

/// The leading values of one attribute, largest share first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AttributeTaste {
    pub attribute: TasteAttribute,
    pub values: Vec<ValueShare>,
}

/// An attribute whose leading value changed between the long- and the short-term profile.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AttributeShift {
    pub attribute: TasteAttribute,
    /// Total variation distance of this attribute's shares, in [0, 1].
    pub distance: f32,
    /// The long-term leading value.
    pub from: ValueShare,
    /// The short-term leading value.
    pub to: ValueShare,
}

/// How far the recent taste is from the long-run one.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TasteDrift {
    /// Weighted mean of the per-attribute distances, in [0, 1].
    pub distance: f32,
    /// `engine.drift_threshold`.
    pub threshold: f32,
    /// The distance, less what the recent signals show by chance (engine.drift_noise), is above the threshold.
    pub detected: bool,
    /// Detected, and the recent profile has enough evidence: it leads the recommendations.
    pub short_term_leads: bool,
    /// The recent profile's decayed positive signal weight.
    pub short_term_evidence: f32,
    /// `engine.short_min_evidence`.
    pub min_evidence: f32,
    /// Attributes whose leading value changed, most moved first.
    pub moved: Vec<AttributeShift>,
}

/// One month of the timeline: the leading value of each attribute in that month's signals.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TasteMonth {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// Signals of that month on known styles.
    pub signals: u32,
    /// Per attribute with evidence that month, its leading value.
    pub leading: Vec<AttributeLead>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AttributeLead {
    pub attribute: TasteAttribute,
    pub value: ValueShare,
}

/// Everything [`super::Engine::taste_report`] says about one history.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TasteReport {
    /// The short-term profile (`engine.short_half_life_days`).
    pub current: Vec<AttributeTaste>,
    /// The long-term profile (`engine.history_half_life_days`).
    pub long_term: Vec<AttributeTaste>,
    pub drift: TasteDrift,
    /// Oldest month first.
    pub timeline: Vec<TasteMonth>,
    /// Plain-words observations, each true of the profiles above.
    pub reasons: Vec<Reason>,
}

/// A statement about the profiles that a reason puts into words.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Claim {
    /// The short-term leader `to` replaced the long-term leader `from`.
    Favours {
        attribute: TasteAttribute,
        from: u32,
        to: u32,
    },
    /// Bold colours (blue, red, green...) gained or lost at least [`GROUP_SHIFT_MIN`].
    Colours { bolder: bool },
    /// Metal frames took the lead from the long-term leading material `from`, or the
    /// short-term leading non-metal `to` took it from metal.
    Metal { towards_metal: bool, other: u32 },
    /// The mean price band rose or fell by at least [`PRICE_SHIFT_MIN`].
    Price { up: bool },
    /// No drift and no shift: the same leading shape now and over the long run.
    Steady { shape: u32 },
    /// Drift (or a moved attribute) without a shift the other claims name.
    Changing,
}

pub(crate) fn is_bold(family: ColourFamily) -> bool {
    use ColourFamily::*;
    matches!(
        family,
        Blue | Green | Red | Pink | Purple | Orange | Yellow | White
    )
}

pub(crate) fn is_metal(material: Material) -> bool {
    matches!(
        material,
        Material::Titanium | Material::StainlessSteel | Material::Monel
    )
}

/// Share of `profile`'s attribute held by the values `member` accepts.
fn group_share(profile: &Profile, attribute: TasteAttribute, member: impl Fn(u32) -> bool) -> f32 {
    profile
        .shares(attribute)
        .iter()
        .filter(|(k, _)| member(*k))
        .map(|(_, s)| s)
        .sum()
}

fn bold_key(key: u32) -> bool {
    ColourFamily::ALL
        .get(key as usize)
        .is_some_and(|f| is_bold(*f))
}

fn metal_key(key: u32) -> bool {
    super::taste_words::MATERIALS
        .get(key as usize)
        .is_some_and(|m| is_metal(*m))
}

fn mean_band(profile: &Profile) -> f32 {
    profile
        .shares(TasteAttribute::PriceBand)
        .iter()
        .map(|(k, s)| *k as f32 * s)
        .sum()
}

fn leader(profile: &Profile, attribute: TasteAttribute) -> Option<u32> {
    profile.shares(attribute).first().map(|(k, _)| *k)
}

/// The attributes whose leader changed, with their distance, most moved first.
fn moved(long: &Profile, short: &Profile, drift: &Drift) -> Vec<(TasteAttribute, f32, u32, u32)> {
    let mut out: Vec<_> = ATTRIBUTES
        .iter()
        .zip(drift.per_attribute)
        .filter(|(_, d)| *d >= MOVED_MIN)
        .filter_map(|(a, d)| {
            let (from, to) = (leader(long, *a)?, leader(short, *a)?);
            (from != to).then_some((*a, d, from, to))
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// What the reasons may say about these profiles: the shifts they show (each against its
/// own bar), else a change without a nameable shift when drift is detected, else the
/// leading shape kept.
pub(crate) fn claims(long: &Profile, short: &Profile, drift: &Drift) -> Vec<Claim> {
    let mut out = Vec::new();
    if long.mass <= 0.0 || short.mass <= 0.0 {
        return out;
    }
    let bold = (
        group_share(long, TasteAttribute::Colour, bold_key),
        group_share(short, TasteAttribute::Colour, bold_key),
    );
    if bold.1 - bold.0 >= GROUP_SHIFT_MIN && bold.1 >= 0.5 {
        out.push(Claim::Colours { bolder: true });
    } else if bold.0 - bold.1 >= GROUP_SHIFT_MIN && bold.1 <= 0.5 {
        out.push(Claim::Colours { bolder: false });
    }
    let metal = (
        group_share(long, TasteAttribute::Material, metal_key),
        group_share(short, TasteAttribute::Material, metal_key),
    );
    let long_material = leader(long, TasteAttribute::Material);
    let short_material = leader(short, TasteAttribute::Material);
    let mut metal_claim = None;
    if metal.1 - metal.0 >= GROUP_SHIFT_MIN && metal.1 >= 0.5 {
        metal_claim = long_material
            .filter(|m| !metal_key(*m))
            .map(|other| Claim::Metal {
                towards_metal: true,
                other,
            });
    } else if metal.0 - metal.1 >= GROUP_SHIFT_MIN && metal.1 <= 0.5 {
        metal_claim = short_material
            .filter(|m| !metal_key(*m))
            .map(|other| Claim::Metal {
                towards_metal: false,
                other,
            });
    }
    out.extend(metal_claim);
    let moved = moved(long, short, drift);
    for &(attribute, _, from, to) in &moved {
        let said = match attribute {
            TasteAttribute::Colour => out.iter().any(|c| matches!(c, Claim::Colours { .. })),
            TasteAttribute::Material => metal_claim.is_some(),
            TasteAttribute::PriceBand => true,
            _ => false,
        };
        if !said {
            out.push(Claim::Favours {
                attribute,
                from,
                to,
            });
        }
    }
    let band = mean_band(short) - mean_band(long);
    if band.abs() >= PRICE_SHIFT_MIN {
        out.push(Claim::Price { up: band > 0.0 });
    }
    if out.is_empty() && (drift.detected || !moved.is_empty()) {
        out.push(Claim::Changing);
    } else if out.is_empty() {
        let same = leader(long, TasteAttribute::Shape)
            .filter(|s| leader(short, TasteAttribute::Shape) == Some(*s));
        out.extend(same.map(|shape| Claim::Steady { shape }));
    }
    out
}

fn top_values(profile: &Profile, catalogue: &Catalogue) -> Vec<AttributeTaste> {
    ATTRIBUTES
        .iter()
        .map(|a| AttributeTaste {
            attribute: *a,
            values: profile
                .shares(*a)
                .into_iter()
                .take(TOP_VALUES)
                .map(|(k, s)| value_share(catalogue, *a, k, s))
                .collect(),
        })
        .collect()
}

fn rounded(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

fn value_share(
    catalogue: &Catalogue,
    attribute: TasteAttribute,
    key: u32,
    share: f32,
) -> ValueShare {
    let (value, label) = value_names(catalogue, attribute, key);
    ValueShare {
        value,
        label,
        share: rounded(share),
    }
}

/// One month's profile: kind weights without decay (a month is read as it was then).
fn timeline(catalogue: &Catalogue, history: &[Signal], config: &EngineConfig) -> Vec<TasteMonth> {
    let mut months: BTreeMap<(i32, u32), (u32, Profile)> = BTreeMap::new();
    for signal in history {
        let Some(index) = catalogue.get(&signal.style_id) else {
            continue;
        };
        let key = (signal.timestamp.year(), signal.timestamp.month());
        let (count, profile) = months.entry(key).or_default();
        *count += 1;
        profile.add(
            &catalogue.features[index],
            &catalogue.styles[index],
            signal.sku.as_deref(),
            config.kind_weights.weight(signal.kind),
        );
    }
    months
        .into_iter()
        .map(|((year, month), (signals, profile))| TasteMonth {
            month: format!("{year:04}-{month:02}"),
            signals,
            leading: ATTRIBUTES
                .iter()
                .filter_map(|a| {
                    let (k, s) = *profile.shares(*a).first()?;
                    Some(AttributeLead {
                        attribute: *a,
                        value: value_share(catalogue, *a, k, s),
                    })
                })
                .collect(),
        })
        .collect()
}

/// The report of one history at `now` under `config`.
pub(crate) fn report(
    catalogue: &Catalogue,
    history: &[Signal],
    now: DateTime<Utc>,
    config: &EngineConfig,
) -> TasteReport {
    let mut evolution = Evolution::default();
    for signal in history {
        let Some(index) = catalogue.get(&signal.style_id) else {
            continue;
        };
        let age_days = (now - signal.timestamp).num_seconds() as f64 / 86_400.0;
        evolution.add(
            &catalogue.features[index],
            &catalogue.styles[index],
            signal.sku.as_deref(),
            config.kind_weights.weight(signal.kind),
            age_days,
            config,
        );
    }
    let drift = evolution.drift(config);
    let (long, short) = (&evolution.long, &evolution.short);
    let shift = |(attribute, distance, from, to): (TasteAttribute, f32, u32, u32)| {
        let share = |p: &Profile, key: u32| {
            p.shares(attribute)
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(0.0, |(_, s)| *s)
        };
        AttributeShift {
            attribute,
            distance: rounded(distance),
            from: value_share(catalogue, attribute, from, share(long, from)),
            to: value_share(catalogue, attribute, to, share(short, to)),
        }
    };
    TasteReport {
        current: top_values(short, catalogue),
        long_term: top_values(long, catalogue),
        drift: TasteDrift {
            distance: rounded(drift.distance),
            threshold: config.drift_threshold,
            detected: drift.detected,
            short_term_leads: drift.short_leads,
            short_term_evidence: rounded(drift.short_evidence),
            min_evidence: config.short_min_evidence,
            moved: moved(long, short, &drift).into_iter().map(shift).collect(),
        },
        timeline: timeline(catalogue, history, config),
        reasons: claims(long, short, &drift)
            .into_iter()
            .map(|c| claim_reason(c, catalogue))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ColourFamily, Material, Shape, SignalKind};
    use crate::engine::testkit::{june, signal, StyleBuilder};

    /// Four looks, two styles each: (id prefix, shape, material, colour, brand, price).
    fn catalogue() -> Catalogue {
        let looks = [
            (
                "sq",
                Shape::Square,
                Material::Acetate,
                ColourFamily::Black,
                "Norden",
                8_000,
            ),
            (
                "rd",
                Shape::Round,
                Material::Titanium,
                ColourFamily::Gold,
                "Aurum",
                32_000,
            ),
            (
                "cat",
                Shape::CatEye,
                Material::Acetate,
                ColourFamily::Red,
                "Norden",
                9_000,
            ),
            (
                "av",
                Shape::Aviator,
                Material::StainlessSteel,
                ColourFamily::Silver,
                "Aurum",
                15_000,
            ),
        ];
        let mut styles = Vec::new();
        for (prefix, shape, material, colour, brand, price) in looks {
            for n in 1..=2 {
                styles.push(
                    StyleBuilder::new(&format!("{prefix}{n}"))
                        .shape(shape)
                        .material(material)
                        .brand(brand)
                        .price(price)
                        .colourway("c", colour, &[("52", 5)])
                        .build(),
                );
            }
        }
        Catalogue::new(styles)
    }

    /// Try-ons of `old` 20 to 80 days ago, clicks of `new` in the last days.
    fn history(old: &str, new: Option<&str>) -> Vec<Signal> {
        let mut h: Vec<Signal> = (20..80)
            .step_by(5)
            .map(|d| signal(SignalKind::TryOn, &format!("{old}{}", 1 + d % 2), june(), d))
            .collect();
        if let Some(new) = new {
            for d in 0..4 {
                h.push(signal(
                    SignalKind::Click,
                    &format!("{new}{}", 1 + d % 2),
                    june(),
                    d,
                ));
            }
        }
        h
    }

    fn top(profile: &[AttributeTaste], attribute: TasteAttribute) -> &ValueShare {
        let values = &profile
            .iter()
            .find(|a| a.attribute == attribute)
            .unwrap()
            .values;
        &values[0]
    }

    fn share_of(
        profile: &[AttributeTaste],
        attribute: TasteAttribute,
        keep: impl Fn(&str) -> bool,
    ) -> f32 {
        let values = &profile
            .iter()
            .find(|a| a.attribute == attribute)
            .unwrap()
            .values;
        values
            .iter()
            .filter(|v| keep(&v.value))
            .map(|v| v.share)
            .sum()
    }

    fn attribute_of(code: &str) -> TasteAttribute {
        ATTRIBUTES
            .into_iter()
            .find(|a| code == format!("favours_{}", super::super::taste_words::attribute_code(*a)))
            .unwrap_or_else(|| panic!("no attribute for {code}"))
    }

    /// Every reason checked against the report's own numbers.
    fn assert_reasons_true(r: &TasteReport) {
        assert!(!r.reasons.is_empty(), "{r:#?}");
        let bold = [
            "blue", "green", "red", "pink", "purple", "orange", "yellow", "white",
        ];
        let metal = ["titanium", "stainless_steel", "monel"];
        for reason in &r.reasons {
            let text = reason.text.as_str();
            match reason.code.as_str() {
                "steady_taste" => {
                    assert!(!r.drift.detected && r.drift.moved.is_empty());
                    let now = top(&r.current, TasteAttribute::Shape);
                    assert_eq!(now.value, top(&r.long_term, TasteAttribute::Shape).value);
                    assert!(text.ends_with(&format!("{} frames", now.label)), "{text}");
                }
                "bolder_colours" | "classic_colours" => {
                    let is_bold = |v: &str| bold.contains(&v);
                    let now = share_of(&r.current, TasteAttribute::Colour, is_bold);
                    let before = share_of(&r.long_term, TasteAttribute::Colour, is_bold);
                    if reason.code == "bolder_colours" {
                        assert!(now >= before + 0.25 && now >= 0.5, "{now} {before}");
                    } else {
                        assert!(before >= now + 0.25 && now <= 0.5, "{now} {before}");
                    }
                }
                "favours_metal" => {
                    let is_metal = |v: &str| metal.contains(&v);
                    assert!(share_of(&r.current, TasteAttribute::Material, is_metal) >= 0.5);
                    let before = top(&r.long_term, TasteAttribute::Material);
                    assert!(!is_metal(&before.value));
                    assert_eq!(
                        text,
                        format!("Lately you favour metal frames over {}", before.label)
                    );
                }
                "favours_non_metal" => {
                    let is_metal = |v: &str| metal.contains(&v);
                    let now = share_of(&r.current, TasteAttribute::Material, is_metal);
                    let before = share_of(&r.long_term, TasteAttribute::Material, is_metal);
                    assert!(now <= 0.5 && before >= now + 0.25, "{now} {before}");
                    let leader = top(&r.current, TasteAttribute::Material);
                    assert!(!is_metal(&leader.value));
                    let expected =
                        format!("Lately you favour {} frames over metal ones", leader.label);
                    assert_eq!(text, expected);
                }
                "pricier_frames" | "affordable_frames" => {
                    let mean = |p: &[AttributeTaste]| {
                        let bands = ["budget", "mid", "premium", "luxury"];
                        let values = &p
                            .iter()
                            .find(|a| a.attribute == TasteAttribute::PriceBand)
                            .unwrap()
                            .values;
                        values
                            .iter()
                            .map(|v| {
                                bands.iter().position(|b| *b == v.value).unwrap() as f32 * v.share
                            })
                            .sum::<f32>()
                    };
                    let moved = mean(&r.current) - mean(&r.long_term);
                    assert!(
                        moved.abs() >= 0.74 && (moved > 0.0) == (reason.code == "pricier_frames"),
                        "{moved}"
                    );
                }
                code if code.starts_with("favours_") => {
                    let attribute = attribute_of(code);
                    let (now, before) = (top(&r.current, attribute), top(&r.long_term, attribute));
                    assert_ne!(now.value, before.value);
                    assert!(
                        text.starts_with(&format!("Lately you favour {} ", now.label)),
                        "{text}"
                    );
                    assert!(text.contains(&format!(" over {}", before.label)), "{text}");
                    assert!(r.drift.moved.iter().any(|m| m.attribute == attribute));
                }
                "changing_taste" => assert!(r.drift.detected || !r.drift.moved.is_empty()),
                other => panic!("unchecked reason {other}: {text}"),
            }
        }
    }

    #[test]
    fn when_taste_moved_should_report_drift_and_reasons_true_to_the_profiles() {
        let cat = catalogue();
        let config = EngineConfig::default();
        // Black acetate budget squares, then gold titanium premium rounds of another brand.
        let r = report(&cat, &history("sq", Some("rd")), june(), &config);
        assert!(
            r.drift.detected && r.drift.short_term_leads,
            "{:#?}",
            r.drift
        );
        assert_eq!(top(&r.long_term, TasteAttribute::Shape).value, "square");
        assert_eq!(top(&r.current, TasteAttribute::Shape).value, "round");
        let shape = r
            .drift
            .moved
            .iter()
            .find(|m| m.attribute == TasteAttribute::Shape)
            .unwrap();
        assert_eq!(
            (shape.from.label.as_str(), shape.to.label.as_str()),
            ("square", "round")
        );
        let codes: Vec<&str> = r.reasons.iter().map(|c| c.code.as_str()).collect();
        assert!(
            codes.contains(&"favours_shape") && codes.contains(&"favours_metal"),
            "{codes:?}"
        );
        assert!(
            codes.contains(&"pricier_frames") && codes.contains(&"favours_brand"),
            "{codes:?}"
        );
        assert_reasons_true(&r);
        let brand = r
            .reasons
            .iter()
            .find(|c| c.code == "favours_brand")
            .unwrap();
        assert_eq!(brand.text, "Lately you favour Aurum over Norden");

        // Toward bold colours: black squares, then red cat-eyes (same material and brand).
        let r = report(&cat, &history("sq", Some("cat")), june(), &config);
        let codes: Vec<&str> = r.reasons.iter().map(|c| c.code.as_str()).collect();
        assert!(codes.contains(&"bolder_colours"), "{codes:?} {r:#?}");
        assert!(!codes.contains(&"favours_metal") && !codes.contains(&"favours_brand"));
        assert_reasons_true(&r);

        // And back: from metal to acetate, from gold to black, cheaper.
        let r = report(&cat, &history("rd", Some("sq")), june(), &config);
        let codes: Vec<&str> = r.reasons.iter().map(|c| c.code.as_str()).collect();
        assert!(
            codes.contains(&"favours_non_metal") && codes.contains(&"affordable_frames"),
            "{codes:?}"
        );
        assert_reasons_true(&r);
    }

    #[test]
    fn when_taste_is_steady_should_say_so_and_report_no_drift() {
        let cat = catalogue();
        let r = report(
            &cat,
            &history("av", Some("av")),
            june(),
            &EngineConfig::default(),
        );
        assert!(
            !r.drift.detected && r.drift.moved.is_empty(),
            "{:#?}",
            r.drift
        );
        assert_eq!(r.reasons.len(), 1);
        assert_eq!(
            r.reasons[0].text,
            "Your taste has been steady: you keep coming back to aviator frames"
        );
        assert_reasons_true(&r);
    }

    #[test]
    fn when_history_spans_months_should_lead_each_month_with_its_own_signals() {
        let cat = catalogue();
        let r = report(
            &cat,
            &history("sq", Some("rd")),
            june(),
            &EngineConfig::default(),
        );
        let months: Vec<&str> = r.timeline.iter().map(|m| m.month.as_str()).collect();
        assert_eq!(months, ["2026-04", "2026-05", "2026-06"]);
        let shape = |m: &TasteMonth| {
            m.leading
                .iter()
                .find(|l| l.attribute == TasteAttribute::Shape)
                .map(|l| l.value.value.clone())
        };
        assert_eq!(shape(&r.timeline[0]).as_deref(), Some("square"));
        // June holds the four recent round clicks and no square.
        let june_month = &r.timeline[2];
        assert_eq!(
            (june_month.signals, shape(june_month).as_deref()),
            (4, Some("round"))
        );
        let total: u32 = r.timeline.iter().map(|m| m.signals).sum();
        assert_eq!(total as usize, history("sq", Some("rd")).len());
    }

    #[test]
    fn when_history_is_empty_should_report_nothing_and_no_drift() {
        let r = report(&catalogue(), &[], june(), &EngineConfig::default());
        assert!(r.current.iter().all(|a| a.values.is_empty()));
        assert!(!r.drift.detected && r.reasons.is_empty() && r.timeline.is_empty());
    }
}
