//! `mayday incident ...`: log, list, show, change, move, comment on and follow up incidents.

use std::io::{BufRead, IsTerminal, Read, Write};

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::http::{Api, Failure, Request, Result, etag_of};
use super::output::{
    Detail, Out, Style, Table, cell, event_time, long_time, name_field, priority_style, short_time,
    show, status_style, str_field, truncate,
};
use super::{Connection, incident_key};

#[derive(Args)]
pub struct IncidentArgs {
    #[command(flatten)]
    conn: Connection,
    #[command(subcommand)]
    command: IncidentCommand,
}

#[derive(Subcommand)]
enum IncidentCommand {
    /// Log an incident; on a terminal, asks for the mandatory fields not given.
    Create(Box<CreateArgs>),
    /// List, filter and search incidents.
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one incident.
    Show {
        /// INC-000123, 123 or the incident's id.
        id: String,
    },
    /// Change fields (reads the incident's version, then patches with If-Match).
    Update(Box<UpdateArgs>),
    /// Move an incident to another state.
    Transition(TransitionArgs),
    /// Acknowledge: transition to acknowledged.
    Ack(MoveArgs),
    /// Start work: transition to in_progress.
    Start(MoveArgs),
    /// Put on hold: transition to on_hold with --reason awaiting_caller|awaiting_vendor|awaiting_change|awaiting_problem.
    Hold(HoldArgs),
    /// Resolve: transition to resolved with --code and --notes.
    Resolve(ResolveArgs),
    /// Reopen a resolved incident: transition to in_progress.
    Reopen(ReopenArgs),
    /// Close a resolved incident: transition to closed.
    Close(MoveArgs),
    /// Cancel: transition to canceled with --reason duplicate|false_alarm|not_an_incident|withdrawn_by_caller.
    Cancel(CancelArgs),
    /// Add a work note (the default for responders) or a public update.
    Comment(CommentArgs),
    /// Every event of an incident, oldest first.
    Timeline {
        /// INC-000123, 123 or the incident's id.
        id: String,
    },
    /// The alerts from monitoring grouped into an incident.
    Alerts {
        /// INC-000123, 123 or the incident's id.
        id: String,
    },
    /// Page a level of the incident's escalation policy now (the next one by default).
    Escalate {
        /// INC-000123, 123 or the incident's id.
        id: String,
        /// The level to page (1 = the first).
        #[arg(long)]
        level: Option<u32>,
    },
    /// The messages sent for an incident (status, attempts, errors) and its pending escalation.
    Pages {
        /// INC-000123, 123 or the incident's id.
        id: String,
    },
    /// Record that service is restored, without changing the state.
    Mitigate {
        /// INC-000123, 123 or the incident's id.
        id: String,
    },
    /// Open a new incident following up a closed or canceled one.
    FollowUp(FollowUpArgs),
}

#[derive(Args)]
struct CreateArgs {
    /// One line saying what is wrong.
    #[arg(long)]
    title: Option<String>,
    /// What happens, since when, who is affected (Markdown; `-` reads standard input).
    #[arg(long)]
    description: Option<String>,
    /// Who reported it: username or id (on a terminal, defaults to you).
    #[arg(long)]
    reporter: Option<String>,
    /// 1 (high) to 3 (low): how much of the business is affected.
    #[arg(long)]
    impact: Option<i64>,
    /// 1 (high) to 3 (low): how fast it must be fixed.
    #[arg(long)]
    urgency: Option<i64>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    subcategory: Option<String>,
    /// Affected service: name or id.
    #[arg(long)]
    service: Option<String>,
    /// Assignee: username, id or `me`.
    #[arg(long)]
    assignee: Option<String>,
    /// Assignment group: team name or id.
    #[arg(long, visible_alias = "assignment-group")]
    group: Option<String>,
    /// A tag (repeat, or separate with commas).
    #[arg(long = "tag", value_delimiter = ',')]
    tags: Vec<String>,
    /// A configuration item (repeat for several).
    #[arg(long = "ci")]
    configuration_items: Vec<String>,
    /// portal, email, phone, chat, monitoring or api (default api).
    #[arg(long)]
    source: Option<String>,
    /// A major incident.
    #[arg(long)]
    major: bool,
    /// Hidden from viewers.
    #[arg(long)]
    confidential: bool,
    /// When it started (RFC 3339).
    #[arg(long)]
    started_at: Option<String>,
    /// When it was detected (RFC 3339).
    #[arg(long)]
    detected_at: Option<String>,
    /// Parent incident.
    #[arg(long)]
    parent: Option<String>,
    /// A template (name or id) that fills the fields not given.
    #[arg(long)]
    template: Option<String>,
    /// Never ask, even on a terminal.
    #[arg(long)]
    no_input: bool,
}

#[derive(Args)]
struct ListArgs {
    /// Statuses (comma-separated): new, acknowledged, in_progress, on_hold, resolved, closed, canceled.
    #[arg(long, value_delimiter = ',', conflicts_with = "open")]
    status: Vec<String>,
    /// Only open incidents (new, acknowledged, in_progress, on_hold).
    #[arg(long)]
    open: bool,
    /// Priorities (comma-separated), P1..P5.
    #[arg(long, value_delimiter = ',')]
    priority: Vec<String>,
    /// Assignees (comma-separated): usernames, ids, `me` or `none`.
    #[arg(long, value_delimiter = ',')]
    assignee: Vec<String>,
    /// Assignment groups (comma-separated): team names, ids or `none`.
    #[arg(long, value_delimiter = ',')]
    group: Vec<String>,
    /// Categories (comma-separated).
    #[arg(long, value_delimiter = ',')]
    category: Vec<String>,
    /// Services (comma-separated names or ids).
    #[arg(long, value_delimiter = ',')]
    service: Vec<String>,
    /// Full-text search: every word must match; "quoted phrases" allowed.
    #[arg(long = "q", visible_alias = "search")]
    q: Option<String>,
    /// created_at, updated_at, priority or number; prefix `-` for descending (default -created_at).
    #[arg(long, allow_hyphen_values = true)]
    sort: Option<String>,
    /// Page size, 1..=200 (server default 50).
    #[arg(long)]
    limit: Option<u32>,
    /// Continue after a previous page (its next_cursor).
    #[arg(long, conflicts_with = "all")]
    cursor: Option<String>,
    /// Follow next_cursor to the last page.
    #[arg(long)]
    all: bool,
    /// Also count every match.
    #[arg(long)]
    total: bool,
}

#[derive(Args)]
struct UpdateArgs {
    /// INC-000123, 123 or the incident's id.
    id: String,
    #[arg(long)]
    title: Option<String>,
    /// Markdown; `-` reads standard input.
    #[arg(long)]
    description: Option<String>,
    #[arg(long)]
    reporter: Option<String>,
    #[arg(long)]
    source: Option<String>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long, conflicts_with = "clear_subcategory")]
    subcategory: Option<String>,
    #[arg(long)]
    clear_subcategory: bool,
    #[arg(long, conflicts_with = "clear_service")]
    service: Option<String>,
    #[arg(long)]
    clear_service: bool,
    /// Configuration items (repeat); replaces the list.
    #[arg(long = "ci", conflicts_with = "clear_cis")]
    configuration_items: Vec<String>,
    #[arg(long)]
    clear_cis: bool,
    /// 1 (high) to 3 (low).
    #[arg(long)]
    impact: Option<i64>,
    /// 1 (high) to 3 (low).
    #[arg(long)]
    urgency: Option<i64>,
    /// Override the priority (P1..P5); needs --reason.
    #[arg(long, conflicts_with = "clear_priority")]
    priority: Option<String>,
    /// Why the priority is overridden.
    #[arg(long)]
    reason: Option<String>,
    /// Drop the override: the matrix decides again.
    #[arg(long)]
    clear_priority: bool,
    /// Username, id or `me`.
    #[arg(long, conflicts_with = "clear_assignee")]
    assignee: Option<String>,
    #[arg(long)]
    clear_assignee: bool,
    /// Assignment group: team name or id.
    #[arg(
        long,
        visible_alias = "assignment-group",
        conflicts_with = "clear_group"
    )]
    group: Option<String>,
    #[arg(long)]
    clear_group: bool,
    /// Tags (repeat or comma-separated); replaces the list.
    #[arg(long = "tag", value_delimiter = ',', conflicts_with = "clear_tags")]
    tags: Vec<String>,
    #[arg(long)]
    clear_tags: bool,
    #[arg(long, value_name = "true|false")]
    major: Option<bool>,
    #[arg(long, value_name = "true|false")]
    confidential: Option<bool>,
    #[arg(long, conflicts_with = "clear_workaround")]
    workaround: Option<String>,
    #[arg(long)]
    clear_workaround: bool,
    #[arg(long, conflicts_with = "clear_root_cause")]
    root_cause: Option<String>,
    #[arg(long)]
    clear_root_cause: bool,
    /// RFC 3339.
    #[arg(long)]
    started_at: Option<String>,
    #[arg(long, conflicts_with = "clear_parent")]
    parent: Option<String>,
    #[arg(long)]
    clear_parent: bool,
    /// The version last seen; by default the current one is read first.
    #[arg(long, value_name = "VERSION")]
    if_match: Option<String>,
}

#[derive(Args)]
struct TransitionArgs {
    /// INC-000123, 123 or the incident's id.
    id: String,
    /// acknowledged, in_progress, on_hold, resolved, closed or canceled.
    to: String,
    /// Resolution code (to resolved).
    #[arg(long, visible_alias = "resolution-code")]
    code: Option<String>,
    /// Resolution notes (to resolved).
    #[arg(long, visible_alias = "resolution-notes")]
    notes: Option<String>,
    /// Hold reason (to on_hold), cancel reason (to canceled) or why it is reopened.
    #[arg(long)]
    reason: Option<String>,
    /// The incident this one duplicates (cancel with reason duplicate).
    #[arg(long)]
    duplicate_of: Option<String>,
    /// Refuse if the incident is no longer at this version.
    #[arg(long, value_name = "VERSION")]
    if_match: Option<String>,
}

#[derive(Args)]
struct MoveArgs {
    /// INC-000123, 123 or the incident's id.
    id: String,
    /// Refuse if the incident is no longer at this version.
    #[arg(long, value_name = "VERSION")]
    if_match: Option<String>,
}

#[derive(Args)]
struct HoldArgs {
    #[command(flatten)]
    at: MoveArgs,
    /// awaiting_caller, awaiting_vendor, awaiting_change or awaiting_problem.
    #[arg(long)]
    reason: Option<String>,
}

#[derive(Args)]
struct ResolveArgs {
    #[command(flatten)]
    at: MoveArgs,
    /// Resolution code, e.g. solution_provided.
    #[arg(long, visible_alias = "resolution-code")]
    code: Option<String>,
    /// What was done.
    #[arg(long, visible_alias = "resolution-notes")]
    notes: Option<String>,
}

#[derive(Args)]
struct ReopenArgs {
    #[command(flatten)]
    at: MoveArgs,
    /// Why it is reopened (shown on the timeline).
    #[arg(long)]
    reason: Option<String>,
}

#[derive(Args)]
struct CancelArgs {
    #[command(flatten)]
    at: MoveArgs,
    /// duplicate, false_alarm, not_an_incident or withdrawn_by_caller.
    #[arg(long)]
    reason: Option<String>,
    /// The incident this one duplicates.
    #[arg(long)]
    duplicate_of: Option<String>,
}

#[derive(Args)]
struct CommentArgs {
    /// INC-000123, 123 or the incident's id.
    id: String,
    /// The text (Markdown); `-` or none reads standard input.
    body: Option<String>,
    /// A public update, seen by requesters and viewers.
    #[arg(long, conflicts_with = "work_note")]
    public: bool,
    /// An internal work note (the default for responders).
    #[arg(long)]
    work_note: bool,
}

#[derive(Args)]
struct FollowUpArgs {
    /// The closed or canceled incident (INC-000123, 123 or id).
    id: String,
    /// Why a follow-up is needed.
    #[arg(long)]
    reason: Option<String>,
    /// Title of the new incident (default: the old one's).
    #[arg(long)]
    title: Option<String>,
    /// Description of the new incident (default: the old one's).
    #[arg(long)]
    description: Option<String>,
}

pub async fn run(args: IncidentArgs) -> Result<()> {
    let (api, out) = args.conn.open()?;
    match args.command {
        IncidentCommand::Create(a) => create(&api, &out, *a).await,
        IncidentCommand::List(a) => list(&api, &out, a).await,
        IncidentCommand::Show { id } => {
            let reply = api
                .get(&["api", "v1", "incidents", &incident_key(&id)])
                .await?;
            print_incident(&out, &reply.text)
        }
        IncidentCommand::Update(a) => update(&api, &out, *a).await,
        IncidentCommand::Transition(a) => {
            let mv = Move {
                to: a.to.replace('-', "_"),
                reason: a.reason,
                code: a.code,
                notes: a.notes,
                duplicate_of: a.duplicate_of,
            };
            transition(&api, &out, &a.id, a.if_match, mv).await
        }
        IncidentCommand::Ack(a) => {
            transition(&api, &out, &a.id, a.if_match, Move::to("acknowledged")).await
        }
        IncidentCommand::Start(a) => {
            transition(&api, &out, &a.id, a.if_match, Move::to("in_progress")).await
        }
        IncidentCommand::Hold(a) => {
            let mv = Move {
                reason: a.reason,
                ..Move::to("on_hold")
            };
            transition(&api, &out, &a.at.id, a.at.if_match, mv).await
        }
        IncidentCommand::Resolve(a) => {
            let mv = Move {
                code: a.code,
                notes: a.notes,
                ..Move::to("resolved")
            };
            transition(&api, &out, &a.at.id, a.at.if_match, mv).await
        }
        IncidentCommand::Reopen(a) => {
            let mv = Move {
                reason: a.reason,
                ..Move::to("in_progress")
            };
            transition(&api, &out, &a.at.id, a.at.if_match, mv).await
        }
        IncidentCommand::Close(a) => {
            transition(&api, &out, &a.id, a.if_match, Move::to("closed")).await
        }
        IncidentCommand::Cancel(a) => {
            let mv = Move {
                reason: a.reason,
                duplicate_of: a.duplicate_of.as_deref().map(incident_key),
                ..Move::to("canceled")
            };
            transition(&api, &out, &a.at.id, a.at.if_match, mv).await
        }
        IncidentCommand::Comment(a) => comment(&api, &out, a).await,
        IncidentCommand::Timeline { id } => timeline(&api, &out, &id).await,
        IncidentCommand::Alerts { id } => {
            super::integration::incident_alerts(&api, &out, &id).await
        }
        IncidentCommand::Escalate { id, level } => {
            let body = match level {
                Some(l) => json!({"level": l}),
                None => json!({}),
            };
            let reply = api
                .post(
                    &["api", "v1", "incidents", &incident_key(&id), "escalate"],
                    body,
                )
                .await?;
            print_incident(&out, &reply.text)
        }
        IncidentCommand::Pages { id } => super::oncall::incident_pages(&api, &out, &id).await,
        IncidentCommand::Mitigate { id } => {
            let reply = api
                .post(
                    &["api", "v1", "incidents", &incident_key(&id), "mitigate"],
                    json!({}),
                )
                .await?;
            print_incident(&out, &reply.text)
        }
        IncidentCommand::FollowUp(a) => {
            let mut body = Map::new();
            put(&mut body, "reason", a.reason);
            put(&mut body, "title", a.title);
            put(&mut body, "description", a.description);
            let reply = api
                .post(
                    &["api", "v1", "incidents", &incident_key(&a.id), "follow-up"],
                    Value::Object(body),
                )
                .await?;
            print_incident(&out, &reply.text)
        }
    }
}

fn put(body: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(v) = value {
        body.insert(key.into(), Value::String(v));
    }
}

/// `-` means: read the text from standard input.
fn text_arg(value: Option<String>) -> Result<Option<String>> {
    match value.as_deref() {
        Some("-") => read_stdin().map(Some),
        _ => Ok(value),
    }
}

fn read_stdin() -> Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| Failure::Internal(format!("cannot read standard input: {e}")))?;
    Ok(s.trim_end_matches(['\n', '\r']).to_string())
}

/// The caller's username (`GET /api/v1/me`).
async fn me(api: &Api) -> Result<String> {
    let me = api.get_json(&["api", "v1", "me"]).await?;
    str_field(&me, "username")
        .map(String::from)
        .ok_or_else(|| Failure::Internal("GET /api/v1/me gave no username".into()))
}

/// Replaces `me` by the caller's username.
async fn resolve_me(api: &Api, who: Option<String>) -> Result<Option<String>> {
    match who {
        Some(w) if w == "me" => Ok(Some(me(api).await?)),
        other => Ok(other),
    }
}

// --- create ---

async fn create(api: &Api, out: &Out, a: CreateArgs) -> Result<()> {
    let mut body = Map::new();
    let description = text_arg(a.description)?;
    let mut fields = Mandatory {
        title: a.title,
        description,
        reporter: resolve_me(api, a.reporter).await?,
        impact: a.impact,
        urgency: a.urgency,
        category: a.category,
    };
    if !a.no_input && std::io::stdin().is_terminal() {
        let templated = match &a.template {
            Some(t) => template_fields(api, t).await,
            None => Vec::new(),
        };
        fields.prompt(api, &templated).await?;
    }
    put(&mut body, "title", fields.title);
    put(&mut body, "description", fields.description);
    put(&mut body, "reporter", fields.reporter);
    if let Some(i) = fields.impact {
        body.insert("impact".into(), json!(i));
    }
    if let Some(u) = fields.urgency {
        body.insert("urgency".into(), json!(u));
    }
    put(&mut body, "category", fields.category);
    put(&mut body, "subcategory", a.subcategory);
    put(&mut body, "service", a.service);
    put(&mut body, "assignee", resolve_me(api, a.assignee).await?);
    put(&mut body, "assignment_group", a.group);
    if !a.tags.is_empty() {
        body.insert("tags".into(), json!(a.tags));
    }
    if !a.configuration_items.is_empty() {
        body.insert("configuration_items".into(), json!(a.configuration_items));
    }
    put(&mut body, "source", a.source);
    if a.major {
        body.insert("major".into(), Value::Bool(true));
    }
    if a.confidential {
        body.insert("confidential".into(), Value::Bool(true));
    }
    put(&mut body, "started_at", a.started_at);
    put(&mut body, "detected_at", a.detected_at);
    put(&mut body, "parent", a.parent.as_deref().map(incident_key));
    put(&mut body, "template", a.template);
    let reply = api
        .post(&["api", "v1", "incidents"], Value::Object(body))
        .await?;
    print_incident(out, &reply.text)
}

/// The fields every incident needs.
struct Mandatory {
    title: Option<String>,
    description: Option<String>,
    reporter: Option<String>,
    impact: Option<i64>,
    urgency: Option<i64>,
    category: Option<String>,
}

/// The fields a template fills (empty if it cannot be read: the server will say why).
async fn template_fields(api: &Api, name: &str) -> Vec<String> {
    match api.get_json(&["api", "v1", "templates", name]).await {
        Ok(t) => t
            .get("fields")
            .and_then(Value::as_object)
            .map(|f| f.keys().cloned().collect())
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// Reads answers from the terminal: prompts on stderr, answers on stdin.
struct Prompter {
    stdin: std::io::StdinLock<'static>,
    ended: bool,
}

impl Prompter {
    fn new() -> Self {
        Self {
            stdin: std::io::stdin().lock(),
            ended: false,
        }
    }

    /// One line; `None` once input has ended.
    fn line(&mut self, prompt: &str) -> Option<String> {
        if self.ended {
            return None;
        }
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        let mut s = String::new();
        match self.stdin.read_line(&mut s) {
            Ok(0) | Err(_) => {
                eprintln!();
                self.ended = true;
                None
            }
            Ok(_) => Some(s.trim().to_string()),
        }
    }

    /// Asks until the answer is not empty (or `default` is taken).
    fn ask(&mut self, prompt: &str, default: Option<&str>) -> Option<String> {
        let full = match default {
            Some(d) => format!("{prompt} [{d}]: "),
            None => format!("{prompt}: "),
        };
        loop {
            let answer = self.line(&full)?;
            if !answer.is_empty() {
                return Some(answer);
            }
            if let Some(d) = default {
                return Some(d.to_string());
            }
        }
    }

    /// Lines until an empty one.
    fn paragraph(&mut self, prompt: &str) -> Option<String> {
        eprintln!("{prompt} (end with an empty line):");
        let mut lines: Vec<String> = Vec::new();
        loop {
            match self.line("> ") {
                Some(l) if l.is_empty() && !lines.is_empty() => break,
                Some(l) if l.is_empty() => continue,
                Some(l) => lines.push(l),
                None if lines.is_empty() => return None,
                None => break,
            }
        }
        Some(lines.join("\n"))
    }

    /// A level 1..=3.
    fn level(&mut self, prompt: &str) -> Option<i64> {
        loop {
            let answer = self.ask(prompt, None)?;
            match answer.parse::<i64>() {
                Ok(n) if (1..=3).contains(&n) => return Some(n),
                _ => eprintln!("  answer 1, 2 or 3"),
            }
        }
    }
}

impl Mandatory {
    /// Asks for each missing field a template does not fill. Stops asking at end of input;
    /// the server then names what is still missing.
    async fn prompt(&mut self, api: &Api, templated: &[String]) -> Result<()> {
        let missing = |name: &str, absent: bool| absent && !templated.iter().any(|t| t == name);
        let needs_reporter = missing("reporter", self.reporter.is_none());
        let needs_category = missing("category", self.category.is_none());
        // What the questions need from the server, fetched before asking anything.
        let default_reporter = if needs_reporter {
            me(api).await.ok()
        } else {
            None
        };
        let categories: Vec<Value> = if needs_category {
            api.get_json(&["api", "v1", "categories"])
                .await
                .ok()
                .and_then(|c| c.get("items").and_then(Value::as_array).cloned())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut p = Prompter::new();
        if missing("title", self.title.is_none()) {
            self.title = p.ask("Title", None);
        }
        if missing("description", self.description.is_none()) {
            self.description = p.paragraph("Description");
        }
        if needs_reporter {
            self.reporter = p.ask("Reporter", default_reporter.as_deref());
        }
        if missing("impact", self.impact.is_none()) {
            self.impact = p.level("Impact (1 high, 2 medium, 3 low)");
        }
        if missing("urgency", self.urgency.is_none()) {
            self.urgency = p.level("Urgency (1 high, 2 medium, 3 low)");
        }
        if needs_category {
            let names: Vec<&str> = categories
                .iter()
                .filter_map(|c| str_field(c, "name"))
                .collect();
            if !names.is_empty() {
                eprintln!("Categories:");
                for (i, n) in names.iter().enumerate() {
                    eprintln!("  {:>2}. {n}", i + 1);
                }
            }
            while let Some(answer) = p.ask("Category (number or name)", None) {
                match answer.parse::<usize>() {
                    Ok(i) if (1..=names.len()).contains(&i) => {
                        self.category = Some(names[i - 1].to_string());
                        break;
                    }
                    _ if names.is_empty() || names.contains(&answer.as_str()) => {
                        self.category = Some(answer);
                        break;
                    }
                    _ => eprintln!("  one of the numbers or names above"),
                }
            }
        }
        Ok(())
    }
}

// --- list ---

#[derive(serde::Deserialize)]
struct RawPage<'a> {
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
    next_cursor: Option<String>,
    #[serde(default)]
    total: Option<i64>,
}

async fn list(api: &Api, out: &Out, a: ListArgs) -> Result<()> {
    let mut query: Vec<(&'static str, String)> = Vec::new();
    let join = |v: &[String]| v.join(",");
    let statuses: Vec<String> = if a.open {
        ["new", "acknowledged", "in_progress", "on_hold"]
            .map(String::from)
            .to_vec()
    } else {
        a.status.iter().map(|s| s.replace('-', "_")).collect()
    };
    if !statuses.is_empty() {
        query.push(("status", join(&statuses)));
    }
    if !a.priority.is_empty() {
        query.push(("priority", join(&a.priority).to_uppercase()));
    }
    if !a.assignee.is_empty() {
        let mut who = Vec::new();
        for x in a.assignee {
            who.push(resolve_me(api, Some(x)).await?.unwrap_or_default());
        }
        query.push(("assignee", join(&who)));
    }
    for (key, values) in [
        ("group", &a.group),
        ("category", &a.category),
        ("service", &a.service),
    ] {
        if !values.is_empty() {
            query.push((key, join(values)));
        }
    }
    if let Some(q) = a.q {
        query.push(("q", q));
    }
    if let Some(s) = a.sort {
        query.push(("sort", s));
    }
    let limit = a.limit.or(a.all.then_some(200));
    if let Some(l) = limit {
        query.push(("limit", l.to_string()));
    }
    if a.total {
        query.push(("include_total", "true".into()));
    }
    let path = ["api", "v1", "incidents"];
    let fetch = |cursor: Option<String>| {
        let mut q = query.clone();
        if let Some(c) = cursor {
            q.push(("cursor", c));
        }
        api.send(Request::new(Method::GET, &path).query(q))
    };
    if !a.all {
        let reply = fetch(a.cursor).await?;
        if out.json() {
            out.print_raw_json(&reply.text);
            return Ok(());
        }
        let page: RawPage = parse_page(&reply.text)?;
        let items = page
            .items
            .iter()
            .map(|r| serde_json::from_str(r.get()))
            .collect::<std::result::Result<Vec<Value>, _>>()
            .map_err(|e| Failure::Internal(format!("unreadable incident: {e}")))?;
        print_list(out, &items);
        if let Some(t) = page.total {
            eprintln!("{t} incident(s) match in all");
        }
        if let Some(c) = page.next_cursor {
            eprintln!("more: add --cursor {c} (or use --all)");
        }
        return Ok(());
    }
    // --all: every page; JSON output is one page holding every item.
    let mut texts: Vec<String> = Vec::new();
    let mut cursor = None;
    let mut total = None;
    loop {
        let reply = fetch(cursor.take()).await?;
        let page: RawPage = parse_page(&reply.text)?;
        texts.extend(page.items.iter().map(|r| r.get().to_string()));
        total = total.or(page.total);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    if out.json() {
        let mut joined = format!("{{\"items\":[{}],\"next_cursor\":null", texts.join(","));
        if let Some(t) = total {
            joined.push_str(&format!(",\"total\":{t}"));
        }
        joined.push('}');
        out.print_raw_json(&joined);
        return Ok(());
    }
    let items = texts
        .iter()
        .map(|t| serde_json::from_str(t))
        .collect::<std::result::Result<Vec<Value>, _>>()
        .map_err(|e| Failure::Internal(format!("unreadable incident: {e}")))?;
    print_list(out, &items);
    if let Some(t) = total {
        eprintln!("{t} incident(s) match in all");
    }
    Ok(())
}

fn parse_page(text: &str) -> Result<RawPage<'_>> {
    serde_json::from_str(text)
        .map_err(|e| Failure::Internal(format!("unreadable list of incidents: {e}")))
}

fn print_list(out: &Out, items: &[Value]) {
    if items.is_empty() {
        eprintln!("no incidents found");
        return;
    }
    let mut t = Table::new(&[
        "NUMBER", "PRI", "STATUS", "CREATED", "SERVICE", "ASSIGNEE", "TITLE",
    ]);
    for i in items {
        let priority = str_field(i, "priority").unwrap_or("-").to_string();
        let status = str_field(i, "status").unwrap_or("-").to_string();
        t.row(vec![
            cell(str_field(i, "number").unwrap_or("-")),
            (priority.clone(), priority_style(&priority)),
            (status.clone(), status_style(&status)),
            cell(short_time(str_field(i, "created_at"))),
            cell(name_field(i, "service").unwrap_or_else(|| "-".into())),
            cell(name_field(i, "assignee").unwrap_or_else(|| "-".into())),
            cell(truncate(str_field(i, "title").unwrap_or(""), 60)),
        ]);
    }
    print!("{}", t.render(out));
}

// --- show ---

/// Prints an incident answer: the JSON as sent, or the detail view.
fn print_incident(out: &Out, text: &str) -> Result<()> {
    if out.json() {
        out.print_raw_json(text);
        return Ok(());
    }
    let i: Value = serde_json::from_str(text)
        .map_err(|e| Failure::Internal(format!("unreadable incident: {e}")))?;
    print!("{}", incident_detail(out, &i));
    Ok(())
}

fn yes(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn incident_detail(out: &Out, i: &Value) -> String {
    let number = str_field(i, "number").unwrap_or("-");
    let title = str_field(i, "title").unwrap_or("");
    let mut s = format!("{}  {}\n", out.paint(Style::BOLD, number), title);
    let mut d = Detail::new();
    let status = str_field(i, "status").unwrap_or("-");
    let mut status_text = out.paint(status_style(status), status);
    if let Some(r) = str_field(i, "hold_reason") {
        status_text.push_str(&format!(" ({r})"));
    }
    if let Some(r) = str_field(i, "cancel_reason") {
        status_text.push_str(&format!(" ({r})"));
    }
    d.add("Status", status_text);
    let next = i
        .get("allowed_transitions")
        .map(show)
        .filter(|n| n != "[]")
        .unwrap_or_else(|| "none (final)".into());
    d.add("Next", next);
    let priority = str_field(i, "priority").unwrap_or("-");
    let mut pri = format!(
        "{} (impact {}, urgency {})",
        out.paint(priority_style(priority), priority),
        i.get("impact").map(show).unwrap_or_default(),
        i.get("urgency").map(show).unwrap_or_default()
    );
    if let Some(o) = i.get("priority_override").filter(|o| !o.is_null()) {
        pri.push_str(&format!(
            "; overridden by {} (matrix: {}): {}",
            name_field(o, "by").unwrap_or_default(),
            str_field(i, "computed_priority").unwrap_or("-"),
            str_field(o, "reason").unwrap_or("")
        ));
    }
    d.add("Priority", pri);
    let mut flags = Vec::new();
    if yes(i, "major") {
        flags.push("major");
    }
    if yes(i, "confidential") {
        flags.push("confidential");
    }
    d.some("Flags", Some(flags.join(", ")));
    let category = match str_field(i, "subcategory") {
        Some(sub) => format!("{} / {sub}", str_field(i, "category").unwrap_or("-")),
        None => str_field(i, "category").unwrap_or("-").to_string(),
    };
    d.add("Category", category);
    d.add(
        "Service",
        name_field(i, "service").unwrap_or_else(|| "-".into()),
    );
    d.add(
        "Group",
        name_field(i, "assignment_group").unwrap_or_else(|| "-".into()),
    );
    d.add(
        "Assignee",
        name_field(i, "assignee").unwrap_or_else(|| "-".into()),
    );
    d.add(
        "Reporter",
        format!(
            "{} (via {})",
            name_field(i, "reporter").unwrap_or_else(|| "-".into()),
            str_field(i, "source").unwrap_or("-")
        ),
    );
    let list = |key| {
        i.get(key)
            .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
            .map(show)
    };
    d.some("Tags", list("tags"));
    d.some("CIs", list("configuration_items"));
    d.some("Duplicate of", name_field(i, "duplicate_of"));
    d.some("Parent", name_field(i, "parent"));
    d.some("Follow-up of", name_field(i, "follow_up_of"));
    if let Some(code) = str_field(i, "resolution_code") {
        d.add("Resolution", code);
        d.some("Notes", str_field(i, "resolution_notes").map(String::from));
    }
    d.some("Workaround", str_field(i, "workaround").map(String::from));
    d.some("Root cause", str_field(i, "root_cause").map(String::from));
    let count = |key| i.get(key).and_then(Value::as_i64).unwrap_or(0);
    if count("reopen_count") > 0 {
        d.add("Reopened", format!("{} time(s)", count("reopen_count")));
    }
    if count("reassignment_count") > 0 {
        d.add(
            "Reassigned",
            format!("{} time(s)", count("reassignment_count")),
        );
    }
    let reported = str_field(i, "reported_at");
    for key in ["started_at", "detected_at"] {
        if str_field(i, key) != reported {
            let label = if key == "started_at" {
                "Started"
            } else {
                "Detected"
            };
            d.some(label, long_time(str_field(i, key)));
        }
    }
    for (label, key) in [
        ("Reported", "reported_at"),
        ("Acknowledged", "acknowledged_at"),
        ("Mitigated", "mitigated_at"),
        ("Resolved", "resolved_at"),
        ("Closed", "closed_at"),
        ("Canceled", "canceled_at"),
        ("Updated", "updated_at"),
    ] {
        d.some(label, long_time(str_field(i, key)));
    }
    d.add(
        "Created by",
        i.get("created_by")
            .map(|a| format!("{} ({})", show(&a["name"]), show(&a["kind"])))
            .unwrap_or_default(),
    );
    d.add("Version", i.get("version").map(show).unwrap_or_default());
    d.add("Id", str_field(i, "id").unwrap_or("-"));
    s.push_str(&d.render(out));
    if let Some(desc) = str_field(i, "description") {
        s.push('\n');
        for l in desc.lines() {
            s.push_str(&format!("    {l}\n"));
        }
    }
    s
}

// --- update ---

async fn update(api: &Api, out: &Out, a: UpdateArgs) -> Result<()> {
    let key = incident_key(&a.id);
    let mut p = Map::new();
    let set = |p: &mut Map<String, Value>, k: &str, v: Option<String>, clear: bool| {
        if clear {
            p.insert(k.into(), Value::Null);
        } else if let Some(v) = v {
            p.insert(k.into(), Value::String(v));
        }
    };
    set(&mut p, "title", a.title, false);
    set(&mut p, "description", text_arg(a.description)?, false);
    set(
        &mut p,
        "reporter",
        resolve_me(api, a.reporter).await?,
        false,
    );
    set(&mut p, "source", a.source, false);
    set(&mut p, "category", a.category, false);
    set(&mut p, "subcategory", a.subcategory, a.clear_subcategory);
    set(&mut p, "service", a.service, a.clear_service);
    if a.clear_cis {
        p.insert("configuration_items".into(), json!([]));
    } else if !a.configuration_items.is_empty() {
        p.insert("configuration_items".into(), json!(a.configuration_items));
    }
    if let Some(i) = a.impact {
        p.insert("impact".into(), json!(i));
    }
    if let Some(u) = a.urgency {
        p.insert("urgency".into(), json!(u));
    }
    set(&mut p, "priority", a.priority, a.clear_priority);
    set(&mut p, "reason", a.reason, false);
    set(
        &mut p,
        "assignee",
        resolve_me(api, a.assignee).await?,
        a.clear_assignee,
    );
    set(&mut p, "assignment_group", a.group, a.clear_group);
    if a.clear_tags {
        p.insert("tags".into(), json!([]));
    } else if !a.tags.is_empty() {
        p.insert("tags".into(), json!(a.tags));
    }
    if let Some(m) = a.major {
        p.insert("major".into(), Value::Bool(m));
    }
    if let Some(c) = a.confidential {
        p.insert("confidential".into(), Value::Bool(c));
    }
    set(&mut p, "workaround", a.workaround, a.clear_workaround);
    set(&mut p, "root_cause", a.root_cause, a.clear_root_cause);
    set(&mut p, "started_at", a.started_at, false);
    set(
        &mut p,
        "parent",
        a.parent.as_deref().map(incident_key),
        a.clear_parent,
    );
    if p.is_empty() {
        return Err(Failure::Usage(
            "nothing to change: give at least one field to update (see --help)".into(),
        ));
    }
    let path = ["api", "v1", "incidents", key.as_str()];
    let etag =
        match a.if_match {
            Some(v) => etag_of(&v),
            None => api.get(&path).await?.etag.ok_or_else(|| {
                Failure::Internal("the server sent no ETag for the incident".into())
            })?,
        };
    let reply = api
        .send(
            Request::new(Method::PATCH, &path)
                .merge_patch(Value::Object(p))
                .if_match(Some(etag)),
        )
        .await?;
    print_incident(out, &reply.text)
}

// --- transitions ---

struct Move {
    to: String,
    reason: Option<String>,
    code: Option<String>,
    notes: Option<String>,
    duplicate_of: Option<String>,
}

impl Move {
    fn to(to: &str) -> Self {
        Self {
            to: to.into(),
            reason: None,
            code: None,
            notes: None,
            duplicate_of: None,
        }
    }
}

async fn transition(
    api: &Api,
    out: &Out,
    id: &str,
    if_match: Option<String>,
    mv: Move,
) -> Result<()> {
    let mut body = Map::new();
    body.insert("to".into(), Value::String(mv.to));
    put(&mut body, "reason", mv.reason);
    put(&mut body, "resolution_code", mv.code);
    put(&mut body, "resolution_notes", mv.notes);
    put(
        &mut body,
        "duplicate_of",
        mv.duplicate_of.as_deref().map(incident_key),
    );
    let key = incident_key(id);
    let path = ["api", "v1", "incidents", key.as_str(), "transitions"];
    let reply = api
        .send(
            Request::new(Method::POST, &path)
                .body(Value::Object(body))
                .if_match(if_match.as_deref().map(etag_of)),
        )
        .await?;
    print_incident(out, &reply.text)
}

// --- comments and timeline ---

async fn comment(api: &Api, out: &Out, a: CommentArgs) -> Result<()> {
    let body = match a.body {
        Some(b) if b == "-" => read_stdin()?,
        Some(b) => b,
        None if !std::io::stdin().is_terminal() => read_stdin()?,
        None => {
            return Err(Failure::Usage(
                "give the comment's text as an argument, or `-` to read it from standard input"
                    .into(),
            ));
        }
    };
    let mut req = Map::new();
    req.insert("body".into(), Value::String(body));
    if a.public {
        req.insert("visibility".into(), json!("public"));
    } else if a.work_note {
        req.insert("visibility".into(), json!("work_note"));
    }
    let key = incident_key(&a.id);
    let reply = api
        .post(
            &["api", "v1", "incidents", &key, "comments"],
            Value::Object(req),
        )
        .await?;
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    let event = reply.json()?;
    let what = if str_field(&event, "visibility") == Some("public") {
        "public update"
    } else {
        "work note"
    };
    println!("{key}: {what} added");
    Ok(())
}

async fn timeline(api: &Api, out: &Out, id: &str) -> Result<()> {
    let key = incident_key(id);
    let reply = api
        .get(&["api", "v1", "incidents", &key, "timeline"])
        .await?;
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    let events = reply.json()?;
    let events = events.as_array().cloned().unwrap_or_default();
    let names = Names::load(api, &events).await;
    let actor_width = events
        .iter()
        .map(|e| show(&e["actor"]["name"]).chars().count())
        .max()
        .unwrap_or(0);
    let kind_width = events
        .iter()
        .map(|e| show(&e["kind"]).chars().count())
        .max()
        .unwrap_or(0);
    for e in &events {
        println!("{}", event_line(out, &names, e, actor_width, kind_width));
    }
    Ok(())
}

/// `2025-01-31 09:10:11  amy  transition  status: new → acknowledged`, then the body.
fn event_line(
    out: &Out,
    names: &Names,
    e: &Value,
    actor_width: usize,
    kind_width: usize,
) -> String {
    let time = event_time(str_field(e, "at"));
    let actor = show(&e["actor"]["name"]);
    let kind = show(&e["kind"]);
    let mut line = format!(
        "{}  {actor:<actor_width$}  {}",
        out.paint(Style::DIM, &time),
        out.paint(Style::BOLD, &format!("{kind:<kind_width$}")),
    );
    if str_field(e, "visibility") == Some("work_note") {
        line.push_str(&format!("  {}", out.paint(Style("35"), "[work note]")));
    }
    let changes: Vec<String> = e
        .get("changes")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let field = show(&c["field"]);
                    let styled = |v: &Value| {
                        let text = names.show(&field, v);
                        match field.as_str() {
                            "status" => out.paint(status_style(&text), &text),
                            "priority" => out.paint(priority_style(&text), &text),
                            f if f.ends_with("_at") && v.is_string() => event_time(Some(&text)),
                            _ => text,
                        }
                    };
                    format!("{field}: {} → {}", styled(&c["old"]), styled(&c["new"]))
                })
                .collect()
        })
        .unwrap_or_default();
    if !changes.is_empty() {
        line.push_str("  ");
        line.push_str(&changes.join("; "));
    }
    if let Some(body) = str_field(e, "body") {
        let indent = " ".repeat(time.chars().count() + 2);
        for l in body.lines() {
            line.push_str(&format!("\n{indent}{l}"));
        }
    }
    line
}

/// Names for the ids a timeline's changes hold (users, teams, services), read once per list
/// that is needed; ids stay ids where a list cannot be read (e.g. not allowed for the caller).
struct Names {
    by_id: std::collections::HashMap<String, String>,
}

impl Names {
    fn kind(field: &str) -> Option<(&'static str, &'static str)> {
        match field {
            "assignee" | "reporter" => Some(("users", "username")),
            "assignment_group" => Some(("teams", "name")),
            "service" => Some(("services", "name")),
            _ => None,
        }
    }

    async fn load(api: &Api, events: &[Value]) -> Self {
        let mut wanted: Vec<(&str, &str)> = Vec::new();
        for e in events {
            for c in e
                .get("changes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(k) = Self::kind(&show(&c["field"]))
                    && !wanted.contains(&k)
                {
                    wanted.push(k);
                }
            }
        }
        let mut by_id = std::collections::HashMap::new();
        for (list, key) in wanted {
            let Ok(v) = api.get_json(&["api", "v1", list]).await else {
                continue;
            };
            for item in v
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(id), Some(name)) = (str_field(item, "id"), str_field(item, key)) {
                    by_id.insert(id.to_string(), name.to_string());
                }
            }
        }
        Self { by_id }
    }

    fn show(&self, field: &str, v: &Value) -> String {
        match v.as_str() {
            Some(id) if Self::kind(field).is_some() => self
                .by_id
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string()),
            _ => show(v),
        }
    }
}
