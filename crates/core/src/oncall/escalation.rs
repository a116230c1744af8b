//! Escalation policies: ordered levels of targets, a delay per level, repeated N times.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ValidationErrors;

/// Who a level pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Target {
    User(Uuid),
    /// Whoever the schedule has on call when the level fires.
    Schedule(Uuid),
    /// The team's schedule if it has one, else all its members.
    Team(Uuid),
}

/// One level: its targets and how long to wait for an acknowledgement before the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationLevel {
    pub targets: Vec<Target>,
    pub delay_seconds: u32,
}

/// Ordered levels; after the last, the whole policy runs again `repeat` more times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationPolicy {
    pub levels: Vec<EscalationLevel>,
    #[serde(default)]
    pub repeat: u32,
}

/// A position in a policy: `level` (0-based) of round `round` (0 is the first run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Step {
    pub level: u32,
    pub round: u32,
}

/// The longest a level may wait before the next: a week.
pub const MAX_DELAY_SECONDS: u32 = 7 * 24 * 3600;
/// The most extra rounds a policy may run.
pub const MAX_REPEAT: u32 = 9;

impl Step {
    /// The first level of the first round.
    pub fn first() -> Step {
        Step { level: 0, round: 0 }
    }
}

impl EscalationPolicy {
    /// At least one level, each with at least one target and no duplicate target; field names
    /// as JSON paths (`levels[1].targets`). Each delay is between 1 second and 7 days, and the
    /// policy repeats at most 9 times.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.levels.is_empty() {
            errors.add("levels", "must have at least one level");
        }
        for (i, level) in self.levels.iter().enumerate() {
            if level.targets.is_empty() {
                errors.add(
                    format!("levels[{i}].targets"),
                    "must have at least one target",
                );
            } else if level
                .targets
                .iter()
                .enumerate()
                .any(|(j, t)| level.targets[..j].contains(t))
            {
                errors.add(
                    format!("levels[{i}].targets"),
                    "must not list the same target twice",
                );
            }
            if level.delay_seconds == 0 {
                errors.add(format!("levels[{i}].delay_seconds"), "must be at least 1");
            } else if level.delay_seconds > MAX_DELAY_SECONDS {
                errors.add(
                    format!("levels[{i}].delay_seconds"),
                    format!("must be at most {MAX_DELAY_SECONDS} (7 days)"),
                );
            }
        }
        if self.repeat > MAX_REPEAT {
            errors.add("repeat", format!("must be at most {MAX_REPEAT}"));
        }
        errors.into_result()
    }

    /// After `step` was paged: the step that follows and how many seconds later it fires
    /// (the delay of `step`'s level); `None` after the last level of the last round, and for a
    /// step that is not in the policy.
    pub fn next(&self, step: Step) -> Option<(Step, u32)> {
        let level = self.level(step)?;
        let next = if (step.level as usize) + 1 < self.levels.len() {
            Step {
                level: step.level + 1,
                round: step.round,
            }
        } else if step.round < self.repeat {
            Step {
                level: 0,
                round: step.round + 1,
            }
        } else {
            return None;
        };
        Some((next, level.delay_seconds))
    }

    /// The level a step pages; `None` for a step that is not in the policy (a level past the
    /// last, a round past `repeat`).
    pub fn level(&self, step: Step) -> Option<&EscalationLevel> {
        if step.round > self.repeat {
            return None;
        }
        self.levels.get(step.level as usize)
    }

    /// Every step of the policy in order: each level of round 0, then of round 1, up to round
    /// `repeat`; `levels.len() * (repeat + 1)` steps.
    pub fn steps(&self) -> impl Iterator<Item = Step> + use<> {
        let levels = u32::try_from(self.levels.len()).unwrap_or(u32::MAX);
        (0..=self.repeat).flat_map(move |round| (0..levels).map(move |level| Step { level, round }))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn level(targets: &[Target], delay_seconds: u32) -> EscalationLevel {
        EscalationLevel {
            targets: targets.to_vec(),
            delay_seconds,
        }
    }

    fn user(n: u128) -> Target {
        Target::User(Uuid::from_u128(n))
    }

    fn fields(p: &EscalationPolicy) -> Vec<String> {
        p.validate()
            .err()
            .map(|e| e.0.into_iter().map(|f| f.field).collect())
            .unwrap_or_default()
    }

    fn two_levels(repeat: u32) -> EscalationPolicy {
        EscalationPolicy {
            levels: vec![
                level(&[user(1), Target::Schedule(Uuid::from_u128(1))], 300),
                level(&[Target::Team(Uuid::from_u128(1))], 600),
            ],
            repeat,
        }
    }

    #[test]
    fn next_climbs_then_repeats_then_stops() {
        let p = two_levels(1);
        let s = |level, round| Step { level, round };
        assert_eq!(Step::first(), s(0, 0));
        assert_eq!(p.next(s(0, 0)), Some((s(1, 0), 300)));
        assert_eq!(p.next(s(1, 0)), Some((s(0, 1), 600)));
        assert_eq!(p.next(s(0, 1)), Some((s(1, 1), 300)));
        assert_eq!(p.next(s(1, 1)), None);
        // Steps outside the policy.
        assert_eq!(p.next(s(2, 0)), None);
        assert_eq!(p.next(s(0, 2)), None);
        assert_eq!(two_levels(0).next(s(1, 0)), None);
        assert_eq!(
            p.steps().collect::<Vec<_>>(),
            vec![s(0, 0), s(1, 0), s(0, 1), s(1, 1)]
        );
        assert_eq!(p.level(s(1, 1)).map(|l| l.delay_seconds), Some(600));
        assert_eq!(p.level(s(1, 2)), None);
    }

    #[test]
    fn validation() {
        assert_eq!(two_levels(9).validate(), Ok(()));
        assert_eq!(fields(&two_levels(10)), vec!["repeat"]);
        let empty = EscalationPolicy {
            levels: vec![],
            repeat: 0,
        };
        assert_eq!(fields(&empty), vec!["levels"]);
        let bad = EscalationPolicy {
            levels: vec![
                level(&[user(1)], 0),
                level(&[], 60),
                level(&[user(1), user(2), user(1)], MAX_DELAY_SECONDS + 1),
                level(
                    &[user(1), Target::Schedule(Uuid::from_u128(1))],
                    MAX_DELAY_SECONDS,
                ),
            ],
            repeat: 0,
        };
        assert_eq!(
            fields(&bad),
            vec![
                "levels[0].delay_seconds",
                "levels[1].targets",
                "levels[2].targets",
                "levels[2].delay_seconds",
            ]
        );
    }

    #[test]
    fn serde_shapes() {
        let p = two_levels(2);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["levels"][0]["targets"][0]["kind"], "user");
        assert_eq!(
            json["levels"][0]["targets"][0]["id"],
            "00000000-0000-0000-0000-000000000001"
        );
        assert_eq!(json["levels"][1]["targets"][0]["kind"], "team");
        let back: EscalationPolicy = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
        let no_repeat: EscalationPolicy =
            serde_json::from_str(r#"{"levels":[{"targets":[],"delay_seconds":5}]}"#).unwrap();
        assert_eq!(no_repeat.repeat, 0);
    }

    /// A step's place in the sequence.
    fn position(s: Step) -> (u32, u32) {
        (s.round, s.level)
    }

    /// The step after `s` by counting: the next level, or level 0 of the next round.
    fn successor(p: &EscalationPolicy, s: Step) -> Step {
        if (s.level as usize) + 1 < p.levels.len() {
            Step {
                level: s.level + 1,
                round: s.round,
            }
        } else {
            Step {
                level: 0,
                round: s.round + 1,
            }
        }
    }

    fn arb_policy() -> impl Strategy<Value = EscalationPolicy> {
        (
            prop::collection::vec((1u128..4, 1u32..=MAX_DELAY_SECONDS), 1..6),
            0u32..=MAX_REPEAT,
        )
            .prop_map(|(levels, repeat)| EscalationPolicy {
                levels: levels
                    .into_iter()
                    .map(|(n, delay)| level(&[user(n)], delay))
                    .collect(),
                repeat,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// `steps` visits each level once per round, in order, `levels * (repeat + 1)` steps.
        #[test]
        fn steps_visit_every_level_of_every_round(p in arb_policy()) {
            let steps: Vec<Step> = p.steps().collect();
            let n = p.levels.len() as u32;
            prop_assert_eq!(steps.len(), p.levels.len() * (p.repeat as usize + 1));
            for (i, s) in steps.iter().enumerate() {
                let i = i as u32;
                prop_assert_eq!(*s, Step { level: i % n, round: i / n });
                prop_assert!(p.level(*s).is_some());
            }
            // In sequence order (not `Step`'s derived order, which compares the level first).
            prop_assert!(steps.windows(2).all(|w| position(w[0]) < position(w[1])));
        }

        /// Walking `next` from the first step gives exactly `steps`, with each level's delay,
        /// and stops.
        #[test]
        fn next_walks_the_steps(p in arb_policy()) {
            let expected: Vec<Step> = p.steps().collect();
            let mut walked = vec![Step::first()];
            let mut at = Step::first();
            while let Some((next, delay)) = p.next(at) {
                prop_assert_eq!(delay, p.levels[at.level as usize].delay_seconds);
                prop_assert!(
                    next == successor(&p, at),
                    "skipped or went back from {:?} to {:?}", at, next
                );
                walked.push(next);
                at = next;
                prop_assert!(walked.len() <= expected.len(), "did not stop");
            }
            prop_assert_eq!(walked, expected);
        }

        /// Any step not in the policy has no successor, and any step in it but the last has one.
        #[test]
        fn next_is_defined_exactly_inside_the_policy(
            p in arb_policy(),
            level in 0u32..8,
            round in 0u32..12,
        ) {
            let step = Step { level, round };
            let inside = (level as usize) < p.levels.len() && round <= p.repeat;
            let last = level as usize + 1 == p.levels.len() && round == p.repeat;
            prop_assert_eq!(p.next(step).is_some(), inside && !last);
        }
    }
}
