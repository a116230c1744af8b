//! Schedules: layers of rotations in a time zone, restrictions, overrides; who is on call.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, civil};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Millis;
use crate::error::ValidationErrors;

/// How long one member's turn lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnUnit {
    /// Exact hours (a DST change makes the wall-clock hand-off move).
    Hours,
    /// Calendar days: the hand-off stays at the same wall-clock time across DST.
    Days,
    /// Calendar weeks: as days.
    Weeks,
}

/// A turn's length: `count` units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub unit: TurnUnit,
    pub count: u32,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Day {
    pub fn to_weekday(self) -> civil::Weekday {
        match self {
            Day::Monday => civil::Weekday::Monday,
            Day::Tuesday => civil::Weekday::Tuesday,
            Day::Wednesday => civil::Weekday::Wednesday,
            Day::Thursday => civil::Weekday::Thursday,
            Day::Friday => civil::Weekday::Friday,
            Day::Saturday => civil::Weekday::Saturday,
            Day::Sunday => civil::Weekday::Sunday,
        }
    }
}

/// When a layer is active; outside every window of a layer it has nobody on call.
/// A window whose end is not after its start wraps (past midnight, past the end of the week).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Restriction {
    /// Every day from `start` to `end` (wall-clock, the schedule's zone).
    Daily {
        start: civil::Time,
        end: civil::Time,
    },
    /// Every week from `start_day` `start` to `end_day` `end`.
    Weekly {
        start_day: Day,
        start: civil::Time,
        end_day: Day,
        end: civil::Time,
    },
}

/// One rotation: members take turns in order, starting with the first at `start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    pub name: String,
    /// Users in turn order (a user may appear more than once).
    pub members: Vec<Uuid>,
    pub turn: Turn,
    /// The first hand-off, wall-clock in the schedule's zone; later hand-offs follow every turn.
    /// Before it the layer has nobody.
    pub start: civil::DateTime,
    /// Empty: always active.
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
}

/// A person taking a time range; overrides beat every layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub id: Uuid,
    pub user_id: Uuid,
    pub start: Millis,
    /// Exclusive.
    pub end: Millis,
}

/// A schedule's rules: layers (a layer later in the list takes precedence wherever it has
/// someone) and overrides, in an IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rota {
    /// IANA name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub layers: Vec<Layer>,
    #[serde(default)]
    pub overrides: Vec<Override>,
}

/// Where a shift comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShiftSource {
    /// The layer at this index.
    Layer {
        index: usize,
    },
    Override {
        id: Uuid,
    },
}

/// A span of time one person is on call for a schedule: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub user_id: Uuid,
    pub start: Millis,
    pub end: Millis,
    pub source: ShiftSource,
}

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;
/// 1970-01-05, the first Monday after the epoch, as milliseconds of local (wall-clock) time.
const FIRST_MONDAY: i64 = 4 * DAY;

/// The largest turn a layer may have, per unit (a leap year).
const MAX_DAYS: u32 = 366;
const MAX_WEEKS: u32 = 52;
const MAX_HOURS: u32 = 8784;

/// The instants the calendar work supports, `[MIN, MAX)`: jiff's range (years -9999 to 9999).
/// Outside it layers have nobody; overrides still count.
fn supported_range() -> (Millis, Millis) {
    // Whole seconds: jiff takes milliseconds only up to its last whole second.
    (
        Timestamp::MIN.as_second() * 1_000,
        Timestamp::MAX.as_second() * 1_000,
    )
}

/// Milliseconds since midnight of a wall-clock time (sub-millisecond precision is dropped).
fn time_ms(t: civil::Time) -> i64 {
    i64::from(t.hour()) * HOUR
        + i64::from(t.minute()) * MINUTE
        + i64::from(t.second()) * 1_000
        + i64::from(t.subsec_nanosecond()) / 1_000_000
}

impl Day {
    /// Monday is 0, Sunday 6.
    fn index(self) -> i64 {
        match self {
            Day::Monday => 0,
            Day::Tuesday => 1,
            Day::Wednesday => 2,
            Day::Thursday => 3,
            Day::Friday => 4,
            Day::Saturday => 5,
            Day::Sunday => 6,
        }
    }
}

impl TurnUnit {
    /// The most units one turn may last.
    pub fn max_count(self) -> u32 {
        match self {
            TurnUnit::Hours => MAX_HOURS,
            TurnUnit::Days => MAX_DAYS,
            TurnUnit::Weeks => MAX_WEEKS,
        }
    }

    fn name(self) -> &'static str {
        match self {
            TurnUnit::Hours => "hours",
            TurnUnit::Days => "days",
            TurnUnit::Weeks => "weeks",
        }
    }
}

/// A periodic window of local (wall-clock) time, in milliseconds as if the wall clock were UTC:
/// active on `[phase + i*period, phase + i*period + len)` for every integer `i`.
#[derive(Debug, Clone, Copy)]
struct Window {
    phase: i64,
    period: i64,
    /// `period` means always active.
    len: i64,
}

impl Window {
    fn contains(&self, local: i64) -> bool {
        (local - self.phase).rem_euclid(self.period) < self.len
    }

    /// Pushes the window's occurrences clipped to `[lo, hi)` (local milliseconds), in order.
    fn each_in(&self, lo: i64, hi: i64, out: &mut Vec<(i64, i64)>) {
        if self.len >= self.period {
            out.push((lo, hi));
            return;
        }
        // The last occurrence starting at or before `lo`; the one before it ends before `lo`.
        let mut at = self.phase + (lo - self.phase).div_euclid(self.period) * self.period;
        while at < hi {
            let (a, b) = (at.max(lo), (at + self.len).min(hi));
            if a < b {
                out.push((a, b));
            }
            at += self.period;
        }
    }
}

impl Restriction {
    /// Wall-clock times finer than a second are refused (instants are milliseconds and
    /// restrictions are meant in minutes); otherwise every restriction is valid: a window whose
    /// end is not after its start wraps, and equal ends mean "always".
    pub fn validate(&self) -> Result<(), String> {
        let times = match *self {
            Restriction::Daily { start, end } => [start, end],
            Restriction::Weekly { start, end, .. } => [start, end],
        };
        if times.iter().any(|t| t.subsec_nanosecond() != 0) {
            return Err("times must be whole seconds".to_owned());
        }
        Ok(())
    }

    /// Whether the window is open at a wall-clock datetime (in the schedule's zone).
    pub fn contains(&self, at: civil::DateTime) -> bool {
        fn within<T: PartialOrd>(start: T, end: T, at: T) -> bool {
            if start == end {
                true
            } else if start < end {
                start <= at && at < end
            } else {
                at >= start || at < end
            }
        }
        match *self {
            Restriction::Daily { start, end } => within(start, end, at.time()),
            Restriction::Weekly {
                start_day,
                start,
                end_day,
                end,
            } => {
                let day = i64::from(at.weekday().to_monday_zero_offset());
                within(
                    (start_day.index(), start),
                    (end_day.index(), end),
                    (day, at.time()),
                )
            }
        }
    }

    fn window(&self) -> Window {
        match *self {
            Restriction::Daily { start, end } => {
                let (s, e) = (time_ms(start), time_ms(end));
                Window {
                    phase: s,
                    period: DAY,
                    len: if s == e { DAY } else { (e - s).rem_euclid(DAY) },
                }
            }
            Restriction::Weekly {
                start_day,
                start,
                end_day,
                end,
            } => {
                let s = start_day.index() * DAY + time_ms(start);
                let e = end_day.index() * DAY + time_ms(end);
                Window {
                    phase: FIRST_MONDAY + s,
                    period: WEEK,
                    len: if s == e {
                        WEEK
                    } else {
                        (e - s).rem_euclid(WEEK)
                    },
                }
            }
        }
    }
}

/// One layer evaluated in a zone: its hand-offs and its active time.
struct LayerClock<'a> {
    layer: &'a Layer,
    tz: &'a TimeZone,
    /// The first hand-off; `None` when the layer can never have anyone (no members, a turn of
    /// zero units, a start outside the supported range).
    start: Option<Millis>,
    windows: Vec<Window>,
}

impl<'a> LayerClock<'a> {
    fn new(layer: &'a Layer, tz: &'a TimeZone) -> Self {
        let start = if layer.members.is_empty() || layer.turn.count == 0 {
            None
        } else {
            resolve(tz, layer.start)
        };
        LayerClock {
            layer,
            tz,
            start,
            windows: layer.restrictions.iter().map(Restriction::window).collect(),
        }
    }

    /// A turn's length ignoring DST, for estimating which turn an instant falls in.
    fn nominal_turn(&self) -> i64 {
        let unit = match self.layer.turn.unit {
            TurnUnit::Hours => HOUR,
            TurnUnit::Days => DAY,
            TurnUnit::Weeks => WEEK,
        };
        unit * i64::from(self.layer.turn.count)
    }

    /// When turn `k` (k >= 0) begins; `Millis::MAX` when that is beyond the supported range.
    fn boundary(&self, start: Millis, k: i64) -> Millis {
        let count = i64::from(self.layer.turn.count);
        let at = match self.layer.turn.unit {
            TurnUnit::Hours => k
                .checked_mul(count * HOUR)
                .and_then(|d| start.checked_add(d)),
            TurnUnit::Days | TurnUnit::Weeks => {
                let days = if self.layer.turn.unit == TurnUnit::Weeks {
                    count * 7
                } else {
                    count
                };
                k.checked_mul(days)
                    .and_then(|d| d.checked_mul(86_400))
                    .and_then(|secs| {
                        self.layer
                            .start
                            .checked_add(SignedDuration::from_secs(secs))
                            .ok()
                    })
                    .and_then(|dt| resolve(self.tz, dt))
            }
        };
        match at {
            Some(at) if at < supported_range().1 => at,
            _ => Millis::MAX,
        }
    }

    /// The turn `at` falls in (`boundary(k) <= at < boundary(k + 1)`), for `at >= start`.
    /// Estimated by division, then corrected by the few turns DST can shift it.
    fn turn_at(&self, start: Millis, at: Millis) -> i64 {
        debug_assert!(at >= start);
        let mut k = (at - start) / self.nominal_turn();
        while k > 0 && self.boundary(start, k) > at {
            k -= 1;
        }
        while self.boundary(start, k + 1) <= at {
            k += 1;
        }
        k
    }

    fn member(&self, k: i64) -> Uuid {
        let n = self.layer.members.len() as i64;
        self.layer.members[k.rem_euclid(n) as usize]
    }

    /// Whether a restriction window is open at `at` (always, without restrictions).
    fn active_at(&self, at: Millis) -> bool {
        if self.windows.is_empty() {
            return true;
        }
        let local = at + offset_ms(self.tz, at);
        self.windows.iter().any(|w| w.contains(local))
    }

    /// Who the layer has at `at`, if anyone.
    fn person_at(&self, at: Millis) -> Option<Uuid> {
        let start = self.start?;
        let (min, max) = supported_range();
        if at < start || at < min || at >= max || !self.active_at(at) {
            return None;
        }
        Some(self.member(self.turn_at(start, at)))
    }

    /// The spans of `[lo, hi)` (inside the supported range) where a window is open, merged and
    /// in order. Between two transitions of the zone the offset is fixed, so wall-clock time is
    /// the instant plus that offset and the windows map back exactly.
    fn active_spans(&self, lo: Millis, hi: Millis) -> Vec<(Millis, Millis)> {
        if self.windows.is_empty() {
            return vec![(lo, hi)];
        }
        let mut spans: Vec<(Millis, Millis)> = Vec::new();
        let mut local = Vec::new();
        let mut a = lo;
        while a < hi {
            let ts = timestamp(a);
            let offset = i64::from(self.tz.to_offset(ts).seconds()) * 1_000;
            let b = self
                .tz
                .following(ts)
                .next()
                .map_or(hi, |t| t.timestamp().as_millisecond().max(a + 1))
                .min(hi);
            local.clear();
            for w in &self.windows {
                w.each_in(a + offset, b + offset, &mut local);
            }
            local.sort_unstable();
            for &(s, e) in &local {
                let (s, e) = (s - offset, e - offset);
                match spans.last_mut() {
                    Some(last) if last.1 >= s => last.1 = last.1.max(e),
                    _ => spans.push((s, e)),
                }
            }
            a = b;
        }
        spans
    }

    /// The layer's own pieces in `[from, to)`: `(start, end, user)` in order, one per turn and
    /// open window (not merged).
    fn pieces(&self, from: Millis, to: Millis) -> Vec<(Millis, Millis, Uuid)> {
        let Some(start) = self.start else {
            return Vec::new();
        };
        let (min, max) = supported_range();
        let (lo, hi) = (from.max(start).max(min), to.min(max));
        let mut out = Vec::new();
        if lo >= hi {
            return out;
        }
        for (a, b) in self.active_spans(lo, hi) {
            let mut k = self.turn_at(start, a);
            let mut turn_start = self.boundary(start, k);
            loop {
                let turn_end = self.boundary(start, k + 1);
                let (s, e) = (turn_start.max(a), turn_end.min(b));
                if s < e {
                    out.push((s, e, self.member(k)));
                }
                if turn_end >= b {
                    break;
                }
                k += 1;
                turn_start = turn_end;
            }
        }
        out
    }
}

/// A wall-clock datetime as an instant in `tz` (jiff's compatible disambiguation: a time in
/// a gap moves forward by the gap, an ambiguous time takes the earlier instant); `None` outside
/// the supported range.
fn resolve(tz: &TimeZone, dt: civil::DateTime) -> Option<Millis> {
    let at = tz
        .to_ambiguous_timestamp(dt)
        .compatible()
        .ok()?
        .as_millisecond();
    let (min, max) = supported_range();
    (min..max).contains(&at).then_some(at)
}

/// An instant inside the supported range as a jiff timestamp.
fn timestamp(at: Millis) -> Timestamp {
    let (min, max) = supported_range();
    Timestamp::from_millisecond(at.clamp(min, max)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The zone's offset from UTC at `at`, in milliseconds.
fn offset_ms(tz: &TimeZone, at: Millis) -> i64 {
    i64::from(tz.to_offset(timestamp(at)).seconds()) * 1_000
}

/// Appends a piece to `out`, extending the shift it continues instead when one of `open` (the
/// shifts that end where this piece starts) has the same person and source.
fn emit(out: &mut Vec<Shift>, open: &[usize], next_open: &mut Vec<usize>, piece: Shift) {
    for &i in open {
        let s = &mut out[i];
        if s.end == piece.start && s.user_id == piece.user_id && s.source == piece.source {
            s.end = piece.end;
            next_open.push(i);
            return;
        }
    }
    next_open.push(out.len());
    out.push(piece);
}

impl Rota {
    /// The rota's zone; an unknown name (refused by [`Rota::validate`]) falls back to UTC so a
    /// schedule whose zone disappeared still pages someone.
    pub fn zone(&self) -> TimeZone {
        TimeZone::get(&self.time_zone).unwrap_or(TimeZone::UTC)
    }

    /// Checks the zone is a known IANA name, there is at least one layer, every layer has a
    /// name, members and a turn of 1 to [`TurnUnit::max_count`] units, a start the zone can
    /// place (whole seconds), restrictions in whole seconds, and overrides end after they start.
    /// Field names as JSON paths (`layers[0].members`, `layers[1].turn.count`,
    /// `layers[0].restrictions[0]`, `overrides[2].end`).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let tz = if self.time_zone.trim().is_empty() {
            errors.add("time_zone", "is required");
            None
        } else {
            match TimeZone::get(&self.time_zone) {
                Ok(tz) => Some(tz),
                Err(_) => {
                    errors.add(
                        "time_zone",
                        format!(
                            "\"{}\" is not a known IANA time zone (e.g. Europe/Berlin)",
                            self.time_zone
                        ),
                    );
                    None
                }
            }
        };
        if self.layers.is_empty() {
            errors.add("layers", "must have at least one layer");
        }
        for (i, layer) in self.layers.iter().enumerate() {
            let at = |field: &str| format!("layers[{i}].{field}");
            if layer.name.trim().is_empty() {
                errors.add(at("name"), "must not be empty");
            }
            if layer.members.is_empty() {
                errors.add(at("members"), "must have at least one member");
            }
            let (count, unit) = (layer.turn.count, layer.turn.unit);
            if count == 0 {
                errors.add(at("turn.count"), "must be at least 1");
            } else if count > unit.max_count() {
                errors.add(
                    at("turn.count"),
                    format!("must be at most {} {}", unit.max_count(), unit.name()),
                );
            }
            if layer.start.subsec_nanosecond() != 0 {
                errors.add(at("start"), "must be a whole second");
            } else if let Some(tz) = &tz
                && resolve(tz, layer.start).is_none()
            {
                errors.add(at("start"), "is out of range");
            }
            for (j, r) in layer.restrictions.iter().enumerate() {
                if let Err(message) = r.validate() {
                    errors.add(at(&format!("restrictions[{j}]")), message);
                }
            }
        }
        for (i, o) in self.overrides.iter().enumerate() {
            if o.end <= o.start {
                errors.add(format!("overrides[{i}].end"), "must be after the start");
            }
        }
        errors.into_result()
    }

    /// The people on call at `at`: those of overrides covering it if any, else the person of
    /// the last layer that has someone then; empty in a gap.
    pub fn on_call_at(&self, at: Millis) -> Vec<Uuid> {
        let mut people = Vec::new();
        for o in &self.overrides {
            if o.start <= at && at < o.end && !people.contains(&o.user_id) {
                people.push(o.user_id);
            }
        }
        if !people.is_empty() {
            return people;
        }
        let tz = self.zone();
        self.layers
            .iter()
            .rev()
            .find_map(|layer| LayerClock::new(layer, &tz).person_at(at))
            .into_iter()
            .collect()
    }

    /// The final schedule between `from` and `to`: shifts clipped to the range, in start order,
    /// adjacent pieces of one person from one source merged.
    pub fn shifts(&self, from: Millis, to: Millis) -> Vec<Shift> {
        if from >= to {
            return Vec::new();
        }
        let tz = self.zone();
        let layers: Vec<Vec<(Millis, Millis, Uuid)>> = self
            .layers
            .iter()
            .map(|layer| LayerClock::new(layer, &tz).pieces(from, to))
            .collect();
        let overrides: Vec<(Millis, Millis, &Override)> = self
            .overrides
            .iter()
            .map(|o| (o.start.max(from), o.end.min(to), o))
            .filter(|(s, e, _)| s < e)
            .collect();

        let mut points = vec![from, to];
        points.extend(layers.iter().flatten().flat_map(|&(s, e, _)| [s, e]));
        points.extend(overrides.iter().flat_map(|&(s, e, _)| [s, e]));
        points.sort_unstable();
        points.dedup();

        let mut out: Vec<Shift> = Vec::new();
        let (mut open, mut next_open) = (Vec::new(), Vec::new());
        let mut next_piece = vec![0usize; layers.len()];
        let mut people: Vec<(Uuid, Uuid)> = Vec::new();
        for w in points.windows(2) {
            let (a, b) = (w[0], w[1]);
            next_open.clear();
            people.clear();
            for &(s, e, o) in &overrides {
                if s <= a && a < e && !people.iter().any(|&(u, _)| u == o.user_id) {
                    people.push((o.user_id, o.id));
                }
            }
            if people.is_empty() {
                for (index, pieces) in layers.iter().enumerate().rev() {
                    let i = &mut next_piece[index];
                    while *i < pieces.len() && pieces[*i].1 <= a {
                        *i += 1;
                    }
                    if let Some(&(s, _, user_id)) = pieces.get(*i)
                        && s <= a
                    {
                        let piece = Shift {
                            user_id,
                            start: a,
                            end: b,
                            source: ShiftSource::Layer { index },
                        };
                        emit(&mut out, &open, &mut next_open, piece);
                        break;
                    }
                }
            } else {
                for &(user_id, id) in &people {
                    let piece = Shift {
                        user_id,
                        start: a,
                        end: b,
                        source: ShiftSource::Override { id },
                    };
                    emit(&mut out, &open, &mut next_open, piece);
                }
            }
            std::mem::swap(&mut open, &mut next_open);
        }
        out
    }

    /// The spans between `from` and `to` where nobody is on call.
    pub fn gaps(&self, from: Millis, to: Millis) -> Vec<(Millis, Millis)> {
        let mut gaps = Vec::new();
        let mut covered_to = from;
        for s in self.shifts(from, to) {
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

    /// One layer's own schedule between `from` and `to`, its restrictions applied but before
    /// precedence (what the layer would give if it were alone): shifts clipped to the range, in
    /// order, adjacent turns of one person merged. Empty for an index out of range.
    pub fn layer_shifts(&self, index: usize, from: Millis, to: Millis) -> Vec<Shift> {
        let Some(layer) = self.layers.get(index) else {
            return Vec::new();
        };
        let tz = self.zone();
        let mut out: Vec<Shift> = Vec::new();
        for (start, end, user_id) in LayerClock::new(layer, &tz).pieces(from, to) {
            match out.last_mut() {
                Some(last) if last.end == start && last.user_id == user_id => last.end = end,
                _ => out.push(Shift {
                    user_id,
                    start,
                    end,
                    source: ShiftSource::Layer { index },
                }),
            }
        }
        out
    }

    /// The hand-offs of a layer in `[from, to)`: the instants its turns begin (whether or not a
    /// restriction window is open then), in order. Empty for an index out of range.
    pub fn layer_handoffs(&self, index: usize, from: Millis, to: Millis) -> Vec<Millis> {
        let Some(layer) = self.layers.get(index) else {
            return Vec::new();
        };
        let tz = self.zone();
        let clock = LayerClock::new(layer, &tz);
        let Some(start) = clock.start else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if to <= start || from >= to {
            return out;
        }
        let mut k = if from <= start {
            0
        } else {
            clock.turn_at(start, from.min(supported_range().1 - 1))
        };
        loop {
            let at = clock.boundary(start, k);
            if at >= to || at == Millis::MAX {
                break;
            }
            if at >= from && out.last() != Some(&at) {
                out.push(at);
            }
            k += 1;
        }
        out
    }
}
