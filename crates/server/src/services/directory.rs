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

// ---------------------------------------------------------------------------------------------
// Directory use cases: users and their credentials, teams, services, the taxonomy and
// templates. Each checks the caller's role, reads every field (one 422 names every problem),
// resolves references by id or name and writes the record with optimistic concurrency.
// ---------------------------------------------------------------------------------------------

use mayday_core::Role;
use mayday_core::taxonomy::validate_name;
use mayday_store::{ApiToken, Template, encode_entity, name_key};
use serde_json::{Map, Value};

use crate::AppState;
use crate::auth::{self, Caller};
use crate::input::Input;

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
/// Longest display name.
pub const MAX_DISPLAY_NAME: usize = 200;

pub const USER_CREATE_FIELDS: &[&str] = &[
    "username",
    "display_name",
    "email",
    "time_zone",
    "role",
    "password",
];
pub const USER_PATCH_FIELDS: &[&str] = &["display_name", "email", "time_zone", "role", "active"];
pub const PASSWORD_FIELDS: &[&str] = &["password", "current_password"];
pub const TOKEN_FIELDS: &[&str] = &["name", "expires_at"];
pub const TEAM_FIELDS: &[&str] = &["name", "description", "members"];
pub const SERVICE_FIELDS: &[&str] = &["name", "description", "owner_team", "tier"];
pub const CATEGORY_CREATE_FIELDS: &[&str] = &["name", "description", "subcategories"];
pub const CATEGORY_PATCH_FIELDS: &[&str] = &["description", "subcategories"];
pub const RESOLUTION_CODE_FIELDS: &[&str] = &["name"];
pub const TEMPLATE_FIELDS: &[&str] = &["name", "description", "fields"];

fn label(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::ResolutionCode => "resolution code",
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
async fn insert_record(
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
async fn update_record(
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
fn required<T>(input: &mut Input, key: &str, value: Option<T>) -> Option<T> {
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

fn name_field(input: &mut Input, key: &str) -> Option<String> {
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
fn description_field(input: &mut Input) -> Option<String> {
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

/// A valid IANA time zone name, as the time zone database spells it.
pub fn check_time_zone(name: &str) -> Result<String, String> {
    match jiff::tz::TimeZone::get(name) {
        Ok(tz) => Ok(tz.iana_name().unwrap_or(name).to_string()),
        Err(_) => Err(format!(
            "must be an IANA time zone name such as Europe/Paris or UTC, got {name:?}"
        )),
    }
}

/// A plausible email address (one `@`, something on each side, no spaces).
pub fn check_email(email: &str) -> Result<(), String> {
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "must be an email address like name@example.com, got {email:?}"
        ))
    }
}

fn display_name_field(input: &mut Input) -> Option<String> {
    let v = input.string("display_name")?;
    let t = v.trim();
    if t.is_empty() || t.chars().count() > MAX_DISPLAY_NAME || t.chars().any(char::is_control) {
        input.error(
            "display_name",
            format!("must be 1 to {MAX_DISPLAY_NAME} characters without control characters"),
        );
        return None;
    }
    Some(t.to_string())
}

/// An email that may be null (or empty) to clear it.
fn email_field(input: &mut Input) -> Option<Option<String>> {
    match input.nullable_string("email")? {
        None => Some(None),
        Some(s) if s.trim().is_empty() => Some(None),
        Some(s) => match check_email(s.trim()) {
            Ok(()) => Some(Some(s.trim().to_string())),
            Err(e) => {
                input.error("email", e);
                None
            }
        },
    }
}

fn time_zone_field(input: &mut Input) -> Option<String> {
    let v = input.string("time_zone")?;
    match check_time_zone(v.trim()) {
        Ok(tz) => Some(tz),
        Err(e) => {
            input.error("time_zone", e);
            None
        }
    }
}

fn role_field(input: &mut Input) -> Option<Role> {
    let v = input.string("role")?;
    match Role::parse(&v) {
        Ok(r) => Some(r),
        Err(e) => {
            input.error("role", e);
            None
        }
    }
}

fn password_field(input: &mut Input, key: &str) -> Option<String> {
    let v = input.string(key)?;
    match auth::check_password(&v) {
        Ok(()) => Some(v),
        Err(e) => {
            input.error(key, e);
            None
        }
    }
}

/// Whether `key` (an id or username) names the caller.
pub fn is_self(caller: &Caller, key: &str) -> bool {
    match Uuid::parse_str(key) {
        Ok(id) => id == caller.user.id,
        Err(_) => name_key(key) == name_key(&caller.user.username),
    }
}

/// A user with its stored version and times, or 404.
pub async fn load_user(state: &AppState, key: &str) -> ApiResult<Stored<User>> {
    let e = entity_or_404(state.store.as_ref(), EntityKind::User, key).await?;
    Ok(Stored::new(&e, decode_entity::<User>(&e)?))
}

/// The user `key` if the caller is that user or holds `min` (403 otherwise, before looking,
/// so that existence does not leak).
pub async fn user_for(
    state: &AppState,
    caller: &Caller,
    key: &str,
    min: Role,
    what: &str,
) -> ApiResult<Stored<User>> {
    if !is_self(caller, key) {
        caller.require(min, what)?;
    }
    load_user(state, key).await
}

pub async fn list_users(state: &AppState, caller: &Caller) -> ApiResult<Vec<Stored<User>>> {
    caller.require(Role::Agent, "listing users")?;
    state
        .store
        .list_entities(EntityKind::User)
        .await?
        .iter()
        .map(|e| Ok(Stored::new(e, decode_entity::<User>(e)?)))
        .collect()
}

/// Creates a user (admin), with a password if one is given.
pub async fn create_user(
    state: &AppState,
    caller: &Caller,
    mut input: Input,
) -> ApiResult<Stored<User>> {
    caller.require(Role::Admin, "creating users")?;
    let username = input.string("username");
    let username = required(&mut input, "username", username);
    if let Some(u) = &username
        && let Err(e) = check_username(u)
    {
        input.error("username", e);
    }
    let display_name = display_name_field(&mut input);
    let email = email_field(&mut input);
    let time_zone = time_zone_field(&mut input);
    let role = role_field(&mut input);
    let role = required(&mut input, "role", role);
    let password = password_field(&mut input, "password");
    input.finish()?;
    let (Some(username), Some(role)) = (username, role) else {
        return Err(ApiError::Internal(
            "validated user fields are missing".into(),
        ));
    };
    let hash = match password {
        Some(p) => Some(auth::hash_password(p).await?),
        None => None,
    };
    let user = User {
        id: Uuid::nil(),
        display_name: display_name.unwrap_or_else(|| username.clone()),
        username: username.clone(),
        email: email.flatten(),
        time_zone: time_zone.unwrap_or_else(|| "UTC".into()),
        role,
        active: true,
    };
    let e = insert_record(state, EntityKind::User, &username, encode_entity(&user)).await?;
    if let Some(hash) = hash
        && let Err(err) = state
            .store
            .set_password_hash(e.id, &hash, e.created_at)
            .await
    {
        // Do not leave a user behind whose password silently failed to be set.
        let _ = state.store.delete_entity(EntityKind::User, e.id).await;
        return Err(err.into());
    }
    Ok(Stored::new(&e, decode_entity::<User>(&e)?))
}

/// Changes a user: admins any of display name, email, time zone, role and active (but never
/// demote or deactivate themselves); a user their own display name, email and time zone.
pub async fn patch_user(
    state: &AppState,
    caller: &Caller,
    key: &str,
    if_match: Option<i64>,
    mut input: Input,
) -> ApiResult<Stored<User>> {
    let admin = caller.role().is_admin();
    if !is_self(caller, key) {
        caller.require(Role::Admin, "changing another user")?;
    }
    if !admin && (input.has("role") || input.has("active")) {
        return Err(ApiError::Forbidden(
            "changing a user's role or active flag needs the admin role".into(),
        ));
    }
    let old = entity_or_404(state.store.as_ref(), EntityKind::User, key).await?;
    check_version(&old, if_match)?;
    let mut user: User = decode_entity(&old)?;
    let myself = user.id == caller.user.id;
    if let Some(v) = display_name_field(&mut input) {
        user.display_name = v;
    }
    if let Some(v) = email_field(&mut input) {
        user.email = v;
    }
    if let Some(v) = time_zone_field(&mut input) {
        user.time_zone = v;
    }
    if let Some(r) = role_field(&mut input) {
        if myself && r < user.role {
            input.error("role", "you cannot demote yourself; ask another admin");
        } else {
            user.role = r;
        }
    }
    if let Some(a) = input.bool("active") {
        if myself && !a {
            input.error(
                "active",
                "you cannot deactivate yourself; ask another admin",
            );
        } else {
            user.active = a;
        }
    }
    input.finish()?;
    let e = update_record(state, &old, &old.name, encode_entity(&user)).await?;
    Ok(Stored::new(&e, decode_entity::<User>(&e)?))
}

/// Sets a password: admins for anyone; a user for themself, giving the current password if one
/// is set.
pub async fn set_password(
    state: &AppState,
    caller: &Caller,
    key: &str,
    mut input: Input,
) -> ApiResult<()> {
    let target = user_for(
        state,
        caller,
        key,
        Role::Admin,
        "setting another user's password",
    )
    .await?;
    let password = password_field(&mut input, "password");
    let password = required(&mut input, "password", password);
    let current = input.string("current_password");
    let stored_hash = state.store.password_hash(target.item.id).await?;
    if let Some(hash) = stored_hash {
        let matches = match current {
            Some(c) => Some(auth::verify_password(c, hash).await),
            None => None,
        };
        match matches {
            Some(false) => input.error("current_password", "does not match the current password"),
            None if !caller.role().is_admin() => input.error(
                "current_password",
                "is required to change your own password",
            ),
            _ => {}
        }
    }
    input.finish()?;
    let Some(password) = password else {
        return Err(ApiError::Internal("validated password is missing".into()));
    };
    let hash = auth::hash_password(password).await?;
    state
        .store
        .set_password_hash(target.item.id, &hash, state.clock.now_ms())
        .await?;
    Ok(())
}

/// The tokens of a user (themself or, for admins, anyone).
pub async fn list_tokens(state: &AppState, caller: &Caller, key: &str) -> ApiResult<Vec<ApiToken>> {
    let user = user_for(
        state,
        caller,
        key,
        Role::Admin,
        "listing another user's tokens",
    )
    .await?;
    Ok(state.store.list_tokens(user.item.id).await?)
}

/// Issues a token; returns the secret (shown once) and its record.
pub async fn create_token(
    state: &AppState,
    caller: &Caller,
    key: &str,
    mut input: Input,
) -> ApiResult<(String, ApiToken)> {
    let user = user_for(
        state,
        caller,
        key,
        Role::Admin,
        "creating tokens for another user",
    )
    .await?;
    let name = name_field(&mut input, "name");
    let name = required(&mut input, "name", name);
    let now = state.clock.now_ms();
    let expires_at = input.nullable_time("expires_at").flatten();
    if let Some(t) = expires_at
        && t <= now
    {
        input.error("expires_at", "must be in the future");
    }
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::Internal("validated token name is missing".into()));
    };
    crate::setup::issue_token(
        state.store.as_ref(),
        now,
        user.item.id,
        &name,
        expires_at,
        None,
    )
    .await
}

/// Revokes a token.
pub async fn delete_token(
    state: &AppState,
    caller: &Caller,
    key: &str,
    token_id: &str,
) -> ApiResult<()> {
    let user = user_for(
        state,
        caller,
        key,
        Role::Admin,
        "revoking another user's tokens",
    )
    .await?;
    let not_found = || ApiError::NotFound(format!("user {key:?} has no token {token_id:?}"));
    let id = Uuid::parse_str(token_id).map_err(|_| not_found())?;
    if state.store.delete_token(user.item.id, id).await? {
        Ok(())
    } else {
        Err(not_found())
    }
}

// --- teams ---

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
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::Internal("validated team name is missing".into()));
    };
    let team = Team {
        id: Uuid::nil(),
        name: name.clone(),
        description: description.unwrap_or_default(),
        members: members.unwrap_or_default(),
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
    input.finish()?;
    let e = update_record(state, &old, &team.name, encode_entity(&team)).await?;
    Ok(Stored::new(&e, decode_entity::<Team>(&e)?))
}

/// Deletes a team no incident and no service refers to.
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
    delete(state, &e).await
}

fn conflict(detail: String) -> ApiError {
    ApiError::Conflict {
        detail,
        allowed: None,
    }
}

async fn delete(state: &AppState, e: &Entity) -> ApiResult<()> {
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

// --- services ---

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

// --- categories and resolution codes ---

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

// --- templates ---

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
