//! Integrations: where a service's monitoring sends alerts. Managers create, change and delete
//! them; agents may read them (without the key). The key is a secret: given at creation to keep
//! the one a monitoring setup already uses, or generated.

use mayday_core::Role;
use mayday_core::alert::{GenericMapping, Grouping, IntegrationKind, KEY_LEN};
use mayday_store::{EntityKind, Integration, IntegrationSettings, StoreError};
use serde_json::Value;
use uuid::Uuid;

use super::directory::{check_entity_name, entity_or_404};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;

pub const CREATE_FIELDS: &[&str] = &[
    "kind",
    "name",
    "key",
    "grouping",
    "mapping",
    "heartbeat_interval_seconds",
    "rate_limit_per_minute",
    "auto_resolve",
];

pub const PATCH_FIELDS: &[&str] = &[
    "name",
    "key",
    "grouping",
    "mapping",
    "heartbeat_interval_seconds",
    "rate_limit_per_minute",
    "auto_resolve",
];

/// Checks a key a caller chose. PagerDuty routing keys are exactly 32 characters; others may be
/// up to 64 (an Opsgenie API key is a 36-character UUID).
pub fn check_key(kind: IntegrationKind, key: &str) -> Result<(), String> {
    let valid_chars = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid_chars {
        return Err("may contain only letters, digits, '-' and '_'".into());
    }
    let n = key.len();
    if kind == IntegrationKind::PagerdutyEventsV2 {
        if n != KEY_LEN {
            return Err(format!("must be exactly {KEY_LEN} characters, got {n}"));
        }
    } else if !(KEY_LEN..=64).contains(&n) {
        return Err(format!("must be {KEY_LEN} to 64 characters, got {n}"));
    }
    Ok(())
}

fn grouping_field(input: &mut Input) -> Option<Grouping> {
    let raw = input.raw("grouping")?.clone();
    match serde_json::from_value::<Grouping>(raw) {
        Ok(g) => match g.validate() {
            Ok(()) => Some(g),
            Err(e) => {
                input.error("grouping", e);
                None
            }
        },
        Err(e) => {
            input.error(
                "grouping",
                format!(
                    "must be {{\"mode\": \"per_alert\"}}, {{\"mode\": \"source_group\"}} or \
                     {{\"mode\": \"content_window\", \"window_seconds\": N, \"fields\": [...]}}: {e}"
                ),
            );
            None
        }
    }
}

fn mapping_field(input: &mut Input) -> Option<Option<GenericMapping>> {
    match input.raw("mapping")?.clone() {
        Value::Null => Some(None),
        raw => {
            let Some(obj) = raw.as_object() else {
                input.error("mapping", "must be an object of JSON Pointers");
                return None;
            };
            let mut m = GenericMapping::default();
            let mut ok = true;
            for (name, value) in obj {
                let Some(pointer) = value.as_str() else {
                    input.error("mapping", format!("{name} must be a JSON Pointer string"));
                    ok = false;
                    continue;
                };
                let slot = match name.as_str() {
                    "summary" => &mut m.summary,
                    "severity" => &mut m.severity,
                    "dedup_key" => &mut m.dedup_key,
                    "status" => &mut m.status,
                    "details" => &mut m.details,
                    other => {
                        input.error(
                            "mapping",
                            format!(
                                "unknown key {other:?}; one of summary, severity, dedup_key, status, details"
                            ),
                        );
                        ok = false;
                        continue;
                    }
                };
                *slot = pointer.to_string();
            }
            // The pointers are checked as the intake will read them.
            if let Err(errors) = mayday_intake::generic::check_mapping(&m) {
                for (field, message) in errors {
                    input.error("mapping", format!("{field}: {message}"));
                }
                ok = false;
            }
            ok.then_some(Some(m))
        }
    }
}

/// A positive number, or null (none); `max` bounds it.
fn optional_count(input: &mut Input, key: &str, max: i64) -> Option<Option<u32>> {
    match input.raw(key)? {
        Value::Null => Some(None),
        v => match v.as_i64() {
            Some(n) if (1..=max).contains(&n) => Some(Some(n as u32)),
            _ => {
                input.error(key, format!("must be an integer from 1 to {max}, or null"));
                None
            }
        },
    }
}

fn name_of(input: &mut Input) -> Option<String> {
    let name = input.string("name")?;
    match check_entity_name(&name) {
        Ok(n) => Some(n),
        Err(e) => {
            input.error("name", e);
            None
        }
    }
}

/// Applies the settings fields the input carries (create and patch alike).
fn read_settings(input: &mut Input, settings: &mut IntegrationSettings) {
    if let Some(g) = grouping_field(input) {
        settings.grouping = g;
    }
    if let Some(m) = mapping_field(input) {
        settings.mapping = m;
    }
    if let Some(v) = optional_count(input, "heartbeat_interval_seconds", 7 * 24 * 3600) {
        settings.heartbeat_interval_seconds = v;
    }
    if let Some(v) = optional_count(input, "rate_limit_per_minute", 1_000_000) {
        settings.rate_limit_per_minute = v;
    }
    if let Some(v) = input.bool("auto_resolve") {
        settings.auto_resolve = v;
    }
}

/// Checks that the settings fit the kind.
fn check_settings(kind: IntegrationKind, s: &IntegrationSettings, input: &mut Input) {
    if kind == IntegrationKind::Heartbeat && s.heartbeat_interval_seconds.is_none() {
        input.error(
            "heartbeat_interval_seconds",
            "is required for a heartbeat integration",
        );
    }
    if kind != IntegrationKind::Heartbeat && s.heartbeat_interval_seconds.is_some() {
        input.error(
            "heartbeat_interval_seconds",
            "applies only to heartbeat integrations",
        );
    }
    if kind != IntegrationKind::GenericJson && s.mapping.is_some() {
        input.error("mapping", "applies only to generic_json integrations");
    }
}

fn duplicate_key(e: StoreError) -> ApiError {
    match e {
        StoreError::Duplicate { .. } => ApiError::Conflict {
            detail: "another integration already uses this key".into(),
            allowed: None,
        },
        other => other.into(),
    }
}

pub async fn create(
    state: &AppState,
    caller: &Caller,
    service_key: &str,
    mut input: Input,
) -> ApiResult<Integration> {
    caller.require(Role::Manager, "creating integrations")?;
    let service = entity_or_404(state.store.as_ref(), EntityKind::Service, service_key).await?;
    let kind = match input.string("kind") {
        Some(k) => match IntegrationKind::parse(&k) {
            Ok(k) => Some(k),
            Err(e) => {
                input.error("kind", e);
                None
            }
        },
        None => {
            input.error("kind", "is required");
            None
        }
    };
    let name = name_of(&mut input);
    if name.is_none() && !input.has("name") {
        input.error("name", "is required");
    }
    let key = input.string("key");
    let mut settings = IntegrationSettings::default();
    read_settings(&mut input, &mut settings);
    if let Some(kind) = kind {
        if let Some(k) = &key
            && let Err(e) = check_key(kind, k)
        {
            input.error("key", e);
        }
        check_settings(kind, &settings, &mut input);
    }
    input.finish()?;
    let (Some(kind), Some(name)) = (kind, name) else {
        return Err(ApiError::Internal("validated fields are missing".into()));
    };
    let now = state.clock.now_ms();
    let integration = Integration {
        id: Uuid::now_v7(),
        service_id: service.id,
        kind,
        name,
        key: key.unwrap_or_else(crate::intake::generate_key),
        settings,
        version: 1,
        created_at: now,
        updated_at: now,
        last_event_at: None,
    };
    state
        .store
        .insert_integration(&integration)
        .await
        .map_err(duplicate_key)?;
    state.intake.forget(&integration.key);
    Ok(integration)
}

/// An integration by id, or 404.
pub async fn load(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Integration> {
    caller.require(Role::Agent, "reading integrations")?;
    let not_found = || ApiError::NotFound(format!("no integration {id:?}"));
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    state.store.get_integration(id).await?.ok_or_else(not_found)
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    service_key: &str,
) -> ApiResult<Vec<Integration>> {
    caller.require(Role::Agent, "reading integrations")?;
    let service = entity_or_404(state.store.as_ref(), EntityKind::Service, service_key).await?;
    Ok(state.store.list_integrations(Some(service.id)).await?)
}

pub async fn patch(
    state: &AppState,
    caller: &Caller,
    id: &str,
    if_match: Option<i64>,
    mut input: Input,
) -> ApiResult<Integration> {
    let old = load(state, caller, id).await?;
    caller.require(Role::Manager, "changing integrations")?;
    if let Some(v) = if_match
        && v != old.version
    {
        return Err(ApiError::PreconditionFailed(format!(
            "If-Match names version {v} but the integration is at version {}; fetch it again",
            old.version
        )));
    }
    let mut new = old.clone();
    if let Some(n) = name_of(&mut input) {
        new.name = n;
    }
    if let Some(k) = input.string("key") {
        match check_key(new.kind, &k) {
            Ok(()) => new.key = k,
            Err(e) => input.error("key", e),
        }
    }
    read_settings(&mut input, &mut new.settings);
    check_settings(new.kind, &new.settings, &mut input);
    input.finish()?;
    if new == old {
        return Ok(old);
    }
    new.version = old.version + 1;
    new.updated_at = state.clock.now_ms();
    match state.store.update_integration(&new, old.version).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. }) => {
            return Err(ApiError::Conflict {
                detail: "the integration changed while this request was applied; retry".into(),
                allowed: None,
            });
        }
        Err(e) => return Err(duplicate_key(e)),
    }
    state.intake.forget(&old.key);
    state.intake.forget(&new.key);
    Ok(new)
}

pub async fn delete(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    let old = load(state, caller, id).await?;
    caller.require(Role::Manager, "deleting integrations")?;
    state.store.delete_integration(old.id).await?;
    state.intake.forget(&old.key);
    Ok(())
}
