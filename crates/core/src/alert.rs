//! Alerts from monitoring: the normalized event every wire format (PagerDuty Events v2,
//! Opsgenie, Alertmanager, generic JSON, heartbeats) is turned into, the alert it updates, the
//! integration that receives it, and how severity and service tier become urgency and impact.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::clock::Millis;
use crate::priority::{Impact, Urgency};

/// Longest dedup key accepted (PagerDuty's limit).
pub const MAX_DEDUP_KEY: usize = 255;
/// Longest summary accepted (PagerDuty's limit).
pub const MAX_SUMMARY: usize = 1024;
/// Length of a generated integration key.
pub const KEY_LEN: usize = 32;

/// How bad the monitoring tool says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Error,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::Error,
        Severity::Warning,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// Parses the exact lower-case name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What an event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertAction {
    Trigger,
    Acknowledge,
    Resolve,
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Triggered,
    Acknowledged,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Triggered => "triggered",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Triggered, Self::Acknowledged, Self::Resolved]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A link attached to an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One alert event in Mayday's own terms, whatever format it arrived in. This is what the
/// intake log keeps; the processor turns it into alerts and incidents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    pub action: AlertAction,
    /// Identifies the alert within its integration. Always set for triggers (generated when the
    /// sender gave none); empty when the event names the alert by `alert_id` instead.
    pub dedup_key: String,
    /// The alert's id, when the sender names it that way (Opsgenie `identifierType=id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<Uuid>,
    /// Required for triggers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Required for triggers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// When the monitoring tool says it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<Millis>,
    /// Free-form details (custom_details, labels and annotations, the generic body).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub details: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Value>,
    /// The sending tool's own grouping (Alertmanager's group key), for per-group incidents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_url: Option<String>,
    /// A note the sender attached to an acknowledge or close (Opsgenie `note`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl AlertEvent {
    /// An event with only its action and dedup key set.
    pub fn new(action: AlertAction, dedup_key: impl Into<String>) -> Self {
        Self {
            action,
            dedup_key: dedup_key.into(),
            alert_id: None,
            summary: None,
            severity: None,
            source: None,
            component: None,
            group: None,
            class: None,
            occurred_at: None,
            details: Value::Null,
            links: Vec::new(),
            images: Vec::new(),
            group_key: None,
            client: None,
            client_url: None,
            note: None,
        }
    }
}

/// A change to a service that an integration reported (a deploy, a config push). Kept on the
/// service so incidents can be correlated with recent changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<Millis>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub details: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

/// One entry of the intake log: what was accepted with a 202, in Mayday's terms.
// Nearly every entry is an alert, so boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IntakeRecord {
    Alert(AlertEvent),
    Change(ChangeEvent),
    /// A heartbeat ping.
    Ping,
    /// The heartbeat monitor saw no ping within the interval.
    HeartbeatMissed {
        /// The last ping (or the integration's creation) it measured from.
        since: Millis,
    },
    /// A person resolved, closed or canceled this incident: its alerts from the entry's
    /// integration are over.
    IncidentEnded {
        incident_id: uuid::Uuid,
    },
}

/// The kinds of integration, each with its own wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    PagerdutyEventsV2,
    Opsgenie,
    Alertmanager,
    GenericJson,
    Heartbeat,
}

impl IntegrationKind {
    pub const ALL: [IntegrationKind; 5] = [
        IntegrationKind::PagerdutyEventsV2,
        IntegrationKind::Opsgenie,
        IntegrationKind::Alertmanager,
        IntegrationKind::GenericJson,
        IntegrationKind::Heartbeat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationKind::PagerdutyEventsV2 => "pagerduty_events_v2",
            IntegrationKind::Opsgenie => "opsgenie",
            IntegrationKind::Alertmanager => "alertmanager",
            IntegrationKind::GenericJson => "generic_json",
            IntegrationKind::Heartbeat => "heartbeat",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "must be one of pagerduty_events_v2, opsgenie, alertmanager, generic_json, heartbeat; got {s:?}"
                )
            })
    }
}

/// How an integration's alerts are gathered into incidents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Grouping {
    /// One incident per alert (PagerDuty's default).
    PerAlert,
    /// One incident per group of the sending tool (Alertmanager's group key); alerts without a
    /// group key get their own incident.
    SourceGroup,
    /// Alerts with the same summary (or the fields named) within `window_seconds` of the
    /// incident's first alert join that incident while it is open.
    ContentWindow {
        window_seconds: u32,
        /// Alert fields whose values must match: `summary`, `source`, `component`, `group`,
        /// `class`, `severity`. Defaults to `summary`.
        #[serde(default = "default_content_fields")]
        fields: Vec<String>,
    },
}

/// Fields a content window may compare.
pub const CONTENT_FIELDS: &[&str] = &[
    "summary",
    "source",
    "component",
    "group",
    "class",
    "severity",
];

fn default_content_fields() -> Vec<String> {
    vec!["summary".into()]
}

impl Grouping {
    /// The key alerts of one group share, or `None` when the alert stands alone.
    pub fn group_key(&self, event: &AlertEvent) -> Option<String> {
        match self {
            Grouping::PerAlert => None,
            Grouping::SourceGroup => event.group_key.clone(),
            Grouping::ContentWindow { fields, .. } => {
                let mut key = String::new();
                for f in fields {
                    let v = match f.as_str() {
                        "summary" => event.summary.as_deref(),
                        "source" => event.source.as_deref(),
                        "component" => event.component.as_deref(),
                        "group" => event.group.as_deref(),
                        "class" => event.class.as_deref(),
                        "severity" => event.severity.map(Severity::as_str),
                        _ => None,
                    };
                    key.push_str(f);
                    key.push('=');
                    key.push_str(v.unwrap_or(""));
                    key.push('\u{1f}');
                }
                Some(key)
            }
        }
    }

    /// How long after an incident's first alert others may still join it; `None`: while open.
    pub fn window_ms(&self) -> Option<Millis> {
        match self {
            Grouping::ContentWindow { window_seconds, .. } => {
                Some(i64::from(*window_seconds) * 1000)
            }
            _ => None,
        }
    }

    /// Checks the settings, naming what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if let Grouping::ContentWindow {
            window_seconds,
            fields,
        } = self
        {
            if *window_seconds == 0 || *window_seconds > 7 * 24 * 3600 {
                return Err("window_seconds must be between 1 and 604800 (a week)".into());
            }
            if fields.is_empty() {
                return Err("fields must name at least one field".into());
            }
            if let Some(f) = fields
                .iter()
                .find(|f| !CONTENT_FIELDS.contains(&f.as_str()))
            {
                return Err(format!(
                    "unknown field {f:?} in fields; one of {}",
                    CONTENT_FIELDS.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// Where a generic JSON webhook keeps each value: JSON Pointers (RFC 6901) into its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenericMapping {
    pub summary: String,
    pub severity: String,
    pub dedup_key: String,
    pub status: String,
    /// Where the details are; `""` is the whole body.
    pub details: String,
}

impl Default for GenericMapping {
    fn default() -> Self {
        Self {
            summary: "/summary".into(),
            severity: "/severity".into(),
            dedup_key: "/dedup_key".into(),
            status: "/status".into(),
            details: String::new(),
        }
    }
}

/// An alert: one problem a monitoring tool reported, deduplicated by its key within its
/// integration, attached to the incident it opened or joined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: Uuid,
    pub integration_id: Uuid,
    pub service_id: Uuid,
    pub incident_id: Uuid,
    pub dedup_key: String,
    pub status: AlertStatus,
    pub severity: Severity,
    pub summary: String,
    pub source: Option<String>,
    /// The latest event's details, links and the like.
    pub details: Value,
    pub group_key: Option<String>,
    /// How many trigger events it has seen (the first included).
    pub event_count: i64,
    pub first_seen_at: Millis,
    pub last_seen_at: Millis,
    pub acknowledged_at: Option<Millis>,
    pub resolved_at: Option<Millis>,
    /// Opened during a maintenance window of its service: recorded, not paged.
    pub suppressed: bool,
}

/// How monitoring severities and service tiers map onto urgency and impact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertPriorityMapping {
    /// Urgency for critical, error, warning and info, in that order.
    pub urgency_by_severity: [Urgency; 4],
    /// Impact for service tiers 1, 2 and 3, in that order.
    pub impact_by_tier: [Impact; 3],
}

impl Default for AlertPriorityMapping {
    fn default() -> Self {
        let u = |v| Urgency::new(v).expect("1..=3");
        let i = |v| Impact::new(v).expect("1..=3");
        Self {
            urgency_by_severity: [u(1), u(1), u(2), u(3)],
            impact_by_tier: [i(1), i(2), i(3)],
        }
    }
}

impl AlertPriorityMapping {
    pub fn urgency(&self, severity: Severity) -> Urgency {
        let index = Severity::ALL
            .iter()
            .position(|s| *s == severity)
            .unwrap_or(0);
        self.urgency_by_severity[index]
    }

    /// Impact for a tier (1..=3; anything else counts as the least critical).
    pub fn impact(&self, tier: u8) -> Impact {
        let index = usize::from(tier.clamp(1, 3)) - 1;
        self.impact_by_tier[index]
    }
}

/// A window during which a service's new alerts are recorded but do not page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    pub starts_at: Millis,
    pub ends_at: Millis,
    #[serde(default)]
    pub reason: String,
}

impl MaintenanceWindow {
    pub fn covers(&self, at: Millis) -> bool {
        self.starts_at <= at && at < self.ends_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_json() {
        let mut e = AlertEvent::new(AlertAction::Trigger, "disk-full");
        e.summary = Some("Disk full on db-1".into());
        e.severity = Some(Severity::Critical);
        e.details = serde_json::json!({"free": "0%"});
        let r = IntakeRecord::Alert(e);
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains("\"type\":\"alert\""), "{text}");
        let back: IntakeRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
        let ping: IntakeRecord = serde_json::from_str(r#"{"type":"ping"}"#).unwrap();
        assert_eq!(ping, IntakeRecord::Ping);
    }

    #[test]
    fn content_window_keys_compare_the_named_fields() {
        let g = Grouping::ContentWindow {
            window_seconds: 300,
            fields: vec!["summary".into(), "source".into()],
        };
        let mut a = AlertEvent::new(AlertAction::Trigger, "a");
        a.summary = Some("CPU high".into());
        a.source = Some("web-1".into());
        let mut b = a.clone();
        b.dedup_key = "b".into();
        assert_eq!(g.group_key(&a), g.group_key(&b));
        b.source = Some("web-2".into());
        assert_ne!(g.group_key(&a), g.group_key(&b));
        assert_eq!(Grouping::PerAlert.group_key(&a), None);
        assert!(
            Grouping::ContentWindow {
                window_seconds: 0,
                fields: vec![]
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn default_mapping_makes_critical_alerts_on_tier_one_p1() {
        let m = AlertPriorityMapping::default();
        let matrix = crate::PriorityMatrix::default();
        assert_eq!(
            matrix.priority(m.impact(1), m.urgency(Severity::Critical)),
            crate::Priority::P1
        );
        assert_eq!(
            matrix.priority(m.impact(3), m.urgency(Severity::Info)),
            crate::Priority::P5
        );
        assert_eq!(m.impact(9), m.impact(3));
    }
}
