//! The on-call API: schedules (a weekly rotation across the March 2026 DST change in
//! Europe/Berlin, overrides, restrictions and layers, gaps), the calendar feeds and their
//! tokens, escalation policies, the services' and teams' on-call fields, contact methods and
//! notification rules, who may do what, and their place in the OpenAPI document.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

on_both_engines! {
    weekly_rotation_across_dst => sqlite_weekly_rotation_across_dst, postgres_weekly_rotation_across_dst;
    overrides_win_and_end_on_time => sqlite_overrides_win_and_end_on_time, postgres_overrides_win_and_end_on_time;
    layers_restrictions_and_gaps => sqlite_layers_restrictions_and_gaps, postgres_layers_restrictions_and_gaps;
    schedule_validation => sqlite_schedule_validation, postgres_schedule_validation;
    schedule_changes_and_roles => sqlite_schedule_changes_and_roles, postgres_schedule_changes_and_roles;
    calendar_feeds => sqlite_calendar_feeds, postgres_calendar_feeds;
    escalation_policies => sqlite_escalation_policies, postgres_escalation_policies;
    services_and_teams_name_policies => sqlite_services_and_teams_name_policies, postgres_services_and_teams_name_policies;
    contact_methods => sqlite_contact_methods, postgres_contact_methods;
    notification_rules => sqlite_notification_rules, postgres_notification_rules;
    oncall_in_openapi => sqlite_oncall_in_openapi, postgres_oncall_in_openapi;
}

// --- helpers ---

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// A user made by the admin, with an API token.
async fn person(app: &TestApp, username: &str, role: &str) -> Person {
    let user = app
        .post(
            &app.admin.token,
            "/api/v1/users",
            json!({"username": username, "role": role}),
        )
        .await
        .expect(201)
        .body;
    let token = app
        .post(
            &app.admin.token,
            &format!("/api/v1/users/{username}/tokens"),
            json!({"name": "tests"}),
        )
        .await
        .expect(201)
        .body;
    Person {
        id: user["id"].as_str().unwrap().to_string(),
        username: username.to_string(),
        token: token["token"].as_str().unwrap().to_string(),
    }
}

/// RFC 3339 UTC text of epoch milliseconds.
fn text(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

fn ms(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The usernames a schedule has on call at `at`, and the whole answer.
async fn who(app: &TestApp, token: &str, schedule: &str, at: &str) -> (Vec<String>, Value) {
    let reply = app
        .send(
            app.authed(
                Method::GET,
                &format!("/api/v1/schedules/{schedule}/oncall"),
                token,
            )
            .query(&[("at", at)]),
        )
        .await
        .expect(200);
    let names = reply.body["users"]
        .as_array()
        .unwrap_or_else(|| panic!("users: {}", reply.text))
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_string())
        .collect();
    (names, reply.body)
}

async fn shifts(app: &TestApp, token: &str, schedule: &str, from: &str, to: &str) -> Value {
    app.send(
        app.authed(
            Method::GET,
            &format!("/api/v1/schedules/{schedule}/shifts"),
            token,
        )
        .query(&[("from", from), ("to", to)]),
    )
    .await
    .expect(200)
    .body
}

/// `(username, start, end, source kind)` of a shifts answer.
fn shift_rows(v: &Value) -> Vec<(String, String, String, String)> {
    v["shifts"]
        .as_array()
        .unwrap_or_else(|| panic!("shifts: {v}"))
        .iter()
        .map(|s| {
            (
                s["user"]["name"].as_str().unwrap().to_string(),
                s["start"].as_str().unwrap().to_string(),
                s["end"].as_str().unwrap().to_string(),
                s["source"]["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn row(user: &str, start: &str, end: &str, kind: &str) -> (String, String, String, String) {
    (user.into(), start.into(), end.into(), kind.into())
}

/// `(start, end)` of each gap.
fn gap_rows(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap_or_else(|| panic!("gaps: {v}"))
        .iter()
        .map(|g| {
            (
                g["start"].as_str().unwrap().to_string(),
                g["end"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The weekly Primary rotation: alice, bob, carol, hand-off Mondays 09:00 Europe/Berlin from
/// 2026-03-16.
async fn primary(app: &TestApp, token: &str) -> Value {
    let reply = app
        .post(
            token,
            "/api/v1/schedules",
            json!({
                "name": "Primary",
                "description": "First line",
                "time_zone": "Europe/Berlin",
                "layers": [{
                    "members": ["alice", "bob", "carol"],
                    "turn": {"unit": "weeks", "count": 1},
                    "start": "2026-03-16T09:00:00",
                }],
            }),
        )
        .await
        .expect(201);
    let id = reply.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/schedules/{id}"))
    );
    assert_eq!(reply.etag(), "\"1\"");
    reply.body
}

// --- schedules ---

async fn weekly_rotation_across_dst(app: &TestApp) {
    let mia = person(app, "mia", "manager").await;
    person(app, "carol", "agent").await;
    let s = primary(app, &mia.token).await;
    assert_eq!(s["name"], "Primary");
    assert_eq!(s["description"], "First line");
    assert_eq!(s["time_zone"], "Europe/Berlin");
    assert_eq!(s["version"], 1);
    let layer = &s["layers"][0];
    assert_eq!(layer["name"], "Layer 1", "{s}");
    assert_eq!(layer["start"], "2026-03-16T09:00:00");
    assert_eq!(layer["turn"], json!({"unit": "weeks", "count": 1}));
    assert_eq!(layer["restrictions"], json!([]));
    let members: Vec<&str> = layer["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["alice", "bob", "carol"]);
    assert_eq!(layer["members"][0]["id"], json!(app.agent.id));
    assert_eq!(s["gaps_next_14_days"], json!([]), "always someone: {s}");

    // Hand-off at 09:00 Berlin: 08:00Z in winter (CET)...
    let agent = &app.agent.token;
    let (names, before) = who(app, agent, "Primary", "2026-03-23T07:59:59Z").await;
    assert_eq!(names, ["alice"]);
    assert_eq!(before["schedule"]["name"], "Primary");
    assert_eq!(before["at"], "2026-03-23T07:59:59Z");
    assert_eq!(before["users"][0]["id"], json!(app.agent.id));
    assert_eq!(before["users"][0]["shift_start"], "2026-03-16T08:00:00Z");
    assert_eq!(before["users"][0]["shift_end"], "2026-03-23T08:00:00Z");
    let (names, after) = who(app, agent, "Primary", "2026-03-23T08:00:00Z").await;
    assert_eq!(names, ["bob"]);
    // ...and 07:00Z in summer (CEST since 2026-03-29): bob's week is an hour short.
    assert_eq!(after["users"][0]["shift_start"], "2026-03-23T08:00:00Z");
    assert_eq!(after["users"][0]["shift_end"], "2026-03-30T07:00:00Z");
    let (names, _) = who(app, agent, "Primary", "2026-03-30T06:59:59Z").await;
    assert_eq!(names, ["bob"]);
    let (names, carol) = who(app, agent, "Primary", "2026-03-30T07:00:00Z").await;
    assert_eq!(names, ["carol"]);
    assert_eq!(carol["users"][0]["shift_end"], "2026-04-06T07:00:00Z");
    let (names, _) = who(app, agent, "Primary", "2026-03-30T07:30:00+00:00").await;
    assert_eq!(names, ["carol"]);
    // Three weeks later alice again; before the first hand-off nobody.
    let (names, _) = who(app, agent, "Primary", "2026-04-06T07:00:00Z").await;
    assert_eq!(names, ["alice"]);
    let (names, _) = who(app, agent, "Primary", "2026-03-16T07:59:59Z").await;
    assert!(names.is_empty(), "{names:?}");

    // The shifts say the same, by id too.
    let id = s["id"].as_str().unwrap();
    let v = shifts(
        app,
        agent,
        id,
        "2026-03-20T00:00:00Z",
        "2026-04-03T00:00:00Z",
    )
    .await;
    assert_eq!(v["schedule"]["name"], "Primary");
    assert_eq!(v["from"], "2026-03-20T00:00:00Z");
    assert_eq!(
        shift_rows(&v),
        vec![
            row(
                "alice",
                "2026-03-20T00:00:00Z",
                "2026-03-23T08:00:00Z",
                "layer"
            ),
            row(
                "bob",
                "2026-03-23T08:00:00Z",
                "2026-03-30T07:00:00Z",
                "layer"
            ),
            row(
                "carol",
                "2026-03-30T07:00:00Z",
                "2026-04-03T00:00:00Z",
                "layer"
            ),
        ]
    );
    assert_eq!(
        v["shifts"][0]["source"],
        json!({"kind": "layer", "index": 0, "name": "Layer 1"})
    );
    assert_eq!(v["gaps"], json!([]));

    // Everyone on call, and one person's shifts across schedules.
    let all = app
        .send(
            app.authed(Method::GET, "/api/v1/oncall", agent)
                .query(&[("at", "2026-03-30T07:00:00Z")]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(all["at"], "2026-03-30T07:00:00Z");
    assert_eq!(all["schedules"][0]["schedule"]["name"], "Primary");
    assert_eq!(all["schedules"][0]["users"][0]["name"], "carol");
    let bob = app
        .send(
            app.authed(Method::GET, "/api/v1/users/bob/oncall", &app.agent2.token)
                .query(&[
                    ("from", "2026-03-16T00:00:00Z"),
                    ("to", "2026-04-20T00:00:00Z"),
                ]),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(bob["user"]["name"], "bob");
    let spans: Vec<(&str, &str)> = bob["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["start"].as_str().unwrap(), s["end"].as_str().unwrap()))
        .collect();
    assert_eq!(
        spans,
        [
            ("2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z"),
            ("2026-04-13T07:00:00Z", "2026-04-20T00:00:00Z"),
        ]
    );
    assert_eq!(bob["shifts"][0]["schedule"]["name"], "Primary");
    // Requesters see neither others' shifts nor schedules; their own (empty) shifts they may.
    app.get(&app.rita.token, "/api/v1/users/bob/oncall")
        .await
        .problem(403, "forbidden");
    let own = app
        .get(&app.rita.token, "/api/v1/users/rita/oncall")
        .await
        .expect(200)
        .body;
    assert_eq!(own["shifts"], json!([]));
    app.get(&app.rita.token, "/api/v1/oncall")
        .await
        .problem(403, "forbidden");

    // Bad instants and ranges are named.
    let bad = app
        .send(
            app.authed(Method::GET, "/api/v1/schedules/Primary/oncall", agent)
                .query(&[("at", "tomorrow")]),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["at"]);
    let bad = app
        .send(
            app.authed(Method::GET, "/api/v1/schedules/Primary/shifts", agent)
                .query(&[
                    ("from", "2026-01-01T00:00:00Z"),
                    ("to", "2027-01-03T00:00:00Z"),
                ]),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["to"]);
    let bad = app
        .send(
            app.authed(Method::GET, "/api/v1/schedules/Primary/shifts", agent)
                .query(&[("from", "soon"), ("to", "later")]),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["from", "to"]);
    // The default range: 14 days from now.
    let default = app
        .get(agent, "/api/v1/schedules/Primary/shifts")
        .await
        .expect(200)
        .body;
    let span =
        utc_time(&default["to"]).as_millisecond() - utc_time(&default["from"]).as_millisecond();
    assert_eq!(span, 14 * DAY);
    app.get(agent, "/api/v1/schedules/Secondary/oncall")
        .await
        .problem(404, "not-found");
}

async fn overrides_win_and_end_on_time(app: &TestApp) {
    let mia = person(app, "mia", "manager").await;
    person(app, "carol", "agent").await;
    // Daily turns in UTC: alice, bob, alice, ... from a fixed Monday.
    app.post(
        &mia.token,
        "/api/v1/schedules",
        json!({"name": "Ops", "time_zone": "UTC", "layers": [{
            "name": "Days", "members": ["alice", "bob"],
            "turn": {"unit": "days", "count": 1}, "start": "2026-01-05T00:00:00Z"}]}),
    )
    .await
    .expect(201);
    // Tomorrow 12:00 to 18:00 UTC, carol takes over.
    let midnight = now_ms().div_euclid(DAY) * DAY + DAY;
    let (start, end) = (midnight + 12 * HOUR, midnight + 18 * HOUR);
    let (before, _) = who(app, &app.agent.token, "Ops", &text(start - 1)).await;
    let reply = app
        .post(
            &mia.token,
            "/api/v1/schedules/Ops/overrides",
            json!({"user": "carol", "start": text(start), "end": text(end)}),
        )
        .await
        .expect(201);
    assert_eq!(reply.etag(), "\"2\"", "overrides live in the schedule");
    let o = reply.body;
    assert_eq!(o["user"]["name"], "carol");
    assert_eq!(o["start"], text(start));
    assert_eq!(o["end"], text(end));
    let oid = o["id"].as_str().unwrap().to_string();
    assert_eq!(
        reply.headers["location"].to_str().unwrap(),
        format!(
            "/api/v1/schedules/{}/overrides/{oid}",
            app.get(&app.agent.token, "/api/v1/schedules/Ops")
                .await
                .body["id"]
                .as_str()
                .unwrap()
        )
    );

    let (names, _) = who(app, &app.agent.token, "Ops", &text(start - 1)).await;
    assert_eq!(names, before, "the override starts on time");
    let (names, at) = who(app, &app.agent.token, "Ops", &text(start)).await;
    assert_eq!(names, ["carol"]);
    assert_eq!(at["users"][0]["shift_start"], text(start));
    assert_eq!(at["users"][0]["shift_end"], text(end));
    let (names, _) = who(app, &app.agent.token, "Ops", &text(end - 1)).await;
    assert_eq!(names, ["carol"]);
    let (names, _) = who(app, &app.agent.token, "Ops", &text(end)).await;
    assert_eq!(names, before, "the override ends on time");
    let v = shifts(
        app,
        &app.agent.token,
        "Ops",
        &text(midnight),
        &text(midnight + DAY),
    )
    .await;
    let layer_person = before[0].as_str();
    assert_eq!(
        shift_rows(&v),
        vec![
            row(layer_person, &text(midnight), &text(start), "layer"),
            row("carol", &text(start), &text(end), "override"),
            row(layer_person, &text(end), &text(midnight + DAY), "layer"),
        ]
    );
    assert_eq!(
        v["shifts"][1]["source"],
        json!({"kind": "override", "id": oid})
    );

    // Listed, shown in the schedule, and removed again.
    let list = app
        .get(&app.agent.token, "/api/v1/schedules/Ops/overrides")
        .await
        .expect(200)
        .body;
    assert_eq!(list["items"][0]["id"], json!(oid));
    let s = app
        .get(&app.agent.token, "/api/v1/schedules/Ops")
        .await
        .body;
    assert_eq!(s["overrides"][0]["user"]["name"], "carol");

    // Bad overrides name their fields; agents may not add them.
    let bad = app
        .post(
            &mia.token,
            "/api/v1/schedules/Ops/overrides",
            json!({"user": "ghost", "start": text(end), "end": text(start), "note": 1}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["end", "note", "user"]);
    let bad = app
        .post(&mia.token, "/api/v1/schedules/Ops/overrides", json!({}))
        .await;
    assert_eq!(bad.invalid_fields(), ["end", "start", "user"]);
    app.post(
        &app.agent.token,
        "/api/v1/schedules/Ops/overrides",
        json!({"user": "alice", "start": text(start), "end": text(end)}),
    )
    .await
    .problem(403, "forbidden");

    app.send(app.authed(
        Method::DELETE,
        &format!("/api/v1/schedules/Ops/overrides/{oid}"),
        &mia.token,
    ))
    .await
    .expect(204);
    let (names, _) = who(app, &app.agent.token, "Ops", &text(start)).await;
    assert_ne!(names, ["carol"]);
    app.send(app.authed(
        Method::DELETE,
        &format!("/api/v1/schedules/Ops/overrides/{oid}"),
        &mia.token,
    ))
    .await
    .problem(404, "not-found");
}

async fn layers_restrictions_and_gaps(app: &TestApp) {
    let mia = person(app, "mia", "manager").await;
    // alice always, bob in business hours on weekdays (the later layer wins where it has
    // someone), vera never (a layer that starts far in the future).
    let reply = app
        .post(
            &mia.token,
            "/api/v1/schedules",
            json!({"name": "Support", "time_zone": "UTC", "layers": [
                {"name": "Base", "members": ["alice"], "turn": {"unit": "days", "count": 7},
                 "start": "2026-01-01T00:00"},
                {"name": "Office", "members": ["bob"], "turn": {"unit": "hours", "count": 12},
                 "start": "2026-01-01T00:00:00",
                 "restrictions": [
                    {"kind": "daily", "start": "09:00", "end": "17:00"},
                 ]},
                {"name": "Weekend", "members": ["admin"], "turn": {"unit": "weeks", "count": 1},
                 "start": "2026-01-02T00:00:00",
                 "restrictions": [
                    {"kind": "weekly", "start_day": "saturday", "start": "10:00",
                     "end_day": "saturday", "end": "12:00"},
                 ]},
            ]}),
        )
        .await
        .expect(201);
    let s = reply.body;
    assert_eq!(
        s["layers"][1]["restrictions"],
        json!([{"kind": "daily", "start": "09:00", "end": "17:00"}])
    );
    assert_eq!(
        s["layers"][2]["restrictions"],
        json!([{"kind": "weekly", "start_day": "saturday", "start": "10:00",
                "end_day": "saturday", "end": "12:00"}])
    );
    assert_eq!(s["layers"][0]["start"], "2026-01-01T00:00:00");

    let agent = &app.agent.token;
    // Wednesday 2026-03-04.
    for (at, want) in [
        ("2026-03-04T08:59:59Z", "alice"),
        ("2026-03-04T09:00:00Z", "bob"),
        ("2026-03-04T16:59:59Z", "bob"),
        ("2026-03-04T17:00:00Z", "alice"),
        // Saturday 2026-03-07: the weekly window, and bob's daily one outside it.
        ("2026-03-07T09:30:00Z", "bob"),
        ("2026-03-07T10:30:00Z", "admin"),
        ("2026-03-07T12:00:00Z", "bob"),
        ("2026-03-07T17:30:00Z", "alice"),
    ] {
        let (names, _) = who(app, agent, "Support", at).await;
        assert_eq!(names, [want], "at {at}");
    }
    let v = shifts(
        app,
        agent,
        "Support",
        "2026-03-04T00:00:00Z",
        "2026-03-05T00:00:00Z",
    )
    .await;
    assert_eq!(
        shift_rows(&v),
        vec![
            row(
                "alice",
                "2026-03-04T00:00:00Z",
                "2026-03-04T09:00:00Z",
                "layer"
            ),
            row(
                "bob",
                "2026-03-04T09:00:00Z",
                "2026-03-04T17:00:00Z",
                "layer"
            ),
            row(
                "alice",
                "2026-03-04T17:00:00Z",
                "2026-03-05T00:00:00Z",
                "layer"
            ),
        ]
    );
    assert_eq!(v["shifts"][1]["source"]["name"], "Office");
    assert_eq!(v["shifts"][1]["source"]["index"], 1);

    // Without the base layer there are gaps, in the shifts and as a warning on the schedule.
    let office = app
        .post(
            &mia.token,
            "/api/v1/schedules",
            json!({"name": "Office only", "time_zone": "Europe/Berlin", "layers": [
                {"members": ["bob"], "turn": {"unit": "days", "count": 1},
                 "start": "2026-01-01T00:00:00",
                 "restrictions": [{"kind": "daily", "start": "09:00", "end": "17:00"}]}]}),
        )
        .await
        .expect(201)
        .body;
    let gaps = gap_rows(&office["gaps_next_14_days"]);
    assert!(
        (13..=15).contains(&gaps.len()),
        "a gap every night for 14 days: {gaps:?}"
    );
    let v = shifts(
        app,
        agent,
        "Office only",
        "2026-03-04T00:00:00Z",
        "2026-03-05T00:00:00Z",
    )
    .await;
    // 09:00-17:00 Berlin is 08:00-16:00Z in winter.
    assert_eq!(
        shift_rows(&v),
        vec![row(
            "bob",
            "2026-03-04T08:00:00Z",
            "2026-03-04T16:00:00Z",
            "layer"
        )]
    );
    assert_eq!(
        gap_rows(&v["gaps"]),
        vec![
            (
                "2026-03-04T00:00:00Z".to_string(),
                "2026-03-04T08:00:00Z".to_string()
            ),
            (
                "2026-03-04T16:00:00Z".to_string(),
                "2026-03-05T00:00:00Z".to_string()
            ),
        ]
    );
    let (names, gap) = who(app, agent, "Office only", "2026-03-04T20:00:00Z").await;
    assert!(names.is_empty());
    assert_eq!(gap["users"], json!([]));

    // A layer start given as an instant is placed on the zone's wall clock.
    let instant = app
        .post(
            &mia.token,
            "/api/v1/schedules",
            json!({"name": "Instant", "time_zone": "Europe/Berlin", "layers": [
                {"members": ["bob"], "turn": {"unit": "weeks", "count": 2},
                 "start": "2026-07-06T07:00:00Z"}]}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(instant["layers"][0]["start"], "2026-07-06T09:00:00");
}

async fn schedule_validation(app: &TestApp) {
    let mia = person(app, "mia", "manager").await;
    let bad = app
        .post(
            &mia.token,
            "/api/v1/schedules",
            json!({
                "name": "",
                "time_zone": "Mars/Olympus",
                "layers": [{
                    "members": ["alice", "ghost"],
                    "turn": {"unit": "fortnights", "count": 0},
                    "start": "soon",
                    "restrictions": [
                        {"kind": "daily", "start": "9am", "end": "17:00"},
                        {"kind": "monthly", "start": "09:00", "end": "17:00"},
                        {"kind": "weekly", "start_day": "funday", "start": "09:00",
                         "end_day": "friday", "end": "17:00"},
                    ],
                    "colour": "red",
                }],
                "extra": 1,
            }),
        )
        .await;
    assert_eq!(
        bad.invalid_fields(),
        [
            "extra",
            "layers[0].colour",
            "layers[0].members",
            "layers[0].restrictions[0].start",
            "layers[0].restrictions[1].kind",
            "layers[0].restrictions[2].start_day",
            "layers[0].start",
            "layers[0].turn.count",
            "layers[0].turn.unit",
            "name",
            "time_zone",
        ]
    );
    // The unknown member is named.
    let bad = app
        .post(
            &mia.token,
            "/api/v1/schedules",
            json!({"name": "X", "time_zone": "UTC", "layers": [
                {"members": ["alice"], "turn": {"unit": "days", "count": 1}, "start": "2026-01-01T00:00"},
                {"members": ["ghost"], "turn": {"unit": "days", "count": 400}, "start": "2026-01-01T00:00"},
            ]}),
        )
        .await
        .problem(422, "validation-failed");
    let errors = bad["errors"].as_array().unwrap();
    let members = errors
        .iter()
        .find(|e| e["field"] == "layers[1].members")
        .unwrap_or_else(|| panic!("{bad}"));
    assert!(
        members["message"].as_str().unwrap().contains("ghost"),
        "{bad}"
    );
    assert!(
        errors.iter().any(|e| e["field"] == "layers[1].turn.count"),
        "{bad}"
    );
    // Required fields, an empty layer list, wrong shapes.
    let bad = app.post(&mia.token, "/api/v1/schedules", json!({})).await;
    assert_eq!(bad.invalid_fields(), ["layers", "name", "time_zone"]);
    let bad = app
        .post(
            &mia.token,
            "/api/v1/schedules",
            json!({"name": "X", "time_zone": "UTC", "layers": []}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["layers"]);
    let bad = app
        .post(
            &mia.token,
            "/api/v1/schedules",
            json!({"name": "X", "time_zone": "UTC", "layers": [
                "alice",
                {"members": "alice", "turn": 7, "start": 1},
            ]}),
        )
        .await;
    assert_eq!(
        bad.invalid_fields(),
        [
            "layers[0]",
            "layers[1].members",
            "layers[1].start",
            "layers[1].turn",
        ]
    );
    // Nothing was created.
    let list = app
        .get(&mia.token, "/api/v1/schedules")
        .await
        .expect(200)
        .body;
    assert_eq!(list["items"], json!([]));
}

async fn schedule_changes_and_roles(app: &TestApp) {
    let mia = person(app, "mia", "manager").await;
    person(app, "carol", "agent").await;
    // Agents read but do not write; requesters and viewers do neither.
    let body = json!({"name": "Primary", "time_zone": "UTC", "layers": [
        {"members": ["alice"], "turn": {"unit": "days", "count": 1}, "start": "2026-01-01T00:00"}]});
    app.post(&app.agent.token, "/api/v1/schedules", body.clone())
        .await
        .problem(403, "forbidden");
    for who in [&app.rita, &app.viewer] {
        app.get(&who.token, "/api/v1/schedules")
            .await
            .problem(403, "forbidden");
        app.post(&who.token, "/api/v1/schedules", body.clone())
            .await
            .problem(403, "forbidden");
    }
    let s = app
        .post(&app.admin.token, "/api/v1/schedules", body.clone())
        .await
        .expect(201)
        .body;
    let id = s["id"].as_str().unwrap().to_string();
    app.post(&mia.token, "/api/v1/schedules", body.clone())
        .await
        .problem(409, "conflict");
    let list = app
        .get(&app.agent.token, "/api/v1/schedules")
        .await
        .expect(200)
        .body;
    assert_eq!(list["items"][0]["name"], "Primary");
    app.get(&app.rita.token, "/api/v1/schedules/Primary")
        .await
        .problem(403, "forbidden");

    // PATCH replaces what it names; If-Match is honoured.
    let reply = app
        .patch(
            &mia.token,
            "/api/v1/schedules/primary",
            Some("\"1\""),
            json!({"name": "First line", "time_zone": "Europe/Berlin", "layers": [
                {"name": "Weekly", "members": ["bob", "carol"],
                 "turn": {"unit": "weeks", "count": 1}, "start": "2026-03-16T09:00"}]}),
        )
        .await
        .expect(200);
    assert_eq!(reply.etag(), "\"2\"");
    let changed = reply.body;
    assert_eq!(changed["id"], json!(id));
    assert_eq!(changed["name"], "First line");
    assert_eq!(changed["time_zone"], "Europe/Berlin");
    assert_eq!(changed["layers"][0]["name"], "Weekly");
    assert_eq!(changed["description"], "");
    app.patch(
        &mia.token,
        &format!("/api/v1/schedules/{id}"),
        Some("\"1\""),
        json!({"description": "stale"}),
    )
    .await
    .problem(412, "stale-version");
    let bad = app
        .patch(
            &mia.token,
            &format!("/api/v1/schedules/{id}"),
            None,
            json!({"time_zone": "Nowhere/Town", "layers": [{"members": []}]}),
        )
        .await;
    assert_eq!(
        bad.invalid_fields(),
        [
            "layers[0].members",
            "layers[0].start",
            "layers[0].turn",
            "time_zone"
        ]
    );
    app.patch(
        &app.agent.token,
        &format!("/api/v1/schedules/{id}"),
        None,
        json!({"description": "mine"}),
    )
    .await
    .problem(403, "forbidden");
    let (names, _) = who(app, &app.agent.token, &id, "2026-03-23T08:00:00Z").await;
    assert_eq!(names, ["carol"]);

    // Deleted by managers; then gone.
    app.send(app.authed(
        Method::DELETE,
        &format!("/api/v1/schedules/{id}"),
        &app.agent.token,
    ))
    .await
    .problem(403, "forbidden");
    app.send(app.authed(Method::DELETE, "/api/v1/schedules/First line", &mia.token))
        .await
        .expect(204);
    app.get(&app.agent.token, &format!("/api/v1/schedules/{id}"))
        .await
        .problem(404, "not-found");
}

// --- calendar feeds ---

/// The unfolded content lines of an iCalendar text, after checking every line ends in CRLF.
#[track_caller]
fn ics_lines(text: &str) -> Vec<String> {
    assert!(text.ends_with("\r\n"), "ends with CRLF: {text:?}");
    let body = text.strip_suffix("\r\n").unwrap();
    for line in body.split("\r\n") {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare line break in {line:?}"
        );
        assert!(line.len() <= 75, "folded at 75 octets: {line:?}");
    }
    body.replace("\r\n ", "")
        .split("\r\n")
        .map(String::from)
        .collect()
}

fn values<'a>(lines: &'a [String], name: &str) -> Vec<&'a str> {
    let prefix = format!("{name}:");
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(&prefix))
        .collect()
}

/// An iCalendar UTC time as epoch milliseconds.
fn ics_ms(v: &str) -> i64 {
    let t = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &v[0..4],
        &v[4..6],
        &v[6..8],
        &v[9..11],
        &v[11..13],
        &v[13..15]
    );
    ms(&t)
}

/// A GET of a feed by its full URL (as the server announced it) or its path, without a bearer
/// token: the URL is the credential.
async fn feed(app: &TestApp, url: &str) -> Reply {
    let path = url.strip_prefix(&app.base).unwrap_or(url);
    app.send(app.request(Method::GET, path)).await
}

async fn calendar_feeds(app: &TestApp) {
    let mia = person(app, "mia", "manager").await;
    // Weekly hand-offs Mondays 09:00 UTC between alice and bob.
    app.post(
        &mia.token,
        "/api/v1/schedules",
        json!({"name": "Feed", "time_zone": "UTC", "layers": [
            {"members": ["alice", "bob"], "turn": {"unit": "weeks", "count": 1},
             "start": "2026-01-05T09:00:00"}]}),
    )
    .await
    .expect(201);

    // alice makes her token; the answer holds the URLs, built on the public address.
    let reply = app
        .post(
            &app.agent.token,
            "/api/v1/users/alice/calendar-token",
            json!({}),
        )
        .await
        .expect(201);
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    let t = reply.body;
    let token = t["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "URL-safe: {token}"
    );
    let personal = t["personal_feed"].as_str().unwrap().to_string();
    assert_eq!(personal, format!("{}/ical/{token}/me.ics", app.base));
    assert_eq!(
        t["schedule_feed"],
        json!(format!(
            "{}/ical/{token}/schedules/{{schedule}}.ics",
            app.base
        ))
    );

    // The personal feed, without a bearer token: alice's weeks from 30 days ago to 180 ahead.
    let now = now_ms();
    let reply = feed(app, &personal).await.expect(200);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    let lines = ics_lines(&reply.text);
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    let begins = lines.iter().filter(|l| *l == "BEGIN:VEVENT").count();
    let starts = values(&lines, "DTSTART");
    let ends = values(&lines, "DTEND");
    assert_eq!(starts.len(), begins);
    assert_eq!(ends.len(), begins);
    // 210 days of alternate weeks: 15 or 16 of alice's.
    assert!(
        (15..=16).contains(&begins),
        "{begins} events:\n{}",
        reply.text
    );
    for (s, e) in starts.iter().zip(&ends) {
        assert!(s.ends_with("T090000Z"), "hand-offs at 09:00 UTC: {s}");
        let (s, e) = (ics_ms(s), ics_ms(e));
        assert!(e > s && e - s <= 7 * DAY);
        assert!(
            e > now - 31 * DAY && s < now + 181 * DAY,
            "within the feed's span"
        );
    }
    let summaries = values(&lines, "SUMMARY");
    assert!(
        summaries.iter().all(|s| *s == "On call: Feed (alice)"),
        "{summaries:?}"
    );
    let uids = values(&lines, "UID");
    assert!(uids.iter().all(|u| u.ends_with("@mayday")));
    let mut unique = uids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), uids.len(), "one UID per shift");
    // The same shifts keep their UIDs on the next fetch.
    let again = feed(app, &personal).await.expect(200);
    assert_eq!(values(&ics_lines(&again.text), "UID"), uids);

    // The schedule's feed, by name or id: both people's weeks.
    let by_name = feed(app, &format!("/ical/{token}/schedules/Feed.ics"))
        .await
        .expect(200);
    let lines = ics_lines(&by_name.text);
    let n = lines.iter().filter(|l| *l == "BEGIN:VEVENT").count();
    assert!((30..=32).contains(&n), "{n}");
    let summaries = values(&lines, "SUMMARY");
    assert!(summaries.contains(&"On call: Feed (bob)"));
    assert!(summaries.contains(&"On call: Feed (alice)"));
    let id = app
        .get(&app.agent.token, "/api/v1/schedules/Feed")
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    feed(app, &format!("/ical/{token}/schedules/{id}.ics"))
        .await
        .expect(200);

    // Unknown tokens, schedules and shapes are all the same 404.
    let unknown = feed(app, "/ical/not-a-token/me.ics")
        .await
        .problem(404, "not-found");
    let no_schedule = feed(app, &format!("/ical/{token}/schedules/Nope.ics"))
        .await
        .problem(404, "not-found");
    assert_eq!(unknown["detail"], no_schedule["detail"]);
    feed(app, &format!("/ical/{token}/schedules/Feed"))
        .await
        .problem(404, "not-found");

    // Only the person themself or an admin makes a token; a new one replaces the old.
    app.post(
        &app.agent2.token,
        "/api/v1/users/alice/calendar-token",
        json!({}),
    )
    .await
    .problem(403, "forbidden");
    let rotated = app
        .post(
            &app.admin.token,
            "/api/v1/users/alice/calendar-token",
            json!({}),
        )
        .await
        .expect(201)
        .body;
    let new_token = rotated["token"].as_str().unwrap();
    assert_ne!(new_token, token);
    feed(app, &personal).await.problem(404, "not-found");
    feed(app, rotated["personal_feed"].as_str().unwrap())
        .await
        .expect(200);

    // A requester's token gives their own feed (empty) but no schedule's.
    let rita = app
        .post(
            &app.rita.token,
            "/api/v1/users/me-not/calendar-token",
            json!({}),
        )
        .await;
    assert_eq!(rita.status, 403);
    let rita = app
        .post(
            &app.rita.token,
            "/api/v1/users/rita/calendar-token",
            json!({}),
        )
        .await
        .expect(201)
        .body;
    let own = feed(app, rita["personal_feed"].as_str().unwrap())
        .await
        .expect(200);
    assert!(!own.text.contains("BEGIN:VEVENT"));
    let rita_token = rita["token"].as_str().unwrap();
    feed(app, &format!("/ical/{rita_token}/schedules/Feed.ics"))
        .await
        .problem(404, "not-found");

    // A deactivated person's token stops working.
    app.patch(
        &app.admin.token,
        "/api/v1/users/alice",
        None,
        json!({"active": false}),
    )
    .await
    .expect(200);
    feed(app, rotated["personal_feed"].as_str().unwrap())
        .await
        .problem(404, "not-found");
}

// --- escalation policies ---

async fn escalation_policies(app: &TestApp) {
    let mia = person(app, "mia", "manager").await;
    app.post(
        &mia.token,
        "/api/v1/schedules",
        json!({"name": "Primary", "time_zone": "UTC", "layers": [
            {"members": ["alice"], "turn": {"unit": "days", "count": 1}, "start": "2026-01-01T00:00"}]}),
    )
    .await
    .expect(201);
    app.post(
        &mia.token,
        "/api/v1/teams",
        json!({"name": "ops", "members": ["bob"]}),
    )
    .await
    .expect(201);
    let body = json!({
        "name": "Checkout",
        "description": "Pages the checkout people",
        "levels": [
            {"targets": [{"kind": "user", "id": "alice"}, {"kind": "schedule", "id": "Primary"}],
             "delay_minutes": 5},
            {"targets": [{"kind": "team", "id": "OPS"}], "delay_seconds": 90},
        ],
        "repeat": 1,
    });
    // Agents read, managers write.
    app.post(
        &app.agent.token,
        "/api/v1/escalation-policies",
        body.clone(),
    )
    .await
    .problem(403, "forbidden");
    let reply = app
        .post(&mia.token, "/api/v1/escalation-policies", body.clone())
        .await
        .expect(201);
    assert_eq!(reply.etag(), "\"1\"");
    let p = reply.body;
    let id = p["id"].as_str().unwrap().to_string();
    assert_eq!(
        reply.headers["location"].to_str().unwrap(),
        format!("/api/v1/escalation-policies/{id}")
    );
    assert_eq!(p["name"], "Checkout");
    assert_eq!(p["description"], "Pages the checkout people");
    assert_eq!(p["repeat"], 1);
    assert_eq!(p["version"], 1);
    let level0 = &p["levels"][0];
    assert_eq!(level0["delay_seconds"], 300);
    assert_eq!(level0["delay_minutes"], 5);
    assert_eq!(level0["targets"][0]["kind"], "user");
    assert_eq!(level0["targets"][0]["id"], json!(app.agent.id));
    assert_eq!(level0["targets"][0]["name"], "alice");
    assert_eq!(level0["targets"][1]["kind"], "schedule");
    assert_eq!(level0["targets"][1]["name"], "Primary");
    let level1 = &p["levels"][1];
    assert_eq!(level1["delay_seconds"], 90);
    assert_eq!(level1["delay_minutes"].as_f64(), Some(1.5));
    assert_eq!(
        level1["targets"][0],
        json!({"kind": "team", "id": level1["targets"][0]["id"], "name": "ops"})
    );
    app.post(&mia.token, "/api/v1/escalation-policies", body.clone())
        .await
        .problem(409, "conflict");

    let shown = app
        .get(&app.agent.token, "/api/v1/escalation-policies/checkout")
        .await
        .expect(200);
    assert_eq!(shown.etag(), "\"1\"");
    assert_eq!(shown.body, p);
    let list = app
        .get(&app.agent.token, "/api/v1/escalation-policies")
        .await
        .expect(200)
        .body;
    assert_eq!(list["items"], json!([p]));
    for who in [&app.rita, &app.viewer] {
        app.get(&who.token, "/api/v1/escalation-policies")
            .await
            .problem(403, "forbidden");
    }

    // Every problem named with its path.
    let bad = app
        .post(
            &mia.token,
            "/api/v1/escalation-policies",
            json!({
                "name": "Bad",
                "levels": [
                    {"targets": [{"kind": "user", "id": "alice"}, {"kind": "user", "id": "ghost"}],
                     "delay_minutes": 5, "delay_seconds": 300},
                    {"targets": [], "delay_seconds": 1.5},
                    {"targets": [{"kind": "pager", "id": "x"}, {"id": "alice"}]},
                    {"targets": [{"kind": "user", "id": "bob"}, {"kind": "user", "id": "BOB"}],
                     "delay_minutes": 20000},
                ],
                "repeat": 10,
            }),
        )
        .await;
    assert_eq!(
        bad.invalid_fields(),
        [
            "levels[0]",
            "levels[0].targets[1]",
            "levels[1].delay_seconds",
            "levels[1].targets",
            "levels[2].delay_minutes",
            "levels[2].targets[0].kind",
            "levels[2].targets[1].kind",
            "levels[3].delay_minutes",
            "levels[3].targets",
            "repeat",
        ]
    );
    let bad = app
        .post(
            &mia.token,
            "/api/v1/escalation-policies",
            json!({"levels": "x"}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["levels", "name"]);

    // PATCH with If-Match; fractional minutes become seconds.
    let changed = app
        .patch(
            &mia.token,
            "/api/v1/escalation-policies/Checkout",
            Some("\"1\""),
            json!({"levels": [{"targets": [{"kind": "user", "id": "bob"}], "delay_minutes": 0.5}],
                   "repeat": 0}),
        )
        .await
        .expect(200);
    assert_eq!(changed.etag(), "\"2\"");
    assert_eq!(changed.body["levels"][0]["delay_seconds"], 30);
    assert_eq!(
        changed.body["levels"][0]["delay_minutes"].as_f64(),
        Some(0.5)
    );
    assert_eq!(changed.body["repeat"], 0);
    app.patch(
        &mia.token,
        &format!("/api/v1/escalation-policies/{id}"),
        Some("\"1\""),
        json!({"repeat": 2}),
    )
    .await
    .problem(412, "stale-version");

    // Deleting is refused while a service uses it.
    app.post(
        &mia.token,
        "/api/v1/services",
        json!({"name": "checkout", "escalation_policy": "Checkout"}),
    )
    .await
    .expect(201);
    let refused = app
        .send(app.authed(
            Method::DELETE,
            "/api/v1/escalation-policies/Checkout",
            &mia.token,
        ))
        .await
        .problem(409, "conflict");
    assert!(
        refused["detail"].as_str().unwrap().contains("checkout"),
        "{refused}"
    );
    app.patch(
        &mia.token,
        "/api/v1/services/checkout",
        None,
        json!({"escalation_policy": null}),
    )
    .await
    .expect(200);
    app.send(app.authed(
        Method::DELETE,
        "/api/v1/escalation-policies/Checkout",
        &app.agent.token,
    ))
    .await
    .problem(403, "forbidden");
    app.send(app.authed(
        Method::DELETE,
        "/api/v1/escalation-policies/Checkout",
        &mia.token,
    ))
    .await
    .expect(204);
    app.get(&app.agent.token, "/api/v1/escalation-policies/Checkout")
        .await
        .problem(404, "not-found");
}

async fn services_and_teams_name_policies(app: &TestApp) {
    let mia = person(app, "mia", "manager").await;
    app.post(
        &mia.token,
        "/api/v1/schedules",
        json!({"name": "Primary", "time_zone": "UTC", "layers": [
            {"members": ["alice"], "turn": {"unit": "days", "count": 1}, "start": "2026-01-01T00:00"}]}),
    )
    .await
    .expect(201);
    let policy = app
        .post(
            &mia.token,
            "/api/v1/escalation-policies",
            json!({"name": "Web", "levels": [
                {"targets": [{"kind": "schedule", "id": "Primary"}], "delay_minutes": 10}]}),
        )
        .await
        .expect(201)
        .body;
    let policy_ref = json!({"id": policy["id"], "name": "Web"});

    // Services: set by name, shown as a reference, cleared by null; unknown ones named.
    let svc = app
        .post(
            &mia.token,
            "/api/v1/services",
            json!({"name": "web", "escalation_policy": "web"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(svc["escalation_policy"], policy_ref);
    let plain = app
        .post(&mia.token, "/api/v1/services", json!({"name": "plain"}))
        .await
        .expect(201)
        .body;
    assert_eq!(plain["escalation_policy"], Value::Null);
    let bad = app
        .post(
            &mia.token,
            "/api/v1/services",
            json!({"name": "other", "escalation_policy": "Nope"}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["escalation_policy"]);
    let cleared = app
        .patch(
            &mia.token,
            "/api/v1/services/web",
            None,
            json!({"escalation_policy": null}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(cleared["escalation_policy"], Value::Null);
    let by_id = app
        .patch(
            &mia.token,
            "/api/v1/services/plain",
            None,
            json!({"escalation_policy": policy["id"]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(by_id["escalation_policy"], policy_ref);

    // Teams: a schedule and a policy.
    let team = app
        .post(
            &mia.token,
            "/api/v1/teams",
            json!({"name": "ops", "members": ["bob"], "schedule": "primary",
                   "escalation_policy": "Web"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(team["schedule"]["name"], "Primary");
    assert_eq!(team["escalation_policy"], policy_ref);
    let bad = app
        .patch(
            &mia.token,
            "/api/v1/teams/ops",
            None,
            json!({"schedule": "Nope", "escalation_policy": "Nope"}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["escalation_policy", "schedule"]);

    // What is in use cannot be deleted.
    let refused = app
        .send(app.authed(Method::DELETE, "/api/v1/schedules/Primary", &mia.token))
        .await
        .problem(409, "conflict");
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains("Web") && detail.contains("ops"), "{detail}");
    app.send(app.authed(
        Method::DELETE,
        "/api/v1/escalation-policies/Web",
        &mia.token,
    ))
    .await
    .problem(409, "conflict");
    // A team a policy pages cannot go either.
    app.post(
        &mia.token,
        "/api/v1/escalation-policies",
        json!({"name": "Team page", "levels": [
            {"targets": [{"kind": "team", "id": "ops"}], "delay_minutes": 10}]}),
    )
    .await
    .expect(201);
    app.send(app.authed(Method::DELETE, "/api/v1/teams/ops", &mia.token))
        .await
        .problem(409, "conflict");

    let team = app
        .patch(
            &mia.token,
            "/api/v1/teams/ops",
            None,
            json!({"schedule": null, "escalation_policy": null}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(team["schedule"], Value::Null);
    assert_eq!(team["escalation_policy"], Value::Null);
    app.patch(
        &mia.token,
        "/api/v1/services/plain",
        None,
        json!({"escalation_policy": null}),
    )
    .await
    .expect(200);
    app.send(app.authed(
        Method::DELETE,
        "/api/v1/escalation-policies/Web",
        &mia.token,
    ))
    .await
    .expect(204);
    app.send(app.authed(Method::DELETE, "/api/v1/schedules/Primary", &mia.token))
        .await
        .expect(204);
}

// --- contact methods and notification rules ---

async fn contact_methods(app: &TestApp) {
    let path = "/api/v1/users/alice/contact-methods";
    let alice = &app.agent.token;

    // Email: no secret.
    let reply = app
        .post(
            alice,
            path,
            json!({"kind": "email", "address": "alice.pager@example.com", "label": "pager"}),
        )
        .await
        .expect(201);
    let email = reply.body;
    assert_eq!(email["kind"], "email");
    assert_eq!(email["address"], "alice.pager@example.com");
    assert_eq!(email["label"], "pager");
    assert_eq!(email["secret"], Value::Null);

    // A webhook without a secret gets one, shown this once.
    let reply = app
        .post(
            alice,
            path,
            json!({"kind": "webhook", "address": "https://hooks.example.com/mayday?team=1"}),
        )
        .await
        .expect(201);
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    let hook = reply.body;
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64, "32 random bytes in hex: {secret}");
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
    let given = "a-secret-of-my-own-choosing";
    let slack = app
        .post(
            alice,
            path,
            json!({"kind": "slack", "address": "https://hooks.slack.com/services/T/B/x",
                   "secret": given}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(slack["secret"], given);

    // Listed without secrets, to alice, managers and admins.
    let list = app.get(alice, path).await.expect(200);
    assert!(!list.text.contains(&secret) && !list.text.contains(given));
    let items = list.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    for item in &items {
        assert!(item.get("secret").is_none(), "{item}");
    }
    assert_eq!(items[0]["has_secret"], false);
    assert_eq!(items[1]["has_secret"], true);
    assert_eq!(items[1]["id"], hook["id"]);
    let mia = person(app, "mia", "manager").await;
    app.get(&mia.token, path).await.expect(200);
    app.get(&app.admin.token, path).await.expect(200);
    app.get(&app.agent2.token, path)
        .await
        .problem(403, "forbidden");
    // Nor anywhere else.
    for p in ["/api/v1/users/alice", "/api/v1/me", "/api/v1/users"] {
        let r = app.get(alice, p).await.expect(200);
        assert!(!r.text.contains(&secret), "{p} shows a secret");
    }

    // Others may not add to alice's methods; an admin may; a manager may not.
    let body = json!({"kind": "email", "address": "alice@elsewhere.example"});
    app.post(&app.agent2.token, path, body.clone())
        .await
        .problem(403, "forbidden");
    app.post(&mia.token, path, body.clone())
        .await
        .problem(403, "forbidden");
    app.post(&app.admin.token, path, body.clone())
        .await
        .expect(201);
    app.post(&app.admin.token, path, body.clone())
        .await
        .problem(409, "conflict");

    // Bad values are named.
    let bad = app
        .post(
            alice,
            path,
            json!({"kind": "email", "address": "not an email", "secret": "x"}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["address", "secret"]);
    for url in [
        "ftp://example.com/x",
        "hooks.example.com",
        "https://",
        "https://a b",
    ] {
        let bad = app
            .post(alice, path, json!({"kind": "teams", "address": url}))
            .await;
        assert_eq!(bad.invalid_fields(), ["address"], "{url}");
    }
    let long = format!("https://example.com/{}", "x".repeat(2000));
    let bad = app
        .post(alice, path, json!({"kind": "mattermost", "address": long}))
        .await;
    assert_eq!(bad.invalid_fields(), ["address"]);
    let bad = app
        .post(
            alice,
            path,
            json!({"kind": "webhook", "address": "https://example.com", "secret": "short"}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["secret"]);
    let bad = app
        .post(alice, path, json!({"kind": "pigeon", "colour": "grey"}))
        .await;
    assert_eq!(bad.invalid_fields(), ["address", "colour", "kind"]);

    // At most 20.
    for n in 4..20 {
        app.post(
            alice,
            path,
            json!({"kind": "email", "address": format!("alice+{n}@example.com")}),
        )
        .await
        .expect(201);
    }
    assert_eq!(
        app.get(alice, path).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
    app.post(
        alice,
        path,
        json!({"kind": "email", "address": "alice+21@example.com"}),
    )
    .await
    .problem(409, "conflict");

    // Deleted by alice (or an admin), not by others.
    let hook_id = hook["id"].as_str().unwrap();
    app.send(app.authed(
        Method::DELETE,
        &format!("{path}/{hook_id}"),
        &app.agent2.token,
    ))
    .await
    .problem(403, "forbidden");
    app.send(app.authed(Method::DELETE, &format!("{path}/{hook_id}"), alice))
        .await
        .expect(204);
    app.send(app.authed(Method::DELETE, &format!("{path}/{hook_id}"), alice))
        .await
        .problem(404, "not-found");
    assert_eq!(
        app.get(alice, path).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        19
    );
}

async fn notification_rules(app: &TestApp) {
    let methods = "/api/v1/users/bob/contact-methods";
    let rules = "/api/v1/users/bob/notification-rules";
    let bob = &app.agent2.token;
    let email = app
        .post(
            bob,
            methods,
            json!({"kind": "email", "address": "bob@pager.example"}),
        )
        .await
        .expect(201)
        .body;
    let hook = app
        .post(
            bob,
            methods,
            json!({"kind": "webhook", "address": "http://127.0.0.1:9/hook"}),
        )
        .await
        .expect(201)
        .body;
    let now = app
        .post(
            bob,
            rules,
            json!({"contact_method": email["id"], "delay_minutes": 0}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(now["contact_method"], email["id"]);
    assert_eq!(now["delay_minutes"], 0);
    let later = app
        .post(
            bob,
            rules,
            json!({"contact_method": hook["id"], "delay_minutes": 5}),
        )
        .await
        .expect(201)
        .body;
    app.post(
        bob,
        rules,
        json!({"contact_method": hook["id"], "delay_minutes": 5}),
    )
    .await
    .problem(409, "conflict");
    let bad = app
        .post(
            bob,
            rules,
            json!({"contact_method": "00000000-0000-0000-0000-000000000000", "delay_minutes": 1441}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["contact_method", "delay_minutes"]);
    app.post(
        &app.agent.token,
        rules,
        json!({"contact_method": email["id"]}),
    )
    .await
    .problem(403, "forbidden");
    let list = app.get(bob, rules).await.expect(200).body;
    assert_eq!(list["items"], json!([now, later]));
    app.get(&app.agent.token, rules)
        .await
        .problem(403, "forbidden");

    // Deleting a method removes its rules; rules go one by one too.
    let hook_id = hook["id"].as_str().unwrap();
    app.send(app.authed(Method::DELETE, &format!("{methods}/{hook_id}"), bob))
        .await
        .expect(204);
    let list = app.get(bob, rules).await.expect(200).body;
    assert_eq!(list["items"], json!([now]));
    let rule_id = now["id"].as_str().unwrap();
    app.send(app.authed(
        Method::DELETE,
        &format!("{rules}/{rule_id}"),
        &app.admin.token,
    ))
    .await
    .expect(204);
    app.send(app.authed(Method::DELETE, &format!("{rules}/{rule_id}"), bob))
        .await
        .problem(404, "not-found");
    assert_eq!(app.get(bob, rules).await.body["items"], json!([]));
}

// --- the OpenAPI document ---

async fn oncall_in_openapi(app: &TestApp) {
    let doc = app
        .send(app.request(Method::GET, "/api/v1/openapi.json"))
        .await
        .expect(200)
        .body;
    let paths = doc["paths"].as_object().expect("paths");
    let documented: &[(&str, &[&str])] = &[
        ("/api/v1/schedules", &["get", "post"]),
        ("/api/v1/schedules/{id}", &["delete", "get", "patch"]),
        ("/api/v1/schedules/{id}/overrides", &["get", "post"]),
        (
            "/api/v1/schedules/{id}/overrides/{override_id}",
            &["delete"],
        ),
        ("/api/v1/schedules/{id}/oncall", &["get"]),
        ("/api/v1/schedules/{id}/shifts", &["get"]),
        ("/api/v1/oncall", &["get"]),
        ("/api/v1/users/{id}/oncall", &["get"]),
        ("/api/v1/users/{id}/calendar-token", &["post"]),
        ("/ical/{token}/me.ics", &["get"]),
        ("/ical/{token}/schedules/{schedule}.ics", &["get"]),
        ("/api/v1/escalation-policies", &["get", "post"]),
        (
            "/api/v1/escalation-policies/{id}",
            &["delete", "get", "patch"],
        ),
        ("/api/v1/users/{id}/contact-methods", &["get", "post"]),
        (
            "/api/v1/users/{id}/contact-methods/{method_id}",
            &["delete"],
        ),
        ("/api/v1/users/{id}/notification-rules", &["get", "post"]),
        (
            "/api/v1/users/{id}/notification-rules/{rule_id}",
            &["delete"],
        ),
    ];
    let http = ["get", "put", "post", "delete", "patch"];
    for (path, methods) in documented {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("the document covers {path}"));
        let mut got: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| http.contains(k))
            .collect();
        got.sort();
        assert_eq!(&got, methods, "methods of {path}");
    }
    // Request bodies are described.
    let schemas = &doc["components"]["schemas"];
    for (name, field) in [
        ("ScheduleBody", "layers"),
        ("LayerBody", "turn"),
        ("PolicyBody", "levels"),
        ("LevelBody", "delay_minutes"),
        ("ContactMethodBody", "secret"),
        ("NotificationRuleBody", "delay_minutes"),
        ("ServiceBody", "escalation_policy"),
        ("TeamBody", "schedule"),
    ] {
        assert!(
            schemas[name]["properties"][field].is_object(),
            "{name}.{field} is documented"
        );
    }
    let op = &doc["paths"]["/api/v1/users/{id}/notification-rules"]["get"];
    let words = format!(
        "{} {}",
        op["summary"].as_str().unwrap_or_default(),
        op["description"].as_str().unwrap_or_default()
    )
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(" ");
    assert!(words.contains("every contact method at once"), "{words}");
    // The feeds need no login.
    assert_eq!(
        doc["paths"]["/ical/{token}/me.ics"]["get"]["security"],
        json!([{}])
    );
}
