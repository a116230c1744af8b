//! The web console's foundation: server-rendered pages (askama templates under `templates/`,
//! escaped by default), signing in with a username or email and a password (argon2id, verified
//! off the async threads), sessions kept in the database (so they work on every node) behind an
//! `HttpOnly`, `SameSite=Lax` cookie holding a random secret of which only the hash is stored,
//! a CSRF token per session on every form, cross-site form posts refused by their `Origin` /
//! `Sec-Fetch-Site`, repeated failed sign-ins slowed down, and the dashboard.

use std::collections::HashMap;
use std::sync::Mutex;

use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use mayday_core::{Millis, Priority, Status};
use mayday_store::{EntityKind, IncidentQuery, Session, User, decode_entity};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{generate_token, token_hash, verify_password};
use crate::services::directory::find_user;

/// The session cookie.
const SESSION_COOKIE: &str = "mayday_session";
/// The cookie carrying the sign-in form's CSRF token (there is no session yet).
const LOGIN_CSRF_COOKIE: &str = "mayday_login_csrf";
/// A session ends after this long without use ...
const IDLE_MS: i64 = 12 * 3_600_000;
/// ... and in any case this long after signing in.
const ABSOLUTE_MS: i64 = 7 * 24 * 3_600_000;
/// Failed sign-ins per username (and per client address) within [`THROTTLE_WINDOW_MS`]
/// before further attempts are refused until the window ends.
const MAX_FAILURES: u32 = 5;
const THROTTLE_WINDOW_MS: i64 = 5 * 60_000;
/// The most throttle entries kept (oldest windows are forgotten first).
const MAX_THROTTLE_ENTRIES: usize = 10_000;

/// Failed sign-ins, by username and by client address.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Millis)>>,
}

impl LoginThrottle {
    fn blocked(&self, keys: &[String], now: Millis) -> bool {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter().any(|k| {
            map.get(k)
                .is_some_and(|(n, since)| *n >= MAX_FAILURES && now - since < THROTTLE_WINDOW_MS)
        })
    }

    fn fail(&self, keys: &[String], now: Millis) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_THROTTLE_ENTRIES {
            map.retain(|_, (_, since)| now - *since < THROTTLE_WINDOW_MS);
        }
        for k in keys {
            let entry = map.entry(k.clone()).or_insert((0, now));
            if now - entry.1 >= THROTTLE_WINDOW_MS {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
    }

    fn clear(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(key);
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/assets/app.css", get(stylesheet))
}

/// Security headers on every page: no framing, no sniffing, scripts and styles from here only.
fn page(status: StatusCode, html: String) -> Response {
    let mut res = (status, Html(html)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => page(status, html),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page failed to render",
            )
                .into_response()
        }
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("app.css"),
    )
        .into_response()
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// `Set-Cookie` text: `HttpOnly`, `SameSite=Lax`, and `Secure` when the console is served over
/// HTTPS (`public_url`).
fn set_cookie(state: &AppState, name: &str, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if state.settings.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Refuses a form posted from another site: a cross-site `Sec-Fetch-Site`, or an `Origin` that
/// is not this server's (by its `Host`).
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site == "cross-site"
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    !host.is_empty() && origin_host == host
}

fn forbidden(why: &str) -> Response {
    page(
        StatusCode::FORBIDDEN,
        format!(
            "<!doctype html><title>Refused</title><p>Refused: {}. <a href=\"/\">Back</a></p>",
            askama_escape(why)
        ),
    )
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A signed-in person and their session.
pub struct WebUser {
    pub user: User,
    pub session: Session,
}

/// Not signed in: a redirect to the sign-in page.
pub struct SignIn;

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, SignIn> {
        signed_in(state, &parts.headers).await.ok_or(SignIn)
    }
}

/// The person the request's session cookie signs in, if any (the use keeps the session alive).
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<WebUser> {
    let found: Result<WebUser, SignIn> = async {
        let secret = cookie_value(headers, SESSION_COOKIE).ok_or(SignIn)?;
        let hash = token_hash(&secret);
        let now = state.clock.now_ms();
        let session = state
            .store
            .get_session(&hash, now)
            .await
            .ok()
            .flatten()
            .ok_or(SignIn)?;
        let user = state
            .store
            .get_entity(EntityKind::User, session.user_id)
            .await
            .ok()
            .flatten()
            .and_then(|e| decode_entity::<User>(&e).ok())
            .filter(|u| u.active)
            .ok_or(SignIn)?;
        let expires = (now + IDLE_MS).min(session.created_at + ABSOLUTE_MS);
        // A use keeps the session alive; a failed touch (ended meanwhile) signs out.
        if !state
            .store
            .touch_session(&hash, now, expires)
            .await
            .unwrap_or(false)
        {
            return Err(SignIn);
        }
        Ok(WebUser { user, session })
    }
    .await;
    found.ok()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    error: Option<String>,
    csrf: String,
    username: String,
}

fn login_form(
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
    username: String,
) -> Response {
    let csrf = generate_token();
    let mut res = render(
        status,
        &LoginPage {
            error,
            csrf: csrf.clone(),
            username,
        },
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_CSRF_COOKIE, &csrf, 3600),
    );
    res
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if signed_in(&state, &headers).await.is_some() {
        return Redirect::to("/").into_response();
    }
    login_form(&state, StatusCode::OK, None, String::new())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// Finds the account a sign-in names: a username (or id), else an email address.
async fn account(state: &AppState, key: &str) -> Option<User> {
    if let Ok(Some(u)) = find_user(state.store.as_ref(), key).await {
        return Some(u);
    }
    if !key.contains('@') {
        return None;
    }
    let users = state.store.list_entities(EntityKind::User).await.ok()?;
    users
        .iter()
        .filter_map(|e| decode_entity::<User>(e).ok())
        .find(|u| {
            u.email
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(key))
        })
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Response {
    if !same_origin(&headers) {
        return forbidden("a sign-in form from another site");
    }
    let expected = cookie_value(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || expected != form.csrf {
        return login_form(
            &state,
            StatusCode::FORBIDDEN,
            Some("The form expired; please sign in again.".into()),
            form.username,
        );
    }
    let now = state.clock.now_ms();
    let key = form.username.trim().to_lowercase();
    let keys = [format!("user:{key}"), format!("addr:{}", peer.ip())];
    if state.web.blocked(&keys, now) {
        return login_form(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many failed attempts; wait a few minutes and try again.".into()),
            form.username,
        );
    }
    let user = account(&state, form.username.trim())
        .await
        .filter(|u| u.active);
    let hash = match &user {
        Some(u) => state.store.password_hash(u.id).await.ok().flatten(),
        None => None,
    };
    let ok = match hash {
        Some(h) => verify_password(form.password.clone(), h).await,
        None => false,
    };
    let Some(user) = user.filter(|_| ok) else {
        state.web.fail(&keys, now);
        return login_form(
            &state,
            StatusCode::UNAUTHORIZED,
            Some("Wrong username or password.".into()),
            form.username,
        );
    };
    state.web.clear(&keys[0]);
    let secret = generate_token();
    let session = Session {
        id_hash: token_hash(&secret),
        user_id: user.id,
        csrf_token: generate_token(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + IDLE_MS,
    };
    if let Err(e) = state.store.create_session(&session).await {
        tracing::error!(error = %e, "a session could not be stored");
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "<!doctype html><title>Unavailable</title><p>Signing in failed; try again.</p>".into(),
        );
    }
    state.store.purge_sessions(now - ABSOLUTE_MS).await.ok();
    let mut res = Redirect::to("/").into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, &secret, ABSOLUTE_MS / 1000),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0),
    );
    res
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: WebUser,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !same_origin(&headers) || form.csrf != user.session.csrf_token {
        return forbidden("the form's security token does not match this session");
    }
    let _ = state.store.delete_session(&user.session.id_hash).await;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", 0),
    );
    res
}

struct PriorityRow {
    level: u8,
    label: &'static str,
    count: i64,
}

struct StatusRow {
    label: &'static str,
    count: i64,
}

struct IncidentRow {
    level: u8,
    number: String,
    title: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    display_name: String,
    role: &'static str,
    csrf: String,
    open_total: i64,
    by_priority: Vec<PriorityRow>,
    by_status: Vec<StatusRow>,
    unassigned: i64,
    mine: Vec<IncidentRow>,
}

const OPEN: [Status; 4] = [
    Status::New,
    Status::Acknowledged,
    Status::InProgress,
    Status::OnHold,
];

async fn count(state: &AppState, q: IncidentQuery) -> i64 {
    let q = IncidentQuery {
        limit: 1,
        include_total: true,
        ..q
    };
    match state.store.list_incidents(&q).await {
        Ok(page) => page.total.unwrap_or(0),
        Err(e) => {
            tracing::warn!(error = %e, "a dashboard count failed");
            0
        }
    }
}

async fn dashboard(State(state): State<AppState>, me: WebUser) -> Response {
    let restricted = me.user.role.sees_only_own();
    let base = IncidentQuery {
        statuses: OPEN.to_vec(),
        reporter: restricted.then_some(me.user.id),
        exclude_confidential: me.user.role == mayday_core::Role::Viewer,
        ..Default::default()
    };
    let open_total = count(&state, base.clone()).await;
    let mut by_priority = Vec::new();
    for level in 1..=5 {
        let Ok(p) = Priority::from_level(level) else {
            continue;
        };
        by_priority.push(PriorityRow {
            level: p.level(),
            label: p.label(),
            count: count(
                &state,
                IncidentQuery {
                    priorities: vec![p],
                    ..base.clone()
                },
            )
            .await,
        });
    }
    let mut by_status = Vec::new();
    for s in OPEN {
        by_status.push(StatusRow {
            label: s.as_str(),
            count: count(
                &state,
                IncidentQuery {
                    statuses: vec![s],
                    ..base.clone()
                },
            )
            .await,
        });
    }
    let unassigned = count(
        &state,
        IncidentQuery {
            assignees: vec![None],
            ..base.clone()
        },
    )
    .await;
    let mine_q = IncidentQuery {
        assignees: vec![Some(me.user.id)],
        limit: 10,
        ..base.clone()
    };
    let mine = match state.store.list_incidents(&mine_q).await {
        Ok(page) => page
            .items
            .iter()
            .map(|i| IncidentRow {
                level: i.priority.level(),
                number: mayday_core::IncidentNumber(i.number).to_string(),
                title: i.title.clone(),
                status: i.status.as_str(),
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    render(
        StatusCode::OK,
        &DashboardPage {
            display_name: me.user.display_name.clone(),
            role: me.user.role.as_str(),
            csrf: me.session.csrf_token.clone(),
            open_total,
            by_priority,
            by_status,
            unassigned,
            mine,
        },
    )
}
