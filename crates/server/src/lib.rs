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
pub mod services;
pub mod setup;

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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            priority_matrix: PriorityMatrix::default(),
            rate_limit: Some(api::rate_limit::RateLimit::default()),
            intake: intake::IntakeSettings::default(),
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
}

impl AppState {
    /// The state, with the intake log's appender started (needs a Tokio runtime).
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        let wake = Arc::new(std::sync::OnceLock::<Arc<intake::Intake>>::new());
        let wake_in_task = wake.clone();
        let appender = intake::log::Appender::start(store.clone(), move || {
            if let Some(i) = wake_in_task.get() {
                i.appended.notify_one();
            }
        });
        let intake = Arc::new(intake::Intake::new(appender));
        let _ = wake.set(intake.clone());
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            rate_limiter: Arc::default(),
            intake,
        }
    }

    /// Starts the background work: the intake processor and the heartbeat monitor.
    pub fn start_background(&self) {
        tokio::spawn(intake::processor::run(self.clone()));
        tokio::spawn(intake::heartbeat::run(self.clone()));
    }
}
