//! Business calendars: the weekly working hours and holidays of an IANA time zone, and how many
//! business milliseconds lie between two instants.
//!
//! An instant counts (is "open") when its wall-clock date and time in the calendar's zone fall
//! inside a working-hours window of that weekday and that date is not a holiday. Across a DST
//! change this means a 09:00–18:00 window stays 09:00–18:00 local, a window containing the
//! skipped hour is an hour shorter, and a window containing the repeated hour counts the real
//! time the clocks spend in it (the repeated wall-clock times count twice).
//!
//! The work is done per span of constant UTC offset and, inside one, per local day, so a year
//! costs a few hundred small steps.

use std::ops::ControlFlow;

use jiff::tz::TimeZone;
use jiff::{Timestamp, civil};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Millis;
use crate::error::ValidationErrors;
use crate::oncall::Day;

const DAY: i64 = 86_400_000;
/// How far [`BusinessCalendar::add_business_ms`] looks for open time.
const HORIZON: i64 = 3_653 * DAY;

/// A weekly window of working hours, wall-clock in the calendar's zone: `[start, end)`.
/// `end` must be after `start`, or `00:00`, which means midnight at the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingHours {
    pub day: Day,
    pub start: civil::Time,
    pub end: civil::Time,
}

/// Dates on which the calendar is closed all day, `start..=end` (a single date: `end == start`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub name: String,
    pub start: civil::Date,
    /// Inclusive.
    pub end: civil::Date,
}

/// When the SLA clock counts: working hours and holidays in a time zone, or 24x7.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    pub id: Uuid,
    pub name: String,
    /// IANA zone, e.g. "Europe/Berlin".
    pub time_zone: String,
    /// Every instant counts except on holidays; `hours` are then ignored.
    /// Empty `hours` and `always_open` false = never open (allowed; the clock never advances).
    #[serde(default)]
    pub always_open: bool,
    /// Weekly windows; they may overlap.
    #[serde(default)]
    pub hours: Vec<WorkingHours>,
    /// A date in several holidays is named after the one that starts first.
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

/// A stretch of time as a calendar sees it: open (counted) or closed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSpan {
    pub from: Millis,
    pub to: Millis,
    pub open: bool,
    /// "business hours" or "24x7" when open; "outside business hours" or `holiday: <name>`.
    pub reason: String,
}

/// What one piece of time is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'c> {
    Open,
    Closed,
    Holiday(&'c str),
}

/// A calendar prepared for computing: its zone resolved, windows in milliseconds of the day
/// per weekday, holidays as disjoint ranges of epoch days.
pub(crate) struct Rules<'c> {
    tz: TimeZone,
    /// Monday first; sorted and merged `[start, end)` milliseconds since local midnight.
    week: [Vec<(i64, i64)>; 7],
    /// Sorted, disjoint `(first day, last day inclusive, name)` in days since 1970-01-01.
    holidays: Vec<(i64, i64, &'c str)>,
    always_open: bool,
}

/// Milliseconds since midnight of a wall-clock time (sub-millisecond precision is dropped).
fn time_ms(t: civil::Time) -> i64 {
    i64::from(t.hour()) * 3_600_000
        + i64::from(t.minute()) * 60_000
        + i64::from(t.second()) * 1_000
        + i64::from(t.subsec_nanosecond()) / 1_000_000
}

/// A window's end in milliseconds of the day: `00:00` is the end of the day.
fn end_ms(t: civil::Time) -> i64 {
    match time_ms(t) {
        0 => DAY,
        ms => ms,
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn epoch_day(d: civil::Date) -> i64 {
    let (y, m, day) = (
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Monday 0 .. Sunday 6 of a day since 1970-01-01 (a Thursday).
fn weekday_index(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// The instants the zone arithmetic supports (jiff's range, whole seconds).
fn supported_range() -> (Millis, Millis) {
    (
        Timestamp::MIN.as_second() * 1_000,
        Timestamp::MAX.as_second() * 1_000,
    )
}

fn timestamp(at: Millis) -> Timestamp {
    let (min, max) = supported_range();
    Timestamp::from_millisecond(at.clamp(min, max)).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl<'c> Rules<'c> {
    fn new(cal: &'c BusinessCalendar) -> Self {
        let mut week: [Vec<(i64, i64)>; 7] = Default::default();
        if !cal.always_open {
            for h in &cal.hours {
                let (s, e) = (time_ms(h.start), end_ms(h.end));
                if s < e {
                    let i = h.day.to_weekday().to_monday_zero_offset() as usize;
                    week[i].push((s, e));
                }
            }
            for day in &mut week {
                day.sort_unstable();
                let mut merged: Vec<(i64, i64)> = Vec::with_capacity(day.len());
                for &(s, e) in day.iter() {
                    match merged.last_mut() {
                        Some(last) if last.1 >= s => last.1 = last.1.max(e),
                        _ => merged.push((s, e)),
                    }
                }
                *day = merged;
            }
        }
        let mut ranges: Vec<(i64, i64, &str)> = cal
            .holidays
            .iter()
            .map(|h| (epoch_day(h.start), epoch_day(h.end), h.name.as_str()))
            .filter(|(s, e, _)| s <= e)
            .collect();
        ranges.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
        let mut holidays: Vec<(i64, i64, &str)> = Vec::with_capacity(ranges.len());
        for (s, e, name) in ranges {
            let s = holidays.last().map_or(s, |last| s.max(last.1 + 1));
            if s <= e {
                holidays.push((s, e, name));
            }
        }
        Rules {
            tz: TimeZone::get(&cal.time_zone).unwrap_or(TimeZone::UTC),
            week,
            holidays,
            always_open: cal.always_open,
        }
    }

    /// Whether some instant could ever be open (ignoring holidays).
    fn ever_open(&self) -> bool {
        self.always_open || self.week.iter().any(|d| !d.is_empty())
    }

    fn holiday(&self, day: i64) -> Option<(i64, i64, &'c str)> {
        let i = self.holidays.partition_point(|h| h.0 <= day);
        let h = *self.holidays.get(i.checked_sub(1)?)?;
        (h.1 >= day).then_some(h)
    }

    /// Calls `f` with the pieces of `[from, to)` in order, contiguous, not merged.
    fn walk(
        &self,
        from: Millis,
        to: Millis,
        f: &mut dyn FnMut(Millis, Millis, Piece<'c>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let (min, max) = supported_range();
        let (from, to) = (from.max(min), to.min(max));
        if from >= to {
            return ControlFlow::Continue(());
        }
        if self.always_open && self.holidays.is_empty() {
            return f(from, to, Piece::Open);
        }
        let mut a = from;
        while a < to {
            let ts = timestamp(a);
            let offset = i64::from(self.tz.to_offset(ts).seconds()) * 1_000;
            let b = self
                .tz
                .following(ts)
                .next()
                .map_or(to, |t| t.timestamp().as_millisecond().max(a + 1))
                .min(to);
            self.walk_fixed(a + offset, b + offset, offset, f)?;
            a = b;
        }
        ControlFlow::Continue(())
    }

    /// [`Self::walk`] over local time `[lo, hi)` during which the zone's offset is `offset`.
    fn walk_fixed(
        &self,
        lo: i64,
        hi: i64,
        offset: i64,
        f: &mut dyn FnMut(Millis, Millis, Piece<'c>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        const ALL_DAY: [(i64, i64); 1] = [(0, DAY)];
        let mut at = lo;
        let mut day = lo.div_euclid(DAY);
        while at < hi {
            let day_start = day * DAY;
            if let Some((_, last, name)) = self.holiday(day) {
                let stop = ((last + 1) * DAY).min(hi);
                f(at - offset, stop - offset, Piece::Holiday(name))?;
                at = stop;
                day = last + 1;
                continue;
            }
            let windows: &[(i64, i64)] = if self.always_open {
                &ALL_DAY
            } else {
                &self.week[weekday_index(day)]
            };
            for &(s, e) in windows {
                let (s, e) = ((day_start + s).max(at), (day_start + e).min(hi));
                if s >= hi {
                    break;
                }
                if s >= e {
                    continue;
                }
                if at < s {
                    f(at - offset, s - offset, Piece::Closed)?;
                }
                f(s - offset, e - offset, Piece::Open)?;
                at = e;
            }
            let stop = (day_start + DAY).min(hi);
            if at < stop {
                f(at - offset, stop - offset, Piece::Closed)?;
            }
            at = stop;
            day += 1;
        }
        ControlFlow::Continue(())
    }

    pub(crate) fn business_ms(&self, from: Millis, to: Millis) -> i64 {
        let mut total = 0;
        let _ = self.walk(from, to, &mut |a, b, piece| {
            if piece == Piece::Open {
                total += b - a;
            }
            ControlFlow::Continue(())
        });
        total
    }

    pub(crate) fn add_business_ms(&self, from: Millis, ms: i64) -> Option<Millis> {
        if ms <= 0 {
            return Some(from);
        }
        if !self.ever_open() {
            return None;
        }
        let mut left = ms;
        let mut found = None;
        let _ = self.walk(from, from.saturating_add(HORIZON), &mut |a, b, piece| {
            if piece != Piece::Open {
                return ControlFlow::Continue(());
            }
            if b - a >= left {
                found = Some(a + left);
                return ControlFlow::Break(());
            }
            left -= b - a;
            ControlFlow::Continue(())
        });
        found
    }

    fn open_reason(&self) -> &'static str {
        if self.always_open {
            "24x7"
        } else {
            "business hours"
        }
    }

    pub(crate) fn spans(&self, from: Millis, to: Millis) -> Vec<CalendarSpan> {
        let mut out: Vec<(Millis, Millis, Piece<'c>)> = Vec::new();
        let _ = self.walk(from, to, &mut |a, b, piece| {
            match out.last_mut() {
                Some(last) if last.2 == piece && last.1 == a => last.1 = b,
                _ => out.push((a, b, piece)),
            }
            ControlFlow::Continue(())
        });
        out.into_iter()
            .map(|(from, to, piece)| CalendarSpan {
                from,
                to,
                open: piece == Piece::Open,
                reason: match piece {
                    Piece::Open => self.open_reason().to_owned(),
                    Piece::Closed => "outside business hours".to_owned(),
                    Piece::Holiday(name) => format!("holiday: {name}"),
                },
            })
            .collect()
    }
}

impl BusinessCalendar {
    /// Every instant counts: 24x7 in UTC, no holidays, named "24x7".
    pub fn always(id: Uuid) -> Self {
        BusinessCalendar {
            id,
            name: "24x7".to_owned(),
            time_zone: "UTC".to_owned(),
            always_open: true,
            hours: Vec::new(),
            holidays: Vec::new(),
        }
    }

    /// A known zone, a name, windows that end after they start (or at `00:00`, midnight at the
    /// end of the day), named holidays that end on or after their start.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.name.trim().is_empty() {
            errors.add("name", "must not be empty");
        }
        if TimeZone::get(&self.time_zone).is_err() {
            errors.add(
                "time_zone",
                format!(
                    "unknown time zone {:?}; use an IANA name such as Europe/Berlin",
                    self.time_zone
                ),
            );
        }
        for (i, h) in self.hours.iter().enumerate() {
            if time_ms(h.start) >= end_ms(h.end) {
                errors.add(
                    format!("hours[{i}].end"),
                    "must be after start (00:00 means midnight at the end of the day)",
                );
            }
        }
        for (i, h) in self.holidays.iter().enumerate() {
            if h.name.trim().is_empty() {
                errors.add(format!("holidays[{i}].name"), "must not be empty");
            }
            if h.end < h.start {
                errors.add(format!("holidays[{i}].end"), "must not be before start");
            }
        }
        errors.into_result()
    }

    pub(crate) fn rules(&self) -> Rules<'_> {
        Rules::new(self)
    }

    /// Business milliseconds in `[from, to)` (0 when `to <= from`). Never more than `to - from`.
    pub fn business_ms(&self, from: Millis, to: Millis) -> i64 {
        self.rules().business_ms(from, to)
    }

    /// The earliest instant `t >= from` with `business_ms(from, t) == ms`; `from` when
    /// `ms <= 0`. `None` when the calendar has too little open time in the next 10 years.
    pub fn add_business_ms(&self, from: Millis, ms: i64) -> Option<Millis> {
        self.rules().add_business_ms(from, ms)
    }

    /// The open (counted) intervals within `[from, to)`, merged, in order.
    pub fn open_intervals(&self, from: Millis, to: Millis) -> Vec<(Millis, Millis)> {
        self.spans(from, to)
            .into_iter()
            .filter(|s| s.open)
            .map(|s| (s.from, s.to))
            .collect()
    }

    /// `[from, to)` split into open and closed spans with their reasons, contiguous, in order;
    /// neighbours always differ in reason.
    pub fn spans(&self, from: Millis, to: Millis) -> Vec<CalendarSpan> {
        self.rules().spans(from, to)
    }

    /// Why the calendar is closed at `at` ("outside business hours", `holiday: <name>`);
    /// `None` when it is open.
    pub fn closed_reason(&self, at: Millis) -> Option<String> {
        let span = self.spans(at, at.saturating_add(1)).pop()?;
        (!span.open).then_some(span.reason)
    }
}
