//! The client commands of `mayday`: `incident`, `service`, `user`, `team`, `integration` and
//! `completions`.
//! They speak to a running server's API (`--server`, `--token`) and print tables for people
//! or the API's JSON for scripts (`--output json`). Failures exit with a code that says what
//! went wrong (see [`http::exit`] and the README).

mod directory;
mod http;
mod incident;
mod integration;
mod oncall;
mod output;
mod sla;

use clap::{Args, Subcommand};

pub use http::Failure;
use http::{Api, exit};
use output::{Format, Out};

/// Where the server is, who is asking, and how to print.
#[derive(Args, Debug, Clone)]
pub struct Connection {
    /// The Mayday server's URL.
    #[arg(
        long,
        global = true,
        env = "MAYDAY_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    server: String,
    /// API token (from `mayday admin create-token` or the first start); never printed.
    #[arg(long, global = true, env = "MAYDAY_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// How to print results: tables for people, or the API's JSON.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Format::Table)]
    output: Format,
}

impl Connection {
    fn open(&self) -> Result<(Api, Out), Failure> {
        #[cfg(feature = "tls")]
        {
            // ring is the only provider compiled in; a second install is harmless.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        Ok((
            Api::new(&self.server, self.token.clone())?,
            Out::new(self.output),
        ))
    }
}

/// The client subcommands, flattened into `mayday`'s own.
#[derive(Subcommand)]
pub enum ClientCommand {
    /// Incidents: log, list, show, change, move through states, comment, timeline.
    Incident(incident::IncidentArgs),
    /// Services (what incidents affect).
    Service(directory::ServiceArgs),
    /// Users.
    User(directory::UserArgs),
    /// Teams (assignment groups).
    Team(directory::TeamArgs),
    /// Integrations: where a service's monitoring sends alerts, with their keys and URLs.
    Integration(integration::IntegrationArgs),
    /// On-call schedules: layers, overrides, shifts and gaps.
    Schedule(oncall::ScheduleArgs),
    /// Who is on call, now or at any time.
    Oncall(oncall::OncallArgs),
    /// Escalation policies: who is paged, in what order, how long apart.
    Policy(oncall::PolicyArgs),
    /// SLAs: policies, business calendars, an incident's clocks and why, compliance.
    Sla(sla::SlaArgs),
    /// Print a shell completion script, e.g. `mayday completions bash > /etc/bash_completion.d/mayday`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Runs a client command. `command` builds `mayday`'s whole command line (for completions).
pub async fn run(cmd: ClientCommand, command: fn() -> clap::Command) -> anyhow::Result<()> {
    let result = match cmd {
        ClientCommand::Incident(args) => incident::run(args).await,
        ClientCommand::Service(args) => directory::service(args).await,
        ClientCommand::User(args) => directory::user(args).await,
        ClientCommand::Team(args) => directory::team(args).await,
        ClientCommand::Integration(args) => integration::run(args).await,
        ClientCommand::Schedule(args) => oncall::schedule(args).await,
        ClientCommand::Oncall(args) => oncall::oncall(args).await,
        ClientCommand::Policy(args) => oncall::policy(args).await,
        ClientCommand::Sla(args) => sla::run(args).await,
        ClientCommand::Completions { shell } => {
            let mut cmd = command();
            let name = cmd.get_name().to_string();
            clap_complete::generate(shell, &mut cmd, name, &mut std::io::stdout());
            Ok(())
        }
    };
    result.map_err(anyhow::Error::new)
}

/// The exit code for an error out of `run` (or any other command: 1).
pub fn exit_code(e: &anyhow::Error) -> u8 {
    e.downcast_ref::<Failure>()
        .map_or(exit::INTERNAL, Failure::code)
}

/// Accepts `INC-000123`, `inc-123`, `123` or a UUID; plain numbers become `INC-123`.
fn incident_key(key: &str) -> String {
    let k = key.trim();
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) {
        format!("INC-{k}")
    } else {
        k.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_keys() {
        assert_eq!(incident_key("42"), "INC-42");
        assert_eq!(incident_key("INC-000042"), "INC-000042");
        assert_eq!(incident_key("inc-7"), "inc-7");
    }

    #[test]
    fn exit_codes_follow_the_status() {
        let p = |status| Failure::Problem {
            status,
            problem: None,
            text: String::new(),
            retry_after: None,
        };
        let codes: Vec<u8> = [
            401, 403, 404, 409, 412, 428, 400, 413, 415, 422, 429, 500, 503,
        ]
        .into_iter()
        .map(|s| p(s).code())
        .collect();
        assert_eq!(codes, [4, 4, 5, 6, 6, 6, 7, 7, 7, 7, 8, 1, 1]);
        assert_eq!(Failure::Connect(String::new()).code(), 3);
        assert_eq!(Failure::Usage(String::new()).code(), 2);
    }
}
