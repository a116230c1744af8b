//! The `mayday integration` commands and `mayday incident alerts`, through the real binary
//! against a real server: creating, listing, showing, changing and deleting a service's
//! integrations, the server's refusals with their exit codes, and the alerts of an incident
//! opened by a PagerDuty event.

use std::time::Duration;

use serde_json::{Value, json};

use super::client::Cli;
use super::{BOOTSTRAP, Database, Server, http_client, postgres, sqlite};

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string: {v}"))
}

/// A line of `text` containing every one of `parts`.
fn has_line(text: &str, parts: &[&str]) -> bool {
    text.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

/// Asks `check` up to 200 times, 50 ms apart, until it gives a value.
async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(v) = check() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for {what}");
}

async fn integrations(db: Database) {
    let server = Server::start(&db);
    let cli = Cli::new(&server);
    cli.ok(&["service", "create", "mail", "--tier", "1"]);

    // Created with a generated key; the detail view says where to send events.
    let shown = cli.ok(&[
        "integration",
        "create",
        "--service",
        "mail",
        "--kind",
        "pagerduty_events_v2",
        "--name",
        "prometheus",
    ]);
    let key = shown
        .lines()
        .find_map(|l| l.strip_prefix("Key:"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no key shown:\n{shown}"))
        .to_string();
    assert_eq!(key.len(), 32, "{shown}");
    assert!(
        has_line(&shown, &["URL:", &format!("{}/v2/enqueue", server.base)]),
        "{shown}"
    );
    assert!(has_line(&shown, &["routing_key", &key]), "{shown}");
    assert!(has_line(&shown, &["Grouping:", "per_alert"]), "{shown}");
    assert!(has_line(&shown, &["Rate limit:", "none"]), "{shown}");
    assert!(has_line(&shown, &["Last event:", "never"]), "{shown}");
    let listed = cli.json(&["integration", "list", "--service", "mail"]);
    let pd = listed["items"][0].clone();
    assert_eq!(pd["key"], key.as_str(), "{listed}");
    let pd_id = str_of(&pd, "id").to_string();

    // A given key is kept, and the options reach the server.
    let given = "am-0123456789abcdef0123456789abcdef";
    let am = cli.json(&[
        "integration",
        "create",
        "--service",
        "mail",
        "--kind",
        "alertmanager",
        "--name",
        "alertmanager eu",
        "--key",
        given,
        "--grouping",
        "source_group",
        "--rate-limit-per-minute",
        "600",
        "--no-auto-resolve",
    ]);
    assert_eq!(am["key"], given, "{am}");
    assert_eq!(
        am["endpoint"],
        format!("/api/v1/integrations/{given}/alertmanager")
    );
    assert_eq!(am["grouping"], json!({"mode": "source_group"}));
    assert_eq!(am["rate_limit_per_minute"], 600);
    assert_eq!(am["auto_resolve"], false);
    assert_eq!(am["service"]["name"], "mail");
    let am_id = str_of(&am, "id").to_string();
    let generic = cli.json(&[
        "integration",
        "create",
        "--service",
        "mail",
        "--kind",
        "generic_json",
        "--name",
        "cron jobs",
        "--mapping-summary",
        "/title",
        "--mapping-severity",
        "/level",
    ]);
    assert_eq!(generic["mapping"]["summary"], "/title", "{generic}");
    assert_eq!(generic["mapping"]["severity"], "/level", "{generic}");
    let generic_id = str_of(&generic, "id").to_string();
    let beat = cli.json(&[
        "integration",
        "create",
        "--service",
        "mail",
        "--kind",
        "heartbeat",
        "--name",
        "backup ping",
        "--heartbeat-interval",
        "3600",
    ]);
    assert_eq!(beat["heartbeat_interval_seconds"], 3600, "{beat}");

    // The server's refusals, with their exit codes and its own words.
    let bad_kind = cli.fails(
        &[
            "integration",
            "create",
            "--service",
            "mail",
            "--kind",
            "nagios",
            "--name",
            "old",
        ],
        7,
    );
    assert!(
        bad_kind
            .err
            .contains("kind: must be one of pagerduty_events_v2"),
        "{bad_kind}"
    );
    let short_key = cli.fails(
        &[
            "integration",
            "create",
            "--service",
            "mail",
            "--kind",
            "pagerduty_events_v2",
            "--name",
            "short",
            "--key",
            "abc",
        ],
        7,
    );
    assert!(
        short_key.err.contains("key: must be exactly 32 characters"),
        "{short_key}"
    );
    let no_interval = cli.fails(
        &[
            "integration",
            "create",
            "--service",
            "mail",
            "--kind",
            "heartbeat",
            "--name",
            "silent",
        ],
        7,
    );
    assert!(
        no_interval.err.contains("heartbeat_interval_seconds"),
        "{no_interval}"
    );
    let taken = cli.fails(
        &[
            "integration",
            "create",
            "--service",
            "mail",
            "--kind",
            "generic_json",
            "--name",
            "copy",
            "--key",
            given,
        ],
        6,
    );
    assert!(taken.err.contains("already uses this key"), "{taken}");
    cli.fails(&["integration", "list", "--service", "no-such-service"], 5);
    // Window options without a content window are a usage error, caught before sending.
    cli.fails(
        &[
            "integration",
            "update",
            &pd_id,
            "--grouping",
            "per_alert",
            "--window-seconds",
            "60",
        ],
        2,
    );

    // The list as a table (keys shown to an admin) and as the API's JSON.
    let table = cli.ok(&["integration", "list", "--service", "mail"]);
    assert!(
        table.starts_with("ID") && table.lines().next().unwrap().contains("LAST EVENT"),
        "{table}"
    );
    assert!(
        has_line(
            &table,
            &[
                &pd_id,
                "pagerduty_events_v2",
                "prometheus",
                &key,
                "/v2/enqueue",
                "never"
            ]
        ),
        "{table}"
    );
    assert!(
        has_line(&table, &[&am_id, "alertmanager", "alertmanager eu", given]),
        "{table}"
    );
    let listed = cli.json(&["integration", "list", "--service", "mail"]);
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(4),
        "{listed}"
    );

    // Show, by id.
    let shown = cli.ok(&["integration", "show", &am_id]);
    assert!(has_line(&shown, &["Name:", "alertmanager eu"]), "{shown}");
    assert!(has_line(&shown, &["Grouping:", "source_group"]), "{shown}");
    assert!(has_line(&shown, &["Rate limit:", "600"]), "{shown}");
    assert!(has_line(&shown, &["Auto-resolve:", "no"]), "{shown}");
    assert!(
        has_line(
            &shown,
            &[
                "URL:",
                &format!("{}/api/v1/integrations/{given}/alertmanager", server.base)
            ]
        ),
        "{shown}"
    );
    assert_eq!(cli.json(&["integration", "show", &am_id])["id"], am_id);
    cli.fails(
        &[
            "integration",
            "show",
            "0191f2a4-0000-7000-8000-000000000000",
        ],
        5,
    );

    // Update: rename, rate limit, grouping; each a new version.
    let changed = cli.json(&[
        "integration",
        "update",
        &am_id,
        "--name",
        "alertmanager west",
        "--rate-limit-per-minute",
        "120",
        "--grouping",
        "content_window",
        "--window-seconds",
        "300",
        "--group-fields",
        "summary,source",
        "--auto-resolve",
        "true",
    ]);
    assert_eq!(changed["name"], "alertmanager west", "{changed}");
    assert_eq!(changed["rate_limit_per_minute"], 120);
    assert_eq!(
        changed["grouping"],
        json!({"mode": "content_window", "window_seconds": 300, "fields": ["summary", "source"]})
    );
    assert_eq!(changed["auto_resolve"], true);
    assert_eq!(changed["version"], 2);
    let shown = cli.ok(&["integration", "update", &am_id, "--no-rate-limit"]);
    assert!(has_line(&shown, &["Rate limit:", "none"]), "{shown}");
    assert!(
        has_line(
            &shown,
            &["Grouping:", "content_window: 300 s, same summary, source"]
        ),
        "{shown}"
    );
    assert!(has_line(&shown, &["Version:", "3"]), "{shown}");
    // Only the window changes; the fields stay.
    let widened = cli.json(&["integration", "update", &am_id, "--window-seconds", "600"]);
    assert_eq!(
        widened["grouping"],
        json!({"mode": "content_window", "window_seconds": 600, "fields": ["summary", "source"]})
    );
    // A stale version is refused with 6; an update that changes nothing is a usage error.
    let stale = cli.fails(
        &[
            "integration",
            "update",
            &am_id,
            "--name",
            "x",
            "--if-match",
            "1",
        ],
        6,
    );
    assert!(stale.err.contains("version"), "{stale}");
    cli.fails(&["integration", "update", &am_id], 2);
    // A refused change names the field.
    let bad = cli.fails(
        &[
            "integration",
            "update",
            &am_id,
            "--grouping",
            "content_window",
            "--window-seconds",
            "300",
            "--group-fields",
            "colour",
        ],
        7,
    );
    assert!(bad.err.contains("grouping:"), "{bad}");
    // One mapping pointer changes; the others stay.
    let remapped = cli.json(&[
        "integration",
        "update",
        &generic_id,
        "--mapping-severity",
        "/priority",
    ]);
    assert_eq!(remapped["mapping"]["summary"], "/title", "{remapped}");
    assert_eq!(remapped["mapping"]["severity"], "/priority", "{remapped}");

    // An agent reads integrations without their keys, and may not change them.
    cli.ok(&["user", "create", "amy", "--role", "agent"]);
    let res = http_client()
        .post(format!("{}/api/v1/users/amy/tokens", server.base))
        .bearer_auth(BOOTSTRAP)
        .json(&json!({"name": "tests"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let token: Value = res.json().await.unwrap();
    let agent = Cli::with_token(&server, str_of(&token, "token"));
    let table = agent.ok(&["integration", "list", "--service", "mail"]);
    assert!(
        has_line(&table, &[&pd_id, "(hidden)", "/v2/enqueue"]),
        "{table}"
    );
    assert!(!table.contains(&key), "{table}");
    let shown = agent.ok(&["integration", "show", &am_id]);
    assert!(has_line(&shown, &["Key:", "hidden"]), "{shown}");
    assert!(!shown.contains(given), "{shown}");
    agent.fails(&["integration", "delete", &am_id], 4);

    // A PagerDuty event opens an incident; its alert is listed.
    let res = http_client()
        .post(format!("{}/v2/enqueue", server.base))
        .json(&json!({
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": "disk-full-db-1",
            "payload": {
                "summary": "Disk full on db-1",
                "source": "db-1",
                "severity": "critical",
            },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
    let number = eventually("the incident", || {
        let page = cli.json(&["incident", "list", "--service", "mail"]);
        page["items"][0]["number"].as_str().map(String::from)
    })
    .await;
    eventually("the alert", || {
        let alerts = cli.json(&["incident", "alerts", &number]);
        (alerts["items"].as_array().map(Vec::len) == Some(1)).then_some(())
    })
    .await;
    let alerts = cli.json(&["incident", "alerts", &number]);
    let alert = &alerts["items"][0];
    assert_eq!(alert["dedup_key"], "disk-full-db-1", "{alerts}");
    assert_eq!(alert["integration_id"], pd_id.as_str());
    let table = cli.ok(&["incident", "alerts", &number]);
    let header = table.lines().next().unwrap_or("");
    for column in [
        "DEDUP KEY",
        "STATUS",
        "SEVERITY",
        "EVENTS",
        "FIRST SEEN",
        "LAST SEEN",
        "SUMMARY",
    ] {
        assert!(header.contains(column), "{table}");
    }
    assert!(
        has_line(
            &table,
            &[
                "disk-full-db-1",
                "triggered",
                "critical",
                " 1 ",
                "Disk full on db-1"
            ]
        ),
        "{table}"
    );
    // The same through the plain number, and the integration now has a last event.
    assert!(
        cli.ok(&["incident", "alerts", number.trim_start_matches("INC-")])
            .contains("disk-full-db-1")
    );
    let shown = cli.ok(&["integration", "show", &pd_id]);
    assert!(!has_line(&shown, &["Last event:", "never"]), "{shown}");
    cli.fails(&["incident", "alerts", "INC-424242"], 5);

    // Delete: gone, and its key no longer takes events.
    let deleted = cli.ok(&["integration", "delete", &pd_id]);
    assert!(
        deleted.contains(&format!("deleted integration {pd_id}")),
        "{deleted}"
    );
    cli.fails(&["integration", "show", &pd_id], 5);
    cli.fails(&["integration", "delete", &pd_id], 5);
    let res = http_client()
        .post(format!("{}/v2/enqueue", server.base))
        .json(&json!({
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "again", "source": "db-1", "severity": "error"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let listed = cli.json(&["integration", "list", "--service", "mail"]);
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(3),
        "{listed}"
    );
}

#[tokio::test]
async fn sqlite_integration_commands() {
    integrations(sqlite()).await;
}

#[tokio::test]
async fn postgres_integration_commands() {
    if let Some(db) = postgres().await {
        integrations(db).await;
    }
}
