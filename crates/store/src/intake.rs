//! Records of alert intake as stored: integrations, intake log entries, change events, and the
//! one-transaction commit that turns a batch of log entries into alerts and incident writes.

use mayday_core::Incident;
use mayday_core::alert::{
    Alert, ChangeEvent, GenericMapping, Grouping, IntakeRecord, IntegrationKind,
};
use mayday_core::clock::Millis;
use mayday_core::timeline::Event;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::IncidentWrite;

/// An integration's settings (kept as its JSON document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationSettings {
    #[serde(default = "default_grouping")]
    pub grouping: Grouping,
    /// Where a generic JSON webhook keeps its values (generic_json only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<GenericMapping>,
    /// How often a heartbeat must ping (heartbeat only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval_seconds: Option<u32>,
    /// Events per minute accepted on this key; `None`: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_minute: Option<u32>,
    /// Resolve the incident when all its alerts have resolved.
    #[serde(default = "yes")]
    pub auto_resolve: bool,
}

fn default_grouping() -> Grouping {
    Grouping::PerAlert
}

fn yes() -> bool {
    true
}

impl Default for IntegrationSettings {
    fn default() -> Self {
        Self {
            grouping: Grouping::PerAlert,
            mapping: None,
            heartbeat_interval_seconds: None,
            rate_limit_per_minute: None,
            auto_resolve: true,
        }
    }
}

/// Where a service's monitoring sends its events, authenticated by its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub id: Uuid,
    pub service_id: Uuid,
    pub kind: IntegrationKind,
    pub name: String,
    /// The secret in the URL or body (PagerDuty's routing key, Opsgenie's GenieKey).
    pub key: String,
    pub settings: IntegrationSettings,
    pub version: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// The latest event or ping processed from it.
    pub last_event_at: Option<Millis>,
}

/// An entry to append to the intake log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIntakeEntry {
    pub integration_id: Uuid,
    pub received_at: Millis,
    pub record: IntakeRecord,
}

/// An entry of the intake log waiting to be processed.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeEntry {
    /// Arrival order on this database.
    pub seq: i64,
    pub integration_id: Uuid,
    pub received_at: Millis,
    pub record: IntakeRecord,
}

/// A change event as stored on its service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredChange {
    pub id: Uuid,
    pub service_id: Uuid,
    pub integration_id: Uuid,
    pub received_at: Millis,
    #[serde(flatten)]
    pub change: ChangeEvent,
}

/// Everything processing a batch of intake entries changes, written in one transaction that
/// also removes the entries from the log, so each is processed exactly once.
#[derive(Debug, Clone, Default)]
pub struct IntakeCommit {
    /// The log entries this commit consumes. The commit fails with a conflict when any of them
    /// is gone (another node processed it).
    pub consumed: Vec<i64>,
    pub new_incidents: Vec<(Incident, Vec<Event>)>,
    pub incident_writes: Vec<IncidentWrite>,
    /// Alerts to insert or replace (by id).
    pub alerts: Vec<Alert>,
    pub changes: Vec<StoredChange>,
    /// Integrations whose last event time moves forward.
    pub integration_seen: Vec<(Uuid, Millis)>,
    /// The new incidents' effects (their escalation timers); a written incident's effects
    /// travel in its own `IncidentWrite`.
    pub effects: crate::Effects,
}

impl IntakeCommit {
    pub fn is_empty(&self) -> bool {
        self.consumed.is_empty()
            && self.new_incidents.is_empty()
            && self.incident_writes.is_empty()
            && self.alerts.is_empty()
            && self.changes.is_empty()
            && self.integration_seen.is_empty()
            && self.effects.is_empty()
    }
}
