//! SLA configuration over HTTP: business calendars and SLA policies. Handlers translate HTTP
//! to the use cases in [`crate::services::sla`] and back.
//!
//! Both carry `ETag: "<version>"`; their `PATCH` (a JSON merge patch: any subset, null clears)
//! takes an optional `If-Match` (412 when stale). References take an id or a name and are
//! shown as `{id, name}`; targets are shown in seconds and in minutes; a calendar's hours are
//! wall-clock times in its zone (`24:00`: the end of the day).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jiff::civil;
use mayday_core::sla::{BusinessCalendar, SlaPolicy};
use mayday_store::{EntityKind, Store};
use serde::Serialize;
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::view::NamedRef;
use super::{JsonBody, created, if_match, tagged};
use crate::AppState;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::ApiResult;
use crate::services::directory::Stored;
use crate::services::sla as svc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/business-calendars",
            get(list_calendars).post(create_calendar),
        )
        .route(
            "/api/v1/business-calendars/{id}",
            get(show_calendar)
                .patch(patch_calendar)
                .delete(delete_calendar),
        )
        .route(
            "/api/v1/sla-policies",
            get(list_policies).post(create_policy),
        )
        .route(
            "/api/v1/sla-policies/{id}",
            get(show_policy).patch(patch_policy).delete(delete_policy),
        )
}

// --- views ---

/// A weekly window of working hours, wall-clock in the calendar's zone, `[start, end)`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkingHoursView {
    /// monday .. sunday
    pub day: String,
    /// `09:00`
    pub start: String,
    /// `18:00`; `24:00` is midnight at the end of the day.
    pub end: String,
}

/// Dates on which the calendar is closed all day, both included.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HolidayView {
    pub name: String,
    /// `2026-12-24`
    pub start: String,
    /// The last day (the same as `start` for a single day).
    pub end: String,
}

/// A business calendar: when SLA clocks count.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BusinessCalendarView {
    pub id: Uuid,
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Every instant counts except on holidays (`hours` are then ignored).
    pub always_open: bool,
    /// The weekly hours, in week order.
    pub hours: Vec<WorkingHoursView>,
    /// Open hours in a week without holidays (overlapping windows counted once).
    #[schema(value_type = f64)]
    pub hours_per_week: Value,
    pub holidays: Vec<HolidayView>,
    /// The SLA policies counting on this calendar.
    pub used_by: Vec<NamedRef>,
    /// Also sent as the `ETag`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessCalendarList {
    pub items: Vec<BusinessCalendarView>,
}

/// Which incidents a policy covers; an empty list matches any value.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaConditionsView {
    /// `P1` .. `P5`
    pub priorities: Vec<String>,
    pub services: Vec<NamedRef>,
    pub categories: Vec<String>,
    /// Assignment groups.
    pub teams: Vec<NamedRef>,
}

/// Something done when a clock reaches a percentage of its target (100: the breach).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaActionView {
    pub at_percent: u8,
    /// notify_assignee, notify_group, notify_manager, escalate, raise_priority or add_tag.
    pub kind: String,
    /// The tag `add_tag` adds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// An SLA policy: what it covers, its targets in business time, and what happens on the way.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaPolicyView {
    pub id: Uuid,
    pub name: String,
    /// Among equally specific matching policies, the lowest order wins.
    pub order: i32,
    pub conditions: SlaConditionsView,
    /// Time to respond (until acknowledged); null: no response clock.
    pub response_seconds: Option<i64>,
    /// The same in minutes (may be fractional).
    #[schema(value_type = Option<f64>)]
    pub response_minutes: Value,
    /// Time to resolve; null: no resolution clock.
    pub resolution_seconds: Option<i64>,
    #[schema(value_type = Option<f64>)]
    pub resolution_minutes: Value,
    /// The business calendar the clocks count in; null: 24×7.
    pub calendar: Option<NamedRef>,
    /// On-hold reasons that pause the clocks.
    pub pause_on: Vec<String>,
    /// Warning thresholds, percent of the target.
    pub warnings: Vec<u8>,
    pub actions: Vec<SlaActionView>,
    /// What a reopen does to the resolution clock: continue or restart.
    pub on_reopen: String,
    /// Also sent as the `ETag`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaPolicyList {
    pub items: Vec<SlaPolicyView>,
}

const DAY_MS: i64 = 86_400_000;

/// `09:00`, or `09:00:30` when it has seconds; an end at `00:00` is `24:00`.
fn time_text(t: civil::Time, is_end: bool) -> String {
    if is_end && t == civil::Time::midnight() {
        return "24:00".into();
    }
    if t.second() == 0 && t.subsec_nanosecond() == 0 {
        format!("{:02}:{:02}", t.hour(), t.minute())
    } else {
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
    }
}

fn day_ms(t: civil::Time) -> i64 {
    i64::from(t.hour()) * 3_600_000 + i64::from(t.minute()) * 60_000 + i64::from(t.second()) * 1000
}

/// Seconds as minutes: a whole number when it is one (`5`), else fractional (`0.5`).
fn minutes(seconds: Option<i64>) -> Value {
    match seconds {
        None => Value::Null,
        Some(s) if s % 60 == 0 => Value::from(s / 60),
        Some(s) => Value::from(s as f64 / 60.0),
    }
}

/// Open hours in a week without holidays: windows per day merged, an end at `00:00` being
/// the end of the day.
pub fn hours_per_week(c: &BusinessCalendar) -> Value {
    if c.always_open {
        return Value::from(168);
    }
    let mut week: [Vec<(i64, i64)>; 7] = Default::default();
    for h in &c.hours {
        let (s, e) = match day_ms(h.end) {
            0 => (day_ms(h.start), DAY_MS),
            e => (day_ms(h.start), e),
        };
        if s < e {
            week[h.day.to_weekday().to_monday_zero_offset() as usize].push((s, e));
        }
    }
    let mut total = 0;
    for day in &mut week {
        day.sort_unstable();
        let mut end = 0;
        for &(s, e) in day.iter() {
            let s = s.max(end);
            if e > s {
                total += e - s;
                end = e;
            }
        }
    }
    if total % 3_600_000 == 0 {
        Value::from(total / 3_600_000)
    } else {
        Value::from(total as f64 / 3_600_000.0)
    }
}

fn day_name(d: mayday_core::oncall::Day) -> &'static str {
    use mayday_core::oncall::Day::*;
    match d {
        Monday => "monday",
        Tuesday => "tuesday",
        Wednesday => "wednesday",
        Thursday => "thursday",
        Friday => "friday",
        Saturday => "saturday",
        Sunday => "sunday",
    }
}

/// Resolves ids to names for one response, asking the store once per id.
struct Refs<'a> {
    store: &'a dyn Store,
    cache: HashMap<(EntityKind, Uuid), Option<String>>,
    /// Every policy's calendar and reference, read once when a calendar is shown.
    policies: Option<Vec<(Option<Uuid>, NamedRef)>>,
}

impl<'a> Refs<'a> {
    fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            cache: HashMap::new(),
            policies: None,
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

    async fn many(&mut self, kind: EntityKind, ids: &[Uuid]) -> ApiResult<Vec<NamedRef>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.named(kind, *id).await?);
        }
        Ok(out)
    }

    async fn users_of(&mut self, calendar: Uuid) -> ApiResult<Vec<NamedRef>> {
        if self.policies.is_none() {
            let mut all = Vec::new();
            for e in self.store.list_entities(EntityKind::SlaPolicy).await? {
                let p: SlaPolicy = mayday_store::decode_entity(&e)?;
                all.push((
                    p.calendar_id,
                    NamedRef {
                        id: e.id,
                        name: Some(e.name),
                    },
                ));
            }
            self.policies = Some(all);
        }
        Ok(self
            .policies
            .iter()
            .flatten()
            .filter(|(c, _)| *c == Some(calendar))
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn calendar(&mut self, c: &Stored<BusinessCalendar>) -> ApiResult<BusinessCalendarView> {
        let cal = &c.item;
        Ok(BusinessCalendarView {
            id: cal.id,
            name: cal.name.clone(),
            time_zone: cal.time_zone.clone(),
            always_open: cal.always_open,
            hours: cal
                .hours
                .iter()
                .map(|h| WorkingHoursView {
                    day: day_name(h.day).into(),
                    start: time_text(h.start, false),
                    end: time_text(h.end, true),
                })
                .collect(),
            hours_per_week: hours_per_week(cal),
            holidays: cal
                .holidays
                .iter()
                .map(|h| HolidayView {
                    name: h.name.clone(),
                    start: h.start.to_string(),
                    end: h.end.to_string(),
                })
                .collect(),
            used_by: self.users_of(cal.id).await?,
            version: c.version,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        })
    }

    async fn policy(&mut self, p: &Stored<SlaPolicy>) -> ApiResult<SlaPolicyView> {
        let pol = &p.item;
        let c = &pol.conditions;
        let conditions = SlaConditionsView {
            priorities: c.priorities.iter().map(ToString::to_string).collect(),
            services: self.many(EntityKind::Service, &c.service_ids).await?,
            categories: c.categories.clone(),
            teams: self.many(EntityKind::Team, &c.team_ids).await?,
        };
        let calendar = match pol.calendar_id {
            Some(id) => Some(self.named(EntityKind::BusinessCalendar, id).await?),
            None => None,
        };
        Ok(SlaPolicyView {
            id: pol.id,
            name: pol.name.clone(),
            order: pol.order,
            conditions,
            response_seconds: pol.response_seconds,
            response_minutes: minutes(pol.response_seconds),
            resolution_seconds: pol.resolution_seconds,
            resolution_minutes: minutes(pol.resolution_seconds),
            calendar,
            pause_on: pol
                .pause_on
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            warnings: pol.warnings.clone(),
            actions: pol
                .actions
                .iter()
                .map(|a| SlaActionView {
                    at_percent: a.at_percent,
                    kind: svc::action_kind_name(&a.action).into(),
                    tag: match &a.action {
                        mayday_core::sla::SlaActionKind::AddTag { tag } => Some(tag.clone()),
                        _ => None,
                    },
                })
                .collect(),
            on_reopen: svc::reopen_name(pol.on_reopen).into(),
            version: p.version,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        })
    }
}

// --- request bodies (documentation; handlers read them field by field) ---

/// A window of working hours.
#[derive(Serialize, ToSchema)]
pub struct WorkingHoursBody {
    /// monday .. sunday (or mon .. sun).
    pub day: String,
    /// `09:00`
    pub start: String,
    /// `18:00`, after start; `24:00` (or `00:00`) is the end of the day.
    pub end: String,
}

/// A holiday: one `date`, or `start` and `end` (both included).
#[derive(Serialize, ToSchema)]
pub struct HolidayBody {
    /// Default "Holiday".
    pub name: Option<String>,
    /// `2026-12-25`
    pub date: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

/// Body of `POST /api/v1/business-calendars` (name and time zone required) and `PATCH
/// /api/v1/business-calendars/{id}` (any subset; lists replace the old ones).
#[derive(Serialize, ToSchema)]
pub struct BusinessCalendarBody {
    pub name: String,
    /// IANA time zone, e.g. Europe/Berlin.
    pub time_zone: String,
    /// Open around the clock except on holidays (default false).
    pub always_open: Option<bool>,
    pub hours: Option<Vec<WorkingHoursBody>>,
    pub holidays: Option<Vec<HolidayBody>>,
}

/// Which incidents a policy covers; a list left out or empty matches any value.
#[derive(Serialize, ToSchema)]
pub struct SlaConditionsBody {
    /// `P1` .. `P5`, or 1 .. 5.
    pub priorities: Option<Vec<String>>,
    /// Service ids or names.
    pub services: Option<Vec<String>>,
    /// Category names of the taxonomy.
    pub categories: Option<Vec<String>>,
    /// Team (assignment group) ids or names.
    pub teams: Option<Vec<String>>,
}

/// An action at a percentage of the target: a warning threshold, or 100 for the breach.
#[derive(Serialize, ToSchema)]
pub struct SlaActionBody {
    pub at_percent: u8,
    /// notify_assignee, notify_group, notify_manager, escalate, raise_priority or add_tag.
    pub kind: String,
    /// Required for add_tag, refused otherwise.
    pub tag: Option<String>,
}

/// Body of `POST /api/v1/sla-policies` and `PATCH /api/v1/sla-policies/{id}` (any subset; null
/// clears a target or the calendar). Each target is given as minutes or as seconds, not both;
/// a policy has at least one target.
#[derive(Serialize, ToSchema)]
pub struct SlaPolicyBody {
    pub name: String,
    /// Among equally specific matching policies, the lowest order wins (default 0).
    pub order: Option<i32>,
    pub conditions: Option<SlaConditionsBody>,
    /// May be fractional.
    pub response_minutes: Option<f64>,
    pub response_seconds: Option<i64>,
    pub resolution_minutes: Option<f64>,
    pub resolution_seconds: Option<i64>,
    /// Business calendar id or name; null or left out: 24×7.
    pub calendar: Option<String>,
    /// On-hold reasons that pause the clocks (default awaiting_caller, awaiting_vendor).
    pub pause_on: Option<Vec<String>>,
    /// Warning thresholds, percent of the target, 1 to 99 (default 50, 75).
    pub warnings: Option<Vec<u8>>,
    /// Default: the assignee is told at each warning, the assignee and the group at the breach.
    pub actions: Option<Vec<SlaActionBody>>,
    /// continue (default) or restart.
    pub on_reopen: Option<String>,
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

// --- business calendars ---

/// Every business calendar (agents and above).
#[utoipa::path(get, path = "/api/v1/business-calendars", tag = "business-calendars",
    responses((status = 200, body = BusinessCalendarList), (status = 403)))]
pub async fn list_calendars(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<BusinessCalendarList>> {
    let list = svc::list_calendars(&state, &caller).await?;
    let mut refs = Refs::new(state.store.as_ref());
    let mut items = Vec::with_capacity(list.len());
    for c in &list {
        items.push(refs.calendar(c).await?);
    }
    Ok(Json(BusinessCalendarList { items }))
}

/// Create a business calendar (managers and admins).
#[utoipa::path(post, path = "/api/v1/business-calendars", tag = "business-calendars",
    request_body = BusinessCalendarBody,
    responses((status = 201, body = BusinessCalendarView), (status = 403),
        (status = 409, description = "name taken"),
        (status = 422, description = "invalid fields, all named (`hours[1].start`)")))]
pub async fn create_calendar(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::CALENDAR_FIELDS)?;
    let c = svc::create_calendar(&state, &caller, input).await?;
    let view = Refs::new(state.store.as_ref()).calendar(&c).await?;
    Ok(created(
        c.version,
        format!("/api/v1/business-calendars/{}", c.item.id),
        view,
    ))
}

/// One business calendar by id or name (agents and above).
#[utoipa::path(get, path = "/api/v1/business-calendars/{id}", tag = "business-calendars",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 200, body = BusinessCalendarView), (status = 403), (status = 404)))]
pub async fn show_calendar(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let c = svc::load_calendar(&state, &caller, &id).await?;
    let view = Refs::new(state.store.as_ref()).calendar(&c).await?;
    Ok(tagged(StatusCode::OK, c.version, view))
}

/// Change a business calendar (managers and admins); `hours` and `holidays` replace the lists.
/// Clocks already running keep the due times they were given until their incident changes.
#[utoipa::path(patch, path = "/api/v1/business-calendars/{id}", tag = "business-calendars",
    request_body = BusinessCalendarBody,
    params(("id" = String, Path, description = "UUID or name"),
        ("If-Match" = Option<String>, Header, description = "the ETag last seen")),
    responses((status = 200, body = BusinessCalendarView), (status = 403), (status = 404),
        (status = 409, description = "name taken"), (status = 412, description = "stale version"),
        (status = 422)))]
pub async fn patch_calendar(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let input = body.input(svc::CALENDAR_FIELDS)?;
    let c = svc::patch_calendar(&state, &caller, &id, version, input).await?;
    let view = Refs::new(state.store.as_ref()).calendar(&c).await?;
    Ok(tagged(StatusCode::OK, c.version, view))
}

/// Delete a business calendar no SLA policy uses (managers and admins).
#[utoipa::path(delete, path = "/api/v1/business-calendars/{id}", tag = "business-calendars",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404),
        (status = 409, description = "an SLA policy uses it (named in the detail)")))]
pub async fn delete_calendar(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    svc::delete_calendar(&state, &caller, &id).await?;
    Ok(no_content())
}

// --- SLA policies ---

/// Every SLA policy, by order then name (agents and above).
#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "sla-policies",
    responses((status = 200, body = SlaPolicyList), (status = 403)))]
pub async fn list_policies(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<SlaPolicyList>> {
    let list = svc::list_sla_policies(&state, &caller).await?;
    let mut refs = Refs::new(state.store.as_ref());
    let mut items = Vec::with_capacity(list.len());
    for p in &list {
        items.push(refs.policy(p).await?);
    }
    Ok(Json(SlaPolicyList { items }))
}

/// Create an SLA policy (managers and admins).
#[utoipa::path(post, path = "/api/v1/sla-policies", tag = "sla-policies",
    request_body = SlaPolicyBody,
    responses((status = 201, body = SlaPolicyView), (status = 403),
        (status = 409, description = "name taken"),
        (status = 422, description = "invalid fields, all named (`conditions.services[0]`)")))]
pub async fn create_policy(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::SLA_POLICY_FIELDS)?;
    let p = svc::create_sla_policy(&state, &caller, input).await?;
    let view = Refs::new(state.store.as_ref()).policy(&p).await?;
    Ok(created(
        p.version,
        format!("/api/v1/sla-policies/{}", p.item.id),
        view,
    ))
}

/// One SLA policy by id or name (agents and above).
#[utoipa::path(get, path = "/api/v1/sla-policies/{id}", tag = "sla-policies",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 200, body = SlaPolicyView), (status = 403), (status = 404)))]
pub async fn show_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let p = svc::load_sla_policy(&state, &caller, &id).await?;
    let view = Refs::new(state.store.as_ref()).policy(&p).await?;
    Ok(tagged(StatusCode::OK, p.version, view))
}

/// Change an SLA policy (managers and admins): any subset; lists replace the old ones, null
/// clears a target or the calendar. Incidents' clocks take the change at their next write.
#[utoipa::path(patch, path = "/api/v1/sla-policies/{id}", tag = "sla-policies",
    request_body = SlaPolicyBody,
    params(("id" = String, Path, description = "UUID or name"),
        ("If-Match" = Option<String>, Header, description = "the ETag last seen")),
    responses((status = 200, body = SlaPolicyView), (status = 403), (status = 404),
        (status = 409, description = "name taken"), (status = 412, description = "stale version"),
        (status = 422)))]
pub async fn patch_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let input = body.input(svc::SLA_POLICY_FIELDS)?;
    let p = svc::patch_sla_policy(&state, &caller, &id, version, input).await?;
    let view = Refs::new(state.store.as_ref()).policy(&p).await?;
    Ok(tagged(StatusCode::OK, p.version, view))
}

/// Delete an SLA policy (managers and admins).
#[utoipa::path(delete, path = "/api/v1/sla-policies/{id}", tag = "sla-policies",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404)))]
pub async fn delete_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    svc::delete_sla_policy(&state, &caller, &id).await?;
    Ok(no_content())
}

#[derive(OpenApi)]
#[openapi(paths(
    list_calendars,
    create_calendar,
    show_calendar,
    patch_calendar,
    delete_calendar,
    list_policies,
    create_policy,
    show_policy,
    patch_policy,
    delete_policy,
))]
pub struct SlaConfigApi;

#[cfg(test)]
mod tests {
    use mayday_core::oncall::Day;
    use mayday_core::sla::WorkingHours;

    use super::*;

    fn window(day: Day, start: &str, end: &str) -> WorkingHours {
        WorkingHours {
            day,
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
        }
    }

    #[test]
    fn weekly_hours_count_overlaps_once() {
        let mut c = BusinessCalendar {
            id: Uuid::nil(),
            name: "x".into(),
            time_zone: "UTC".into(),
            always_open: false,
            hours: Vec::new(),
            holidays: Vec::new(),
        };
        assert_eq!(hours_per_week(&c), Value::from(0));
        for day in [
            Day::Monday,
            Day::Tuesday,
            Day::Wednesday,
            Day::Thursday,
            Day::Friday,
        ] {
            c.hours.push(window(day, "09:00", "18:00"));
        }
        assert_eq!(hours_per_week(&c), Value::from(45));
        // Overlapping and until midnight.
        c.hours.push(window(Day::Monday, "17:00", "19:30"));
        c.hours.push(window(Day::Sunday, "22:00", "00:00"));
        assert_eq!(hours_per_week(&c), Value::from(48.5));
        c.always_open = true;
        assert_eq!(hours_per_week(&c), Value::from(168));
        assert_eq!(time_text("00:00".parse().unwrap(), true), "24:00");
        assert_eq!(time_text("00:00".parse().unwrap(), false), "00:00");
        assert_eq!(time_text("09:05:30".parse().unwrap(), false), "09:05:30");
        assert_eq!(minutes(Some(90)), Value::from(1.5));
        assert_eq!(minutes(Some(1800)), Value::from(30));
        assert_eq!(minutes(None), Value::Null);
    }
}
