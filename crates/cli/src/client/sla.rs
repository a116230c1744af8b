//! `mayday sla ...`: SLA policies, business calendars, an incident's SLA clocks and why they
//! show what they show, and compliance over a period.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::Connection;
use super::http::{Failure, Reply, Request, Result};
use super::oncall::read_body;
use super::output::{
    Detail, Out, Style, Table, cell, event_time, long_time, priority_style, short_time, show,
    str_field, truncate,
};

#[derive(Args)]
pub struct SlaArgs {
    #[command(flatten)]
    conn: Connection,
    #[command(subcommand)]
    command: SlaCommand,
}

#[derive(Subcommand)]
enum SlaCommand {
    /// Business calendars: weekly working hours in a time zone, and holidays.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// SLA policies: which incidents they cover, their targets, calendar and pauses.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// An incident's SLA clocks: state, due time, business time elapsed and remaining.
    Show {
        /// INC-000123, 123 or an id.
        incident: String,
    },
    /// Why an incident's clocks show what they show: the intervals counted and not counted.
    Why {
        /// INC-000123, 123 or an id.
        incident: String,
    },
    /// SLA compliance over a period, per policy, team or priority.
    Compliance {
        /// RFC 3339 (default: the server's).
        #[arg(long)]
        from: Option<String>,
        /// RFC 3339 (default: the server's).
        #[arg(long)]
        to: Option<String>,
        /// How to group the clocks.
        #[arg(long, value_enum)]
        by: Option<GroupBy>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GroupBy {
    Policy,
    Team,
    Priority,
}

impl GroupBy {
    fn as_str(self) -> &'static str {
        match self {
            GroupBy::Policy => "policy",
            GroupBy::Team => "team",
            GroupBy::Priority => "priority",
        }
    }
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Every business calendar (agents and above).
    #[command(visible_alias = "ls")]
    List,
    /// One business calendar by name or id: its weekly hours and holidays.
    Show { calendar: String },
    /// Create a business calendar (managers and admins) from the options, or any body from
    /// --file.
    Create(Box<CreateCalendarArgs>),
    /// Delete a business calendar no SLA policy uses (managers and admins).
    Delete { calendar: String },
}

#[derive(Args)]
struct CreateCalendarArgs {
    /// The whole request body as JSON (see `POST /api/v1/business-calendars`); `-` reads
    /// standard input.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["name", "zone", "hours", "holidays", "always_open"])]
    file: Option<PathBuf>,
    #[arg(long)]
    name: Option<String>,
    /// IANA time zone, e.g. Europe/Berlin (default UTC).
    #[arg(long)]
    zone: Option<String>,
    /// Working hours: days=windows, e.g. mon-fri=09:00-18:00, sat=10:00-14:00 or
    /// mon,wed=08:00-12:00,13:00-17:00 (repeatable).
    #[arg(long, value_name = "DAYS=HH:MM-HH:MM")]
    hours: Vec<String>,
    /// A holiday: 2026-12-25 or 2026-12-24..2026-12-26, optionally :Name (repeatable).
    #[arg(long = "holiday", value_name = "DATE[..DATE][:NAME]")]
    holidays: Vec<String>,
    /// Open around the clock (24×7, holidays still apply).
    #[arg(long, conflicts_with = "hours")]
    always_open: bool,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Every SLA policy, in the order they are tried (agents and above).
    #[command(visible_alias = "ls")]
    List,
    /// One SLA policy by name or id.
    Show { policy: String },
    /// Create an SLA policy (managers and admins) from the options, or any body from --file.
    Create(Box<CreatePolicyArgs>),
    /// Delete an SLA policy (managers and admins).
    Delete { policy: String },
}

#[derive(Args)]
struct CreatePolicyArgs {
    /// The whole request body as JSON (see `POST /api/v1/sla-policies`); `-` reads standard
    /// input.
    #[arg(long, value_name = "PATH", conflicts_with_all = [
        "name", "order", "priorities", "services", "categories", "teams", "response",
        "resolution", "calendar", "pause_on", "warnings", "actions", "on_reopen",
    ])]
    file: Option<PathBuf>,
    #[arg(long)]
    name: Option<String>,
    /// Among equally specific matching policies, the lower order wins.
    #[arg(long)]
    order: Option<i64>,
    /// Covers these priorities: P1..P5 (comma-separated or repeated; default all).
    #[arg(long = "priority", value_delimiter = ',')]
    priorities: Vec<String>,
    /// Covers these services: names or ids (comma-separated or repeated; default all).
    #[arg(long = "service", value_delimiter = ',')]
    services: Vec<String>,
    /// Covers these categories (comma-separated or repeated; default all).
    #[arg(long = "category", value_delimiter = ',')]
    categories: Vec<String>,
    /// Covers incidents assigned to these teams: names or ids (default all).
    #[arg(long = "team", value_delimiter = ',')]
    teams: Vec<String>,
    /// Time to respond (acknowledge), in business time: 30m, 4h, 90s, 1h30m (a bare number
    /// is minutes).
    #[arg(long, value_name = "DURATION")]
    response: Option<String>,
    /// Time to resolve, in business time: 4h, 2h30m, ...
    #[arg(long, value_name = "DURATION")]
    resolution: Option<String>,
    /// The business calendar: name or id (default 24×7).
    #[arg(long)]
    calendar: Option<String>,
    /// On-hold reasons that pause the clocks: awaiting_caller, awaiting_vendor,
    /// awaiting_change, awaiting_problem, or none (default: awaiting_caller and
    /// awaiting_vendor).
    #[arg(long, value_delimiter = ',')]
    pause_on: Vec<String>,
    /// Warn at these percentages of the target (default 50 and 75).
    #[arg(long = "warning", value_delimiter = ',', value_name = "PERCENT")]
    warnings: Vec<u8>,
    /// What happens at a percentage of the target: 100=escalate, 75=notify_group,
    /// 100=add_tag:sla-breached (repeatable; kinds: notify_assignee, notify_group,
    /// notify_manager, escalate, raise_priority, add_tag).
    #[arg(long = "action", value_name = "PERCENT=KIND[:TAG]")]
    actions: Vec<String>,
    /// What a reopened incident's clocks do: continue (default) or restart.
    #[arg(long)]
    on_reopen: Option<String>,
}

// --- reading the options ---

const DAYS: [(&str, &str); 7] = [
    ("mon", "monday"),
    ("tue", "tuesday"),
    ("wed", "wednesday"),
    ("thu", "thursday"),
    ("fri", "friday"),
    ("sat", "saturday"),
    ("sun", "sunday"),
];

/// The index (Monday 0) of `mon` or `monday`.
fn day_index(text: &str) -> Option<usize> {
    let t = text.trim().to_ascii_lowercase();
    DAYS.iter()
        .position(|(short, long)| t == *short || t == *long)
}

/// `mon-fri`, `sat`, `mon,wed-thu` as day indexes in week order.
fn days(text: &str) -> Result<Vec<usize>> {
    let bad = || {
        Failure::Usage(format!(
            "days must be like mon-fri, sat or mon,wed (mon..sun); got {text:?}"
        ))
    };
    let mut out = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day_index(a).ok_or_else(bad)?, day_index(b).ok_or_else(bad)?);
                if b < a {
                    return Err(bad());
                }
                out.extend(a..=b);
            }
            None => out.push(day_index(part).ok_or_else(bad)?),
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// `mon-fri=09:00-18:00` (or several windows: `=09:00-12:00,13:00-17:00`) as the API's
/// working hours, one entry per day and window.
fn hours(text: &str) -> Result<Vec<Value>> {
    let bad = || {
        Failure::Usage(format!(
            "--hours must be like mon-fri=09:00-18:00; got {text:?}"
        ))
    };
    let (day_part, windows) = text.split_once('=').ok_or_else(bad)?;
    let days = days(day_part)?;
    let mut spans = Vec::new();
    for w in windows.split(',') {
        let (start, end) = w.split_once('-').ok_or_else(bad)?;
        let (start, end) = (start.trim(), end.trim());
        if start.is_empty() || end.is_empty() {
            return Err(bad());
        }
        spans.push((start.to_string(), end.to_string()));
    }
    Ok(days
        .into_iter()
        .flat_map(|d| {
            spans
                .iter()
                .map(move |(s, e)| json!({"day": DAYS[d].1, "start": s, "end": e}))
        })
        .collect())
}

/// `2026-12-25`, `2026-12-24..2026-12-26`, either with `:Name`, as the API's holiday.
fn holiday(text: &str) -> Result<Value> {
    let (dates, name) = match text.split_once(':') {
        Some((d, n)) if !n.trim().is_empty() => (d, n.trim()),
        Some(_) => {
            return Err(Failure::Usage(format!(
                "--holiday has an empty name: {text:?}"
            )));
        }
        None => (text, "Holiday"),
    };
    let is_date = |s: &str| s.trim().parse::<jiff::civil::Date>().is_ok();
    match dates.split_once("..") {
        Some((start, end)) if is_date(start) && is_date(end) => {
            Ok(json!({"name": name, "start": start.trim(), "end": end.trim()}))
        }
        None if is_date(dates) => Ok(json!({"name": name, "date": dates.trim()})),
        _ => Err(Failure::Usage(format!(
            "--holiday must be like 2026-12-25 or 2026-12-24..2026-12-26, optionally \
             followed by :Name; got {text:?}"
        ))),
    }
}

/// `30m`, `4h`, `90s`, `1h30m`, `45` (minutes) as whole seconds.
fn duration(option: &str, text: &str) -> Result<i64> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || {
        Failure::Usage(format!(
            "{option} must be like 30m, 4h, 90s or 1h30m; got {text:?}"
        ))
    };
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<i64>().ok().map(|m| m * 60).ok_or_else(bad);
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    let mut any = false;
    for c in t.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: i64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        number.clear();
        any = true;
    }
    if !any || !number.is_empty() || total <= 0 {
        return Err(bad());
    }
    Ok(total)
}

/// `100=escalate`, `100=add_tag:sla-breached` as the API's action.
fn action(text: &str) -> Result<Value> {
    let bad = || {
        Failure::Usage(format!(
            "--action must be like 100=escalate or 75=add_tag:at-risk; got {text:?}"
        ))
    };
    let (percent, what) = text.split_once('=').ok_or_else(bad)?;
    let percent: u64 = percent.trim().parse().map_err(|_| bad())?;
    let (kind, tag) = match what.split_once(':') {
        Some((k, t)) => (k.trim(), Some(t.trim())),
        None => (what.trim(), None),
    };
    if kind.is_empty() {
        return Err(bad());
    }
    let mut a = Map::new();
    a.insert("at_percent".into(), json!(percent));
    a.insert("kind".into(), json!(kind));
    if let Some(t) = tag {
        a.insert("tag".into(), json!(t));
    }
    Ok(Value::Object(a))
}

fn calendar_body(a: CreateCalendarArgs) -> Result<Value> {
    if let Some(path) = &a.file {
        return read_body(path);
    }
    let Some(name) = a.name else {
        return Err(Failure::Usage(
            "give --name and --hours or --always-open (or the whole body with --file)".into(),
        ));
    };
    if a.hours.is_empty() && !a.always_open {
        return Err(Failure::Usage(
            "give the working hours (e.g. --hours mon-fri=09:00-18:00) or --always-open".into(),
        ));
    }
    let mut hours_list = Vec::new();
    for h in &a.hours {
        hours_list.extend(hours(h)?);
    }
    let holidays = a
        .holidays
        .iter()
        .map(|h| holiday(h))
        .collect::<Result<Vec<_>>>()?;
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert(
        "time_zone".into(),
        json!(a.zone.unwrap_or_else(|| "UTC".into())),
    );
    if a.always_open {
        body.insert("always_open".into(), json!(true));
    }
    body.insert("hours".into(), Value::Array(hours_list));
    body.insert("holidays".into(), Value::Array(holidays));
    Ok(Value::Object(body))
}

fn policy_body(a: CreatePolicyArgs) -> Result<Value> {
    if let Some(path) = &a.file {
        return read_body(path);
    }
    let Some(name) = a.name else {
        return Err(Failure::Usage(
            "give --name and --response and/or --resolution (or the whole body with --file)".into(),
        ));
    };
    if a.response.is_none() && a.resolution.is_none() {
        return Err(Failure::Usage(
            "give a target: --response and/or --resolution (e.g. --resolution 4h)".into(),
        ));
    }
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    if let Some(o) = a.order {
        body.insert("order".into(), json!(o));
    }
    let mut conditions = Map::new();
    for (key, values) in [
        ("priorities", &a.priorities),
        ("services", &a.services),
        ("categories", &a.categories),
        ("teams", &a.teams),
    ] {
        let values: Vec<&str> = values
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        if !values.is_empty() {
            conditions.insert(key.into(), json!(values));
        }
    }
    if !conditions.is_empty() {
        body.insert("conditions".into(), Value::Object(conditions));
    }
    if let Some(r) = &a.response {
        body.insert("response_seconds".into(), json!(duration("--response", r)?));
    }
    if let Some(r) = &a.resolution {
        body.insert(
            "resolution_seconds".into(),
            json!(duration("--resolution", r)?),
        );
    }
    if let Some(c) = a.calendar {
        body.insert("calendar".into(), json!(c));
    }
    if !a.pause_on.is_empty() {
        let reasons: Vec<&str> = a
            .pause_on
            .iter()
            .map(|r| r.trim())
            .filter(|r| !r.is_empty() && *r != "none")
            .collect();
        body.insert("pause_on".into(), json!(reasons));
    }
    if !a.warnings.is_empty() {
        body.insert("warnings".into(), json!(a.warnings));
    }
    if !a.actions.is_empty() {
        let actions = a
            .actions
            .iter()
            .map(|t| action(t))
            .collect::<Result<Vec<_>>>()?;
        body.insert("actions".into(), Value::Array(actions));
    }
    if let Some(r) = a.on_reopen {
        body.insert("on_reopen".into(), json!(r));
    }
    Ok(Value::Object(body))
}

// --- showing answers ---

fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> + use<'a> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
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

/// `4 h`, `1 h 30 min`, `27 h`, `45 s`; a negative span gets a minus sign. Never in days: SLA
/// time is business time, where a day is not 24 hours.
fn span_text(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if sec > 0 || parts.is_empty() {
        parts.push(format!("{sec} s"));
    }
    format!("{sign}{}", parts.join(" "))
}

fn seconds_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_i64).map(span_text)
}

/// A reference's name, or its id marked deleted.
fn ref_name(r: &Value) -> String {
    match str_field(r, "name") {
        Some(n) => n.to_string(),
        None => format!("{} (deleted)", r.get("id").map(show).unwrap_or_default()),
    }
}

/// A calendar's weekly hours, days with the same windows together:
/// `mon-fri 09:00-18:00`, `sat 10:00-14:00`.
fn hours_lines(v: &Value) -> Vec<String> {
    let mut per_day: Vec<Vec<String>> = vec![Vec::new(); 7];
    for h in items(v, "hours") {
        if let Some(d) = str_field(h, "day").and_then(day_index) {
            per_day[d].push(format!(
                "{}-{}",
                str_field(h, "start").unwrap_or("?"),
                str_field(h, "end").unwrap_or("?")
            ));
        }
    }
    let mut lines = Vec::new();
    let mut d = 0;
    while d < 7 {
        if per_day[d].is_empty() {
            d += 1;
            continue;
        }
        let mut last = d;
        while last + 1 < 7 && per_day[last + 1] == per_day[d] {
            last += 1;
        }
        let days = if last == d {
            DAYS[d].0.to_string()
        } else {
            format!("{}-{}", DAYS[d].0, DAYS[last].0)
        };
        lines.push(format!("{days} {}", per_day[d].join(", ")));
        d = last + 1;
    }
    lines
}

fn calendar_hours(v: &Value) -> String {
    if v.get("always_open").and_then(Value::as_bool) == Some(true) {
        return "always open (24×7)".into();
    }
    let lines = hours_lines(v);
    if lines.is_empty() {
        "none".into()
    } else {
        lines.join("; ")
    }
}

fn holiday_line(h: &Value) -> String {
    let (start, end) = (
        str_field(h, "start").unwrap_or("?"),
        str_field(h, "end").unwrap_or("?"),
    );
    let dates = if start == end {
        start.to_string()
    } else {
        format!("{start} – {end}")
    };
    format!("{dates}  {}", str_field(h, "name").unwrap_or(""))
        .trim_end()
        .to_string()
}

fn calendar_detail(out: &Out, v: &Value) -> String {
    let mut d = Detail::new();
    d.add("Name", str_field(v, "name").unwrap_or("-"));
    d.add("Time zone", str_field(v, "time_zone").unwrap_or("-"));
    if v.get("always_open").and_then(Value::as_bool) == Some(true) {
        d.add("Hours", "always open (24×7)");
    } else {
        let lines = hours_lines(v);
        d.add(
            "Hours",
            if lines.is_empty() {
                "none".to_string()
            } else {
                lines.join("\n")
            },
        );
    }
    d.some(
        "Per week",
        v.get("hours_per_week").map(|h| format!("{} h", show(h))),
    );
    let holidays: Vec<String> = items(v, "holidays").map(holiday_line).collect();
    d.add(
        "Holidays",
        if holidays.is_empty() {
            "none".to_string()
        } else {
            holidays.join("\n")
        },
    );
    let used: Vec<String> = items(v, "used_by").map(ref_name).collect();
    d.some("Used by", Some(used.join(", ")));
    d.some("Created", long_time(str_field(v, "created_at")));
    d.some("Updated", long_time(str_field(v, "updated_at")));
    d.add("Version", v.get("version").map(show).unwrap_or_default());
    d.add("Id", str_field(v, "id").unwrap_or("-"));
    d.render(out)
}

fn print_calendar(out: &Out, reply: &Reply) -> Result<()> {
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    print!("{}", calendar_detail(out, &reply.json()?));
    Ok(())
}

/// A condition list: strings as they are, references by name; empty: `any`.
fn condition_text(v: &Value, key: &str) -> String {
    let list: Vec<String> = v
        .pointer(&format!("/conditions/{key}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|x| match x {
            Value::Object(_) => ref_name(x),
            other => show(other),
        })
        .collect();
    if list.is_empty() {
        "any".into()
    } else {
        list.join(", ")
    }
}

fn calendar_of(v: &Value) -> String {
    match v.get("calendar").filter(|c| !c.is_null()) {
        Some(c) => ref_name(c),
        None => "24×7".into(),
    }
}

fn action_text(a: &Value) -> String {
    let kind = str_field(a, "kind").unwrap_or("?");
    let what = match str_field(a, "tag") {
        Some(t) => format!("{kind} {t}"),
        None => kind.to_string(),
    };
    format!(
        "at {}%: {what}",
        a.get("at_percent").map(show).unwrap_or_default()
    )
}

fn policy_detail(out: &Out, v: &Value) -> String {
    let mut d = Detail::new();
    d.add("Name", str_field(v, "name").unwrap_or("-"));
    d.add("Order", v.get("order").map(show).unwrap_or_default());
    d.add("Priorities", condition_text(v, "priorities"));
    d.add("Services", condition_text(v, "services"));
    d.add("Categories", condition_text(v, "categories"));
    d.add("Teams", condition_text(v, "teams"));
    d.add(
        "Response",
        seconds_field(v, "response_seconds").unwrap_or_else(|| "-".into()),
    );
    d.add(
        "Resolution",
        seconds_field(v, "resolution_seconds").unwrap_or_else(|| "-".into()),
    );
    d.add("Calendar", calendar_of(v));
    let pauses: Vec<String> = items(v, "pause_on").map(show).collect();
    d.add(
        "Paused on",
        if pauses.is_empty() {
            "nothing".to_string()
        } else {
            pauses.join(", ")
        },
    );
    let warnings: Vec<String> = items(v, "warnings")
        .map(|w| format!("{}%", show(w)))
        .collect();
    d.add(
        "Warnings",
        if warnings.is_empty() {
            "none".to_string()
        } else {
            warnings.join(", ")
        },
    );
    let actions: Vec<String> = items(v, "actions").map(action_text).collect();
    d.some("Actions", Some(actions.join("\n")));
    d.add("On reopen", str_field(v, "on_reopen").unwrap_or("-"));
    d.some("Created", long_time(str_field(v, "created_at")));
    d.some("Updated", long_time(str_field(v, "updated_at")));
    d.add("Version", v.get("version").map(show).unwrap_or_default());
    d.add("Id", str_field(v, "id").unwrap_or("-"));
    d.render(out)
}

fn print_policy(out: &Out, reply: &Reply) -> Result<()> {
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    print!("{}", policy_detail(out, &reply.json()?));
    Ok(())
}

fn calendar_table(v: &Value) -> Table {
    let mut t = Table::new(&["NAME", "TIME ZONE", "HOURS", "HOLIDAYS", "USED BY"]);
    for c in items(v, "items") {
        let used: Vec<String> = items(c, "used_by").map(ref_name).collect();
        t.row(vec![
            cell(str_field(c, "name").unwrap_or("-")),
            cell(str_field(c, "time_zone").unwrap_or("-")),
            cell(truncate(&calendar_hours(c), 60)),
            cell(items(c, "holidays").count().to_string()),
            cell(truncate(&used.join(", "), 40)),
        ]);
    }
    t
}

fn policy_table(v: &Value) -> Table {
    let mut t = Table::new(&[
        "ORDER",
        "NAME",
        "PRIORITIES",
        "RESPONSE",
        "RESOLUTION",
        "CALENDAR",
    ]);
    for p in items(v, "items") {
        t.row(vec![
            cell(p.get("order").map(show).unwrap_or_default()),
            cell(str_field(p, "name").unwrap_or("-")),
            cell(condition_text(p, "priorities")),
            cell(seconds_field(p, "response_seconds").unwrap_or_else(|| "-".into())),
            cell(seconds_field(p, "resolution_seconds").unwrap_or_else(|| "-".into())),
            cell(calendar_of(p)),
        ]);
    }
    t
}

fn state_style(state: &str) -> Style {
    match state {
        "running" => Style("33"),
        "paused" => Style("35"),
        "met" => Style("32"),
        "breached" => Style("1;31"),
        "canceled" => Style::DIM,
        _ => Style::NONE,
    }
}

/// What is worth knowing beyond the numbers: why paused, when breached or stopped.
fn clock_note(c: &Value) -> String {
    if let Some(r) = str_field(c, "paused_reason") {
        return format!("paused: {r}");
    }
    if let Some(b) = str_field(c, "breached_at") {
        return format!("breached {}", short_time(Some(b)));
    }
    if let Some(s) = str_field(c, "stopped_at") {
        return format!("stopped {}", short_time(Some(s)));
    }
    String::new()
}

/// `INC-000123` of an SLA answer.
fn incident_of(v: &Value) -> String {
    v.pointer("/incident/number")
        .or_else(|| v.pointer("/incident/id"))
        .map(show)
        .unwrap_or_else(|| "-".into())
}

fn clocks_table(v: &Value) -> Table {
    let mut t = Table::new(&[
        "KIND",
        "STATE",
        "POLICY",
        "PRIORITY",
        "TARGET",
        "ELAPSED",
        "REMAINING",
        "DUE",
        "CALENDAR",
        "NOTE",
    ]);
    for c in items(v, "items") {
        let state = str_field(c, "state").unwrap_or("-");
        let priority = str_field(c, "priority").unwrap_or("-");
        let remaining = c.get("remaining_seconds").and_then(Value::as_i64);
        t.row(vec![
            cell(str_field(c, "kind").unwrap_or("-")),
            (state.to_string(), state_style(state)),
            cell(c.get("policy").map(ref_name).unwrap_or_else(|| "-".into())),
            (priority.to_string(), priority_style(priority)),
            cell(seconds_field(c, "target_seconds").unwrap_or_else(|| "-".into())),
            cell(seconds_field(c, "elapsed_seconds").unwrap_or_else(|| "-".into())),
            match remaining {
                Some(r) if r < 0 => (span_text(r), Style("1;31")),
                Some(r) => cell(span_text(r)),
                None => cell("-"),
            },
            cell(
                str_field(c, "due_at")
                    .map(|d| short_time(Some(d)))
                    .unwrap_or_else(|| "-".into()),
            ),
            cell(
                c.get("calendar")
                    .filter(|x| !x.is_null())
                    .and_then(|x| str_field(x, "name"))
                    .unwrap_or("24×7"),
            ),
            cell(clock_note(c)),
        ]);
    }
    t
}

fn why_table(v: &Value) -> Table {
    let mut t = Table::new(&["CLOCK", "FROM", "TO", "TIME", "COUNTED", "REASON"]);
    for i in items(v, "items") {
        let counted = i.get("counted").and_then(Value::as_bool) == Some(true);
        t.row(vec![
            cell(str_field(i, "kind").unwrap_or("-")),
            cell(event_time(str_field(i, "from"))),
            cell(event_time(str_field(i, "to"))),
            cell(seconds_field(i, "seconds").unwrap_or_else(|| "-".into())),
            if counted {
                (String::from("yes"), Style("32"))
            } else {
                (String::from("no"), Style::DIM)
            },
            cell(str_field(i, "reason").unwrap_or("")),
        ]);
    }
    t
}

fn compliance_table(v: &Value) -> Table {
    let mut t = Table::new(&[
        "NAME",
        "KIND",
        "CLOCKS",
        "MET",
        "BREACHED",
        "RUNNING",
        "COMPLIANCE",
    ]);
    for i in items(v, "items") {
        let breached = i.get("breached").and_then(Value::as_i64).unwrap_or(0);
        let percent = i.get("compliance_percent").and_then(Value::as_f64);
        t.row(vec![
            cell(
                str_field(i, "name")
                    .or_else(|| str_field(i, "key"))
                    .unwrap_or("-"),
            ),
            cell(str_field(i, "kind").unwrap_or("-")),
            cell(i.get("clocks").map(show).unwrap_or_default()),
            cell(i.get("met").map(show).unwrap_or_default()),
            if breached > 0 {
                (breached.to_string(), Style("31"))
            } else {
                cell(breached.to_string())
            },
            cell(i.get("running").map(show).unwrap_or_default()),
            match percent {
                Some(p) => cell(format!("{p:.1}%")),
                None => cell("-"),
            },
        ]);
    }
    t
}

// --- running ---

pub async fn run(args: SlaArgs) -> Result<()> {
    let (api, out) = args.conn.open()?;
    match args.command {
        SlaCommand::Calendar(cmd) => match cmd {
            CalendarCommand::List => {
                let reply = api.get(&["api", "v1", "business-calendars"]).await?;
                if out.json() {
                    out.print_raw_json(&reply.text);
                    return Ok(());
                }
                print_table(
                    &out,
                    &calendar_table(&reply.json()?),
                    "no business calendars",
                );
                Ok(())
            }
            CalendarCommand::Show { calendar } => {
                let reply = api
                    .get(&["api", "v1", "business-calendars", &calendar])
                    .await?;
                print_calendar(&out, &reply)
            }
            CalendarCommand::Create(a) => {
                let body = calendar_body(*a)?;
                let reply = api.post(&["api", "v1", "business-calendars"], body).await?;
                print_calendar(&out, &reply)
            }
            CalendarCommand::Delete { calendar } => {
                api.delete(&["api", "v1", "business-calendars", &calendar])
                    .await?;
                deleted(&out, "business calendar", &calendar);
                Ok(())
            }
        },
        SlaCommand::Policy(cmd) => match cmd {
            PolicyCommand::List => {
                let reply = api.get(&["api", "v1", "sla-policies"]).await?;
                if out.json() {
                    out.print_raw_json(&reply.text);
                    return Ok(());
                }
                print_table(&out, &policy_table(&reply.json()?), "no SLA policies");
                Ok(())
            }
            PolicyCommand::Show { policy } => {
                let reply = api.get(&["api", "v1", "sla-policies", &policy]).await?;
                print_policy(&out, &reply)
            }
            PolicyCommand::Create(a) => {
                let body = policy_body(*a)?;
                let reply = api.post(&["api", "v1", "sla-policies"], body).await?;
                print_policy(&out, &reply)
            }
            PolicyCommand::Delete { policy } => {
                api.delete(&["api", "v1", "sla-policies", &policy]).await?;
                deleted(&out, "SLA policy", &policy);
                Ok(())
            }
        },
        SlaCommand::Show { incident } => {
            let key = super::incident_key(&incident);
            let reply = api.get(&["api", "v1", "incidents", &key, "sla"]).await?;
            if out.json() {
                out.print_raw_json(&reply.text);
                return Ok(());
            }
            let v = reply.json()?;
            println!("{}: SLA clocks", incident_of(&v));
            let t = clocks_table(&v);
            if t.is_empty() {
                println!("no SLA clocks (no policy matches)");
            } else {
                print!("{}", t.render(&out));
            }
            Ok(())
        }
        SlaCommand::Why { incident } => {
            let key = super::incident_key(&incident);
            let reply = api
                .get(&["api", "v1", "incidents", &key, "sla", "why"])
                .await?;
            if out.json() {
                out.print_raw_json(&reply.text);
                return Ok(());
            }
            let v = reply.json()?;
            println!("{}: intervals of its SLA clocks", incident_of(&v));
            let t = why_table(&v);
            if t.is_empty() {
                println!("no intervals");
            } else {
                print!("{}", t.render(&out));
            }
            Ok(())
        }
        SlaCommand::Compliance { from, to, by } => {
            let mut query = Vec::new();
            if let Some(f) = from {
                query.push(("from", f));
            }
            if let Some(t) = to {
                query.push(("to", t));
            }
            if let Some(b) = by {
                query.push(("by", b.as_str().to_string()));
            }
            let path = ["api", "v1", "sla", "compliance"];
            let reply = api
                .send(Request::new(Method::GET, &path).query(query))
                .await?;
            if out.json() {
                out.print_raw_json(&reply.text);
                return Ok(());
            }
            let v = reply.json()?;
            println!(
                "SLA compliance {} → {}, by {}",
                short_time(str_field(&v, "from")),
                short_time(str_field(&v, "to")),
                str_field(&v, "by").unwrap_or("-")
            );
            print_table(&out, &compliance_table(&v), "no SLA clocks in this period");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::output::Format;
    use super::*;

    fn plain() -> Out {
        Out {
            format: Format::Table,
            color: false,
        }
    }

    fn has_line(text: &str, parts: &[&str]) -> bool {
        text.lines().any(|l| parts.iter().all(|p| l.contains(p)))
    }

    #[test]
    fn hours_days_and_holidays() {
        let h = hours("mon-fri=09:00-18:00").unwrap();
        assert_eq!(h.len(), 5);
        assert_eq!(
            h[0],
            json!({"day": "monday", "start": "09:00", "end": "18:00"})
        );
        assert_eq!(h[4]["day"], "friday");
        let h = hours("mon,wed=08:00-12:00,13:00-17:00").unwrap();
        let days: Vec<&str> = h.iter().map(|x| x["day"].as_str().unwrap()).collect();
        assert_eq!(days, ["monday", "monday", "wednesday", "wednesday"]);
        assert_eq!(h[1]["start"], "13:00");
        assert_eq!(hours("Saturday=10:00-14:00").unwrap()[0]["day"], "saturday");
        for bad in [
            "mon-fri",
            "fri-mon=09:00-17:00",
            "xyz=09:00-17:00",
            "mon=09:00",
            "mon=-",
        ] {
            assert_eq!(hours(bad).unwrap_err().code(), 2, "{bad}");
        }
        assert_eq!(
            holiday("2026-12-25:Christmas Day").unwrap(),
            json!({"name": "Christmas Day", "date": "2026-12-25"})
        );
        assert_eq!(
            holiday("2026-12-24..2026-12-26").unwrap(),
            json!({"name": "Holiday", "start": "2026-12-24", "end": "2026-12-26"})
        );
        for bad in ["christmas", "2026-13-01", "2026-12-25:", "2026-12-24..x"] {
            assert_eq!(holiday(bad).unwrap_err().code(), 2, "{bad}");
        }
    }

    #[test]
    fn durations_and_actions() {
        assert_eq!(duration("--response", "30m").unwrap(), 1800);
        assert_eq!(duration("--response", "4h").unwrap(), 14_400);
        assert_eq!(duration("--response", "1h30m").unwrap(), 5400);
        assert_eq!(duration("--response", "90s").unwrap(), 90);
        assert_eq!(duration("--response", "45").unwrap(), 2700);
        for bad in ["", "soon", "4d", "h", "1h30", "0m", "-5m"] {
            let e = duration("--response", bad).unwrap_err();
            assert_eq!(e.code(), 2, "{bad}");
            assert!(e.to_string().contains("--response"), "{e}");
        }
        assert_eq!(
            action("100=escalate").unwrap(),
            json!({"at_percent": 100, "kind": "escalate"})
        );
        assert_eq!(
            action("75=add_tag:at-risk").unwrap(),
            json!({"at_percent": 75, "kind": "add_tag", "tag": "at-risk"})
        );
        for bad in ["escalate", "x=escalate", "100="] {
            assert_eq!(action(bad).unwrap_err().code(), 2, "{bad}");
        }
        assert_eq!(span_text(14_400), "4 h");
        assert_eq!(span_text(5400), "1 h 30 min");
        assert_eq!(span_text(93_600), "26 h");
        assert_eq!(span_text(0), "0 s");
        assert_eq!(span_text(-900), "-15 min");
    }

    #[test]
    fn weekly_hours_are_grouped() {
        let mut hours_list = hours("mon-fri=09:00-18:00").unwrap();
        hours_list.extend(hours("sat=10:00-14:00").unwrap());
        let v = json!({"hours": hours_list});
        assert_eq!(hours_lines(&v), ["mon-fri 09:00-18:00", "sat 10:00-14:00"]);
        let v = json!({"hours": hours("mon,wed=09:00-12:00").unwrap()});
        assert_eq!(hours_lines(&v), ["mon 09:00-12:00", "wed 09:00-12:00"]);
        assert_eq!(
            calendar_hours(&json!({"always_open": true, "hours": []})),
            "always open (24×7)"
        );
    }

    #[test]
    fn clocks_why_and_compliance_tables() {
        let clocks = json!({
            "incident": {"id": "0190", "number": "INC-000042"},
            "items": [
                {"id": "c1", "kind": "response", "state": "met",
                 "policy": {"id": "p", "name": "Business P2"}, "priority": "P2",
                 "target_seconds": 1800, "started_at": "2026-03-13T16:00:00Z",
                 "due_at": "2026-03-16T08:30:00Z", "elapsed_seconds": 600,
                 "remaining_seconds": 1200, "paused_reason": null, "breached_at": null,
                 "stopped_at": "2026-03-16T08:10:00Z",
                 "calendar": {"id": "k", "name": "Berlin office"}},
                {"id": "c2", "kind": "resolution", "state": "paused",
                 "policy": {"id": "p", "name": "Business P2"}, "priority": "P2",
                 "target_seconds": 14_400, "started_at": "2026-03-13T16:00:00Z",
                 "due_at": null, "elapsed_seconds": 5400, "remaining_seconds": 9000,
                 "paused_reason": "awaiting_vendor", "breached_at": null, "stopped_at": null,
                 "calendar": {"id": null, "name": "24×7"}},
                {"id": "c3", "kind": "resolution", "state": "breached",
                 "policy": {"id": "q", "name": "Fast"}, "priority": "P1",
                 "target_seconds": 3600, "started_at": "2026-03-13T16:00:00Z",
                 "due_at": "2026-03-13T17:00:00Z", "elapsed_seconds": 4500,
                 "remaining_seconds": -900, "paused_reason": null,
                 "breached_at": "2026-03-13T17:00:00Z", "stopped_at": null,
                 "calendar": {"id": null, "name": "24×7"}}
            ]
        });
        assert_eq!(incident_of(&clocks), "INC-000042");
        let text = clocks_table(&clocks).render(&plain());
        assert!(
            has_line(
                &text,
                &[
                    "response",
                    "met",
                    "Business P2",
                    "P2",
                    "30 min",
                    "10 min",
                    "20 min",
                    "2026-03-16 08:30",
                    "Berlin office",
                    "stopped 2026-03-16 08:10"
                ]
            ),
            "{text}"
        );
        assert!(
            has_line(
                &text,
                &[
                    "resolution",
                    "paused",
                    "4 h",
                    "1 h 30 min",
                    "2 h 30 min",
                    "24×7",
                    "paused: awaiting_vendor"
                ]
            ),
            "{text}"
        );
        assert!(
            has_line(
                &text,
                &[
                    "breached",
                    "Fast",
                    "P1",
                    "-15 min",
                    "breached 2026-03-13 17:00"
                ]
            ),
            "{text}"
        );

        let why = json!({
            "incident": {"id": "0190", "number": "INC-000042"},
            "items": [
                {"clock_id": "c2", "kind": "resolution", "from": "2026-03-13T16:00:00Z",
                 "to": "2026-03-13T17:00:00Z", "seconds": 3600, "counted": true,
                 "reason": "business hours"},
                {"clock_id": "c2", "kind": "resolution", "from": "2026-03-16T09:00:00Z",
                 "to": "2026-03-16T11:00:00Z", "seconds": 7200, "counted": false,
                 "reason": "paused: awaiting vendor"}
            ]
        });
        let text = why_table(&why).render(&plain());
        assert!(has_line(
            &text,
            &["CLOCK", "FROM", "TO", "TIME", "COUNTED", "REASON"]
        ));
        assert!(
            has_line(
                &text,
                &[
                    "resolution",
                    "2026-03-13 16:00:00",
                    "2026-03-13 17:00:00",
                    "1 h",
                    "yes",
                    "business hours"
                ]
            ),
            "{text}"
        );
        assert!(
            has_line(
                &text,
                &[
                    "2026-03-16 09:00:00",
                    "2 h",
                    "no",
                    "paused: awaiting vendor"
                ]
            ),
            "{text}"
        );

        let compliance = json!({
            "from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z", "by": "priority",
            "items": [
                {"key": "P1", "name": "P1", "kind": "resolution", "clocks": 4, "met": 3,
                 "breached": 1, "running": 0, "compliance_percent": 75.0},
                {"key": "P5", "name": "P5", "kind": "response", "clocks": 1, "met": 0,
                 "breached": 0, "running": 1, "compliance_percent": null}
            ]
        });
        let text = compliance_table(&compliance).render(&plain());
        assert!(
            has_line(&text, &["P1", "resolution", "4", "3", "1", "0", "75.0%"]),
            "{text}"
        );
        assert!(has_line(&text, &["P5", "response", "1", "-"]), "{text}");
    }

    #[test]
    fn details_show_references_by_name() {
        let policy = json!({
            "id": "p", "name": "Business P2", "order": 10,
            "conditions": {"priorities": ["P1", "P2"],
                           "services": [{"id": "s", "name": "mail"}],
                           "categories": [], "teams": [{"id": "t", "name": null}]},
            "response_seconds": 1800, "response_minutes": 30,
            "resolution_seconds": 14_400, "resolution_minutes": 240,
            "calendar": {"id": "k", "name": "Berlin office"},
            "pause_on": ["awaiting_caller", "awaiting_vendor"], "warnings": [50, 75],
            "actions": [{"at_percent": 100, "kind": "add_tag", "tag": "sla-breached"}],
            "on_reopen": "continue", "version": 1
        });
        let text = policy_detail(&plain(), &policy);
        for parts in [
            &["Priorities:", "P1, P2"][..],
            &["Services:", "mail"],
            &["Categories:", "any"],
            &["Teams:", "t (deleted)"],
            &["Response:", "30 min"],
            &["Resolution:", "4 h"],
            &["Calendar:", "Berlin office"],
            &["Paused on:", "awaiting_caller, awaiting_vendor"],
            &["Warnings:", "50%, 75%"],
            &["Actions:", "at 100%: add_tag sla-breached"],
            &["On reopen:", "continue"],
        ] {
            assert!(has_line(&text, parts), "{parts:?}\n{text}");
        }
        let open = json!({"name": "x", "calendar": null});
        assert_eq!(calendar_of(&open), "24×7");
    }
}
