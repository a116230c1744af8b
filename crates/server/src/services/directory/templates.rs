//! Incident templates: who may see them, which incident fields they may fill, and creating,
//! changing and deleting them.

use mayday_core::Role;
use mayday_store::{EntityKind, Template, decode_entity, encode_entity};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{
    Stored, check_version, delete, description_field, entity_or_404, insert_record, name_field,
    required, update_record,
};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;

pub const TEMPLATE_FIELDS: &[&str] = &["name", "description", "fields"];

/// Templates are for people who log incidents: not viewers.
pub fn require_template_reader(caller: &Caller) -> ApiResult<()> {
    if caller.role() == Role::Viewer {
        Err(ApiError::Forbidden(
            "viewers cannot see incident templates".into(),
        ))
    } else {
        Ok(())
    }
}

/// Incident fields a template may fill: what a create request takes, except `template`.
pub fn template_keys() -> impl Iterator<Item = &'static str> {
    crate::services::incidents::CREATE_FIELDS
        .iter()
        .copied()
        .filter(|f| *f != "template")
}

/// Checks a template's `fields`: an object of incident create fields, none null.
pub fn check_template_fields(v: &Value) -> Result<Map<String, Value>, String> {
    let Value::Object(map) = v else {
        return Err("must be an object of incident fields".into());
    };
    let bad: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| !template_keys().any(|f| f == *k))
        .collect();
    if !bad.is_empty() {
        return Err(format!(
            "unknown incident field(s): {}; known fields: {}",
            bad.join(", "),
            template_keys().collect::<Vec<_>>().join(", ")
        ));
    }
    let null: Vec<&str> = map
        .iter()
        .filter(|(_, v)| v.is_null())
        .map(|(k, _)| k.as_str())
        .collect();
    if !null.is_empty() {
        return Err(format!("must not be null: {}", null.join(", ")));
    }
    Ok(map.clone())
}

fn template_fields_field(input: &mut Input) -> Option<Map<String, Value>> {
    let v = input.raw("fields")?.clone();
    match check_template_fields(&v) {
        Ok(m) => Some(m),
        Err(e) => {
            input.error("fields", e);
            None
        }
    }
}

pub async fn list_templates(state: &AppState, caller: &Caller) -> ApiResult<Vec<Stored<Template>>> {
    require_template_reader(caller)?;
    state
        .store
        .list_entities(EntityKind::Template)
        .await?
        .iter()
        .map(|e| Ok(Stored::new(e, decode_entity::<Template>(e)?)))
        .collect()
}

pub async fn load_template(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> ApiResult<Stored<Template>> {
    require_template_reader(caller)?;
    let e = entity_or_404(state.store.as_ref(), EntityKind::Template, key).await?;
    Ok(Stored::new(&e, decode_entity::<Template>(&e)?))
}

pub async fn create_template(
    state: &AppState,
    caller: &Caller,
    mut input: Input,
) -> ApiResult<Stored<Template>> {
    caller.require(Role::Manager, "creating templates")?;
    let name = name_field(&mut input, "name");
    let name = required(&mut input, "name", name);
    let description = description_field(&mut input);
    let fields = template_fields_field(&mut input);
    let fields = required(&mut input, "fields", fields);
    input.finish()?;
    let (Some(name), Some(fields)) = (name, fields) else {
        return Err(ApiError::Internal(
            "validated template fields are missing".into(),
        ));
    };
    let t = Template {
        id: Uuid::nil(),
        name: name.clone(),
        description: description.unwrap_or_default(),
        fields,
    };
    let e = insert_record(state, EntityKind::Template, &name, encode_entity(&t)).await?;
    Ok(Stored::new(&e, decode_entity::<Template>(&e)?))
}

pub async fn patch_template(
    state: &AppState,
    caller: &Caller,
    key: &str,
    if_match: Option<i64>,
    mut input: Input,
) -> ApiResult<Stored<Template>> {
    caller.require(Role::Manager, "changing templates")?;
    let old = entity_or_404(state.store.as_ref(), EntityKind::Template, key).await?;
    check_version(&old, if_match)?;
    let mut t: Template = decode_entity(&old)?;
    if let Some(n) = name_field(&mut input, "name") {
        t.name = n;
    }
    if let Some(d) = description_field(&mut input) {
        t.description = d;
    }
    if let Some(f) = template_fields_field(&mut input) {
        t.fields = f;
    }
    input.finish()?;
    let e = update_record(state, &old, &t.name, encode_entity(&t)).await?;
    Ok(Stored::new(&e, decode_entity::<Template>(&e)?))
}

pub async fn delete_template(state: &AppState, caller: &Caller, key: &str) -> ApiResult<()> {
    caller.require(Role::Manager, "deleting templates")?;
    let e = entity_or_404(state.store.as_ref(), EntityKind::Template, key).await?;
    delete(state, &e).await
}
