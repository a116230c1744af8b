//! Escalation policies: creating, changing and deleting them. A policy is ordered levels of
//! targets (users, schedules, teams by id or name), each with a delay before the next level,
//! run again `repeat` more times.

use mayday_core::Role;
use mayday_core::oncall::escalation::MAX_DELAY_SECONDS;
use mayday_core::oncall::{EscalationLevel, EscalationPolicy, Target};
use mayday_store::{EntityKind, Policy, Service, Team, decode_entity, encode_entity};
use serde_json::Value;
use uuid::Uuid;

use super::schedules::add_new_errors;
use super::{Obj, record_or_404, require_oncall_reader};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;
use crate::services::directory::{
    Stored, check_version, conflict, delete, description_field, find_entity, insert_record,
    name_field, required, update_record,
};

pub const POLICY_FIELDS: &[&str] = &["name", "description", "levels", "repeat"];
const LEVEL_FIELDS: &[&str] = &["targets", "delay_minutes", "delay_seconds"];
const TARGET_FIELDS: &[&str] = &["kind", "id"];

/// The most levels a policy has.
pub const MAX_LEVELS: usize = 20;
/// The most targets a level names.
pub const MAX_TARGETS: usize = 20;

/// One target, `{"kind": "user"|"schedule"|"team", "id": id or name}`; `None` (reported) when
/// it cannot be read or names nothing.
async fn target(
    state: &AppState,
    input: &mut Input,
    value: &Value,
    path: String,
) -> ApiResult<Option<Target>> {
    let Some(o) = Obj::new(input, value, path.clone(), TARGET_FIELDS) else {
        return Ok(None);
    };
    let kind = o.string(input, "kind", true);
    let key = o.string(input, "id", true);
    let (kind, make): (EntityKind, fn(Uuid) -> Target) = match kind.as_deref() {
        Some("user") => (EntityKind::User, Target::User),
        Some("schedule") => (EntityKind::Schedule, Target::Schedule),
        Some("team") => (EntityKind::Team, Target::Team),
        Some(other) => {
            input.error(
                &o.at("kind"),
                format!("must be user, schedule or team; got {other:?}"),
            );
            return Ok(None);
        }
        None => return Ok(None),
    };
    let Some(key) = key else {
        return Ok(None);
    };
    match find_entity(state.store.as_ref(), kind, key.trim()).await? {
        Some(e) => Ok(Some(make(e.id))),
        None => {
            input.error(&path, format!("no {} {key:?}", kind.as_str()));
            Ok(None)
        }
    }
}

/// A level's delay: exactly one of `delay_minutes` (a number, may be fractional) and
/// `delay_seconds` (a whole number), in seconds; `None` (reported) otherwise.
fn delay(input: &mut Input, o: &Obj<'_>) -> Option<u32> {
    let max_minutes = MAX_DELAY_SECONDS / 60;
    match (o.has("delay_minutes"), o.has("delay_seconds")) {
        (true, true) => {
            input.error(&o.path, "give delay_minutes or delay_seconds, not both");
            None
        }
        (false, false) => {
            input.error(&o.at("delay_minutes"), "is required (or delay_seconds)");
            None
        }
        (true, false) => {
            let v = o.value(input, "delay_minutes", true)?;
            let seconds = v.as_f64().map(|m| (m * 60.0).round());
            match seconds {
                Some(s) if s >= 1.0 && s <= f64::from(MAX_DELAY_SECONDS) => Some(s as u32),
                Some(_) => {
                    input.error(
                        &o.at("delay_minutes"),
                        format!("must be more than 0 and at most {max_minutes} (7 days)"),
                    );
                    None
                }
                None => {
                    input.error(&o.at("delay_minutes"), "must be a number");
                    None
                }
            }
        }
        (false, true) => {
            let v = o.value(input, "delay_seconds", true)?;
            match v.as_u64() {
                Some(s) if (1..=u64::from(MAX_DELAY_SECONDS)).contains(&s) => Some(s as u32),
                Some(_) => {
                    input.error(
                        &o.at("delay_seconds"),
                        format!("must be 1 to {MAX_DELAY_SECONDS} (7 days)"),
                    );
                    None
                }
                None => {
                    input.error(&o.at("delay_seconds"), "must be a whole number of seconds");
                    None
                }
            }
        }
    }
}

/// The `levels` field, if present: every level read, problems reported with their paths
/// (`levels[0].targets[1]`); what cannot be read is left out of the level.
async fn levels_field(
    state: &AppState,
    input: &mut Input,
) -> ApiResult<Option<Vec<EscalationLevel>>> {
    let Some(raw) = input.raw("levels").cloned() else {
        return Ok(None);
    };
    let Some(items) = raw.as_array() else {
        input.error("levels", "must be an array of levels");
        return Ok(None);
    };
    if items.len() > MAX_LEVELS {
        input.error("levels", format!("must have at most {MAX_LEVELS} levels"));
        return Ok(None);
    }
    let mut levels = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        // A stand-in delay for one that cannot be read, so validation has nothing to add.
        let mut level = EscalationLevel {
            targets: Vec::new(),
            delay_seconds: 60,
        };
        if let Some(o) = Obj::new(input, item, format!("levels[{i}]"), LEVEL_FIELDS) {
            if let Some(d) = delay(input, &o) {
                level.delay_seconds = d;
            }
            match o.value(input, "targets", true).map(Value::as_array) {
                None => {}
                Some(None) => input.error(
                    &o.at("targets"),
                    "must be an array of {kind: user|schedule|team, id}",
                ),
                Some(Some(ts)) if ts.len() > MAX_TARGETS => input.error(
                    &o.at("targets"),
                    format!("must have at most {MAX_TARGETS} targets"),
                ),
                Some(Some(ts)) => {
                    for (j, t) in ts.iter().enumerate() {
                        let path = o.at(&format!("targets[{j}]"));
                        if let Some(t) = target(state, input, t, path).await? {
                            level.targets.push(t);
                        }
                    }
                }
            }
        }
        levels.push(level);
    }
    Ok(Some(levels))
}

fn repeat_field(input: &mut Input) -> Option<u32> {
    let v = input.int("repeat")?;
    match u32::try_from(v) {
        Ok(r) => Some(r),
        Err(_) => {
            input.error("repeat", "must be 0 or more");
            None
        }
    }
}

/// Adds what [`EscalationPolicy::validate`] finds, except on fields already reported.
fn check_policy(input: &mut Input, policy: &EscalationPolicy) {
    if let Err(found) = policy.validate() {
        add_new_errors(input, found);
    }
}

pub async fn list_policies(state: &AppState, caller: &Caller) -> ApiResult<Vec<Stored<Policy>>> {
    require_oncall_reader(caller, "reading escalation policies")?;
    state
        .store
        .list_entities(EntityKind::EscalationPolicy)
        .await?
        .iter()
        .map(|e| Ok(Stored::new(e, decode_entity::<Policy>(e)?)))
        .collect()
}

/// A policy by id or name.
pub async fn load_policy(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> ApiResult<Stored<Policy>> {
    require_oncall_reader(caller, "reading escalation policies")?;
    let e = record_or_404(state, EntityKind::EscalationPolicy, key).await?;
    Ok(Stored::new(&e, decode_entity::<Policy>(&e)?))
}

/// Creates a policy (managers and admins): name and levels required, repeat 0 by default.
pub async fn create_policy(
    state: &AppState,
    caller: &Caller,
    mut input: Input,
) -> ApiResult<Stored<Policy>> {
    caller.require(Role::Manager, "creating escalation policies")?;
    let name = name_field(&mut input, "name");
    let name = required(&mut input, "name", name);
    let description = description_field(&mut input);
    let levels = levels_field(state, &mut input).await?;
    let levels = required(&mut input, "levels", levels);
    let repeat = repeat_field(&mut input);
    let policy = EscalationPolicy {
        levels: levels.unwrap_or_default(),
        repeat: repeat.unwrap_or(0),
    };
    check_policy(&mut input, &policy);
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::Internal(
            "validated policy name is missing".into(),
        ));
    };
    let record = Policy {
        id: Uuid::nil(),
        name: name.clone(),
        description: description.unwrap_or_default(),
        policy,
    };
    let e = insert_record(
        state,
        EntityKind::EscalationPolicy,
        &name,
        encode_entity(&record),
    )
    .await?;
    Ok(Stored::new(&e, decode_entity::<Policy>(&e)?))
}

/// Changes a policy (managers and admins): any of name, description, levels (replacing the
/// list) and repeat.
pub async fn patch_policy(
    state: &AppState,
    caller: &Caller,
    key: &str,
    if_match: Option<i64>,
    mut input: Input,
) -> ApiResult<Stored<Policy>> {
    caller.require(Role::Manager, "changing escalation policies")?;
    let old = record_or_404(state, EntityKind::EscalationPolicy, key).await?;
    check_version(&old, if_match)?;
    let mut p: Policy = decode_entity(&old)?;
    if let Some(n) = name_field(&mut input, "name") {
        p.name = n;
    }
    if let Some(d) = description_field(&mut input) {
        p.description = d;
    }
    if let Some(l) = levels_field(state, &mut input).await? {
        p.policy.levels = l;
    }
    if let Some(r) = repeat_field(&mut input) {
        p.policy.repeat = r;
    }
    check_policy(&mut input, &p.policy);
    input.finish()?;
    let e = update_record(state, &old, &p.name, encode_entity(&p)).await?;
    Ok(Stored::new(&e, decode_entity::<Policy>(&e)?))
}

/// Deletes a policy no service and no team uses (managers and admins).
pub async fn delete_policy(state: &AppState, caller: &Caller, key: &str) -> ApiResult<()> {
    caller.require(Role::Manager, "deleting escalation policies")?;
    let e = record_or_404(state, EntityKind::EscalationPolicy, key).await?;
    let mut users = Vec::new();
    for s in state.store.list_entities(EntityKind::Service).await? {
        if decode_entity::<Service>(&s)?.escalation_policy_id == Some(e.id) {
            users.push(format!("service {:?}", s.name));
        }
    }
    for t in state.store.list_entities(EntityKind::Team).await? {
        if decode_entity::<Team>(&t)?.escalation_policy_id == Some(e.id) {
            users.push(format!("team {:?}", t.name));
        }
    }
    if !users.is_empty() {
        return Err(conflict(format!(
            "escalation policy {:?} is used by {}; change them first",
            e.name,
            users.join(", ")
        )));
    }
    delete(state, &e).await
}

/// The policies whose levels name `target`, by name (to refuse deleting what they page).
pub async fn policies_naming(state: &AppState, target: Target) -> ApiResult<Vec<String>> {
    let mut names = Vec::new();
    for p in state
        .store
        .list_entities(EntityKind::EscalationPolicy)
        .await?
    {
        let policy: Policy = decode_entity(&p)?;
        if policy
            .policy
            .levels
            .iter()
            .any(|l| l.targets.contains(&target))
        {
            names.push(p.name);
        }
    }
    Ok(names)
}
