//! The timer worker: claims due timers (several nodes never claim the same one), works out what
//! each asks for — page the next escalation level, or tell the people paged of an event — and
//! writes the outcome with the timers' removal in one transaction per batch (item by item in
//! savepoints only when something conflicts). A timer whose incident changed meanwhile is
//! worked out again; one that was cancelled (acknowledged) is dropped. SLA warning and breach
//! timers are handled by [`crate::sla::fire`]. Nothing is sent from here: messages go to the
//! outbox.

use std::collections::HashMap;
use std::time::Duration;

use mayday_core::incident::CommandContext;
use mayday_core::oncall::Step;
use mayday_core::timeline::{Actor, Event, EventKind, Visibility};
use mayday_core::{Incident, Millis, Status};
use mayday_store::{Effects, IncidentWrite, StoreError, Timer, TimerDone};
use uuid::Uuid;

use super::TimerAction;
use super::render::{Directory, Occasion, RenderContext};
use crate::AppState;
use crate::services::sla::SlaSettings;

/// Timers claimed per batch.
const BATCH: i64 = 500;
/// How long a claim lasts before another worker may take the timer over.
const LEASE_MS: i64 = 60_000;
/// How often the worker looks for due timers when nothing wakes it (other nodes' writes).
const POLL: Duration = Duration::from_millis(200);

/// Runs until the process ends.
pub async fn run(state: AppState) {
    loop {
        match work_once(&state).await {
            Ok(n) if n as i64 == BATCH => continue,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "escalation timers: a batch failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        let wait = match state.store.next_timer_due().await {
            Ok(Some(due)) => {
                let ms = (due - state.clock.now_ms()).clamp(0, POLL.as_millis() as i64);
                Duration::from_millis(ms as u64)
            }
            _ => POLL,
        };
        if wait.is_zero() {
            // Due but held by another worker's claim: look again shortly.
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        let _ = tokio::time::timeout(wait, state.paging.timers_due.notified()).await;
    }
}

/// Claims and handles one batch of due timers; returns how many were claimed.
pub async fn work_once(state: &AppState) -> Result<usize, StoreError> {
    let now = state.clock.now_ms();
    let timers = state.store.claim_timers(now, LEASE_MS, BATCH).await?;
    if timers.is_empty() {
        return Ok(0);
    }
    let claimed = timers.len();
    let dir = Directory::load(state.store.as_ref()).await?;
    let sla = SlaSettings::load(state.store.as_ref()).await?;
    let mut pending: Vec<Timer> = timers;
    for _round in 0..4 {
        let ids: Vec<Uuid> = pending.iter().filter_map(|t| t.incident_id).collect();
        let mut incidents: HashMap<Uuid, Incident> = state
            .store
            .get_incidents(&ids)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        let mut done = Vec::with_capacity(pending.len());
        for t in &pending {
            // Two timers of one incident in a batch: the second works on the same version and
            // conflicts, so it is worked out again on fresh data in the next round.
            let incident = t.incident_id.and_then(|id| incidents.get(&id).cloned());
            done.push(handle(state, &dir, &sla, t, incident).await?);
        }
        incidents.clear();
        let mut fx = Effects::default();
        for d in &done {
            fx.messages.extend(d.effects.messages.iter().cloned());
            if let Some(w) = &d.write {
                fx.arm.extend(w.effects.arm.iter().cloned());
                fx.messages.extend(w.effects.messages.iter().cloned());
            }
        }
        let results = state.store.complete_timers(done).await?;
        state.paging.poke(&fx);
        let mut again = Vec::new();
        for (t, r) in pending.into_iter().zip(results) {
            match r {
                Ok(()) => {}
                // The incident changed under us, or the timer was cancelled: work it out again
                // on fresh data (a cancelled one then fails alone, and is gone).
                Err(StoreError::Conflict { .. }) => again.push(t),
                Err(e) => return Err(e),
            }
        }
        if again.is_empty() {
            break;
        }
        pending = again;
    }
    Ok(claimed)
}

fn nothing(t: &Timer) -> TimerDone {
    TimerDone {
        timer_id: t.id,
        claim: t.claim,
        write: None,
        effects: Effects::default(),
        events: Vec::new(),
    }
}

/// What firing one timer does.
async fn handle(
    state: &AppState,
    dir: &Directory,
    sla: &SlaSettings,
    t: &Timer,
    incident: Option<Incident>,
) -> Result<TimerDone, StoreError> {
    let action: TimerAction = match serde_json::from_value(t.payload.clone()) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(timer = %t.id, error = %e, "unreadable timer payload; dropped");
            return Ok(nothing(t));
        }
    };
    let Some(incident) = incident else {
        return Ok(nothing(t));
    };
    let now = state.clock.now_ms();
    let ctx = RenderContext {
        dir,
        public_url: &state.settings.public_url,
        link_ttl_ms: state.settings.paging.link_ttl.as_millis() as i64,
        now,
    };
    Ok(match action {
        TimerAction::Escalate {
            policy_id,
            level,
            round,
            manual,
        } => escalate(
            state,
            &ctx,
            t,
            incident,
            policy_id,
            Step { level, round },
            manual,
        ),
        TimerAction::Notify {
            event,
            actor,
            actor_id,
            comment,
        } => {
            let paged = state.store.paged_users(incident.id).await?;
            notify(
                &ctx,
                t,
                &incident,
                &paged,
                &event,
                &actor,
                actor_id,
                comment.as_deref(),
            )
        }
        TimerAction::Sla { clock_id, .. } => crate::sla::fire(sla, &ctx, t, incident, clock_id),
    })
}

fn system_ctx<'a>(state: &'a AppState, now: Millis, codes: &'a [String]) -> CommandContext<'a> {
    CommandContext {
        now,
        actor: Actor::system(),
        matrix: &state.settings.priority_matrix,
        resolution_codes: codes,
    }
}

/// Pages one level of the policy and arms the next step.
fn escalate(
    state: &AppState,
    ctx: &RenderContext<'_>,
    t: &Timer,
    mut incident: Incident,
    policy_id: Option<Uuid>,
    step: Step,
    manual: bool,
) -> TimerDone {
    let still_owed = incident.status.is_open() && (manual || incident.status == Status::New);
    if !still_owed {
        return nothing(t);
    }
    let policy = match policy_id {
        Some(id) => ctx.dir.policies.get(&id),
        None => ctx.dir.policy_for(&incident),
    };
    let Some(policy) = policy else {
        return nothing(t);
    };
    let Some(level) = policy.policy.levels.get(step.level as usize) else {
        return nothing(t);
    };
    let now = ctx.now;
    let people = ctx.dir.people(&level.targets, now);
    let first = step.level == 0 && step.round == 0 && !manual;
    let occasion = Occasion {
        incident: &incident,
        event: if first { "triggered" } else { "escalated" },
        level: Some(step.level + 1),
        actor: "Mayday",
        comment: None,
    };
    let mut effects = Effects::default();
    let mut reached = Vec::new();
    for user in &people {
        let a = ctx.address(user, &occasion, true, true);
        reached.push(a.summary);
        effects.messages.extend(a.messages);
        effects.links.extend(a.links);
    }
    let next = policy.policy.next(step);
    let mut body = format!(
        "{}level {} of policy \"{}\"{}: ",
        if manual {
            "Escalated by hand to "
        } else {
            "Paged "
        },
        step.level + 1,
        policy.name,
        if step.round > 0 {
            format!(" (repeat {})", step.round)
        } else {
            String::new()
        },
    );
    if reached.is_empty() {
        body.push_str("nobody is on call for its targets");
    } else {
        body.push_str(&reached.join("; "));
    }
    let continues = incident.status == Status::New;
    match next {
        Some((n, delay)) if continues => {
            body.push_str(&format!(
                ". Next: level {} in {} unless acknowledged.",
                n.level + 1,
                minutes(delay)
            ));
            let action = TimerAction::Escalate {
                policy_id: Some(policy.id),
                level: n.level,
                round: n.round,
                manual: false,
            };
            effects
                .arm
                .push(action.timer(incident.id, now + i64::from(delay) * 1000, now));
        }
        None if continues => body.push_str(". This was the last level."),
        _ => body.push('.'),
    }
    let codes: Vec<String> = Vec::new();
    let cctx = system_ctx(state, now, &codes);
    let expected = incident.version;
    let event = incident.escalation_note(step.level as i32 + 1, body, &cctx);
    incident.version = expected + 1;
    TimerDone {
        timer_id: t.id,
        claim: t.claim,
        write: Some(IncidentWrite {
            incident,
            expected_version: expected,
            events: vec![event],
            effects,
        }),
        effects: Effects::default(),
        events: Vec::new(),
    }
}

fn minutes(seconds: u32) -> String {
    if seconds.is_multiple_of(60) {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

/// Tells the people paged for the incident (but not whoever did it) that `event` happened.
#[allow(clippy::too_many_arguments)]
fn notify(
    ctx: &RenderContext<'_>,
    t: &Timer,
    incident: &Incident,
    paged: &[Uuid],
    event: &str,
    actor: &str,
    actor_id: Option<Uuid>,
    comment: Option<&str>,
) -> TimerDone {
    let occasion = Occasion {
        incident,
        event,
        level: None,
        actor,
        comment,
    };
    let mut done = nothing(t);
    let mut told = Vec::new();
    for id in paged {
        if Some(*id) == actor_id {
            continue;
        }
        let Some(user) = ctx.dir.users.get(id).filter(|u| u.active) else {
            continue;
        };
        let links = event == "commented" && incident.status == Status::New;
        let a = ctx.address(user, &occasion, false, links);
        if a.messages.is_empty() {
            continue;
        }
        told.push(a.summary);
        done.effects.messages.extend(a.messages);
        done.effects.links.extend(a.links);
    }
    if !told.is_empty() {
        done.events.push(Event {
            seq: 0,
            incident_id: incident.id,
            at: ctx.now.max(incident.last_event_at),
            actor: Actor::system(),
            kind: EventKind::Notification,
            visibility: Visibility::WorkNote,
            changes: Vec::new(),
            body: Some(format!("Told of \"{event}\": {}", told.join("; "))),
        });
    }
    done
}
