//! Unit and property tests of the incident aggregate. The property tests check the code against
//! a transition table written out here, not against the code's own table.

use super::*;
use crate::taxonomy::DEFAULT_RESOLUTION_CODES;
use proptest::prelude::*;

/// The table from the specification, literally.
const TABLE: &[(&str, &[&str])] = &[
    (
        "new",
        &[
            "acknowledged",
            "in_progress",
            "on_hold",
            "resolved",
            "canceled",
        ],
    ),
    (
        "acknowledged",
        &["in_progress", "on_hold", "resolved", "canceled"],
    ),
    ("in_progress", &["on_hold", "resolved", "canceled"]),
    ("on_hold", &["in_progress", "resolved", "canceled"]),
    ("resolved", &["in_progress", "closed"]),
    ("closed", &[]),
    ("canceled", &[]),
];

fn allowed(from: &str, to: &str) -> bool {
    TABLE
        .iter()
        .find(|(f, _)| *f == from)
        .is_some_and(|(_, tos)| tos.contains(&to))
}

fn codes() -> Vec<String> {
    DEFAULT_RESOLUTION_CODES
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn ctx<'a>(now: Millis, matrix: &'a PriorityMatrix, codes: &'a [String]) -> CommandContext<'a> {
    CommandContext {
        now,
        actor: Actor::user(Uuid::from_u128(7), "alice"),
        matrix,
        resolution_codes: codes,
    }
}

fn new_incident() -> NewIncident {
    NewIncident {
        title: Some("Mail server down".into()),
        description: Some("Nobody can send mail".into()),
        reporter_id: Some(Uuid::from_u128(1)),
        category: Some("software".into()),
        impact: Some(Impact::new(2).unwrap()),
        urgency: Some(Urgency::new(3).unwrap()),
        ..Default::default()
    }
}

fn opened(now: Millis) -> Incident {
    let m = PriorityMatrix::default();
    let c = codes();
    Incident::open(Uuid::from_u128(99), new_incident(), &ctx(now, &m, &c))
        .unwrap()
        .0
}

fn request(to: Status) -> TransitionRequest {
    TransitionRequest {
        to: Some(to),
        reason: match to {
            Status::OnHold => Some("awaiting_vendor".into()),
            Status::Canceled => Some("false_alarm".into()),
            _ => None,
        },
        resolution_code: (to == Status::Resolved).then(|| "solution_provided".into()),
        resolution_notes: (to == Status::Resolved).then(|| "restarted the service".into()),
        duplicate_of: None,
    }
}

#[test]
fn open_reports_every_missing_mandatory_field() {
    let m = PriorityMatrix::default();
    let c = codes();
    let err = Incident::open(
        Uuid::nil(),
        NewIncident {
            description: Some("x".into()),
            ..Default::default()
        },
        &ctx(1000, &m, &c),
    )
    .unwrap_err();
    let CommandError::Invalid(v) = err else {
        panic!("expected validation error")
    };
    let fields: Vec<_> = v.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["title", "reporter", "impact", "urgency", "category"]
    );
}

#[test]
fn open_computes_priority_and_times() {
    let i = opened(5_000);
    assert_eq!(i.priority.to_string(), "P4");
    assert_eq!(
        (i.started_at, i.detected_at, i.reported_at),
        (5_000, 5_000, 5_000)
    );
    assert_eq!(i.status, Status::New);
}

#[test]
fn required_fields_of_moves() {
    let m = PriorityMatrix::default();
    let c = codes();
    let mut i = opened(0);
    let err = i
        .transition(
            TransitionRequest {
                to: Some(Status::Resolved),
                resolution_code: Some("magic".into()),
                ..Default::default()
            },
            &ctx(1, &m, &c),
        )
        .unwrap_err();
    let CommandError::Invalid(v) = err else {
        panic!()
    };
    assert_eq!(v.0.len(), 2);
    let err = i
        .transition(
            TransitionRequest {
                to: Some(Status::Canceled),
                reason: Some("duplicate".into()),
                ..Default::default()
            },
            &ctx(1, &m, &c),
        )
        .unwrap_err();
    assert!(matches!(err, CommandError::Invalid(v) if v.0[0].field == "duplicate_of"));
    assert_eq!(i.status, Status::New, "a refused move changes nothing");
}

#[test]
fn override_stays_until_cleared() {
    let m = PriorityMatrix::default();
    let c = codes();
    let mut i = opened(0);
    let patch = IncidentPatch {
        priority_override: Some(Some((Priority::P1, "CEO's laptop".into()))),
        ..Default::default()
    };
    i.apply_patch(patch, &ctx(1, &m, &c)).unwrap().unwrap();
    assert_eq!(i.priority, Priority::P1);
    let patch = IncidentPatch {
        impact: Some(Impact::new(3).unwrap()),
        ..Default::default()
    };
    i.apply_patch(patch, &ctx(2, &m, &c)).unwrap();
    assert_eq!(i.priority, Priority::P1, "override beats the matrix");
    let patch = IncidentPatch {
        priority_override: Some(None),
        ..Default::default()
    };
    let ev = i.apply_patch(patch, &ctx(3, &m, &c)).unwrap().unwrap();
    assert_eq!(i.priority, Priority::P5);
    assert!(ev.changes.iter().any(|c| c.field == "priority"));
}

#[test]
fn reassignment_counts_group_changes_after_the_first() {
    let m = PriorityMatrix::default();
    let c = codes();
    let mut i = opened(0);
    for (n, g) in [(0, 1u128), (1, 2), (2, 3)] {
        i.apply_patch(
            IncidentPatch {
                assignment_group_id: Some(Some(Uuid::from_u128(g))),
                ..Default::default()
            },
            &ctx(1, &m, &c),
        )
        .unwrap();
        assert_eq!(i.reassignment_count, n);
    }
}

#[test]
fn times_never_run_backwards() {
    let m = PriorityMatrix::default();
    let c = codes();
    let mut i = opened(10_000);
    // A node whose clock is behind acknowledges: the time is clamped.
    let ev = i
        .transition(request(Status::Acknowledged), &ctx(9_000, &m, &c))
        .unwrap();
    assert_eq!(ev.at, 10_000);
    assert_eq!(i.acknowledged_at, Some(10_000));
}

fn status_strategy() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random command sequences never reach a state the literal table forbids, and the counters
    /// and timestamps behave as specified.
    #[test]
    fn sequences_follow_the_table(steps in prop::collection::vec((status_strategy(), 0i64..5_000), 1..40)) {
        let m = PriorityMatrix::default();
        let c = codes();
        let mut i = opened(1_000_000);
        let mut now = 1_000_000;
        let mut reopens = 0;
        let mut last_at = i.last_event_at;
        for (to, delta) in steps {
            // Clocks may jump backwards a little between nodes.
            now += delta - 1_000;
            let before = i.clone();
            let result = i.transition(request(to), &ctx(now, &m, &c));
            let legal = allowed(before.status.as_str(), to.as_str());
            prop_assert_eq!(result.is_ok(), legal, "{} -> {}", before.status, to);
            match result {
                Err(CommandError::IllegalTransition { allowed: a, .. }) => {
                    prop_assert_eq!(&i, &before);
                    let expect: Vec<&str> = TABLE.iter().find(|(f, _)| *f == before.status.as_str()).unwrap().1.to_vec();
                    let got: Vec<&str> = a.iter().map(|s| s.as_str()).collect();
                    prop_assert_eq!(got, expect);
                }
                Err(e) => prop_assert!(false, "unexpected error {e}"),
                Ok(ev) => {
                    prop_assert!(ev.at >= last_at, "event time went backwards");
                    last_at = ev.at;
                    if before.status == Status::Resolved && to == Status::InProgress {
                        reopens += 1;
                        prop_assert!(i.resolved_at.is_none());
                    }
                    if to == Status::Resolved {
                        prop_assert_eq!(i.resolved_at, Some(ev.at));
                        prop_assert!(i.mitigated_at.is_some_and(|m| m <= ev.at));
                    }
                    if before.status == Status::New {
                        prop_assert_eq!(i.acknowledged_at, Some(ev.at));
                    }
                    if to == Status::Closed { prop_assert_eq!(i.closed_at, Some(ev.at)); }
                    prop_assert_eq!(i.hold_reason.is_some(), to == Status::OnHold);
                }
            }
            prop_assert_eq!(i.reopen_count, reopens);
            for t in [i.acknowledged_at, i.mitigated_at, i.resolved_at, i.closed_at, i.canceled_at].into_iter().flatten() {
                prop_assert!(t >= i.reported_at && t <= i.last_event_at);
            }
        }
    }
}
