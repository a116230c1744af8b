//! The core benchmark: how Mayday behaves at 100k and 1M incidents on SQLite and PostgreSQL.
//!
//! It generates incidents whose titles and descriptions come from the IT service ticket corpus
//! (`../shared/datasets/it-service-ticket-topics`, path given as the argument), with statuses,
//! priorities, services and ages spread like a real service desk, loads them through the
//! store's bulk path, then times four queries through the real HTTP API: (a) the open queue of
//! one service, (b) a one-word and (c) a two-word search with words drawn from the corpus, and
//! (d) one incident by number plus its timeline. Finally it starts the release `mayday` binary
//! on the loaded database and reports the time until it serves and its idle memory.
//! The workload is fixed (constant seeds, fixed sample counts); only where it runs can be chosen.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use mayday_core::incident::{CommandContext, NewIncident, Source, TransitionRequest};
use mayday_core::prng::SplitMix64 as Rng;
use mayday_core::state::Status;
use mayday_core::timeline::{Actor, Visibility};
use mayday_core::{Impact, Incident, Millis, PriorityMatrix, Role, Urgency};
use mayday_server::clock::SystemClock;
use mayday_server::setup::{self, DatabaseConfig};
use mayday_server::{AppState, Settings};
use mayday_store::{Entity, EntityKind, Service, Store, Team, encode_entity};
use uuid::Uuid;

/// Requests timed per query kind (after a warm-up of 20).
const SAMPLES: usize = 300;
const WARMUP: usize = 20;
const SERVICES: usize = 50;
const TEAMS: usize = 8;
const REPORTERS: usize = 200;
const AGENTS: usize = 40;
const BATCH: usize = 2_000;
/// Incidents are created over the 90 days before this instant (2026-06-01T00:00:00Z).
const END_MS: Millis = 1_780_272_000_000;
const SPAN_MS: Millis = 90 * 86_400_000;
const BOOTSTRAP: &str = "bench-bootstrap-token-0123456789";

#[derive(Parser)]
#[command(about = "Mayday's million-incident benchmark")]
struct Args {
    /// The it-service-ticket-topics folder (or its zip file).
    corpus: PathBuf,
    /// Sizes to measure at, ascending; each level adds incidents to the previous one.
    #[arg(long, default_value = "100000,1000000", value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Engines to run: sqlite, postgres.
    #[arg(long, default_value = "sqlite,postgres", value_delimiter = ',')]
    engines: Vec<String>,
    /// PostgreSQL server (a database is created there and dropped afterwards).
    #[arg(
        long,
        env = "MAYDAY_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    /// Where the SQLite database goes (default: a temporary directory, removed afterwards).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Keep the databases afterwards (for looking at query plans); prints where they are.
    #[arg(long)]
    keep: bool,
    /// The `mayday` binary for the start-up measurement (default: next to this program).
    #[arg(long)]
    mayday_bin: Option<PathBuf>,
}

fn load_corpus(path: &Path) -> anyhow::Result<Vec<String>> {
    let zip_path = if path.is_dir() {
        path.join("all_tickets_processed_improved_v3.zip")
    } else {
        path.to_path_buf()
    };
    let file = std::fs::File::open(&zip_path)
        .with_context(|| format!("cannot open {}", zip_path.display()))?;
    let mut archive = zip::ZipArchive::new(file).context("the corpus is not a zip archive")?;
    let mut member = archive.by_index(0).context("the corpus archive is empty")?;
    let mut text = String::new();
    member
        .read_to_string(&mut text)
        .context("reading the corpus CSV")?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut docs = Vec::new();
    for record in reader.records() {
        let record = record.context("bad CSV row in the corpus")?;
        if let Some(doc) = record.get(0).filter(|d| d.split_whitespace().count() >= 3) {
            docs.push(doc.to_string());
        }
    }
    if docs.is_empty() {
        bail!("no documents in {}", zip_path.display());
    }
    Ok(docs)
}

/// The people, teams and services incidents refer to.
#[derive(Clone)]
struct Org {
    reporters: Vec<Uuid>,
    agents: Vec<(Uuid, String)>,
    teams: Vec<Uuid>,
    services: Vec<(Uuid, String)>,
}

async fn seed_org(store: &dyn Store) -> anyhow::Result<Org> {
    let now = END_MS;
    let mut reporters = Vec::new();
    for i in 0..REPORTERS {
        let u = setup::create_user(
            store,
            now,
            &format!("caller{i:03}"),
            &format!("Caller {i}"),
            None,
            Role::Requester,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        reporters.push(u.id);
    }
    let mut agents = Vec::new();
    for i in 0..AGENTS {
        let u = setup::create_user(
            store,
            now,
            &format!("agent{i:02}"),
            &format!("Agent {i}"),
            None,
            Role::Agent,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        agents.push((u.id, u.username));
    }
    let mut teams = Vec::new();
    for i in 0..TEAMS {
        let team = Team {
            id: Uuid::now_v7(),
            name: format!("team-{i}"),
            description: String::new(),
            members: agents
                .iter()
                .skip(i * AGENTS / TEAMS)
                .take(AGENTS / TEAMS)
                .map(|a| a.0)
                .collect(),
            schedule_id: None,
            escalation_policy_id: None,
        };
        insert(
            store,
            EntityKind::Team,
            team.id,
            &team.name,
            encode_entity(&team),
        )
        .await?;
        teams.push(team.id);
    }
    let mut services = Vec::new();
    for i in 0..SERVICES {
        let svc = Service {
            id: Uuid::now_v7(),
            name: format!("service-{i:02}"),
            description: String::new(),
            owner_team_id: Some(teams[i % TEAMS]),
            tier: (i % 3 + 1) as u8,
            default_category: None,
            maintenance_windows: Vec::new(),
            escalation_policy_id: None,
        };
        insert(
            store,
            EntityKind::Service,
            svc.id,
            &svc.name,
            encode_entity(&svc),
        )
        .await?;
        services.push((svc.id, svc.name));
    }
    Ok(Org {
        reporters,
        agents,
        teams,
        services,
    })
}

async fn insert(
    store: &dyn Store,
    kind: EntityKind,
    id: Uuid,
    name: &str,
    doc: serde_json::Value,
) -> anyhow::Result<()> {
    store
        .insert_entity(&Entity {
            kind,
            id,
            name: name.to_string(),
            version: 1,
            doc,
            created_at: END_MS,
            updated_at: END_MS,
        })
        .await?;
    Ok(())
}

const CATEGORIES: &[&str] = &[
    "hardware",
    "software",
    "network",
    "database",
    "security",
    "access",
    "configuration",
];

/// Builds incident `index` of `total` through the domain, with a short, plausible history.
fn generate(
    index: usize,
    total: usize,
    rng: &mut Rng,
    docs: &[String],
    org: &Org,
    matrix: &PriorityMatrix,
    codes: &[String],
) -> anyhow::Result<(Incident, Vec<mayday_core::timeline::Event>)> {
    let doc = &docs[rng.below(docs.len())];
    let title: String = doc.split_whitespace().take(8).collect::<Vec<_>>().join(" ");
    let created = END_MS - SPAN_MS + (SPAN_MS * index as i64) / total as i64;
    let age_days = (END_MS - created) / 86_400_000;
    let (agent_id, agent_name) = org.agents[rng.below(org.agents.len())].clone();
    let actor = Actor::user(agent_id, agent_name);
    let ctx = |now: Millis| CommandContext {
        now,
        actor: actor.clone(),
        matrix,
        resolution_codes: codes,
    };
    // Services are used unevenly, as in real life: a few carry most incidents.
    let service = org.services[rng.weighted(&[8, 5, 4, 3, 3, 2, 2, 2, 2, 2]) * 5 + rng.below(5)].0;
    let new = NewIncident {
        title: Some(title.chars().take(200).collect()),
        description: Some(doc.clone()),
        reporter_id: Some(org.reporters[rng.below(org.reporters.len())]),
        source: Some(
            [
                Source::Portal,
                Source::Email,
                Source::Phone,
                Source::Monitoring,
            ][rng.weighted(&[40, 30, 10, 20])],
        ),
        category: Some(CATEGORIES[rng.below(CATEGORIES.len())].to_string()),
        service_id: Some(service),
        impact: Some(
            Impact::new(1 + rng.weighted(&[10, 30, 60]) as i64).map_err(anyhow::Error::msg)?,
        ),
        urgency: Some(
            Urgency::new(1 + rng.weighted(&[15, 35, 50]) as i64).map_err(anyhow::Error::msg)?,
        ),
        assignment_group_id: Some(org.teams[rng.below(org.teams.len())]),
        assignee_id: (rng.below(10) < 8).then_some(agent_id),
        ..Default::default()
    };
    let (mut inc, created_event) = Incident::open(Uuid::now_v7(), new, &ctx(created))?;
    let mut events = vec![created_event];
    // Where it ends up: old incidents are mostly closed, recent ones still being worked.
    let target = if age_days > 14 {
        [
            Status::Closed,
            Status::Resolved,
            Status::Canceled,
            Status::InProgress,
            Status::OnHold,
        ][rng.weighted(&[80, 10, 5, 3, 2])]
    } else {
        [
            Status::New,
            Status::Acknowledged,
            Status::InProgress,
            Status::OnHold,
            Status::Resolved,
            Status::Closed,
            Status::Canceled,
        ][rng.weighted(&[15, 15, 25, 10, 20, 10, 5])]
    };
    let path: &[Status] = match target {
        Status::New => &[],
        Status::Acknowledged => &[Status::Acknowledged],
        Status::InProgress => &[Status::Acknowledged, Status::InProgress],
        Status::OnHold => &[Status::Acknowledged, Status::InProgress, Status::OnHold],
        Status::Resolved => &[Status::Acknowledged, Status::InProgress, Status::Resolved],
        Status::Closed => &[
            Status::Acknowledged,
            Status::InProgress,
            Status::Resolved,
            Status::Closed,
        ],
        Status::Canceled => &[Status::Canceled],
    };
    let mut at = created;
    for (step, to) in path.iter().enumerate() {
        at += 60_000 * (1 + rng.below(120) as i64);
        if step == 1 && rng.below(4) == 0 {
            events.push(inc.comment(
                "Looking into it; collecting logs from the affected hosts.",
                Visibility::WorkNote,
                &ctx(at),
            )?);
        }
        let req = TransitionRequest {
            to: Some(*to),
            reason: match to {
                Status::OnHold => Some("awaiting_vendor".into()),
                Status::Canceled => Some("false_alarm".into()),
                _ => None,
            },
            resolution_code: (*to == Status::Resolved).then(|| "solution_provided".into()),
            resolution_notes: (*to == Status::Resolved)
                .then(|| "Fixed and verified with the caller.".into()),
            duplicate_of: None,
        };
        events.push(inc.transition(req, &ctx(at))?);
    }
    Ok((inc, events))
}

struct Percentiles {
    p50: f64,
    p99: f64,
}

fn percentiles(mut ms: Vec<f64>) -> Percentiles {
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    Percentiles {
        p50: at(0.50),
        p99: at(0.99),
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn get(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = res.status();
        let body: serde_json::Value = res.json().await?;
        if !status.is_success() {
            bail!("GET {path} → {status}: {body}");
        }
        Ok(body)
    }

    /// Times `SAMPLES` requests made by `make` (after a warm-up); returns p50/p99 in ms and
    /// the mean number of items returned.
    async fn time<F>(&self, rng: &mut Rng, mut make: F) -> anyhow::Result<(Percentiles, f64)>
    where
        F: FnMut(&mut Rng) -> Vec<String>,
    {
        let mut ms = Vec::with_capacity(SAMPLES);
        let mut items = 0usize;
        for i in 0..WARMUP + SAMPLES {
            let paths = make(rng);
            let start = Instant::now();
            for p in &paths {
                let body = self.get(p).await?;
                if i >= WARMUP {
                    items += body["items"].as_array().map(Vec::len).unwrap_or(1);
                }
            }
            if i >= WARMUP {
                ms.push(start.elapsed().as_secs_f64() * 1000.0);
            }
        }
        Ok((percentiles(ms), items as f64 / SAMPLES as f64))
    }
}

/// Words of a document worth searching for (three letters or more).
fn words(doc: &str) -> Vec<&str> {
    doc.split_whitespace()
        .filter(|w| w.len() >= 3 && w.chars().all(char::is_alphanumeric))
        .collect()
}

fn pick_words(rng: &mut Rng, docs: &[String], n: usize) -> String {
    loop {
        let ws = words(&docs[rng.below(docs.len())]);
        if ws.len() >= n {
            let start = rng.below(ws.len() - n + 1);
            return ws[start..start + n].join("+");
        }
    }
}

async fn measure_queries(
    client: &Client,
    docs: &[String],
    org: &Org,
    loaded: usize,
) -> anyhow::Result<Vec<(String, Percentiles, f64)>> {
    let mut rng = Rng::new(0xBEEF);
    let mut out = Vec::new();
    let services: Vec<String> = org.services.iter().map(|s| s.1.clone()).collect();
    let (p, n) = client
        .time(&mut rng, |r| {
            vec![format!(
                "/api/v1/incidents?status=new,acknowledged,in_progress&priority=P1,P2&service={}&sort=-created_at&limit=50",
                services[r.below(services.len())]
            )]
        })
        .await?;
    out.push(("(a) open queue of a service".to_string(), p, n));
    let (p, n) = client
        .time(&mut rng, |r| {
            vec![format!(
                "/api/v1/incidents?q={}&limit=50",
                pick_words(r, docs, 1)
            )]
        })
        .await?;
    out.push(("(b) one-word search".to_string(), p, n));
    let (p, n) = client
        .time(&mut rng, |r| {
            vec![format!(
                "/api/v1/incidents?q={}&limit=50",
                pick_words(r, docs, 2)
            )]
        })
        .await?;
    out.push(("(c) two-word search".to_string(), p, n));
    let (p, n) = client
        .time(&mut rng, |r| {
            let number = 1 + r.below(loaded);
            vec![
                format!("/api/v1/incidents/INC-{number:06}"),
                format!("/api/v1/incidents/INC-{number:06}/timeline"),
            ]
        })
        .await?;
    out.push(("(d) incident by number + timeline".to_string(), p, n));
    Ok(out)
}

/// Starts the release binary on the database, returns (ms until /healthz answers, idle RSS in KiB).
async fn startup_and_rss(bin: &Path, db_args: &[String]) -> anyhow::Result<(f64, u64)> {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .arg("serve")
        .args(db_args)
        .args(["--listen", "127.0.0.1:0"])
        .env("MAYDAY_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("Mayday listening on ")
        .context("unexpected first line")?
        .to_string();
    let http = reqwest::Client::new();
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let startup_ms = start.elapsed().as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    child.kill()?;
    child.wait()?;
    Ok((startup_ms, rss))
}

async fn run_engine(engine: &str, args: &Args, docs: &[String], bin: &Path) -> anyhow::Result<()> {
    let work = match &args.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            tempfile::tempdir_in(d)?
        }
        None => tempfile::tempdir()?,
    };
    let pg_name = format!("mayday_bench_{}", Uuid::now_v7().simple());
    let (db, db_args) = match engine {
        "sqlite" => (
            DatabaseConfig::SqliteDir(work.path().to_path_buf()),
            vec!["--data-dir".to_string(), work.path().display().to_string()],
        ),
        "postgres" => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&args.postgres_url)
                .await
                .context("connecting to PostgreSQL")?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {pg_name}")))
                .execute(&mut c)
                .await?;
            let (prefix, _) = args
                .postgres_url
                .rsplit_once('/')
                .context("URL without a database")?;
            let url = format!("{prefix}/{pg_name}");
            (
                DatabaseConfig::Url(url.clone()),
                vec!["--database-url".to_string(), url],
            )
        }
        other => bail!("unknown engine {other:?}: sqlite or postgres"),
    };
    let result = run_on(engine, &db, &db_args, args, docs, bin).await;
    if args.keep {
        println!("[{engine}] kept: {}", db_args.join(" "));
        std::mem::forget(work);
        return result;
    }
    if engine == "postgres" {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&args.postgres_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"
        )))
        .execute(&mut c)
        .await?;
    }
    drop(work);
    result
}

async fn run_on(
    engine: &str,
    db: &DatabaseConfig,
    db_args: &[String],
    args: &Args,
    docs: &[String],
    bin: &Path,
) -> anyhow::Result<()> {
    let store = setup::open_store(db).await?;
    let clock: Arc<dyn mayday_core::Clock> = Arc::new(SystemClock);
    setup::prepare(store.as_ref(), clock.as_ref(), Some(BOOTSTRAP)).await?;
    let org = seed_org(store.as_ref()).await?;
    let matrix = PriorityMatrix::default();
    let codes: Vec<String> = mayday_core::taxonomy::DEFAULT_RESOLUTION_CODES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let total = *args.sizes.iter().max().context("no sizes")?;
    let mut rng = Rng::new(0x5EED);
    let mut loaded = 0usize;
    for &size in &args.sizes {
        let start = Instant::now();
        // Generation runs on its own thread, one batch ahead of the database writes.
        let (tx, mut rx) = tokio::sync::mpsc::channel(2);
        let generator = {
            let docs = docs.to_vec();
            let org = org.clone();
            let matrix = matrix.clone();
            let codes = codes.clone();
            let from = loaded;
            let mut gen_rng = Rng::new(rng.next_u64());
            std::thread::spawn(move || -> anyhow::Result<()> {
                let mut batch = Vec::with_capacity(BATCH);
                for i in from..size {
                    batch.push(generate(
                        i,
                        total,
                        &mut gen_rng,
                        &docs,
                        &org,
                        &matrix,
                        &codes,
                    )?);
                    if (batch.len() == BATCH || i + 1 == size)
                        && tx.blocking_send(std::mem::take(&mut batch)).is_err()
                    {
                        break;
                    }
                }
                Ok(())
            })
        };
        while let Some(batch) = rx.recv().await {
            store.import_incidents(batch).await?;
        }
        generator
            .join()
            .map_err(|_| anyhow::anyhow!("the generator panicked"))??;
        store.analyze().await?;
        let secs = start.elapsed().as_secs_f64();
        let added = size - loaded;
        loaded = size;
        println!(
            "[{engine}] loaded {added} incidents in {secs:.1} s: {:.0} incidents/s (bulk path, with their events)",
            added as f64 / secs
        );

        let state = AppState::new(
            store.clone(),
            clock.clone(),
            Settings {
                priority_matrix: matrix.clone(),
                rate_limit: None,
                ..Settings::default()
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(mayday_server::launch(listener, state, async move {
            let _ = rx.await;
        }));
        let client = Client {
            http: reqwest::Client::new(),
            base: format!("http://{addr}"),
            token: BOOTSTRAP.to_string(),
        };
        for (name, p, n) in measure_queries(&client, docs, &org, loaded).await? {
            println!(
                "[{engine}] {size:>8} incidents  {name:<36} p50 {:>7.2} ms  p99 {:>7.2} ms  ({n:.1} items/answer)",
                p.p50, p.p99
            );
        }
        let _ = tx.send(());
        server.await??;
    }
    let (startup, rss) = startup_and_rss(bin, db_args).await?;
    println!(
        "[{engine}] {loaded:>8} incidents  start-up to serving {startup:.0} ms, idle RSS {:.1} MiB",
        rss as f64 / 1024.0
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // reqwest's TLS comes without a default crypto provider: use ring, as the binary does.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if args.sizes.windows(2).any(|w| w[0] >= w[1]) {
        bail!("--sizes must be ascending");
    }
    let bin = match &args.mayday_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?.with_file_name("mayday"),
    };
    if !bin.exists() {
        bail!(
            "{} not found: build it with `cargo build --release -p mayday` or pass --mayday-bin",
            bin.display()
        );
    }
    let docs = load_corpus(&args.corpus)?;
    println!(
        "corpus: {} documents from {}",
        docs.len(),
        args.corpus.display()
    );
    for engine in &args.engines {
        run_engine(engine, &args, &docs, &bin).await?;
    }
    Ok(())
}
