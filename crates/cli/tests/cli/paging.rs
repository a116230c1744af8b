//! Paging by email through a real SMTP server (Python's `aiosmtpd`, run by the Python that
//! `MAYDAY_TEST_PYTHON` names; `.ci/run` installs it): a two-level policy with a delay of a few
//! seconds pages level 1 by email, then level 2 when nobody acknowledges; acknowledging
//! through the link in the email (its page, then its POST) stops level 2; and a server killed
//! with SIGKILL between level 1 and level 2 pages level 2 exactly once after its restart.
//! Runs on SQLite, and on PostgreSQL when `MAYDAY_TEST_DATABASE_URL` is set.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::client::Cli;
use super::{BOOTSTRAP, Database, Server, call, http_client, postgres, sqlite};

/// Receives mail and writes each message, decoded, as a JSON file into the output directory.
const SMTP_SERVER: &str = r#"
import email, email.policy, json, os, sys, time
from aiosmtpd.controller import Controller

port, out = int(sys.argv[1]), sys.argv[2]

class Keep:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        record = {
            "rcpt": envelope.rcpt_tos,
            "from": envelope.mail_from,
            "subject": str(msg["Subject"]),
            "message_id": str(msg["Message-ID"]),
            "body": msg.get_body(preferencelist=("plain",)).get_content(),
        }
        name = os.path.join(out, "%d.json" % time.time_ns())
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 Message accepted"

controller = Controller(Keep(), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"#;

/// A running aiosmtpd; killed on drop.
pub(super) struct Smtp {
    child: Child,
    port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Smtp {
    pub(super) fn start(python: &str) -> Smtp {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("smtp.py");
        std::fs::write(&script, SMTP_SERVER).unwrap();
        let out = dir.path().join("mail");
        std::fs::create_dir(&out).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(python)
            .arg(&script)
            .arg(port.to_string())
            .arg(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the aiosmtpd server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "ready",
            "aiosmtpd did not start (is it installed?)"
        );
        Smtp {
            child,
            port,
            out,
            _dir: dir,
        }
    }

    pub(super) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, oldest first.
    fn mail(&self) -> Vec<Value> {
        read_mail(&self.out)
    }
}

fn read_mail(dir: &Path) -> Vec<Value> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python with aiosmtpd; `None` (skipped) outside CI when unset.
pub(super) fn python() -> Option<String> {
    match std::env::var("MAYDAY_TEST_PYTHON") {
        Ok(p) if !p.trim().is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must set MAYDAY_TEST_PYTHON to a Python with aiosmtpd installed"
            );
            eprintln!("MAYDAY_TEST_PYTHON unset: the SMTP paging test not run");
            None
        }
    }
}

pub(super) async fn api(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let (status, v) = call(
        method.clone(),
        format!("{}{path}", server.base),
        BOOTSTRAP,
        body,
    )
    .await;
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {v}"
    );
    v
}

/// Messages to `address` whose subject holds `number`.
pub(super) fn mail_for(smtp: &Smtp, address: &str, number: &str) -> Vec<Value> {
    smtp.mail()
        .into_iter()
        .filter(|m| {
            m["rcpt"].as_array().unwrap().iter().any(|r| r == address)
                && m["subject"].as_str().unwrap_or("").contains(number)
        })
        .collect()
}

pub(super) async fn wait_mail(
    smtp: &Smtp,
    address: &str,
    number: &str,
    n: usize,
    seconds: u64,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let got = mail_for(smtp, address, number);
        if got.len() >= n {
            return got;
        }
        assert!(
            started.elapsed() < Duration::from_secs(seconds),
            "waited {seconds} s for {n} mail(s) to {address} about {number}; all mail: {:?}",
            smtp.mail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// People, a two-level policy (level 1 waits `delay` seconds) and a service using it.
async fn organize(server: &Server, delay: u32) {
    for name in ["alice", "bob"] {
        api(
            server,
            reqwest::Method::POST,
            "/api/v1/users",
            Some(
                json!({"username": name, "email": format!("{name}@example.com"), "role": "agent"}),
            ),
        )
        .await;
    }
    // alice is paged at a contact method of her own; bob at his account's address.
    api(
        server,
        reqwest::Method::POST,
        "/api/v1/users/alice/contact-methods",
        Some(json!({"kind": "email", "address": "alice.pager@example.com"})),
    )
    .await;
    api(
        server,
        reqwest::Method::POST,
        "/api/v1/escalation-policies",
        Some(json!({"name": "web", "repeat": 0, "levels": [
            {"targets": [{"kind": "user", "id": "alice"}], "delay_seconds": delay},
            {"targets": [{"kind": "user", "id": "bob"}], "delay_minutes": 30},
        ]})),
    )
    .await;
    api(
        server,
        reqwest::Method::POST,
        "/api/v1/services",
        Some(json!({"name": "web", "tier": 1, "escalation_policy": "web"})),
    )
    .await;
}

async fn open(server: &Server, title: &str) -> String {
    let inc = api(
        server,
        reqwest::Method::POST,
        "/api/v1/incidents",
        Some(
            json!({"title": title, "description": "from the paging test", "reporter": "admin",
                    "impact": 1, "urgency": 1, "category": "software", "service": "web"}),
        ),
    )
    .await;
    inc["number"].as_str().unwrap().to_string()
}

/// How many different messages (by Message-ID) these are.
pub(super) fn identities(mail: &[Value]) -> usize {
    let mut ids: Vec<&str> = mail
        .iter()
        .filter_map(|m| m["message_id"].as_str())
        .collect();
    ids.sort();
    ids.dedup();
    ids.len()
}

/// The URL after "Acknowledge: " in a mail body.
fn ack_link(mail: &Value) -> String {
    let body = mail["body"].as_str().unwrap();
    body.lines()
        .find_map(|l| l.trim().strip_prefix("Acknowledge: "))
        .unwrap_or_else(|| panic!("no acknowledge link in {body}"))
        .trim()
        .to_string()
}

async fn email_escalation(db: Database, python: &str) {
    let smtp = Smtp::start(python);
    let url = smtp.url();
    let server = Server::start_with(
        &db,
        &["--smtp-url", &url, "--smtp-from", "pager@example.com"],
    );
    organize(&server, 3).await;

    // Nobody acknowledges: level 1 by email, level 2 after the delay.
    let unanswered = open(&server, "Checkout is down").await;
    let first = wait_mail(&smtp, "alice.pager@example.com", &unanswered, 1, 20).await;
    let started = Instant::now();
    assert_eq!(first[0]["from"], "pager@example.com");
    let second = wait_mail(&smtp, "bob@example.com", &unanswered, 1, 20).await;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "level 2 came before the level's delay"
    );
    assert_ne!(first[0]["message_id"], second[0]["message_id"]);
    assert!(second[0]["subject"].as_str().unwrap().contains(&unanswered));

    // Acknowledged through the email's link: its page, then its POST; level 2 never comes.
    let answered = open(&server, "Search is slow").await;
    let mail = wait_mail(&smtp, "alice.pager@example.com", &answered, 1, 20).await;
    let link = ack_link(&mail[0]);
    assert!(link.starts_with(&server.base), "{link} vs {}", server.base);
    let client = http_client();
    let page = client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Acknowledge"), "{html}");
    let still = api(
        &server,
        reqwest::Method::GET,
        &format!("/api/v1/incidents/{answered}"),
        None,
    )
    .await;
    assert_eq!(still["status"], "new", "opening the link must not act");
    let posted = client
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("confirm=yes")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let acked = api(
        &server,
        reqwest::Method::GET,
        &format!("/api/v1/incidents/{answered}"),
        None,
    )
    .await;
    assert_eq!(acked["status"], "acknowledged");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        mail_for(&smtp, "bob@example.com", &answered).is_empty(),
        "level 2 was paged after the acknowledgement"
    );

    // Killed between level 1 and level 2; after the restart level 2 fires once.
    let restarted = open(&server, "Payments are failing").await;
    wait_mail(&smtp, "alice.pager@example.com", &restarted, 1, 20).await;
    server.kill();
    let server = Server::start_with(
        &db,
        &["--smtp-url", &url, "--smtp-from", "pager@example.com"],
    );
    let level2 = wait_mail(&smtp, "bob@example.com", &restarted, 1, 30).await;
    assert!(
        level2[0]["body"]
            .as_str()
            .unwrap()
            .contains("Payments are failing")
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    // A message cut off by the kill may be sent again (at least once), but always as the same
    // message: one identity per page.
    assert_eq!(
        identities(&mail_for(&smtp, "bob@example.com", &restarted)),
        1,
        "level 2 must fire exactly once"
    );
    assert_eq!(
        identities(&mail_for(&smtp, "alice.pager@example.com", &restarted)),
        1,
        "level 1 must not be paged again"
    );
    let timeline = api(
        &server,
        reqwest::Method::GET,
        &format!("/api/v1/incidents/{restarted}/timeline"),
        None,
    )
    .await;
    let steps = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "escalation")
        .count();
    assert_eq!(steps, 2, "{timeline}");

    // The command line shows the pages, and escalates by hand.
    let cli = Cli::new(&server);
    let pages = cli.ok(&["incident", "pages", &restarted]);
    assert!(pages.contains("escalation level 2"), "{pages}");
    assert!(
        pages
            .lines()
            .any(|l| l.contains("bob@example.com") && l.contains("sent")),
        "{pages}"
    );
    let escalated = cli.ok(&["incident", "escalate", &answered, "--level", "2"]);
    assert!(escalated.contains(&answered), "{escalated}");
    let by_hand = wait_mail(&smtp, "bob@example.com", &answered, 1, 20).await;
    assert!(
        by_hand[0]["subject"]
            .as_str()
            .unwrap()
            .contains("escalated"),
        "{by_hand:?}"
    );
}

#[tokio::test]
async fn sqlite_email_escalation() {
    if let Some(python) = python() {
        email_escalation(sqlite(), &python).await;
    }
}

#[tokio::test]
async fn postgres_email_escalation() {
    if let Some(python) = python()
        && let Some(db) = postgres().await
    {
        email_escalation(db, &python).await;
    }
}
