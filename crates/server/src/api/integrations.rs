//! Routes for managing alert intake: a service's integrations, an incident's alerts, a
//! service's change events and the intake's status. (The monitoring tools' own endpoints are in
//! [`super::intake`].)

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use mayday_core::Role;
use mayday_core::alert::{Alert, IntegrationKind};
use mayday_store::{EntityKind, Integration, StoredChange};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::view::NamedRef;
use super::{JsonBody, created, if_match, tagged};
use crate::AppState;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::ApiResult;
use crate::intake::LagSummary;
use crate::services::directory::entity_or_404;
use crate::services::{incidents, integrations as svc};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/services/{id}/integrations",
            get(list_integrations).post(create_integration),
        )
        .route(
            "/api/v1/integrations/{id}",
            get(get_integration)
                .patch(patch_integration)
                .delete(delete_integration),
        )
        .route("/api/v1/services/{id}/changes", get(list_changes))
        .route("/api/v1/incidents/{id}/alerts", get(incident_alerts))
        .route("/api/v1/intake/status", get(intake_status))
}

/// An integration. `key` is shown to managers and admins only.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationView {
    pub id: Uuid,
    pub service: NamedRef,
    /// pagerduty_events_v2, opsgenie, alertmanager, generic_json or heartbeat.
    pub kind: String,
    pub name: String,
    pub key: Option<String>,
    /// Where the monitoring tool sends its events (path on this server).
    pub endpoint: String,
    /// `{"mode": "per_alert" | "source_group" | "content_window", ...}`.
    #[schema(value_type = Object)]
    pub grouping: Value,
    /// JSON Pointers of a generic_json integration.
    #[schema(value_type = Object)]
    pub mapping: Option<Value>,
    pub heartbeat_interval_seconds: Option<u32>,
    pub rate_limit_per_minute: Option<u32>,
    pub auto_resolve: bool,
    /// Also sent as the `ETag`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub last_event_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationList {
    pub items: Vec<IntegrationView>,
}

/// The path a kind of integration receives events on.
pub fn endpoint(kind: IntegrationKind, key: &str) -> String {
    match kind {
        IntegrationKind::PagerdutyEventsV2 => "/v2/enqueue".into(),
        IntegrationKind::Opsgenie => "/v2/alerts".into(),
        IntegrationKind::Alertmanager => format!("/api/v1/integrations/{key}/alertmanager"),
        IntegrationKind::GenericJson => format!("/api/v1/integrations/{key}/events"),
        IntegrationKind::Heartbeat => format!("/api/v1/integrations/{key}/heartbeat"),
    }
}

async fn view(state: &AppState, caller: &Caller, i: &Integration) -> ApiResult<IntegrationView> {
    let service_name = state
        .store
        .get_entity(EntityKind::Service, i.service_id)
        .await?
        .map(|e| e.name);
    let shows_key = caller.require(Role::Manager, "").is_ok();
    Ok(IntegrationView {
        id: i.id,
        service: NamedRef {
            id: i.service_id,
            name: service_name,
        },
        kind: i.kind.as_str().into(),
        name: i.name.clone(),
        key: shows_key.then(|| i.key.clone()),
        endpoint: endpoint(i.kind, if shows_key { &i.key } else { "{key}" }),
        grouping: serde_json::to_value(&i.settings.grouping).unwrap_or(Value::Null),
        mapping: i
            .settings
            .mapping
            .as_ref()
            .and_then(|m| serde_json::to_value(m).ok()),
        heartbeat_interval_seconds: i.settings.heartbeat_interval_seconds,
        rate_limit_per_minute: i.settings.rate_limit_per_minute,
        auto_resolve: i.settings.auto_resolve,
        version: i.version,
        created_at: rfc3339(i.created_at),
        updated_at: rfc3339(i.updated_at),
        last_event_at: i.last_event_at.map(rfc3339),
    })
}

/// Body of `POST /api/v1/services/{id}/integrations` and (without `kind`) of the PATCH.
#[derive(Serialize, ToSchema)]
pub struct IntegrationBody {
    /// pagerduty_events_v2, opsgenie, alertmanager, generic_json or heartbeat.
    pub kind: String,
    pub name: String,
    /// Keep an existing key (PagerDuty: exactly 32 characters; others 32 to 64 of letters,
    /// digits, '-' and '_'); generated when absent.
    pub key: Option<String>,
    #[schema(value_type = Object)]
    pub grouping: Option<Value>,
    /// generic_json only: JSON Pointers for summary, severity, dedup_key, status and details.
    /// Defaults: /summary, /severity, /dedup_key, /status and "" (the whole body).
    #[schema(value_type = Object)]
    pub mapping: Option<Value>,
    /// heartbeat only (required there).
    pub heartbeat_interval_seconds: Option<u32>,
    /// Events per minute accepted on this key; null or absent: no limit.
    pub rate_limit_per_minute: Option<u32>,
    /// Resolve the incident when all its alerts resolved (default true).
    pub auto_resolve: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/services/{id}/integrations", tag = "integrations",
    params(("id" = String, Path, description = "service id or name")),
    responses((status = 200, body = IntegrationList), (status = 403), (status = 404)))]
pub async fn list_integrations(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<IntegrationList>> {
    let list = svc::list(&state, &caller, &id).await?;
    let mut items = Vec::with_capacity(list.len());
    for i in &list {
        items.push(view(&state, &caller, i).await?);
    }
    Ok(Json(IntegrationList { items }))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/integrations", tag = "integrations",
    request_body = IntegrationBody,
    params(("id" = String, Path, description = "service id or name")),
    responses((status = 201, body = IntegrationView), (status = 403), (status = 404),
        (status = 409, description = "key taken"), (status = 422)))]
pub async fn create_integration(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::CREATE_FIELDS)?;
    let i = svc::create(&state, &caller, &id, input).await?;
    Ok(created(
        i.version,
        format!("/api/v1/integrations/{}", i.id),
        view(&state, &caller, &i).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/integrations/{id}", tag = "integrations",
    params(("id" = String, Path)),
    responses((status = 200, body = IntegrationView), (status = 403), (status = 404)))]
pub async fn get_integration(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let i = svc::load(&state, &caller, &id).await?;
    Ok(tagged(
        StatusCode::OK,
        i.version,
        view(&state, &caller, &i).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/integrations/{id}", tag = "integrations",
    request_body = IntegrationBody, params(("id" = String, Path)),
    responses((status = 200, body = IntegrationView), (status = 403), (status = 404),
        (status = 409), (status = 412), (status = 422)))]
pub async fn patch_integration(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::PATCH_FIELDS)?;
    let i = svc::patch(&state, &caller, &id, if_match(&headers)?, input).await?;
    Ok(tagged(
        StatusCode::OK,
        i.version,
        view(&state, &caller, &i).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/integrations/{id}", tag = "integrations",
    params(("id" = String, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_integration(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    svc::delete(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An alert from monitoring.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    pub id: Uuid,
    pub incident_id: Uuid,
    pub integration_id: Uuid,
    pub service_id: Uuid,
    pub dedup_key: String,
    /// triggered, acknowledged or resolved.
    pub status: String,
    /// critical, error, warning or info.
    pub severity: String,
    pub summary: String,
    pub source: Option<String>,
    #[schema(value_type = Object)]
    pub details: Value,
    pub group_key: Option<String>,
    /// Trigger events seen for it, the first included.
    pub event_count: i64,
    pub first_seen_at: String,
    pub last_seen_at: String,
    pub acknowledged_at: Option<String>,
    pub resolved_at: Option<String>,
    /// Opened during a maintenance window: recorded, not paged.
    pub suppressed: bool,
}

impl From<&Alert> for AlertView {
    fn from(a: &Alert) -> Self {
        Self {
            id: a.id,
            incident_id: a.incident_id,
            integration_id: a.integration_id,
            service_id: a.service_id,
            dedup_key: a.dedup_key.clone(),
            status: a.status.as_str().into(),
            severity: a.severity.as_str().into(),
            summary: a.summary.clone(),
            source: a.source.clone(),
            details: a.details.clone(),
            group_key: a.group_key.clone(),
            event_count: a.event_count,
            first_seen_at: rfc3339(a.first_seen_at),
            last_seen_at: rfc3339(a.last_seen_at),
            acknowledged_at: a.acknowledged_at.map(rfc3339),
            resolved_at: a.resolved_at.map(rfc3339),
            suppressed: a.suppressed,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    pub items: Vec<AlertView>,
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}/alerts", tag = "integrations",
    params(("id" = String, Path, description = "INC-000123 or the incident's id")),
    responses((status = 200, body = AlertList), (status = 404)))]
pub async fn incident_alerts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<AlertList>> {
    let incident = incidents::load(&state, &caller, &id).await?;
    let alerts = state.store.incident_alerts(incident.id).await?;
    Ok(Json(AlertList {
        items: alerts.iter().map(AlertView::from).collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct ChangeParams {
    limit: Option<i64>,
}

/// A change a monitoring or deploy tool reported for the service.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    pub id: Uuid,
    pub service_id: Uuid,
    pub integration_id: Uuid,
    pub summary: String,
    pub source: Option<String>,
    /// When the sender says it happened (RFC 3339).
    pub occurred_at: Option<String>,
    pub received_at: String,
    #[schema(value_type = Object)]
    pub details: Value,
    #[schema(value_type = Vec<Object>)]
    pub links: Vec<mayday_core::alert::Link>,
}

impl From<&StoredChange> for ChangeView {
    fn from(c: &StoredChange) -> Self {
        Self {
            id: c.id,
            service_id: c.service_id,
            integration_id: c.integration_id,
            summary: c.change.summary.clone(),
            source: c.change.source.clone(),
            occurred_at: c.change.occurred_at.map(rfc3339),
            received_at: rfc3339(c.received_at),
            details: c.change.details.clone(),
            links: c.change.links.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeList {
    pub items: Vec<ChangeView>,
}

#[utoipa::path(get, path = "/api/v1/services/{id}/changes", tag = "integrations",
    params(("id" = String, Path, description = "service id or name"),
        ("limit" = Option<i64>, Query, description = "1..=500, default 50")),
    responses((status = 200, body = ChangeList), (status = 403), (status = 404)))]
pub async fn list_changes(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(p): Query<ChangeParams>,
) -> ApiResult<Json<ChangeList>> {
    caller.require(Role::Viewer, "reading change events")?;
    let service = entity_or_404(state.store.as_ref(), EntityKind::Service, &id).await?;
    let limit = p.limit.unwrap_or(50).clamp(1, 500);
    let changes = state.store.service_changes(service.id, limit).await?;
    Ok(Json(ChangeList {
        items: changes.iter().map(ChangeView::from).collect(),
    }))
}

/// The intake's state: entries waiting in the log (all nodes) and this node's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeStatus {
    pub pending: i64,
    /// Events accepted (202) by this node since it started.
    pub accepted: u64,
    /// Log entries processed by this node since it started.
    pub processed: u64,
    /// Milliseconds from acceptance to the result being committed, over recent entries.
    #[schema(value_type = Object)]
    pub lag_ms: LagSummary,
}

#[utoipa::path(get, path = "/api/v1/intake/status", tag = "integrations",
    responses((status = 200, body = IntakeStatus), (status = 403)))]
pub async fn intake_status(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<IntakeStatus>> {
    caller.require(Role::Manager, "reading the intake status")?;
    use std::sync::atomic::Ordering;
    Ok(Json(IntakeStatus {
        pending: state.store.intake_backlog().await?,
        accepted: state.intake.stats.accepted.load(Ordering::Relaxed),
        processed: state.intake.stats.processed.load(Ordering::Relaxed),
        lag_ms: state.intake.stats.lag(),
    }))
}

#[derive(OpenApi)]
#[openapi(paths(
    list_integrations,
    create_integration,
    get_integration,
    patch_integration,
    delete_integration,
    incident_alerts,
    list_changes,
    intake_status,
))]
pub struct IntegrationsApi;
