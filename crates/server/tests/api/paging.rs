//! Paging end to end through HTTP, in real time with short delays: escalation levels paged by
//! signed webhooks to a receiver in the test, retries with one identity and the failures on the
//! timeline, acknowledge and resolve through the action links in a message (a confirmation page
//! first, only the POST acts, single use), escalation climbing and repeating when nobody
//! answers, escalating by hand, dead letters and their re-queueing, and message templates.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use mayday_server::Settings;
use mayday_server::paging::PagingSettings;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

macro_rules! on_both_engines_fast_retries {
    ($($scenario:ident => $sqlite:ident, $postgres:ident;)*) => {
        $(
            #[tokio::test]
            async fn $sqlite() {
                let app = TestApp::spawn_with(Engine::Sqlite, fast_retries())
                    .await
                    .expect("SQLite is always available");
                $scenario(&app).await;
                app.finish().await;
            }

            #[tokio::test]
            async fn $postgres() {
                let Some(app) = TestApp::spawn_with(Engine::Postgres, fast_retries()).await else {
                    return;
                };
                $scenario(&app).await;
                app.finish().await;
            }
        )*
    };
}

on_both_engines_fast_retries! {
    retries_keep_one_identity => sqlite_retries_keep_one_identity, postgres_retries_keep_one_identity;
    ack_link_stops_escalation => sqlite_ack_link_stops_escalation, postgres_ack_link_stops_escalation;
    unanswered_pages_climb_and_repeat => sqlite_unanswered_pages_climb_and_repeat, postgres_unanswered_pages_climb_and_repeat;
    resolve_link_asks_for_what_resolving_needs => sqlite_resolve_link_asks_for_what_resolving_needs, postgres_resolve_link_asks_for_what_resolving_needs;
    escalate_by_hand => sqlite_escalate_by_hand, postgres_escalate_by_hand;
    dead_letters_and_templates => sqlite_dead_letters_and_templates, postgres_dead_letters_and_templates;
    schedules_teams_and_rules_choose_who_and_when => sqlite_schedules_teams_and_rules_choose_who_and_when, postgres_schedules_teams_and_rules_choose_who_and_when;
}

fn fast_retries() -> Settings {
    Settings {
        rate_limit: None,
        paging: PagingSettings {
            retry_base: Duration::from_millis(150),
            retry_max: Duration::from_secs(2),
            max_attempts: 6,
            ..PagingSettings::default()
        },
        ..Settings::default()
    }
}

const SECRET: &str = "a-webhook-secret-of-some-length";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    headers: HashMap<String, String>,
    body: String,
}

impl Hit {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
    /// The URL of a link in the message by its label.
    fn link(&self, label: &str) -> String {
        self.json()["links"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["label"] == label)
            .and_then(|l| l["url"].as_str())
            .unwrap_or_else(|| panic!("no {label} link in {}", self.body))
            .to_string()
    }
}

#[derive(Default)]
struct Recorded {
    hits: HashMap<String, Vec<Hit>>,
    /// How many requests to each name fail (500) before it answers 200.
    fail_first: HashMap<String, usize>,
    /// Names that always answer 404.
    gone: Vec<String>,
}

/// A webhook receiver on 127.0.0.1: `POST /hook/{name}`.
struct Receiver {
    base: String,
    rec: Arc<Mutex<Recorded>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Self {
        async fn hook(
            State(rec): State<Arc<Mutex<Recorded>>>,
            Path(name): Path<String>,
            headers: HeaderMap,
            body: String,
        ) -> StatusCode {
            let mut r = rec.lock().unwrap();
            let headers = headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            let hits = r.hits.entry(name.clone()).or_default();
            hits.push(Hit { headers, body });
            let n = hits.len();
            if r.gone.contains(&name) {
                StatusCode::NOT_FOUND
            } else if n <= r.fail_first.get(&name).copied().unwrap_or(0) {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            }
        }
        let rec = Arc::new(Mutex::new(Recorded::default()));
        let app = axum::Router::new()
            .route("/hook/{name}", post(hook))
            .with_state(rec.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, rec, task }
    }

    fn url(&self, name: &str) -> String {
        format!("{}/hook/{name}", self.base)
    }

    fn hits(&self, name: &str) -> Vec<Hit> {
        self.rec
            .lock()
            .unwrap()
            .hits
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    fn fail_first(&self, name: &str, n: usize) {
        self.rec
            .lock()
            .unwrap()
            .fail_first
            .insert(name.to_string(), n);
    }

    fn gone(&self, name: &str) {
        self.rec.lock().unwrap().gone.push(name.to_string());
    }

    /// Waits (up to 20 s) until `name` has at least `n` requests.
    async fn wait_for(&self, name: &str, n: usize) -> Vec<Hit> {
        for _ in 0..400 {
            let hits = self.hits(name);
            if hits.len() >= n {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{name} got {} requests, expected {n}",
            self.hits(name).len()
        );
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An `application/x-www-form-urlencoded` body, as a browser sends a form.
fn form_body(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                b => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Gives `person` a signed webhook contact method pointing at the receiver.
async fn webhook_contact(app: &TestApp, person: &Person, url: &str) {
    app.post(
        &app.admin.token,
        &format!("/api/v1/users/{}/contact-methods", person.id),
        json!({"kind": "webhook", "address": url, "secret": SECRET}),
    )
    .await
    .expect(201);
}

/// A policy with one level per `(usernames, delay_seconds)`, and a service using it.
async fn service_with_policy(app: &TestApp, name: &str, levels: &[(&[&str], u32)], repeat: u32) {
    let levels: Vec<Value> = levels
        .iter()
        .map(|(people, delay)| {
            json!({
                "targets": people.iter().map(|p| json!({"kind": "user", "id": p})).collect::<Vec<_>>(),
                "delay_seconds": delay,
            })
        })
        .collect();
    app.post(
        &app.admin.token,
        "/api/v1/escalation-policies",
        json!({"name": name, "levels": levels, "repeat": repeat}),
    )
    .await
    .expect(201);
    app.post(
        &app.admin.token,
        "/api/v1/services",
        json!({"name": name, "escalation_policy": name, "tier": 1}),
    )
    .await
    .expect(201);
}

async fn open_on(app: &TestApp, service: &str, title: &str) -> Value {
    app.create(
        &app.agent.token,
        with(new_incident(title), json!({"service": service})),
    )
    .await
}

/// The bodies of the incident's timeline events of `kind`.
async fn notes(app: &TestApp, id: &str, kind: &str) -> Vec<String> {
    app.timeline(&app.admin.token, id)
        .await
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["body"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Waits (up to 20 s) until the timeline has `n` events of `kind` whose body contains `text`.
async fn wait_for_note(app: &TestApp, id: &str, kind: &str, text: &str, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let found: Vec<String> = notes(app, id, kind)
            .await
            .into_iter()
            .filter(|b| b.contains(text))
            .collect();
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "timeline of {id} lacks {n} {kind} events with {text:?}: {:?}",
        notes(app, id, kind).await
    );
}

async fn retries_keep_one_identity(app: &TestApp) {
    let rx = Receiver::start().await;
    rx.fail_first("alice", 3);
    webhook_contact(app, &app.agent, &rx.url("alice")).await;
    service_with_policy(app, "checkout", &[(&["alice"], 300)], 0).await;
    let inc = open_on(app, "checkout", "Checkout returns 500").await;
    let id = id_of(&inc);

    let hits = rx.wait_for("alice", 4).await;
    let identity = hits[0].header("mayday-delivery-id").to_string();
    assert!(!identity.is_empty(), "{:?}", hits[0].headers);
    for h in &hits {
        // Every attempt is the same message: same identity, a valid signature of its body.
        assert_eq!(h.header("mayday-delivery-id"), identity);
        assert_eq!(h.header("mayday-event"), "triggered");
        let now = jiff::Timestamp::now().as_second();
        mayday_notify::verify_signature(
            SECRET,
            h.header("mayday-signature"),
            h.body.as_bytes(),
            now,
            300,
        )
        .unwrap_or_else(|e| panic!("signature: {e}"));
        assert!(
            mayday_notify::verify_signature(
                "wrong",
                h.header("mayday-signature"),
                h.body.as_bytes(),
                now,
                300
            )
            .is_err()
        );
        let body = h.json();
        assert_eq!(body["incident"]["number"], number_of(&inc));
        assert_eq!(body["event"], "triggered");
    }
    // Delivered once: no fifth request.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(rx.hits("alice").len(), 4);

    let failures = wait_for_note(app, &id, "notification", "failed", 3).await;
    assert!(
        failures.iter().all(|f| f.contains("HTTP 500")),
        "{failures:?}"
    );
    wait_for_note(app, &id, "notification", "delivered on attempt 4", 1).await;
    let paged = wait_for_note(app, &id, "escalation", "level 1", 1).await;
    assert!(paged[0].contains("Alice Agent"), "{paged:?}");

    let pages = app
        .get(&app.agent.token, &format!("/api/v1/incidents/{id}/pages"))
        .await
        .expect(200)
        .body;
    let messages = pages["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{pages}");
    assert_eq!(messages[0]["status"], "sent");
    assert_eq!(messages[0]["attempts"], 4);
    assert_eq!(messages[0]["id"], identity.as_str());
    assert_eq!(pages["escalation_level"], 1);
    // The secret never shows.
    assert!(!pages.to_string().contains(SECRET));
}

async fn ack_link_stops_escalation(app: &TestApp) {
    let rx = Receiver::start().await;
    webhook_contact(app, &app.agent, &rx.url("alice")).await;
    webhook_contact(app, &app.agent2, &rx.url("bob")).await;
    service_with_policy(app, "payments", &[(&["alice"], 3), (&["bob"], 60)], 0).await;
    let inc = open_on(app, "payments", "Card payments time out").await;
    let id = id_of(&inc);

    let hit = rx.wait_for("alice", 1).await.remove(0);
    let ack = hit.link("Acknowledge");
    assert!(ack.starts_with(&app.base), "{ack}");

    // Opening the link (as a mail scanner would) changes nothing.
    let page = app
        .send(app.request(Method::GET, ack.trim_start_matches(&app.base)))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("<form method=\"post\""), "{}", page.text);
    assert!(page.text.contains(&number_of(&inc)));
    assert_eq!(page.headers["cache-control"], "no-store");
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert_eq!(app.incident(&app.agent.token, &id).await["status"], "new");

    // Its POST acknowledges as the person paged, and stops level 2.
    let done = app
        .send(
            app.request(Method::POST, ack.trim_start_matches(&app.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(&[("confirm", "1")])),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    let now = app.incident(&app.agent.token, &id).await;
    assert_eq!(now["status"], "acknowledged");
    let acked = app
        .timeline(&app.admin.token, &id)
        .await
        .into_iter()
        .find(|e| e["kind"] == "transition")
        .expect("the acknowledgement on the timeline");
    assert_eq!(acked["actor"]["name"], "alice", "{acked}");

    // Single use.
    let again = app
        .send(
            app.request(Method::POST, ack.trim_start_matches(&app.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(&[("x", "")])),
        )
        .await;
    assert_eq!(again.status, 410, "{}", again.text);
    let unknown = app
        .send(app.request(Method::GET, "/actions/not-a-real-token"))
        .await;
    assert_eq!(unknown.status, 404);

    let pages = app
        .get(&app.agent.token, &format!("/api/v1/incidents/{id}/pages"))
        .await
        .expect(200)
        .body;
    let escalations = pages["pending"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "escalation")
        .count();
    assert_eq!(escalations, 0, "{pages}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(rx.hits("bob").is_empty(), "level 2 must not be paged");
    assert_eq!(notes(app, &id, "escalation").await.len(), 1);
}

async fn unanswered_pages_climb_and_repeat(app: &TestApp) {
    let rx = Receiver::start().await;
    webhook_contact(app, &app.agent, &rx.url("alice")).await;
    webhook_contact(app, &app.agent2, &rx.url("bob")).await;
    service_with_policy(app, "search", &[(&["alice"], 1), (&["bob"], 1)], 1).await;
    let inc = open_on(app, "search", "Search is empty").await;
    let id = id_of(&inc);

    // Level 1, level 2, then the whole policy once more, then nothing.
    rx.wait_for("bob", 2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(rx.hits("alice").len(), 2);
    assert_eq!(rx.hits("bob").len(), 2);
    let steps = notes(app, &id, "escalation").await;
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert!(steps[0].contains("level 1"), "{steps:?}");
    assert!(steps[1].contains("level 2"), "{steps:?}");
    assert!(
        steps[2].contains("level 1") && steps[2].contains("repeat 1"),
        "{steps:?}"
    );
    assert!(steps[3].contains("last level"), "{steps:?}");
    let first = rx.hits("alice")[0].json();
    let second = rx.hits("bob")[0].json();
    assert_eq!(first["event"], "triggered");
    assert_eq!(second["event"], "escalated");
    assert_eq!(
        app.incident(&app.agent.token, &id).await["escalation_level"],
        2
    );

    // Resolving tells the people paged.
    app.move_to(
        &app.agent.token,
        &id,
        json!({"to": "resolved", "resolution_code": "solution_provided", "resolution_notes": "reindexed"}),
    )
    .await;
    let told = rx.wait_for("bob", 3).await;
    assert_eq!(told[2].json()["event"], "resolved");
    // alice resolved it herself: she is not told.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.hits("alice").len(), 2);
}

async fn resolve_link_asks_for_what_resolving_needs(app: &TestApp) {
    let rx = Receiver::start().await;
    webhook_contact(app, &app.agent, &rx.url("alice")).await;
    service_with_policy(app, "mail", &[(&["alice"], 300)], 0).await;
    let inc = open_on(app, "mail", "Mail queue stuck").await;
    let id = id_of(&inc);
    let resolve = rx.wait_for("alice", 1).await[0].link("Resolve");
    let path = resolve.trim_start_matches(&app.base).to_string();

    let form = app.send(app.request(Method::GET, &path)).await;
    assert_eq!(form.status, 200);
    assert!(
        form.text.contains("name=\"resolution_code\""),
        "{}",
        form.text
    );
    assert!(form.text.contains("solution_provided"), "{}", form.text);
    // Without notes: the form again, saying what is missing, nothing changed, link unused.
    let missing = app
        .send(
            app.request(Method::POST, &path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(&[("resolution_code", "solution_provided")])),
        )
        .await;
    assert_eq!(missing.status, 422, "{}", missing.text);
    assert!(
        missing.text.contains("resolution_notes"),
        "{}",
        missing.text
    );
    assert_eq!(app.incident(&app.agent.token, &id).await["status"], "new");
    // Markup in what is echoed back is escaped.
    let odd = app
        .send(
            app.request(Method::POST, &path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(&[("resolution_code", "nope")])),
        )
        .await;
    assert_eq!(odd.status, 422);
    let done = app
        .send(
            app.request(Method::POST, &path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(&[
                    ("resolution_code", "solution_provided"),
                    ("resolution_notes", "<b>flushed</b> the queue"),
                ])),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    let now = app.incident(&app.agent.token, &id).await;
    assert_eq!(now["status"], "resolved");
    assert_eq!(now["resolution_notes"], "<b>flushed</b> the queue");
}

async fn escalate_by_hand(app: &TestApp) {
    let rx = Receiver::start().await;
    webhook_contact(app, &app.agent, &rx.url("alice")).await;
    webhook_contact(app, &app.agent2, &rx.url("bob")).await;
    service_with_policy(app, "vpn", &[(&["alice"], 300), (&["bob"], 300)], 0).await;
    let inc = open_on(app, "vpn", "VPN drops every hour").await;
    let id = id_of(&inc);
    rx.wait_for("alice", 1).await;
    app.move_to(&app.agent.token, &id, json!({"to": "acknowledged"}))
        .await;

    // Acknowledged, yet a person may still page level 2 now.
    let r = app
        .post(
            &app.agent.token,
            &format!("/api/v1/incidents/{id}/escalate"),
            json!({"level": 2}),
        )
        .await
        .expect(202);
    assert_eq!(r.body["status"], "acknowledged");
    let hit = rx.wait_for("bob", 1).await.remove(0);
    assert_eq!(hit.json()["event"], "escalated");
    wait_for_note(app, &id, "escalation", "Escalated by hand to level 2", 1).await;
    assert_eq!(
        app.incident(&app.agent.token, &id).await["escalation_level"],
        2
    );

    let bad = app
        .post(
            &app.agent.token,
            &format!("/api/v1/incidents/{id}/escalate"),
            json!({"level": 3}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let viewer = app
        .post(
            &app.viewer.token,
            &format!("/api/v1/incidents/{id}/escalate"),
            json!({}),
        )
        .await;
    assert_eq!(viewer.status, 403);
    // No policy applies to an incident without a service or team.
    let loose = app
        .create(&app.agent.token, new_incident("No service"))
        .await;
    let none = app
        .post(
            &app.agent.token,
            &format!("/api/v1/incidents/{}/escalate", id_of(&loose)),
            json!({}),
        )
        .await;
    assert_eq!(none.status, 409, "{}", none.text);
}

async fn dead_letters_and_templates(app: &TestApp) {
    let rx = Receiver::start().await;
    rx.gone("alice");
    webhook_contact(app, &app.agent, &rx.url("alice")).await;
    service_with_policy(app, "wiki", &[(&["alice"], 300)], 0).await;

    // A template with an unknown variable is refused; a good one is used.
    let bad = app
        .send(
            app.authed(
                Method::PUT,
                "/api/v1/notification-templates/triggered",
                &app.admin.token,
            )
            .json(&json!({"subject": "{{incident.nope}}", "body": "x"})),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let denied = app
        .send(
            app.authed(
                Method::PUT,
                "/api/v1/notification-templates/triggered",
                &app.agent.token,
            )
            .json(&json!({"subject": "s", "body": "b"})),
        )
        .await;
    assert_eq!(denied.status, 403);
    app.send(
        app.authed(Method::PUT, "/api/v1/notification-templates/triggered", &app.admin.token)
            .json(&json!({"subject": "PAGE {{incident.number}} {{incident.priority}}", "body": "{{incident.title}} on {{incident.service}}"})),
    )
    .await
    .expect(200);
    let list = app
        .get(&app.admin.token, "/api/v1/notification-templates")
        .await
        .expect(200)
        .body;
    let triggered = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["event"] == "triggered")
        .unwrap()
        .clone();
    assert_eq!(triggered["custom"], true);

    let inc = open_on(app, "wiki", "Wiki is read-only").await;
    let id = id_of(&inc);
    // 404 is final: one attempt, then a dead letter, visible on the timeline and in the outbox.
    let hit = rx.wait_for("alice", 1).await.remove(0);
    assert_eq!(
        hit.json()["subject"],
        format!(
            "PAGE {} {}",
            number_of(&inc),
            inc["priority"].as_str().unwrap()
        )
    );
    assert_eq!(hit.json()["text"], "Wiki is read-only on wiki");
    wait_for_note(app, &id, "notification", "given up", 1).await;
    let dead = app
        .get(&app.admin.token, "/api/v1/notifications?status=dead")
        .await
        .expect(200)
        .body;
    let items = dead["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{dead}");
    assert!(
        items[0]["last_error"].as_str().unwrap().contains("404"),
        "{dead}"
    );
    let message = items[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&app.agent.token, "/api/v1/notifications")
            .await
            .status,
        403
    );

    // Re-queued after the receiver is fixed: delivered, with the same identity.
    rx.rec.lock().unwrap().gone.clear();
    app.post(
        &app.admin.token,
        &format!("/api/v1/notifications/{message}/retry"),
        json!({}),
    )
    .await
    .expect(200);
    let hits = rx.wait_for("alice", 2).await;
    assert_eq!(hits[1].header("mayday-delivery-id"), message);
    wait_for_note(app, &id, "notification", "delivered on attempt 2", 1).await;
    let again = app
        .post(
            &app.admin.token,
            &format!("/api/v1/notifications/{message}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(again.status, 409);
}

async fn schedules_teams_and_rules_choose_who_and_when(app: &TestApp) {
    let rx = Receiver::start().await;
    webhook_contact(app, &app.agent, &rx.url("alice")).await;
    // bob: a webhook at once, and an email (at his contact address) only 5 minutes later.
    let cm = app
        .post(
            &app.admin.token,
            &format!("/api/v1/users/{}/contact-methods", app.agent2.id),
            json!({"kind": "webhook", "address": rx.url("bob"), "secret": SECRET}),
        )
        .await
        .expect(201)
        .body;
    let mail = app
        .post(
            &app.admin.token,
            &format!("/api/v1/users/{}/contact-methods", app.agent2.id),
            json!({"kind": "email", "address": "bob.pager@example.com"}),
        )
        .await
        .expect(201)
        .body;
    for (method, delay) in [(&cm, 0), (&mail, 5)] {
        app.post(
            &app.admin.token,
            &format!("/api/v1/users/{}/notification-rules", app.agent2.id),
            json!({"contact_method": method["id"], "delay_minutes": delay}),
        )
        .await
        .expect(201);
    }
    // A schedule with only bob on call, and a team whose policy pages it.
    app.post(
        &app.admin.token,
        "/api/v1/schedules",
        json!({"name": "Primary", "time_zone": "Europe/Berlin", "layers": [
            {"members": ["bob"], "turn": {"unit": "weeks", "count": 1}, "start": "2026-01-05T09:00:00"}
        ]}),
    )
    .await
    .expect(201);
    app.post(
        &app.admin.token,
        "/api/v1/escalation-policies",
        json!({"name": "ops-policy", "levels": [
            {"targets": [{"kind": "schedule", "id": "Primary"}], "delay_minutes": 30}
        ]}),
    )
    .await
    .expect(201);
    app.post(
        &app.admin.token,
        "/api/v1/teams",
        json!({"name": "ops", "members": ["alice", "bob"], "escalation_policy": "ops-policy"}),
    )
    .await
    .expect(201);

    // No service: the incident pages once it is assigned to the team (through the schedule:
    // bob, not alice, although both are members).
    let inc = app
        .create(&app.agent.token, new_incident("Backups fail"))
        .await;
    let id = id_of(&inc);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.hits("bob").is_empty(), "no policy applies yet");
    app.change(&app.agent.token, &inc, json!({"assignment_group": "ops"}))
        .await;
    let hit = rx.wait_for("bob", 1).await.remove(0);
    assert_eq!(hit.json()["incident"]["number"], number_of(&inc));
    assert!(rx.hits("alice").is_empty());

    // The delayed email waits; the acknowledgement cancels it, the webhook page stays sent.
    let pages = app
        .get(&app.agent.token, &format!("/api/v1/incidents/{id}/pages"))
        .await
        .expect(200)
        .body;
    let by_channel = |pages: &Value, channel: &str| -> Value {
        pages["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["channel"] == channel)
            .cloned()
            .unwrap_or_else(|| panic!("no {channel} message in {pages}"))
    };
    let email = by_channel(&pages, "email");
    assert_eq!(email["status"], "pending", "{pages}");
    let delay = utc_time(&email["due_at"]).as_second() - utc_time(&email["created_at"]).as_second();
    assert_eq!(delay, 300, "{pages}");
    app.move_to(&app.agent2.token, &id, json!({"to": "acknowledged"}))
        .await;
    let pages = app
        .get(&app.agent.token, &format!("/api/v1/incidents/{id}/pages"))
        .await
        .expect(200)
        .body;
    assert_eq!(by_channel(&pages, "email")["status"], "canceled", "{pages}");
    assert_eq!(by_channel(&pages, "webhook")["status"], "sent", "{pages}");
}
