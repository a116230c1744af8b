//! SLA clocks at run time: what an incident write does to its clocks (started, paused,
//! resumed, retargeted, stopped: [`on_write`]), the durable warning and breach timers (one per
//! clock, re-armed whenever the clock changes), what a fired timer does ([`fire`]: the
//! threshold's actions, once), and the views of an incident's clocks.
//!
//! The clocks live in the incident itself (`Incident::sla`), so every change to them is part of
//! the incident write that caused it, under its version check: a warning or breach recorded in
//! `fired` is never acted on twice, whichever node fires it and however often it restarts.

pub mod compliance;
pub mod view;

use mayday_core::incident::IncidentNumber;
use mayday_core::incident::PriorityOverride;
use mayday_core::sla::{self, SlaActionKind, SlaConfig, SlaInstance, SlaKind};
use mayday_core::timeline::{Actor, Event, EventKind, Visibility};
use mayday_core::{Incident, Millis, Priority, Role};
use mayday_store::{Effects, NewTimer, Timer, TimerDone};
use uuid::Uuid;

use crate::paging::render::{Occasion, RenderContext};
use crate::paging::{SLA, TimerAction};
use crate::services::sla::SlaSettings;

/// Warning thresholds when a clock's policy is gone.
const DEFAULT_WARNINGS: [u8; 2] = [50, 75];

/// The timer kind of one clock's next threshold: cancelling it leaves the incident's other
/// clocks' timers alone.
fn timer_kind(clock_id: Uuid) -> String {
    format!("{SLA}:{clock_id}")
}

fn warnings_of(cfg: &SlaConfig<'_>, clock: &SlaInstance) -> Vec<u8> {
    cfg.policy(clock.policy_id)
        .map(|p| p.warnings.clone())
        .unwrap_or_else(|| DEFAULT_WARNINGS.to_vec())
}

/// The timer of a clock's next unfired threshold, if it is counting towards one.
fn next_timer(
    cfg: &SlaConfig<'_>,
    inc: &Incident,
    clock: &SlaInstance,
    now: Millis,
) -> Option<NewTimer> {
    let cal = cfg.calendar(clock.calendar_id);
    let (percent, at) = clock.next_threshold(&warnings_of(cfg, clock), &cal)?;
    let action = TimerAction::Sla {
        clock_id: clock.id,
        percent,
    };
    Some(NewTimer {
        id: Uuid::now_v7(),
        incident_id: Some(inc.id),
        kind: timer_kind(clock.id),
        due_at: at.max(now),
        payload: serde_json::to_value(&action).unwrap_or_default(),
        created_at: now,
    })
}

fn sla_event(inc: &Incident, at: Millis, body: String) -> Event {
    Event {
        seq: 0,
        incident_id: inc.id,
        at,
        actor: Actor::system(),
        kind: EventKind::Sla,
        visibility: Visibility::WorkNote,
        changes: Vec::new(),
        body: Some(body),
    }
}

/// Updates `after`'s clocks for a write from `before` (none: just created): their notes join
/// `events`, and each clock that changed gets its timer re-armed in `fx`. `firing` is the clock
/// whose timer is being completed by this write (its timer is not cancelled: the completion
/// removes it).
pub fn on_write(
    settings: &SlaSettings,
    before: Option<&Incident>,
    after: &mut Incident,
    events: &mut Vec<Event>,
    fx: &mut Effects,
    now: Millis,
    firing: Option<Uuid>,
) {
    let cfg = settings.config();
    let mut clocks = std::mem::take(&mut after.sla);
    let notes = sla::reconcile(&cfg, before, after, &mut clocks, now, &mut Uuid::now_v7);
    after.sla = clocks;
    let at = now.max(after.last_event_at);
    for n in notes {
        events.push(sla_event(after, at, n.text));
    }
    if !events.is_empty() {
        after.last_event_at = after.last_event_at.max(at);
    }
    let old: &[SlaInstance] = before.map(|b| b.sla.as_slice()).unwrap_or_default();
    for clock in &after.sla {
        let previous = old.iter().find(|c| c.id == clock.id);
        if previous == Some(clock) {
            continue;
        }
        if previous.is_some() && firing != Some(clock.id) {
            fx.cancel.push((after.id, timer_kind(clock.id)));
        }
        if let Some(t) = next_timer(&cfg, after, clock, now) {
            fx.arm.push(t);
        }
    }
}

fn kind_words(kind: SlaKind) -> &'static str {
    match kind {
        SlaKind::Response => "Response",
        SlaKind::Resolution => "Resolution",
    }
}

/// What firing an SLA timer does: for each threshold of the clock reached by now and not yet
/// acted on, its actions (notify, escalate, raise the priority, tag) and a timeline line, all
/// in one incident write with the clock's next timer. A timer that fires early (the clock was
/// paused or retargeted since) only re-arms the clock's timer.
pub fn fire(
    settings: &SlaSettings,
    ctx: &RenderContext<'_>,
    t: &Timer,
    incident: Incident,
    clock_id: Uuid,
) -> TimerDone {
    let now = ctx.now;
    let cfg = settings.config();
    let mut done = TimerDone {
        timer_id: t.id,
        claim: t.claim,
        write: None,
        effects: Effects::default(),
        events: Vec::new(),
    };
    let Some(index) = incident.sla.iter().position(|c| c.id == clock_id) else {
        return done;
    };
    let clock = &incident.sla[index];
    let cal = cfg.calendar(clock.calendar_id);
    let due = clock.due_thresholds(&warnings_of(&cfg, clock), &cal, now);
    if due.is_empty() {
        if let Some(next) = next_timer(&cfg, &incident, clock, now) {
            done.effects.arm.push(next);
        }
        return done;
    }
    let before = incident.clone();
    let mut after = incident;
    let mut events = Vec::new();
    let mut fx = Effects::default();
    let actions: Vec<(u8, SlaActionKind)> = cfg
        .policy(after.sla[index].policy_id)
        .map(|p| {
            p.actions
                .iter()
                .map(|a| (a.at_percent, a.action.clone()))
                .collect()
        })
        .unwrap_or_default();
    for percent in due {
        let clock = &mut after.sla[index];
        clock.fired.push(percent);
        if percent >= 100 {
            clock.mark_breached(&cal, now);
        }
        let clock = after.sla[index].clone();
        let text = threshold_text(&clock, percent, &cal, now);
        let mut did = Vec::new();
        for (_, action) in actions.iter().filter(|(p, _)| *p == percent) {
            if let Some(words) = act(ctx, &mut after, action, percent, &text, &mut fx) {
                did.push(words);
            }
        }
        let mut body = text;
        if !did.is_empty() {
            body.push_str(&format!(" Actions: {}.", did.join("; ")));
        }
        events.push(sla_event(&after, now.max(after.last_event_at), body));
    }
    after.last_event_at = after.last_event_at.max(now);
    on_write(
        settings,
        Some(&before),
        &mut after,
        &mut events,
        &mut fx,
        now,
        Some(clock_id),
    );
    let expected = before.version;
    after.version = expected + 1;
    after.updated_at = now.max(after.updated_at);
    done.write = Some(mayday_store::IncidentWrite {
        incident: after,
        expected_version: expected,
        events,
        effects: fx,
    });
    done
}

/// "Resolution SLA warning: 75% of 4 h used (3 h 0 min), due 2026-11-30 12:00 UTC."
fn threshold_text(
    clock: &SlaInstance,
    percent: u8,
    cal: &sla::BusinessCalendar,
    now: Millis,
) -> String {
    let target = sla::human_duration(clock.target_seconds * 1000);
    let kind = kind_words(clock.kind);
    if percent >= 100 {
        let at = clock.breached_at.unwrap_or(now);
        format!(
            "{kind} SLA breached: the {target} target ({} policy \"{}\") ran out at {}.",
            clock.priority,
            clock.policy_name,
            crate::clock::rfc3339(at)
        )
    } else {
        let due = clock
            .due_at(cal)
            .map(|d| format!(", due {}", crate::clock::rfc3339(d)))
            .unwrap_or_default();
        format!(
            "{kind} SLA warning: {percent}% of the {target} target used ({} policy \"{}\"){due}.",
            clock.priority, clock.policy_name
        )
    }
}

/// Carries out one action; what was done, in words (none: nothing to do).
fn act(
    ctx: &RenderContext<'_>,
    inc: &mut Incident,
    action: &SlaActionKind,
    percent: u8,
    text: &str,
    fx: &mut Effects,
) -> Option<String> {
    let event = if percent >= 100 {
        "sla_breached"
    } else {
        "sla_warning"
    };
    let dir = ctx.dir;
    let group = inc.assignment_group_id.and_then(|id| dir.teams.get(&id));
    let people: Vec<Uuid> = match action {
        SlaActionKind::NotifyAssignee => inc.assignee_id.into_iter().collect(),
        SlaActionKind::NotifyGroup => group.map(|g| g.members.clone()).unwrap_or_default(),
        SlaActionKind::NotifyManager => {
            let managers = |u: &&mayday_store::User| u.active && u.role >= Role::Manager;
            let in_group: Vec<Uuid> = group
                .map(|g| {
                    g.members
                        .iter()
                        .filter_map(|id| dir.users.get(id))
                        .filter(managers)
                        .map(|u| u.id)
                        .collect()
                })
                .unwrap_or_default();
            if in_group.is_empty() {
                let mut all: Vec<&mayday_store::User> =
                    dir.users.values().filter(managers).collect();
                all.sort_by(|a, b| a.username.cmp(&b.username));
                all.into_iter().map(|u| u.id).collect()
            } else {
                in_group
            }
        }
        SlaActionKind::Escalate => {
            let level = u32::try_from(inc.escalation_level.max(0)).unwrap_or(0);
            let step = TimerAction::Escalate {
                policy_id: None,
                level,
                round: 0,
                manual: true,
            };
            fx.arm.push(step.timer(inc.id, ctx.now, ctx.now));
            return Some(format!("escalated to level {}", level + 1));
        }
        SlaActionKind::RaisePriority => {
            let level = inc.priority.level();
            if level <= 1 {
                return None;
            }
            let raised = Priority::from_level(i64::from(level) - 1).ok()?;
            let from = inc.priority;
            inc.priority = raised;
            inc.priority_override = Some(PriorityOverride {
                priority: raised,
                reason: format!("raised by the SLA ({text})"),
                by: Uuid::nil(),
                at: ctx.now,
            });
            return Some(format!("priority raised {from} → {raised}"));
        }
        SlaActionKind::AddTag { tag } => {
            if inc.tags.iter().any(|t| t == tag) {
                return None;
            }
            inc.tags.push(tag.clone());
            return Some(format!("tagged \"{tag}\""));
        }
    };
    let occasion = Occasion {
        incident: inc,
        event,
        level: None,
        actor: "Mayday",
        comment: Some(text),
    };
    let mut told = Vec::new();
    for id in people {
        let Some(user) = dir.users.get(&id).filter(|u| u.active) else {
            continue;
        };
        let a = ctx.address(user, &occasion, false, false);
        if a.messages.is_empty() {
            continue;
        }
        told.push(a.summary);
        fx.messages.extend(a.messages);
    }
    if told.is_empty() {
        let who = match action {
            SlaActionKind::NotifyAssignee => "the assignee",
            SlaActionKind::NotifyGroup => "the group",
            _ => "a manager",
        };
        return Some(format!("nobody to notify as {who}"));
    }
    Some(format!("told {}", told.join(", ")))
}

/// The incident's number in words, for views.
pub fn number(inc: &Incident) -> String {
    IncidentNumber(inc.number).to_string()
}
