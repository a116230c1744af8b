//! PagerDuty Events API v2, wire-compatible: alert events (`trigger`, `acknowledge`,
//! `resolve`) as posted to `/v2/enqueue`, change events as posted to `/v2/change/enqueue`, and
//! the answers PagerDuty gives, so any tool that can page PagerDuty can page Mayday by changing
//! only the URL.
//!
//! Validation follows the public specification: `routing_key` is the integration key of exactly
//! 32 characters; `dedup_key` is at most 255 characters, optional for a trigger (one is generated
//! and returned) and required to acknowledge or resolve; a trigger's `payload` needs `summary`
//! (at most 1024 characters), `source` and `severity` (`critical`, `error`, `warning` or
//! `info`). Every problem is reported at once, one message per problem, each naming the field's
//! path the way PagerDuty does (`'payload.severity' is invalid (...)`). A JSON `null` counts as
//! absent.

use mayday_core::alert::{
    AlertAction, AlertEvent, ChangeEvent, KEY_LEN, Link, MAX_DEDUP_KEY, MAX_SUMMARY, Severity,
};
use serde_json::{Map, Value, json};

use crate::util::{char_len, parse_timestamp};

/// A valid alert event and the integration key it was sent to.
#[derive(Debug, Clone, PartialEq)]
pub struct PdEvent {
    pub routing_key: String,
    pub event: AlertEvent,
}

/// Why an event was refused: one human message per problem, each naming the field's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdInvalid {
    pub errors: Vec<String>,
}

impl PdInvalid {
    fn one(message: impl Into<String>) -> Self {
        Self {
            errors: vec![message.into()],
        }
    }
}

/// Reads an alert event (the body of `POST /v2/enqueue`). `new_dedup_key` is called only for a
/// valid trigger that brought no `dedup_key` (or an empty one).
pub fn parse_event(
    body: &[u8],
    new_dedup_key: impl FnOnce() -> String,
) -> Result<PdEvent, PdInvalid> {
    let root = parse_object(body)?;
    let mut c = Checker::default();

    let routing_key = c.routing_key(&root);

    let action = match c.required_str(&root, "event_action", "event_action") {
        Some("trigger") => Some(AlertAction::Trigger),
        Some("acknowledge") => Some(AlertAction::Acknowledge),
        Some("resolve") => Some(AlertAction::Resolve),
        Some(_) => {
            c.error("'event_action' is invalid (must be one of trigger, acknowledge or resolve)");
            None
        }
        None => None,
    };

    let dedup_key = c
        .optional_str(&root, "dedup_key", "dedup_key")
        .filter(|k| !k.is_empty());
    if let Some(key) = dedup_key
        && char_len(key) > MAX_DEDUP_KEY
    {
        c.error(format!(
            "'dedup_key' is too long (must be at most {MAX_DEDUP_KEY} characters)"
        ));
    }

    let event = match action {
        Some(AlertAction::Trigger) => c.trigger(&root),
        Some(other) => {
            if dedup_key.is_none() {
                c.error("'dedup_key' is missing or blank (required for acknowledge and resolve)");
            }
            Some(AlertEvent::new(other, ""))
        }
        None => None,
    };

    if !c.errors.is_empty() {
        return Err(PdInvalid { errors: c.errors });
    }
    let (Some(routing_key), Some(mut event)) = (routing_key, event) else {
        // Not reached: whatever leaves either unset has recorded an error.
        return Err(PdInvalid::one("Event object is invalid"));
    };
    event.dedup_key = match dedup_key {
        Some(key) => key.to_owned(),
        None => new_dedup_key(),
    };
    Ok(PdEvent {
        routing_key: routing_key.to_owned(),
        event,
    })
}

/// Reads a change event (the body of `POST /v2/change/enqueue`): the integration key and the
/// change.
pub fn parse_change(body: &[u8]) -> Result<(String, ChangeEvent), PdInvalid> {
    let root = parse_object(body)?;
    let mut c = Checker::default();
    let routing_key = c.routing_key(&root);

    let links = c.links(&root);
    let mut change = None;
    match root.get("payload") {
        None | Some(Value::Null) => c.error("'payload' is missing"),
        Some(Value::Object(payload)) => {
            let summary = c.summary(payload);
            let source = c
                .optional_str(payload, "source", "payload.source")
                .filter(|s| !s.is_empty());
            let occurred_at = c.timestamp(payload);
            let details = payload
                .get("custom_details")
                .cloned()
                .unwrap_or(Value::Null);
            if let Some(summary) = summary {
                change = Some(ChangeEvent {
                    summary: summary.to_owned(),
                    source: source.map(str::to_owned),
                    occurred_at,
                    details,
                    links,
                });
            }
        }
        Some(_) => c.error("'payload' must be an object"),
    }

    match (routing_key, change) {
        (Some(key), Some(change)) if c.errors.is_empty() => Ok((key.to_owned(), change)),
        _ => Err(PdInvalid { errors: c.errors }),
    }
}

/// The 202 answer to an accepted alert event.
pub fn accepted(dedup_key: &str) -> Value {
    json!({
        "status": "success",
        "message": "Event processed",
        "dedup_key": dedup_key,
    })
}

/// The 202 answer to an accepted change event.
pub fn change_accepted() -> Value {
    json!({
        "status": "success",
        "message": "Change event processed",
    })
}

/// The 400 answer to an invalid event.
pub fn invalid(errors: &[String]) -> Value {
    json!({
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": errors,
    })
}

/// The 429 answer when an integration sends faster than it may. PagerDuty documents the status
/// ("Too many API calls at a time", "Request Limit Exceeded") but no body; this one keeps the
/// shape of its other answers.
pub fn throttled() -> Value {
    json!({
        "status": "throttled",
        "message": "Request Limit Exceeded: too many API calls at a time, retry after some time",
    })
}

/// The errors for a well-formed routing key that no integration has; answered with
/// [`invalid`] and 400, as PagerDuty does.
pub fn unknown_routing_key() -> Vec<String> {
    vec!["'routing_key' is invalid (no integration has this key)".to_owned()]
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, PdInvalid> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(PdInvalid::one("Event object must be a JSON object")),
        Err(e) => Err(PdInvalid::one(format!(
            "Event object is not valid JSON ({e})"
        ))),
    }
}

/// Collects every problem while reading the fields.
#[derive(Default)]
struct Checker {
    errors: Vec<String>,
}

impl Checker {
    fn error(&mut self, message: impl Into<String>) {
        self.errors.push(message.into());
    }

    /// A string that must be there and not blank.
    fn required_str<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'a str> {
        match obj.get(key) {
            None | Some(Value::Null) => {
                self.error(format!("'{path}' is missing or blank"));
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.error(format!("'{path}' is missing or blank"));
                None
            }
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.error(format!("'{path}' must be a string"));
                None
            }
        }
    }

    /// A string that may be absent (or `null`).
    fn optional_str<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'a str> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                self.error(format!("'{path}' must be a string"));
                None
            }
        }
    }

    fn routing_key<'a>(&mut self, root: &'a Map<String, Value>) -> Option<&'a str> {
        let key = self.required_str(root, "routing_key", "routing_key")?;
        if char_len(key) != KEY_LEN {
            self.error(format!(
                "Length of 'routing_key' is incorrect (should be {KEY_LEN} characters)"
            ));
            return None;
        }
        Some(key)
    }

    fn summary<'a>(&mut self, payload: &'a Map<String, Value>) -> Option<&'a str> {
        let summary = self.required_str(payload, "summary", "payload.summary")?;
        if char_len(summary) > MAX_SUMMARY {
            self.error(format!(
                "'payload.summary' is too long (must be at most {MAX_SUMMARY} characters)"
            ));
            return None;
        }
        Some(summary)
    }

    fn timestamp(&mut self, payload: &Map<String, Value>) -> Option<i64> {
        let text = self.optional_str(payload, "timestamp", "payload.timestamp")?;
        let parsed = parse_timestamp(text);
        if parsed.is_none() {
            self.error("'payload.timestamp' is invalid (must be an ISO 8601 date-time)");
        }
        parsed
    }

    fn links(&mut self, root: &Map<String, Value>) -> Vec<Link> {
        let items = match root.get("links") {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.error("'links' must be an array");
                return Vec::new();
            }
        };
        let mut links = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let Value::Object(link) = item else {
                self.error(format!("'links[{i}]' must be an object"));
                continue;
            };
            let href = self.required_str(link, "href", &format!("links[{i}].href"));
            let text = self.optional_str(link, "text", &format!("links[{i}].text"));
            if let Some(href) = href {
                links.push(Link {
                    href: href.to_owned(),
                    text: text.filter(|t| !t.is_empty()).map(str::to_owned),
                });
            }
        }
        links
    }

    fn images(&mut self, root: &Map<String, Value>) -> Vec<Value> {
        match root.get("images") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_object() {
                        self.error(format!("'images[{i}]' must be an object"));
                    }
                }
                items.clone()
            }
            Some(_) => {
                self.error("'images' must be an array");
                Vec::new()
            }
        }
    }

    /// Reads a trigger's payload and context; `None` when the payload is missing or unusable
    /// (the errors say why).
    fn trigger(&mut self, root: &Map<String, Value>) -> Option<AlertEvent> {
        let links = self.links(root);
        let images = self.images(root);
        let client = self.optional_str(root, "client", "client");
        let client_url = self.optional_str(root, "client_url", "client_url");
        let payload = match root.get("payload") {
            None | Some(Value::Null) => {
                self.error("'payload' is missing (required for trigger)");
                return None;
            }
            Some(Value::Object(payload)) => payload,
            Some(_) => {
                self.error("'payload' must be an object");
                return None;
            }
        };

        let summary = self.summary(payload);
        let source = self.required_str(payload, "source", "payload.source");
        let severity = match self.required_str(payload, "severity", "payload.severity") {
            Some(name) => {
                let severity = Severity::parse(name);
                if severity.is_none() {
                    self.error(
                        "'payload.severity' is invalid (must be one of critical, error, warning or info)",
                    );
                }
                severity
            }
            None => None,
        };
        let occurred_at = self.timestamp(payload);
        let mut optional = |key: &str| {
            self.optional_str(payload, key, &format!("payload.{key}"))
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let component = optional("component");
        let group = optional("group");
        let class = optional("class");

        let mut event = AlertEvent::new(AlertAction::Trigger, "");
        event.summary = summary.map(str::to_owned);
        event.severity = severity;
        event.source = source.map(str::to_owned);
        event.component = component;
        event.group = group;
        event.class = class;
        event.occurred_at = occurred_at;
        event.details = payload
            .get("custom_details")
            .cloned()
            .unwrap_or(Value::Null);
        event.links = links;
        event.images = images;
        event.client = client.filter(|s| !s.is_empty()).map(str::to_owned);
        event.client_url = client_url.filter(|s| !s.is_empty()).map(str::to_owned);
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "e93facc04764012d7bfb002500d5d1a6";

    fn generated() -> String {
        "generated-key".to_owned()
    }

    fn never() -> String {
        panic!("no key should be generated")
    }

    fn parse(v: Value) -> Result<PdEvent, PdInvalid> {
        parse_event(v.to_string().as_bytes(), generated)
    }

    fn errors(v: Value) -> Vec<String> {
        parse(v).expect_err("should be invalid").errors
    }

    fn trigger() -> Value {
        json!({
            "routing_key": KEY,
            "event_action": "trigger",
            "payload": {
                "summary": "DISK at 99% on machine prod-datapipe03.example.com",
                "source": "prod-datapipe03.example.com",
                "severity": "critical",
            }
        })
    }

    #[test]
    fn the_documented_example_trigger_is_read_in_full() {
        let body = json!({
            "payload": {
                "summary": "DISK at 99% on machine prod-datapipe03.example.com",
                "timestamp": "2015-07-17T08:42:58.315+0000",
                "severity": "critical",
                "source": "prod-datapipe03.example.com",
                "component": "mysql",
                "group": "prod-datapipe",
                "class": "disk",
                "custom_details": {"free space": "1%", "ping time": "1500ms", "load avg": 0.75}
            },
            "routing_key": KEY,
            "dedup_key": "srv01/mysql",
            "event_action": "trigger",
            "client": "Sample Monitoring Service",
            "client_url": "https://monitoring.service.com",
            "links": [{"href": "http://pagerduty.example.com", "text": "An example link."}],
            "images": [{"src": "https://chart.example.com/c.png", "href": "https://example.com", "alt": "chart"}]
        });
        let PdEvent { routing_key, event } =
            parse_event(body.to_string().as_bytes(), never).unwrap();
        assert_eq!(routing_key, KEY);
        assert_eq!(event.action, AlertAction::Trigger);
        assert_eq!(event.dedup_key, "srv01/mysql");
        assert_eq!(event.alert_id, None);
        assert_eq!(
            event.summary.as_deref(),
            Some("DISK at 99% on machine prod-datapipe03.example.com")
        );
        assert_eq!(event.severity, Some(Severity::Critical));
        assert_eq!(event.source.as_deref(), Some("prod-datapipe03.example.com"));
        assert_eq!(event.component.as_deref(), Some("mysql"));
        assert_eq!(event.group.as_deref(), Some("prod-datapipe"));
        assert_eq!(event.class.as_deref(), Some("disk"));
        assert_eq!(event.occurred_at, Some(1_437_122_578_315));
        assert_eq!(event.details["load avg"], json!(0.75));
        assert_eq!(
            event.links,
            vec![Link {
                href: "http://pagerduty.example.com".into(),
                text: Some("An example link.".into())
            }]
        );
        assert_eq!(event.images.len(), 1);
        assert_eq!(event.images[0]["alt"], "chart");
        assert_eq!(event.client.as_deref(), Some("Sample Monitoring Service"));
        assert_eq!(
            event.client_url.as_deref(),
            Some("https://monitoring.service.com")
        );
        assert_eq!(event.group_key, None);
        assert_eq!(event.note, None);
    }

    #[test]
    fn a_minimal_trigger_gets_a_generated_key() {
        let event = parse(trigger()).unwrap().event;
        assert_eq!(event.dedup_key, "generated-key");
        assert_eq!(event.details, Value::Null);
        assert!(event.links.is_empty() && event.images.is_empty());
        assert_eq!(event.occurred_at, None);
        assert_eq!(event.component, None);

        let mut body = trigger();
        body["dedup_key"] = json!("");
        assert_eq!(parse(body).unwrap().event.dedup_key, "generated-key");
        let mut body = trigger();
        body["dedup_key"] = Value::Null;
        assert_eq!(parse(body).unwrap().event.dedup_key, "generated-key");
    }

    #[test]
    fn every_severity_is_accepted() {
        for s in Severity::ALL {
            let mut body = trigger();
            body["payload"]["severity"] = json!(s.as_str());
            assert_eq!(parse(body).unwrap().event.severity, Some(s));
        }
    }

    #[test]
    fn acknowledge_and_resolve_need_a_key_and_ignore_the_payload() {
        for (name, action) in [
            ("acknowledge", AlertAction::Acknowledge),
            ("resolve", AlertAction::Resolve),
        ] {
            let body = json!({
                "routing_key": KEY,
                "event_action": name,
                "dedup_key": "srv01/mysql",
                "payload": "not even an object",
            });
            let event = parse_event(body.to_string().as_bytes(), never)
                .unwrap()
                .event;
            assert_eq!(event, AlertEvent::new(action, "srv01/mysql"));

            let body = json!({"routing_key": KEY, "event_action": name});
            assert_eq!(
                errors(body),
                vec!["'dedup_key' is missing or blank (required for acknowledge and resolve)"]
            );
            let body = json!({"routing_key": KEY, "event_action": name, "dedup_key": ""});
            assert_eq!(errors(body).len(), 1);
        }
    }

    #[test]
    fn the_dedup_key_limit_is_255_characters() {
        let mut body = trigger();
        body["dedup_key"] = json!("k".repeat(255));
        assert_eq!(parse(body).unwrap().event.dedup_key.len(), 255);
        let mut body = trigger();
        body["dedup_key"] = json!("é".repeat(255));
        assert!(parse(body).is_ok());

        let mut body = trigger();
        body["dedup_key"] = json!("k".repeat(256));
        assert_eq!(
            errors(body),
            vec!["'dedup_key' is too long (must be at most 255 characters)"]
        );
        let body =
            json!({"routing_key": KEY, "event_action": "resolve", "dedup_key": "k".repeat(256)});
        assert_eq!(errors(body).len(), 1);
    }

    #[test]
    fn the_summary_limit_is_1024_characters() {
        let mut body = trigger();
        body["payload"]["summary"] = json!("s".repeat(1024));
        assert!(parse(body).is_ok());
        let mut body = trigger();
        body["payload"]["summary"] = json!("ü".repeat(1024));
        assert!(parse(body).is_ok());

        let mut body = trigger();
        body["payload"]["summary"] = json!("s".repeat(1025));
        assert_eq!(
            errors(body),
            vec!["'payload.summary' is too long (must be at most 1024 characters)"]
        );
    }

    #[test]
    fn the_routing_key_must_be_32_characters() {
        let mut body = trigger();
        body["routing_key"] = json!("samplekeyhere");
        assert_eq!(
            errors(body),
            vec!["Length of 'routing_key' is incorrect (should be 32 characters)"]
        );
        let mut body = trigger();
        body["routing_key"] = json!(format!("{KEY}0"));
        assert_eq!(errors(body).len(), 1);
        let mut body = trigger();
        body.as_object_mut().unwrap().remove("routing_key");
        assert_eq!(errors(body), vec!["'routing_key' is missing or blank"]);
        let mut body = trigger();
        body["routing_key"] = json!(12);
        assert_eq!(errors(body), vec!["'routing_key' must be a string"]);
    }

    #[test]
    fn the_event_action_must_be_known() {
        let mut body = trigger();
        body["event_action"] = json!("explode");
        assert_eq!(
            errors(body),
            vec!["'event_action' is invalid (must be one of trigger, acknowledge or resolve)"]
        );
        let mut body = trigger();
        body["event_action"] = json!("TRIGGER");
        assert_eq!(errors(body).len(), 1);
        let mut body = trigger();
        body.as_object_mut().unwrap().remove("event_action");
        assert_eq!(errors(body), vec!["'event_action' is missing or blank"]);
        let mut body = trigger();
        body["event_action"] = json!(["trigger"]);
        assert_eq!(errors(body), vec!["'event_action' must be a string"]);
    }

    #[test]
    fn a_trigger_needs_its_payload() {
        let body = json!({"routing_key": KEY, "event_action": "trigger"});
        assert_eq!(
            errors(body),
            vec!["'payload' is missing (required for trigger)"]
        );
        let body = json!({"routing_key": KEY, "event_action": "trigger", "payload": [1]});
        assert_eq!(errors(body), vec!["'payload' must be an object"]);
        let body = json!({"routing_key": KEY, "event_action": "trigger", "payload": {}});
        assert_eq!(
            errors(body),
            vec![
                "'payload.summary' is missing or blank",
                "'payload.source' is missing or blank",
                "'payload.severity' is missing or blank",
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let body = json!({
            "routing_key": "short",
            "event_action": "trigger",
            "dedup_key": "k".repeat(300),
            "client": 5,
            "client_url": false,
            "links": [{"text": "no href"}, "nope"],
            "images": [1],
            "payload": {
                "summary": "   ",
                "source": 7,
                "severity": "fatal",
                "timestamp": "last tuesday",
                "component": 1,
                "group": [],
                "class": {},
            }
        });
        let errors = errors(body);
        assert_eq!(
            errors,
            vec![
                "Length of 'routing_key' is incorrect (should be 32 characters)",
                "'dedup_key' is too long (must be at most 255 characters)",
                "'links[0].href' is missing or blank",
                "'links[1]' must be an object",
                "'images[0]' must be an object",
                "'client' must be a string",
                "'client_url' must be a string",
                "'payload.summary' is missing or blank",
                "'payload.source' must be a string",
                "'payload.severity' is invalid (must be one of critical, error, warning or info)",
                "'payload.timestamp' is invalid (must be an ISO 8601 date-time)",
                "'payload.component' must be a string",
                "'payload.group' must be a string",
                "'payload.class' must be a string",
            ]
        );
    }

    #[test]
    fn wrong_types_for_context_fields_name_the_field() {
        let mut body = trigger();
        body["links"] = json!({"href": "x"});
        assert_eq!(errors(body), vec!["'links' must be an array"]);
        let mut body = trigger();
        body["images"] = json!("x");
        assert_eq!(errors(body), vec!["'images' must be an array"]);
        let mut body = trigger();
        body["links"] = json!([{"href": "https://x", "text": 3}]);
        assert_eq!(errors(body), vec!["'links[0].text' must be a string"]);
        let mut body = trigger();
        body["dedup_key"] = json!(42);
        assert_eq!(errors(body), vec!["'dedup_key' must be a string"]);
    }

    #[test]
    fn custom_details_may_be_any_json() {
        for details in [
            json!("just text"),
            json!([1, 2]),
            json!(3),
            json!({"a": {"b": 1}}),
        ] {
            let mut body = trigger();
            body["payload"]["custom_details"] = details.clone();
            assert_eq!(parse(body).unwrap().event.details, details);
        }
    }

    #[test]
    fn bodies_that_are_not_objects_are_refused() {
        let e = parse_event(b"not json", never).unwrap_err();
        assert_eq!(e.errors.len(), 1);
        assert!(e.errors[0].starts_with("Event object is not valid JSON"));
        let e = parse_event(b"[1,2]", never).unwrap_err();
        assert_eq!(e.errors, vec!["Event object must be a JSON object"]);
        let e = parse_event(b"", never).unwrap_err();
        assert_eq!(e.errors.len(), 1);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let mut body = trigger();
        body["service_key"] = json!("legacy");
        body["payload"]["extra"] = json!(1);
        assert!(parse(body).is_ok());
    }

    #[test]
    fn change_events_are_read() {
        let body = json!({
            "routing_key": KEY,
            "payload": {
                "summary": "Build Success: Increase snapshot create timeout to 30 seconds",
                "timestamp": "2020-07-17T08:42:58.315+0000",
                "source": "acme-build-pipeline-tool-default-i-9999",
                "custom_details": {"build_state": "passed", "build_number": "2"}
            },
            "links": [{"href": "https://acme.pagerduty.dev/build/2", "text": "View more details in Acme!"}]
        });
        let (key, change) = parse_change(body.to_string().as_bytes()).unwrap();
        assert_eq!(key, KEY);
        assert_eq!(
            change.summary,
            "Build Success: Increase snapshot create timeout to 30 seconds"
        );
        assert_eq!(
            change.source.as_deref(),
            Some("acme-build-pipeline-tool-default-i-9999")
        );
        assert_eq!(change.occurred_at, Some(1_594_975_378_315));
        assert_eq!(change.details["build_state"], "passed");
        assert_eq!(change.links.len(), 1);

        let body = json!({"routing_key": KEY, "payload": {"summary": "deployed"}});
        let (_, change) = parse_change(body.to_string().as_bytes()).unwrap();
        assert_eq!(change.source, None);
        assert_eq!(change.occurred_at, None);
        assert_eq!(change.details, Value::Null);
        assert!(change.links.is_empty());
    }

    #[test]
    fn invalid_change_events_name_every_problem() {
        let errs = |v: Value| parse_change(v.to_string().as_bytes()).unwrap_err().errors;
        assert_eq!(
            errs(json!({})),
            vec!["'routing_key' is missing or blank", "'payload' is missing"]
        );
        assert_eq!(
            errs(json!({"routing_key": KEY, "links": [{}]})),
            vec![
                "'links[0].href' is missing or blank",
                "'payload' is missing"
            ]
        );
        assert_eq!(
            errs(json!({"routing_key": KEY, "payload": 1})),
            vec!["'payload' must be an object"]
        );
        assert_eq!(
            errs(json!({"routing_key": KEY, "payload": {
                "summary": "s".repeat(1025),
                "source": 1,
                "timestamp": "soon",
            }, "links": 1})),
            vec![
                "'links' must be an array",
                "'payload.summary' is too long (must be at most 1024 characters)",
                "'payload.source' must be a string",
                "'payload.timestamp' is invalid (must be an ISO 8601 date-time)",
            ]
        );
        let at_limit = json!({"routing_key": KEY, "payload": {"summary": "s".repeat(1024)}});
        assert!(parse_change(at_limit.to_string().as_bytes()).is_ok());
        assert_eq!(
            parse_change(b"{").unwrap_err().errors.len(),
            1,
            "broken JSON is one error"
        );
    }

    #[test]
    fn alertmanagers_pagerduty_messages_are_accepted() {
        // The shape Alertmanager's pagerduty_configs sends: a hashed group key as dedup key,
        // empty image and link lists, and a payload even on resolve.
        let dedup = crate::alertmanager::pagerduty_dedup_key("{}:{alertname=\"HighCPU\"}");
        let mut body = json!({
            "routing_key": KEY,
            "dedup_key": dedup,
            "event_action": "trigger",
            "payload": {
                "summary": "[FIRING:1] HighCPU",
                "source": "Alertmanager",
                "severity": "error",
                "custom_details": {"firing": "Labels: alertname = HighCPU", "num_firing": "1"}
            },
            "client": "Alertmanager",
            "client_url": "http://alertmanager:9093/#/alerts?receiver=mayday",
            "images": [],
            "links": []
        });
        let event = parse_event(body.to_string().as_bytes(), never)
            .unwrap()
            .event;
        assert_eq!(event.dedup_key, dedup);
        assert_eq!(event.severity, Some(Severity::Error));
        body["event_action"] = json!("resolve");
        let event = parse_event(body.to_string().as_bytes(), never)
            .unwrap()
            .event;
        assert_eq!(event, AlertEvent::new(AlertAction::Resolve, dedup));
    }

    #[test]
    fn answers_have_pagerdutys_shapes() {
        assert_eq!(
            accepted("srv01/HTTP"),
            json!({"status": "success", "message": "Event processed", "dedup_key": "srv01/HTTP"})
        );
        assert_eq!(
            change_accepted(),
            json!({"status": "success", "message": "Change event processed"})
        );
        let errs =
            vec!["Length of 'routing_key' is incorrect (should be 32 characters)".to_owned()];
        assert_eq!(
            invalid(&errs),
            json!({
                "status": "invalid event",
                "message": "Event object is invalid",
                "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"],
            })
        );
        let t = throttled();
        assert!(t["status"].is_string() && t["message"].is_string());
        let unknown = unknown_routing_key();
        assert_eq!(unknown.len(), 1);
        assert!(unknown[0].contains("'routing_key'"));
        assert_eq!(invalid(&unknown)["errors"][0], json!(unknown[0]));
    }
}
