//! Small helpers the wire formats share: reading timestamps, counting and cutting text by
//! characters, hashing keys, and the lenient severity names monitoring tools use.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use mayday_core::Millis;
use mayday_core::alert::{MAX_DEDUP_KEY, Severity};
use sha2::{Digest, Sha256};

/// Reads an RFC 3339 / ISO 8601 instant as epoch milliseconds. An offset may be written
/// `Z`, `+00:00` or `+0000`; a date-time (or a date) without any offset is taken as UTC.
pub(crate) fn parse_timestamp(text: &str) -> Option<Millis> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts.as_millisecond());
    }
    let civil = text.parse::<DateTime>().ok()?;
    let ts = TimeZone::UTC.to_timestamp(civil).ok()?;
    Some(ts.as_millisecond())
}

/// Length in characters (Unicode scalar values), the unit the specs' limits are written in.
pub(crate) fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// The first `max` characters of `text` (all of it when shorter), cut on a char boundary.
pub(crate) fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Lower-case hex SHA-256 of `text`.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A sender's identifier made fit to be a Mayday dedup key: kept as is when it is at most
/// [`MAX_DEDUP_KEY`] characters, otherwise `sha256:` + its hex digest, which is short and still
/// unique to that identifier.
pub(crate) fn fit_dedup_key(key: &str) -> String {
    if char_len(key) <= MAX_DEDUP_KEY {
        key.to_owned()
    } else {
        format!("sha256:{}", sha256_hex(key))
    }
}

/// Maps the severity names monitoring tools use onto Mayday's four: the four themselves,
/// `page` and `high` as critical, `low` and `none` as info (case-insensitive); anything else,
/// including nothing, is a warning.
pub(crate) fn lenient_severity(name: Option<&str>) -> Severity {
    let Some(name) = name else {
        return Severity::Warning;
    };
    let name = name.trim().to_ascii_lowercase();
    if let Some(severity) = Severity::parse(&name) {
        return severity;
    }
    match name.as_str() {
        "page" | "high" => Severity::Critical,
        "low" | "none" => Severity::Info,
        _ => Severity::Warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_the_forms_senders_use() {
        // PagerDuty's own example writes the offset without a colon.
        assert_eq!(
            parse_timestamp("2015-07-17T08:42:58.315+0000"),
            Some(1_437_122_578_315)
        );
        assert_eq!(
            parse_timestamp("2015-07-17T08:42:58.315+00:00"),
            Some(1_437_122_578_315)
        );
        assert_eq!(
            parse_timestamp("2015-07-17T10:42:58.315+02:00"),
            Some(1_437_122_578_315)
        );
        // Alertmanager (Go) writes nanoseconds; milliseconds are kept.
        assert_eq!(
            parse_timestamp("2015-07-17T08:42:58.315999999Z"),
            Some(1_437_122_578_315)
        );
        // Naive date-times and dates are UTC.
        assert_eq!(
            parse_timestamp("2015-07-17T08:42:58"),
            Some(1_437_122_578_000)
        );
        assert_eq!(
            parse_timestamp("2015-07-17 08:42:58"),
            Some(1_437_122_578_000)
        );
        assert_eq!(parse_timestamp("2015-07-17"), Some(1_437_091_200_000));
        assert_eq!(
            parse_timestamp(" 2015-07-17T08:42:58Z "),
            Some(1_437_122_578_000)
        );
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp(""), None);
        assert_eq!(parse_timestamp("2015-13-40T00:00:00Z"), None);
    }

    #[test]
    fn text_is_measured_and_cut_in_characters() {
        assert_eq!(char_len("héllo"), 5);
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("héllo", 5), "héllo");
        assert_eq!(truncate_chars("héllo", 50), "héllo");
        assert_eq!(truncate_chars("⌘⌘⌘", 1), "⌘");
        assert_eq!(truncate_chars("", 3), "");
    }

    #[test]
    fn long_keys_are_hashed_short_ones_kept() {
        assert_eq!(
            sha256_hex("1"),
            "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
        );
        let at = "k".repeat(MAX_DEDUP_KEY);
        assert_eq!(fit_dedup_key(&at), at);
        let over = "k".repeat(MAX_DEDUP_KEY + 1);
        let fitted = fit_dedup_key(&over);
        assert_eq!(fitted, format!("sha256:{}", sha256_hex(&over)));
        assert_eq!(fitted.len(), 71);
        assert_ne!(fitted, fit_dedup_key(&"k".repeat(MAX_DEDUP_KEY + 2)));
        // Multi-byte characters count once.
        let wide = "é".repeat(MAX_DEDUP_KEY);
        assert_eq!(fit_dedup_key(&wide), wide);
    }

    #[test]
    fn severity_names_map_leniently() {
        assert_eq!(lenient_severity(Some("critical")), Severity::Critical);
        assert_eq!(lenient_severity(Some("Error")), Severity::Error);
        assert_eq!(lenient_severity(Some("warning")), Severity::Warning);
        assert_eq!(lenient_severity(Some("INFO")), Severity::Info);
        assert_eq!(lenient_severity(Some("page")), Severity::Critical);
        assert_eq!(lenient_severity(Some("high")), Severity::Critical);
        assert_eq!(lenient_severity(Some("low")), Severity::Info);
        assert_eq!(lenient_severity(Some("none")), Severity::Info);
        assert_eq!(lenient_severity(Some("disaster")), Severity::Warning);
        assert_eq!(lenient_severity(Some("")), Severity::Warning);
        assert_eq!(lenient_severity(None), Severity::Warning);
    }
}
