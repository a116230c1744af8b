//! The Opsgenie Alert API, as far as monitoring tools use it: create an alert
//! (`POST /v2/alerts`), acknowledge it (`POST /v2/alerts/{identifier}/acknowledge`) and close it
//! (`POST /v2/alerts/{identifier}/close`), with Opsgenie's answers, so tools configured for
//! Opsgenie (Alertmanager's `opsgenie_configs`, Grafana, Zabbix, ...) can page Mayday.
//!
//! The limits are Opsgenie's: `message` is required and at most 130 characters, `alias` at most
//! 512 and `description` 15000, or the request is refused; `entity` (512), `source` and `user`
//! (100) and `note` (25000) are cut to their limits instead, because senders fill them from
//! templates without measuring (Alertmanager's default `source` is the generator URL, often
//! longer than 100 characters, and it sends it on close too). `priority` is `P1`..`P5` (P3 when
//! absent). The alias is the dedup key; since Mayday's keys are at most 255
//! characters, a longer alias becomes `sha256:` + its hex digest, the same on create and on
//! acknowledge or close, so it keeps naming the same alert. Everything Opsgenie would show on the
//! alert (description, details, tags, entity, actions, responders, visibleTo, user) is kept in
//! the event's details under Opsgenie's own names. Errors come as (field, message) pairs for
//! Opsgenie's 422 answer; a JSON `null` counts as absent.

use mayday_core::alert::{AlertAction, AlertEvent, Severity};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::util::{char_len, fit_dedup_key, truncate_chars};

const MAX_MESSAGE: usize = 130;
const MAX_ALIAS: usize = 512;
const MAX_DESCRIPTION: usize = 15_000;
const MAX_ENTITY: usize = 512;
const MAX_SOURCE: usize = 100;
const MAX_USER: usize = 100;
const MAX_NOTE: usize = 25_000;

/// Why a request was refused: (field, message) pairs, one per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OgInvalid {
    pub errors: Vec<(String, String)>,
}

impl OgInvalid {
    fn one(field: &str, message: impl Into<String>) -> Self {
        Self {
            errors: vec![(field.to_owned(), message.into())],
        }
    }
}

/// Reads a create-alert request. `new_dedup_key` is called only for a valid request that
/// brought no alias (or an empty one).
pub fn parse_create(
    body: &[u8],
    new_dedup_key: impl FnOnce() -> String,
) -> Result<AlertEvent, OgInvalid> {
    let root = parse_object(body)?;
    let mut c = Checker::default();

    let message = match root.get("message") {
        None | Some(Value::Null) => {
            c.error("message", "Message can not be empty.");
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            c.error("message", "Message can not be empty.");
            None
        }
        Some(Value::String(s)) => {
            if char_len(s) > MAX_MESSAGE {
                c.too_long("message", "Message", MAX_MESSAGE);
            }
            Some(s.as_str())
        }
        Some(_) => {
            c.error("message", "Message must be a string.");
            None
        }
    };
    let alias = c
        .string(&root, "alias", "Alias", MAX_ALIAS)
        .filter(|a| !a.is_empty());
    let description = c.string(&root, "description", "Description", MAX_DESCRIPTION);
    let entity = c.cut_string(&root, "entity", "Entity", MAX_ENTITY);
    let source = c.cut_string(&root, "source", "Source", MAX_SOURCE);
    let user = c.cut_string(&root, "user", "User", MAX_USER);
    let note = c.cut_string(&root, "note", "Note", MAX_NOTE);
    let severity = match root.get("priority") {
        None | Some(Value::Null) => Some(Severity::Warning),
        Some(Value::String(p)) => {
            let severity = priority_severity(p);
            if severity.is_none() {
                c.error(
                    "priority",
                    "Priority should be one of P1, P2, P3, P4 or P5.",
                );
            }
            severity
        }
        Some(_) => {
            c.error("priority", "Priority must be a string.");
            None
        }
    };
    c.string_map(&root, "details");
    c.string_list(&root, "tags");
    c.string_list(&root, "actions");
    c.list(&root, "responders");
    c.list(&root, "visibleTo");

    let (Some(message), Some(severity), true) = (message, severity, c.errors.is_empty()) else {
        return Err(OgInvalid { errors: c.errors });
    };

    let mut details = Map::new();
    if let Some(description) = description {
        details.insert("description".into(), Value::String(description.to_owned()));
    }
    for key in ["details", "tags"] {
        if let Some(value) = root.get(key).filter(|v| !v.is_null()) {
            details.insert(key.into(), value.clone());
        }
    }
    if let Some(entity) = entity {
        details.insert("entity".into(), Value::String(entity.to_owned()));
    }
    for key in ["actions", "responders", "visibleTo"] {
        if let Some(value) = root.get(key).filter(|v| !v.is_null()) {
            details.insert(key.into(), value.clone());
        }
    }
    if let Some(user) = user {
        details.insert("user".into(), Value::String(user.to_owned()));
    }

    let dedup_key = match alias {
        Some(alias) => fit_dedup_key(alias),
        None => new_dedup_key(),
    };
    let mut event = AlertEvent::new(AlertAction::Trigger, dedup_key);
    event.summary = Some(message.to_owned());
    event.severity = Some(severity);
    event.source = non_empty(source);
    event.component = non_empty(entity);
    event.note = non_empty(note);
    if !details.is_empty() {
        event.details = Value::Object(details);
    }
    Ok(event)
}

/// Reads an acknowledge (`AlertAction::Acknowledge`) or close (`AlertAction::Resolve`) request
/// for the alert named by the path's `identifier` and the `identifierType` query parameter.
///
/// `id` (Opsgenie's default when the parameter is absent) names the alert by its id: a UUID
/// becomes `alert_id` with an empty dedup key; anything else is read as an alias, so clients
/// that pass an alias without saying so still reach their alert. `alias` names it by alias,
/// hashed past 255 characters as on create. `tiny` ids are not supported. The body may be empty;
/// it may carry `user`, `source` and `note`.
pub fn parse_action(
    identifier: &str,
    identifier_type: Option<&str>,
    action: AlertAction,
    body: &[u8],
) -> Result<AlertEvent, OgInvalid> {
    let mut c = Checker::default();
    if action == AlertAction::Trigger {
        c.error(
            "action",
            "Only acknowledge and close can be applied to an existing alert.",
        );
    }

    let by_alias = |c: &mut Checker| {
        if char_len(identifier) > MAX_ALIAS {
            c.too_long("identifier", "Alias", MAX_ALIAS);
        }
        (fit_dedup_key(identifier), None)
    };
    let (dedup_key, alert_id) = if identifier.trim().is_empty() {
        c.error("identifier", "Identifier can not be empty.");
        (String::new(), None)
    } else {
        match identifier_type
            .map(|t| t.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("") | Some("id") => match Uuid::parse_str(identifier) {
                Ok(id) => (String::new(), Some(id)),
                Err(_) => by_alias(&mut c),
            },
            Some("alias") => by_alias(&mut c),
            Some("tiny") => {
                c.error(
                    "identifierType",
                    "Tiny ids are not supported; use identifierType id or alias.",
                );
                (String::new(), None)
            }
            Some(_) => {
                c.error(
                    "identifierType",
                    "Identifier type should be one of id, alias or tiny.",
                );
                (String::new(), None)
            }
        }
    };

    let root = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match parse_object(body) {
            Ok(root) => root,
            Err(e) => {
                c.errors.extend(e.errors);
                Map::new()
            }
        }
    };
    let user = c.cut_string(&root, "user", "User", MAX_USER);
    let source = c.cut_string(&root, "source", "Source", MAX_SOURCE);
    let note = c.cut_string(&root, "note", "Note", MAX_NOTE);

    if !c.errors.is_empty() {
        return Err(OgInvalid { errors: c.errors });
    }
    let mut event = AlertEvent::new(action, dedup_key);
    event.alert_id = alert_id;
    event.source = non_empty(source);
    event.note = non_empty(note);
    if let Some(user) = non_empty(user) {
        event.details = json!({ "user": user });
    }
    Ok(event)
}

/// The 202 answer to an accepted request.
pub fn accepted(request_id: &str, took_seconds: f64) -> Value {
    json!({
        "result": "Request will be processed",
        "took": took_seconds,
        "requestId": request_id,
    })
}

/// The 422 answer to a request with semantic errors: each field with its message (messages
/// for the same field are joined).
pub fn invalid(errors: &[(String, String)], request_id: &str) -> Value {
    let mut by_field = Map::new();
    for (field, message) in errors {
        match by_field.get_mut(field) {
            Some(Value::String(existing)) => {
                existing.push(' ');
                existing.push_str(message);
            }
            _ => {
                by_field.insert(field.clone(), Value::String(message.clone()));
            }
        }
    }
    json!({
        "message": "Request body is not processable. Please check the errors.",
        "errors": by_field,
        "took": 0.0,
        "requestId": request_id,
    })
}

/// The 401 answer to a missing, unknown or disabled `GenieKey`.
pub fn unauthorized(request_id: &str) -> Value {
    json!({
        "message": "Could not authenticate",
        "took": 0.0,
        "requestId": request_id,
    })
}

/// P1 critical, P2 error, P3 warning, P4 and P5 info.
fn priority_severity(priority: &str) -> Option<Severity> {
    match priority.trim().to_ascii_uppercase().as_str() {
        "P1" => Some(Severity::Critical),
        "P2" => Some(Severity::Error),
        "P3" => Some(Severity::Warning),
        "P4" | "P5" => Some(Severity::Info),
        _ => None,
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(str::to_owned)
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, OgInvalid> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(OgInvalid::one(
            "body",
            "Request body must be a JSON object.",
        )),
        Err(e) => Err(OgInvalid::one(
            "body",
            format!("Request body is not valid JSON ({e})."),
        )),
    }
}

/// Collects every problem while reading the fields.
#[derive(Default)]
struct Checker {
    errors: Vec<(String, String)>,
}

impl Checker {
    fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push((field.to_owned(), message.into()));
    }

    fn too_long(&mut self, field: &str, label: &str, max: usize) {
        self.error(
            field,
            format!("{label} can not be longer than {max} characters."),
        );
    }

    /// An optional string of at most `max` characters.
    fn string<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        field: &str,
        label: &str,
        max: usize,
    ) -> Option<&'a str> {
        match obj.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                if char_len(s) > max {
                    self.too_long(field, label, max);
                    return None;
                }
                Some(s)
            }
            Some(_) => {
                self.error(field, format!("{label} must be a string."));
                None
            }
        }
    }

    /// An optional string, cut to `max` characters: for the fields senders fill from templates
    /// without measuring them (Alertmanager puts the generator URL in `source`).
    fn cut_string<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        field: &str,
        label: &str,
        max: usize,
    ) -> Option<&'a str> {
        match obj.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(truncate_chars(s, max)),
            Some(_) => {
                self.error(field, format!("{label} must be a string."));
                None
            }
        }
    }

    /// An optional object whose values are all strings.
    fn string_map(&mut self, obj: &Map<String, Value>, field: &str) {
        match obj.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                if let Some((key, _)) = map.iter().find(|(_, v)| !v.is_string()) {
                    self.error(
                        field,
                        format!("Details must map keys to strings; {key:?} is not a string."),
                    );
                }
            }
            Some(_) => self.error(field, "Details must be an object of string values."),
        }
    }

    /// An optional array of strings.
    fn string_list(&mut self, obj: &Map<String, Value>, field: &str) {
        match obj.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
            Some(_) => self.error(field, format!("{field} must be an array of strings.")),
        }
    }

    /// An optional array, kept as sent.
    fn list(&mut self, obj: &Map<String, Value>, field: &str) {
        match obj.get(field) {
            None | Some(Value::Null) | Some(Value::Array(_)) => {}
            Some(_) => self.error(field, format!("{field} must be an array.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::sha256_hex;

    fn generated() -> String {
        "generated-key".to_owned()
    }

    fn never() -> String {
        panic!("no key should be generated")
    }

    fn create(v: Value) -> Result<AlertEvent, OgInvalid> {
        parse_create(v.to_string().as_bytes(), generated)
    }

    fn create_errors(v: Value) -> Vec<(String, String)> {
        create(v).expect_err("should be invalid").errors
    }

    fn fields(errors: &[(String, String)]) -> Vec<&str> {
        errors.iter().map(|(f, _)| f.as_str()).collect()
    }

    #[test]
    fn a_full_create_request_is_read() {
        let body = json!({
            "message": "An example alert message",
            "alias": "Life is too short for no alias",
            "description": "Every alert needs a description",
            "responders": [
                {"id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c", "type": "team"},
                {"name": "NOC", "type": "team"}
            ],
            "visibleTo": [{"name": "rocket_team", "type": "team"}],
            "actions": ["Restart", "AnExampleAction"],
            "tags": ["OverwriteQuietHours", "Critical"],
            "details": {"key1": "value1", "key2": "value2"},
            "entity": "An example entity",
            "source": "prometheus",
            "priority": "P1",
            "user": "Monitoring Script",
            "note": "Alert created",
            "unknownField": {"ignored": true}
        });
        let event = parse_create(body.to_string().as_bytes(), never).unwrap();
        assert_eq!(event.action, AlertAction::Trigger);
        assert_eq!(event.dedup_key, "Life is too short for no alias");
        assert_eq!(event.alert_id, None);
        assert_eq!(event.summary.as_deref(), Some("An example alert message"));
        assert_eq!(event.severity, Some(Severity::Critical));
        assert_eq!(event.source.as_deref(), Some("prometheus"));
        assert_eq!(event.component.as_deref(), Some("An example entity"));
        assert_eq!(event.note.as_deref(), Some("Alert created"));
        assert_eq!(
            event.details,
            json!({
                "description": "Every alert needs a description",
                "details": {"key1": "value1", "key2": "value2"},
                "tags": ["OverwriteQuietHours", "Critical"],
                "entity": "An example entity",
                "actions": ["Restart", "AnExampleAction"],
                "responders": [
                    {"id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c", "type": "team"},
                    {"name": "NOC", "type": "team"}
                ],
                "visibleTo": [{"name": "rocket_team", "type": "team"}],
                "user": "Monitoring Script",
            })
        );
    }

    #[test]
    fn a_bare_message_is_a_p3_with_a_generated_key() {
        let event = create(json!({"message": "disk full"})).unwrap();
        assert_eq!(event.dedup_key, "generated-key");
        assert_eq!(event.severity, Some(Severity::Warning));
        assert_eq!(event.details, Value::Null);
        assert_eq!(event.source, None);
        assert_eq!(event.component, None);
        assert_eq!(event.note, None);
        let event = create(json!({"message": "disk full", "alias": ""})).unwrap();
        assert_eq!(event.dedup_key, "generated-key");
        let event = create(json!({"message": "disk full", "alias": null})).unwrap();
        assert_eq!(event.dedup_key, "generated-key");
    }

    #[test]
    fn priorities_map_to_severities() {
        for (p, s) in [
            ("P1", Severity::Critical),
            ("P2", Severity::Error),
            ("P3", Severity::Warning),
            ("P4", Severity::Info),
            ("P5", Severity::Info),
            ("p2", Severity::Error),
        ] {
            let event = create(json!({"message": "m", "priority": p})).unwrap();
            assert_eq!(event.severity, Some(s), "{p}");
        }
        let errors = create_errors(json!({"message": "m", "priority": "P6"}));
        assert_eq!(fields(&errors), vec!["priority"]);
        let errors = create_errors(json!({"message": "m", "priority": 1}));
        assert_eq!(fields(&errors), vec!["priority"]);
    }

    #[test]
    fn the_message_is_required_and_at_most_130_characters() {
        assert!(create(json!({"message": "m".repeat(130)})).is_ok());
        assert!(create(json!({"message": "ß".repeat(130)})).is_ok());
        assert_eq!(
            create_errors(json!({"message": "m".repeat(131)})),
            vec![(
                "message".to_owned(),
                "Message can not be longer than 130 characters.".to_owned()
            )]
        );
        for body in [json!({}), json!({"message": ""}), json!({"message": "  "})] {
            assert_eq!(
                create_errors(body),
                vec![("message".to_owned(), "Message can not be empty.".to_owned())]
            );
        }
        assert_eq!(
            fields(&create_errors(json!({"message": 5}))),
            vec!["message"]
        );
    }

    #[test]
    fn long_aliases_are_hashed_to_fit_a_dedup_key() {
        let at = "a".repeat(255);
        assert_eq!(
            create(json!({"message": "m", "alias": at}))
                .unwrap()
                .dedup_key,
            at
        );
        let over = "a".repeat(256);
        let key = create(json!({"message": "m", "alias": over}))
            .unwrap()
            .dedup_key;
        assert_eq!(key, format!("sha256:{}", sha256_hex(&over)));
        let max = "a".repeat(512);
        assert!(create(json!({"message": "m", "alias": max})).is_ok());
        assert_eq!(
            create_errors(json!({"message": "m", "alias": "a".repeat(513)})),
            vec![(
                "alias".to_owned(),
                "Alias can not be longer than 512 characters.".to_owned()
            )]
        );
    }

    #[test]
    fn the_other_limits_are_opsgenies() {
        let at_limits = json!({
            "message": "m",
            "description": "d".repeat(15_000),
            "entity": "e".repeat(512),
            "source": "s".repeat(100),
            "user": "u".repeat(100),
            "note": "n".repeat(25_000),
        });
        let event = create(at_limits).unwrap();
        assert_eq!(event.details["description"].as_str().unwrap().len(), 15_000);
        assert_eq!(
            fields(&create_errors(
                json!({"message": "m", "description": "d".repeat(15_001)})
            )),
            vec!["description"]
        );

        // Fields filled from unmeasured templates are cut, not refused.
        let over = json!({
            "message": "m",
            "entity": "é".repeat(513),
            "source": format!("http://prometheus:9090/graph?g0.expr={}", "x".repeat(200)),
            "user": "u".repeat(101),
            "note": "n".repeat(25_001),
        });
        let event = create(over).unwrap();
        assert_eq!(event.component.as_deref(), Some("é".repeat(512).as_str()));
        assert_eq!(event.details["entity"], json!("é".repeat(512)));
        assert_eq!(event.source.as_deref().unwrap().chars().count(), 100);
        assert!(
            event
                .source
                .unwrap()
                .starts_with("http://prometheus:9090/graph")
        );
        assert_eq!(event.details["user"], json!("u".repeat(100)));
        assert_eq!(event.note.unwrap().len(), 25_000);
    }

    #[test]
    fn wrong_types_name_their_field_and_all_are_reported() {
        let body = json!({
            "message": ["no"],
            "alias": 1,
            "description": {},
            "details": {"ok": "yes", "count": 3},
            "tags": ["a", 1],
            "actions": "Restart",
            "responders": {"name": "NOC"},
            "visibleTo": "everyone",
            "entity": true,
            "source": 2,
            "priority": "urgent",
            "user": [],
            "note": 4,
        });
        let errors = create_errors(body);
        assert_eq!(
            fields(&errors),
            vec![
                "message",
                "alias",
                "description",
                "entity",
                "source",
                "user",
                "note",
                "priority",
                "details",
                "tags",
                "actions",
                "responders",
                "visibleTo",
            ]
        );
        assert_eq!(
            fields(&create_errors(json!({"message": "m", "details": "k=v"}))),
            vec!["details"]
        );
    }

    #[test]
    fn broken_bodies_are_refused() {
        let e = parse_create(b"{", never).unwrap_err();
        assert_eq!(fields(&e.errors), vec!["body"]);
        let e = parse_create(b"\"message\"", never).unwrap_err();
        assert_eq!(fields(&e.errors), vec!["body"]);
        let e = parse_create(b"", never).unwrap_err();
        assert_eq!(fields(&e.errors), vec!["body"]);
    }

    #[test]
    fn an_id_that_is_a_uuid_names_the_alert() {
        let id = Uuid::parse_str("8743a1b2-11da-480e-8493-744660987bef").unwrap();
        for t in [None, Some("id"), Some("ID"), Some("")] {
            let event = parse_action(&id.to_string(), t, AlertAction::Acknowledge, b"").unwrap();
            assert_eq!(event.action, AlertAction::Acknowledge);
            assert_eq!(event.alert_id, Some(id));
            assert_eq!(event.dedup_key, "");
        }
    }

    #[test]
    fn an_id_that_is_not_a_uuid_is_read_as_an_alias() {
        let event = parse_action("db-disk-full", None, AlertAction::Resolve, b"").unwrap();
        assert_eq!(event.action, AlertAction::Resolve);
        assert_eq!(event.alert_id, None);
        assert_eq!(event.dedup_key, "db-disk-full");
        let event = parse_action("db-disk-full", Some("id"), AlertAction::Resolve, b"").unwrap();
        assert_eq!(event.dedup_key, "db-disk-full");
    }

    #[test]
    fn aliases_name_the_alert_with_the_same_hashing_as_create() {
        let uuid_text = "8743a1b2-11da-480e-8493-744660987bef";
        let event = parse_action(uuid_text, Some("alias"), AlertAction::Resolve, b"").unwrap();
        assert_eq!(
            event.alert_id, None,
            "an alias that looks like a UUID is an alias"
        );
        assert_eq!(event.dedup_key, uuid_text);

        let long = "x".repeat(300);
        let created = create(json!({"message": "m", "alias": long})).unwrap();
        let closed = parse_action(&long, Some("alias"), AlertAction::Resolve, b"").unwrap();
        assert_eq!(created.dedup_key, closed.dedup_key);
        let acked = parse_action(&long, None, AlertAction::Acknowledge, b"").unwrap();
        assert_eq!(created.dedup_key, acked.dedup_key);

        let errors = parse_action(&"x".repeat(513), Some("alias"), AlertAction::Resolve, b"")
            .unwrap_err()
            .errors;
        assert_eq!(fields(&errors), vec!["identifier"]);
    }

    #[test]
    fn tiny_ids_and_unknown_types_are_refused() {
        let errors = parse_action("1791", Some("tiny"), AlertAction::Acknowledge, b"")
            .unwrap_err()
            .errors;
        assert_eq!(fields(&errors), vec!["identifierType"]);
        let errors = parse_action("1791", Some("name"), AlertAction::Acknowledge, b"")
            .unwrap_err()
            .errors;
        assert_eq!(fields(&errors), vec!["identifierType"]);
        let errors = parse_action(" ", None, AlertAction::Acknowledge, b"")
            .unwrap_err()
            .errors;
        assert_eq!(fields(&errors), vec!["identifier"]);
        let errors = parse_action("a", None, AlertAction::Trigger, b"")
            .unwrap_err()
            .errors;
        assert_eq!(fields(&errors), vec!["action"]);
    }

    #[test]
    fn action_bodies_carry_user_source_and_note() {
        let body = json!({"user": "Monitoring Script", "source": "AWS Lambda", "note": "Action executed via Alert API", "extra": 1});
        let event = parse_action(
            "db-disk-full",
            Some("alias"),
            AlertAction::Acknowledge,
            body.to_string().as_bytes(),
        )
        .unwrap();
        assert_eq!(event.note.as_deref(), Some("Action executed via Alert API"));
        assert_eq!(event.source.as_deref(), Some("AWS Lambda"));
        assert_eq!(event.details, json!({"user": "Monitoring Script"}));

        let event = parse_action("a", None, AlertAction::Resolve, b"  \n").unwrap();
        assert_eq!(event, AlertEvent::new(AlertAction::Resolve, "a"));
        let event = parse_action("a", None, AlertAction::Resolve, b"{}").unwrap();
        assert_eq!(event, AlertEvent::new(AlertAction::Resolve, "a"));

        let errors = parse_action(
            "a",
            None,
            AlertAction::Resolve,
            b"{\"note\": 1, \"user\": 2}",
        )
        .unwrap_err()
        .errors;
        assert_eq!(fields(&errors), vec!["user", "note"]);
        let errors = parse_action("a", None, AlertAction::Resolve, b"nope")
            .unwrap_err()
            .errors;
        assert_eq!(fields(&errors), vec!["body"]);
        // Alertmanager closes with its generator URL as the source: cut, not refused.
        let body = json!({"source": "s".repeat(300), "note": "n".repeat(25_001)}).to_string();
        let event =
            parse_action("a", Some("alias"), AlertAction::Resolve, body.as_bytes()).unwrap();
        assert_eq!(event.source.unwrap().len(), 100);
        assert_eq!(event.note.unwrap().len(), 25_000);
    }

    #[test]
    fn alertmanagers_opsgenie_requests_work() {
        // Alertmanager's opsgenie_configs: the alias is the hashed group key; it closes by
        // alias with its (long) source in the body.
        let alias = crate::alertmanager::pagerduty_dedup_key("{}:{alertname=\"HighCPU\"}");
        let source = format!(
            "http://prometheus:9090/graph?g0.expr={}&g0.tab=1",
            "x".repeat(120)
        );
        let body = json!({
            "alias": alias,
            "message": "[FIRING:1] HighCPU",
            "description": "Alerts Firing:\nLabels:\n - alertname = HighCPU\n",
            "details": {"alertname": "HighCPU", "job": "node"},
            "source": source,
            "tags": ["node"],
            "priority": "P2"
        });
        let created = parse_create(body.to_string().as_bytes(), never).unwrap();
        assert_eq!(created.dedup_key, alias);
        assert_eq!(created.severity, Some(Severity::Error));
        let close = json!({"source": source}).to_string();
        let closed = parse_action(
            &alias,
            Some("alias"),
            AlertAction::Resolve,
            close.as_bytes(),
        )
        .unwrap();
        assert_eq!(closed.dedup_key, created.dedup_key);
        assert_eq!(closed.alert_id, None);
    }

    #[test]
    fn answers_have_opsgenies_shapes() {
        assert_eq!(
            accepted("43a29c5c-3dbf-4fa4-9c26-f4f71023e120", 0.302),
            json!({
                "result": "Request will be processed",
                "took": 0.302,
                "requestId": "43a29c5c-3dbf-4fa4-9c26-f4f71023e120",
            })
        );
        let errors = vec![
            ("message".to_owned(), "Message can not be empty.".to_owned()),
            ("priority".to_owned(), "Bad.".to_owned()),
            ("priority".to_owned(), "Worse.".to_owned()),
        ];
        assert_eq!(
            invalid(&errors, "r-1"),
            json!({
                "message": "Request body is not processable. Please check the errors.",
                "errors": {"message": "Message can not be empty.", "priority": "Bad. Worse."},
                "took": 0.0,
                "requestId": "r-1",
            })
        );
        assert_eq!(
            unauthorized("r-2"),
            json!({"message": "Could not authenticate", "took": 0.0, "requestId": "r-2"})
        );
    }
}
