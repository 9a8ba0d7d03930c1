//! Page cursors of a recommendation list: the list's id and the offset of the next item,
//! opaque to clients (base64url).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::ValidationErrors;

pub(super) fn encode_cursor(recommendation_id: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}:{recommendation_id}"))
}

pub(super) fn decode_cursor(cursor: &str) -> Result<(String, usize), ValidationErrors> {
    let invalid = || ValidationErrors::single("cursor", "not a cursor returned by this API");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (offset, id) = text.split_once(':').ok_or_else(invalid)?;
    let offset = offset.parse().map_err(|_| invalid())?;
    Ok((id.to_string(), offset))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 256,
            // Failures become named regression tests here, not persisted seed files.
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Text a client could send as `cursor`: anything, base64 of anything, and base64 of
    /// `offset:id` shapes with offsets past `usize`.
    fn cursor_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[A-Za-z0-9_=+/-]{0,64}",
            prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
            ("[+-]?[0-9]{0,40}", any::<String>())
                .prop_map(|(offset, id)| URL_SAFE_NO_PAD.encode(format!("{offset}:{id}"))),
        ]
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn cursor_round_trips_any_list_id_and_offset(id in any::<String>(), offset in any::<usize>()) {
            prop_assert_eq!(decode_cursor(&encode_cursor(&id, offset)), Ok((id, offset)));
        }

        #[test]
        fn cursor_of_any_text_decodes_or_names_cursor(text in cursor_text()) {
            match decode_cursor(&text) {
                // Whatever was accepted names a list and an offset the API could have issued.
                Ok((id, offset)) => {
                    let again = decode_cursor(&encode_cursor(&id, offset));
                    prop_assert_eq!(again, Ok((id, offset)));
                }
                Err(errors) => {
                    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
                    prop_assert_eq!(fields, ["cursor"]);
                }
            }
        }
    }

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let cursor = encode_cursor("rec-abc", 24);
        assert_eq!(decode_cursor(&cursor).unwrap(), ("rec-abc".to_string(), 24));
        assert!(decode_cursor("!!").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("x:rec")).is_err());
    }
}
