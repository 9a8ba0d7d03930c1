//! The shopper profile as the profile endpoints read and write it: every field parsed on its
//! own so each bad one is reported with its path, the prescription accepted as JSON or as
//! written notation, and a view that redacts the prescription unless asked for.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::{
    AgeBand, ColourSeason, Customer, FaceMeasurements, FaceShape, Prescription, StylePreferences,
    Undertone,
};
use crate::error::{FieldError, ValidationErrors};
use crate::optics::rx::parse_prescription;

const FIELDS: [&str; 7] = [
    "age_band",
    "face_shape",
    "face_measurements",
    "undertone",
    "colour_season",
    "preferences",
    "prescription",
];

/// A shopper's profile as `PUT /v1/customers/{customer_id}/profile` takes it: every field
/// optional, absent and null alike clearing it.
// The documented shape only: `parse_profile` reads the body field by field rather than
// through this type, so that every bad field is named.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    /// Ignored: the path names the shopper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Ignored: the path names the shopper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_band: Option<AgeBand>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_shape: Option<FaceShape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_measurements: Option<FaceMeasurements>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undertone: Option<Undertone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour_season: Option<ColourSeason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferences: Option<StylePreferences>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescription: Option<PrescriptionInput>,
}

/// A prescription as a JSON object or in written notation
/// (`"OD -2.25 -0.75 x 180 add +2.00 OS -2.00 DS PD 63"`); either cylinder sign is accepted
/// and it is stored in minus-cylinder form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PrescriptionInput {
    Structured(Prescription),
    Notation(String),
}

/// Parses a profile PUT body into the customer it replaces (absent fields become empty).
/// The prescription is validated and stored in minus-cylinder form.
pub fn parse_profile(customer_id: &str, body: &[u8]) -> Result<Customer, ValidationErrors> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ValidationErrors::single("body", format!("not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(ValidationErrors::single("body", "must be a JSON object"));
    };
    let mut errors = Vec::new();
    for key in map.keys() {
        if key != "customer_id" && key != "id" && !FIELDS.contains(&key.as_str()) {
            errors.push(FieldError::unknown_member(key));
        }
    }
    let mut customer = Customer::new(customer_id);
    customer.age_band = field(&map, "age_band", &mut errors);
    customer.face_shape = field(&map, "face_shape", &mut errors);
    customer.face_measurements = field(&map, "face_measurements", &mut errors);
    customer.undertone = field(&map, "undertone", &mut errors);
    customer.colour_season = field(&map, "colour_season", &mut errors);
    customer.preferences = field(&map, "preferences", &mut errors).unwrap_or_default();
    customer.prescription = match map.get("prescription") {
        None | Some(Value::Null) => None,
        Some(v) => match parse_prescription(v) {
            Ok(rx) => Some(rx),
            Err(e) => {
                errors.extend(e.0.into_iter().map(|f| f.under("prescription")));
                None
            }
        },
    };
    if let Err(e) = customer.validate() {
        for f in e.0 {
            if !errors.iter().any(|x| x.field == f.field) {
                errors.push(f);
            }
        }
    }
    if errors.is_empty() {
        Ok(customer)
    } else {
        Err(ValidationErrors(errors))
    }
}

/// One optional field, its serde error reported at its path (nested paths kept).
fn field<T: serde::de::DeserializeOwned>(
    map: &Map<String, Value>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    match map.get(name) {
        None | Some(Value::Null) => None,
        Some(v) => match serde_path_to_error::deserialize::<_, T>(v.clone()) {
            Ok(t) => Some(t),
            Err(e) => {
                let path = e.path().to_string();
                let field = if path == "." || path.is_empty() {
                    name.to_string()
                } else {
                    format!("{name}.{path}")
                };
                let message = e.into_inner().to_string();
                errors.push(FieldError::new(field, message));
                None
            }
        },
    }
}

/// What `GET /v1/customers/{id}/profile` returns: the profile, and the prescription only
/// when explicitly included (otherwise just whether one is on file).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProfileView {
    #[serde(flatten)]
    pub customer: Customer,
    /// Set when no face shape was declared but measurements classify one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured_face_shape: Option<crate::domain::FaceShape>,
    pub prescription_on_file: bool,
}

impl ProfileView {
    pub fn new(customer: Customer, include_prescription: bool) -> Self {
        let on_file = customer.prescription.is_some();
        let measured_face_shape = if customer.face_shape.is_none() {
            customer
                .face_measurements
                .as_ref()
                .and_then(crate::optics::style::classify_face)
        } else {
            None
        };
        let customer = if include_prescription {
            customer
        } else {
            Customer {
                prescription: None,
                ..customer
            }
        };
        Self {
            customer,
            measured_face_shape,
            prescription_on_file: on_file,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &str) -> Vec<String> {
        parse_profile("c1", body.as_bytes())
            .unwrap_err()
            .0
            .into_iter()
            .map(|f| f.field)
            .collect()
    }

    #[test]
    fn when_profile_is_valid_should_parse_and_normalise_prescription() {
        let c = parse_profile(
            "c1",
            br#"{"face_shape":"round","undertone":"warm","colour_season":"autumn",
                "preferences":{"shapes":["oval"]},
                "prescription":"OD -2.00 +1.00 x 30 OS -2.00 DS PD 62"}"#,
        )
        .unwrap();
        let rx = c.prescription.unwrap();
        assert_eq!((rx.od.sph, rx.od.cyl, rx.od.axis), (-1.0, -1.0, Some(120)));
    }

    #[test]
    fn when_plus_cyl_sphere_transposes_out_of_range_should_say_so_in_the_stored_form() {
        let errors = parse_profile(
            "c1",
            br#"{"prescription":"OD +19.00 +2.00 x 90 OS -2.00 DS PD 62"}"#,
        )
        .unwrap_err();
        assert_eq!(errors.0.len(), 1, "{errors}");
        assert_eq!(errors.0[0].field, "prescription.od.sph");
        assert!(
            errors.0[0]
                .message
                .contains("minus-cylinder form (here +21.00)"),
            "{errors}"
        );
    }

    #[test]
    fn when_each_field_is_bad_should_name_it() {
        assert_eq!(fields(r#"{"age_band":"old"}"#), vec!["age_band"]);
        assert_eq!(fields(r#"{"face_shape":"pear"}"#), vec!["face_shape"]);
        assert_eq!(fields(r#"{"undertone":5}"#), vec!["undertone"]);
        assert_eq!(
            fields(r#"{"colour_season":"monsoon"}"#),
            vec!["colour_season"]
        );
        assert_eq!(
            fields(r#"{"face_measurements":{"face_width":"wide","face_length":190}}"#),
            vec!["face_measurements.face_width"]
        );
        assert_eq!(
            fields(r#"{"face_measurements":{"face_width":20,"face_length":190}}"#),
            vec!["face_measurements.face_width"]
        );
        assert_eq!(
            fields(r#"{"preferences":{"shapes":["blob"]}}"#),
            vec!["preferences.shapes[0]"]
        );
        assert_eq!(fields(r#"{"favourite":1}"#), vec!["favourite"]);
        // Member names that are not plain names read as one member, not as a path.
        let mut odd = fields(r#"{"a.b":1,"":2,"x[0]":3}"#);
        odd.sort();
        assert_eq!(odd, vec![r#"[""]"#, r#"["a.b"]"#, r#"["x[0]"]"#]);
        assert_eq!(
            fields(r#"{"prescription":{"od":{"sph":-2,"cyl":-1},"os":{"sph":-2},"pd":63}}"#),
            vec!["prescription.od.axis"]
        );
        assert_eq!(fields("[1]"), vec!["body"]);
        assert_eq!(fields("{"), vec!["body"]);
    }
}
