//! Authentication: API tokens (stored as SHA-256 hashes, optional expiry, last use recorded) and
//! passwords (argon2id, hashed off the async threads). The `authenticate` middleware puts the
//! [`Caller`] into the request for every protected route.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use mayday_core::Role;
use mayday_core::timeline::Actor;
use mayday_store::{EntityKind, User, decode_entity};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// Tokens start with this, so leaked ones are easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "mdy_";

/// The authenticated user of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
}

impl Caller {
    pub fn role(&self) -> Role {
        self.user.role
    }
    pub fn actor(&self) -> Actor {
        Actor::user(self.user.id, self.user.username.clone())
    }
    /// Fails with 403 unless the caller's role is at least `min`.
    pub fn require(&self, min: Role, what: &str) -> Result<(), ApiError> {
        if self.user.role >= min {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "{what} needs the {} role or higher; you are {}",
                min.as_str(),
                self.user.role.as_str()
            )))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized("authentication required".into()))
    }
}

/// A new random token: the prefix and 48 hex characters (192 bits).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn argon2() -> Argon2<'static> {
    Argon2::default()
}

/// Hashes a password with argon2id on a blocking thread.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| ApiError::Internal(e.to_string()))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(e.to_string()))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Checks a password against a stored hash on a blocking thread.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Password rules: 12 to 1024 characters.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < 12 {
        Err("must be at least 12 characters".into())
    } else if n > 1024 {
        Err("must be at most 1024 characters".into())
    } else {
        Ok(())
    }
}

/// Middleware: resolves the bearer token to a [`Caller`] or answers 401.
pub async fn authenticate(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::Unauthorized("send an API token as `Authorization: Bearer <token>`".into())
        })?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
        })?;
    let now = state.clock.now_ms();
    let invalid = || ApiError::Unauthorized("the token is invalid, expired or revoked".into());
    let record = state
        .store
        .use_token(&token_hash(token), now)
        .await?
        .ok_or_else(invalid)?;
    if record.expires_at.is_some_and(|e| e <= now) {
        return Err(invalid());
    }
    let entity = state
        .store
        .get_entity(EntityKind::User, record.user_id)
        .await?
        .ok_or_else(invalid)?;
    let user: User = decode_entity(&entity)?;
    if !user.active {
        return Err(ApiError::Unauthorized("this user is deactivated".into()));
    }
    req.extensions_mut().insert(Caller { user });
    Ok(next.run(req).await)
}
