//! Real monitoring clients pointed at Mayday: Prometheus Alertmanager (its webhook receiver and
//! its own `pagerduty_configs`, one group of two alerts, re-sent every `repeat_interval`, then
//! resolved) and the PagerDuty Python client pdpyras (`EventsAPISession`: trigger, a repeat,
//! acknowledge, resolve, and an invalid event), each talking to a real `mayday serve` whose
//! effects are read back through the API.
//!
//! The programs are named by `MAYDAY_TEST_ALERTMANAGER` (the `alertmanager` binary) and
//! `MAYDAY_TEST_PYTHON` (a Python 3 that can `import pdpyras`). A test whose program is not
//! named is skipped outside CI and fails in CI (`.ci/run` installs both). Each test runs on
//! SQLite, and on PostgreSQL when `MAYDAY_TEST_DATABASE_URL` is set.

use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{BOOTSTRAP, Database, Server, call, http_client, postgres, sqlite};

/// The program `var` names; `None` (the test is skipped) when unset outside CI.
fn peer(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(program) if !program.trim().is_empty() => Some(program),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must set {var} to {what} so the tests with real monitoring clients run"
            );
            eprintln!("{var} unset: the test with {what} not run");
            None
        }
    }
}

async fn get(server: &Server, path: &str) -> Value {
    let (status, body) = call(
        reqwest::Method::GET,
        format!("{}{path}", server.base),
        BOOTSTRAP,
        None,
    )
    .await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// Creates a service and an integration on it; its id and the integration's key.
async fn service_with_integration(
    server: &Server,
    name: &str,
    integration: Value,
) -> (String, String) {
    let (status, service) = call(
        reqwest::Method::POST,
        format!("{}/api/v1/services", server.base),
        BOOTSTRAP,
        Some(json!({"name": name, "tier": 1})),
    )
    .await;
    assert_eq!(status, 201, "{service}");
    let id = service["id"].as_str().unwrap().to_string();
    let (status, created) = call(
        reqwest::Method::POST,
        format!("{}/api/v1/services/{id}/integrations", server.base),
        BOOTSTRAP,
        Some(integration),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_string();
    (id, key)
}

/// The service's incidents (every status: the list filters none by default), newest first,
/// each with its alerts.
async fn incidents_with_alerts(server: &Server, service: &str) -> Vec<(Value, Vec<Value>)> {
    let page = get(server, &format!("/api/v1/incidents?service={service}")).await;
    let mut out = Vec::new();
    for incident in page["items"].as_array().expect("items") {
        let id = incident["id"].as_str().unwrap();
        let alerts = get(server, &format!("/api/v1/incidents/{id}/alerts")).await;
        out.push((
            incident.clone(),
            alerts["items"].as_array().unwrap().clone(),
        ));
    }
    out
}

/// One line per incident: number, status, resolution code, and each alert's status and count.
fn describe(incidents: &[(Value, Vec<Value>)]) -> String {
    let lines: Vec<String> = incidents
        .iter()
        .map(|(incident, alerts)| {
            let alerts: Vec<String> = alerts
                .iter()
                .map(|a| format!("{}×{}", a["status"], a["event_count"]))
                .collect();
            format!(
                "{} {} ({}) alerts [{}]",
                incident["number"],
                incident["status"],
                incident["resolution_code"],
                alerts.join(", ")
            )
        })
        .collect();
    format!("{} incident(s): {}", incidents.len(), lines.join("; "))
}

/// Polls `probe` every 250 ms until it gives `Ok`, for at most `seconds`; then fails with its
/// last reason.
async fn wait_for<T>(
    what: &str,
    seconds: u64,
    mut probe: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let started = Instant::now();
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(why) if started.elapsed() >= Duration::from_secs(seconds) => {
                panic!("waited {seconds} s for {what}; last seen: {why}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// Whether the service has exactly one incident, `resolved` by intake with `auto_resolved`,
/// holding exactly `alerts` alerts, all `resolved`.
fn auto_resolved(incidents: &[(Value, Vec<Value>)], alerts: usize) -> bool {
    matches!(incidents, [(incident, list)]
        if incident["status"] == "resolved"
            && incident["resolution_code"] == "auto_resolved"
            && list.len() == alerts
            && list.iter().all(|a| a["status"] == "resolved" && a["resolved_at"].is_string()))
}

/// Hex SHA-256 of `text`, by coreutils' `sha256sum` (the cli crate has no hashing dependency).
fn sha256_hex(text: &str) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sha256sum (coreutils)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "sha256sum failed");
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().next().unwrap().to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running Alertmanager with clustering off; killed on drop, its log printed if the test is
/// failing.
struct Alertmanager {
    child: Child,
    base: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    /// Starts Alertmanager on a free port and waits until it serves `config`, recognized by
    /// `marker` (text only this test's configuration holds: another test's Alertmanager may
    /// have taken the port in between). Tries another port if the chosen one was taken.
    async fn start(program: &str, config: &str, marker: &str) -> Alertmanager {
        for _ in 0..3 {
            if let Some(am) = Self::try_start(program, config, marker).await {
                return am;
            }
        }
        panic!("Alertmanager found no free port in 3 tries");
    }

    /// `None` when the port was taken.
    async fn try_start(program: &str, config: &str, marker: &str) -> Option<Alertmanager> {
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("alertmanager.yml");
        std::fs::write(&config_path, config).unwrap();
        let storage = dir.path().join("data");
        std::fs::create_dir(&storage).unwrap();
        let log = dir.path().join("alertmanager.log");
        let port = free_port();
        let out = File::create(&log).unwrap();
        let child = Command::new(program)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--storage.path={}", storage.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .arg("--log.level=debug")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start Alertmanager {program:?}: {e}"));
        let mut am = Alertmanager {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        let client = http_client();
        let started = Instant::now();
        loop {
            if let Some(status) = am.child.try_wait().unwrap() {
                let log = std::fs::read_to_string(&am.log).unwrap_or_default();
                if log.contains("address already in use") {
                    return None;
                }
                panic!("Alertmanager exited ({status}) before it was ready:\n{log}");
            }
            let ready = client.get(format!("{}/-/ready", am.base)).send().await;
            let status = client
                .get(format!("{}/api/v2/status", am.base))
                .send()
                .await;
            if ready.is_ok_and(|r| r.status().is_success())
                && let Ok(res) = status
                && res.status().is_success()
                && let Ok(body) = res.json::<Value>().await
                && body["config"]["original"]
                    .as_str()
                    .is_some_and(|c| c.contains(marker))
            {
                return Some(am);
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "Alertmanager not serving this test's configuration after 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `POST /api/v2/alerts`, as Prometheus sends them.
    async fn post_alerts(&self, alerts: &Value) {
        let res = http_client()
            .post(format!("{}/api/v2/alerts", self.base))
            .json(alerts)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "Alertmanager refused alerts: {status} {body}"
        );
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("--- Alertmanager log\n{log}--- end of Alertmanager log");
        }
    }
}

/// Two alerts of one group (same alertname, two instances), firing until `ends_at`.
fn disk_alerts(starts_at: &str, ends_at: &str) -> Value {
    let alert = |instance: &str| {
        json!({
            "labels": {"alertname": "DiskAlmostFull", "instance": instance, "job": "node",
                       "severity": "critical"},
            "annotations": {"summary": format!("Disk almost full on {instance}")},
            "startsAt": starts_at,
            "endsAt": ends_at,
            "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=disk",
        })
    };
    json!([alert("db-1"), alert("db-2")])
}

async fn alertmanager(db: Database, program: &str) {
    let server = Server::start(&db);
    let (hook_service, hook_key) = service_with_integration(
        &server,
        "storage",
        json!({"kind": "alertmanager", "name": "am", "grouping": {"mode": "source_group"}}),
    )
    .await;
    let (paged_service, paged_key) = service_with_integration(
        &server,
        "storage-paging",
        json!({"kind": "alertmanager", "name": "am-pagerduty"}),
    )
    .await;
    let base = &server.base;
    let config = format!(
        "route:
  receiver: mayday
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 3s
receivers:
  - name: mayday
    webhook_configs:
      - url: '{base}/api/v1/integrations/{hook_key}/alertmanager'
        send_resolved: true
    pagerduty_configs:
      - routing_key: '{paged_key}'
        url: '{base}/v2/enqueue'
        send_resolved: true
"
    );
    let am = Alertmanager::start(program, &config, &hook_key).await;

    let starts_at = jiff::Timestamp::now().to_string();
    let ends_at = (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(10)).to_string();
    am.post_alerts(&disk_alerts(&starts_at, &ends_at)).await;

    // The group arrives, then is re-sent every repeat_interval: the webhook's two alerts and
    // the one PagerDuty alert each count three deliveries, and nothing new is ever opened.
    let (hooked, paged) = wait_for("two re-deliveries of the group", 120, async || {
        let hooked = incidents_with_alerts(&server, &hook_service).await;
        let paged = incidents_with_alerts(&server, &paged_service).await;
        let now = format!(
            "webhook: {}; pagerduty: {}",
            describe(&hooked),
            describe(&paged)
        );
        assert!(
            hooked.len() <= 1 && hooked.iter().all(|(_, a)| a.len() <= 2),
            "the webhook's group must be one incident of two alerts: {now}"
        );
        assert!(
            paged.len() <= 1 && paged.iter().all(|(_, a)| a.len() <= 1),
            "the PagerDuty events must be one incident of one alert: {now}"
        );
        let counted = |incidents: &[(Value, Vec<Value>)], alerts: usize| {
            matches!(incidents, [(_, list)] if list.len() == alerts
                && list.iter().all(|a| a["event_count"].as_i64().unwrap() >= 3))
        };
        if counted(&hooked, 2) && counted(&paged, 1) {
            Ok((hooked, paged))
        } else {
            Err(now)
        }
    })
    .await;

    let (incident, alerts) = &hooked[0];
    assert_eq!(incident["status"], "new", "{incident}");
    assert_eq!(incident["source"], "monitoring");
    let mut summaries: Vec<&str> = alerts
        .iter()
        .map(|a| a["summary"].as_str().unwrap())
        .collect();
    summaries.sort_unstable();
    assert_eq!(
        summaries,
        ["Disk almost full on db-1", "Disk almost full on db-2"]
    );
    let group_key = alerts[0]["group_key"]
        .as_str()
        .expect("group_key")
        .to_string();
    assert!(
        group_key.contains("alertname=\"DiskAlmostFull\""),
        "{group_key}"
    );
    for a in alerts {
        assert_eq!(a["status"], "triggered", "{a}");
        assert_eq!(a["severity"], "critical", "{a}");
        assert_eq!(a["group_key"], group_key.as_str(), "{a}");
        assert_eq!(
            a["details"]["details"]["labels"]["alertname"],
            "DiskAlmostFull"
        );
    }
    let mut sources: Vec<&str> = alerts
        .iter()
        .map(|a| a["source"].as_str().unwrap())
        .collect();
    sources.sort_unstable();
    assert_eq!(sources, ["db-1", "db-2"]);

    let (incident, alerts) = &paged[0];
    assert_eq!(incident["status"], "new", "{incident}");
    let dedup_key = alerts[0]["dedup_key"].as_str().unwrap();
    assert!(
        dedup_key.len() == 64 && dedup_key.bytes().all(|b| b.is_ascii_hexdigit()),
        "Alertmanager's PagerDuty dedup key is a hex SHA-256: {dedup_key}"
    );
    assert_eq!(
        dedup_key,
        sha256_hex(&group_key),
        "the PagerDuty dedup key is the hashed group key {group_key:?}"
    );
    assert_eq!(alerts[0]["status"], "triggered");

    // Resolved in Alertmanager: both notifications say so and both incidents resolve.
    let now = jiff::Timestamp::now().to_string();
    am.post_alerts(&disk_alerts(&starts_at, &now)).await;
    wait_for("both incidents auto-resolved", 90, async || {
        let hooked = incidents_with_alerts(&server, &hook_service).await;
        let paged = incidents_with_alerts(&server, &paged_service).await;
        let now = format!(
            "webhook: {}; pagerduty: {}",
            describe(&hooked),
            describe(&paged)
        );
        assert!(hooked.len() <= 1 && paged.len() <= 1, "{now}");
        if auto_resolved(&hooked, 2) && auto_resolved(&paged, 1) {
            Ok(())
        } else {
            Err(now)
        }
    })
    .await;
}

/// Runs one pdpyras step: `trigger <summary> <source> <dedup_key>`, `acknowledge <dedup_key>`,
/// `resolve <dedup_key>` (each prints the dedup key PagerDuty's answer gave) or `invalid`
/// (prints the HTTP status and the JSON body of the refusal).
const PDPYRAS_SCRIPT: &str = r#"
import json
import sys
import warnings

warnings.simplefilter("ignore")  # pdpyras announces its own deprecation
import pdpyras

url, routing_key, step, *args = sys.argv[1:]
session = pdpyras.EventsAPISession(routing_key)
session.url = url  # events go to session.url + "/v2/enqueue"
if step == "trigger":
    summary, source, dedup_key = args
    print(session.trigger(summary, source, dedup_key=dedup_key))
elif step == "acknowledge":
    print(session.acknowledge(args[0]))
elif step == "resolve":
    print(session.resolve(args[0]))
elif step == "invalid":
    try:
        session.send_event(
            "trigger",
            payload={"summary": "Bad severity", "source": "pdpyras", "severity": "bogus"},
        )
        print("accepted")
    except pdpyras.PDClientError as e:
        print(e.response.status_code)
        print(json.dumps(e.response.json()))
else:
    sys.exit("unknown step " + step)
"#;

struct Pdpyras<'a> {
    python: &'a str,
    script: &'a Path,
    url: &'a str,
    routing_key: &'a str,
}

impl Pdpyras<'_> {
    /// Runs a step and insists it succeeded; what it printed.
    fn run(&self, step: &[&str]) -> String {
        let out = Command::new(self.python)
            .arg(self.script)
            .args([self.url, self.routing_key])
            .args(step)
            .output()
            .unwrap_or_else(|e| panic!("run {:?}: {e}", self.python));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "pdpyras {step:?} failed ({}):\n--- stdout\n{stdout}--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}

async fn pdpyras(db: Database, python: &str) {
    let check = Command::new(python)
        .args(["-c", "import pdpyras"])
        .output()
        .unwrap_or_else(|e| panic!("run MAYDAY_TEST_PYTHON={python:?}: {e}"));
    assert!(
        check.status.success(),
        "MAYDAY_TEST_PYTHON={python:?} cannot import pdpyras (pip install pdpyras): {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("pdpyras_step.py");
    std::fs::write(&script, PDPYRAS_SCRIPT).unwrap();

    let server = Server::start(&db);
    let (service, routing_key) = service_with_integration(
        &server,
        "billing",
        json!({"kind": "pagerduty_events_v2", "name": "pdpyras"}),
    )
    .await;
    let pd = Pdpyras {
        python,
        script: &script,
        url: &server.base,
        routing_key: &routing_key,
    };
    let key = "billing/queue-depth";

    let said = pd.run(&["trigger", "Queue depth over 10k", "billing-worker-3", key]);
    assert_eq!(said.trim(), key);
    let incidents = wait_for("the trigger's incident", 30, async || {
        let now = incidents_with_alerts(&server, &service).await;
        match now.as_slice() {
            [(_, alerts)] if alerts.len() == 1 => Ok(now),
            _ => Err(describe(&now)),
        }
    })
    .await;
    let (incident, alerts) = &incidents[0];
    let incident_id = incident["id"].clone();
    let alert_id = alerts[0]["id"].clone();
    assert_eq!(incident["title"], "Queue depth over 10k");
    assert_eq!(incident["status"], "new");
    assert_eq!(alerts[0]["dedup_key"], key);
    assert_eq!(alerts[0]["source"], "billing-worker-3");
    assert_eq!(alerts[0]["severity"], "critical");
    assert_eq!(alerts[0]["event_count"], 1);

    // The same dedup key again: the same alert, counted; no new incident.
    let said = pd.run(&["trigger", "Queue depth over 10k", "billing-worker-3", key]);
    assert_eq!(said.trim(), key);
    wait_for("the repeat counted", 30, async || {
        let now = incidents_with_alerts(&server, &service).await;
        assert!(
            now.len() == 1 && now[0].1.len() == 1,
            "a repeat must not open anything: {}",
            describe(&now)
        );
        assert_eq!(now[0].0["id"], incident_id);
        assert_eq!(now[0].1[0]["id"], alert_id);
        match now[0].1[0]["event_count"].as_i64() {
            Some(2) => Ok(()),
            _ => Err(describe(&now)),
        }
    })
    .await;

    let said = pd.run(&["acknowledge", key]);
    assert_eq!(said.trim(), key);
    wait_for("the incident acknowledged", 30, async || {
        let now = incidents_with_alerts(&server, &service).await;
        assert_eq!(now.len(), 1, "{}", describe(&now));
        if now[0].0["status"] == "acknowledged" && now[0].1[0]["status"] == "acknowledged" {
            Ok(())
        } else {
            Err(describe(&now))
        }
    })
    .await;

    let said = pd.run(&["resolve", key]);
    assert_eq!(said.trim(), key);
    wait_for("the incident resolved", 30, async || {
        let now = incidents_with_alerts(&server, &service).await;
        assert_eq!(now.len(), 1, "{}", describe(&now));
        if auto_resolved(&now, 1) {
            Ok(())
        } else {
            Err(describe(&now))
        }
    })
    .await;

    // PagerDuty's own refusal, read by pdpyras as a client error.
    let said = pd.run(&["invalid"]);
    let (status, body) = said
        .trim()
        .split_once('\n')
        .unwrap_or_else(|| panic!("an invalid event must be refused: {said}"));
    assert_eq!(status, "400", "{said}");
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["status"], "invalid event", "{body}");
    assert_eq!(body["message"], "Event object is invalid", "{body}");
    let errors = body["errors"].as_array().expect("errors");
    assert!(
        errors
            .iter()
            .any(|e| e.as_str().is_some_and(|e| e.contains("'payload.severity'"))),
        "the error names payload.severity: {body}"
    );
    let now = incidents_with_alerts(&server, &service).await;
    assert_eq!(now.len(), 1, "{}", describe(&now));
}

#[tokio::test]
async fn sqlite_alertmanager() {
    if let Some(program) = peer("MAYDAY_TEST_ALERTMANAGER", "Prometheus Alertmanager") {
        alertmanager(sqlite(), &program).await;
    }
}

#[tokio::test]
async fn postgres_alertmanager() {
    if let Some(program) = peer("MAYDAY_TEST_ALERTMANAGER", "Prometheus Alertmanager")
        && let Some(db) = postgres().await
    {
        alertmanager(db, &program).await;
    }
}

#[tokio::test]
async fn sqlite_pdpyras() {
    if let Some(python) = peer("MAYDAY_TEST_PYTHON", "a Python 3 with pdpyras") {
        pdpyras(sqlite(), &python).await;
    }
}

#[tokio::test]
async fn postgres_pdpyras() {
    if let Some(python) = peer("MAYDAY_TEST_PYTHON", "a Python 3 with pdpyras")
        && let Some(db) = postgres().await
    {
        pdpyras(db, &python).await;
    }
}
