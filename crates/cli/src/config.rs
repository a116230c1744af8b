//! Configuration: a TOML file, overridden by `MAYDAY_*` environment variables, overridden by
//! flags. [`FileConfig`] is the one description of the file: loading, `mayday config check` and
//! `mayday config example` all go through it, and every problem in a file is reported with the
//! key it concerns.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mayday_core::PriorityMatrix;
use mayday_core::alert::Severity;
use mayday_core::{Impact, Urgency};
use mayday_server::api::rate_limit::RateLimit;
use mayday_server::intake::IntakeSettings;
use mayday_server::paging::PagingSettings;
use serde::{Deserialize, Serialize};

/// Where `mayday serve` listens when nothing says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Where the embedded SQLite database lives when nothing says otherwise.
pub const DEFAULT_DATA_DIR: &str = "mayday-data";
/// The log format when nothing says otherwise.
pub const DEFAULT_LOG_FORMAT: &str = "human";
const LOG_FORMATS: &[&str] = &["human", "json"];

/// The configuration file's shape.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<String>,
    pub public_url: Option<String>,
    #[serde(default)]
    pub priority: PriorityConfig,
    #[serde(default)]
    pub rate_limit: RateLimitConfig,
    #[serde(default)]
    pub alerts: AlertsConfig,
    #[serde(default)]
    pub notifications: NotificationsConfig,
}

/// How messages are sent and retried.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsConfig {
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
    pub max_attempts: Option<u32>,
    pub retry_base_seconds: Option<f64>,
    pub retry_max_seconds: Option<f64>,
    pub link_ttl_hours: Option<f64>,
    pub http_timeout_seconds: Option<f64>,
}

/// How alerts' severities and services' tiers become urgency and impact.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// Urgency (1..3) for each severity: critical, error, warning, info.
    pub urgency_by_severity: Option<std::collections::BTreeMap<String, i64>>,
    /// Impact (1..3) for service tiers 1, 2 and 3.
    pub impact_by_tier: Option<Vec<i64>>,
}

/// Requests per client address; `per_second = 0` turns limiting off.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    pub per_second: Option<f64>,
    pub burst: Option<f64>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityConfig {
    /// Rows impact 1..3, columns urgency 1..3, values priority levels 1..5.
    pub matrix: Option<Vec<Vec<i64>>>,
}

impl FileConfig {
    /// Reads and checks a file; fails naming every problem in it.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read configuration file {}", path.display()))?;
        let problems = check(&text);
        if !problems.is_empty() {
            bail!(
                "invalid configuration file {}:\n  {}",
                path.display(),
                problems.join("\n  ")
            );
        }
        toml::from_str(&text)
            .with_context(|| format!("invalid configuration file {}", path.display()))
    }

    pub fn priority_matrix(&self) -> anyhow::Result<PriorityMatrix> {
        match &self.priority.matrix {
            None => Ok(PriorityMatrix::default()),
            Some(rows) => PriorityMatrix::from_levels(rows).map_err(|e| anyhow::anyhow!("{e}")),
        }
    }

    /// Intake settings: the severity and tier mapping.
    pub fn intake_settings(&self) -> anyhow::Result<IntakeSettings> {
        self.checked_alerts()
            .map_err(|problems| anyhow::anyhow!("{}", problems.join("; ")))
    }

    fn checked_alerts(&self) -> Result<IntakeSettings, Vec<String>> {
        let mut settings = IntakeSettings::default();
        let mut problems = Vec::new();
        if let Some(map) = &self.alerts.urgency_by_severity {
            for (name, level) in map {
                let Some(severity) = Severity::parse(name) else {
                    problems.push(format!(
                        "alerts.urgency_by_severity.{name}: unknown severity; one of critical, \
                         error, warning, info"
                    ));
                    continue;
                };
                match Urgency::new(*level) {
                    Ok(u) => {
                        let index = Severity::ALL
                            .iter()
                            .position(|s| *s == severity)
                            .unwrap_or(0);
                        settings.mapping.urgency_by_severity[index] = u;
                    }
                    Err(e) => problems.push(format!("alerts.urgency_by_severity.{name}: {e}")),
                }
            }
        }
        if let Some(levels) = &self.alerts.impact_by_tier {
            if levels.len() != 3 {
                problems.push(format!(
                    "alerts.impact_by_tier: must list 3 impacts (tiers 1, 2, 3), got {}",
                    levels.len()
                ));
            } else {
                for (i, level) in levels.iter().enumerate() {
                    match Impact::new(*level) {
                        Ok(v) => settings.mapping.impact_by_tier[i] = v,
                        Err(e) => problems.push(format!("alerts.impact_by_tier[{i}]: {e}")),
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(problems)
        }
    }

    /// Paging settings from the file; `smtp_url`/`smtp_from` given here win (the environment
    /// and flags come in through them).
    pub fn paging_settings(
        &self,
        smtp_url: Option<String>,
        smtp_from: Option<String>,
    ) -> anyhow::Result<PagingSettings> {
        let mut s = self
            .checked_notifications()
            .map_err(|problems| anyhow::anyhow!("{}", problems.join("; ")))?;
        if let Some(url) = smtp_url.filter(|u| !u.is_empty()) {
            s.smtp_url = Some(url);
        }
        if let Some(from) = smtp_from.filter(|f| !f.is_empty()) {
            s.smtp_from = from;
        }
        Ok(s)
    }

    fn checked_notifications(&self) -> Result<PagingSettings, Vec<String>> {
        let n = &self.notifications;
        let mut s = PagingSettings::default();
        let mut problems = Vec::new();
        if let Some(url) = n.smtp_url.as_deref().filter(|u| !u.is_empty()) {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                problems.push(format!(
                    "notifications.smtp_url: must be smtp://host:port or smtps://host:port, got {:?}",
                    mayday_server::setup::redact_url(url)
                ));
            }
            s.smtp_url = Some(url.to_string());
        }
        if let Some(from) = &n.smtp_from {
            if !from.contains('@') {
                problems.push(format!(
                    "notifications.smtp_from: must be an email address, got {from:?}"
                ));
            }
            s.smtp_from = from.clone();
        }
        if let Some(m) = n.max_attempts {
            if !(1..=100).contains(&m) {
                problems.push(format!(
                    "notifications.max_attempts: must be 1 to 100, got {m}"
                ));
            }
            s.max_attempts = m;
        }
        let mut seconds = |key: &str, v: Option<f64>, max: f64, out: &mut std::time::Duration| {
            if let Some(v) = v {
                if !v.is_finite() || v <= 0.0 || v > max {
                    problems.push(format!(
                        "notifications.{key}: must be more than 0 and at most {max}, got {v}"
                    ));
                } else {
                    *out = std::time::Duration::from_secs_f64(v);
                }
            }
        };
        seconds(
            "retry_base_seconds",
            n.retry_base_seconds,
            3600.0,
            &mut s.retry_base,
        );
        seconds(
            "retry_max_seconds",
            n.retry_max_seconds,
            86_400.0,
            &mut s.retry_max,
        );
        seconds(
            "link_ttl_hours",
            n.link_ttl_hours.map(|h| h * 3600.0),
            30.0 * 86_400.0,
            &mut s.link_ttl,
        );
        seconds(
            "http_timeout_seconds",
            n.http_timeout_seconds,
            300.0,
            &mut s.http_timeout,
        );
        if problems.is_empty() {
            Ok(s)
        } else {
            Err(problems)
        }
    }

    /// The rate limit, `None` when turned off.
    pub fn rate_limit(&self) -> anyhow::Result<Option<RateLimit>> {
        self.checked_rate_limit()
            .map_err(|problems| anyhow::anyhow!("{}", problems.join("; ")))
    }

    fn checked_rate_limit(&self) -> Result<Option<RateLimit>, Vec<String>> {
        let default = RateLimit::default();
        let per_second = self.rate_limit.per_second.unwrap_or(default.per_second);
        let burst = self
            .rate_limit
            .burst
            .unwrap_or(default.burst.max(per_second));
        let mut problems = Vec::new();
        if !per_second.is_finite() || per_second < 0.0 {
            problems.push(format!(
                "rate_limit.per_second: must be a positive number (0 turns limiting off), got \
                 {per_second}"
            ));
        }
        if per_second != 0.0 && (!burst.is_finite() || burst < 1.0) {
            problems.push(format!("rate_limit.burst: must be at least 1, got {burst}"));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok((per_second != 0.0).then_some(RateLimit { per_second, burst }))
    }

    /// Problems with the values (the keys and types being right), each naming its key.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(listen) = &self.listen
            && let Err(e) = parse_listen(listen)
        {
            problems.push(format!("listen: {e}"));
        }
        if self
            .data_dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            problems.push("data_dir: must not be empty".into());
        }
        if let Some(url) = self.database_url.as_deref().filter(|u| !u.is_empty()) {
            let known = ["postgres://", "postgresql://", "sqlite:"];
            if !known.iter().any(|k| url.starts_with(k)) {
                problems.push(format!(
                    "database_url: must be postgres://... or sqlite://path (empty: use \
                     data_dir), got {:?}",
                    mayday_server::setup::redact_url(url)
                ));
            }
        }
        if let Some(format) = &self.log_format
            && !LOG_FORMATS.contains(&format.as_str())
        {
            problems.push(format!("log_format: must be human or json, got {format:?}"));
        }
        if let Some(rows) = &self.priority.matrix
            && let Err(errors) = PriorityMatrix::from_levels(rows)
        {
            problems.extend(
                errors
                    .0
                    .into_iter()
                    .map(|e| format!("{}: {}", e.field, e.message)),
            );
        }
        if let Err(p) = self.checked_rate_limit() {
            problems.extend(p);
        }
        if let Err(p) = self.checked_alerts() {
            problems.extend(p);
        }
        if let Err(p) = self.checked_notifications() {
            problems.extend(p);
        }
        if let Some(url) = self.public_url.as_ref().filter(|u| !u.is_empty())
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            problems.push(format!(
                "public_url: must start with http:// or https://, got {url:?}"
            ));
        }
        problems
    }
}

pub fn parse_listen(text: &str) -> anyhow::Result<SocketAddr> {
    match text.parse() {
        Ok(a) => Ok(a),
        Err(_) => bail!("listen address must look like 127.0.0.1:8080, got {text:?}"),
    }
}

/// Every problem in a configuration file, each naming its key; empty when the file is valid.
/// Keys (and array elements) are tried one by one against [`FileConfig`], so one unknown key or
/// wrong type does not hide the others; the values are then checked together.
pub fn check(text: &str) -> Vec<String> {
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
                .unwrap_or(1);
            return vec![format!("line {line}: {}", e.message().trim())];
        }
    };
    let mut shape = Shape::default();
    let mut kept = toml::Table::new();
    for (key, value) in &table {
        if let Some(v) = shape.check(&[Seg::Key(key)], value) {
            kept.insert(key.clone(), v);
        }
    }
    let mut problems = shape.problems;
    match kept.try_into::<FileConfig>() {
        Ok(config) => problems.extend(config.problems().into_iter().filter(|p| {
            // A value already reported with the wrong type is not reported again.
            !shape.stand_ins.iter().any(|s| {
                p.strip_prefix(s.as_str())
                    .is_some_and(|r| r.starts_with(':'))
            })
        })),
        Err(e) => problems.push(e.message().trim().to_string()),
    }
    problems
}

/// One step of a path into the file: a key, or an array element.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn path_text(path: &[Seg<'_>]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if s.is_empty() => s.push_str(k),
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// `value` at `path` alone in an otherwise empty file (an element alone in its array): does
/// [`FileConfig`] accept it?
fn probe(path: &[Seg<'_>], value: &toml::Value) -> Result<(), toml::de::Error> {
    let mut v = value.clone();
    for seg in path.iter().rev() {
        v = match seg {
            Seg::Key(k) => {
                let mut t = toml::Table::new();
                t.insert(k.to_string(), v);
                toml::Value::Table(t)
            }
            Seg::Index(_) => toml::Value::Array(vec![v]),
        };
    }
    match v {
        toml::Value::Table(t) => t.try_into::<FileConfig>().map(drop),
        _ => Ok(()),
    }
}

/// What checking the keys and types found.
#[derive(Default)]
struct Shape {
    problems: Vec<String>,
    /// Array elements of the wrong type, replaced by a value of the right type so the rest of
    /// the array can still be checked.
    stand_ins: Vec<String>,
}

impl Shape {
    /// Checks one value: returns what to keep, or records why it is wrong. Tables and arrays
    /// the schema expects are checked entry by entry.
    fn check(&mut self, path: &[Seg<'_>], value: &toml::Value) -> Option<toml::Value> {
        let Err(e) = probe(path, value) else {
            return Some(value.clone());
        };
        match value {
            toml::Value::Table(inner)
                if probe(path, &toml::Value::Table(toml::Table::new())).is_ok() =>
            {
                let mut kept = toml::Table::new();
                for (k, v) in inner {
                    let mut sub = path.to_vec();
                    sub.push(Seg::Key(k));
                    if let Some(v) = self.check(&sub, v) {
                        kept.insert(k.clone(), v);
                    }
                }
                return Some(toml::Value::Table(kept));
            }
            toml::Value::Array(items) if probe(path, &toml::Value::Array(Vec::new())).is_ok() => {
                let mut kept = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    let mut sub = path.to_vec();
                    sub.push(Seg::Index(i));
                    match self.check(&sub, v) {
                        Some(v) => kept.push(v),
                        None => {
                            let fillers = [
                                toml::Value::Integer(1),
                                toml::Value::Float(1.0),
                                toml::Value::String(String::new()),
                                toml::Value::Boolean(false),
                                toml::Value::Array(Vec::new()),
                                toml::Value::Table(toml::Table::new()),
                            ];
                            let filler = fillers.into_iter().find(|f| probe(&sub, f).is_ok())?;
                            self.stand_ins.push(path_text(&sub));
                            kept.push(filler);
                        }
                    }
                }
                return Some(toml::Value::Array(kept));
            }
            _ => {}
        }
        let message = e.message().trim().replace("unknown field", "unknown key");
        self.problems
            .push(format!("{}: {message}", path_text(path)));
        None
    }
}

/// A commented configuration file holding every key with its default.
pub fn example() -> String {
    let rate = RateLimit::default();
    let alerts = mayday_core::alert::AlertPriorityMapping::default();
    let paging = PagingSettings::default();
    let rows: Vec<String> = PriorityMatrix::default()
        .levels()
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let cells: Vec<String> = row.iter().map(u8::to_string).collect();
            format!("  [{}],  # impact {}", cells.join(", "), i + 1)
        })
        .collect();
    format!(
        r#"# Mayday configuration file. Every key is optional; the values below are the defaults.
# Use it with `mayday serve --config FILE` (or MAYDAY_CONFIG=FILE); check it with
# `mayday config check FILE`. Environment variables override the file, flags override both.
# Set only in the environment: MAYDAY_BOOTSTRAP_ADMIN_TOKEN (the admin's API token on first
# start, 16+ characters), MAYDAY_LOG (log filter, e.g. "info,sqlx=warn") and MAYDAY_DEMO=true
# (fill an empty database with demo data, like `serve --demo`).

# Address and port to serve HTTP on. Env MAYDAY_LISTEN, flag --listen.
listen = "{listen}"

# Directory of the embedded SQLite database, created if missing. Env MAYDAY_DATA_DIR,
# flag --data-dir.
data_dir = "{data_dir}"

# A database URL wins over data_dir: postgres://user:password@host:5432/mayday (several
# nodes may share it) or sqlite://path/to/mayday.db. Empty: use data_dir.
# Env MAYDAY_DATABASE_URL, flag --database-url.
database_url = ""

# Logs go to stderr, "human" or "json". Env MAYDAY_LOG_FORMAT, flag --log-format.
log_format = "{log_format}"

# The address people reach this server at, for the links in messages and calendar feeds.
# Empty: http://<the listen address>. Env MAYDAY_PUBLIC_URL, flag --public-url.
public_url = ""

[priority]
# Impact x urgency -> priority. Rows: impact 1 (high) to 3 (low); columns: urgency 1 (high)
# to 3 (low); cells: priority levels 1 (P1, critical) to 5 (P5, planning).
# The default is impact + urgency - 1.
matrix = [
{rows}
]

[rate_limit]
# Requests per client address: a sustained rate per second and a burst above it.
# per_second = 0 turns limiting off; over the limit, clients get 429 with Retry-After.
# Alert intake endpoints are limited per integration instead (a setting of each integration).
per_second = {per_second:?}
burst = {burst:?}

[alerts]
# An alert's incident takes its urgency from the alert's severity and its impact from the
# service's tier (1 most critical .. 3); the priority matrix above then gives its priority.
urgency_by_severity = {{ critical = {u_critical}, error = {u_error}, warning = {u_warning}, info = {u_info} }}
impact_by_tier = [{i1}, {i2}, {i3}]

[notifications]
# Email goes out through this SMTP server: smtp://host:port (plain, for a local relay),
# smtp://user:password@host:587?tls=required (STARTTLS) or smtps://host:465 (TLS). Empty: no
# email. Env MAYDAY_SMTP_URL, flag --smtp-url.
smtp_url = ""
# The From address of email. Env MAYDAY_SMTP_FROM, flag --smtp-from.
smtp_from = "{smtp_from}"
# A message that fails is tried again after retry_base_seconds, then twice as long each time
# (with jitter) up to retry_max_seconds; after max_attempts it is kept as a dead letter.
max_attempts = {max_attempts}
retry_base_seconds = {retry_base:?}
retry_max_seconds = {retry_max:?}
# How long the acknowledge/resolve links in messages work.
link_ttl_hours = {link_ttl:?}
# How long one webhook request may take.
http_timeout_seconds = {http_timeout:?}
"#,
        listen = DEFAULT_LISTEN,
        data_dir = DEFAULT_DATA_DIR,
        log_format = DEFAULT_LOG_FORMAT,
        rows = rows.join("\n"),
        per_second = rate.per_second,
        burst = rate.burst,
        u_critical = alerts.urgency_by_severity[0].get(),
        u_error = alerts.urgency_by_severity[1].get(),
        u_warning = alerts.urgency_by_severity[2].get(),
        u_info = alerts.urgency_by_severity[3].get(),
        i1 = alerts.impact_by_tier[0].get(),
        i2 = alerts.impact_by_tier[1].get(),
        i3 = alerts.impact_by_tier[2].get(),
        smtp_from = paging.smtp_from,
        max_attempts = paging.max_attempts,
        retry_base = paging.retry_base.as_secs_f64(),
        retry_max = paging.retry_max.as_secs_f64(),
        link_ttl = paging.link_ttl.as_secs_f64() / 3600.0,
        http_timeout = paging.http_timeout.as_secs_f64(),
    )
}

/// `mayday config ...`
#[derive(clap::Subcommand)]
pub enum ConfigCommand {
    /// Print a commented configuration file holding every key with its default.
    Example,
    /// Check a configuration file: prints "ok" (exit 0), or names every problem (exit 1).
    Check {
        /// The file to check.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        /// The file to check (when not given as an argument).
        #[arg(long, env = "MAYDAY_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

pub fn run(cmd: ConfigCommand) -> anyhow::Result<()> {
    match cmd {
        ConfigCommand::Example => {
            print!("{}", example());
            Ok(())
        }
        ConfigCommand::Check { file, config } => {
            let Some(path) = file.or(config) else {
                bail!("name the file to check: mayday config check FILE");
            };
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read configuration file {}", path.display()))?;
            let problems = check(&text);
            if problems.is_empty() {
                println!("{}: ok", path.display());
                return Ok(());
            }
            let count = match problems.len() {
                1 => "1 problem".to_string(),
                n => format!("{n} problems"),
            };
            bail!(
                "{} has {count}:\n  {}",
                path.display(),
                problems.join("\n  ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &toml::Table, prefix: &str, out: &mut Vec<String>) {
        for (k, v) in t {
            let path = format!("{prefix}{k}");
            match v {
                toml::Value::Table(inner) => keys(inner, &format!("{path}."), out),
                _ => out.push(path),
            }
        }
    }

    #[test]
    fn the_example_is_valid_and_holds_every_key_with_its_default() {
        let text = example();
        assert_eq!(check(&text), Vec::<String>::new(), "{text}");
        let config: FileConfig = toml::from_str(&text).unwrap();
        assert_eq!(config.listen.as_deref(), Some(DEFAULT_LISTEN));
        assert_eq!(config.data_dir, Some(PathBuf::from(DEFAULT_DATA_DIR)));
        assert_eq!(config.log_format.as_deref(), Some(DEFAULT_LOG_FORMAT));
        assert_eq!(config.priority_matrix().unwrap(), PriorityMatrix::default());
        assert_eq!(config.rate_limit().unwrap(), Some(RateLimit::default()));
        assert_eq!(config.intake_settings().unwrap(), IntakeSettings::default());

        // Every key the schema has (a literal without `..`: a new field must be added here,
        // and then to the example).
        let full = FileConfig {
            listen: Some(String::new()),
            data_dir: Some(PathBuf::new()),
            database_url: Some(String::new()),
            log_format: Some(String::new()),
            public_url: Some(String::new()),
            priority: PriorityConfig {
                matrix: Some(Vec::new()),
            },
            rate_limit: RateLimitConfig {
                per_second: Some(0.0),
                burst: Some(0.0),
            },
            alerts: AlertsConfig {
                urgency_by_severity: Some(
                    ["critical", "error", "warning", "info"]
                        .into_iter()
                        .map(|s| (s.to_string(), 1))
                        .collect(),
                ),
                impact_by_tier: Some(Vec::new()),
            },
            notifications: NotificationsConfig {
                smtp_url: Some(String::new()),
                smtp_from: Some(String::new()),
                max_attempts: Some(1),
                retry_base_seconds: Some(1.0),
                retry_max_seconds: Some(1.0),
                link_ttl_hours: Some(1.0),
                http_timeout_seconds: Some(1.0),
            },
        };
        let mut want = Vec::new();
        keys(
            &toml::from_str(&toml::to_string(&full).unwrap()).unwrap(),
            "",
            &mut want,
        );
        let mut have = Vec::new();
        keys(&toml::from_str(&text).unwrap(), "", &mut have);
        want.sort();
        have.sort();
        assert_eq!(have, want);
    }

    #[test]
    fn every_problem_is_named() {
        let text = r#"
listen = "localhost"
listen_port = 8080
data_dir = 3
database_url = "mysql://root:secret@db/mayday"
log_format = "xml"
[priority]
matrix = [[1, 2, 3], [2, 9, 4], [3, "four", 0]]
colour = "red"
[rate_limit]
per_second = -1
burst = "lots"
[alerts]
urgency_by_severity = { critical = 0, fatal = 1 }
impact_by_tier = [1, 2]
[smtp]
host = "mail"
"#;
        let problems = check(text);
        let joined = problems.join("\n");
        for needle in [
            "listen: ",
            "listen_port: unknown key",
            "data_dir: invalid type",
            "database_url: ",
            "log_format: must be human or json",
            "priority.matrix[1][1]",
            "priority.matrix[2][1]: invalid type",
            "priority.matrix[2][2]",
            "priority.colour: unknown key",
            "rate_limit.per_second: must be a positive number",
            "rate_limit.burst: invalid type",
            "smtp: unknown key",
            "alerts.urgency_by_severity.critical: urgency must be 1",
            "alerts.urgency_by_severity.fatal: unknown severity",
            "alerts.impact_by_tier: must list 3 impacts",
        ] {
            assert!(
                joined.contains(needle),
                "{needle:?} missing from:\n{joined}"
            );
        }
        assert!(
            !joined.contains("secret"),
            "passwords stay out of messages: {joined}"
        );
        assert_eq!(problems.len(), 15, "{joined}");
    }

    #[test]
    fn syntax_errors_give_the_line() {
        let problems = check("listen = \"127.0.0.1:8080\"\n[priority\nmatrix = 1\n");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("line 2:"), "{problems:?}");
    }

    #[test]
    fn rate_limit_zero_turns_it_off() {
        let config: FileConfig = toml::from_str("[rate_limit]\nper_second = 0\n").unwrap();
        assert_eq!(config.rate_limit().unwrap(), None);
        assert!(check("[rate_limit]\nper_second = 0\n").is_empty());
        assert!(!check("[rate_limit]\nburst = 0.5\n").is_empty());
    }
}
