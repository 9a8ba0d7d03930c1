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
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let cursor = encode_cursor("rec-abc", 24);
        assert_eq!(decode_cursor(&cursor).unwrap(), ("rec-abc".to_string(), 24));
        assert!(decode_cursor("!!").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("x:rec")).is_err());
    }
}
