//! SLA configuration through the API: business calendars (weekly hours in a zone, holidays,
//! 24×7) and SLA policies (conditions by name, targets in minutes or seconds, calendar,
//! pauses, warnings, actions, reopen rule), with versions and If-Match, merge-patch changes,
//! every validation problem in one 422, who may do what, a calendar in use that cannot be
//! deleted, and their place in the OpenAPI document.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

on_both_engines! {
    business_calendars => sqlite_business_calendars, postgres_business_calendars;
    calendar_validation => sqlite_calendar_validation, postgres_calendar_validation;
    sla_policies => sqlite_sla_policies, postgres_sla_policies;
    policy_validation => sqlite_policy_validation, postgres_policy_validation;
    calendar_in_use => sqlite_calendar_in_use, postgres_calendar_in_use;
    sla_config_roles => sqlite_sla_config_roles, postgres_sla_config_roles;
    sla_config_in_openapi => sqlite_sla_config_in_openapi, postgres_sla_config_in_openapi;
}

// --- helpers ---

const CALENDARS: &str = "/api/v1/business-calendars";
const POLICIES: &str = "/api/v1/sla-policies";

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

async fn delete(app: &TestApp, token: &str, path: &str) -> Reply {
    app.send(app.authed(Method::DELETE, path, token)).await
}

/// A merge patch (`application/merge-patch+json`), as the CLI sends it.
async fn merge_patch(
    app: &TestApp,
    token: &str,
    path: &str,
    if_match: Option<&str>,
    body: Value,
) -> Reply {
    let mut rb = app
        .authed(Method::PATCH, path, token)
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string());
    if let Some(v) = if_match {
        rb = rb.header("if-match", v);
    }
    app.send(rb).await
}

fn weekdays(start: &str, end: &str) -> Vec<Value> {
    ["monday", "tuesday", "wednesday", "thursday", "friday"]
        .iter()
        .map(|d| json!({"day": d, "start": start, "end": end}))
        .collect()
}

/// The Berlin office calendar: Mon–Fri 09:00–18:00 with Christmas and Labour Day.
async fn berlin(app: &TestApp, token: &str) -> Value {
    app.post(
        token,
        CALENDARS,
        json!({
            "name": "Berlin office",
            "time_zone": "Europe/Berlin",
            "hours": weekdays("09:00", "18:00"),
            "holidays": [{"name": "Christmas", "date": "2026-12-25"}],
        }),
    )
    .await
    .expect(201)
    .body
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items: {list}"))
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

// --- business calendars ---

async fn business_calendars(app: &TestApp) {
    let mia = person(app, "mia", "manager").await;
    let mut hours = weekdays("09:00", "18:00");
    // Given out of order: shown in week order.
    hours.reverse();
    let reply = app
        .post(
            &mia.token,
            CALENDARS,
            json!({
                "name": "Berlin office",
                "time_zone": "europe/berlin",
                "hours": hours,
                "holidays": [
                    {"name": "Christmas", "start": "2026-12-24", "end": "2026-12-26"},
                    {"name": "Labour Day", "date": "2026-05-01"},
                    {"date": "2026-10-03"},
                ],
            }),
        )
        .await
        .expect(201);
    assert_eq!(reply.etag(), "\"1\"");
    let c = reply.body.clone();
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(
        reply.header("location").as_deref(),
        Some(format!("{CALENDARS}/{id}").as_str())
    );
    assert_eq!(c["name"], "Berlin office");
    assert_eq!(c["time_zone"], "Europe/Berlin");
    assert_eq!(c["always_open"], false);
    assert_eq!(c["hours"], json!(weekdays("09:00", "18:00")));
    assert_eq!(c["hours_per_week"], 45);
    assert_eq!(
        c["holidays"],
        json!([
            {"name": "Labour Day", "start": "2026-05-01", "end": "2026-05-01"},
            {"name": "Holiday", "start": "2026-10-03", "end": "2026-10-03"},
            {"name": "Christmas", "start": "2026-12-24", "end": "2026-12-26"},
        ])
    );
    assert_eq!(c["used_by"], json!([]));
    assert_eq!(c["version"], 1);

    // Agents read, by name (any case) or id; the list is {"items": [...]}.
    for key in ["berlin OFFICE", id.as_str()] {
        let shown = app
            .get(&app.agent.token, &format!("{CALENDARS}/{key}"))
            .await
            .expect(200);
        assert_eq!(shown.etag(), "\"1\"");
        assert_eq!(shown.body, c);
    }
    let list = app.get(&app.agent.token, CALENDARS).await.expect(200).body;
    assert_eq!(list, json!({"items": [c]}));

    // Names are unique regardless of case.
    let dup = app
        .post(
            &mia.token,
            CALENDARS,
            json!({"name": "BERLIN office", "time_zone": "UTC", "always_open": true}),
        )
        .await
        .problem(409, "conflict");
    assert!(
        dup["detail"]
            .as_str()
            .unwrap()
            .contains("business calendar")
    );

    // A merge patch with If-Match: lists replace the old ones; 24:00 is the end of the day.
    let changed = merge_patch(
        app,
        &mia.token,
        &format!("{CALENDARS}/Berlin office"),
        Some("\"1\""),
        json!({"hours": [{"day": "sat", "start": "10:00", "end": "24:00"}], "holidays": null}),
    )
    .await
    .expect(200);
    assert_eq!(changed.etag(), "\"2\"");
    assert_eq!(
        changed.body["hours"],
        json!([{"day": "saturday", "start": "10:00", "end": "24:00"}])
    );
    assert_eq!(changed.body["hours_per_week"], 14);
    assert_eq!(changed.body["holidays"], json!([]));
    assert_eq!(changed.body["time_zone"], "Europe/Berlin");
    merge_patch(
        app,
        &mia.token,
        &format!("{CALENDARS}/{id}"),
        Some("\"1\""),
        json!({"always_open": true}),
    )
    .await
    .problem(412, "stale-version");
    let open = app
        .patch(
            &mia.token,
            &format!("{CALENDARS}/{id}"),
            Some("\"2\""),
            json!({"always_open": true, "name": "Berlin 24x7", "time_zone": "UTC"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(open["always_open"], true);
    assert_eq!(open["hours_per_week"], 168);
    assert_eq!(open["name"], "Berlin 24x7");
    assert_eq!(open["version"], 3);
    // The same values again: nothing changes, not even the version.
    let same = app
        .patch(
            &mia.token,
            "/api/v1/business-calendars/berlin 24x7",
            None,
            json!({"always_open": true}),
        )
        .await
        .expect(200);
    assert_eq!(same.etag(), "\"3\"");
    app.get(&mia.token, &format!("{CALENDARS}/Berlin office"))
        .await
        .problem(404, "not-found");

    // Deleted by managers; then gone.
    delete(app, &mia.token, &format!("{CALENDARS}/{id}"))
        .await
        .expect(204);
    app.get(&mia.token, &format!("{CALENDARS}/{id}"))
        .await
        .problem(404, "not-found");
    delete(app, &mia.token, &format!("{CALENDARS}/{id}"))
        .await
        .problem(404, "not-found");
    let list = app.get(&mia.token, CALENDARS).await.expect(200).body;
    assert_eq!(list, json!({"items": []}));
}

async fn calendar_validation(app: &TestApp) {
    let bad = app
        .post(
            &app.admin.token,
            CALENDARS,
            json!({
                "name": " ",
                "time_zone": "Mars/Olympus",
                "always_open": "yes",
                "hours": [
                    {"day": "funday", "start": "09:00", "end": "17:00"},
                    {"day": "monday", "start": "9am", "end": "17:00"},
                    {"day": "tuesday", "start": "18:00", "end": "09:00"},
                    {"day": "wednesday", "start": "09:00", "end": "17:00", "lunch": true},
                    "all day",
                    {"day": "thursday", "end": "17:00"},
                ],
                "holidays": [
                    {"name": "Bad", "date": "2026-02-30"},
                    {"name": "Both", "date": "2026-12-25", "start": "2026-12-24", "end": "2026-12-26"},
                    {"name": "Backwards", "start": "2026-12-26", "end": "2026-12-24"},
                    {"name": "Undated"},
                    {"name": "", "date": "2026-01-01"},
                ],
                "colour": "blue",
            }),
        )
        .await;
    assert_eq!(
        bad.invalid_fields(),
        [
            "always_open",
            "colour",
            "holidays[0].date",
            "holidays[1]",
            "holidays[2].end",
            "holidays[3].date",
            "holidays[4].name",
            "hours[0].day",
            "hours[1].start",
            "hours[2].end",
            "hours[3].lunch",
            "hours[4]",
            "hours[5].start",
            "name",
            "time_zone",
        ]
    );
    let missing = app.post(&app.admin.token, CALENDARS, json!({})).await;
    assert_eq!(missing.invalid_fields(), ["name", "time_zone"]);
    let not_lists = app
        .post(
            &app.admin.token,
            CALENDARS,
            json!({"name": "x", "time_zone": "UTC", "hours": "9-5", "holidays": {}}),
        )
        .await;
    assert_eq!(not_lists.invalid_fields(), ["holidays", "hours"]);
    // Nothing was stored.
    let list = app.get(&app.admin.token, CALENDARS).await.expect(200).body;
    assert_eq!(list["items"], json!([]));

    // A patch is judged on the whole calendar it makes.
    berlin(app, &app.admin.token).await;
    let bad = app
        .patch(
            &app.admin.token,
            &format!("{CALENDARS}/Berlin office"),
            None,
            json!({"time_zone": "Berlin", "hours": [{"day": "friday", "start": "17:00", "end": "08:00"}]}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["hours[0].end", "time_zone"]);
    let kept = app
        .get(&app.admin.token, &format!("{CALENDARS}/Berlin office"))
        .await
        .expect(200);
    assert_eq!(kept.etag(), "\"1\"");
    assert_eq!(kept.body["hours_per_week"], 45);
}

// --- SLA policies ---

async fn sla_policies(app: &TestApp) {
    let mia = person(app, "mia", "manager").await;
    let team = app
        .post(&mia.token, "/api/v1/teams", json!({"name": "ops"}))
        .await
        .expect(201)
        .body;
    let service = app
        .post(&mia.token, "/api/v1/services", json!({"name": "mail"}))
        .await
        .expect(201)
        .body;
    let legacy = app
        .post(&mia.token, "/api/v1/services", json!({"name": "legacy"}))
        .await
        .expect(201)
        .body;
    let calendar = berlin(app, &mia.token).await;

    let reply = app
        .post(
            &mia.token,
            POLICIES,
            json!({
                "name": "Mail urgent",
                "order": 5,
                "conditions": {
                    "priorities": ["P2", 1, "p2"],
                    "services": ["MAIL", legacy["id"]],
                    "categories": ["Network"],
                    "teams": [team["id"]],
                },
                "response_minutes": 30,
                "resolution_seconds": 14_400,
                "calendar": "berlin office",
                "pause_on": ["awaiting_vendor"],
                "warnings": [75, 50],
                "actions": [
                    {"at_percent": 75, "kind": "notify_group"},
                    {"at_percent": 100, "kind": "escalate"},
                    {"at_percent": 100, "kind": "add_tag", "tag": "sla-breached"},
                ],
                "on_reopen": "restart",
            }),
        )
        .await
        .expect(201);
    assert_eq!(reply.etag(), "\"1\"");
    let p = reply.body.clone();
    let id = p["id"].as_str().unwrap().to_string();
    assert_eq!(
        reply.header("location").as_deref(),
        Some(format!("{POLICIES}/{id}").as_str())
    );
    assert_eq!(p["name"], "Mail urgent");
    assert_eq!(p["order"], 5);
    assert_eq!(
        p["conditions"],
        json!({
            "priorities": ["P1", "P2"],
            "services": [
                {"id": service["id"], "name": "mail"},
                {"id": legacy["id"], "name": "legacy"},
            ],
            "categories": ["network"],
            "teams": [{"id": team["id"], "name": "ops"}],
        })
    );
    assert_eq!(p["response_seconds"], 1800);
    assert_eq!(p["response_minutes"], 30);
    assert_eq!(p["resolution_seconds"], 14_400);
    assert_eq!(p["resolution_minutes"], 240);
    assert_eq!(
        p["calendar"],
        json!({"id": calendar["id"], "name": "Berlin office"})
    );
    assert_eq!(p["pause_on"], json!(["awaiting_vendor"]));
    assert_eq!(p["warnings"], json!([50, 75]));
    assert_eq!(
        p["actions"],
        json!([
            {"at_percent": 75, "kind": "notify_group"},
            {"at_percent": 100, "kind": "escalate"},
            {"at_percent": 100, "kind": "add_tag", "tag": "sla-breached"},
        ])
    );
    assert_eq!(p["on_reopen"], "restart");
    assert_eq!(p["version"], 1);

    // The defaults come from the domain: 24×7, the usual pauses, warnings and actions.
    let d = app
        .post(
            &mia.token,
            POLICIES,
            json!({"name": "Default", "resolution_minutes": 480}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(d["order"], 0);
    assert_eq!(
        d["conditions"],
        json!({"priorities": [], "services": [], "categories": [], "teams": []})
    );
    assert_eq!(d["response_seconds"], Value::Null);
    assert_eq!(d["response_minutes"], Value::Null);
    assert_eq!(d["resolution_seconds"], 28_800);
    assert_eq!(d["calendar"], Value::Null);
    assert_eq!(d["pause_on"], json!(["awaiting_caller", "awaiting_vendor"]));
    assert_eq!(d["warnings"], json!([50, 75]));
    assert_eq!(
        d["actions"],
        json!([
            {"at_percent": 50, "kind": "notify_assignee"},
            {"at_percent": 75, "kind": "notify_assignee"},
            {"at_percent": 100, "kind": "notify_assignee"},
            {"at_percent": 100, "kind": "notify_group"},
        ])
    );
    assert_eq!(d["on_reopen"], "continue");
    // Other warnings: the default actions follow them.
    let late = app
        .post(
            &mia.token,
            POLICIES,
            json!({"name": "Late warning", "order": 9, "response_seconds": 90, "warnings": [90]}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(late["response_minutes"], 1.5);
    assert_eq!(
        late["actions"],
        json!([
            {"at_percent": 90, "kind": "notify_assignee"},
            {"at_percent": 100, "kind": "notify_assignee"},
            {"at_percent": 100, "kind": "notify_group"},
        ])
    );

    // Listed in the order they are tried; shown by name or id; the calendar names its user.
    let list = app.get(&app.agent.token, POLICIES).await.expect(200).body;
    assert_eq!(names(&list), ["Default", "Mail urgent", "Late warning"]);
    assert_eq!(list["items"][1], p);
    for key in ["mail URGENT", id.as_str()] {
        let shown = app
            .get(&app.agent.token, &format!("{POLICIES}/{key}"))
            .await
            .expect(200);
        assert_eq!(shown.etag(), "\"1\"");
        assert_eq!(shown.body, p);
    }
    let cal = app
        .get(&app.agent.token, &format!("{CALENDARS}/Berlin office"))
        .await
        .expect(200)
        .body;
    assert_eq!(cal["used_by"], json!([{"id": id, "name": "Mail urgent"}]));

    // A merge patch: a condition list given replaces that list, null clears it, the others stay;
    // a target moves between forms; null calendar is 24×7.
    let changed = merge_patch(
        app,
        &mia.token,
        &format!("{POLICIES}/Mail urgent"),
        Some("\"1\""),
        json!({
            "conditions": {"priorities": ["P1"], "teams": null},
            "response_minutes": null,
            "response_seconds": 900,
            "calendar": null,
        }),
    )
    .await
    .expect(200);
    assert_eq!(changed.etag(), "\"2\"");
    let c = changed.body;
    assert_eq!(c["conditions"]["priorities"], json!(["P1"]));
    assert_eq!(c["conditions"]["teams"], json!([]));
    assert_eq!(c["conditions"]["services"], p["conditions"]["services"]);
    assert_eq!(c["conditions"]["categories"], json!(["network"]));
    assert_eq!(c["response_seconds"], 900);
    assert_eq!(c["response_minutes"], 15);
    assert_eq!(c["resolution_seconds"], 14_400);
    assert_eq!(c["calendar"], Value::Null);
    assert_eq!(c["actions"], p["actions"]);
    assert_eq!(c["on_reopen"], "restart");
    let cal = app
        .get(&app.agent.token, &format!("{CALENDARS}/Berlin office"))
        .await
        .expect(200)
        .body;
    assert_eq!(cal["used_by"], json!([]));

    // Stale versions, both forms of a target, no target left, a taken name.
    app.patch(
        &mia.token,
        &format!("{POLICIES}/{id}"),
        Some("\"1\""),
        json!({"order": 1}),
    )
    .await
    .problem(412, "stale-version");
    let both = app
        .patch(
            &mia.token,
            &format!("{POLICIES}/{id}"),
            None,
            json!({"resolution_minutes": 60, "resolution_seconds": 3600}),
        )
        .await;
    assert_eq!(both.invalid_fields(), ["resolution_minutes"]);
    let none = app
        .patch(
            &mia.token,
            &format!("{POLICIES}/{id}"),
            None,
            json!({"response_seconds": null, "resolution_minutes": null}),
        )
        .await;
    assert_eq!(none.invalid_fields(), ["resolution_seconds"]);
    app.patch(
        &mia.token,
        &format!("{POLICIES}/{id}"),
        None,
        json!({"name": "default"}),
    )
    .await
    .problem(409, "conflict");
    // Warnings dropped while actions still use them: the action is named.
    let orphan = app
        .patch(
            &mia.token,
            &format!("{POLICIES}/{id}"),
            None,
            json!({"warnings": [50]}),
        )
        .await;
    assert_eq!(orphan.invalid_fields(), ["actions[0].at_percent"]);

    // A deleted service shows without its name.
    delete(app, &mia.token, "/api/v1/services/legacy")
        .await
        .expect(204);
    let shown = app
        .get(&mia.token, &format!("{POLICIES}/{id}"))
        .await
        .expect(200);
    assert_eq!(shown.etag(), "\"2\"");
    assert_eq!(
        shown.body["conditions"]["services"][1],
        json!({"id": legacy["id"], "name": null})
    );

    // Deleted by managers; then gone.
    delete(app, &mia.token, &format!("{POLICIES}/Mail urgent"))
        .await
        .expect(204);
    app.get(&mia.token, &format!("{POLICIES}/{id}"))
        .await
        .problem(404, "not-found");
    let list = app.get(&mia.token, POLICIES).await.expect(200).body;
    assert_eq!(names(&list), ["Default", "Late warning"]);
}

async fn policy_validation(app: &TestApp) {
    let bad = app
        .post(
            &app.admin.token,
            POLICIES,
            json!({
                "name": "Bad",
                "order": "first",
                "conditions": {
                    "priorities": ["P1", "P9", 7],
                    "services": ["ghost"],
                    "categories": ["network", "astrology"],
                    "teams": ["nobody"],
                    "regions": ["emea"],
                },
                "response_minutes": 30,
                "response_seconds": 1800,
                "resolution_seconds": -5,
                "calendar": "Nowhere",
                "pause_on": ["awaiting_caller", "awaiting_godot"],
                "warnings": [50, 150],
                "actions": [
                    {"at_percent": 60, "kind": "escalate"},
                    {"at_percent": 100, "kind": "explode"},
                    {"at_percent": 100, "kind": "add_tag"},
                    {"at_percent": 100, "kind": "escalate", "tag": "x"},
                    {"kind": "notify_group"},
                ],
                "on_reopen": "sometimes",
                "extra": 1,
            }),
        )
        .await;
    assert_eq!(
        bad.invalid_fields(),
        [
            "actions[0].at_percent",
            "actions[1].kind",
            "actions[2].tag",
            "actions[3].tag",
            "actions[4].at_percent",
            "calendar",
            "conditions.categories[1]",
            "conditions.priorities[1]",
            "conditions.priorities[2]",
            "conditions.regions",
            "conditions.services[0]",
            "conditions.teams[0]",
            "extra",
            "on_reopen",
            "order",
            "pause_on[1]",
            "resolution_seconds",
            "response_minutes",
            "warnings[1]",
        ]
    );
    let missing = app.post(&app.admin.token, POLICIES, json!({})).await;
    assert_eq!(missing.invalid_fields(), ["name", "resolution_seconds"]);
    let wrong_types = app
        .post(
            &app.admin.token,
            POLICIES,
            json!({
                "name": "Types",
                "resolution_minutes": "four hours",
                "conditions": {"priorities": "P1", "services": [7]},
                "warnings": "50%",
                "actions": {"at_percent": 100},
                "pause_on": "awaiting_caller",
            }),
        )
        .await;
    assert_eq!(
        wrong_types.invalid_fields(),
        [
            "actions",
            "conditions.priorities",
            "conditions.services[0]",
            "pause_on",
            "resolution_minutes",
            "warnings",
        ]
    );
    let list = app.get(&app.admin.token, POLICIES).await.expect(200).body;
    assert_eq!(list["items"], json!([]));
}

async fn calendar_in_use(app: &TestApp) {
    let mia = person(app, "mia", "manager").await;
    let calendar = berlin(app, &mia.token).await;
    for (name, key) in [
        ("Mail", "Berlin office"),
        ("Web", calendar["id"].as_str().unwrap()),
    ] {
        app.post(
            &mia.token,
            POLICIES,
            json!({"name": name, "resolution_minutes": 240, "calendar": key}),
        )
        .await
        .expect(201);
    }
    let refused = delete(app, &mia.token, &format!("{CALENDARS}/Berlin office"))
        .await
        .problem(409, "conflict");
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains("\"Mail\"") && detail.contains("\"Web\""),
        "{detail}"
    );
    // Still there, still used by both.
    let cal = app
        .get(&mia.token, &format!("{CALENDARS}/Berlin office"))
        .await
        .expect(200)
        .body;
    assert_eq!(names(&json!({"items": cal["used_by"]})), ["Mail", "Web"]);

    // One policy moves to 24×7, the other goes: then the calendar may go.
    app.patch(
        &mia.token,
        &format!("{POLICIES}/Mail"),
        None,
        json!({"calendar": null}),
    )
    .await
    .expect(200);
    let refused = delete(app, &mia.token, &format!("{CALENDARS}/Berlin office"))
        .await
        .problem(409, "conflict");
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains("\"Web\"") && !detail.contains("\"Mail\""),
        "{detail}"
    );
    delete(app, &mia.token, &format!("{POLICIES}/Web"))
        .await
        .expect(204);
    delete(app, &mia.token, &format!("{CALENDARS}/Berlin office"))
        .await
        .expect(204);
    // A policy cannot name it any more.
    let bad = app
        .patch(
            &mia.token,
            &format!("{POLICIES}/Mail"),
            None,
            json!({"calendar": "Berlin office"}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["calendar"]);
}

async fn sla_config_roles(app: &TestApp) {
    let calendar_body = json!({"name": "Ops hours", "time_zone": "UTC", "always_open": true});
    let policy_body = json!({"name": "Any", "resolution_minutes": 60});
    // Agents cannot create.
    for (path, body) in [(CALENDARS, &calendar_body), (POLICIES, &policy_body)] {
        let p = app
            .post(&app.agent.token, path, body.clone())
            .await
            .problem(403, "forbidden");
        assert!(p["detail"].as_str().unwrap().contains("manager"), "{p}");
    }
    // Admins can; agents then read but neither change nor delete.
    app.post(&app.admin.token, CALENDARS, calendar_body.clone())
        .await
        .expect(201);
    app.post(&app.admin.token, POLICIES, policy_body.clone())
        .await
        .expect(201);
    for path in [
        CALENDARS,
        POLICIES,
        "/api/v1/business-calendars/ops hours",
        "/api/v1/sla-policies/any",
    ] {
        app.get(&app.agent.token, path).await.expect(200);
        for who in [&app.rita, &app.viewer] {
            app.get(&who.token, path).await.problem(403, "forbidden");
        }
    }
    for path in [
        "/api/v1/business-calendars/Ops hours",
        "/api/v1/sla-policies/Any",
    ] {
        app.patch(&app.agent.token, path, None, json!({"name": "Mine"}))
            .await
            .problem(403, "forbidden");
        delete(app, &app.agent.token, path)
            .await
            .problem(403, "forbidden");
    }
    // Without a token: 401.
    app.send(app.request(Method::GET, CALENDARS))
        .await
        .problem(401, "unauthorized");
    // An unknown one is 404 for a reader.
    app.get(&app.agent.token, "/api/v1/sla-policies/nope")
        .await
        .problem(404, "not-found");
}

async fn sla_config_in_openapi(app: &TestApp) {
    let doc = app
        .send(app.request(Method::GET, "/api/v1/openapi.json"))
        .await
        .expect(200)
        .body;
    let paths = doc["paths"].as_object().expect("paths");
    let http = ["get", "put", "post", "delete", "patch"];
    for (path, methods) in [
        ("/api/v1/business-calendars", &["get", "post"][..]),
        (
            "/api/v1/business-calendars/{id}",
            &["delete", "get", "patch"],
        ),
        ("/api/v1/sla-policies", &["get", "post"]),
        ("/api/v1/sla-policies/{id}", &["delete", "get", "patch"]),
    ] {
        let item = paths
            .get(path)
            .unwrap_or_else(|| panic!("the document covers {path}"));
        let mut got: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| http.contains(k))
            .collect();
        got.sort();
        assert_eq!(got, methods, "methods of {path}");
    }
    let schemas = &doc["components"]["schemas"];
    for (name, field) in [
        ("BusinessCalendarBody", "hours"),
        ("WorkingHoursBody", "day"),
        ("HolidayBody", "date"),
        ("SlaPolicyBody", "response_minutes"),
        ("SlaConditionsBody", "priorities"),
        ("SlaActionBody", "tag"),
        ("BusinessCalendarView", "hours_per_week"),
        ("SlaPolicyView", "resolution_minutes"),
    ] {
        assert!(
            schemas[name]["properties"][field].is_object(),
            "{name}.{field} is documented"
        );
    }
    let op = &doc["paths"]["/api/v1/business-calendars/{id}"]["delete"];
    assert!(
        op["responses"]["409"].is_object(),
        "a calendar in use is a documented 409: {op}"
    );
}
