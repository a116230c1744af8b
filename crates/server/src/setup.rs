//! Start-up: choose and open the store, seed an empty database, create the bootstrap admin, and
//! serve the router on a bound listener until shutdown.

use std::path::PathBuf;
use std::sync::Arc;

use mayday_core::{Clock, Millis, Role};
use mayday_store::{ApiToken, Entity, EntityKind, Store, User, encode_entity};
use tokio::net::TcpListener;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{generate_token, token_hash};
use crate::error::ApiError;
use crate::services::directory;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseConfig {
    /// Embedded SQLite in this directory (`mayday.db`).
    SqliteDir(PathBuf),
    /// A `sqlite://path` or `postgres://...` URL.
    Url(String),
}

/// Opens the configured store and migrates it.
pub async fn open_store(db: &DatabaseConfig) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match db {
        DatabaseConfig::SqliteDir(dir) => Arc::new(mayday_store_sqlite::open_dir(dir).await?),
        DatabaseConfig::Url(url)
            if url.starts_with("postgres://") || url.starts_with("postgresql://") =>
        {
            Arc::new(mayday_store_postgres::connect(url, 16).await?)
        }
        DatabaseConfig::Url(url) if url.starts_with("sqlite://") || url.starts_with("sqlite:") => {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            Arc::new(mayday_store_sqlite::open_file(std::path::Path::new(path)).await?)
        }
        DatabaseConfig::Url(url) => anyhow::bail!(
            "unsupported database URL {:?}: use postgres://... or sqlite://path",
            redact_url(url)
        ),
    })
}

/// A URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Creates a user (admin command and bootstrap).
pub async fn create_user(
    store: &dyn Store,
    now: Millis,
    username: &str,
    display_name: &str,
    email: Option<String>,
    role: Role,
) -> Result<User, ApiError> {
    if let Err(e) = directory::check_username(username) {
        return Err(ApiError::invalid("username", e));
    }
    let user = User {
        id: Uuid::now_v7(),
        username: username.to_string(),
        display_name: display_name.to_string(),
        email,
        time_zone: "UTC".into(),
        role,
        active: true,
        contact_methods: Vec::new(),
        notification_rules: Vec::new(),
    };
    store
        .insert_entity(&Entity {
            kind: EntityKind::User,
            id: user.id,
            name: user.username.clone(),
            version: 1,
            doc: encode_entity(&user),
            created_at: now,
            updated_at: now,
        })
        .await?;
    Ok(user)
}

/// Issues a token for a user; returns the secret (shown once) and its record.
pub async fn issue_token(
    store: &dyn Store,
    now: Millis,
    user_id: Uuid,
    name: &str,
    expires_at: Option<Millis>,
    secret: Option<String>,
) -> Result<(String, ApiToken), ApiError> {
    let secret = secret.unwrap_or_else(generate_token);
    let token = ApiToken {
        id: Uuid::now_v7(),
        user_id,
        name: name.to_string(),
        created_at: now,
        expires_at,
        last_used_at: None,
    };
    store.insert_token(&token, &token_hash(&secret)).await?;
    Ok((secret, token))
}

/// First-start work: the default taxonomy, and on a database without users an `admin` user
/// holding the bootstrap token, or a generated one. Returns the generated token, which the
/// caller shows once.
pub async fn prepare(
    store: &dyn Store,
    clock: &dyn Clock,
    bootstrap_admin_token: Option<&str>,
) -> anyhow::Result<Option<String>> {
    let now = clock.now_ms();
    directory::seed_taxonomy(store, now)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the taxonomy: {e}"))?;
    if let Some(token) = bootstrap_admin_token
        && token.len() < 16
    {
        anyhow::bail!("MAYDAY_BOOTSTRAP_ADMIN_TOKEN must be at least 16 characters");
    }
    if store.count_entities(EntityKind::User).await? > 0 {
        return Ok(None);
    }
    let admin = match create_user(store, now, "admin", "Administrator", None, Role::Admin).await {
        Ok(a) => a,
        // Another node created it at the same moment.
        Err(ApiError::Conflict { .. }) => return Ok(None),
        Err(e) => anyhow::bail!("creating the admin user: {e}"),
    };
    let given = bootstrap_admin_token.map(str::to_string);
    let (secret, _) = issue_token(store, now, admin.id, "bootstrap", None, given.clone())
        .await
        .map_err(|e| anyhow::anyhow!("storing the bootstrap token: {e}"))?;
    tracing::info!("created user admin");
    Ok(if given.is_some() { None } else { Some(secret) })
}

/// Starts the background work (alert intake processing, heartbeat checks) and serves the API
/// on `listener` until `shutdown` completes.
pub async fn launch(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.start_background();
    let app = crate::api::router(state).layer(
        tower::ServiceBuilder::new()
            .layer(
                tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer::new([
                    axum::http::header::AUTHORIZATION,
                    axum::http::header::COOKIE,
                ]),
            )
            .layer(
                tower_http::trace::TraceLayer::new_for_http().make_span_with(
                    |req: &axum::http::Request<axum::body::Body>| {
                        // The path without its query, with integration keys redacted.
                        tracing::debug_span!(
                            "request",
                            method = %req.method(),
                            path = %crate::api::intake::redacted_path(req.uri().path()),
                        )
                    },
                ),
            )
            .layer(tower_http::catch_panic::CatchPanicLayer::new()),
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
