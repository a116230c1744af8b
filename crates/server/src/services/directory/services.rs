//! Services: creating, changing and deleting them, with their owner team, tier and escalation
//! policy.

use mayday_core::Role;
use mayday_core::alert::MaintenanceWindow;
use mayday_store::{EntityKind, Service, decode_entity, encode_entity};
use uuid::Uuid;

use super::{
    Stored, check_version, conflict, delete, description_field, entity_or_404, find_team,
    insert_record, name_field, required, update_record,
};
use crate::AppState;
use crate::auth::Caller;
use crate::clock::parse_rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;
use crate::services::oncall::reference_field;

pub const SERVICE_FIELDS: &[&str] = &[
    "name",
    "description",
    "owner_team",
    "tier",
    "default_category",
    "maintenance_windows",
    "escalation_policy",
];

/// The category alerts' incidents get: absent (leave), null (`monitoring`) or a category name.
async fn default_category_field(
    state: &AppState,
    input: &mut Input,
) -> ApiResult<Option<Option<String>>> {
    match input.nullable_string("default_category") {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(name)) => {
            let categories = super::categories(state.store.as_ref()).await?;
            match categories.iter().find(|c| c.name == name.trim()) {
                Some(c) => Ok(Some(Some(c.name.clone()))),
                None => {
                    input.error("default_category", format!("no category {name:?}"));
                    Ok(None)
                }
            }
        }
    }
}

/// Maintenance windows: an array of `{starts_at, ends_at, reason?}` with RFC 3339 times.
fn maintenance_field(input: &mut Input) -> Option<Vec<MaintenanceWindow>> {
    const FIELD: &str = "maintenance_windows";
    let raw = input.raw(FIELD)?.clone();
    let Some(items) = raw.as_array() else {
        input.error(FIELD, "must be an array of {starts_at, ends_at, reason}");
        return None;
    };
    if items.len() > 100 {
        input.error(FIELD, "at most 100 windows");
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let time = |key: &str| -> Result<i64, String> {
            let text = item
                .get(key)
                .and_then(|v| v.as_str())
                .ok_or_else(|| format!("[{n}].{key} is required (an RFC 3339 time)"))?;
            parse_rfc3339(text).map_err(|e| format!("[{n}].{key}: {e}"))
        };
        let window = time("starts_at").and_then(|starts_at| {
            let ends_at = time("ends_at")?;
            if ends_at <= starts_at {
                return Err(format!("[{n}].ends_at must be after starts_at"));
            }
            let reason = match item.get("reason") {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) if s.len() <= 1000 => s.clone(),
                Some(_) => {
                    return Err(format!(
                        "[{n}].reason must be a string of at most 1000 bytes"
                    ));
                }
            };
            Ok(MaintenanceWindow {
                starts_at,
                ends_at,
                reason,
            })
        });
        match window {
            Ok(w) => out.push(w),
            Err(e) => {
                input.error(FIELD, e);
                return None;
            }
        }
    }
    Some(out)
}

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

/// The escalation policy paging for it: absent (leave), null (none) or a policy id or name.
async fn policy_field(state: &AppState, input: &mut Input) -> ApiResult<Option<Option<Uuid>>> {
    reference_field(
        state,
        input,
        "escalation_policy",
        EntityKind::EscalationPolicy,
    )
    .await
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
    let default_category = default_category_field(state, &mut input).await?;
    let maintenance_windows = maintenance_field(&mut input);
    let policy = policy_field(state, &mut input).await?;
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
        default_category: default_category.flatten(),
        maintenance_windows: maintenance_windows.unwrap_or_default(),
        escalation_policy_id: policy.flatten(),
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
    if let Some(c) = default_category_field(state, &mut input).await? {
        service.default_category = c;
    }
    if let Some(w) = maintenance_field(&mut input) {
        service.maintenance_windows = w;
    }
    if let Some(p) = policy_field(state, &mut input).await? {
        service.escalation_policy_id = p;
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
    if !state.store.list_integrations(Some(e.id)).await?.is_empty() {
        return Err(conflict(format!(
            "service {:?} has integrations; delete them first",
            e.name
        )));
    }
    delete(state, &e).await
}
