//! Calendar feeds of shifts (RFC 5545): a person's secret feed token (only its SHA-256 is
//! kept; a new one replaces the old), their own shifts on every schedule, and every shift of a
//! schedule. The token in the URL is the only credential, so any problem with it — unknown,
//! replaced, its owner deactivated — and an unknown schedule all get the same 404.

use std::collections::HashMap;

use base64::Engine;
use mayday_core::Millis;
use mayday_core::Role;
use mayday_core::oncall::ics::{FeedEvent, calendar};
use mayday_core::oncall::{Shift, ShiftSource};
use mayday_store::{EntityKind, Schedule, User, decode_entity};
use uuid::Uuid;

use super::DAY;
use crate::AppState;
use crate::auth::{Caller, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::services::directory::{find_entity, user_for};

/// How far back a feed reaches.
pub const FEED_PAST_DAYS: i64 = 30;
/// How far ahead a feed reaches.
pub const FEED_AHEAD_DAYS: i64 = 180;
/// How much further back shifts are computed, so that a shift under way when the feed begins
/// keeps its real start (and with it its UID).
const LOOK_BEHIND_DAYS: i64 = 31;

/// A feed token just made, with the feed URLs built on it.
#[derive(Debug, Clone)]
pub struct CalendarToken {
    pub token: String,
    /// `<public_url>/ical/<token>/me.ics`
    pub personal_feed: String,
    /// `<public_url>/ical/<token>/schedules/{schedule}.ics`, `{schedule}` to fill in.
    pub schedule_feed: String,
}

/// A new feed token: 32 random bytes, URL-safe base64 (256 bits).
fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Makes a person's feed token (themself or an admin), replacing the previous one: its URLs
/// stop working at once.
pub async fn new_calendar_token(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> ApiResult<CalendarToken> {
    let user = user_for(
        state,
        caller,
        key,
        Role::Admin,
        "making another user's calendar token",
    )
    .await?;
    let token = generate_token();
    state
        .store
        .set_calendar_token(user.item.id, &token_hash(&token), state.clock.now_ms())
        .await?;
    let base = state.settings.public_url.trim_end_matches('/');
    Ok(CalendarToken {
        personal_feed: format!("{base}/ical/{token}/me.ics"),
        schedule_feed: format!("{base}/ical/{token}/schedules/{{schedule}}.ics"),
        token,
    })
}

fn no_feed() -> ApiError {
    ApiError::NotFound("no such calendar feed".into())
}

/// The active person whose feed token this is.
async fn feed_owner(state: &AppState, token: &str) -> ApiResult<User> {
    if token.is_empty() || token.len() > 200 {
        return Err(no_feed());
    }
    let id = state
        .store
        .calendar_token_user(&token_hash(token))
        .await?
        .ok_or_else(no_feed)?;
    let e = state
        .store
        .get_entity(EntityKind::User, id)
        .await?
        .ok_or_else(no_feed)?;
    let user: User = decode_entity(&e)?;
    if !user.active {
        return Err(no_feed());
    }
    Ok(user)
}

/// The span a feed covers at `now`: from 30 days ago (at the start of that UTC day, so the
/// feed changes at most daily) to 180 days ahead.
fn feed_range(now: Millis) -> (Millis, Millis) {
    let from = (now - FEED_PAST_DAYS * DAY).div_euclid(DAY) * DAY;
    (from, now + FEED_AHEAD_DAYS * DAY)
}

/// A schedule's shifts overlapping the feed's span, with their real starts.
fn feed_shifts(s: &Schedule, from: Millis, to: Millis) -> Vec<Shift> {
    s.rota
        .shifts(from - LOOK_BEHIND_DAYS * DAY, to)
        .into_iter()
        .filter(|shift| shift.end > from)
        .collect()
}

/// One shift as an event: UID `<schedule id>-<user id>-<start ms>@mayday`, summary
/// `On call: Primary (alice)`.
fn event(s: &Schedule, shift: &Shift, username: &str) -> FeedEvent {
    let source = match shift.source {
        ShiftSource::Layer { index } => s
            .rota
            .layers
            .get(index)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| format!("Layer {}", index + 1)),
        ShiftSource::Override { .. } => "override".into(),
    };
    FeedEvent {
        uid: format!("{}-{}-{}@mayday", s.id, shift.user_id, shift.start),
        start: shift.start,
        end: shift.end,
        summary: format!("On call: {} ({username})", s.name),
        description: format!("Mayday schedule {}, {source}", s.name),
    }
}

async fn schedules(state: &AppState) -> ApiResult<Vec<Schedule>> {
    state
        .store
        .list_entities(EntityKind::Schedule)
        .await?
        .iter()
        .map(|e| Ok(decode_entity::<Schedule>(e)?))
        .collect()
}

/// The feed of the token owner's own shifts on every schedule.
pub async fn personal_feed(state: &AppState, token: &str) -> ApiResult<String> {
    let user = feed_owner(state, token).await?;
    let now = state.clock.now_ms();
    let (from, to) = feed_range(now);
    let mut events = Vec::new();
    for s in schedules(state).await? {
        for shift in feed_shifts(&s, from, to) {
            if shift.user_id == user.id {
                events.push(event(&s, &shift, &user.username));
            }
        }
    }
    events.sort_by(|a, b| (a.start, &a.uid).cmp(&(b.start, &b.uid)));
    Ok(calendar(
        &format!("Mayday on-call: {}", user.username),
        &events,
        now,
    ))
}

/// The feed of every shift of a schedule (`file` is its id or name with `.ics`); the token's
/// owner must be able to read schedules.
pub async fn schedule_feed(state: &AppState, token: &str, file: &str) -> ApiResult<String> {
    let user = feed_owner(state, token).await?;
    if user.role < Role::Agent {
        return Err(no_feed());
    }
    let key = file.strip_suffix(".ics").ok_or_else(no_feed)?;
    let e = find_entity(state.store.as_ref(), EntityKind::Schedule, key)
        .await?
        .ok_or_else(no_feed)?;
    let s: Schedule = decode_entity(&e)?;
    let now = state.clock.now_ms();
    let (from, to) = feed_range(now);
    let shifts = feed_shifts(&s, from, to);
    let mut names: HashMap<Uuid, String> = HashMap::new();
    for shift in &shifts {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(shift.user_id) {
            let name = state
                .store
                .get_entity(EntityKind::User, shift.user_id)
                .await?
                .map(|u| u.name)
                .unwrap_or_else(|| "deleted user".into());
            slot.insert(name);
        }
    }
    let events: Vec<FeedEvent> = shifts
        .iter()
        .map(|shift| event(&s, shift, &names[&shift.user_id]))
        .collect();
    Ok(calendar(
        &format!("Mayday on-call: {}", s.name),
        &events,
        now,
    ))
}
