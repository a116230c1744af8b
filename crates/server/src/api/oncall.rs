//! On-call routes: schedules (layers, overrides, who is on call, shifts and gaps), escalation
//! policies, each person's contact methods and notification rules, their calendar-feed token,
//! and the public calendar feeds (`/ical/{token}/...`, where the token is the credential).
//! Handlers translate HTTP to the use cases in [`crate::services::oncall`] and back.
//!
//! Schedules and policies carry `ETag: "<version>"`; their `PATCH` takes an optional
//! `If-Match` (412 when stale). References take an id or a name and are shown as `{id, name}`;
//! instants are RFC 3339 UTC, a layer's start is wall-clock time in the schedule's zone.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use mayday_core::Millis;
use mayday_core::oncall::{Day, Restriction, Shift, ShiftSource, Target, TurnUnit};
use mayday_store::{ContactMethod, EntityKind, NotificationRule, Policy, Schedule, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::view::NamedRef;
use super::{JsonBody, created, if_match, tagged};
use crate::AppState;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::services::directory::Stored;
use crate::services::oncall::{self as svc, OnCall};

/// Routes behind authentication.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/schedules",
            get(list_schedules).post(create_schedule),
        )
        .route(
            "/api/v1/schedules/{id}",
            get(show_schedule)
                .patch(patch_schedule)
                .delete(delete_schedule),
        )
        .route(
            "/api/v1/schedules/{id}/overrides",
            get(list_overrides).post(create_override),
        )
        .route(
            "/api/v1/schedules/{id}/overrides/{override_id}",
            delete(delete_override),
        )
        .route("/api/v1/schedules/{id}/oncall", get(schedule_on_call))
        .route("/api/v1/schedules/{id}/shifts", get(schedule_shifts))
        .route("/api/v1/oncall", get(on_call))
        .route("/api/v1/users/{id}/oncall", get(user_shifts))
        .route("/api/v1/users/{id}/calendar-token", post(calendar_token))
        .route(
            "/api/v1/escalation-policies",
            get(list_policies).post(create_policy),
        )
        .route(
            "/api/v1/escalation-policies/{id}",
            get(show_policy).patch(patch_policy).delete(delete_policy),
        )
        .route(
            "/api/v1/users/{id}/contact-methods",
            get(list_contact_methods).post(add_contact_method),
        )
        .route(
            "/api/v1/users/{id}/contact-methods/{method_id}",
            delete(delete_contact_method),
        )
        .route(
            "/api/v1/users/{id}/notification-rules",
            get(list_notification_rules).post(add_notification_rule),
        )
        .route(
            "/api/v1/users/{id}/notification-rules/{rule_id}",
            delete(delete_notification_rule),
        )
}

/// Routes without a login (authenticated by a secret in the URL).
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/ical/{token}/me.ics", get(personal_feed))
        .route("/ical/{token}/schedules/{file}", get(schedule_feed))
}

// --- views ---

/// A span of time, RFC 3339.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpanView {
    pub start: String,
    pub end: String,
}

fn span((start, end): (Millis, Millis)) -> SpanView {
    SpanView {
        start: rfc3339(start),
        end: rfc3339(end),
    }
}

/// How long one member's turn lasts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TurnView {
    /// hours, days or weeks (days and weeks keep the wall-clock hand-off across DST).
    pub unit: String,
    pub count: u32,
}

/// When a layer is active: `daily` (`start`, `end`) or `weekly` (also `start_day`, `end_day`);
/// an end not after the start wraps past midnight or the end of the week.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RestrictionView {
    /// daily or weekly.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_day: Option<String>,
    /// Wall-clock time `HH:MM` (or `HH:MM:SS`).
    pub start: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_day: Option<String>,
    pub end: String,
}

/// One rotation of a schedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LayerView {
    pub name: String,
    /// In turn order, as `{id, name}` with the username as name.
    pub members: Vec<NamedRef>,
    pub turn: TurnView,
    /// The first hand-off, wall-clock in the schedule's zone (`2026-03-16T09:00:00`).
    pub start: String,
    pub restrictions: Vec<RestrictionView>,
}

/// An override: this person is on call from `start` to `end`, before every layer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverrideView {
    pub id: Uuid,
    pub user: NamedRef,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverrideList {
    pub items: Vec<OverrideView>,
}

/// A schedule. Later layers win wherever they have someone; overrides win over all layers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduleView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// IANA time zone name.
    pub time_zone: String,
    pub layers: Vec<LayerView>,
    pub overrides: Vec<OverrideView>,
    /// A warning: the spans of the next 14 days where nobody is on call.
    pub gaps_next_14_days: Vec<SpanView>,
    /// Also sent as the `ETag`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleList {
    pub items: Vec<ScheduleView>,
}

/// A person on call, with their current shift's span when known.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnCallUser {
    pub id: Uuid,
    /// Username; null if the user was deleted.
    pub name: Option<String>,
    pub shift_start: Option<String>,
    pub shift_end: Option<String>,
}

/// Who a schedule has on call at `at`: override people, else the winning layer's person;
/// empty in a gap.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleOnCall {
    pub schedule: NamedRef,
    pub at: String,
    pub users: Vec<OnCallUser>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchedulePeople {
    pub schedule: NamedRef,
    pub users: Vec<OnCallUser>,
}

/// Who every schedule has on call at `at`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCallView {
    pub at: String,
    pub schedules: Vec<SchedulePeople>,
}

/// Where a shift comes from: `{"kind": "layer", "index", "name"}` or
/// `{"kind": "override", "id"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShiftSourceView {
    /// layer or override.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
}

/// A span one person is on call for a schedule, `[start, end)` (clipped to the range asked).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShiftView {
    pub user: NamedRef,
    pub start: String,
    pub end: String,
    pub source: ShiftSourceView,
}

/// A schedule's shifts and the gaps between them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftsView {
    pub schedule: NamedRef,
    pub from: String,
    pub to: String,
    pub shifts: Vec<ShiftView>,
    /// Where nobody is on call.
    pub gaps: Vec<SpanView>,
}

/// A shift of one person.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserShiftView {
    pub schedule: NamedRef,
    pub start: String,
    pub end: String,
    pub source: ShiftSourceView,
}

/// One person's shifts on every schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserShiftsView {
    pub user: NamedRef,
    pub from: String,
    pub to: String,
    pub shifts: Vec<UserShiftView>,
}

/// A calendar-feed token just made: the only time it is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarTokenView {
    /// The secret in the feed URLs; it replaces the previous one (whose URLs stop working).
    /// Null when an `Idempotency-Key` retry replays the answer.
    pub token: Option<String>,
    /// `<public_url>/ical/<token>/me.ics`: your shifts on every schedule.
    pub personal_feed: Option<String>,
    /// `<public_url>/ical/<token>/schedules/{schedule}.ics`: every shift of a schedule (put
    /// its id or name in place of `{schedule}`).
    pub schedule_feed: Option<String>,
}

/// A target of an escalation level.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetView {
    /// user, schedule (whoever it has on call) or team (its schedule, else all members).
    pub kind: String,
    pub id: Uuid,
    /// Username, schedule or team name; null if it was deleted.
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelView {
    pub targets: Vec<TargetView>,
    /// How long to wait for an acknowledgement before the next level.
    pub delay_seconds: u32,
    /// The same in minutes (may be fractional).
    #[schema(value_type = f64)]
    pub delay_minutes: Value,
}

/// An escalation policy: levels paged in order, the whole run `repeat` more times.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub levels: Vec<LevelView>,
    pub repeat: u32,
    /// Also sent as the `ETag`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyList {
    pub items: Vec<PolicyView>,
}

/// A contact method as listed: its secret is never shown again.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactMethodView {
    pub id: Uuid,
    /// email, webhook, slack, teams or mattermost.
    pub kind: String,
    /// The email address or the URL.
    pub address: String,
    pub label: String,
    /// Whether deliveries are signed (webhook-style kinds always are).
    pub has_secret: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactMethodList {
    pub items: Vec<ContactMethodView>,
}

/// A contact method just added: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewContactMethodView {
    pub id: Uuid,
    pub kind: String,
    pub address: String,
    pub label: String,
    /// The HMAC secret signing webhook-style deliveries; null for email,
    /// and when an `Idempotency-Key` retry replays the answer.
    pub secret: Option<String>,
}

/// Use a contact method this many minutes after a page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationRuleView {
    pub id: Uuid,
    /// The contact method's id.
    pub contact_method: Uuid,
    pub delay_minutes: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationRuleList {
    pub items: Vec<NotificationRuleView>,
}

/// Resolves ids to names for one response, asking the store once per id.
struct Refs<'a> {
    store: &'a dyn Store,
    cache: HashMap<(EntityKind, Uuid), Option<String>>,
}

impl<'a> Refs<'a> {
    fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            cache: HashMap::new(),
        }
    }

    async fn named(&mut self, kind: EntityKind, id: Uuid) -> ApiResult<NamedRef> {
        let name = match self.cache.get(&(kind, id)) {
            Some(n) => n.clone(),
            None => {
                let n = self.store.get_entity(kind, id).await?.map(|e| e.name);
                self.cache.insert((kind, id), n.clone());
                n
            }
        };
        Ok(NamedRef { id, name })
    }

    async fn user(&mut self, id: Uuid) -> ApiResult<NamedRef> {
        self.named(EntityKind::User, id).await
    }

    async fn on_call(&mut self, people: &[OnCall]) -> ApiResult<Vec<OnCallUser>> {
        let mut out = Vec::with_capacity(people.len());
        for p in people {
            let r = self.user(p.user_id).await?;
            out.push(OnCallUser {
                id: r.id,
                name: r.name,
                shift_start: p.shift_start.map(rfc3339),
                shift_end: p.shift_end.map(rfc3339),
            });
        }
        Ok(out)
    }

    async fn overrides(&mut self, s: &Schedule) -> ApiResult<Vec<OverrideView>> {
        let mut out = Vec::with_capacity(s.rota.overrides.len());
        for o in &s.rota.overrides {
            out.push(OverrideView {
                id: o.id,
                user: self.user(o.user_id).await?,
                start: rfc3339(o.start),
                end: rfc3339(o.end),
            });
        }
        Ok(out)
    }

    async fn schedule(&mut self, s: &Stored<Schedule>, now: Millis) -> ApiResult<ScheduleView> {
        let rota = &s.item.rota;
        let mut layers = Vec::with_capacity(rota.layers.len());
        for l in &rota.layers {
            let mut members = Vec::with_capacity(l.members.len());
            for id in &l.members {
                members.push(self.user(*id).await?);
            }
            layers.push(LayerView {
                name: l.name.clone(),
                members,
                turn: TurnView {
                    unit: unit_name(l.turn.unit).into(),
                    count: l.turn.count,
                },
                start: l.start.to_string(),
                restrictions: l.restrictions.iter().map(restriction_view).collect(),
            });
        }
        let horizon = now.saturating_add(svc::DEFAULT_RANGE_DAYS * 86_400_000);
        Ok(ScheduleView {
            id: s.item.id,
            name: s.item.name.clone(),
            description: s.item.description.clone(),
            time_zone: rota.time_zone.clone(),
            layers,
            overrides: self.overrides(&s.item).await?,
            gaps_next_14_days: rota.gaps(now, horizon).into_iter().map(span).collect(),
            version: s.version,
            created_at: rfc3339(s.created_at),
            updated_at: rfc3339(s.updated_at),
        })
    }

    async fn shift(&mut self, s: &Schedule, shift: &Shift) -> ApiResult<ShiftView> {
        Ok(ShiftView {
            user: self.user(shift.user_id).await?,
            start: rfc3339(shift.start),
            end: rfc3339(shift.end),
            source: source_view(s, shift.source),
        })
    }

    async fn policy(&mut self, p: &Stored<Policy>) -> ApiResult<PolicyView> {
        let mut levels = Vec::with_capacity(p.item.policy.levels.len());
        for l in &p.item.policy.levels {
            let mut targets = Vec::with_capacity(l.targets.len());
            for t in &l.targets {
                let (kind, entity, id) = match *t {
                    Target::User(id) => ("user", EntityKind::User, id),
                    Target::Schedule(id) => ("schedule", EntityKind::Schedule, id),
                    Target::Team(id) => ("team", EntityKind::Team, id),
                };
                let r = self.named(entity, id).await?;
                targets.push(TargetView {
                    kind: kind.into(),
                    id,
                    name: r.name,
                });
            }
            levels.push(LevelView {
                targets,
                delay_seconds: l.delay_seconds,
                delay_minutes: minutes(l.delay_seconds),
            });
        }
        Ok(PolicyView {
            id: p.item.id,
            name: p.item.name.clone(),
            description: p.item.description.clone(),
            levels,
            repeat: p.item.policy.repeat,
            version: p.version,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        })
    }
}

/// Seconds as minutes: a whole number when it is one (`5`), else fractional (`0.5`).
fn minutes(seconds: u32) -> Value {
    if seconds.is_multiple_of(60) {
        Value::from(seconds / 60)
    } else {
        Value::from(f64::from(seconds) / 60.0)
    }
}

fn unit_name(u: TurnUnit) -> &'static str {
    match u {
        TurnUnit::Hours => "hours",
        TurnUnit::Days => "days",
        TurnUnit::Weeks => "weeks",
    }
}

fn day_name(d: Day) -> &'static str {
    match d {
        Day::Monday => "monday",
        Day::Tuesday => "tuesday",
        Day::Wednesday => "wednesday",
        Day::Thursday => "thursday",
        Day::Friday => "friday",
        Day::Saturday => "saturday",
        Day::Sunday => "sunday",
    }
}

/// `09:00`, or `09:00:30` when there are seconds.
fn time_text(t: jiff::civil::Time) -> String {
    if t.second() == 0 {
        t.strftime("%H:%M").to_string()
    } else {
        t.strftime("%H:%M:%S").to_string()
    }
}

fn restriction_view(r: &Restriction) -> RestrictionView {
    match *r {
        Restriction::Daily { start, end } => RestrictionView {
            kind: "daily".into(),
            start_day: None,
            start: time_text(start),
            end_day: None,
            end: time_text(end),
        },
        Restriction::Weekly {
            start_day,
            start,
            end_day,
            end,
        } => RestrictionView {
            kind: "weekly".into(),
            start_day: Some(day_name(start_day).into()),
            start: time_text(start),
            end_day: Some(day_name(end_day).into()),
            end: time_text(end),
        },
    }
}

fn source_view(s: &Schedule, source: ShiftSource) -> ShiftSourceView {
    match source {
        ShiftSource::Layer { index } => ShiftSourceView {
            kind: "layer".into(),
            index: Some(index),
            name: s.rota.layers.get(index).map(|l| l.name.clone()),
            id: None,
        },
        ShiftSource::Override { id } => ShiftSourceView {
            kind: "override".into(),
            index: None,
            name: None,
            id: Some(id),
        },
    }
}

fn schedule_ref(s: &Stored<Schedule>) -> NamedRef {
    NamedRef {
        id: s.item.id,
        name: Some(s.item.name.clone()),
    }
}

fn contact_method_view(c: &ContactMethod) -> ContactMethodView {
    ContactMethodView {
        id: c.id,
        kind: c.kind.clone(),
        address: c.address.clone(),
        label: c.label.clone(),
        has_secret: c.secret.is_some(),
    }
}

fn rule_view(r: &NotificationRule) -> NotificationRuleView {
    NotificationRuleView {
        id: r.id,
        contact_method: r.contact_method_id,
        delay_minutes: r.delay_minutes,
    }
}

/// A 201 whose body holds a secret: an `Idempotency-Key` replay answers `replay` instead, and
/// caches are told not to keep it.
fn created_secret<T: Serialize>(
    location: Option<String>,
    body: T,
    replay: &T,
) -> ApiResult<Response> {
    let replay = serde_json::to_string(replay).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    res.extensions_mut()
        .insert(crate::api::idempotency::ReplayBody(replay));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

// --- request bodies (documentation; handlers read them field by field) ---

/// How long each member's turn lasts.
#[derive(Serialize, ToSchema)]
pub struct TurnBody {
    /// hours, days or weeks.
    pub unit: String,
    /// 1 to 8784 hours, 366 days or 52 weeks.
    pub count: u32,
}

/// A window a layer is active in: `{"kind": "daily", "start": "09:00", "end": "17:00"}` or
/// `{"kind": "weekly", "start_day": "monday", "start": "09:00", "end_day": "friday",
/// "end": "17:00"}`. An end not after the start wraps.
#[derive(Serialize, ToSchema)]
pub struct RestrictionBody {
    /// daily or weekly.
    pub kind: String,
    /// weekly only: monday .. sunday.
    pub start_day: Option<String>,
    /// `HH:MM` or `HH:MM:SS`, wall-clock in the schedule's zone.
    pub start: String,
    /// weekly only.
    pub end_day: Option<String>,
    pub end: String,
}

/// One rotation.
#[derive(Serialize, ToSchema)]
pub struct LayerBody {
    /// Default `Layer N`.
    pub name: Option<String>,
    /// User ids or usernames in turn order (repeats allowed).
    pub members: Vec<String>,
    pub turn: TurnBody,
    /// The first hand-off: wall-clock in the schedule's zone (`2026-03-16T09:00:00`), or an
    /// RFC 3339 instant (placed on the zone's wall clock).
    pub start: String,
    /// None: always active.
    pub restrictions: Option<Vec<RestrictionBody>>,
}

/// Body of `POST /api/v1/schedules` (name, time_zone and layers required) and
/// `PATCH /api/v1/schedules/{id}` (any subset; `layers` replaces the list).
#[derive(Serialize, ToSchema)]
pub struct ScheduleBody {
    pub name: String,
    pub description: Option<String>,
    /// IANA time zone name, e.g. Europe/Berlin.
    pub time_zone: String,
    /// Later layers win wherever they have someone.
    pub layers: Vec<LayerBody>,
}

/// Body of `POST /api/v1/schedules/{id}/overrides`.
#[derive(Serialize, ToSchema)]
pub struct OverrideBody {
    /// User id or username.
    pub user: String,
    /// RFC 3339.
    pub start: String,
    /// RFC 3339, after start (at most 366 days later).
    pub end: String,
}

/// An escalation target: `{"kind": "user"|"schedule"|"team", "id": id or name}`.
#[derive(Serialize, ToSchema)]
pub struct TargetBody {
    pub kind: String,
    pub id: String,
}

/// One level: its targets and the wait before the next level, given as exactly one of
/// `delay_minutes` and `delay_seconds` (1 second to 7 days).
#[derive(Serialize, ToSchema)]
pub struct LevelBody {
    pub targets: Vec<TargetBody>,
    /// May be fractional (0.5 = 30 seconds).
    pub delay_minutes: Option<f64>,
    pub delay_seconds: Option<u32>,
}

/// Body of `POST /api/v1/escalation-policies` (name and levels required) and
/// `PATCH /api/v1/escalation-policies/{id}` (any subset; `levels` replaces the list).
#[derive(Serialize, ToSchema)]
pub struct PolicyBody {
    pub name: String,
    pub description: Option<String>,
    pub levels: Vec<LevelBody>,
    /// How many more times the whole policy runs after the last level (0 to 9, default 0).
    pub repeat: Option<u32>,
}

/// Body of `POST /api/v1/users/{id}/contact-methods`.
#[derive(Serialize, ToSchema)]
pub struct ContactMethodBody {
    /// email, webhook, slack, teams or mattermost.
    pub kind: String,
    /// An email address, or an absolute http(s) URL of at most 2000 characters.
    pub address: String,
    pub label: Option<String>,
    /// Webhook-style kinds only: 16 to 200 characters signing deliveries (HMAC-SHA256); one is
    /// generated when absent. Shown only in this answer.
    pub secret: Option<String>,
}

/// Body of `POST /api/v1/users/{id}/notification-rules`.
#[derive(Serialize, ToSchema)]
pub struct NotificationRuleBody {
    /// The id of one of the person's contact methods.
    pub contact_method: String,
    /// 0 (at once, the default) to 1440.
    pub delay_minutes: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub struct AtQuery {
    at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

// --- schedules ---

/// Every schedule (agents and above).
#[utoipa::path(get, path = "/api/v1/schedules", tag = "schedules",
    responses((status = 200, body = ScheduleList), (status = 403)))]
pub async fn list_schedules(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ScheduleList>> {
    let list = svc::list_schedules(&state, &caller).await?;
    let now = state.clock.now_ms();
    let mut refs = Refs::new(state.store.as_ref());
    let mut items = Vec::with_capacity(list.len());
    for s in &list {
        items.push(refs.schedule(s, now).await?);
    }
    Ok(Json(ScheduleList { items }))
}

/// Create a schedule (managers and admins).
#[utoipa::path(post, path = "/api/v1/schedules", tag = "schedules", request_body = ScheduleBody,
    responses((status = 201, body = ScheduleView), (status = 403),
        (status = 409, description = "name taken"),
        (status = 422, description = "invalid fields, all named (`layers[0].members`)")))]
pub async fn create_schedule(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::SCHEDULE_FIELDS)?;
    let s = svc::create_schedule(&state, &caller, input).await?;
    let view = Refs::new(state.store.as_ref())
        .schedule(&s, state.clock.now_ms())
        .await?;
    Ok(created(
        s.version,
        format!("/api/v1/schedules/{}", s.item.id),
        view,
    ))
}

/// One schedule by id or name, with the gaps of the next 14 days (agents and above).
#[utoipa::path(get, path = "/api/v1/schedules/{id}", tag = "schedules",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 200, body = ScheduleView), (status = 403), (status = 404)))]
pub async fn show_schedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let s = svc::load_schedule(&state, &caller, &id).await?;
    let view = Refs::new(state.store.as_ref())
        .schedule(&s, state.clock.now_ms())
        .await?;
    Ok(tagged(StatusCode::OK, s.version, view))
}

/// Change a schedule (managers and admins): any of name, description, time_zone and layers.
#[utoipa::path(patch, path = "/api/v1/schedules/{id}", tag = "schedules", request_body = ScheduleBody,
    params(("id" = String, Path, description = "UUID or name"),
        ("If-Match" = Option<String>, Header, description = "the ETag last seen")),
    responses((status = 200, body = ScheduleView), (status = 403), (status = 404), (status = 409),
        (status = 412, description = "stale version"), (status = 422)))]
pub async fn patch_schedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let input = body.input(svc::SCHEDULE_FIELDS)?;
    let s = svc::patch_schedule(&state, &caller, &id, version, input).await?;
    let view = Refs::new(state.store.as_ref())
        .schedule(&s, state.clock.now_ms())
        .await?;
    Ok(tagged(StatusCode::OK, s.version, view))
}

/// Delete a schedule no escalation policy and no team refers to (managers and admins).
#[utoipa::path(delete, path = "/api/v1/schedules/{id}", tag = "schedules",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404),
        (status = 409, description = "a policy or team refers to it")))]
pub async fn delete_schedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    svc::delete_schedule(&state, &caller, &id).await?;
    Ok(no_content())
}

/// A schedule's overrides (agents and above); those that ended over 30 days ago are dropped
/// when the schedule is next written.
#[utoipa::path(get, path = "/api/v1/schedules/{id}/overrides", tag = "schedules",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 200, body = OverrideList), (status = 403), (status = 404)))]
pub async fn list_overrides(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let s = svc::load_schedule(&state, &caller, &id).await?;
    let items = Refs::new(state.store.as_ref()).overrides(&s.item).await?;
    Ok(tagged(StatusCode::OK, s.version, OverrideList { items }))
}

/// Put someone on call from `start` to `end`, before every layer (managers and admins).
#[utoipa::path(post, path = "/api/v1/schedules/{id}/overrides", tag = "schedules",
    request_body = OverrideBody,
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 201, body = OverrideView), (status = 403), (status = 404),
        (status = 409, description = "too many overrides"), (status = 422)))]
pub async fn create_override(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::OVERRIDE_FIELDS)?;
    let (s, o) = svc::create_override(&state, &caller, &id, input).await?;
    let view = OverrideView {
        id: o.id,
        user: Refs::new(state.store.as_ref()).user(o.user_id).await?,
        start: rfc3339(o.start),
        end: rfc3339(o.end),
    };
    Ok(created(
        s.version,
        format!("/api/v1/schedules/{}/overrides/{}", s.item.id, o.id),
        view,
    ))
}

/// Remove an override (managers and admins).
#[utoipa::path(delete, path = "/api/v1/schedules/{id}/overrides/{override_id}", tag = "schedules",
    params(("id" = String, Path, description = "UUID or name"), ("override_id" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404)))]
pub async fn delete_override(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, override_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    svc::delete_override(&state, &caller, &id, &override_id).await?;
    Ok(no_content())
}

/// Who the schedule has on call at `at` (default now), with their shift's span when known
/// (agents and above).
#[utoipa::path(get, path = "/api/v1/schedules/{id}/oncall", tag = "schedules",
    params(("id" = String, Path, description = "UUID or name"),
        ("at" = Option<String>, Query, description = "RFC 3339; default now")),
    responses((status = 200, body = ScheduleOnCall), (status = 403), (status = 404),
        (status = 422)))]
pub async fn schedule_on_call(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<AtQuery>,
) -> ApiResult<Json<ScheduleOnCall>> {
    let at = svc::query_time("at", q.at.as_deref())?.unwrap_or_else(|| state.clock.now_ms());
    let (s, people) = svc::schedule_on_call(&state, &caller, &id, at).await?;
    let users = Refs::new(state.store.as_ref()).on_call(&people).await?;
    Ok(Json(ScheduleOnCall {
        schedule: schedule_ref(&s),
        at: rfc3339(at),
        users,
    }))
}

/// The schedule's final shifts and its gaps between `from` (default now) and `to` (default
/// 14 days later; at most 366 days after `from`) (agents and above).
#[utoipa::path(get, path = "/api/v1/schedules/{id}/shifts", tag = "schedules",
    params(("id" = String, Path, description = "UUID or name"),
        ("from" = Option<String>, Query, description = "RFC 3339; default now"),
        ("to" = Option<String>, Query, description = "RFC 3339; default from + 14 days")),
    responses((status = 200, body = ShiftsView), (status = 403), (status = 404),
        (status = 422)))]
pub async fn schedule_shifts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Json<ShiftsView>> {
    let (from, to) = svc::query_range(q.from.as_deref(), q.to.as_deref(), state.clock.now_ms())?;
    let (s, shifts, gaps) = svc::schedule_shifts(&state, &caller, &id, from, to).await?;
    let mut refs = Refs::new(state.store.as_ref());
    let mut views = Vec::with_capacity(shifts.len());
    for shift in &shifts {
        views.push(refs.shift(&s.item, shift).await?);
    }
    Ok(Json(ShiftsView {
        schedule: schedule_ref(&s),
        from: rfc3339(from),
        to: rfc3339(to),
        shifts: views,
        gaps: gaps.into_iter().map(span).collect(),
    }))
}

/// Who every schedule has on call at `at` (default now) (agents and above).
#[utoipa::path(get, path = "/api/v1/oncall", tag = "schedules",
    params(("at" = Option<String>, Query, description = "RFC 3339; default now")),
    responses((status = 200, body = OnCallView), (status = 403), (status = 422)))]
pub async fn on_call(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AtQuery>,
) -> ApiResult<Json<OnCallView>> {
    let at = svc::query_time("at", q.at.as_deref())?.unwrap_or_else(|| state.clock.now_ms());
    let all = svc::everyone_on_call(&state, &caller, at).await?;
    let mut refs = Refs::new(state.store.as_ref());
    let mut schedules = Vec::with_capacity(all.len());
    for (s, people) in &all {
        schedules.push(SchedulePeople {
            schedule: schedule_ref(s),
            users: refs.on_call(people).await?,
        });
    }
    Ok(Json(OnCallView {
        at: rfc3339(at),
        schedules,
    }))
}

/// A person's shifts on every schedule between `from` (default now) and `to` (default 14 days
/// later) (the person themself, or agents and above).
#[utoipa::path(get, path = "/api/v1/users/{id}/oncall", tag = "schedules",
    params(("id" = String, Path, description = "UUID or username"),
        ("from" = Option<String>, Query, description = "RFC 3339; default now"),
        ("to" = Option<String>, Query, description = "RFC 3339; default from + 14 days")),
    responses((status = 200, body = UserShiftsView), (status = 403), (status = 404),
        (status = 422)))]
pub async fn user_shifts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Json<UserShiftsView>> {
    let (from, to) = svc::query_range(q.from.as_deref(), q.to.as_deref(), state.clock.now_ms())?;
    let (user, shifts) = svc::user_shifts(&state, &caller, &id, from, to).await?;
    Ok(Json(UserShiftsView {
        user: NamedRef {
            id: user.item.id,
            name: Some(user.item.username.clone()),
        },
        from: rfc3339(from),
        to: rfc3339(to),
        shifts: shifts
            .iter()
            .map(|(s, shift)| UserShiftView {
                schedule: schedule_ref(s),
                start: rfc3339(shift.start),
                end: rfc3339(shift.end),
                source: source_view(&s.item, shift.source),
            })
            .collect(),
    }))
}

// --- calendar feeds ---

/// Make a new calendar-feed token (the person themself or an admin). It replaces the previous
/// one, whose feed URLs stop working; only its SHA-256 is kept, so this answer is the only time
/// it is shown.
#[utoipa::path(post, path = "/api/v1/users/{id}/calendar-token", tag = "schedules",
    params(("id" = String, Path, description = "UUID or username")),
    responses((status = 201, body = CalendarTokenView), (status = 403), (status = 404)))]
pub async fn calendar_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = svc::new_calendar_token(&state, &caller, &id).await?;
    let replay = CalendarTokenView {
        token: None,
        personal_feed: None,
        schedule_feed: None,
    };
    let view = CalendarTokenView {
        token: Some(t.token),
        personal_feed: Some(t.personal_feed),
        schedule_feed: Some(t.schedule_feed),
    };
    created_secret(None, view, &replay)
}

fn ics(body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

/// The token owner's shifts on every schedule, from 30 days ago to 180 days ahead, as an
/// iCalendar feed (no login: the token is the credential; any problem with it is 404).
#[utoipa::path(get, path = "/ical/{token}/me.ics", tag = "schedules", security(()),
    params(("token" = String, Path, description = "from POST /api/v1/users/{id}/calendar-token")),
    responses((status = 200, description = "text/calendar (RFC 5545)", content_type = "text/calendar"),
        (status = 404)))]
pub async fn personal_feed(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    Ok(ics(svc::personal_feed(&state, &token).await?))
}

/// Every shift of a schedule, from 30 days ago to 180 days ahead, as an iCalendar feed (no
/// login: the token is the credential, its owner an agent or above; any problem is 404).
#[utoipa::path(get, path = "/ical/{token}/schedules/{schedule}.ics", tag = "schedules", security(()),
    params(("token" = String, Path, description = "from POST /api/v1/users/{id}/calendar-token"),
        ("schedule" = String, Path, description = "the schedule's id or name")),
    responses((status = 200, description = "text/calendar (RFC 5545)", content_type = "text/calendar"),
        (status = 404)))]
pub async fn schedule_feed(
    State(state): State<AppState>,
    Path((token, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    Ok(ics(svc::schedule_feed(&state, &token, &file).await?))
}

// --- escalation policies ---

/// Every escalation policy (agents and above).
#[utoipa::path(get, path = "/api/v1/escalation-policies", tag = "escalation-policies",
    responses((status = 200, body = PolicyList), (status = 403)))]
pub async fn list_policies(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<PolicyList>> {
    let list = svc::list_policies(&state, &caller).await?;
    let mut refs = Refs::new(state.store.as_ref());
    let mut items = Vec::with_capacity(list.len());
    for p in &list {
        items.push(refs.policy(p).await?);
    }
    Ok(Json(PolicyList { items }))
}

/// Create an escalation policy (managers and admins).
#[utoipa::path(post, path = "/api/v1/escalation-policies", tag = "escalation-policies",
    request_body = PolicyBody,
    responses((status = 201, body = PolicyView), (status = 403),
        (status = 409, description = "name taken"),
        (status = 422, description = "invalid fields, all named (`levels[0].targets[1]`)")))]
pub async fn create_policy(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::POLICY_FIELDS)?;
    let p = svc::create_policy(&state, &caller, input).await?;
    let view = Refs::new(state.store.as_ref()).policy(&p).await?;
    Ok(created(
        p.version,
        format!("/api/v1/escalation-policies/{}", p.item.id),
        view,
    ))
}

/// One escalation policy by id or name (agents and above).
#[utoipa::path(get, path = "/api/v1/escalation-policies/{id}", tag = "escalation-policies",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 200, body = PolicyView), (status = 403), (status = 404)))]
pub async fn show_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let p = svc::load_policy(&state, &caller, &id).await?;
    let view = Refs::new(state.store.as_ref()).policy(&p).await?;
    Ok(tagged(StatusCode::OK, p.version, view))
}

/// Change an escalation policy (managers and admins); `levels` replaces the list.
#[utoipa::path(patch, path = "/api/v1/escalation-policies/{id}", tag = "escalation-policies",
    request_body = PolicyBody,
    params(("id" = String, Path, description = "UUID or name"),
        ("If-Match" = Option<String>, Header, description = "the ETag last seen")),
    responses((status = 200, body = PolicyView), (status = 403), (status = 404), (status = 409),
        (status = 412, description = "stale version"), (status = 422)))]
pub async fn patch_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let input = body.input(svc::POLICY_FIELDS)?;
    let p = svc::patch_policy(&state, &caller, &id, version, input).await?;
    let view = Refs::new(state.store.as_ref()).policy(&p).await?;
    Ok(tagged(StatusCode::OK, p.version, view))
}

/// Delete an escalation policy no service and no team uses (managers and admins).
#[utoipa::path(delete, path = "/api/v1/escalation-policies/{id}", tag = "escalation-policies",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404),
        (status = 409, description = "a service or team uses it")))]
pub async fn delete_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    svc::delete_policy(&state, &caller, &id).await?;
    Ok(no_content())
}

// --- contact methods and notification rules ---

/// A person's contact methods, never with their secrets (themself, managers and admins).
#[utoipa::path(get, path = "/api/v1/users/{id}/contact-methods", tag = "contact-methods",
    params(("id" = String, Path, description = "UUID or username")),
    responses((status = 200, body = ContactMethodList), (status = 403), (status = 404)))]
pub async fn list_contact_methods(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ContactMethodList>> {
    let u = svc::contact_methods(&state, &caller, &id).await?;
    Ok(Json(ContactMethodList {
        items: u
            .item
            .contact_methods
            .iter()
            .map(contact_method_view)
            .collect(),
    }))
}

/// Add a contact method (the person themself or an admin; at most 20). Webhook-style kinds
/// without a `secret` get a generated one; this answer is the only time it is shown.
#[utoipa::path(post, path = "/api/v1/users/{id}/contact-methods", tag = "contact-methods",
    request_body = ContactMethodBody,
    params(("id" = String, Path, description = "UUID or username")),
    responses((status = 201, body = NewContactMethodView), (status = 403), (status = 404),
        (status = 409, description = "a duplicate, or 20 already"), (status = 422)))]
pub async fn add_contact_method(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::CONTACT_METHOD_FIELDS)?;
    let c = svc::add_contact_method(&state, &caller, &id, input).await?;
    let view = |secret: Option<String>| NewContactMethodView {
        id: c.id,
        kind: c.kind.clone(),
        address: c.address.clone(),
        label: c.label.clone(),
        secret,
    };
    created_secret(
        Some(format!("/api/v1/users/{id}/contact-methods/{}", c.id)),
        view(c.secret.clone()),
        &view(None),
    )
}

/// Remove a contact method and the notification rules using it (the person themself or an
/// admin).
#[utoipa::path(delete, path = "/api/v1/users/{id}/contact-methods/{method_id}", tag = "contact-methods",
    params(("id" = String, Path, description = "UUID or username"), ("method_id" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404)))]
pub async fn delete_contact_method(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, method_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    svc::delete_contact_method(&state, &caller, &id, &method_id).await?;
    Ok(no_content())
}

/// A person's notification rules (themself, managers and admins). A page uses each rule's
/// contact method after its delay; a person without rules is reached on every contact method
/// at once (and without contact methods, at their account's email address).
#[utoipa::path(get, path = "/api/v1/users/{id}/notification-rules", tag = "contact-methods",
    params(("id" = String, Path, description = "UUID or username")),
    responses((status = 200, body = NotificationRuleList), (status = 403), (status = 404)))]
pub async fn list_notification_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<NotificationRuleList>> {
    let u = svc::contact_methods(&state, &caller, &id).await?;
    Ok(Json(NotificationRuleList {
        items: u.item.notification_rules.iter().map(rule_view).collect(),
    }))
}

/// Add a notification rule (the person themself or an admin): use this contact method this
/// many minutes after a page. No rules at all means every contact method at once.
#[utoipa::path(post, path = "/api/v1/users/{id}/notification-rules", tag = "contact-methods",
    request_body = NotificationRuleBody,
    params(("id" = String, Path, description = "UUID or username")),
    responses((status = 201, body = NotificationRuleView), (status = 403), (status = 404),
        (status = 409, description = "a duplicate, or too many rules"), (status = 422)))]
pub async fn add_notification_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::NOTIFICATION_RULE_FIELDS)?;
    let r = svc::add_notification_rule(&state, &caller, &id, input).await?;
    let mut res = (StatusCode::CREATED, Json(rule_view(&r))).into_response();
    if let Ok(loc) =
        HeaderValue::from_str(&format!("/api/v1/users/{id}/notification-rules/{}", r.id))
    {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

/// Remove a notification rule (the person themself or an admin).
#[utoipa::path(delete, path = "/api/v1/users/{id}/notification-rules/{rule_id}", tag = "contact-methods",
    params(("id" = String, Path, description = "UUID or username"), ("rule_id" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404)))]
pub async fn delete_notification_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, rule_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    svc::delete_notification_rule(&state, &caller, &id, &rule_id).await?;
    Ok(no_content())
}

#[derive(OpenApi)]
#[openapi(paths(
    list_schedules,
    create_schedule,
    show_schedule,
    patch_schedule,
    delete_schedule,
    list_overrides,
    create_override,
    delete_override,
    schedule_on_call,
    schedule_shifts,
    on_call,
    user_shifts,
    calendar_token,
    personal_feed,
    schedule_feed,
    list_policies,
    create_policy,
    show_policy,
    patch_policy,
    delete_policy,
    list_contact_methods,
    add_contact_method,
    delete_contact_method,
    list_notification_rules,
    add_notification_rule,
    delete_notification_rule,
))]
pub struct OncallApi;
