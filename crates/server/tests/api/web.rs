//! The web console's foundation over HTTP (a browser's requests, cookies handled by hand): the
//! sign-in form, wrong passwords, a session cookie (`HttpOnly`, `SameSite=Lax`) that signs the
//! dashboard in and is kept in the database, the CSRF token on every form, cross-site posts
//! refused, repeated failures slowed down, and signing out ending the session.

use reqwest::Method;
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::json;

use crate::harness::*;

macro_rules! on_both_engines {
    ($($scenario:ident => $sqlite:ident, $postgres:ident;)*) => {
        $(
            #[tokio::test]
            async fn $sqlite() {
                let app = TestApp::spawn(Engine::Sqlite).await.expect("SQLite is always available");
                $scenario(&app).await;
                app.finish().await;
            }

            #[tokio::test]
            async fn $postgres() {
                let Some(app) = TestApp::spawn(Engine::Postgres).await else {
                    return;
                };
                $scenario(&app).await;
                app.finish().await;
            }
        )*
    };
}

on_both_engines! {
    sign_in_dashboard_and_sign_out => sqlite_sign_in_dashboard_and_sign_out, postgres_sign_in_dashboard_and_sign_out;
    forms_from_elsewhere_are_refused => sqlite_forms_from_elsewhere_are_refused, postgres_forms_from_elsewhere_are_refused;
}

const PASSWORD: &str = "correct horse battery staple";

/// A browser without redirects followed, so each answer can be looked at.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of cookie `name` set by these headers, with its attributes.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<(String, String)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let value = v[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_string();
            (value, v.to_string())
        })
}

/// A form body, `application/x-www-form-urlencoded`.
fn form(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the hidden `csrf` field of a page.
fn csrf_field(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

async fn give_password(app: &TestApp, username: &str) {
    app.send(
        app.authed(
            Method::PUT,
            &format!("/api/v1/users/{username}/password"),
            &app.admin.token,
        )
        .json(&json!({"password": PASSWORD})),
    )
    .await
    .expect(204);
}

/// Opens the sign-in page: its CSRF cookie and field.
async fn login_form(app: &TestApp, b: &reqwest::Client) -> (String, String) {
    let res = b.get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let (cookie, attrs) = set_cookie(res.headers(), "mayday_login_csrf").expect("csrf cookie");
    assert!(
        attrs.contains("HttpOnly") && attrs.contains("SameSite=Lax"),
        "{attrs}"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("name=\"username\""), "{html}");
    assert!(html.contains("name=\"password\""), "{html}");
    let field = csrf_field(&html);
    assert_eq!(field, cookie);
    (cookie, field)
}

async fn post_login(
    app: &TestApp,
    b: &reqwest::Client,
    cookie: &str,
    csrf: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    b.post(app.url("/login"))
        .header("cookie", format!("mayday_login_csrf={cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("username", username),
            ("password", password),
            ("csrf", csrf),
        ]))
        .send()
        .await
        .unwrap()
}

async fn sign_in_dashboard_and_sign_out(app: &TestApp) {
    give_password(app, "alice").await;
    let b = browser();
    // Not signed in: the dashboard sends to the sign-in page.
    let res = b.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");

    let (cookie, csrf) = login_form(app, &b).await;
    let wrong = post_login(app, &b, &cookie, &csrf, "alice", "not it").await;
    assert_eq!(wrong.status(), 401);
    assert!(set_cookie(wrong.headers(), "mayday_session").is_none());
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Wrong username or password")
    );
    // A field that does not match the cookie is refused even with the right password.
    let forged = post_login(app, &b, &cookie, "forged", "alice", PASSWORD).await;
    assert_eq!(forged.status(), 403);

    // Signed in by email address too; `<script>` in a title shows as text.
    app.create(
        &app.agent.token,
        with(
            new_incident("<script>alert(1)</script> checkout"),
            json!({"assignee": "alice", "impact": 1, "urgency": 1}),
        ),
    )
    .await;
    let ok = post_login(app, &b, &cookie, &csrf, "ALICE@example.com", PASSWORD).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/");
    let (session, attrs) = set_cookie(ok.headers(), "mayday_session").expect("session cookie");
    assert!(
        attrs.contains("HttpOnly") && attrs.contains("SameSite=Lax"),
        "{attrs}"
    );
    let res = b
        .get(app.url("/"))
        .header("cookie", format!("mayday_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("Alice Agent"), "{html}");
    assert!(html.contains("Open incidents: 1"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; checkout")
            || html.contains("&#60;script&#62;alert(1)&#60;/script&#62; checkout"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"), "{html}");
    let csrf = csrf_field(&html);

    // Signing out needs the session's token.
    let refused = b
        .post(app.url("/logout"))
        .header("cookie", format!("mayday_session={session}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", "wrong")]))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let out = b
        .post(app.url("/logout"))
        .header("cookie", format!("mayday_session={session}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", csrf.as_str())]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()["location"], "/login");
    // The old cookie no longer signs in.
    let res = b
        .get(app.url("/"))
        .header("cookie", format!("mayday_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

async fn forms_from_elsewhere_are_refused(app: &TestApp) {
    give_password(app, "bob").await;
    let b = browser();
    let (cookie, csrf) = login_form(app, &b).await;
    let cross = b
        .post(app.url("/login"))
        .header("cookie", format!("mayday_login_csrf={cookie}"))
        .header("origin", "http://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("username", "bob"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert!(set_cookie(cross.headers(), "mayday_session").is_none());
    let fetch = b
        .post(app.url("/login"))
        .header("cookie", format!("mayday_login_csrf={cookie}"))
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("username", "bob"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(fetch.status(), 403);

    // Five wrong passwords in a row: the sixth attempt is refused, even with the right one.
    for _ in 0..5 {
        let r = post_login(app, &b, &cookie, &csrf, "bob", "guess").await;
        assert_eq!(r.status(), 401);
    }
    let r = post_login(app, &b, &cookie, &csrf, "bob", PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(set_cookie(r.headers(), "mayday_session").is_none());
}
