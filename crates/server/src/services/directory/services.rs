//! Services: creating, changing and deleting them, with their owner team and tier.

use mayday_core::Role;
use mayday_store::{EntityKind, Service, decode_entity, encode_entity};
use uuid::Uuid;

use super::{
    Stored, check_version, conflict, delete, description_field, entity_or_404, find_team,
    insert_record, name_field, required, update_record,
};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;

pub const SERVICE_FIELDS: &[&str] = &["name", "description", "owner_team", "tier"];

fn tier_field(input: &mut Input) -> Option<u8> {
    let v = input.int("tier")?;
    if (1..=3).contains(&v) {
        Some(v as u8)
    } else {
        input.error(
            "tier",
            format!("must be 1 (most critical), 2 or 3, got {v}"),
        );
        None
    }
}

/// The owner team: absent (leave), null (none) or a team id or name.
async fn owner_team_field(state: &AppState, input: &mut Input) -> ApiResult<Option<Option<Uuid>>> {
    match input.nullable_string("owner_team") {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(key)) => match find_team(state.store.as_ref(), key.trim()).await? {
            Some(t) => Ok(Some(Some(t.id))),
            None => {
                input.error("owner_team", format!("no team {key:?}"));
                Ok(None)
            }
        },
    }
}

pub async fn list_services(state: &AppState) -> ApiResult<Vec<Stored<Service>>> {
    state
        .store
        .list_entities(EntityKind::Service)
        .await?
        .iter()
        .map(|e| Ok(Stored::new(e, decode_entity::<Service>(e)?)))
        .collect()
}

pub async fn load_service(state: &AppState, key: &str) -> ApiResult<Stored<Service>> {
    let e = entity_or_404(state.store.as_ref(), EntityKind::Service, key).await?;
    Ok(Stored::new(&e, decode_entity::<Service>(&e)?))
}

pub async fn create_service(
    state: &AppState,
    caller: &Caller,
    mut input: Input,
) -> ApiResult<Stored<Service>> {
    caller.require(Role::Manager, "creating services")?;
    let name = name_field(&mut input, "name");
    let name = required(&mut input, "name", name);
    let description = description_field(&mut input);
    let owner = owner_team_field(state, &mut input).await?;
    let tier = tier_field(&mut input);
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::Internal(
            "validated service name is missing".into(),
        ));
    };
    let service = Service {
        id: Uuid::nil(),
        name: name.clone(),
        description: description.unwrap_or_default(),
        owner_team_id: owner.flatten(),
        tier: tier.unwrap_or(3),
    };
    let e = insert_record(state, EntityKind::Service, &name, encode_entity(&service)).await?;
    Ok(Stored::new(&e, decode_entity::<Service>(&e)?))
}

pub async fn patch_service(
    state: &AppState,
    caller: &Caller,
    key: &str,
    if_match: Option<i64>,
    mut input: Input,
) -> ApiResult<Stored<Service>> {
    caller.require(Role::Manager, "changing services")?;
    let old = entity_or_404(state.store.as_ref(), EntityKind::Service, key).await?;
    check_version(&old, if_match)?;
    let mut service: Service = decode_entity(&old)?;
    if let Some(n) = name_field(&mut input, "name") {
        service.name = n;
    }
    if let Some(d) = description_field(&mut input) {
        service.description = d;
    }
    if let Some(o) = owner_team_field(state, &mut input).await? {
        service.owner_team_id = o;
    }
    if let Some(t) = tier_field(&mut input) {
        service.tier = t;
    }
    input.finish()?;
    let e = update_record(state, &old, &service.name, encode_entity(&service)).await?;
    Ok(Stored::new(&e, decode_entity::<Service>(&e)?))
}

/// Deletes a service no incident refers to.
pub async fn delete_service(state: &AppState, caller: &Caller, key: &str) -> ApiResult<()> {
    caller.require(Role::Manager, "deleting services")?;
    let e = entity_or_404(state.store.as_ref(), EntityKind::Service, key).await?;
    if state
        .store
        .incident_refers_to(EntityKind::Service, e.id)
        .await?
    {
        return Err(conflict(format!(
            "service {:?} is named by incidents; it cannot be deleted",
            e.name
        )));
    }
    delete(state, &e).await
}
