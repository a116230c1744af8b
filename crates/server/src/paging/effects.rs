//! What an incident write owes paging, decided from the incident before and after the write:
//! a new incident starts escalation, an acknowledgement stops it, the end of the incident stops
//! everything, and the people paged hear of acknowledgements, resolutions and public updates.
//! The effects go into the write's own transaction.

use mayday_core::timeline::{ActorKind, Event, EventKind, Visibility};
use mayday_core::{Incident, Millis, Status};
use mayday_store::Effects;

use super::{ESCALATION, TimerAction};

/// Whether a new incident pages at all: not when its alert came in during a maintenance window.
fn pages(incident: &Incident) -> bool {
    let in_maintenance = incident.created_by.kind == ActorKind::Integration
        && incident.tags.iter().any(|t| t == "maintenance");
    incident.status == Status::New && !in_maintenance
}

/// The effects of a write that took an incident from `before` (none: it was just created) to
/// `after` with `events`.
pub fn of_write(
    before: Option<&Incident>,
    after: &Incident,
    events: &[Event],
    now: Millis,
) -> Effects {
    let mut fx = Effects::default();
    let start = TimerAction::Escalate {
        policy_id: None,
        level: 0,
        round: 0,
        manual: false,
    };
    let Some(before) = before else {
        if pages(after) {
            fx.arm.push(start.timer(after.id, now, now));
        }
        return fx;
    };
    let actor = events.first().map(|e| e.actor.clone());
    let notify = |event: &str, comment: Option<String>| TimerAction::Notify {
        event: event.to_string(),
        actor: actor.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
        actor_id: actor
            .as_ref()
            .filter(|a| a.kind == ActorKind::User)
            .and_then(|a| a.id),
        comment,
    };
    let stop = |fx: &mut Effects| {
        fx.cancel.push((after.id, ESCALATION.to_string()));
        fx.cancel_pages.push((after.id, now));
    };
    if before.status.is_open() && !after.status.is_open() {
        stop(&mut fx);
        if after.status == Status::Resolved {
            fx.arm
                .push(notify("resolved", None).timer(after.id, now, now));
        }
    } else if before.status == Status::New && after.status != Status::New {
        stop(&mut fx);
        fx.arm
            .push(notify("acknowledged", None).timer(after.id, now, now));
    } else if after.status == Status::New
        && after.escalation_level == 0
        && before.assignment_group_id != after.assignment_group_id
        && after.assignment_group_id.is_some()
    {
        // Assigned to a team before anyone was paged: the team's policy may apply now.
        fx.arm.push(start.timer(after.id, now, now));
    }
    for e in events {
        if e.kind == EventKind::Comment && e.visibility == Visibility::Public {
            fx.arm
                .push(notify("commented", e.body.clone()).timer(after.id, now, now));
        }
    }
    fx
}

#[cfg(test)]
mod tests {
    use super::*;
    use mayday_core::incident::{CommandContext, NewIncident, TransitionRequest};
    use mayday_core::timeline::Actor;
    use mayday_core::{Impact, PriorityMatrix, Urgency};
    use uuid::Uuid;

    fn incident(ctx: &CommandContext<'_>) -> Incident {
        let new = NewIncident {
            title: Some("Checkout is down".into()),
            description: Some("500s".into()),
            reporter_id: Some(Uuid::now_v7()),
            category: Some("software".into()),
            impact: Some(Impact::new(1).unwrap()),
            urgency: Some(Urgency::new(1).unwrap()),
            ..Default::default()
        };
        Incident::open(Uuid::now_v7(), new, ctx).unwrap().0
    }

    fn kinds(fx: &Effects) -> Vec<String> {
        fx.arm
            .iter()
            .map(|t| t.payload["action"].as_str().unwrap_or("").to_string() + ":" + &t.kind)
            .collect()
    }

    #[test]
    fn creation_starts_escalation_and_acknowledgement_stops_it() {
        let matrix = PriorityMatrix::default();
        let codes = vec!["fixed".to_string()];
        let ctx = CommandContext {
            now: 1_000,
            actor: Actor::user(Uuid::now_v7(), "alice"),
            matrix: &matrix,
            resolution_codes: &codes,
        };
        let inc = incident(&ctx);
        let fx = of_write(None, &inc, &[], 1_000);
        assert_eq!(kinds(&fx), ["escalate:escalation"]);
        assert_eq!(fx.arm[0].due_at, 1_000);

        let mut acked = inc.clone();
        let ev = acked
            .transition(
                TransitionRequest {
                    to: Some(Status::Acknowledged),
                    ..Default::default()
                },
                &ctx,
            )
            .unwrap();
        let fx = of_write(Some(&inc), &acked, &[ev], 2_000);
        assert_eq!(fx.cancel, vec![(inc.id, ESCALATION.to_string())]);
        assert_eq!(fx.cancel_pages, vec![(inc.id, 2_000)]);
        assert_eq!(kinds(&fx), ["notify:notify"]);
        assert_eq!(fx.arm[0].payload["event"], "acknowledged");

        let mut resolved = acked.clone();
        let ev = resolved
            .transition(
                TransitionRequest {
                    to: Some(Status::Resolved),
                    resolution_code: Some("fixed".into()),
                    resolution_notes: Some("restarted".into()),
                    ..Default::default()
                },
                &ctx,
            )
            .unwrap();
        let fx = of_write(Some(&acked), &resolved, &[ev], 3_000);
        assert_eq!(fx.cancel.len(), 1);
        assert_eq!(fx.arm[0].payload["event"], "resolved");

        // A work note owes nobody anything; a public update is told.
        let mut noted = acked.clone();
        let note = noted
            .comment("looking", Visibility::WorkNote, &ctx)
            .unwrap();
        assert!(of_write(Some(&acked), &noted, &[note], 3_000).is_empty());
        let mut updated = acked.clone();
        let public = updated
            .comment("fix deployed", Visibility::Public, &ctx)
            .unwrap();
        let fx = of_write(Some(&acked), &updated, &[public], 3_000);
        assert_eq!(fx.arm[0].payload["event"], "commented");
        assert_eq!(fx.arm[0].payload["comment"], "fix deployed");
    }

    #[test]
    fn maintenance_incidents_from_alerts_do_not_page() {
        let matrix = PriorityMatrix::default();
        let codes = vec![];
        let ctx = CommandContext {
            now: 1_000,
            actor: Actor {
                kind: ActorKind::Integration,
                id: Some(Uuid::now_v7()),
                name: "prometheus".into(),
            },
            matrix: &matrix,
            resolution_codes: &codes,
        };
        let mut inc = incident(&ctx);
        inc.tags = vec!["maintenance".into()];
        assert!(of_write(None, &inc, &[], 1_000).is_empty());
        inc.tags.clear();
        assert!(!of_write(None, &inc, &[], 1_000).is_empty());
    }
}
