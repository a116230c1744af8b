//! `mayday integration ...`: where a service's monitoring sends alerts (PagerDuty Events v2,
//! Opsgenie, Alertmanager, generic JSON, heartbeats), and `mayday incident alerts`: the alerts
//! an incident gathered.

use clap::{Args, Subcommand, ValueEnum};
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::http::{Api, Failure, Reply, Request, Result, etag_of};
use super::output::{
    Detail, Out, Style, Table, cell, long_time, name_field, short_time, show, str_field, truncate,
};
use super::{Connection, incident_key};

#[derive(Args)]
pub struct IntegrationArgs {
    #[command(flatten)]
    conn: Connection,
    #[command(subcommand)]
    command: IntegrationCommand,
}

#[derive(Subcommand)]
enum IntegrationCommand {
    /// A service's integrations (agents and above; keys are shown to managers and admins only).
    #[command(visible_alias = "ls")]
    List {
        /// The service: name or id.
        #[arg(long)]
        service: String,
    },
    /// One integration by id.
    Show { id: String },
    /// Create an integration (managers and admins); prints its key and the URL to send to.
    Create(Box<CreateArgs>),
    /// Change an integration (reads its version, then patches with If-Match; managers and admins).
    Update(Box<UpdateArgs>),
    /// Delete an integration; its key stops working at once (managers and admins).
    Delete { id: String },
}

#[derive(Args)]
struct CreateArgs {
    /// The service the alerts are about: name or id.
    #[arg(long)]
    service: String,
    /// pagerduty_events_v2, opsgenie, alertmanager, generic_json or heartbeat.
    #[arg(long)]
    kind: String,
    /// A name for people, e.g. the sending system's.
    #[arg(long)]
    name: String,
    /// Keep the key a monitoring setup already uses (PagerDuty: exactly 32 characters; others
    /// 32 to 64 letters, digits, '-' or '_'); generated when absent.
    #[arg(long)]
    key: Option<String>,
    #[command(flatten)]
    grouping: GroupingArgs,
    /// heartbeat (required there): an alert opens when no ping came for this long.
    #[arg(long, value_name = "SECONDS")]
    heartbeat_interval: Option<u32>,
    /// Events accepted per minute on this key (default: no limit).
    #[arg(long, value_name = "N")]
    rate_limit_per_minute: Option<u32>,
    /// Leave incidents open when all their alerts resolved (by default they resolve).
    #[arg(long)]
    no_auto_resolve: bool,
    #[command(flatten)]
    mapping: MappingArgs,
}

#[derive(Args)]
struct UpdateArgs {
    /// The integration's id.
    id: String,
    /// A new name.
    #[arg(long)]
    name: Option<String>,
    /// A new key; the old one stops working at once.
    #[arg(long)]
    key: Option<String>,
    #[command(flatten)]
    grouping: GroupingArgs,
    /// heartbeat: an alert opens when no ping came for this long.
    #[arg(long, value_name = "SECONDS")]
    heartbeat_interval: Option<u32>,
    /// Events accepted per minute on this key.
    #[arg(long, value_name = "N", conflicts_with = "no_rate_limit")]
    rate_limit_per_minute: Option<u32>,
    /// Remove the rate limit.
    #[arg(long)]
    no_rate_limit: bool,
    /// Resolve incidents when all their alerts resolved.
    #[arg(long, value_name = "true|false")]
    auto_resolve: Option<bool>,
    #[command(flatten)]
    mapping: MappingArgs,
    /// generic_json: go back to the default mapping.
    #[arg(long, conflicts_with_all = MAPPING_FLAGS)]
    clear_mapping: bool,
    /// The version last seen; by default the current one is read first.
    #[arg(long, value_name = "VERSION")]
    if_match: Option<String>,
}

/// How alerts become incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
enum Mode {
    /// One incident per alert (dedup key).
    PerAlert,
    /// One incident per group of the sender (Alertmanager's group key).
    SourceGroup,
    /// Alerts alike (--group-fields) within --window-seconds join one incident.
    ContentWindow,
}

#[derive(Args)]
struct GroupingArgs {
    /// How alerts become incidents: per_alert, source_group or content_window.
    #[arg(long, value_enum)]
    grouping: Option<Mode>,
    /// content_window: how long after an incident's first alert others may join it.
    #[arg(long, value_name = "N")]
    window_seconds: Option<u32>,
    /// content_window: alert fields that must match (comma-separated): summary, source,
    /// component, group, class, severity (default summary).
    #[arg(long, value_delimiter = ',', value_name = "FIELDS")]
    group_fields: Vec<String>,
}

impl GroupingArgs {
    fn window_options(&self) -> bool {
        self.window_seconds.is_some() || !self.group_fields.is_empty()
    }

    fn given(&self) -> bool {
        self.grouping.is_some() || self.window_options()
    }

    /// Refuses window options with another mode, before anything is sent.
    fn check(&self) -> Result<()> {
        match self.grouping {
            Some(Mode::PerAlert | Mode::SourceGroup) if self.window_options() => {
                Err(Failure::Usage(
                    "--window-seconds and --group-fields apply only to --grouping content_window"
                        .into(),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The `grouping` object to send, if any was asked for. On update, `current` is the
    /// integration's grouping: a content window keeps the window or fields not given.
    fn value(self, current: Option<&Value>) -> Result<Option<Value>> {
        self.check()?;
        let current_window = current.filter(|g| str_field(g, "mode") == Some("content_window"));
        let mode = match self.grouping {
            Some(m) => m,
            None if self.window_options() && current_window.is_some() => Mode::ContentWindow,
            None if self.window_options() => {
                return Err(Failure::Usage(
                    "--window-seconds and --group-fields need --grouping content_window".into(),
                ));
            }
            None => return Ok(None),
        };
        let mut g = Map::new();
        let name = match mode {
            Mode::PerAlert => "per_alert",
            Mode::SourceGroup => "source_group",
            Mode::ContentWindow => "content_window",
        };
        g.insert("mode".into(), json!(name));
        if mode == Mode::ContentWindow {
            let kept = |key: &str| current_window.and_then(|c| c.get(key)).cloned();
            match self.window_seconds {
                Some(w) => {
                    g.insert("window_seconds".into(), json!(w));
                }
                None => {
                    if let Some(w) = kept("window_seconds") {
                        g.insert("window_seconds".into(), w);
                    }
                }
            }
            if !self.group_fields.is_empty() {
                g.insert("fields".into(), json!(self.group_fields));
            } else if let Some(f) = kept("fields") {
                g.insert("fields".into(), f);
            }
        }
        Ok(Some(Value::Object(g)))
    }
}

const MAPPING_FLAGS: [&str; 5] = [
    "mapping_summary",
    "mapping_severity",
    "mapping_dedup_key",
    "mapping_status",
    "mapping_details",
];

/// Where a generic_json integration finds an alert's fields in the bodies it receives.
#[derive(Args)]
struct MappingArgs {
    /// generic_json: JSON Pointer to the summary (default /summary).
    #[arg(long, value_name = "POINTER")]
    mapping_summary: Option<String>,
    /// generic_json: JSON Pointer to the severity (default /severity).
    #[arg(long, value_name = "POINTER")]
    mapping_severity: Option<String>,
    /// generic_json: JSON Pointer to the dedup key (default /dedup_key).
    #[arg(long, value_name = "POINTER")]
    mapping_dedup_key: Option<String>,
    /// generic_json: JSON Pointer to the status (default /status).
    #[arg(long, value_name = "POINTER")]
    mapping_status: Option<String>,
    /// generic_json: JSON Pointer to the details (default "": the whole body).
    #[arg(long, value_name = "POINTER")]
    mapping_details: Option<String>,
}

impl MappingArgs {
    /// The pointers given, by the API's names.
    fn given(self) -> Vec<(&'static str, String)> {
        [
            ("summary", self.mapping_summary),
            ("severity", self.mapping_severity),
            ("dedup_key", self.mapping_dedup_key),
            ("status", self.mapping_status),
            ("details", self.mapping_details),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }
}

pub async fn run(args: IntegrationArgs) -> Result<()> {
    let (api, out) = args.conn.open()?;
    let server = args.conn.server.as_str();
    match args.command {
        IntegrationCommand::List { service } => {
            let reply = api
                .get(&["api", "v1", "services", &service, "integrations"])
                .await?;
            list(&out, &reply, &service)
        }
        IntegrationCommand::Show { id } => {
            let reply = api.get(&["api", "v1", "integrations", &id]).await?;
            print_integration(&out, server, &reply)
        }
        IntegrationCommand::Create(a) => {
            let a = *a;
            let mut body = Map::new();
            body.insert("kind".into(), json!(a.kind));
            body.insert("name".into(), json!(a.name));
            if let Some(k) = a.key {
                body.insert("key".into(), json!(k));
            }
            if let Some(g) = a.grouping.value(None)? {
                body.insert("grouping".into(), g);
            }
            let mapping = a.mapping.given();
            if !mapping.is_empty() {
                let m: Map<String, Value> = mapping
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect();
                body.insert("mapping".into(), Value::Object(m));
            }
            if let Some(s) = a.heartbeat_interval {
                body.insert("heartbeat_interval_seconds".into(), json!(s));
            }
            if let Some(n) = a.rate_limit_per_minute {
                body.insert("rate_limit_per_minute".into(), json!(n));
            }
            if a.no_auto_resolve {
                body.insert("auto_resolve".into(), json!(false));
            }
            let reply = api
                .post(
                    &["api", "v1", "services", &a.service, "integrations"],
                    Value::Object(body),
                )
                .await?;
            print_integration(&out, server, &reply)
        }
        IntegrationCommand::Update(a) => update(&api, &out, server, *a).await,
        IntegrationCommand::Delete { id } => {
            api.delete(&["api", "v1", "integrations", &id]).await?;
            if !out.json() {
                println!("deleted integration {id}");
            }
            Ok(())
        }
    }
}

async fn update(api: &Api, out: &Out, server: &str, a: UpdateArgs) -> Result<()> {
    let mapping = a.mapping.given();
    let anything = a.name.is_some()
        || a.key.is_some()
        || a.grouping.given()
        || a.heartbeat_interval.is_some()
        || a.rate_limit_per_minute.is_some()
        || a.no_rate_limit
        || a.auto_resolve.is_some()
        || a.clear_mapping
        || !mapping.is_empty();
    if !anything {
        return Err(Failure::Usage(
            "nothing to change: give at least one field to update (see --help)".into(),
        ));
    }
    a.grouping.check()?;
    let path = ["api", "v1", "integrations", a.id.as_str()];
    // The current state: its version for If-Match, and the grouping and mapping that the
    // options given change in part (the API replaces each as a whole).
    let current = api.get(&path).await?;
    let now = current.json()?;
    let mut p = Map::new();
    if let Some(n) = a.name {
        p.insert("name".into(), json!(n));
    }
    if let Some(k) = a.key {
        p.insert("key".into(), json!(k));
    }
    if let Some(g) = a.grouping.value(now.get("grouping"))? {
        p.insert("grouping".into(), g);
    }
    if let Some(s) = a.heartbeat_interval {
        p.insert("heartbeat_interval_seconds".into(), json!(s));
    }
    if a.no_rate_limit {
        p.insert("rate_limit_per_minute".into(), Value::Null);
    } else if let Some(n) = a.rate_limit_per_minute {
        p.insert("rate_limit_per_minute".into(), json!(n));
    }
    if let Some(v) = a.auto_resolve {
        p.insert("auto_resolve".into(), Value::Bool(v));
    }
    if a.clear_mapping {
        p.insert("mapping".into(), Value::Null);
    } else if !mapping.is_empty() {
        let mut m = now
            .get("mapping")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (k, v) in mapping {
            m.insert(k.into(), json!(v));
        }
        p.insert("mapping".into(), Value::Object(m));
    }
    let etag = match a.if_match {
        Some(v) => etag_of(&v),
        None => current.etag.ok_or_else(|| {
            Failure::Internal("the server sent no ETag for the integration".into())
        })?,
    };
    let reply = api
        .send(
            Request::new(Method::PATCH, &path)
                .merge_patch(Value::Object(p))
                .if_match(Some(etag)),
        )
        .await?;
    print_integration(out, server, &reply)
}

/// The full URL a monitoring tool sends to: the server's URL and the integration's endpoint.
fn full_url(server: &str, endpoint: &str) -> String {
    format!("{}{endpoint}", server.trim_end_matches('/'))
}

/// `per_alert`, or `content_window: 300 s, same summary, source`.
fn grouping_text(g: &Value) -> String {
    match str_field(g, "mode") {
        Some("content_window") => format!(
            "content_window: {} s, same {}",
            g.get("window_seconds").map(show).unwrap_or_default(),
            g.get("fields")
                .map(show)
                .unwrap_or_else(|| "summary".into())
        ),
        Some(mode) => mode.to_string(),
        None => show(g),
    }
}

/// How a kind of integration is pointed at Mayday.
fn how_to_send(kind: &str, key: Option<&str>) -> Option<String> {
    let key = key.unwrap_or("<key>");
    Some(match kind {
        "pagerduty_events_v2" => format!("PagerDuty Events API v2 with \"routing_key\": \"{key}\""),
        "opsgenie" => format!("Opsgenie Alert API with \"Authorization: GenieKey {key}\""),
        "alertmanager" => "Alertmanager webhook_configs url".into(),
        "generic_json" => "POST JSON; fields are read through the mapping".into(),
        "heartbeat" => "GET or POST a ping at least once per interval".into(),
        _ => return None,
    })
}

fn integration_detail(out: &Out, server: &str, v: &Value) -> Detail {
    let mut d = Detail::new();
    let kind = str_field(v, "kind").unwrap_or("-");
    let key = str_field(v, "key");
    d.add("Name", str_field(v, "name").unwrap_or("-"));
    d.add("Kind", kind);
    d.add(
        "Service",
        name_field(v, "service").unwrap_or_else(|| "-".into()),
    );
    d.add(
        "Key",
        key.map(String::from)
            .unwrap_or_else(|| out.paint(Style::DIM, "(hidden: managers and admins only)")),
    );
    if let Some(endpoint) = str_field(v, "endpoint") {
        d.add("URL", out.paint(Style::BOLD, &full_url(server, endpoint)));
    }
    d.some("How", how_to_send(kind, key));
    d.add(
        "Grouping",
        v.get("grouping").map(grouping_text).unwrap_or_default(),
    );
    if let Some(m) = v.get("mapping").filter(|m| m.is_object()) {
        let pointers: Vec<String> = ["summary", "severity", "dedup_key", "status", "details"]
            .into_iter()
            .filter_map(|k| match str_field(m, k)? {
                "" => Some(format!("{k} \"\" (the whole body)")),
                p => Some(format!("{k} {p}")),
            })
            .collect();
        d.add("Mapping", pointers.join(", "));
    } else if kind == "generic_json" {
        d.add("Mapping", "default");
    }
    d.some(
        "Heartbeat",
        v.get("heartbeat_interval_seconds")
            .and_then(Value::as_u64)
            .map(|s| format!("every {s} s")),
    );
    d.add(
        "Rate limit",
        v.get("rate_limit_per_minute")
            .and_then(Value::as_u64)
            .map_or_else(|| "none".into(), |n| format!("{n} events per minute")),
    );
    d.add(
        "Auto-resolve",
        if v.get("auto_resolve").and_then(Value::as_bool) == Some(false) {
            "no"
        } else {
            "yes"
        },
    );
    d.add(
        "Last event",
        long_time(str_field(v, "last_event_at")).unwrap_or_else(|| "never".into()),
    );
    d.some("Created", long_time(str_field(v, "created_at")));
    d.some("Updated", long_time(str_field(v, "updated_at")));
    d.add("Version", v.get("version").map(show).unwrap_or_default());
    d.add("Id", str_field(v, "id").unwrap_or("-"));
    d
}

/// Prints one integration: the JSON as sent, or its detail view.
fn print_integration(out: &Out, server: &str, reply: &Reply) -> Result<()> {
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    print!(
        "{}",
        integration_detail(out, server, &reply.json()?).render(out)
    );
    Ok(())
}

fn list(out: &Out, reply: &Reply, service: &str) -> Result<()> {
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    let v = reply.json()?;
    let mut t = Table::new(&["ID", "KIND", "NAME", "KEY", "ENDPOINT", "LAST EVENT"]);
    for i in v
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        t.row(vec![
            cell(str_field(i, "id").unwrap_or("-")),
            cell(str_field(i, "kind").unwrap_or("-")),
            cell(truncate(str_field(i, "name").unwrap_or("-"), 40)),
            match str_field(i, "key") {
                Some(k) => cell(k),
                None => (String::from("(hidden)"), Style::DIM),
            },
            cell(str_field(i, "endpoint").unwrap_or("-")),
            match str_field(i, "last_event_at") {
                Some(t) => cell(short_time(Some(t))),
                None => (String::from("never"), Style::DIM),
            },
        ]);
    }
    if t.is_empty() {
        eprintln!("no integrations for service {service}");
    } else {
        print!("{}", t.render(out));
    }
    Ok(())
}

// --- an incident's alerts ---

/// The colour of an alert's status.
fn alert_status_style(s: &str) -> Style {
    match s {
        "triggered" => Style("1;31"),
        "acknowledged" => Style("34"),
        "resolved" => Style("32"),
        _ => Style::NONE,
    }
}

/// The colour of an alert's severity.
fn severity_style(s: &str) -> Style {
    match s {
        "critical" => Style("1;31"),
        "error" => Style("31"),
        "warning" => Style("33"),
        "info" => Style("36"),
        _ => Style::NONE,
    }
}

/// `mayday incident alerts <INC-…|id>`: the alerts grouped into an incident.
pub async fn incident_alerts(api: &Api, out: &Out, id: &str) -> Result<()> {
    let key = incident_key(id);
    let reply = api.get(&["api", "v1", "incidents", &key, "alerts"]).await?;
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    let v = reply.json()?;
    let mut t = Table::new(&[
        "DEDUP KEY",
        "STATUS",
        "SEVERITY",
        "EVENTS",
        "FIRST SEEN",
        "LAST SEEN",
        "SUMMARY",
    ]);
    for a in v
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let status = str_field(a, "status").unwrap_or("-");
        let mut status_text = status.to_string();
        if a.get("suppressed").and_then(Value::as_bool) == Some(true) {
            status_text.push_str(" (suppressed)");
        }
        let severity = str_field(a, "severity").unwrap_or("-");
        t.row(vec![
            cell(truncate(str_field(a, "dedup_key").unwrap_or("-"), 40)),
            (status_text, alert_status_style(status)),
            (severity.to_string(), severity_style(severity)),
            cell(a.get("event_count").map(show).unwrap_or_default()),
            cell(short_time(str_field(a, "first_seen_at"))),
            cell(short_time(str_field(a, "last_seen_at"))),
            cell(truncate(str_field(a, "summary").unwrap_or(""), 60)),
        ]);
    }
    if t.is_empty() {
        eprintln!("no alerts for {key}");
    } else {
        print!("{}", t.render(out));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(mode: Option<Mode>, window: Option<u32>, fields: &[&str]) -> GroupingArgs {
        GroupingArgs {
            grouping: mode,
            window_seconds: window,
            group_fields: fields.iter().map(|f| f.to_string()).collect(),
        }
    }

    fn grouping(mode: Option<Mode>, window: Option<u32>, fields: &[&str]) -> Result<Option<Value>> {
        args(mode, window, fields).value(None)
    }

    #[test]
    fn grouping_flags_make_the_api_object() {
        assert_eq!(grouping(None, None, &[]).unwrap(), None);
        assert_eq!(
            grouping(Some(Mode::PerAlert), None, &[]).unwrap(),
            Some(json!({"mode": "per_alert"}))
        );
        assert_eq!(
            grouping(Some(Mode::ContentWindow), Some(300), &["summary", "source"]).unwrap(),
            Some(
                json!({"mode": "content_window", "window_seconds": 300, "fields": ["summary", "source"]})
            )
        );
        // Window options without (or with another) mode are a usage error.
        assert_eq!(grouping(None, Some(60), &[]).unwrap_err().code(), 2);
        assert_eq!(
            grouping(Some(Mode::SourceGroup), None, &["summary"])
                .unwrap_err()
                .code(),
            2
        );
    }

    #[test]
    fn an_update_keeps_what_the_content_window_had() {
        let current =
            json!({"mode": "content_window", "window_seconds": 300, "fields": ["source"]});
        assert_eq!(
            args(None, Some(60), &[]).value(Some(&current)).unwrap(),
            Some(json!({"mode": "content_window", "window_seconds": 60, "fields": ["source"]}))
        );
        assert_eq!(
            args(Some(Mode::ContentWindow), None, &["summary"])
                .value(Some(&current))
                .unwrap(),
            Some(json!({"mode": "content_window", "window_seconds": 300, "fields": ["summary"]}))
        );
        // Another mode now: the window must be named.
        let per_alert = json!({"mode": "per_alert"});
        assert_eq!(
            args(None, None, &["summary"])
                .value(Some(&per_alert))
                .unwrap_err()
                .code(),
            2
        );
        assert_eq!(
            args(Some(Mode::ContentWindow), None, &[])
                .value(Some(&per_alert))
                .unwrap(),
            Some(json!({"mode": "content_window"}))
        );
    }

    #[test]
    fn urls_and_grouping_read_well() {
        assert_eq!(
            full_url("http://mayday.example:8080/", "/v2/enqueue"),
            "http://mayday.example:8080/v2/enqueue"
        );
        assert_eq!(
            grouping_text(
                &json!({"mode": "content_window", "window_seconds": 300, "fields": ["summary", "source"]})
            ),
            "content_window: 300 s, same summary, source"
        );
        assert_eq!(grouping_text(&json!({"mode": "per_alert"})), "per_alert");
    }
}
