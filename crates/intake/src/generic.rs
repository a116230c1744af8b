//! Any JSON webhook: an integration's [`GenericMapping`] says, as JSON Pointers (RFC 6901), where
//! the sender keeps the status, summary, severity, dedup key and details, so tools without a
//! format of their own (Grafana contact points, Zabbix media, scripts, SaaS webhooks) can open,
//! acknowledge and resolve alerts.
//!
//! Status words are matched case-insensitively: `trigger`, `triggered`, `firing`, `open`,
//! `alert`, `problem`, `critical`, `down` trigger (so does a missing status); `acknowledge`,
//! `acknowledged`, `ack` acknowledge; `resolve`, `resolved`, `ok`, `closed`, `recovered`, `up`,
//! `normal` resolve. Severity words follow the Alertmanager rule (the four names, `page`/`high`
//! critical, `low`/`none` info, anything else warning). Errors are (field, message) pairs, the
//! field being the pointer that was read; a JSON `null` counts as absent.

use mayday_core::alert::{AlertAction, AlertEvent, GenericMapping, MAX_DEDUP_KEY, MAX_SUMMARY};
use serde_json::Value;

use crate::util::{char_len, lenient_severity, truncate_chars};

/// Reads one alert event from `body` through `mapping`. `new_dedup_key` is called only for a
/// valid trigger whose body has no dedup key.
pub fn parse_generic(
    body: &Value,
    mapping: &GenericMapping,
    new_dedup_key: impl FnOnce() -> String,
) -> Result<AlertEvent, Vec<(String, String)>> {
    check_mapping(mapping)?;
    let mut errors = Vec::new();
    let at = |pointer: &str| lookup(body, pointer);

    let action = match at(&mapping.status) {
        None => Some(AlertAction::Trigger),
        Some(Value::String(word)) => {
            let action = status_action(word);
            if action.is_none() {
                errors.push((
                    field(&mapping.status),
                    format!(
                        "unknown status {word:?}; use trigger, triggered, firing, open, alert, \
                         problem, critical or down to trigger, acknowledge, acknowledged or ack \
                         to acknowledge, and resolve, resolved, ok, closed, recovered, up or \
                         normal to resolve"
                    ),
                ));
            }
            action
        }
        Some(_) => {
            errors.push((
                field(&mapping.status),
                "the status must be a string".to_owned(),
            ));
            None
        }
    };
    let is_trigger = action == Some(AlertAction::Trigger);

    let summary = match text_at(body, &mapping.summary) {
        Text::Absent => {
            if is_trigger {
                errors.push((
                    field(&mapping.summary),
                    "a summary is required to trigger an alert".to_owned(),
                ));
            }
            None
        }
        Text::Wrong => {
            if is_trigger {
                errors.push((
                    field(&mapping.summary),
                    "the summary must be a string or a number".to_owned(),
                ));
            }
            None
        }
        Text::Value(text) => {
            let text = text.trim();
            if is_trigger && char_len(text) > MAX_SUMMARY {
                errors.push((
                    field(&mapping.summary),
                    format!("the summary is longer than {MAX_SUMMARY} characters"),
                ));
                None
            } else {
                // Acknowledgements and resolutions keep a usable summary, cut to length.
                Some(truncate_chars(text, MAX_SUMMARY).to_owned())
            }
        }
    };

    let dedup_key = match text_at(body, &mapping.dedup_key) {
        Text::Absent => {
            if matches!(
                action,
                Some(AlertAction::Acknowledge | AlertAction::Resolve)
            ) {
                errors.push((
                    field(&mapping.dedup_key),
                    "a dedup key is required to acknowledge or resolve an alert".to_owned(),
                ));
            }
            None
        }
        Text::Wrong => {
            errors.push((
                field(&mapping.dedup_key),
                "the dedup key must be a string or a number".to_owned(),
            ));
            None
        }
        Text::Value(key) if char_len(&key) > MAX_DEDUP_KEY => {
            errors.push((
                field(&mapping.dedup_key),
                format!("the dedup key is longer than {MAX_DEDUP_KEY} characters"),
            ));
            None
        }
        Text::Value(key) => Some(key),
    };

    let Some(action) = action.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };
    let dedup_key = dedup_key.unwrap_or_else(new_dedup_key);
    let mut event = AlertEvent::new(action, dedup_key);
    event.summary = summary;
    if is_trigger {
        let severity = at(&mapping.severity).and_then(Value::as_str);
        event.severity = Some(lenient_severity(severity));
    }
    event.details = at(&mapping.details).cloned().unwrap_or(Value::Null);
    Ok(event)
}

/// Checks that every pointer of a mapping is a JSON Pointer: empty (the whole body) or
/// starting with `/`, with `~` only in the escapes `~0` and `~1`.
pub fn check_mapping(m: &GenericMapping) -> Result<(), Vec<(String, String)>> {
    let mut errors = Vec::new();
    for (name, pointer) in [
        ("summary", &m.summary),
        ("severity", &m.severity),
        ("dedup_key", &m.dedup_key),
        ("status", &m.status),
        ("details", &m.details),
    ] {
        if let Err(message) = check_pointer(pointer) {
            errors.push((format!("mapping.{name}"), message));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_pointer(pointer: &str) -> Result<(), String> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(format!(
            "{pointer:?} is not a JSON Pointer: it must be empty (the whole body) or start with /"
        ));
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(format!(
                "{pointer:?} is not a JSON Pointer: ~ must be written ~0 and / inside a name ~1"
            ));
        }
    }
    Ok(())
}

/// The value at `pointer` (`""` is the whole body); `null` counts as absent.
fn lookup<'a>(body: &'a Value, pointer: &str) -> Option<&'a Value> {
    body.pointer(pointer).filter(|v| !v.is_null())
}

/// The pointer as an error's field name; the whole body (`""`) is called `body`.
fn field(pointer: &str) -> String {
    if pointer.is_empty() {
        "body".to_owned()
    } else {
        pointer.to_owned()
    }
}

/// A text value read through a pointer.
enum Text {
    /// Missing, `null`, or a blank string.
    Absent,
    /// Neither a string nor a number.
    Wrong,
    /// A string as sent, or a number's decimal text.
    Value(String),
}

fn text_at(body: &Value, pointer: &str) -> Text {
    match lookup(body, pointer) {
        None => Text::Absent,
        Some(Value::String(s)) if s.trim().is_empty() => Text::Absent,
        Some(Value::String(s)) => Text::Value(s.clone()),
        Some(Value::Number(n)) => Text::Value(n.to_string()),
        Some(_) => Text::Wrong,
    }
}

fn status_action(word: &str) -> Option<AlertAction> {
    match word.trim().to_ascii_lowercase().as_str() {
        "trigger" | "triggered" | "firing" | "open" | "alert" | "problem" | "critical" | "down" => {
            Some(AlertAction::Trigger)
        }
        "acknowledge" | "acknowledged" | "ack" => Some(AlertAction::Acknowledge),
        "resolve" | "resolved" | "ok" | "closed" | "recovered" | "up" | "normal" => {
            Some(AlertAction::Resolve)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mayday_core::alert::Severity;
    use serde_json::json;

    fn generated() -> String {
        "generated-key".to_owned()
    }

    fn never() -> String {
        panic!("no key should be generated")
    }

    fn parse(body: Value) -> Result<AlertEvent, Vec<(String, String)>> {
        parse_generic(&body, &GenericMapping::default(), generated)
    }

    fn fields(errors: &[(String, String)]) -> Vec<&str> {
        errors.iter().map(|(f, _)| f.as_str()).collect()
    }

    #[test]
    fn the_default_mapping_reads_a_flat_body() {
        let body = json!({
            "status": "firing",
            "summary": "Disk full on db-1",
            "severity": "critical",
            "dedup_key": "db-1/disk",
            "extra": {"free": "0%"}
        });
        let event = parse_generic(&body, &GenericMapping::default(), never).unwrap();
        assert_eq!(event.action, AlertAction::Trigger);
        assert_eq!(event.dedup_key, "db-1/disk");
        assert_eq!(event.summary.as_deref(), Some("Disk full on db-1"));
        assert_eq!(event.severity, Some(Severity::Critical));
        assert_eq!(event.details, body, "details default to the whole body");
        assert_eq!(event.alert_id, None);
    }

    #[test]
    fn a_custom_mapping_reads_nested_values() {
        let mapping = GenericMapping {
            summary: "/alert/title".into(),
            severity: "/alert/level".into(),
            dedup_key: "/alert/id".into(),
            status: "/state".into(),
            details: "/alert/context".into(),
        };
        let body = json!({
            "state": "Problem",
            "alert": {"title": "Ping loss", "level": "HIGH", "id": 4711, "context": {"host": "sw-3"}}
        });
        let event = parse_generic(&body, &mapping, never).unwrap();
        assert_eq!(event.action, AlertAction::Trigger);
        assert_eq!(event.dedup_key, "4711", "numbers are stringified");
        assert_eq!(event.summary.as_deref(), Some("Ping loss"));
        assert_eq!(event.severity, Some(Severity::Critical));
        assert_eq!(event.details, json!({"host": "sw-3"}));

        // Escaped names: "a/b" is ~1, "m~n" is ~0.
        let mapping = GenericMapping {
            summary: "/a~1b".into(),
            details: "/m~0n".into(),
            ..GenericMapping::default()
        };
        let body = json!({"a/b": "escaped", "m~n": [1]});
        let event = parse_generic(&body, &mapping, generated).unwrap();
        assert_eq!(event.summary.as_deref(), Some("escaped"));
        assert_eq!(event.details, json!([1]));
    }

    #[test]
    fn every_status_word_is_understood_in_any_case() {
        let cases = [
            ("trigger", AlertAction::Trigger),
            ("triggered", AlertAction::Trigger),
            ("FIRING", AlertAction::Trigger),
            ("open", AlertAction::Trigger),
            ("alert", AlertAction::Trigger),
            ("Problem", AlertAction::Trigger),
            ("critical", AlertAction::Trigger),
            ("down", AlertAction::Trigger),
            ("acknowledge", AlertAction::Acknowledge),
            ("Acknowledged", AlertAction::Acknowledge),
            ("ack", AlertAction::Acknowledge),
            ("resolve", AlertAction::Resolve),
            ("resolved", AlertAction::Resolve),
            ("OK", AlertAction::Resolve),
            ("closed", AlertAction::Resolve),
            ("recovered", AlertAction::Resolve),
            ("up", AlertAction::Resolve),
            ("normal", AlertAction::Resolve),
            (" resolved ", AlertAction::Resolve),
        ];
        for (word, action) in cases {
            let body = json!({"status": word, "summary": "s", "dedup_key": "k"});
            assert_eq!(parse(body).unwrap().action, action, "{word}");
        }
    }

    #[test]
    fn a_missing_status_triggers_and_an_unknown_one_is_named() {
        let event = parse(json!({"summary": "s"})).unwrap();
        assert_eq!(event.action, AlertAction::Trigger);
        assert_eq!(event.dedup_key, "generated-key");
        let event = parse(json!({"summary": "s", "status": null})).unwrap();
        assert_eq!(event.action, AlertAction::Trigger);

        let errors = parse(json!({"summary": "s", "status": "pending"})).unwrap_err();
        assert_eq!(fields(&errors), vec!["/status"]);
        assert!(errors[0].1.contains("\"pending\""));
        let errors = parse(json!({"summary": "s", "status": 1})).unwrap_err();
        assert_eq!(fields(&errors), vec!["/status"]);
    }

    #[test]
    fn severities_map_like_alertmanagers_and_default_to_warning() {
        for (word, severity) in [
            (json!("critical"), Severity::Critical),
            (json!("Error"), Severity::Error),
            (json!("info"), Severity::Info),
            (json!("page"), Severity::Critical),
            (json!("low"), Severity::Info),
            (json!("disaster"), Severity::Warning),
            (json!(5), Severity::Warning),
            (Value::Null, Severity::Warning),
        ] {
            let body = json!({"summary": "s", "severity": word});
            assert_eq!(parse(body).unwrap().severity, Some(severity), "{word}");
        }
        let event = parse(json!({"summary": "s"})).unwrap();
        assert_eq!(event.severity, Some(Severity::Warning));
        let event =
            parse(json!({"status": "ok", "dedup_key": "k", "severity": "critical"})).unwrap();
        assert_eq!(event.severity, None, "only triggers carry a severity");
    }

    #[test]
    fn triggers_need_a_summary_of_at_most_1024_characters() {
        let event = parse(json!({"summary": "s".repeat(1024)})).unwrap();
        assert_eq!(event.summary.unwrap().len(), 1024);
        let event = parse(json!({"summary": "ö".repeat(1024)})).unwrap();
        assert_eq!(event.summary.unwrap().chars().count(), 1024);
        let errors = parse(json!({"summary": "s".repeat(1025)})).unwrap_err();
        assert_eq!(fields(&errors), vec!["/summary"]);
        for body in [
            json!({}),
            json!({"summary": ""}),
            json!({"summary": "  "}),
            json!({"summary": null}),
        ] {
            let errors = parse(body).unwrap_err();
            assert_eq!(fields(&errors), vec!["/summary"]);
        }
        let errors = parse(json!({"summary": {"text": "x"}})).unwrap_err();
        assert_eq!(fields(&errors), vec!["/summary"]);
        let event = parse(json!({"summary": 42.5})).unwrap();
        assert_eq!(event.summary.as_deref(), Some("42.5"));
        let event = parse(json!({"summary": "  padded  "})).unwrap();
        assert_eq!(event.summary.as_deref(), Some("padded"));
    }

    #[test]
    fn acknowledgements_and_resolutions_need_a_key_but_no_summary() {
        let event = parse(json!({"status": "resolved", "dedup_key": "k"})).unwrap();
        assert_eq!(event, {
            let mut e = AlertEvent::new(AlertAction::Resolve, "k");
            e.details = json!({"status": "resolved", "dedup_key": "k"});
            e
        });
        let event =
            parse(json!({"status": "ack", "dedup_key": "k", "summary": "s".repeat(2000)})).unwrap();
        assert_eq!(event.summary.unwrap().len(), 1024, "cut, not refused");
        let event = parse(json!({"status": "ack", "dedup_key": "k", "summary": []})).unwrap();
        assert_eq!(event.summary, None);

        for status in ["acknowledged", "resolved"] {
            let errors = parse_generic(
                &json!({"status": status}),
                &GenericMapping::default(),
                never,
            )
            .unwrap_err();
            assert_eq!(fields(&errors), vec!["/dedup_key"]);
            let errors = parse(json!({"status": status, "dedup_key": ""})).unwrap_err();
            assert_eq!(fields(&errors), vec!["/dedup_key"]);
        }
    }

    #[test]
    fn dedup_keys_are_at_most_255_characters() {
        let event = parse(json!({"summary": "s", "dedup_key": "k".repeat(255)})).unwrap();
        assert_eq!(event.dedup_key.len(), 255);
        let errors = parse(json!({"summary": "s", "dedup_key": "k".repeat(256)})).unwrap_err();
        assert_eq!(fields(&errors), vec!["/dedup_key"]);
        let errors = parse(json!({"summary": "s", "dedup_key": true})).unwrap_err();
        assert_eq!(fields(&errors), vec!["/dedup_key"]);
        let event = parse(json!({"summary": "s", "dedup_key": ""})).unwrap();
        assert_eq!(event.dedup_key, "generated-key");
        let event = parse(json!({"summary": "s", "dedup_key": 7})).unwrap();
        assert_eq!(event.dedup_key, "7");
    }

    #[test]
    fn all_problems_are_reported_together() {
        let errors = parse(json!({"status": "weird", "summary": [], "dedup_key": {}})).unwrap_err();
        assert_eq!(fields(&errors), vec!["/status", "/dedup_key"]);
        let errors =
            parse(json!({"summary": "s".repeat(1025), "dedup_key": "k".repeat(256)})).unwrap_err();
        assert_eq!(fields(&errors), vec!["/summary", "/dedup_key"]);
    }

    #[test]
    fn details_come_from_their_pointer() {
        let mapping = GenericMapping {
            details: "/nope".into(),
            ..GenericMapping::default()
        };
        let event = parse_generic(&json!({"summary": "s"}), &mapping, generated).unwrap();
        assert_eq!(event.details, Value::Null);
        // A body that is not an object still works when its pointers find nothing but a
        // summary is not required.
        let mapping = GenericMapping {
            summary: String::new(),
            ..GenericMapping::default()
        };
        let event = parse_generic(&json!("Backup failed"), &mapping, generated).unwrap();
        assert_eq!(event.summary.as_deref(), Some("Backup failed"));
        assert_eq!(event.details, json!("Backup failed"));
    }

    #[test]
    fn mappings_must_hold_json_pointers() {
        assert_eq!(check_mapping(&GenericMapping::default()), Ok(()));
        let ok = GenericMapping {
            summary: "/a/0/b".into(),
            severity: "".into(),
            dedup_key: "/x~1y".into(),
            status: "/~0".into(),
            details: "/".into(),
        };
        assert_eq!(check_mapping(&ok), Ok(()));
        let bad = GenericMapping {
            summary: "summary".into(),
            severity: "$.severity".into(),
            dedup_key: "/a~2".into(),
            status: "/trailing~".into(),
            details: "details".into(),
        };
        let errors = check_mapping(&bad).unwrap_err();
        assert_eq!(
            fields(&errors),
            vec![
                "mapping.summary",
                "mapping.severity",
                "mapping.dedup_key",
                "mapping.status",
                "mapping.details"
            ]
        );
        let errors = parse_generic(&json!({}), &bad, never).unwrap_err();
        assert_eq!(errors.len(), 5, "a bad mapping is refused before reading");
    }

    #[test]
    fn the_whole_body_is_called_body_in_errors() {
        let mapping = GenericMapping {
            status: String::new(),
            ..GenericMapping::default()
        };
        let errors = parse_generic(&json!({"summary": "s"}), &mapping, never).unwrap_err();
        assert_eq!(fields(&errors), vec!["body"]);
    }
}
