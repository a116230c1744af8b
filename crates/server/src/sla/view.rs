//! How an incident's SLA clocks are shown: each clock's state, due instant, elapsed and
//! remaining business time; and why: its life split into the intervals counted and not counted,
//! each with its reason.

use mayday_core::sla::{SlaConfig, SlaInstance, SlaKind, SlaState};
use mayday_core::{Incident, Millis};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::view::NamedRef;
use crate::clock::rfc3339;

/// The incident a view is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentRefView {
    pub id: Uuid,
    /// `INC-000123`.
    pub number: String,
}

impl IncidentRefView {
    pub fn of(inc: &Incident) -> Self {
        Self {
            id: inc.id,
            number: super::number(inc),
        }
    }
}

/// A business calendar as a clock names it; `id` null: 24×7.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarRef {
    pub id: Option<Uuid>,
    pub name: String,
}

/// One SLA clock of an incident, as of the request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockView {
    pub id: Uuid,
    /// `response` (until acknowledged) or `resolution` (until resolved).
    #[schema(example = "resolution")]
    pub kind: String,
    /// `running`, `paused`, `met`, `breached` or `canceled`.
    #[schema(example = "running")]
    pub state: String,
    pub policy: NamedRef,
    /// The priority the target is for.
    #[schema(example = "P2")]
    pub priority: String,
    pub target_seconds: i64,
    pub started_at: String,
    /// When the target runs out if nothing changes; null unless the clock is counting.
    pub due_at: Option<String>,
    /// Business time counted so far.
    pub elapsed_seconds: i64,
    /// Target minus elapsed; negative once breached.
    pub remaining_seconds: i64,
    /// Why the clock is paused, while it is.
    pub paused_reason: Option<String>,
    pub breached_at: Option<String>,
    pub stopped_at: Option<String>,
    pub calendar: CalendarRef,
    /// Warning thresholds and the breach (100) already acted on, in percent.
    pub fired: Vec<u8>,
}

/// An incident's SLA clocks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockList {
    pub incident: IncidentRefView,
    pub items: Vec<ClockView>,
}

/// A stretch of a clock's life, counted or not.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhyInterval {
    pub clock_id: Uuid,
    #[schema(example = "resolution")]
    pub kind: String,
    pub from: String,
    pub to: String,
    pub seconds: i64,
    /// Whether this stretch counts towards the target.
    pub counted: bool,
    /// `business hours`, `24x7`, `paused: awaiting vendor`, `outside business hours`,
    /// `holiday: <name>`.
    #[schema(example = "paused: awaiting vendor")]
    pub reason: String,
}

/// Why an incident's clocks show what they show.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhyList {
    pub incident: IncidentRefView,
    /// The instant the open intervals are counted up to.
    pub at: String,
    pub items: Vec<WhyInterval>,
}

pub fn kind_str(kind: SlaKind) -> &'static str {
    match kind {
        SlaKind::Response => "response",
        SlaKind::Resolution => "resolution",
    }
}

pub fn state_str(state: SlaState) -> &'static str {
    match state {
        SlaState::Running => "running",
        SlaState::Paused => "paused",
        SlaState::Met => "met",
        SlaState::Breached => "breached",
        SlaState::Canceled => "canceled",
    }
}

pub fn clock_view(cfg: &SlaConfig<'_>, clock: &SlaInstance, now: Millis) -> ClockView {
    let cal = cfg.calendar(clock.calendar_id);
    let elapsed = clock.elapsed_ms(&cal, now);
    let paused_reason = match clock.state {
        SlaState::Paused => clock
            .segments
            .last()
            .filter(|s| s.to.is_none() && !s.counting)
            .map(|s| s.reason.clone()),
        _ => None,
    };
    ClockView {
        id: clock.id,
        kind: kind_str(clock.kind).into(),
        state: state_str(clock.state).into(),
        policy: NamedRef {
            id: clock.policy_id,
            name: Some(clock.policy_name.clone()),
        },
        priority: clock.priority.to_string(),
        target_seconds: clock.target_seconds,
        started_at: rfc3339(clock.started_at),
        due_at: clock.due_at(&cal).map(rfc3339),
        elapsed_seconds: elapsed.div_euclid(1000),
        remaining_seconds: (clock.target_seconds * 1000 - elapsed).div_euclid(1000),
        paused_reason,
        breached_at: clock.breached_at.map(rfc3339),
        stopped_at: clock.stopped_at.map(rfc3339),
        calendar: CalendarRef {
            id: clock
                .calendar_id
                .filter(|id| cfg.calendars.iter().any(|c| c.id == *id)),
            name: cal.name.clone(),
        },
        fired: clock.fired.clone(),
    }
}

pub fn clocks(cfg: &SlaConfig<'_>, inc: &Incident, now: Millis) -> ClockList {
    ClockList {
        incident: IncidentRefView::of(inc),
        items: inc.sla.iter().map(|c| clock_view(cfg, c, now)).collect(),
    }
}

pub fn why(cfg: &SlaConfig<'_>, inc: &Incident, now: Millis) -> WhyList {
    let mut items = Vec::new();
    for clock in &inc.sla {
        let cal = cfg.calendar(clock.calendar_id);
        for w in clock.why(&cal, now) {
            items.push(WhyInterval {
                clock_id: clock.id,
                kind: kind_str(clock.kind).into(),
                from: rfc3339(w.from),
                to: rfc3339(w.to),
                seconds: (w.to - w.from).div_euclid(1000),
                counted: w.counted,
                reason: w.reason,
            });
        }
    }
    WhyList {
        incident: IncidentRefView::of(inc),
        at: rfc3339(now),
        items,
    }
}
