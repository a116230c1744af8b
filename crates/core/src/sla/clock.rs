//! SLA instances: the clock of one target (respond or resolve) on one incident, kept as a list
//! of segments that count or do not, measured in business time of a calendar.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Millis;
use crate::priority::Priority;

use super::calendar::{BusinessCalendar, Rules};

/// What an SLA clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaKind {
    /// Time to respond: until the incident is acknowledged.
    Response,
    /// Time to resolve.
    Resolution,
}

impl SlaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaKind::Response => "response",
            SlaKind::Resolution => "resolution",
        }
    }

    /// "Response" or "Resolution", for sentences.
    pub fn label(self) -> &'static str {
        match self {
            SlaKind::Response => "Response",
            SlaKind::Resolution => "Resolution",
        }
    }
}

/// Where a clock is. A breached clock stays `Breached` while it keeps running or is paused,
/// and after it stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    Running,
    Paused,
    Met,
    Breached,
    Canceled,
}

/// A stretch of a clock's life that counts or does not. Segments are contiguous: each starts
/// where the previous one ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub from: Millis,
    /// `None` = still open.
    pub to: Option<Millis>,
    pub counting: bool,
    /// "running", "paused: awaiting vendor", "resolved".
    pub reason: String,
}

/// A piece of a clock's life, for explaining the elapsed time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhyInterval {
    pub from: Millis,
    pub to: Millis,
    pub counted: bool,
    /// "business hours", "24x7", "paused: awaiting vendor", "outside business hours",
    /// "holiday: Christmas Day".
    pub reason: String,
}

/// The clock of one target on one incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaInstance {
    pub id: Uuid,
    pub kind: SlaKind,
    pub policy_id: Uuid,
    pub policy_name: String,
    /// The priority the target was set for.
    pub priority: Priority,
    pub target_seconds: i64,
    pub calendar_id: Option<Uuid>,
    pub started_at: Millis,
    pub state: SlaState,
    pub segments: Vec<Segment>,
    pub stopped_at: Option<Millis>,
    /// The instant the elapsed business time reached the target (computed, not the time it
    /// was noticed).
    pub breached_at: Option<Millis>,
    /// Thresholds (percent; 100 = breach) whose actions have fired: each fires once.
    pub fired: Vec<u8>,
}

/// The thresholds of a policy: its valid warnings, ascending and distinct, then 100.
pub fn thresholds(warnings: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = warnings
        .iter()
        .copied()
        .filter(|w| (1..=99).contains(w))
        .collect();
    out.sort_unstable();
    out.dedup();
    out.push(100);
    out
}

impl Segment {
    pub fn counting(from: Millis) -> Self {
        Segment {
            from,
            to: None,
            counting: true,
            reason: "running".to_owned(),
        }
    }

    pub fn paused(from: Millis, reason: impl Into<String>) -> Self {
        Segment {
            from,
            to: None,
            counting: false,
            reason: reason.into(),
        }
    }
}

impl SlaInstance {
    /// The target in milliseconds.
    pub fn target_ms(&self) -> i64 {
        self.target_seconds.saturating_mul(1_000)
    }

    /// The elapsed time at which a threshold (percent of the target) is reached.
    pub fn threshold_ms(&self, percent: u8) -> i64 {
        self.target_seconds
            .saturating_mul(10)
            .saturating_mul(i64::from(percent))
    }

    /// Met, breached-and-stopped, or canceled: the clock no longer moves.
    pub fn is_stopped(&self) -> bool {
        self.stopped_at.is_some() || self.state == SlaState::Canceled
    }

    /// The clock is running now: not stopped and its last segment is open and counting.
    pub fn is_counting(&self) -> bool {
        !self.is_stopped()
            && self
                .segments
                .last()
                .is_some_and(|s| s.to.is_none() && s.counting)
    }

    fn elapsed_with(&self, rules: &Rules<'_>, now: Millis) -> i64 {
        self.segments
            .iter()
            .filter(|s| s.counting)
            .map(|s| rules.business_ms(s.from, s.to.unwrap_or(now)))
            .sum()
    }

    /// Business time spent: the counting segments, an open one up to `now`.
    pub fn elapsed_ms(&self, cal: &BusinessCalendar, now: Millis) -> i64 {
        self.elapsed_with(&cal.rules(), now)
    }

    /// The target minus the elapsed time; negative once breached.
    pub fn remaining_ms(&self, cal: &BusinessCalendar, now: Millis) -> i64 {
        self.target_ms() - self.elapsed_ms(cal, now)
    }

    /// The instant the elapsed time reached (or, if the open segment keeps counting, reaches)
    /// `need`. With `until`, an open segment is taken to end there.
    fn crossing(&self, rules: &Rules<'_>, need: i64, until: Option<Millis>) -> Option<Millis> {
        let mut spent = 0;
        for s in self.segments.iter().filter(|s| s.counting) {
            let Some(end) = s.to.or(until) else {
                return rules.add_business_ms(s.from, need - spent);
            };
            let here = rules.business_ms(s.from, end);
            if spent + here >= need {
                return rules.add_business_ms(s.from, need - spent);
            }
            spent += here;
        }
        None
    }

    /// The instant the elapsed time reaches `percent`% of the target if nothing changes
    /// (in the past when already reached); `None` when the clock is not counting or the
    /// calendar has no open time left.
    pub fn threshold_at(&self, cal: &BusinessCalendar, percent: u8) -> Option<Millis> {
        if !self.is_counting() {
            return None;
        }
        self.crossing(&cal.rules(), self.threshold_ms(percent), None)
    }

    /// When the target is reached if nothing changes: [`Self::threshold_at`] 100.
    pub fn due_at(&self, cal: &BusinessCalendar) -> Option<Millis> {
        self.threshold_at(cal, 100)
    }

    /// Thresholds (the warnings and 100) reached by `now` and not yet fired, ascending. Nothing
    /// for a stopped clock: a resolved incident is not warned.
    pub fn due_thresholds(
        &self,
        policy_warnings: &[u8],
        cal: &BusinessCalendar,
        now: Millis,
    ) -> Vec<u8> {
        if self.is_stopped() {
            return Vec::new();
        }
        let elapsed = self.elapsed_ms(cal, now);
        thresholds(policy_warnings)
            .into_iter()
            .filter(|&p| elapsed >= self.threshold_ms(p) && !self.fired.contains(&p))
            .collect()
    }

    /// The earliest unfired threshold and its instant (possibly past), for arming a timer;
    /// `None` when the clock is not counting or everything has fired.
    pub fn next_threshold(&self, warnings: &[u8], cal: &BusinessCalendar) -> Option<(u8, Millis)> {
        if !self.is_counting() {
            return None;
        }
        let p = thresholds(warnings)
            .into_iter()
            .find(|p| !self.fired.contains(p))?;
        Some((p, self.threshold_at(cal, p)?))
    }

    /// Sets `Breached` and `breached_at` when the elapsed time has reached the target; for the
    /// breach timer. Returns whether anything changed. Stopped clocks are left alone.
    pub fn mark_breached(&mut self, cal: &BusinessCalendar, now: Millis) -> bool {
        if self.is_stopped() || self.state == SlaState::Breached {
            return false;
        }
        let rules = cal.rules();
        if self.elapsed_with(&rules, now) < self.target_ms() {
            return false;
        }
        self.state = SlaState::Breached;
        self.breached_at = self.crossing(&rules, self.target_ms(), Some(now));
        true
    }

    /// When the elapsed time reached `need` milliseconds, an open segment counting up to
    /// `until`; `None` when it has not.
    pub(crate) fn reached_at(
        &self,
        cal: &BusinessCalendar,
        need: i64,
        until: Millis,
    ) -> Option<Millis> {
        self.crossing(&cal.rules(), need, Some(until))
    }

    /// Recomputes the state of a clock that is not stopped from its segments and target:
    /// `Breached` (with `breached_at`) at or past the target, else `Running` or `Paused`.
    /// Returns whether it became breached.
    pub(crate) fn settle(&mut self, cal: &BusinessCalendar, now: Millis) -> bool {
        if self.is_stopped() {
            return false;
        }
        let rules = cal.rules();
        let was_breached = self.state == SlaState::Breached;
        if self.elapsed_with(&rules, now) >= self.target_ms() {
            self.state = SlaState::Breached;
            self.breached_at = self.crossing(&rules, self.target_ms(), Some(now));
            return !was_breached;
        }
        self.breached_at = None;
        self.state = if self.segments.last().is_some_and(|s| s.counting) {
            SlaState::Running
        } else {
            SlaState::Paused
        };
        false
    }

    /// Ends the open segment at `at` (never before it started) and returns where it ended;
    /// without an open segment, the end of the last one (or the start).
    pub(crate) fn close_segment(&mut self, at: Millis) -> Millis {
        match self.segments.last_mut() {
            Some(last) if last.to.is_none() => {
                let end = at.max(last.from);
                last.to = Some(end);
                end
            }
            Some(last) => last.to.unwrap_or(last.from),
            None => self.started_at,
        }
    }

    /// The whole life of the clock, `[started_at, stopped_at or now)`, split into counted
    /// business time and the time that did not count with why, in order and contiguous. The
    /// counted intervals sum to [`Self::elapsed_ms`].
    pub fn why(&self, cal: &BusinessCalendar, now: Millis) -> Vec<WhyInterval> {
        let rules = cal.rules();
        let mut out: Vec<WhyInterval> = Vec::new();
        let mut push = |from: Millis, to: Millis, counted: bool, reason: String| match out
            .last_mut()
        {
            Some(last) if last.to == from && last.counted == counted && last.reason == reason => {
                last.to = to;
            }
            _ => out.push(WhyInterval {
                from,
                to,
                counted,
                reason,
            }),
        };
        for s in &self.segments {
            let to = s.to.unwrap_or(now);
            if s.from >= to {
                continue;
            }
            if s.counting {
                for span in rules.spans(s.from, to) {
                    push(span.from, span.to, span.open, span.reason);
                }
            } else {
                push(s.from, to, false, s.reason.clone());
            }
        }
        out
    }
}
