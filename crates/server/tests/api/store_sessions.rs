//! Web console sessions through the `Store` trait on each engine (no HTTP): create and read
//! back, sliding expiry (an expired session is neither returned nor touched), signing out one
//! session or all of a user's, the purge of expired ones, duplicate hashes, and users' sessions
//! kept apart.

use std::sync::Arc;

use mayday_core::clock::Millis;
use mayday_store::{Session, Store, StoreError};
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
    sessions_create_and_get => sqlite_sessions_create_and_get, postgres_sessions_create_and_get;
    sessions_slide_and_expire => sqlite_sessions_slide_and_expire, postgres_sessions_slide_and_expire;
    sessions_delete_one => sqlite_sessions_delete_one, postgres_sessions_delete_one;
    sessions_delete_user_sessions => sqlite_sessions_delete_user_sessions, postgres_sessions_delete_user_sessions;
    sessions_purge_expired => sqlite_sessions_purge_expired, postgres_sessions_purge_expired;
    sessions_duplicate_hash => sqlite_sessions_duplicate_hash, postgres_sessions_duplicate_hash;
}

const T0: Millis = 1_700_000_000_000;
/// How long a session lives without use.
const IDLE: i64 = 30 * 60 * 1_000;

/// A session for `user_id` created at `T0`, expiring after [`IDLE`].
fn session(id_hash: &str, user_id: Uuid) -> Session {
    Session {
        id_hash: id_hash.into(),
        user_id,
        csrf_token: format!("csrf-{id_hash}"),
        created_at: T0,
        last_seen_at: T0,
        expires_at: T0 + IDLE,
    }
}

async fn sessions_create_and_get(store: Arc<dyn Store>) {
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    assert_eq!(store.get_session("h-alice", T0).await.unwrap(), None);
    let a = session("h-alice", alice);
    let b = session("h-bob", bob);
    store.create_session(&a).await.unwrap();
    store.create_session(&b).await.unwrap();
    assert_eq!(
        store.get_session("h-alice", T0).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.get_session("h-bob", T0 + 1).await.unwrap(), Some(b));
    assert_eq!(
        store.get_session("h-alice", T0 + IDLE - 1).await.unwrap(),
        Some(a),
        "valid until the last instant before its expiry"
    );
    assert_eq!(
        store.get_session("h-alice", T0 + IDLE).await.unwrap(),
        None,
        "expired at its expiry"
    );
    assert_eq!(store.get_session("h-nobody", T0).await.unwrap(), None);
}

async fn sessions_slide_and_expire(store: Arc<dyn Store>) {
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    store
        .create_session(&session("h-alice", alice))
        .await
        .unwrap();
    store.create_session(&session("h-bob", bob)).await.unwrap();

    // A use moves the expiry: the session outlives its first deadline.
    let used = T0 + IDLE - 1;
    assert!(
        store
            .touch_session("h-alice", used, used + IDLE)
            .await
            .unwrap()
    );
    let got = store
        .get_session("h-alice", T0 + IDLE + 1)
        .await
        .unwrap()
        .expect("alive after the slide");
    assert_eq!(got.last_seen_at, used);
    assert_eq!(got.expires_at, used + IDLE);
    assert_eq!(got.created_at, T0, "creation is not a use");
    assert_eq!(got.csrf_token, "csrf-h-alice");

    // Bob's session did not move with Alice's.
    assert_eq!(
        store.get_session("h-bob", T0 + IDLE + 1).await.unwrap(),
        None
    );
    let bob_at_t0 = store.get_session("h-bob", T0).await.unwrap().unwrap();
    assert_eq!(bob_at_t0.last_seen_at, T0);
    assert_eq!(bob_at_t0.expires_at, T0 + IDLE);

    // An expired session cannot be revived, nor can one that is not there.
    assert!(
        !store
            .touch_session("h-bob", T0 + IDLE, T0 + 2 * IDLE)
            .await
            .unwrap()
    );
    assert_eq!(store.get_session("h-bob", T0 + IDLE).await.unwrap(), None);
    let bob_after = store.get_session("h-bob", T0).await.unwrap().unwrap();
    assert_eq!(
        bob_after.expires_at,
        T0 + IDLE,
        "the failed touch wrote nothing"
    );
    assert!(
        !store
            .touch_session("h-nobody", T0, T0 + IDLE)
            .await
            .unwrap()
    );

    // Alice's slid session expires in turn.
    assert_eq!(
        store.get_session("h-alice", used + IDLE).await.unwrap(),
        None
    );
    assert!(
        !store
            .touch_session("h-alice", used + IDLE, used + 2 * IDLE)
            .await
            .unwrap()
    );
}

async fn sessions_delete_one(store: Arc<dyn Store>) {
    let alice = Uuid::now_v7();
    store
        .create_session(&session("h-laptop", alice))
        .await
        .unwrap();
    store
        .create_session(&session("h-phone", alice))
        .await
        .unwrap();
    assert!(store.delete_session("h-laptop").await.unwrap());
    assert!(
        !store.delete_session("h-laptop").await.unwrap(),
        "already gone"
    );
    assert!(!store.delete_session("h-nobody").await.unwrap());
    assert_eq!(store.get_session("h-laptop", T0).await.unwrap(), None);
    assert!(
        !store
            .touch_session("h-laptop", T0, T0 + IDLE)
            .await
            .unwrap(),
        "a signed-out session cannot be used"
    );
    assert!(
        store.get_session("h-phone", T0).await.unwrap().is_some(),
        "the user's other session stays"
    );
}

async fn sessions_delete_user_sessions(store: Arc<dyn Store>) {
    let (alice, bob, carol) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    for h in ["h-a1", "h-a2", "h-a3"] {
        store.create_session(&session(h, alice)).await.unwrap();
    }
    store.create_session(&session("h-b1", bob)).await.unwrap();
    assert_eq!(store.delete_user_sessions(alice).await.unwrap(), 3);
    for h in ["h-a1", "h-a2", "h-a3"] {
        assert_eq!(store.get_session(h, T0).await.unwrap(), None, "{h}");
    }
    assert_eq!(
        store.get_session("h-b1", T0).await.unwrap(),
        Some(session("h-b1", bob)),
        "another user's session is untouched"
    );
    assert_eq!(store.delete_user_sessions(alice).await.unwrap(), 0);
    assert_eq!(store.delete_user_sessions(carol).await.unwrap(), 0);
    assert!(
        store
            .touch_session("h-b1", T0 + 1, T0 + IDLE)
            .await
            .unwrap()
    );
}

async fn sessions_purge_expired(store: Arc<dyn Store>) {
    let alice = Uuid::now_v7();
    let with_expiry = |h: &str, expires_at| Session {
        expires_at,
        ..session(h, alice)
    };
    store
        .create_session(&with_expiry("h-old", T0 + 10))
        .await
        .unwrap();
    store
        .create_session(&with_expiry("h-edge", T0 + 20))
        .await
        .unwrap();
    store
        .create_session(&with_expiry("h-live", T0 + IDLE))
        .await
        .unwrap();
    assert_eq!(
        store.purge_sessions(T0).await.unwrap(),
        0,
        "none expired yet"
    );
    assert_eq!(
        store.purge_sessions(T0 + 20).await.unwrap(),
        1,
        "only those that expired before the instant"
    );
    assert!(!store.delete_session("h-old").await.unwrap(), "purged");
    assert!(
        store
            .get_session("h-edge", T0 + 19)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.purge_sessions(T0 + 21).await.unwrap(), 1);
    assert!(!store.delete_session("h-edge").await.unwrap(), "purged");
    assert!(
        store
            .get_session("h-live", T0 + 21)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.purge_sessions(T0 + 21).await.unwrap(), 0);
    assert_eq!(store.purge_sessions(T0 + IDLE + 1).await.unwrap(), 1);
    assert_eq!(store.delete_user_sessions(alice).await.unwrap(), 0);
}

async fn sessions_duplicate_hash(store: Arc<dyn Store>) {
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let first = session("h-same", alice);
    store.create_session(&first).await.unwrap();
    let again = Session {
        csrf_token: "other".into(),
        ..session("h-same", bob)
    };
    let err = store.create_session(&again).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Duplicate { .. }),
        "duplicate hash: {err:?}"
    );
    assert_eq!(
        store.get_session("h-same", T0).await.unwrap(),
        Some(first),
        "the first session is kept as it was"
    );
    assert_eq!(store.delete_user_sessions(bob).await.unwrap(), 0);
}
