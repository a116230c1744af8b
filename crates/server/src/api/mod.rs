//! The HTTP API: routes, request body handling, ETags, idempotency and the OpenAPI document.
//! A request flows: tracing and size limit → authentication (protected routes) → idempotency
//! (POSTs with `Idempotency-Key`) → handler → application service → store.

pub mod cursor;
pub mod directory;
pub mod idempotency;
pub mod incidents;
pub mod intake;
pub mod integrations;
pub mod oncall;
pub mod openapi;
pub mod paging;
pub mod rate_limit;
pub mod sla;
pub mod sla_config;
pub mod view;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::input::Input;
use crate::{AppState, auth};

/// Largest body Mayday's own resources accept.
pub const MAX_BODY: usize = 1024 * 1024;

/// All routes, with their middleware, bound to `state`.
pub fn router(state: AppState) -> Router {
    let protected = Router::new()
        .merge(incidents::routes())
        .merge(directory::routes())
        .merge(integrations::routes())
        .merge(oncall::routes())
        .merge(paging::routes())
        .merge(sla_config::routes())
        .merge(sla::routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::middleware,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    Router::new()
        .route("/healthz", get(health))
        .route("/api/v1/openapi.json", get(openapi::document))
        .merge(oncall::public_routes())
        .merge(paging::public_routes())
        .merge(crate::web::routes())
        .merge(protected)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::middleware,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        // Alert intake: authenticated by integration key, limited per key, not per address.
        .merge(intake::routes().layer(middleware::from_fn_with_state(
            state.clone(),
            intake::unknown_key_guard,
        )))
        .with_state(state)
}

/// Liveness: 200 while the process serves requests.
#[utoipa::path(get, path = "/healthz", tag = "meta", security(()),
    responses((status = 200, description = "serving")))]
pub async fn health() -> Json<Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

async fn method_not_allowed() -> Response {
    let mut res = ApiError::BadRequest("method not allowed on this route".into()).into_response();
    *res.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    res
}

/// A JSON object body, read within the size limit, with clear errors for what is wrong.
#[derive(Debug)]
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let mime = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!("the body must be at most {MAX_BODY} bytes"))
            } else {
                ApiError::BadRequest(format!("cannot read the body: {e}"))
            }
        })?;
        if bytes.is_empty() {
            return Ok(JsonBody(Value::Object(Default::default())));
        }
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))
    }
}

impl JsonBody {
    /// The body as an [`Input`] accepting only `allowed` fields.
    pub fn input(self, allowed: &[&str]) -> ApiResult<Input> {
        Input::new(self.0, allowed)
    }
}

/// `ETag: "<version>"`.
pub fn etag(version: i64) -> (header::HeaderName, HeaderValue) {
    (
        header::ETAG,
        HeaderValue::from_str(&format!("\"{version}\""))
            .unwrap_or(HeaderValue::from_static("\"0\"")),
    )
}

/// `status` with `ETag` and the JSON body.
pub fn tagged<T: serde::Serialize>(
    status: axum::http::StatusCode,
    version: i64,
    body: T,
) -> Response {
    (status, [etag(version)], Json(body)).into_response()
}

/// 201 with `ETag`, `Location` and the JSON body.
pub fn created<T: serde::Serialize>(version: i64, location: String, body: T) -> Response {
    let mut res = tagged(axum::http::StatusCode::CREATED, version, body);
    if let Ok(loc) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    res
}

/// The version named by `If-Match`, if the header is present. Accepts `"3"` and `W/"3"`.
pub fn if_match(headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or("").trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    text.trim_matches('"').parse().map(Some).map_err(|_| {
        ApiError::BadRequest(format!(
            "If-Match must be an ETag this server issued, like \"3\"; got {text:?}"
        ))
    })
}
