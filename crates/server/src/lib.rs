//! Mayday's server: application services, the HTTP API and start-up (store selection,
//! migrations, first-start seeding and bootstrap). The `mayday` binary calls [`launch`] with a
//! bound listener, so tests start the whole app on port 0.

pub mod api;
pub mod auth;
pub mod clock;
pub mod demo;
pub mod error;
pub mod input;
pub mod intake;
pub mod paging;
pub mod services;
pub mod setup;
pub mod sla;
pub mod web;

use std::sync::Arc;

use mayday_core::{Clock, PriorityMatrix};
use mayday_store::Store;

pub use setup::{DatabaseConfig, launch, open_store};

/// Settings the application services read.
#[derive(Debug, Clone)]
pub struct Settings {
    pub priority_matrix: PriorityMatrix,
    /// Requests per client address; `None` turns limiting off.
    pub rate_limit: Option<api::rate_limit::RateLimit>,
    pub intake: intake::IntakeSettings,
    /// The address people reach this server at (links in messages and calendar feeds).
    pub public_url: String,
    pub paging: paging::PagingSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            priority_matrix: PriorityMatrix::default(),
            rate_limit: Some(api::rate_limit::RateLimit::default()),
            intake: intake::IntakeSettings::default(),
            public_url: "http://127.0.0.1:8080".into(),
            paging: paging::PagingSettings::default(),
        }
    }
}

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub rate_limiter: Arc<api::rate_limit::RateLimiter>,
    pub intake: Arc<intake::Intake>,
    pub paging: Arc<paging::Paging>,
    /// Failed web sign-ins, for slowing down password guessing.
    pub web: Arc<web::LoginThrottle>,
}

impl AppState {
    /// The state, with the intake log's appender started (needs a Tokio runtime).
    ///
    /// # Panics
    /// When the paging settings are malformed (see [`AppState::try_new`]).
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        match Self::try_new(store, clock, settings) {
            Ok(s) => s,
            Err(e) => panic!("invalid settings: {e}"),
        }
    }

    /// The state, or why the settings cannot work (a malformed SMTP URL or From address).
    pub fn try_new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> Result<Self, String> {
        let paging = Arc::new(paging::Paging::new(&settings.paging)?);
        let wake = Arc::new(std::sync::OnceLock::<Arc<intake::Intake>>::new());
        let wake_in_task = wake.clone();
        let appender = intake::log::Appender::start(store.clone(), move || {
            if let Some(i) = wake_in_task.get() {
                i.appended.notify_one();
            }
        });
        let intake = Arc::new(intake::Intake::new(appender));
        let _ = wake.set(intake.clone());
        Ok(Self {
            store,
            clock,
            settings: Arc::new(settings),
            rate_limiter: Arc::default(),
            intake,
            paging,
            web: Arc::default(),
        })
    }

    /// Starts the background work: the intake processor, the heartbeat monitor, the
    /// escalation timer worker and the outbox worker.
    pub fn start_background(&self) {
        tokio::spawn(intake::processor::run(self.clone()));
        tokio::spawn(intake::heartbeat::run(self.clone()));
        tokio::spawn(paging::worker::run(self.clone()));
        tokio::spawn(paging::outbox::run(self.clone()));
    }
}
