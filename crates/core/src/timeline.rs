//! Timeline events: the append-only record of everything that happened to an incident.
//! It is the audit trail, the source of metrics and the skeleton of a post-incident review.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Millis;

/// Who did something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    /// The user's or integration's id; none for rules and the system.
    pub id: Option<Uuid>,
    /// A display name kept with the event, so the timeline reads the same after renames.
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    Integration,
    Rule,
    System,
}

impl Actor {
    pub fn user(id: Uuid, name: impl Into<String>) -> Self {
        Self {
            kind: ActorKind::User,
            id: Some(id),
            name: name.into(),
        }
    }
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
            name: "system".into(),
        }
    }
    /// A person (as opposed to an integration, rule or the system).
    pub fn is_person(&self) -> bool {
        self.kind == ActorKind::User
    }
}

/// What kind of thing happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The incident was logged.
    Created,
    /// Fields changed (see `changes`).
    Updated,
    /// The status changed (see `changes`, which include the status and the fields it set).
    Transition,
    /// A comment (work note or public update; see `visibility`).
    Comment,
    /// Service was restored without a state change.
    Mitigated,
    /// Another incident was linked to this one (a follow-up, a duplicate).
    Linked,
    /// A monitoring alert was attached, acknowledged or resolved (see `changes` and `body`).
    Alert,
    /// An escalation level was paged, or escalation was started, moved or stopped (see `body`).
    Escalation,
    /// A message was delivered, failed or given up on (see `body`).
    Notification,
    /// An SLA clock started, paused, resumed, changed target, warned, breached or stopped (see `body`).
    Sla,
}

/// Who may read an event. Work notes are internal to responders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    WorkNote,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::WorkNote => "work_note",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "public" => Ok(Self::Public),
            "work_note" => Ok(Self::WorkNote),
            _ => Err(format!("must be work_note or public, got {s:?}")),
        }
    }
}

/// One field's old and new value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the global event log, assigned by the store (0 until stored).
    pub seq: i64,
    pub incident_id: Uuid,
    pub at: Millis,
    pub actor: Actor,
    pub kind: EventKind,
    pub visibility: Visibility,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// A comment's Markdown body, or a note explaining the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}
