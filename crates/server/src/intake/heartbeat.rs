//! The heartbeat monitor: every second, each heartbeat integration whose last ping is older than
//! its interval gets a "missed" entry in the intake log, which the processor turns into an alert
//! (and an incident); the next ping resolves it. Several nodes may report the same silence: the
//! alert's fixed dedup key makes the extra reports repeats.

use std::collections::HashMap;
use std::time::Duration;

use mayday_core::Millis;
use mayday_core::alert::{IntakeRecord, IntegrationKind};
use mayday_store::NewIntakeEntry;
use uuid::Uuid;

use super::processor::HEARTBEAT_DEDUP_KEY;
use crate::AppState;
use crate::error::ApiResult;

/// Runs until the process ends.
pub async fn run(state: AppState) {
    // The silence each integration was last reported for, so it is reported once.
    let mut reported: HashMap<Uuid, Millis> = HashMap::new();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Err(e) = check(&state, &mut reported).await {
            tracing::warn!(error = %e, "checking heartbeats failed");
        }
    }
}

/// Reports every heartbeat that is late; returns how many were reported.
pub async fn check(state: &AppState, reported: &mut HashMap<Uuid, Millis>) -> ApiResult<usize> {
    let now = state.clock.now_ms();
    let mut late = Vec::new();
    for i in state.store.list_integrations(None).await? {
        if i.kind != IntegrationKind::Heartbeat {
            continue;
        }
        let Some(interval) = i.settings.heartbeat_interval_seconds else {
            continue;
        };
        let last = i.last_event_at.unwrap_or(i.created_at);
        if now - last <= i64::from(interval) * 1000 || reported.get(&i.id) == Some(&last) {
            continue;
        }
        if state
            .store
            .open_alert(i.id, HEARTBEAT_DEDUP_KEY)
            .await?
            .is_some()
        {
            reported.insert(i.id, last);
            continue;
        }
        late.push(NewIntakeEntry {
            integration_id: i.id,
            received_at: now,
            record: IntakeRecord::HeartbeatMissed { since: last },
        });
        reported.insert(i.id, last);
    }
    let count = late.len();
    if count > 0 {
        state.intake.appender.append(late).await?;
    }
    Ok(count)
}
