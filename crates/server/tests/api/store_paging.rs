//! The paging half of the storage port, through the `Store` trait on each engine (no HTTP):
//! timers armed with a write, claimed under a lease, taken over once it ends and completed
//! only by the current claim; cancellation of claimed timers and of delayed pages; several
//! claimers never sharing a row; the outbox's attempts, dead letters and re-queueing; single-use
//! action links; calendar tokens; who was paged, in order.

use std::collections::HashSet;
use std::sync::Arc;

use mayday_core::clock::Millis;
use mayday_core::incident::{CommandContext, NewIncident};
use mayday_core::timeline::{Actor, Event, EventKind, Visibility};
use mayday_core::{Impact, Incident, PriorityMatrix, Urgency};
use mayday_store::{
    ActionLink, Attempt, Effects, IncidentRef, IncidentWrite, IntakeCommit, MessageQuery,
    MessageStatus, NewTimer, OutboxMessage, Store, StoreError, TimerDone,
};
use serde_json::json;
use uuid::Uuid;

use crate::harness::{Engine, TestStore};

/// One `#[tokio::test]` per engine for each `scenario => sqlite_name, postgres_name;`.
macro_rules! on_both_stores {
    ($($scenario:ident => $sqlite:ident, $postgres:ident;)*) => {
        $(
            #[tokio::test]
            async fn $sqlite() {
                let t = TestStore::open(Engine::Sqlite)
                    .await
                    .expect("SQLite is always available");
                $scenario(t.store.clone()).await;
                t.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $postgres() {
                let Some(t) = TestStore::open(Engine::Postgres).await else {
                    return;
                };
                $scenario(t.store.clone()).await;
                t.finish().await;
            }
        )*
    };
}

on_both_stores! {
    timers_claim_lease_and_complete => sqlite_timers_claim_lease_and_complete, postgres_timers_claim_lease_and_complete;
    completion_conflicts_alone => sqlite_completion_conflicts_alone, postgres_completion_conflicts_alone;
    batch_completion_writes_everything => sqlite_batch_completion_writes_everything, postgres_batch_completion_writes_everything;
    cancel_deletes_claimed_timers => sqlite_cancel_deletes_claimed_timers, postgres_cancel_deletes_claimed_timers;
    cancel_pages_spares_due_and_tried => sqlite_cancel_pages_spares_due_and_tried, postgres_cancel_pages_spares_due_and_tried;
    concurrent_claimers_share_nothing => sqlite_concurrent_claimers_share_nothing, postgres_concurrent_claimers_share_nothing;
    outbox_attempts_dead_letters_and_requeue => sqlite_outbox_attempts_dead_letters_and_requeue, postgres_outbox_attempts_dead_letters_and_requeue;
    action_links_are_single_use => sqlite_action_links_are_single_use, postgres_action_links_are_single_use;
    calendar_tokens_replace => sqlite_calendar_tokens_replace, postgres_calendar_tokens_replace;
    paged_users_in_order_first_paged => sqlite_paged_users_in_order_first_paged, postgres_paged_users_in_order_first_paged;
    intake_commit_applies_effects => sqlite_intake_commit_applies_effects, postgres_intake_commit_applies_effects;
}

const T0: Millis = 1_700_000_000_000;
const LEASE: i64 = 30_000;

/// Logs an incident (not yet stored) at `T0`.
fn new_incident(title: &str) -> (Incident, Event) {
    let matrix = PriorityMatrix::default();
    let codes = vec!["fixed".to_string()];
    let ctx = CommandContext {
        now: T0,
        actor: Actor::system(),
        matrix: &matrix,
        resolution_codes: &codes,
    };
    let new = NewIncident {
        title: Some(title.into()),
        description: Some("Logged by the storage tests.".into()),
        reporter_id: Some(Uuid::now_v7()),
        category: Some("software".into()),
        impact: Some(Impact::new(1).unwrap()),
        urgency: Some(Urgency::new(1).unwrap()),
        ..Default::default()
    };
    Incident::open(Uuid::now_v7(), new, &ctx).expect("a valid incident")
}

/// Stores a new incident with these effects.
async fn create(store: &Arc<dyn Store>, title: &str, effects: Effects) -> Incident {
    let (inc, ev) = new_incident(title);
    store
        .create_incident(inc, vec![ev], effects, None)
        .await
        .expect("create the incident")
}

fn timer(incident_id: Option<Uuid>, kind: &str, due_at: Millis) -> NewTimer {
    NewTimer {
        id: Uuid::now_v7(),
        incident_id,
        kind: kind.into(),
        due_at,
        payload: json!({"action": "escalate", "level": 1}),
        created_at: T0,
    }
}

fn message(incident_id: Uuid, user_id: Option<Uuid>, page: bool, due_at: Millis) -> OutboxMessage {
    OutboxMessage {
        id: Uuid::now_v7(),
        incident_id: Some(incident_id),
        user_id,
        channel: "webhook".into(),
        event: "triggered".into(),
        page,
        due_at,
        payload: json!({"url": "http://127.0.0.1:9/hook", "body": {"n": 1}}),
        created_at: T0,
    }
}

fn note(incident_id: Uuid, kind: EventKind, at: Millis, body: &str) -> Event {
    Event {
        seq: 0,
        incident_id,
        at,
        actor: Actor::system(),
        kind,
        visibility: Visibility::Public,
        changes: Vec::new(),
        body: Some(body.into()),
    }
}

/// A write raising the incident's escalation level, computed from `inc` as read.
fn escalate(inc: &Incident, at: Millis, effects: Effects) -> IncidentWrite {
    let mut next = inc.clone();
    next.escalation_level += 1;
    next.version = inc.version + 1;
    next.updated_at = at;
    IncidentWrite {
        incident: next,
        expected_version: inc.version,
        events: vec![note(inc.id, EventKind::Escalation, at, "level paged")],
        effects,
    }
}

async fn reload(store: &Arc<dyn Store>, id: Uuid) -> Incident {
    store
        .get_incident(IncidentRef::Id(id))
        .await
        .expect("read the incident")
        .expect("the incident exists")
}

async fn bodies(store: &Arc<dyn Store>, id: Uuid) -> Vec<String> {
    store
        .timeline(id, true)
        .await
        .expect("read the timeline")
        .into_iter()
        .filter_map(|e| e.body)
        .collect()
}

fn done(t: &mayday_store::Timer) -> TimerDone {
    TimerDone {
        timer_id: t.id,
        claim: t.claim,
        write: None,
        effects: Effects::default(),
        events: Vec::new(),
    }
}

fn is_conflict<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Conflict { .. }))
}

async fn timers_claim_lease_and_complete(store: Arc<dyn Store>) {
    let (inc, ev) = new_incident("Checkout is down");
    let due = T0 + 1_000;
    let armed = timer(Some(inc.id), "escalation", due);
    let queued = message(inc.id, Some(Uuid::now_v7()), true, T0);
    let effects = Effects {
        arm: vec![armed.clone()],
        messages: vec![queued.clone()],
        ..Default::default()
    };
    let inc = store
        .create_incident(inc, vec![ev], effects, None)
        .await
        .expect("create with effects");
    assert_eq!(store.timer_count().await.unwrap(), 1);
    assert_eq!(store.next_timer_due().await.unwrap(), Some(due));
    let listed = store.incident_timers(inc.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, armed.id);
    assert_eq!(listed[0].payload, armed.payload);
    assert_eq!(listed[0].claim, Uuid::nil(), "listed timers carry no claim");
    let m = store.get_message(queued.id).await.unwrap().expect("queued");
    assert_eq!(m.message, queued);
    assert_eq!(m.status, MessageStatus::Pending);
    assert_eq!((m.attempts, m.next_attempt_at), (0, queued.due_at));

    // Not due yet; then due, claimed once.
    assert!(
        store
            .claim_timers(due - 1, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let first = store.claim_timers(due, LEASE, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id, armed.id);
    assert_eq!(first[0].kind, "escalation");
    assert_eq!(first[0].incident_id, Some(inc.id));
    assert_ne!(first[0].claim, Uuid::nil());
    assert!(
        store.claim_timers(due, LEASE, 10).await.unwrap().is_empty(),
        "a held timer is not claimed twice"
    );
    assert!(
        store
            .claim_timers(due + LEASE - 1, LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "the lease holds until its end"
    );
    assert_eq!(
        store.next_timer_due().await.unwrap(),
        Some(due),
        "claimed timers still count for the next wake-up"
    );

    // The lease ends: another worker takes the timer over with a new claim.
    let second = store.claim_timers(due + LEASE, LEASE, 10).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_ne!(second[0].claim, first[0].claim);

    // The first worker's completion fails and changes nothing.
    let at = due + LEASE + 5;
    let stale = TimerDone {
        write: Some(escalate(&inc, at, Effects::default())),
        events: vec![note(inc.id, EventKind::Notification, at, "stale")],
        ..done(&first[0])
    };
    let results = store.complete_timers(vec![stale]).await.unwrap();
    assert_eq!(results.len(), 1);
    assert!(is_conflict(&results[0]), "{results:?}");
    assert_eq!(reload(&store, inc.id).await.version, inc.version);
    assert!(!bodies(&store, inc.id).await.contains(&"stale".to_string()));
    assert_eq!(store.timer_count().await.unwrap(), 1);

    // The holder completes it: write, its effects, the item's effects and events together.
    let next_step = timer(Some(inc.id), "escalation", at + 60_000);
    let page = message(inc.id, Some(Uuid::now_v7()), true, at);
    let write = escalate(
        &inc,
        at,
        Effects {
            arm: vec![next_step.clone()],
            ..Default::default()
        },
    );
    let item = TimerDone {
        write: Some(write),
        effects: Effects {
            messages: vec![page.clone()],
            ..Default::default()
        },
        events: vec![note(inc.id, EventKind::Notification, at, "paged level 1")],
        ..done(&second[0])
    };
    let results = store.complete_timers(vec![item]).await.unwrap();
    assert!(results[0].is_ok(), "{results:?}");
    let after = reload(&store, inc.id).await;
    assert_eq!(after.version, inc.version + 1);
    assert_eq!(after.escalation_level, inc.escalation_level + 1);
    let timeline = bodies(&store, inc.id).await;
    assert!(
        timeline.contains(&"level paged".to_string()),
        "{timeline:?}"
    );
    assert!(
        timeline.contains(&"paged level 1".to_string()),
        "{timeline:?}"
    );
    let left = store.incident_timers(inc.id).await.unwrap();
    assert_eq!(
        left.len(),
        1,
        "the fired timer is gone, the next step armed"
    );
    assert_eq!(left[0].id, next_step.id);
    assert_eq!(store.next_timer_due().await.unwrap(), Some(at + 60_000));
    assert!(store.get_message(page.id).await.unwrap().is_some());

    // Completing again with the same claim: the timer is gone.
    let again = store.complete_timers(vec![done(&second[0])]).await.unwrap();
    assert!(is_conflict(&again[0]));

    // Arming in bulk, outside any write.
    let bulk: Vec<NewTimer> = (0..250).map(|i| timer(None, "sla", at + i)).collect();
    store.arm_timers(bulk).await.unwrap();
    assert_eq!(store.timer_count().await.unwrap(), 251);
    assert_eq!(store.next_timer_due().await.unwrap(), Some(at));
    let claimed = store.claim_timers(at + 99, LEASE, 500).await.unwrap();
    assert_eq!(claimed.len(), 100, "only the due ones");
    assert!(
        claimed.windows(2).all(|w| w[0].due_at <= w[1].due_at),
        "oldest due first"
    );
    assert!(claimed.iter().all(|t| t.claim == claimed[0].claim));
}

async fn completion_conflicts_alone(store: Arc<dyn Store>) {
    let a = create(&store, "First", Effects::default()).await;
    let b = create(&store, "Second", Effects::default()).await;
    let c = create(&store, "Third", Effects::default()).await;
    let timers: Vec<NewTimer> = [&a, &b, &c]
        .iter()
        .map(|i| timer(Some(i.id), "escalation", T0))
        .collect();
    store.arm_timers(timers.clone()).await.unwrap();
    let claimed = store.claim_timers(T0, LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 3);
    let by_incident = |id: Uuid| {
        claimed
            .iter()
            .find(|t| t.incident_id == Some(id))
            .expect("claimed")
            .clone()
    };
    let at = T0 + 10;
    // b's write was computed from an old version: it fails alone, with its effects and events.
    let mut stale = escalate(&b, at, Effects::default());
    stale.expected_version = b.version - 1;
    stale.incident.version = b.version;
    let items = vec![
        TimerDone {
            write: Some(escalate(&c, at, Effects::default())),
            events: vec![note(c.id, EventKind::Notification, at, "c notified")],
            ..done(&by_incident(c.id))
        },
        TimerDone {
            write: Some(stale),
            effects: Effects {
                arm: vec![timer(Some(b.id), "escalation", at + 1)],
                messages: vec![message(b.id, None, true, at)],
                ..Default::default()
            },
            events: vec![note(b.id, EventKind::Notification, at, "b notified")],
            ..done(&by_incident(b.id))
        },
        TimerDone {
            events: vec![note(a.id, EventKind::Notification, at, "a notified")],
            ..done(&by_incident(a.id))
        },
    ];
    let results = store.complete_timers(items).await.unwrap();
    assert!(results[0].is_ok(), "{results:?}");
    assert!(is_conflict(&results[1]), "{results:?}");
    assert!(results[2].is_ok(), "{results:?}");
    assert_eq!(reload(&store, c.id).await.version, c.version + 1);
    assert_eq!(reload(&store, b.id).await.version, b.version);
    assert!(bodies(&store, a.id).await.contains(&"a notified".into()));
    assert!(bodies(&store, c.id).await.contains(&"c notified".into()));
    assert!(!bodies(&store, b.id).await.contains(&"b notified".into()));
    let left = store.incident_timers(b.id).await.unwrap();
    assert_eq!(
        left.len(),
        1,
        "b's timer stays (still claimed), nothing new armed"
    );
    assert_eq!(left[0].id, by_incident(b.id).id);
    assert!(
        store
            .list_messages(&MessageQuery {
                incident_id: Some(b.id),
                status: None,
                limit: 10,
            })
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.timer_count().await.unwrap(), 1);
    // Retried on fresh data, it goes through.
    let fresh = reload(&store, b.id).await;
    let retry = TimerDone {
        write: Some(escalate(&fresh, at, Effects::default())),
        ..done(&by_incident(b.id))
    };
    let results = store.complete_timers(vec![retry]).await.unwrap();
    assert!(results[0].is_ok(), "{results:?}");
    assert_eq!(store.timer_count().await.unwrap(), 0);
    assert!(store.complete_timers(Vec::new()).await.unwrap().is_empty());
}

/// A batch of many fired timers (several incidents written, timers of two claims, new timers,
/// messages, links and events) is written whole, and then the incidents read back together.
async fn batch_completion_writes_everything(store: Arc<dyn Store>) {
    let mut incidents = Vec::new();
    for n in 0..150 {
        incidents.push(create(&store, &format!("Batch {n}"), Effects::default()).await);
    }
    let timers: Vec<NewTimer> = incidents
        .iter()
        .map(|i| timer(Some(i.id), "escalation", T0))
        .collect();
    store.arm_timers(timers).await.unwrap();
    let mut claimed = store.claim_timers(T0, LEASE, 100).await.unwrap();
    claimed.extend(store.claim_timers(T0, LEASE, 100).await.unwrap());
    assert_eq!(claimed.len(), 150);
    let claims: HashSet<Uuid> = claimed.iter().map(|t| t.claim).collect();
    assert_eq!(claims.len(), 2);
    let ids: Vec<Uuid> = claimed.iter().filter_map(|t| t.incident_id).collect();
    let read = store.get_incidents(&ids).await.unwrap();
    assert_eq!(read.len(), 150);
    let at = T0 + 10;
    let user = Uuid::now_v7();
    let items: Vec<TimerDone> = claimed
        .iter()
        .enumerate()
        .map(|(n, t)| {
            let inc = read
                .iter()
                .find(|i| Some(i.id) == t.incident_id)
                .expect("read");
            if n % 3 == 0 {
                // Notified only: no incident write.
                return TimerDone {
                    events: vec![note(inc.id, EventKind::Notification, at, "told")],
                    effects: Effects {
                        messages: vec![message(inc.id, Some(user), false, at)],
                        ..Default::default()
                    },
                    ..done(t)
                };
            }
            let link = ActionLink {
                token_hash: format!("hash-{}", inc.id),
                incident_id: inc.id,
                user_id: user,
                action: "acknowledge".into(),
                created_at: at,
                expires_at: at + 60_000,
                used_at: None,
            };
            let fx = Effects {
                arm: vec![timer(Some(inc.id), "escalation", at + 60_000)],
                messages: vec![message(inc.id, Some(user), true, at)],
                links: vec![link],
                ..Default::default()
            };
            TimerDone {
                write: Some(escalate(inc, at, fx)),
                ..done(t)
            }
        })
        .collect();
    let results = store.complete_timers(items).await.unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // Every written incident moved one version and got its event; the others got theirs.
    let after = store.get_incidents(&ids).await.unwrap();
    let written = after
        .iter()
        .filter(|i| {
            let before = read.iter().find(|b| b.id == i.id).expect("same ids");
            i.version == before.version + 1 && i.escalation_level == 1
        })
        .count();
    assert_eq!(written, 100);
    for (n, t) in claimed.iter().enumerate() {
        let id = t.incident_id.expect("an incident");
        let b = bodies(&store, id).await;
        let want = if n % 3 == 0 { "told" } else { "level paged" };
        assert!(b.contains(&want.to_string()), "{n}: {b:?}");
        let timers = store.incident_timers(id).await.unwrap();
        assert_eq!(timers.len(), usize::from(n % 3 != 0), "{n}");
        let messages = store
            .list_messages(&MessageQuery {
                incident_id: Some(id),
                status: None,
                limit: 10,
            })
            .await
            .unwrap();
        assert_eq!(messages.len(), 1);
        if n % 3 != 0 {
            let link = store
                .get_action_link(&format!("hash-{id}"))
                .await
                .unwrap()
                .expect("the link");
            assert_eq!(link.incident_id, id);
        }
    }
    assert_eq!(store.timer_count().await.unwrap(), 100);
    // Completing the same claims again changes nothing: they are gone.
    let again: Vec<TimerDone> = claimed.iter().take(2).map(done).collect();
    let results = store.complete_timers(again).await.unwrap();
    assert!(results.iter().all(is_conflict), "{results:?}");
    assert_eq!(store.timer_count().await.unwrap(), 100);
}

async fn cancel_deletes_claimed_timers(store: Arc<dyn Store>) {
    let escalation = |id| timer(Some(id), "escalation", T0);
    let (inc, ev) = new_incident("Queue backs up");
    let esc = escalation(inc.id);
    let notify = timer(Some(inc.id), "notify", T0);
    let inc = store
        .create_incident(
            inc,
            vec![ev],
            Effects {
                arm: vec![esc.clone(), notify.clone()],
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let claimed = store.claim_timers(T0, LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);

    // An acknowledgement cancels the escalation, though a worker holds its timer.
    let mut acked = inc.clone();
    acked.version += 1;
    acked.acknowledged_at = Some(T0 + 5);
    store
        .update_incident(IncidentWrite {
            incident: acked.clone(),
            expected_version: inc.version,
            events: vec![note(inc.id, EventKind::Updated, T0 + 5, "acknowledged")],
            effects: Effects {
                cancel: vec![(inc.id, "escalation".into())],
                ..Default::default()
            },
        })
        .await
        .unwrap();
    let left = store.incident_timers(inc.id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, notify.id, "only that kind is cancelled");

    let by_id = |id: Uuid| claimed.iter().find(|t| t.id == id).unwrap().clone();
    let results = store
        .complete_timers(vec![
            TimerDone {
                write: Some(escalate(&acked, T0 + 6, Effects::default())),
                ..done(&by_id(esc.id))
            },
            TimerDone {
                events: vec![note(inc.id, EventKind::Notification, T0 + 6, "told")],
                ..done(&by_id(notify.id))
            },
        ])
        .await
        .unwrap();
    assert!(
        is_conflict(&results[0]),
        "the cancelled timer's completion fails"
    );
    assert!(results[1].is_ok(), "{results:?}");
    assert_eq!(reload(&store, inc.id).await.version, acked.version);
    assert_eq!(store.timer_count().await.unwrap(), 0);

    // Cancel then arm the same kind in one write: the new timer stays.
    let restart = escalation(inc.id);
    let old = escalation(inc.id);
    store.arm_timers(vec![old.clone()]).await.unwrap();
    store
        .update_incident(IncidentWrite {
            incident: Incident {
                version: acked.version + 1,
                ..acked.clone()
            },
            expected_version: acked.version,
            events: Vec::new(),
            effects: Effects {
                cancel: vec![(inc.id, "escalation".into())],
                arm: vec![restart.clone()],
                ..Default::default()
            },
        })
        .await
        .unwrap();
    let left: Vec<Uuid> = store
        .incident_timers(inc.id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(left, vec![restart.id]);

    // A conflicting write applies none of its effects.
    let conflicting = store
        .update_incident(IncidentWrite {
            incident: acked.clone(),
            expected_version: acked.version - 1,
            events: Vec::new(),
            effects: Effects {
                cancel: vec![(inc.id, "escalation".into())],
                ..Default::default()
            },
        })
        .await;
    assert!(is_conflict(&conflicting), "{conflicting:?}");
    assert_eq!(store.timer_count().await.unwrap(), 1);
}

async fn cancel_pages_spares_due_and_tried(store: Arc<dyn Store>) {
    let (inc, ev) = new_incident("Pages wait for their rule");
    let user = Some(Uuid::now_v7());
    let delayed = message(inc.id, user, true, T0 + 300_000);
    let due_now = message(inc.id, user, true, T0 + 10);
    let not_page = message(inc.id, user, false, T0 + 300_000);
    let tried = message(inc.id, user, true, T0);
    let inc = store
        .create_incident(
            inc,
            vec![ev],
            Effects {
                messages: vec![
                    delayed.clone(),
                    due_now.clone(),
                    not_page.clone(),
                    tried.clone(),
                ],
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let (other, other_ev) = new_incident("Another incident");
    let other_page = message(other.id, user, true, T0 + 300_000);
    store
        .create_incident(
            other,
            vec![other_ev],
            Effects {
                messages: vec![other_page.clone()],
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    // One page was tried already (and will be retried later than the acknowledgement).
    let claimed = store.claim_messages(T0, LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message.id, tried.id);
    let failed = Attempt::Failed {
        at: T0,
        error: "connection refused".into(),
        retry_at: Some(T0 + 600_000),
    };
    assert!(
        store
            .record_attempt(tried.id, claimed[0].claim, failed, Vec::new())
            .await
            .unwrap()
    );

    let mut acked = inc.clone();
    acked.version += 1;
    store
        .update_incident(IncidentWrite {
            incident: acked,
            expected_version: inc.version,
            events: Vec::new(),
            effects: Effects {
                cancel_pages: vec![(inc.id, T0 + 20)],
                ..Default::default()
            },
        })
        .await
        .unwrap();
    let status = async |id: Uuid| store.get_message(id).await.unwrap().unwrap().status;
    assert_eq!(status(delayed.id).await, MessageStatus::Canceled);
    assert_eq!(
        status(due_now.id).await,
        MessageStatus::Pending,
        "already due"
    );
    assert_eq!(
        status(not_page.id).await,
        MessageStatus::Pending,
        "not a page"
    );
    assert_eq!(
        status(tried.id).await,
        MessageStatus::Pending,
        "tried already"
    );
    assert_eq!(
        status(other_page.id).await,
        MessageStatus::Pending,
        "other incidents' pages stay"
    );
    let canceled = store
        .list_messages(&MessageQuery {
            incident_id: None,
            status: Some(MessageStatus::Canceled),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(canceled.len(), 1);
    assert_eq!(canceled[0].message.id, delayed.id);
    // Canceled ones are never claimed.
    let claimed = store.claim_messages(T0 + 400_000, LEASE, 10).await.unwrap();
    let ids: HashSet<Uuid> = claimed.iter().map(|m| m.message.id).collect();
    assert!(!ids.contains(&delayed.id));
    assert!(ids.contains(&due_now.id) && ids.contains(&not_page.id));
}

async fn concurrent_claimers_share_nothing(store: Arc<dyn Store>) {
    let timers: Vec<NewTimer> = (0..200).map(|i| timer(None, "sla", T0 + i)).collect();
    store.arm_timers(timers.clone()).await.unwrap();
    let mut workers = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = store.claim_timers(T0 + 1_000, LEASE, 7).await.unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch.into_iter().map(|t| (t.id, t.claim)));
            }
        }));
    }
    let mut all = Vec::new();
    let mut per_worker = Vec::new();
    for w in workers {
        let got = w.await.expect("a claimer");
        per_worker.push(got.len());
        all.extend(got);
    }
    let ids: HashSet<Uuid> = all.iter().map(|(id, _)| *id).collect();
    assert_eq!(all.len(), 200, "no timer claimed twice: {per_worker:?}");
    assert_eq!(ids, timers.iter().map(|t| t.id).collect::<HashSet<_>>());
    // Each completes what it holds; completing with another's claim fails.
    let (id0, claim0) = all[0];
    let (_, other_claim) = *all
        .iter()
        .find(|(_, c)| *c != claim0)
        .expect("several claims");
    let wrong = TimerDone {
        timer_id: id0,
        claim: other_claim,
        write: None,
        effects: Effects::default(),
        events: Vec::new(),
    };
    let results = store.complete_timers(vec![wrong]).await.unwrap();
    assert!(is_conflict(&results[0]));
    let items: Vec<TimerDone> = all
        .iter()
        .map(|(id, claim)| TimerDone {
            timer_id: *id,
            claim: *claim,
            write: None,
            effects: Effects::default(),
            events: Vec::new(),
        })
        .collect();
    let results = store.complete_timers(items).await.unwrap();
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(store.timer_count().await.unwrap(), 0);
    assert_eq!(store.next_timer_due().await.unwrap(), None);

    // The outbox too.
    let inc = create(&store, "Many messages", Effects::default()).await;
    let messages: Vec<OutboxMessage> = (0..120)
        .map(|i| message(inc.id, None, false, T0 + i))
        .collect();
    let queue = escalate(
        &inc,
        T0,
        Effects {
            messages,
            ..Default::default()
        },
    );
    store.update_incident(queue).await.unwrap();
    store
        .append_events(vec![note(inc.id, EventKind::Notification, T0, "queued")])
        .await
        .unwrap();
    let mut workers = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = store.claim_messages(T0 + 1_000, LEASE, 5).await.unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch.into_iter().map(|m| m.message.id));
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.expect("a claimer"));
    }
    let ids: HashSet<Uuid> = all.iter().copied().collect();
    assert_eq!(all.len(), 120, "no message claimed twice");
    assert_eq!(ids.len(), 120);
    assert_eq!(bodies(&store, inc.id).await.last().unwrap(), "queued");
}

async fn outbox_attempts_dead_letters_and_requeue(store: Arc<dyn Store>) {
    let (inc, ev) = new_incident("Deliveries");
    let a = message(inc.id, None, false, T0);
    let mut b = message(inc.id, None, false, T0 + 100);
    b.created_at = T0 + 1;
    let mut later = message(inc.id, None, false, T0 + 10_000);
    later.created_at = T0 + 2;
    let inc = store
        .create_incident(
            inc,
            vec![ev],
            Effects {
                messages: vec![a.clone(), b.clone(), later.clone()],
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();

    let claimed = store.claim_messages(T0 + 100, LEASE, 10).await.unwrap();
    let ids: Vec<Uuid> = claimed.iter().map(|m| m.message.id).collect();
    assert_eq!(ids, vec![a.id, b.id], "due ones, in due order");
    assert!(claimed.iter().all(|m| m.claim != Uuid::nil()));
    assert_eq!(claimed[0].message, a);
    assert!(
        store
            .claim_messages(T0 + 100, LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "held messages are not claimed twice"
    );

    // Sent: only by the holder of the claim; its events land on the timeline.
    let sent = note(
        inc.id,
        EventKind::Notification,
        T0 + 150,
        "webhook delivered",
    );
    assert!(
        !store
            .record_attempt(
                a.id,
                Uuid::now_v7(),
                Attempt::Sent { at: T0 + 150 },
                vec![sent.clone()]
            )
            .await
            .unwrap(),
        "a lost claim records nothing"
    );
    assert!(
        !bodies(&store, inc.id)
            .await
            .contains(&"webhook delivered".into())
    );
    assert!(
        store
            .record_attempt(
                a.id,
                claimed[0].claim,
                Attempt::Sent { at: T0 + 150 },
                vec![sent]
            )
            .await
            .unwrap()
    );
    let m = store.get_message(a.id).await.unwrap().unwrap();
    assert_eq!(m.status, MessageStatus::Sent);
    assert_eq!((m.attempts, m.sent_at), (1, Some(T0 + 150)));
    assert_eq!(m.claim, Uuid::nil());
    assert!(
        bodies(&store, inc.id)
            .await
            .contains(&"webhook delivered".into())
    );

    // Failed: tried again at the retry time, not before.
    let fail = |retry_at| Attempt::Failed {
        at: T0 + 200,
        error: "HTTP 502".into(),
        retry_at,
    };
    assert!(
        store
            .record_attempt(b.id, claimed[1].claim, fail(Some(T0 + 5_000)), Vec::new())
            .await
            .unwrap()
    );
    let m = store.get_message(b.id).await.unwrap().unwrap();
    assert_eq!(m.status, MessageStatus::Pending);
    assert_eq!(m.attempts, 1);
    assert_eq!(m.next_attempt_at, T0 + 5_000);
    assert_eq!(m.last_error.as_deref(), Some("HTTP 502"));
    assert!(
        store
            .claim_messages(T0 + 4_999, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let retry = store.claim_messages(T0 + 5_000, LEASE, 10).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 1);

    // The lease ends; a second worker takes it over and the first one's attempt is refused.
    let taken = store
        .claim_messages(T0 + 5_000 + LEASE, LEASE, 1)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].message.id, b.id, "the oldest due first");
    assert_ne!(taken[0].claim, retry[0].claim);
    assert!(
        !store
            .record_attempt(b.id, retry[0].claim, fail(None), Vec::new())
            .await
            .unwrap()
    );
    // Given up: a dead letter.
    assert!(
        store
            .record_attempt(b.id, taken[0].claim, fail(None), Vec::new())
            .await
            .unwrap()
    );
    let m = store.get_message(b.id).await.unwrap().unwrap();
    assert_eq!((m.status, m.attempts), (MessageStatus::Dead, 2));
    let last = store.claim_messages(T0 + 100_000, LEASE, 10).await.unwrap();
    assert_eq!(last.len(), 1, "dead letters are not claimed");
    assert_eq!(last[0].message.id, later.id);
    let sent = Attempt::Sent { at: T0 + 100_001 };
    assert!(
        store
            .record_attempt(later.id, last[0].claim, sent, Vec::new())
            .await
            .unwrap()
    );

    let dead = store
        .list_messages(&MessageQuery {
            incident_id: None,
            status: Some(MessageStatus::Dead),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].message.id, b.id);
    let all = store
        .list_messages(&MessageQuery {
            incident_id: Some(inc.id),
            status: None,
            limit: 10,
        })
        .await
        .unwrap();
    let ids: Vec<Uuid> = all.iter().map(|m| m.message.id).collect();
    assert_eq!(ids, vec![later.id, b.id, a.id], "newest first");
    assert!(
        all.iter().all(|m| m.claim == Uuid::nil()),
        "listed without claims"
    );
    let top = store
        .list_messages(&MessageQuery {
            incident_id: Some(inc.id),
            status: None,
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!(top.len(), 2);

    // Re-queued: only a dead letter, due now, its attempts kept.
    assert!(!store.requeue_message(a.id, T0 + 200_000).await.unwrap());
    assert!(
        !store
            .requeue_message(Uuid::now_v7(), T0 + 200_000)
            .await
            .unwrap()
    );
    assert!(store.requeue_message(b.id, T0 + 200_000).await.unwrap());
    assert!(!store.requeue_message(b.id, T0 + 200_000).await.unwrap());
    let m = store.get_message(b.id).await.unwrap().unwrap();
    assert_eq!(m.status, MessageStatus::Pending);
    assert_eq!((m.attempts, m.next_attempt_at), (2, T0 + 200_000));
    let again = store.claim_messages(T0 + 200_000, LEASE, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message.id, b.id);
    assert!(store.get_message(Uuid::now_v7()).await.unwrap().is_none());
}

async fn action_links_are_single_use(store: Arc<dyn Store>) {
    let (inc, ev) = new_incident("Acknowledge by mail");
    let user = Uuid::now_v7();
    let link = ActionLink {
        token_hash: format!("{:064x}", 0xfeed_u64),
        incident_id: inc.id,
        user_id: user,
        action: "acknowledge".into(),
        created_at: T0,
        expires_at: T0 + 86_400_000,
        used_at: None,
    };
    let inc = store
        .create_incident(
            inc,
            vec![ev],
            Effects {
                links: vec![link.clone()],
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_action_link(&link.token_hash).await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(store.get_action_link("unknown").await.unwrap(), None);

    // A write computed from an old version: refused, and the link stays unused.
    let mut stale = escalate(&inc, T0 + 10, Effects::default());
    stale.expected_version = inc.version - 1;
    let r = store
        .use_action_link(&link.token_hash, T0 + 10, stale)
        .await;
    assert!(is_conflict(&r), "{r:?}");
    assert_eq!(
        store
            .get_action_link(&link.token_hash)
            .await
            .unwrap()
            .unwrap()
            .used_at,
        None
    );

    let write = escalate(
        &inc,
        T0 + 20,
        Effects {
            cancel: vec![(inc.id, "escalation".into())],
            ..Default::default()
        },
    );
    assert!(
        store
            .use_action_link(&link.token_hash, T0 + 20, write)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get_action_link(&link.token_hash)
            .await
            .unwrap()
            .unwrap()
            .used_at,
        Some(T0 + 20)
    );
    let after = reload(&store, inc.id).await;
    assert_eq!(after.version, inc.version + 1);

    // Second use: refused, nothing written.
    let again = escalate(&after, T0 + 30, Effects::default());
    assert!(
        !store
            .use_action_link(&link.token_hash, T0 + 30, again)
            .await
            .unwrap()
    );
    assert_eq!(reload(&store, inc.id).await.version, after.version);
    assert!(
        !store
            .use_action_link(
                "unknown",
                T0 + 30,
                escalate(&after, T0 + 30, Effects::default())
            )
            .await
            .unwrap()
    );
}

async fn calendar_tokens_replace(store: Arc<dyn Store>) {
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    assert_eq!(store.calendar_token_user("h1").await.unwrap(), None);
    store.set_calendar_token(alice, "h1", T0).await.unwrap();
    store.set_calendar_token(bob, "h2", T0).await.unwrap();
    assert_eq!(store.calendar_token_user("h1").await.unwrap(), Some(alice));
    assert_eq!(store.calendar_token_user("h2").await.unwrap(), Some(bob));
    store.set_calendar_token(alice, "h3", T0 + 1).await.unwrap();
    assert_eq!(
        store.calendar_token_user("h1").await.unwrap(),
        None,
        "replaced"
    );
    assert_eq!(store.calendar_token_user("h3").await.unwrap(), Some(alice));
}

async fn paged_users_in_order_first_paged(store: Arc<dyn Store>) {
    let (inc, ev) = new_incident("Who was paged");
    let (first, second, third) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let at = |mut m: OutboxMessage, created_at| {
        m.created_at = created_at;
        m
    };
    let messages = vec![
        at(message(inc.id, Some(second), true, T0), T0 + 2),
        at(message(inc.id, Some(first), true, T0), T0 + 1),
        at(message(inc.id, None, false, T0), T0),
        at(message(inc.id, Some(second), true, T0), T0 + 3),
        at(message(inc.id, Some(first), true, T0), T0 + 4),
    ];
    let inc = store
        .create_incident(
            inc,
            vec![ev],
            Effects {
                messages,
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    // Another incident's pages do not count.
    let (elsewhere, ev) = new_incident("Elsewhere");
    let page = at(message(elsewhere.id, Some(third), true, T0), T0);
    store
        .create_incident(
            elsewhere,
            vec![ev],
            Effects {
                messages: vec![page],
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        store.paged_users(inc.id).await.unwrap(),
        vec![first, second]
    );
    assert!(store.paged_users(Uuid::now_v7()).await.unwrap().is_empty());
}

async fn intake_commit_applies_effects(store: Arc<dyn Store>) {
    let existing = create(&store, "Open before the batch", Effects::default()).await;
    store
        .arm_timers(vec![timer(Some(existing.id), "escalation", T0)])
        .await
        .unwrap();
    let (fresh, ev) = new_incident("Opened by the batch");
    let fresh_timer = timer(Some(fresh.id), "escalation", T0 + 1);
    let replacement = timer(Some(existing.id), "escalation", T0 + 2);
    let commit = IntakeCommit {
        new_incidents: vec![(fresh.clone(), vec![ev])],
        incident_writes: vec![escalate(
            &existing,
            T0 + 5,
            Effects {
                cancel: vec![(existing.id, "escalation".into())],
                arm: vec![replacement.clone()],
                ..Default::default()
            },
        )],
        effects: Effects {
            arm: vec![fresh_timer.clone()],
            ..Default::default()
        },
        ..Default::default()
    };
    store.commit_intake(commit).await.unwrap();
    let ids = |ts: Vec<mayday_store::Timer>| ts.iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.incident_timers(fresh.id).await.unwrap()),
        vec![fresh_timer.id]
    );
    assert_eq!(
        ids(store.incident_timers(existing.id).await.unwrap()),
        vec![replacement.id]
    );
    assert_eq!(store.timer_count().await.unwrap(), 2);
}
