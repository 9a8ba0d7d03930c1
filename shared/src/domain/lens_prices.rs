//! The lens price list of the catalogue feed: per currency, the price of a pair of
//! single-vision lenses in each material (index), the surcharge of each design over single
//! vision, and the price of each coating or treatment. Bundles price the lens package the
//! lens advice chooses from it; an option the list does not price is "unavailable", never
//! guessed. The feed formats (JSON, JSON Lines, CSV) are read by `crate::import`; this file
//! holds the values and their validation (`docs/bundles.md`).

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lens::{LensDesign, LensMaterial, TreatmentKind};
use crate::error::{FieldError, ValidationErrors};

/// A lens price in cents: free (included in the frame) up to $10,000 a pair.
pub const LENS_PRICE_CENTS: RangeInclusive<i64> = 0..=1_000_000;

/// Every material, design and treatment the price list may name, in declaration order.
pub const PRICED_MATERIALS: [LensMaterial; 7] = [
    LensMaterial::Cr39,
    LensMaterial::Trivex,
    LensMaterial::Polycarbonate,
    LensMaterial::Index156,
    LensMaterial::Index160,
    LensMaterial::Index167,
    LensMaterial::Index174,
];
pub const PRICED_DESIGNS: [LensDesign; 5] = [
    LensDesign::SingleVision,
    LensDesign::Progressive,
    LensDesign::Office,
    LensDesign::Bifocal,
    LensDesign::Reader,
];
pub const PRICED_TREATMENTS: [TreatmentKind; 7] = [
    TreatmentKind::AntiReflective,
    TreatmentKind::HardCoat,
    TreatmentKind::Uv,
    TreatmentKind::Photochromic,
    TreatmentKind::Polarized,
    TreatmentKind::BlueLight,
    TreatmentKind::Aspheric,
];

/// The price of a pair of single-vision lenses in one material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MaterialPrice {
    pub material: LensMaterial,
    pub price_cents: u32,
}

/// The surcharge of a design over single vision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DesignPrice {
    pub design: LensDesign,
    pub price_cents: u32,
}

/// The price of a coating or treatment added to a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TreatmentPrice {
    pub treatment: TreatmentKind,
    pub price_cents: u32,
}

/// One currency's lens prices, as stored with the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LensPriceList {
    /// ISO 4217 code; frames in this currency are bundled with these lenses.
    pub currency: String,
    pub materials: Vec<MaterialPrice>,
    #[serde(default)]
    pub designs: Vec<DesignPrice>,
    #[serde(default)]
    pub treatments: Vec<TreatmentPrice>,
}

impl LensPriceList {
    /// A single-vision pair in `material`; `None` when the list does not price it.
    pub fn material(&self, material: LensMaterial) -> Option<u32> {
        self.materials
            .iter()
            .find(|m| m.material == material)
            .map(|m| m.price_cents)
    }

    /// The design's surcharge over single vision; single vision costs nothing extra unless
    /// the list says otherwise.
    pub fn design(&self, design: LensDesign) -> Option<u32> {
        let listed = self.designs.iter().find(|d| d.design == design);
        match listed {
            Some(d) => Some(d.price_cents),
            None => (design == LensDesign::SingleVision).then_some(0),
        }
    }

    pub fn treatment(&self, treatment: TreatmentKind) -> Option<u32> {
        self.treatments
            .iter()
            .find(|t| t.treatment == treatment)
            .map(|t| t.price_cents)
    }

    /// Orders every section as the options are declared, so the same prices compare and
    /// store equal whatever order a feed names them in.
    pub fn sort(&mut self) {
        self.materials
            .sort_by_key(|m| PRICED_MATERIALS.iter().position(|x| *x == m.material));
        self.designs
            .sort_by_key(|d| PRICED_DESIGNS.iter().position(|x| *x == d.design));
        self.treatments
            .sort_by_key(|t| PRICED_TREATMENTS.iter().position(|x| *x == t.treatment));
    }

    /// Checks a list built in code (the feed formats are checked as they are read): a
    /// currency code, at least one material, no option twice, prices in range.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = Vec::new();
        check_currency(&mut errors, "currency", &self.currency);
        if self.materials.is_empty() {
            errors.push(FieldError::new(
                "materials",
                "a price list needs at least one material",
            ));
        }
        let materials = self.materials.iter().map(|m| (m.material, m.price_cents));
        check_entries(&mut errors, "materials", materials);
        let designs = self.designs.iter().map(|d| (d.design, d.price_cents));
        check_entries(&mut errors, "designs", designs);
        let treatments = self.treatments.iter().map(|t| (t.treatment, t.price_cents));
        check_entries(&mut errors, "treatments", treatments);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(errors))
        }
    }
}

fn check_entries<T: Serialize + PartialEq + Copy>(
    errors: &mut Vec<FieldError>,
    section: &str,
    entries: impl Iterator<Item = (T, u32)>,
) {
    let mut seen: Vec<T> = Vec::new();
    for (option, cents) in entries {
        let field = format!("{section}.{}", option_name(option));
        if seen.contains(&option) {
            errors.push(FieldError::new(field.clone(), "priced twice"));
        }
        seen.push(option);
        if !LENS_PRICE_CENTS.contains(&i64::from(cents)) {
            errors.push(FieldError::new(field, price_message()));
        }
    }
}

/// A price list as the feed writes it: each section maps an option's name to its price in
/// cents (`{"currency": "USD", "materials": {"index167": 12000}, ...}`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LensPriceInput {
    pub currency: String,
    #[serde(default)]
    pub materials: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub designs: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub treatments: BTreeMap<String, serde_json::Value>,
}

/// A section of the price list: which options it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceSection {
    Materials,
    Designs,
    Treatments,
}

impl PriceSection {
    /// The section named by a CSV `kind` (`material`, `design`, `treatment`).
    pub fn of_kind(kind: &str) -> Result<Self, FieldError> {
        match kind.trim() {
            "material" => Ok(Self::Materials),
            "design" => Ok(Self::Designs),
            "treatment" => Ok(Self::Treatments),
            _ => Err(FieldError::new(
                "kind",
                "must be material, design or treatment",
            )),
        }
    }

    pub fn field(self) -> &'static str {
        match self {
            Self::Materials => "materials",
            Self::Designs => "designs",
            Self::Treatments => "treatments",
        }
    }
}

impl LensPriceInput {
    /// The typed list, or every problem with its field path (`materials.index168`).
    pub fn validate(&self) -> Result<LensPriceList, ValidationErrors> {
        let mut errors = Vec::new();
        check_currency(&mut errors, "currency", &self.currency);
        let mut list = LensPriceList {
            currency: self.currency.trim().to_string(),
            materials: Vec::new(),
            designs: Vec::new(),
            treatments: Vec::new(),
        };
        if self.materials.is_empty() {
            errors.push(FieldError::new(
                "materials",
                "a price list needs at least one material",
            ));
        }
        let sections = [
            (PriceSection::Materials, &self.materials),
            (PriceSection::Designs, &self.designs),
            (PriceSection::Treatments, &self.treatments),
        ];
        for (section, entries) in sections {
            for (name, value) in entries {
                let cents = match value.as_i64() {
                    Some(cents) => Ok(cents),
                    None => Err(price_message()),
                };
                match price_entry(section, name, cents) {
                    Ok(entry) => entry.add_to(&mut list),
                    Err(e) => errors.push(e.under(section.field())),
                }
            }
        }
        if errors.is_empty() {
            list.sort();
            Ok(list)
        } else {
            Err(ValidationErrors(errors))
        }
    }
}

/// One priced option of any section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceEntry {
    Material(MaterialPrice),
    Design(DesignPrice),
    Treatment(TreatmentPrice),
}

impl PriceEntry {
    /// Adds (or replaces) the option in `list`.
    pub fn add_to(self, list: &mut LensPriceList) {
        match self {
            Self::Material(m) => {
                list.materials.retain(|x| x.material != m.material);
                list.materials.push(m);
            }
            Self::Design(d) => {
                list.designs.retain(|x| x.design != d.design);
                list.designs.push(d);
            }
            Self::Treatment(t) => {
                list.treatments.retain(|x| x.treatment != t.treatment);
                list.treatments.push(t);
            }
        }
    }
}

/// The option `name` of `section` at `cents` (a whole number, or the reason it is not);
/// an error names the option (`index168`) or, for a bad price, `<name>`.
pub fn price_entry(
    section: PriceSection,
    name: &str,
    cents: Result<i64, String>,
) -> Result<PriceEntry, FieldError> {
    let name = name.trim();
    let field = if name.is_empty() {
        "[\"\"]".to_string()
    } else {
        name.to_string()
    };
    let price_cents = cents
        .ok()
        .filter(|c| LENS_PRICE_CENTS.contains(c))
        .and_then(|c| u32::try_from(c).ok())
        .ok_or_else(|| FieldError::new(field.clone(), price_message()))?;
    let unknown = |what: &str, names: String| {
        FieldError::new(
            field.clone(),
            format!("unknown {what}; expected one of {names}"),
        )
    };
    match section {
        PriceSection::Materials => find(&PRICED_MATERIALS, name)
            .map(|material| {
                PriceEntry::Material(MaterialPrice {
                    material,
                    price_cents,
                })
            })
            .ok_or_else(|| unknown("material", names(&PRICED_MATERIALS))),
        PriceSection::Designs => find(&PRICED_DESIGNS, name)
            .map(|design| {
                PriceEntry::Design(DesignPrice {
                    design,
                    price_cents,
                })
            })
            .ok_or_else(|| unknown("design", names(&PRICED_DESIGNS))),
        PriceSection::Treatments => find(&PRICED_TREATMENTS, name)
            .map(|treatment| {
                PriceEntry::Treatment(TreatmentPrice {
                    treatment,
                    price_cents,
                })
            })
            .ok_or_else(|| unknown("treatment", names(&PRICED_TREATMENTS))),
    }
}

/// The currency of a price list: an ISO 4217 code such as USD.
pub fn check_currency(errors: &mut Vec<FieldError>, field: &str, currency: &str) {
    let code = currency.trim();
    if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
        errors.push(FieldError::new(
            field,
            "must be an ISO 4217 code such as USD",
        ));
    }
}

fn price_message() -> String {
    format!(
        "must be a whole number of cents between {} and {}",
        LENS_PRICE_CENTS.start(),
        LENS_PRICE_CENTS.end()
    )
}

/// The serde name of an enum value (`index167`, `single_vision`).
pub(crate) fn option_name<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn find<T: Serialize + Copy>(all: &[T], name: &str) -> Option<T> {
    all.iter().copied().find(|v| option_name(*v) == name)
}

fn names<T: Serialize + Copy>(all: &[T]) -> String {
    all.iter()
        .map(|v| option_name(*v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$60`, `€12.50`, `CHF 80`: whole units without cents.
pub fn format_money(cents: i64, currency: &str) -> String {
    let amount = if cents % 100 == 0 {
        format!("{}", cents / 100)
    } else {
        format!("{}.{:02}", cents / 100, cents % 100)
    };
    match currency {
        "USD" => format!("${amount}"),
        "EUR" => format!("€{amount}"),
        "GBP" => format!("£{amount}"),
        "AUD" => format!("A${amount}"),
        "CAD" => format!("C${amount}"),
        other => format!("{other} {amount}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn input(value: serde_json::Value) -> LensPriceInput {
        serde_json::from_value(value).expect("input shape")
    }

    #[test]
    fn when_feed_list_valid_should_price_every_named_option() {
        let list = input(json!({
            "currency": "USD",
            "materials": {"cr39": 0, "index160": 6000, "index167": 12000},
            "designs": {"progressive": 15000},
            "treatments": {"aspheric": 3000, "anti_reflective": 4000, "uv": 0}
        }))
        .validate()
        .expect("valid");
        assert_eq!(list.material(LensMaterial::Index167), Some(12_000));
        assert_eq!(list.material(LensMaterial::Index174), None);
        assert_eq!(list.design(LensDesign::SingleVision), Some(0));
        assert_eq!(list.design(LensDesign::Progressive), Some(15_000));
        assert_eq!(list.design(LensDesign::Office), None);
        assert_eq!(list.treatment(TreatmentKind::AntiReflective), Some(4_000));
        // Sections come out in declaration order, whatever order the feed used.
        let materials: Vec<LensMaterial> = list.materials.iter().map(|m| m.material).collect();
        assert_eq!(
            materials,
            [
                LensMaterial::Cr39,
                LensMaterial::Index160,
                LensMaterial::Index167
            ]
        );
        let treatments: Vec<TreatmentKind> = list.treatments.iter().map(|t| t.treatment).collect();
        assert_eq!(
            treatments,
            [
                TreatmentKind::AntiReflective,
                TreatmentKind::Uv,
                TreatmentKind::Aspheric
            ]
        );
        assert!(list.validate().is_ok());
    }

    #[test]
    fn when_feed_list_invalid_should_name_every_bad_field() {
        let errors = input(json!({
            "currency": "usd",
            "materials": {"index168": 100, "index160": -5, "cr39": 12.5},
            "designs": {"trifocal": 100},
            "treatments": {"anti_reflective": "cheap"}
        }))
        .validate()
        .expect_err("invalid")
        .0;
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "currency",
                "materials.cr39",
                "materials.index160",
                "materials.index168",
                "designs.trifocal",
                "treatments.anti_reflective",
            ]
        );
        let unknown = &errors[3].message;
        assert!(unknown.contains("unknown material") && unknown.contains("index167"));
        assert!(errors[2].message.contains("between 0 and"), "{}", errors[2]);
    }

    #[test]
    fn when_list_has_no_material_or_prices_twice_should_refuse_it() {
        let empty = input(json!({"currency": "EUR"}))
            .validate()
            .expect_err("empty");
        assert_eq!(empty.0[0].field, "materials");
        let twice = LensPriceList {
            currency: "EUR".to_string(),
            materials: vec![
                MaterialPrice {
                    material: LensMaterial::Cr39,
                    price_cents: 0,
                },
                MaterialPrice {
                    material: LensMaterial::Cr39,
                    price_cents: 10,
                },
            ],
            designs: Vec::new(),
            treatments: Vec::new(),
        };
        let errors = twice.validate().expect_err("twice").0;
        assert_eq!(errors[0].field, "materials.cr39");
        assert_eq!(errors[0].message, "priced twice");
    }
}
