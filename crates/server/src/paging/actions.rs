//! Action links from messages: a secret, single-use, expiring token that lets the person paged
//! acknowledge or resolve the incident without logging in. Opening the link only shows what it
//! would do (mail scanners open links by themselves); the confirming POST acts, marking the link
//! used in the same transaction as the incident's change.

use mayday_core::incident::{CommandContext, IncidentNumber, TransitionRequest};
use mayday_core::{Incident, Status};
use mayday_store::{ActionLink, IncidentRef, IncidentWrite, StoreError, User};

use super::effects;
use super::render::token_hash;
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::services::directory;
use crate::services::sla::SlaSettings;

/// A link that can still be used, with what it acts on.
pub struct Usable {
    pub link: ActionLink,
    pub incident: Incident,
    pub user: User,
    /// The resolution codes the resolve form offers.
    pub resolution_codes: Vec<String>,
}

/// Why a link cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// Unknown token (or its person or incident is gone): nothing to say about it.
    Unknown,
    Used,
    Expired,
}

/// The link behind `token`, if it can still be used.
pub async fn look_up(state: &AppState, token: &str) -> ApiResult<Result<Usable, Unusable>> {
    if token.len() > 100 {
        return Ok(Err(Unusable::Unknown));
    }
    let Some(link) = state.store.get_action_link(&token_hash(token)).await? else {
        return Ok(Err(Unusable::Unknown));
    };
    if link.used_at.is_some() {
        return Ok(Err(Unusable::Used));
    }
    if link.expires_at <= state.clock.now_ms() {
        return Ok(Err(Unusable::Expired));
    }
    let Some(incident) = state
        .store
        .get_incident(IncidentRef::Id(link.incident_id))
        .await?
    else {
        return Ok(Err(Unusable::Unknown));
    };
    let user = match directory::find_user(state.store.as_ref(), &link.user_id.to_string()).await? {
        Some(u) if u.active => u,
        _ => return Ok(Err(Unusable::Unknown)),
    };
    let resolution_codes = directory::resolution_codes(state.store.as_ref()).await?;
    Ok(Ok(Usable {
        link,
        incident,
        user,
        resolution_codes,
    }))
}

/// What the confirming POST did.
#[derive(Debug)]
pub enum Outcome {
    Done(Incident),
    /// Nothing to do any more (someone acknowledged or resolved it meanwhile).
    AlreadyDone(Incident),
}

/// Carries out the link's action as its person. `resolution_code` and `resolution_notes` are
/// what the resolve form sent.
pub async fn act(
    state: &AppState,
    token: &str,
    resolution_code: Option<String>,
    resolution_notes: Option<String>,
) -> ApiResult<Result<Outcome, Unusable>> {
    for _attempt in 0..5 {
        let u = match look_up(state, token).await? {
            Ok(u) => u,
            Err(why) => return Ok(Err(why)),
        };
        let before = u.incident.clone();
        let mut inc = u.incident;
        let to = match u.link.action.as_str() {
            "acknowledge" => Status::Acknowledged,
            _ => Status::Resolved,
        };
        let already = match to {
            Status::Acknowledged => inc.status != Status::New,
            _ => !inc.status.is_open(),
        };
        if already {
            return Ok(Ok(Outcome::AlreadyDone(inc)));
        }
        let ctx = CommandContext {
            now: state.clock.now_ms(),
            actor: mayday_core::timeline::Actor::user(u.user.id, u.user.username.clone()),
            matrix: &state.settings.priority_matrix,
            resolution_codes: &u.resolution_codes,
        };
        let req = TransitionRequest {
            to: Some(to),
            resolution_code: resolution_code.clone(),
            resolution_notes: resolution_notes.clone(),
            ..Default::default()
        };
        let mut event = inc.transition(req, &ctx)?;
        event.body = Some(format!(
            "{} through the link in a message to {}",
            if to == Status::Acknowledged {
                "Acknowledged"
            } else {
                "Resolved"
            },
            u.user.display_name
        ));
        let expected = inc.version;
        inc.version = expected + 1;
        let mut events = vec![event];
        let mut fx = effects::of_write(Some(&before), &inc, &events, ctx.now);
        let sla = SlaSettings::load(state.store.as_ref()).await?;
        crate::sla::on_write(
            &sla,
            Some(&before),
            &mut inc,
            &mut events,
            &mut fx,
            ctx.now,
            None,
        );
        let write = IncidentWrite {
            incident: inc.clone(),
            expected_version: expected,
            events,
            effects: fx.clone(),
        };
        match state
            .store
            .use_action_link(&u.link.token_hash, ctx.now, write)
            .await
        {
            Ok(true) => {
                state.paging.poke(&fx);
                if !inc.status.is_open() {
                    crate::intake::incident_ended(state, inc.id).await;
                }
                return Ok(Ok(Outcome::Done(inc)));
            }
            Ok(false) => return Ok(Err(Unusable::Used)),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict {
        detail: "the incident is changing too fast; open the link again".into(),
        allowed: None,
    })
}

/// `INC-000123: title`.
pub fn headline(inc: &Incident) -> String {
    format!("{}: {}", IncidentNumber(inc.number), inc.title)
}
