//! Alert intake under load: Mayday's PagerDuty-compatible endpoint against Prometheus
//! Alertmanager, with the same load in the same run.
//!
//! For each server the program starts the real binary on loopback with fresh storage, waits until
//! it is ready, sends one probe event (which must get the expected status), then runs `wrk` for
//! `--duration` with `--threads` and `--connections` (defaults 10s, 2, 32). Every request carries
//! one new alert with a key unique per wrk thread and request (`t<thread>-<n>`), made by a Lua
//! script this program writes to a temporary file; the script's `done` hook prints one JSON line
//! with the counts and the latency percentiles, which this program reads.
//!
//! - Mayday (`mayday serve`, `--mayday-bin`, default `target/release/mayday`): a service and a
//!   `pagerduty_events_v2` integration are created through the API with the bootstrap admin
//!   token; the load is PagerDuty Events v2 `trigger` events POSTed to `/v2/enqueue` (expected
//!   202). Mayday answers before the incident exists, so after the load the program polls
//!   `GET /api/v1/intake/status` until nothing is pending: the drain time is how long after the
//!   load ended that happened, and the lag percentiles (202 to incident visible) come from the
//!   server. Finally it counts the service's incidents (`include_total=true`) against the events
//!   accepted. The integration has no rate limit of its own; the per-address limit of the API
//!   (which does not cover intake endpoints) is turned off with a configuration file, as the
//!   status polling comes from the same address. `--database-url` runs on a fresh PostgreSQL
//!   database instead of SQLite in a temporary directory, dropped at the end.
//! - Alertmanager 0.25 (`--alertmanager-bin`, default `/usr/bin/prometheus-alertmanager`) with a
//!   single `null` receiver and clustering off; the load is one-alert arrays POSTed to
//!   `/api/v2/alerts` (expected 200).
//!
//! Memory is the server's resident set from `/proc/<pid>/status`: `VmHWM` is the peak (taken
//! after the drain for Mayday), "at end" is `VmRSS` when the load ends; it is also sampled every
//! 100 ms during the load. Throughput counts 2xx answers only. wrk runs on the same machine, so
//! it competes with the server for the cores; the figures compare the two servers, not the
//! machine's ceiling.
//!
//! ```sh
//! cargo build --release -p mayday -p mayday-bench
//! ./target/release/mayday-intake-bench --duration 10s
//! ./target/release/mayday-intake-bench --only mayday \
//!     --database-url postgres://postgres@127.0.0.1:5432/postgres
//! ```

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use serde::Deserialize;
use serde_json::{Value, json};

/// The bootstrap admin's API token (40 characters).
const ADMIN_TOKEN: &str = "mayday-intake-bench-admin-token-0123456";
/// How long a server may take to answer its readiness check.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the resident set is sampled during the load.
const RSS_EVERY: Duration = Duration::from_millis(100);
/// wrk's per-request timeout: a slow answer is measured rather than dropped as an error.
const WRK_TIMEOUT: &str = "10s";

#[derive(Parser)]
#[command(
    name = "mayday-intake-bench",
    about = "Alert intake under load: Mayday's /v2/enqueue against Alertmanager's /api/v2/alerts"
)]
struct Args {
    /// Load duration per server, in wrk's form: 10s, 2m, 1h.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// wrk connections, spread over the threads.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// The `mayday` release binary.
    #[arg(long, default_value = "target/release/mayday")]
    mayday_bin: PathBuf,
    /// The Alertmanager binary.
    #[arg(long, default_value = "/usr/bin/prometheus-alertmanager")]
    alertmanager_bin: PathBuf,
    /// The wrk binary.
    #[arg(long, default_value = "/usr/bin/wrk")]
    wrk_bin: PathBuf,
    /// Which servers to measure.
    #[arg(long, value_enum, default_value_t = Only::Both)]
    only: Only,
    /// Run Mayday on PostgreSQL: a server URL (postgres://user@host:port/db); a fresh database
    /// is created next to `db` and dropped at the end. Default: SQLite in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Longest wait for Mayday's intake queue to drain after the load.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    drain_timeout: Duration,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Only {
    Mayday,
    Alertmanager,
    Both,
}

/// `10`, `10s`, `2m`, `1h` (whole units, as wrk takes them).
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
    if secs == 0 {
        return Err("the duration must be at least 1s".into());
    }
    Ok(Duration::from_secs(secs))
}

// ---------------------------------------------------------------------------------------------
// Child processes

/// A server process, killed (and reaped) when dropped, on every path out including errors.
struct Server {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Server {
    fn spawn(name: &'static str, mut cmd: Command, log: PathBuf) -> anyhow::Result<Self> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        let stderr = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {name} ({program})"))?;
        Ok(Self { name, child, log })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines the server wrote to stderr, for error messages.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        if lines.is_empty() {
            return "(nothing on stderr)".into();
        }
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Polls `url` until it answers 200; fails if the process exits or time runs out.
    async fn wait_ready(&mut self, http: &reqwest::Client, url: &str) -> anyhow::Result<Duration> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited ({status}) before answering {url}; its log:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            if let Ok(r) = http.get(url).send().await
                && r.status().is_success()
            {
                return Ok(start.elapsed());
            }
            if start.elapsed() > READY_TIMEOUT {
                bail!(
                    "{} did not answer {url} within {READY_TIMEOUT:?}; its log:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

fn require_file(path: &Path, what: &str, hint: &str) -> anyhow::Result<()> {
    if !path.is_file() {
        bail!("{what} not found at {}: {hint}", path.display());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Memory

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

/// Samples a process's resident set every [`RSS_EVERY`] until dropped; keeps the largest.
struct RssSampler {
    max_kib: Arc<AtomicU64>,
    samples: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let max_kib = Arc::new(AtomicU64::new(0));
        let samples = Arc::new(AtomicU64::new(0));
        let (max, n) = (max_kib.clone(), samples.clone());
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(RSS_EVERY);
            loop {
                tick.tick().await;
                if let Ok((rss, _)) = memory_kib(pid) {
                    max.fetch_max(rss, Ordering::Relaxed);
                    n.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        Self {
            max_kib,
            samples,
            task,
        }
    }

    /// (largest sample in KiB, number of samples).
    fn stop(self) -> (u64, u64) {
        self.task.abort();
        (
            self.max_kib.load(Ordering::Relaxed),
            self.samples.load(Ordering::Relaxed),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// wrk

/// The Lua script wrk runs: `@BODY@` is a Lua expression of `id`, `@EXPECTED@` the status code.
const WRK_SCRIPT: &str = r#"-- Written by mayday-intake-bench: one new alert per request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local expected = @EXPECTED@

-- Main state: number the threads and keep them to add up their counts in done().
local threads = {}
local next_tid = 1
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

-- Thread states.
function init(args)
  n = 0
  non2xx = 0
  unexpected = 0
end

local function body(id)
  return @BODY@
end

function request()
  n = n + 1
  return wrk.format(nil, nil, nil, body("t" .. tid .. "-" .. n))
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if status ~= expected then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  local bad, odd = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    odd = odd + t:get("unexpected")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"non_2xx":%d,"unexpected_status":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%.1f,"p90":%.1f,"p99":%.1f,"max":%.1f}}\n',
    summary.requests, summary.duration, bad, odd,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"#;

/// What wrk's `done` hook printed.
#[derive(Debug, Deserialize)]
struct Load {
    requests: u64,
    duration_us: u64,
    non_2xx: u64,
    unexpected_status: u64,
    socket_errors: SocketErrors,
    latency_us: Latency,
}

#[derive(Debug, Deserialize)]
struct SocketErrors {
    connect: u64,
    read: u64,
    write: u64,
    timeout: u64,
}

#[derive(Debug, Deserialize)]
struct Latency {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

impl Load {
    fn ok(&self) -> u64 {
        self.requests - self.non_2xx
    }
    fn per_second(&self) -> f64 {
        self.ok() as f64 / (self.duration_us as f64 / 1e6)
    }
    fn socket_errors(&self) -> u64 {
        let e = &self.socket_errors;
        e.connect + e.read + e.write + e.timeout
    }
}

/// Memory of a server over its run, in KiB.
struct Memory {
    /// `VmHWM`: the peak resident set since the process started.
    peak: u64,
    /// `VmRSS` when the load ended.
    at_end: u64,
    /// Largest sampled `VmRSS` during the load, and the number of samples.
    sampled_max: u64,
    samples: u64,
}

struct Run {
    load: Load,
    memory: Memory,
}

/// Runs wrk against `url` while sampling the server's memory.
async fn run_load(
    args: &Args,
    work: &Path,
    server: &Server,
    url: &str,
    body_lua: &str,
    expected: u16,
) -> anyhow::Result<Run> {
    let script = work.join(format!("{}.lua", server.name.to_lowercase()));
    let text = WRK_SCRIPT
        .replace("@EXPECTED@", &expected.to_string())
        .replace("@BODY@", body_lua);
    std::fs::write(&script, text).with_context(|| format!("writing {}", script.display()))?;
    let wrk_args = vec![
        format!("--threads={}", args.threads),
        format!("--connections={}", args.connections),
        format!("--duration={}s", args.duration.as_secs()),
        format!("--timeout={WRK_TIMEOUT}"),
        "--latency".to_string(),
        format!("--script={}", script.display()),
        url.to_string(),
    ];
    println!("  load: {} {}", args.wrk_bin.display(), wrk_args.join(" "));

    let sampler = RssSampler::start(server.pid());
    let output = tokio::process::Command::new(&args.wrk_bin)
        .args(&wrk_args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .with_context(|| format!("cannot run {}", args.wrk_bin.display()))?;
    let (at_end, _) = memory_kib(server.pid()).context("the server is gone after the load")?;
    let (sampled_max, samples) = sampler.stop();

    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WRK_RESULT "))
        .with_context(|| {
            format!(
                "wrk ({}) printed no result line; its output:\n{stdout}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let load: Load =
        serde_json::from_str(line).with_context(|| format!("wrk's result line: {line}"))?;
    if load.requests == 0 {
        bail!("wrk completed no request against {url}; its output:\n{stdout}");
    }
    Ok(Run {
        load,
        memory: Memory {
            peak: 0,
            at_end,
            sampled_max,
            samples,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

/// Sends `body` to `url` (with the admin token when given); fails unless the status is `want`.
async fn post_json(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
    want: u16,
) -> anyhow::Result<Value> {
    let mut req = http.post(url).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.with_context(|| format!("POST {url}"))?;
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    if status != want {
        bail!("POST {url} answered {status}, expected {want}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get_json(http: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<Value> {
    let res = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("GET {url} answered {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| format!("GET {url}: not JSON: {text}"))
}

fn str_field<'a>(v: &'a Value, field: &str, what: &str) -> anyhow::Result<&'a str> {
    v[field]
        .as_str()
        .with_context(|| format!("{what}: no string `{field}` in {v}"))
}

// ---------------------------------------------------------------------------------------------
// Mayday

struct Drain {
    /// From the end of the load until `pending` was 0.
    after_load: Duration,
    /// The server's count of accepted events, when it gives one.
    accepted: Option<u64>,
    processed: u64,
    lag_count: u64,
    lag_p50_ms: Option<f64>,
    lag_p99_ms: Option<f64>,
    lag_max_ms: Option<f64>,
    /// The service's incidents, when the list gives a total.
    incidents: Option<u64>,
    /// `VmRSS` once drained, KiB.
    rss_drained: u64,
}

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
            bail!("--database-url must be postgres://..., got {server_url:?}");
        }
        let (prefix, _) = server_url
            .rsplit_once('/')
            .filter(|(p, _)| p.contains("//") && !p.ends_with('/'))
            .context("--database-url needs a database: postgres://user@host:port/postgres")?;
        let name = format!("mayday_intake_bench_{}", uuid::Uuid::now_v7().simple());
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

async fn run_mayday(
    args: &Args,
    http: &reqwest::Client,
    db_url: Option<&str>,
) -> anyhow::Result<(Run, Drain)> {
    let work = tempfile::tempdir().context("creating a temporary directory")?;
    let config = work.path().join("mayday.toml");
    // Everything comes from 127.0.0.1: no per-address limit on the API calls and polling.
    std::fs::write(&config, "[rate_limit]\nper_second = 0\n")?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");

    let mut cmd = Command::new(&args.mayday_bin);
    cmd.arg("serve").arg("--config").arg(&config);
    match db_url {
        Some(url) => cmd.args(["--database-url", url]),
        None => cmd.arg("--data-dir").arg(work.path().join("data")),
    };
    cmd.args(["--listen", &format!("127.0.0.1:{port}")]);
    for var in [
        "MAYDAY_DATA_DIR",
        "MAYDAY_DATABASE_URL",
        "MAYDAY_CONFIG",
        "MAYDAY_LISTEN",
        "MAYDAY_DEMO",
        "MAYDAY_LOG_FORMAT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("MAYDAY_BOOTSTRAP_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("MAYDAY_LOG", "warn");
    let mut server = Server::spawn("Mayday", cmd, work.path().join("mayday.log"))?;
    let ready = server.wait_ready(http, &format!("{base}/healthz")).await?;
    println!(
        "  Mayday (pid {}) serving {base} after {} ms",
        server.pid(),
        ready.as_millis()
    );

    let service = post_json(
        http,
        &format!("{base}/api/v1/services"),
        Some(ADMIN_TOKEN),
        &json!({"name": "bench", "tier": 1}),
        201,
    )
    .await
    .context("creating the service")?;
    let service_id = str_field(&service, "id", "the created service")?.to_string();
    let integration = post_json(
        http,
        &format!("{base}/api/v1/services/{service_id}/integrations"),
        Some(ADMIN_TOKEN),
        &json!({"kind": "pagerduty_events_v2", "name": "bench"}),
        201,
    )
    .await
    .context("creating the integration")?;
    let key = str_field(&integration, "key", "the created integration")?.to_string();
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
    {
        bail!("unexpected integration key {key:?}: letters, digits, '-' and '_' expected");
    }

    // One event before the load: checks the answer and warms the path.
    let enqueue = format!("{base}/v2/enqueue");
    post_json(
        http,
        &enqueue,
        None,
        &json!({"routing_key": key, "event_action": "trigger", "dedup_key": "probe",
            "payload": {"summary": "bench probe", "source": "bench", "severity": "critical"}}),
        202,
    )
    .await
    .context("the probe event")?;

    let body = format!(
        r#"'{{"routing_key":"{key}","event_action":"trigger","dedup_key":"' .. id .. '","payload":{{"summary":"bench alert ' .. id .. '","source":"bench","severity":"critical"}}}}'"#
    );
    let mut run = run_load(args, work.path(), &server, &enqueue, &body, 202).await?;
    let load_end = Instant::now();

    // Drain: until the intake queue is empty.
    let status_url = format!("{base}/api/v1/intake/status");
    let mut status = loop {
        let s = get_json(http, &status_url, ADMIN_TOKEN).await?;
        let pending = s["pending"]
            .as_u64()
            .with_context(|| format!("no `pending` count in {s}"))?;
        if pending == 0 {
            break s;
        }
        if load_end.elapsed() > args.drain_timeout {
            bail!(
                "Mayday still has {pending} events pending {:?} after the load: {s}; its log:\n{}",
                args.drain_timeout,
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let after_load = load_end.elapsed();
    let (rss_drained, peak) = memory_kib(server.pid())?;
    run.memory.peak = peak;
    // The counters may trail the queue by the last batch (the queue empties when its
    // transaction commits, the counters move after): read until they hold still.
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let s = get_json(http, &status_url, ADMIN_TOKEN).await?;
        let settled = s["processed"] == status["processed"] && s["accepted"] == status["accepted"];
        status = s;
        if settled {
            break;
        }
    }

    let list = get_json(
        http,
        &format!("{base}/api/v1/incidents?service={service_id}&limit=1&include_total=true"),
        ADMIN_TOKEN,
    )
    .await?;
    let lag = &status["lag_ms"];
    let drain = Drain {
        after_load,
        accepted: status["accepted"].as_u64(),
        processed: status["processed"]
            .as_u64()
            .with_context(|| format!("no `processed` count in {status}"))?,
        lag_count: lag["count"].as_u64().unwrap_or(0),
        lag_p50_ms: lag["p50"].as_f64(),
        lag_p99_ms: lag["p99"].as_f64(),
        lag_max_ms: lag["max"].as_f64(),
        incidents: list["total"].as_u64(),
        rss_drained,
    };
    drop(server);
    Ok((run, drain))
}

// ---------------------------------------------------------------------------------------------
// Alertmanager

/// The run and the number of alerts Alertmanager holds afterwards.
async fn run_alertmanager(
    args: &Args,
    http: &reqwest::Client,
) -> anyhow::Result<(Run, Option<u64>)> {
    let work = tempfile::tempdir().context("creating a temporary directory")?;
    let config = work.path().join("alertmanager.yml");
    // Quoted: a bare null is YAML's null, not a name.
    std::fs::write(
        &config,
        "route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n",
    )?;
    let storage = work.path().join("data");
    std::fs::create_dir(&storage)?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");

    let mut cmd = Command::new(&args.alertmanager_bin);
    cmd.arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", storage.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=");
    let mut server = Server::spawn("Alertmanager", cmd, work.path().join("alertmanager.log"))?;
    let ready = server.wait_ready(http, &format!("{base}/-/ready")).await?;
    println!(
        "  Alertmanager (pid {}) serving {base} after {} ms",
        server.pid(),
        ready.as_millis()
    );

    let alerts = format!("{base}/api/v2/alerts");
    post_json(
        http,
        &alerts,
        None,
        &json!([{"labels": {"alertname": "bench", "id": "probe"},
            "annotations": {"summary": "bench probe"}}]),
        200,
    )
    .await
    .context("the probe alert")?;

    let body = r#"'[{"labels":{"alertname":"bench","id":"' .. id .. '"},"annotations":{"summary":"bench alert"}}]'"#;
    let mut run = run_load(args, work.path(), &server, &alerts, body, 200).await?;
    run.memory.peak = memory_kib(server.pid())?.1;
    // Every alert is distinct, so Alertmanager should hold them all: the `alertmanager_alerts`
    // gauges (active, suppressed, unprocessed) from /metrics, summed.
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    let held: Vec<f64> = metrics
        .lines()
        .filter(|l| l.starts_with("alertmanager_alerts{state="))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse().ok())
        .collect();
    let active = (!held.is_empty()).then(|| held.iter().sum::<f64>());
    drop(server);
    Ok((run, active.map(|a| a as u64)))
}

// ---------------------------------------------------------------------------------------------
// Report

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn ms(us: f64) -> f64 {
    us / 1000.0
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.1} ms"))
}

fn row(name: &str, r: &Run) -> String {
    let l = &r.load;
    format!(
        "| {name} | {:.0} | {:.2} / {:.2} ms | {} / {} | {:.1} | {:.1} |",
        l.per_second(),
        ms(l.latency_us.p50),
        ms(l.latency_us.p99),
        l.non_2xx,
        l.socket_errors(),
        mib(r.memory.peak),
        mib(r.memory.at_end),
    )
}

fn details(name: &str, r: &Run) {
    let l = &r.load;
    let e = &l.socket_errors;
    println!(
        "{name}: {} requests in {:.2} s, {} answered 2xx, {} with another status than expected; \
         latency p90 {:.2} ms, max {:.2} ms; socket errors connect {} read {} write {} timeout {}; \
         largest sampled RSS {:.1} MiB ({} samples)",
        l.requests,
        l.duration_us as f64 / 1e6,
        l.ok(),
        l.unexpected_status,
        ms(l.latency_us.p90),
        ms(l.latency_us.max),
        e.connect,
        e.read,
        e.write,
        e.timeout,
        mib(r.memory.sampled_max),
        r.memory.samples,
    );
}

/// How many alerts the server should hold after a run: wrk's 2xx answers plus the probe, and up
/// to `connections` more, as wrk stops with requests in flight that the server may still accept.
fn check(args: &Args, run: &Run, n: u64) -> String {
    let low = run.load.ok() + 1;
    let high = low + u64::from(args.connections);
    let verdict = if (low..=high).contains(&n) {
        "as expected"
    } else {
        "MISMATCH"
    };
    format!("{n} ({verdict}: 2xx + probe = {low}, up to {high} with requests in flight)")
}

fn report(
    args: &Args,
    mayday: Option<&(Run, Drain)>,
    alertmanager: Option<&(Run, Option<u64>)>,
    database: &str,
) {
    println!();
    println!(
        "| server | events/s (2xx) | latency p50 / p99 | non-2xx / socket errors | peak RSS MiB | RSS at end MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    if let Some((run, _)) = mayday {
        println!("{}", row(&format!("Mayday ({database})"), run));
    }
    if let Some((run, _)) = alertmanager {
        println!("{}", row("Alertmanager 0.25", run));
    }
    println!();
    if let Some((run, d)) = mayday {
        details("Mayday", run);
        println!(
            "Mayday drain: pending reached 0 {} ms after the load ended; lag (202 → incident \
             visible) p50 {}, p99 {}, max {} over {} events; RSS once drained {:.1} MiB",
            d.after_load.as_millis(),
            opt_ms(d.lag_p50_ms),
            opt_ms(d.lag_p99_ms),
            opt_ms(d.lag_max_ms),
            d.lag_count,
            mib(d.rss_drained),
        );
        if let Some(n) = d.accepted {
            println!("Mayday check: accepted {}", check(args, run, n));
        }
        println!("Mayday check: processed {}", check(args, run, d.processed));
        match d.incidents {
            Some(n) => println!(
                "Mayday check: incidents of the service {}",
                check(args, run, n)
            ),
            None => println!(
                "Mayday check: the incident list gives no total; only `processed` was compared"
            ),
        }
    }
    if let Some((run, active)) = alertmanager {
        details("Alertmanager", run);
        match active {
            Some(n) => println!("Alertmanager check: alerts held {}", check(args, run, *n)),
            None => println!("Alertmanager check: no alertmanager_alerts gauge in /metrics"),
        }
    }
    if let (Some((m, _)), Some((a, _))) = (mayday, alertmanager) {
        println!(
            "Ratios Mayday ÷ Alertmanager: events/s {:.2}; peak RSS {:.2}; RSS at end {:.2}",
            m.load.per_second() / a.load.per_second(),
            m.memory.peak as f64 / a.memory.peak as f64,
            m.memory.at_end as f64 / a.memory.at_end as f64,
        );
    }
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
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or("?".into(), |kib| {
            format!("{:.1} GiB", kib as f64 / 1048576.0)
        });
    format!("{cores} cores ({cpu}), {mem}, Linux {kernel}")
}

/// Fails naming what is missing before anything starts.
fn check_programs(args: &Args) -> anyhow::Result<()> {
    require_file(
        &args.wrk_bin,
        "wrk",
        "install it (Debian package wrk) or pass --wrk-bin",
    )?;
    if args.only != Only::Alertmanager {
        require_file(
            &args.mayday_bin,
            "mayday",
            "build it with `cargo build --release -p mayday` or pass --mayday-bin",
        )?;
    }
    if args.only != Only::Mayday {
        require_file(
            &args.alertmanager_bin,
            "Alertmanager",
            "install it (Debian package prometheus-alertmanager) or pass --alertmanager-bin",
        )?;
    }
    if args.threads == 0 || args.connections < args.threads {
        bail!("--connections must be at least --threads, and --threads at least 1");
    }
    Ok(())
}

async fn run(args: &Args, db: Option<&PgDatabase>) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let mut mayday = None;
    if args.only != Only::Alertmanager {
        println!("Mayday ({}):", args.mayday_bin.display());
        if let Some(db) = db {
            println!("  database: {} (dropped at the end)", db.name);
        }
        mayday = Some(run_mayday(args, &http, db.map(|d| d.url.as_str())).await?);
    }
    let mut alertmanager = None;
    if args.only != Only::Mayday {
        println!("Alertmanager ({}):", args.alertmanager_bin.display());
        alertmanager = Some(run_alertmanager(args, &http).await?);
    }
    let database = if db.is_some() { "PostgreSQL" } else { "SQLite" };
    report(args, mayday.as_ref(), alertmanager.as_ref(), database);
    Ok(())
}

async fn bench() -> anyhow::Result<()> {
    let args = Args::parse();
    // reqwest's TLS comes without a default crypto provider: use ring, as the binary does.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let command: Vec<String> = std::env::args().map(|a| shell_quote(&a)).collect();
    println!("command: {}", command.join(" "));
    println!("machine: {}", machine());
    println!(
        "load: {} threads, {} connections, {} s per server, one new alert per request",
        args.threads,
        args.connections,
        args.duration.as_secs()
    );
    check_programs(&args)?;
    let db = match &args.database_url {
        Some(url) if args.only != Only::Alertmanager => Some(PgDatabase::create(url).await?),
        _ => None,
    };
    // Ctrl-C ends the run through the same path as an error: the servers are killed when the
    // run is dropped, and the database is dropped after it.
    let result = tokio::select! {
        r = run(&args, db.as_ref()) => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    if let Some(db) = db {
        let name = db.name.clone();
        if let Err(e) = db.drop_now().await {
            eprintln!("error: could not drop database {name}: {e:#}");
            return result.and(Err(e));
        }
    }
    result
}

#[tokio::main]
async fn main() -> ExitCode {
    match bench().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
