//! `mayday sla ...` end to end through the real binary against a real server: business
//! calendars and SLA policies created from options and from files, listed, shown and deleted
//! (a calendar in use refused), usage errors and the server's refusals as exit codes, who may
//! write, and an incident's clocks, their why and compliance read back.

use serde_json::{Value, json};

use super::client::Cli;
use super::{BOOTSTRAP, Database, Server, call, postgres, sqlite};

/// A line of `text` containing every one of `parts`.
fn has_line(text: &str, parts: &[&str]) -> bool {
    text.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

#[track_caller]
fn lines(text: &str, expected: &[&[&str]]) {
    for parts in expected {
        assert!(has_line(text, parts), "no line with {parts:?} in:\n{text}");
    }
}

async fn sla(db: Database) {
    let server = Server::start(&db);
    let cli = Cli::new(&server);
    cli.ok(&["team", "create", "ops"]);
    cli.ok(&["service", "create", "mail"]);

    // A calendar from the options: weekly hours in a zone, a holiday and a range of them.
    let shown = cli.ok(&[
        "sla",
        "calendar",
        "create",
        "--name",
        "Berlin office",
        "--zone",
        "Europe/Berlin",
        "--hours",
        "mon-fri=09:00-18:00",
        "--hours",
        "sat=10:00-14:00",
        "--holiday",
        "2026-12-25:Christmas Day",
        "--holiday",
        "2026-12-31..2027-01-01:New Year",
    ]);
    lines(
        &shown,
        &[
            &["Name:", "Berlin office"],
            &["Time zone:", "Europe/Berlin"],
            &["Hours:", "mon-fri 09:00-18:00"],
            &["sat 10:00-14:00"],
            &["Per week:", "49 h"],
            &["Holidays:", "2026-12-25", "Christmas Day"],
            &["2026-12-31 – 2027-01-01", "New Year"],
            &["Version:", "1"],
        ],
    );
    let berlin = cli.json(&["sla", "calendar", "show", "berlin office"]);
    assert_eq!(
        berlin["hours"].as_array().map(Vec::len),
        Some(6),
        "{berlin}"
    );
    assert_eq!(
        berlin["holidays"][1],
        json!({"name": "New Year", "start": "2026-12-31", "end": "2027-01-01"})
    );

    // Any body from a file: open around the clock.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sun.json");
    std::fs::write(
        &file,
        r#"{"name": "Follow the sun", "time_zone": "UTC", "always_open": true,
            "holidays": [{"name": "Year end", "date": "2026-12-31"}]}"#,
    )
    .unwrap();
    let shown = cli.ok(&[
        "sla",
        "calendar",
        "create",
        "--file",
        file.to_str().unwrap(),
    ]);
    lines(
        &shown,
        &[
            &["Hours:", "always open (24×7)"],
            &["Per week:", "168 h"],
            &["Holidays:", "2026-12-31", "Year end"],
        ],
    );
    let list = cli.ok(&["sla", "calendar", "list"]);
    lines(
        &list,
        &[
            &["NAME", "TIME ZONE", "HOURS", "HOLIDAYS", "USED BY"],
            &[
                "Berlin office",
                "Europe/Berlin",
                "mon-fri 09:00-18:00; sat 10:00-14:00",
                "2",
            ],
            &["Follow the sun", "UTC", "always open (24×7)", "1"],
        ],
    );
    let listed = cli.json(&["sla", "calendar", "ls"]);
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );

    // Usage errors never reach the server; the server's refusals name the fields.
    cli.fails(&["sla", "calendar", "create", "--name", "X"], 2);
    for bad in [
        &["--hours", "mon-fri"][..],
        &["--hours", "fri-mon=09:00-17:00"],
        &["--hours", "mon=09:00-17:00", "--holiday", "christmas"],
        &["--always-open", "--hours", "mon=09:00-17:00"],
    ] {
        let mut args = vec!["sla", "calendar", "create", "--name", "X"];
        args.extend_from_slice(bad);
        cli.fails(&args, 2);
    }
    let bad = cli.fails(
        &[
            "sla",
            "calendar",
            "create",
            "--name",
            "X",
            "--zone",
            "Mars/Olympus",
            "--hours",
            "mon=18:00-09:00",
        ],
        7,
    );
    assert!(bad.err.contains("time_zone"), "{bad}");
    assert!(bad.err.contains("hours[0].end"), "{bad}");
    cli.fails(
        &[
            "sla",
            "calendar",
            "create",
            "--name",
            "berlin OFFICE",
            "--always-open",
        ],
        6,
    );

    // A policy from the options.
    let shown = cli.ok(&[
        "sla",
        "policy",
        "create",
        "--name",
        "Mail network",
        "--order",
        "5",
        "--priority",
        "P1,P2",
        "--service",
        "mail",
        "--category",
        "network",
        "--team",
        "ops",
        "--response",
        "30m",
        "--resolution",
        "4h",
        "--calendar",
        "Berlin office",
        "--pause-on",
        "awaiting_vendor",
        "--warning",
        "50,80",
        "--action",
        "80=notify_group",
        "--action",
        "100=escalate",
        "--action",
        "100=add_tag:sla-breached",
        "--on-reopen",
        "restart",
    ]);
    lines(
        &shown,
        &[
            &["Name:", "Mail network"],
            &["Order:", "5"],
            &["Priorities:", "P1, P2"],
            &["Services:", "mail"],
            &["Categories:", "network"],
            &["Teams:", "ops"],
            &["Response:", "30 min"],
            &["Resolution:", "4 h"],
            &["Calendar:", "Berlin office"],
            &["Paused on:", "awaiting_vendor"],
            &["Warnings:", "50%, 80%"],
            &["Actions:", "at 80%: notify_group"],
            &["at 100%: escalate"],
            &["at 100%: add_tag sla-breached"],
            &["On reopen:", "restart"],
        ],
    );
    let p = cli.json(&["sla", "policy", "show", "mail NETWORK"]);
    assert_eq!(p["response_seconds"], 1800);
    assert_eq!(p["resolution_minutes"], 240);
    assert_eq!(p["calendar"]["id"], berlin["id"]);
    assert_eq!(p["conditions"]["teams"][0]["name"], "ops");

    // The catch-all from a file: 24×7 and the defaults.
    let file = dir.path().join("default.json");
    std::fs::write(
        &file,
        r#"{"name": "Everything else", "order": 10, "resolution_minutes": 480}"#,
    )
    .unwrap();
    let shown = cli.ok(&["sla", "policy", "create", "--file", file.to_str().unwrap()]);
    lines(
        &shown,
        &[
            &["Priorities:", "any"],
            &["Response:", "-"],
            &["Resolution:", "8 h"],
            &["Calendar:", "24×7"],
            &["Paused on:", "awaiting_caller, awaiting_vendor"],
            &["Warnings:", "50%, 75%"],
            &["On reopen:", "continue"],
        ],
    );
    let list = cli.ok(&["sla", "policy", "list"]);
    lines(
        &list,
        &[
            &[
                "ORDER",
                "NAME",
                "PRIORITIES",
                "RESPONSE",
                "RESOLUTION",
                "CALENDAR",
            ],
            &[
                "5",
                "Mail network",
                "P1, P2",
                "30 min",
                "4 h",
                "Berlin office",
            ],
            &["10", "Everything else", "any", "-", "8 h", "24×7"],
        ],
    );
    let names: Vec<Value> = cli.json(&["sla", "policy", "list"])["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(names, [json!("Mail network"), json!("Everything else")]);
    // The calendar names who counts on it.
    let shown = cli.ok(&["sla", "calendar", "show", "Berlin office"]);
    lines(&shown, &[&["Used by:", "Mail network"]]);

    for bad in [
        &["--name", "X"][..],
        &["--name", "X", "--response", "3y"],
        &["--name", "X", "--resolution", "4h", "--action", "escalate"],
        &["--name", "X", "--file", "body.json"],
    ] {
        let mut args = vec!["sla", "policy", "create"];
        args.extend_from_slice(bad);
        cli.fails(&args, 2);
    }
    let bad = cli.fails(
        &[
            "sla",
            "policy",
            "create",
            "--name",
            "X",
            "--resolution",
            "1h",
            "--priority",
            "P9",
            "--calendar",
            "Nowhere",
            "--pause-on",
            "awaiting_godot",
        ],
        7,
    );
    for field in ["conditions.priorities[0]", "calendar", "pause_on[0]"] {
        assert!(bad.err.contains(field), "{field}: {bad}");
    }

    // A calendar in use stays, and the refusal names the policy.
    let refused = cli.fails(&["sla", "calendar", "delete", "Berlin office"], 6);
    assert!(refused.err.contains("Mail network"), "{refused}");

    // Agents read but do not write.
    cli.ok(&["user", "create", "amy", "--role", "agent"]);
    let (status, token) = call(
        reqwest::Method::POST,
        format!("{}/api/v1/users/amy/tokens", server.base),
        BOOTSTRAP,
        Some(json!({"name": "tests"})),
    )
    .await;
    assert_eq!(status, 201);
    let agent = Cli::with_token(&server, token["token"].as_str().unwrap());
    agent.ok(&["sla", "policy", "list"]);
    let denied = agent.fails(
        &[
            "sla",
            "calendar",
            "create",
            "--name",
            "Mine",
            "--always-open",
        ],
        4,
    );
    assert!(denied.err.contains("manager"), "{denied}");
    agent.fails(&["sla", "policy", "delete", "Everything else"], 4);

    // An incident's clocks, why they show what they show, and compliance.
    cli.ok(&[
        "incident",
        "create",
        "--title",
        "Mail is slow",
        "--description",
        "Since 09:10",
        "--reporter",
        "admin",
        "--impact",
        "1",
        "--urgency",
        "2",
        "--category",
        "software",
        "--service",
        "mail",
    ]);
    let clocks = cli.json(&["sla", "show", "1"]);
    assert_eq!(clocks["incident"]["number"], "INC-000001");
    let items = clocks["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{clocks}");
    assert_eq!(items[0]["kind"], "resolution");
    assert_eq!(items[0]["policy"]["name"], "Everything else");
    let table = cli.ok(&["sla", "show", "INC-000001"]);
    lines(
        &table,
        &[
            &["INC-000001: SLA clocks"],
            &[
                "KIND",
                "STATE",
                "POLICY",
                "PRIORITY",
                "TARGET",
                "REMAINING",
                "DUE",
            ],
            &["resolution", "running", "Everything else", "P2", "8 h"],
        ],
    );
    let why = cli.ok(&["sla", "why", "1"]);
    lines(
        &why,
        &[
            &["INC-000001: intervals of its SLA clocks"],
            &["CLOCK", "FROM", "TO", "TIME", "COUNTED", "REASON"],
            &["resolution", "yes"],
        ],
    );
    let report = cli.json(&["sla", "compliance", "--by", "priority"]);
    assert_eq!(report["by"], "priority");
    let table = cli.ok(&["sla", "compliance", "--by", "policy"]);
    lines(
        &table,
        &[
            &["SLA compliance", "by policy"],
            &[
                "NAME",
                "KIND",
                "CLOCKS",
                "MET",
                "BREACHED",
                "RUNNING",
                "COMPLIANCE",
            ],
            &["Everything else", "resolution", "1"],
        ],
    );
    cli.fails(&["sla", "compliance", "--by", "region"], 2);
    cli.fails(&["sla", "compliance", "--from", "yesterday"], 7);
    cli.fails(&["sla", "show", "999"], 5);

    // Deleting: the policy first, then the calendar it used.
    assert!(
        cli.ok(&["sla", "policy", "delete", "Mail network"])
            .contains("deleted SLA policy Mail network")
    );
    assert!(
        cli.ok(&["sla", "calendar", "delete", "Berlin office"])
            .contains("deleted business calendar Berlin office")
    );
    cli.fails(&["sla", "calendar", "show", "Berlin office"], 5);
    cli.fails(&["sla", "policy", "show", "Mail network"], 5);
}

#[tokio::test]
async fn sqlite_sla_commands() {
    sla(sqlite()).await;
}

#[tokio::test]
async fn postgres_sla_commands() {
    if let Some(db) = postgres().await {
        sla(db).await;
    }
}
