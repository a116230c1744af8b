//! Records of paging as stored: durable timers (escalation steps, notifications owed, later SLA
//! warnings), the notification outbox, single-use action links and calendar-feed tokens, and the
//! effects a write arms or cancels in its own transaction.

use mayday_core::clock::Millis;
use mayday_core::timeline::Event;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::IncidentWrite;

/// A timer to arm: it fires at `due_at` and is then handled by the worker for its `kind`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTimer {
    pub id: Uuid,
    /// The incident it belongs to; cancellations are by incident and kind.
    pub incident_id: Option<Uuid>,
    /// What handles it (`escalation`, `notify`, ...).
    pub kind: String,
    pub due_at: Millis,
    /// What the handler needs, as JSON.
    pub payload: Value,
    pub created_at: Millis,
}

/// A timer claimed by a worker: only the holder of `claim` can complete it, until the lease ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    pub id: Uuid,
    pub incident_id: Option<Uuid>,
    pub kind: String,
    pub due_at: Millis,
    pub payload: Value,
    pub created_at: Millis,
    /// The claim token of the worker holding it (nil when listed, not claimed).
    pub claim: Uuid,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting for its time or its next attempt.
    Pending,
    Sent,
    /// Given up after the retry limit (a dead letter).
    Dead,
    /// No longer owed (the page was acknowledged before its delayed rule came due).
    Canceled,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Pending => "pending",
            MessageStatus::Sent => "sent",
            MessageStatus::Dead => "dead",
            MessageStatus::Canceled => "canceled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "sent" => Self::Sent,
            "dead" => Self::Dead,
            "canceled" => Self::Canceled,
            _ => return None,
        })
    }
}

/// A message to queue in the outbox. Its `id` is its identity on every attempt (the email's
/// `Message-ID`, the webhook's `Mayday-Delivery-Id`).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub incident_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    /// The channel (`email`, `webhook`, `slack`, `teams`, `mattermost`).
    pub channel: String,
    /// The event it tells of (`triggered`, `escalated`, `acknowledged`, `resolved`, `commented`).
    pub event: String,
    /// A page (cancelled by an acknowledgement while still waiting for its delayed rule).
    pub page: bool,
    /// When it should go first.
    pub due_at: Millis,
    /// The rendered message and its address, as the sender needs them.
    pub payload: Value,
    pub created_at: Millis,
}

/// A message as the outbox holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub message: OutboxMessage,
    pub status: MessageStatus,
    pub attempts: i64,
    pub next_attempt_at: Millis,
    pub last_error: Option<String>,
    pub sent_at: Option<Millis>,
    /// The claim token when claimed by a worker (nil when listed).
    pub claim: Uuid,
}

/// Which messages to list (the admin view, an incident's deliveries).
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub incident_id: Option<Uuid>,
    pub status: Option<MessageStatus>,
    /// Newest first; at most this many.
    pub limit: i64,
}

/// A single-use link in a message that acts on an incident without a login. Only the SHA-256
/// of its token is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionLink {
    pub token_hash: String,
    pub incident_id: Uuid,
    pub user_id: Uuid,
    /// `acknowledge` or `resolve`.
    pub action: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub used_at: Option<Millis>,
}

/// What a write arms, cancels and queues, in the same transaction as the write.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    pub arm: Vec<NewTimer>,
    /// Pending timers of this incident and kind are deleted.
    pub cancel: Vec<(Uuid, String)>,
    /// Pending page messages of this incident not yet due at this instant (delayed rules) are
    /// canceled.
    pub cancel_pages: Vec<(Uuid, Millis)>,
    pub messages: Vec<OutboxMessage>,
    pub links: Vec<ActionLink>,
}

impl Effects {
    pub fn is_empty(&self) -> bool {
        self.arm.is_empty()
            && self.cancel.is_empty()
            && self.cancel_pages.is_empty()
            && self.messages.is_empty()
            && self.links.is_empty()
    }
    /// Adds another write's effects to these.
    pub fn extend(&mut self, other: Effects) {
        self.arm.extend(other.arm);
        self.cancel.extend(other.cancel);
        self.cancel_pages.extend(other.cancel_pages);
        self.messages.extend(other.messages);
        self.links.extend(other.links);
    }
}

/// What handling a fired timer changes, written in one transaction that deletes the timer; it
/// fails (alone) with a `Conflict` when the claim was lost or the incident changed meanwhile.
#[derive(Debug, Clone)]
pub struct TimerDone {
    pub timer_id: Uuid,
    pub claim: Uuid,
    /// A change to the incident (its escalation level, say), with effects of its own.
    pub write: Option<IncidentWrite>,
    pub effects: Effects,
    /// Events appended to timelines without changing the incidents (who was notified).
    pub events: Vec<Event>,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone)]
pub enum Attempt {
    Sent {
        at: Millis,
    },
    /// Failed; tried again at `retry_at`, or given up (dead letter) when `None`.
    Failed {
        at: Millis,
        error: String,
        retry_at: Option<Millis>,
    },
}

/// One delivery attempt to record: the message, the claim it was sent under, the outcome and
/// its timeline events.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub id: Uuid,
    pub claim: Uuid,
    pub attempt: Attempt,
    pub events: Vec<Event>,
}
