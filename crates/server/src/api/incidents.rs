//! Incident routes: create, read, list and search, patch, transitions, comments, timeline,
//! mitigation and follow-ups. Handlers translate HTTP to application services and back.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use mayday_core::Incident;
use serde::Serialize;
use utoipa::ToSchema;

use super::view::{EventView, IncidentView, Names, event_view};
use super::{JsonBody, cursor, etag, if_match};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::incidents::{self as svc, ListParams};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents", post(create).get(list))
        .route("/api/v1/incidents/{id}", get(show).patch(patch))
        .route("/api/v1/incidents/{id}/transitions", post(transition))
        .route("/api/v1/incidents/{id}/comments", post(comment))
        .route("/api/v1/incidents/{id}/timeline", get(timeline))
        .route("/api/v1/incidents/{id}/mitigate", post(mitigate))
        .route("/api/v1/incidents/{id}/follow-up", post(follow_up))
}

async fn present(state: &AppState, inc: &Incident) -> ApiResult<IncidentView> {
    let computed = inc.computed_priority(&state.settings.priority_matrix);
    Names::new(state.store.as_ref())
        .incident_view(inc, computed)
        .await
}

pub(crate) async fn respond(
    state: &AppState,
    status: StatusCode,
    inc: &Incident,
) -> ApiResult<Response> {
    let view = present(state, inc).await?;
    let mut res = (status, [etag(inc.version)], Json(view)).into_response();
    if status == StatusCode::CREATED
        && let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/incidents/{}", inc.id))
    {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

/// Log an incident.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents",
    request_body = super::openapi::CreateIncident,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays answer the first response")),
    responses((status = 201, body = IncidentView), (status = 422, description = "invalid fields, all named")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(svc::CREATE_FIELDS)?;
    let inc = svc::create(&state, &caller, input).await?;
    respond(&state, StatusCode::CREATED, &inc).await
}

/// A page of incidents.
#[derive(Serialize, ToSchema)]
pub struct IncidentList {
    pub items: Vec<IncidentView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// With `include_total=true`: how many match in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// List, filter and search incidents.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(ListParams),
    responses((status = 200, body = IncidentList)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<IncidentList>> {
    let page = svc::list(&state, &caller, params.clone()).await?;
    let mut names = Names::new(state.store.as_ref());
    names.prefetch(&page.items).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for inc in &page.items {
        let computed = inc.computed_priority(&state.settings.priority_matrix);
        items.push(names.incident_view(inc, computed).await?);
    }
    // The sort order the page was made with, for the cursor.
    let sort = params.sort.unwrap_or_else(|| "-created_at".into());
    Ok(Json(IncidentList {
        items,
        next_cursor: page.next_cursor.map(|c| cursor::encode(&sort, c)),
        total: page.total,
    }))
}

/// One incident by id or number (`INC-000123`).
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "UUID or INC-000123")),
    responses((status = 200, body = IncidentView), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let inc = svc::load(&state, &caller, &id).await?;
    respond(&state, StatusCode::OK, &inc).await
}

/// Change fields (JSON merge patch; `null` clears). Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/incidents/{id}", tag = "incidents",
    request_body(content = super::openapi::PatchIncident, content_type = "application/merge-patch+json"),
    params(("id" = String, Path), ("If-Match" = String, Header, description = "the ETag last seen")),
    responses((status = 200, body = IncidentView), (status = 412, description = "stale version"), (status = 428, description = "If-Match missing")))]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match(&headers)?.ok_or_else(|| {
        ApiError::PreconditionRequired(
            "send If-Match with the incident's ETag (its version) to change it".into(),
        )
    })?;
    let input = body.input(svc::PATCH_FIELDS)?;
    let inc = svc::patch(&state, &caller, &id, version, input).await?;
    respond(&state, StatusCode::OK, &inc).await
}

/// Move an incident to another state with the fields that move requires.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/transitions", tag = "incidents",
    request_body = super::openapi::Transition,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = IncidentView), (status = 409, description = "illegal move; lists the allowed ones"), (status = 422)))]
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    let input = body.input(svc::TRANSITION_FIELDS)?;
    let inc = svc::transition(&state, &caller, &id, version, input).await?;
    respond(&state, StatusCode::OK, &inc).await
}

/// Add a work note (internal, the default for responders) or a public update.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/comments", tag = "incidents",
    request_body = super::openapi::NewComment, params(("id" = String, Path)),
    responses((status = 201, body = EventView)))]
pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(&["body", "visibility"])?;
    let (inc, event) = svc::comment(&state, &caller, &id, input).await?;
    Ok((
        StatusCode::CREATED,
        [etag(inc.version)],
        Json(event_view(&event)),
    )
        .into_response())
}

/// The incident's timeline, oldest first (work notes only for responders).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/timeline", tag = "incidents",
    params(("id" = String, Path)), responses((status = 200, body = Vec<EventView>)))]
pub async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<EventView>>> {
    let events = svc::timeline(&state, &caller, &id).await?;
    Ok(Json(events.iter().map(event_view).collect()))
}

/// Record that service is restored, without changing the state.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/mitigate", tag = "incidents",
    params(("id" = String, Path)), responses((status = 200, body = IncidentView)))]
pub async fn mitigate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let inc = svc::mitigate(&state, &caller, &id).await?;
    respond(&state, StatusCode::OK, &inc).await
}

/// Open a new incident linked to a closed or canceled one.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/follow-up", tag = "incidents",
    request_body = super::openapi::FollowUp, params(("id" = String, Path)),
    responses((status = 201, body = IncidentView), (status = 409, description = "the incident is not closed")))]
pub async fn follow_up(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Response> {
    let input = body.input(&["reason", "title", "description"])?;
    let inc = svc::follow_up(&state, &caller, &id, input).await?;
    respond(&state, StatusCode::CREATED, &inc).await
}
