//! The directory API: the caller (`/me`), users, passwords and API tokens, teams, services,
//! categories and resolution codes, incident templates, the priority matrix, the admin status
//! report and their place in the OpenAPI document.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

on_both_engines! {
    me_for_every_role => sqlite_me_for_every_role, postgres_me_for_every_role;
    creating_and_listing_users => sqlite_creating_and_listing_users, postgres_creating_and_listing_users;
    users_change_themselves => sqlite_users_change_themselves, postgres_users_change_themselves;
    admins_change_users => sqlite_admins_change_users, postgres_admins_change_users;
    passwords => sqlite_passwords, postgres_passwords;
    api_tokens => sqlite_api_tokens, postgres_api_tokens;
    retried_token_issue => sqlite_retried_token_issue, postgres_retried_token_issue;
    teams => sqlite_teams, postgres_teams;
    services => sqlite_services, postgres_services;
    categories => sqlite_categories, postgres_categories;
    resolution_codes => sqlite_resolution_codes, postgres_resolution_codes;
    templates => sqlite_templates, postgres_templates;
    priority_matrix => sqlite_priority_matrix, postgres_priority_matrix;
    directory_in_openapi => sqlite_directory_in_openapi, postgres_directory_in_openapi;
}

// The status report names the engine, so each variant knows which one it expects.

#[tokio::test]
async fn sqlite_status_report() {
    let app = TestApp::spawn(Engine::Sqlite)
        .await
        .expect("SQLite is always available");
    status_report(&app, Engine::Sqlite).await;
    app.finish().await;
}

#[tokio::test]
async fn postgres_status_report() {
    let Some(app) = TestApp::spawn(Engine::Postgres).await else {
        return;
    };
    status_report(&app, Engine::Postgres).await;
    app.finish().await;
}

// --- helpers ---

const USER_KEYS: &[&str] = &[
    "active",
    "created_at",
    "display_name",
    "email",
    "id",
    "role",
    "time_zone",
    "updated_at",
    "username",
    "version",
];
const TOKEN_KEYS: &[&str] = &["created_at", "expires_at", "id", "last_used_at", "name"];
const NEW_TOKEN_KEYS: &[&str] = &["created_at", "expires_at", "id", "name", "token"];
const TEAM_KEYS: &[&str] = &[
    "created_at",
    "description",
    "escalation_policy",
    "id",
    "members",
    "name",
    "schedule",
    "updated_at",
    "version",
];
const SERVICE_KEYS: &[&str] = &[
    "created_at",
    "default_category",
    "description",
    "escalation_policy",
    "id",
    "maintenance_windows",
    "name",
    "owner_team",
    "tier",
    "updated_at",
    "version",
];
const TEMPLATE_KEYS: &[&str] = &[
    "created_at",
    "description",
    "fields",
    "id",
    "name",
    "updated_at",
    "version",
];
const CATEGORY_KEYS: &[&str] = &["description", "name", "subcategories"];

const DEFAULT_CATEGORIES: &[&str] = &[
    "access",
    "configuration",
    "database",
    "hardware",
    "inquiry",
    "monitoring",
    "network",
    "security",
    "software",
];
const DEFAULT_RESOLUTION_CODES: &[&str] = &[
    "auto_resolved",
    "known_error",
    "no_resolution",
    "resolved_by_caller",
    "resolved_by_change",
    "resolved_by_problem",
    "solution_provided",
    "workaround_provided",
];

/// The sorted keys of a JSON object.
#[track_caller]
fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("an object, got {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `items[*][field]` of a list answer, as strings, in order.
#[track_caller]
fn item_strings(page: &Value, field: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items is an array: {page}"))
        .iter()
        .map(|i| {
            i[field]
                .as_str()
                .unwrap_or_else(|| panic!("{field} of {i}"))
                .to_string()
        })
        .collect()
}

/// The item of a list answer whose `field` is `value`.
#[track_caller]
fn item_with<'a>(page: &'a Value, field: &str, value: &str) -> &'a Value {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items is an array: {page}"))
        .iter()
        .find(|i| i[field] == value)
        .unwrap_or_else(|| panic!("no item with {field} = {value}: {page}"))
}

/// The `(field, message)` pairs of a 422 problem.
#[track_caller]
fn field_errors(p: &Value) -> Vec<(String, String)> {
    p["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors is an array: {p}"))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().expect("error field").to_string(),
                e["message"].as_str().expect("error message").to_string(),
            )
        })
        .collect()
}

fn id_str(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id: {v}"))
        .to_string()
}

/// `"<version>"`, the ETag of a record.
fn etag_of(v: &Value) -> String {
    format!("\"{}\"", v["version"])
}

/// Asserts the `ETag` matches the body's version and returns the body.
#[track_caller]
fn tagged(reply: Reply) -> Value {
    assert_eq!(
        reply.etag(),
        etag_of(&reply.body),
        "ETag and version agree: {}",
        reply.text
    );
    reply.body
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> Reply {
    app.send(app.authed(Method::PUT, path, token).json(&body))
        .await
}

async fn delete(app: &TestApp, token: &str, path: &str) -> Reply {
    app.send(app.authed(Method::DELETE, path, token)).await
}

/// Asserts an empty 204.
#[track_caller]
fn no_content(reply: Reply) {
    let reply = reply.expect(204);
    assert!(reply.text.is_empty(), "204 has no body: {}", reply.text);
}

/// Creates a user with `role` (as admin) and issues them a token (as admin).
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
        id: id_str(&user),
        username: username.to_string(),
        token: token["token"].as_str().expect("a token").to_string(),
    }
}

/// A manager, `maggie` (the seeded people hold no manager).
async fn manager(app: &TestApp) -> Person {
    person(app, "maggie", "manager").await
}

/// The user as `/me` shows them; asserts 200.
async fn me(app: &TestApp, token: &str) -> Value {
    tagged(app.get(token, "/api/v1/me").await.expect(200))
}

// --- users ---

async fn me_for_every_role(app: &TestApp) {
    let cases = [
        (&app.admin, "Administrator", Value::Null, "admin"),
        (
            &app.agent,
            "Alice Agent",
            json!("alice@example.com"),
            "agent",
        ),
        (&app.agent2, "Bob Agent", json!("bob@example.com"), "agent"),
        (
            &app.rita,
            "Rita Requester",
            json!("rita@example.com"),
            "requester",
        ),
        (
            &app.rex,
            "Rex Requester",
            json!("rex@example.com"),
            "requester",
        ),
        (
            &app.viewer,
            "Vera Viewer",
            json!("vera@example.com"),
            "viewer",
        ),
    ];
    for (who, display, email, role) in cases {
        let reply = app.get(&who.token, "/api/v1/me").await.expect(200);
        assert_eq!(reply.etag(), "\"1\"", "{}", who.username);
        let me = reply.body;
        assert_eq!(keys(&me), strs(USER_KEYS), "no credentials shown: {me}");
        assert_eq!(me["id"], json!(who.id));
        assert_eq!(me["username"], json!(who.username));
        assert_eq!(me["display_name"], display);
        assert_eq!(me["email"], email);
        assert_eq!(me["time_zone"], "UTC");
        assert_eq!(me["role"], role);
        assert_eq!(me["active"], true);
        assert_eq!(me["version"], 1);
        utc_time(&me["created_at"]);
        assert_eq!(me["created_at"], me["updated_at"]);
        assert!(!me.to_string().contains(&who.token), "{me}");
    }
    // Without a token there is no "me".
    app.send(app.request(Method::GET, "/api/v1/me"))
        .await
        .problem(401, "unauthorized");
}

async fn creating_and_listing_users(app: &TestApp) {
    let admin = &app.admin.token;
    let agent = &app.agent.token;
    let reply = app
        .post(
            admin,
            "/api/v1/users",
            json!({"username": "dana", "display_name": "  Dana Devops ",
                   "email": "dana@example.com", "time_zone": "europe/paris",
                   "role": "manager", "password": "correct horse battery"}),
        )
        .await
        .expect(201);
    let dana = reply.body.clone();
    let id = id_str(&dana);
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/users/{id}"))
    );
    assert_eq!(reply.etag(), "\"1\"");
    assert_eq!(keys(&dana), strs(USER_KEYS));
    assert_eq!(dana["username"], "dana");
    assert_eq!(dana["display_name"], "Dana Devops");
    assert_eq!(dana["email"], "dana@example.com");
    assert_eq!(
        dana["time_zone"], "Europe/Paris",
        "as the tz database spells it"
    );
    assert_eq!(dana["role"], "manager");
    assert_eq!(dana["active"], true);
    assert_eq!(dana["version"], 1);
    utc_time(&dana["created_at"]);
    assert_eq!(dana["created_at"], dana["updated_at"]);
    assert!(!reply.text.contains("correct horse"), "{}", reply.text);
    let uuid = uuid::Uuid::parse_str(&id).expect("user ids are UUIDs");
    assert_eq!(uuid.get_version_num(), 7);
    // Read back by id and by username in any case.
    for key in [id.as_str(), "dana", "DANA"] {
        let got = tagged(
            app.get(agent, &format!("/api/v1/users/{key}"))
                .await
                .expect(200),
        );
        assert_eq!(got, dana, "GET /api/v1/users/{key}");
    }

    // Only username and role are needed; the rest has defaults.
    let min = app
        .post(
            admin,
            "/api/v1/users",
            json!({"username": "m.in_1-x", "role": "viewer"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(min["display_name"], "m.in_1-x");
    assert_eq!(min["email"], Value::Null);
    assert_eq!(min["time_zone"], "UTC");
    assert_eq!(min["role"], "viewer");
    assert_eq!(min["active"], true);

    // A taken username is a conflict.
    for taken in ["alice", "dana"] {
        let p = app
            .post(
                admin,
                "/api/v1/users",
                json!({"username": taken, "role": "agent"}),
            )
            .await
            .problem(409, "conflict");
        assert!(p["detail"].as_str().unwrap().contains(taken), "{p}");
    }
    // Usernames are lowercase, so another case of a taken one is not a username at all (and
    // does not create a second "dana").
    for upper in ["Dana", "ALICE"] {
        let fields = app
            .post(
                admin,
                "/api/v1/users",
                json!({"username": upper, "role": "agent"}),
            )
            .await
            .invalid_fields();
        assert_eq!(fields, ["username"], "{upper}");
    }

    // Every bad field is named in one 422.
    let fields = app
        .post(
            admin,
            "/api/v1/users",
            json!({"username": "bad name", "role": "overlord", "time_zone": "Mars/Olympus",
                   "email": "not-an-email", "shoe_size": 44}),
        )
        .await
        .invalid_fields();
    assert_eq!(
        fields,
        ["email", "role", "shoe_size", "time_zone", "username"]
    );
    let fields = app
        .post(
            admin,
            "/api/v1/users",
            json!({"username": uuid::Uuid::now_v7().to_string(), "role": "agent",
                   "display_name": "", "password": "short", "email": "a@b@c"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["display_name", "email", "password", "username"]);
    let fields = app
        .post(admin, "/api/v1/users", json!({}))
        .await
        .invalid_fields();
    assert_eq!(fields, ["role", "username"]);
    let fields = app
        .post(
            admin,
            "/api/v1/users",
            json!({"username": null, "role": 3, "active": false}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["active", "role", "username"]);

    // Only admins create users.
    for token in [agent, &app.rita.token, &app.viewer.token] {
        app.post(
            token,
            "/api/v1/users",
            json!({"username": "sneaky", "role": "admin"}),
        )
        .await
        .problem(403, "forbidden");
    }

    // Agents list every user; nothing above was created twice or by mistake.
    let page = app.get(agent, "/api/v1/users").await.expect(200).body;
    assert_eq!(keys(&page), ["items"]);
    assert_eq!(
        item_strings(&page, "username"),
        [
            "admin", "alice", "bob", "dana", "m.in_1-x", "rex", "rita", "vera"
        ]
    );
    for item in page["items"].as_array().unwrap() {
        assert_eq!(keys(item), strs(USER_KEYS), "{item}");
    }
    assert_eq!(item_with(&page, "username", "dana"), &dana);
    assert_eq!(item_with(&page, "username", "rita")["role"], "requester");
    assert_eq!(
        app.get(&app.admin.token, "/api/v1/users")
            .await
            .expect(200)
            .body,
        page
    );
    // Requesters and viewers may not.
    for token in [&app.rita.token, &app.rex.token, &app.viewer.token] {
        app.get(token, "/api/v1/users")
            .await
            .problem(403, "forbidden");
    }

    // Reading one user: agents anyone, everybody else only themself; 403 comes before looking,
    // so a requester cannot probe which users exist.
    assert_eq!(
        tagged(
            app.get(&app.rita.token, "/api/v1/users/rita")
                .await
                .expect(200)
        )["id"],
        json!(app.rita.id)
    );
    assert_eq!(
        tagged(
            app.get(&app.rita.token, &format!("/api/v1/users/{}", app.rita.id))
                .await
                .expect(200)
        )["username"],
        "rita"
    );
    for key in [
        "alice".to_string(),
        app.rex.id.clone(),
        "nobody".to_string(),
        uuid::Uuid::now_v7().to_string(),
    ] {
        app.get(&app.rita.token, &format!("/api/v1/users/{key}"))
            .await
            .problem(403, "forbidden");
        app.get(&app.viewer.token, &format!("/api/v1/users/{key}"))
            .await
            .problem(403, "forbidden");
    }
    assert_eq!(
        app.get(agent, "/api/v1/users/rita").await.expect(200).body["role"],
        "requester"
    );
    app.get(agent, "/api/v1/users/nobody")
        .await
        .problem(404, "not-found");
    app.get(agent, &format!("/api/v1/users/{}", uuid::Uuid::now_v7()))
        .await
        .problem(404, "not-found");
}

async fn users_change_themselves(app: &TestApp) {
    let rita = &app.rita.token;
    let before = me(app, rita).await;
    let reply = app
        .patch(
            rita,
            "/api/v1/users/rita",
            Some("\"1\""),
            json!({"display_name": "  Rita R.  ", "time_zone": "America/New_York",
                   "email": "rita@corp.example"}),
        )
        .await
        .expect(200);
    assert_eq!(reply.etag(), "\"2\"");
    let changed = reply.body;
    assert_eq!(keys(&changed), strs(USER_KEYS));
    assert_eq!(changed["id"], json!(app.rita.id));
    assert_eq!(changed["username"], "rita");
    assert_eq!(changed["display_name"], "Rita R.");
    assert_eq!(changed["time_zone"], "America/New_York");
    assert_eq!(changed["email"], "rita@corp.example");
    assert_eq!(changed["role"], "requester");
    assert_eq!(changed["active"], true);
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["created_at"], before["created_at"]);
    assert!(utc_time(&changed["updated_at"]) >= utc_time(&before["updated_at"]));
    assert_eq!(me(app, rita).await, changed);

    // By id, without If-Match, works too; the same values again leave the record alone.
    let same = app
        .patch(
            rita,
            &format!("/api/v1/users/{}", app.rita.id),
            None,
            json!({"display_name": "Rita R.", "time_zone": "America/New_York"}),
        )
        .await
        .expect(200);
    assert_eq!(same.etag(), "\"2\"");
    assert_eq!(same.body, changed);

    // Her role and active flag are not hers to change: 403, and nothing changes, not even the
    // fields that would have been allowed.
    for body in [
        json!({"role": "admin"}),
        json!({"role": "requester"}),
        json!({"active": false}),
        json!({"display_name": "Queen Rita", "role": "agent"}),
    ] {
        app.patch(rita, "/api/v1/users/rita", None, body)
            .await
            .problem(403, "forbidden");
    }
    // Nor may she (or an agent) change anybody else.
    app.patch(
        rita,
        "/api/v1/users/rex",
        None,
        json!({"display_name": "Rexy"}),
    )
    .await
    .problem(403, "forbidden");
    app.patch(
        &app.agent.token,
        "/api/v1/users/rita",
        None,
        json!({"display_name": "Rita the Agent"}),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(me(app, rita).await, changed);
    assert_eq!(
        me(app, &app.rex.token).await["display_name"],
        "Rex Requester"
    );

    // A stale If-Match on her own record is refused too.
    app.patch(
        rita,
        "/api/v1/users/rita",
        Some("\"1\""),
        json!({"display_name": "Old news"}),
    )
    .await
    .problem(412, "stale-version");

    // Bad values: one 422 naming every field, and nothing changes.
    let fields = app
        .patch(
            rita,
            "/api/v1/users/rita",
            None,
            json!({"display_name": "", "time_zone": "Nowhere/Land", "email": "rita at home",
                   "username": "queen"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["display_name", "email", "time_zone", "username"]);
    assert_eq!(me(app, rita).await, changed);

    // A null email clears it.
    let cleared = app
        .patch(
            rita,
            "/api/v1/users/rita",
            Some("\"2\""),
            json!({"email": null}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(cleared["email"], Value::Null);
    assert_eq!(cleared["version"], 3);

    // A viewer may change their own time zone as well.
    let vera = app
        .patch(
            &app.viewer.token,
            "/api/v1/users/VERA",
            None,
            json!({"time_zone": "Asia/Tokyo"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(vera["time_zone"], "Asia/Tokyo");
    assert_eq!(vera["role"], "viewer");
}

async fn admins_change_users(app: &TestApp) {
    let admin = &app.admin.token;
    let rita = &app.rita.token;
    app.patch(
        rita,
        "/api/v1/users/rita",
        None,
        json!({"display_name": "Rita R."}),
    )
    .await
    .expect(200);

    // A stale If-Match is refused, and nothing changes.
    let p = app
        .patch(
            admin,
            "/api/v1/users/rita",
            Some("\"1\""),
            json!({"role": "agent"}),
        )
        .await
        .problem(412, "stale-version");
    assert!(p["detail"].as_str().unwrap().contains('2'), "{p}");
    let now = me(app, rita).await;
    assert_eq!(now["role"], "requester");
    assert_eq!(now["version"], 2);
    // A malformed one is a bad request.
    app.patch(
        admin,
        "/api/v1/users/rita",
        Some("yesterday"),
        json!({"role": "agent"}),
    )
    .await
    .problem(400, "bad-request");

    // With the current version the admin promotes her; she can now list users.
    let promoted = tagged(
        app.patch(
            admin,
            "/api/v1/users/rita",
            Some("\"2\""),
            json!({"role": "agent"}),
        )
        .await
        .expect(200),
    );
    assert_eq!(promoted["role"], "agent");
    assert_eq!(promoted["version"], 3);
    assert_eq!(promoted["display_name"], "Rita R.");
    app.get(rita, "/api/v1/users").await.expect(200);
    // A weak ETag names the version just as well.
    let back = app
        .patch(
            admin,
            "/api/v1/users/rita",
            Some("W/\"3\""),
            json!({"role": "requester", "email": "r@example.org", "time_zone": "Europe/Berlin"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(back["role"], "requester");
    assert_eq!(back["email"], "r@example.org");
    assert_eq!(back["time_zone"], "Europe/Berlin");
    assert_eq!(back["version"], 4);
    app.get(rita, "/api/v1/users")
        .await
        .problem(403, "forbidden");

    // Every bad field at once.
    let fields = app
        .patch(
            admin,
            "/api/v1/users/rex",
            None,
            json!({"role": "boss", "active": "no", "time_zone": 5, "nickname": "T-Rex"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["active", "nickname", "role", "time_zone"]);
    app.patch(
        admin,
        "/api/v1/users/nobody",
        None,
        json!({"display_name": "x"}),
    )
    .await
    .problem(404, "not-found");

    // Deactivating bob locks his token out at once.
    let bob = &app.agent2.token;
    me(app, bob).await;
    let off = app
        .patch(admin, "/api/v1/users/bob", None, json!({"active": false}))
        .await
        .expect(200)
        .body;
    assert_eq!(off["active"], false);
    for path in ["/api/v1/me", "/api/v1/incidents", "/api/v1/users"] {
        app.get(bob, path).await.problem(401, "unauthorized");
    }
    app.post(bob, "/api/v1/incidents", new_incident("From beyond"))
        .await
        .problem(401, "unauthorized");
    // He is still listed, as inactive.
    let page = app
        .get(&app.agent.token, "/api/v1/users")
        .await
        .expect(200)
        .body;
    assert_eq!(item_with(&page, "username", "bob")["active"], false);
    // Reactivated, the same token works again.
    app.patch(admin, "/api/v1/users/bob", None, json!({"active": true}))
        .await
        .expect(200);
    assert_eq!(me(app, bob).await["active"], true);

    // An admin can neither demote nor deactivate themself: 422 naming both, nothing changes.
    let fields = app
        .patch(
            admin,
            "/api/v1/users/admin",
            None,
            json!({"role": "agent", "active": false}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["active", "role"]);
    for body in [json!({"role": "manager"}), json!({"active": false})] {
        app.patch(
            admin,
            &format!("/api/v1/users/{}", app.admin.id),
            None,
            body,
        )
        .await
        .problem(422, "validation-failed");
    }
    let me_admin = me(app, admin).await;
    assert_eq!(me_admin["role"], "admin");
    assert_eq!(me_admin["active"], true);
    assert_eq!(me_admin["version"], 1);
    // Staying what they are is fine and changes nothing.
    let same = app
        .patch(
            admin,
            "/api/v1/users/admin",
            Some("\"1\""),
            json!({"role": "admin", "active": true}),
        )
        .await
        .expect(200);
    assert_eq!(same.etag(), "\"1\"");
    // Another admin may demote them.
    let ada = person(app, "ada", "admin").await;
    let demoted = app
        .patch(
            &ada.token,
            "/api/v1/users/admin",
            None,
            json!({"role": "manager"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(demoted["role"], "manager");
    assert_eq!(me(app, admin).await["role"], "manager");
    app.post(
        admin,
        "/api/v1/users",
        json!({"username": "late", "role": "viewer"}),
    )
    .await
    .problem(403, "forbidden");
}

// --- passwords ---

async fn passwords(app: &TestApp) {
    let admin = &app.admin.token;
    app.post(
        admin,
        "/api/v1/users",
        json!({"username": "pat", "role": "agent", "password": "initial password 1"}),
    )
    .await
    .expect(201);
    let pat = app
        .post(admin, "/api/v1/users/pat/tokens", json!({"name": "tests"}))
        .await
        .expect(201)
        .body["token"]
        .as_str()
        .unwrap()
        .to_string();
    let path = "/api/v1/users/pat/password";

    // Too short, and no current password although one is set: both named.
    let fields = put(app, &pat, path, json!({"password": "short"}))
        .await
        .invalid_fields();
    assert_eq!(fields, ["current_password", "password"]);
    let fields = put(app, &pat, path, json!({"password": "a brand new secret"}))
        .await
        .invalid_fields();
    assert_eq!(fields, ["current_password"]);
    let fields = put(
        app,
        &pat,
        path,
        json!({"password": "a brand new secret", "current_password": "not the password"}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, ["current_password"]);
    let fields = put(
        app,
        &pat,
        path,
        json!({"current_password": "initial password 1"}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, ["password"]);
    let fields = put(
        app,
        &pat,
        path,
        json!({"password": "x".repeat(1025), "current_password": "initial password 1",
               "hint": "x"}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, ["hint", "password"]);
    // Exactly 12 characters is enough.
    no_content(
        put(
            app,
            &pat,
            path,
            json!({"password": "twelve chars", "current_password": "initial password 1"}),
        )
        .await,
    );
    // The old one no longer counts as current; the new one does.
    let fields = put(
        app,
        &pat,
        path,
        json!({"password": "a brand new secret", "current_password": "initial password 1"}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, ["current_password"]);
    no_content(
        put(
            app,
            &pat,
            &format!(
                "/api/v1/users/{}/password",
                me(app, &pat).await["id"].as_str().unwrap()
            ),
            json!({"password": "a brand new secret", "current_password": "twelve chars"}),
        )
        .await,
    );

    // A user without a password sets a first one without a current one; after that it counts.
    let alice = &app.agent.token;
    no_content(
        put(
            app,
            alice,
            "/api/v1/users/alice/password",
            json!({"password": "alice first password"}),
        )
        .await,
    );
    let fields = put(
        app,
        alice,
        "/api/v1/users/alice/password",
        json!({"password": "alice second password"}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, ["current_password"]);

    // Nobody but an admin sets another user's password.
    for token in [alice, &app.agent2.token, &app.rita.token, &app.viewer.token] {
        put(
            app,
            token,
            path,
            json!({"password": "taken over by someone", "current_password": "a brand new secret"}),
        )
        .await
        .problem(403, "forbidden");
    }
    // The admin sets anyone's, without knowing the current one...
    no_content(put(app, admin, path, json!({"password": "reset by the admin"})).await);
    no_content(
        put(
            app,
            admin,
            "/api/v1/users/rita/password",
            json!({"password": "rita gets a password"}),
        )
        .await,
    );
    // ...which is what counts from then on.
    let fields = put(
        app,
        &pat,
        path,
        json!({"password": "pat picks another", "current_password": "a brand new secret"}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, ["current_password"]);
    no_content(
        put(
            app,
            &pat,
            path,
            json!({"password": "pat picks another", "current_password": "reset by the admin"}),
        )
        .await,
    );
    let fields = put(
        app,
        &app.rita.token,
        "/api/v1/users/rita/password",
        json!({"password": "rita picks her own"}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, ["current_password"]);
    no_content(
        put(
            app,
            &app.rita.token,
            "/api/v1/users/rita/password",
            json!({"password": "rita picks her own", "current_password": "rita gets a password"}),
        )
        .await,
    );
    // The admin's passwords follow the same length rule.
    let fields = put(app, admin, path, json!({"password": "short"}))
        .await
        .invalid_fields();
    assert_eq!(fields, ["password"]);
    let fields = put(app, admin, path, json!({})).await.invalid_fields();
    assert_eq!(fields, ["password"]);
    put(
        app,
        admin,
        "/api/v1/users/nobody/password",
        json!({"password": "long enough password"}),
    )
    .await
    .problem(404, "not-found");
    // Setting a password changes neither the user record nor its tokens.
    let pat_now = me(app, &pat).await;
    assert_eq!(pat_now["version"], 1);
}

// --- tokens ---

async fn api_tokens(app: &TestApp) {
    let alice = &app.agent.token;
    let reply = app
        .post(
            alice,
            "/api/v1/users/alice/tokens",
            json!({"name": " laptop "}),
        )
        .await
        .expect(201);
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    let laptop = reply.body;
    assert_eq!(keys(&laptop), strs(NEW_TOKEN_KEYS));
    assert_eq!(laptop["name"], "laptop");
    assert_eq!(laptop["expires_at"], Value::Null);
    utc_time(&laptop["created_at"]);
    let secret = laptop["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("mdy_"), "{secret}");
    assert_eq!(secret.len(), 4 + 48, "{secret}");
    assert!(
        secret[4..].chars().all(|c| c.is_ascii_hexdigit()),
        "{secret}"
    );
    let laptop_id = id_str(&laptop);

    // An expiry is converted to UTC.
    let ci = app
        .post(
            alice,
            "/api/v1/users/ALICE/tokens",
            json!({"name": "ci", "expires_at": "2999-01-01T00:30:00+01:00"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(ci["expires_at"], "2998-12-31T23:30:00Z");
    assert_ne!(ci["token"], laptop["token"]);
    let ci_secret = ci["token"].as_str().unwrap().to_string();

    // The new token authenticates as alice.
    let as_alice = me(app, &secret).await;
    assert_eq!(as_alice["username"], "alice");

    // Listed without secrets; last use is recorded.
    let reply = app
        .get(alice, "/api/v1/users/alice/tokens")
        .await
        .expect(200);
    assert!(!reply.text.contains(&secret), "{}", reply.text);
    assert!(!reply.text.contains(&ci_secret), "{}", reply.text);
    let list = reply.body;
    assert_eq!(keys(&list), ["items"]);
    assert_eq!(
        sorted(item_strings(&list, "name")),
        ["ci", "laptop", "tests"]
    );
    for item in list["items"].as_array().unwrap() {
        assert_eq!(keys(item), strs(TOKEN_KEYS), "{item}");
    }
    let listed = item_with(&list, "name", "laptop");
    assert_eq!(listed["id"], laptop["id"]);
    assert_eq!(listed["created_at"], laptop["created_at"]);
    assert_eq!(listed["expires_at"], Value::Null);
    utc_time(&listed["last_used_at"]);
    let listed_ci = item_with(&list, "name", "ci");
    assert_eq!(listed_ci["expires_at"], "2998-12-31T23:30:00Z");
    assert_eq!(listed_ci["last_used_at"], Value::Null, "never used");
    utc_time(&item_with(&list, "name", "tests")["last_used_at"]);
    // The same list by id, and for the admin.
    assert_eq!(
        app.get(alice, &format!("/api/v1/users/{}/tokens", app.agent.id))
            .await
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        sorted(item_strings(
            &app.get(&app.admin.token, "/api/v1/users/alice/tokens")
                .await
                .expect(200)
                .body,
            "name"
        )),
        ["ci", "laptop", "tests"]
    );

    // An expiry in the past, or not a time, or no name: 422 naming each.
    for (body, expected) in [
        (
            json!({"name": "old", "expires_at": "2000-01-01T00:00:00Z"}),
            vec!["expires_at"],
        ),
        (
            json!({"name": "vague", "expires_at": "tomorrow"}),
            vec!["expires_at"],
        ),
        (json!({}), vec!["name"]),
        (json!({"name": "   "}), vec!["name"]),
        (
            json!({"expires_at": "2001-02-03T04:05:06Z", "colour": "red"}),
            vec!["colour", "expires_at", "name"],
        ),
    ] {
        let fields = app
            .post(alice, "/api/v1/users/alice/tokens", body.clone())
            .await
            .invalid_fields();
        assert_eq!(fields, expected, "{body}");
    }
    assert_eq!(
        app.get(alice, "/api/v1/users/alice/tokens")
            .await
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "no token was issued by a refused request"
    );

    // Other non-admin users can neither list, issue nor revoke alice's tokens.
    for token in [&app.agent2.token, &app.rita.token, &app.viewer.token] {
        app.get(token, "/api/v1/users/alice/tokens")
            .await
            .problem(403, "forbidden");
        app.post(
            token,
            "/api/v1/users/alice/tokens",
            json!({"name": "mine now"}),
        )
        .await
        .problem(403, "forbidden");
        delete(
            app,
            token,
            &format!("/api/v1/users/alice/tokens/{laptop_id}"),
        )
        .await
        .problem(403, "forbidden");
    }
    // Nor revoke it through their own tokens' path: it is not theirs.
    delete(
        app,
        &app.agent2.token,
        &format!("/api/v1/users/bob/tokens/{laptop_id}"),
    )
    .await
    .problem(404, "not-found");
    me(app, &secret).await;

    // Revoking: 204, then the token is refused and gone from the list.
    no_content(
        delete(
            app,
            alice,
            &format!("/api/v1/users/alice/tokens/{laptop_id}"),
        )
        .await,
    );
    app.get(&secret, "/api/v1/me")
        .await
        .problem(401, "unauthorized");
    assert_eq!(
        sorted(item_strings(
            &app.get(alice, "/api/v1/users/alice/tokens")
                .await
                .expect(200)
                .body,
            "name"
        )),
        ["ci", "tests"]
    );
    delete(
        app,
        alice,
        &format!("/api/v1/users/alice/tokens/{laptop_id}"),
    )
    .await
    .problem(404, "not-found");
    delete(app, alice, "/api/v1/users/alice/tokens/not-a-uuid")
        .await
        .problem(404, "not-found");
    // The other tokens still work.
    me(app, &ci_secret).await;
    me(app, alice).await;

    // Admins issue and revoke tokens for anyone.
    let for_rex = app
        .post(
            &app.admin.token,
            "/api/v1/users/rex/tokens",
            json!({"name": "issued by admin"}),
        )
        .await
        .expect(201)
        .body;
    let rex_secret = for_rex["token"].as_str().unwrap().to_string();
    assert_eq!(me(app, &rex_secret).await["username"], "rex");
    no_content(
        delete(
            app,
            &app.admin.token,
            &format!("/api/v1/users/rex/tokens/{}", id_str(&for_rex)),
        )
        .await,
    );
    app.get(&rex_secret, "/api/v1/me")
        .await
        .problem(401, "unauthorized");
    app.get(&app.admin.token, "/api/v1/users/nobody/tokens")
        .await
        .problem(404, "not-found");

    // A user may revoke the very token they are using.
    no_content(
        delete(
            app,
            &ci_secret,
            &format!("/api/v1/users/alice/tokens/{}", id_str(&ci)),
        )
        .await,
    );
    app.get(&ci_secret, "/api/v1/me")
        .await
        .problem(401, "unauthorized");
}

/// Issuing a token again with the same `Idempotency-Key` (a client retrying after a lost answer)
/// issues no second token, and whatever answer carries the secret keeps it out of caches.
async fn retried_token_issue(app: &TestApp) {
    let alice = &app.agent.token;
    let issue = || async {
        app.send(
            app.authed(Method::POST, "/api/v1/users/alice/tokens", alice)
                .header("idempotency-key", "issue-laptop-token")
                .json(&json!({"name": "laptop"})),
        )
        .await
        .expect(201)
    };
    let first = issue().await;
    assert_eq!(first.header("cache-control").as_deref(), Some("no-store"));
    let secret = first.body["token"].as_str().unwrap().to_string();
    let again = issue().await;
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert!(
        again.body["token"].is_null(),
        "the secret is shown once: {}",
        again.body
    );
    assert_eq!(again.body["id"], first.body["id"]);
    // One token only.
    let list = app
        .get(alice, "/api/v1/users/alice/tokens")
        .await
        .expect(200)
        .body;
    assert_eq!(sorted(item_strings(&list, "name")), ["laptop", "tests"]);
    // The handler marks the secret `no-store`; a replay showing it must do the same.
    if again.text.contains(&secret) {
        assert_eq!(
            again.header("cache-control").as_deref(),
            Some("no-store"),
            "a replayed answer shows the token secret but may be cached: {:?}",
            again.headers
        );
    }
}

// --- teams ---

async fn teams(app: &TestApp) {
    let maggie = manager(app).await;
    let mgr = &maggie.token;
    let reply = app
        .post(
            mgr,
            "/api/v1/teams",
            json!({"name": " Network Ops ", "description": "Routers and switches",
                   "members": ["alice", "BOB", app.agent.id]}),
        )
        .await
        .expect(201);
    let netops = reply.body.clone();
    let id = id_str(&netops);
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/teams/{id}"))
    );
    assert_eq!(reply.etag(), "\"1\"");
    assert_eq!(keys(&netops), strs(TEAM_KEYS));
    assert_eq!(netops["name"], "Network Ops");
    assert_eq!(netops["description"], "Routers and switches");
    assert_eq!(
        netops["members"],
        json!([{"id": app.agent.id, "name": "alice"}, {"id": app.agent2.id, "name": "bob"}])
    );
    assert_eq!(netops["version"], 1);
    utc_time(&netops["created_at"]);

    // Admins create teams too; members are optional.
    let dba = app
        .post(&app.admin.token, "/api/v1/teams", json!({"name": "DBA"}))
        .await
        .expect(201)
        .body;
    assert_eq!(dba["members"], json!([]));
    assert_eq!(dba["description"], "");

    // Agents may not create; bad input is named field by field; names are unique in any case.
    app.post(&app.agent.token, "/api/v1/teams", json!({"name": "Rogue"}))
        .await
        .problem(403, "forbidden");
    let fields = app
        .post(
            mgr,
            "/api/v1/teams",
            json!({"name": "", "members": "alice", "lead": "alice"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["lead", "members", "name"]);
    let p = app
        .post(
            mgr,
            "/api/v1/teams",
            json!({"name": "Ghosts", "members": ["ghost", "alice"]}),
        )
        .await
        .problem(422, "validation-failed");
    let errors = field_errors(&p);
    assert_eq!(errors.len(), 1, "{p}");
    assert_eq!(errors[0].0, "members");
    assert!(errors[0].1.contains("ghost"), "{p}");
    let fields = app
        .post(mgr, "/api/v1/teams", json!({"description": "nameless"}))
        .await
        .invalid_fields();
    assert_eq!(fields, ["name"]);
    for dup in ["network ops", "NETWORK OPS", "dba"] {
        app.post(mgr, "/api/v1/teams", json!({"name": dup}))
            .await
            .problem(409, "conflict");
    }

    // Reading: by id or name, for everyone but requesters.
    for token in [&app.agent.token, &app.viewer.token, mgr] {
        let got = tagged(
            app.get(token, &format!("/api/v1/teams/{id}"))
                .await
                .expect(200),
        );
        assert_eq!(got, netops);
        let page = app.get(token, "/api/v1/teams").await.expect(200).body;
        assert_eq!(keys(&page), ["items"]);
        assert_eq!(item_strings(&page, "name"), ["DBA", "Network Ops"]);
        assert_eq!(item_with(&page, "name", "Network Ops"), &netops);
    }
    assert_eq!(
        app.get(&app.agent.token, "/api/v1/teams/dba")
            .await
            .expect(200)
            .body,
        dba
    );
    for token in [&app.rita.token, &app.rex.token] {
        app.get(token, "/api/v1/teams")
            .await
            .problem(403, "forbidden");
        app.get(token, &format!("/api/v1/teams/{id}"))
            .await
            .problem(403, "forbidden");
        app.get(token, "/api/v1/teams/nonexistent")
            .await
            .problem(403, "forbidden");
    }
    app.get(&app.agent.token, "/api/v1/teams/nonexistent")
        .await
        .problem(404, "not-found");

    // Renaming, and replacing the members.
    let path = format!("/api/v1/teams/{id}");
    app.patch(
        &app.agent.token,
        &path,
        None,
        json!({"name": "Agents' team"}),
    )
    .await
    .problem(403, "forbidden");
    let renamed = tagged(
        app.patch(
            mgr,
            &path,
            Some("\"1\""),
            json!({"name": "NetOps", "members": ["bob", "maggie"]}),
        )
        .await
        .expect(200),
    );
    assert_eq!(renamed["id"], netops["id"]);
    assert_eq!(renamed["name"], "NetOps");
    assert_eq!(renamed["description"], "Routers and switches");
    assert_eq!(
        renamed["members"],
        json!([{"id": app.agent2.id, "name": "bob"}, {"id": maggie.id, "name": "maggie"}])
    );
    assert_eq!(renamed["version"], 2);
    assert_eq!(renamed["created_at"], netops["created_at"]);
    // The new name finds it, the old one no longer does.
    assert_eq!(
        app.get(mgr, "/api/v1/teams/netops").await.expect(200).body,
        renamed
    );
    app.get(mgr, "/api/v1/teams/Network%20Ops")
        .await
        .problem(404, "not-found");
    // Stale, duplicate or bad changes are refused and change nothing.
    app.patch(mgr, &path, Some("\"1\""), json!({"description": "stale"}))
        .await
        .problem(412, "stale-version");
    app.patch(mgr, &path, None, json!({"name": "dba"}))
        .await
        .problem(409, "conflict");
    let fields = app
        .patch(
            mgr,
            &path,
            None,
            json!({"name": uuid::Uuid::now_v7().to_string(), "members": ["nobody"],
                   "description": 7}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["description", "members", "name"]);
    assert_eq!(app.get(mgr, &path).await.expect(200).body, renamed);
    // Changing only the case of the name is allowed.
    let recased = app
        .patch(mgr, &path, Some("\"2\""), json!({"name": "NETOPS"}))
        .await
        .expect(200)
        .body;
    assert_eq!(recased["name"], "NETOPS");
    assert_eq!(recased["version"], 3);

    // A team an incident is assigned to stays; an unreferenced one goes.
    let inc = app
        .create(
            &app.agent.token,
            with(
                new_incident("Core switch down"),
                json!({"assignment_group": "netops"}),
            ),
        )
        .await;
    assert_eq!(
        inc["assignment_group"],
        json!({"id": netops["id"], "name": "NETOPS"})
    );
    let p = delete(app, mgr, &path).await.problem(409, "conflict");
    assert!(p["detail"].as_str().unwrap().contains("NETOPS"), "{p}");
    app.get(mgr, &path).await.expect(200);
    // Agents cannot delete at all.
    delete(app, &app.agent.token, "/api/v1/teams/dba")
        .await
        .problem(403, "forbidden");
    no_content(delete(app, mgr, "/api/v1/teams/DBA").await);
    app.get(mgr, &format!("/api/v1/teams/{}", id_str(&dba)))
        .await
        .problem(404, "not-found");
    delete(app, mgr, "/api/v1/teams/dba")
        .await
        .problem(404, "not-found");
    assert_eq!(
        item_strings(
            &app.get(mgr, "/api/v1/teams").await.expect(200).body,
            "name"
        ),
        ["NETOPS"]
    );
    // The name of a deleted team is free again.
    app.post(mgr, "/api/v1/teams", json!({"name": "dba"}))
        .await
        .expect(201);
}

// --- services ---

async fn services(app: &TestApp) {
    let maggie = manager(app).await;
    let mgr = &maggie.token;
    let web = app
        .post(mgr, "/api/v1/teams", json!({"name": "Web Team"}))
        .await
        .expect(201)
        .body;
    let reply = app
        .post(
            mgr,
            "/api/v1/services",
            json!({"name": "Checkout", "description": "Takes the money",
                   "owner_team": "web team", "tier": 1}),
        )
        .await
        .expect(201);
    let checkout = reply.body.clone();
    let id = id_str(&checkout);
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/services/{id}"))
    );
    assert_eq!(reply.etag(), "\"1\"");
    assert_eq!(keys(&checkout), strs(SERVICE_KEYS));
    assert_eq!(checkout["name"], "Checkout");
    assert_eq!(checkout["description"], "Takes the money");
    assert_eq!(
        checkout["owner_team"],
        json!({"id": web["id"], "name": "Web Team"})
    );
    assert_eq!(checkout["tier"], 1);
    assert_eq!(checkout["version"], 1);
    // Owner by id; default tier 3; no owner.
    let wiki = app
        .post(
            &app.admin.token,
            "/api/v1/services",
            json!({"name": "Wiki", "owner_team": web["id"], "tier": 2}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(wiki["owner_team"]["name"], "Web Team");
    assert_eq!(wiki["tier"], 2);
    let intranet = app
        .post(mgr, "/api/v1/services", json!({"name": "Intranet"}))
        .await
        .expect(201)
        .body;
    assert_eq!(intranet["tier"], 3);
    assert_eq!(intranet["owner_team"], Value::Null);
    assert_eq!(intranet["description"], "");

    // Tiers are 1..3; the owner must exist; names are unique in any case.
    for tier in [json!(0), json!(4), json!(-1), json!("1"), json!(1.5)] {
        let fields = app
            .post(
                mgr,
                "/api/v1/services",
                json!({"name": "Tiered", "tier": tier}),
            )
            .await
            .invalid_fields();
        assert_eq!(fields, ["tier"], "tier {tier}");
    }
    let fields = app
        .post(
            mgr,
            "/api/v1/services",
            json!({"name": " ", "owner_team": "nobody's team", "tier": 4, "sla": "gold"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["name", "owner_team", "sla", "tier"]);
    app.post(mgr, "/api/v1/services", json!({"name": "CHECKOUT"}))
        .await
        .problem(409, "conflict");
    app.post(
        &app.agent.token,
        "/api/v1/services",
        json!({"name": "Mine"}),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(
        item_strings(
            &app.get(mgr, "/api/v1/services").await.expect(200).body,
            "name"
        ),
        ["Checkout", "Intranet", "Wiki"]
    );

    // Everybody reads services, requesters included.
    for token in [&app.rita.token, &app.viewer.token, &app.agent.token] {
        let page = app.get(token, "/api/v1/services").await.expect(200).body;
        assert_eq!(keys(&page), ["items"]);
        assert_eq!(
            item_strings(&page, "name"),
            ["Checkout", "Intranet", "Wiki"]
        );
        assert_eq!(item_with(&page, "name", "Checkout"), &checkout);
        for key in [id.as_str(), "checkout"] {
            let got = tagged(
                app.get(token, &format!("/api/v1/services/{key}"))
                    .await
                    .expect(200),
            );
            assert_eq!(got, checkout);
        }
    }
    app.get(&app.rita.token, "/api/v1/services/nothing")
        .await
        .problem(404, "not-found");

    // Incidents name services by name or id and show them as {id, name}.
    let agent = &app.agent.token;
    let paying = app
        .create(
            agent,
            with(
                new_incident("Card payments fail"),
                json!({"service": "checkout", "reporter": "rex"}),
            ),
        )
        .await;
    assert_eq!(
        paying["service"],
        json!({"id": checkout["id"], "name": "Checkout"})
    );
    let reading = app
        .create(
            &app.rita.token,
            with(new_incident("Wiki is slow"), json!({"service": wiki["id"]})),
        )
        .await;
    assert_eq!(reading["service"]["name"], "Wiki");
    let plain = app.create(agent, new_incident("No service here")).await;
    assert_eq!(plain["service"], Value::Null);
    let fields = app
        .post(
            agent,
            "/api/v1/incidents",
            with(new_incident("Unknown"), json!({"service": "Billing"})),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["service"]);

    // The list filters by service name or id.
    assert_eq!(
        app.numbers(agent, &[("service", "Checkout")]).await,
        [number_of(&paying)]
    );
    assert_eq!(
        app.numbers(agent, &[("service", "wiki")]).await,
        [number_of(&reading)]
    );
    assert_eq!(
        app.numbers(agent, &[("service", &id)]).await,
        [number_of(&paying)]
    );
    assert_eq!(
        sorted(app.numbers(agent, &[("service", "checkout,wiki")]).await),
        sorted(vec![number_of(&paying), number_of(&reading)])
    );
    assert_eq!(
        app.numbers(agent, &[("service", "intranet")]).await,
        Vec::<String>::new()
    );
    let fields = app
        .list_reply(agent, &[("service", "Billing")])
        .await
        .invalid_fields();
    assert_eq!(fields, ["service"]);
    // Requesters filter within their own incidents.
    assert_eq!(
        app.numbers(&app.rita.token, &[("service", "Checkout,Wiki")])
            .await,
        [number_of(&reading)]
    );

    // Renaming a service shows in its incidents.
    let renamed = app
        .patch(
            mgr,
            &format!("/api/v1/services/{id}"),
            Some("\"1\""),
            json!({"name": "Checkout API", "tier": 2}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(renamed["name"], "Checkout API");
    assert_eq!(renamed["tier"], 2);
    assert_eq!(renamed["version"], 2);
    assert_eq!(renamed["owner_team"], checkout["owner_team"]);
    assert_eq!(
        app.incident(agent, &number_of(&paying)).await["service"],
        json!({"id": checkout["id"], "name": "Checkout API"})
    );
    assert_eq!(
        app.numbers(agent, &[("service", "checkout api")]).await,
        [number_of(&paying)]
    );
    let fields = app
        .patch(
            mgr,
            &format!("/api/v1/services/{id}"),
            Some("\"2\""),
            json!({"tier": 0}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["tier"]);
    app.patch(
        mgr,
        &format!("/api/v1/services/{id}"),
        Some("\"1\""),
        json!({"tier": 3}),
    )
    .await
    .problem(412, "stale-version");
    app.patch(
        mgr,
        "/api/v1/services/wiki",
        None,
        json!({"name": "checkout API"}),
    )
    .await
    .problem(409, "conflict");
    app.patch(
        &app.agent.token,
        "/api/v1/services/wiki",
        None,
        json!({"tier": 1}),
    )
    .await
    .problem(403, "forbidden");

    // A service incidents name stays; an unreferenced one goes.
    for key in [id.as_str(), "wiki"] {
        delete(app, mgr, &format!("/api/v1/services/{key}"))
            .await
            .problem(409, "conflict");
    }
    delete(app, &app.agent.token, "/api/v1/services/intranet")
        .await
        .problem(403, "forbidden");
    no_content(delete(app, mgr, "/api/v1/services/intranet").await);
    app.get(mgr, &format!("/api/v1/services/{}", id_str(&intranet)))
        .await
        .problem(404, "not-found");
    delete(app, mgr, "/api/v1/services/intranet")
        .await
        .problem(404, "not-found");

    // A team that owns services stays until they get another owner.
    let p = delete(app, mgr, "/api/v1/teams/web%20team")
        .await
        .problem(409, "conflict");
    assert!(p["detail"].as_str().unwrap().contains("Wiki"), "{p}");
    for key in [id.as_str(), "wiki"] {
        let s = app
            .patch(
                mgr,
                &format!("/api/v1/services/{key}"),
                None,
                json!({"owner_team": null}),
            )
            .await
            .expect(200)
            .body;
        assert_eq!(s["owner_team"], Value::Null);
    }
    no_content(delete(app, mgr, &format!("/api/v1/teams/{}", id_str(&web))).await);
}

// --- categories and resolution codes ---

async fn categories(app: &TestApp) {
    let maggie = manager(app).await;
    let mgr = &maggie.token;
    let agent = &app.agent.token;

    // The defaults, readable by everyone.
    for token in [&app.rita.token, &app.viewer.token, agent] {
        let page = app.get(token, "/api/v1/categories").await.expect(200).body;
        assert_eq!(keys(&page), ["items"]);
        assert_eq!(
            sorted(item_strings(&page, "name")),
            strs(DEFAULT_CATEGORIES)
        );
        for item in page["items"].as_array().unwrap() {
            assert_eq!(keys(item), strs(CATEGORY_KEYS), "{item}");
        }
        assert_eq!(
            item_with(&page, "name", "hardware"),
            &json!({"name": "hardware", "description": "",
                    "subcategories": ["server", "laptop", "desktop", "printer", "storage",
                                      "peripheral"]})
        );
    }
    // Categories carry an ETag (for If-Match) but no version field.
    let hw = app
        .get(agent, "/api/v1/categories/HARDWARE")
        .await
        .expect(200);
    assert_eq!(hw.etag(), "\"1\"");
    assert_eq!(hw.body["name"], "hardware");
    app.get(agent, "/api/v1/categories/plumbing")
        .await
        .problem(404, "not-found");

    // A manager adds one with subcategories.
    let reply = app
        .post(
            mgr,
            "/api/v1/categories",
            json!({"name": "facilities", "description": "Buildings and rooms",
                   "subcategories": ["hvac", "power", "elevator_2"]}),
        )
        .await
        .expect(201);
    assert_eq!(
        reply.header("location").as_deref(),
        Some("/api/v1/categories/facilities")
    );
    assert_eq!(reply.etag(), "\"1\"");
    let facilities = reply.body;
    assert_eq!(
        facilities,
        json!({"name": "facilities", "description": "Buildings and rooms",
               "subcategories": ["hvac", "power", "elevator_2"]})
    );
    assert_eq!(
        app.get(&app.rita.token, "/api/v1/categories/facilities")
            .await
            .expect(200)
            .body,
        facilities
    );

    // Incidents may use it now, with a known subcategory only.
    let inc = app
        .create(
            agent,
            with(
                new_incident("Server room too hot"),
                json!({"category": "facilities", "subcategory": "hvac"}),
            ),
        )
        .await;
    assert_eq!(inc["category"], "facilities");
    assert_eq!(inc["subcategory"], "hvac");
    for (category, sub, expected) in [
        ("facilities", "plumbing", "subcategory"),
        ("hardware", "hvac", "subcategory"),
        ("plumbing", "pipes", "category"),
    ] {
        let p = app
            .post(
                agent,
                "/api/v1/incidents",
                with(
                    new_incident("Leak"),
                    json!({"category": category, "subcategory": sub}),
                ),
            )
            .await
            .problem(422, "validation-failed");
        let errors = field_errors(&p);
        assert_eq!(errors.len(), 1, "{p}");
        assert_eq!(errors[0].0, expected, "{p}");
    }
    assert_eq!(
        app.numbers(agent, &[("category", "facilities")]).await,
        [number_of(&inc)]
    );

    // Names are lowercase letters, digits and '_'; each problem is named.
    for bad in ["Bad Name", "bad-name", "", "ÄRGER"] {
        let fields = app
            .post(mgr, "/api/v1/categories", json!({"name": bad}))
            .await
            .invalid_fields();
        assert_eq!(fields, ["name"], "{bad:?}");
    }
    let p = app
        .post(
            mgr,
            "/api/v1/categories",
            json!({"name": "Bad Name", "subcategories": ["ok", "Not OK", "ok"], "icon": "x"}),
        )
        .await
        .problem(422, "validation-failed");
    let errors = field_errors(&p);
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(sorted(strs(&fields)), ["icon", "name", "subcategories"]);
    let subs = &errors.iter().find(|(f, _)| f == "subcategories").unwrap().1;
    assert!(subs.contains("Not OK") && subs.contains("twice"), "{p}");
    let fields = app
        .post(mgr, "/api/v1/categories", json!({}))
        .await
        .invalid_fields();
    assert_eq!(fields, ["name"]);
    app.post(mgr, "/api/v1/categories", json!({"name": "hardware"}))
        .await
        .problem(409, "conflict");
    app.post(agent, "/api/v1/categories", json!({"name": "agents_only"}))
        .await
        .problem(403, "forbidden");

    // Changing the subcategories replaces the list.
    app.patch(
        agent,
        "/api/v1/categories/facilities",
        None,
        json!({"subcategories": []}),
    )
    .await
    .problem(403, "forbidden");
    let reply = app
        .patch(
            mgr,
            "/api/v1/categories/facilities",
            Some("\"1\""),
            json!({"subcategories": ["hvac", "plumbing"]}),
        )
        .await
        .expect(200);
    assert_eq!(reply.etag(), "\"2\"");
    let changed = reply.body;
    assert_eq!(
        changed,
        json!({"name": "facilities", "description": "Buildings and rooms",
               "subcategories": ["hvac", "plumbing"]})
    );
    app.patch(
        mgr,
        "/api/v1/categories/facilities",
        Some("\"1\""),
        json!({"description": "stale"}),
    )
    .await
    .problem(412, "stale-version");
    let fields = app
        .patch(
            mgr,
            "/api/v1/categories/facilities",
            None,
            json!({"name": "renamed", "subcategories": ["Upper"]}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["name", "subcategories"]);
    let leak = app
        .create(
            agent,
            with(
                new_incident("Leak"),
                json!({"category": "facilities", "subcategory": "plumbing"}),
            ),
        )
        .await;
    assert_eq!(leak["subcategory"], "plumbing");

    // Removing a category: incidents keep it, new ones cannot use it.
    no_content(delete(app, mgr, "/api/v1/categories/facilities").await);
    app.get(agent, "/api/v1/categories/facilities")
        .await
        .problem(404, "not-found");
    delete(app, mgr, "/api/v1/categories/facilities")
        .await
        .problem(404, "not-found");
    assert_eq!(
        app.incident(agent, &number_of(&inc)).await["category"],
        "facilities"
    );
    let fields = app
        .post(
            agent,
            "/api/v1/incidents",
            with(new_incident("Hot again"), json!({"category": "facilities"})),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["category"]);
}

async fn resolution_codes(app: &TestApp) {
    let maggie = manager(app).await;
    let mgr = &maggie.token;
    let agent = &app.agent.token;
    for token in [&app.rita.token, &app.viewer.token, agent] {
        let page = app
            .get(token, "/api/v1/resolution-codes")
            .await
            .expect(200)
            .body;
        assert_eq!(keys(&page), ["items"]);
        assert_eq!(
            sorted(item_strings(&page, "name")),
            strs(DEFAULT_RESOLUTION_CODES)
        );
        for item in page["items"].as_array().unwrap() {
            assert_eq!(keys(item), ["name"], "{item}");
        }
    }

    // An incident resolved with a code keeps it after the code is removed.
    let old = app.create(agent, new_incident("Resolved earlier")).await;
    let resolved = app
        .move_to(
            agent,
            &id_of(&old),
            json!({"to": "resolved", "resolution_code": "known_error",
                   "resolution_notes": "Documented."}),
        )
        .await;
    assert_eq!(resolved["resolution_code"], "known_error");

    // Removing a code: only managers; afterwards resolving with it is refused.
    delete(app, agent, "/api/v1/resolution-codes/known_error")
        .await
        .problem(403, "forbidden");
    no_content(delete(app, mgr, "/api/v1/resolution-codes/known_error").await);
    delete(app, mgr, "/api/v1/resolution-codes/known_error")
        .await
        .problem(404, "not-found");
    let page = app
        .get(agent, "/api/v1/resolution-codes")
        .await
        .expect(200)
        .body;
    assert!(
        !item_strings(&page, "name").contains(&"known_error".to_string()),
        "{page}"
    );
    assert_eq!(
        app.incident(agent, &id_of(&old)).await["resolution_code"],
        "known_error"
    );
    let inc = app.create(agent, new_incident("Needs a code")).await;
    let p = app
        .transition(
            agent,
            &id_of(&inc),
            json!({"to": "resolved", "resolution_code": "known_error",
                   "resolution_notes": "Same as last time."}),
        )
        .await
        .problem(422, "validation-failed");
    let errors = field_errors(&p);
    assert_eq!(errors.len(), 1, "{p}");
    assert_eq!(errors[0].0, "resolution_code");
    let (rejected, offered) = errors[0]
        .1
        .split_once("; one of ")
        .expect("the codes offered");
    assert!(rejected.contains("known_error"), "{p}");
    let offered: Vec<String> = offered.split(", ").map(String::from).collect();
    assert!(!offered.contains(&"known_error".to_string()), "{p}");
    assert!(offered.contains(&"solution_provided".to_string()), "{p}");
    assert_eq!(app.incident(agent, &id_of(&inc)).await["status"], "new");

    // Adding one: a valid, new name; then incidents resolve with it.
    app.post(
        agent,
        "/api/v1/resolution-codes",
        json!({"name": "fixed_by_vendor"}),
    )
    .await
    .problem(403, "forbidden");
    for (body, expected) in [
        (json!({"name": "Bad Name"}), vec!["name"]),
        (json!({}), vec!["name"]),
        (json!({"name": "ok", "label": "OK"}), vec!["label"]),
    ] {
        let fields = app
            .post(mgr, "/api/v1/resolution-codes", body.clone())
            .await
            .invalid_fields();
        assert_eq!(fields, expected, "{body}");
    }
    app.post(
        mgr,
        "/api/v1/resolution-codes",
        json!({"name": "solution_provided"}),
    )
    .await
    .problem(409, "conflict");
    let reply = app
        .post(
            mgr,
            "/api/v1/resolution-codes",
            json!({"name": "fixed_by_vendor"}),
        )
        .await
        .expect(201);
    assert_eq!(reply.body, json!({"name": "fixed_by_vendor"}));
    let page = app
        .get(&app.rita.token, "/api/v1/resolution-codes")
        .await
        .expect(200)
        .body;
    let mut expected: Vec<String> = strs(DEFAULT_RESOLUTION_CODES)
        .into_iter()
        .filter(|c| c != "known_error")
        .collect();
    expected.push("fixed_by_vendor".into());
    assert_eq!(sorted(item_strings(&page, "name")), sorted(expected));
    let done = app
        .move_to(
            agent,
            &id_of(&inc),
            json!({"to": "resolved", "resolution_code": "fixed_by_vendor",
                   "resolution_notes": "The vendor patched it."}),
        )
        .await;
    assert_eq!(done["resolution_code"], "fixed_by_vendor");
    assert_eq!(done["resolution_notes"], "The vendor patched it.");
    // A removed code can be added back.
    app.post(
        mgr,
        "/api/v1/resolution-codes",
        json!({"name": "known_error"}),
    )
    .await
    .expect(201);
}

// --- templates ---

async fn templates(app: &TestApp) {
    let maggie = manager(app).await;
    let mgr = &maggie.token;
    let agent = &app.agent.token;
    let fields = json!({"category": "hardware", "subcategory": "printer", "impact": 3,
                        "urgency": 3, "title": "Printer jammed"});
    let reply = app
        .post(
            mgr,
            "/api/v1/templates",
            json!({"name": "Printer jam", "description": "Paper stuck", "fields": fields}),
        )
        .await
        .expect(201);
    let jam = reply.body.clone();
    let id = id_str(&jam);
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/templates/{id}"))
    );
    assert_eq!(reply.etag(), "\"1\"");
    assert_eq!(keys(&jam), strs(TEMPLATE_KEYS));
    assert_eq!(jam["name"], "Printer jam");
    assert_eq!(jam["description"], "Paper stuck");
    assert_eq!(jam["fields"], fields);
    assert_eq!(jam["version"], 1);
    utc_time(&jam["created_at"]);

    // Unknown keys (and `template` itself) are refused, naming them.
    let p = app
        .post(
            mgr,
            "/api/v1/templates",
            json!({"name": "Bad", "fields": {"titel": "x", "template": "y", "impact": 1}}),
        )
        .await
        .problem(422, "validation-failed");
    let errors = field_errors(&p);
    assert_eq!(errors.len(), 1, "{p}");
    assert_eq!(errors[0].0, "fields");
    let (unknown, known) = errors[0].1.split_once(';').expect("known fields listed");
    assert!(
        unknown.contains("titel") && unknown.contains("template"),
        "{p}"
    );
    assert!(!unknown.contains("impact"), "{p}");
    assert!(
        known.contains("title") && !known.contains("template"),
        "{p}"
    );
    for (body, expected) in [
        (
            json!({"name": "Nulls", "fields": {"title": null}}),
            vec!["fields"],
        ),
        (json!({"name": "List", "fields": ["title"]}), vec!["fields"]),
        (json!({"name": "Empty"}), vec!["fields"]),
        (json!({"fields": {}}), vec!["name"]),
        (
            json!({"name": "", "fields": 1, "owner": "x"}),
            vec!["fields", "name", "owner"],
        ),
    ] {
        let got = app
            .post(mgr, "/api/v1/templates", body.clone())
            .await
            .invalid_fields();
        assert_eq!(got, expected, "{body}");
    }
    app.post(
        mgr,
        "/api/v1/templates",
        json!({"name": "PRINTER JAM", "fields": {}}),
    )
    .await
    .problem(409, "conflict");
    app.post(
        agent,
        "/api/v1/templates",
        json!({"name": "Agent's", "fields": {}}),
    )
    .await
    .problem(403, "forbidden");

    // Reading: everybody who logs incidents; not viewers.
    for token in [agent, &app.rita.token, mgr] {
        let page = app.get(token, "/api/v1/templates").await.expect(200).body;
        assert_eq!(keys(&page), ["items"]);
        assert_eq!(page["items"], json!([jam]));
        for key in [id.as_str(), "printer%20jam"] {
            let got = tagged(
                app.get(token, &format!("/api/v1/templates/{key}"))
                    .await
                    .expect(200),
            );
            assert_eq!(got, jam);
        }
    }
    app.get(&app.viewer.token, "/api/v1/templates")
        .await
        .problem(403, "forbidden");
    app.get(&app.viewer.token, &format!("/api/v1/templates/{id}"))
        .await
        .problem(403, "forbidden");
    app.get(agent, "/api/v1/templates/nothing")
        .await
        .problem(404, "not-found");

    // A template fills what the request leaves out; explicit fields win.
    let inc = app
        .create(
            agent,
            json!({"template": "printer jam", "description": "Third floor, again.",
                   "reporter": "rita", "title": "Third-floor printer jammed", "urgency": 1}),
        )
        .await;
    assert_eq!(inc["title"], "Third-floor printer jammed");
    assert_eq!(inc["description"], "Third floor, again.");
    assert_eq!(inc["category"], "hardware");
    assert_eq!(inc["subcategory"], "printer");
    assert_eq!(inc["impact"], 3);
    assert_eq!(inc["urgency"], 1);
    assert_eq!(inc["computed_priority"], "P3");
    assert_eq!(inc["reporter"]["name"], "rita");
    // Everything from the template.
    let all = app
        .create(
            &app.rita.token,
            json!({"template": "Printer jam", "description": "It jammed."}),
        )
        .await;
    assert_eq!(all["title"], "Printer jammed");
    assert_eq!(all["category"], "hardware");
    assert_eq!(all["subcategory"], "printer");
    assert_eq!(all["impact"], 3);
    assert_eq!(all["urgency"], 3);
    assert_eq!(all["priority"], "P5");
    assert_eq!(all["reporter"]["name"], "rita");
    // An unknown template is named with the other problems.
    let fields = app
        .post(
            agent,
            "/api/v1/incidents",
            json!({"template": "Nope", "title": "x", "description": "y", "reporter": "rita",
                   "impact": 2, "urgency": 2, "category": "software"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["template"]);
    app.post(
        &app.viewer.token,
        "/api/v1/incidents",
        json!({"template": "Printer jam", "description": "x"}),
    )
    .await
    .problem(403, "forbidden");

    // Changing: `fields` replaces the set; stale and bad changes are refused.
    let changed = tagged(
        app.patch(
            mgr,
            &format!("/api/v1/templates/{id}"),
            Some("\"1\""),
            json!({"fields": {"category": "hardware", "impact": 2}}),
        )
        .await
        .expect(200),
    );
    assert_eq!(
        changed["fields"],
        json!({"category": "hardware", "impact": 2})
    );
    assert_eq!(changed["name"], "Printer jam");
    assert_eq!(changed["version"], 2);
    app.patch(
        mgr,
        &format!("/api/v1/templates/{id}"),
        Some("\"1\""),
        json!({"description": "stale"}),
    )
    .await
    .problem(412, "stale-version");
    let fields = app
        .patch(
            mgr,
            &format!("/api/v1/templates/{id}"),
            None,
            json!({"fields": {"colour": "red"}}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["fields"]);
    app.patch(
        agent,
        &format!("/api/v1/templates/{id}"),
        None,
        json!({"description": "mine"}),
    )
    .await
    .problem(403, "forbidden");
    let short = app
        .create(
            agent,
            json!({"template": "Printer jam", "title": "Toner", "description": "Empty",
                   "reporter": "rex", "urgency": 2}),
        )
        .await;
    assert_eq!(short["impact"], 2);
    assert_eq!(short["subcategory"], Value::Null);

    // Deleting.
    delete(app, agent, &format!("/api/v1/templates/{id}"))
        .await
        .problem(403, "forbidden");
    no_content(delete(app, mgr, "/api/v1/templates/printer%20jam").await);
    app.get(agent, &format!("/api/v1/templates/{id}"))
        .await
        .problem(404, "not-found");
    delete(app, mgr, &format!("/api/v1/templates/{id}"))
        .await
        .problem(404, "not-found");
    assert_eq!(
        app.get(agent, "/api/v1/templates").await.expect(200).body,
        json!({"items": []})
    );
}

// --- priority matrix and status ---

async fn priority_matrix(app: &TestApp) {
    for who in [&app.admin, &app.agent, &app.rita, &app.viewer] {
        let m = app
            .get(&who.token, "/api/v1/priority-matrix")
            .await
            .expect(200)
            .body;
        assert_eq!(keys(&m), ["matrix", "rule"]);
        assert_eq!(m["matrix"], json!([[1, 2, 3], [2, 3, 4], [3, 4, 5]]));
        let rule = m["rule"].as_str().unwrap();
        assert!(
            rule.starts_with("priority = impact + urgency - 1"),
            "{rule}"
        );
    }
    app.send(app.request(Method::GET, "/api/v1/priority-matrix"))
        .await
        .problem(401, "unauthorized");
    // Incidents follow it.
    let inc = app
        .create(
            &app.agent.token,
            with(new_incident("Matrix"), json!({"impact": 1, "urgency": 3})),
        )
        .await;
    assert_eq!(inc["computed_priority"], "P3");
}

async fn status_report(app: &TestApp, engine: Engine) {
    let status = app
        .get(&app.admin.token, "/api/v1/status")
        .await
        .expect(200)
        .body;
    assert_eq!(keys(&status), ["engine", "settings", "version"]);
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    let settings = status["settings"].as_object().expect("settings");
    for (k, v) in settings {
        assert!(v.as_str().is_some_and(|s| !s.is_empty()), "{k}: {v}");
    }
    match engine {
        Engine::Sqlite => {
            assert_eq!(status["engine"], "sqlite");
            assert_eq!(settings["journal_mode"], "wal", "{status}");
            assert_eq!(settings["synchronous"], "full", "{status}");
            assert!(settings.contains_key("busy_timeout"), "{status}");
            assert!(settings.contains_key("sqlite_version"), "{status}");
        }
        Engine::Postgres => {
            assert_eq!(status["engine"], "postgres");
            assert_eq!(
                keys(&status["settings"]),
                [
                    "fsync",
                    "full_page_writes",
                    "server_version",
                    "synchronous_commit"
                ]
            );
        }
    }
    // Only admins.
    let maggie = manager(app).await;
    for token in [
        &app.agent.token,
        &maggie.token,
        &app.rita.token,
        &app.viewer.token,
    ] {
        app.get(token, "/api/v1/status")
            .await
            .problem(403, "forbidden");
    }
    app.send(app.request(Method::GET, "/api/v1/status"))
        .await
        .problem(401, "unauthorized");
}

// --- OpenAPI ---

async fn directory_in_openapi(app: &TestApp) {
    let doc = app
        .send(app.request(Method::GET, "/api/v1/openapi.json"))
        .await
        .expect(200)
        .body;
    let paths = doc["paths"].as_object().expect("paths");
    let documented: &[(&str, &[&str])] = &[
        ("/api/v1/me", &["get"]),
        ("/api/v1/users", &["get", "post"]),
        ("/api/v1/users/{id}", &["get", "patch"]),
        ("/api/v1/users/{id}/password", &["put"]),
        ("/api/v1/users/{id}/tokens", &["get", "post"]),
        ("/api/v1/users/{id}/tokens/{token_id}", &["delete"]),
        ("/api/v1/teams", &["get", "post"]),
        ("/api/v1/teams/{id}", &["delete", "get", "patch"]),
        ("/api/v1/services", &["get", "post"]),
        ("/api/v1/services/{id}", &["delete", "get", "patch"]),
        ("/api/v1/categories", &["get", "post"]),
        ("/api/v1/categories/{name}", &["delete", "get", "patch"]),
        ("/api/v1/resolution-codes", &["get", "post"]),
        ("/api/v1/resolution-codes/{name}", &["delete"]),
        ("/api/v1/templates", &["get", "post"]),
        ("/api/v1/templates/{id}", &["delete", "get", "patch"]),
        ("/api/v1/priority-matrix", &["get"]),
        ("/api/v1/status", &["get"]),
    ];
    let http_methods = ["get", "put", "post", "delete", "patch", "head", "options"];
    for (path, methods) in documented {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("the document covers {path}"));
        let mut got: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| http_methods.contains(&k.as_str()))
            .cloned()
            .collect();
        got.sort();
        assert_eq!(got, strs(methods), "methods of {path}");
        // Path parameters are declared.
        for m in *methods {
            let params: Vec<&str> = item[*m]["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            for name in ["id", "token_id", "name"] {
                assert_eq!(
                    params.contains(&name),
                    path.contains(&format!("{{{name}}}")),
                    "{m} {path} declares path parameter {name}: {params:?}"
                );
            }
        }
        // Every documented operation is a real route: substitute the parameters with values
        // that name nothing and ask as an admin; the answer may be anything but a missing
        // route or method.
        let concrete = path
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{token_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{name}", "no_such_name");
        for m in *methods {
            let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            let reply = app
                .send(
                    app.authed(method, &concrete, &app.admin.token)
                        .json(&json!({})),
                )
                .await;
            assert_ne!(reply.status, 405, "{m} {concrete}: {}", reply.text);
            assert_ne!(
                reply.body["detail"], "no such route",
                "{m} {concrete}: {}",
                reply.text
            );
        }
    }
    // Directory operations need the bearer token (the document's default security).
    assert!(
        doc["components"]["securitySchemes"]["token"].is_object(),
        "{}",
        doc["components"]
    );
    assert!(paths["/api/v1/me"]["get"].get("security").is_none());
    // Response bodies refer to the directory schemas.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "UserView",
        "UserList",
        "TokenList",
        "NewTokenView",
        "TeamView",
        "ServiceView",
        "CategoryView",
        "ResolutionCodeList",
        "TemplateView",
        "PriorityMatrixView",
        "StatusView",
        "CreateUser",
        "TeamBody",
    ] {
        assert!(schemas.contains_key(name), "schema {name} is documented");
    }
}
