//! Face shape and colour harmony (domain brief section 5): the face shape from a declared
//! shape or from measurements, how a frame shape suits it, and how a frame colour suits the
//! shopper's undertone and colour season. Each score comes with the reason shown to shoppers.

use crate::domain::{
    ColourFamily, ColourSeason, ColourValue, Customer, FaceMeasurements, FaceShape, Finish,
    FrameColour, Pattern, RimType, Shape, Temperature, Undertone,
};

/// Classifies a face from measurements: length/width ratio, then which of forehead,
/// cheekbones and jaw is widest. Without the three widths only the ratio is used.
pub fn classify_face(m: &FaceMeasurements) -> Option<FaceShape> {
    if !(m.face_width.is_finite() && m.face_length.is_finite()) || m.face_width <= 0.0 {
        return None;
    }
    let ratio = m.face_length / m.face_width;
    if ratio >= 1.47 {
        return Some(FaceShape::Oblong);
    }
    let (Some(f), Some(c), Some(j)) = (m.forehead_width, m.cheekbone_width, m.jaw_width) else {
        return Some(if ratio <= 1.2 {
            FaceShape::Round
        } else {
            FaceShape::Oval
        });
    };
    let widest = f.max(c).max(j);
    if widest <= 0.0 {
        return None;
    }
    let (f, c, j) = (f / widest, c / widest, j / widest);
    if j >= f + 0.1 {
        return Some(FaceShape::Triangle);
    }
    if f >= c && j <= 0.8 * f {
        return Some(FaceShape::Heart);
    }
    if ratio <= 1.2 {
        return Some(if j >= 0.91 {
            FaceShape::Square
        } else {
            FaceShape::Round
        });
    }
    if c >= 0.99 && f <= 0.85 && j <= 0.82 {
        return Some(FaceShape::Diamond);
    }
    Some(FaceShape::Oval)
}

/// The declared face shape, else the one measured.
pub fn face_shape_of(customer: &Customer) -> Option<FaceShape> {
    customer
        .face_shape
        .or_else(|| customer.face_measurements.as_ref().and_then(classify_face))
}

/// How a frame shape suits a face shape, in [-1, 1] ("avoid" is negative), with the reason
/// when it suits. Rimless and semi-rimless help square, heart and diamond faces.
pub fn frame_shape_fit(face: FaceShape, shape: Shape, rim: RimType) -> (f32, Option<&'static str>) {
    use Shape::*;
    let (score, reason): (f32, Option<&'static str>) = match face {
        FaceShape::Oval => match shape {
            Butterfly => (-0.5, None),
            _ => (0.5, Some("Balanced oval faces suit most frame shapes")),
        },
        FaceShape::Round => match shape {
            Rectangle | Square => (1.0, Some("Angular frames balance a round face")),
            Wayfarer | Geometric => (0.8, Some("Angular frames balance a round face")),
            Browline => (
                0.5,
                Some("A strong browline adds definition to a round face"),
            ),
            Round => (-1.0, None),
            _ => (0.0, None),
        },
        FaceShape::Square => match shape {
            Oval | Round => (1.0, Some("Soft curves balance a strong jawline")),
            CatEye => (0.3, Some("Upswept curves soften a square face")),
            Square => (-1.0, None),
            Rectangle => (-0.7, None),
            Geometric => (-0.5, None),
            _ => (0.0, None),
        },
        FaceShape::Oblong => match shape {
            Aviator => (0.8, Some("Deep frames shorten a long face")),
            Butterfly => (0.7, Some("Deep frames shorten a long face")),
            Square | Round => (0.6, Some("Frames with depth balance a long face")),
            Wayfarer => (0.5, Some("Frames with depth balance a long face")),
            Rectangle => (-0.7, None),
            _ => (0.0, None),
        },
        FaceShape::Heart => match shape {
            Aviator | Butterfly => (
                1.0,
                Some("Frames wider at the bottom balance a heart-shaped face"),
            ),
            Oval => (0.5, Some("Soft ovals suit a heart-shaped face")),
            Browline => (-1.0, None),
            CatEye => (-0.5, None),
            _ => (0.0, None),
        },
        FaceShape::Diamond => match shape {
            Browline | CatEye => (1.0, Some("A distinct browline balances wide cheekbones")),
            Oval => (1.0, Some("Ovals soften a diamond-shaped face")),
            Butterfly | Wrap => (-0.5, None),
            _ => (0.0, None),
        },
        FaceShape::Triangle => match shape {
            CatEye | Browline => (1.0, Some("Emphasis on top balances a wider jaw")),
            Aviator => (-0.7, None),
            Butterfly => (-0.3, None),
            _ => (0.0, None),
        },
    };
    let rim_bonus = match (face, rim) {
        (FaceShape::Square | FaceShape::Heart | FaceShape::Diamond, RimType::Rimless) => 0.3,
        (FaceShape::Square | FaceShape::Diamond, RimType::SemiRimless) => 0.2,
        _ => 0.0,
    };
    let total = (score + rim_bonus).clamp(-1.0, 1.0);
    let reason = reason.or_else(|| {
        (rim_bonus > 0.0 && total > 0.0).then_some("Light rimless lines soften strong features")
    });
    (total, if total > 0.0 { reason } else { None })
}

/// Temperature match of a colour to an undertone, in [-1, 1].
fn undertone_fit(undertone: Undertone, colour: &FrameColour) -> f32 {
    if colour.pattern == Pattern::Tortoise || colour.family == ColourFamily::Tortoise {
        // Tortoise suits nearly everyone, warm undertones most.
        return if undertone == Undertone::Warm {
            1.0
        } else {
            0.5
        };
    }
    match (undertone, colour.temperature) {
        (Undertone::Neutral, _) => 0.4,
        (Undertone::Cool, _)
            if matches!(
                colour.family,
                ColourFamily::Gold | ColourFamily::Yellow | ColourFamily::Green
            ) =>
        {
            -1.0
        }
        (Undertone::Warm, _)
            if matches!(colour.family, ColourFamily::Blue | ColourFamily::Pink)
                && colour.value == ColourValue::Light =>
        {
            -0.8
        }
        (Undertone::Warm, Temperature::Warm) | (Undertone::Cool, Temperature::Cool) => 1.0,
        (_, Temperature::Neutral) => 0.3,
        _ => -0.5,
    }
}

/// Season palette match (section 5 mapping), in [-1, 1].
fn season_fit(season: ColourSeason, colour: &FrameColour) -> f32 {
    use ColourFamily::*;
    let tortoise = colour.family == Tortoise || colour.pattern == Pattern::Tortoise;
    match season {
        ColourSeason::Spring => match colour.family {
            _ if tortoise && colour.value != ColourValue::Dark => 1.0,
            Gold | Orange | Green | Yellow if colour.temperature != Temperature::Cool => 1.0,
            Black => -0.5,
            _ if colour.value == ColourValue::Dark => -0.3,
            _ => 0.0,
        },
        ColourSeason::Summer => match colour.family {
            Silver | Pink | Grey => 1.0,
            Blue | Clear if colour.value != ColourValue::Dark => 1.0,
            // Glossy black looks harsh on soft, light colouring.
            Black if colour.finish == Finish::Glossy => -0.7,
            Gold | Orange | Yellow => -0.7,
            _ => 0.0,
        },
        ColourSeason::Autumn => match colour.family {
            _ if tortoise && colour.value != ColourValue::Light => 1.0,
            Brown | Green | Red | Orange | Gold => 0.8,
            Silver | Pink | Clear => -0.6,
            _ => 0.0,
        },
        ColourSeason::Winter => match colour.family {
            Black | Silver | Clear | Blue | Purple | Red => 1.0,
            Gunmetal | Grey | White => 0.5,
            Brown | Orange | Gold | Yellow => -0.7,
            _ if tortoise => -0.2,
            _ => 0.0,
        },
    }
}

fn tone_word(u: Undertone) -> &'static str {
    match u {
        Undertone::Warm => "warm",
        Undertone::Cool => "cool",
        Undertone::Neutral => "neutral",
    }
}

fn season_word(s: ColourSeason) -> &'static str {
    match s {
        ColourSeason::Spring => "spring",
        ColourSeason::Summer => "summer",
        ColourSeason::Autumn => "autumn",
        ColourSeason::Winter => "winter",
    }
}

fn colour_words(colour: &FrameColour) -> String {
    let family = format!("{:?}", colour.family).to_ascii_lowercase();
    let temperature = match colour.temperature {
        Temperature::Warm => "Warm ",
        Temperature::Cool => "Cool ",
        Temperature::Neutral => "",
    };
    let value = match colour.value {
        ColourValue::Light => "Light ",
        ColourValue::Dark => "Dark ",
        ColourValue::Medium => "",
    };
    let lead = if temperature.is_empty() {
        value
    } else {
        temperature
    };
    let text = format!("{lead}{family}");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// How a frame colour suits the shopper's colouring, in [-1, 1], with the reason when it
/// suits: 0.6 undertone temperature + 0.4 season palette (either alone when only one is known).
pub fn colour_harmony(
    undertone: Option<Undertone>,
    season: Option<ColourSeason>,
    colour: &FrameColour,
) -> (f32, Option<String>) {
    let tone = undertone.map(|u| undertone_fit(u, colour));
    let pal = season.map(|s| season_fit(s, colour));
    let score = harmony_of(tone, pal);
    if score <= 0.3 {
        return (score, None);
    }
    let reason = match (undertone, season, tone, pal) {
        (_, Some(s), _, Some(p)) if p >= 1.0 && tone.is_none_or(|t| t < 1.0) => {
            format!(
                "{} suits your {} colouring",
                colour_words(colour),
                season_word(s)
            )
        }
        (Some(u), _, Some(_), _) => {
            format!(
                "{} suits your {} undertone",
                colour_words(colour),
                tone_word(u)
            )
        }
        (_, Some(s), _, _) => {
            format!(
                "{} suits your {} colouring",
                colour_words(colour),
                season_word(s)
            )
        }
        _ => return (score, None),
    };
    (score, Some(reason))
}

/// [`colour_harmony`] for a customer.
pub fn customer_colour_harmony(customer: &Customer, colour: &FrameColour) -> (f32, Option<String>) {
    colour_harmony(customer.undertone, customer.colour_season, colour)
}

/// The score of [`colour_harmony`] alone, without building its reason: the engine scores
/// every colourway of every style per list and needs words only for the few it shows.
pub fn colour_harmony_score(
    undertone: Option<Undertone>,
    season: Option<ColourSeason>,
    colour: &FrameColour,
) -> f32 {
    harmony_of(
        undertone.map(|u| undertone_fit(u, colour)),
        season.map(|s| season_fit(s, colour)),
    )
}

/// Undertone and season fits combined (the undertone weighs more); 0 with neither.
fn harmony_of(tone: Option<f32>, palette: Option<f32>) -> f32 {
    match (tone, palette) {
        (Some(t), Some(p)) => 0.6 * t + 0.4 * p,
        (Some(t), None) => t,
        (None, Some(p)) => p,
        (None, None) => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optics::testutil::colour;

    fn m(width: f32, length: f32, f: f32, c: f32, j: f32) -> FaceMeasurements {
        FaceMeasurements {
            face_width: width,
            face_length: length,
            forehead_width: Some(width * f),
            cheekbone_width: Some(width * c),
            jaw_width: Some(width * j),
        }
    }

    #[test]
    fn when_measured_should_classify_each_face_shape() {
        let cases = [
            (m(140.0, 193.0, 0.90, 1.0, 0.80), FaceShape::Oval),
            (m(140.0, 154.0, 0.92, 1.0, 0.86), FaceShape::Round),
            (m(140.0, 157.0, 0.96, 1.0, 0.95), FaceShape::Square),
            (m(140.0, 217.0, 0.92, 1.0, 0.88), FaceShape::Oblong),
            (m(140.0, 182.0, 1.0, 0.97, 0.72), FaceShape::Heart),
            (m(140.0, 193.0, 0.80, 1.0, 0.76), FaceShape::Diamond),
            (m(140.0, 179.0, 0.80, 0.95, 1.0), FaceShape::Triangle),
        ];
        for (measured, want) in cases {
            assert_eq!(classify_face(&measured), Some(want));
        }
        let ratio_only = FaceMeasurements {
            face_width: 140.0,
            face_length: 150.0,
            forehead_width: None,
            cheekbone_width: None,
            jaw_width: None,
        };
        assert_eq!(classify_face(&ratio_only), Some(FaceShape::Round));
    }

    #[test]
    fn when_round_face_should_favour_angular_frames_with_reason() {
        let (s, r) = frame_shape_fit(FaceShape::Round, Shape::Rectangle, RimType::Full);
        assert!(s > 0.5);
        assert_eq!(r, Some("Angular frames balance a round face"));
        let (s, r) = frame_shape_fit(FaceShape::Round, Shape::Round, RimType::Full);
        assert!(s < 0.0 && r.is_none());
    }

    #[test]
    fn when_warm_undertone_and_warm_tortoise_should_say_so() {
        let tortoise = colour(
            ColourFamily::Tortoise,
            Temperature::Warm,
            ColourValue::Medium,
        );
        let (s, r) = colour_harmony(Some(Undertone::Warm), None, &tortoise);
        assert!(s > 0.9);
        assert_eq!(
            r.as_deref(),
            Some("Warm tortoise suits your warm undertone")
        );
        let gold = colour(ColourFamily::Gold, Temperature::Warm, ColourValue::Medium);
        assert!(colour_harmony(Some(Undertone::Cool), None, &gold).0 < 0.0);
    }

    #[test]
    fn when_summer_colouring_should_avoid_glossy_black() {
        let black = colour(ColourFamily::Black, Temperature::Cool, ColourValue::Dark);
        let silver = colour(ColourFamily::Silver, Temperature::Cool, ColourValue::Light);
        let summer = Some(ColourSeason::Summer);
        assert!(colour_harmony(None, summer, &black).0 < 0.0);
        assert!(colour_harmony(None, summer, &silver).0 > 0.5);
        let winter = Some(ColourSeason::Winter);
        assert!(colour_harmony(None, winter, &black).0 > 0.5);
        let gold = colour(ColourFamily::Gold, Temperature::Warm, ColourValue::Medium);
        let tortoise = colour(
            ColourFamily::Tortoise,
            Temperature::Warm,
            ColourValue::Light,
        );
        for frame in [&black, &silver, &gold, &tortoise] {
            for (undertone, season) in [
                (Some(Undertone::Warm), None),
                (None, summer),
                (Some(Undertone::Cool), winter),
                (None, None),
            ] {
                assert_eq!(
                    colour_harmony_score(undertone, season, frame),
                    colour_harmony(undertone, season, frame).0
                );
            }
        }
    }
}
