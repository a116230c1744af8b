//! Message templates: a subject and a plain-text body with `{{variable}}` placeholders, one
//! template per event, with built-in defaults.
//!
//! Syntax, kept deliberately small:
//! - `{{name}}` is replaced with the variable's value; spaces inside the braces are allowed
//!   (`{{ incident.title }}`). The names are [`VARIABLES`].
//! - Everything else is literal text, single braces included (`{x}` stays `{x}`). There is no
//!   escaping, no conditionals, no filters: a literal `{{` cannot be written.
//! - [`render`] is lenient (an unknown or empty name renders as nothing, an unclosed `{{` and a
//!   stray `}}` stay as they are); [`check_template`] is strict and is what saving a template
//!   goes through.
//!
//! Values are inserted as they are: templates produce plain text, and each channel escapes the
//! finished text for its own format.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The events a message can tell of, in the order of an incident's life.
pub const EVENTS: [&str; 7] = [
    "triggered",
    "escalated",
    "acknowledged",
    "resolved",
    "commented",
    "sla_warning",
    "sla_breached",
];

/// The variables a template may use.
///
/// - `incident.number`: the incident's number, `INC-000123`.
/// - `incident.title`, `incident.status`, `incident.priority` (`P1`..`P5`),
///   `incident.service`, `incident.description`, `incident.assignee` (a display name),
///   `incident.url` (the incident's page).
/// - `event`: one of [`EVENTS`].
/// - `actor`: who caused the event (a person's display name or an integration's name).
/// - `level`: the escalation level paged, 1-based.
/// - `comment`: the comment's text, for `commented`; what the SLA clock says, for
///   `sla_warning` and `sla_breached`.
/// - `ack_url`, `resolve_url`: the recipient's one-click action links, when the message has them.
/// - `recipient`: the display name of the person the message goes to.
pub const VARIABLES: &[&str] = &[
    "incident.number",
    "incident.title",
    "incident.status",
    "incident.priority",
    "incident.service",
    "incident.description",
    "incident.assignee",
    "incident.url",
    "event",
    "actor",
    "level",
    "comment",
    "ack_url",
    "resolve_url",
    "recipient",
];

/// The subject and body a message is rendered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTemplate {
    pub subject: String,
    pub body: String,
}

const DETAILS: &str = "Title: {{incident.title}}\n\
Service: {{incident.service}}\n\
Priority: {{incident.priority}}\n\
Status: {{incident.status}}\n\
Assignee: {{incident.assignee}}";

/// The built-in template for `event` (one of [`EVENTS`]; any other event gets a generic one).
/// The action and incident links are not in the body: they travel as the message's links
/// (email lists them under the text, chat channels show buttons).
pub fn default_template(event: &str) -> MessageTemplate {
    let (subject, intro) = match event {
        "triggered" => (
            "[{{incident.priority}}] {{incident.number}} triggered: {{incident.title}}",
            "{{incident.number}} was triggered and needs someone to acknowledge it.",
        ),
        "escalated" => (
            "[{{incident.priority}}] {{incident.number}} escalated to level {{level}}: {{incident.title}}",
            "{{incident.number}} was not acknowledged in time and has escalated to level {{level}}: \
             you are being paged.",
        ),
        "acknowledged" => (
            "[{{incident.priority}}] {{incident.number}} acknowledged by {{actor}}: {{incident.title}}",
            "{{actor}} acknowledged {{incident.number}} and is working on it.",
        ),
        "resolved" => (
            "[{{incident.priority}}] {{incident.number}} resolved: {{incident.title}}",
            "{{actor}} resolved {{incident.number}}.",
        ),
        "commented" => (
            "[{{incident.priority}}] {{incident.number}} comment from {{actor}}: {{incident.title}}",
            "{{actor}} commented on {{incident.number}}:\n\n{{comment}}",
        ),
        "sla_warning" => (
            "[{{incident.priority}}] {{incident.number}} SLA warning: {{incident.title}}",
            "{{incident.number}} is running out of SLA time: {{comment}}",
        ),
        "sla_breached" => (
            "[{{incident.priority}}] {{incident.number}} SLA breached: {{incident.title}}",
            "{{incident.number}} has breached its SLA: {{comment}}",
        ),
        _ => (
            "[{{incident.priority}}] {{incident.number}} {{event}}: {{incident.title}}",
            "{{incident.number}}: {{event}}.",
        ),
    };
    let mut body = format!("{intro}\n\n{DETAILS}");
    if event == "triggered" || event == "escalated" {
        body.push_str("\n\n{{incident.description}}");
    }
    MessageTemplate {
        subject: subject.to_string(),
        body,
    }
}

/// A piece of a template.
enum Piece<'a> {
    Text(&'a str),
    /// The name inside `{{ }}`, trimmed.
    Var(&'a str),
}

/// Splits a template into text and placeholders. Errors name the first unclosed `{{` or stray
/// `}}`; `lenient` keeps those as text instead.
fn parse(template: &str, lenient: bool) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        let open = rest.find("{{");
        let close = rest.find("}}");
        match (open, close) {
            (Some(o), c) if c.is_none_or(|c| c > o) => {
                pieces.push(Piece::Text(&rest[..o]));
                let inner_start = o + 2;
                let after = &rest[inner_start..];
                let end = after.find("}}");
                let nested = after.find("{{");
                match end {
                    Some(e) if nested.is_none_or(|n| n > e) => {
                        pieces.push(Piece::Var(after[..e].trim()));
                        rest = &after[e + 2..];
                    }
                    _ => {
                        if !lenient {
                            return Err(format!("unclosed {{{{ at {:?}", excerpt(&rest[o..])));
                        }
                        pieces.push(Piece::Text(&rest[o..inner_start]));
                        rest = after;
                    }
                }
            }
            (_, Some(c)) => {
                if !lenient {
                    return Err(format!(
                        "}}}} without an opening {{{{ at {:?}",
                        excerpt(&rest[c..])
                    ));
                }
                pieces.push(Piece::Text(&rest[..c + 2]));
                rest = &rest[c + 2..];
            }
            (None, None) => {
                pieces.push(Piece::Text(rest));
                rest = "";
            }
            (Some(_), None) => unreachable!("covered by the first arm"),
        }
    }
    Ok(pieces)
}

fn excerpt(s: &str) -> String {
    s.chars().take(30).collect()
}

/// Renders `template`: each `{{name}}` becomes `vars[name]`, or nothing when `vars` has no such
/// name. An unclosed `{{` or a stray `}}` is kept as text.
pub fn render(template: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    for piece in parse(template, true).unwrap_or_default() {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name) => {
                if let Some(v) = vars.get(name) {
                    out.push_str(v);
                }
            }
        }
    }
    out
}

/// Checks a template before it is saved: balanced `{{ }}` and only known [`VARIABLES`].
pub fn check_template(template: &str) -> Result<(), String> {
    for piece in parse(template, false)? {
        if let Piece::Var(name) = piece {
            if name.is_empty() {
                return Err("empty placeholder {{}}".into());
            }
            if !VARIABLES.contains(&name) {
                return Err(format!(
                    "unknown variable {{{{{name}}}}}; known variables: {}",
                    VARIABLES.join(", ")
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn renders_placeholders() {
        let v = vars(&[
            ("incident.number", "INC-000123"),
            ("incident.title", "Checkout {{returns}} 500"),
            ("incident.priority", "P1"),
        ]);
        assert_eq!(
            render(
                "[{{incident.priority}}] {{ incident.number }}: {{  incident.title\t}}",
                &v
            ),
            // Values are inserted as they are, never rendered again.
            "[P1] INC-000123: Checkout {{returns}} 500"
        );
        assert_eq!(
            render("{{incident.number}}{{incident.number}}", &v),
            "INC-000123INC-000123"
        );
        assert_eq!(
            render("no placeholders, {single} braces", &v),
            "no placeholders, {single} braces"
        );
        assert_eq!(render("", &v), "");
    }

    #[test]
    fn render_is_lenient() {
        let v = vars(&[("actor", "Ann")]);
        assert_eq!(render("hi {{nobody}}!", &v), "hi !");
        assert_eq!(render("{{}}x", &v), "x");
        assert_eq!(render("a {{actor", &v), "a {{actor");
        assert_eq!(render("a }} b {{actor}}", &v), "a }} b Ann");
        assert_eq!(render("{{ {{actor}}", &v), "{{ Ann");
        assert_eq!(render("é{{actor}}ü", &v), "éAnnü");
    }

    #[test]
    fn checks_templates() {
        assert_eq!(
            check_template("[{{incident.priority}}] {{ incident.title }}"),
            Ok(())
        );
        assert_eq!(check_template("plain text {with} braces"), Ok(()));
        let unknown = check_template("{{incident.name}}").unwrap_err();
        assert!(
            unknown.contains("unknown variable {{incident.name}}"),
            "{unknown}"
        );
        assert!(
            unknown.contains("incident.number, incident.title"),
            "{unknown}"
        );
        assert!(
            check_template("{{ incident.title")
                .unwrap_err()
                .contains("unclosed")
        );
        assert!(
            check_template("{{ {{incident.title}}")
                .unwrap_err()
                .contains("unclosed")
        );
        assert!(
            check_template("x }} y")
                .unwrap_err()
                .contains("without an opening")
        );
        assert!(check_template("{{}}").unwrap_err().contains("empty"));
        assert!(check_template("{{incident.title}} }}").is_err());
    }

    #[test]
    fn defaults_exist_check_and_read_well() {
        for event in EVENTS.iter().copied().chain(["something-else"]) {
            let t = default_template(event);
            check_template(&t.subject).unwrap_or_else(|e| panic!("{event} subject: {e}"));
            check_template(&t.body).unwrap_or_else(|e| panic!("{event} body: {e}"));
            assert!(t.subject.contains("{{incident.number}}"), "{event}");
            assert!(!t.subject.contains('\n'), "{event}");
        }
        let v = vars(&[
            ("incident.number", "INC-000123"),
            ("incident.title", "Checkout returns 500"),
            ("incident.priority", "P1"),
            ("incident.service", "checkout"),
            ("incident.status", "triggered"),
            ("level", "2"),
            ("actor", "Ann"),
            ("comment", "Rolled back."),
        ]);
        let t = default_template("triggered");
        assert_eq!(
            render(&t.subject, &v),
            "[P1] INC-000123 triggered: Checkout returns 500"
        );
        assert!(render(&t.body, &v).starts_with(
            "INC-000123 was triggered and needs someone to acknowledge it.\n\nTitle: Checkout returns 500\nService: checkout\nPriority: P1\n"
        ));
        assert_eq!(
            render(&default_template("escalated").subject, &v),
            "[P1] INC-000123 escalated to level 2: Checkout returns 500"
        );
        assert!(
            render(&default_template("commented").body, &v)
                .starts_with("Ann commented on INC-000123:\n\nRolled back.\n\n")
        );
        assert_eq!(
            render(&default_template("acknowledged").subject, &v),
            "[P1] INC-000123 acknowledged by Ann: Checkout returns 500"
        );
    }

    #[test]
    fn message_template_is_json() {
        let t = default_template("resolved");
        let json = serde_json::to_value(&t).unwrap();
        assert!(json["subject"].is_string() && json["body"].is_string());
        assert_eq!(serde_json::from_value::<MessageTemplate>(json).unwrap(), t);
    }
}
