//! Paging at run time: the effects an incident write owes (escalation timers to arm or cancel,
//! notifications to queue), the timer worker that climbs escalation policies, the outbox worker
//! that delivers messages with retries, and single-use action links.

use std::time::Duration;

/// How paging behaves; `[notifications]` in the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PagingSettings {
    /// `MAYDAY_SMTP_URL`, e.g. `smtp://127.0.0.1:2525`; none: email cannot be sent.
    pub smtp_url: Option<String>,
    /// The From address of email.
    pub smtp_from: String,
    /// Attempts before a message becomes a dead letter.
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles it (with jitter), up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How long action links in messages work.
    pub link_ttl: Duration,
    /// Timeout of one webhook request.
    pub http_timeout: Duration,
}

impl Default for PagingSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            smtp_from: "mayday@localhost".into(),
            max_attempts: 8,
            retry_base: Duration::from_secs(5),
            retry_max: Duration::from_secs(15 * 60),
            link_ttl: Duration::from_secs(24 * 3600),
            http_timeout: Duration::from_secs(10),
        }
    }
}

pub mod actions;
pub mod effects;
pub mod manage;
pub mod outbox;
pub mod render;
pub mod worker;

use mayday_core::Millis;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use uuid::Uuid;

/// The timer kind of escalation steps (cancelled together by an acknowledgement).
pub const ESCALATION: &str = "escalation";
/// The timer kind of notifications owed to the people paged (acknowledged, resolved, ...).
pub const NOTIFY: &str = "notify";
/// The timer kind of SLA warnings and breaches (re-armed together whenever the clocks change).
pub const SLA: &str = "sla";

/// What a timer asks the worker to do, as its stored payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TimerAction {
    /// Page `level` (0-based) of `round` of the policy; `policy_id` none: the policy that
    /// applies to the incident when the timer fires (its service's, else its team's).
    Escalate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy_id: Option<Uuid>,
        level: u32,
        round: u32,
        /// Asked for by a person: pages even when the incident is no longer new.
        #[serde(default)]
        manual: bool,
    },
    /// Tell the people paged so far that `event` happened.
    Notify {
        event: String,
        actor: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actor_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// An SLA clock reaches `percent` of its target (100: the breach).
    Sla { clock_id: Uuid, percent: u8 },
}

impl TimerAction {
    pub fn kind(&self) -> &'static str {
        match self {
            TimerAction::Escalate { .. } => ESCALATION,
            TimerAction::Notify { .. } => NOTIFY,
            TimerAction::Sla { .. } => SLA,
        }
    }

    /// The timer that does this for `incident_id` at `due_at`.
    pub fn timer(&self, incident_id: Uuid, due_at: Millis, now: Millis) -> mayday_store::NewTimer {
        mayday_store::NewTimer {
            id: Uuid::now_v7(),
            incident_id: Some(incident_id),
            kind: self.kind().to_string(),
            due_at,
            payload: serde_json::to_value(self).unwrap_or_default(),
            created_at: now,
        }
    }
}

/// The paging machinery a node runs: wake-ups for its workers and the message sender.
pub struct Paging {
    /// A timer due now was armed on this node.
    pub timers_due: Notify,
    /// A message due now was queued on this node.
    pub messages_due: Notify,
    pub sender: mayday_notify::Sender,
}

impl Paging {
    pub fn new(settings: &PagingSettings) -> Result<Self, String> {
        let smtp = settings
            .smtp_url
            .as_ref()
            .map(|url| mayday_notify::SmtpSettings {
                url: url.clone(),
                from: settings.smtp_from.clone(),
            });
        Ok(Self {
            timers_due: Notify::new(),
            messages_due: Notify::new(),
            sender: mayday_notify::Sender::new(smtp, settings.http_timeout)?,
        })
    }

    /// Wakes the workers when a write armed or queued something.
    pub fn poke(&self, effects: &mayday_store::Effects) {
        if !effects.arm.is_empty() {
            self.timers_due.notify_one();
        }
        if !effects.messages.is_empty() {
            self.messages_due.notify_one();
        }
    }
}
