//! The endpoints monitoring tools send to, each wire-compatible with the tool's own target:
//! PagerDuty Events API v2 (`/v2/enqueue`, `/v2/change/enqueue`), Opsgenie's Alert API
//! (`/v2/alerts...`, `Authorization: GenieKey <key>`), the Alertmanager webhook, generic JSON
//! and heartbeats (`/api/v1/integrations/{key}/...`). They authenticate by integration key
//! only, are not subject to the per-address limit (an alert storm is when alerts matter most),
//! and answer 202 once the events are durably in the intake log.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mayday_core::alert::{AlertAction, IntakeRecord, IntegrationKind};
use mayday_intake::{alertmanager, generic, opsgenie, pagerduty};
use mayday_store::{Integration, NewIntakeEntry};
use serde::Deserialize;
use serde_json::{Value, json};

use super::rate_limit::RateLimit;
use crate::AppState;
use crate::error::ApiError;
use crate::intake::generate_dedup_key;

/// PagerDuty's limit for one event.
pub const PAGERDUTY_MAX_BODY: usize = 512 * 1024;
/// Alertmanager may send large groups.
pub const ALERTMANAGER_MAX_BODY: usize = 5 * 1024 * 1024;
/// Opsgenie, generic JSON and heartbeats.
pub const OTHER_MAX_BODY: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/enqueue", post(pagerduty_event))
        .route("/v2/change/enqueue", post(pagerduty_change))
        .route("/v2/alerts", post(opsgenie_create))
        .route("/v2/alerts/{id}/{action}", post(opsgenie_action))
        .route(
            "/api/v1/integrations/{id}/alertmanager",
            post(alertmanager_webhook),
        )
        .route("/api/v1/integrations/{id}/events", post(generic_event))
        .route(
            "/api/v1/integrations/{id}/heartbeat",
            get(heartbeat).post(heartbeat),
        )
        .layer(axum::extract::DefaultBodyLimit::max(ALERTMANAGER_MAX_BODY))
}

/// Unknown keys a client address may send before it is refused for a while: a burst of 100,
/// then ten a second (a sender with a stale key retrying stays under it; guessing does not).
pub const UNKNOWN_KEYS: RateLimit = RateLimit {
    per_second: 10.0,
    burst: 100.0,
};

/// Marks a response that refused an unknown integration key.
#[derive(Debug, Clone, Copy)]
struct UnknownKey;

fn mark_unknown_key(mut res: Response) -> Response {
    res.extensions_mut().insert(UnknownKey);
    res
}

/// Intake is not limited per address, except for requests with unknown keys: an address that
/// keeps sending them (guessing keys, or a sender with a stale key) is refused with 429 for a
/// while, before any lookup.
pub async fn unknown_key_guard(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    if let Err(seconds) = state
        .intake
        .key_failures
        .check(UNKNOWN_KEYS, &ip, Instant::now())
    {
        return retry_after(
            ApiError::TooManyRequests(format!(
                "too many requests with unknown integration keys from this address; retry in \
                 {seconds} s"
            ))
            .into_response(),
            seconds,
        );
    }
    let res = next.run(req).await;
    if res.extensions().get::<UnknownKey>().is_some() {
        let _ = state
            .intake
            .key_failures
            .take(UNKNOWN_KEYS, ip, Instant::now());
    }
    res
}

/// Why an event was not accepted, before it is put in a format's words.
enum Refusal {
    UnknownKey,
    WrongKind(IntegrationKind),
    Throttled(u64),
    TooLarge(usize),
    Failed(String),
}

fn retry_after(mut res: Response, seconds: u64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The integration holding `key` if it is of one of `kinds`.
async fn integration(
    state: &AppState,
    key: &str,
    kinds: &[IntegrationKind],
) -> Result<Integration, Refusal> {
    match state.intake.integration(state.store.as_ref(), key).await {
        Ok(Some(i)) if kinds.contains(&i.kind) => Ok(i),
        Ok(Some(i)) => Err(Refusal::WrongKind(i.kind)),
        Ok(None) => Err(Refusal::UnknownKey),
        Err(e) => Err(Refusal::Failed(e.to_string())),
    }
}

/// Applies the key's rate limit, appends the records durably and counts them.
async fn accept(
    state: &AppState,
    integration: &Integration,
    records: Vec<IntakeRecord>,
) -> Result<(), Refusal> {
    if let Some(per_minute) = integration.settings.rate_limit_per_minute {
        let limit = RateLimit {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(per_minute.max(1)),
        };
        state
            .intake
            .key_limits
            .take(limit, integration.id, Instant::now())
            .map_err(Refusal::Throttled)?;
    }
    if records.is_empty() {
        return Ok(());
    }
    let received_at = state.clock.now_ms();
    let count = records.len() as u64;
    let entries = records
        .into_iter()
        .map(|record| NewIntakeEntry {
            integration_id: integration.id,
            received_at,
            record,
        })
        .collect();
    state
        .intake
        .appender
        .append(entries)
        .await
        .map_err(|e| Refusal::Failed(e.to_string()))?;
    state
        .intake
        .stats
        .accepted
        .fetch_add(count, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

fn body_within(body: Result<Bytes, BytesRejection>, max: usize) -> Result<Bytes, Refusal> {
    match body {
        Ok(b) if b.len() <= max => Ok(b),
        Ok(_) => Err(Refusal::TooLarge(max)),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(Refusal::TooLarge(max)),
        Err(e) => Err(Refusal::Failed(format!("cannot read the body: {e}"))),
    }
}

// --- PagerDuty Events API v2 ---

const PAGERDUTY_KINDS: &[IntegrationKind] = &[
    IntegrationKind::PagerdutyEventsV2,
    IntegrationKind::Alertmanager,
];

fn pagerduty_refusal(r: Refusal) -> Response {
    match r {
        Refusal::UnknownKey => mark_unknown_key(json_response(
            StatusCode::BAD_REQUEST,
            pagerduty::invalid(&pagerduty::unknown_routing_key()),
        )),
        Refusal::WrongKind(kind) => json_response(
            StatusCode::BAD_REQUEST,
            pagerduty::invalid(&[format!(
                "'routing_key' belongs to a {} integration, which does not take PagerDuty events",
                kind.as_str()
            )]),
        ),
        Refusal::Throttled(s) => retry_after(
            json_response(StatusCode::TOO_MANY_REQUESTS, pagerduty::throttled()),
            s,
        ),
        Refusal::TooLarge(max) => json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            pagerduty::invalid(&[format!("the event must be at most {} KB", max / 1024)]),
        ),
        Refusal::Failed(e) => {
            tracing::error!(error = %e, "PagerDuty event not accepted");
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"status": "error", "message": "the event could not be stored; retry"}),
            )
        }
    }
}

/// `POST /v2/enqueue`: a PagerDuty Events API v2 alert event.
pub async fn pagerduty_event(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body_within(body, PAGERDUTY_MAX_BODY) {
        Ok(b) => b,
        Err(r) => return pagerduty_refusal(r),
    };
    let parsed = match pagerduty::parse_event(&body, generate_dedup_key) {
        Ok(p) => p,
        Err(invalid) => {
            return json_response(StatusCode::BAD_REQUEST, pagerduty::invalid(&invalid.errors));
        }
    };
    let result = async {
        let i = integration(&state, &parsed.routing_key, PAGERDUTY_KINDS).await?;
        let dedup_key = parsed.event.dedup_key.clone();
        accept(&state, &i, vec![IntakeRecord::Alert(parsed.event)]).await?;
        Ok::<_, Refusal>(dedup_key)
    }
    .await;
    match result {
        Ok(dedup_key) => json_response(StatusCode::ACCEPTED, pagerduty::accepted(&dedup_key)),
        Err(r) => pagerduty_refusal(r),
    }
}

/// `POST /v2/change/enqueue`: a PagerDuty change event, kept on the service.
pub async fn pagerduty_change(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body_within(body, PAGERDUTY_MAX_BODY) {
        Ok(b) => b,
        Err(r) => return pagerduty_refusal(r),
    };
    let (routing_key, change) = match pagerduty::parse_change(&body) {
        Ok(p) => p,
        Err(invalid) => {
            return json_response(StatusCode::BAD_REQUEST, pagerduty::invalid(&invalid.errors));
        }
    };
    let result = async {
        let i = integration(&state, &routing_key, PAGERDUTY_KINDS).await?;
        accept(&state, &i, vec![IntakeRecord::Change(change)]).await
    }
    .await;
    match result {
        Ok(()) => json_response(StatusCode::ACCEPTED, pagerduty::change_accepted()),
        Err(r) => pagerduty_refusal(r),
    }
}

// --- Opsgenie Alert API ---

#[derive(Debug, Deserialize)]
pub struct OpsgenieParams {
    #[serde(rename = "identifierType")]
    identifier_type: Option<String>,
    #[serde(rename = "apiKey")]
    api_key: Option<String>,
}

fn opsgenie_refusal(r: Refusal, request_id: &str) -> Response {
    match r {
        Refusal::UnknownKey => mark_unknown_key(json_response(
            StatusCode::UNAUTHORIZED,
            opsgenie::unauthorized(request_id),
        )),
        Refusal::WrongKind(_) => {
            json_response(StatusCode::UNAUTHORIZED, opsgenie::unauthorized(request_id))
        }
        Refusal::Throttled(s) => retry_after(
            json_response(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"message": "You are making too many requests! Retry later.",
                       "took": 0.0, "requestId": request_id}),
            ),
            s,
        ),
        Refusal::TooLarge(max) => json_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"message": format!("Request body must be at most {} KB.", max / 1024),
                   "took": 0.0, "requestId": request_id}),
        ),
        Refusal::Failed(e) => {
            tracing::error!(error = %e, "Opsgenie request not accepted");
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"message": "The request could not be stored; retry.",
                       "took": 0.0, "requestId": request_id}),
            )
        }
    }
}

/// The key from `Authorization: GenieKey <key>` (or the `apiKey` query parameter).
fn genie_key(headers: &HeaderMap, params: &OpsgenieParams) -> Option<String> {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("GenieKey")
                .then(|| key.trim().to_string())
        });
    from_header.or_else(|| params.api_key.clone())
}

async fn opsgenie_request(
    state: &AppState,
    headers: &HeaderMap,
    params: &OpsgenieParams,
    body: Result<Bytes, BytesRejection>,
    parse: impl FnOnce(&[u8]) -> Result<mayday_core::alert::AlertEvent, opsgenie::OgInvalid>,
) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::now_v7().to_string();
    let Some(key) = genie_key(headers, params) else {
        return opsgenie_refusal(Refusal::UnknownKey, &request_id);
    };
    let body = match body_within(body, OTHER_MAX_BODY) {
        Ok(b) => b,
        Err(r) => return opsgenie_refusal(r, &request_id),
    };
    let i = match integration(state, &key, &[IntegrationKind::Opsgenie]).await {
        Ok(i) => i,
        Err(r) => return opsgenie_refusal(r, &request_id),
    };
    let event = match parse(&body) {
        Ok(e) => e,
        Err(invalid) => {
            return json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                opsgenie::invalid(&invalid.errors, &request_id),
            );
        }
    };
    match accept(state, &i, vec![IntakeRecord::Alert(event)]).await {
        Ok(()) => json_response(
            StatusCode::ACCEPTED,
            opsgenie::accepted(&request_id, started.elapsed().as_secs_f64()),
        ),
        Err(r) => opsgenie_refusal(r, &request_id),
    }
}

/// `POST /v2/alerts`: create an Opsgenie alert (`alias` is the dedup key).
pub async fn opsgenie_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<OpsgenieParams>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    opsgenie_request(&state, &headers, &params, body, |b| {
        opsgenie::parse_create(b, generate_dedup_key)
    })
    .await
}

/// `POST /v2/alerts/{identifier}/acknowledge` and `/close`.
pub async fn opsgenie_action(
    State(state): State<AppState>,
    Path((identifier, action)): Path<(String, String)>,
    headers: HeaderMap,
    Query(params): Query<OpsgenieParams>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let action = match action.as_str() {
        "acknowledge" => AlertAction::Acknowledge,
        "close" => AlertAction::Resolve,
        _ => return ApiError::NotFound("no such route".into()).into_response(),
    };
    let kind = params.identifier_type.clone();
    opsgenie_request(&state, &headers, &params, body, |b| {
        opsgenie::parse_action(&identifier, kind.as_deref(), action, b)
    })
    .await
}

// --- Mayday's own endpoints: Alertmanager webhook, generic JSON, heartbeat ---

fn refusal(r: Refusal, endpoint: &str) -> Response {
    match r {
        Refusal::UnknownKey => mark_unknown_key(
            ApiError::NotFound("no integration has this key".into()).into_response(),
        ),
        Refusal::WrongKind(kind) => ApiError::BadRequest(format!(
            "this key belongs to a {} integration, which does not take {endpoint} events",
            kind.as_str()
        ))
        .into_response(),
        Refusal::Throttled(s) => retry_after(
            ApiError::TooManyRequests(format!(
                "this integration's rate limit is reached; retry in {s} s"
            ))
            .into_response(),
            s,
        ),
        Refusal::TooLarge(max) => {
            ApiError::PayloadTooLarge(format!("the body must be at most {max} bytes"))
                .into_response()
        }
        Refusal::Failed(e) => ApiError::Internal(e).into_response(),
    }
}

/// The body (within `max` bytes) and the integration of `kind` holding the key in the path.
async fn keyed_body(
    state: &AppState,
    key: &str,
    kind: IntegrationKind,
    body: Result<Bytes, BytesRejection>,
    max: usize,
) -> Result<(Bytes, Integration), Refusal> {
    let body = body_within(body, max)?;
    let i = integration(state, key, &[kind]).await?;
    Ok((body, i))
}

/// `POST /api/v1/integrations/{key}/alertmanager`: an Alertmanager webhook (version 4).
pub async fn alertmanager_webhook(
    State(state): State<AppState>,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = keyed_body(
        &state,
        &key,
        IntegrationKind::Alertmanager,
        body,
        ALERTMANAGER_MAX_BODY,
    )
    .await;
    let (body, i) = match result {
        Ok(x) => x,
        Err(r) => return refusal(r, "Alertmanager"),
    };
    let events = match alertmanager::parse_webhook(&body) {
        Ok(e) => e,
        Err(e) => return ApiError::BadRequest(e).into_response(),
    };
    let count = events.len();
    let records = events.into_iter().map(IntakeRecord::Alert).collect();
    match accept(&state, &i, records).await {
        Ok(()) => json_response(
            StatusCode::ACCEPTED,
            json!({"status": "success", "alerts": count}),
        ),
        Err(r) => refusal(r, "Alertmanager"),
    }
}

/// `POST /api/v1/integrations/{key}/events`: any JSON, read through the integration's mapping.
pub async fn generic_event(
    State(state): State<AppState>,
    Path(key): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = keyed_body(
        &state,
        &key,
        IntegrationKind::GenericJson,
        body,
        OTHER_MAX_BODY,
    )
    .await;
    let (body, i) = match result {
        Ok(x) => x,
        Err(r) => return refusal(r, "generic JSON"),
    };
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return ApiError::BadRequest(format!("the body is not valid JSON: {e}"))
                .into_response();
        }
    };
    let mapping = i.settings.mapping.clone().unwrap_or_default();
    let event = match generic::parse_generic(&value, &mapping, generate_dedup_key) {
        Ok(e) => e,
        Err(errors) => {
            let mut v = mayday_core::ValidationErrors::new();
            for (field, message) in errors {
                v.add(field, message);
            }
            return ApiError::Invalid(v).into_response();
        }
    };
    let dedup_key = event.dedup_key.clone();
    match accept(&state, &i, vec![IntakeRecord::Alert(event)]).await {
        Ok(()) => json_response(
            StatusCode::ACCEPTED,
            json!({"status": "success", "dedup_key": dedup_key}),
        ),
        Err(r) => refusal(r, "generic JSON"),
    }
}

/// `GET|POST /api/v1/integrations/{key}/heartbeat`: a ping.
pub async fn heartbeat(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let result = async {
        let i = integration(&state, &key, &[IntegrationKind::Heartbeat]).await?;
        accept(&state, &i, vec![IntakeRecord::Ping]).await
    }
    .await;
    match result {
        Ok(()) => json_response(StatusCode::ACCEPTED, json!({"status": "success"})),
        Err(r) => refusal(r, "heartbeat"),
    }
}

/// A request path fit for logs: integration keys in it are replaced by `{key}`, calendar-feed
/// tokens (`/ical/{token}/...`) by `{token}`.
pub fn redacted_path(path: &str) -> String {
    const PREFIX: &str = "/api/v1/integrations/";
    const ICAL: &str = "/ical/";
    if path.starts_with("/actions/") {
        return "/actions/{token}".into();
    }
    if let Some(rest) = path.strip_prefix(ICAL) {
        return match rest.split_once('/') {
            Some((_, feed)) => format!("{ICAL}{{token}}/{feed}"),
            None => format!("{ICAL}{{token}}"),
        };
    }
    match path.strip_prefix(PREFIX) {
        Some(rest) => match rest.split_once('/') {
            Some((_, action)) => format!("{PREFIX}{{key}}/{action}"),
            None => path.to_string(),
        },
        None => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted_path;

    #[test]
    fn keys_are_redacted_from_paths() {
        assert_eq!(
            redacted_path("/api/v1/integrations/AbCdEfGhIjKlMnOpQrStUvWxYz012345/alertmanager"),
            "/api/v1/integrations/{key}/alertmanager"
        );
        assert_eq!(
            redacted_path("/api/v1/integrations/0190f3a2-0000-7000-8000-000000000000"),
            "/api/v1/integrations/0190f3a2-0000-7000-8000-000000000000"
        );
        assert_eq!(redacted_path("/v2/enqueue"), "/v2/enqueue");
        assert_eq!(redacted_path("/actions/c2VjcmV0"), "/actions/{token}");
        assert_eq!(
            redacted_path("/ical/Zm9vYmFyYmF6cXV4X3NlY3JldF90b2tlbl8xMjM0NQ/me.ics"),
            "/ical/{token}/me.ics"
        );
        assert_eq!(
            redacted_path("/ical/secret/schedules/Primary.ics"),
            "/ical/{token}/schedules/Primary.ics"
        );
        assert_eq!(redacted_path("/ical/secret"), "/ical/{token}");
    }
}
