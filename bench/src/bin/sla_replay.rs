//! `mayday-sla-replay`: Mayday's SLA verdicts checked against a real ServiceNow event log.
//!
//! It reads the UCI "Incident management process enriched event log" (`--data`, the zip or its
//! CSV; the zip's member is streamed, nothing is copied), rebuilds each incident as a Mayday
//! `Incident` and replays its event rows, in file order, through `mayday_core::sla::reconcile`
//! under a 24×7 calendar, with one resolution policy per priority. Mayday's verdict at an
//! incident's latest event (met: its resolution clock stayed below the target; breached
//! otherwise) is compared with the log's `made_sla` on that row.
//!
//! The log does not state its targets, so they are chosen on the first half of the incidents
//! (by number): each incident's counted (pause-aware) resolution time is measured once by a
//! replay with one-year targets (the longest accepted), then, per priority, every distinct
//! time is a breakpoint of a sorted sweep for the whole-minute target agreeing most with
//! `made_sla`. The second half is then replayed with those targets and reported per priority.
//! Two pause settings are tried, since the log does not say which waits stop its clock:
//! awaiting caller and vendor (Mayday's default), and none. A last section measures, from the
//! log alone, other clocks (to resolution, to closure, weekdays only) to explain where the
//! verdicts part.
//!
//! ```sh
//! cargo run --release -p mayday-bench --bin mayday-sla-replay -- \
//!     --data ../shared/datasets/uci-incident-event-log/incident_event_log.zip
//! ```

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use mayday_core::incident::{CommandContext, NewIncident};
use mayday_core::sla::{
    self, BusinessCalendar, ReopenRule, SlaConditions, SlaConfig, SlaInstance, SlaKind, SlaPolicy,
    SlaState,
};
use mayday_core::state::HoldReason;
use mayday_core::timeline::Actor;
use mayday_core::{Impact, Incident, Millis, Priority, PriorityMatrix, Status, Urgency};
use uuid::Uuid;

/// The log, relative to the repository root.
const DEFAULT_DATA: &str = "../shared/datasets/uci-incident-event-log/incident_event_log.zip";
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: f64 = 3_600_000.0;
const DAY_MS: i64 = 86_400_000;
/// The longest target Mayday accepts (a year), for measuring elapsed times: the elapsed time
/// is counted the same whatever the target.
const UNREACHABLE_SECONDS: i64 = sla::policy::MAX_TARGET_SECONDS;
/// The log's priorities: 1 - Critical .. 4 - Low.
const PRIORITIES: [u8; 4] = [1, 2, 3, 4];

#[derive(Parser)]
#[command(about = "Mayday's SLA verdicts against the UCI ServiceNow incident event log")]
struct Args {
    /// The event log: `incident_event_log.zip` or the CSV inside it
    /// (default: ../shared/datasets/uci-incident-event-log/incident_event_log.zip from the
    /// repository root).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Print this many disagreeing incidents of each kind (second half, default pauses).
    #[arg(long, default_value_t = 0)]
    examples: usize,
}

// ---------------------------------------------------------------------------------------------
// The log

/// `incident_state` of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogState {
    New,
    Active,
    AwaitingUserInfo,
    AwaitingVendor,
    AwaitingProblem,
    AwaitingEvidence,
    Resolved,
    Closed,
    /// `-100`: an unexplained value on a few rows; they are skipped.
    Unknown,
}

impl LogState {
    fn parse(s: &[u8]) -> Option<Self> {
        Some(match s {
            b"New" => Self::New,
            b"Active" => Self::Active,
            b"Awaiting User Info" => Self::AwaitingUserInfo,
            b"Awaiting Vendor" => Self::AwaitingVendor,
            b"Awaiting Problem" => Self::AwaitingProblem,
            b"Awaiting Evidence" => Self::AwaitingEvidence,
            b"Resolved" => Self::Resolved,
            b"Closed" => Self::Closed,
            b"-100" => Self::Unknown,
            _ => return None,
        })
    }

    /// Mayday's status and hold reason for this state.
    fn mayday(self) -> Option<(Status, Option<HoldReason>)> {
        Some(match self {
            Self::New => (Status::New, None),
            Self::Active => (Status::InProgress, None),
            Self::AwaitingUserInfo => (Status::OnHold, Some(HoldReason::AwaitingCaller)),
            Self::AwaitingVendor => (Status::OnHold, Some(HoldReason::AwaitingVendor)),
            Self::AwaitingProblem => (Status::OnHold, Some(HoldReason::AwaitingProblem)),
            // Evidence is asked of the caller: the nearest of Mayday's reasons.
            Self::AwaitingEvidence => (Status::OnHold, Some(HoldReason::AwaitingCaller)),
            Self::Resolved => (Status::Resolved, None),
            Self::Closed => (Status::Closed, None),
            Self::Unknown => return None,
        })
    }
}

/// One event row, with what the replay needs.
#[derive(Debug, Clone)]
struct Row {
    /// `sys_updated_at`, never before the previous row's nor before `opened_at`.
    at: Millis,
    state: LogState,
    /// 1 (critical) .. 4 (low).
    priority: u8,
    made_sla: bool,
}

#[derive(Debug)]
struct LogIncident {
    /// `INC0000045` → 45.
    number: u32,
    opened_at: Millis,
    rows: Vec<Row>,
}

impl LogIncident {
    fn last(&self) -> &Row {
        self.rows.last().expect("an incident has rows")
    }
    /// The priority on the latest row: the one reported against.
    fn priority(&self) -> u8 {
        self.last().priority
    }
    fn log_met(&self) -> bool {
        self.last().made_sla
    }
    fn reopened(&self) -> bool {
        self.rows.windows(2).any(|w| {
            matches!(w[0].state, LogState::Resolved | LogState::Closed)
                && !matches!(
                    w[1].state,
                    LogState::Resolved | LogState::Closed | LogState::Unknown
                )
        })
    }
    /// Spent time awaiting the caller, evidence or a vendor: what the default setting pauses.
    fn held(&self) -> bool {
        self.rows.iter().any(|r| {
            matches!(
                r.state,
                LogState::AwaitingUserInfo | LogState::AwaitingEvidence | LogState::AwaitingVendor
            )
        })
    }
    fn priority_changed(&self) -> bool {
        self.rows
            .iter()
            .any(|r| r.priority != self.rows[0].priority)
    }
    /// The time of the first row in a resolved or closed state after the last reopening:
    /// where a clock that stops at resolution stops.
    fn resolved_at(&self) -> Option<Millis> {
        let mut at = None;
        for r in &self.rows {
            match r.state {
                LogState::Resolved | LogState::Closed => {
                    at.get_or_insert(r.at);
                }
                LogState::Unknown => {}
                _ => at = None,
            }
        }
        at
    }
    /// The time of the last closed row (the incident's end), if it ends closed.
    fn closed_at(&self) -> Option<Millis> {
        (self.last().state == LogState::Closed).then(|| self.last().at)
    }
}

#[derive(Debug, Default)]
struct LoadStats {
    rows: usize,
    unknown_rows: usize,
    /// Rows whose `sys_updated_at` is before the previous row's.
    backwards_rows: usize,
    /// Rows whose `sys_updated_at` is before `opened_at`.
    before_open_rows: usize,
    bytes: u64,
}

/// `D/M/YYYY HH:MM` (no zero padding, no zone: read as UTC) → epoch milliseconds.
fn parse_time(s: &[u8]) -> Option<Millis> {
    let s = std::str::from_utf8(s).ok()?;
    let (date, time) = s.trim().split_once(' ')?;
    let mut d = date.split('/');
    let day: i64 = d.next()?.parse().ok()?;
    let month: i64 = d.next()?.parse().ok()?;
    let year: i64 = d.next()?.parse().ok()?;
    let (h, m) = time.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 {
        return None;
    }
    Some(((days_from_civil(year, month, day) * 24 + h) * 60 + m) * MINUTE_MS)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (H. Hinnant's algorithm).
fn date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn default_data() -> PathBuf {
    let here = PathBuf::from(DEFAULT_DATA);
    if here.exists() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(DEFAULT_DATA)
}

fn load(path: &Path) -> anyhow::Result<(Vec<LogIncident>, LoadStats)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let is_zip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if !is_zip {
        return parse(file);
    }
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a zip archive", path.display()))?;
    let index = (0..archive.len())
        .find(|&i| {
            archive
                .name_for_index(i)
                .and_then(Result::ok)
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(".csv"))
        })
        .with_context(|| format!("no CSV member in {}", path.display()))?;
    let member = archive.by_index(index).context("reading the zip member")?;
    parse(member)
}

/// Counts the bytes that pass through.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

fn parse(input: impl Read) -> anyhow::Result<(Vec<LogIncident>, LoadStats)> {
    let mut reader = csv::ReaderBuilder::new()
        .buffer_capacity(1 << 20)
        .from_reader(Counted {
            inner: input,
            bytes: 0,
        });
    let headers = reader.byte_headers().context("reading the header")?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name.as_bytes())
            .with_context(|| format!("no column {name:?}"))
    };
    let (c_number, c_state, c_made_sla) =
        (col("number")?, col("incident_state")?, col("made_sla")?);
    let (c_opened, c_updated, c_priority) =
        (col("opened_at")?, col("sys_updated_at")?, col("priority")?);

    let mut stats = LoadStats::default();
    let mut incidents: Vec<LogIncident> = Vec::new();
    let mut seen = HashSet::new();
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .context("bad CSV row")?
    {
        stats.rows += 1;
        let line = stats.rows + 1;
        let field = |i: usize| record.get(i).unwrap_or_default();
        let number = std::str::from_utf8(field(c_number))
            .ok()
            .and_then(|s| s.strip_prefix("INC"))
            .and_then(|s| s.parse::<u32>().ok())
            .with_context(|| format!("line {line}: bad number"))?;
        let state = LogState::parse(field(c_state))
            .with_context(|| format!("line {line}: unknown incident_state"))?;
        let made_sla = match field(c_made_sla) {
            b"true" => true,
            b"false" => false,
            _ => bail!("line {line}: made_sla is neither true nor false"),
        };
        let priority = match field(c_priority).first() {
            Some(d @ b'1'..=b'4') => d - b'0',
            _ => bail!("line {line}: unknown priority"),
        };
        let opened_at =
            parse_time(field(c_opened)).with_context(|| format!("line {line}: bad opened_at"))?;
        let updated = parse_time(field(c_updated));
        if incidents.last().is_none_or(|i| i.number != number) {
            if !seen.insert(number) {
                bail!("line {line}: the rows of INC{number:07} are not contiguous");
            }
            incidents.push(LogIncident {
                number,
                opened_at,
                rows: Vec::new(),
            });
        }
        let inc = incidents.last_mut().expect("just pushed");
        let floor = inc.rows.last().map_or(inc.opened_at, |r| r.at);
        let raw = updated.unwrap_or(floor);
        if raw < inc.opened_at {
            stats.before_open_rows += 1;
        } else if raw < floor {
            stats.backwards_rows += 1;
        }
        if state == LogState::Unknown {
            stats.unknown_rows += 1;
        }
        inc.rows.push(Row {
            at: raw.max(floor),
            state,
            priority,
            made_sla,
        });
    }
    stats.bytes = reader.get_ref().bytes;
    incidents.sort_by_key(|i| i.number);
    Ok((incidents, stats))
}

// ---------------------------------------------------------------------------------------------
// Mayday

/// A pause setting tried.
struct Variant {
    name: &'static str,
    pause_on: Vec<HoldReason>,
}

fn priority(level: u8) -> Priority {
    Priority::from_level(i64::from(level)).expect("levels 1..4 are valid")
}

/// One resolution policy per priority, on the 24×7 calendar.
fn policies(targets: &BTreeMap<u8, i64>, pause_on: &[HoldReason]) -> Vec<SlaPolicy> {
    targets
        .iter()
        .enumerate()
        .map(|(order, (&level, &seconds))| SlaPolicy {
            id: Uuid::from_u128(0x51a0_0000 + u128::from(level)),
            name: format!("P{level} resolution"),
            order: order as i32,
            conditions: SlaConditions {
                priorities: vec![priority(level)],
                ..Default::default()
            },
            response_seconds: None,
            resolution_seconds: Some(seconds),
            calendar_id: None,
            pause_on: pause_on.to_vec(),
            warnings: Vec::new(),
            actions: Vec::new(),
            on_reopen: ReopenRule::default(),
        })
        .collect()
}

/// The SLA configuration and what replays share.
struct Replayer<'a> {
    cfg: SlaConfig<'a>,
    matrix: PriorityMatrix,
    codes: Vec<String>,
    next_id: u128,
}

/// Mayday's view of one incident at its latest event.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    /// Counted resolution time at the latest event.
    elapsed_ms: i64,
    /// Not breached at the latest event.
    met: bool,
}

impl Replayer<'_> {
    fn new_id(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(self.next_id)
    }

    /// Breach timers as the server runs them: a running clock whose due time has passed by
    /// `now` is marked breached at its due time.
    fn fire_due(&self, clocks: &mut [SlaInstance], now: Millis) {
        for c in clocks.iter_mut() {
            if c.state != SlaState::Running || c.breached_at.is_some() {
                continue;
            }
            let cal = self.cfg.calendar(c.calendar_id);
            if let Some(due) = c.due_at(&cal)
                && due <= now
            {
                c.mark_breached(&cal, due);
            }
        }
    }

    fn replay(&mut self, inc: &LogIncident) -> anyhow::Result<Outcome> {
        let opened = inc.opened_at;
        let first = &inc.rows[0];
        let id = self.new_id();
        let ctx = CommandContext {
            now: opened,
            actor: Actor::system(),
            matrix: &self.matrix,
            resolution_codes: &self.codes,
        };
        let new = NewIncident {
            title: Some(format!("INC{:07}", inc.number)),
            description: Some("Replayed from the UCI ServiceNow event log.".into()),
            reporter_id: Some(Uuid::nil()),
            category: Some("software".into()),
            impact: Some(Impact::new(2).expect("valid")),
            urgency: Some(Urgency::new(2).expect("valid")),
            started_at: Some(opened),
            detected_at: Some(opened),
            ..Default::default()
        };
        let (mut current, _) =
            Incident::open(id, new, &ctx).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        current.priority = priority(first.priority);
        let mut clocks: Vec<SlaInstance> = Vec::new();
        let mut ids = self.next_id;
        sla::reconcile(&self.cfg, None, &current, &mut clocks, opened, &mut || {
            ids += 1;
            Uuid::from_u128(ids)
        });
        let mut now = opened;
        for row in &inc.rows {
            let Some((status, hold)) = row.state.mayday() else {
                continue;
            };
            now = row.at;
            self.fire_due(&mut clocks, now);
            let before = current.clone();
            let reopening = matches!(before.status, Status::Resolved | Status::Closed)
                && !matches!(status, Status::Resolved | Status::Closed);
            current.status = status;
            current.hold_reason = hold;
            current.priority = priority(row.priority);
            if row.state == LogState::Active && current.acknowledged_at.is_none() {
                current.acknowledged_at = Some(now);
            }
            if reopening {
                current.reopen_count += 1;
                current.resolved_at = None;
                current.closed_at = None;
            }
            match status {
                // Closing without resolving first stops the resolution clock there too.
                Status::Resolved | Status::Closed if current.resolved_at.is_none() => {
                    current.resolved_at = Some(now);
                }
                _ => {}
            }
            if status == Status::Closed && current.closed_at.is_none() {
                current.closed_at = Some(now);
            }
            current.version += 1;
            current.updated_at = now;
            current.last_event_at = now;
            sla::reconcile(
                &self.cfg,
                Some(&before),
                &current,
                &mut clocks,
                now,
                &mut || {
                    ids += 1;
                    Uuid::from_u128(ids)
                },
            );
        }
        self.next_id = ids;
        self.fire_due(&mut clocks, now);
        Ok(self.verdict(&clocks, now))
    }

    /// The incident's latest resolution clock at `now`: met unless it breached (or reached
    /// its target). No clock at all (no policy applied) counts as met.
    fn verdict(&self, clocks: &[SlaInstance], now: Millis) -> Outcome {
        let Some(c) = clocks.iter().rev().find(|c| c.kind == SlaKind::Resolution) else {
            return Outcome {
                elapsed_ms: 0,
                met: true,
            };
        };
        let cal = self.cfg.calendar(c.calendar_id);
        let elapsed_ms = c.elapsed_ms(&cal, now);
        let breached = c.state == SlaState::Breached
            || c.breached_at.is_some()
            || elapsed_ms >= c.target_seconds * 1000;
        Outcome {
            elapsed_ms,
            met: !breached,
        }
    }
}

fn replayer<'a>(policies: &'a [SlaPolicy], calendars: &'a [BusinessCalendar]) -> Replayer<'a> {
    Replayer {
        cfg: SlaConfig {
            policies,
            calendars,
        },
        matrix: PriorityMatrix::default(),
        codes: vec!["fixed".to_string()],
        next_id: 0,
    }
}

// ---------------------------------------------------------------------------------------------
// Target selection

/// A chosen target and the plateau of whole-minute targets that agree as much.
#[derive(Debug, Clone, Copy)]
struct Choice {
    minutes: i64,
    low: i64,
    /// None: every longer target agrees as much.
    high: Option<i64>,
    agree: usize,
    n: usize,
}

/// The whole-minute target that agrees most with the log: an incident is met when its elapsed
/// time is below the target. Sorted sweep over the distinct elapsed times; of equal plateaus
/// the shortest wins, and the middle of the winning plateau is taken.
fn choose_target(mut pairs: Vec<(i64, bool)>) -> Option<Choice> {
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_unstable();
    let n = pairs.len();
    // Target below every elapsed time: everything breached.
    let mut agree = pairs.iter().filter(|p| !p.1).count();
    let mut best: Option<Choice> = None;
    let mut consider = |agree: usize, low: i64, high: Option<i64>| {
        if high.is_some_and(|h| h < low) {
            return;
        }
        if best.is_none_or(|b| agree > b.agree) {
            let minutes = high.map_or(low, |h| low + (h - low) / 2);
            best = Some(Choice {
                minutes,
                low,
                high,
                agree,
                n,
            });
        }
    };
    consider(agree, 1, Some(pairs[0].0 / MINUTE_MS));
    let mut i = 0;
    while i < n {
        let e = pairs[i].0;
        while i < n && pairs[i].0 == e {
            if pairs[i].1 {
                agree += 1;
            } else {
                agree -= 1;
            }
            i += 1;
        }
        let low = (e / MINUTE_MS + 1).max(1);
        let high = pairs.get(i).map(|p| p.0 / MINUTE_MS);
        consider(agree, low, high);
    }
    best
}

// ---------------------------------------------------------------------------------------------
// Reporting

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    n: usize,
    agree: usize,
    mayday_met: usize,
    log_met: usize,
    /// Mayday met, the log breached.
    met_breached: usize,
    /// Mayday breached, the log met.
    breached_met: usize,
}

impl Tally {
    fn add(&mut self, mayday_met: bool, log_met: bool) {
        self.n += 1;
        self.agree += usize::from(mayday_met == log_met);
        self.mayday_met += usize::from(mayday_met);
        self.log_met += usize::from(log_met);
        self.met_breached += usize::from(mayday_met && !log_met);
        self.breached_met += usize::from(!mayday_met && log_met);
    }
}

fn pct(a: usize, n: usize) -> String {
    if n == 0 {
        "–".into()
    } else {
        format!("{:.1} %", 100.0 * a as f64 / n as f64)
    }
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// "91 h 41 min", "3 min", "12 d 4 h".
fn minutes_words(m: i64) -> String {
    let (d, h, min) = (m / 1440, (m % 1440) / 60, m % 60);
    match (d, h, min) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) if d >= 3 => format!("{} h ({d} d {h} h)", d * 24 + h),
        (d, h, m) => format!("{} h {m} min", d * 24 + h),
    }
}

fn plateau(c: &Choice) -> String {
    match c.high {
        Some(h) => format!("{} – {}", minutes_words(c.low), minutes_words(h)),
        None => format!("≥ {}", minutes_words(c.low)),
    }
}

fn hours(ms: i64) -> String {
    format!("{:.1} h", ms as f64 / HOUR_MS)
}

fn median(v: &mut [i64]) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len() / 2])
}

fn print_tally_table(tallies: &BTreeMap<u8, Tally>, targets: &BTreeMap<u8, Choice>) {
    println!(
        "| priority | incidents | target | agreement | Mayday met / breached | log met / breached \
         | Mayday met, log breached | Mayday breached, log met |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut all = Tally::default();
    for (&level, t) in tallies {
        let target = targets
            .get(&level)
            .map_or("none".into(), |c| minutes_words(c.minutes));
        println!(
            "| P{level} | {} | {target} | {} | {} / {} | {} / {} | {} | {} |",
            thousands(t.n),
            pct(t.agree, t.n),
            thousands(t.mayday_met),
            thousands(t.n - t.mayday_met),
            thousands(t.log_met),
            thousands(t.n - t.log_met),
            thousands(t.met_breached),
            thousands(t.breached_met),
        );
        all.n += t.n;
        all.agree += t.agree;
        all.mayday_met += t.mayday_met;
        all.log_met += t.log_met;
        all.met_breached += t.met_breached;
        all.breached_met += t.breached_met;
    }
    println!(
        "| all | {} | | **{}** | {} / {} | {} / {} | {} | {} |",
        thousands(all.n),
        pct(all.agree, all.n),
        thousands(all.mayday_met),
        thousands(all.n - all.mayday_met),
        thousands(all.log_met),
        thousands(all.n - all.log_met),
        thousands(all.met_breached),
        thousands(all.breached_met),
    );
}

/// Milliseconds of `[a, b)` falling on Monday to Friday (UTC).
fn weekday_ms(a: Millis, b: Millis) -> i64 {
    let mut total = 0;
    let mut t = a;
    while t < b {
        let day = t.div_euclid(DAY_MS);
        let end = ((day + 1) * DAY_MS).min(b);
        // 1970-01-01 was a Thursday (3 counting from Monday = 0).
        if (day + 3).rem_euclid(7) < 5 {
            total += end - t;
        }
        t = end;
    }
    total
}

/// A kind of disagreement: its name and whether (Mayday met, log met) is of it.
type Disagreement = (&'static str, fn(bool, bool) -> bool);

/// A clock measured from the log alone, for the explanation.
struct LogClock {
    name: &'static str,
    measure: fn(&LogIncident) -> Option<i64>,
}

fn log_clocks() -> Vec<LogClock> {
    vec![
        LogClock {
            name: "opened → resolved, 24×7, no pauses",
            measure: |i| i.resolved_at().map(|r| r - i.opened_at),
        },
        LogClock {
            name: "opened → closed, 24×7, no pauses",
            measure: |i| i.closed_at().map(|c| c - i.opened_at),
        },
        LogClock {
            name: "opened → closed, Monday–Friday (UTC), no pauses",
            measure: |i| i.closed_at().map(|c| weekday_ms(i.opened_at, c)),
        },
    ]
}

/// Everything measured for one pause setting.
struct VariantResult {
    targets: BTreeMap<u8, Choice>,
    train: BTreeMap<u8, Tally>,
    test: BTreeMap<u8, Tally>,
    outcomes: Vec<Outcome>,
    replay_secs: f64,
    events: usize,
}

fn run_variant(
    variant: &Variant,
    train: &[LogIncident],
    test: &[LogIncident],
) -> anyhow::Result<VariantResult> {
    let calendars: Vec<BusinessCalendar> = Vec::new();
    // 1. Elapsed resolution time of each first-half incident, with unreachable targets.
    let huge: BTreeMap<u8, i64> = PRIORITIES
        .iter()
        .map(|&p| (p, UNREACHABLE_SECONDS))
        .collect();
    let measure = policies(&huge, &variant.pause_on);
    let mut r = replayer(&measure, &calendars);
    let mut pairs: BTreeMap<u8, Vec<(i64, bool)>> = BTreeMap::new();
    for inc in train {
        let o = r.replay(inc)?;
        pairs
            .entry(inc.priority())
            .or_default()
            .push((o.elapsed_ms, inc.log_met()));
    }
    // 2. The sweep.
    let mut targets = BTreeMap::new();
    let mut train_tally: BTreeMap<u8, Tally> = BTreeMap::new();
    for (level, p) in pairs {
        let Some(choice) = choose_target(p.clone()) else {
            continue;
        };
        let t = train_tally.entry(level).or_default();
        for (e, met) in p {
            t.add(e < choice.minutes * MINUTE_MS, met);
        }
        targets.insert(level, choice);
    }
    // 3. The second half, replayed with those targets.
    let chosen: BTreeMap<u8, i64> = targets.iter().map(|(&p, c)| (p, c.minutes * 60)).collect();
    let real = policies(&chosen, &variant.pause_on);
    let mut r = replayer(&real, &calendars);
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(test.len());
    for inc in test {
        outcomes.push(r.replay(inc)?);
    }
    let replay_secs = started.elapsed().as_secs_f64();
    let mut test_tally: BTreeMap<u8, Tally> = BTreeMap::new();
    for (inc, o) in test.iter().zip(&outcomes) {
        test_tally
            .entry(inc.priority())
            .or_default()
            .add(o.met, inc.log_met());
    }
    Ok(VariantResult {
        targets,
        train: train_tally,
        test: test_tally,
        outcomes,
        replay_secs,
        events: test.iter().map(|i| i.rows.len()).sum(),
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let path = args.data.unwrap_or_else(default_data);
    let started = Instant::now();
    let (incidents, stats) = load(&path)?;
    let load_secs = started.elapsed().as_secs_f64();
    if incidents.len() < 2 {
        bail!("{} holds fewer than two incidents", path.display());
    }
    let half = incidents.len() / 2;
    let (train, test) = incidents.split_at(half);

    println!("# Mayday SLA verdicts against the ServiceNow event log\n");
    println!(
        "Read {} ({:.1} MB of CSV): {} rows, {} incidents in {:.2} s. Skipped {} rows in state \
         -100; clamped {} rows whose sys_updated_at goes back before the previous row's and {} \
         before opened_at.",
        path.display(),
        stats.bytes as f64 / 1e6,
        thousands(stats.rows),
        thousands(incidents.len()),
        load_secs,
        stats.unknown_rows,
        stats.backwards_rows,
        stats.before_open_rows,
    );
    println!(
        "First half (targets chosen): INC{:07} – INC{:07}, {} incidents. Second half \
         (reported): INC{:07} – INC{:07}, {} incidents.\n",
        train[0].number,
        train[train.len() - 1].number,
        thousands(train.len()),
        test[0].number,
        test[test.len() - 1].number,
        thousands(test.len()),
    );

    let variants = [
        Variant {
            name: "pauses on awaiting caller and awaiting vendor",
            pause_on: vec![HoldReason::AwaitingCaller, HoldReason::AwaitingVendor],
        },
        Variant {
            name: "no pauses",
            pause_on: Vec::new(),
        },
    ];
    let mut results = Vec::new();
    for v in &variants {
        let res = run_variant(v, train, test)?;
        println!("## Resolution clock, 24×7, {}\n", v.name);
        println!("Targets chosen on the first half:\n");
        println!("| priority | incidents | target | plateau of equal agreement | agreement |");
        println!("|---|---:|---:|---|---:|");
        for (level, c) in &res.targets {
            println!(
                "| P{level} | {} | {} | {} | {} |",
                thousands(c.n),
                minutes_words(c.minutes),
                plateau(c),
                pct(c.agree, c.n)
            );
        }
        let tr: usize = res.train.values().map(|t| t.agree).sum();
        let tn: usize = res.train.values().map(|t| t.n).sum();
        println!("| all | {} | | | {} |\n", thousands(tn), pct(tr, tn));
        println!("Second half, replayed through `mayday_core::sla::reconcile`:\n");
        print_tally_table(&res.test, &res.targets);
        println!(
            "\nReplay: {} incidents ({} event rows) in {:.3} s: {} incidents/s, {} rows/s.\n",
            thousands(test.len()),
            thousands(res.events),
            res.replay_secs,
            thousands((test.len() as f64 / res.replay_secs) as usize),
            thousands((res.events as f64 / res.replay_secs) as usize),
        );
        results.push(res);
    }

    let runs: Vec<(&Variant, &VariantResult)> = variants.iter().zip(&results).collect();
    explain(train, test, &runs, args.examples);
    println!("Total time {:.2} s.", started.elapsed().as_secs_f64());
    Ok(())
}

/// Figures on where and why the verdicts part: from the log alone, and for the second half of
/// each pause setting's replay.
fn explain(
    train: &[LogIncident],
    test: &[LogIncident],
    runs: &[(&Variant, &VariantResult)],
    examples: usize,
) {
    println!("## Where the verdicts part\n");

    // How made_sla moves over an incident's life.
    let (mut changed, mut t_to_f, mut f_to_t, mut at_close) = (0, 0, 0, 0);
    let mut flip_from: BTreeMap<String, usize> = BTreeMap::new();
    for inc in train.iter().chain(test) {
        let mut flipped = false;
        for w in inc.rows.windows(2) {
            if w[0].made_sla != w[1].made_sla {
                flipped = true;
                if w[0].made_sla {
                    t_to_f += 1;
                } else {
                    f_to_t += 1;
                }
                if w[1].state == LogState::Closed {
                    at_close += 1;
                }
                *flip_from
                    .entry(format!("{:?} → {:?}", w[0].state, w[1].state))
                    .or_default() += 1;
            }
        }
        changed += usize::from(flipped);
    }
    println!(
        "made_sla over an incident's life (all {} incidents): it changes in {}; true → false {} \
         times, false → true {} times; {} of the changes are on the row that closes the incident \
         ({}).\n",
        thousands(train.len() + test.len()),
        thousands(changed),
        thousands(t_to_f),
        thousands(f_to_t),
        thousands(at_close),
        flip_from
            .iter()
            .map(|(k, v)| format!("{k}: {}", thousands(*v)))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // How long after the resolution incidents were closed, per half.
    println!(
        "| resolved → closed | closed 5 days (+ < 6 h) after | sooner | later | busiest day of \
         the later closures |"
    );
    println!("|---|---:|---:|---:|---|");
    for (name, part) in [("first half", train), ("second half", test)] {
        let pairs: Vec<(Millis, i64, bool)> = part
            .iter()
            .filter_map(|i| {
                let closed = i.closed_at()?;
                Some((closed, closed - i.resolved_at()?, i.log_met()))
            })
            .collect();
        let auto = 5 * DAY_MS..5 * DAY_MS + 6 * 3_600_000;
        let on_time = pairs.iter().filter(|(_, g, _)| auto.contains(g)).count();
        let sooner = pairs.iter().filter(|(_, g, _)| *g < auto.start).count();
        let later = pairs.len() - on_time - sooner;
        // Per day: later closures, of which made_sla false.
        let mut days: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
        for (closed, _, met) in pairs.iter().filter(|(_, g, _)| *g >= auto.end) {
            let day = days.entry(closed.div_euclid(DAY_MS)).or_default();
            day.0 += 1;
            day.1 += usize::from(!met);
        }
        let busiest =
            days.iter()
                .max_by_key(|(d, (n, _))| (*n, -**d))
                .map_or("–".into(), |(d, (n, f))| {
                    format!(
                        "{}: {} incidents, made_sla false on {}",
                        date(*d),
                        thousands(*n),
                        pct(*f, *n)
                    )
                });
        let n = pairs.len();
        println!(
            "| {name}, {} incidents | {} ({}) | {} ({}) | {} ({}) | {busiest} |",
            thousands(n),
            thousands(on_time),
            pct(on_time, n),
            thousands(sooner),
            pct(sooner, n),
            thousands(later),
            pct(later, n),
        );
    }
    println!();

    // Other clocks measured from the log, targets chosen on the first half the same way.
    println!(
        "Other clocks, measured from the log alone (not Mayday): targets chosen on the first \
         half by the same sweep (first-half agreement in brackets), agreement on the second \
         half:\n"
    );
    let clocks = log_clocks();
    print!("| clock |");
    for p in PRIORITIES {
        print!(" P{p} target | P{p} |");
    }
    println!(" all |");
    print!("|---|");
    for _ in PRIORITIES {
        print!("---:|---:|");
    }
    println!("---:|");
    let mut clock_targets: Vec<BTreeMap<u8, i64>> = vec![BTreeMap::new(); clocks.len()];
    for (ci, clock) in clocks.iter().enumerate() {
        let mut row = format!("| {} |", clock.name);
        let (mut agree, mut n, mut train_agree, mut train_n) = (0, 0, 0, 0);
        for p in PRIORITIES {
            let of_p = |part: &[LogIncident]| -> Vec<(Option<i64>, bool)> {
                part.iter()
                    .filter(|i| i.priority() == p)
                    .map(|i| ((clock.measure)(i), i.log_met()))
                    .collect()
            };
            let (first, second) = (of_p(train), of_p(test));
            let pairs: Vec<(i64, bool)> =
                first.iter().filter_map(|&(e, m)| Some((e?, m))).collect();
            let Some(choice) = choose_target(pairs) else {
                row.push_str(" – | – |");
                continue;
            };
            clock_targets[ci].insert(p, choice.minutes * MINUTE_MS);
            let target = choice.minutes * MINUTE_MS;
            // An incident the clock cannot measure (never resolved or closed) counts as met.
            let tally = |pairs: &[(Option<i64>, bool)]| {
                let mut t = Tally::default();
                for &(e, log_met) in pairs {
                    t.add(e.is_none_or(|e| e < target), log_met);
                }
                t
            };
            let (t1, t2) = (tally(&first), tally(&second));
            train_agree += t1.agree;
            train_n += t1.n;
            agree += t2.agree;
            n += t2.n;
            row.push_str(&format!(
                " {} | {} |",
                minutes_words(choice.minutes),
                pct(t2.agree, t2.n)
            ));
        }
        println!(
            "{row} **{}** ({}) |",
            pct(agree, n),
            pct(train_agree, train_n)
        );
    }
    println!();

    // The disagreements of each replay.
    let closure = &clocks[1];
    // Whether the log clock `ci`, with its target, gives the log's verdict.
    let clock_agrees = |ci: usize, i: &LogIncident| {
        let met = match (
            (clocks[ci].measure)(i),
            clock_targets[ci].get(&i.priority()),
        ) {
            (Some(e), Some(&t)) => e < t,
            _ => true,
        };
        met == i.log_met()
    };
    let kinds: [Disagreement; 2] = [
        ("Mayday met, log breached", |m, l| m && !l),
        ("Mayday breached, log met", |m, l| !m && l),
    ];
    println!(
        "Disagreements on the second half. \"To closure agrees\": the log's verdict is the one \
         of the clock opened → closed, 24×7 or Monday–Friday (targets above). \"Held\": the \
         incident spent time awaiting the caller, evidence or a vendor (what the default \
         setting pauses).\n"
    );
    println!(
        "| pauses | disagreement | incidents | to closure 24×7 agrees | to closure Mon–Fri \
         agrees | held | closed > 5 d 6 h after resolving | median counted resolution time \
         | median opened → closed | reopened | priority changed |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (variant, res) in runs {
        for (name, pick) in kinds {
            let chosen: Vec<(&LogIncident, &Outcome)> = test
                .iter()
                .zip(&res.outcomes)
                .filter(|(i, o)| pick(o.met, i.log_met()))
                .collect();
            let count = |f: &dyn Fn(&LogIncident) -> bool| {
                let k = chosen.iter().filter(|(i, _)| f(i)).count();
                format!("{} ({})", thousands(k), pct(k, chosen.len()))
            };
            let mut res_times: Vec<i64> = chosen.iter().map(|(_, o)| o.elapsed_ms).collect();
            let mut close_times: Vec<i64> = chosen
                .iter()
                .filter_map(|(i, _)| (closure.measure)(i))
                .collect();
            println!(
                "| {} | {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                variant.name,
                thousands(chosen.len()),
                count(&|i| clock_agrees(1, i)),
                count(&|i| clock_agrees(2, i)),
                count(&|i| i.held()),
                count(&|i| i
                    .closed_at()
                    .zip(i.resolved_at())
                    .is_some_and(|(c, r)| c - r >= 5 * DAY_MS + 6 * 3_600_000)),
                median(&mut res_times).map_or("–".into(), hours),
                median(&mut close_times).map_or("–".into(), hours),
                thousands(chosen.iter().filter(|(i, _)| i.reopened()).count()),
                thousands(chosen.iter().filter(|(i, _)| i.priority_changed()).count()),
            );
        }
    }
    println!();
    for (variant, res) in runs {
        let mut by_reopen = [Tally::default(), Tally::default()];
        let mut by_prio_change = [Tally::default(), Tally::default()];
        let mut by_held = [Tally::default(), Tally::default()];
        for (inc, o) in test.iter().zip(&res.outcomes) {
            by_reopen[usize::from(inc.reopened())].add(o.met, inc.log_met());
            by_prio_change[usize::from(inc.priority_changed())].add(o.met, inc.log_met());
            by_held[usize::from(inc.held())].add(o.met, inc.log_met());
        }
        println!(
            "Agreement on the second half, {}: held incidents {} of {}, others {}; reopened {} \
             of {}, others {}; priority changed {} of {}, others {}.",
            variant.name,
            pct(by_held[1].agree, by_held[1].n),
            thousands(by_held[1].n),
            pct(by_held[0].agree, by_held[0].n),
            pct(by_reopen[1].agree, by_reopen[1].n),
            thousands(by_reopen[1].n),
            pct(by_reopen[0].agree, by_reopen[0].n),
            pct(by_prio_change[1].agree, by_prio_change[1].n),
            thousands(by_prio_change[1].n),
            pct(by_prio_change[0].agree, by_prio_change[0].n),
        );
    }
    println!();

    if examples == 0 {
        return;
    }
    for (variant, res) in runs {
        for (name, pick) in kinds {
            println!("Examples, {}: {name}\n", variant.name);
            for (inc, o) in test
                .iter()
                .zip(&res.outcomes)
                .filter(|(i, o)| pick(o.met, i.log_met()))
                .take(examples)
            {
                let trace: Vec<String> = inc
                    .rows
                    .iter()
                    .map(|r| {
                        let flag = if r.made_sla { "" } else { "✗" };
                        let prio = if r.priority == inc.priority() {
                            String::new()
                        } else {
                            format!("(P{})", r.priority)
                        };
                        format!(
                            "{:?}@{:.1}h{flag}{prio}",
                            r.state,
                            (r.at - inc.opened_at) as f64 / HOUR_MS
                        )
                    })
                    .collect();
                println!(
                    "- INC{:07} P{}: counted {}, opened → closed {}: {}",
                    inc.number,
                    inc.priority(),
                    hours(o.elapsed_ms),
                    inc.closed_at()
                        .map_or("–".into(), |c| hours(c - inc.opened_at)),
                    trace.join(" ")
                );
            }
            println!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_utc() {
        // 2016-02-29T01:16:00Z
        assert_eq!(parse_time(b"29/2/2016 01:16"), Some(1_456_708_560_000));
        assert_eq!(parse_time(b"?"), None);
        assert_eq!(date(1_456_708_560_000 / DAY_MS), "2016-02-29");
    }

    #[test]
    fn sweep_finds_the_separating_target() {
        let m = MINUTE_MS;
        let pairs = vec![
            (10 * m, true),
            (20 * m, true),
            (30 * m, false),
            (40 * m, false),
        ];
        let c = choose_target(pairs).unwrap();
        assert_eq!((c.low, c.high, c.agree), (21, Some(30), 4));
        assert_eq!(c.minutes, 25);
    }

    #[test]
    fn weekdays_only() {
        // Thursday 1970-01-01 00:00 to Monday 1970-01-05 12:00: Thursday, Friday, half a Monday.
        assert_eq!(
            weekday_ms(0, 4 * DAY_MS + DAY_MS / 2),
            2 * DAY_MS + DAY_MS / 2
        );
    }
}
