//! Lookups of users, teams, services and the taxonomy, by id or by name.

use mayday_core::Millis;
use mayday_core::taxonomy::{DEFAULT_CATEGORIES, DEFAULT_RESOLUTION_CODES};
use mayday_store::{Entity, EntityKind, Service, Store, StoreResult, Team, User, decode_entity};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

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
