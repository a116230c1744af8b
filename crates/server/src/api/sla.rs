//! SLA clocks over HTTP: an incident's SLA clocks, why they show what they show, and
//! compliance over a period.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::OpenApi;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::incidents;
use crate::services::oncall::query_time;
use crate::services::sla::SlaSettings;
use crate::sla::compliance::{self, ComplianceItem, ComplianceReport, GroupBy};
use crate::sla::view::{
    self, CalendarRef, ClockList, ClockView, IncidentRefView, WhyInterval, WhyList,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents/{id}/sla", get(incident_sla))
        .route("/api/v1/incidents/{id}/sla/why", get(incident_sla_why))
        .route("/api/v1/sla/compliance", get(sla_compliance))
}

/// The incident's SLA clocks as of now: state, due instant, elapsed and remaining business
/// time (anyone who may read the incident).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/sla", tag = "sla",
    params(("id" = String, Path, description = "UUID or INC-number")),
    responses((status = 200, body = ClockList), (status = 404)))]
pub async fn incident_sla(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ClockList>> {
    let inc = incidents::load(&state, &caller, &id).await?;
    let settings = SlaSettings::load(state.store.as_ref()).await?;
    Ok(Json(view::clocks(
        &settings.config(),
        &inc,
        state.clock.now_ms(),
    )))
}

/// Why the incident's clocks show what they show: each clock's life split into the intervals
/// counted (business hours, or 24×7) and not counted (paused with its reason, outside
/// business hours, a holiday), up to now (anyone who may read the incident).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/sla/why", tag = "sla",
    params(("id" = String, Path, description = "UUID or INC-number")),
    responses((status = 200, body = WhyList), (status = 404)))]
pub async fn incident_sla_why(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<WhyList>> {
    let inc = incidents::load(&state, &caller, &id).await?;
    let settings = SlaSettings::load(state.store.as_ref()).await?;
    Ok(Json(view::why(
        &settings.config(),
        &inc,
        state.clock.now_ms(),
    )))
}

#[derive(Debug, Deserialize)]
pub struct ComplianceQuery {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
}

/// The longest default period of a compliance report.
const DEFAULT_DAYS: i64 = 30;

/// SLA compliance of the clocks of incidents logged in [`from`, `to`) (default: the last 30
/// days), grouped by `by` (`policy`, the default; `team`; `priority`) and kind (agents and
/// above).
#[utoipa::path(get, path = "/api/v1/sla/compliance", tag = "sla",
    params(("from" = Option<String>, Query, description = "RFC 3339; default 30 days before `to`"),
        ("to" = Option<String>, Query, description = "RFC 3339; default now"),
        ("by" = Option<String>, Query, description = "policy (default), team or priority")),
    responses((status = 200, body = ComplianceReport), (status = 403), (status = 422)))]
pub async fn sla_compliance(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ComplianceQuery>,
) -> ApiResult<Json<ComplianceReport>> {
    let to = query_time("to", q.to.as_deref())?.unwrap_or_else(|| state.clock.now_ms());
    let from =
        query_time("from", q.from.as_deref())?.unwrap_or(to - DEFAULT_DAYS * 24 * 3600 * 1000);
    let by = match q.by.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => GroupBy::Policy,
        Some(b) => GroupBy::parse(b).map_err(|e| ApiError::invalid("by", e))?,
    };
    if to <= from {
        return Err(ApiError::invalid("to", "must be after `from`"));
    }
    Ok(Json(
        compliance::report(&state, &caller, from, to, by).await?,
    ))
}

#[derive(OpenApi)]
#[openapi(
    paths(incident_sla, incident_sla_why, sla_compliance),
    components(schemas(
        ClockList,
        ClockView,
        CalendarRef,
        IncidentRefView,
        WhyList,
        WhyInterval,
        ComplianceReport,
        ComplianceItem
    ))
)]
pub struct SlaApi;
