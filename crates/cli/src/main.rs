//! The `mayday` binary: `serve` runs the server; `admin` commands work directly on the database
//! (`--data-dir` or `--database-url`) for bootstrap and recovery.

mod client;
mod config;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use mayday_core::{Clock, Role};
use mayday_server::clock::SystemClock;
use mayday_server::services::directory;
use mayday_server::setup::{self, DatabaseConfig};
use mayday_server::{AppState, Settings};

use config::FileConfig;

#[derive(Parser)]
#[command(name = "mayday", version, about = "Incident management in one binary")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Administer users and tokens directly on the database.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print a commented example configuration file, or check one.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    #[command(flatten)]
    Client(client::ClientCommand),
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Directory of the embedded SQLite database.
    #[arg(long, env = "MAYDAY_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL (postgres://... or sqlite://path); wins over --data-dir.
    #[arg(long, env = "MAYDAY_DATABASE_URL")]
    database_url: Option<String>,
    /// Configuration file (TOML).
    #[arg(long, env = "MAYDAY_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "MAYDAY_LISTEN")]
    listen: Option<String>,
    /// Log format: human or json.
    #[arg(long, env = "MAYDAY_LOG_FORMAT")]
    log_format: Option<String>,
    /// On a database without incidents, first fill it with a demo organization (teams, users,
    /// services) and a few hundred incidents over the last 90 days.
    #[arg(long, env = "MAYDAY_DEMO", value_parser = clap::builder::BoolishValueParser::new())]
    demo: bool,
    /// The address people reach this server at (links in messages, calendar feeds).
    #[arg(long, env = "MAYDAY_PUBLIC_URL")]
    public_url: Option<String>,
    /// SMTP server for email: smtp://host:port, smtps://host:port, with user:password@.
    #[arg(long, env = "MAYDAY_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The From address of email.
    #[arg(long, env = "MAYDAY_SMTP_FROM")]
    smtp_from: Option<String>,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user.
    CreateUser {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// viewer, requester, agent, manager or admin.
        #[arg(long, default_value = "agent")]
        role: String,
    },
    /// Create an API token for a user and print it once on stdout.
    CreateToken {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until the token expires (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Set a user's password, read from standard input: `mayday admin set-password amy`.
    SetPassword {
        #[command(flatten)]
        db: DbArgs,
        /// The user (username or id).
        #[arg(required_unless_present = "username", conflicts_with = "username")]
        user: Option<String>,
        /// The user, as a flag (the same as the positional argument).
        #[arg(long)]
        username: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(client::exit_code(&e))
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Admin(cmd) => admin(cmd).await,
        Command::Config(cmd) => config::run(cmd),
        Command::Client(cmd) => client::run(cmd, <Cli as clap::CommandFactory>::command).await,
    }
}

fn file_config(db: &DbArgs) -> anyhow::Result<FileConfig> {
    match &db.config {
        Some(path) => FileConfig::load(path),
        None => Ok(FileConfig::default()),
    }
}

fn database(db: &DbArgs, file: &FileConfig) -> DatabaseConfig {
    if let Some(url) = db
        .database_url
        .clone()
        .or_else(|| file.database_url.clone())
        .filter(|u| !u.is_empty())
    {
        return DatabaseConfig::Url(url);
    }
    DatabaseConfig::SqliteDir(
        db.data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(config::DEFAULT_DATA_DIR)),
    )
}

fn init_logging(format: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MAYDAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        "human" => builder.init(),
        "json" => builder.json().init(),
        other => bail!("log format must be human or json, got {other:?}"),
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let file = file_config(&args.db)?;
    let log_format = args
        .log_format
        .clone()
        .or_else(|| file.log_format.clone())
        .unwrap_or_else(|| config::DEFAULT_LOG_FORMAT.into());
    init_logging(&log_format)?;
    let listen = config::parse_listen(
        args.listen
            .as_deref()
            .or(file.listen.as_deref())
            .unwrap_or(config::DEFAULT_LISTEN),
    )?;
    let matrix = file.priority_matrix()?;
    let rate_limit = file.rate_limit()?;
    let intake_settings = file.intake_settings()?;
    let paging_settings = file.paging_settings(args.smtp_url.clone(), args.smtp_from.clone())?;
    let db = database(&args.db, &file);
    let store = setup::open_store(&db).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let bootstrap = std::env::var("MAYDAY_BOOTSTRAP_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let generated = setup::prepare(store.as_ref(), clock.as_ref(), bootstrap.as_deref()).await?;
    let demo = if args.demo {
        let now = clock.now_ms();
        let started = mayday_server::demo::start(store.as_ref(), now, &matrix).await;
        Some(started.context("seeding the demo data")?)
    } else {
        None
    };
    let info = store.info().await?;
    let settings: Vec<String> = info
        .settings
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    tracing::info!(engine = info.engine, settings = %settings.join(" "), "storage ready");
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!("Mayday listening on http://{addr}");
    println!("Mayday listening on http://{addr}");
    if let Some(token) = &generated {
        println!("First start: created user admin. Its API token (shown once, keep it safe):");
        println!("  {token}");
        println!("  curl -H 'Authorization: Bearer {token}' http://{addr}/api/v1/incidents");
    }
    if let Some(demo) = &demo {
        let url = format!("http://{addr}");
        let text = demo.instructions(&url, generated.as_deref(), bootstrap.is_some());
        // Nobody reading stdout (closed pipe) is no reason to stop serving.
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
    }
    let public_url = args
        .public_url
        .clone()
        .or_else(|| file.public_url.clone())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("http://{addr}"));
    let state = AppState::try_new(
        store,
        clock,
        Settings {
            priority_matrix: matrix,
            rate_limit,
            intake: intake_settings,
            public_url: public_url.trim_end_matches('/').to_string(),
            paging: paging_settings,
        },
    )
    .map_err(|e| anyhow::anyhow!("notifications: {e}"))?;
    setup::launch(listener, state, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn admin(cmd: AdminCommand) -> anyhow::Result<()> {
    let clock = SystemClock;
    let now = clock.now_ms();
    let open = |db: &DbArgs| -> anyhow::Result<DatabaseConfig> {
        let file = file_config(db)?;
        Ok(database(db, &file))
    };
    match cmd {
        AdminCommand::CreateUser {
            db,
            username,
            display_name,
            email,
            role,
        } => {
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            let store = setup::open_store(&open(&db)?).await?;
            directory::seed_taxonomy(store.as_ref(), now)
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(e)))?;
            let display = display_name.unwrap_or_else(|| username.clone());
            let user = setup::create_user(store.as_ref(), now, &username, &display, email, role)
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(e)))?;
            eprintln!(
                "created {} {} ({})",
                user.role.as_str(),
                user.username,
                user.id
            );
        }
        AdminCommand::CreateToken {
            db,
            username,
            name,
            expires_in_days,
        } => {
            let store = setup::open_store(&open(&db)?).await?;
            let user = directory::find_user(store.as_ref(), &username)
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(e)))?
                .with_context(|| format!("no user {username:?}"))?;
            let expires = expires_in_days.map(|d| now + i64::from(d) * 86_400_000);
            let (secret, _) =
                setup::issue_token(store.as_ref(), now, user.id, &name, expires, None)
                    .await
                    .map_err(|e| anyhow::anyhow!("{}", describe(e)))?;
            println!("{secret}");
        }
        AdminCommand::SetPassword { db, user, username } => {
            let username = user.or(username).unwrap_or_default();
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            mayday_server::auth::check_password(&password)
                .map_err(|e| anyhow::anyhow!("password {e}"))?;
            let store = setup::open_store(&open(&db)?).await?;
            let user = directory::find_user(store.as_ref(), &username)
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(e)))?
                .with_context(|| format!("no user {username:?}"))?;
            let hash = mayday_server::auth::hash_password(password)
                .await
                .map_err(|e| anyhow::anyhow!("{}", describe(e)))?;
            store.set_password_hash(user.id, &hash, now).await?;
            eprintln!("password set for {username}");
        }
    }
    Ok(())
}

fn describe(e: mayday_server::error::ApiError) -> String {
    match e {
        mayday_server::error::ApiError::Invalid(v) => v.to_string(),
        mayday_server::error::ApiError::Conflict { detail, .. } => detail,
        other => other.to_string(),
    }
}
