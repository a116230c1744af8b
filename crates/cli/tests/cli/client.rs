//! The client commands through the real binary against a real server: the acceptance walk of
//! an incident's life with the CLI alone, the directory, JSON output, and the exit codes.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::{BIN, BOOTSTRAP, Database, Server, postgres, sqlite};

/// What one `mayday` run gave.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) out: String,
    pub(crate) err: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.out, self.err
        )
    }
}

/// Runs `mayday` with `MAYDAY_SERVER` and `MAYDAY_TOKEN` set, stdin not a terminal.
pub(crate) struct Cli {
    server: String,
    token: String,
}

impl Cli {
    /// As the bootstrap admin.
    pub(crate) fn new(server: &Server) -> Self {
        Self::with_token(server, BOOTSTRAP)
    }

    pub(crate) fn with_token(server: &Server, token: &str) -> Self {
        Self {
            server: server.base.clone(),
            token: token.into(),
        }
    }

    pub(crate) fn run_with(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut child = Command::new(BIN)
            .args(args)
            .env("MAYDAY_SERVER", &self.server)
            .env("MAYDAY_TOKEN", &self.token)
            .env_remove("NO_COLOR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run mayday");
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&out.stdout).into_owned(),
            err: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None)
    }

    /// Runs and insists on success; the table output.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "mayday {args:?}\n{r}");
        assert!(
            !r.out.contains('\x1b'),
            "no colour when stdout is not a terminal: {r}"
        );
        r.out
    }

    /// Runs with `--output json` and parses what it printed.
    pub(crate) fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        let r = self.run(&all);
        assert_eq!(r.code, 0, "mayday {all:?}\n{r}");
        serde_json::from_str(&r.out).unwrap_or_else(|e| panic!("not JSON ({e}): {r}"))
    }

    /// Runs and insists on failing with `code`; the run.
    pub(crate) fn fails(&self, args: &[&str], code: i32) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, code, "mayday {args:?}\n{r}");
        r
    }
}

const FROM_NEW: &str = "acknowledged, in_progress, on_hold, resolved, canceled";

fn lifecycle(db: Database) {
    let server = Server::start(&db);
    let cli = Cli::new(&server);
    cli.ok(&["team", "create", "messaging", "--description", "Mail"]);
    cli.ok(&[
        "service",
        "create",
        "mail",
        "--owner-team",
        "messaging",
        "--tier",
        "1",
    ]);

    let inc = cli.json(&[
        "incident",
        "create",
        "--title",
        "Mail server down",
        "--description",
        "Nobody can send mail since 09:10",
        "--reporter",
        "admin",
        "--impact",
        "1",
        "--urgency",
        "2",
        "--category",
        "software",
        "--subcategory",
        "application",
        "--service",
        "mail",
        "--group",
        "messaging",
        "--tag",
        "email,smtp",
    ]);
    assert_eq!(inc["number"], "INC-000001", "{inc}");
    assert_eq!(inc["status"], "new");
    assert_eq!(inc["priority"], "P2");
    assert_eq!(inc["service"]["name"], "mail");
    assert_eq!(inc["tags"], serde_json::json!(["email", "smtp"]));

    // The detail view, found by a plain number.
    let shown = cli.ok(&["incident", "show", "1"]);
    assert!(shown.starts_with("INC-000001  Mail server down"), "{shown}");
    assert!(shown.contains("Nobody can send mail"), "{shown}");
    assert!(shown.contains("Next:"), "{shown}");

    // A refused move exits 6, says which moves are allowed, and changes nothing.
    let refused = cli.fails(&["incident", "transition", "INC-1", "closed"], 6);
    assert!(
        refused
            .err
            .contains(&format!("allowed transitions: {FROM_NEW}")),
        "{refused}"
    );
    assert_eq!(cli.json(&["incident", "show", "INC-1"])["version"], 1);

    // The acceptance walk, through the CLI alone.
    let walk: Vec<(Vec<&str>, &str)> = vec![
        (vec!["ack", "INC-1"], "acknowledged"),
        (vec!["transition", "INC-1", "in_progress"], "in_progress"),
        (
            vec![
                "transition",
                "INC-000001",
                "on_hold",
                "--reason",
                "awaiting_vendor",
            ],
            "on_hold",
        ),
        (vec!["transition", "1", "in-progress"], "in_progress"),
        (
            vec![
                "resolve",
                "INC-1",
                "--code",
                "solution_provided",
                "--notes",
                "Vendor patched the MTA.",
            ],
            "resolved",
        ),
        (
            vec!["reopen", "INC-1", "--reason", "still failing for sales"],
            "in_progress",
        ),
        (
            vec![
                "transition",
                "INC-1",
                "resolved",
                "--code",
                "workaround_provided",
                "--notes",
                "Relay through the backup MTA.",
            ],
            "resolved",
        ),
        (vec!["close", "INC-1"], "closed"),
    ];
    let mut version = 1;
    for (i, (args, status)) in walk.iter().enumerate() {
        let mut full = vec!["incident"];
        full.extend(args);
        let moved = cli.json(&full);
        version += 1;
        assert_eq!(moved["status"], *status, "after {args:?}: {moved}");
        assert_eq!(moved["version"], version, "after {args:?}");
        match i {
            2 => assert_eq!(moved["hold_reason"], "awaiting_vendor"),
            4 => assert_eq!(moved["resolution_code"], "solution_provided"),
            5 => assert_eq!(moved["reopen_count"], 1),
            _ => {}
        }
        if i == 1 {
            // Mid-walk: change fields (the CLI reads the ETag, then patches with If-Match).
            let changed = cli.json(&[
                "incident",
                "update",
                "INC-1",
                "--priority",
                "P1",
                "--reason",
                "the CEO cannot send mail",
                "--assignee",
                "me",
                "--urgency",
                "1",
            ]);
            version += 1;
            assert_eq!(changed["version"], version);
            assert_eq!(changed["priority"], "P1");
            assert_eq!(changed["assignee"]["name"], "admin");
            assert_eq!(
                changed["priority_override"]["reason"],
                "the CEO cannot send mail"
            );
            // A stale version is refused with 6.
            let stale = cli.fails(
                &[
                    "incident",
                    "update",
                    "INC-1",
                    "--title",
                    "x",
                    "--if-match",
                    "1",
                ],
                6,
            );
            assert!(stale.err.contains("version"), "{stale}");
            cli.ok(&["incident", "comment", "INC-1", "Vendor ticket 4711 opened"]);
            let public = cli.run_with(
                &["incident", "comment", "INC-1", "--public", "-"],
                Some("We are working on it.\nNext update at 11:00.\n"),
            );
            assert_eq!(public.code, 0, "{public}");
            assert!(public.out.contains("public update added"), "{public}");
            version += 2;
        }
    }
    let closed = cli.ok(&["incident", "show", "INC-1"]);
    assert!(closed.contains("none (final)"), "{closed}");
    assert!(closed.contains("workaround_provided"), "{closed}");

    // The timeline: one line per event, oldest first, work notes marked.
    let timeline = cli.ok(&["incident", "timeline", "INC-1"]);
    assert!(
        timeline.lines().next().unwrap().contains("created"),
        "{timeline}"
    );
    assert!(
        timeline.contains("status: new → acknowledged"),
        "{timeline}"
    );
    assert!(
        timeline.contains("hold_reason: - → awaiting_vendor"),
        "{timeline}"
    );
    assert!(timeline.contains("status: resolved → closed"), "{timeline}");
    assert!(timeline.contains("still failing for sales"), "{timeline}");
    let note = timeline
        .lines()
        .position(|l| l.contains("[work note]"))
        .expect("a work note");
    assert!(
        timeline
            .lines()
            .nth(note + 1)
            .unwrap()
            .contains("Vendor ticket 4711"),
        "{timeline}"
    );
    assert!(timeline.contains("Next update at 11:00."), "{timeline}");
    let events = cli.json(&["incident", "timeline", "INC-1"]);
    // created, 8 moves, 1 update, 2 comments
    assert_eq!(events.as_array().map(Vec::len), Some(12), "{events}");

    // Listing: filters, search, and JSON exactly as the API sends it.
    let page = cli.json(&["incident", "list", "--status", "closed", "--priority", "p1"]);
    assert_eq!(page["items"][0]["number"], "INC-000001", "{page}");
    assert!(page["next_cursor"].is_null());
    let found = cli.ok(&["incident", "list", "--q", "mail", "--service", "mail"]);
    assert!(found.starts_with("NUMBER"), "{found}");
    assert!(
        found.contains("INC-000001") && found.contains("closed"),
        "{found}"
    );
    let none = cli.run(&["incident", "list", "--open"]);
    assert_eq!(none.code, 0, "{none}");
    assert!(none.err.contains("no incidents"), "{none}");

    // A closed incident comes back as a follow-up.
    let follow = cli.json(&["incident", "follow-up", "1", "--reason", "broke again"]);
    assert_eq!(follow["number"], "INC-000002", "{follow}");
    assert_eq!(follow["follow_up_of"]["number"], "INC-000001");
    let all = cli.json(&[
        "incident", "list", "--all", "--limit", "1", "--sort", "number",
    ]);
    let numbers: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["INC-000001", "INC-000002"], "{all}");
}

fn directory(db: Database) {
    let server = Server::start(&db);
    let cli = Cli::new(&server);
    let amy = cli.json(&[
        "user",
        "create",
        "amy",
        "--role",
        "agent",
        "--display-name",
        "Amy Pond",
        "--email",
        "amy@example.com",
    ]);
    assert_eq!(amy["username"], "amy");
    assert_eq!(amy["role"], "agent");
    let users = cli.ok(&["user", "list"]);
    assert!(users.starts_with("USERNAME"), "{users}");
    assert!(
        users
            .lines()
            .any(|l| l.starts_with("amy ") && l.contains("Amy Pond") && l.contains("agent")),
        "{users}"
    );
    let me = cli.ok(&["user", "show", "me"]);
    assert!(me.contains("admin"), "{me}");
    let updated = cli.json(&["user", "update", "amy", "--display-name", "Amy P."]);
    assert_eq!(updated["display_name"], "Amy P.");

    let team = cli.json(&["team", "create", "Service Desk", "--member", "amy,admin"]);
    assert_eq!(team["members"].as_array().map(Vec::len), Some(2), "{team}");
    let teams = cli.ok(&["team", "list"]);
    assert!(
        teams
            .lines()
            .any(|l| l.starts_with("Service Desk") && l.contains("amy")),
        "{teams}"
    );
    // Names with spaces go into the path encoded.
    let shown = cli.ok(&["team", "show", "Service Desk"]);
    assert!(shown.contains("amy, admin"), "{shown}");
    let changed = cli.json(&["team", "update", "Service Desk", "--member", "amy"]);
    assert_eq!(changed["members"].as_array().map(Vec::len), Some(1));

    let svc = cli.json(&[
        "service",
        "create",
        "payroll",
        "--owner-team",
        "Service Desk",
        "--tier",
        "2",
        "--description",
        "Monthly payroll runs",
    ]);
    assert_eq!(svc["owner_team"]["name"], "Service Desk");
    let services = cli.ok(&["service", "list"]);
    assert!(
        services
            .lines()
            .any(|l| l.starts_with("payroll") && l.contains("Service Desk")),
        "{services}"
    );
    let listed = cli.json(&["service", "list"]);
    assert_eq!(listed["items"][0]["name"], "payroll");
    let dup = cli.fails(&["service", "create", "payroll"], 6);
    assert!(dup.err.contains("already exists"), "{dup}");
    let moved = cli.json(&[
        "service",
        "update",
        "payroll",
        "--clear-owner-team",
        "--tier",
        "1",
    ]);
    assert!(moved["owner_team"].is_null(), "{moved}");
    assert_eq!(moved["tier"], 1);
    assert!(
        cli.ok(&["service", "delete", "payroll"])
            .contains("deleted")
    );
    cli.fails(&["service", "show", "payroll"], 5);
    cli.ok(&["team", "delete", "Service Desk"]);
    cli.fails(&["team", "show", "Service Desk"], 5);
}

fn exit_codes(db: Database) {
    let server = Server::start(&db);
    let cli = Cli::new(&server);

    // Not a terminal: no prompting; the server's message names every missing field.
    let missing = cli.fails(&["incident", "create", "--title", "Printer on fire"], 7);
    for field in ["description", "reporter", "impact", "urgency", "category"] {
        assert!(
            missing.err.contains(&format!("  {field}: is required")),
            "{field} must be named: {missing}"
        );
    }
    assert!(!missing.err.contains("title:"), "{missing}");
    let invalid = cli.fails(
        &[
            "incident",
            "create",
            "--title",
            "t",
            "--description",
            "d",
            "--reporter",
            "admin",
            "--impact",
            "7",
            "--urgency",
            "1",
            "--category",
            "nope",
        ],
        7,
    );
    assert!(invalid.err.contains("impact:"), "{invalid}");
    assert!(invalid.err.contains("unknown category"), "{invalid}");

    // Unknown incident: 5.
    let unknown = cli.fails(&["incident", "show", "INC-424242"], 5);
    assert!(unknown.err.contains("no incident"), "{unknown}");
    cli.fails(&["incident", "timeline", "31337"], 5);

    // Bad or missing token: 4, and the token is never printed.
    let bad = Cli {
        token: "mdy_definitely_not_a_token".into(),
        ..Cli::new(&server)
    };
    let denied = bad.fails(&["incident", "list"], 4);
    assert!(!denied.err.contains("mdy_definitely"), "{denied}");
    assert!(denied.err.contains("MAYDAY_TOKEN"), "{denied}");
    let anonymous = Cli {
        token: String::new(),
        ..Cli::new(&server)
    };
    anonymous.fails(&["service", "list"], 4);

    // Final states allow nothing: 6 with that said.
    cli.ok(&[
        "incident",
        "create",
        "--title",
        "Wrong queue",
        "--description",
        "d",
        "--reporter",
        "admin",
        "--impact",
        "3",
        "--urgency",
        "3",
        "--category",
        "inquiry",
    ]);
    cli.ok(&["incident", "cancel", "1", "--reason", "not_an_incident"]);
    let fin = cli.fails(&["incident", "ack", "1"], 6);
    assert!(fin.err.contains("allowed transitions: none"), "{fin}");

    // Usage errors are clap's 2, and so is an update that changes nothing.
    cli.fails(&["incident", "transition", "1"], 2);
    cli.fails(&["incident", "update", "1"], 2);
    cli.fails(&["incident", "list", "--output", "yaml"], 2);
}

#[tokio::test]
async fn sqlite_client_lifecycle() {
    lifecycle(sqlite());
}

#[tokio::test]
async fn postgres_client_lifecycle() {
    if let Some(db) = postgres().await {
        lifecycle(db);
    }
}

#[tokio::test]
async fn sqlite_client_directory() {
    directory(sqlite());
}

#[tokio::test]
async fn postgres_client_directory() {
    if let Some(db) = postgres().await {
        directory(db);
    }
}

#[tokio::test]
async fn sqlite_client_exit_codes() {
    exit_codes(sqlite());
}

#[tokio::test]
async fn postgres_client_exit_codes() {
    if let Some(db) = postgres().await {
        exit_codes(db);
    }
}

#[test]
fn client_cannot_connect_exits_3() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cli = Cli {
        server: format!("http://127.0.0.1:{port}"),
        token: BOOTSTRAP.into(),
    };
    let down = cli.fails(&["incident", "list"], 3);
    assert!(down.err.contains("cannot connect"), "{down}");
    assert!(!down.err.contains(BOOTSTRAP), "{down}");
    let flag = cli.fails(
        &[
            "service",
            "list",
            "--server",
            &format!("http://127.0.0.1:{port}/"),
        ],
        3,
    );
    assert!(flag.err.contains(&port.to_string()), "{flag}");
    // Not a URL at all: a usage error.
    cli.fails(&["incident", "list", "--server", "localhost:8080"], 2);
}

#[test]
fn client_rate_limited_exits_8() {
    let db = sqlite();
    let Database::Sqlite(dir) = &db else {
        unreachable!()
    };
    let config = dir.path().join("mayday.toml");
    std::fs::write(&config, "[rate_limit]\nper_second = 0.1\nburst = 3\n").unwrap();
    let server = Server::start_with(&db, &["--config", config.to_str().unwrap()]);
    let cli = Cli::new(&server);
    for _ in 0..3 {
        cli.ok(&["service", "list"]);
    }
    let limited = cli.fails(&["service", "list"], 8);
    assert!(limited.err.contains("retry after"), "{limited}");
}

#[test]
fn https_needs_a_tls_build() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cli = Cli {
        server: format!("https://127.0.0.1:{port}"),
        token: BOOTSTRAP.into(),
    };
    if cfg!(feature = "tls") {
        // The TLS stack is there: the failure is the closed port.
        let r = cli.fails(&["incident", "list"], 3);
        assert!(r.err.contains("cannot connect"), "{r}");
    } else {
        let r = cli.fails(&["incident", "list"], 2);
        assert!(r.err.contains("--features tls"), "{r}");
    }
}

#[test]
fn completions_print_a_script() {
    let cli = Cli {
        server: String::new(),
        token: String::new(),
    };
    let bash = cli.ok(&["completions", "bash"]);
    assert!(
        bash.contains("complete") && bash.contains("mayday"),
        "{bash}"
    );
    assert!(bash.contains("incident"), "{bash}");
    for shell in ["zsh", "fish"] {
        assert!(cli.ok(&["completions", shell]).contains("incident"));
    }
    cli.fails(&["completions", "tcsh"], 2);
}
