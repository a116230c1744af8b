//! Business calendars: creating, changing and deleting them. A calendar is weekly working
//! hours in an IANA time zone (or always open) with holidays, single days or ranges of days.

use jiff::civil;
use mayday_core::Role;
use mayday_core::oncall::Day;
use mayday_core::sla::{BusinessCalendar, Holiday, WorkingHours};
use mayday_store::{EntityKind, decode_entity, encode_entity};
use serde_json::Value;
use uuid::Uuid;

use super::{record_or_404, require_sla_reader};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;
use crate::services::directory::{
    Stored, check_time_zone, check_version, conflict, delete, insert_record, name_field, required,
    update_record,
};
use crate::services::oncall::{Obj, add_new_errors};

pub const CALENDAR_FIELDS: &[&str] = &["name", "time_zone", "always_open", "hours", "holidays"];
const HOURS_FIELDS: &[&str] = &["day", "start", "end"];
const HOLIDAY_FIELDS: &[&str] = &["name", "date", "start", "end"];

/// The most working-hours windows a calendar has.
pub const MAX_WINDOWS: usize = 100;
/// The most holidays a calendar keeps.
pub const MAX_HOLIDAYS: usize = 1000;
/// The longest holiday name.
const MAX_HOLIDAY_NAME: usize = 100;
/// A holiday's name when the request gives none.
const DEFAULT_HOLIDAY_NAME: &str = "Holiday";

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

/// `monday` (or `mon`), case-insensitively.
pub fn parse_day(text: &str) -> Result<Day, String> {
    use Day::*;
    Ok(match text.trim().to_ascii_lowercase().as_str() {
        "monday" | "mon" => Monday,
        "tuesday" | "tue" => Tuesday,
        "wednesday" | "wed" => Wednesday,
        "thursday" | "thu" => Thursday,
        "friday" | "fri" => Friday,
        "saturday" | "sat" => Saturday,
        "sunday" | "sun" => Sunday,
        _ => {
            return Err(format!(
                "must be a day of the week such as monday; got {text:?}"
            ));
        }
    })
}

/// A wall-clock time of day, `09:00` or `09:00:00`; `24:00` is midnight at the end of the day
/// (stored as `00:00`, which a window's end reads that way).
fn parse_time(text: &str) -> Result<civil::Time, String> {
    let t = text.trim();
    if matches!(t, "24:00" | "24:00:00") {
        return Ok(civil::Time::midnight());
    }
    t.parse::<civil::Time>().map_err(|_| {
        format!(
            "must be a time of day such as 09:00 or 17:30 (24:00: the end of the day); got {text:?}"
        )
    })
}

fn parse_date(text: &str) -> Result<civil::Date, String> {
    text.trim()
        .parse::<civil::Date>()
        .map_err(|_| format!("must be a date such as 2026-12-25; got {text:?}"))
}

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

fn date_of(input: &mut Input, o: &Obj<'_>, key: &str) -> Option<civil::Date> {
    let text = o.string(input, key, true)?;
    match parse_date(&text) {
        Ok(d) => Some(d),
        Err(e) => {
            input.error(&o.at(key), e);
            None
        }
    }
}

/// One window of working hours, `{"day", "start", "end"}`. What cannot be read is reported
/// and stood in for (the whole day), so that the windows keep their indexes for
/// [`BusinessCalendar::validate`].
fn window(input: &mut Input, value: &Value, path: String) -> WorkingHours {
    let mut w = WorkingHours {
        day: Day::Monday,
        start: civil::Time::midnight(),
        end: civil::Time::midnight(),
    };
    let Some(o) = Obj::new(input, value, path, HOURS_FIELDS) else {
        return w;
    };
    if let Some(d) = o.string(input, "day", true) {
        match parse_day(&d) {
            Ok(d) => w.day = d,
            Err(e) => input.error(&o.at("day"), e),
        }
    }
    let start = time_of(input, &o, "start");
    let end = time_of(input, &o, "end");
    if let (Some(s), Some(e)) = (start, end) {
        w.start = s;
        w.end = e;
    }
    w
}

/// One holiday: `{"name", "date"}` or `{"name", "start", "end"}` (both days included).
fn holiday(input: &mut Input, value: &Value, path: String) -> Option<Holiday> {
    let o = Obj::new(input, value, path, HOLIDAY_FIELDS)?;
    let name = match o.string(input, "name", false) {
        None => Some(DEFAULT_HOLIDAY_NAME.to_string()),
        Some(n) => {
            let n = n.trim().to_string();
            if n.is_empty()
                || n.chars().count() > MAX_HOLIDAY_NAME
                || n.chars().any(char::is_control)
            {
                input.error(
                    &o.at("name"),
                    format!(
                        "must be 1 to {MAX_HOLIDAY_NAME} characters without control characters"
                    ),
                );
                None
            } else {
                Some(n)
            }
        }
    };
    let (start, end) = match (o.has("date"), o.has("start") || o.has("end")) {
        (true, true) => {
            input.error(&o.path, "give date, or start and end, not both");
            return None;
        }
        (true, false) => {
            let d = date_of(input, &o, "date");
            (d, d)
        }
        (false, true) => (date_of(input, &o, "start"), date_of(input, &o, "end")),
        (false, false) => {
            input.error(&o.at("date"), "is required (or start and end)");
            return None;
        }
    };
    let (start, end) = (start?, end?);
    if end < start {
        input.error(&o.at("end"), "must not be before start");
        return None;
    }
    Some(Holiday {
        name: name?,
        start,
        end,
    })
}

/// The `hours` field, if present (null: none): every window read, problems reported with
/// their paths.
fn hours_field(input: &mut Input) -> Option<Vec<WorkingHours>> {
    let raw = input.raw("hours")?.clone();
    if raw.is_null() {
        return Some(Vec::new());
    }
    let Some(items) = raw.as_array() else {
        input.error("hours", "must be an array of {day, start, end}");
        return None;
    };
    if items.len() > MAX_WINDOWS {
        input.error("hours", format!("must have at most {MAX_WINDOWS} windows"));
        return None;
    }
    Some(
        items
            .iter()
            .enumerate()
            .map(|(i, item)| window(input, item, format!("hours[{i}]")))
            .collect(),
    )
}

/// The `holidays` field, if present (null: none).
fn holidays_field(input: &mut Input) -> Option<Vec<Holiday>> {
    let raw = input.raw("holidays")?.clone();
    if raw.is_null() {
        return Some(Vec::new());
    }
    let Some(items) = raw.as_array() else {
        input.error(
            "holidays",
            "must be an array of {name, date} or {name, start, end}",
        );
        return None;
    };
    if items.len() > MAX_HOLIDAYS {
        input.error(
            "holidays",
            format!("must have at most {MAX_HOLIDAYS} holidays"),
        );
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if let Some(h) = holiday(input, item, format!("holidays[{i}]")) {
            out.push(h);
        }
    }
    Some(out)
}

/// Windows in week order, holidays by date (after validation, whose messages name the
/// request's indexes).
fn tidy(calendar: &mut BusinessCalendar) {
    calendar
        .hours
        .sort_by_key(|h| (h.day.to_weekday().to_monday_zero_offset(), h.start, h.end));
    calendar.holidays.sort_by_key(|h| (h.start, h.end));
}

/// Adds what [`BusinessCalendar::validate`] finds, except on fields already reported.
fn check_calendar(input: &mut Input, calendar: &BusinessCalendar) {
    if let Err(found) = calendar.validate() {
        add_new_errors(input, found);
    }
}

fn stored(e: &mayday_store::Entity) -> ApiResult<Stored<BusinessCalendar>> {
    Ok(Stored::new(e, decode_entity::<BusinessCalendar>(e)?))
}

pub async fn list_calendars(
    state: &AppState,
    caller: &Caller,
) -> ApiResult<Vec<Stored<BusinessCalendar>>> {
    require_sla_reader(caller, "reading business calendars")?;
    state
        .store
        .list_entities(EntityKind::BusinessCalendar)
        .await?
        .iter()
        .map(stored)
        .collect()
}

/// A calendar by id or name.
pub async fn load_calendar(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> ApiResult<Stored<BusinessCalendar>> {
    require_sla_reader(caller, "reading business calendars")?;
    stored(&record_or_404(state, EntityKind::BusinessCalendar, key).await?)
}

/// Creates a calendar (managers and admins): name and time zone required; working hours
/// unless it is always open.
pub async fn create_calendar(
    state: &AppState,
    caller: &Caller,
    mut input: Input,
) -> ApiResult<Stored<BusinessCalendar>> {
    caller.require(Role::Manager, "creating business calendars")?;
    let name = name_field(&mut input, "name");
    let name = required(&mut input, "name", name);
    let time_zone = time_zone_field(&mut input);
    let time_zone = required(&mut input, "time_zone", time_zone);
    let always_open = input.bool("always_open");
    let hours = hours_field(&mut input);
    let holidays = holidays_field(&mut input);
    let mut calendar = BusinessCalendar {
        id: Uuid::nil(),
        name: name.clone().unwrap_or_default(),
        time_zone: time_zone.unwrap_or_else(|| "UTC".into()),
        always_open: always_open.unwrap_or(false),
        hours: hours.unwrap_or_default(),
        holidays: holidays.unwrap_or_default(),
    };
    check_calendar(&mut input, &calendar);
    input.finish()?;
    tidy(&mut calendar);
    let Some(name) = name else {
        return Err(ApiError::Internal(
            "validated calendar name is missing".into(),
        ));
    };
    let e = insert_record(
        state,
        EntityKind::BusinessCalendar,
        &name,
        encode_entity(&calendar),
    )
    .await?;
    stored(&e)
}

/// Changes a calendar (managers and admins): any of name, time zone, always_open, hours and
/// holidays (lists replace the old ones).
pub async fn patch_calendar(
    state: &AppState,
    caller: &Caller,
    key: &str,
    if_match: Option<i64>,
    mut input: Input,
) -> ApiResult<Stored<BusinessCalendar>> {
    caller.require(Role::Manager, "changing business calendars")?;
    let old = record_or_404(state, EntityKind::BusinessCalendar, key).await?;
    check_version(&old, if_match)?;
    let mut c: BusinessCalendar = decode_entity(&old)?;
    if let Some(n) = name_field(&mut input, "name") {
        c.name = n;
    }
    if let Some(tz) = time_zone_field(&mut input) {
        c.time_zone = tz;
    }
    if let Some(a) = input.bool("always_open") {
        c.always_open = a;
    }
    if let Some(h) = hours_field(&mut input) {
        c.hours = h;
    }
    if let Some(h) = holidays_field(&mut input) {
        c.holidays = h;
    }
    check_calendar(&mut input, &c);
    input.finish()?;
    tidy(&mut c);
    let e = update_record(state, &old, &c.name, encode_entity(&c)).await?;
    stored(&e)
}

/// Deletes a calendar no SLA policy uses (managers and admins).
pub async fn delete_calendar(state: &AppState, caller: &Caller, key: &str) -> ApiResult<()> {
    caller.require(Role::Manager, "deleting business calendars")?;
    let e = record_or_404(state, EntityKind::BusinessCalendar, key).await?;
    let users = super::policies_using_calendar(state, e.id).await?;
    if !users.is_empty() {
        let names: Vec<String> = users.iter().map(|n| format!("{n:?}")).collect();
        return Err(conflict(format!(
            "business calendar {:?} is used by SLA polic{} {}; change them first",
            e.name,
            if names.len() == 1 { "y" } else { "ies" },
            names.join(", ")
        )));
    }
    delete(state, &e).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_times_and_dates() {
        assert_eq!(parse_day("Monday").unwrap(), Day::Monday);
        assert_eq!(parse_day("sun").unwrap(), Day::Sunday);
        assert!(parse_day("funday").is_err());
        assert_eq!(parse_time("09:00").unwrap(), civil::time(9, 0, 0, 0));
        assert_eq!(parse_time("24:00").unwrap(), civil::Time::midnight());
        assert!(parse_time("9am").is_err());
        assert_eq!(parse_date("2026-12-25").unwrap(), civil::date(2026, 12, 25));
        assert!(parse_date("2026-02-30").is_err());
    }
}
