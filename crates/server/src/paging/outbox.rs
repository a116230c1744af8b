//! The outbox worker: claims due messages (several nodes never claim the same one), sends them
//! a few at a time, and records each attempt with its line on the incident's timeline. A failed
//! message is tried again after an exponential backoff with jitter; after the attempt limit, or
//! at once when retrying cannot help, it becomes a dead letter (kept, visible, re-queueable).
//! Every attempt carries the message's identity, so receivers can drop repeats.

use std::time::Duration;

use mayday_core::Millis;
use mayday_core::timeline::{Actor, Event, EventKind, Visibility};
use mayday_notify::Delivery;
use mayday_store::{Attempt, AttemptRecord, StoreError, StoredMessage};
use tokio::task::JoinSet;

use super::PagingSettings;
use crate::AppState;

/// Messages claimed per batch (and sent concurrently).
const BATCH: i64 = 128;
const POLL: Duration = Duration::from_millis(200);

/// Runs until the process ends.
pub async fn run(state: AppState) {
    loop {
        match work_once(&state).await {
            Ok(n) if n as i64 == BATCH => continue,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "outbox: a batch failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        let _ = tokio::time::timeout(POLL, state.paging.messages_due.notified()).await;
    }
}

/// How long a claim lasts: longer than any send can take.
fn lease_ms(settings: &PagingSettings) -> i64 {
    (settings.http_timeout.as_millis() as i64) * 2 + 30_000
}

/// The delay before attempt `attempts + 1`: base × 2^(attempts − 1), at most `max`, ± 20 %.
pub fn backoff(settings: &PagingSettings, attempts: u32, jitter: f64) -> Duration {
    let exp = attempts.saturating_sub(1).min(20);
    let raw = settings.retry_base.as_secs_f64() * f64::from(1u32 << exp);
    let capped = raw.min(settings.retry_max.as_secs_f64());
    Duration::from_secs_f64((capped * (0.8 + 0.4 * jitter.clamp(0.0, 1.0))).max(0.0))
}

fn jitter() -> f64 {
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX)
}

/// Claims and sends one batch, then records every attempt in one transaction; returns how
/// many were claimed.
pub async fn work_once(state: &AppState) -> Result<usize, StoreError> {
    let settings = &state.settings.paging;
    let now = state.clock.now_ms();
    let batch = state
        .store
        .claim_messages(now, lease_ms(settings), BATCH)
        .await?;
    let n = batch.len();
    let mut sends = JoinSet::new();
    for m in batch {
        let state = state.clone();
        sends.spawn(async move { deliver(&state, m).await });
    }
    let mut records = Vec::with_capacity(n);
    while let Some(r) = sends.join_next().await {
        match r {
            Ok(record) => records.push(record),
            Err(e) => tracing::error!(error = %e, "outbox: a send task failed"),
        }
    }
    let ids: Vec<_> = records.iter().map(|r| r.id).collect();
    let recorded = state.store.record_attempts(records).await?;
    for (id, ok) in ids.into_iter().zip(recorded) {
        if !ok {
            tracing::warn!(message = %id, "outbox: the claim ran out before the attempt was recorded");
        }
    }
    Ok(n)
}

/// Sends one message; what to record of the attempt.
async fn deliver(state: &AppState, m: StoredMessage) -> AttemptRecord {
    let settings = &state.settings.paging;
    let attempt_no = m.attempts + 1;
    let delivery: Delivery = match serde_json::from_value(m.message.payload.clone()) {
        Ok(d) => d,
        Err(e) => {
            return AttemptRecord {
                id: m.message.id,
                claim: m.claim,
                attempt: Attempt::Failed {
                    at: state.clock.now_ms(),
                    error: format!("unreadable message: {e}"),
                    retry_at: None,
                },
                events: Vec::new(),
            };
        }
    };
    let result = state
        .paging
        .sender
        .send(&delivery, state.clock.now_ms() / 1000)
        .await;
    let at = state.clock.now_ms();
    let target = describe(&delivery);
    let (attempt, line) = match result {
        Ok(()) => (
            Attempt::Sent { at },
            format!(
                "{} delivered{}",
                target,
                if attempt_no > 1 {
                    format!(" on attempt {attempt_no}")
                } else {
                    String::new()
                }
            ),
        ),
        Err(e) => {
            let give_up = e.permanent || attempt_no >= i64::from(settings.max_attempts);
            let retry_at: Option<Millis> = (!give_up)
                .then(|| at + backoff(settings, attempt_no as u32, jitter()).as_millis() as i64);
            let line = match retry_at {
                Some(r) => format!(
                    "{target} failed (attempt {attempt_no} of {}): {}; trying again in {} s",
                    settings.max_attempts,
                    e.message,
                    ((r - at) as f64 / 1000.0).ceil()
                ),
                None => format!(
                    "{target} failed (attempt {attempt_no}): {}; given up (dead letter {})",
                    e.message, m.message.id
                ),
            };
            (
                Attempt::Failed {
                    at,
                    error: e.message,
                    retry_at,
                },
                line,
            )
        }
    };
    let events = match m.message.incident_id {
        Some(incident_id) => vec![Event {
            seq: 0,
            incident_id,
            at,
            actor: Actor::system(),
            kind: EventKind::Notification,
            visibility: Visibility::WorkNote,
            changes: Vec::new(),
            body: Some(line),
        }],
        None => Vec::new(),
    };
    AttemptRecord {
        id: m.message.id,
        claim: m.claim,
        attempt,
        events,
    }
}

/// "Email (triggered) to a@example.com", "Webhook (triggered) to https://host/…": only the
/// host of a URL, since chat webhooks keep their secret in the path.
fn describe(d: &Delivery) -> String {
    let what = match d.channel {
        mayday_notify::Channel::Email => "Email",
        mayday_notify::Channel::Webhook => "Webhook",
        mayday_notify::Channel::Slack => "Slack message",
        mayday_notify::Channel::Teams => "Teams message",
        mayday_notify::Channel::Mattermost => "Mattermost message",
    };
    let to = match d.address.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or(host);
            format!("{scheme}://{host}/…")
        }
        None => d.address.clone(),
    };
    format!("{what} ({}) to {to}", d.event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_its_cap_and_jitter() {
        let s = PagingSettings {
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(60),
            ..PagingSettings::default()
        };
        assert_eq!(backoff(&s, 1, 0.5), Duration::from_secs(2));
        assert_eq!(backoff(&s, 2, 0.5), Duration::from_secs(4));
        assert_eq!(backoff(&s, 3, 0.5), Duration::from_secs(8));
        assert_eq!(backoff(&s, 10, 0.5), Duration::from_secs(60));
        assert!(backoff(&s, 1, 0.0) >= Duration::from_millis(1600));
        assert!(backoff(&s, 1, 1.0) <= Duration::from_millis(2400));
    }
}
