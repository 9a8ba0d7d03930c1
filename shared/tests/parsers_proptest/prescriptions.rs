//! Prescriptions: any text as written notation (one eye and whole), hostile JSON, and the
//! round trips of valid prescriptions written out and serialized.

use framewise::api::parse_profile;
use framewise::domain::{Customer, EyeRx, Prescription, Prism, PrismBase, PupillaryDistance};
use framewise::optics::rx::{normalise, parse_eye, parse_prescription, parse_written};
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::hostile::{hostile_json, hostile_string, key, token};
use crate::{check_fields, config, path};

/// What a parsed prescription always is: minus cylinder, an axis 1-180 exactly when there is
/// cylinder, and a fixed point of normalisation.
pub(crate) fn assert_normal_form(rx: &Prescription) -> Result<(), TestCaseError> {
    for eye in [&rx.od, &rx.os] {
        prop_assert!(eye.cyl <= 0.0, "plus cylinder kept");
        prop_assert_eq!(
            eye.axis.is_some(),
            eye.cyl != 0.0,
            "axis without cylinder or none with"
        );
        prop_assert!(
            eye.axis.is_none_or(|a| (1..=180).contains(&a)),
            "axis out of 1-180"
        );
    }
    prop_assert!(
        rx.validate().is_ok(),
        "a parsed prescription fails validation"
    );
    prop_assert_eq!(as_json(&normalise(rx)), as_json(rx), "not a fixed point");
    Ok(())
}

/// A generated prescription that shows itself as JSON: the domain type redacts its `Debug`
/// (health data), which would hide the minimal failing input.
#[derive(Clone)]
pub(crate) struct Rx(Prescription);

impl std::fmt::Debug for Rx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", as_json(&self.0))
    }
}

/// Prescriptions redact their `Debug`; compare and show them as JSON instead.
pub(crate) fn as_json(rx: &Prescription) -> Value {
    serde_json::to_value(rx).expect("prescriptions serialize")
}

/// Relative fields of a written prescription.
pub(crate) fn written_field(field: &str) -> bool {
    field.is_empty()
        || ["od", "os"].iter().any(|eye| {
            field == *eye
                || ["sph", "cyl", "axis", "add"]
                    .iter()
                    .any(|p| field == format!("{eye}.{p}"))
        })
        || field == "pd"
}

/// Relative fields of a JSON prescription: the written ones, fitting height, prism, and
/// members the object should not have.
pub(crate) fn json_rx_field(field: &str, value: &Value) -> bool {
    let members = |object: Option<&Value>| -> Vec<String> {
        object
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    written_field(field)
        || field == "fitting_height"
        || ["od", "os"].iter().any(|eye| {
            field == format!("{eye}.prism")
                || members(value.get(*eye))
                    .iter()
                    .any(|name| field == path(eye, name))
        })
        || members(Some(value))
            .iter()
            .any(|name| field == path("", name))
}

/// Written notation out of the vocabulary parsers know, in any order.
pub(crate) fn token_soup() -> BoxedStrategy<String> {
    let part = prop_oneof![
        3 => token(),
        2 => (-100i32..100).prop_map(|q| format!("{:+.2}", q as f32 / 4.0)),
        1 => (0u32..400).prop_map(|a| format!("x{a:03}")),
        1 => any::<String>(),
    ];
    let separator = prop::sample::select(vec![" ", "  ", ";", ": ", "|", ",", "\t", ""]);
    prop::collection::vec((part, separator), 0..16)
        .prop_map(|parts| parts.into_iter().map(|(p, s)| p + s).collect())
        .boxed()
}

/// A quarter-dioptre power in `range` (in quarters).
pub(crate) fn power(range: std::ops::RangeInclusive<i32>) -> impl Strategy<Value = f32> {
    range.prop_map(|q| q as f32 / 4.0)
}

/// One eye a lab could write: a sphere within +/-20.00 in minus-cylinder form, written with
/// either cylinder sign (plus cylinder moves the written sphere by the cylinder), axis 0-180
/// with cylinder.
pub(crate) fn valid_eye() -> impl Strategy<Value = EyeRx> {
    (
        power(-80..=80),
        power(0..=24),
        any::<bool>(),
        0u16..=180,
        prop::option::of(power(3..=14)),
    )
        .prop_map(|(minus_cyl_sph, cyl, plus, axis, add)| {
            let (sph, cyl) = if plus {
                (minus_cyl_sph - cyl, cyl)
            } else {
                (minus_cyl_sph, -cyl)
            };
            EyeRx {
                sph,
                cyl,
                axis: (cyl != 0.0).then_some(axis),
                add,
                prism: None,
            }
        })
}

pub(crate) fn valid_rx() -> impl Strategy<Value = Rx> {
    let pd = prop_oneof![
        (80u32..=160).prop_map(|half| PupillaryDistance::Binocular(half as f32 / 2.0)),
        (40u32..=80, -10i32..=10).prop_map(|(od, delta)| {
            let od = od as f32 / 2.0;
            let os = (od + delta as f32 / 2.0).clamp(20.0, 40.0);
            PupillaryDistance::Monocular { od, os }
        }),
    ];
    (valid_eye(), valid_eye(), pd).prop_map(|(od, os, pd)| {
        Rx(Prescription {
            od,
            os,
            pd,
            fitting_height: None,
        })
    })
}

/// `rx` in written notation, in one of the spellings shops use.
pub(crate) fn written(rx: &Prescription, style: u8) -> String {
    let eye = |e: &EyeRx| {
        let sph = if e.sph == 0.0 && style.is_multiple_of(2) {
            "plano".to_string()
        } else {
            format!("{:+.2}", e.sph)
        };
        let cyl = match e.axis {
            Some(axis) if style.is_multiple_of(3) => format!("{:+.2} x {axis}", e.cyl),
            Some(axis) => format!("{:+.2}x{axis:03}", e.cyl),
            None if style.is_multiple_of(2) => "DS".to_string(),
            None => String::new(),
        };
        let add = e.add.map(|a| format!(" add {a:+.2}")).unwrap_or_default();
        format!("{sph} {cyl}{add}")
    };
    let pd = match rx.pd {
        PupillaryDistance::Binocular(pd) => format!("{pd}"),
        PupillaryDistance::Monocular { od, os } => format!("{od}/{os}"),
    };
    match style % 4 {
        0 => format!("OD {} OS {} PD {pd}", eye(&rx.od), eye(&rx.os)),
        1 => format!("R: {}; L: {}; PD {pd}", eye(&rx.od), eye(&rx.os)),
        2 => format!("pd {pd} os {} od {}", eye(&rx.os), eye(&rx.od)),
        _ => format!("RE {} | LE {} | PD {pd}", eye(&rx.od), eye(&rx.os)),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn written_eye_of_any_text_is_ok_or_names_its_part(text in prop_oneof![hostile_string(), token_soup()]) {
        if let Err(errors) = parse_eye(&text) {
            check_fields(&errors, |f| ["", "sph", "cyl", "axis", "add"].contains(&f))?;
        }
    }

    #[test]
    fn written_prescription_of_any_text_is_ok_or_names_its_part(text in prop_oneof![hostile_string(), token_soup()]) {
        if let Err(errors) = parse_written(&text) {
            check_fields(&errors, written_field)?;
        }
        match parse_prescription(&Value::String(text)) {
            Ok(rx) => assert_normal_form(&rx)?,
            Err(errors) => check_fields(&errors, |f| written_field(f) || f == "fitting_height")?,
        }
    }

    #[test]
    fn json_prescription_of_hostile_shape_is_ok_or_names_its_field(
        value in prop_oneof![
            hostile_json(),
            (hostile_json(), hostile_json(), hostile_json())
                .prop_map(|(od, os, pd)| json!({"od": od, "os": os, "pd": pd})),
            (
                prop::collection::vec((key(), hostile_json()), 0..6),
                prop::collection::vec((key(), hostile_json()), 0..6),
                hostile_json(),
            )
                .prop_map(|(od, os, fitting_height)| json!({
                    "od": Value::Object(od.into_iter().collect()),
                    "os": Value::Object(os.into_iter().collect()),
                    "pd": 63,
                    "fitting_height": fitting_height,
                })),
        ],
    ) {
        match parse_prescription(&value) {
            Ok(rx) => assert_normal_form(&rx)?,
            Err(errors) => check_fields(&errors, |f| json_rx_field(f, &value))?,
        }
    }

    #[test]
    fn prescription_written_out_parses_back_to_its_normal_form(Rx(rx) in valid_rx(), style in any::<u8>()) {
        let text = written(&rx, style);
        let parsed = parse_prescription(&Value::String(text.clone()))
            .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(as_json(&parsed), as_json(&normalise(&rx)), "{}", text);
        assert_normal_form(&parsed)?;
    }

    #[test]
    fn prescription_serialized_parses_back_to_its_normal_form(
        Rx(rx) in valid_rx(),
        prism in prop::option::of((1u32..=40, prop::sample::select(vec![PrismBase::In, PrismBase::Out, PrismBase::Up, PrismBase::Down]))),
        fitting_height in prop::option::of(20u32..=80),
    ) {
        let rx = Prescription {
            od: EyeRx { prism: prism.map(|(q, base)| Prism { amount: q as f32 / 4.0, base }), ..rx.od },
            fitting_height: fitting_height.map(|h| h as f32 / 2.0),
            ..rx
        };
        let parsed = parse_prescription(&as_json(&rx)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(as_json(&parsed), as_json(&normalise(&rx)));
        // The stored (normal) form is itself accepted unchanged.
        let again = parse_prescription(&as_json(&parsed)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(as_json(&again), as_json(&parsed));
        // And a profile carrying it stores the same.
        let body = json!({"prescription": as_json(&rx)}).to_string();
        let customer: Customer = parse_profile("cu-1", body.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(customer.prescription.as_ref().map(as_json), Some(as_json(&parsed)));
    }
}
