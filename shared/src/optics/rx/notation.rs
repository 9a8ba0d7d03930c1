//! Reading prescriptions (domain brief section 1): the written notation
//! (`OD -2.25 -0.75 x180 OS -2.00 DS PD 63`) and the JSON object, with a field path for
//! every error.

use serde_json::Value;

use super::normal_form::validated;
use crate::domain::{EyeRx, Prescription, PupillaryDistance};
use crate::error::{FieldError, ValidationErrors};

/// Parses one eye in the common written notation: `-2.25 -0.75 x 180 add +2.00`,
/// `PL`/`plano`, `DS`/`SPH` in the cylinder box, `x090`. Errors name `sph`, `cyl`, `axis`,
/// `add` or `` (the whole text).
pub fn parse_eye(text: &str) -> Result<EyeRx, ValidationErrors> {
    let lower = text.trim().to_ascii_lowercase().replace(',', ".");
    if lower.is_empty() {
        return Err(ValidationErrors::single("", "must not be empty"));
    }
    // Split "x180" / "x 180" / "add+2.00" into separate tokens.
    let spaced = lower
        .replace('×', " x ")
        .replace("add", " add ")
        .replace('x', " x ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut errors = Vec::new();
    let mut i = 0;
    let sph = match tokens.first().copied() {
        Some("pl" | "plano" | "pl." | "plan") => Some(0.0),
        Some(t) => match parse_power(t) {
            Some(v) => Some(v),
            None => {
                errors.push(FieldError::new("sph", format!("'{t}' is not a power")));
                None
            }
        },
        None => None,
    };
    i += 1;
    let mut cyl = 0.0f32;
    let mut axis = None;
    let mut add = None;
    if let Some(&t) = tokens.get(i) {
        if matches!(t, "ds" | "sph" | "sphere" | "d.s.") {
            i += 1;
        } else if t != "x" && t != "add" {
            match parse_power(t) {
                Some(v) => cyl = v,
                None => errors.push(FieldError::new("cyl", format!("'{t}' is not a power"))),
            }
            i += 1;
        }
    }
    while i < tokens.len() {
        match tokens[i] {
            "x" => {
                let value = tokens.get(i + 1).copied();
                match value.and_then(|v| v.parse::<u16>().ok()) {
                    Some(a) => axis = Some(a),
                    None => errors.push(FieldError::new(
                        "axis",
                        "expected a whole number of degrees after 'x'",
                    )),
                }
                i += 2;
            }
            "add" => {
                let value = tokens.get(i + 1).copied();
                match value.and_then(parse_power) {
                    Some(a) => add = Some(a),
                    None => errors.push(FieldError::new("add", "expected a power after 'add'")),
                }
                i += 2;
            }
            other => {
                errors.push(FieldError::new("", format!("unexpected '{other}'")));
                i += 1;
            }
        }
    }
    if errors.is_empty() {
        Ok(EyeRx {
            sph: sph.unwrap_or(0.0),
            cyl,
            axis,
            add,
            prism: None,
        })
    } else {
        Err(ValidationErrors(errors))
    }
}

/// `-2.25`, `+2.00`, `2`, `0.00`; `pl`/`plano` count as 0.
fn parse_power(token: &str) -> Option<f32> {
    if matches!(token, "pl" | "plano") {
        return Some(0.0);
    }
    let v: f32 = token.trim_start_matches('+').parse().ok()?;
    v.is_finite().then_some(v)
}

/// Parses a whole prescription written out: `OD -2.25 -0.75 x180 OS -2.00 DS PD 63`
/// (also `R:`/`L:`, `;` separators, `PD 31.5/31.5`).
pub fn parse_written(text: &str) -> Result<Prescription, ValidationErrors> {
    let lower = text.to_ascii_lowercase().replace([';', ':', '|'], " ");
    let mut sections: Vec<(&str, String)> = Vec::new();
    for token in lower.split_whitespace() {
        let key = match token {
            "od" | "r" | "re" | "right" => Some("od"),
            "os" | "l" | "le" | "left" => Some("os"),
            "pd" => Some("pd"),
            _ => None,
        };
        match key {
            Some(k) => sections.push((k, String::new())),
            None => match sections.last_mut() {
                Some((_, body)) => {
                    body.push(' ');
                    body.push_str(token);
                }
                None => {
                    return Err(ValidationErrors::single(
                        "",
                        "write the prescription as 'OD <sph> <cyl> x <axis> OS ... PD <mm>'",
                    ))
                }
            },
        }
    }
    let mut errors = Vec::new();
    let mut eye = |name: &str| -> Option<EyeRx> {
        match sections.iter().find(|(k, _)| *k == name) {
            None => {
                errors.push(FieldError::new(name, "missing"));
                None
            }
            Some((_, body)) => match parse_eye(body) {
                Ok(e) => Some(e),
                Err(e) => {
                    errors.extend(e.0.into_iter().map(|f| f.under(name)));
                    None
                }
            },
        }
    };
    let od = eye("od");
    let os = eye("os");
    let pd = match sections.iter().find(|(k, _)| *k == "pd") {
        None => {
            errors.push(FieldError::new("pd", "missing"));
            None
        }
        Some((_, body)) => match parse_pd_text(body.trim()) {
            Some(pd) => Some(pd),
            None => {
                errors.push(FieldError::new(
                    "pd",
                    "expected millimetres such as 63 or 31.5/31.5",
                ));
                None
            }
        },
    };
    match (od, os, pd) {
        (Some(od), Some(os), Some(pd)) if errors.is_empty() => Ok(Prescription {
            od,
            os,
            pd,
            fitting_height: None,
        }),
        _ => Err(ValidationErrors(errors)),
    }
}

fn parse_pd_text(text: &str) -> Option<PupillaryDistance> {
    let parts: Vec<&str> = text.split(['/', ' ']).filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [one] => one.parse().ok().map(PupillaryDistance::Binocular),
        [od, os] => Some(PupillaryDistance::Monocular {
            od: od.parse().ok()?,
            os: os.parse().ok()?,
        }),
        _ => None,
    }
}

/// Parses a prescription from JSON: the canonical object (either eye may also be written
/// notation: `{"od": "-2.25 -0.75 x 180", "os": {...}, "pd": 63}`) or one string in written
/// notation. Validates and normalises. Field paths are relative (`od.axis`).
pub fn parse_prescription(value: &Value) -> Result<Prescription, ValidationErrors> {
    let rx = match value {
        Value::String(text) => parse_written(text)?,
        Value::Object(map) => {
            let mut errors = Vec::new();
            for key in map.keys() {
                if !matches!(key.as_str(), "od" | "os" | "pd" | "fitting_height") {
                    errors.push(FieldError::unknown_member(key));
                }
            }
            let mut eye = |name: &str| -> Option<EyeRx> {
                match map.get(name) {
                    None | Some(Value::Null) => {
                        errors.push(FieldError::new(name, "missing"));
                        None
                    }
                    Some(Value::String(text)) => match parse_eye(text) {
                        Ok(e) => Some(e),
                        Err(e) => {
                            errors.extend(e.0.into_iter().map(|f| f.under(name)));
                            None
                        }
                    },
                    Some(v) => match eye_from_json(v) {
                        Ok(e) => Some(e),
                        Err(e) => {
                            errors.extend(e.0.into_iter().map(|f| f.under(name)));
                            None
                        }
                    },
                }
            };
            let od = eye("od");
            let os = eye("os");
            let pd = match map.get("pd") {
                None | Some(Value::Null) => {
                    errors.push(FieldError::new("pd", "missing"));
                    None
                }
                Some(Value::String(s)) => parse_pd_text(s.trim()).or_else(|| {
                    errors.push(FieldError::new("pd", "expected millimetres"));
                    None
                }),
                Some(v) => serde_json::from_value::<PupillaryDistance>(v.clone())
                    .map_err(|_| {
                        errors.push(FieldError::new(
                            "pd",
                            "expected a number (63) or {\"od\": 31.5, \"os\": 31.5}",
                        ))
                    })
                    .ok(),
            };
            let fitting_height = match map.get("fitting_height") {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_f64() {
                    Some(f) => Some(f as f32),
                    None => {
                        errors.push(FieldError::new("fitting_height", "must be a number (mm)"));
                        None
                    }
                },
            };
            match (od, os, pd) {
                (Some(od), Some(os), Some(pd)) if errors.is_empty() => Prescription {
                    od,
                    os,
                    pd,
                    fitting_height,
                },
                _ => return Err(ValidationErrors(errors)),
            }
        }
        _ => {
            return Err(ValidationErrors::single(
                "",
                "must be an object {\"od\": ..., \"os\": ..., \"pd\": ...} or written notation",
            ))
        }
    };
    validated(&rx)
}

/// One eye from a JSON object, with a field path for each bad member.
fn eye_from_json(value: &Value) -> Result<EyeRx, ValidationErrors> {
    let Value::Object(map) = value else {
        return Err(ValidationErrors::single(
            "",
            "must be an object or written notation",
        ));
    };
    let mut errors = Vec::new();
    for key in map.keys() {
        if !matches!(key.as_str(), "sph" | "cyl" | "axis" | "add" | "prism") {
            errors.push(FieldError::unknown_member(key));
        }
    }
    let mut number = |name: &str, required: bool| -> Option<f32> {
        match map.get(name) {
            None | Some(Value::Null) => {
                if required {
                    errors.push(FieldError::new(name, "missing"));
                }
                None
            }
            Some(Value::String(s)) => {
                let s = s.trim().to_ascii_lowercase();
                let parsed = if name == "cyl" && matches!(s.as_str(), "ds" | "sph") {
                    Some(0.0)
                } else {
                    parse_power(&s)
                };
                if parsed.is_none() {
                    errors.push(FieldError::new(name, "must be a number"));
                }
                parsed
            }
            Some(v) => match v.as_f64() {
                Some(f) => Some(f as f32),
                None => {
                    errors.push(FieldError::new(name, "must be a number"));
                    None
                }
            },
        }
    };
    let sph = number("sph", true);
    let cyl = number("cyl", false);
    let add = number("add", false);
    let axis = match map.get("axis") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let parsed = match v {
                Value::String(s) => s.trim().trim_start_matches(['x', 'X']).parse::<u16>().ok(),
                _ => v.as_u64().and_then(|a| u16::try_from(a).ok()),
            };
            if parsed.is_none() {
                errors.push(FieldError::new("axis", "must be a whole number 1-180"));
            }
            parsed
        }
    };
    let prism = match map.get("prism") {
        None | Some(Value::Null) => None,
        Some(v) => match serde_json::from_value(v.clone()) {
            Ok(p) => Some(p),
            Err(_) => {
                errors.push(FieldError::new(
                    "prism",
                    "expected {\"amount\": 1.0, \"base\": \"IN\"|\"OUT\"|\"UP\"|\"DOWN\"}",
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ValidationErrors(errors));
    }
    Ok(EyeRx {
        sph: sph.unwrap_or(0.0),
        cyl: cyl.unwrap_or(0.0),
        axis,
        add,
        prism,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(e: ValidationErrors) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn when_parsing_written_eye_should_accept_common_notations() {
        let e = parse_eye("-2.25 -0.75 x 180 add +2.00").unwrap();
        assert_eq!(
            (e.sph, e.cyl, e.axis, e.add),
            (-2.25, -0.75, Some(180), Some(2.0))
        );
        let e = parse_eye("+1.50 -0.50 x090").unwrap();
        assert_eq!((e.sph, e.cyl, e.axis), (1.5, -0.5, Some(90)));
        let e = parse_eye("PL").unwrap();
        assert_eq!((e.sph, e.cyl, e.axis), (0.0, 0.0, None));
        let e = parse_eye("plano -1.00 x 45").unwrap();
        assert_eq!((e.sph, e.cyl, e.axis), (0.0, -1.0, Some(45)));
        let e = parse_eye("-3.00 DS").unwrap();
        assert_eq!((e.sph, e.cyl, e.axis), (-3.0, 0.0, None));
        let e = parse_eye("-3.00 SPH add 1.25").unwrap();
        assert_eq!((e.cyl, e.add), (0.0, Some(1.25)));
    }

    #[test]
    fn when_written_eye_is_garbage_should_name_the_part() {
        assert_eq!(fields(parse_eye("abc").unwrap_err()), vec!["sph"]);
        assert_eq!(
            fields(parse_eye("-2.00 -1.00 x").unwrap_err()),
            vec!["axis"]
        );
        assert_eq!(fields(parse_eye("-2.00 add").unwrap_err()), vec!["add"]);
        assert_eq!(
            fields(parse_eye("-2.00 foo bar").unwrap_err()),
            vec!["cyl", ""]
        );
        assert!(parse_eye("  ").is_err());
    }

    #[test]
    fn when_parsing_whole_written_rx_should_read_both_eyes_and_pd() {
        let rx = parse_prescription(&json!("OD -2.25 -0.75 x180; OS -2.00 DS; PD 63")).unwrap();
        assert_eq!(rx.od.axis, Some(180));
        assert_eq!(rx.os.cyl, 0.0);
        assert_eq!(rx.pd.binocular(), 63.0);
        let rx = parse_prescription(&json!("R: +1.00 +0.50 x 10 L: +1.00 PD 31/32")).unwrap();
        // Plus cylinder is stored transposed.
        assert_eq!((rx.od.sph, rx.od.cyl, rx.od.axis), (1.5, -0.5, Some(100)));
        assert_eq!(rx.pd, PupillaryDistance::Monocular { od: 31.0, os: 32.0 });
    }

    #[test]
    fn when_plus_cyl_transposes_past_the_sphere_range_should_reject_it_written_either_way() {
        // Found by the parser property tests: +19.00 +2.00 x 90 was accepted, but its stored
        // form +21.00 -2.00 x 180 (the same lens) failed validation.
        let plus = parse_prescription(&json!("OD +19.00 +2.00 x 90 OS PL DS PD 63")).unwrap_err();
        let minus = parse_prescription(
            &json!({"od": {"sph": 21, "cyl": -2, "axis": 180}, "os": {"sph": 0}, "pd": 63}),
        )
        .unwrap_err();
        assert!(plus.0[0].message.contains("+21.00"), "{plus}");
        assert_eq!(fields(plus), vec!["od.sph"]);
        assert_eq!(fields(minus), vec!["od.sph"]);
        // At the edge, the stored form is accepted again unchanged.
        let rx = parse_prescription(&json!("OD +18.00 +2.00 x 90 OS PL DS PD 63")).unwrap();
        assert_eq!((rx.od.sph, rx.od.cyl, rx.od.axis), (20.0, -2.0, Some(180)));
        assert!(rx.validate().is_ok());
        let again = parse_prescription(&serde_json::to_value(&rx).unwrap()).unwrap();
        assert!(again == rx);
    }

    #[test]
    fn when_a_member_name_is_not_plain_should_name_it_quoted_in_brackets() {
        // Found by the parser property tests: an unknown member "[" of `od` was reported as
        // the field `od[`, a path to nothing.
        let f = fields(
            parse_prescription(&json!({"od": {"sph": -1, "[": 1}, "os": {"sph": -1}, "pd": 63}))
                .unwrap_err(),
        );
        assert_eq!(f, vec![r#"od["["]"#]);
    }

    #[test]
    fn when_parsing_canonical_json_should_accept_both_pd_shapes() {
        let rx = parse_prescription(&json!({
            "od": {"sph": -2.25, "cyl": -0.75, "axis": 180, "add": 2.0},
            "os": {"sph": -2.0, "cyl": -0.5, "axis": 170, "add": 2.0},
            "pd": 63
        }))
        .unwrap();
        assert_eq!(rx.od.add, Some(2.0));
        let rx = parse_prescription(&json!({
            "od": "-1.00", "os": {"sph": "-1.25", "cyl": "DS"}, "pd": {"od": 31.5, "os": 31.5}
        }))
        .unwrap();
        assert_eq!(rx.pd.binocular(), 63.0);
        assert_eq!(rx.os.sph, -1.25);
    }

    #[test]
    fn when_json_rx_is_invalid_should_name_every_field() {
        let err = parse_prescription(&json!({
            "od": {"sph": -2.1, "cyl": -0.75},
            "os": {"sph": -2.0, "axis": 90, "add": 4.0},
            "pd": 90
        }))
        .unwrap_err();
        let f = fields(err);
        for want in ["od.sph", "od.axis", "os.axis", "os.add", "pd"] {
            assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
        }
        let f = fields(
            parse_prescription(&json!({"od": {"sph": "x"}, "os": 3, "pd": "wide"})).unwrap_err(),
        );
        assert_eq!(f, vec!["od.sph", "os", "pd"]);
        let f = fields(
            parse_prescription(
                &json!({"od": {"sph": 1, "cyl": 7.0, "axis": 200}, "os": {"sph": -25}, "pd": 63}),
            )
            .unwrap_err(),
        );
        assert_eq!(f, vec!["od.cyl", "od.axis", "os.sph"]);
    }
}
