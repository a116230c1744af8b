//! Service level agreements: business calendars, policies with response and resolution targets,
//! the clocks (instances) that measure one incident against them, and [`reconcile`], which
//! updates an incident's clocks for a write and describes what changed.
//!
//! Reconciling is driven by the incident's state after the write, so it is idempotent:
//! - A new incident gets a clock per target of the matching policy, started at `reported_at`
//!   (when the incident was logged with us; `started_at` and `detected_at` may lie before
//!   anyone could respond).
//! - The response clock counts until the incident is acknowledged: while its status is `new`,
//!   or `on_hold` without `acknowledged_at` (put on hold by automation). A pausing hold reason
//!   pauses it. It stops at `acknowledged_at` (or the write) when the incident is acknowledged
//!   or moves on; canceling the incident cancels it.
//! - The resolution clock counts while the incident is open, pauses on hold with a reason in the
//!   policy's `pause_on`, stops at `resolved_at` when resolved or closed, and is canceled (even
//!   after a breach; `breached_at` stays) when the incident is canceled.
//! - A reopen resumes the stopped resolution clock or starts a new one (the policy's
//!   `on_reopen`); the resolved time between shows as a non-counting "resolved" segment.
//! - When the fields policies match on (priority, service, category, assignment group) change,
//!   the policy is matched again: running and paused clocks take the new policy's target and
//!   calendar with the time already spent; a clock whose kind the new policy has no target for
//!   is canceled; a kind with no clock yet starts one at the write. When no policy matches any
//!   more the clocks are left as they were. Editing a policy does not retarget clocks by itself.

pub mod calendar;
pub mod clock;
pub mod policy;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Millis;
use crate::incident::Incident;
use crate::priority::Priority;
use crate::state::{HoldReason, Status};

pub use calendar::{BusinessCalendar, CalendarSpan, Holiday, WorkingHours};
pub use clock::{Segment, SlaInstance, SlaKind, SlaState, WhyInterval, thresholds};
pub use policy::{
    ReopenRule, SlaAction, SlaActionKind, SlaConditions, SlaPolicy, default_pause_on,
    default_warnings, matching_policy,
};

/// One change to the clocks, in words, for the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaNote {
    pub instance_id: Uuid,
    pub kind: SlaKind,
    /// "Resolution SLA paused: awaiting vendor", "Response SLA met (12 min of 30 min)".
    pub text: String,
}

/// The SLA configuration a reconcile works with.
#[derive(Debug, Clone, Copy)]
pub struct SlaConfig<'a> {
    pub policies: &'a [SlaPolicy],
    pub calendars: &'a [BusinessCalendar],
}

impl SlaConfig<'_> {
    /// The calendar with this id; [`BusinessCalendar::always`] when `None` or unknown.
    pub fn calendar(&self, id: Option<Uuid>) -> BusinessCalendar {
        id.and_then(|id| self.calendars.iter().find(|c| c.id == id))
            .cloned()
            .unwrap_or_else(|| BusinessCalendar::always(id.unwrap_or_default()))
    }

    pub fn policy(&self, id: Uuid) -> Option<&SlaPolicy> {
        self.policies.iter().find(|p| p.id == id)
    }
}

/// A duration in words with at most two units: "4 h", "30 min", "1 h 30 min", "45 s", "27 h".
/// Never in days: SLA targets count business time, where a day is not 24 hours.
pub fn human_duration(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let s = ms.unsigned_abs() / 1_000;
    let units = [(s / 3_600, "h"), (s % 3_600 / 60, "min"), (s % 60, "s")];
    let Some(first) = units.iter().position(|(n, _)| *n > 0) else {
        return "0 s".to_owned();
    };
    let mut text = format!("{sign}{} {}", units[first].0, units[first].1);
    if let Some((n, unit)) = units.get(first + 1).filter(|(n, _)| *n > 0) {
        text.push_str(&format!(" {n} {unit}"));
    }
    text
}

/// A hold reason in words: "awaiting vendor".
fn hold_words(reason: HoldReason) -> String {
    reason.as_str().replace('_', " ")
}

const KINDS: [SlaKind; 2] = [SlaKind::Response, SlaKind::Resolution];

/// What a clock should be doing given the incident.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Counting,
    /// Not counting, with the segment's reason.
    Paused(String),
    /// Stopped at this instant: met or breached.
    Done(Millis),
    Canceled(Millis),
}

fn mode(kind: SlaKind, inc: &Incident, pause_on: &[HoldReason], now: Millis) -> Mode {
    let held = match (inc.status, inc.hold_reason) {
        (Status::OnHold, Some(r)) if pause_on.contains(&r) => {
            Some(Mode::Paused(format!("paused: {}", hold_words(r))))
        }
        _ => None,
    };
    if inc.status == Status::Canceled {
        return Mode::Canceled(inc.canceled_at.unwrap_or(now));
    }
    match kind {
        SlaKind::Response => {
            if inc.acknowledged_at.is_some() || !matches!(inc.status, Status::New | Status::OnHold)
            {
                Mode::Done(inc.acknowledged_at.or(inc.resolved_at).unwrap_or(now))
            } else {
                held.unwrap_or(Mode::Counting)
            }
        }
        SlaKind::Resolution => match inc.status {
            Status::Resolved | Status::Closed => {
                Mode::Done(inc.resolved_at.or(inc.closed_at).unwrap_or(now))
            }
            _ => held.unwrap_or(Mode::Counting),
        },
    }
}

/// The fields policies match on.
fn match_key(inc: &Incident) -> (Priority, Option<Uuid>, &str, Option<Uuid>) {
    (
        inc.priority,
        inc.service_id,
        inc.category.as_str(),
        inc.assignment_group_id,
    )
}

/// The note for a clock that has just reached its target.
fn breached_words(inst: &SlaInstance) -> String {
    format!("breached (target {})", human_duration(inst.target_ms()))
}

/// Moves a running or paused clock to `mode`; returns what changed, in words.
fn apply_mode(
    inst: &mut SlaInstance,
    mode: &Mode,
    cal: &BusinessCalendar,
    now: Millis,
) -> Vec<String> {
    let mut words = Vec::new();
    match mode {
        Mode::Counting | Mode::Paused(_) => {
            let (counting, reason) = match mode {
                Mode::Paused(reason) => (false, reason.as_str()),
                _ => (true, "running"),
            };
            let unchanged = inst.segments.last().is_some_and(|s| {
                s.to.is_none() && s.counting == counting && (counting || s.reason == reason)
            });
            if unchanged {
                return words;
            }
            let at = inst.close_segment(now);
            inst.segments.push(if counting {
                Segment::counting(at)
            } else {
                Segment::paused(at, reason)
            });
            words.push(if counting {
                "resumed".to_owned()
            } else {
                reason.to_owned()
            });
            if inst.settle(cal, now) {
                words.push(breached_words(inst));
            }
        }
        Mode::Done(at) => {
            let end = inst.close_segment((*at).min(now));
            let elapsed = inst.elapsed_ms(cal, end);
            let amounts = format!(
                "({} of {})",
                human_duration(elapsed),
                human_duration(inst.target_ms())
            );
            if elapsed >= inst.target_ms() {
                inst.breached_at = inst.reached_at(cal, inst.target_ms(), end);
                inst.state = SlaState::Breached;
                words.push(format!("stopped: breached {amounts}"));
            } else {
                inst.breached_at = None;
                inst.state = SlaState::Met;
                words.push(format!("met {amounts}"));
            }
            inst.stopped_at = Some(end);
        }
        Mode::Canceled(at) => {
            let end = inst.close_segment((*at).min(now));
            inst.stopped_at = Some(end);
            inst.state = SlaState::Canceled;
            words.push("canceled".to_owned());
        }
    }
    words
}

/// What a new clock is measured against.
struct Terms<'p> {
    policy: &'p SlaPolicy,
    target_seconds: i64,
    priority: Priority,
}

/// One reconcile: the configuration, the incident after the write, and the notes so far.
struct Reconciler<'c, 'i, 'f> {
    cfg: &'c SlaConfig<'c>,
    after: &'i Incident,
    now: Millis,
    new_id: &'f mut dyn FnMut() -> Uuid,
    notes: Vec<SlaNote>,
}

impl Reconciler<'_, '_, '_> {
    fn note(&mut self, inst: &SlaInstance, what: impl std::fmt::Display) {
        self.notes.push(SlaNote {
            instance_id: inst.id,
            kind: inst.kind,
            text: format!("{} SLA {what}", inst.kind.label()),
        });
    }

    fn pause_on(&self, policy_id: Uuid) -> Vec<HoldReason> {
        self.cfg
            .policy(policy_id)
            .map_or_else(default_pause_on, |p| p.pause_on.clone())
    }

    /// Starts a clock at `at` in the mode the incident calls for; `started` names the event.
    fn begin(
        &mut self,
        kind: SlaKind,
        terms: &Terms<'_>,
        at: Millis,
        started: &str,
    ) -> SlaInstance {
        let mode = mode(kind, self.after, &terms.policy.pause_on, self.now);
        let mut inst = SlaInstance {
            id: (self.new_id)(),
            kind,
            policy_id: terms.policy.id,
            policy_name: terms.policy.name.clone(),
            priority: terms.priority,
            target_seconds: terms.target_seconds,
            calendar_id: terms.policy.calendar_id,
            started_at: at,
            state: SlaState::Running,
            segments: vec![match &mode {
                Mode::Paused(reason) => Segment::paused(at, reason.as_str()),
                _ => Segment::counting(at),
            }],
            stopped_at: None,
            breached_at: None,
            fired: Vec::new(),
        };
        let text = format!(
            "{started}: {} ({}, {})",
            human_duration(inst.target_ms()),
            inst.priority,
            inst.policy_name
        );
        self.note(&inst, text);
        let cal = self.cfg.calendar(inst.calendar_id);
        let mut words = Vec::new();
        if let Mode::Paused(reason) = &mode {
            words.push(reason.clone());
        }
        if matches!(mode, Mode::Counting | Mode::Paused(_)) {
            if inst.settle(&cal, self.now) {
                words.push(breached_words(&inst));
            }
        } else {
            words = apply_mode(&mut inst, &mode, &cal, self.now);
        }
        for w in words {
            self.note(&inst, w);
        }
        inst
    }

    /// Points a running or paused clock at a new policy or target, keeping the time spent.
    fn retarget(&mut self, inst: &mut SlaInstance, policy: &SlaPolicy, target_seconds: i64) {
        let (old_priority, old_target) = (inst.priority, inst.target_ms());
        let priority = self.after.priority;
        let policy_changed = inst.policy_id != policy.id;
        inst.policy_id = policy.id;
        inst.policy_name = policy.name.clone();
        inst.priority = priority;
        inst.target_seconds = target_seconds;
        inst.calendar_id = policy.calendar_id;
        let cal = self.cfg.calendar(inst.calendar_id);
        let elapsed = inst.elapsed_ms(&cal, self.now);
        let reached: Vec<u8> = inst
            .fired
            .iter()
            .copied()
            .filter(|&p| elapsed >= inst.threshold_ms(p))
            .collect();
        inst.fired = reached;
        let mut text = String::from("target changed ");
        if old_priority != priority {
            text.push_str(&format!("{old_priority}→{priority} "));
        }
        text.push_str(&format!(
            "({} → {}",
            human_duration(old_target),
            human_duration(inst.target_ms())
        ));
        if policy_changed {
            text.push_str(&format!(", policy {}", policy.name));
        }
        text.push(')');
        self.note(inst, text);
        if inst.settle(&cal, self.now) {
            self.note(inst, breached_words(inst));
        }
    }

    /// Re-matches the policy after a change of the fields policies match on.
    fn rematch(&mut self, clocks: &mut Vec<SlaInstance>) {
        let cfg = self.cfg;
        let Some(policy) = matching_policy(cfg.policies, self.after) else {
            return;
        };
        for kind in KINDS {
            let current = clocks.iter().rposition(|c| c.kind == kind);
            match (current, policy.target(kind)) {
                (Some(i), Some(t)) if !clocks[i].is_stopped() => {
                    let c = &clocks[i];
                    if c.policy_id != policy.id
                        || c.target_seconds != t
                        || c.calendar_id != policy.calendar_id
                    {
                        self.retarget(&mut clocks[i], policy, t);
                    }
                }
                (Some(i), None) if !clocks[i].is_stopped() => {
                    let inst = &mut clocks[i];
                    let end = inst.close_segment(self.now);
                    inst.stopped_at = Some(end);
                    inst.state = SlaState::Canceled;
                    let text = format!(
                        "canceled: policy {} sets no {} target",
                        policy.name,
                        kind.as_str()
                    );
                    self.note(&clocks[i], text);
                }
                (None, Some(t)) => {
                    let starts = matches!(
                        mode(kind, self.after, &policy.pause_on, self.now),
                        Mode::Counting | Mode::Paused(_)
                    );
                    if starts {
                        let terms = Terms {
                            policy,
                            target_seconds: t,
                            priority: self.after.priority,
                        };
                        let inst = self.begin(kind, &terms, self.now, "started");
                        clocks.push(inst);
                    }
                }
                _ => {}
            }
        }
    }

    /// Starts the clocks of the matching policy on a new incident, at `reported_at`.
    fn create(&mut self, clocks: &mut Vec<SlaInstance>) {
        let cfg = self.cfg;
        let Some(policy) = matching_policy(cfg.policies, self.after) else {
            return;
        };
        for kind in KINDS {
            let Some(t) = policy.target(kind) else {
                continue;
            };
            if clocks.iter().any(|c| c.kind == kind) {
                continue;
            }
            let terms = Terms {
                policy,
                target_seconds: t,
                priority: self.after.priority,
            };
            let inst = self.begin(kind, &terms, self.after.reported_at, "started");
            clocks.push(inst);
        }
    }

    /// A stopped resolution clock on an incident that is open again: it continues, unless its
    /// policy (still configured) says restart; a restart takes the policy matching now, else the
    /// old clock's.
    fn reopen(&mut self, clocks: &mut Vec<SlaInstance>, i: usize) {
        let cfg = self.cfg;
        let restart_under = cfg
            .policy(clocks[i].policy_id)
            .filter(|p| p.on_reopen == ReopenRule::Restart);
        match restart_under {
            None => {
                let now = self.now;
                let pause_on = self.pause_on(clocks[i].policy_id);
                let mode = mode(SlaKind::Resolution, self.after, &pause_on, now);
                let inst = &mut clocks[i];
                let stopped = inst.stopped_at.take().unwrap_or(now);
                let resumed_at = now.max(stopped);
                if resumed_at > stopped {
                    inst.segments.push(Segment {
                        from: stopped,
                        to: Some(resumed_at),
                        counting: false,
                        reason: "resolved".to_owned(),
                    });
                }
                inst.segments.push(match &mode {
                    Mode::Paused(reason) => Segment::paused(resumed_at, reason.as_str()),
                    _ => Segment::counting(resumed_at),
                });
                let cal = cfg.calendar(inst.calendar_id);
                let newly_breached = inst.settle(&cal, now);
                self.note(&clocks[i], "resumed on reopen");
                if newly_breached {
                    self.note(&clocks[i], breached_words(&clocks[i]));
                }
            }
            Some(own) => {
                let rematched = matching_policy(cfg.policies, self.after)
                    .and_then(|p| Some((p, p.resolution_seconds?)));
                let terms = match rematched {
                    Some((policy, target_seconds)) => Terms {
                        policy,
                        target_seconds,
                        priority: self.after.priority,
                    },
                    None => Terms {
                        policy: own,
                        target_seconds: clocks[i].target_seconds,
                        priority: clocks[i].priority,
                    },
                };
                let inst = self.begin(SlaKind::Resolution, &terms, self.now, "restarted on reopen");
                clocks.push(inst);
            }
        }
    }

    /// Brings the current clock of each kind in line with the incident's state.
    fn follow_status(&mut self, clocks: &mut Vec<SlaInstance>) {
        for kind in KINDS {
            let Some(i) = clocks.iter().rposition(|c| c.kind == kind) else {
                continue;
            };
            let pause_on = self.pause_on(clocks[i].policy_id);
            let mode = mode(kind, self.after, &pause_on, self.now);
            if clocks[i].is_stopped() {
                let reopened = kind == SlaKind::Resolution
                    && clocks[i].state != SlaState::Canceled
                    && matches!(mode, Mode::Counting | Mode::Paused(_));
                if reopened {
                    self.reopen(clocks, i);
                }
                continue;
            }
            let cal = self.cfg.calendar(clocks[i].calendar_id);
            for w in apply_mode(&mut clocks[i], &mode, &cal, self.now) {
                self.note(&clocks[i], w);
            }
        }
    }
}

/// Updates `clocks` for a write that took the incident from `before` (`None`: just created) to
/// `after` at `now`; returns the notes. Pure and idempotent: calling it again with the same
/// `after` (or with `before == after`) changes nothing.
pub fn reconcile(
    cfg: &SlaConfig<'_>,
    before: Option<&Incident>,
    after: &Incident,
    clocks: &mut Vec<SlaInstance>,
    now: Millis,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Vec<SlaNote> {
    let mut r = Reconciler {
        cfg,
        after,
        now,
        new_id,
        notes: Vec::new(),
    };
    match before {
        None => r.create(clocks),
        Some(before) if match_key(before) != match_key(after) => r.rematch(clocks),
        Some(_) => {}
    }
    r.follow_status(clocks);
    r.notes
}
