//! Readable names for demo shoppers, for a shopper switcher: a first name picked by the
//! shopper's number and a few words from their profile ("Alex, 30-39, oval face, likes
//! cat-eye"), so people can tell shoppers apart and see why their lists differ. Demo
//! customers carry no names of their own (a real shop's profiles never reach Framewise with
//! one either).

use serde::Serialize;

use crate::domain::Customer;

const FIRST_NAMES: [&str; 24] = [
    "Alex", "Sam", "Robin", "Jordan", "Maya", "Noah", "Priya", "Leo", "Ines", "Kenji", "Amara",
    "Tomas", "Chloe", "Omar", "Freya", "Mateo", "Yuki", "Zara", "Elias", "Nadia", "Felix", "Lena",
    "Ravi", "Sofia",
];

/// The snake_case wire name of an enum value, spelt for people (`cat_eye` -> `cat-eye`).
fn words<T: Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Some(s.replace('_', "-")),
        _ => None,
    }
}

/// A readable, stable name for a demo shopper from their id and profile.
pub fn shopper_name(customer: &Customer) -> String {
    let number: usize = customer
        .id
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| customer.id.bytes().map(usize::from).sum());
    let first = FIRST_NAMES[number.saturating_sub(1) % FIRST_NAMES.len()];
    let mut traits = Vec::new();
    if let Some(age) = customer.age_band.as_ref().and_then(words) {
        traits.push(format!("age {age}"));
    }
    if let Some(face) = customer.face_shape.as_ref().and_then(words) {
        traits.push(format!("{face} face"));
    }
    if let Some(shape) = customer.preferences.shapes.first().and_then(words) {
        traits.push(format!("likes {shape}"));
    }
    if customer.prescription.is_some() {
        traits.push("prescription".to_string());
    }
    if traits.is_empty() {
        format!("{first} ({})", customer.id)
    } else {
        format!("{first}, {}", traits.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AgeBand, FaceShape, Shape};

    #[test]
    fn when_a_shopper_is_named_should_read_their_profile_and_stay_stable() {
        let mut customer = Customer::new("cu-00002");
        assert_eq!(shopper_name(&customer), "Sam (cu-00002)");
        customer.age_band = Some(AgeBand::Age30To39);
        customer.face_shape = Some(FaceShape::Oval);
        customer.preferences.shapes = vec![Shape::CatEye];
        assert_eq!(
            shopper_name(&customer),
            "Sam, age 30-39, oval face, likes cat-eye"
        );
        assert_eq!(shopper_name(&Customer::new("cu-00025")), "Alex (cu-00025)");
    }
}
