//! `mayday schedule ...`, `mayday oncall who`, `mayday policy ...` and `mayday user contact
//! ...`: on-call schedules with their overrides and shifts, who is on call, escalation
//! policies, and where pages reach a person.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};

use super::Connection;
use super::http::{Api, Failure, Reply, Result};
use super::output::{
    Detail, Out, Style, Table, cell, long_time, name_field, short_time, show, str_field, truncate,
};

// --- schedules ---

#[derive(Args)]
pub struct ScheduleArgs {
    #[command(flatten)]
    conn: Connection,
    #[command(subcommand)]
    command: ScheduleCommand,
}

#[derive(Subcommand)]
enum ScheduleCommand {
    /// Every schedule, with who is on call now (agents and above).
    #[command(visible_alias = "ls")]
    List,
    /// One schedule by name or id: its layers, overrides and the gaps of the next 14 days.
    Show { schedule: String },
    /// Create a schedule (managers and admins): one layer from the options, or any body from
    /// --file.
    Create(Box<CreateScheduleArgs>),
    /// Delete a schedule no escalation policy or team uses (managers and admins).
    Delete { schedule: String },
    /// Put someone on call from --start to --end, before every layer (managers and admins).
    Override {
        /// The schedule: name or id.
        schedule: String,
        /// Username or id.
        #[arg(long)]
        user: String,
        /// RFC 3339, e.g. 2026-03-24T12:00:00Z.
        #[arg(long)]
        start: String,
        /// RFC 3339.
        #[arg(long)]
        end: String,
    },
    /// The schedule's shifts and gaps (default: the next 14 days).
    Shifts {
        /// The schedule: name or id.
        schedule: String,
        /// RFC 3339 (default now).
        #[arg(long)]
        from: Option<String>,
        /// RFC 3339 (default 14 days after --from; at most 366 days).
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(Args)]
struct CreateScheduleArgs {
    /// The whole request body as JSON (see `POST /api/v1/schedules`), for several layers or
    /// restrictions; `-` reads standard input.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["name", "zone", "members", "turn", "start", "daily", "description", "layer_name"])]
    file: Option<PathBuf>,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    description: Option<String>,
    /// IANA time zone, e.g. Europe/Berlin (default UTC).
    #[arg(long)]
    zone: Option<String>,
    /// Usernames or ids in turn order (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    members: Vec<String>,
    /// Each member's turn: 1w (weeks), 2d (days) or 12h (hours).
    #[arg(long)]
    turn: Option<String>,
    /// The first hand-off, wall-clock in the zone: 2026-03-16T09:00.
    #[arg(long)]
    start: Option<String>,
    /// Only on call between these times every day: 09:00-17:00 (repeatable).
    #[arg(long, value_name = "HH:MM-HH:MM")]
    daily: Vec<String>,
    /// The layer's name (default "Layer 1").
    #[arg(long)]
    layer_name: Option<String>,
}

/// `1w`, `2d`, `12h` as the API's turn.
fn turn(text: &str) -> Result<Value> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || Failure::Usage(format!("--turn must be like 1w, 2d or 12h, got {text:?}"));
    let (count, unit) = t.split_at(t.len().saturating_sub(1));
    let unit = match unit {
        "w" => "weeks",
        "d" => "days",
        "h" => "hours",
        _ => return Err(bad()),
    };
    let count: u32 = count.parse().map_err(|_| bad())?;
    Ok(json!({"unit": unit, "count": count}))
}

/// `09:00-17:00` as a daily restriction.
fn daily(text: &str) -> Result<Value> {
    let (start, end) = text
        .split_once('-')
        .ok_or_else(|| Failure::Usage(format!("--daily must be like 09:00-17:00, got {text:?}")))?;
    Ok(json!({"kind": "daily", "start": start.trim(), "end": end.trim()}))
}

/// A JSON body from a file, or standard input for `-`.
pub(super) fn read_body(path: &PathBuf) -> Result<Value> {
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| Failure::Internal(format!("cannot read standard input: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?
    };
    serde_json::from_str(&text)
        .map_err(|e| Failure::Usage(format!("{} is not JSON: {e}", path.display())))
}

fn schedule_body(a: CreateScheduleArgs) -> Result<Value> {
    if let Some(path) = &a.file {
        return read_body(path);
    }
    let mut missing = Vec::new();
    if a.name.is_none() {
        missing.push("--name");
    }
    if a.members.is_empty() {
        missing.push("--members");
    }
    if a.turn.is_none() {
        missing.push("--turn");
    }
    if a.start.is_none() {
        missing.push("--start");
    }
    if !missing.is_empty() {
        return Err(Failure::Usage(format!(
            "give {} (or the whole body with --file)",
            missing.join(", ")
        )));
    }
    let mut layer = Map::new();
    if let Some(n) = a.layer_name {
        layer.insert("name".into(), json!(n));
    }
    layer.insert("members".into(), json!(a.members));
    layer.insert("turn".into(), turn(a.turn.as_deref().unwrap_or_default())?);
    layer.insert("start".into(), json!(a.start));
    if !a.daily.is_empty() {
        let windows = a
            .daily
            .iter()
            .map(|d| daily(d))
            .collect::<Result<Vec<_>>>()?;
        layer.insert("restrictions".into(), Value::Array(windows));
    }
    let mut body = Map::new();
    body.insert("name".into(), json!(a.name));
    if let Some(d) = a.description {
        body.insert("description".into(), json!(d));
    }
    body.insert(
        "time_zone".into(),
        json!(a.zone.unwrap_or_else(|| "UTC".into())),
    );
    body.insert("layers".into(), json!([Value::Object(layer)]));
    Ok(Value::Object(body))
}

pub async fn schedule(args: ScheduleArgs) -> Result<()> {
    let (api, out) = args.conn.open()?;
    match args.command {
        ScheduleCommand::List => {
            let reply = api.get(&["api", "v1", "schedules"]).await?;
            if out.json() {
                out.print_raw_json(&reply.text);
                return Ok(());
            }
            let now = api.get_json(&["api", "v1", "oncall"]).await?;
            let v = reply.json()?;
            let mut t = Table::new(&["NAME", "TIME ZONE", "LAYERS", "ON CALL NOW", "GAPS (14 D)"]);
            for s in items(&v, "items") {
                let id = str_field(s, "id").unwrap_or("-");
                let people = items(&now, "schedules")
                    .find(|x| x.pointer("/schedule/id").and_then(Value::as_str) == Some(id))
                    .map(people)
                    .unwrap_or_default();
                let gaps = items(s, "gaps_next_14_days").count();
                t.row(vec![
                    cell(str_field(s, "name").unwrap_or("-")),
                    cell(str_field(s, "time_zone").unwrap_or("-")),
                    cell(items(s, "layers").count().to_string()),
                    if people.is_empty() {
                        (String::from("nobody"), Style("1;31"))
                    } else {
                        cell(people)
                    },
                    if gaps == 0 {
                        cell("none")
                    } else {
                        (gaps.to_string(), Style("33"))
                    },
                ]);
            }
            print_table(&out, &t, "no schedules");
            Ok(())
        }
        ScheduleCommand::Show { schedule } => {
            let reply = api.get(&["api", "v1", "schedules", &schedule]).await?;
            print_schedule(&out, &reply)
        }
        ScheduleCommand::Create(a) => {
            let body = schedule_body(*a)?;
            let reply = api.post(&["api", "v1", "schedules"], body).await?;
            print_schedule(&out, &reply)
        }
        ScheduleCommand::Delete { schedule } => {
            api.delete(&["api", "v1", "schedules", &schedule]).await?;
            deleted(&out, "schedule", &schedule);
            Ok(())
        }
        ScheduleCommand::Override {
            schedule,
            user,
            start,
            end,
        } => {
            let reply = api
                .post(
                    &["api", "v1", "schedules", &schedule, "overrides"],
                    json!({"user": user, "start": start, "end": end}),
                )
                .await?;
            if out.json() {
                out.print_raw_json(&reply.text);
                return Ok(());
            }
            let v = reply.json()?;
            let mut d = Detail::new();
            d.add("Schedule", schedule);
            d.add("User", name_field(&v, "user").unwrap_or_else(|| "-".into()));
            d.add("From", short_time(str_field(&v, "start")));
            d.add("To", short_time(str_field(&v, "end")));
            d.add("Id", str_field(&v, "id").unwrap_or("-"));
            print!("{}", d.render(&out));
            Ok(())
        }
        ScheduleCommand::Shifts { schedule, from, to } => {
            let mut query = Vec::new();
            if let Some(f) = from {
                query.push(("from", f));
            }
            if let Some(t) = to {
                query.push(("to", t));
            }
            let path = ["api", "v1", "schedules", schedule.as_str(), "shifts"];
            let reply = api
                .send(super::http::Request::new(reqwest::Method::GET, &path).query(query))
                .await?;
            print_shifts(&out, &reply)
        }
    }
}

fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> + use<'a> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// The names of `users` of an on-call answer, comma-separated.
fn people(v: &Value) -> String {
    items(v, "users")
        .map(|u| str_field(u, "name").unwrap_or("(deleted)").to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_table(out: &Out, t: &Table, empty: &str) {
    if t.is_empty() {
        eprintln!("{empty}");
    } else {
        print!("{}", t.render(out));
    }
}

fn deleted(out: &Out, kind: &str, name: &str) {
    if !out.json() {
        println!("deleted {kind} {name}");
    }
}

/// `every 1 week from 2026-03-16T09:00:00`.
fn turn_text(layer: &Value) -> String {
    let count = layer.pointer("/turn/count").map(show).unwrap_or_default();
    let unit = layer
        .pointer("/turn/unit")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let unit = if count == "1" {
        unit.trim_end_matches('s')
    } else {
        unit
    };
    format!(
        "every {count} {unit} from {}",
        str_field(layer, "start").unwrap_or("-")
    )
}

/// `daily 09:00-17:00`, `monday 09:00-friday 17:00`.
fn restriction_text(r: &Value) -> String {
    let (start, end) = (
        str_field(r, "start").unwrap_or("?"),
        str_field(r, "end").unwrap_or("?"),
    );
    match str_field(r, "kind") {
        Some("weekly") => format!(
            "{} {start}-{} {end}",
            str_field(r, "start_day").unwrap_or("?"),
            str_field(r, "end_day").unwrap_or("?")
        ),
        _ => format!("daily {start}-{end}"),
    }
}

fn span_text(v: &Value) -> String {
    format!(
        "{} → {}",
        short_time(str_field(v, "start")),
        short_time(str_field(v, "end"))
    )
}

fn print_schedule(out: &Out, reply: &Reply) -> Result<()> {
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    let v = reply.json()?;
    let mut d = Detail::new();
    d.add("Name", str_field(&v, "name").unwrap_or("-"));
    d.some(
        "Description",
        str_field(&v, "description").map(String::from),
    );
    d.add("Time zone", str_field(&v, "time_zone").unwrap_or("-"));
    let layers: Vec<String> = items(&v, "layers")
        .map(|l| {
            let mut line = format!(
                "{}: {} — {}",
                str_field(l, "name").unwrap_or("-"),
                l.get("members").map(show).unwrap_or_default(),
                turn_text(l)
            );
            let windows: Vec<String> = items(l, "restrictions").map(restriction_text).collect();
            if !windows.is_empty() {
                line.push_str(&format!(" (only {})", windows.join(", ")));
            }
            line
        })
        .collect();
    d.add("Layers", layers.join("\n"));
    let overrides: Vec<String> = items(&v, "overrides")
        .map(|o| {
            format!(
                "{}: {}",
                name_field(o, "user").unwrap_or_else(|| "-".into()),
                span_text(o)
            )
        })
        .collect();
    d.some("Overrides", Some(overrides.join("\n")));
    let gaps: Vec<String> = items(&v, "gaps_next_14_days").map(span_text).collect();
    d.add(
        "Gaps (14 days)",
        if gaps.is_empty() {
            "none".to_string()
        } else {
            out.paint(Style("33"), &gaps.join("\n"))
        },
    );
    d.some("Created", long_time(str_field(&v, "created_at")));
    d.some("Updated", long_time(str_field(&v, "updated_at")));
    d.add("Version", v.get("version").map(show).unwrap_or_default());
    d.add("Id", str_field(&v, "id").unwrap_or("-"));
    print!("{}", d.render(out));
    Ok(())
}

fn source_text(s: &Value) -> String {
    match s.pointer("/source/kind").and_then(Value::as_str) {
        Some("override") => "override".into(),
        Some("layer") => s
            .pointer("/source/name")
            .and_then(Value::as_str)
            .unwrap_or("layer")
            .to_string(),
        _ => "-".into(),
    }
}

/// Shifts and gaps in one table, in time order.
fn print_shifts(out: &Out, reply: &Reply) -> Result<()> {
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    let v = reply.json()?;
    let mut rows: Vec<(String, Vec<(String, Style)>)> = Vec::new();
    for s in items(&v, "shifts") {
        let start = str_field(s, "start").unwrap_or("").to_string();
        rows.push((
            start,
            vec![
                cell(short_time(str_field(s, "start"))),
                cell(short_time(str_field(s, "end"))),
                cell(name_field(s, "user").unwrap_or_else(|| "-".into())),
                cell(source_text(s)),
            ],
        ));
    }
    for g in items(&v, "gaps") {
        rows.push((
            str_field(g, "start").unwrap_or("").to_string(),
            vec![
                cell(short_time(str_field(g, "start"))),
                cell(short_time(str_field(g, "end"))),
                (String::from("(nobody)"), Style("1;31")),
                (String::from("gap"), Style("1;31")),
            ],
        ));
    }
    // RFC 3339 UTC text sorts as time does.
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut t = Table::new(&["FROM", "TO", "ON CALL", "SOURCE"]);
    for (_, r) in rows {
        t.row(r);
    }
    print_table(out, &t, "no shifts in this range");
    Ok(())
}

// --- who is on call ---

#[derive(Args)]
pub struct OncallArgs {
    #[command(flatten)]
    conn: Connection,
    #[command(subcommand)]
    command: OncallCommand,
}

#[derive(Subcommand)]
enum OncallCommand {
    /// Who is on call: on one schedule, or on every schedule.
    Who {
        /// The schedule: name or id (default: every schedule).
        #[arg(long)]
        schedule: Option<String>,
        /// RFC 3339 (default now).
        #[arg(long)]
        at: Option<String>,
    },
}

pub async fn oncall(args: OncallArgs) -> Result<()> {
    let (api, out) = args.conn.open()?;
    let OncallCommand::Who { schedule, at } = args.command;
    let query: Vec<(&'static str, String)> = at.map(|a| ("at", a)).into_iter().collect();
    let reply = match &schedule {
        Some(s) => {
            let path = ["api", "v1", "schedules", s.as_str(), "oncall"];
            api.send(super::http::Request::new(reqwest::Method::GET, &path).query(query))
                .await?
        }
        None => {
            let path = ["api", "v1", "oncall"];
            api.send(super::http::Request::new(reqwest::Method::GET, &path).query(query))
                .await?
        }
    };
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    let v = reply.json()?;
    let per_schedule: Vec<&Value> = if schedule.is_some() {
        vec![&v]
    } else {
        items(&v, "schedules").collect()
    };
    let mut t = Table::new(&["SCHEDULE", "ON CALL", "SINCE", "UNTIL"]);
    for s in per_schedule {
        let name = name_field(s, "schedule").unwrap_or_else(|| "-".into());
        let mut any = false;
        for u in items(s, "users") {
            any = true;
            t.row(vec![
                cell(&name),
                cell(str_field(u, "name").unwrap_or("(deleted)")),
                cell(
                    str_field(u, "shift_start")
                        .map(|x| short_time(Some(x)))
                        .unwrap_or_else(|| "-".into()),
                ),
                cell(
                    str_field(u, "shift_end")
                        .map(|x| short_time(Some(x)))
                        .unwrap_or_else(|| "-".into()),
                ),
            ]);
        }
        if !any {
            t.row(vec![
                cell(&name),
                (String::from("nobody"), Style("1;31")),
                cell("-"),
                cell("-"),
            ]);
        }
    }
    print_table(&out, &t, "no schedules");
    Ok(())
}

// --- escalation policies ---

#[derive(Args)]
pub struct PolicyArgs {
    #[command(flatten)]
    conn: Connection,
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Every escalation policy (agents and above).
    #[command(visible_alias = "ls")]
    List,
    /// One escalation policy by name or id.
    Show { policy: String },
    /// Create an escalation policy (managers and admins): levels from the options, or any
    /// body from --file.
    Create(Box<CreatePolicyArgs>),
    /// Delete an escalation policy no service or team uses (managers and admins).
    Delete { policy: String },
}

#[derive(Args)]
struct CreatePolicyArgs {
    /// The whole request body as JSON (see `POST /api/v1/escalation-policies`); `-` reads
    /// standard input.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["name", "description", "levels", "delays", "repeat"])]
    file: Option<PathBuf>,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    description: Option<String>,
    /// One level's targets, comma-separated: a username, or user:NAME, schedule:NAME,
    /// team:NAME (repeat for each level, in order).
    #[arg(long = "level", value_name = "TARGETS")]
    levels: Vec<String>,
    /// How long each level waits before the next: 5m, 30s, 1h (one per --level, or one for
    /// all).
    #[arg(long = "delay", value_name = "DELAY")]
    delays: Vec<String>,
    /// How many more times the whole policy runs after its last level (default 0).
    #[arg(long)]
    repeat: Option<u32>,
}

/// `alice`, `user:alice`, `schedule:Primary`, `team:ops` as a target.
fn target(text: &str) -> Result<Value> {
    let t = text.trim();
    let (kind, id) = match t.split_once(':') {
        Some((k, id)) if matches!(k, "user" | "schedule" | "team") => (k, id),
        Some((k, _)) => {
            return Err(Failure::Usage(format!(
                "a target is a username or user:, schedule: or team: and a name; got {k:?}"
            )));
        }
        None => ("user", t),
    };
    if id.trim().is_empty() {
        return Err(Failure::Usage(format!("a target needs a name: {text:?}")));
    }
    Ok(json!({"kind": kind, "id": id.trim()}))
}

/// `5m`, `1.5m`, `30s`, `1h` (a bare number is minutes) as the level's delay field.
fn delay(text: &str) -> Result<(&'static str, Value)> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || Failure::Usage(format!("--delay must be like 5m, 30s or 1h, got {text:?}"));
    let number = |s: &str| -> Result<f64> {
        s.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .ok_or_else(bad)
    };
    let whole = |n: f64| {
        if n.fract() == 0.0 {
            json!(n as u64)
        } else {
            json!(n)
        }
    };
    if let Some(s) = t.strip_suffix('s') {
        let n = number(s)?;
        if n.fract() != 0.0 {
            return Err(bad());
        }
        Ok(("delay_seconds", json!(n as u64)))
    } else if let Some(m) = t.strip_suffix('m') {
        Ok(("delay_minutes", whole(number(m)?)))
    } else if let Some(h) = t.strip_suffix('h') {
        Ok(("delay_minutes", whole(number(h)? * 60.0)))
    } else {
        Ok(("delay_minutes", whole(number(&t)?)))
    }
}

fn policy_body(a: CreatePolicyArgs) -> Result<Value> {
    if let Some(path) = &a.file {
        return read_body(path);
    }
    let Some(name) = a.name else {
        return Err(Failure::Usage(
            "give --name and --level (or the whole body with --file)".into(),
        ));
    };
    if a.levels.is_empty() {
        return Err(Failure::Usage(
            "give at least one --level (e.g. --level alice,schedule:Primary)".into(),
        ));
    }
    if a.delays.len() != a.levels.len() && a.delays.len() != 1 {
        return Err(Failure::Usage(format!(
            "give one --delay per --level ({} levels, {} delays), or one for all",
            a.levels.len(),
            a.delays.len()
        )));
    }
    let mut levels = Vec::with_capacity(a.levels.len());
    for (i, l) in a.levels.iter().enumerate() {
        let targets = l
            .split(',')
            .filter(|t| !t.trim().is_empty())
            .map(target)
            .collect::<Result<Vec<_>>>()?;
        let (key, value) = delay(&a.delays[i.min(a.delays.len() - 1)])?;
        let mut level = Map::new();
        level.insert("targets".into(), Value::Array(targets));
        level.insert(key.into(), value);
        levels.push(Value::Object(level));
    }
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    if let Some(d) = a.description {
        body.insert("description".into(), json!(d));
    }
    body.insert("levels".into(), Value::Array(levels));
    body.insert("repeat".into(), json!(a.repeat.unwrap_or(0)));
    Ok(Value::Object(body))
}

/// `5 min`, `30 s`, `1 h 30 min`.
fn delay_text(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s} s"));
    }
    parts.join(" ")
}

/// `alice, Primary (schedule), ops (team)`.
fn targets_text(level: &Value) -> String {
    items(level, "targets")
        .map(|t| {
            let name = str_field(t, "name").map(String::from).unwrap_or_else(|| {
                format!("{} (deleted)", t.get("id").map(show).unwrap_or_default())
            });
            match str_field(t, "kind") {
                Some("user") | None => name,
                Some(k) => format!("{name} ({k})"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_policy(out: &Out, reply: &Reply) -> Result<()> {
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    let v = reply.json()?;
    let mut d = Detail::new();
    d.add("Name", str_field(&v, "name").unwrap_or("-"));
    d.some(
        "Description",
        str_field(&v, "description").map(String::from),
    );
    let levels: Vec<String> = items(&v, "levels")
        .enumerate()
        .map(|(i, l)| {
            format!(
                "{}. {} — then wait {}",
                i + 1,
                targets_text(l),
                delay_text(l.get("delay_seconds").and_then(Value::as_u64).unwrap_or(0))
            )
        })
        .collect();
    d.add("Levels", levels.join("\n"));
    d.add(
        "Repeat",
        match v.get("repeat").and_then(Value::as_u64) {
            Some(0) | None => "no".to_string(),
            Some(n) => format!("{n} more time(s)"),
        },
    );
    d.some("Created", long_time(str_field(&v, "created_at")));
    d.some("Updated", long_time(str_field(&v, "updated_at")));
    d.add("Version", v.get("version").map(show).unwrap_or_default());
    d.add("Id", str_field(&v, "id").unwrap_or("-"));
    print!("{}", d.render(out));
    Ok(())
}

pub async fn policy(args: PolicyArgs) -> Result<()> {
    let (api, out) = args.conn.open()?;
    match args.command {
        PolicyCommand::List => {
            let reply = api.get(&["api", "v1", "escalation-policies"]).await?;
            if out.json() {
                out.print_raw_json(&reply.text);
                return Ok(());
            }
            let v = reply.json()?;
            let mut t = Table::new(&["NAME", "LEVELS", "REPEAT", "FIRST LEVEL"]);
            for p in items(&v, "items") {
                t.row(vec![
                    cell(str_field(p, "name").unwrap_or("-")),
                    cell(items(p, "levels").count().to_string()),
                    cell(p.get("repeat").map(show).unwrap_or_default()),
                    cell(truncate(
                        &items(p, "levels")
                            .next()
                            .map(targets_text)
                            .unwrap_or_default(),
                        60,
                    )),
                ]);
            }
            print_table(&out, &t, "no escalation policies");
            Ok(())
        }
        PolicyCommand::Show { policy } => {
            let reply = api
                .get(&["api", "v1", "escalation-policies", &policy])
                .await?;
            print_policy(&out, &reply)
        }
        PolicyCommand::Create(a) => {
            let body = policy_body(*a)?;
            let reply = api
                .post(&["api", "v1", "escalation-policies"], body)
                .await?;
            print_policy(&out, &reply)
        }
        PolicyCommand::Delete { policy } => {
            api.delete(&["api", "v1", "escalation-policies", &policy])
                .await?;
            deleted(&out, "escalation policy", &policy);
            Ok(())
        }
    }
}

// --- contact methods (`mayday user contact ...`) ---

#[derive(Subcommand)]
pub enum ContactCommand {
    /// A person's contact methods (themself, managers and admins); secrets are never shown.
    #[command(visible_alias = "ls")]
    List {
        /// Username or id.
        user: String,
    },
    /// Add a contact method (the person themself or an admin). A webhook-style method's
    /// secret is printed this once.
    Add {
        /// Username or id.
        user: String,
        /// email, webhook, slack, teams or mattermost.
        #[arg(long)]
        kind: String,
        /// The email address or the http(s) URL.
        #[arg(long)]
        address: String,
        #[arg(long)]
        label: Option<String>,
        /// Webhook-style kinds: the signing secret (16 to 200 characters; generated when
        /// absent).
        #[arg(long)]
        secret: Option<String>,
    },
    /// Remove a contact method and the notification rules using it.
    Delete {
        /// Username or id.
        user: String,
        /// The contact method's id.
        id: String,
    },
}

/// Runs a `mayday user contact ...` command.
pub async fn contact(api: &Api, out: &Out, cmd: ContactCommand) -> Result<()> {
    match cmd {
        ContactCommand::List { user } => {
            let reply = api
                .get(&["api", "v1", "users", &user, "contact-methods"])
                .await?;
            if out.json() {
                out.print_raw_json(&reply.text);
                return Ok(());
            }
            let v = reply.json()?;
            let mut t = Table::new(&["ID", "KIND", "ADDRESS", "LABEL", "SIGNED"]);
            for c in items(&v, "items") {
                t.row(vec![
                    cell(str_field(c, "id").unwrap_or("-")),
                    cell(str_field(c, "kind").unwrap_or("-")),
                    cell(truncate(str_field(c, "address").unwrap_or("-"), 60)),
                    cell(str_field(c, "label").unwrap_or("")),
                    cell(
                        if c.get("has_secret").and_then(Value::as_bool) == Some(true) {
                            "yes"
                        } else {
                            "no"
                        },
                    ),
                ]);
            }
            print_table(out, &t, &format!("{user} has no contact methods"));
            Ok(())
        }
        ContactCommand::Add {
            user,
            kind,
            address,
            label,
            secret,
        } => {
            let mut body = Map::new();
            body.insert("kind".into(), json!(kind));
            body.insert("address".into(), json!(address));
            if let Some(l) = label {
                body.insert("label".into(), json!(l));
            }
            if let Some(s) = secret {
                body.insert("secret".into(), json!(s));
            }
            let reply = api
                .post(
                    &["api", "v1", "users", &user, "contact-methods"],
                    Value::Object(body),
                )
                .await?;
            if out.json() {
                out.print_raw_json(&reply.text);
                return Ok(());
            }
            let v = reply.json()?;
            let mut d = Detail::new();
            d.add("Kind", str_field(&v, "kind").unwrap_or("-"));
            d.add("Address", str_field(&v, "address").unwrap_or("-"));
            d.some("Label", str_field(&v, "label").map(String::from));
            if let Some(s) = str_field(&v, "secret") {
                d.add(
                    "Secret",
                    format!(
                        "{}  {}",
                        out.paint(Style::BOLD, s),
                        out.paint(Style::DIM, "(shown once: deliveries are signed with it)")
                    ),
                );
            }
            d.add("Id", str_field(&v, "id").unwrap_or("-"));
            print!("{}", d.render(out));
            Ok(())
        }
        ContactCommand::Delete { user, id } => {
            api.delete(&["api", "v1", "users", &user, "contact-methods", &id])
                .await?;
            deleted(out, "contact method", &id);
            Ok(())
        }
    }
}

// --- an incident's pages ---

fn message_status_style(s: &str) -> Style {
    match s {
        "sent" => Style("32"),
        "pending" => Style("33"),
        "dead" => Style("1;31"),
        _ => Style::NONE,
    }
}

/// `mayday incident pages <INC-…|id>`: the messages sent for an incident and its pending
/// escalation.
pub async fn incident_pages(api: &Api, out: &Out, id: &str) -> Result<()> {
    let key = super::incident_key(id);
    let reply = api.get(&["api", "v1", "incidents", &key, "pages"]).await?;
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    let v = reply.json()?;
    let mut t = Table::new(&[
        "CREATED",
        "EVENT",
        "CHANNEL",
        "TO",
        "STATUS",
        "ATTEMPTS",
        "LAST ERROR",
    ]);
    for m in v
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let status = str_field(m, "status").unwrap_or("-");
        t.row(vec![
            cell(short_time(str_field(m, "created_at"))),
            cell(str_field(m, "event").unwrap_or("-").to_string()),
            cell(str_field(m, "channel").unwrap_or("-").to_string()),
            cell(truncate(str_field(m, "address").unwrap_or("-"), 40)),
            (status.to_string(), message_status_style(status)),
            cell(m.get("attempts").map(show).unwrap_or_default()),
            cell(truncate(str_field(m, "last_error").unwrap_or(""), 50)),
        ]);
    }
    println!(
        "{key}: escalation level {}",
        v.get("escalation_level").map(show).unwrap_or_default()
    );
    if t.is_empty() {
        println!("no messages");
    } else {
        print!("{}", t.render(out));
    }
    for p in v
        .get("pending")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let what = match p.get("level").and_then(Value::as_u64) {
            Some(level) => format!("escalation to level {level}"),
            None => str_field(p, "kind").unwrap_or("timer").to_string(),
        };
        println!(
            "pending: {what} at {}",
            long_time(str_field(p, "due_at")).unwrap_or_default()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_and_windows() {
        assert_eq!(turn("1w").unwrap(), json!({"unit": "weeks", "count": 1}));
        assert_eq!(turn("2d").unwrap(), json!({"unit": "days", "count": 2}));
        assert_eq!(turn("12H").unwrap(), json!({"unit": "hours", "count": 12}));
        for bad in ["w", "1", "1y", "-1d", ""] {
            assert_eq!(turn(bad).unwrap_err().code(), 2, "{bad}");
        }
        assert_eq!(
            daily("09:00-17:00").unwrap(),
            json!({"kind": "daily", "start": "09:00", "end": "17:00"})
        );
        assert!(daily("9 to 5").is_err());
    }

    #[test]
    fn targets_and_delays() {
        assert_eq!(
            target("alice").unwrap(),
            json!({"kind": "user", "id": "alice"})
        );
        assert_eq!(
            target("schedule:Primary").unwrap(),
            json!({"kind": "schedule", "id": "Primary"})
        );
        assert_eq!(
            target("team:ops").unwrap(),
            json!({"kind": "team", "id": "ops"})
        );
        assert_eq!(target("pager:x").unwrap_err().code(), 2);
        assert_eq!(target("team:").unwrap_err().code(), 2);
        assert_eq!(delay("5m").unwrap(), ("delay_minutes", json!(5)));
        assert_eq!(delay("1.5m").unwrap(), ("delay_minutes", json!(1.5)));
        assert_eq!(delay("30s").unwrap(), ("delay_seconds", json!(30)));
        assert_eq!(delay("1h").unwrap(), ("delay_minutes", json!(60)));
        assert_eq!(delay("10").unwrap(), ("delay_minutes", json!(10)));
        for bad in ["soon", "1.5s", "-5m", "m"] {
            assert_eq!(delay(bad).unwrap_err().code(), 2, "{bad}");
        }
        assert_eq!(delay_text(300), "5 min");
        assert_eq!(delay_text(90), "1 min 30 s");
        assert_eq!(delay_text(5400), "1 h 30 min");
    }
}
