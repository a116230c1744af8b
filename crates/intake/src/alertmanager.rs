//! Prometheus Alertmanager's webhook (`webhook_configs`, payload version "4"): one notification
//! carries a group of alerts, each firing or resolved; every alert becomes its own event.
//!
//! The payload's top level has `receiver`, `status`, `alerts`, `groupLabels`, `commonLabels`,
//! `commonAnnotations`, `externalURL`, `version`, `groupKey` and `truncatedAlerts`; each alert has
//! `status`, `labels`, `annotations`, `startsAt`, `endsAt`, `generatorURL` and `fingerprint`.
//! Only `alerts` and each alert's `status` are required; unknown fields are ignored, so newer
//! Alertmanagers keep working. An alert is named by its fingerprint (or, without one, by a hash
//! of its labels), titled by its `summary` or `description` annotation (or its alert name and
//! labels), and its severity comes from its `severity` label.

use mayday_core::alert::{AlertAction, AlertEvent, Link, MAX_SUMMARY};
use serde_json::{Map, Value, json};

use crate::util::{fit_dedup_key, lenient_severity, parse_timestamp, sha256_hex, truncate_chars};

/// Go's zero time (`0001-01-01T00:00:00Z`), which Alertmanager sends for "no end yet".
const GO_ZERO_TIME_MS: i64 = -62_135_596_800_000;

/// Reads a webhook notification into one event per alert, in the payload's order. The error
/// names every problem found (joined with `; `).
pub fn parse_webhook(body: &[u8]) -> Result<Vec<AlertEvent>, String> {
    let root = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(root)) => root,
        Ok(_) => return Err("the body must be a JSON object".to_owned()),
        Err(e) => return Err(format!("the body is not valid JSON ({e})")),
    };
    let mut errors = Vec::new();
    let receiver = optional_str(&root, "receiver", "receiver", &mut errors);
    let group_key = optional_str(&root, "groupKey", "groupKey", &mut errors);
    let external_url = optional_str(&root, "externalURL", "externalURL", &mut errors);

    let alerts = match root.get("alerts") {
        Some(Value::Array(alerts)) => alerts.as_slice(),
        None | Some(Value::Null) => {
            errors.push("alerts is missing".to_owned());
            &[]
        }
        Some(_) => {
            errors.push("alerts must be an array".to_owned());
            &[]
        }
    };

    let common = Common {
        receiver,
        group_key,
        external_url,
    };
    let mut events = Vec::with_capacity(alerts.len());
    for (i, alert) in alerts.iter().enumerate() {
        if let Some(event) = read_alert(i, alert, &common, &mut errors) {
            events.push(event);
        }
    }

    if errors.is_empty() {
        Ok(events)
    } else {
        Err(errors.join("; "))
    }
}

/// The dedup key Alertmanager's own `pagerduty_configs` sends for a group: the hex SHA-256 of
/// its group key. (One PagerDuty event stands for the whole group there.)
pub fn pagerduty_dedup_key(group_key: &str) -> String {
    sha256_hex(group_key)
}

/// What every alert of a notification shares.
struct Common<'a> {
    receiver: Option<&'a str>,
    group_key: Option<&'a str>,
    external_url: Option<&'a str>,
}

fn read_alert(
    i: usize,
    alert: &Value,
    common: &Common<'_>,
    errors: &mut Vec<String>,
) -> Option<AlertEvent> {
    let Value::Object(alert) = alert else {
        errors.push(format!("alerts[{i}] must be an object"));
        return None;
    };
    let before = errors.len();
    let path = |field: &str| format!("alerts[{i}].{field}");

    let action = match alert.get("status") {
        Some(Value::String(s)) if s == "firing" => Some(AlertAction::Trigger),
        Some(Value::String(s)) if s == "resolved" => Some(AlertAction::Resolve),
        _ => {
            errors.push(format!("{} must be firing or resolved", path("status")));
            None
        }
    };
    let labels = string_map(alert, "labels", &path("labels"), errors);
    let annotations = string_map(alert, "annotations", &path("annotations"), errors);
    let fingerprint = optional_str(alert, "fingerprint", &path("fingerprint"), errors);
    let starts_at = optional_str(alert, "startsAt", &path("startsAt"), errors);
    let ends_at = optional_str(alert, "endsAt", &path("endsAt"), errors);
    let generator_url = optional_str(alert, "generatorURL", &path("generatorURL"), errors);

    if errors.len() > before {
        return None;
    }
    let action = action?;

    let label = |name: &str| {
        labels
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .filter(|v| !v.is_empty())
    };
    let dedup_key = match fingerprint.filter(|f| !f.is_empty()) {
        Some(fingerprint) => fit_dedup_key(fingerprint),
        None => labels_hash(&labels),
    };

    let mut event = AlertEvent::new(action, dedup_key);
    event.summary = Some(summary(&labels, &annotations));
    event.severity = Some(lenient_severity(label("severity")));
    event.source = label("instance")
        .or_else(|| label("job"))
        .or(common.receiver.filter(|r| !r.is_empty()))
        .map(str::to_owned);
    event.group_key = common
        .group_key
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    event.occurred_at = starts_at
        .and_then(parse_timestamp)
        .filter(|ms| *ms != GO_ZERO_TIME_MS);
    event.details = json!({
        "labels": alert.get("labels").filter(|v| v.is_object()).cloned().unwrap_or_else(|| json!({})),
        "annotations": alert.get("annotations").filter(|v| v.is_object()).cloned().unwrap_or_else(|| json!({})),
        "starts_at": starts_at,
        "ends_at": ends_at.filter(|e| parse_timestamp(e) != Some(GO_ZERO_TIME_MS)),
        "generator_url": generator_url,
        "receiver": common.receiver,
        "external_url": common.external_url,
    });
    if let Some(url) = generator_url.filter(|u| !u.is_empty()) {
        event.links.push(Link {
            href: url.to_owned(),
            text: Some("Source".to_owned()),
        });
    }
    event.client = Some("Alertmanager".to_owned());
    event.client_url = common
        .external_url
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    Some(event)
}

/// The alert's title: its `summary` annotation, else the first line of its `description`,
/// else its alert name followed by its other labels (`HighCPU instance=web-1 job=node`); at
/// most 1024 characters.
fn summary(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> String {
    let annotation = |name: &str| {
        annotations
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let text = if let Some(summary) = annotation("summary") {
        summary.to_owned()
    } else if let Some(line) = annotation("description").and_then(|d| d.lines().next()) {
        line.trim().to_owned()
    } else {
        let mut parts: Vec<String> = labels
            .iter()
            .find(|(n, v)| *n == "alertname" && !v.is_empty())
            .map(|(_, v)| (*v).to_owned())
            .into_iter()
            .collect();
        parts.extend(
            labels
                .iter()
                .filter(|(n, _)| *n != "alertname")
                .map(|(n, v)| format!("{n}={v}")),
        );
        if parts.is_empty() {
            "Alertmanager alert".to_owned()
        } else {
            parts.join(" ")
        }
    };
    truncate_chars(&text, MAX_SUMMARY).to_owned()
}

/// Hex SHA-256 of the labels as `name=value\n` lines sorted by name: a stable name for an alert
/// that came without a fingerprint.
fn labels_hash(labels: &[(&str, &str)]) -> String {
    let mut text = String::new();
    for (name, value) in labels {
        text.push_str(name);
        text.push('=');
        text.push_str(value);
        text.push('\n');
    }
    sha256_hex(&text)
}

/// A string that may be absent (or `null`).
fn optional_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
    errors: &mut Vec<String>,
) -> Option<&'a str> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errors.push(format!("{path} must be a string"));
            None
        }
    }
}

/// An object of strings (labels, annotations), sorted by name; absent is empty.
fn string_map<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
    errors: &mut Vec<String>,
) -> Vec<(&'a str, &'a str)> {
    let map = match obj.get(key) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Object(map)) => map,
        Some(_) => {
            errors.push(format!("{path} must be an object"));
            return Vec::new();
        }
    };
    let mut pairs = Vec::with_capacity(map.len());
    for (name, value) in map {
        match value {
            Value::String(v) => pairs.push((name.as_str(), v.as_str())),
            _ => errors.push(format!("{path}.{name} must be a string")),
        }
    }
    pairs.sort_unstable();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use mayday_core::alert::Severity;

    fn payload() -> Value {
        json!({
            "version": "4",
            "groupKey": "{}/{severity=\"critical\"}:{alertname=\"HighCPU\"}",
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "mayday",
            "groupLabels": {"alertname": "HighCPU"},
            "commonLabels": {"alertname": "HighCPU", "job": "node"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example.com:9093",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "HighCPU", "instance": "web-1", "job": "node", "severity": "critical"},
                    "annotations": {"summary": "CPU above 90% on web-1", "description": "Load has been high\nfor 10 minutes"},
                    "startsAt": "2024-05-01T10:00:00.123456789Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=cpu",
                    "fingerprint": "c6ba8a37a1ee3b7e"
                },
                {
                    "status": "resolved",
                    "labels": {"alertname": "HighCPU", "instance": "web-2", "job": "node", "severity": "critical"},
                    "annotations": {"summary": "CPU above 90% on web-2"},
                    "startsAt": "2024-05-01T09:00:00Z",
                    "endsAt": "2024-05-01T09:30:00Z",
                    "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=cpu",
                    "fingerprint": "0f1e2d3c4b5a6978"
                }
            ]
        })
    }

    fn parse(v: Value) -> Result<Vec<AlertEvent>, String> {
        parse_webhook(v.to_string().as_bytes())
    }

    fn one(alert: Value) -> AlertEvent {
        let mut events = parse(json!({"receiver": "team-x", "alerts": [alert]})).unwrap();
        assert_eq!(events.len(), 1);
        events.remove(0)
    }

    #[test]
    fn a_firing_and_a_resolved_alert_become_two_events() {
        let events = parse(payload()).unwrap();
        assert_eq!(events.len(), 2);
        let group_key = "{}/{severity=\"critical\"}:{alertname=\"HighCPU\"}";

        let firing = &events[0];
        assert_eq!(firing.action, AlertAction::Trigger);
        assert_eq!(firing.dedup_key, "c6ba8a37a1ee3b7e");
        assert_eq!(firing.alert_id, None);
        assert_eq!(firing.summary.as_deref(), Some("CPU above 90% on web-1"));
        assert_eq!(firing.severity, Some(Severity::Critical));
        assert_eq!(firing.source.as_deref(), Some("web-1"));
        assert_eq!(firing.group_key.as_deref(), Some(group_key));
        assert_eq!(firing.occurred_at, Some(1_714_557_600_123));
        assert_eq!(
            firing.links,
            vec![Link {
                href: "http://prometheus.example.com:9090/graph?g0.expr=cpu".into(),
                text: Some("Source".into()),
            }]
        );
        assert_eq!(firing.client.as_deref(), Some("Alertmanager"));
        assert_eq!(
            firing.client_url.as_deref(),
            Some("http://alertmanager.example.com:9093")
        );
        assert_eq!(
            firing.details,
            json!({
                "labels": {"alertname": "HighCPU", "instance": "web-1", "job": "node", "severity": "critical"},
                "annotations": {"summary": "CPU above 90% on web-1", "description": "Load has been high\nfor 10 minutes"},
                "starts_at": "2024-05-01T10:00:00.123456789Z",
                "ends_at": null,
                "generator_url": "http://prometheus.example.com:9090/graph?g0.expr=cpu",
                "receiver": "mayday",
                "external_url": "http://alertmanager.example.com:9093",
            })
        );

        let resolved = &events[1];
        assert_eq!(resolved.action, AlertAction::Resolve);
        assert_eq!(resolved.dedup_key, "0f1e2d3c4b5a6978");
        assert_eq!(resolved.source.as_deref(), Some("web-2"));
        assert_eq!(resolved.occurred_at, Some(1_714_554_000_000));
        assert_eq!(resolved.details["ends_at"], "2024-05-01T09:30:00Z");
        assert_eq!(resolved.group_key.as_deref(), Some(group_key));
    }

    #[test]
    fn unknown_fields_are_accepted() {
        let mut body = payload();
        body["someFutureField"] = json!({"x": 1});
        body["alerts"][0]["someFutureField"] = json!([1, 2]);
        body["version"] = json!("5");
        assert_eq!(parse(body).unwrap().len(), 2);
    }

    #[test]
    fn an_empty_group_is_no_events() {
        assert_eq!(parse(json!({"alerts": []})).unwrap(), Vec::new());
    }

    #[test]
    fn a_missing_end_is_null_too() {
        let event = one(json!({"status": "firing", "labels": {"alertname": "A"}}));
        assert_eq!(event.details["ends_at"], Value::Null);
        assert_eq!(event.details["starts_at"], Value::Null);
        assert_eq!(event.occurred_at, None);
        assert_eq!(event.details["annotations"], json!({}));
        assert_eq!(event.details["generator_url"], Value::Null);
        assert_eq!(event.details["external_url"], Value::Null);
        assert!(event.links.is_empty());
        assert_eq!(event.client_url, None);
        assert_eq!(event.group_key, None);
        // A zero start is no start; an unreadable one is kept in details only.
        let event = one(json!({"status": "firing", "startsAt": "0001-01-01T00:00:00Z"}));
        assert_eq!(event.occurred_at, None);
        let event = one(json!({"status": "firing", "startsAt": "soon"}));
        assert_eq!(event.occurred_at, None);
        assert_eq!(event.details["starts_at"], "soon");
    }

    #[test]
    fn without_a_fingerprint_the_sorted_labels_are_hashed() {
        let event = one(json!({
            "status": "firing",
            "labels": {"job": "node", "alertname": "HighCPU", "instance": "web-1"}
        }));
        assert_eq!(
            event.dedup_key,
            sha256_hex("alertname=HighCPU\ninstance=web-1\njob=node\n")
        );
        let same = one(json!({
            "status": "resolved",
            "fingerprint": "",
            "labels": {"instance": "web-1", "job": "node", "alertname": "HighCPU"}
        }));
        assert_eq!(same.dedup_key, event.dedup_key);
        let huge = one(json!({"status": "firing", "fingerprint": "f".repeat(300)}));
        assert_eq!(
            huge.dedup_key,
            format!("sha256:{}", sha256_hex(&"f".repeat(300)))
        );
    }

    #[test]
    fn summaries_fall_back_from_annotations_to_labels() {
        let event = one(json!({
            "status": "firing",
            "labels": {"alertname": "HighCPU"},
            "annotations": {"summary": "  ", "description": "\n  First line  \nsecond line"}
        }));
        assert_eq!(event.summary.as_deref(), Some("First line"));

        let event = one(json!({
            "status": "firing",
            "labels": {"job": "node", "alertname": "HighCPU", "instance": "web-1"}
        }));
        assert_eq!(
            event.summary.as_deref(),
            Some("HighCPU instance=web-1 job=node")
        );
        let event = one(json!({"status": "firing", "labels": {"job": "node"}}));
        assert_eq!(event.summary.as_deref(), Some("job=node"));
        let event = one(json!({"status": "firing"}));
        assert_eq!(event.summary.as_deref(), Some("Alertmanager alert"));
    }

    #[test]
    fn summaries_are_cut_to_1024_characters_on_a_char_boundary() {
        let long = "é".repeat(1500);
        let event = one(json!({"status": "firing", "annotations": {"description": long}}));
        let summary = event.summary.unwrap();
        assert_eq!(summary.chars().count(), 1024);
        assert!(summary.chars().all(|c| c == 'é'));
        let exact = "s".repeat(1024);
        let event = one(json!({"status": "firing", "annotations": {"summary": exact}}));
        assert_eq!(event.summary.as_deref(), Some(exact.as_str()));
        let event = one(json!({"status": "firing", "annotations": {"summary": "s".repeat(1025)}}));
        assert_eq!(event.summary.unwrap().len(), 1024);
    }

    #[test]
    fn severity_labels_map_leniently() {
        for (label, severity) in [
            (Some("critical"), Severity::Critical),
            (Some("error"), Severity::Error),
            (Some("warning"), Severity::Warning),
            (Some("info"), Severity::Info),
            (Some("page"), Severity::Critical),
            (Some("high"), Severity::Critical),
            (Some("low"), Severity::Info),
            (Some("none"), Severity::Info),
            (Some("major"), Severity::Warning),
            (None, Severity::Warning),
        ] {
            let labels = match label {
                Some(l) => json!({"alertname": "A", "severity": l}),
                None => json!({"alertname": "A"}),
            };
            let event = one(json!({"status": "firing", "labels": labels}));
            assert_eq!(event.severity, Some(severity), "{label:?}");
        }
    }

    #[test]
    fn the_source_is_the_instance_then_the_job_then_the_receiver() {
        let event = one(json!({"status": "firing", "labels": {"instance": "i", "job": "j"}}));
        assert_eq!(event.source.as_deref(), Some("i"));
        let event = one(json!({"status": "firing", "labels": {"instance": "", "job": "j"}}));
        assert_eq!(event.source.as_deref(), Some("j"));
        let event = one(json!({"status": "firing", "labels": {"alertname": "A"}}));
        assert_eq!(event.source.as_deref(), Some("team-x"));
        let events = parse(json!({"alerts": [{"status": "firing"}]})).unwrap();
        assert_eq!(events[0].source, None);
    }

    #[test]
    fn errors_name_the_alert_and_field() {
        let mut body = payload();
        body["alerts"][1]["status"] = json!("pending");
        assert_eq!(
            parse(body).unwrap_err(),
            "alerts[1].status must be firing or resolved"
        );
        let body = json!({"alerts": [
            {"labels": {"a": 1}},
            "nope",
            {"status": "firing", "annotations": [], "fingerprint": 5, "startsAt": 1, "endsAt": {}, "generatorURL": true},
        ]});
        assert_eq!(
            parse(body).unwrap_err(),
            "alerts[0].status must be firing or resolved; alerts[0].labels.a must be a string; \
             alerts[1] must be an object; alerts[2].annotations must be an object; \
             alerts[2].fingerprint must be a string; alerts[2].startsAt must be a string; \
             alerts[2].endsAt must be a string; alerts[2].generatorURL must be a string"
        );
        assert_eq!(parse(json!({})).unwrap_err(), "alerts is missing");
        assert_eq!(
            parse(json!({"alerts": {}})).unwrap_err(),
            "alerts must be an array"
        );
        assert_eq!(
            parse(json!({"alerts": [], "receiver": 1, "groupKey": [], "externalURL": 2}))
                .unwrap_err(),
            "receiver must be a string; groupKey must be a string; externalURL must be a string"
        );
        assert!(
            parse_webhook(b"{oops")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert_eq!(
            parse_webhook(b"[]").unwrap_err(),
            "the body must be a JSON object"
        );
    }

    #[test]
    fn the_pagerduty_dedup_key_is_the_hashed_group_key() {
        // Alertmanager's own tests: the group key "1" hashes to this.
        assert_eq!(
            pagerduty_dedup_key("1"),
            "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
        );
        let key = pagerduty_dedup_key("{}:{alertname=\"HighCPU\"}");
        assert_eq!(key.len(), 64);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
