//! Prescriptions per the eyewear-domain section 1 generator defaults: sphere, cylinder,
//! axis, reading addition, prism and pupillary distance.

use rand::Rng;

use crate::demo::{gamma, half_within, normal, pick, quarter, weighted};
use crate::domain::{
    AgeBand, EyeRx, Prescription, Prism, PrismBase, PupillaryDistance, ADD_D, BINOCULAR_PD_MM,
    CYLINDER_LIMIT_D, MONOCULAR_PD_MM,
};

#[derive(Clone, Copy)]
enum Refraction {
    Myope,
    Hyperope,
    Low,
}

/// A prescription per the section 1 generator defaults.
pub(super) fn prescription<R: Rng>(
    rng: &mut R,
    age: u32,
    band: AgeBand,
    female: bool,
) -> Prescription {
    let class = pick(
        rng,
        &match age {
            0..=17 => [
                (Refraction::Myope, 0.60),
                (Refraction::Hyperope, 0.25),
                (Refraction::Low, 0.15),
            ],
            18..=39 => [
                (Refraction::Myope, 0.68),
                (Refraction::Hyperope, 0.08),
                (Refraction::Low, 0.24),
            ],
            40..=59 => [
                (Refraction::Myope, 0.52),
                (Refraction::Hyperope, 0.18),
                (Refraction::Low, 0.30),
            ],
            _ => [
                (Refraction::Myope, 0.35),
                (Refraction::Hyperope, 0.35),
                (Refraction::Low, 0.30),
            ],
        },
    );
    let child = age < 18;
    let od_sph = match class {
        Refraction::Myope => {
            let (mean, sd) = if child { (1.5, 1.2) } else { (2.3, 2.0) };
            f64::from(quarter(-gamma(rng, mean, sd))).clamp(-12.0, -0.25)
        }
        Refraction::Hyperope => {
            let (mean, sd) = if child { (1.5, 1.0) } else { (1.2, 1.0) };
            f64::from(quarter(gamma(rng, mean, sd))).clamp(0.25, 8.0)
        }
        Refraction::Low => pick(
            rng,
            &[
                (-0.75, 1.0),
                (-0.5, 1.0),
                (-0.25, 1.0),
                (0.0, 3.0),
                (0.25, 1.0),
                (0.5, 1.0),
            ],
        ),
    };
    // Anisometropia grows with the power; SE of the two eyes correlates at about 0.9.
    let os_sph =
        f64::from(quarter(od_sph + normal(rng, 0.0, 0.3 + 0.1 * od_sph.abs()))).clamp(-12.0, 8.0);
    let od_cyl = cylinder(rng);
    let os_cyl = if rng.gen_bool(0.7) {
        od_cyl
    } else if od_cyl == 0.0 {
        if rng.gen_bool(0.15) {
            -0.25
        } else {
            0.0
        }
    } else {
        (od_cyl + pick(rng, &[(-0.25, 1.0), (0.25, 1.0)])).clamp(-CYLINDER_LIMIT_D, 0.0)
    };
    let od_axis = axis(rng, age);
    // The two eyes are roughly mirror-symmetric about the vertical meridian.
    let os_axis = wrap_axis(180.0 - f64::from(od_axis) + normal(rng, 0.0, 8.0));
    let add = add_power(rng, band);
    let os_add = add.map(|a| {
        if rng.gen_bool(0.05) {
            (a + 0.25).min(*ADD_D.end())
        } else {
            a
        }
    });
    let prism = rng.gen_bool(0.01).then(|| Prism {
        amount: pick(
            rng,
            &[(0.5, 3.0), (1.0, 3.0), (1.5, 2.0), (2.0, 1.0), (3.0, 1.0)],
        ),
        base: pick(
            rng,
            &[
                (PrismBase::In, 1.0),
                (PrismBase::Out, 1.0),
                (PrismBase::Up, 1.0),
                (PrismBase::Down, 1.0),
            ],
        ),
    });
    let (mut od_sph, mut os_sph) = (od_sph as f32, os_sph as f32);
    if od_sph == 0.0 && os_sph == 0.0 && od_cyl == 0.0 && os_cyl == 0.0 && add.is_none() {
        // A prescription with no power at all is not an order anyone places.
        od_sph = -0.5;
        os_sph = -0.5;
    }
    let pd = pupillary_distance(rng, band, female);
    let fitting_height = if add.is_some() && rng.gen_bool(0.3) {
        Some(f32::from(rng.gen_range(32u8..=48)) / 2.0)
    } else {
        None
    };
    Prescription {
        od: EyeRx {
            sph: od_sph,
            cyl: od_cyl,
            axis: (od_cyl != 0.0).then_some(od_axis),
            add,
            prism,
        },
        os: EyeRx {
            sph: os_sph,
            cyl: os_cyl,
            axis: (os_cyl != 0.0).then_some(os_axis),
            add: os_add,
            prism,
        },
        pd,
        fitting_height,
    }
}

/// Minus cylinder: 0 for 40%, -0.25..-0.75 for 25%, -1.00..-2.00 for 28%, beyond for 7%.
fn cylinder<R: Rng>(rng: &mut R) -> f32 {
    let steps = |rng: &mut R, lo: u32, hi: u32| -(rng.gen_range(lo..=hi) as f32) / 4.0;
    match weighted(rng, &[0.40, 0.25, 0.28, 0.07]) {
        0 => 0.0,
        1 => steps(rng, 1, 3),
        2 => steps(rng, 4, 8),
        _ if rng.gen_bool(0.9) => steps(rng, 9, 16),
        _ => steps(rng, 17, 24),
    }
}

/// With-the-rule (180 +/- 30) when young, against-the-rule (90 +/- 30) from 40; some oblique.
fn axis<R: Rng>(rng: &mut R, age: u32) -> u16 {
    if rng.gen_bool(0.2) {
        return rng.gen_range(1..=180);
    }
    let centre = if age < 40 { 180.0 } else { 90.0 };
    wrap_axis(normal(rng, centre, 15.0))
}

/// Maps any angle to an axis in 1..=180 (0 and 180 are the same meridian).
fn wrap_axis(degrees: f64) -> u16 {
    let a = degrees.round() as i64;
    ((a - 1).rem_euclid(180) + 1) as u16
}

/// Reading addition by age band: none before 40, then rising to about +3.00 (section 1).
fn add_power<R: Rng>(rng: &mut R, band: AgeBand) -> Option<f32> {
    let (p, values): (f64, &[f32]) = match band {
        AgeBand::Age40To44 => (0.5, &[0.75, 1.0]),
        AgeBand::Age45To49 => (0.85, &[1.0, 1.25, 1.5]),
        AgeBand::Age50To54 => (0.98, &[1.5, 1.75, 2.0]),
        AgeBand::Age55To59 => (0.98, &[2.0, 2.25, 2.5]),
        AgeBand::Age60To64 => (0.98, &[2.5, 2.75]),
        AgeBand::Age65Plus => (0.98, &[2.75, 3.0, 2.75, 3.0, 3.0, 3.25]),
        _ => return None,
    };
    rng.gen_bool(p)
        .then(|| values[rng.gen_range(0..values.len())])
}

/// PD ~ N(61.7, 3.5) for women and N(64.0, 3.5) for men; children 43-58 (section 1).
/// One in five customers gives monocular PDs; each eye stays inside the validated range
/// (a child's narrow PD split unevenly could fall below it).
fn pupillary_distance<R: Rng>(rng: &mut R, band: AgeBand, female: bool) -> PupillaryDistance {
    let pd = match band {
        AgeBand::Child => normal(rng, 51.0, 3.0).clamp(43.0, 58.0),
        AgeBand::Teen => normal(rng, 58.0, 3.0).clamp(50.0, 66.0),
        _ if female => normal(rng, 61.7, 3.5).clamp(50.0, 75.0),
        _ => normal(rng, 64.0, 3.5).clamp(50.0, 75.0),
    };
    if rng.gen_bool(0.2) {
        let od = half_within(pd / 2.0 + normal(rng, 0.0, 0.4), &MONOCULAR_PD_MM);
        let os = half_within(pd - f64::from(od), &MONOCULAR_PD_MM);
        PupillaryDistance::Monocular { od, os }
    } else {
        PupillaryDistance::Binocular(half_within(pd, &BINOCULAR_PD_MM))
    }
}

#[cfg(test)]
mod tests {
    use super::wrap_axis;

    #[test]
    fn when_axis_wraps_should_stay_in_1_to_180() {
        assert_eq!(wrap_axis(0.0), 180);
        assert_eq!(wrap_axis(181.0), 1);
        assert_eq!(wrap_axis(-5.0), 175);
        assert_eq!(wrap_axis(90.0), 90);
        assert_eq!(wrap_axis(360.0), 180);
    }
}
