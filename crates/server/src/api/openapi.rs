//! The OpenAPI 3.1 document, served publicly at `/api/v1/openapi.json`. Request schemas here
//! document bodies that handlers read field by field (so one 422 can name every problem).

use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Body of `POST /api/v1/incidents`. Mandatory for people: title, description, reporter,
/// impact, urgency, category.
#[derive(Serialize, ToSchema)]
pub struct CreateIncident {
    pub title: String,
    /// Markdown.
    pub description: String,
    /// User id or username (requesters: themselves, the default).
    pub reporter: String,
    /// portal, email, phone, chat, monitoring or api (default api).
    pub source: Option<String>,
    pub category: String,
    pub subcategory: Option<String>,
    /// Service id or name.
    pub service: Option<String>,
    pub configuration_items: Option<Vec<String>>,
    /// 1 high .. 3 low
    pub impact: u8,
    /// 1 high .. 3 low
    pub urgency: u8,
    /// Team id or name.
    pub assignment_group: Option<String>,
    /// User id or username (an agent, manager or admin).
    pub assignee: Option<String>,
    pub major: Option<bool>,
    pub confidential: Option<bool>,
    pub tags: Option<Vec<String>>,
    /// RFC 3339; when the interruption began (default: detected_at).
    pub started_at: Option<String>,
    /// RFC 3339; first alert or report (default: now).
    pub detected_at: Option<String>,
    /// Parent incident id or number.
    pub parent: Option<String>,
    /// Template name: its fields fill what the request leaves out.
    pub template: Option<String>,
}

/// Body of `PATCH /api/v1/incidents/{id}`: any subset; `null` clears optional fields.
#[derive(Serialize, ToSchema)]
pub struct PatchIncident {
    pub title: Option<String>,
    pub description: Option<String>,
    pub reporter: Option<String>,
    pub source: Option<String>,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub service: Option<String>,
    pub configuration_items: Option<Vec<String>>,
    pub impact: Option<u8>,
    pub urgency: Option<u8>,
    /// Manual override P1..P5 (needs `reason`); null clears the override.
    pub priority: Option<String>,
    /// Why the priority is overridden.
    pub reason: Option<String>,
    pub assignment_group: Option<String>,
    pub assignee: Option<String>,
    pub major: Option<bool>,
    pub confidential: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub workaround: Option<String>,
    pub root_cause: Option<String>,
    pub started_at: Option<String>,
    pub parent: Option<String>,
}

/// Body of `POST /api/v1/incidents/{id}/transitions`.
#[derive(Serialize, ToSchema)]
pub struct Transition {
    /// Target state.
    pub to: String,
    /// on_hold: awaiting_caller|awaiting_vendor|awaiting_change|awaiting_problem;
    /// canceled: duplicate|false_alarm|not_an_incident|withdrawn_by_caller.
    pub reason: Option<String>,
    /// Required to resolve.
    pub resolution_code: Option<String>,
    /// Required to resolve.
    pub resolution_notes: Option<String>,
    /// Required when canceling as duplicate: id or number of the original.
    pub duplicate_of: Option<String>,
}

/// Body of `POST /api/v1/incidents/{id}/comments`.
#[derive(Serialize, ToSchema)]
pub struct NewComment {
    /// Markdown.
    pub body: String,
    /// work_note (internal, default for responders) or public.
    pub visibility: Option<String>,
}

/// Body of `POST /api/v1/incidents/{id}/follow-up`.
#[derive(Serialize, ToSchema)]
pub struct FollowUp {
    pub reason: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Mayday", description = "Incident management API. Errors are application/problem+json (RFC 9457)."),
    paths(
        super::health,
        document,
        super::incidents::create,
        super::incidents::list,
        super::incidents::show,
        super::incidents::patch,
        super::incidents::transition,
        super::incidents::comment,
        super::incidents::timeline,
        super::incidents::mitigate,
        super::incidents::follow_up,
    ),
    modifiers(&BearerAuth),
    security(("token" = [])),
)]
struct ApiDoc;

/// The whole document.
pub fn build() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::directory::DirectoryApi::openapi());
    doc.merge(super::integrations::IntegrationsApi::openapi());
    doc.merge(super::oncall::OncallApi::openapi());
    doc.merge(super::paging::PagingApi::openapi());
    doc.merge(super::sla_config::SlaConfigApi::openapi());
    doc.merge(super::sla::SlaApi::openapi());
    doc
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(build())
}
