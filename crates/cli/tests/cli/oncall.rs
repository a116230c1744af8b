//! The on-call commands through the real binary against a real server: `mayday schedule`
//! (create from options and from a file, show, list, override, shifts, delete), `mayday oncall
//! who` across the March 2026 DST change, `mayday policy`, and `mayday user contact`, with the
//! usage errors and the server's refusals as exit codes.

use serde_json::Value;

use super::client::Cli;
use super::{Database, Server, postgres, sqlite};

/// A line of `text` containing every one of `parts`.
fn has_line(text: &str, parts: &[&str]) -> bool {
    text.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

fn names(users: &Value) -> Vec<String> {
    users
        .as_array()
        .unwrap_or_else(|| panic!("users is an array: {users}"))
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_string())
        .collect()
}

async fn oncall(db: Database) {
    let server = Server::start(&db);
    let cli = Cli::new(&server);
    for name in ["alice", "bob", "carol"] {
        cli.ok(&["user", "create", name, "--role", "agent"]);
    }
    cli.ok(&["team", "create", "ops", "--member", "bob"]);

    // A weekly rotation from the options; hand-off 09:00 Berlin.
    let shown = cli.ok(&[
        "schedule",
        "create",
        "--name",
        "Primary",
        "--zone",
        "Europe/Berlin",
        "--members",
        "alice,bob,carol",
        "--turn",
        "1w",
        "--start",
        "2026-03-16T09:00",
    ]);
    assert!(has_line(&shown, &["Name:", "Primary"]), "{shown}");
    assert!(
        has_line(&shown, &["Time zone:", "Europe/Berlin"]),
        "{shown}"
    );
    assert!(
        has_line(
            &shown,
            &[
                "Layer 1: alice, bob, carol",
                "every 1 week from 2026-03-16T09:00:00"
            ]
        ),
        "{shown}"
    );
    assert!(has_line(&shown, &["Gaps (14 days):", "none"]), "{shown}");
    let primary = cli.json(&["schedule", "show", "primary"]);
    assert_eq!(primary["layers"][0]["turn"]["unit"], "weeks");

    // Who is on call, on one schedule and on all, before and after the DST change.
    let who = cli.json(&[
        "oncall",
        "who",
        "--schedule",
        "Primary",
        "--at",
        "2026-03-23T07:59:59Z",
    ]);
    assert_eq!(names(&who["users"]), ["alice"]);
    let who = cli.json(&[
        "oncall",
        "who",
        "--schedule",
        "Primary",
        "--at",
        "2026-03-30T07:00:00Z",
    ]);
    assert_eq!(names(&who["users"]), ["carol"]);
    assert_eq!(who["users"][0]["shift_start"], "2026-03-30T07:00:00Z");
    let table = cli.ok(&["oncall", "who", "--at", "2026-03-30T06:59:59Z"]);
    assert!(
        has_line(&table, &["SCHEDULE", "ON CALL", "SINCE", "UNTIL"]),
        "{table}"
    );
    assert!(
        has_line(
            &table,
            &["Primary", "bob", "2026-03-23 08:00", "2026-03-30 07:00"]
        ),
        "{table}"
    );
    cli.fails(&["oncall", "who", "--schedule", "Nope"], 5);
    cli.fails(&["oncall", "who", "--at", "yesterday"], 7);

    // Shifts: a table of who and when.
    let table = cli.ok(&[
        "schedule",
        "shifts",
        "Primary",
        "--from",
        "2026-03-20T00:00:00Z",
        "--to",
        "2026-04-03T00:00:00Z",
    ]);
    assert!(
        has_line(
            &table,
            &["2026-03-23 08:00", "2026-03-30 07:00", "bob", "Layer 1"]
        ),
        "{table}"
    );
    let v = cli.json(&[
        "schedule",
        "shifts",
        "Primary",
        "--from",
        "2026-03-20T00:00:00Z",
        "--to",
        "2026-04-03T00:00:00Z",
    ]);
    assert_eq!(v["shifts"].as_array().map(Vec::len), Some(3), "{v}");

    // An override, in the future.
    let start = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    let end = start + jiff::SignedDuration::from_hours(4);
    let o = cli.json(&[
        "schedule",
        "override",
        "Primary",
        "--user",
        "bob",
        "--start",
        &start.to_string(),
        "--end",
        &end.to_string(),
    ]);
    assert_eq!(o["user"]["name"], "bob");
    let mid = (start + jiff::SignedDuration::from_hours(1)).to_string();
    let who = cli.json(&["oncall", "who", "--schedule", "Primary", "--at", &mid]);
    assert_eq!(names(&who["users"]), ["bob"]);
    let shown = cli.ok(&["schedule", "show", "Primary"]);
    assert!(has_line(&shown, &["Overrides:", "bob"]), "{shown}");

    // Any body from a file: office hours only, so there are gaps.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("office.json");
    std::fs::write(
        &file,
        r#"{"name": "Office", "time_zone": "UTC", "layers": [{"name": "Days",
            "members": ["bob"], "turn": {"unit": "days", "count": 1},
            "start": "2026-01-01T00:00:00",
            "restrictions": [{"kind": "daily", "start": "09:00", "end": "17:00"}]}]}"#,
    )
    .unwrap();
    let shown = cli.ok(&["schedule", "create", "--file", file.to_str().unwrap()]);
    assert!(
        has_line(&shown, &["Days: bob", "(only daily 09:00-17:00)"]),
        "{shown}"
    );
    let table = cli.ok(&[
        "schedule",
        "shifts",
        "Office",
        "--from",
        "2026-03-04T00:00:00Z",
        "--to",
        "2026-03-05T00:00:00Z",
    ]);
    assert!(
        has_line(&table, &["2026-03-04 00:00", "(nobody)", "gap"]),
        "{table}"
    );
    assert!(
        has_line(&table, &["2026-03-04 09:00", "2026-03-04 17:00", "bob"]),
        "{table}"
    );
    let list = cli.ok(&["schedule", "list"]);
    assert!(
        has_line(&list, &["NAME", "TIME ZONE", "ON CALL NOW"]),
        "{list}"
    );
    assert!(
        has_line(&list, &["Primary", "Europe/Berlin", "1"]),
        "{list}"
    );
    assert!(has_line(&list, &["Office", "UTC"]), "{list}");

    // Usage errors never reach the server; the server's refusals name the fields.
    cli.fails(&["schedule", "create", "--name", "X"], 2);
    cli.fails(
        &[
            "schedule",
            "create",
            "--name",
            "X",
            "--members",
            "bob",
            "--turn",
            "3y",
            "--start",
            "2026-01-01T00:00",
        ],
        2,
    );
    let bad = cli.fails(
        &[
            "schedule",
            "create",
            "--name",
            "X",
            "--zone",
            "Mars/Olympus",
            "--members",
            "ghost",
            "--turn",
            "1d",
            "--start",
            "2026-01-01T00:00",
        ],
        7,
    );
    assert!(bad.err.contains("time_zone"), "{bad}");
    assert!(bad.err.contains("layers[0].members"), "{bad}");

    // An escalation policy from options: each level's targets and delay.
    let shown = cli.ok(&[
        "policy",
        "create",
        "--name",
        "Web",
        "--level",
        "alice,schedule:Primary",
        "--delay",
        "5m",
        "--level",
        "team:ops",
        "--delay",
        "90s",
        "--repeat",
        "1",
    ]);
    assert!(
        has_line(&shown, &["1. alice, Primary (schedule)", "then wait 5 min"]),
        "{shown}"
    );
    assert!(
        has_line(&shown, &["2. ops (team)", "then wait 1 min 30 s"]),
        "{shown}"
    );
    assert!(has_line(&shown, &["Repeat:", "1 more time"]), "{shown}");
    let web = cli.json(&["policy", "show", "web"]);
    assert_eq!(web["levels"][0]["delay_seconds"], 300);
    assert_eq!(web["levels"][1]["delay_seconds"], 90);
    assert_eq!(web["levels"][1]["targets"][0]["name"], "ops");
    assert_eq!(web["repeat"], 1);
    let list = cli.ok(&["policy", "list"]);
    assert!(has_line(&list, &["Web", "2", "1", "alice"]), "{list}");
    cli.fails(
        &[
            "policy", "create", "--name", "X", "--level", "alice", "--level", "bob", "--delay",
            "1m", "--delay", "2m", "--delay", "3m",
        ],
        2,
    );
    cli.fails(
        &[
            "policy", "create", "--name", "X", "--level", "alice", "--delay", "soon",
        ],
        2,
    );
    let bad = cli.fails(
        &[
            "policy", "create", "--name", "X", "--level", "ghost", "--delay", "5m",
        ],
        7,
    );
    assert!(bad.err.contains("levels[0].targets[0]"), "{bad}");
    // In use: the schedule cannot go while the policy pages it.
    cli.fails(&["schedule", "delete", "Primary"], 6);

    // Contact methods: a webhook's generated secret is printed once, never listed.
    let shown = cli.ok(&[
        "user",
        "contact",
        "add",
        "alice",
        "--kind",
        "webhook",
        "--address",
        "https://hooks.example.com/mayday",
        "--label",
        "pager bridge",
    ]);
    let secret = shown
        .lines()
        .find_map(|l| l.strip_prefix("Secret:"))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no secret shown:\n{shown}"))
        .to_string();
    assert_eq!(secret.len(), 64, "{shown}");
    let email = cli.json(&[
        "user",
        "contact",
        "add",
        "alice",
        "--kind",
        "email",
        "--address",
        "alice@pager.example",
    ]);
    assert_eq!(email["secret"], Value::Null);
    let listed = cli.ok(&["user", "contact", "list", "alice"]);
    assert!(!listed.contains(&secret), "{listed}");
    assert!(
        has_line(
            &listed,
            &[
                "webhook",
                "https://hooks.example.com/mayday",
                "pager bridge",
                "yes"
            ]
        ),
        "{listed}"
    );
    assert!(
        has_line(&listed, &["email", "alice@pager.example", "no"]),
        "{listed}"
    );
    let bad = cli.fails(
        &[
            "user",
            "contact",
            "add",
            "alice",
            "--kind",
            "email",
            "--address",
            "nope",
        ],
        7,
    );
    assert!(bad.err.contains("address"), "{bad}");
    let id = email["id"].as_str().unwrap();
    let deleted = cli.ok(&["user", "contact", "delete", "alice", id]);
    assert!(
        deleted.contains(&format!("deleted contact method {id}")),
        "{deleted}"
    );
    let listed = cli.json(&["user", "contact", "list", "alice"]);
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(listed["items"][0]["has_secret"], true);

    // Deleting: the policy first, then the schedule it paged.
    assert!(
        cli.ok(&["policy", "delete", "Web"])
            .contains("deleted escalation policy Web")
    );
    assert!(
        cli.ok(&["schedule", "delete", "Primary"])
            .contains("deleted schedule Primary")
    );
    cli.fails(&["schedule", "show", "Primary"], 5);
}

#[tokio::test]
async fn sqlite_oncall_commands() {
    oncall(sqlite()).await;
}

#[tokio::test]
async fn postgres_oncall_commands() {
    if let Some(db) = postgres().await {
        oncall(db).await;
    }
}
