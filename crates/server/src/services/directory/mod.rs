//! Directory lookups (users, teams, services and the taxonomy by id or by name) and the helpers
//! the directory use cases share: reading, version-checking, writing and deleting records.

mod services;
mod taxonomy;
mod teams;
mod templates;
mod users;

pub use services::*;
pub use taxonomy::*;
pub use teams::*;
pub use templates::*;
pub use users::*;

use mayday_core::Millis;
use mayday_core::taxonomy::{DEFAULT_CATEGORIES, DEFAULT_RESOLUTION_CODES};
use mayday_store::{Entity, EntityKind, Service, Store, StoreResult, Team, User, decode_entity};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;

// The tests below take these from here (`use super::*`), as before the split.
#[cfg(test)]
use crate::auth::Caller;
#[cfg(test)]
use mayday_core::Role;

/// A category and its subcategories.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Category {
    #[serde(skip_deserializing)]
    pub name: String,
    pub subcategories: Vec<String>,
    #[serde(default)]
    pub description: String,
}

async fn find(store: &dyn Store, kind: EntityKind, key: &str) -> StoreResult<Option<Entity>> {
    match Uuid::parse_str(key) {
        Ok(id) => store.get_entity(kind, id).await,
        Err(_) => store.get_entity_by_name(kind, key).await,
    }
}

/// A user by id or username.
pub async fn find_user(store: &dyn Store, key: &str) -> ApiResult<Option<User>> {
    Ok(match find(store, EntityKind::User, key).await? {
        Some(e) => Some(decode_entity(&e)?),
        None => None,
    })
}

/// A team by id or name.
pub async fn find_team(store: &dyn Store, key: &str) -> ApiResult<Option<Team>> {
    Ok(match find(store, EntityKind::Team, key).await? {
        Some(e) => Some(decode_entity(&e)?),
        None => None,
    })
}

/// A service by id or name.
pub async fn find_service(store: &dyn Store, key: &str) -> ApiResult<Option<Service>> {
    Ok(match find(store, EntityKind::Service, key).await? {
        Some(e) => Some(decode_entity(&e)?),
        None => None,
    })
}

pub async fn categories(store: &dyn Store) -> ApiResult<Vec<Category>> {
    store
        .list_entities(EntityKind::Category)
        .await?
        .iter()
        .map(|e| {
            let mut c: Category = serde_json::from_value(e.doc.clone())
                .map_err(|err| ApiError::Internal(format!("corrupt category {}: {err}", e.name)))?;
            c.name = e.name.clone();
            Ok(c)
        })
        .collect()
}

pub async fn resolution_codes(store: &dyn Store) -> ApiResult<Vec<String>> {
    Ok(store
        .list_entities(EntityKind::ResolutionCode)
        .await?
        .into_iter()
        .map(|e| e.name)
        .collect())
}

/// Fills an empty taxonomy with the defaults (first start).
pub async fn seed_taxonomy(store: &dyn Store, now: Millis) -> ApiResult<()> {
    if store.count_entities(EntityKind::Category).await? == 0 {
        for (name, subs) in DEFAULT_CATEGORIES {
            let doc = json!({"subcategories": subs, "description": ""});
            insert_if_absent(store, EntityKind::Category, name, doc, now).await?;
        }
    }
    if store.count_entities(EntityKind::ResolutionCode).await? == 0 {
        for name in DEFAULT_RESOLUTION_CODES {
            insert_if_absent(store, EntityKind::ResolutionCode, name, json!({}), now).await?;
        }
    }
    Ok(())
}

async fn insert_if_absent(
    store: &dyn Store,
    kind: EntityKind,
    name: &str,
    doc: serde_json::Value,
    now: Millis,
) -> ApiResult<()> {
    let e = Entity {
        kind,
        id: Uuid::now_v7(),
        name: name.to_string(),
        version: 1,
        doc,
        created_at: now,
        updated_at: now,
    };
    match store.insert_entity(&e).await {
        // Another node seeded it at the same moment.
        Ok(()) | Err(mayday_store::StoreError::Duplicate { .. }) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// Usernames: 1 to 64 of lowercase letters, digits, `.`, `_`, `-`; not a UUID.
pub fn check_username(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        && Uuid::parse_str(name).is_err();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "must be 1 to 64 lowercase letters, digits, '.', '_' or '-', got {name:?}"
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Directory use cases (in the submodules): users and their credentials, teams, services, the
// taxonomy and templates. Each checks the caller's role, reads every field (one 422 names every
// problem), resolves references by id or name and writes the record with optimistic concurrency.
// ---------------------------------------------------------------------------------------------

/// A typed record with the version and times of its stored entity.
#[derive(Debug, Clone)]
pub struct Stored<T> {
    pub item: T,
    pub version: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl<T> Stored<T> {
    pub fn new(e: &Entity, item: T) -> Self {
        Self {
            item,
            version: e.version,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// Longest team, service, template and token name.
pub const MAX_NAME: usize = 100;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 10_000;

fn label(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::ResolutionCode => "resolution code",
        EntityKind::SlaPolicy => "SLA policy",
        EntityKind::BusinessCalendar => "business calendar",
        k => k.as_str(),
    }
}

/// A record by id or name, if it exists.
pub async fn find_entity(
    store: &dyn Store,
    kind: EntityKind,
    key: &str,
) -> ApiResult<Option<Entity>> {
    Ok(find(store, kind, key).await?)
}

/// A record by id or name, or 404.
pub async fn entity_or_404(store: &dyn Store, kind: EntityKind, key: &str) -> ApiResult<Entity> {
    find_entity(store, kind, key)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no {} {key:?}", label(kind))))
}

/// 412 when `If-Match` names another version than the stored one.
pub fn check_version(e: &Entity, if_match: Option<i64>) -> ApiResult<()> {
    match if_match {
        Some(v) if v != e.version => Err(ApiError::PreconditionFailed(format!(
            "If-Match names version {v} but the {} is at version {}; fetch it again and retry",
            label(e.kind),
            e.version
        ))),
        _ => Ok(()),
    }
}

/// Inserts a new record (409 if the name is taken, case-insensitively).
pub(crate) async fn insert_record(
    state: &AppState,
    kind: EntityKind,
    name: &str,
    doc: Value,
) -> ApiResult<Entity> {
    let now = state.clock.now_ms();
    let e = Entity {
        kind,
        id: Uuid::now_v7(),
        name: name.to_string(),
        version: 1,
        doc,
        created_at: now,
        updated_at: now,
    };
    state
        .store
        .insert_entity(&e)
        .await
        .map_err(|err| duplicate(kind, name, err))?;
    Ok(e)
}

/// A clearer 409 for a taken name than the store's own words.
fn duplicate(kind: EntityKind, name: &str, err: mayday_store::StoreError) -> ApiError {
    match err {
        mayday_store::StoreError::Duplicate { .. } => conflict(format!(
            "a {} named {name:?} already exists (names are unique regardless of case)",
            label(kind)
        )),
        other => other.into(),
    }
}

/// Writes a changed record if it is still at the version it was read at; an unchanged record
/// is left alone (same version).
pub(crate) async fn update_record(
    state: &AppState,
    old: &Entity,
    name: &str,
    doc: Value,
) -> ApiResult<Entity> {
    if old.name == name && old.doc == doc {
        return Ok(old.clone());
    }
    let e = Entity {
        kind: old.kind,
        id: old.id,
        name: name.to_string(),
        version: old.version + 1,
        doc,
        created_at: old.created_at,
        updated_at: state.clock.now_ms().max(old.updated_at),
    };
    state
        .store
        .update_entity(&e, old.version)
        .await
        .map_err(|err| duplicate(old.kind, name, err))?;
    Ok(e)
}

/// Reports `key` as required when the body leaves it out.
pub(crate) fn required<T>(input: &mut Input, key: &str, value: Option<T>) -> Option<T> {
    if value.is_none() && !input.has(key) {
        input.error(key, "is required");
    }
    value
}

/// A name for a team, service, template or token: trimmed, 1 to 100 characters, no control
/// characters and not a UUID (references accept ids and names alike).
pub fn check_entity_name(name: &str) -> Result<String, String> {
    let t = name.trim();
    if t.is_empty() {
        Err("must not be empty".into())
    } else if t.chars().count() > MAX_NAME {
        Err(format!("must be at most {MAX_NAME} characters"))
    } else if t.chars().any(char::is_control) {
        Err("must not contain control characters".into())
    } else if Uuid::parse_str(t).is_ok() {
        Err("must not look like an id (UUID)".into())
    } else {
        Ok(t.to_string())
    }
}

pub(crate) fn name_field(input: &mut Input, key: &str) -> Option<String> {
    let v = input.string(key)?;
    match check_entity_name(&v) {
        Ok(n) => Some(n),
        Err(e) => {
            input.error(key, e);
            None
        }
    }
}

/// A description: null clears it.
pub(crate) fn description_field(input: &mut Input) -> Option<String> {
    let v = input.nullable_string("description")?.unwrap_or_default();
    if v.chars().count() > MAX_DESCRIPTION {
        input.error(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        );
        return None;
    }
    Some(v)
}

pub(crate) fn conflict(detail: String) -> ApiError {
    ApiError::Conflict {
        detail,
        allowed: None,
    }
}

pub(crate) async fn delete(state: &AppState, e: &Entity) -> ApiResult<()> {
    if state.store.delete_entity(e.kind, e.id).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "no {} {:?}",
            label(e.kind),
            e.name
        )))
    }
}

#[cfg(test)]
mod use_case_tests {
    use std::sync::Arc;

    use mayday_core::FixedClock;
    use serde_json::json;

    use super::*;
    use crate::Settings;

    async fn state() -> (AppState, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("mayday-directory-{}", Uuid::now_v7()));
        let store = mayday_store_sqlite::open_dir(&dir).await.unwrap();
        let state = AppState::new(
            Arc::new(store),
            Arc::new(FixedClock::new(1_700_000_000_000)),
            Settings::default(),
        );
        seed_taxonomy(state.store.as_ref(), 0).await.unwrap();
        (state, dir)
    }

    fn caller(role: Role, username: &str) -> Caller {
        Caller {
            user: User {
                id: Uuid::now_v7(),
                username: username.into(),
                display_name: username.into(),
                email: None,
                time_zone: "UTC".into(),
                role,
                active: true,
                contact_methods: Vec::new(),
                notification_rules: Vec::new(),
            },
        }
    }

    fn input(v: Value, allowed: &[&str]) -> Input {
        Input::new(v, allowed).unwrap()
    }

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Invalid(v) => v.0.into_iter().map(|e| e.field).collect(),
            other => panic!("expected 422, got {other}"),
        }
    }

    #[test]
    fn names_emails_and_zones() {
        assert_eq!(check_entity_name("  Net Ops ").unwrap(), "Net Ops");
        assert!(check_entity_name(" ").is_err());
        assert!(check_entity_name(&"x".repeat(101)).is_err());
        assert!(check_entity_name(&Uuid::now_v7().to_string()).is_err());
        assert!(check_email("a@example.com").is_ok());
        for bad in ["a", "@x", "a@", "a b@c", "a@b@c", "a@.c"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert_eq!(check_time_zone("UTC").unwrap(), "UTC");
        assert_eq!(check_time_zone("europe/paris").unwrap(), "Europe/Paris");
        assert!(check_time_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn template_fields_are_incident_create_fields() {
        assert!(check_template_fields(&json!({"title": "t", "impact": 2})).is_ok());
        let e =
            check_template_fields(&json!({"title": "t", "template": "x", "nope": 1})).unwrap_err();
        assert!(e.contains("template") && e.contains("nope"), "{e}");
        assert!(check_template_fields(&json!({"title": null})).is_err());
        assert!(check_template_fields(&json!([])).is_err());
    }

    #[test]
    fn self_is_matched_by_id_or_username() {
        let c = caller(Role::Requester, "bob");
        assert!(is_self(&c, "bob"));
        assert!(is_self(&c, "BOB"));
        assert!(is_self(&c, &c.user.id.to_string()));
        assert!(!is_self(&c, "alice"));
        assert!(!is_self(&c, &Uuid::now_v7().to_string()));
    }

    #[tokio::test]
    async fn teams_and_services_follow_the_rules() {
        let (state, dir) = state().await;
        let admin = caller(Role::Admin, "root");
        let manager = caller(Role::Manager, "mgr");
        let agent = caller(Role::Agent, "ag");

        let alice = create_user(
            &state,
            &admin,
            input(
                json!({"username": "alice", "role": "agent"}),
                USER_CREATE_FIELDS,
            ),
        )
        .await
        .unwrap();
        assert_eq!(alice.item.display_name, "alice");
        assert_eq!(alice.item.time_zone, "UTC");

        // Every problem is named at once.
        let err = create_team(
            &state,
            &manager,
            input(
                json!({"name": "", "description": 1, "members": ["ghost"]}),
                TEAM_FIELDS,
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(fields(err), ["name", "description", "members"]);

        let err = create_team(&state, &agent, input(json!({"name": "ops"}), TEAM_FIELDS))
            .await
            .unwrap_err();
        assert!(matches!(err, ApiError::Forbidden(_)));

        let team = create_team(
            &state,
            &manager,
            input(
                json!({"name": "Ops", "members": ["ALICE", alice.item.id]}),
                TEAM_FIELDS,
            ),
        )
        .await
        .unwrap();
        assert_eq!(team.item.members, vec![alice.item.id]);
        let dup = create_team(&state, &manager, input(json!({"name": "ops"}), TEAM_FIELDS))
            .await
            .unwrap_err();
        assert!(matches!(dup, ApiError::Conflict { .. }));

        let svc = create_service(
            &state,
            &manager,
            input(json!({"name": "Web", "owner_team": "ops"}), SERVICE_FIELDS),
        )
        .await
        .unwrap();
        assert_eq!(svc.item.tier, 3);
        assert_eq!(svc.item.owner_team_id, Some(team.item.id));

        // A team that owns a service stays.
        let err = delete_team(&state, &manager, "ops").await.unwrap_err();
        assert!(matches!(err, ApiError::Conflict { .. }));

        // Stale If-Match is refused; a fresh one passes and bumps the version.
        let err = patch_service(
            &state,
            &manager,
            "web",
            Some(svc.version + 1),
            input(json!({"owner_team": null}), SERVICE_FIELDS),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, ApiError::PreconditionFailed(_)));
        let svc2 = patch_service(
            &state,
            &manager,
            "web",
            Some(svc.version),
            input(json!({"owner_team": null}), SERVICE_FIELDS),
        )
        .await
        .unwrap();
        assert_eq!(svc2.version, svc.version + 1);
        assert_eq!(svc2.item.owner_team_id, None);

        delete_team(&state, &manager, "ops").await.unwrap();
        let err = delete_team(&state, &manager, "ops").await.unwrap_err();
        assert!(matches!(err, ApiError::NotFound(_)));

        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn admins_cannot_demote_themselves() {
        let (state, dir) = state().await;
        let root = caller(Role::Admin, "root");
        let admin = create_user(
            &state,
            &root,
            input(
                json!({"username": "boss", "role": "admin"}),
                USER_CREATE_FIELDS,
            ),
        )
        .await
        .unwrap();
        let me = Caller {
            user: admin.item.clone(),
        };
        let err = patch_user(
            &state,
            &me,
            "boss",
            None,
            input(json!({"role": "agent", "active": false}), USER_PATCH_FIELDS),
        )
        .await
        .unwrap_err();
        assert_eq!(fields(err), ["role", "active"]);
        // Another admin may.
        let changed = patch_user(
            &state,
            &root,
            "boss",
            None,
            input(json!({"role": "agent"}), USER_PATCH_FIELDS),
        )
        .await
        .unwrap();
        assert_eq!(changed.item.role, Role::Agent);
        let _ = std::fs::remove_dir_all(dir);
    }
}
