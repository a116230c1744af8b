//! The taxonomy use cases: creating, changing and deleting categories and resolution codes.

use mayday_core::Role;
use mayday_core::taxonomy::validate_name;
use mayday_store::{Entity, EntityKind};
use serde_json::{Value, json};

use super::{
    Category, Stored, check_version, delete, description_field, insert_record, required,
    update_record,
};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;

pub const CATEGORY_CREATE_FIELDS: &[&str] = &["name", "description", "subcategories"];
pub const CATEGORY_PATCH_FIELDS: &[&str] = &["description", "subcategories"];
pub const RESOLUTION_CODE_FIELDS: &[&str] = &["name"];

fn taxonomy_name_field(input: &mut Input, key: &str) -> Option<String> {
    let v = input.string(key)?;
    match validate_name(&v) {
        Ok(()) => Some(v),
        Err(e) => {
            input.error(key, e);
            None
        }
    }
}

fn subcategories_field(input: &mut Input) -> Option<Vec<String>> {
    let subs = input.strings("subcategories")?;
    let mut problems = Vec::new();
    for (i, s) in subs.iter().enumerate() {
        if let Err(e) = validate_name(s) {
            problems.push(e);
        } else if subs[..i].contains(s) {
            problems.push(format!("{s:?} is listed twice"));
        }
    }
    if problems.is_empty() {
        Some(subs)
    } else {
        input.error("subcategories", problems.join("; "));
        None
    }
}

fn category_doc(c: &Category) -> Value {
    json!({"subcategories": c.subcategories, "description": c.description})
}

fn decode_category(e: &Entity) -> ApiResult<Stored<Category>> {
    let mut c: Category = serde_json::from_value(e.doc.clone())
        .map_err(|err| ApiError::Internal(format!("corrupt category {}: {err}", e.name)))?;
    c.name = e.name.clone();
    Ok(Stored::new(e, c))
}

pub async fn load_category(state: &AppState, name: &str) -> ApiResult<Stored<Category>> {
    let e = state
        .store
        .get_entity_by_name(EntityKind::Category, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no category {name:?}")))?;
    decode_category(&e)
}

pub async fn create_category(
    state: &AppState,
    caller: &Caller,
    mut input: Input,
) -> ApiResult<Stored<Category>> {
    caller.require(Role::Manager, "creating categories")?;
    let name = taxonomy_name_field(&mut input, "name");
    let name = required(&mut input, "name", name);
    let description = description_field(&mut input);
    let subcategories = subcategories_field(&mut input);
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::Internal(
            "validated category name is missing".into(),
        ));
    };
    let c = Category {
        name: name.clone(),
        subcategories: subcategories.unwrap_or_default(),
        description: description.unwrap_or_default(),
    };
    let e = insert_record(state, EntityKind::Category, &name, category_doc(&c)).await?;
    decode_category(&e)
}

pub async fn patch_category(
    state: &AppState,
    caller: &Caller,
    name: &str,
    if_match: Option<i64>,
    mut input: Input,
) -> ApiResult<Stored<Category>> {
    caller.require(Role::Manager, "changing categories")?;
    let old = state
        .store
        .get_entity_by_name(EntityKind::Category, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no category {name:?}")))?;
    check_version(&old, if_match)?;
    let mut c = decode_category(&old)?.item;
    if let Some(d) = description_field(&mut input) {
        c.description = d;
    }
    if let Some(s) = subcategories_field(&mut input) {
        c.subcategories = s;
    }
    input.finish()?;
    let e = update_record(state, &old, &old.name, category_doc(&c)).await?;
    decode_category(&e)
}

pub async fn delete_category(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    caller.require(Role::Manager, "deleting categories")?;
    let e = state
        .store
        .get_entity_by_name(EntityKind::Category, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no category {name:?}")))?;
    delete(state, &e).await
}

pub async fn create_resolution_code(
    state: &AppState,
    caller: &Caller,
    mut input: Input,
) -> ApiResult<String> {
    caller.require(Role::Manager, "creating resolution codes")?;
    let name = taxonomy_name_field(&mut input, "name");
    let name = required(&mut input, "name", name);
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::Internal(
            "validated resolution code is missing".into(),
        ));
    };
    insert_record(state, EntityKind::ResolutionCode, &name, json!({})).await?;
    Ok(name)
}

pub async fn delete_resolution_code(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> ApiResult<()> {
    caller.require(Role::Manager, "deleting resolution codes")?;
    let e = state
        .store
        .get_entity_by_name(EntityKind::ResolutionCode, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no resolution code {name:?}")))?;
    delete(state, &e).await
}
