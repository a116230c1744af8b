//! Directory routes: users and their tokens, teams, services, categories, resolution codes,
//! templates, the priority matrix and the admin status report. Handlers translate HTTP to the
//! directory use cases in [`crate::services::directory`] and back.
//!
//! Responses for users, teams, services, categories and templates carry `ETag: "<version>"`;
//! their `PATCH` takes an optional `If-Match` (412 when stale). Names are unique
//! case-insensitively (409 on a duplicate); references take an id or a name.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use mayday_core::{PriorityMatrix, Role};
use mayday_store::{ApiToken, EntityKind, Service, Store, Team, Template, User};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::view::NamedRef;
use super::{JsonBody, created, if_match, tagged};
use crate::AppState;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::ApiResult;
use crate::services::directory::{self as svc, Category, Stored};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(show_user).patch(patch_user))
        .route("/api/v1/users/{id}/password", put(set_password))
        .route(
            "/api/v1/users/{id}/tokens",
            get(list_tokens).post(create_token),
        )
        .route("/api/v1/users/{id}/tokens/{token_id}", delete(delete_token))
        .route("/api/v1/teams", get(list_teams).post(create_team))
        .route(
            "/api/v1/teams/{id}",
            get(show_team).patch(patch_team).delete(delete_team),
        )
        .route("/api/v1/services", get(list_services).post(create_service))
        .route(
            "/api/v1/services/{id}",
            get(show_service)
                .patch(patch_service)
                .delete(delete_service),
        )
        .route(
            "/api/v1/categories",
            get(list_categories).post(create_category),
        )
        .route(
            "/api/v1/categories/{name}",
            get(show_category)
                .patch(patch_category)
                .delete(delete_category),
        )
        .route(
            "/api/v1/resolution-codes",
            get(list_resolution_codes).post(create_resolution_code),
        )
        .route(
            "/api/v1/resolution-codes/{name}",
            delete(delete_resolution_code),
        )
        .route(
            "/api/v1/templates",
            get(list_templates).post(create_template),
        )
        .route(
            "/api/v1/templates/{id}",
            get(show_template)
                .patch(patch_template)
                .delete(delete_template),
        )
        .route("/api/v1/priority-matrix", get(priority_matrix))
        .route("/api/v1/status", get(status))
}

// --- responses ---

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

// --- views ---

/// A user as the API shows it (never with credentials).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// IANA time zone name.
    pub time_zone: String,
    /// viewer, requester, agent, manager or admin.
    pub role: String,
    pub active: bool,
    /// Also sent as the `ETag`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn user_view(u: &Stored<User>) -> UserView {
    UserView {
        id: u.item.id,
        username: u.item.username.clone(),
        display_name: u.item.display_name.clone(),
        email: u.item.email.clone(),
        time_zone: u.item.time_zone.clone(),
        role: u.item.role.as_str().to_string(),
        active: u.item.active,
        version: u.version,
        created_at: rfc3339(u.created_at),
        updated_at: rfc3339(u.updated_at),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
}

/// An API token as listed (the secret is never shown again).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

fn token_view(t: &ApiToken) -> TokenView {
    TokenView {
        id: t.id,
        name: t.name.clone(),
        created_at: rfc3339(t.created_at),
        expires_at: t.expires_at.map(rfc3339),
        last_used_at: t.last_used_at.map(rfc3339),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
}

/// A token just issued: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenView {
    pub id: Uuid,
    pub name: String,
    /// Send as `Authorization: Bearer <token>`. Shown once; store it now (null when an
    /// `Idempotency-Key` retry replays the answer).
    pub token: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Members as `{id, name}` with the username as name.
    pub members: Vec<NamedRef>,
    /// Who of the team is on call (an escalation level naming the team pages it; without a
    /// schedule, all members).
    pub schedule: Option<NamedRef>,
    /// Pages incidents assigned to the team when their service has no policy.
    pub escalation_policy: Option<NamedRef>,
    /// Also sent as the `ETag`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamList {
    pub items: Vec<TeamView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub owner_team: Option<NamedRef>,
    /// Criticality: 1 most critical .. 3.
    pub tier: u8,
    /// The category of incidents its alerts open; null: `monitoring`.
    pub default_category: Option<String>,
    /// When its new alerts are recorded without paging.
    pub maintenance_windows: Vec<MaintenanceWindowView>,
    /// Who is paged when an incident opens on it.
    pub escalation_policy: Option<NamedRef>,
    /// Also sent as the `ETag`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A maintenance window, with RFC 3339 times.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MaintenanceWindowView {
    pub starts_at: String,
    pub ends_at: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    pub items: Vec<ServiceView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryView {
    pub name: String,
    pub description: String,
    pub subcategories: Vec<String>,
}

fn category_view(c: &Category) -> CategoryView {
    CategoryView {
        name: c.name.clone(),
        description: c.description.clone(),
        subcategories: c.subcategories.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResolutionCodeView {
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResolutionCodeList {
    pub items: Vec<ResolutionCodeView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Incident create fields this template fills when a request leaves them out.
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// Also sent as the `ETag`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn template_view(t: &Stored<Template>) -> TemplateView {
    TemplateView {
        id: t.item.id,
        name: t.item.name.clone(),
        description: t.item.description.clone(),
        fields: t.item.fields.clone(),
        version: t.version,
        created_at: rfc3339(t.created_at),
        updated_at: rfc3339(t.updated_at),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    pub items: Vec<TemplateView>,
}

/// The impact × urgency table.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriorityMatrixView {
    /// Priority levels (1 = P1 .. 5 = P5); row = impact − 1, column = urgency − 1.
    pub matrix: Vec<Vec<u8>>,
    /// How to read the matrix, in words.
    pub rule: String,
}

/// What an administrator needs to know about this server.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusView {
    /// Mayday's version.
    pub version: String,
    /// sqlite or postgres.
    pub engine: String,
    /// Durability and tuning settings as the engine reports them.
    pub settings: BTreeMap<String, String>,
}

/// Resolves ids to names for one response, asking the store once per id.
struct Names<'a> {
    store: &'a dyn Store,
    cache: HashMap<(EntityKind, Uuid), Option<String>>,
}

impl<'a> Names<'a> {
    fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            cache: HashMap::new(),
        }
    }

    async fn named(&mut self, kind: EntityKind, id: Uuid) -> ApiResult<NamedRef> {
        let name = match self.cache.get(&(kind, id)) {
            Some(n) => n.clone(),
            None => {
                let n = self.store.get_entity(kind, id).await?.map(|e| e.name);
                self.cache.insert((kind, id), n.clone());
                n
            }
        };
        Ok(NamedRef { id, name })
    }

    async fn team(&mut self, t: &Stored<Team>) -> ApiResult<TeamView> {
        let mut members = Vec::with_capacity(t.item.members.len());
        for id in &t.item.members {
            members.push(self.named(EntityKind::User, *id).await?);
        }
        let schedule = match t.item.schedule_id {
            Some(id) => Some(self.named(EntityKind::Schedule, id).await?),
            None => None,
        };
        let escalation_policy = match t.item.escalation_policy_id {
            Some(id) => Some(self.named(EntityKind::EscalationPolicy, id).await?),
            None => None,
        };
        Ok(TeamView {
            id: t.item.id,
            name: t.item.name.clone(),
            description: t.item.description.clone(),
            members,
            schedule,
            escalation_policy,
            version: t.version,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        })
    }

    async fn service(&mut self, s: &Stored<Service>) -> ApiResult<ServiceView> {
        let owner_team = match s.item.owner_team_id {
            Some(id) => Some(self.named(EntityKind::Team, id).await?),
            None => None,
        };
        let escalation_policy = match s.item.escalation_policy_id {
            Some(id) => Some(self.named(EntityKind::EscalationPolicy, id).await?),
            None => None,
        };
        Ok(ServiceView {
            id: s.item.id,
            name: s.item.name.clone(),
            description: s.item.description.clone(),
            owner_team,
            tier: s.item.tier,
            default_category: s.item.default_category.clone(),
            maintenance_windows: s
                .item
                .maintenance_windows
                .iter()
                .map(|w| MaintenanceWindowView {
                    starts_at: rfc3339(w.starts_at),
                    ends_at: rfc3339(w.ends_at),
                    reason: w.reason.clone(),
                })
                .collect(),
            escalation_policy,
            version: s.version,
            created_at: rfc3339(s.created_at),
            updated_at: rfc3339(s.updated_at),
        })
    }
}

// --- request bodies (documentation; handlers read them field by field) ---

/// Body of `POST /api/v1/users`.
#[derive(Serialize, ToSchema)]
pub struct CreateUser {
    /// 1 to 64 lowercase letters, digits, '.', '_' or '-'.
    pub username: String,
    /// Default: the username.
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// IANA time zone name (default UTC).
    pub time_zone: Option<String>,
    /// viewer, requester, agent, manager or admin.
    pub role: String,
    /// At least 12 characters.
    pub password: Option<String>,
}

/// Body of `PATCH /api/v1/users/{id}`: any subset. Users may change their own display name,
/// email and time zone; admins also role and active (never demoting or deactivating themselves).
#[derive(Serialize, ToSchema)]
pub struct PatchUser {
    pub display_name: Option<String>,
    /// null clears.
    pub email: Option<String>,
    pub time_zone: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
}

/// Body of `PUT /api/v1/users/{id}/password`.
#[derive(Serialize, ToSchema)]
pub struct SetPassword {
    /// At least 12 characters.
    pub password: String,
    /// Required when users change their own password and one is set.
    pub current_password: Option<String>,
}

/// Body of `POST /api/v1/users/{id}/tokens`.
#[derive(Serialize, ToSchema)]
pub struct CreateToken {
    pub name: String,
    /// RFC 3339, in the future; none: the token does not expire.
    pub expires_at: Option<String>,
}

/// Body of `POST /api/v1/teams` (name required) and `PATCH /api/v1/teams/{id}` (any subset).
#[derive(Serialize, ToSchema)]
pub struct TeamBody {
    pub name: String,
    pub description: Option<String>,
    /// User ids or usernames; replaces the member list.
    pub members: Option<Vec<String>>,
    /// Schedule id or name: who of the team is on call; null: none (all members are paged).
    pub schedule: Option<String>,
    /// Escalation policy id or name for incidents assigned to the team whose service has
    /// none; null: none.
    pub escalation_policy: Option<String>,
}

/// Body of `POST /api/v1/services` (name required) and `PATCH /api/v1/services/{id}` (any subset).
#[derive(Serialize, ToSchema)]
pub struct ServiceBody {
    pub name: String,
    pub description: Option<String>,
    /// Team id or name; null: no owner.
    pub owner_team: Option<String>,
    /// 1 most critical .. 3 (default 3).
    pub tier: Option<u8>,
    /// Category name for incidents its alerts open; null: `monitoring`.
    pub default_category: Option<String>,
    /// `[{"starts_at": RFC 3339, "ends_at": RFC 3339, "reason": "..."}]`; replaces the list.
    pub maintenance_windows: Option<Vec<serde_json::Value>>,
    /// Escalation policy id or name paging for its incidents; null: none.
    pub escalation_policy: Option<String>,
}

/// Body of `POST /api/v1/categories`.
#[derive(Serialize, ToSchema)]
pub struct CreateCategory {
    /// Lowercase letters, digits and '_'.
    pub name: String,
    pub description: Option<String>,
    /// Lowercase letters, digits and '_' each.
    pub subcategories: Option<Vec<String>>,
}

/// Body of `PATCH /api/v1/categories/{name}`.
#[derive(Serialize, ToSchema)]
pub struct PatchCategory {
    pub description: Option<String>,
    /// Replaces the list.
    pub subcategories: Option<Vec<String>>,
}

/// Body of `POST /api/v1/resolution-codes`.
#[derive(Serialize, ToSchema)]
pub struct NewResolutionCode {
    /// Lowercase letters, digits and '_'.
    pub name: String,
}

/// Body of `POST /api/v1/templates` (name and fields required) and
/// `PATCH /api/v1/templates/{id}` (any subset).
#[derive(Serialize, ToSchema)]
pub struct TemplateBody {
    pub name: String,
    pub description: Option<String>,
    /// Incident create fields (any of them except `template`) with their values.
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

// --- users ---

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "users",
    responses((status = 200, body = UserView)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let u = svc::load_user(&state, &caller.user.id.to_string()).await?;
    Ok(tagged(StatusCode::OK, u.version, user_view(&u)))
}

/// Every user (agents and above).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = UserList), (status = 403)))]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<UserList>> {
    let users = svc::list_users(&state, &caller).await?;
    Ok(Json(UserList {
        items: users.iter().map(user_view).collect(),
    }))
}

/// Create a user (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserView), (status = 403), (status = 409, description = "username taken"),
        (status = 422, description = "invalid fields, all named")))]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::USER_CREATE_FIELDS)?;
    let u = svc::create_user(&state, &caller, input).await?;
    Ok(created(
        u.version,
        format!("/api/v1/users/{}", u.item.id),
        user_view(&u),
    ))
}

/// One user by id or username (agents and above, or the user themself).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "UUID or username")),
    responses((status = 200, body = UserView), (status = 403), (status = 404)))]
pub async fn show_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let u = svc::user_for(&state, &caller, &id, Role::Agent, "reading other users").await?;
    Ok(tagged(StatusCode::OK, u.version, user_view(&u)))
}

/// Change a user.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = PatchUser,
    params(("id" = String, Path, description = "UUID or username"),
        ("If-Match" = Option<String>, Header, description = "the ETag last seen")),
    responses((status = 200, body = UserView), (status = 403), (status = 404),
        (status = 412, description = "stale version"), (status = 422)))]
pub async fn patch_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let input = body.input(svc::USER_PATCH_FIELDS)?;
    let u = svc::patch_user(&state, &caller, &id, version, input).await?;
    Ok(tagged(StatusCode::OK, u.version, user_view(&u)))
}

/// Set a user's password (admins for anyone; users for themselves with the current one).
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "users", request_body = SetPassword,
    params(("id" = String, Path, description = "UUID or username")),
    responses((status = 204, description = "password set"), (status = 403), (status = 404), (status = 422)))]
pub async fn set_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::PASSWORD_FIELDS)?;
    svc::set_password(&state, &caller, &id, input).await?;
    Ok(no_content())
}

/// A user's API tokens (themself or admins).
#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "users",
    params(("id" = String, Path, description = "UUID or username")),
    responses((status = 200, body = TokenList), (status = 403), (status = 404)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<TokenList>> {
    let tokens = svc::list_tokens(&state, &caller, &id).await?;
    Ok(Json(TokenList {
        items: tokens.iter().map(token_view).collect(),
    }))
}

/// Issue an API token; the answer is the only time its secret is shown.
#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", tag = "users", request_body = CreateToken,
    params(("id" = String, Path, description = "UUID or username")),
    responses((status = 201, body = NewTokenView), (status = 403), (status = 404), (status = 422)))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::TOKEN_FIELDS)?;
    let (secret, t) = svc::create_token(&state, &caller, &id, input).await?;
    let mut view = NewTokenView {
        id: t.id,
        name: t.name.clone(),
        token: None,
        created_at: rfc3339(t.created_at),
        expires_at: t.expires_at.map(rfc3339),
    };
    // A retry with the same Idempotency-Key gets the answer without the secret.
    let replay = serde_json::to_string(&view)
        .map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    view.token = Some(secret);
    let mut res = (StatusCode::CREATED, Json(view)).into_response();
    res.extensions_mut()
        .insert(crate::api::idempotency::ReplayBody(replay));
    // The secret must not linger in caches.
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/v1/users/{id}/tokens/{token_id}", tag = "users",
    params(("id" = String, Path, description = "UUID or username"), ("token_id" = String, Path)),
    responses((status = 204, description = "revoked"), (status = 403), (status = 404)))]
pub async fn delete_token(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, token_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    svc::delete_token(&state, &caller, &id, &token_id).await?;
    Ok(no_content())
}

// --- teams ---

/// Every team (not for requesters).
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    responses((status = 200, body = TeamList), (status = 403)))]
pub async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<TeamList>> {
    let teams = svc::list_teams(&state, &caller).await?;
    let mut names = Names::new(state.store.as_ref());
    let mut items = Vec::with_capacity(teams.len());
    for t in &teams {
        items.push(names.team(t).await?);
    }
    Ok(Json(TeamList { items }))
}

/// Create a team (managers and admins).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = TeamBody,
    responses((status = 201, body = TeamView), (status = 403), (status = 409, description = "name taken"), (status = 422)))]
pub async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::TEAM_FIELDS)?;
    let t = svc::create_team(&state, &caller, input).await?;
    let view = Names::new(state.store.as_ref()).team(&t).await?;
    Ok(created(
        t.version,
        format!("/api/v1/teams/{}", t.item.id),
        view,
    ))
}

/// One team by id or name (not for requesters).
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 200, body = TeamView), (status = 403), (status = 404)))]
pub async fn show_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = svc::load_team(&state, &caller, &id).await?;
    let view = Names::new(state.store.as_ref()).team(&t).await?;
    Ok(tagged(StatusCode::OK, t.version, view))
}

/// Change a team (managers and admins); `members` replaces the list.
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", request_body = TeamBody,
    params(("id" = String, Path, description = "UUID or name"),
        ("If-Match" = Option<String>, Header, description = "the ETag last seen")),
    responses((status = 200, body = TeamView), (status = 403), (status = 404), (status = 409),
        (status = 412, description = "stale version"), (status = 422)))]
pub async fn patch_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let input = body.input(svc::TEAM_FIELDS)?;
    let t = svc::patch_team(&state, &caller, &id, version, input).await?;
    let view = Names::new(state.store.as_ref()).team(&t).await?;
    Ok(tagged(StatusCode::OK, t.version, view))
}

/// Delete a team that no incident and no service refers to (managers and admins).
#[utoipa::path(delete, path = "/api/v1/teams/{id}", tag = "teams",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404),
        (status = 409, description = "incidents or services refer to it")))]
pub async fn delete_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    svc::delete_team(&state, &caller, &id).await?;
    Ok(no_content())
}

// --- services ---

/// Every service.
#[utoipa::path(get, path = "/api/v1/services", tag = "services",
    responses((status = 200, body = ServiceList)))]
pub async fn list_services(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<ServiceList>> {
    let services = svc::list_services(&state).await?;
    let mut names = Names::new(state.store.as_ref());
    let mut items = Vec::with_capacity(services.len());
    for s in &services {
        items.push(names.service(s).await?);
    }
    Ok(Json(ServiceList { items }))
}

/// Create a service (managers and admins).
#[utoipa::path(post, path = "/api/v1/services", tag = "services", request_body = ServiceBody,
    responses((status = 201, body = ServiceView), (status = 403), (status = 409, description = "name taken"), (status = 422)))]
pub async fn create_service(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::SERVICE_FIELDS)?;
    let s = svc::create_service(&state, &caller, input).await?;
    let view = Names::new(state.store.as_ref()).service(&s).await?;
    Ok(created(
        s.version,
        format!("/api/v1/services/{}", s.item.id),
        view,
    ))
}

/// One service by id or name.
#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "services",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 200, body = ServiceView), (status = 404)))]
pub async fn show_service(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let s = svc::load_service(&state, &id).await?;
    let view = Names::new(state.store.as_ref()).service(&s).await?;
    Ok(tagged(StatusCode::OK, s.version, view))
}

/// Change a service (managers and admins); `owner_team: null` removes the owner.
#[utoipa::path(patch, path = "/api/v1/services/{id}", tag = "services", request_body = ServiceBody,
    params(("id" = String, Path, description = "UUID or name"),
        ("If-Match" = Option<String>, Header, description = "the ETag last seen")),
    responses((status = 200, body = ServiceView), (status = 403), (status = 404), (status = 409),
        (status = 412, description = "stale version"), (status = 422)))]
pub async fn patch_service(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let input = body.input(svc::SERVICE_FIELDS)?;
    let s = svc::patch_service(&state, &caller, &id, version, input).await?;
    let view = Names::new(state.store.as_ref()).service(&s).await?;
    Ok(tagged(StatusCode::OK, s.version, view))
}

/// Delete a service that no incident refers to (managers and admins).
#[utoipa::path(delete, path = "/api/v1/services/{id}", tag = "services",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404),
        (status = 409, description = "incidents refer to it")))]
pub async fn delete_service(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    svc::delete_service(&state, &caller, &id).await?;
    Ok(no_content())
}

// --- categories ---

/// The categories and their subcategories.
#[utoipa::path(get, path = "/api/v1/categories", tag = "taxonomy",
    responses((status = 200, body = CategoryList)))]
pub async fn list_categories(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<CategoryList>> {
    let cats = svc::categories(state.store.as_ref()).await?;
    Ok(Json(CategoryList {
        items: cats.iter().map(category_view).collect(),
    }))
}

/// Add a category (managers and admins).
#[utoipa::path(post, path = "/api/v1/categories", tag = "taxonomy", request_body = CreateCategory,
    responses((status = 201, body = CategoryView), (status = 403), (status = 409, description = "name taken"), (status = 422)))]
pub async fn create_category(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::CATEGORY_CREATE_FIELDS)?;
    let c = svc::create_category(&state, &caller, input).await?;
    Ok(created(
        c.version,
        format!("/api/v1/categories/{}", c.item.name),
        category_view(&c.item),
    ))
}

/// One category.
#[utoipa::path(get, path = "/api/v1/categories/{name}", tag = "taxonomy",
    params(("name" = String, Path)),
    responses((status = 200, body = CategoryView), (status = 404)))]
pub async fn show_category(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let c = svc::load_category(&state, &name).await?;
    Ok(tagged(StatusCode::OK, c.version, category_view(&c.item)))
}

/// Change a category's description or subcategories (managers and admins).
#[utoipa::path(patch, path = "/api/v1/categories/{name}", tag = "taxonomy", request_body = PatchCategory,
    params(("name" = String, Path), ("If-Match" = Option<String>, Header, description = "the ETag last seen")),
    responses((status = 200, body = CategoryView), (status = 403), (status = 404),
        (status = 412, description = "stale version"), (status = 422)))]
pub async fn patch_category(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let input = body.input(svc::CATEGORY_PATCH_FIELDS)?;
    let c = svc::patch_category(&state, &caller, &name, version, input).await?;
    Ok(tagged(StatusCode::OK, c.version, category_view(&c.item)))
}

/// Remove a category (managers and admins); incidents keep the name they were logged with.
#[utoipa::path(delete, path = "/api/v1/categories/{name}", tag = "taxonomy",
    params(("name" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404)))]
pub async fn delete_category(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    svc::delete_category(&state, &caller, &name).await?;
    Ok(no_content())
}

// --- resolution codes ---

/// The resolution codes.
#[utoipa::path(get, path = "/api/v1/resolution-codes", tag = "taxonomy",
    responses((status = 200, body = ResolutionCodeList)))]
pub async fn list_resolution_codes(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<ResolutionCodeList>> {
    let codes = svc::resolution_codes(state.store.as_ref()).await?;
    Ok(Json(ResolutionCodeList {
        items: codes
            .into_iter()
            .map(|name| ResolutionCodeView { name })
            .collect(),
    }))
}

/// Add a resolution code (managers and admins).
#[utoipa::path(post, path = "/api/v1/resolution-codes", tag = "taxonomy", request_body = NewResolutionCode,
    responses((status = 201, body = ResolutionCodeView), (status = 403), (status = 409, description = "exists"), (status = 422)))]
pub async fn create_resolution_code(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::RESOLUTION_CODE_FIELDS)?;
    let name = svc::create_resolution_code(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(ResolutionCodeView { name })).into_response())
}

/// Remove a resolution code (managers and admins); resolved incidents keep theirs.
#[utoipa::path(delete, path = "/api/v1/resolution-codes/{name}", tag = "taxonomy",
    params(("name" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404)))]
pub async fn delete_resolution_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    svc::delete_resolution_code(&state, &caller, &name).await?;
    Ok(no_content())
}

// --- templates ---

/// Every incident template (not for viewers).
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    responses((status = 200, body = TemplateList), (status = 403)))]
pub async fn list_templates(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<TemplateList>> {
    let ts = svc::list_templates(&state, &caller).await?;
    Ok(Json(TemplateList {
        items: ts.iter().map(template_view).collect(),
    }))
}

/// Create an incident template (managers and admins).
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", request_body = TemplateBody,
    responses((status = 201, body = TemplateView), (status = 403), (status = 409, description = "name taken"), (status = 422)))]
pub async fn create_template(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::TEMPLATE_FIELDS)?;
    let t = svc::create_template(&state, &caller, input).await?;
    Ok(created(
        t.version,
        format!("/api/v1/templates/{}", t.item.id),
        template_view(&t),
    ))
}

/// One incident template by id or name (not for viewers).
#[utoipa::path(get, path = "/api/v1/templates/{id}", tag = "templates",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 200, body = TemplateView), (status = 403), (status = 404)))]
pub async fn show_template(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let t = svc::load_template(&state, &caller, &id).await?;
    Ok(tagged(StatusCode::OK, t.version, template_view(&t)))
}

/// Change an incident template (managers and admins); `fields` replaces the set.
#[utoipa::path(patch, path = "/api/v1/templates/{id}", tag = "templates", request_body = TemplateBody,
    params(("id" = String, Path, description = "UUID or name"),
        ("If-Match" = Option<String>, Header, description = "the ETag last seen")),
    responses((status = 200, body = TemplateView), (status = 403), (status = 404), (status = 409),
        (status = 412, description = "stale version"), (status = 422)))]
pub async fn patch_template(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let input = body.input(svc::TEMPLATE_FIELDS)?;
    let t = svc::patch_template(&state, &caller, &id, version, input).await?;
    Ok(tagged(StatusCode::OK, t.version, template_view(&t)))
}

/// Delete an incident template (managers and admins).
#[utoipa::path(delete, path = "/api/v1/templates/{id}", tag = "templates",
    params(("id" = String, Path, description = "UUID or name")),
    responses((status = 204, description = "deleted"), (status = 403), (status = 404)))]
pub async fn delete_template(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    svc::delete_template(&state, &caller, &id).await?;
    Ok(no_content())
}

// --- priority matrix and status ---

/// The rule a matrix follows, in words.
fn matrix_rule(m: &PriorityMatrix) -> String {
    let layout = "rows are impact 1 (high) to 3 (low), columns urgency 1 (high) to 3 (low), \
                  cells priority levels 1 (P1 critical) to 5 (P5 planning)";
    if *m == PriorityMatrix::default() {
        format!("priority = impact + urgency - 1; {layout}")
    } else {
        format!("configured matrix; {layout}")
    }
}

/// The impact × urgency → priority matrix in force.
#[utoipa::path(get, path = "/api/v1/priority-matrix", tag = "directory",
    responses((status = 200, body = PriorityMatrixView)))]
pub async fn priority_matrix(
    State(state): State<AppState>,
    _caller: Caller,
) -> Json<PriorityMatrixView> {
    let m = &state.settings.priority_matrix;
    Json(PriorityMatrixView {
        matrix: m.levels(),
        rule: matrix_rule(m),
    })
}

/// Version, storage engine and durability settings (admins).
#[utoipa::path(get, path = "/api/v1/status", tag = "directory",
    responses((status = 200, body = StatusView), (status = 403)))]
pub async fn status(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<StatusView>> {
    caller.require(Role::Admin, "the status report")?;
    let info = state.store.info().await?;
    Ok(Json(StatusView {
        version: env!("CARGO_PKG_VERSION").to_string(),
        engine: info.engine.to_string(),
        settings: info.settings.into_iter().collect(),
    }))
}

#[derive(OpenApi)]
#[openapi(paths(
    me,
    list_users,
    create_user,
    show_user,
    patch_user,
    set_password,
    list_tokens,
    create_token,
    delete_token,
    list_teams,
    create_team,
    show_team,
    patch_team,
    delete_team,
    list_services,
    create_service,
    show_service,
    patch_service,
    delete_service,
    list_categories,
    create_category,
    show_category,
    patch_category,
    delete_category,
    list_resolution_codes,
    create_resolution_code,
    delete_resolution_code,
    list_templates,
    create_template,
    show_template,
    patch_template,
    delete_template,
    priority_matrix,
    status,
))]
pub struct DirectoryApi;
