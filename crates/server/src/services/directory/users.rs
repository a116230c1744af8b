//! Users and their credentials: creating and changing users, setting passwords, and issuing,
//! listing and revoking API tokens.

use mayday_core::Role;
use mayday_store::{ApiToken, EntityKind, User, decode_entity, encode_entity, name_key};
use uuid::Uuid;

use super::{
    Stored, check_username, check_version, entity_or_404, insert_record, name_field, required,
    update_record,
};
use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::input::Input;

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
        contact_methods: Vec::new(),
        notification_rules: Vec::new(),
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
