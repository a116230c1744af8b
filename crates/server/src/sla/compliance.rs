//! SLA compliance over a period: the clocks of the incidents logged in it, grouped by policy,
//! team or priority and by kind, counted as met, breached or still running; compliance is met ÷
//! (met + breached). Canceled clocks (canceled incidents) count nowhere.

use std::collections::BTreeMap;

use mayday_core::sla::SlaState;
use mayday_core::{Millis, Role};
use mayday_store::{IncidentQuery, SortField};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::view::kind_str;
use crate::AppState;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};

/// What compliance is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Policy,
    Team,
    Priority,
}

impl GroupBy {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "policy" => Ok(Self::Policy),
            "team" => Ok(Self::Team),
            "priority" => Ok(Self::Priority),
            _ => Err(format!("must be policy, team or priority, got {s:?}")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Policy => "policy",
            Self::Team => "team",
            Self::Priority => "priority",
        }
    }
}

/// One group's clocks of one kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplianceItem {
    /// The policy's or team's id (`none` for incidents without a team), or the priority.
    pub key: String,
    /// The policy's or team's name, or the priority.
    pub name: String,
    /// `response` or `resolution`.
    pub kind: String,
    pub clocks: u64,
    pub met: u64,
    pub breached: u64,
    /// Still counting or paused, not breached yet.
    pub running: u64,
    /// met ÷ (met + breached) × 100, one decimal; null when none has ended either way.
    pub compliance_percent: Option<f64>,
}

/// Compliance of the clocks of incidents logged in [from, to).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplianceReport {
    pub from: String,
    pub to: String,
    /// `policy`, `team` or `priority`.
    pub by: String,
    pub items: Vec<ComplianceItem>,
}

#[derive(Default)]
struct Counts {
    name: String,
    met: u64,
    breached: u64,
    running: u64,
}

/// Incidents read per page while scanning the period.
const PAGE: u32 = 500;

pub async fn report(
    state: &AppState,
    caller: &Caller,
    from: Millis,
    to: Millis,
    by: GroupBy,
) -> ApiResult<ComplianceReport> {
    caller.require(Role::Agent, "SLA compliance")?;
    if to <= from {
        return Err(ApiError::invalid("to", "must be after `from`"));
    }
    let mut groups: BTreeMap<(String, &'static str), Counts> = BTreeMap::new();
    let mut teams: Vec<Uuid> = Vec::new();
    let mut query = IncidentQuery {
        sort: SortField::CreatedAt,
        descending: true,
        limit: PAGE,
        ..Default::default()
    };
    'pages: loop {
        let page = state.store.list_incidents(&query).await?;
        for inc in &page.items {
            // Newest first: once before the period, every later one is too.
            if inc.created_at < from {
                break 'pages;
            }
            if inc.created_at >= to {
                continue;
            }
            for clock in &inc.sla {
                let (key, name) = match by {
                    GroupBy::Policy => (clock.policy_id.to_string(), clock.policy_name.clone()),
                    GroupBy::Team => match inc.assignment_group_id {
                        Some(t) => {
                            teams.push(t);
                            (t.to_string(), String::new())
                        }
                        None => ("none".to_string(), "(no team)".to_string()),
                    },
                    GroupBy::Priority => (clock.priority.to_string(), clock.priority.to_string()),
                };
                let c = groups.entry((key, kind_str(clock.kind))).or_default();
                if c.name.is_empty() {
                    c.name = name;
                }
                match clock.state {
                    SlaState::Met => c.met += 1,
                    SlaState::Breached => c.breached += 1,
                    SlaState::Running | SlaState::Paused => c.running += 1,
                    SlaState::Canceled => {}
                }
            }
        }
        match page.next_cursor {
            Some(c) => query.after = Some(c),
            None => break,
        }
    }
    teams.sort();
    teams.dedup();
    let names: BTreeMap<String, String> = state
        .store
        .entity_names(&teams)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    let items = groups
        .into_iter()
        .map(|((key, kind), c)| {
            let ended = c.met + c.breached;
            ComplianceItem {
                name: if c.name.is_empty() {
                    names.get(&key).cloned().unwrap_or_else(|| key.clone())
                } else {
                    c.name
                },
                key,
                kind: kind.to_string(),
                clocks: ended + c.running,
                met: c.met,
                breached: c.breached,
                running: c.running,
                compliance_percent: (ended > 0)
                    .then(|| (c.met as f64 * 1000.0 / ended as f64).round() / 10.0),
            }
        })
        .collect();
    Ok(ComplianceReport {
        from: rfc3339(from),
        to: rfc3339(to),
        by: by.as_str().to_string(),
        items,
    })
}
