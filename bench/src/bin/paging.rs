//! Escalation timers under load: many open incidents, each with an escalation timer falling due
//! within the same minute, worked off by real `mayday serve` nodes.
//!
//! Setup goes straight through the store (it is not what is measured): a fresh database
//! (SQLite in a temporary directory, or a new PostgreSQL database on the server given with
//! `--postgres`, dropped at the end unless `--keep`), the first-start seeding, one user `pager`
//! whose only contact method is a signed webhook to a receiver running in this program, an
//! escalation policy of two levels that both page `pager` (3,600 s each: the second level's timer
//! is armed but does not fall due during the run) and a service using it. Then `--incidents`
//! (default 100,000) incidents in status `new` on that service are imported through the bulk path
//! (`import_incidents`, 2,000 per transaction) and one `escalation` timer per incident is armed
//! (`arm_timers`; level 0, round 0, the policy that applies when it fires, as a new incident's
//! timer is), with due times drawn uniformly from [T0 + `--lead`, T0 + `--lead` + `--spread`),
//! T0 being the end of the import (defaults 15 s and 60 s); then the planner's statistics are
//! refreshed (`analyze`), as a live installation holding that many timers would have them.
//!
//! Then `--nodes` `mayday serve` processes (default 1 on SQLite, which is one node, and 3 on
//! PostgreSQL) start on that database (`--listen 127.0.0.1:0`, `MAYDAY_LOG=warn`); their timer
//! workers claim the timers as they fall due, page level 1 (one outbox message with event
//! `triggered` per incident), raise the incident's escalation level and arm the next level's
//! timer; their outbox workers deliver the messages to the receiver, which records each request's
//! `Mayday-Delivery-Id`, the incident id of its body (`incident.id`) and its arrival time.
//!
//! The program polls `next_timer_due` until no timer due before the last due time is left (or
//! `--timeout` after the last due time), waits for the deliveries (until every page arrived, or
//! nothing arrived for 30 s, or `--delivery-timeout`), reads the nodes' peak resident set
//! (`VmHWM`), stops the nodes, and reads every outbox message through `Store::list_messages`.
//! It reports:
//!
//! - pages queued (messages with event `triggered`), **missed** (incidents without one) and
//!   **doubled** (incidents with more than one) — both must be 0, else the program exits 1;
//! - the lag from each timer's due time to its page's `created_at` (the worker's clock when it
//!   worked the timer out; the message is committed with its batch a little later, so the
//!   delivery lag below bounds the time to commit from above): p50 / p99 / max;
//! - pages per second: pages ÷ (last page's `created_at` − first due time), the sustained rate
//!   over the run; when the workers keep up this is the offered rate (incidents ÷ spread), so the
//!   peak over any one second is printed too (run with `--spread 0s` to measure the ceiling);
//! - deliveries: requests received, distinct delivery ids, repeats of one id (allowed: delivery
//!   is at least once), and the lag from due time to the first delivery of the incident's page;
//! - the pending timers at the end (`timer_count`; N expected: every incident's next level);
//! - each node's log (`MAYDAY_LOG=warn`): its warnings and errors, the most frequent first.
//!
//! A missed incident is told apart as "not worked off within the timeout" (its first timer is
//! still pending) or "dropped" (its timer is gone without a page). `--stall-deliveries` is for
//! diagnosis: the receiver holds every request open, so each send waits for the node's HTTP
//! timeout and the outbox hardly touches the database; the timer worker then runs alone.
//!
//! ```sh
//! cargo build --release -p mayday -p mayday-bench
//! ./target/release/mayday-paging-bench                          # SQLite, 1 node, 100,000
//! ./target/release/mayday-paging-bench --postgres postgres://postgres@127.0.0.1:5432/postgres
//! ```

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use clap::Parser;
use mayday_core::incident::{CommandContext, NewIncident};
use mayday_core::oncall::{EscalationLevel, EscalationPolicy, Target};
use mayday_core::prng::SplitMix64 as Rng;
use mayday_core::timeline::Actor;
use mayday_core::{Clock, Impact, Incident, Millis, PriorityMatrix, Role, Urgency};
use mayday_server::clock::SystemClock;
use mayday_server::paging::TimerAction;
use mayday_server::setup::{self, DatabaseConfig};
use mayday_store::{
    ContactMethod, Entity, EntityKind, MessageQuery, Policy, Service, Store, User, encode_entity,
};
use uuid::Uuid;

/// The bootstrap admin's API token.
const ADMIN_TOKEN: &str = "mayday-paging-bench-admin-token-0123456";
/// The webhook's signing secret.
const SECRET: &str = "mayday-paging-bench-webhook-secret";
/// Incidents per import transaction (as the core benchmark).
const IMPORT_BATCH: usize = 2_000;
/// Timers per `arm_timers` call.
const ARM_BATCH: usize = 5_000;
/// Each level's delay: the next level's timer is armed an hour out, after the run.
const LEVEL_DELAY_S: u32 = 3_600;
/// How long a node may take to print its address and answer `/healthz`.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// The delivery wait ends when nothing arrived for this long.
const DELIVERY_IDLE: Duration = Duration::from_secs(30);
/// How often progress is printed while waiting.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

#[derive(Parser)]
#[command(
    name = "mayday-paging-bench",
    about = "Escalation timers under load: N open incidents with timers due within a minute, \
             worked off by real `mayday serve` nodes"
)]
struct Args {
    /// Open incidents, each with one escalation timer.
    #[arg(long, default_value_t = 100_000)]
    incidents: usize,
    /// `mayday serve` processes on the database (default: 1 on SQLite, 3 on PostgreSQL).
    #[arg(long)]
    nodes: Option<usize>,
    /// Run on PostgreSQL: a server URL (postgres://user@host:port/db); a fresh database is
    /// created next to `db` and dropped at the end. Default: SQLite in a temporary directory.
    #[arg(long)]
    postgres: Option<String>,
    /// The `mayday` release binary.
    #[arg(long, default_value = "target/release/mayday")]
    mayday: PathBuf,
    /// The first timer falls due this long after the import ends.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    lead: Duration,
    /// Due times are spread uniformly over this span (0s: all at once, to measure the ceiling).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    spread: Duration,
    /// Longest wait, after the last due time, for every timer to be worked off.
    #[arg(long, default_value = "120s", value_parser = parse_duration)]
    timeout: Duration,
    /// Longest wait for the deliveries once the timers are worked off (it also ends when every
    /// page arrived, or nothing arrived for 30 s).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    delivery_timeout: Duration,
    /// Where the SQLite data directory and the nodes' logs go (default: a temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the database (and the work directory) afterwards; prints where they are.
    #[arg(long)]
    keep: bool,
    /// Diagnosis: the receiver never answers (each send times out after the node's HTTP
    /// timeout), so the outbox hardly touches the database and the timer worker runs alone.
    #[arg(long)]
    stall_deliveries: bool,
}

/// `10`, `10s`, `2m`, `1h` (whole units; `0s` allowed).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("expected a duration like 10s, 2m or 1h, got {text:?}"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("unknown unit {unit:?} in {text:?}: use s, m or h")),
    };
    Ok(Duration::from_secs(secs))
}

fn now_ms() -> Millis {
    SystemClock.now_ms()
}

/// Wall-clock epoch milliseconds with a fraction (for arrival times).
fn now_ms_f64() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

// ---------------------------------------------------------------------------------------------
// The webhook receiver

/// One request the receiver got.
struct Hit {
    delivery_id: String,
    incident_id: Option<Uuid>,
    event: String,
    at_ms: f64,
}

#[derive(Default)]
struct Received {
    hits: Vec<Hit>,
    ids: HashSet<String>,
    last: Option<Instant>,
}

type Shared = Arc<Mutex<Received>>;

/// Records the request, then holds it open for an hour (`--stall-deliveries`).
async fn stalled_hook(
    State(rec): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    hook(State(rec), headers, body).await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    StatusCode::OK
}

async fn hook(
    State(rec): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let at_ms = now_ms_f64();
    let delivery_id = headers
        .get("mayday-delivery-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let incident_id = json["incident"]["id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok());
    let event = json["event"].as_str().unwrap_or("").to_string();
    let mut r = rec.lock().unwrap_or_else(|e| e.into_inner());
    r.ids.insert(delivery_id.clone());
    r.last = Some(Instant::now());
    r.hits.push(Hit {
        delivery_id,
        incident_id,
        event,
        at_ms,
    });
    StatusCode::OK
}

/// Serves `POST /hook` on loopback until dropped.
struct Receiver {
    url: String,
    rec: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(stall: bool) -> anyhow::Result<Self> {
        let rec = Shared::default();
        let handler = if stall {
            axum::routing::post(stalled_hook)
        } else {
            axum::routing::post(hook)
        };
        let app = axum::Router::new()
            .route("/hook", handler)
            .with_state(rec.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the webhook receiver")?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("error: the webhook receiver stopped: {e}");
            }
        });
        Ok(Self { url, rec, task })
    }

    /// (requests, distinct delivery ids, time since the last request).
    fn counts(&self) -> (usize, usize, Option<Duration>) {
        let r = self.rec.lock().unwrap_or_else(|e| e.into_inner());
        (r.hits.len(), r.ids.len(), r.last.map(|l| l.elapsed()))
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// ---------------------------------------------------------------------------------------------
// Nodes

/// A `mayday serve` process, killed (and reaped) when dropped, on every path out.
struct Node {
    index: usize,
    child: Child,
    log: PathBuf,
    base: String,
}

impl Node {
    fn spawn(args: &Args, index: usize, db_args: &[String], work: &Path) -> anyhow::Result<Self> {
        let log = work.join(format!("node{index}.log"));
        let stderr = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut cmd = Command::new(&args.mayday);
        cmd.arg("serve")
            .args(db_args)
            .args(["--listen", "127.0.0.1:0"]);
        for var in [
            "MAYDAY_DATA_DIR",
            "MAYDAY_DATABASE_URL",
            "MAYDAY_CONFIG",
            "MAYDAY_LISTEN",
            "MAYDAY_DEMO",
            "MAYDAY_LOG_FORMAT",
            "MAYDAY_SMTP_URL",
            "MAYDAY_PUBLIC_URL",
        ] {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .env("MAYDAY_BOOTSTRAP_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("MAYDAY_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {}", args.mayday.display()))?;
        // The first line names the address; the rest is drained so the pipe never fills.
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let mut first = Some(tx);
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if let Some(tx) = first.take() {
                    let _ = tx.send(line.clone());
                }
                line.clear();
            }
        });
        let mut node = Self {
            index,
            child,
            log,
            base: String::new(),
        };
        let line = match rx.recv_timeout(READY_TIMEOUT) {
            Ok(l) => l,
            Err(_) => bail!(
                "node {index} printed no address within {READY_TIMEOUT:?}; its log:\n{}",
                node.log_tail()
            ),
        };
        node.base = line
            .trim()
            .strip_prefix("Mayday listening on ")
            .with_context(|| format!("node {index}: unexpected first line {line:?}"))?
            .to_string();
        Ok(node)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        if lines.is_empty() {
            return "(nothing on stderr)".into();
        }
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Fails when the process has exited.
    fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "node {} exited ({status}); its log:\n{}",
                self.index,
                self.log_tail()
            );
        }
        Ok(())
    }

    async fn wait_ready(&mut self, http: &reqwest::Client) -> anyhow::Result<()> {
        let start = Instant::now();
        let url = format!("{}/healthz", self.base);
        loop {
            self.check_alive()?;
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if start.elapsed() > READY_TIMEOUT {
                bail!(
                    "node {} did not answer {url} within {READY_TIMEOUT:?}; its log:\n{}",
                    self.index,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` and `VmHWM` of a process, in KiB.
fn memory_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .with_context(|| format!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/// A fresh PostgreSQL database, created for the run and dropped by [`PgDatabase::drop_now`].
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(server_url: &str) -> anyhow::Result<Self> {
        use sqlx::Connection;
        if !(server_url.starts_with("postgres://") || server_url.starts_with("postgresql://")) {
            bail!("--postgres must be postgres://..., got {server_url:?}");
        }
        let (prefix, _) = server_url
            .rsplit_once('/')
            .filter(|(p, _)| p.contains("//") && !p.ends_with('/'))
            .context("--postgres needs a database: postgres://user@host:port/postgres")?;
        let name = format!("mayday_paging_bench_{}", Uuid::now_v7().simple());
        let mut c = sqlx::PgConnection::connect(server_url)
            .await
            .with_context(|| format!("connecting to PostgreSQL at {server_url}"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .with_context(|| format!("creating database {name}"))?;
        Ok(Self {
            admin_url: server_url.to_string(),
            url: format!("{prefix}/{name}"),
            name,
        })
    }

    async fn drop_now(self) -> anyhow::Result<()> {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&self.admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut c)
        .await
        .with_context(|| format!("dropping database {}", self.name))?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Setup

async fn insert(
    store: &dyn Store,
    kind: EntityKind,
    id: Uuid,
    name: &str,
    doc: serde_json::Value,
    now: Millis,
) -> anyhow::Result<()> {
    store
        .insert_entity(&Entity {
            kind,
            id,
            name: name.to_string(),
            version: 1,
            doc,
            created_at: now,
            updated_at: now,
        })
        .await
        .with_context(|| format!("creating {} {name}", kind.as_str()))
}

/// The user paged, the policy and the service; returns (user id, service id).
async fn seed_directory(store: &dyn Store, hook_url: &str) -> anyhow::Result<(Uuid, Uuid)> {
    let now = now_ms();
    let pager = User {
        id: Uuid::now_v7(),
        username: "pager".into(),
        display_name: "Pager Bench".into(),
        email: None,
        time_zone: "UTC".into(),
        role: Role::Agent,
        active: true,
        contact_methods: vec![ContactMethod {
            id: Uuid::now_v7(),
            kind: "webhook".into(),
            address: hook_url.to_string(),
            label: "bench receiver".into(),
            secret: Some(SECRET.into()),
        }],
        notification_rules: Vec::new(),
    };
    insert(
        store,
        EntityKind::User,
        pager.id,
        &pager.username,
        encode_entity(&pager),
        now,
    )
    .await?;
    let level = EscalationLevel {
        targets: vec![Target::User(pager.id)],
        delay_seconds: LEVEL_DELAY_S,
    };
    let policy = Policy {
        id: Uuid::now_v7(),
        name: "bench-policy".into(),
        description: "Two levels paging the bench user, an hour apart.".into(),
        policy: EscalationPolicy {
            levels: vec![level.clone(), level],
            repeat: 0,
        },
    };
    policy
        .policy
        .validate()
        .map_err(|e| anyhow::anyhow!("the bench policy is invalid: {e:?}"))?;
    insert(
        store,
        EntityKind::EscalationPolicy,
        policy.id,
        &policy.name,
        encode_entity(&policy),
        now,
    )
    .await?;
    let service = Service {
        id: Uuid::now_v7(),
        name: "bench-service".into(),
        description: String::new(),
        owner_team_id: None,
        tier: 1,
        default_category: None,
        maintenance_windows: Vec::new(),
        escalation_policy_id: Some(policy.id),
    };
    insert(
        store,
        EntityKind::Service,
        service.id,
        &service.name,
        encode_entity(&service),
        now,
    )
    .await?;
    Ok((pager.id, service.id))
}

/// Imports `n` new incidents on the service; returns their ids in creation order.
async fn import(
    store: &dyn Store,
    n: usize,
    pager: Uuid,
    service: Uuid,
) -> anyhow::Result<Vec<Uuid>> {
    let matrix = PriorityMatrix::default();
    let codes: Vec<String> = Vec::new();
    let actor = Actor::user(pager, "pager");
    let mut ids = Vec::with_capacity(n);
    let mut batch = Vec::with_capacity(IMPORT_BATCH);
    for i in 0..n {
        let ctx = CommandContext {
            now: now_ms(),
            actor: actor.clone(),
            matrix: &matrix,
            resolution_codes: &codes,
        };
        let new = NewIncident {
            title: Some(format!(
                "Bench incident {i}: checkout latency above its objective"
            )),
            description: Some("Opened by mayday-paging-bench; pages its service's policy.".into()),
            reporter_id: Some(pager),
            category: Some("software".into()),
            service_id: Some(service),
            impact: Some(Impact::new(1).map_err(anyhow::Error::msg)?),
            urgency: Some(Urgency::new(1).map_err(anyhow::Error::msg)?),
            ..Default::default()
        };
        let (inc, event) = Incident::open(Uuid::now_v7(), new, &ctx)?;
        ids.push(inc.id);
        batch.push((inc, vec![event]));
        if batch.len() == IMPORT_BATCH || i + 1 == n {
            store
                .import_incidents(std::mem::take(&mut batch))
                .await
                .context("importing incidents")?;
        }
    }
    Ok(ids)
}

/// Arms one escalation timer per incident with the given due times.
async fn arm(store: &dyn Store, due: &[(Uuid, Millis)]) -> anyhow::Result<()> {
    let now = now_ms();
    let action = TimerAction::Escalate {
        policy_id: None,
        level: 0,
        round: 0,
        manual: false,
    };
    for chunk in due.chunks(ARM_BATCH) {
        let timers = chunk
            .iter()
            .map(|&(id, at)| action.timer(id, at, now))
            .collect();
        store.arm_timers(timers).await.context("arming timers")?;
    }
    // The planner's statistics, as a live installation holding this many timers would have.
    store.analyze().await.context("refreshing statistics")?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Figures

#[derive(Clone, Copy)]
struct Spread {
    p50: f64,
    p99: f64,
    max: f64,
}

/// Nearest-rank percentiles (as the other benchmarks); `None` when empty.
fn spread(mut v: Vec<f64>) -> Option<Spread> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    Some(Spread {
        p50: at(0.50),
        p99: at(0.99),
        max: v[v.len() - 1],
    })
}

fn fmt_ms(s: Option<Spread>) -> String {
    s.map_or("–".into(), |s| {
        format!("{:.0} / {:.0} / {:.0} ms", s.p50, s.p99, s.max)
    })
}

/// The most items in any window of `width` ms (times sorted ascending).
fn peak_per_window(sorted: &[f64], width: f64) -> usize {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..sorted.len() {
        while sorted[hi] - sorted[lo] >= width {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

struct Report {
    engine: String,
    nodes: usize,
    incidents: usize,
    import_s: f64,
    arm_s: f64,
    messages_read: usize,
    read_s: f64,
    truncated: bool,
    other_events: HashMap<String, usize>,
    statuses: HashMap<String, usize>,
    pages: usize,
    missed: usize,
    /// Of the missed: incidents whose first timer was still pending at the end.
    unworked: usize,
    doubled: usize,
    foreign: usize,
    lag: Option<Spread>,
    first_due: Millis,
    last_due: Millis,
    first_page: Option<Millis>,
    last_page: Option<Millis>,
    peak_1s: usize,
    delivered: usize,
    distinct: usize,
    unknown_ids: usize,
    delivered_pages: usize,
    delivery_lag: Option<Spread>,
    last_delivery: Option<f64>,
    timers_after: i64,
    /// Per node: (pid, VmHWM KiB, VmRSS KiB at the end).
    memory: Vec<(u32, u64, u64)>,
    /// Per node: its index and what its log (stderr, `MAYDAY_LOG=warn`) held.
    logs: Vec<(usize, LogSummary)>,
    worked_off_after_last_due: Option<f64>,
}

impl Report {
    fn pages_per_s(&self) -> Option<f64> {
        let last = self.last_page?;
        let span = (last - self.first_due) as f64 / 1000.0;
        (span > 0.0).then(|| self.pages as f64 / span)
    }

    fn print(&self) {
        let offered = if self.last_due > self.first_due {
            format!(
                "{:.0}/s",
                self.incidents as f64 / ((self.last_due - self.first_due) as f64 / 1000.0)
            )
        } else {
            "all at once".into()
        };
        println!();
        println!(
            "setup: {} incidents imported in {:.1} s, {} timers armed in {:.1} s",
            self.incidents, self.import_s, self.incidents, self.arm_s
        );
        println!(
            "due: {:.1} s of due times (offered {offered}); worked off {} after the last due time",
            (self.last_due - self.first_due) as f64 / 1000.0,
            self.worked_off_after_last_due
                .map_or("(not within the timeout)".into(), |s| format!("{s:.1} s")),
        );
        println!(
            "outbox: {} messages read with Store::list_messages in {:.1} s{}; by status: {}",
            self.messages_read,
            self.read_s,
            if self.truncated {
                " (TRUNCATED at the limit: counts are a lower bound)"
            } else {
                ""
            },
            sorted_counts(&self.statuses),
        );
        if !self.other_events.is_empty() {
            println!(
                "outbox: messages other than pages: {}",
                sorted_counts(&self.other_events)
            );
        }
        if self.foreign > 0 {
            println!(
                "outbox: {} pages for incidents this run did not arm",
                self.foreign
            );
        }
        if let (Some(first), Some(last)) = (self.first_page, self.last_page) {
            println!(
                "pages/s = pages ÷ (last page's created_at − first due time) = {} ÷ {:.2} s; \
                 first page {:+} ms after the first due time; busiest second: {} pages",
                self.pages,
                (last - self.first_due) as f64 / 1000.0,
                first - self.first_due,
                self.peak_1s,
            );
        }
        println!(
            "deliveries: {} requests, {} distinct delivery ids ({} repeats), {} ids that are no \
             page message, {} of {} pages delivered{}",
            self.delivered,
            self.distinct,
            self.delivered - self.distinct,
            self.unknown_ids,
            self.delivered_pages,
            self.pages,
            self.last_delivery.map_or(String::new(), |l| format!(
                "; last delivery {:.1} s after the last due time, {:.0} deliveries/s over the run",
                (l - self.last_due as f64) / 1000.0,
                self.distinct as f64 / ((l - self.first_due as f64) / 1000.0).max(0.001)
            )),
        );
        if self.missed > 0 {
            println!(
                "missed: {} incidents without a page: {} with their first timer still pending at \
                 the end (not worked off within the timeout), {} with it gone",
                self.missed,
                self.unworked,
                self.missed - self.unworked
            );
        }
        for (index, log) in &self.logs {
            if log.lines == 0 {
                println!("node {index} log: empty");
                continue;
            }
            println!(
                "node {index} log: {} lines ({} warnings, {} errors); most frequent:",
                log.lines, log.warnings, log.errors
            );
            for (n, text) in &log.frequent {
                println!("  {n} × {text}");
            }
        }
        for (pid, hwm, rss) in &self.memory {
            println!(
                "node pid {pid}: peak RSS (VmHWM) {:.1} MiB, RSS at the end {:.1} MiB",
                *hwm as f64 / 1024.0,
                *rss as f64 / 1024.0
            );
        }
        println!();
        println!(
            "| engine, nodes | incidents | pages queued | missed | doubled | lag due → queued p50 / p99 / max | pages/s | delivered (distinct / repeats) | lag due → delivered p50 / p99 / max | timers after | peak RSS per node |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let rss: Vec<String> = self
            .memory
            .iter()
            .map(|(_, hwm, _)| format!("{:.0}", *hwm as f64 / 1024.0))
            .collect();
        println!(
            "| {}, {} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} MiB |",
            self.engine,
            self.nodes,
            self.incidents,
            self.pages,
            self.missed,
            self.doubled,
            fmt_ms(self.lag),
            self.pages_per_s().map_or("–".into(), |r| format!("{r:.0}")),
            self.distinct,
            self.delivered - self.distinct,
            fmt_ms(self.delivery_lag),
            self.timers_after,
            rss.join(" / "),
        );
        println!();
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        println!(
            "target: p99 lag < 1 s: {}; missed = 0: {}; doubled = 0: {}; timers after = {}: {}",
            verdict(self.lag.is_some_and(|l| l.p99 < 1000.0)),
            verdict(self.missed == 0),
            verdict(self.doubled == 0),
            self.incidents,
            verdict(self.timers_after == self.incidents as i64),
        );
    }
}

/// What a node's log held: line counts and its most frequent messages.
#[derive(Default)]
struct LogSummary {
    lines: usize,
    warnings: usize,
    errors: usize,
    frequent: Vec<(usize, String)>,
}

/// Reads a node's log: lines without ANSI colours and timestamps, grouped by their first 140
/// characters (a message and its first fields).
fn log_summary(path: &Path) -> LogSummary {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut summary = LogSummary::default();
    let mut groups: HashMap<String, usize> = HashMap::new();
    for line in text.lines() {
        let mut plain = String::with_capacity(line.len());
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // An escape sequence: up to its final letter.
                for e in chars.by_ref() {
                    if e.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                plain.push(c);
            }
        }
        let rest = plain
            .split_once(' ')
            .map_or(plain.as_str(), |(_, r)| r)
            .trim();
        summary.lines += 1;
        if rest.starts_with("WARN") {
            summary.warnings += 1;
        } else if rest.starts_with("ERROR") {
            summary.errors += 1;
        }
        let key: String = rest.chars().take(140).collect();
        *groups.entry(key).or_default() += 1;
    }
    let mut frequent: Vec<(usize, String)> = groups.into_iter().map(|(k, n)| (n, k)).collect();
    frequent.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    frequent.truncate(4);
    summary.frequent = frequent;
    summary
}

fn sorted_counts(m: &HashMap<String, usize>) -> String {
    let mut v: Vec<_> = m.iter().collect();
    v.sort();
    v.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// The run

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "?".into());
    format!("{cores} cores ({cpu}), Linux {kernel}")
}

fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Waits until every incident's page arrived, nothing arrived for [`DELIVERY_IDLE`], or
/// `--delivery-timeout` passed, printing progress.
async fn wait_for_deliveries(
    args: &Args,
    running: &mut [Node],
    receiver: &Receiver,
    t0: Millis,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut last_print = Instant::now();
    loop {
        for n in running.iter_mut() {
            n.check_alive()?;
        }
        let (hits, distinct, idle) = receiver.counts();
        if distinct >= args.incidents {
            return Ok(());
        }
        if idle.unwrap_or(started.elapsed()) >= DELIVERY_IDLE {
            println!(
                "  no delivery for {DELIVERY_IDLE:?}: {distinct} of {} delivered; stop waiting",
                args.incidents
            );
            return Ok(());
        }
        if started.elapsed() >= args.delivery_timeout {
            println!(
                "  delivery timeout ({:?}): {distinct} of {} delivered",
                args.delivery_timeout, args.incidents
            );
            return Ok(());
        }
        if last_print.elapsed() >= PROGRESS_EVERY {
            last_print = Instant::now();
            println!(
                "  t0{:+.1} s: {hits} deliveries ({distinct} distinct)",
                (now_ms() - t0) as f64 / 1000.0
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn run(args: &Args, work: &Path, db: Option<&PgDatabase>) -> anyhow::Result<Report> {
    let nodes = args.nodes.unwrap_or(if db.is_some() { 3 } else { 1 });
    let (engine, config, db_args) = match db {
        Some(db) => (
            "PostgreSQL",
            DatabaseConfig::Url(db.url.clone()),
            vec!["--database-url".to_string(), db.url.clone()],
        ),
        None => {
            let dir = work.join("data");
            std::fs::create_dir_all(&dir)?;
            (
                "SQLite",
                DatabaseConfig::SqliteDir(dir.clone()),
                vec!["--data-dir".to_string(), dir.display().to_string()],
            )
        }
    };
    println!(
        "{engine}, {nodes} node(s), {} incidents; database: {}",
        args.incidents, db_args[1]
    );
    let store = setup::open_store(&config).await?;
    setup::prepare(store.as_ref(), &SystemClock, Some(ADMIN_TOKEN)).await?;
    let receiver = Receiver::start(args.stall_deliveries).await?;
    let (pager, service) = seed_directory(store.as_ref(), &receiver.url).await?;

    let start = Instant::now();
    let ids = import(store.as_ref(), args.incidents, pager, service).await?;
    let import_s = start.elapsed().as_secs_f64();
    println!(
        "imported {} incidents in {import_s:.1} s ({:.0}/s)",
        ids.len(),
        ids.len() as f64 / import_s
    );

    // T0: due times from T0 + lead over the spread, drawn uniformly.
    let t0 = now_ms();
    let lead_ms = args.lead.as_millis() as i64;
    let spread_ms = args.spread.as_millis() as i64;
    let mut rng = Rng::new(0x7133_D0E5);
    let due: Vec<(Uuid, Millis)> = ids
        .iter()
        .map(|&id| (id, t0 + lead_ms + (rng.unit() * spread_ms as f64) as i64))
        .collect();
    let first_due = due.iter().map(|d| d.1).min().unwrap_or(t0);
    let last_due = due.iter().map(|d| d.1).max().unwrap_or(t0);
    let start = Instant::now();
    arm(store.as_ref(), &due).await?;
    let arm_s = start.elapsed().as_secs_f64();
    println!("armed {} timers in {arm_s:.1} s", due.len());

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let mut running = Vec::with_capacity(nodes);
    for i in 0..nodes {
        let mut node = Node::spawn(args, i + 1, &db_args, work)?;
        node.wait_ready(&http).await?;
        println!(
            "node {} (pid {}) serving {}",
            node.index,
            node.pid(),
            node.base
        );
        running.push(node);
    }
    let ready_at = now_ms();
    if ready_at > first_due {
        println!(
            "warning: the nodes were ready {} ms after the first due time (raise --lead)",
            ready_at - first_due
        );
    } else {
        println!(
            "nodes ready {:.1} s before the first due time; due times span {:.1} s",
            (first_due - ready_at) as f64 / 1000.0,
            (last_due - first_due) as f64 / 1000.0
        );
    }

    // Wait until no timer due by the last due time is left (the next level's are an hour out).
    let deadline = last_due + args.timeout.as_millis() as i64;
    let mut last_print = Instant::now();
    let worked_off_after_last_due = loop {
        for n in &mut running {
            n.check_alive()?;
        }
        let now = now_ms();
        let next = store.next_timer_due().await?;
        if now >= first_due && next.is_none_or(|d| d > last_due) {
            break Some((now - last_due) as f64 / 1000.0);
        }
        if now > deadline {
            println!(
                "timers still due {:?} after the last due time: giving up on the rest",
                args.timeout
            );
            break None;
        }
        if last_print.elapsed() >= PROGRESS_EVERY {
            last_print = Instant::now();
            let (hits, distinct, _) = receiver.counts();
            let head = next.map_or("none".into(), |d| {
                if d <= now {
                    format!("{} ms overdue", now - d)
                } else {
                    format!("due in {} ms", d - now)
                }
            });
            println!(
                "  t0{:+.1} s: earliest pending timer {head}; {hits} deliveries ({distinct} distinct)",
                (now - t0) as f64 / 1000.0
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // Deliveries: until every incident's page arrived, nothing arrives any more, or time is up.
    if !args.stall_deliveries {
        wait_for_deliveries(args, &mut running, &receiver, t0).await?;
    }

    let mut memory = Vec::new();
    for n in &running {
        let (rss, hwm) = memory_kib(n.pid()).unwrap_or((0, 0));
        memory.push((n.pid(), hwm, rss));
    }
    let log_paths: Vec<(usize, PathBuf)> =
        running.iter().map(|n| (n.index, n.log.clone())).collect();
    drop(running);
    let logs = log_paths
        .iter()
        .map(|(i, p)| (*i, log_summary(p)))
        .collect();

    // Every message of the outbox.
    let limit = (args.incidents * 3 + 1_000) as i64;
    let start = Instant::now();
    let messages = store
        .list_messages(&MessageQuery {
            incident_id: None,
            status: None,
            limit,
        })
        .await
        .context("listing the outbox")?;
    let read_s = start.elapsed().as_secs_f64();
    let timers_after = store.timer_count().await?;

    let due_of: HashMap<Uuid, Millis> = due.iter().copied().collect();
    let mut pages_of: HashMap<Uuid, Vec<(Uuid, Millis)>> = HashMap::new();
    let mut statuses: HashMap<String, usize> = HashMap::new();
    let mut other_events: HashMap<String, usize> = HashMap::new();
    let mut foreign = 0;
    let mut page_ids = HashSet::new();
    for m in &messages {
        let msg = &m.message;
        *statuses.entry(m.status.as_str().to_string()).or_default() += 1;
        if msg.event != "triggered" {
            *other_events.entry(msg.event.clone()).or_default() += 1;
            continue;
        }
        match msg.incident_id.filter(|id| due_of.contains_key(id)) {
            Some(id) => {
                page_ids.insert(msg.id);
                pages_of
                    .entry(id)
                    .or_default()
                    .push((msg.id, msg.created_at));
            }
            None => foreign += 1,
        }
    }
    let pages: usize = pages_of.values().map(Vec::len).sum();
    let missed = due.len() - pages_of.len();
    // An incident without a page whose first timer is still there was not worked off in time;
    // one whose timer is gone was dropped.
    let mut unworked = 0;
    for (id, at) in &due {
        if !pages_of.contains_key(id)
            && store
                .incident_timers(*id)
                .await?
                .iter()
                .any(|t| t.due_at == *at)
        {
            unworked += 1;
        }
    }
    let doubled = pages_of.values().filter(|p| p.len() > 1).count();
    let mut lags = Vec::with_capacity(pages_of.len());
    let mut created: Vec<f64> = Vec::with_capacity(pages);
    for (id, ps) in &pages_of {
        let first = ps.iter().map(|p| p.1).min().unwrap_or(0);
        lags.push((first - due_of[id]) as f64);
        created.extend(ps.iter().map(|p| p.1 as f64));
    }
    created.sort_by(|a, b| a.total_cmp(b));
    let peak_1s = peak_per_window(&created, 1000.0);

    // Deliveries: the first arrival of each incident's page.
    let rec = receiver.rec.lock().unwrap_or_else(|e| e.into_inner());
    let mut first_delivery: HashMap<Uuid, f64> = HashMap::new();
    let mut unknown_ids = 0;
    let mut seen = HashSet::new();
    for h in &rec.hits {
        let known = Uuid::parse_str(&h.delivery_id).is_ok_and(|id| page_ids.contains(&id));
        if !seen.insert(h.delivery_id.clone()) {
            continue;
        }
        if !known || h.event != "triggered" {
            unknown_ids += 1;
            continue;
        }
        if let Some(id) = h.incident_id.filter(|id| due_of.contains_key(id)) {
            let e = first_delivery.entry(id).or_insert(h.at_ms);
            *e = e.min(h.at_ms);
        }
    }
    let delivery_lag = spread(
        first_delivery
            .iter()
            .map(|(id, at)| at - due_of[id] as f64)
            .collect(),
    );
    let report = Report {
        engine: engine.to_string(),
        nodes,
        incidents: due.len(),
        import_s,
        arm_s,
        messages_read: messages.len(),
        read_s,
        truncated: messages.len() as i64 >= limit,
        other_events,
        statuses,
        pages,
        missed,
        unworked,
        doubled,
        foreign,
        lag: spread(lags),
        first_due,
        last_due,
        first_page: created.first().map(|&c| c as Millis),
        last_page: created.last().map(|&c| c as Millis),
        peak_1s,
        delivered: rec.hits.len(),
        distinct: rec.ids.len(),
        unknown_ids,
        delivered_pages: first_delivery.len(),
        delivery_lag,
        last_delivery: rec.hits.iter().map(|h| h.at_ms).reduce(f64::max),
        timers_after,
        memory,
        logs,
        worked_off_after_last_due,
    };
    Ok(report)
}

async fn bench() -> anyhow::Result<bool> {
    let args = Args::parse();
    // reqwest's TLS comes without a default crypto provider: use ring, as the binary does.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let command: Vec<String> = std::env::args().map(|a| shell_quote(&a)).collect();
    println!("command: {}", command.join(" "));
    println!("machine: {}", machine());
    if !args.mayday.is_file() {
        bail!(
            "mayday not found at {}: build it with `cargo build --release -p mayday` or pass --mayday",
            args.mayday.display()
        );
    }
    if args.incidents == 0 {
        bail!("--incidents must be at least 1");
    }
    if args.spread >= Duration::from_secs(u64::from(LEVEL_DELAY_S)) {
        bail!("--spread must be under {LEVEL_DELAY_S} s (the next level's delay)");
    }
    match args.nodes {
        Some(0) => bail!("--nodes must be at least 1"),
        Some(n) if n > 1 && args.postgres.is_none() => {
            bail!("SQLite is one node: --nodes above 1 needs --postgres")
        }
        _ => {}
    }
    let work = match &args.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            tempfile::tempdir_in(d)?
        }
        None => tempfile::tempdir()?,
    };
    let db = match &args.postgres {
        Some(url) => Some(PgDatabase::create(url).await?),
        None => None,
    };
    // Ctrl-C ends the run through the same path as an error: the nodes are killed when the run
    // is dropped, and the database is dropped after it.
    let result = tokio::select! {
        r = run(&args, work.path(), db.as_ref()) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    if args.keep {
        let path = work.keep();
        println!("kept: work directory {}", path.display());
        if let Some(db) = &db {
            println!("kept: database {}", db.url);
        }
    } else if let Some(db) = db {
        let name = db.name.clone();
        if let Err(e) = db.drop_now().await {
            eprintln!("error: could not drop database {name}: {e:#}");
        }
    }
    let report = result?;
    report.print();
    Ok(report.missed == 0 && report.doubled == 0)
}

#[tokio::main]
async fn main() -> ExitCode {
    match bench().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("error: pages were missed or doubled");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
