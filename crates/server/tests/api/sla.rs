//! SLA clocks through the API: a P2 incident logged on a Friday evening against a
//! Monday–Friday 09:00–18:00 Europe/Berlin calendar is due on Monday (Tuesday once Monday is a
//! holiday); on hold awaiting the vendor pauses the clock and "why" shows the pause; awaiting a
//! change does not pause; a priority change keeps the time spent and changes the target; the
//! response clock stops at the acknowledgement; compliance counts the clocks. Time comes from a
//! `FixedClock` the scenario moves; the warning and breach timers in real time are the CLI
//! suite's (`tests/cli/sla_clocks.rs`), with a restart in between.

use std::sync::Arc;

use mayday_core::FixedClock;
use mayday_server::Settings;
use serde_json::{Value, json};

use crate::harness::*;

macro_rules! on_both_engines_with_clock {
    ($($scenario:ident => $sqlite:ident, $postgres:ident;)*) => {
        $(
            #[tokio::test]
            async fn $sqlite() {
                let clock = Arc::new(FixedClock::new(FRIDAY_17_BERLIN));
                let app = TestApp::spawn_with_clock(Engine::Sqlite, settings(), clock.clone())
                    .await
                    .expect("SQLite is always available");
                $scenario(&app, &clock).await;
                app.finish().await;
            }

            #[tokio::test]
            async fn $postgres() {
                let clock = Arc::new(FixedClock::new(FRIDAY_17_BERLIN));
                let Some(app) =
                    TestApp::spawn_with_clock(Engine::Postgres, settings(), clock.clone()).await
                else {
                    return;
                };
                $scenario(&app, &clock).await;
                app.finish().await;
            }
        )*
    };
}

on_both_engines_with_clock! {
    business_calendar_due_holiday_and_pause => sqlite_business_calendar_due_holiday_and_pause, postgres_business_calendar_due_holiday_and_pause;
    priority_change_retargets_and_compliance => sqlite_priority_change_retargets_and_compliance, postgres_priority_change_retargets_and_compliance;
}

fn settings() -> Settings {
    Settings {
        rate_limit: None,
        ..Settings::default()
    }
}

/// 2026-11-27 (a Friday) 17:00 in Berlin (UTC+1 in winter).
const FRIDAY_17_BERLIN: i64 = 1_795_795_200_000;
const HOUR: i64 = 3_600_000;

fn at(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

/// The office calendar and a policy per priority: P2 must be answered in 30 business minutes
/// and resolved in 4 business hours, P1 in 1 hour.
async fn configure(app: &TestApp) {
    let token = &app.admin.token;
    app.post(
        token,
        "/api/v1/business-calendars",
        json!({"name": "office", "time_zone": "Europe/Berlin", "hours": [
            {"day": "monday", "start": "09:00", "end": "18:00"},
            {"day": "tuesday", "start": "09:00", "end": "18:00"},
            {"day": "wednesday", "start": "09:00", "end": "18:00"},
            {"day": "thursday", "start": "09:00", "end": "18:00"},
            {"day": "friday", "start": "09:00", "end": "18:00"},
        ]}),
    )
    .await
    .expect(201);
    app.post(
        token,
        "/api/v1/sla-policies",
        json!({"name": "P2 office hours", "conditions": {"priorities": ["P2"]},
               "response_minutes": 30, "resolution_minutes": 240, "calendar": "office"}),
    )
    .await
    .expect(201);
    app.post(
        token,
        "/api/v1/sla-policies",
        json!({"name": "P1 office hours", "conditions": {"priorities": ["P1"]},
               "resolution_minutes": 60, "calendar": "office"}),
    )
    .await
    .expect(201);
}

async fn clocks(app: &TestApp, key: &str) -> Vec<Value> {
    let body = app
        .get(&app.agent.token, &format!("/api/v1/incidents/{key}/sla"))
        .await
        .expect(200)
        .body;
    assert_eq!(body["incident"]["number"], key, "{body}");
    body["items"].as_array().expect("items").clone()
}

fn of_kind<'a>(clocks: &'a [Value], kind: &str) -> &'a Value {
    clocks
        .iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} clock in {clocks:?}"))
}

fn sla_notes(timeline: &[Value]) -> Vec<String> {
    timeline
        .iter()
        .filter(|e| e["kind"] == "sla")
        .map(|e| e["body"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn business_calendar_due_holiday_and_pause(app: &TestApp, clock: &FixedClock) {
    configure(app).await;
    let token = &app.agent.token;
    let inc = app
        .create(
            token,
            with(
                new_incident("VPN drops every hour"),
                json!({"impact": 1, "urgency": 2}),
            ),
        )
        .await;
    assert_eq!(inc["priority"], "P2");
    let key = number_of(&inc);
    let c = clocks(app, &key).await;
    assert_eq!(c.len(), 2, "{c:?}");
    let resolution = of_kind(&c, "resolution");
    assert_eq!(resolution["state"], "running");
    assert_eq!(resolution["policy"]["name"], "P2 office hours");
    assert_eq!(resolution["target_seconds"], 4 * 3600);
    // One business hour left on Friday, three on Monday from 09:00: Monday 12:00 Berlin.
    assert_eq!(resolution["due_at"], "2026-11-30T11:00:00Z", "{resolution}");
    assert_eq!(resolution["elapsed_seconds"], 0);
    assert_eq!(resolution["calendar"]["name"], "office");
    // Half an hour to answer: Friday 17:30.
    assert_eq!(of_kind(&c, "response")["due_at"], "2026-11-27T16:30:00Z");

    // Monday becomes a holiday: Tuesday 12:00.
    let cal = app
        .get(&app.admin.token, "/api/v1/business-calendars/office")
        .await
        .expect(200);
    app.patch(
        &app.admin.token,
        "/api/v1/business-calendars/office",
        Some(&cal.etag()),
        json!({"holidays": [{"name": "Company day", "date": "2026-11-30"}]}),
    )
    .await
    .expect(200);
    let c = clocks(app, &key).await;
    assert_eq!(of_kind(&c, "resolution")["due_at"], "2026-12-01T11:00:00Z");

    // Acknowledged at 17:10: the response clock stops, met (10 business minutes).
    clock.advance(10 * 60_000);
    app.move_to(token, &key, json!({"to": "acknowledged"}))
        .await;
    let c = clocks(app, &key).await;
    let response = of_kind(&c, "response");
    assert_eq!(response["state"], "met", "{response}");
    assert_eq!(response["elapsed_seconds"], 600);
    assert!(response["due_at"].is_null());

    // Tuesday 10:00 Berlin: two business hours spent (Friday 17–18, Tuesday 09–10).
    clock.set(FRIDAY_17_BERLIN + 4 * 24 * HOUR - 7 * HOUR);
    let c = clocks(app, &key).await;
    assert_eq!(of_kind(&c, "resolution")["elapsed_seconds"], 2 * 3600);
    // Waiting for a change does not pause the clock ...
    app.move_to(
        token,
        &key,
        json!({"to": "on_hold", "reason": "awaiting_change"}),
    )
    .await;
    let c = clocks(app, &key).await;
    assert_eq!(of_kind(&c, "resolution")["state"], "running");
    app.move_to(token, &key, json!({"to": "in_progress"})).await;
    // ... waiting for the vendor does, for two hours.
    app.move_to(
        token,
        &key,
        json!({"to": "on_hold", "reason": "awaiting_vendor"}),
    )
    .await;
    clock.advance(2 * HOUR);
    let c = clocks(app, &key).await;
    let paused = of_kind(&c, "resolution");
    assert_eq!(paused["state"], "paused", "{paused}");
    assert!(paused["due_at"].is_null());
    assert_eq!(paused["elapsed_seconds"], 2 * 3600);
    assert_eq!(paused["remaining_seconds"], 2 * 3600);
    assert!(
        paused["paused_reason"]
            .as_str()
            .unwrap_or("")
            .contains("awaiting vendor"),
        "{paused}"
    );
    // Resumed at 12:00: two business hours left, due 14:00 Berlin.
    app.move_to(token, &key, json!({"to": "in_progress"})).await;
    let c = clocks(app, &key).await;
    let resumed = of_kind(&c, "resolution");
    assert_eq!(resumed["state"], "running");
    assert_eq!(resumed["due_at"], "2026-12-01T13:00:00Z", "{resumed}");

    // Why: the pause, the weekend and the holiday are not counted; the office hours are.
    let why = app
        .get(token, &format!("/api/v1/incidents/{key}/sla/why"))
        .await
        .expect(200)
        .body;
    let items: Vec<&Value> = why["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["kind"] == "resolution")
        .collect();
    let pause = items
        .iter()
        .find(|i| {
            i["reason"]
                .as_str()
                .unwrap_or("")
                .contains("awaiting vendor")
        })
        .unwrap_or_else(|| panic!("no pause in {why}"));
    assert_eq!(pause["counted"], false);
    assert_eq!(pause["seconds"], 2 * 3600);
    assert_eq!(
        pause["from"],
        at(FRIDAY_17_BERLIN + 4 * 24 * HOUR - 7 * HOUR)
    );
    assert!(
        items
            .iter()
            .any(|i| i["counted"] == false
                && i["reason"].as_str().unwrap_or("").contains("Company day")),
        "the holiday is named: {why}"
    );
    assert!(
        items.iter().any(
            |i| i["counted"] == false && i["reason"].as_str().unwrap_or("").contains("outside")
        ),
        "nights and the weekend are outside business hours: {why}"
    );
    let counted: i64 = items
        .iter()
        .filter(|i| i["counted"] == true)
        .map(|i| i["seconds"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 2 * 3600, "{why}");
    // The intervals follow each other without a gap.
    for pair in items.windows(2) {
        assert_eq!(pair[0]["to"], pair[1]["from"], "{why}");
    }

    // Each change to a clock is on the timeline, in words.
    let notes = sla_notes(&app.timeline(token, &key).await);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("paused") && n.contains("awaiting vendor")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|n| n.contains("resumed")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("met")), "{notes:?}");
    // A requester who cannot see the incident cannot see its clocks.
    app.get(&app.rex.token, &format!("/api/v1/incidents/{key}/sla"))
        .await
        .expect(404);
}

async fn priority_change_retargets_and_compliance(app: &TestApp, clock: &FixedClock) {
    configure(app).await;
    let token = &app.agent.token;
    // Monday 09:00 Berlin.
    clock.set(FRIDAY_17_BERLIN + 3 * 24 * HOUR - 8 * HOUR);
    let inc = app
        .create(
            token,
            with(
                new_incident("Payroll export fails"),
                json!({"impact": 1, "urgency": 2}),
            ),
        )
        .await;
    let key = number_of(&inc);
    // Half an hour later it turns out to be critical: the hour's target applies, the half hour
    // spent is kept.
    clock.advance(HOUR / 2);
    app.change(token, &inc, json!({"urgency": 1})).await;
    let c = clocks(app, &key).await;
    let resolution = of_kind(&c, "resolution");
    assert_eq!(resolution["priority"], "P1", "{resolution}");
    assert_eq!(resolution["target_seconds"], 3600);
    assert_eq!(resolution["elapsed_seconds"], 1800);
    assert_eq!(resolution["due_at"], at(clock_now(clock) + HOUR / 2));
    let notes = sla_notes(&app.timeline(token, &key).await);
    assert!(
        notes.iter().any(|n| n.contains("P2") && n.contains("P1")),
        "{notes:?}"
    );
    // Resolved within the hour: met.
    clock.advance(HOUR / 4);
    app.move_to(token, &key, json!({"to": "acknowledged"}))
        .await;
    app.move_to(
        token,
        &key,
        json!({"to": "resolved", "resolution_code": "solution_provided", "resolution_notes": "restarted"}),
    )
    .await;
    let c = clocks(app, &key).await;
    assert_eq!(of_kind(&c, "resolution")["state"], "met");
    assert!(of_kind(&c, "resolution")["stopped_at"].is_string());

    // A second P2 left running past its four hours is breached (read as of now).
    let late = app
        .create(
            token,
            with(
                new_incident("Printer queue stuck"),
                json!({"impact": 1, "urgency": 2}),
            ),
        )
        .await;
    clock.advance(5 * HOUR);
    let c = clocks(app, &number_of(&late)).await;
    let r = of_kind(&c, "resolution");
    assert!(r["remaining_seconds"].as_i64().unwrap() < 0, "{r}");

    let report = app
        .get(token, "/api/v1/sla/compliance?by=priority")
        .await
        .expect(200)
        .body;
    let items = report["items"].as_array().expect("items");
    let p1 = items
        .iter()
        .find(|i| i["key"] == "P1" && i["kind"] == "resolution")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(p1["met"], 1);
    assert_eq!(p1["compliance_percent"], 100.0);
    let p2 = items
        .iter()
        .find(|i| i["key"] == "P2" && i["kind"] == "resolution")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(p2["clocks"], 1, "{report}");
    app.get(token, "/api/v1/sla/compliance?by=colour")
        .await
        .expect(422);
    app.get(&app.rita.token, "/api/v1/sla/compliance")
        .await
        .expect(403);
    let doc = app
        .request(reqwest::Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    for path in [
        "/api/v1/incidents/{id}/sla",
        "/api/v1/incidents/{id}/sla/why",
        "/api/v1/sla/compliance",
    ] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} not in the OpenAPI document"
        );
    }
}

fn clock_now(clock: &FixedClock) -> i64 {
    use mayday_core::Clock;
    clock.now_ms()
}
