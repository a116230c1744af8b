//! Configuration: a TOML file, overridden by `MAYDAY_*` environment variables, overridden by
//! flags. Every problem in a file is reported with the key it concerns.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mayday_core::PriorityMatrix;
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

pub fn parse_listen(text: &str) -> anyhow::Result<SocketAddr> {
    match text.parse() {
        Ok(a) => Ok(a),
        Err(_) => bail!("listen address must look like 127.0.0.1:8080, got {text:?}"),
    }
}
