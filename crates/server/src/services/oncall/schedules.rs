//! Schedules: creating, changing and deleting them (layers of rotations in an IANA time zone,
//! with restrictions), their overrides, who is on call at an instant, and their shifts and gaps
//! over a range.

use jiff::civil;
use jiff::tz::TimeZone;
use mayday_core::oncall::{Day, Layer, Override, Restriction, Rota, Shift, Target, Turn, TurnUnit};
use mayday_core::{Millis, Role};
use mayday_store::{EntityKind, Schedule, Team, User, decode_entity, encode_entity};
use serde_json::Value;
use uuid::Uuid;

use super::{DAY, Obj, modify, record_or_404, require_oncall_reader};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;
use crate::services::directory::{
    Stored, check_time_zone, check_version, conflict, delete, description_field, find_user,
    insert_record, name_field, required, update_record, user_for,
};

pub const SCHEDULE_FIELDS: &[&str] = &["name", "description", "time_zone", "layers"];
pub const OVERRIDE_FIELDS: &[&str] = &["user", "start", "end"];
const LAYER_FIELDS: &[&str] = &["name", "members", "turn", "start", "restrictions"];
const TURN_FIELDS: &[&str] = &["unit", "count"];
const DAILY_FIELDS: &[&str] = &["kind", "start", "end"];
const WEEKLY_FIELDS: &[&str] = &["kind", "start_day", "start", "end_day", "end"];

/// The most layers a schedule has.
pub const MAX_LAYERS: usize = 20;
/// The most members a layer lists.
pub const MAX_MEMBERS: usize = 100;
/// The most restriction windows a layer has.
pub const MAX_RESTRICTIONS: usize = 50;
/// The most overrides a schedule keeps.
pub const MAX_OVERRIDES: usize = 1000;
/// Overrides that ended longer ago than this are dropped when the schedule is next written.
pub const KEEP_PAST_OVERRIDES_DAYS: i64 = 30;
/// The longest override.
pub const MAX_OVERRIDE_DAYS: i64 = 366;
/// How far on either side of an instant a shift is followed to tell when it began and ends;
/// beyond that its start or end is reported as unknown.
const SHIFT_HORIZON_DAYS: i64 = 92;

// --- reading a schedule's fields ---

fn time_zone_field(input: &mut Input) -> Option<String> {
    let v = input.string("time_zone")?;
    match check_time_zone(v.trim()) {
        Ok(tz) => Some(tz),
        Err(e) => {
            input.error("time_zone", e);
            None
        }
    }
}

/// A layer's first hand-off: wall-clock text in the schedule's zone (`2026-03-16T09:00:00`),
/// or an RFC 3339 instant, which is placed on the zone's wall clock. `Ok(None)` when an instant
/// cannot be placed because the zone is invalid (reported on `time_zone` already).
pub fn parse_layer_start(
    text: &str,
    tz: Option<&TimeZone>,
) -> Result<Option<civil::DateTime>, String> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(tz.map(|tz| tz.to_datetime(ts)));
    }
    t.parse::<civil::DateTime>().map(Some).map_err(|_| {
        format!(
            "must be a wall-clock time in the schedule's zone such as 2026-03-16T09:00:00, or \
             an RFC 3339 instant; got {t:?}"
        )
    })
}

/// A wall-clock time of day, `09:00` or `09:00:00`.
fn parse_time(text: &str) -> Result<civil::Time, String> {
    text.trim()
        .parse::<civil::Time>()
        .map_err(|_| format!("must be a time of day such as 09:00 or 17:30:00; got {text:?}"))
}

fn parse_day(text: &str) -> Result<Day, String> {
    Ok(match text.trim().to_ascii_lowercase().as_str() {
        "monday" => Day::Monday,
        "tuesday" => Day::Tuesday,
        "wednesday" => Day::Wednesday,
        "thursday" => Day::Thursday,
        "friday" => Day::Friday,
        "saturday" => Day::Saturday,
        "sunday" => Day::Sunday,
        _ => {
            return Err(format!(
                "must be a day of the week such as monday; got {text:?}"
            ));
        }
    })
}

fn parse_unit(text: &str) -> Result<TurnUnit, String> {
    Ok(match text.trim().to_ascii_lowercase().as_str() {
        "hours" | "hour" => TurnUnit::Hours,
        "days" | "day" => TurnUnit::Days,
        "weeks" | "week" => TurnUnit::Weeks,
        _ => return Err(format!("must be hours, days or weeks; got {text:?}")),
    })
}

/// A time field of a restriction; `None` (reported) when missing or malformed.
fn time_of(input: &mut Input, o: &Obj<'_>, key: &str) -> Option<civil::Time> {
    let text = o.string(input, key, true)?;
    match parse_time(&text) {
        Ok(t) => Some(t),
        Err(e) => {
            input.error(&o.at(key), e);
            None
        }
    }
}

fn day_of(input: &mut Input, o: &Obj<'_>, key: &str) -> Option<Day> {
    let text = o.string(input, key, true)?;
    match parse_day(&text) {
        Ok(d) => Some(d),
        Err(e) => {
            input.error(&o.at(key), e);
            None
        }
    }
}

fn restriction(input: &mut Input, value: &Value, path: String) -> Option<Restriction> {
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    let allowed = if kind == "weekly" {
        WEEKLY_FIELDS
    } else {
        DAILY_FIELDS
    };
    let o = Obj::new(input, value, path, allowed)?;
    match o.string(input, "kind", true)?.as_str() {
        "daily" => {
            let start = time_of(input, &o, "start");
            let end = time_of(input, &o, "end");
            Some(Restriction::Daily {
                start: start?,
                end: end?,
            })
        }
        "weekly" => {
            let start_day = day_of(input, &o, "start_day");
            let start = time_of(input, &o, "start");
            let end_day = day_of(input, &o, "end_day");
            let end = time_of(input, &o, "end");
            Some(Restriction::Weekly {
                start_day: start_day?,
                start: start?,
                end_day: end_day?,
                end: end?,
            })
        }
        other => {
            input.error(
                &o.at("kind"),
                format!("must be daily or weekly; got {other:?}"),
            );
            None
        }
    }
}

/// The users of a layer by id or username, in order (repeats allowed); one error names every
/// unknown one.
async fn members_of(state: &AppState, input: &mut Input, o: &Obj<'_>) -> ApiResult<Vec<Uuid>> {
    let path = o.at("members");
    let Some(v) = o.value(input, "members", true) else {
        return Ok(Vec::new());
    };
    let Some(keys) = v
        .as_array()
        .and_then(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
    else {
        input.error(&path, "must be an array of user ids or usernames");
        return Ok(Vec::new());
    };
    if keys.len() > MAX_MEMBERS {
        input.error(&path, format!("must have at most {MAX_MEMBERS} members"));
        return Ok(Vec::new());
    }
    let mut ids = Vec::with_capacity(keys.len());
    let mut unknown = Vec::new();
    for key in keys {
        match find_user(state.store.as_ref(), key.trim()).await? {
            Some(u) => ids.push(u.id),
            None => unknown.push(format!("{key:?}")),
        }
    }
    if !unknown.is_empty() {
        input.error(&path, format!("no such user(s): {}", unknown.join(", ")));
    }
    Ok(ids)
}

/// One layer; what cannot be read is reported and stood in for by a harmless value, so that
/// [`Rota::validate`] can still judge the rest.
async fn layer(
    state: &AppState,
    input: &mut Input,
    value: &Value,
    index: usize,
    tz: Option<&TimeZone>,
) -> ApiResult<Layer> {
    let mut layer = Layer {
        name: format!("Layer {}", index + 1),
        members: Vec::new(),
        turn: Turn {
            unit: TurnUnit::Days,
            count: 1,
        },
        start: civil::date(2000, 1, 1).at(0, 0, 0, 0),
        restrictions: Vec::new(),
    };
    let Some(o) = Obj::new(input, value, format!("layers[{index}]"), LAYER_FIELDS) else {
        return Ok(layer);
    };
    if let Some(name) = o.string(input, "name", false) {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            input.error(
                &o.at("name"),
                "must be 1 to 100 characters without control characters",
            );
        } else {
            layer.name = name;
        }
    }
    layer.members = members_of(state, input, &o).await?;
    if let Some(turn) = o.value(input, "turn", true)
        && let Some(t) = Obj::new(input, turn, o.at("turn"), TURN_FIELDS)
    {
        if let Some(unit) = t.string(input, "unit", true) {
            match parse_unit(&unit) {
                Ok(u) => layer.turn.unit = u,
                Err(e) => input.error(&t.at("unit"), e),
            }
        }
        if let Some(count) = t.value(input, "count", true) {
            match count.as_u64().and_then(|c| u32::try_from(c).ok()) {
                Some(c) => layer.turn.count = c,
                None => input.error(&t.at("count"), "must be a whole number of 1 or more"),
            }
        }
    }
    if let Some(start) = o.string(input, "start", true) {
        match parse_layer_start(&start, tz) {
            Ok(Some(s)) => layer.start = s,
            Ok(None) => {}
            Err(e) => input.error(&o.at("start"), e),
        }
    }
    if let Some(rs) = o.value(input, "restrictions", false) {
        match rs.as_array() {
            Some(items) if items.len() > MAX_RESTRICTIONS => input.error(
                &o.at("restrictions"),
                format!("must have at most {MAX_RESTRICTIONS} windows"),
            ),
            Some(items) => {
                for (j, item) in items.iter().enumerate() {
                    if let Some(r) = restriction(input, item, o.at(&format!("restrictions[{j}]"))) {
                        layer.restrictions.push(r);
                    }
                }
            }
            None => input.error(
                &o.at("restrictions"),
                "must be an array of {kind: daily|weekly, ...} windows",
            ),
        }
    }
    Ok(layer)
}

/// The `layers` field, if present: every layer read (problems reported with their paths).
async fn layers_field(
    state: &AppState,
    input: &mut Input,
    tz: Option<&TimeZone>,
) -> ApiResult<Option<Vec<Layer>>> {
    let Some(raw) = input.raw("layers").cloned() else {
        return Ok(None);
    };
    let Some(items) = raw.as_array() else {
        input.error("layers", "must be an array of layers");
        return Ok(None);
    };
    if items.len() > MAX_LAYERS {
        input.error("layers", format!("must have at most {MAX_LAYERS} layers"));
        return Ok(None);
    }
    let mut layers = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        layers.push(layer(state, input, item, i, tz).await?);
    }
    Ok(Some(layers))
}

/// Adds what [`Rota::validate`] finds, except on fields already reported (or inside them).
fn check_rota(input: &mut Input, rota: &Rota) {
    if let Err(found) = rota.validate() {
        add_new_errors(input, found);
    }
}

/// Adds errors on fields nothing was reported on yet: neither the field, nor a part of it, nor
/// what it is part of.
pub(crate) fn add_new_errors(input: &mut Input, found: mayday_core::ValidationErrors) {
    let within = |inner: &str, outer: &str| {
        inner == outer
            || inner.starts_with(&format!("{outer}."))
            || inner.starts_with(&format!("{outer}["))
    };
    for e in found.0 {
        let reported = input
            .errors
            .0
            .iter()
            .any(|r| within(&r.field, &e.field) || within(&e.field, &r.field));
        if !reported {
            input.error(&e.field, e.message);
        }
    }
}

/// Drops overrides that ended more than [`KEEP_PAST_OVERRIDES_DAYS`] before `now`.
fn prune_overrides(rota: &mut Rota, now: Millis) {
    let horizon = now.saturating_sub(KEEP_PAST_OVERRIDES_DAYS * DAY);
    rota.overrides.retain(|o| o.end > horizon);
}

// --- use cases ---

pub async fn list_schedules(state: &AppState, caller: &Caller) -> ApiResult<Vec<Stored<Schedule>>> {
    require_oncall_reader(caller, "reading schedules")?;
    state
        .store
        .list_entities(EntityKind::Schedule)
        .await?
        .iter()
        .map(|e| Ok(Stored::new(e, decode_entity::<Schedule>(e)?)))
        .collect()
}

/// A schedule by id or name.
pub async fn load_schedule(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> ApiResult<Stored<Schedule>> {
    require_oncall_reader(caller, "reading schedules")?;
    let e = record_or_404(state, EntityKind::Schedule, key).await?;
    Ok(Stored::new(&e, decode_entity::<Schedule>(&e)?))
}

/// Creates a schedule (managers and admins): name, time zone and layers required.
pub async fn create_schedule(
    state: &AppState,
    caller: &Caller,
    mut input: Input,
) -> ApiResult<Stored<Schedule>> {
    caller.require(Role::Manager, "creating schedules")?;
    let name = name_field(&mut input, "name");
    let name = required(&mut input, "name", name);
    let description = description_field(&mut input);
    let time_zone = time_zone_field(&mut input);
    let time_zone = required(&mut input, "time_zone", time_zone);
    let zone = time_zone.as_deref().and_then(|n| TimeZone::get(n).ok());
    let layers = layers_field(state, &mut input, zone.as_ref()).await?;
    let layers = required(&mut input, "layers", layers);
    let rota = Rota {
        time_zone: time_zone.unwrap_or_default(),
        layers: layers.unwrap_or_default(),
        overrides: Vec::new(),
    };
    check_rota(&mut input, &rota);
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::Internal(
            "validated schedule name is missing".into(),
        ));
    };
    let schedule = Schedule {
        id: Uuid::nil(),
        name: name.clone(),
        description: description.unwrap_or_default(),
        rota,
    };
    let e = insert_record(state, EntityKind::Schedule, &name, encode_entity(&schedule)).await?;
    Ok(Stored::new(&e, decode_entity::<Schedule>(&e)?))
}

/// Changes a schedule (managers and admins): any of name, description, time zone and layers
/// (which replace the list). Layers keep their wall-clock starts when the zone changes.
pub async fn patch_schedule(
    state: &AppState,
    caller: &Caller,
    key: &str,
    if_match: Option<i64>,
    mut input: Input,
) -> ApiResult<Stored<Schedule>> {
    caller.require(Role::Manager, "changing schedules")?;
    let old = record_or_404(state, EntityKind::Schedule, key).await?;
    check_version(&old, if_match)?;
    let mut schedule: Schedule = decode_entity(&old)?;
    if let Some(n) = name_field(&mut input, "name") {
        schedule.name = n;
    }
    if let Some(d) = description_field(&mut input) {
        schedule.description = d;
    }
    if let Some(tz) = time_zone_field(&mut input) {
        schedule.rota.time_zone = tz;
    }
    let zone = TimeZone::get(&schedule.rota.time_zone).ok();
    if let Some(layers) = layers_field(state, &mut input, zone.as_ref()).await? {
        schedule.rota.layers = layers;
    }
    prune_overrides(&mut schedule.rota, state.clock.now_ms());
    check_rota(&mut input, &schedule.rota);
    input.finish()?;
    let e = update_record(state, &old, &schedule.name, encode_entity(&schedule)).await?;
    Ok(Stored::new(&e, decode_entity::<Schedule>(&e)?))
}

/// Deletes a schedule no escalation policy and no team refers to (managers and admins).
pub async fn delete_schedule(state: &AppState, caller: &Caller, key: &str) -> ApiResult<()> {
    caller.require(Role::Manager, "deleting schedules")?;
    let e = record_or_404(state, EntityKind::Schedule, key).await?;
    let mut users: Vec<String> = super::policies_naming(state, Target::Schedule(e.id))
        .await?
        .into_iter()
        .map(|name| format!("escalation policy {name:?}"))
        .collect();
    for t in state.store.list_entities(EntityKind::Team).await? {
        if decode_entity::<Team>(&t)?.schedule_id == Some(e.id) {
            users.push(format!("team {:?}", t.name));
        }
    }
    if !users.is_empty() {
        return Err(conflict(format!(
            "schedule {:?} is used by {}; change them first",
            e.name,
            users.join(", ")
        )));
    }
    delete(state, &e).await
}

/// Adds an override (managers and admins): `user` is on call from `start` to `end`, before any
/// layer. Overrides that ended more than 30 days ago are dropped at the same time.
pub async fn create_override(
    state: &AppState,
    caller: &Caller,
    key: &str,
    mut input: Input,
) -> ApiResult<(Stored<Schedule>, Override)> {
    caller.require(Role::Manager, "changing schedules")?;
    let schedule = record_or_404(state, EntityKind::Schedule, key).await?;
    let user = input.string("user");
    let user = required(&mut input, "user", user);
    let mut user_id = None;
    if let Some(u) = user {
        match find_user(state.store.as_ref(), u.trim()).await? {
            Some(found) => user_id = Some(found.id),
            None => input.error("user", format!("no user {u:?}")),
        }
    }
    let start = input.time("start");
    let start = required(&mut input, "start", start);
    let end = input.time("end");
    let end = required(&mut input, "end", end);
    let now = state.clock.now_ms();
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            input.error("end", "must be after start");
        } else if e - s > MAX_OVERRIDE_DAYS * DAY {
            input.error(
                "end",
                format!("an override lasts at most {MAX_OVERRIDE_DAYS} days"),
            );
        } else if e <= now.saturating_sub(KEEP_PAST_OVERRIDES_DAYS * DAY) {
            input.error(
                "end",
                format!("must be less than {KEEP_PAST_OVERRIDES_DAYS} days ago"),
            );
        }
    }
    input.finish()?;
    let (Some(user_id), Some(start), Some(end)) = (user_id, start, end) else {
        return Err(ApiError::Internal(
            "validated override fields are missing".into(),
        ));
    };
    let o = Override {
        id: Uuid::now_v7(),
        user_id,
        start,
        end,
    };
    let (stored, ()) = modify(
        state,
        EntityKind::Schedule,
        &schedule.id.to_string(),
        |s: &mut Schedule| {
            prune_overrides(&mut s.rota, now);
            if s.rota.overrides.len() >= MAX_OVERRIDES {
                return Err(conflict(format!(
                    "schedule {:?} has {MAX_OVERRIDES} overrides; delete some first",
                    s.name
                )));
            }
            s.rota.overrides.push(o.clone());
            s.rota.overrides.sort_by_key(|o| (o.start, o.end));
            Ok(())
        },
    )
    .await?;
    Ok((stored, o))
}

/// Removes an override (managers and admins).
pub async fn delete_override(
    state: &AppState,
    caller: &Caller,
    key: &str,
    override_id: &str,
) -> ApiResult<()> {
    caller.require(Role::Manager, "changing schedules")?;
    let schedule = record_or_404(state, EntityKind::Schedule, key).await?;
    let not_found =
        || ApiError::NotFound(format!("schedule {key:?} has no override {override_id:?}"));
    let id = Uuid::parse_str(override_id).map_err(|_| not_found())?;
    let now = state.clock.now_ms();
    modify(
        state,
        EntityKind::Schedule,
        &schedule.id.to_string(),
        |s: &mut Schedule| {
            let before = s.rota.overrides.len();
            s.rota.overrides.retain(|o| o.id != id);
            if s.rota.overrides.len() == before {
                return Err(not_found());
            }
            prune_overrides(&mut s.rota, now);
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// A person on call at an instant, with the span of their shift when it is known (a shift
/// longer than the few months looked at has an unknown start or end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCall {
    pub user_id: Uuid,
    pub shift_start: Option<Millis>,
    pub shift_end: Option<Millis>,
}

/// Who `rota` has on call at `at`: the people of overrides covering it, else the winning
/// layer's person; empty in a gap.
pub fn on_call(rota: &Rota, at: Millis) -> Vec<OnCall> {
    let people = rota.on_call_at(at);
    if people.is_empty() {
        return Vec::new();
    }
    let lo = at.saturating_sub(SHIFT_HORIZON_DAYS * DAY);
    let hi = at.saturating_add(SHIFT_HORIZON_DAYS * DAY);
    let shifts = rota.shifts(lo, hi);
    people
        .into_iter()
        .map(|user_id| {
            let shift = shifts
                .iter()
                .find(|s| s.user_id == user_id && s.start <= at && at < s.end);
            OnCall {
                user_id,
                shift_start: shift.map(|s| s.start).filter(|&t| t > lo),
                shift_end: shift.map(|s| s.end).filter(|&t| t < hi),
            }
        })
        .collect()
}

/// Who a schedule has on call at `at` (agents and above).
pub async fn schedule_on_call(
    state: &AppState,
    caller: &Caller,
    key: &str,
    at: Millis,
) -> ApiResult<(Stored<Schedule>, Vec<OnCall>)> {
    let s = load_schedule(state, caller, key).await?;
    let people = on_call(&s.item.rota, at);
    Ok((s, people))
}

/// Who every schedule has on call at `at` (agents and above), schedules by name.
pub async fn everyone_on_call(
    state: &AppState,
    caller: &Caller,
    at: Millis,
) -> ApiResult<Vec<(Stored<Schedule>, Vec<OnCall>)>> {
    let schedules = list_schedules(state, caller).await?;
    Ok(schedules
        .into_iter()
        .map(|s| {
            let people = on_call(&s.item.rota, at);
            (s, people)
        })
        .collect())
}

/// A schedule's shifts and gaps between `from` and `to` (agents and above).
pub async fn schedule_shifts(
    state: &AppState,
    caller: &Caller,
    key: &str,
    from: Millis,
    to: Millis,
) -> ApiResult<(Stored<Schedule>, Vec<Shift>, Vec<(Millis, Millis)>)> {
    let s = load_schedule(state, caller, key).await?;
    let shifts = s.item.rota.shifts(from, to);
    let gaps = gaps_of(&shifts, from, to);
    Ok((s, shifts, gaps))
}

/// The spans of `[from, to)` no shift covers.
pub fn gaps_of(shifts: &[Shift], from: Millis, to: Millis) -> Vec<(Millis, Millis)> {
    let mut gaps = Vec::new();
    let mut covered_to = from;
    for s in shifts {
        if s.start > covered_to {
            gaps.push((covered_to, s.start));
        }
        covered_to = covered_to.max(s.end);
    }
    if covered_to < to {
        gaps.push((covered_to, to));
    }
    gaps
}

/// A person's shifts on every schedule between `from` and `to`, in start order (the person
/// themself, or agents and above).
pub async fn user_shifts(
    state: &AppState,
    caller: &Caller,
    key: &str,
    from: Millis,
    to: Millis,
) -> ApiResult<(Stored<User>, Vec<(Stored<Schedule>, Shift)>)> {
    let user = user_for(
        state,
        caller,
        key,
        Role::Agent,
        "reading another user's shifts",
    )
    .await?;
    let mut out = Vec::new();
    for e in state.store.list_entities(EntityKind::Schedule).await? {
        let s = Stored::new(&e, decode_entity::<Schedule>(&e)?);
        for shift in s.item.rota.shifts(from, to) {
            if shift.user_id == user.item.id {
                out.push((s.clone(), shift));
            }
        }
    }
    out.sort_by_key(|(s, shift)| (shift.start, s.item.name.to_lowercase()));
    Ok((user, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_starts_are_wall_clock_or_instants() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let want = civil::date(2026, 3, 16).at(9, 0, 0, 0);
        assert_eq!(
            parse_layer_start("2026-03-16T09:00:00", None),
            Ok(Some(want))
        );
        assert_eq!(parse_layer_start("2026-03-16T09:00", None), Ok(Some(want)));
        assert_eq!(
            parse_layer_start("2026-03-16T08:00:00Z", Some(&berlin)),
            Ok(Some(want))
        );
        assert_eq!(
            parse_layer_start("2026-03-16T10:00:00+02:00", Some(&berlin)),
            Ok(Some(want))
        );
        assert_eq!(parse_layer_start("2026-03-16T08:00:00Z", None), Ok(None));
        assert!(parse_layer_start("next monday", Some(&berlin)).is_err());
        assert_eq!(parse_time("09:00").unwrap(), civil::time(9, 0, 0, 0));
        assert_eq!(parse_time("17:30:15").unwrap(), civil::time(17, 30, 15, 0));
        assert!(parse_time("9am").is_err());
        assert_eq!(parse_day("Friday").unwrap(), Day::Friday);
        assert!(parse_day("fri").is_err());
    }

    #[test]
    fn gaps_are_what_no_shift_covers() {
        let shift = |start, end| Shift {
            user_id: Uuid::nil(),
            start,
            end,
            source: mayday_core::oncall::ShiftSource::Layer { index: 0 },
        };
        assert_eq!(gaps_of(&[], 0, 10), vec![(0, 10)]);
        assert_eq!(
            gaps_of(&[shift(2, 4), shift(4, 6), shift(8, 9)], 0, 10),
            vec![(0, 2), (6, 8), (9, 10)]
        );
        assert!(gaps_of(&[shift(0, 10)], 0, 10).is_empty());
    }
}
