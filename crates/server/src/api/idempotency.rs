//! `Idempotency-Key` on POST: the first request with a key is processed and its answer kept for
//! 24 hours (per caller); a replay gets that answer again; the same key with another body is 422.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mayday_store::IdempotencyClaim;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::MAX_BODY;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

const HEADER: &str = "idempotency-key";
/// How long an answer is kept.
pub const RETENTION_MS: i64 = 24 * 60 * 60 * 1000;
/// Response headers kept with the answer.
const KEPT_HEADERS: &[&str] = &["content-type", "etag", "location", "cache-control"];

/// Put on a response whose body holds a secret shown only once: a replay answers this body
/// instead, and the secret is never written to the idempotency table.
#[derive(Debug, Clone)]
pub struct ReplayBody(pub String);

#[derive(Serialize, Deserialize)]
struct Stored {
    headers: Vec<(String, String)>,
    body: String,
}

pub async fn middleware(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if req.method() != Method::POST {
        return Ok(next.run(req).await);
    }
    let Some(key) = req.headers().get(HEADER) else {
        return Ok(next.run(req).await);
    };
    let key = key
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            ApiError::BadRequest("Idempotency-Key must be 1 to 255 visible characters".into())
        })?
        .to_string();
    let scope = req
        .extensions()
        .get::<Caller>()
        .map(|c| c.user.id.to_string())
        .ok_or_else(|| ApiError::Unauthorized("authentication required".into()))?;
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::PayloadTooLarge(format!("the body must be at most {MAX_BODY} bytes"))
    })?;
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update(b" ");
    hasher.update(parts.uri.path());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let hash = hex::encode(hasher.finalize());
    let now = state.clock.now_ms();
    let claim = state
        .store
        .idempotency_claim(&scope, &key, &hash, now, now - RETENTION_MS)
        .await?;
    match claim {
        IdempotencyClaim::Mismatch => Err(ApiError::Unprocessable(
            "this Idempotency-Key was already used with a different request".into(),
        )),
        IdempotencyClaim::InFlight => Err(ApiError::Conflict {
            detail: "a request with this Idempotency-Key is still being processed; retry shortly"
                .into(),
            allowed: None,
        }),
        IdempotencyClaim::Replay { status, body } => Ok(replay(status, &body)),
        IdempotencyClaim::Fresh => {
            let res = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let replay_body = res.extensions().get::<ReplayBody>().cloned();
            let (parts, body) = res.into_parts();
            let bytes = match to_bytes(body, usize::MAX).await {
                Ok(b) => b,
                Err(e) => {
                    state.store.idempotency_release(&scope, &key).await?;
                    return Err(ApiError::Internal(format!("reading response: {e}")));
                }
            };
            if parts.status.is_server_error() {
                // Not an answer worth keeping: let the client retry with the same key.
                state.store.idempotency_release(&scope, &key).await?;
            } else {
                let stored = Stored {
                    headers: KEPT_HEADERS
                        .iter()
                        .filter_map(|h| {
                            parts
                                .headers
                                .get(*h)
                                .and_then(|v| v.to_str().ok())
                                .map(|v| (h.to_string(), v.to_string()))
                        })
                        .collect(),
                    body: match replay_body {
                        Some(ReplayBody(b)) => b,
                        None => String::from_utf8_lossy(&bytes).into_owned(),
                    },
                };
                let text = serde_json::to_string(&stored)
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                state
                    .store
                    .idempotency_complete(&scope, &key, parts.status.as_u16(), &text)
                    .await?;
            }
            Ok(Response::from_parts(parts, Body::from(bytes)))
        }
    }
}

fn replay(status: u16, stored: &str) -> Response {
    let Ok(stored) = serde_json::from_str::<Stored>(stored) else {
        return ApiError::Internal("corrupt idempotency record".into()).into_response();
    };
    let mut res = Response::new(Body::from(stored.body));
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    for (name, value) in stored.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            res.headers_mut().insert(n, v);
        }
    }
    res.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}
