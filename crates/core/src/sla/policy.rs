//! SLA policies: which incidents a policy covers, its response and resolution targets, when its
//! clocks pause, its warning thresholds and what happens at each; and how the one policy that
//! applies to an incident is chosen.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ValidationErrors;
use crate::incident::Incident;
use crate::priority::Priority;
use crate::state::HoldReason;

use super::clock::SlaKind;

/// The longest target accepted: a year, in seconds.
pub const MAX_TARGET_SECONDS: i64 = 366 * 86_400;

/// Which incidents a policy covers. Each list empty = any; within a list, any entry matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaConditions {
    #[serde(default)]
    pub priorities: Vec<Priority>,
    #[serde(default)]
    pub service_ids: Vec<Uuid>,
    /// Compared ignoring ASCII case.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Assignment groups.
    #[serde(default)]
    pub team_ids: Vec<Uuid>,
}

/// Something to do when a clock reaches a threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SlaActionKind {
    NotifyAssignee,
    NotifyGroup,
    NotifyManager,
    Escalate,
    RaisePriority,
    AddTag { tag: String },
}

/// An action at a threshold: a warning percent, or 100 for the breach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaAction {
    pub at_percent: u8,
    pub action: SlaActionKind,
}

/// What a reopen does to a stopped resolution clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReopenRule {
    /// The same clock resumes with the time already spent.
    #[default]
    Continue,
    /// The old clock stays as it was and a new one starts.
    Restart,
}

/// Targets for a set of incidents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaPolicy {
    #[serde(default)]
    pub id: Uuid,
    pub name: String,
    /// Tie-break among equally specific matches: lower first.
    #[serde(default)]
    pub order: i32,
    #[serde(default)]
    pub conditions: SlaConditions,
    /// Target time to respond (until acknowledged); `None` = no response SLA.
    #[serde(default)]
    pub response_seconds: Option<i64>,
    /// Target time to resolve; `None` = no resolution SLA.
    #[serde(default)]
    pub resolution_seconds: Option<i64>,
    /// `None` = 24x7.
    #[serde(default)]
    pub calendar_id: Option<Uuid>,
    /// Hold reasons that pause the clock. Default: awaiting_caller, awaiting_vendor.
    #[serde(default = "default_pause_on")]
    pub pause_on: Vec<HoldReason>,
    /// Warning thresholds in percent of the target, ascending, each 1..=99. Default [50, 75].
    #[serde(default = "default_warnings")]
    pub warnings: Vec<u8>,
    /// What to do at a threshold (a warning percent, or 100 for the breach).
    #[serde(default = "SlaPolicy::default_actions")]
    pub actions: Vec<SlaAction>,
    #[serde(default)]
    pub on_reopen: ReopenRule,
}

/// Hold reasons that pause a clock unless a policy says otherwise.
pub fn default_pause_on() -> Vec<HoldReason> {
    vec![HoldReason::AwaitingCaller, HoldReason::AwaitingVendor]
}

/// Warning thresholds unless a policy says otherwise.
pub fn default_warnings() -> Vec<u8> {
    vec![50, 75]
}

fn check_target(errors: &mut ValidationErrors, field: &str, seconds: Option<i64>) {
    match seconds {
        Some(s) if s <= 0 => errors.add(field, "must be positive"),
        Some(s) if s > MAX_TARGET_SECONDS => errors.add(
            field,
            format!("must be at most {MAX_TARGET_SECONDS} seconds (a year)"),
        ),
        _ => {}
    }
}

impl SlaPolicy {
    /// A name, at least one positive target (at most a year), warnings ascending within 1..=99,
    /// actions at a warning or at 100, non-empty tags and categories.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.name.trim().is_empty() {
            errors.add("name", "must not be empty");
        }
        if self.response_seconds.is_none() && self.resolution_seconds.is_none() {
            errors.add(
                "resolution_seconds",
                "a policy needs a response or a resolution target",
            );
        }
        check_target(&mut errors, "response_seconds", self.response_seconds);
        check_target(&mut errors, "resolution_seconds", self.resolution_seconds);
        if self.warnings.iter().any(|w| !(1..=99).contains(w)) {
            errors.add("warnings", "each must be between 1 and 99 percent");
        } else if self.warnings.windows(2).any(|w| w[0] >= w[1]) {
            errors.add("warnings", "must be ascending without repeats");
        }
        for (i, a) in self.actions.iter().enumerate() {
            if a.at_percent != 100 && !self.warnings.contains(&a.at_percent) {
                let listed: Vec<String> = self.warnings.iter().map(|w| w.to_string()).collect();
                errors.add(
                    format!("actions[{i}].at_percent"),
                    format!(
                        "{} is neither a warning ({}) nor 100",
                        a.at_percent,
                        listed.join(", ")
                    ),
                );
            }
            if let SlaActionKind::AddTag { tag } = &a.action
                && tag.trim().is_empty()
            {
                errors.add(format!("actions[{i}].action.tag"), "must not be empty");
            }
        }
        if self
            .conditions
            .categories
            .iter()
            .any(|c| c.trim().is_empty())
        {
            errors.add("conditions.categories", "must not contain empty names");
        }
        errors.into_result()
    }

    /// Whether every non-empty condition list contains the incident's value.
    pub fn matches(&self, incident: &Incident) -> bool {
        let c = &self.conditions;
        fn any_of<T: PartialEq>(list: &[T], value: Option<&T>) -> bool {
            list.is_empty() || value.is_some_and(|v| list.contains(v))
        }
        any_of(&c.priorities, Some(&incident.priority))
            && any_of(&c.service_ids, incident.service_id.as_ref())
            && any_of(&c.team_ids, incident.assignment_group_id.as_ref())
            && (c.categories.is_empty()
                || c.categories
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&incident.category)))
    }

    /// The number of non-empty condition lists.
    pub fn specificity(&self) -> usize {
        let c = &self.conditions;
        [
            c.priorities.is_empty(),
            c.service_ids.is_empty(),
            c.categories.is_empty(),
            c.team_ids.is_empty(),
        ]
        .into_iter()
        .filter(|empty| !empty)
        .count()
    }

    /// At 50 and 75 percent the assignee is told; at the breach the assignee and the group.
    pub fn default_actions() -> Vec<SlaAction> {
        let at = |at_percent, action| SlaAction { at_percent, action };
        vec![
            at(50, SlaActionKind::NotifyAssignee),
            at(75, SlaActionKind::NotifyAssignee),
            at(100, SlaActionKind::NotifyAssignee),
            at(100, SlaActionKind::NotifyGroup),
        ]
    }

    /// The target in seconds for one kind of clock.
    pub fn target(&self, kind: SlaKind) -> Option<i64> {
        match kind {
            SlaKind::Response => self.response_seconds,
            SlaKind::Resolution => self.resolution_seconds,
        }
    }

    /// The actions to run at a threshold, in the policy's order.
    pub fn actions_at(&self, percent: u8) -> impl Iterator<Item = &SlaActionKind> {
        self.actions
            .iter()
            .filter(move |a| a.at_percent == percent)
            .map(|a| &a.action)
    }
}

/// The policy that applies: most specific matching, then lowest order, then name, then id.
pub fn matching_policy<'a>(
    policies: &'a [SlaPolicy],
    incident: &Incident,
) -> Option<&'a SlaPolicy> {
    policies
        .iter()
        .filter(|p| p.matches(incident))
        .min_by(|a, b| {
            b.specificity()
                .cmp(&a.specificity())
                .then(a.order.cmp(&b.order))
                .then_with(|| a.name.cmp(&b.name))
                .then(a.id.cmp(&b.id))
        })
}
