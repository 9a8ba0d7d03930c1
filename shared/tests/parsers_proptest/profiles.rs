//! Profile bodies: arbitrary bytes, hostile members, and one bad member in a valid profile.

use framewise::api::parse_profile;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::hostile::{hostile_json, key, raw_hostile_json};
use crate::prescriptions::assert_normal_form;
use crate::{check_fields, config, path, under};

/// Top-level members of a profile body.
const PROFILE_FIELDS: &[&str] = &[
    "age_band",
    "face_shape",
    "face_measurements",
    "undertone",
    "colour_season",
    "preferences",
    "prescription",
    "customer_id",
    "id",
];

fn valid_profile() -> Value {
    json!({
        "age_band": "30-39",
        "face_shape": "round",
        "face_measurements": {"face_width": 140, "face_length": 190},
        "undertone": "warm",
        "colour_season": "autumn",
        "preferences": {"shapes": ["oval"], "brands": ["Lumen"], "max_price_cents": 20000},
        "prescription": "OD -2.00 +1.00 x 30 OS -2.00 DS PD 62"
    })
}

/// A profile error names a member of the body (or a documented field), or the body.
fn check_profile(body: &[u8]) -> Result<(), TestCaseError> {
    let keys: Vec<String> = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
        .unwrap_or_default();
    match parse_profile("cu-1", body) {
        Ok(customer) => {
            prop_assert_eq!(customer.id.as_str(), "cu-1");
            if let Some(rx) = &customer.prescription {
                assert_normal_form(rx)?;
            }
        }
        Err(errors) => check_fields(&errors, |field| {
            field == "body"
                || keys.iter().any(|k| under(field, &path("", k)))
                || PROFILE_FIELDS.iter().any(|k| under(field, k))
        })?,
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn profile_of_arbitrary_bytes_is_ok_or_names_body(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..1024),
            any::<String>().prop_map(String::into_bytes),
            raw_hostile_json().prop_map(String::into_bytes),
        ],
    ) {
        check_profile(&body)?;
    }

    #[test]
    fn profile_of_hostile_members_names_the_members(
        members in prop::collection::vec(
            (prop_oneof![2 => prop::sample::select(PROFILE_FIELDS).prop_map(str::to_string), 1 => key()], hostile_json()),
            0..8,
        ),
    ) {
        let body = Value::Object(members.into_iter().collect()).to_string();
        check_profile(body.as_bytes())?;
    }

    #[test]
    fn profile_with_one_bad_member_names_that_member(
        member in prop_oneof![3 => prop::sample::select(PROFILE_FIELDS).prop_map(str::to_string), 1 => key()],
        value in hostile_json(),
    ) {
        let mut body = valid_profile();
        if let Value::Object(object) = &mut body {
            object.insert(member.clone(), value);
        }
        let body = body.to_string();
        match parse_profile("cu-1", body.as_bytes()) {
            Ok(_) => {}
            Err(errors) => check_fields(&errors, |field| under(field, &path("", &member)))?,
        }
    }
}
