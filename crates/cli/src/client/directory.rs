//! `mayday service|user|team ...`: the directory behind incidents.

use std::io::{BufRead, IsTerminal};

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::Connection;
use super::http::{Api, Failure, Reply, Request, Result, etag_of};
use super::output::{Detail, Out, Table, cell, long_time, name_field, show, str_field, truncate};

// --- services ---

#[derive(Args)]
pub struct ServiceArgs {
    #[command(flatten)]
    conn: Connection,
    #[command(subcommand)]
    command: ServiceCommand,
}

#[derive(Subcommand)]
enum ServiceCommand {
    /// Every service.
    #[command(visible_alias = "ls")]
    List,
    /// One service by name or id.
    Show { service: String },
    /// Create a service (managers and admins).
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// Owning team: name or id.
        #[arg(long)]
        owner_team: Option<String>,
        /// Criticality: 1 most critical .. 3 (default 3).
        #[arg(long)]
        tier: Option<i64>,
    },
    /// Change a service (managers and admins).
    Update {
        /// The service's current name or id.
        service: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, conflicts_with = "clear_owner_team")]
        owner_team: Option<String>,
        /// Remove the owning team.
        #[arg(long)]
        clear_owner_team: bool,
        #[arg(long)]
        tier: Option<i64>,
        /// Refuse if the service is no longer at this version.
        #[arg(long, value_name = "VERSION")]
        if_match: Option<String>,
    },
    /// Delete a service no incident refers to (managers and admins).
    Delete { service: String },
}

pub async fn service(args: ServiceArgs) -> Result<()> {
    let (api, out) = args.conn.open()?;
    let show_one = |v: &Value| {
        let mut d = Detail::new();
        d.add("Name", str_field(v, "name").unwrap_or("-"));
        d.add("Tier", v.get("tier").map(show).unwrap_or_default());
        d.add(
            "Owner team",
            name_field(v, "owner_team").unwrap_or_else(|| "-".into()),
        );
        d.some("Description", str_field(v, "description").map(String::from));
        common(&mut d, v);
        d
    };
    match args.command {
        ServiceCommand::List => {
            let reply = api.get(&["api", "v1", "services"]).await?;
            list(
                &out,
                &reply,
                &["NAME", "TIER", "OWNER TEAM", "DESCRIPTION"],
                |v| {
                    vec![
                        cell(str_field(v, "name").unwrap_or("-")),
                        cell(v.get("tier").map(show).unwrap_or_default()),
                        cell(name_field(v, "owner_team").unwrap_or_else(|| "-".into())),
                        cell(truncate(str_field(v, "description").unwrap_or(""), 60)),
                    ]
                },
            )
        }
        ServiceCommand::Show { service } => {
            let reply = api.get(&["api", "v1", "services", &service]).await?;
            one(&out, &reply, show_one)
        }
        ServiceCommand::Create {
            name,
            description,
            owner_team,
            tier,
        } => {
            let mut body = Map::new();
            body.insert("name".into(), json!(name));
            put(&mut body, "description", description.map(Value::String));
            put(&mut body, "owner_team", owner_team.map(Value::String));
            put(&mut body, "tier", tier.map(|t| json!(t)));
            let reply = api
                .post(&["api", "v1", "services"], Value::Object(body))
                .await?;
            one(&out, &reply, show_one)
        }
        ServiceCommand::Update {
            service,
            name,
            description,
            owner_team,
            clear_owner_team,
            tier,
            if_match,
        } => {
            let mut body = Map::new();
            put(&mut body, "name", name.map(Value::String));
            put(&mut body, "description", description.map(Value::String));
            put(
                &mut body,
                "owner_team",
                if clear_owner_team {
                    Some(Value::Null)
                } else {
                    owner_team.map(Value::String)
                },
            );
            put(&mut body, "tier", tier.map(|t| json!(t)));
            let reply = patch(&api, &["api", "v1", "services", &service], body, if_match).await?;
            one(&out, &reply, show_one)
        }
        ServiceCommand::Delete { service } => {
            api.delete(&["api", "v1", "services", &service]).await?;
            deleted(&out, "service", &service);
            Ok(())
        }
    }
}

// --- users ---

#[derive(Args)]
pub struct UserArgs {
    #[command(flatten)]
    conn: Connection,
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Every user (agents and above).
    #[command(visible_alias = "ls")]
    List,
    /// One user by username or id; `me` for yourself.
    Show { user: String },
    /// Create a user (admins).
    Create {
        /// 1 to 64 lowercase letters, digits, '.', '_' or '-'.
        username: String,
        /// viewer, requester, agent, manager or admin.
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// IANA time zone name (default UTC).
        #[arg(long)]
        time_zone: Option<String>,
        /// Read a password for the web console from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user (yourself: display name, email, time zone; admins: also role, active).
    Update {
        /// Username or id; `me` for yourself.
        user: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, conflicts_with = "clear_email")]
        email: Option<String>,
        #[arg(long)]
        clear_email: bool,
        #[arg(long)]
        time_zone: Option<String>,
        /// viewer, requester, agent, manager or admin.
        #[arg(long)]
        role: Option<String>,
        /// Activate or deactivate the user.
        #[arg(long, value_name = "true|false")]
        active: Option<bool>,
        /// Refuse if the user is no longer at this version.
        #[arg(long, value_name = "VERSION")]
        if_match: Option<String>,
    },
    /// A person's contact methods: where pages reach them.
    #[command(subcommand)]
    Contact(super::oncall::ContactCommand),
}

/// `me` is the caller: its username.
async fn user_key(api: &Api, key: String) -> Result<String> {
    if key != "me" {
        return Ok(key);
    }
    let me = api.get_json(&["api", "v1", "me"]).await?;
    Ok(str_field(&me, "username").unwrap_or("me").to_string())
}

pub async fn user(args: UserArgs) -> Result<()> {
    let (api, out) = args.conn.open()?;
    let show_one = |v: &Value| {
        let mut d = Detail::new();
        d.add("Username", str_field(v, "username").unwrap_or("-"));
        d.add("Name", str_field(v, "display_name").unwrap_or("-"));
        d.add("Role", str_field(v, "role").unwrap_or("-"));
        d.add("Email", str_field(v, "email").unwrap_or("-"));
        d.add("Time zone", str_field(v, "time_zone").unwrap_or("-"));
        d.add(
            "Active",
            if v.get("active").and_then(Value::as_bool) == Some(true) {
                "yes"
            } else {
                "no"
            },
        );
        common(&mut d, v);
        d
    };
    match args.command {
        UserCommand::List => {
            let reply = api.get(&["api", "v1", "users"]).await?;
            list(
                &out,
                &reply,
                &["USERNAME", "NAME", "ROLE", "EMAIL", "ACTIVE"],
                |v| {
                    vec![
                        cell(str_field(v, "username").unwrap_or("-")),
                        cell(str_field(v, "display_name").unwrap_or("-")),
                        cell(str_field(v, "role").unwrap_or("-")),
                        cell(str_field(v, "email").unwrap_or("-")),
                        cell(if v.get("active").and_then(Value::as_bool) == Some(true) {
                            "yes"
                        } else {
                            "no"
                        }),
                    ]
                },
            )
        }
        UserCommand::Show { user } => {
            let reply = if user == "me" {
                api.get(&["api", "v1", "me"]).await?
            } else {
                api.get(&["api", "v1", "users", &user]).await?
            };
            one(&out, &reply, show_one)
        }
        UserCommand::Create {
            username,
            role,
            display_name,
            email,
            time_zone,
            password_stdin,
        } => {
            let mut body = Map::new();
            body.insert("username".into(), json!(username));
            put(&mut body, "role", role.map(Value::String));
            put(&mut body, "display_name", display_name.map(Value::String));
            put(&mut body, "email", email.map(Value::String));
            put(&mut body, "time_zone", time_zone.map(Value::String));
            if password_stdin {
                body.insert("password".into(), Value::String(password_line()?));
            }
            let reply = api
                .post(&["api", "v1", "users"], Value::Object(body))
                .await?;
            one(&out, &reply, show_one)
        }
        UserCommand::Update {
            user,
            display_name,
            email,
            clear_email,
            time_zone,
            role,
            active,
            if_match,
        } => {
            let mut body = Map::new();
            put(&mut body, "display_name", display_name.map(Value::String));
            put(
                &mut body,
                "email",
                if clear_email {
                    Some(Value::Null)
                } else {
                    email.map(Value::String)
                },
            );
            put(&mut body, "time_zone", time_zone.map(Value::String));
            put(&mut body, "role", role.map(Value::String));
            put(&mut body, "active", active.map(Value::Bool));
            let user = user_key(&api, user).await?;
            let reply = patch(&api, &["api", "v1", "users", &user], body, if_match).await?;
            one(&out, &reply, show_one)
        }
        UserCommand::Contact(cmd) => super::oncall::contact(&api, &out, cmd).await,
    }
}

fn password_line() -> Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("Password (shown as you type; at least 12 characters): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Internal(format!("cannot read the password: {e}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

// --- teams ---

#[derive(Args)]
pub struct TeamArgs {
    #[command(flatten)]
    conn: Connection,
    #[command(subcommand)]
    command: TeamCommand,
}

#[derive(Subcommand)]
enum TeamCommand {
    /// Every team.
    #[command(visible_alias = "ls")]
    List,
    /// One team by name or id.
    Show { team: String },
    /// Create a team (managers and admins).
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// A member's username or id (repeat, or separate with commas).
        #[arg(long = "member", value_delimiter = ',')]
        members: Vec<String>,
    },
    /// Change a team (managers and admins).
    Update {
        /// The team's current name or id.
        team: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Members (repeat or comma-separated); replaces the list.
        #[arg(
            long = "member",
            value_delimiter = ',',
            conflicts_with = "clear_members"
        )]
        members: Vec<String>,
        /// Remove every member.
        #[arg(long)]
        clear_members: bool,
        /// Refuse if the team is no longer at this version.
        #[arg(long, value_name = "VERSION")]
        if_match: Option<String>,
    },
    /// Delete a team no incident or service refers to (managers and admins).
    Delete { team: String },
}

pub async fn team(args: TeamArgs) -> Result<()> {
    let (api, out) = args.conn.open()?;
    let members = |v: &Value| {
        v.get("members")
            .map(show)
            .filter(|m| m != "[]")
            .unwrap_or_else(|| "-".into())
    };
    let show_one = |v: &Value| {
        let mut d = Detail::new();
        d.add("Name", str_field(v, "name").unwrap_or("-"));
        d.some("Description", str_field(v, "description").map(String::from));
        d.add("Members", members(v));
        common(&mut d, v);
        d
    };
    match args.command {
        TeamCommand::List => {
            let reply = api.get(&["api", "v1", "teams"]).await?;
            list(&out, &reply, &["NAME", "MEMBERS", "DESCRIPTION"], |v| {
                vec![
                    cell(str_field(v, "name").unwrap_or("-")),
                    cell(truncate(&members(v), 50)),
                    cell(truncate(str_field(v, "description").unwrap_or(""), 50)),
                ]
            })
        }
        TeamCommand::Show { team } => {
            let reply = api.get(&["api", "v1", "teams", &team]).await?;
            one(&out, &reply, show_one)
        }
        TeamCommand::Create {
            name,
            description,
            members,
        } => {
            let mut body = Map::new();
            body.insert("name".into(), json!(name));
            put(&mut body, "description", description.map(Value::String));
            if !members.is_empty() {
                body.insert("members".into(), json!(members));
            }
            let reply = api
                .post(&["api", "v1", "teams"], Value::Object(body))
                .await?;
            one(&out, &reply, show_one)
        }
        TeamCommand::Update {
            team,
            name,
            description,
            members,
            clear_members,
            if_match,
        } => {
            let mut body = Map::new();
            put(&mut body, "name", name.map(Value::String));
            put(&mut body, "description", description.map(Value::String));
            if clear_members {
                body.insert("members".into(), json!([]));
            } else if !members.is_empty() {
                body.insert("members".into(), json!(members));
            }
            let reply = patch(&api, &["api", "v1", "teams", &team], body, if_match).await?;
            one(&out, &reply, show_one)
        }
        TeamCommand::Delete { team } => {
            api.delete(&["api", "v1", "teams", &team]).await?;
            deleted(&out, "team", &team);
            Ok(())
        }
    }
}

// --- shared ---

fn put(body: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        body.insert(key.into(), v);
    }
}

/// `PATCH` with the given fields (a usage error when there are none).
async fn patch(
    api: &Api,
    path: &[&str],
    body: Map<String, Value>,
    if_match: Option<String>,
) -> Result<Reply> {
    if body.is_empty() {
        return Err(Failure::Usage(
            "nothing to change: give at least one field to update (see --help)".into(),
        ));
    }
    api.send(
        Request::new(Method::PATCH, path)
            .merge_patch(Value::Object(body))
            .if_match(if_match.as_deref().map(etag_of)),
    )
    .await
}

fn common(d: &mut Detail, v: &Value) {
    d.some("Created", long_time(str_field(v, "created_at")));
    d.some("Updated", long_time(str_field(v, "updated_at")));
    d.add("Version", v.get("version").map(show).unwrap_or_default());
    d.add("Id", str_field(v, "id").unwrap_or("-"));
}

/// Prints one entity: the JSON as sent, or its detail view.
fn one(out: &Out, reply: &Reply, detail: impl Fn(&Value) -> Detail) -> Result<()> {
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    print!("{}", detail(&reply.json()?).render(out));
    Ok(())
}

/// Prints a `{"items": [...]}` answer: the JSON as sent, or a table.
fn list(
    out: &Out,
    reply: &Reply,
    headers: &[&'static str],
    row: impl Fn(&Value) -> Vec<(String, super::output::Style)>,
) -> Result<()> {
    if out.json() {
        out.print_raw_json(&reply.text);
        return Ok(());
    }
    let v = reply.json()?;
    let mut t = Table::new(headers);
    for item in v
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        t.row(row(item));
    }
    if t.is_empty() {
        eprintln!("none found");
    } else {
        print!("{}", t.render(out));
    }
    Ok(())
}

fn deleted(out: &Out, kind: &str, name: &str) {
    if !out.json() {
        println!("deleted {kind} {name}");
    }
}
