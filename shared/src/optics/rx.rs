//! Prescriptions (domain brief section 1): the written notation, validation, minus-cylinder
//! normalisation (transposition) and the derived values the frame and lens rules need.

use serde_json::Value;

use crate::domain::{EyeRx, Prescription, PupillaryDistance};
use crate::error::{FieldError, ValidationErrors};

/// Anisometropia above this (D of spherical equivalent between the eyes) is flagged.
pub const ANISOMETROPIA_FLAG: f32 = 2.0;

/// Converts one eye between plus- and minus-cylinder form: SPH + CYL, -CYL, and the axis
/// turned by 90 degrees (AXIS + 90 up to 90, else AXIS - 90; never "180 - axis").
pub fn transpose(eye: &EyeRx) -> EyeRx {
    if eye.cyl == 0.0 {
        return EyeRx {
            axis: None,
            ..eye.clone()
        };
    }
    let axis = normal_axis(eye.axis.unwrap_or(180));
    let axis = if axis <= 90 { axis + 90 } else { axis - 90 };
    EyeRx {
        sph: eye.sph + eye.cyl,
        cyl: -eye.cyl,
        axis: Some(axis),
        ..eye.clone()
    }
}

/// Axis 0 and 180 are the same meridian; stored as 180.
fn normal_axis(axis: u16) -> u16 {
    if axis == 0 {
        180
    } else {
        axis
    }
}

/// One eye in minus-cylinder form with axis 0 read as 180 and no axis without cylinder.
pub fn normalise_eye(eye: &EyeRx) -> EyeRx {
    let eye = if eye.cyl > 0.0 {
        transpose(eye)
    } else {
        eye.clone()
    };
    EyeRx {
        axis: if eye.cyl == 0.0 {
            None
        } else {
            eye.axis.map(normal_axis)
        },
        // -0.00 prints oddly and compares equal anyway.
        sph: eye.sph + 0.0,
        cyl: eye.cyl + 0.0,
        ..eye
    }
}

/// The prescription in minus-cylinder form (what labs, the rules and the store use).
pub fn normalise(rx: &Prescription) -> Prescription {
    Prescription {
        od: normalise_eye(&rx.od),
        os: normalise_eye(&rx.os),
        ..rx.clone()
    }
}

/// Validates (domain rules, field paths `od.axis`...) and normalises.
pub fn validated(rx: &Prescription) -> Result<Prescription, ValidationErrors> {
    let mut errors = match rx.validate() {
        Ok(()) => Vec::new(),
        Err(e) => e.0,
    };
    if let PupillaryDistance::Monocular { od, os } = rx.pd {
        if (od - os).abs() > 5.0 && errors.iter().all(|e| e.field != "pd") {
            errors.push(FieldError::new(
                "pd",
                "monocular PDs differ by more than 5 mm; please re-measure",
            ));
        }
    }
    if errors.is_empty() {
        Ok(normalise(rx))
    } else {
        Err(ValidationErrors(errors))
    }
}

/// Values derived from a (normalised) prescription. Health data: `Debug` is redacted.
#[derive(Clone, Copy, PartialEq)]
pub struct RxSummary {
    /// max(|SPH|, |SPH + CYL|) over both eyes: drives material and frame rules.
    pub max_meridian_power: f32,
    /// Most negative principal meridian over both eyes (0 when none is minus).
    pub strongest_minus: f32,
    /// Most positive principal meridian over both eyes (0 when none is plus).
    pub strongest_plus: f32,
    /// Largest |CYL| of the two eyes.
    pub max_cyl: f32,
    /// Spherical equivalent SPH + CYL/2, right and left.
    pub se_od: f32,
    pub se_os: f32,
    /// |SE right - SE left|.
    pub anisometropia: f32,
    /// Anisometropia above 2.00 D: steer away from rimless frames.
    pub anisometropic: bool,
    /// Largest ADD of the two eyes (0 without one).
    pub add: f32,
    pub has_prism: bool,
    /// Largest prism amount (prism dioptres).
    pub max_prism: f32,
    pub binocular_pd: f32,
    /// Monocular PDs (right, left); half the binocular PD each when only that is known.
    pub mono_pd: (f32, f32),
}

impl std::fmt::Debug for RxSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RxSummary(<redacted>)")
    }
}

impl RxSummary {
    pub fn of(rx: &Prescription) -> Self {
        let rx = normalise(rx);
        let eyes = [&rx.od, &rx.os];
        let meridians = eyes.iter().flat_map(|e| [e.sph, e.sph + e.cyl]);
        let strongest_minus = meridians.clone().fold(0.0f32, f32::min);
        let strongest_plus = meridians.fold(0.0f32, f32::max);
        let se = |e: &EyeRx| e.sph + e.cyl / 2.0;
        let (se_od, se_os) = (se(&rx.od), se(&rx.os));
        let anisometropia = (se_od - se_os).abs();
        let add = eyes.iter().filter_map(|e| e.add).fold(0.0f32, f32::max);
        let max_prism = eyes
            .iter()
            .filter_map(|e| e.prism.map(|p| p.amount))
            .fold(0.0f32, f32::max);
        let mono_pd = match rx.pd {
            PupillaryDistance::Binocular(pd) => (pd / 2.0, pd / 2.0),
            PupillaryDistance::Monocular { od, os } => (od, os),
        };
        Self {
            max_meridian_power: rx.max_meridian_power(),
            strongest_minus,
            strongest_plus,
            max_cyl: eyes.iter().map(|e| e.cyl.abs()).fold(0.0, f32::max),
            se_od,
            se_os,
            anisometropia,
            anisometropic: anisometropia > ANISOMETROPIA_FLAG + 1e-3,
            add,
            has_prism: max_prism > 0.0,
            max_prism,
            binocular_pd: rx.pd.binocular(),
            mono_pd,
        }
    }
}

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
                    errors.push(FieldError::new(key.clone(), "unknown field"));
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
            errors.push(FieldError::new(key.clone(), "unknown field"));
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

    fn eye(sph: f32, cyl: f32, axis: Option<u16>) -> EyeRx {
        EyeRx {
            sph,
            cyl,
            axis,
            add: None,
            prism: None,
        }
    }

    fn fields(e: ValidationErrors) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn when_transposing_plus_cyl_should_use_axis_plus_or_minus_90() {
        // +1.00 +2.00 x 045 -> +3.00 -2.00 x 135.
        let t = transpose(&eye(1.0, 2.0, Some(45)));
        assert_eq!((t.sph, t.cyl, t.axis), (3.0, -2.0, Some(135)));
        // Axis above 90 subtracts 90: x 120 -> x 030 (the "180 - axis" trap would give 60).
        let t = transpose(&eye(-1.0, 1.5, Some(120)));
        assert_eq!((t.sph, t.cyl, t.axis), (0.5, -1.5, Some(30)));
        assert_ne!(t.axis, Some(60));
        // Exactly 90 adds 90.
        assert_eq!(transpose(&eye(0.0, 1.0, Some(90))).axis, Some(180));
    }

    #[test]
    fn when_transposing_twice_should_return_original() {
        let e = eye(-2.25, -0.75, Some(170));
        let back = transpose(&transpose(&e));
        assert_eq!((back.sph, back.cyl, back.axis), (-2.25, -0.75, Some(170)));
    }

    #[test]
    fn when_normalising_should_read_axis_0_as_180_and_keep_minus_cyl() {
        let n = normalise_eye(&eye(-2.0, -0.5, Some(0)));
        assert_eq!((n.sph, n.cyl, n.axis), (-2.0, -0.5, Some(180)));
        let n = normalise_eye(&eye(-3.0, 1.0, Some(0)));
        assert_eq!((n.sph, n.cyl, n.axis), (-2.0, -1.0, Some(90)));
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

    #[test]
    fn when_summarising_should_derive_se_max_meridian_and_anisometropia() {
        let rx = Prescription {
            od: eye(-1.0, -1.0, Some(180)),
            os: eye(-4.0, 0.0, None),
            pd: PupillaryDistance::Binocular(62.0),
            fitting_height: None,
        };
        let s = RxSummary::of(&rx);
        assert_eq!(s.se_od, -1.5);
        assert_eq!(s.se_os, -4.0);
        assert_eq!(s.max_meridian_power, 4.0);
        assert_eq!(s.strongest_minus, -4.0);
        assert!(s.anisometropic, "2.5 D difference is flagged");
        assert_eq!(format!("{s:?}"), "RxSummary(<redacted>)");
    }
}
