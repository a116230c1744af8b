//! Routes for paging: escalate an incident by hand, its pages and pending escalation, the
//! notification outbox (dead letters, re-queue), message templates, and the public pages
//! behind the action links in messages (`/actions/{token}`: GET shows a confirmation form,
//! only its POST acts).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use mayday_core::incident::IncidentNumber;
use mayday_notify::MessageTemplate;
use mayday_store::{StoredMessage, Timer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::JsonBody;
use crate::AppState;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::ApiResult;
use crate::paging::actions::{self, Outcome, Unusable, Usable};
use crate::paging::manage;

/// Routes behind authentication.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents/{id}/escalate", post(escalate))
        .route("/api/v1/incidents/{id}/pages", get(pages))
        .route("/api/v1/notifications", get(outbox))
        .route("/api/v1/notifications/{id}/retry", post(retry))
        .route("/api/v1/notification-templates", get(templates))
        .route(
            "/api/v1/notification-templates/{event}",
            axum::routing::put(set_template).delete(reset_template),
        )
}

/// Routes without a login: the action links (the token in the path is the credential).
pub fn public_routes() -> Router<AppState> {
    Router::new().route("/actions/{token}", get(action_page).post(action_post))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EscalateBody {
    /// The level to page (1-based); the next one when absent.
    pub level: Option<u32>,
}

/// Page a level of the incident's escalation policy now (the next one by default). Pending
/// escalation is replaced by this one; acknowledged incidents can be escalated too.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/escalate", tag = "paging",
    request_body = EscalateBody, params(("id" = String, Path)),
    responses((status = 202, description = "the level is being paged; the incident as it is"),
        (status = 403), (status = 404),
        (status = 409, description = "closed, or no policy applies"), (status = 422)))]
pub async fn escalate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Response> {
    let mut input = body.input(&["level"])?;
    let level = input.int("level");
    if let Some(l) = level
        && l < 1
    {
        input.error("level", "must be 1 or more");
    }
    input.finish()?;
    let inc = manage::escalate(&state, &caller, &id, level.map(|l| l as u32)).await?;
    super::incidents::respond(&state, StatusCode::ACCEPTED, &inc).await
}

/// A message in the outbox. The address is shown; secrets never are.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// Its identity on every attempt (`Message-ID`, `Mayday-Delivery-Id`).
    pub id: Uuid,
    pub incident_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    /// email, webhook, slack, teams or mattermost.
    pub channel: String,
    /// triggered, escalated, acknowledged, resolved or commented.
    pub event: String,
    /// A page (as opposed to a notice of what happened).
    pub page: bool,
    pub address: String,
    pub subject: String,
    /// pending, sent, dead (given up) or canceled.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub due_at: String,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

fn message_view(m: &StoredMessage) -> MessageView {
    let p = &m.message.payload;
    let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let pending = m.status == mayday_store::MessageStatus::Pending;
    MessageView {
        id: m.message.id,
        incident_id: m.message.incident_id,
        user_id: m.message.user_id,
        channel: m.message.channel.clone(),
        event: m.message.event.clone(),
        page: m.message.page,
        address: text("address"),
        subject: text("subject"),
        status: m.status.as_str().into(),
        attempts: m.attempts,
        last_error: m.last_error.clone(),
        due_at: rfc3339(m.message.due_at),
        next_attempt_at: pending.then(|| rfc3339(m.next_attempt_at)),
        created_at: rfc3339(m.message.created_at),
        sent_at: m.sent_at.map(rfc3339),
    }
}

/// A pending escalation step or notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimerView {
    pub id: Uuid,
    /// escalation or notify.
    pub kind: String,
    pub due_at: String,
    /// For escalation: the level (1-based) and round (0 the first) it pages.
    pub level: Option<u32>,
    pub round: Option<u32>,
}

fn timer_view(t: &Timer) -> TimerView {
    let num = |k: &str| t.payload.get(k).and_then(Value::as_u64).map(|n| n as u32);
    let escalation = t.kind == crate::paging::ESCALATION;
    TimerView {
        id: t.id,
        kind: t.kind.clone(),
        due_at: rfc3339(t.due_at),
        level: num("level").filter(|_| escalation).map(|l| l + 1),
        round: num("round").filter(|_| escalation),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PagesView {
    pub incident: String,
    pub escalation_level: i32,
    /// Newest first.
    pub messages: Vec<MessageView>,
    /// Earliest first.
    pub pending: Vec<TimerView>,
}

/// An incident's messages and its pending escalation.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/pages", tag = "paging",
    params(("id" = String, Path)),
    responses((status = 200, body = PagesView), (status = 403), (status = 404)))]
pub async fn pages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PagesView>> {
    let (inc, messages, timers) = manage::pages(&state, &caller, &id).await?;
    Ok(Json(PagesView {
        incident: IncidentNumber(inc.number).to_string(),
        escalation_level: inc.escalation_level,
        messages: messages.iter().map(message_view).collect(),
        pending: timers.iter().map(timer_view).collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct OutboxParams {
    pub status: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    pub items: Vec<MessageView>,
}

/// The notification outbox, newest first (`status=dead`: the dead letters). Managers, admins.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "paging",
    params(("status" = Option<String>, Query, description = "pending, sent, dead or canceled"),
        ("limit" = Option<i64>, Query, description = "1 to 1000, default 100")),
    responses((status = 200, body = MessageList), (status = 403), (status = 422)))]
pub async fn outbox(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<OutboxParams>,
) -> ApiResult<Json<MessageList>> {
    let items = manage::outbox(&state, &caller, p.status.as_deref(), p.limit).await?;
    Ok(Json(MessageList {
        items: items.iter().map(message_view).collect(),
    }))
}

/// Re-queue a dead letter (admins). It keeps its identity.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/retry", tag = "paging",
    params(("id" = String, Path)),
    responses((status = 200, body = MessageView), (status = 403), (status = 404),
        (status = 409, description = "not a dead letter")))]
pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<MessageView>> {
    let m = manage::retry(&state, &caller, &id).await?;
    Ok(Json(message_view(&m)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    /// triggered, escalated, acknowledged, resolved or commented.
    pub event: String,
    pub subject: String,
    pub body: String,
    /// Changed by an admin (otherwise the default).
    pub custom: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    pub items: Vec<TemplateView>,
    /// The `{{variables}}` templates may use.
    pub variables: Vec<String>,
}

/// The message template of every event.
#[utoipa::path(get, path = "/api/v1/notification-templates", tag = "paging",
    responses((status = 200, body = TemplateList), (status = 403)))]
pub async fn templates(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<TemplateList>> {
    let items = manage::templates(&state, &caller)
        .await?
        .into_iter()
        .map(|(event, t, custom)| TemplateView {
            event,
            subject: t.subject,
            body: t.body,
            custom,
        })
        .collect();
    Ok(Json(TemplateList {
        items,
        variables: mayday_notify::VARIABLES
            .iter()
            .map(|v| v.to_string())
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateBody {
    pub subject: String,
    pub body: String,
}

/// Replace an event's template (admins). Unknown `{{variables}}` are refused.
#[utoipa::path(put, path = "/api/v1/notification-templates/{event}", tag = "paging",
    request_body = TemplateBody, params(("event" = String, Path)),
    responses((status = 200, body = TemplateView), (status = 403), (status = 404), (status = 422)))]
pub async fn set_template(
    State(state): State<AppState>,
    caller: Caller,
    Path(event): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<TemplateView>> {
    let input = body.input(&["subject", "body"])?;
    let t: MessageTemplate = manage::set_template(&state, &caller, &event, input).await?;
    Ok(Json(TemplateView {
        event,
        subject: t.subject,
        body: t.body,
        custom: true,
    }))
}

/// Go back to the default template of an event (admins).
#[utoipa::path(delete, path = "/api/v1/notification-templates/{event}", tag = "paging",
    params(("event" = String, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn reset_template(
    State(state): State<AppState>,
    caller: Caller,
    Path(event): Path<String>,
) -> ApiResult<StatusCode> {
    manage::reset_template(&state, &caller, &event).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- action links: small HTML pages that work without JavaScript ---

/// Text made safe to put in HTML (element content and quoted attribute values).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page: no scripts, no outside resources, never cached, never framed, and the token
/// in its address never leaves in a Referer.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Mayday</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}}\
         h1{{font-size:1.4rem}}label{{display:block;margin:1rem 0 .3rem;font-weight:600}}\
         select,textarea{{width:100%;font:inherit;padding:.4rem}}textarea{{min-height:6rem}}\
         button{{margin-top:1rem;font:inherit;padding:.6rem 1.2rem;background:#0b57d0;color:#fff;border:0;border-radius:4px;cursor:pointer}}\
         .meta{{color:#444}}.error{{color:#a40000}}</style></head>\
         <body><main>{body}</main></body></html>",
        title = escape_html(title),
    );
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    res
}

fn unusable(why: Unusable) -> Response {
    match why {
        Unusable::Unknown => page(
            StatusCode::NOT_FOUND,
            "Link not found",
            "<h1>This link does not work</h1><p>It may have been mistyped. Open the incident in Mayday instead.</p>",
        ),
        Unusable::Used => page(
            StatusCode::GONE,
            "Link already used",
            "<h1>This link was already used</h1><p>Each link works once. Open the incident in Mayday to see where it stands.</p>",
        ),
        Unusable::Expired => page(
            StatusCode::GONE,
            "Link expired",
            "<h1>This link has expired</h1><p>Open the incident in Mayday instead.</p>",
        ),
    }
}

fn describe(u: &Usable) -> String {
    format!(
        "<p class=\"meta\"><strong>{}</strong><br>Priority {} · status {}</p>",
        escape_html(&actions::headline(&u.incident)),
        escape_html(&u.incident.priority.to_string()),
        escape_html(u.incident.status.as_str()),
    )
}

fn form(u: &Usable, error: Option<&str>, notes: &str, code: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape_html(e)))
        .unwrap_or_default();
    let body = if u.link.action == "acknowledge" {
        format!(
            "<h1>Acknowledge this incident?</h1>{}{error}<form method=\"post\">\
             <p>You, {}, take it: escalation stops.</p>\
             <button type=\"submit\">Acknowledge</button></form>",
            describe(u),
            escape_html(&u.user.display_name),
        )
    } else {
        let options: String = u
            .resolution_codes
            .iter()
            .map(|c| {
                format!(
                    "<option value=\"{v}\"{sel}>{v}</option>",
                    v = escape_html(c),
                    sel = if Some(c.as_str()) == code {
                        " selected"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        format!(
            "<h1>Resolve this incident?</h1>{}{error}<form method=\"post\">\
             <label for=\"resolution_code\">Resolution code</label>\
             <select id=\"resolution_code\" name=\"resolution_code\" required>{options}</select>\
             <label for=\"resolution_notes\">Resolution notes</label>\
             <textarea id=\"resolution_notes\" name=\"resolution_notes\" required>{}</textarea>\
             <button type=\"submit\">Resolve as {}</button></form>",
            describe(u),
            escape_html(notes),
            escape_html(&u.user.display_name),
        )
    };
    page(StatusCode::OK, "Confirm", &body)
}

/// Shows what the link would do; acts only on the form's POST.
pub async fn action_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Response> {
    Ok(match actions::look_up(&state, &token).await? {
        Ok(u) => form(&u, None, "", None),
        Err(why) => unusable(why),
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct ActionForm {
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
}

/// Carries out the link's action.
pub async fn action_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(f): Form<ActionForm>,
) -> ApiResult<Response> {
    let code = f.resolution_code.filter(|s| !s.trim().is_empty());
    let notes = f.resolution_notes.filter(|s| !s.trim().is_empty());
    match actions::act(&state, &token, code.clone(), notes.clone()).await {
        Ok(Ok(Outcome::Done(inc))) => Ok(page(
            StatusCode::OK,
            "Done",
            &format!(
                "<h1>Done: {} is {}</h1><p>Thank you.</p>",
                escape_html(&IncidentNumber(inc.number).to_string()),
                escape_html(inc.status.as_str())
            ),
        )),
        Ok(Ok(Outcome::AlreadyDone(inc))) => Ok(page(
            StatusCode::CONFLICT,
            "Nothing to do",
            &format!(
                "<h1>Nothing to do</h1><p>{} is already {}.</p>",
                escape_html(&IncidentNumber(inc.number).to_string()),
                escape_html(inc.status.as_str())
            ),
        )),
        Ok(Err(why)) => Ok(unusable(why)),
        Err(crate::error::ApiError::Invalid(errors)) => {
            // The resolve form again, with what is missing said and the input kept.
            let Ok(u) = actions::look_up(&state, &token).await? else {
                return Ok(unusable(Unusable::Unknown));
            };
            let text = errors
                .0
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            let mut res = form(
                &u,
                Some(&text),
                notes.as_deref().unwrap_or(""),
                code.as_deref(),
            );
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        escalate,
        pages,
        outbox,
        retry,
        templates,
        set_template,
        reset_template
    ),
    components(schemas(
        EscalateBody,
        MessageView,
        TimerView,
        PagesView,
        MessageList,
        TemplateView,
        TemplateList,
        TemplateBody
    ))
)]
pub struct PagingApi;
