//! The prescription in normal form (domain brief section 1): minus cylinder, axis 0 read as
//! 180, no axis without cylinder; and validation before normalising.

use crate::domain::{EyeRx, Prescription, PupillaryDistance};
use crate::error::{FieldError, ValidationErrors};

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

#[cfg(test)]
mod tests {
    use super::*;

    fn eye(sph: f32, cyl: f32, axis: Option<u16>) -> EyeRx {
        EyeRx {
            sph,
            cyl,
            axis,
            add: None,
            prism: None,
        }
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
}
