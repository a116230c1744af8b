//! Teams: who may see them, and creating, changing and deleting them (with their members,
//! on-call schedule and escalation policy).

use mayday_core::Role;
use mayday_core::oncall::Target;
use mayday_store::{EntityKind, Service, Team, decode_entity, encode_entity};
use uuid::Uuid;

use super::{
    Stored, check_version, conflict, delete, description_field, entity_or_404, find_user,
    insert_record, name_field, required, update_record,
};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;
use crate::services::oncall::{policies_naming, reference_field};

pub const TEAM_FIELDS: &[&str] = &[
    "name",
    "description",
    "members",
    "schedule",
    "escalation_policy",
];

/// Teams are hidden from requesters.
pub fn require_team_reader(caller: &Caller) -> ApiResult<()> {
    if caller.role() == Role::Requester {
        Err(ApiError::Forbidden("requesters cannot see teams".into()))
    } else {
        Ok(())
    }
}

/// Resolves users by id or username, in order without repeats; one error names every unknown.
async fn members_field(state: &AppState, input: &mut Input) -> ApiResult<Option<Vec<Uuid>>> {
    let Some(keys) = input.strings("members") else {
        return Ok(None);
    };
    let mut ids = Vec::with_capacity(keys.len());
    let mut unknown = Vec::new();
    for key in &keys {
        match find_user(state.store.as_ref(), key.trim()).await? {
            Some(u) if !ids.contains(&u.id) => ids.push(u.id),
            Some(_) => {}
            None => unknown.push(format!("{key:?}")),
        }
    }
    if unknown.is_empty() {
        Ok(Some(ids))
    } else {
        input.error(
            "members",
            format!("no such user(s): {}", unknown.join(", ")),
        );
        Ok(None)
    }
}

pub async fn list_teams(state: &AppState, caller: &Caller) -> ApiResult<Vec<Stored<Team>>> {
    require_team_reader(caller)?;
    state
        .store
        .list_entities(EntityKind::Team)
        .await?
        .iter()
        .map(|e| Ok(Stored::new(e, decode_entity::<Team>(e)?)))
        .collect()
}

pub async fn load_team(state: &AppState, caller: &Caller, key: &str) -> ApiResult<Stored<Team>> {
    require_team_reader(caller)?;
    let e = entity_or_404(state.store.as_ref(), EntityKind::Team, key).await?;
    Ok(Stored::new(&e, decode_entity::<Team>(&e)?))
}

pub async fn create_team(
    state: &AppState,
    caller: &Caller,
    mut input: Input,
) -> ApiResult<Stored<Team>> {
    caller.require(Role::Manager, "creating teams")?;
    let name = name_field(&mut input, "name");
    let name = required(&mut input, "name", name);
    let description = description_field(&mut input);
    let members = members_field(state, &mut input).await?;
    let schedule = reference_field(state, &mut input, "schedule", EntityKind::Schedule).await?;
    let policy = reference_field(
        state,
        &mut input,
        "escalation_policy",
        EntityKind::EscalationPolicy,
    )
    .await?;
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::Internal("validated team name is missing".into()));
    };
    let team = Team {
        id: Uuid::nil(),
        name: name.clone(),
        description: description.unwrap_or_default(),
        members: members.unwrap_or_default(),
        schedule_id: schedule.flatten(),
        escalation_policy_id: policy.flatten(),
    };
    let e = insert_record(state, EntityKind::Team, &name, encode_entity(&team)).await?;
    Ok(Stored::new(&e, decode_entity::<Team>(&e)?))
}

pub async fn patch_team(
    state: &AppState,
    caller: &Caller,
    key: &str,
    if_match: Option<i64>,
    mut input: Input,
) -> ApiResult<Stored<Team>> {
    caller.require(Role::Manager, "changing teams")?;
    let old = entity_or_404(state.store.as_ref(), EntityKind::Team, key).await?;
    check_version(&old, if_match)?;
    let mut team: Team = decode_entity(&old)?;
    if let Some(n) = name_field(&mut input, "name") {
        team.name = n;
    }
    if let Some(d) = description_field(&mut input) {
        team.description = d;
    }
    if let Some(m) = members_field(state, &mut input).await? {
        team.members = m;
    }
    if let Some(s) = reference_field(state, &mut input, "schedule", EntityKind::Schedule).await? {
        team.schedule_id = s;
    }
    if let Some(p) = reference_field(
        state,
        &mut input,
        "escalation_policy",
        EntityKind::EscalationPolicy,
    )
    .await?
    {
        team.escalation_policy_id = p;
    }
    input.finish()?;
    let e = update_record(state, &old, &team.name, encode_entity(&team)).await?;
    Ok(Stored::new(&e, decode_entity::<Team>(&e)?))
}

/// Deletes a team no incident, no service and no escalation policy refers to.
pub async fn delete_team(state: &AppState, caller: &Caller, key: &str) -> ApiResult<()> {
    caller.require(Role::Manager, "deleting teams")?;
    let e = entity_or_404(state.store.as_ref(), EntityKind::Team, key).await?;
    if state
        .store
        .incident_refers_to(EntityKind::Team, e.id)
        .await?
    {
        return Err(conflict(format!(
            "team {:?} is named by incidents; it cannot be deleted",
            e.name
        )));
    }
    let owned: Vec<String> = state
        .store
        .list_entities(EntityKind::Service)
        .await?
        .iter()
        .filter_map(|s| decode_entity::<Service>(s).ok())
        .filter(|s| s.owner_team_id == Some(e.id))
        .map(|s| format!("{:?}", s.name))
        .collect();
    if !owned.is_empty() {
        return Err(conflict(format!(
            "team {:?} owns service(s) {}; give them another owner first",
            e.name,
            owned.join(", ")
        )));
    }
    let policies = policies_naming(state, Target::Team(e.id)).await?;
    if !policies.is_empty() {
        return Err(conflict(format!(
            "escalation policy(ies) {} page team {:?}; change them first",
            policies
                .iter()
                .map(|p| format!("{p:?}"))
                .collect::<Vec<_>>()
                .join(", "),
            e.name
        )));
    }
    delete(state, &e).await
}
