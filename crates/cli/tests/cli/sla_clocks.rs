//! SLA clocks in real time through the `mayday` binary, with targets of seconds: the 50 % and
//! 75 % warnings and the breach each fire exactly once — on the timeline and by email to the
//! assignee at a real SMTP server (`aiosmtpd`, see `paging.rs`) — even when the server is
//! killed with SIGKILL between the first warning and the breach; an incident on hold awaiting
//! the vendor is not breached while on hold, and is after resuming. Runs on SQLite, and on
//! PostgreSQL when `MAYDAY_TEST_DATABASE_URL` is set.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::paging::{Smtp, api, identities, mail_for, python, wait_mail};
use super::{Database, Server, postgres, sqlite};

/// The resolution target of the scenario's policies, in seconds.
const TARGET: u64 = 8;

async fn timeline(server: &Server, number: &str) -> Vec<Value> {
    api(
        server,
        Method::GET,
        &format!("/api/v1/incidents/{number}/timeline"),
        None,
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

/// The SLA lines of the timeline holding `words`.
async fn sla_lines(server: &Server, number: &str, words: &str) -> Vec<String> {
    timeline(server, number)
        .await
        .iter()
        .filter(|e| e["kind"] == "sla")
        .filter_map(|e| e["body"].as_str())
        .filter(|b| b.contains(words))
        .map(String::from)
        .collect()
}

async fn wait_line(server: &Server, number: &str, words: &str, seconds: u64) {
    let started = Instant::now();
    while sla_lines(server, number, words).await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(seconds),
            "no SLA line with {words:?} within {seconds} s: {:?}",
            timeline(server, number).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn resolution_clock(server: &Server, number: &str) -> Value {
    let body = api(
        server,
        Method::GET,
        &format!("/api/v1/incidents/{number}/sla"),
        None,
    )
    .await;
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "resolution")
        .unwrap_or_else(|| panic!("no resolution clock: {body}"))
        .clone()
}

async fn organize(server: &Server) {
    api(
        server,
        Method::POST,
        "/api/v1/users",
        Some(json!({"username": "alice", "email": "alice@example.com", "role": "agent"})),
    )
    .await;
    let notify = |at: u8| json!({"at_percent": at, "kind": "notify_assignee"});
    api(
        server,
        Method::POST,
        "/api/v1/sla-policies",
        Some(
            json!({"name": "critical", "conditions": {"priorities": ["P1"]},
                    "resolution_seconds": TARGET, "warnings": [50, 75],
                    "actions": [notify(50), notify(75), notify(100),
                                {"at_percent": 100, "kind": "add_tag", "tag": "sla-breached"}]}),
        ),
    )
    .await;
}

async fn open(server: &Server, title: &str) -> String {
    let inc = api(
        server,
        Method::POST,
        "/api/v1/incidents",
        Some(
            json!({"title": title, "description": "from the SLA test", "reporter": "admin",
                    "impact": 1, "urgency": 1, "category": "software", "assignee": "alice"}),
        ),
    )
    .await;
    inc["number"].as_str().unwrap().to_string()
}

async fn clocks_in_real_time(db: Database, python: &str) {
    let smtp = Smtp::start(python);
    let url = smtp.url();
    let args = ["--smtp-url", url.as_str(), "--smtp-from", "sla@example.com"];
    let server = Server::start_with(&db, &args);
    organize(&server).await;

    // Warnings and the breach, with a SIGKILL after the first warning.
    let number = open(&server, "Checkout is down").await;
    wait_line(&server, &number, "50%", TARGET + 10).await;
    // Killed once the first warning's mail is out (a message claimed but not sent when the
    // process dies waits for its claim's lease, most of a minute, before it is sent again).
    wait_mail(&smtp, "alice@example.com", &number, 1, 30).await;
    server.kill();
    let server = Server::start_with(&db, &args);
    wait_line(&server, &number, "breached", TARGET + 20).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    for words in ["50%", "75%", "breached"] {
        let lines = sla_lines(&server, &number, words).await;
        assert_eq!(lines.len(), 1, "{words}: {lines:?}");
    }
    let clock = resolution_clock(&server, &number).await;
    assert_eq!(clock["state"], "breached", "{clock}");
    assert!(clock["remaining_seconds"].as_i64().unwrap() <= 0, "{clock}");
    assert_eq!(clock["fired"], json!([50, 75, 100]));
    let inc = api(
        &server,
        Method::GET,
        &format!("/api/v1/incidents/{number}"),
        None,
    )
    .await;
    assert!(
        inc["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("sla-breached")),
        "{inc}"
    );
    // The assignee is told of each, once (a message cut off by the kill may be sent again,
    // always with its identity).
    let mail = wait_mail(&smtp, "alice@example.com", &number, 3, 30).await;
    let warnings: Vec<Value> = mail
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().contains("SLA warning"))
        .cloned()
        .collect();
    let breaches: Vec<Value> = mail_for(&smtp, "alice@example.com", &number)
        .into_iter()
        .filter(|m| m["subject"].as_str().unwrap().contains("SLA breached"))
        .collect();
    assert_eq!(identities(&warnings), 2, "{mail:?}");
    assert_eq!(identities(&breaches), 1, "{mail:?}");

    // On hold awaiting the vendor: not breached while on hold, breached after resuming.
    let held = open(&server, "Invoices are not sent").await;
    api(
        &server,
        Method::POST,
        &format!("/api/v1/incidents/{held}/transitions"),
        Some(json!({"to": "on_hold", "reason": "awaiting_vendor"})),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(TARGET + 2)).await;
    let clock = resolution_clock(&server, &held).await;
    assert_eq!(clock["state"], "paused", "{clock}");
    assert!(sla_lines(&server, &held, "breached").await.is_empty());
    api(
        &server,
        Method::POST,
        &format!("/api/v1/incidents/{held}/transitions"),
        Some(json!({"to": "in_progress"})),
    )
    .await;
    wait_line(&server, &held, "breached", TARGET + 10).await;
    let why = api(
        &server,
        Method::GET,
        &format!("/api/v1/incidents/{held}/sla/why"),
        None,
    )
    .await;
    let pause = why["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["counted"] == false && i["reason"].as_str().unwrap_or("").contains("vendor"))
        .unwrap_or_else(|| panic!("no pause in {why}"))
        .clone();
    assert!(pause["seconds"].as_i64().unwrap() >= TARGET as i64, "{why}");
}

#[tokio::test]
async fn sqlite_sla_clocks_in_real_time() {
    if let Some(python) = python() {
        clocks_in_real_time(sqlite(), &python).await;
    }
}

#[tokio::test]
async fn postgres_sla_clocks_in_real_time() {
    if let Some(python) = python()
        && let Some(db) = postgres().await
    {
        clocks_in_real_time(db, &python).await;
    }
}
