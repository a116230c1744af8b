//! Configuration: a TOML file, overridden by `MAYDAY_*` environment variables, overridden by
//! flags. Every problem in a file is reported with the key it concerns.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mayday_core::PriorityMatrix;
use mayday_server::api::rate_limit::RateLimit;
use serde::Deserialize;

/// The configuration file's shape.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<String>,
    #[serde(default)]
    pub priority: PriorityConfig,
    #[serde(default)]
    pub rate_limit: RateLimitConfig,
}

/// Requests per client address; `per_second = 0` turns limiting off.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    pub per_second: Option<f64>,
    pub burst: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityConfig {
    /// Rows impact 1..3, columns urgency 1..3, values priority levels 1..5.
    pub matrix: Option<Vec<Vec<i64>>>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read configuration file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("invalid configuration file {}", path.display()))
    }

    pub fn priority_matrix(&self) -> anyhow::Result<PriorityMatrix> {
        match &self.priority.matrix {
            None => Ok(PriorityMatrix::default()),
            Some(rows) => PriorityMatrix::from_levels(rows).map_err(|e| anyhow::anyhow!("{e}")),
        }
    }
}

impl FileConfig {
    pub fn rate_limit(&self) -> anyhow::Result<Option<RateLimit>> {
        let default = RateLimit::default();
        let per_second = self.rate_limit.per_second.unwrap_or(default.per_second);
        let burst = self
            .rate_limit
            .burst
            .unwrap_or(default.burst.max(per_second));
        if per_second == 0.0 {
            return Ok(None);
        }
        if !per_second.is_finite() || per_second < 0.0 {
            bail!("rate_limit.per_second must be a positive number (0 turns limiting off)");
        }
        if !burst.is_finite() || burst < 1.0 {
            bail!("rate_limit.burst must be at least 1");
        }
        Ok(Some(RateLimit { per_second, burst }))
    }
}

pub fn parse_listen(text: &str) -> anyhow::Result<SocketAddr> {
    match text.parse() {
        Ok(a) => Ok(a),
        Err(_) => bail!("listen address must look like 127.0.0.1:8080, got {text:?}"),
    }
}
