//! Paging use cases for people: escalate an incident by hand (now, or to a chosen level), see
//! an incident's pages and pending escalation, watch and re-queue the outbox (dead letters),
//! and change the message templates.

use mayday_core::incident::CommandContext;
use mayday_core::{Incident, Role};
use mayday_notify::MessageTemplate;
use mayday_store::{
    Effects, Entity, EntityKind, IncidentWrite, MessageQuery, MessageStatus, StoreError,
    StoredMessage, Timer,
};
use uuid::Uuid;

use super::render::Directory;
use super::{ESCALATION, TimerAction};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::incidents;

fn conflict(detail: impl Into<String>) -> ApiError {
    ApiError::Conflict {
        detail: detail.into(),
        allowed: None,
    }
}

/// Pages `level` (1-based) of the incident's policy now, or the next level when none is
/// given; pending escalation is replaced. Works on acknowledged incidents too (a person asks).
pub async fn escalate(
    state: &AppState,
    caller: &Caller,
    key: &str,
    level: Option<u32>,
) -> ApiResult<Incident> {
    caller.require(Role::Agent, "escalating incidents")?;
    for _attempt in 0..5 {
        let mut inc = incidents::load(state, caller, key).await?;
        if !inc.status.is_open() {
            return Err(conflict(format!(
                "the incident is {}; only open incidents escalate",
                inc.status
            )));
        }
        let dir = Directory::load(state.store.as_ref()).await?;
        let Some(policy) = dir.policy_for(&inc) else {
            return Err(conflict(
                "no escalation policy applies: set one on the incident's service or team",
            ));
        };
        let levels = policy.policy.levels.len() as u32;
        let target = match level {
            Some(k) if k == 0 || k > levels => {
                return Err(ApiError::Invalid(mayday_core::ValidationErrors::single(
                    "level",
                    format!("policy \"{}\" has levels 1 to {levels}", policy.name),
                )));
            }
            Some(k) => k,
            None => (inc.escalation_level.max(0) as u32 + 1).min(levels),
        };
        let now = state.clock.now_ms();
        let ctx = CommandContext {
            now,
            actor: caller.actor(),
            matrix: &state.settings.priority_matrix,
            resolution_codes: &[],
        };
        let expected = inc.version;
        let current = inc.escalation_level;
        let event = inc.escalation_note(
            current,
            format!(
                "{} asked to page level {target} of policy \"{}\" now",
                caller.user.display_name, policy.name
            ),
            &ctx,
        );
        inc.version = expected + 1;
        let action = TimerAction::Escalate {
            policy_id: Some(policy.id),
            level: target - 1,
            round: 0,
            manual: true,
        };
        let effects = Effects {
            cancel: vec![(inc.id, ESCALATION.to_string())],
            arm: vec![action.timer(inc.id, now, now)],
            ..Effects::default()
        };
        let write = IncidentWrite {
            incident: inc.clone(),
            expected_version: expected,
            events: vec![event],
            effects: effects.clone(),
        };
        match state.store.update_incident(write).await {
            Ok(()) => {
                state.paging.poke(&effects);
                return Ok(inc);
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(conflict("the incident is changing too fast; try again"))
}

/// An incident's messages (newest first) and pending timers (next escalation first).
pub async fn pages(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> ApiResult<(Incident, Vec<StoredMessage>, Vec<Timer>)> {
    caller.require(Role::Agent, "reading an incident's pages")?;
    let inc = incidents::load(state, caller, key).await?;
    let messages = state
        .store
        .list_messages(&MessageQuery {
            incident_id: Some(inc.id),
            status: None,
            limit: 500,
        })
        .await?;
    let timers = state.store.incident_timers(inc.id).await?;
    Ok((inc, messages, timers))
}

/// The outbox, newest first, optionally only messages in one status (`dead`: the dead letters).
pub async fn outbox(
    state: &AppState,
    caller: &Caller,
    status: Option<&str>,
    limit: Option<i64>,
) -> ApiResult<Vec<StoredMessage>> {
    caller.require(Role::Manager, "reading the notification outbox")?;
    let status = match status {
        None => None,
        Some(s) => Some(MessageStatus::parse(s).ok_or_else(|| {
            ApiError::Invalid(mayday_core::ValidationErrors::single(
                "status",
                format!("must be pending, sent, dead or canceled, got {s:?}"),
            ))
        })?),
    };
    let limit = limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::Invalid(mayday_core::ValidationErrors::single(
            "limit",
            "must be 1 to 1000",
        )));
    }
    Ok(state
        .store
        .list_messages(&MessageQuery {
            incident_id: None,
            status,
            limit,
        })
        .await?)
}

/// Puts a dead letter back in the queue (same identity, so receivers can still drop repeats).
pub async fn retry(state: &AppState, caller: &Caller, id: &str) -> ApiResult<StoredMessage> {
    caller.require(Role::Admin, "re-queueing messages")?;
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound(format!("no message {id:?}")))?;
    let Some(m) = state.store.get_message(id).await? else {
        return Err(ApiError::NotFound(format!("no message {id}")));
    };
    if m.status != MessageStatus::Dead {
        return Err(conflict(format!(
            "the message is {}; only dead letters are re-queued",
            m.status.as_str()
        )));
    }
    state
        .store
        .requeue_message(id, state.clock.now_ms())
        .await?;
    state.paging.messages_due.notify_one();
    state
        .store
        .get_message(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no message {id}")))
}

/// The template of every event: the admin's if changed, else the default.
pub async fn templates(
    state: &AppState,
    caller: &Caller,
) -> ApiResult<Vec<(String, MessageTemplate, bool)>> {
    caller.require(Role::Manager, "reading message templates")?;
    let dir_templates = state
        .store
        .list_entities(EntityKind::MessageTemplate)
        .await?;
    Ok(mayday_notify::EVENTS
        .iter()
        .map(|event| {
            let custom = dir_templates
                .iter()
                .find(|e| e.name == *event)
                .and_then(|e| serde_json::from_value::<MessageTemplate>(e.doc.clone()).ok());
            match custom {
                Some(t) => (event.to_string(), t, true),
                None => (
                    event.to_string(),
                    mayday_notify::default_template(event),
                    false,
                ),
            }
        })
        .collect())
}

fn check_event(event: &str) -> ApiResult<()> {
    if mayday_notify::EVENTS.contains(&event) {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "no message template {event:?}; events are {}",
            mayday_notify::EVENTS.join(", ")
        )))
    }
}

/// Replaces an event's template (`subject` and `body`, with `{{variables}}`).
pub async fn set_template(
    state: &AppState,
    caller: &Caller,
    event: &str,
    mut input: crate::input::Input,
) -> ApiResult<MessageTemplate> {
    caller.require(Role::Admin, "changing message templates")?;
    check_event(event)?;
    let field = |input: &mut crate::input::Input, key: &str, max: usize| {
        let v = input.string(key);
        match &v {
            None if !input.has(key) => input.error(key, "is required"),
            Some(t) if t.trim().is_empty() || t.len() > max => {
                input.error(key, format!("must be 1 to {max} bytes"))
            }
            Some(t) => {
                if let Err(e) = mayday_notify::check_template(t) {
                    input.error(key, e);
                }
            }
            None => {}
        }
        v
    };
    let subject = field(&mut input, "subject", 500);
    let body = field(&mut input, "body", 20_000);
    input.finish()?;
    let t = MessageTemplate {
        subject: subject.unwrap_or_default(),
        body: body.unwrap_or_default(),
    };
    let doc = serde_json::to_value(&t).map_err(|e| ApiError::Internal(e.to_string()))?;
    let now = state.clock.now_ms();
    match state
        .store
        .get_entity_by_name(EntityKind::MessageTemplate, event)
        .await?
    {
        Some(old) => {
            let e = Entity {
                version: old.version + 1,
                doc,
                updated_at: now.max(old.updated_at),
                ..old.clone()
            };
            state.store.update_entity(&e, old.version).await?;
        }
        None => {
            let e = Entity {
                kind: EntityKind::MessageTemplate,
                id: Uuid::now_v7(),
                name: event.to_string(),
                version: 1,
                doc,
                created_at: now,
                updated_at: now,
            };
            state.store.insert_entity(&e).await?;
        }
    }
    Ok(t)
}

/// Goes back to the default template of an event.
pub async fn reset_template(state: &AppState, caller: &Caller, event: &str) -> ApiResult<()> {
    caller.require(Role::Admin, "changing message templates")?;
    check_event(event)?;
    if let Some(e) = state
        .store
        .get_entity_by_name(EntityKind::MessageTemplate, event)
        .await?
    {
        state
            .store
            .delete_entity(EntityKind::MessageTemplate, e.id)
            .await?;
    }
    Ok(())
}
