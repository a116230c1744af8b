//! The test harness: the whole app started in-process on `127.0.0.1:0` with a fresh database
//! (SQLite in a temporary directory, or a new PostgreSQL database when
//! `MAYDAY_TEST_DATABASE_URL` is set), seeded users with tokens, and an HTTP client with helpers.

use std::sync::Arc;

use mayday_core::{Clock, Role};
use mayday_server::clock::SystemClock;
use mayday_server::setup::{self, DatabaseConfig};
use mayday_server::{AppState, Settings};
use mayday_store::EntityKind;
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The variable naming the PostgreSQL server the postgres variants use.
pub const PG_URL_VAR: &str = "MAYDAY_TEST_DATABASE_URL";

/// Which storage engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per engine for each `scenario => sqlite_name, postgres_name;`.
/// The postgres variant returns early (with a note) when `MAYDAY_TEST_DATABASE_URL` is unset,
/// and fails when `CI` is set: a CI run never skips PostgreSQL silently.
macro_rules! on_both_engines {
    ($($scenario:ident => $sqlite:ident, $postgres:ident;)*) => {
        $(
            #[tokio::test]
            async fn $sqlite() {
                let app = $crate::harness::TestApp::spawn($crate::harness::Engine::Sqlite)
                    .await
                    .expect("SQLite is always available");
                $scenario(&app).await;
                app.finish().await;
            }

            #[tokio::test]
            async fn $postgres() {
                let Some(app) =
                    $crate::harness::TestApp::spawn($crate::harness::Engine::Postgres).await
                else {
                    return;
                };
                $scenario(&app).await;
                app.finish().await;
            }
        )*
    };
}
pub(crate) use on_both_engines;

/// A seeded user and their API token.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub username: String,
    pub token: String,
}

/// An HTTP answer: status, headers and the body as JSON (`Null` when it is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "expected HTTP {status}, got {}: {}",
            self.status, self.text
        );
        self
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("header is text").to_string())
    }

    pub fn etag(&self) -> String {
        self.header("etag").expect("response carries an ETag")
    }

    /// Asserts an `application/problem+json` answer with this status and type slug, and returns
    /// the problem.
    #[track_caller]
    pub fn problem(self, status: u16, slug: &str) -> Value {
        let reply = self.expect(status);
        assert_eq!(
            reply.header("content-type").as_deref(),
            Some("application/problem+json"),
            "problem content type: {}",
            reply.text
        );
        let p = reply.body;
        assert_eq!(
            p["type"],
            json!(format!("urn:mayday:problem:{slug}")),
            "problem type: {p}"
        );
        assert_eq!(p["status"], json!(status), "problem status: {p}");
        assert!(
            p["title"].as_str().is_some_and(|t| !t.is_empty()),
            "problem title: {p}"
        );
        assert!(
            p["detail"].as_str().is_some_and(|t| !t.is_empty()),
            "problem detail: {p}"
        );
        p
    }

    /// Asserts a 422 validation problem and returns the fields its `errors` name (sorted,
    /// deduplicated).
    #[track_caller]
    pub fn invalid_fields(self) -> Vec<String> {
        let p = self.problem(422, "validation-failed");
        let errors = p["errors"].as_array().expect("errors is an array");
        assert!(!errors.is_empty(), "a 422 names at least one field: {p}");
        let mut fields: Vec<String> = errors
            .iter()
            .map(|e| {
                assert!(
                    e["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "each error has a message: {p}"
                );
                e["field"].as_str().expect("error field").to_string()
            })
            .collect();
        fields.sort();
        fields.dedup();
        fields
    }
}

/// A PostgreSQL database made for one test and dropped when it ends.
struct PgDatabase {
    admin_url: String,
    name: String,
    dropped: bool,
}

impl PgDatabase {
    async fn create(admin_url: &str) -> (Self, String) {
        use sqlx::Connection;
        let name = format!("mayday_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {PG_URL_VAR}: {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        conn.close().await.ok();
        let url = with_database(admin_url, &name);
        (
            Self {
                admin_url: admin_url.to_string(),
                name,
                dropped: false,
            },
            url,
        )
    }

    async fn drop_now(&mut self) {
        if self.dropped {
            return;
        }
        self.dropped = true;
        if let Err(e) = drop_database(&self.admin_url, &self.name).await {
            panic!("cannot drop test database {}: {e}", self.name);
        }
    }
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    conn.close().await.ok();
    Ok(())
}

impl Drop for PgDatabase {
    /// A test that panicked did not reach `finish`: drop its database on a fresh runtime.
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            rt.block_on(drop_database(&url, &name))
                .map_err(|e| format!("cannot drop test database {name}: {e}"))
        })
        .join();
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("{e}"),
            Err(_) => eprintln!("dropping the test database panicked"),
        }
    }
}

/// `postgres://user@host:port/db?opts` with the database part replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map(|i| i + 3).unwrap_or(0);
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let authority_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..authority_end])
}

fn ci() -> bool {
    std::env::var("CI")
        .map(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
        .unwrap_or(false)
}

/// The app running in-process, with its users.
pub struct TestApp {
    pub base: String,
    client: reqwest::Client,
    pub admin: Person,
    /// Agent `alice`.
    pub agent: Person,
    /// Agent `bob`.
    pub agent2: Person,
    /// Requester `rita`.
    pub rita: Person,
    /// Requester `rex`.
    pub rex: Person,
    /// Viewer `vera`.
    pub viewer: Person,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    pg: Option<PgDatabase>,
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    /// Starts the app on a fresh database. `None` for PostgreSQL when no server is configured
    /// (outside CI).
    pub async fn spawn(engine: Engine) -> Option<TestApp> {
        // Every request comes from 127.0.0.1; rate limiting has its own scenario.
        let settings = Settings {
            rate_limit: None,
            ..Settings::default()
        };
        Self::spawn_with(engine, settings).await
    }

    /// Starts the app with these settings.
    pub async fn spawn_with(engine: Engine, settings: Settings) -> Option<TestApp> {
        Self::spawn_with_clock(engine, settings, Arc::new(SystemClock)).await
    }

    /// Starts the app with these settings, reading time from `clock` (a `FixedClock` lets a
    /// scenario open an incident on a Friday evening and look at it on Monday).
    pub async fn spawn_with_clock(
        engine: Engine,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Option<TestApp> {
        let (db, pg, dir) = match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let db = DatabaseConfig::SqliteDir(dir.path().join("data"));
                (db, None, Some(dir))
            }
            Engine::Postgres => {
                let admin_url = match std::env::var(PG_URL_VAR) {
                    Ok(u) if !u.trim().is_empty() => u,
                    _ if ci() => panic!(
                        "CI is set but {PG_URL_VAR} is not: the PostgreSQL half of the suite \
                         must run in CI (e.g. {PG_URL_VAR}=postgres://postgres@127.0.0.1:5432/postgres)"
                    ),
                    _ => {
                        eprintln!(
                            "note: {PG_URL_VAR} is unset; skipping the PostgreSQL variant of this test"
                        );
                        return None;
                    }
                };
                let (pg, url) = PgDatabase::create(&admin_url).await;
                (DatabaseConfig::Url(url), Some(pg), None)
            }
        };
        let store = setup::open_store(&db).await.expect("open the store");
        // First start: the taxonomy, and the `admin` user holding the bootstrap token.
        let admin_token = format!("mdy_{}", uuid::Uuid::now_v7().simple());
        let generated = setup::prepare(store.as_ref(), clock.as_ref(), Some(&admin_token))
            .await
            .expect("prepare the database");
        assert_eq!(generated, None, "a given bootstrap token is not echoed");
        let admin = store
            .get_entity_by_name(EntityKind::User, "admin")
            .await
            .expect("read the admin user")
            .expect("prepare created the admin user");
        let mut people = vec![Person {
            id: admin.id.to_string(),
            username: "admin".into(),
            token: admin_token,
        }];

        let now = clock.now_ms();
        for (username, display, role) in [
            ("alice", "Alice Agent", Role::Agent),
            ("bob", "Bob Agent", Role::Agent),
            ("rita", "Rita Requester", Role::Requester),
            ("rex", "Rex Requester", Role::Requester),
            ("vera", "Vera Viewer", Role::Viewer),
        ] {
            let user = setup::create_user(
                store.as_ref(),
                now,
                username,
                display,
                Some(format!("{username}@example.com")),
                role,
            )
            .await
            .unwrap_or_else(|e| panic!("create user {username}: {e:?}"));
            let (token, _) = setup::issue_token(store.as_ref(), now, user.id, "tests", None, None)
                .await
                .unwrap_or_else(|e| panic!("issue a token for {username}: {e:?}"));
            people.push(Person {
                id: user.id.to_string(),
                username: username.to_string(),
                token,
            });
        }
        let mut people = people.into_iter();
        let mut next = || people.next().expect("seeded person");

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let addr = listener.local_addr().expect("local address");
        // Links in messages point at this server.
        let settings = Settings {
            public_url: format!("http://{addr}"),
            ..settings
        };
        let state = AppState::new(store, clock, settings);
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(mayday_server::launch(listener, state, async move {
            let _ = rx.await;
        }));
        install_tls_provider();
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("an HTTP client");
        Some(TestApp {
            base: format!("http://{addr}"),
            client,
            admin: next(),
            agent: next(),
            agent2: next(),
            rita: next(),
            rex: next(),
            viewer: next(),
            shutdown: Some(tx),
            server: Some(server),
            pg,
            _dir: dir,
        })
    }

    /// Stops the server and drops the test's database.
    pub async fn finish(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
        if let Some(pg) = self.pg.as_mut() {
            pg.drop_now().await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request without credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request authenticated with `token`.
    pub fn authed(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(token)
    }

    pub async fn send(&self, rb: RequestBuilder) -> Reply {
        let res = rb.send().await.expect("the request is answered");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("the body is readable");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, token: &str, path: &str) -> Reply {
        self.send(self.authed(Method::GET, path, token)).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Reply {
        self.send(self.authed(Method::POST, path, token).json(&body))
            .await
    }

    pub async fn patch(
        &self,
        token: &str,
        path: &str,
        if_match: Option<&str>,
        body: Value,
    ) -> Reply {
        let mut rb = self.authed(Method::PATCH, path, token).json(&body);
        if let Some(v) = if_match {
            rb = rb.header("if-match", v);
        }
        self.send(rb).await
    }

    /// Logs an incident; asserts 201.
    pub async fn create(&self, token: &str, body: Value) -> Value {
        self.post(token, "/api/v1/incidents", body)
            .await
            .expect(201)
            .body
    }

    /// Reads an incident; asserts 200.
    pub async fn incident(&self, token: &str, key: &str) -> Value {
        self.get(token, &format!("/api/v1/incidents/{key}"))
            .await
            .expect(200)
            .body
    }

    /// Changes fields with the incident's current version; asserts 200.
    pub async fn change(&self, token: &str, inc: &Value, body: Value) -> Value {
        let etag = format!("\"{}\"", inc["version"]);
        self.patch(token, &incident_path(inc), Some(&etag), body)
            .await
            .expect(200)
            .body
    }

    /// Asks for a transition.
    pub async fn transition(&self, token: &str, key: &str, body: Value) -> Reply {
        self.post(token, &format!("/api/v1/incidents/{key}/transitions"), body)
            .await
    }

    /// Moves an incident; asserts 200 and the new status.
    pub async fn move_to(&self, token: &str, key: &str, body: Value) -> Value {
        let inc = self
            .transition(token, key, body.clone())
            .await
            .expect(200)
            .body;
        assert_eq!(inc["status"], body["to"], "status after {body}");
        inc
    }

    pub async fn comment(&self, token: &str, key: &str, body: Value) -> Reply {
        self.post(token, &format!("/api/v1/incidents/{key}/comments"), body)
            .await
    }

    /// The timeline; asserts 200 and a JSON array.
    pub async fn timeline(&self, token: &str, key: &str) -> Vec<Value> {
        let reply = self
            .get(token, &format!("/api/v1/incidents/{key}/timeline"))
            .await
            .expect(200);
        reply
            .body
            .as_array()
            .unwrap_or_else(|| panic!("the timeline is a JSON array: {}", reply.text))
            .clone()
    }

    /// Lists incidents with these query parameters; asserts 200.
    pub async fn list(&self, token: &str, query: &[(&str, &str)]) -> Value {
        self.list_reply(token, query).await.expect(200).body
    }

    pub async fn list_reply(&self, token: &str, query: &[(&str, &str)]) -> Reply {
        self.send(
            self.authed(Method::GET, "/api/v1/incidents", token)
                .query(query),
        )
        .await
    }

    /// The numbers of every incident matching `query` (following cursors), in order.
    pub async fn numbers(&self, token: &str, query: &[(&str, &str)]) -> Vec<String> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            if let Some(c) = cursor.as_deref() {
                q.push(("cursor", c));
            }
            let page = self.list(token, &q).await;
            out.extend(numbers_of(&page));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => {
                    assert!(page["next_cursor"].is_null(), "next_cursor: {page}");
                    return out;
                }
            }
            assert!(out.len() <= 1000, "pagination does not end");
        }
    }
}

/// `/api/v1/incidents/<id>`.
pub fn incident_path(inc: &Value) -> String {
    format!("/api/v1/incidents/{}", id_of(inc))
}

pub fn id_of(inc: &Value) -> String {
    inc["id"].as_str().expect("incident id").to_string()
}

pub fn number_of(inc: &Value) -> String {
    inc["number"].as_str().expect("incident number").to_string()
}

/// The numbers of a list page's items, in order.
pub fn numbers_of(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items is an array: {page}"))
        .iter()
        .map(number_of)
        .collect()
}

/// A complete create body reported by `rita`.
pub fn new_incident(title: &str) -> Value {
    json!({
        "title": title,
        "description": "Logged by the integration suite.",
        "reporter": "rita",
        "impact": 2,
        "urgency": 2,
        "category": "software",
    })
}

/// `base` with `extra`'s fields set on it.
pub fn with(mut base: Value, extra: Value) -> Value {
    let obj = base.as_object_mut().expect("an object");
    for (k, v) in extra.as_object().expect("an object") {
        obj.insert(k.clone(), v.clone());
    }
    base
}

/// The `old` and `new` values of `field` in an event's changes, if it changed.
pub fn change_of(event: &Value, field: &str) -> Option<(Value, Value)> {
    event["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("changes is an array: {event}"))
        .iter()
        .find(|c| c["field"] == field)
        .map(|c| (c["old"].clone(), c["new"].clone()))
}

/// Sorted copy, for comparing sets.
pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Asserts an RFC 3339 UTC time (`...Z`) and returns it parsed.
#[track_caller]
pub fn utc_time(v: &Value) -> jiff::Timestamp {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("a time string, got {v}"));
    assert!(s.ends_with('Z'), "times are UTC with Z: {s}");
    assert!(s.contains('T'), "times are RFC 3339: {s}");
    s.parse()
        .unwrap_or_else(|e| panic!("an RFC 3339 time, got {s}: {e}"))
}

/// reqwest's TLS is built without a default crypto provider (the `mayday` binary installs ring at
/// start); a client built in the same test run needs it installed first.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A store opened on its own (no app) on a fresh database, for tests of the storage port
/// itself: SQLite in a temporary directory, or a new PostgreSQL database on the server
/// `MAYDAY_TEST_DATABASE_URL` names (dropped by `finish`, or when a failed test unwinds).
pub struct TestStore {
    pub store: Arc<dyn mayday_store::Store>,
    pg: Option<PgDatabase>,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// `None` for PostgreSQL when no server is configured (outside CI, where that fails).
    pub async fn open(engine: Engine) -> Option<TestStore> {
        let (db, pg, dir) = match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                (
                    DatabaseConfig::SqliteDir(dir.path().join("data")),
                    None,
                    Some(dir),
                )
            }
            Engine::Postgres => {
                let admin_url = match std::env::var(PG_URL_VAR) {
                    Ok(u) if !u.trim().is_empty() => u,
                    _ if ci() => panic!("CI is set but {PG_URL_VAR} is not"),
                    _ => {
                        eprintln!(
                            "note: {PG_URL_VAR} is unset; skipping the PostgreSQL variant of this test"
                        );
                        return None;
                    }
                };
                let (pg, url) = PgDatabase::create(&admin_url).await;
                (DatabaseConfig::Url(url), Some(pg), None)
            }
        };
        let store = setup::open_store(&db).await.expect("open the store");
        Some(TestStore {
            store,
            pg,
            _dir: dir,
        })
    }

    /// Drops the test's PostgreSQL database.
    pub async fn finish(mut self) {
        if let Some(pg) = self.pg.as_mut() {
            pg.drop_now().await;
        }
    }
}
