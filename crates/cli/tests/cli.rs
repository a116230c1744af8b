//! End-to-end tests of the `mayday` binary: durability across SIGKILL, the admin commands,
//! configuration errors, and the client commands (`client`). Each runs on SQLite, and on
//! PostgreSQL when `MAYDAY_TEST_DATABASE_URL` names a server (CI always does; there a missing URL
//! fails instead of skipping).

#[path = "cli/client.rs"]
mod client;
#[path = "cli/demo.rs"]
mod demo;
#[path = "cli/intake_durability.rs"]
mod intake_durability;
#[path = "cli/integrations.rs"]
mod integrations;
#[path = "cli/oncall.rs"]
mod oncall;
#[path = "cli/paging.rs"]
mod paging;
#[path = "cli/peers.rs"]
mod peers;
#[path = "cli/sla.rs"]
mod sla;
#[path = "cli/sla_clocks.rs"]
mod sla_clocks;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_mayday");
const BOOTSTRAP: &str = "bootstrap-token-for-tests-0123456789";

/// Where a test's data lives; dropping it removes the data.
enum Database {
    Sqlite(tempfile::TempDir),
    Postgres {
        base: String,
        name: String,
        url: String,
    },
}

impl Database {
    fn args(&self) -> Vec<String> {
        match self {
            Database::Sqlite(dir) => vec!["--data-dir".into(), dir.path().display().to_string()],
            Database::Postgres { url, .. } => vec!["--database-url".into(), url.clone()],
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Database::Postgres { base, name, .. } = self {
            let (base, name) = (base.clone(), name.clone());
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&base).await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                    }
                });
            })
            .join()
            .ok();
        }
    }
}

fn sqlite() -> Database {
    Database::Sqlite(tempfile::tempdir().unwrap())
}

/// A fresh PostgreSQL database, or `None` when no server is configured (outside CI).
async fn postgres() -> Option<Database> {
    let Ok(base) = std::env::var("MAYDAY_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set MAYDAY_TEST_DATABASE_URL so the PostgreSQL tests run"
        );
        eprintln!("MAYDAY_TEST_DATABASE_URL unset: PostgreSQL variant not run");
        return None;
    };
    use sqlx::Connection;
    let name = format!("mayday_cli_{}", uuid::Uuid::now_v7().simple());
    let mut c = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to MAYDAY_TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').expect("URL with a database path");
    let url = format!("{prefix}/{name}");
    Some(Database::Postgres { base, name, url })
}

/// A running `mayday serve`; killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(db: &Database) -> Server {
        Self::start_with(db, &[])
    }

    fn start_with(db: &Database, extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(db.args())
            .args(extra)
            .args(["--listen", "127.0.0.1:0"])
            .env("MAYDAY_BOOTSTRAP_ADMIN_TOKEN", BOOTSTRAP)
            .env("MAYDAY_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start mayday serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("Mayday listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, base }
    }

    /// SIGKILL: no chance to flush or shut down cleanly.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain reqwest client. With `--features tls` reqwest needs the crypto provider installed
/// first, as the binary does.
fn http_client() -> reqwest::Client {
    #[cfg(feature = "tls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn call(
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let client = http_client();
    let mut req = client.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn survives_sigkill(db: Database) {
    let server = Server::start(&db);
    let (status, created) = call(
        reqwest::Method::POST,
        format!("{}/api/v1/incidents", server.base),
        BOOTSTRAP,
        Some(
            json!({"title": "Disk full on db-1", "description": "writes fail", "reporter": "admin",
                    "impact": 1, "urgency": 2, "category": "database"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let number = created["number"].as_str().unwrap().to_string();
    let (status, moved) = call(
        reqwest::Method::POST,
        format!("{}/api/v1/incidents/{number}/transitions", server.base),
        BOOTSTRAP,
        Some(json!({"to": "acknowledged"})),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    // Killed right after the 2xx: the write must already be on disk.
    server.kill();

    let server = Server::start(&db);
    let (status, got) = call(
        reqwest::Method::GET,
        format!("{}/api/v1/incidents/{number}", server.base),
        BOOTSTRAP,
        None,
    )
    .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["status"], "acknowledged");
    assert_eq!(got["version"], 2);
    let (_, timeline) = call(
        reqwest::Method::GET,
        format!("{}/api/v1/incidents/{number}/timeline", server.base),
        BOOTSTRAP,
        None,
    )
    .await;
    assert_eq!(timeline.as_array().map(Vec::len), Some(2), "{timeline}");
}

fn admin(db: &Database, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .arg("admin")
        .args(args)
        .args(db.args())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn admin_commands(db: Database) {
    let (ok, _, err) = admin(
        &db,
        &["create-user", "--username", "oncall.amy", "--role", "agent"],
        None,
    );
    assert!(ok, "{err}");
    let (ok, _, err) = admin(
        &db,
        &["create-user", "--username", "oncall.amy", "--role", "agent"],
        None,
    );
    assert!(
        !ok && err.contains("already exists"),
        "duplicate user must fail clearly: {err}"
    );
    let (ok, _, err) = admin(
        &db,
        &["create-user", "--username", "x", "--role", "boss"],
        None,
    );
    assert!(!ok && err.contains("role must be one of"), "{err}");
    let (ok, token, err) = admin(&db, &["create-token", "--username", "oncall.amy"], None);
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    assert!(token.starts_with("mdy_") && token.len() > 40, "{token}");
    let (ok, _, err) = admin(&db, &["create-token", "--username", "nobody"], None);
    assert!(!ok && err.contains("no user"), "{err}");
    let (ok, _, err) = admin(
        &db,
        &["set-password", "--username", "oncall.amy"],
        Some("short\n"),
    );
    assert!(!ok && err.contains("at least 12"), "{err}");
    let (ok, _, err) = admin(
        &db,
        &["set-password", "oncall.amy"],
        Some("a long enough passphrase\n"),
    );
    assert!(ok, "{err}");

    // The printed token authenticates against a server on the same database.
    let server = Server::start(&db);
    let (status, me) = call(
        reqwest::Method::GET,
        format!("{}/api/v1/incidents", server.base),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{me}");
    let (status, _) = call(
        reqwest::Method::GET,
        format!("{}/api/v1/incidents", server.base),
        "mdy_not_a_real_token",
        None,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn sqlite_survives_sigkill() {
    survives_sigkill(sqlite()).await;
}

#[tokio::test]
async fn postgres_survives_sigkill() {
    if let Some(db) = postgres().await {
        survives_sigkill(db).await;
    }
}

#[tokio::test]
async fn sqlite_admin_commands() {
    admin_commands(sqlite()).await;
}

#[tokio::test]
async fn postgres_admin_commands() {
    if let Some(db) = postgres().await {
        admin_commands(db).await;
    }
}

#[test]
fn bad_configuration_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("mayday.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:0\"\nlisten_port = 3\n[priority]\nmatrix = [[1,2,3],[2,3,4],[3,4,9]]\n").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&path)
        .args(["--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("listen_port"),
        "unknown key must be named: {err}"
    );

    std::fs::write(&path, "[priority]\nmatrix = [[1,2,3],[2,3,4],[3,4,9]]\n").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&path)
        .args(["--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("priority.matrix[2][2]"),
        "bad cell must be named: {err}"
    );

    let out = Command::new(BIN)
        .args([
            "serve",
            "--database-url",
            "mysql://nope",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
}

#[tokio::test]
async fn requests_over_the_rate_limit_get_429() {
    let db = sqlite();
    let Database::Sqlite(dir) = &db else {
        unreachable!()
    };
    let config = dir.path().join("mayday.toml");
    std::fs::write(&config, "[rate_limit]\nper_second = 0.1\nburst = 3\n").unwrap();
    let server = Server::start_with(&db, &["--config", config.to_str().unwrap()]);
    let client = http_client();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let res = client
            .get(format!("{}/api/v1/incidents", server.base))
            .bearer_auth(BOOTSTRAP)
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            let retry: u64 = res.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry >= 1);
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["status"], 429);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
}
