//! Alert intake through the HTTP API: the monitoring tools' own wire formats (PagerDuty Events
//! v2 and change events, Opsgenie's Alert API, the Alertmanager webhook, generic JSON, heartbeats)
//! turned into alerts and incidents, with deduplication, grouping (per alert, per Alertmanager
//! group, by content within a window), acknowledgement, auto-resolution, maintenance windows and
//! per-key rate limits; the integrations' CRUD and who may use it; exactly-once processing under
//! concurrent load.
//!
//! Processing is asynchronous: a 202 means the event is durably in the intake log, and the
//! incident appears shortly after. The scenarios therefore poll (every 50 ms, within a bounded
//! wait) until the intake log is empty and the expected state holds, and fail showing the last
//! state seen. Nothing here asserts on timings.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use mayday_server::Settings;
use mayday_server::api::rate_limit::RateLimit;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

on_both_engines! {
    pagerduty_alert_lifecycle => sqlite_pagerduty_alert_lifecycle, postgres_pagerduty_alert_lifecycle;
    pagerduty_priority_from_severity_and_tier => sqlite_pagerduty_priority_from_severity_and_tier, postgres_pagerduty_priority_from_severity_and_tier;
    pagerduty_generated_and_unknown_dedup_keys => sqlite_pagerduty_generated_and_unknown_dedup_keys, postgres_pagerduty_generated_and_unknown_dedup_keys;
    pagerduty_validation => sqlite_pagerduty_validation, postgres_pagerduty_validation;
    pagerduty_change_events => sqlite_pagerduty_change_events, postgres_pagerduty_change_events;
    change_event_times_are_rfc3339 => sqlite_change_event_times_are_rfc3339, postgres_change_event_times_are_rfc3339;
    alert_incidents_name_their_reporter => sqlite_alert_incidents_name_their_reporter, postgres_alert_incidents_name_their_reporter;
    opsgenie_alert_lifecycle => sqlite_opsgenie_alert_lifecycle, postgres_opsgenie_alert_lifecycle;
    opsgenie_refusals => sqlite_opsgenie_refusals, postgres_opsgenie_refusals;
    alertmanager_source_group => sqlite_alertmanager_source_group, postgres_alertmanager_source_group;
    alertmanager_per_alert_and_bad_payloads => sqlite_alertmanager_per_alert_and_bad_payloads, postgres_alertmanager_per_alert_and_bad_payloads;
    content_window_grouping => sqlite_content_window_grouping, postgres_content_window_grouping;
    content_window_counts_from_the_first_alert => sqlite_content_window_counts_from_the_first_alert, postgres_content_window_counts_from_the_first_alert;
    generic_json_mapping => sqlite_generic_json_mapping, postgres_generic_json_mapping;
    heartbeats => sqlite_heartbeats, postgres_heartbeats;
    integration_crud_and_roles => sqlite_integration_crud_and_roles, postgres_integration_crud_and_roles;
    deleted_integration_keys_stop_working => sqlite_deleted_integration_keys_stop_working, postgres_deleted_integration_keys_stop_working;
    deleting_a_service_does_not_strand_its_integrations => sqlite_deleting_a_service_does_not_strand_its_integrations, postgres_deleting_a_service_does_not_strand_its_integrations;
    retrigger_after_a_person_resolved_the_incident => sqlite_retrigger_after_a_person_resolved_the_incident, postgres_retrigger_after_a_person_resolved_the_incident;
    per_key_rate_limit => sqlite_per_key_rate_limit, postgres_per_key_rate_limit;
    unknown_keys_are_limited_per_address =>
        sqlite_unknown_keys_are_limited_per_address,
        postgres_unknown_keys_are_limited_per_address;
    maintenance_windows_and_default_category => sqlite_maintenance_windows_and_default_category, postgres_maintenance_windows_and_default_category;
    auto_resolve_off => sqlite_auto_resolve_off, postgres_auto_resolve_off;
    concurrent_triggers_are_processed_exactly_once => sqlite_concurrent_triggers_are_processed_exactly_once, postgres_concurrent_triggers_are_processed_exactly_once;
}

// The per-address limiter is off in the other scenarios (every request comes from 127.0.0.1), so
// this one starts the app with a strict limit of its own.

#[tokio::test]
async fn sqlite_intake_is_exempt_from_the_address_limit() {
    let app = TestApp::spawn_with(Engine::Sqlite, strict_address_limit())
        .await
        .expect("SQLite is always available");
    intake_is_exempt_from_the_address_limit(&app).await;
    app.finish().await;
}

#[tokio::test]
async fn postgres_intake_is_exempt_from_the_address_limit() {
    let Some(app) = TestApp::spawn_with(Engine::Postgres, strict_address_limit()).await else {
        return;
    };
    intake_is_exempt_from_the_address_limit(&app).await;
    app.finish().await;
}

// --- helpers ---

/// How long a condition may take to hold.
const WAIT: Duration = Duration::from_secs(15);
/// How often it is checked.
const POLL: Duration = Duration::from_millis(50);

/// A 36-character, UUID-like Opsgenie API key chosen by the caller.
const OG_KEY: &str = "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f";

/// Polls `probe` until it gives a value; panics after `within` with the last state it described.
async fn eventually_within<T>(
    within: Duration,
    what: &str,
    mut probe: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        let last = match probe().await {
            Ok(v) => return v,
            Err(state) => state,
        };
        if Instant::now() >= deadline {
            panic!("gave up after {within:?} waiting until {what}; last state: {last}");
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn eventually<T>(what: &str, probe: impl AsyncFnMut() -> Result<T, String>) -> T {
    eventually_within(WAIT, what, probe).await
}

/// `GET /api/v1/intake/status` as the admin.
async fn intake_status(app: &TestApp) -> Value {
    app.get(&app.admin.token, "/api/v1/intake/status")
        .await
        .expect(200)
        .body
}

async fn pending(app: &TestApp) -> i64 {
    let status = intake_status(app).await;
    status["pending"]
        .as_i64()
        .unwrap_or_else(|| panic!("pending is a number: {status}"))
}

/// Creates a service; returns its id.
async fn new_service(app: &TestApp, name: &str, tier: u8) -> String {
    let s = app
        .post(
            &app.admin.token,
            "/api/v1/services",
            json!({"name": name, "tier": tier}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(s["tier"], json!(tier), "{s}");
    s["id"].as_str().expect("service id").to_string()
}

fn integrations_path(service: &str) -> String {
    format!("/api/v1/services/{service}/integrations")
}

/// Creates an integration as the admin; returns it.
async fn new_integration(app: &TestApp, service: &str, body: Value) -> Value {
    let i = app
        .post(&app.admin.token, &integrations_path(service), body.clone())
        .await
        .expect(201)
        .body;
    assert_eq!(i["kind"], body["kind"], "{i}");
    assert_eq!(i["name"], body["name"], "{i}");
    i
}

fn key_of(integration: &Value) -> String {
    integration["key"]
        .as_str()
        .unwrap_or_else(|| panic!("the integration shows its key: {integration}"))
        .to_string()
}

fn str_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is a string: {v}"))
}

/// A PagerDuty trigger; `dedup_key` left out when `None`.
fn pd_trigger(key: &str, dedup_key: Option<&str>, summary: &str, severity: &str) -> Value {
    let mut body = json!({
        "routing_key": key,
        "event_action": "trigger",
        "payload": {
            "summary": summary,
            "source": "db-1.example.com",
            "severity": severity,
            "component": "postgres",
            "group": "prod-db",
            "class": "disk",
            "custom_details": {"free_space": "1%"},
        },
        "client": "Prometheus",
        "client_url": "http://prometheus.example.com",
        "links": [{"href": "http://runbooks.example.com/disk", "text": "Runbook"}],
    });
    if let Some(k) = dedup_key {
        body["dedup_key"] = json!(k);
    }
    body
}

/// A PagerDuty acknowledge or resolve.
fn pd_action(key: &str, action: &str, dedup_key: &str) -> Value {
    json!({"routing_key": key, "event_action": action, "dedup_key": dedup_key})
}

/// `POST /v2/enqueue` without credentials (the routing key is the credential).
async fn pd(app: &TestApp, body: Value) -> Reply {
    app.send(app.request(Method::POST, "/v2/enqueue").json(&body))
        .await
}

/// Sends a PagerDuty event, asserts PagerDuty's exact 202 answer, returns its dedup key.
async fn pd_ok(app: &TestApp, body: Value) -> String {
    let reply = pd(app, body.clone()).await.expect(202);
    let dedup_key = reply.body["dedup_key"]
        .as_str()
        .unwrap_or_else(|| panic!("the answer names the dedup key: {}", reply.text))
        .to_string();
    if let Some(sent) = body["dedup_key"].as_str().filter(|k| !k.is_empty()) {
        assert_eq!(dedup_key, sent, "the dedup key sent comes back");
    }
    assert_eq!(
        reply.body,
        json!({"status": "success", "message": "Event processed", "dedup_key": dedup_key}),
        "PagerDuty's 202 answer"
    );
    dedup_key
}

/// Asserts PagerDuty's 400 answer and returns its error messages.
#[track_caller]
fn pd_invalid(reply: Reply) -> Vec<String> {
    let reply = reply.expect(400);
    assert_eq!(reply.body["status"], "invalid event", "{}", reply.text);
    assert_eq!(
        reply.body["message"], "Event object is invalid",
        "{}",
        reply.text
    );
    let errors: Vec<String> = reply.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors is an array: {}", reply.text))
        .iter()
        .map(|e| e.as_str().expect("each error is a string").to_string())
        .collect();
    assert!(!errors.is_empty(), "a 400 says why: {}", reply.text);
    errors
}

/// An Opsgenie request to `path` with `Authorization: GenieKey <key>` when a key is given.
async fn og(app: &TestApp, key: Option<&str>, path: &str, body: Value) -> Reply {
    let mut rb = app.request(Method::POST, path).json(&body);
    if let Some(k) = key {
        rb = rb.header("authorization", format!("GenieKey {k}"));
    }
    app.send(rb).await
}

/// Asserts Opsgenie's 202 answer.
#[track_caller]
fn og_accepted(reply: Reply) {
    let reply = reply.expect(202);
    assert_eq!(
        reply.body["result"], "Request will be processed",
        "{}",
        reply.text
    );
    assert!(
        reply.body["requestId"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "requestId: {}",
        reply.text
    );
    assert!(reply.body["took"].is_number(), "took: {}", reply.text);
}

/// Every incident of a service, oldest first.
async fn incidents_of(app: &TestApp, service: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = vec![
            ("service", service),
            ("sort", "created_at"),
            ("limit", "200"),
        ];
        if let Some(c) = cursor.as_deref() {
            q.push(("cursor", c));
        }
        let page = app.list(&app.admin.token, &q).await;
        out.extend(
            page["items"]
                .as_array()
                .unwrap_or_else(|| panic!("items is an array: {page}"))
                .iter()
                .cloned(),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
        assert!(out.len() <= 5000, "pagination does not end");
    }
}

/// `number status "title"` per incident, for failure messages.
fn describe_incidents(incidents: &[Value]) -> String {
    let lines: Vec<String> = incidents
        .iter()
        .map(|i| format!("{} {} {}", i["number"], i["status"], i["title"]))
        .collect();
    format!("{} incident(s): [{}]", incidents.len(), lines.join("; "))
}

/// Waits until the intake log is empty and the service's incidents satisfy `ok`; returns them.
async fn incidents_when(
    app: &TestApp,
    service: &str,
    what: &str,
    ok: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    eventually(what, async || {
        let pending = pending(app).await;
        let incidents = incidents_of(app, service).await;
        if pending == 0 && ok(&incidents) {
            Ok(incidents)
        } else {
            Err(format!(
                "{pending} pending; {}",
                describe_incidents(&incidents)
            ))
        }
    })
    .await
}

/// The alerts of an incident.
async fn alerts_of(app: &TestApp, incident_id: &str) -> Vec<Value> {
    let reply = app
        .get(
            &app.admin.token,
            &format!("/api/v1/incidents/{incident_id}/alerts"),
        )
        .await
        .expect(200);
    reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items is an array: {}", reply.text))
        .clone()
}

/// Waits until the intake log is empty and the incident's alerts satisfy `ok`; returns them.
async fn alerts_when(
    app: &TestApp,
    incident_id: &str,
    what: &str,
    ok: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    eventually(what, async || {
        let pending = pending(app).await;
        let alerts = alerts_of(app, incident_id).await;
        if pending == 0 && ok(&alerts) {
            Ok(alerts)
        } else {
            Err(format!("{pending} pending; alerts: {}", json!(alerts)))
        }
    })
    .await
}

/// Waits until the intake log is empty (everything accepted so far is processed).
async fn settle(app: &TestApp) {
    eventually("the intake log is empty", async || {
        let status = intake_status(app).await;
        if status["pending"] == json!(0) {
            Ok(())
        } else {
            Err(status.to_string())
        }
    })
    .await;
}

/// The incident `id` as `GET /api/v1/incidents/{id}` shows it.
async fn incident(app: &TestApp, id: &str) -> Value {
    app.incident(&app.admin.token, id).await
}

/// An Alertmanager alert (version 4); `endsAt` is real when it is resolved.
fn am_alert(fingerprint: &str, instance: &str, status: &str) -> Value {
    let ends_at = if status == "resolved" {
        "2024-05-01T10:30:00Z"
    } else {
        "0001-01-01T00:00:00Z"
    };
    json!({
        "status": status,
        "labels": {"alertname": "HighCPU", "instance": instance, "job": "node", "severity": "critical"},
        "annotations": {"summary": format!("CPU above 90% on {instance}"), "description": "Load has been high"},
        "startsAt": "2024-05-01T10:00:00Z",
        "endsAt": ends_at,
        "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=cpu",
        "fingerprint": fingerprint,
        "someFutureAlertField": {"nested": [1, 2, 3]},
    })
}

/// An Alertmanager notification for the HighCPU group carrying `alerts`.
fn am_payload(status: &str, alerts: Vec<Value>) -> Value {
    json!({
        "version": "4",
        "groupKey": "{}/{severity=\"critical\"}:{alertname=\"HighCPU\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "mayday",
        "groupLabels": {"alertname": "HighCPU"},
        "commonLabels": {"alertname": "HighCPU", "job": "node", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": alerts,
        "someFutureTopLevelField": "ignored",
    })
}

async fn alertmanager(app: &TestApp, key: &str, body: &Value) -> Reply {
    app.send(
        app.request(
            Method::POST,
            &format!("/api/v1/integrations/{key}/alertmanager"),
        )
        .json(body),
    )
    .await
}

async fn generic(app: &TestApp, key: &str, body: &Value) -> Reply {
    app.send(
        app.request(Method::POST, &format!("/api/v1/integrations/{key}/events"))
            .json(body),
    )
    .await
}

/// The one alert of an incident that has exactly one.
#[track_caller]
fn only(alerts: &[Value]) -> &Value {
    assert_eq!(alerts.len(), 1, "one alert: {}", json!(alerts));
    &alerts[0]
}

fn dedup_keys(alerts: &[Value]) -> Vec<String> {
    sorted(
        alerts
            .iter()
            .map(|a| str_of(a, "dedup_key").to_string())
            .collect(),
    )
}

// --- PagerDuty Events API v2 ---

async fn pagerduty_alert_lifecycle(app: &TestApp) {
    let service = new_service(app, "checkout", 1).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "Prometheus PD"}),
    )
    .await;
    let key = key_of(&integration);
    let integration_id = str_of(&integration, "id").to_string();

    // A trigger opens one incident, reported by the integration.
    pd_ok(
        app,
        pd_trigger(&key, Some("db-1/disk"), "Disk full on db-1", "critical"),
    )
    .await;
    let incidents = incidents_when(app, &service, "the trigger opened an incident", |v| {
        v.len() == 1
    })
    .await;
    let listed = &incidents[0];
    let id = id_of(listed);
    assert_eq!(listed["title"], "Disk full on db-1", "{listed}");
    assert_eq!(listed["source"], "monitoring", "{listed}");
    assert_eq!(listed["category"], "monitoring", "{listed}");
    assert_eq!(listed["status"], "new", "{listed}");
    assert_eq!(listed["service"]["id"], json!(service), "{listed}");
    assert_eq!(listed["service"]["name"], "checkout", "{listed}");
    assert_eq!(listed["reporter"]["id"], json!(integration_id), "{listed}");
    assert_eq!(listed["reporter"]["name"], "Prometheus PD", "{listed}");
    assert_eq!(listed["created_by"]["kind"], "integration", "{listed}");
    assert_eq!(listed["created_by"]["name"], "Prometheus PD", "{listed}");
    // Critical on a tier-1 service: impact 1 × urgency 1 = P1.
    assert_eq!(listed["impact"], 1, "{listed}");
    assert_eq!(listed["urgency"], 1, "{listed}");
    assert_eq!(listed["priority"], "P1", "{listed}");
    assert!(
        str_of(listed, "description").contains("Disk full on db-1"),
        "{listed}"
    );
    let first = incident(app, &id).await;
    assert_eq!(first["reporter"]["id"], json!(integration_id), "{first}");

    let alerts = alerts_of(app, &id).await;
    let alert = only(&alerts);
    assert_eq!(alert["dedup_key"], "db-1/disk", "{alert}");
    assert_eq!(alert["status"], "triggered", "{alert}");
    assert_eq!(alert["severity"], "critical", "{alert}");
    assert_eq!(alert["summary"], "Disk full on db-1", "{alert}");
    assert_eq!(alert["source"], "db-1.example.com", "{alert}");
    assert_eq!(alert["event_count"], 1, "{alert}");
    assert_eq!(alert["incident_id"], json!(id), "{alert}");
    assert_eq!(alert["integration_id"], json!(integration_id), "{alert}");
    assert_eq!(alert["service_id"], json!(service), "{alert}");
    assert_eq!(alert["suppressed"], false, "{alert}");
    assert!(alert["acknowledged_at"].is_null(), "{alert}");
    assert!(alert["resolved_at"].is_null(), "{alert}");
    let first_seen = utc_time(&alert["first_seen_at"]);

    // The same dedup key again: the same alert counts it; nothing else changes.
    pd_ok(
        app,
        pd_trigger(&key, Some("db-1/disk"), "Disk full on db-1", "critical"),
    )
    .await;
    let alerts = alerts_when(app, &id, "the repeat is counted", |a| {
        a.len() == 1 && a[0]["event_count"] == 2
    })
    .await;
    assert_eq!(alerts[0]["status"], "triggered");
    assert_eq!(utc_time(&alerts[0]["first_seen_at"]), first_seen);
    assert!(utc_time(&alerts[0]["last_seen_at"]) >= first_seen);
    let after_repeat = incident(app, &id).await;
    assert_eq!(
        after_repeat["version"], first["version"],
        "a repeat leaves the incident alone"
    );
    assert_eq!(after_repeat["updated_at"], first["updated_at"]);
    assert_eq!(after_repeat["status"], "new");
    assert_eq!(incidents_of(app, &service).await.len(), 1);

    // Acknowledge: the alert and the incident are acknowledged.
    pd_ok(app, pd_action(&key, "acknowledge", "db-1/disk")).await;
    let acked = eventually("the incident is acknowledged", async || {
        settle(app).await;
        let inc = incident(app, &id).await;
        if inc["status"] == "acknowledged" {
            Ok(inc)
        } else {
            Err(inc.to_string())
        }
    })
    .await;
    utc_time(&acked["acknowledged_at"]);
    let alert = only(&alerts_of(app, &id).await).clone();
    assert_eq!(alert["status"], "acknowledged", "{alert}");
    utc_time(&alert["acknowledged_at"]);
    assert_eq!(alert["event_count"], 2, "{alert}");
    let timeline = app.timeline(&app.admin.token, &id).await;
    let last = timeline.last().expect("events");
    assert_eq!(last["actor"]["kind"], "integration", "{last}");
    assert_eq!(last["actor"]["name"], "Prometheus PD", "{last}");

    // Resolve: the alert resolves, and with it (its only alert) the incident.
    pd_ok(app, pd_action(&key, "resolve", "db-1/disk")).await;
    let resolved = eventually("the incident is resolved", async || {
        settle(app).await;
        let inc = incident(app, &id).await;
        if inc["status"] == "resolved" {
            Ok(inc)
        } else {
            Err(inc.to_string())
        }
    })
    .await;
    assert_eq!(resolved["resolution_code"], "auto_resolved", "{resolved}");
    utc_time(&resolved["resolved_at"]);
    let alert = only(&alerts_of(app, &id).await).clone();
    assert_eq!(alert["status"], "resolved", "{alert}");
    utc_time(&alert["resolved_at"]);

    // A trigger after the resolve is a new alert with a new incident.
    pd_ok(
        app,
        pd_trigger(&key, Some("db-1/disk"), "Disk full on db-1", "critical"),
    )
    .await;
    let incidents =
        incidents_when(app, &service, "a second incident opened", |v| v.len() == 2).await;
    assert_eq!(id_of(&incidents[0]), id);
    assert_eq!(incidents[0]["status"], "resolved");
    let second = &incidents[1];
    assert_eq!(second["status"], "new", "{second}");
    assert_eq!(second["title"], "Disk full on db-1", "{second}");
    let new_alert = only(&alerts_of(app, &id_of(second)).await).clone();
    assert_eq!(new_alert["event_count"], 1, "{new_alert}");
    assert_eq!(new_alert["status"], "triggered", "{new_alert}");
    assert_ne!(new_alert["id"], alert["id"], "a new alert");
    let old = only(&alerts_of(app, &id).await).clone();
    assert_eq!(old["status"], "resolved", "the old alert stays resolved");
    assert_eq!(old["event_count"], 2);

    // The integration saw events.
    let shown = app
        .get(
            &app.admin.token,
            &format!("/api/v1/integrations/{integration_id}"),
        )
        .await
        .expect(200)
        .body;
    utc_time(&shown["last_event_at"]);
}

async fn pagerduty_priority_from_severity_and_tier(app: &TestApp) {
    let critical = new_service(app, "payments", 1).await;
    let minor = new_service(app, "wiki", 3).await;
    let a = new_integration(
        app,
        &critical,
        json!({"kind": "pagerduty_events_v2", "name": "payments-pd"}),
    )
    .await;
    let b = new_integration(
        app,
        &minor,
        json!({"kind": "pagerduty_events_v2", "name": "wiki-pd"}),
    )
    .await;
    pd_ok(
        app,
        pd_trigger(&key_of(&a), Some("p"), "Payments down", "critical"),
    )
    .await;
    pd_ok(
        app,
        pd_trigger(&key_of(&b), Some("w"), "Wiki slow to render", "info"),
    )
    .await;
    let p1 = incidents_when(app, &critical, "the payments incident", |v| v.len() == 1).await;
    let p5 = incidents_when(app, &minor, "the wiki incident", |v| v.len() == 1).await;
    assert_eq!(p1[0]["priority"], "P1", "{}", p1[0]);
    // Info on a tier-3 service: impact 3 × urgency 3 = P5.
    assert_eq!(p5[0]["impact"], 3, "{}", p5[0]);
    assert_eq!(p5[0]["urgency"], 3, "{}", p5[0]);
    assert_eq!(p5[0]["priority"], "P5", "{}", p5[0]);
    assert_eq!(
        only(&alerts_of(app, &id_of(&p5[0])).await)["severity"],
        "info"
    );
}

async fn pagerduty_generated_and_unknown_dedup_keys(app: &TestApp) {
    let service = new_service(app, "search", 2).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "search-pd"}),
    )
    .await;
    let key = key_of(&integration);

    // Acknowledge and resolve of keys nobody triggered: accepted, and nothing is created.
    pd_ok(app, pd_action(&key, "acknowledge", "never-triggered")).await;
    pd_ok(app, pd_action(&key, "resolve", "never-triggered-either")).await;
    settle(app).await;
    assert_eq!(
        incidents_of(app, &service).await.len(),
        0,
        "unknown dedup keys create nothing"
    );

    // A trigger without a dedup key gets one, which names the alert afterwards.
    let generated = pd_ok(app, pd_trigger(&key, None, "Index lagging", "warning")).await;
    assert!(!generated.is_empty());
    // An empty one counts as none.
    let mut blank = pd_trigger(&key, None, "Index lagging again", "warning");
    blank["dedup_key"] = json!("");
    let other = pd_ok(app, blank).await;
    assert!(!other.is_empty());
    assert_ne!(generated, other, "generated keys differ");
    let incidents = incidents_when(app, &service, "two incidents", |v| v.len() == 2).await;
    let id = id_of(&incidents[0]);
    assert_eq!(incidents[0]["title"], "Index lagging");
    // Warning on tier 2: impact 2 × urgency 2 = P3.
    assert_eq!(incidents[0]["priority"], "P3", "{}", incidents[0]);
    assert_eq!(
        only(&alerts_of(app, &id).await)["dedup_key"],
        json!(generated)
    );

    pd_ok(app, pd_action(&key, "acknowledge", &generated)).await;
    let alerts = alerts_when(app, &id, "the generated key acknowledged it", |a| {
        a.len() == 1 && a[0]["status"] == "acknowledged"
    })
    .await;
    assert_eq!(alerts[0]["dedup_key"], json!(generated));
    assert_eq!(incident(app, &id).await["status"], "acknowledged");
    assert_eq!(
        incident(app, &id_of(&incidents[1])).await["status"],
        "new",
        "the other incident is untouched"
    );
}

async fn pagerduty_validation(app: &TestApp) {
    let service = new_service(app, "billing", 2).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "billing-pd"}),
    )
    .await;
    let key = key_of(&integration);

    // An invalid severity names payload.severity.
    let errors = pd_invalid(pd(app, pd_trigger(&key, Some("x"), "Disk full", "fatal")).await);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("payload.severity"), "{errors:?}");

    // Several problems at once, each named.
    let errors = pd_invalid(
        pd(
            app,
            json!({
                "routing_key": "too-short",
                "event_action": "trigger",
                "payload": {"severity": "fatal"},
            }),
        )
        .await,
    );
    for field in [
        "routing_key",
        "payload.summary",
        "payload.source",
        "payload.severity",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(&format!("'{field}'"))),
            "an error names {field}: {errors:?}"
        );
    }
    assert!(errors.len() >= 4, "{errors:?}");

    // A missing routing key.
    let mut body = pd_trigger(&key, Some("x"), "Disk full", "critical");
    body.as_object_mut().unwrap().remove("routing_key");
    let errors = pd_invalid(pd(app, body).await);
    assert!(
        errors.iter().any(|e| e.contains("routing_key")),
        "{errors:?}"
    );

    // A routing key of the wrong length.
    let errors = pd_invalid(
        pd(
            app,
            pd_trigger(&format!("{key}x"), Some("x"), "Disk full", "critical"),
        )
        .await,
    );
    assert!(
        errors.iter().any(|e| e.contains("routing_key")),
        "{errors:?}"
    );

    // A well-formed key that no integration has.
    let errors = pd_invalid(
        pd(
            app,
            pd_trigger(&"Z".repeat(32), Some("x"), "Disk full", "critical"),
        )
        .await,
    );
    assert!(
        errors.iter().any(|e| e.contains("routing_key")),
        "{errors:?}"
    );

    // A key of another kind of integration.
    let opsgenie = new_integration(
        app,
        &service,
        json!({"kind": "opsgenie", "name": "billing-og"}),
    )
    .await;
    let og_key = key_of(&opsgenie);
    assert_eq!(og_key.len(), 32, "a generated key fits PagerDuty's length");
    let errors = pd_invalid(pd(app, pd_trigger(&og_key, Some("x"), "Disk full", "critical")).await);
    assert!(errors.iter().any(|e| e.contains("opsgenie")), "{errors:?}");

    // A dedup key of 256 characters (255 is the most).
    let errors = pd_invalid(
        pd(
            app,
            pd_trigger(&key, Some(&"k".repeat(256)), "Disk full", "critical"),
        )
        .await,
    );
    assert!(errors.iter().any(|e| e.contains("dedup_key")), "{errors:?}");
    pd_ok(
        app,
        pd_trigger(&key, Some(&"k".repeat(255)), "Disk full", "critical"),
    )
    .await;

    // Acknowledge needs a dedup key; an unknown action is named.
    let errors = pd_invalid(
        pd(
            app,
            json!({"routing_key": key, "event_action": "acknowledge"}),
        )
        .await,
    );
    assert!(errors.iter().any(|e| e.contains("dedup_key")), "{errors:?}");
    let errors = pd_invalid(pd(app, pd_action(&key, "explode", "x")).await);
    assert!(
        errors.iter().any(|e| e.contains("event_action")),
        "{errors:?}"
    );

    // Not JSON at all.
    let reply = app
        .send(
            app.request(Method::POST, "/v2/enqueue")
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    pd_invalid(reply);

    // Over 512 KB.
    let mut big = pd_trigger(&key, Some("big"), "Huge event", "critical");
    big["payload"]["custom_details"] = json!({"blob": "x".repeat(600 * 1024)});
    let reply = pd(app, big).await.expect(413);
    assert_eq!(reply.body["status"], "invalid event", "{}", reply.text);

    // Only the valid 255-character trigger made an incident.
    let incidents = incidents_when(app, &service, "one incident", |v| !v.is_empty()).await;
    assert_eq!(incidents.len(), 1, "{}", describe_incidents(&incidents));
}

async fn pagerduty_change_events(app: &TestApp) {
    let service = new_service(app, "storefront", 2).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "deploys"}),
    )
    .await;
    let key = key_of(&integration);
    let reply = app
        .send(
            app.request(Method::POST, "/v2/change/enqueue")
                .json(&json!({
                    "routing_key": key,
                    "payload": {
                        "summary": "Deployed storefront v42",
                        "source": "github-actions",
                        "timestamp": "2024-05-01T10:00:00Z",
                        "custom_details": {"commit": "abc123"},
                    },
                    "links": [{"href": "https://ci.example.com/run/42", "text": "CI run"}],
                })),
        )
        .await
        .expect(202);
    assert_eq!(
        reply.body,
        json!({"status": "success", "message": "Change event processed"})
    );
    // A change without a summary is refused the PagerDuty way.
    let errors = pd_invalid(
        app.send(
            app.request(Method::POST, "/v2/change/enqueue")
                .json(&json!({
                    "routing_key": key,
                    "payload": {"source": "github-actions"},
                })),
        )
        .await,
    );
    assert!(
        errors.iter().any(|e| e.contains("payload.summary")),
        "{errors:?}"
    );

    let path = format!("/api/v1/services/{service}/changes");
    let changes = eventually("the change is listed", async || {
        settle(app).await;
        let page = app.get(&app.agent.token, &path).await.expect(200).body;
        match page["items"].as_array() {
            Some(items) if items.len() == 1 => Ok(items[0].clone()),
            _ => Err(page.to_string()),
        }
    })
    .await;
    assert_eq!(changes["summary"], "Deployed storefront v42", "{changes}");
    assert_eq!(changes["source"], "github-actions", "{changes}");
    assert_eq!(changes["details"]["commit"], "abc123", "{changes}");
    assert_eq!(changes["links"][0]["href"], "https://ci.example.com/run/42");
    assert_eq!(changes["integration_id"], integration["id"], "{changes}");
    assert_eq!(changes["service_id"], json!(service), "{changes}");
    assert!(!changes["received_at"].is_null(), "{changes}");
    assert!(!changes["occurred_at"].is_null(), "{changes}");
    // A change opens no incident.
    assert!(incidents_of(app, &service).await.is_empty());
}

/// Like every other instant the API shows (incidents, alerts, integrations), a change event's
/// times are RFC 3339 in UTC.
async fn change_event_times_are_rfc3339(app: &TestApp) {
    let service = new_service(app, "catalog", 2).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "catalog-deploys"}),
    )
    .await;
    app.send(
        app.request(Method::POST, "/v2/change/enqueue")
            .json(&json!({
                "routing_key": key_of(&integration),
                "payload": {
                    "summary": "Deployed catalog v7",
                    "source": "argo",
                    "timestamp": "2024-05-01T10:00:00Z",
                },
            })),
    )
    .await
    .expect(202);
    let path = format!("/api/v1/services/{service}/changes");
    let change = eventually("the change is listed", async || {
        settle(app).await;
        let page = app.get(&app.agent.token, &path).await.expect(200).body;
        match page["items"].as_array() {
            Some(items) if items.len() == 1 => Ok(items[0].clone()),
            _ => Err(page.to_string()),
        }
    })
    .await;
    utc_time(&change["received_at"]);
    assert_eq!(
        utc_time(&change["occurred_at"]),
        "2024-05-01T10:00:00Z".parse::<jiff::Timestamp>().unwrap(),
        "{change}"
    );
}

/// An incident an alert opened is reported by the integration: the single-incident view names
/// it just as the list does.
async fn alert_incidents_name_their_reporter(app: &TestApp) {
    let service = new_service(app, "inventory", 2).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "Inventory PD"}),
    )
    .await;
    pd_ok(
        app,
        pd_trigger(
            &key_of(&integration),
            Some("inv"),
            "Stock sync stalled",
            "error",
        ),
    )
    .await;
    let incidents = incidents_when(app, &service, "the incident", |v| v.len() == 1).await;
    let expected = json!({"id": integration["id"], "name": "Inventory PD"});
    assert_eq!(
        incidents[0]["reporter"], expected,
        "the list names the reporter"
    );
    let shown = incident(app, &id_of(&incidents[0])).await;
    assert_eq!(
        shown["reporter"], expected,
        "GET /api/v1/incidents/{{id}} names the reporting integration like the list does"
    );
    let by_number = incident(app, &number_of(&incidents[0])).await;
    assert_eq!(by_number["reporter"], expected, "and so does GET by number");
}

// --- Opsgenie ---

async fn opsgenie_alert_lifecycle(app: &TestApp) {
    let service = new_service(app, "api", 1).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "opsgenie", "name": "Grafana OG", "key": OG_KEY}),
    )
    .await;
    assert_eq!(key_of(&integration), OG_KEY, "the given key is kept");
    assert_eq!(integration["endpoint"], "/v2/alerts");

    let create = json!({
        "message": "API latency high",
        "alias": "api-latency",
        "description": "p99 above 2 s",
        "priority": "P2",
        "source": "grafana",
        "tags": ["api", "latency"],
        "details": {"region": "eu-west-1"},
        "entity": "api-gateway",
    });
    og_accepted(og(app, Some(OG_KEY), "/v2/alerts", create.clone()).await);
    og_accepted(og(app, Some(OG_KEY), "/v2/alerts", create.clone()).await);
    let incidents = incidents_when(app, &service, "one incident for the alias", |v| {
        v.len() == 1
    })
    .await;
    let id = id_of(&incidents[0]);
    assert_eq!(
        incidents[0]["title"], "API latency high",
        "{}",
        incidents[0]
    );
    // P2 is severity error: urgency 1 on tier 1 = P1.
    assert_eq!(incidents[0]["priority"], "P1", "{}", incidents[0]);
    let alerts = alerts_when(app, &id, "the alias deduplicates", |a| {
        a.len() == 1 && a[0]["event_count"] == 2
    })
    .await;
    assert_eq!(alerts[0]["dedup_key"], "api-latency");
    assert_eq!(alerts[0]["severity"], "error");

    // Acknowledge by alias.
    og_accepted(
        og(
            app,
            Some(OG_KEY),
            "/v2/alerts/api-latency/acknowledge?identifierType=alias",
            json!({"user": "ops", "note": "looking"}),
        )
        .await,
    );
    alerts_when(app, &id, "the alert is acknowledged", |a| {
        a.len() == 1 && a[0]["status"] == "acknowledged"
    })
    .await;
    assert_eq!(incident(app, &id).await["status"], "acknowledged");

    // Close by alias.
    og_accepted(
        og(
            app,
            Some(OG_KEY),
            "/v2/alerts/api-latency/close?identifierType=alias",
            json!({"note": "fixed"}),
        )
        .await,
    );
    alerts_when(app, &id, "the alert is closed", |a| {
        a.len() == 1 && a[0]["status"] == "resolved"
    })
    .await;
    let inc = incident(app, &id).await;
    assert_eq!(inc["status"], "resolved", "{inc}");
    assert_eq!(inc["resolution_code"], "auto_resolved", "{inc}");

    // Close by the alert's id; the key may also come as the apiKey parameter.
    og_accepted(
        og(
            app,
            None,
            &format!("/v2/alerts?apiKey={OG_KEY}"),
            json!({"message": "Disk IO saturated", "alias": "disk-io"}),
        )
        .await,
    );
    let incidents = incidents_when(app, &service, "a second incident", |v| v.len() == 2).await;
    let second = id_of(&incidents[1]);
    let alert = only(&alerts_of(app, &second).await).clone();
    assert_eq!(alert["dedup_key"], "disk-io");
    assert_eq!(alert["severity"], "warning", "P3 by default");
    let alert_id = str_of(&alert, "id").to_string();
    og_accepted(
        og(
            app,
            Some(OG_KEY),
            &format!("/v2/alerts/{alert_id}/close?identifierType=id"),
            json!({}),
        )
        .await,
    );
    alerts_when(app, &second, "the alert is closed by id", |a| {
        a.len() == 1 && a[0]["status"] == "resolved"
    })
    .await;
    assert_eq!(incident(app, &second).await["status"], "resolved");
}

async fn opsgenie_refusals(app: &TestApp) {
    let service = new_service(app, "mail", 2).await;
    new_integration(
        app,
        &service,
        json!({"kind": "opsgenie", "name": "og", "key": OG_KEY}),
    )
    .await;
    let pd_integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "pd"}),
    )
    .await;
    let body = json!({"message": "Mail queue stuck", "alias": "mailq"});

    let unauthorized = |reply: Reply| {
        let reply = reply.expect(401);
        assert_eq!(
            reply.body["message"], "Could not authenticate",
            "{}",
            reply.text
        );
        assert!(reply.body["requestId"].is_string(), "{}", reply.text);
    };
    // Missing, wrong, of another kind, or under another scheme.
    unauthorized(og(app, None, "/v2/alerts", body.clone()).await);
    unauthorized(
        og(
            app,
            Some("00000000-0000-0000-0000-000000000000"),
            "/v2/alerts",
            body.clone(),
        )
        .await,
    );
    unauthorized(
        og(
            app,
            Some(&key_of(&pd_integration)),
            "/v2/alerts",
            body.clone(),
        )
        .await,
    );
    unauthorized(
        app.send(
            app.request(Method::POST, "/v2/alerts")
                .bearer_auth(OG_KEY)
                .json(&body),
        )
        .await,
    );
    unauthorized(
        og(
            app,
            None,
            "/v2/alerts/mailq/close?identifierType=alias",
            json!({}),
        )
        .await,
    );

    // A missing message: 422 in Opsgenie's shape.
    let reply = og(
        app,
        Some(OG_KEY),
        "/v2/alerts",
        json!({"alias": "mailq", "priority": "P9"}),
    )
    .await
    .expect(422);
    assert_eq!(
        reply.body["message"], "Request body is not processable. Please check the errors.",
        "{}",
        reply.text
    );
    assert!(
        reply.body["errors"]["message"].is_string(),
        "{}",
        reply.text
    );
    assert!(
        reply.body["errors"]["priority"].is_string(),
        "{}",
        reply.text
    );
    assert!(reply.body["requestId"].is_string(), "{}", reply.text);

    // Acknowledging an alias nobody created: accepted, nothing made.
    og_accepted(
        og(
            app,
            Some(OG_KEY),
            "/v2/alerts/nobody/acknowledge?identifierType=alias",
            json!({}),
        )
        .await,
    );
    settle(app).await;
    assert!(incidents_of(app, &service).await.is_empty());
}

// --- Alertmanager ---

async fn alertmanager_source_group(app: &TestApp) {
    let service = new_service(app, "web", 2).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "alertmanager", "name": "prod-am", "grouping": {"mode": "source_group"}}),
    )
    .await;
    assert_eq!(integration["grouping"], json!({"mode": "source_group"}));
    let key = key_of(&integration);
    assert_eq!(
        integration["endpoint"],
        json!(format!("/api/v1/integrations/{key}/alertmanager"))
    );

    let firing = am_payload(
        "firing",
        vec![
            am_alert("c6ba8a37a1ee3b7e", "web-1", "firing"),
            am_alert("0f1e2d3c4b5a6978", "web-2", "firing"),
        ],
    );
    let reply = alertmanager(app, &key, &firing).await.expect(202);
    assert_eq!(reply.body, json!({"status": "success", "alerts": 2}));
    let incidents = incidents_when(app, &service, "one incident for the group", |v| {
        v.len() == 1
    })
    .await;
    let id = id_of(&incidents[0]);
    assert_eq!(
        incidents[0]["title"], "CPU above 90% on web-1",
        "{}",
        incidents[0]
    );
    let alerts = alerts_of(app, &id).await;
    assert_eq!(
        dedup_keys(&alerts),
        vec!["0f1e2d3c4b5a6978", "c6ba8a37a1ee3b7e"],
        "{}",
        json!(alerts)
    );

    // Alertmanager repeats the notification: the same two alerts count it.
    alertmanager(app, &key, &firing).await.expect(202);
    alertmanager(app, &key, &firing).await.expect(202);
    let alerts = alerts_when(app, &id, "each alert counted three times", |a| {
        a.len() == 2 && a.iter().all(|x| x["event_count"] == 3)
    })
    .await;
    assert!(alerts.iter().all(|a| a["status"] == "triggered"));
    assert_eq!(incidents_of(app, &service).await.len(), 1);

    // Both resolve: the alerts and then the incident.
    let resolved = am_payload(
        "resolved",
        vec![
            am_alert("c6ba8a37a1ee3b7e", "web-1", "resolved"),
            am_alert("0f1e2d3c4b5a6978", "web-2", "resolved"),
        ],
    );
    alertmanager(app, &key, &resolved).await.expect(202);
    alerts_when(app, &id, "both alerts resolved", |a| {
        a.len() == 2 && a.iter().all(|x| x["status"] == "resolved")
    })
    .await;
    let inc = incident(app, &id).await;
    assert_eq!(inc["status"], "resolved", "{inc}");
    assert_eq!(inc["resolution_code"], "auto_resolved", "{inc}");
    assert_eq!(incidents_of(app, &service).await.len(), 1);
}

async fn alertmanager_per_alert_and_bad_payloads(app: &TestApp) {
    let service = new_service(app, "batch", 3).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "alertmanager", "name": "batch-am"}),
    )
    .await;
    assert_eq!(integration["grouping"], json!({"mode": "per_alert"}));
    let key = key_of(&integration);

    // Two firing alerts in one group: the default grouping gives each its own incident.
    let firing = am_payload(
        "firing",
        vec![
            am_alert("aaaa000000000001", "batch-1", "firing"),
            am_alert("aaaa000000000002", "batch-2", "firing"),
        ],
    );
    alertmanager(app, &key, &firing).await.expect(202);
    let incidents = incidents_when(app, &service, "one incident per alert", |v| v.len() == 2).await;
    let mut titles: Vec<String> = incidents
        .iter()
        .map(|i| str_of(i, "title").to_string())
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        vec!["CPU above 90% on batch-1", "CPU above 90% on batch-2"]
    );
    for inc in &incidents {
        assert_eq!(alerts_of(app, &id_of(inc)).await.len(), 1);
    }

    // Bad payloads: 400 naming the problem, nothing accepted.
    for bad in [
        json!({"version": "4", "alerts": "not a list"}),
        json!({"version": "4"}),
        json!({"alerts": [{"status": "exploding", "labels": {}}]}),
        json!({"alerts": [{"status": "firing", "labels": {"severity": 3}}]}),
        json!(["not", "an", "object"]),
    ] {
        let p = alertmanager(app, &key, &bad)
            .await
            .problem(400, "bad-request");
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{p}");
    }
    let reply = app
        .send(
            app.request(
                Method::POST,
                &format!("/api/v1/integrations/{key}/alertmanager"),
            )
            .header("content-type", "application/json")
            .body("{broken"),
        )
        .await;
    reply.problem(400, "bad-request");

    // An unknown key is 404; a key of another kind is 400.
    alertmanager(app, &"Q".repeat(32), &firing)
        .await
        .problem(404, "not-found");
    let pd_integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "batch-pd"}),
    )
    .await;
    alertmanager(app, &key_of(&pd_integration), &firing)
        .await
        .problem(400, "bad-request");

    settle(app).await;
    assert_eq!(incidents_of(app, &service).await.len(), 2);
}

// --- Content-window grouping and generic JSON ---

async fn content_window_grouping(app: &TestApp) {
    let service = new_service(app, "storage", 2).await;
    let integration = new_integration(
        app,
        &service,
        json!({
            "kind": "generic_json",
            "name": "zabbix",
            "grouping": {"mode": "content_window", "window_seconds": 300},
        }),
    )
    .await;
    assert_eq!(
        integration["grouping"],
        json!({"mode": "content_window", "window_seconds": 300, "fields": ["summary"]})
    );
    let key = key_of(&integration);
    for (summary, dedup) in [
        ("Disk latency high", "node-1"),
        ("Disk latency high", "node-2"),
        ("Replication broken", "node-3"),
    ] {
        let reply = generic(
            app,
            &key,
            &json!({"summary": summary, "dedup_key": dedup, "severity": "error"}),
        )
        .await
        .expect(202);
        assert_eq!(
            reply.body,
            json!({"status": "success", "dedup_key": dedup}),
            "{}",
            reply.text
        );
    }
    let incidents = incidents_when(app, &service, "two incidents", |v| v.len() == 2).await;
    assert_eq!(incidents[0]["title"], "Disk latency high");
    assert_eq!(incidents[1]["title"], "Replication broken");
    assert_eq!(
        dedup_keys(&alerts_of(app, &id_of(&incidents[0])).await),
        vec!["node-1", "node-2"]
    );
    assert_eq!(
        dedup_keys(&alerts_of(app, &id_of(&incidents[1])).await),
        vec!["node-3"]
    );

    // Invalid windows are refused.
    for bad in [
        json!({"mode": "content_window", "window_seconds": 0}),
        json!({"mode": "content_window", "window_seconds": 300, "fields": ["colour"]}),
        json!({"mode": "sometimes"}),
    ] {
        let fields = app
            .post(
                &app.admin.token,
                &integrations_path(&service),
                json!({"kind": "generic_json", "name": "bad", "grouping": bad}),
            )
            .await
            .invalid_fields();
        assert_eq!(fields, vec!["grouping"]);
    }
}

/// The window is counted from the incident's first alert (`Grouping::ContentWindow`: "within
/// `window_seconds` of the incident's first alert"), not slid along by each alert that joins.
/// The spacing comes from sleeps, but every expectation is computed from the times the server
/// recorded on the alerts, so a slow machine changes what is checked, never the verdict.
async fn content_window_counts_from_the_first_alert(app: &TestApp) {
    const WINDOW_MS: i64 = 4000;
    let service = new_service(app, "cooling", 2).await;
    let integration = new_integration(
        app,
        &service,
        json!({
            "kind": "generic_json",
            "name": "bms",
            "grouping": {"mode": "content_window", "window_seconds": WINDOW_MS / 1000},
        }),
    )
    .await;
    let key = key_of(&integration);
    let send = async |dedup: &str| {
        generic(
            app,
            &key,
            &json!({"summary": "Fan failure in rack 7", "dedup_key": dedup}),
        )
        .await
        .expect(202);
        settle(app).await;
    };
    send("a").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    send("b").await;
    tokio::time::sleep(Duration::from_millis(3000)).await;
    send("c").await;

    let incidents = incidents_of(app, &service).await;
    let mut alerts = Vec::new();
    for inc in &incidents {
        alerts.extend(alerts_of(app, &id_of(inc)).await);
    }
    let alert = |k: &str| {
        alerts
            .iter()
            .find(|a| a["dedup_key"] == k)
            .unwrap_or_else(|| panic!("alert {k}: {}", json!(alerts)))
            .clone()
    };
    let (a, b, c) = (alert("a"), alert("b"), alert("c"));
    let seen = |x: &Value| utc_time(&x["first_seen_at"]).as_millisecond();
    let incident_of = |x: &Value| str_of(x, "incident_id").to_string();

    // b joins a's incident when it came within the window of a.
    assert_eq!(
        incident_of(&b) == incident_of(&a),
        seen(&b) - seen(&a) <= WINDOW_MS,
        "b came {} ms after a: {}",
        seen(&b) - seen(&a),
        json!(alerts)
    );
    // c joins b's incident only if it came within the window of that incident's first alert.
    let first_of_b_incident = if incident_of(&b) == incident_of(&a) {
        seen(&a)
    } else {
        seen(&b)
    };
    assert_eq!(
        incident_of(&c) == incident_of(&b),
        seen(&c) - first_of_b_incident <= WINDOW_MS,
        "c came {} ms after its group's incident opened ({} ms after b), window {WINDOW_MS} ms: {}",
        seen(&c) - first_of_b_incident,
        seen(&c) - seen(&b),
        json!(alerts)
    );
}

async fn generic_json_mapping(app: &TestApp) {
    let service = new_service(app, "queues", 1).await;
    let mapping = json!({
        "summary": "/alert/title",
        "severity": "/alert/level",
        "dedup_key": "/alert/id",
        "status": "/state",
        "details": "/alert",
    });
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "generic_json", "name": "queue-watch", "mapping": mapping}),
    )
    .await;
    assert_eq!(integration["mapping"], mapping);
    let key = key_of(&integration);

    let reply = generic(
        app,
        &key,
        &json!({
            "state": "firing",
            "alert": {"title": "Orders queue backlog over 10k", "level": "critical", "id": "orders-q", "depth": 12000},
        }),
    )
    .await
    .expect(202);
    assert_eq!(reply.body["dedup_key"], "orders-q");
    let incidents = incidents_when(app, &service, "the mapped alert opened an incident", |v| {
        v.len() == 1
    })
    .await;
    let id = id_of(&incidents[0]);
    assert_eq!(incidents[0]["title"], "Orders queue backlog over 10k");
    assert_eq!(incidents[0]["priority"], "P1", "{}", incidents[0]);
    let alert = only(&alerts_of(app, &id).await).clone();
    assert_eq!(alert["dedup_key"], "orders-q");
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["details"]["details"]["depth"], 12000, "{alert}");

    // The status pointer resolves it.
    generic(
        app,
        &key,
        &json!({"state": "resolved", "alert": {"id": "orders-q"}}),
    )
    .await
    .expect(202);
    alerts_when(app, &id, "the alert resolved", |a| {
        a.len() == 1 && a[0]["status"] == "resolved"
    })
    .await;
    let inc = incident(app, &id).await;
    assert_eq!(inc["status"], "resolved", "{inc}");
    assert_eq!(inc["resolution_code"], "auto_resolved", "{inc}");

    // A trigger without a summary names the pointer.
    let fields = generic(
        app,
        &key,
        &json!({"state": "firing", "alert": {"id": "x", "level": "info"}}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, vec!["/alert/title"]);
    // An unknown status word names its pointer too.
    let fields = generic(
        app,
        &key,
        &json!({"state": "sideways", "alert": {"id": "x", "title": "t"}}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, vec!["/state"]);
    // A body that is not JSON.
    app.send(
        app.request(Method::POST, &format!("/api/v1/integrations/{key}/events"))
            .header("content-type", "application/json")
            .body("nope"),
    )
    .await
    .problem(400, "bad-request");
    // An unknown key.
    generic(app, &"Q".repeat(32), &json!({"summary": "x"}))
        .await
        .problem(404, "not-found");

    // A mapping that is not made of JSON Pointers is refused, and only generic_json has one.
    let fields = app
        .post(
            &app.admin.token,
            &integrations_path(&service),
            json!({"kind": "generic_json", "name": "bad-map", "mapping": {"summary": "alert/title"}}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["mapping"]);
    let fields = app
        .post(
            &app.admin.token,
            &integrations_path(&service),
            json!({"kind": "pagerduty_events_v2", "name": "pd-map", "mapping": {"summary": "/s"}}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["mapping"]);
    settle(app).await;
    assert_eq!(incidents_of(app, &service).await.len(), 1);
}

// --- Heartbeats ---

async fn heartbeats(app: &TestApp) {
    let service = new_service(app, "nightly-backup", 2).await;

    // A heartbeat needs its interval; other kinds may not have one.
    let fields = app
        .post(
            &app.admin.token,
            &integrations_path(&service),
            json!({"kind": "heartbeat", "name": "no-interval"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["heartbeat_interval_seconds"]);
    let fields = app
        .post(
            &app.admin.token,
            &integrations_path(&service),
            json!({"kind": "generic_json", "name": "gj", "heartbeat_interval_seconds": 60}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["heartbeat_interval_seconds"]);

    let integration = new_integration(
        app,
        &service,
        json!({"kind": "heartbeat", "name": "backup-cron", "heartbeat_interval_seconds": 1}),
    )
    .await;
    assert_eq!(integration["heartbeat_interval_seconds"], 1);
    let key = key_of(&integration);
    let path = format!("/api/v1/integrations/{key}/heartbeat");
    assert_eq!(integration["endpoint"], json!(path));

    // Pings by GET and POST.
    for method in [Method::GET, Method::POST] {
        let reply = app.send(app.request(method, &path)).await.expect(202);
        assert_eq!(reply.body, json!({"status": "success"}));
    }
    // Another kind's key is not a heartbeat.
    let other = new_integration(
        app,
        &service,
        json!({"kind": "generic_json", "name": "not-a-heartbeat"}),
    )
    .await;
    app.send(app.request(
        Method::GET,
        &format!("/api/v1/integrations/{}/heartbeat", key_of(&other)),
    ))
    .await
    .problem(400, "bad-request");

    // Silence: an incident opens for the service.
    let open = eventually("a missed heartbeat opens an incident", async || {
        let incidents = incidents_of(app, &service).await;
        incidents
            .iter()
            .find(|i| {
                i["status"] == "new"
                    && i["title"]
                        .as_str()
                        .is_some_and(|t| t.to_lowercase().contains("heartbeat"))
            })
            .cloned()
            .ok_or_else(|| describe_incidents(&incidents))
    })
    .await;
    let id = id_of(&open);
    assert!(
        str_of(&open, "title").contains("backup-cron"),
        "the title names the heartbeat: {open}"
    );
    assert_eq!(open["source"], "monitoring");
    assert_eq!(open["reporter"]["name"], "backup-cron", "{open}");
    let alert = only(&alerts_of(app, &id).await).clone();
    assert_eq!(alert["dedup_key"], "heartbeat", "{alert}");
    assert_eq!(alert["status"], "triggered", "{alert}");

    // A ping resolves it.
    app.send(app.request(Method::POST, &path)).await.expect(202);
    let resolved = eventually("the ping resolves the incident", async || {
        let inc = incident(app, &id).await;
        if inc["status"] == "resolved" {
            Ok(inc)
        } else {
            Err(inc.to_string())
        }
    })
    .await;
    assert_eq!(resolved["resolution_code"], "auto_resolved", "{resolved}");
    assert_eq!(
        only(&alerts_of(app, &id).await)["status"],
        "resolved",
        "the heartbeat alert resolved"
    );
}

// --- Integrations: CRUD and roles ---

async fn integration_crud_and_roles(app: &TestApp) {
    let service = new_service(app, "crm", 2).await;
    let path = integrations_path(&service);
    let admin = &app.admin.token;

    // Validation names every problem.
    let fields = app.post(admin, &path, json!({})).await.invalid_fields();
    assert_eq!(fields, vec!["kind", "name"]);
    let fields = app
        .post(admin, &path, json!({"kind": "nagios", "name": "n"}))
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["kind"]);
    let fields = app
        .post(
            admin,
            &path,
            json!({"kind": "pagerduty_events_v2", "name": "short", "key": "a".repeat(31)}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["key"]);
    let fields = app
        .post(
            admin,
            &path,
            json!({"kind": "generic_json", "name": "odd", "key": format!("{}!", "a".repeat(32))}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["key"]);
    let fields = app
        .post(
            admin,
            &path,
            json!({"kind": "generic_json", "name": "x", "rate_limit_per_minute": 0, "colour": "red"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["colour", "rate_limit_per_minute"]);
    app.post(
        admin,
        "/api/v1/services/no-such-service/integrations",
        json!({"kind": "generic_json", "name": "x"}),
    )
    .await
    .problem(404, "not-found");

    // A generated key: 32 letters and digits.
    let generated = new_integration(
        app,
        &service,
        json!({"kind": "generic_json", "name": "crm-hooks"}),
    )
    .await;
    let generated_key = key_of(&generated);
    assert_eq!(generated_key.len(), 32);
    assert!(generated_key.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(generated["auto_resolve"], true);
    assert_eq!(generated["grouping"], json!({"mode": "per_alert"}));
    assert!(generated["rate_limit_per_minute"].is_null());
    assert!(generated["last_event_at"].is_null());
    assert_eq!(generated["service"]["id"], json!(service));
    assert_eq!(generated["service"]["name"], "crm");

    // A given key is kept; the same key again is a conflict, whatever the kind.
    let given = "Given-Key_0123456789abcdefghijkl";
    assert_eq!(given.len(), 32);
    let reply = app
        .post(
            admin,
            &path,
            json!({"kind": "pagerduty_events_v2", "name": "crm-pd", "key": given}),
        )
        .await
        .expect(201);
    let etag = reply.etag();
    assert_eq!(etag, "\"1\"");
    let location = reply.header("location").expect("Location");
    let pd_integration = reply.body;
    assert_eq!(key_of(&pd_integration), given);
    assert_eq!(pd_integration["version"], 1);
    let pd_id = str_of(&pd_integration, "id").to_string();
    assert_eq!(location, format!("/api/v1/integrations/{pd_id}"));
    app.post(
        admin,
        &path,
        json!({"kind": "pagerduty_events_v2", "name": "crm-pd-2", "key": given}),
    )
    .await
    .problem(409, "conflict");
    app.post(
        admin,
        &path,
        json!({"kind": "generic_json", "name": "crm-gj-2", "key": given}),
    )
    .await
    .problem(409, "conflict");

    // Agents read integrations without their keys; they may not create, change or delete.
    let list = app.get(&app.agent.token, &path).await.expect(200).body;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{list}");
    for i in items {
        assert!(i["key"].is_null(), "agents do not see keys: {i}");
        assert!(
            !i["endpoint"]
                .as_str()
                .unwrap_or_default()
                .contains(&generated_key),
            "nor in the endpoint: {i}"
        );
    }
    let one = app.get(&app.agent.token, &location).await.expect(200).body;
    assert!(one["key"].is_null(), "{one}");
    assert_eq!(one["name"], "crm-pd");
    let admin_list = app.get(admin, &path).await.expect(200).body;
    assert!(
        admin_list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["key"].is_string()),
        "{admin_list}"
    );
    app.post(
        &app.agent.token,
        &path,
        json!({"kind": "generic_json", "name": "sneaky"}),
    )
    .await
    .problem(403, "forbidden");
    app.patch(
        &app.agent.token,
        &location,
        None,
        json!({"name": "renamed-by-agent"}),
    )
    .await
    .problem(403, "forbidden");
    app.send(app.authed(Method::DELETE, &location, &app.agent.token))
        .await
        .problem(403, "forbidden");
    // Viewers and requesters may not even list them.
    app.get(&app.viewer.token, &path)
        .await
        .problem(403, "forbidden");
    app.get(&app.rita.token, &path)
        .await
        .problem(403, "forbidden");
    // Nor read the intake status, which managers and admins may.
    app.get(&app.agent.token, "/api/v1/intake/status")
        .await
        .problem(403, "forbidden");
    let status = intake_status(app).await;
    for field in ["pending", "accepted", "processed"] {
        assert!(status[field].is_number(), "{field}: {status}");
    }
    assert!(status["lag_ms"].is_object(), "{status}");

    // Without credentials: 401 everywhere.
    for (method, p) in [
        (Method::GET, path.as_str()),
        (Method::POST, path.as_str()),
        (Method::GET, location.as_str()),
        (Method::PATCH, location.as_str()),
        (Method::DELETE, location.as_str()),
        (Method::GET, "/api/v1/intake/status"),
    ] {
        app.send(
            app.request(method.clone(), p)
                .json(&json!({"kind": "generic_json", "name": "anon"})),
        )
        .await
        .problem(401, "unauthorized");
    }

    // PATCH with If-Match changes the name, the rate limit and the grouping.
    let reply = app
        .patch(
            admin,
            &location,
            Some(&etag),
            json!({
                "name": "crm-pagerduty",
                "rate_limit_per_minute": 120,
                "grouping": {"mode": "content_window", "window_seconds": 60, "fields": ["summary", "source"]},
            }),
        )
        .await
        .expect(200);
    assert_eq!(reply.etag(), "\"2\"");
    let changed = reply.body;
    assert_eq!(changed["name"], "crm-pagerduty");
    assert_eq!(changed["rate_limit_per_minute"], 120);
    assert_eq!(
        changed["grouping"],
        json!({"mode": "content_window", "window_seconds": 60, "fields": ["summary", "source"]})
    );
    assert_eq!(changed["version"], 2);
    assert_eq!(key_of(&changed), given, "the key is unchanged");
    // A stale If-Match is refused and changes nothing.
    app.patch(admin, &location, Some(&etag), json!({"name": "stale"}))
        .await
        .problem(412, "stale-version");
    // The rate limit can be lifted with null; invalid values are named.
    let lifted = app
        .patch(
            admin,
            &location,
            Some("\"2\""),
            json!({"rate_limit_per_minute": null}),
        )
        .await
        .expect(200)
        .body;
    assert!(lifted["rate_limit_per_minute"].is_null(), "{lifted}");
    assert_eq!(lifted["name"], "crm-pagerduty");
    let fields = app
        .patch(
            admin,
            &location,
            None,
            json!({"key": "short", "heartbeat_interval_seconds": 5, "kind": "opsgenie"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["heartbeat_interval_seconds", "key", "kind"]);
    let shown = app.get(admin, &location).await.expect(200).body;
    assert_eq!(shown["name"], "crm-pagerduty");
    assert_eq!(shown["version"], 3);
    // A key another integration holds is a conflict; a new key replaces the old one at once.
    app.patch(admin, &location, None, json!({"key": generated_key}))
        .await
        .problem(409, "conflict");
    let new_key = "Rotated-Key_0123456789abcdefghij";
    assert_eq!(new_key.len(), 32);
    let rotated = app
        .patch(admin, &location, None, json!({"key": new_key}))
        .await
        .expect(200)
        .body;
    assert_eq!(key_of(&rotated), new_key);
    pd_invalid(pd(app, pd_trigger(given, Some("old"), "Old key", "info")).await);
    pd_ok(app, pd_trigger(new_key, Some("new"), "New key", "info")).await;
    incidents_when(app, &service, "the new key's incident", |v| v.len() == 1).await;

    // Deleting: 204, then 404.
    app.send(app.authed(Method::DELETE, &location, admin))
        .await
        .expect(204);
    app.get(admin, &location).await.problem(404, "not-found");
    app.send(app.authed(Method::DELETE, &location, admin))
        .await
        .problem(404, "not-found");
    let list = app.get(admin, &path).await.expect(200).body;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    pd_invalid(pd(app, pd_trigger(new_key, Some("gone"), "Gone", "info")).await);
}

async fn deleted_integration_keys_stop_working(app: &TestApp) {
    let service = new_service(app, "ledger", 2).await;
    let pd_integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "ledger-pd"}),
    )
    .await;
    let generic_integration = new_integration(
        app,
        &service,
        json!({"kind": "generic_json", "name": "ledger-gj"}),
    )
    .await;
    let pd_key = key_of(&pd_integration);
    let gj_key = key_of(&generic_integration);
    // Both work (and are cached) before they are deleted.
    pd_ok(
        app,
        pd_trigger(&pd_key, Some("a"), "Ledger drift", "warning"),
    )
    .await;
    generic(app, &gj_key, &json!({"summary": "Ledger lag"}))
        .await
        .expect(202);
    incidents_when(app, &service, "two incidents", |v| v.len() == 2).await;

    for i in [&pd_integration, &generic_integration] {
        app.send(app.authed(
            Method::DELETE,
            &format!("/api/v1/integrations/{}", str_of(i, "id")),
            &app.admin.token,
        ))
        .await
        .expect(204);
    }
    // Within the lookup cache's lifetime (2 s), the keys stop working.
    let errors = eventually("the PagerDuty key is refused", async || {
        let reply = pd(
            app,
            pd_trigger(&pd_key, Some("b"), "Ledger drift", "warning"),
        )
        .await;
        if reply.status == 400 {
            Ok(pd_invalid(reply))
        } else {
            Err(format!("{} {}", reply.status, reply.text))
        }
    })
    .await;
    assert!(
        errors.iter().any(|e| e.contains("routing_key")),
        "{errors:?}"
    );
    eventually("the generic key is refused", async || {
        let reply = generic(app, &gj_key, &json!({"summary": "Ledger lag 2"})).await;
        if reply.status == 404 {
            Ok(reply.problem(404, "not-found"))
        } else {
            Err(format!("{} {}", reply.status, reply.text))
        }
    })
    .await;
    settle(app).await;
    // The incidents stay, and nothing new was made.
    let incidents = incidents_of(app, &service).await;
    assert_eq!(incidents.len(), 2, "{}", describe_incidents(&incidents));
    assert_eq!(incidents[0]["title"], "Ledger drift");
    assert_eq!(incidents[1]["title"], "Ledger lag");
}

/// A service's integrations do not outlive it: deleting the service is either refused while
/// integrations point at it, or takes them along, so their keys are refused. It must not leave
/// keys that answer 202 to alerts that then vanish.
async fn deleting_a_service_does_not_strand_its_integrations(app: &TestApp) {
    let service = new_service(app, "legacy", 3).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "legacy-pd"}),
    )
    .await;
    let key = key_of(&integration);
    let integration_path = format!("/api/v1/integrations/{}", str_of(&integration, "id"));
    let deleted = app
        .send(app.authed(
            Method::DELETE,
            &format!("/api/v1/services/{service}"),
            &app.admin.token,
        ))
        .await;
    if deleted.status == 409 {
        // Refused: the integration still works and its alerts still open incidents.
        pd_ok(
            app,
            pd_trigger(&key, Some("l"), "Legacy batch failed", "error"),
        )
        .await;
        incidents_when(app, &service, "the incident", |v| v.len() == 1).await;
        return;
    }
    deleted.expect(204);
    // The key was never looked up before, so no cache stands in the way: it is refused at once.
    let reply = pd(
        app,
        pd_trigger(&key, Some("l"), "Legacy batch failed", "error"),
    )
    .await;
    assert_eq!(
        reply.status, 400,
        "the key of an integration whose service is gone must be refused, not accepted and \
         dropped: {}",
        reply.text
    );
    pd_invalid(reply);
    app.get(&app.admin.token, &integration_path)
        .await
        .problem(404, "not-found");
}

/// PagerDuty semantics: resolving an incident resolves its alerts, so the monitoring tool's next
/// trigger with the same dedup key opens a new incident. A trigger for a problem that is still
/// there must not be absorbed by the alert of an incident a person already resolved.
async fn retrigger_after_a_person_resolved_the_incident(app: &TestApp) {
    let service = new_service(app, "vpn", 1).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "vpn-pd"}),
    )
    .await;
    let key = key_of(&integration);
    pd_ok(
        app,
        pd_trigger(&key, Some("vpn-down"), "VPN gateway down", "critical"),
    )
    .await;
    let incidents = incidents_when(app, &service, "the incident", |v| v.len() == 1).await;
    let id = id_of(&incidents[0]);
    app.move_to(
        &app.agent.token,
        &id,
        json!({"to": "resolved", "resolution_code": "solution_provided",
               "resolution_notes": "Restarted the gateway."}),
    )
    .await;
    // Resolving the incident resolves its alerts (as PagerDuty does).
    settle(app).await;
    let alerts = alerts_of(app, &id).await;
    assert_eq!(alerts.len(), 1, "{}", json!(alerts));
    assert_eq!(alerts[0]["status"], "resolved", "{}", json!(alerts));
    assert!(alerts[0]["resolved_at"].is_string(), "{}", json!(alerts));

    // The gateway is still down: the monitoring tool triggers again.
    pd_ok(
        app,
        pd_trigger(&key, Some("vpn-down"), "VPN gateway down", "critical"),
    )
    .await;
    settle(app).await;
    let incidents = incidents_of(app, &service).await;
    let alerts = alerts_of(app, &id).await;
    assert!(
        incidents.iter().any(|i| i["status"] != "resolved"),
        "a trigger after the incident was resolved by a person opens (or reopens) an incident; \
         got {} with the old incident's alerts {}",
        describe_incidents(&incidents),
        json!(alerts)
    );
    assert_eq!(incidents.len(), 2, "{}", describe_incidents(&incidents));
}

// --- Rate limits ---

/// An address that keeps sending unknown keys is refused before any lookup, for a while.
async fn unknown_keys_are_limited_per_address(app: &TestApp) {
    let mut refused = None;
    for n in 0..150 {
        let guess = format!("{:0>32}", n);
        let reply = pd(app, pd_trigger(&guess, Some("x"), "Guess", "info")).await;
        match reply.status {
            400 => assert_eq!(reply.body["status"], "invalid event", "{}", reply.text),
            429 => {
                refused = Some((n, reply));
                break;
            }
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    let (n, reply) = refused.expect("150 unknown keys in a row were never refused");
    assert!(n >= 100, "refused after only {n} unknown keys");
    let retry = reply.header("retry-after").expect("Retry-After");
    assert!(retry.parse::<u64>().is_ok_and(|s| s >= 1), "{retry}");
    // Other routes are not affected.
    app.get(&app.admin.token, "/api/v1/intake/status")
        .await
        .expect(200);
}

async fn per_key_rate_limit(app: &TestApp) {
    let service = new_service(app, "analytics", 3).await;
    let limited = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "noisy", "rate_limit_per_minute": 2}),
    )
    .await;
    assert_eq!(limited["rate_limit_per_minute"], 2);
    let free = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "quiet"}),
    )
    .await;
    let limited_key = key_of(&limited);

    pd_ok(app, pd_trigger(&limited_key, Some("n1"), "Noise 1", "info")).await;
    pd_ok(app, pd_trigger(&limited_key, Some("n2"), "Noise 2", "info")).await;
    let throttled = pd(app, pd_trigger(&limited_key, Some("n3"), "Noise 3", "info"))
        .await
        .expect(429);
    let retry = throttled.header("retry-after").expect("Retry-After");
    assert!(
        retry.parse::<u64>().is_ok_and(|s| s >= 1),
        "Retry-After is whole seconds: {retry}"
    );
    assert_eq!(throttled.body["status"], "throttled", "{}", throttled.text);
    assert!(
        throttled.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        throttled.text
    );

    // Another key is unaffected.
    for n in 0..5 {
        pd_ok(
            app,
            pd_trigger(
                &key_of(&free),
                Some(&format!("q{n}")),
                &format!("Quiet {n}"),
                "info",
            ),
        )
        .await;
    }

    // The same limit on a generic_json key answers in Mayday's words.
    let generic_limited = new_integration(
        app,
        &service,
        json!({"kind": "generic_json", "name": "gj-noisy", "rate_limit_per_minute": 1}),
    )
    .await;
    generic(app, &key_of(&generic_limited), &json!({"summary": "one"}))
        .await
        .expect(202);
    let reply = generic(app, &key_of(&generic_limited), &json!({"summary": "two"})).await;
    assert!(reply.header("retry-after").is_some(), "{}", reply.text);
    reply.problem(429, "rate-limited");

    // Only accepted events were processed.
    let incidents = incidents_when(app, &service, "eight incidents", |v| v.len() >= 8).await;
    assert_eq!(incidents.len(), 8, "{}", describe_incidents(&incidents));
    assert!(incidents.iter().all(|i| i["title"] != "Noise 3"));
}

fn strict_address_limit() -> Settings {
    Settings {
        // Five requests per address, then effectively no refill while the test runs.
        rate_limit: Some(RateLimit {
            per_second: 0.001,
            burst: 5.0,
        }),
        ..Settings::default()
    }
}

async fn intake_is_exempt_from_the_address_limit(app: &TestApp) {
    install_tls_provider();
    let client = reqwest::Client::builder()
        .no_proxy()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)))
        .build()
        .expect("an HTTP client");
    // Two of the five requests: a service and an integration.
    let service = new_service(app, "edge", 2).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "edge-pd"}),
    )
    .await;
    let key = key_of(&integration);
    // An alert storm from the same address: all accepted, and none of it counts.
    for n in 0..20 {
        let reply = app
            .send(
                client
                    .request(Method::POST, app.url("/v2/enqueue"))
                    .json(&pd_trigger(
                        &key,
                        Some(&format!("e{n}")),
                        "Edge flapping",
                        "info",
                    )),
            )
            .await;
        reply.expect(202);
    }
    // The address still has the three requests it had left, and then no more.
    for _ in 0..3 {
        app.send(client.request(Method::GET, app.url("/healthz")))
            .await
            .expect(200);
    }
    app.send(client.request(Method::GET, app.url("/healthz")))
        .await
        .problem(429, "rate-limited");
    // Intake still takes events.
    app.send(
        client
            .request(Method::POST, app.url("/v2/enqueue"))
            .json(&pd_trigger(&key, Some("e-last"), "Edge flapping", "info")),
    )
    .await
    .expect(202);
}

// --- Maintenance windows, default category, auto-resolve ---

async fn maintenance_windows_and_default_category(app: &TestApp) {
    let service = new_service(app, "warehouse", 2).await;
    let service_path = format!("/api/v1/services/{service}");
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "warehouse-pd"}),
    )
    .await;
    let key = key_of(&integration);
    let admin = &app.admin.token;

    // Invalid windows and unknown categories are refused.
    let now = jiff::Timestamp::now();
    let hour = jiff::SignedDuration::from_hours(1);
    let before = now.checked_sub(hour).unwrap().to_string();
    let after = now.checked_add(hour).unwrap().to_string();
    let fields = app
        .patch(
            admin,
            &service_path,
            None,
            json!({"maintenance_windows": [{"starts_at": after, "ends_at": before, "reason": "backwards"}]}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["maintenance_windows"]);
    let fields = app
        .patch(
            admin,
            &service_path,
            None,
            json!({"default_category": "astrology"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["default_category"]);

    // The default category: the alert's incident takes it.
    app.patch(
        admin,
        &service_path,
        None,
        json!({"default_category": "database"}),
    )
    .await
    .expect(200);
    pd_ok(app, pd_trigger(&key, Some("plain"), "Replica lag", "error")).await;
    let incidents = incidents_when(app, &service, "the first incident", |v| v.len() == 1).await;
    assert_eq!(incidents[0]["category"], "database", "{}", incidents[0]);
    assert_eq!(incidents[0]["tags"], json!([]), "{}", incidents[0]);
    assert_eq!(
        only(&alerts_of(app, &id_of(&incidents[0])).await)["suppressed"],
        false
    );

    // A window covering now: new alerts are recorded, tagged and not paged.
    let reply = app
        .patch(
            admin,
            &service_path,
            None,
            json!({"maintenance_windows": [{"starts_at": before, "ends_at": after, "reason": "upgrade"}]}),
        )
        .await
        .expect(200);
    assert_eq!(
        reply.body["maintenance_windows"][0]["reason"], "upgrade",
        "{}",
        reply.text
    );
    pd_ok(
        app,
        pd_trigger(&key, Some("during"), "Replica lag during upgrade", "error"),
    )
    .await;
    let incidents = incidents_when(app, &service, "the second incident", |v| v.len() == 2).await;
    let during = &incidents[1];
    assert_eq!(during["title"], "Replica lag during upgrade");
    assert_eq!(during["tags"], json!(["maintenance"]), "{during}");
    assert_eq!(during["category"], "database", "{during}");
    let alert = only(&alerts_of(app, &id_of(during)).await).clone();
    assert_eq!(alert["suppressed"], true, "{alert}");

    // Back to monitoring when the default is cleared.
    app.patch(
        admin,
        &service_path,
        None,
        json!({"default_category": null, "maintenance_windows": []}),
    )
    .await
    .expect(200);
    pd_ok(
        app,
        pd_trigger(&key, Some("after"), "Replica lag again", "error"),
    )
    .await;
    let incidents = incidents_when(app, &service, "the third incident", |v| v.len() == 3).await;
    assert_eq!(incidents[2]["category"], "monitoring", "{}", incidents[2]);
    assert_eq!(incidents[2]["tags"], json!([]), "{}", incidents[2]);
}

async fn auto_resolve_off(app: &TestApp) {
    let service = new_service(app, "reports", 2).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "reports-pd", "auto_resolve": false}),
    )
    .await;
    assert_eq!(integration["auto_resolve"], false);
    let key = key_of(&integration);
    pd_ok(
        app,
        pd_trigger(&key, Some("r"), "Report job failed", "error"),
    )
    .await;
    let incidents = incidents_when(app, &service, "the incident", |v| v.len() == 1).await;
    let id = id_of(&incidents[0]);
    pd_ok(app, pd_action(&key, "resolve", "r")).await;
    alerts_when(app, &id, "the alert resolved", |a| {
        a.len() == 1 && a[0]["status"] == "resolved"
    })
    .await;
    let inc = incident(app, &id).await;
    assert_eq!(inc["status"], "new", "the incident stays open: {inc}");
    assert!(inc["resolution_code"].is_null(), "{inc}");
}

// --- Exactly once under concurrency ---

async fn concurrent_triggers_are_processed_exactly_once(app: &TestApp) {
    let service = new_service(app, "core-banking", 1).await;
    let integration = new_integration(
        app,
        &service,
        json!({"kind": "pagerduty_events_v2", "name": "storm"}),
    )
    .await;
    let key = key_of(&integration);

    // 200 distinct alerts and one alert sent 51 times (50 repeats), all at once.
    let mut bodies: Vec<Value> = (0..200)
        .map(|n| {
            pd_trigger(
                &key,
                Some(&format!("distinct-{n:03}")),
                &format!("Distinct alert {n:03}"),
                "warning",
            )
        })
        .collect();
    bodies.extend((0..51).map(|_| pd_trigger(&key, Some("repeated"), "Repeated alert", "error")));
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let rb = app.request(Method::POST, "/v2/enqueue").json(&body);
            tokio::spawn(async move {
                let res = rb.send().await.expect("the request is answered");
                let status = res.status().as_u16();
                let text = res.text().await.unwrap_or_default();
                (status, text)
            })
        })
        .collect();
    for task in tasks {
        let (status, text) = task.await.expect("the request task");
        assert_eq!(status, 202, "{text}");
    }

    let incidents = eventually_within(
        Duration::from_secs(60),
        "201 incidents, nothing pending",
        async || {
            let pending = pending(app).await;
            let incidents = incidents_of(app, &service).await;
            if pending == 0 && incidents.len() >= 201 {
                Ok(incidents)
            } else {
                Err(format!("{pending} pending, {} incidents", incidents.len()))
            }
        },
    )
    .await;
    assert_eq!(incidents.len(), 201, "exactly one incident per dedup key");
    let mut titles: Vec<String> = incidents
        .iter()
        .map(|i| str_of(i, "title").to_string())
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 201, "one incident per alert");
    let repeated = incidents
        .iter()
        .find(|i| i["title"] == "Repeated alert")
        .expect("the repeated alert's incident");
    let alert = only(&alerts_of(app, &id_of(repeated)).await).clone();
    assert_eq!(alert["dedup_key"], "repeated");
    assert_eq!(alert["event_count"], 51, "{alert}");
    let status = intake_status(app).await;
    assert_eq!(status["pending"], 0, "{status}");
    assert!(
        status["accepted"].as_u64().is_some_and(|n| n >= 251),
        "{status}"
    );
    assert!(
        status["processed"].as_u64().is_some_and(|n| n >= 251),
        "{status}"
    );
}
