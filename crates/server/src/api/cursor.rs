//! Opaque pagination cursors: the sort order and the last item's sort value and number,
//! base64url-encoded. Clients pass them back verbatim.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mayday_store::Cursor;

pub fn encode(sort_spec: &str, c: Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{sort_spec}|{}|{}", c.value, c.number))
}

/// The sort order a cursor was issued for and where it points; `None` when malformed.
pub fn decode(text: &str) -> Option<(String, Cursor)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
    let mut parts = raw.split('|');
    let spec = parts.next()?.to_string();
    let value = parts.next()?.parse().ok()?;
    let number = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((spec, Cursor { value, number }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let c = Cursor {
            value: -5,
            number: 42,
        };
        assert_eq!(
            decode(&encode("-created_at", c)),
            Some(("-created_at".into(), c))
        );
        assert_eq!(decode("not a cursor"), None);
    }
}
