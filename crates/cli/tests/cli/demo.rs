//! `mayday serve --demo` and `mayday config example|check` through the real binary: the demo
//! fills an empty database (all states, all priorities, timelines, the directory), says how to
//! sign in with a token and a password that work, and never seeds twice.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{BIN, Database, Server, call, postgres, sqlite};

/// Starts `mayday serve --demo` without a bootstrap token and collects what it prints until
/// `done` holds for the lines seen (stdout keeps being drained afterwards).
fn start_demo(db: &Database, done: impl Fn(&[String]) -> bool) -> (Server, Vec<String>) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--demo")
        .args(db.args())
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("MAYDAY_BOOTSTRAP_ADMIN_TOKEN")
        .env("MAYDAY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start mayday serve --demo");
    let stdout = child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            sink.lock().unwrap().push(line);
        }
    });
    let started = Instant::now();
    loop {
        let seen = lines.lock().unwrap().clone();
        if done(&seen) {
            let base = seen[0]
                .strip_prefix("Mayday listening on ")
                .unwrap_or_else(|| panic!("the first line must say where Mayday listens: {seen:?}"))
                .to_string();
            return (Server { child, base }, seen);
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("mayday serve --demo exited with {status}; printed {seen:?}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no demo instructions after 2 minutes: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value after `label` on the line holding it.
fn after<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find_map(|l| l.split_once(label).map(|(_, rest)| rest.trim()))
        .unwrap_or_else(|| panic!("no {label:?} in {lines:?}"))
}

async fn get(server: &Server, token: &str, path: &str) -> Value {
    let (status, body) = call(
        reqwest::Method::GET,
        format!("{}{path}", server.base),
        token,
        None,
    )
    .await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

async fn total(server: &Server, token: &str, filter: &str) -> i64 {
    let page = get(
        server,
        token,
        &format!("/api/v1/incidents?include_total=true&limit=1{filter}"),
    )
    .await;
    page["total"].as_i64().unwrap_or_else(|| panic!("{page}"))
}

async fn demo_walk(db: Database) {
    let began = Instant::now();
    let (server, lines) = start_demo(&db, |l| l.iter().any(|x| x.contains("/api/v1/services")));
    eprintln!(
        "serve --demo ready in {} ms; printed:\n{}",
        began.elapsed().as_millis(),
        lines.join("\n")
    );
    assert!(
        lines.iter().any(|l| l.starts_with("Demo data: ")),
        "{lines:?}"
    );

    // The printed token works; so does the printed password (checked by changing it).
    let token = after(&lines, "API token:").to_string();
    assert!(token.starts_with("mdy_"), "{token}");
    let password = after(&lines, "password (web console):")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(password.len() >= 12, "{password}");

    let all = total(&server, &token, "").await;
    assert!(all >= 200, "only {all} demo incidents");
    let mut by_status = 0;
    for status in [
        "new",
        "acknowledged",
        "in_progress",
        "on_hold",
        "resolved",
        "closed",
        "canceled",
    ] {
        let n = total(&server, &token, &format!("&status={status}")).await;
        assert!(n > 0, "no {status} incident");
        by_status += n;
    }
    assert_eq!(by_status, all);
    let mut by_priority = 0;
    for p in ["P1", "P2", "P3", "P4", "P5"] {
        let n = total(&server, &token, &format!("&priority={p}")).await;
        assert!(n > 0, "no {p} incident");
        by_priority += n;
    }
    assert_eq!(by_priority, all);
    assert!(
        total(
            &server,
            &token,
            "&status=new,acknowledged,in_progress&priority=P1,P2"
        )
        .await
            >= 1
    );
    assert!(
        total(&server, &token, "&q=vpn").await >= 1,
        "search finds demo text"
    );

    // The major incident the instructions point at has a long timeline with both kinds of
    // comments, a state walk and a duplicate linked to it.
    let showcase = lines
        .iter()
        .find_map(|l| {
            l.split("/api/v1/incidents/")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .filter(|n| n.starts_with("INC-"))
        })
        .unwrap_or_else(|| panic!("no timeline example in {lines:?}"))
        .to_string();
    let incident = get(&server, &token, &format!("/api/v1/incidents/{showcase}")).await;
    assert_eq!(incident["major"], true, "{incident}");
    assert_eq!(incident["status"], "closed", "{incident}");
    let timeline = get(
        &server,
        &token,
        &format!("/api/v1/incidents/{showcase}/timeline"),
    )
    .await;
    let events = timeline.as_array().unwrap();
    assert!(events.len() >= 10, "{timeline}");
    let has = |kind: &str, visibility: &str| {
        events
            .iter()
            .any(|e| e["kind"] == kind && e["visibility"] == visibility)
    };
    assert!(
        has("comment", "public") && has("comment", "work_note"),
        "{timeline}"
    );
    assert!(has("linked", "public"), "{timeline}");
    let times: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    // An ordinary closed incident has a short history with a comment too.
    let closed = get(&server, &token, "/api/v1/incidents?status=closed&limit=20").await;
    let mut commented = 0;
    for item in closed["items"].as_array().unwrap() {
        let number = item["number"].as_str().unwrap();
        let t = get(
            &server,
            &token,
            &format!("/api/v1/incidents/{number}/timeline"),
        )
        .await;
        let t = t.as_array().unwrap();
        assert!(t.len() >= 4, "{number}: {t:?}");
        commented += t.iter().any(|e| e["kind"] == "comment") as usize;
    }
    assert!(
        commented >= 15,
        "only {commented} of 20 closed incidents have comments"
    );

    // The directory.
    let teams = get(&server, &token, "/api/v1/teams").await;
    assert!(teams["items"].as_array().unwrap().len() >= 6, "{teams}");
    let services = get(&server, &token, "/api/v1/services").await;
    let services = services["items"].as_array().unwrap();
    assert!(services.len() >= 12);
    for tier in 1..=3 {
        assert!(
            services.iter().any(|s| s["tier"] == tier),
            "no tier {tier} service"
        );
    }
    assert!(services.iter().all(|s| s["owner_team"].is_object()));
    let users = get(&server, &token, "/api/v1/users").await;
    let users = users["items"].as_array().unwrap();
    assert!(users.len() >= 20, "{users:?}");
    for role in ["viewer", "requester", "agent", "manager", "admin"] {
        assert!(users.iter().any(|u| u["role"] == role), "no {role}");
    }
    assert!(users.iter().any(|u| u["time_zone"] != "UTC"));

    let (status, body) = call(
        reqwest::Method::PUT,
        format!("{}/api/v1/users/admin/password", server.base),
        &token,
        Some(json!({"password": "a brand new passphrase", "current_password": "not it at all"})),
    )
    .await;
    assert_eq!(status, 422, "a wrong current password is refused: {body}");
    let (status, body) = call(
        reqwest::Method::PUT,
        format!("{}/api/v1/users/admin/password", server.base),
        &token,
        Some(json!({"password": "a brand new passphrase", "current_password": password})),
    )
    .await;
    assert!(
        status == 204 || status == 200,
        "the printed password works: {status} {body}"
    );
    drop(server);

    // A second start with --demo adds nothing.
    let (server, lines) = start_demo(&db, |l| l.iter().any(|x| x.starts_with("Demo:")));
    assert!(lines.iter().any(|l| l.contains("not empty")), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("password")), "{lines:?}");
    assert_eq!(total(&server, &token, "").await, all);
    let users_again = get(&server, &token, "/api/v1/users").await;
    assert_eq!(users_again["items"].as_array().unwrap().len(), users.len());
    let teams_again = get(&server, &token, "/api/v1/teams").await;
    assert_eq!(teams_again["items"], teams["items"]);
}

#[tokio::test]
async fn sqlite_serve_demo() {
    demo_walk(sqlite()).await;
}

#[tokio::test]
async fn postgres_serve_demo() {
    if let Some(db) = postgres().await {
        demo_walk(db).await;
    }
}

fn mayday(args: &[&str], file: Option<&Path>) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("MAYDAY_CONFIG");
    if let Some(f) = file {
        cmd.arg(f);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_example_passes_config_check() {
    let dir = tempfile::tempdir().unwrap();
    let (code, example, err) = mayday(&["config", "example"], None);
    assert_eq!(code, 0, "{err}");
    for key in [
        "listen =",
        "data_dir =",
        "database_url =",
        "log_format =",
        "[priority]",
        "matrix =",
        "[rate_limit]",
        "per_second =",
        "burst =",
    ] {
        assert!(
            example.contains(key),
            "{key} missing from the example:\n{example}"
        );
    }
    assert!(example.lines().filter(|l| l.starts_with('#')).count() >= 10);
    let path = dir.path().join("mayday.toml");
    std::fs::write(&path, &example).unwrap();
    let (code, out, err) = mayday(&["config", "check"], Some(&path));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.trim_end().ends_with("ok"), "{out}");
    let (code, out, err) = mayday(&["config", "check", "--config"], Some(&path));
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn config_check_names_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "listen = \"localhost\"\nlisten_port = 8080\nlog_format = 7\n\
         [priority]\nmatrix = [[1, 2, 3], [2, 9, 4], [3, \"four\", 5]]\n\
         [rate_limit]\nper_second = -5\nburst = 0.5\n",
    )
    .unwrap();
    let (code, out, err) = mayday(&["config", "check"], Some(&path));
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("ok"), "{out}");
    for needle in [
        "listen: ",
        "listen_port: unknown key",
        "log_format: invalid type",
        "priority.matrix[1][1]",
        "priority.matrix[2][1]",
        "rate_limit.per_second",
        "rate_limit.burst",
        "7 problems",
    ] {
        assert!(err.contains(needle), "{needle:?} missing:\n{err}");
    }

    std::fs::write(&path, "listen = \"127.0.0.1:8080\"\n[priority\n").unwrap();
    let (code, _, err) = mayday(&["config", "check"], Some(&path));
    assert_eq!(code, 1);
    assert!(err.contains("line 2"), "{err}");

    let (code, _, err) = mayday(&["config", "check"], Some(&dir.path().join("missing.toml")));
    assert_eq!(code, 1);
    assert!(err.contains("cannot read"), "{err}");
}
