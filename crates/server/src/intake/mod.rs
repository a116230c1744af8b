//! Alert intake at run time. An accepted event flows: wire-format handler (api/intake.rs) →
//! [`log::Appender`] (group commit: many events share one durable transaction; the 202 is sent
//! after it commits) → intake log table → [`processor`] (in arrival order, one transaction per
//! batch that also consumes the entries, so each is processed exactly once, also after a crash)
//! → alerts, incidents and timeline events. [`heartbeat`] watches heartbeat integrations.

pub mod heartbeat;
pub mod log;
pub mod processor;

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mayday_core::Millis;
use mayday_core::alert::AlertPriorityMapping;
use mayday_store::{Integration, Store};
use serde::Serialize;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::api::rate_limit::RateLimiter;

/// How long a looked-up integration is trusted before it is read again (other nodes may change
/// or delete it).
const CACHE_TTL: Duration = Duration::from_secs(2);
/// How many lag samples are kept for the percentiles.
const LAG_SAMPLES: usize = 200_000;

/// Intake settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeSettings {
    pub mapping: AlertPriorityMapping,
    /// Entries processed per transaction.
    pub batch_size: i64,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        Self {
            mapping: AlertPriorityMapping::default(),
            batch_size: 500,
        }
    }
}

/// Shared intake state: the appender, the integration cache, per-key rate limits and figures.
pub struct Intake {
    pub appender: log::Appender,
    /// Wakes the processor when entries were appended on this node.
    pub appended: Notify,
    cache: Mutex<HashMap<String, (Option<Integration>, Instant)>>,
    pub key_limits: RateLimiter<Uuid>,
    /// Requests with unknown keys per client address (guessing keys, or a misconfigured sender).
    pub key_failures: RateLimiter<std::net::IpAddr>,
    pub stats: IntakeStats,
}

impl Intake {
    pub fn new(appender: log::Appender) -> Self {
        Self {
            appender,
            appended: Notify::new(),
            cache: Mutex::new(HashMap::new()),
            key_limits: RateLimiter::default(),
            key_failures: RateLimiter::default(),
            stats: IntakeStats::default(),
        }
    }

    /// The integration holding `key`, from the cache when fresh.
    pub async fn integration(
        &self,
        store: &dyn Store,
        key: &str,
    ) -> mayday_store::StoreResult<Option<Integration>> {
        let now = Instant::now();
        if let Some((found, at)) = self.lock_cache().get(key)
            && now.duration_since(*at) < CACHE_TTL
        {
            return Ok(found.clone());
        }
        let found = store.integration_by_key(key).await?;
        let mut cache = self.lock_cache();
        if cache.len() > 10_000 {
            cache.retain(|_, (_, at)| now.duration_since(*at) < CACHE_TTL);
        }
        cache.insert(key.to_string(), (found.clone(), now));
        Ok(found)
    }

    /// Forgets cached lookups (after an integration changed on this node).
    pub fn forget(&self, key: &str) {
        self.lock_cache().remove(key);
    }

    fn lock_cache(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (Option<Integration>, Instant)>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Counters and the lag from acceptance (202) to the processed result being committed.
#[derive(Debug, Default)]
pub struct IntakeStats {
    pub accepted: AtomicU64,
    pub processed: AtomicU64,
    lags: Mutex<VecDeque<u32>>,
}

/// Lag percentiles in milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LagSummary {
    pub count: usize,
    pub p50: u32,
    pub p99: u32,
    pub max: u32,
}

impl IntakeStats {
    pub fn record_processed(&self, received: &[Millis], committed_at: Millis) {
        self.processed
            .fetch_add(received.len() as u64, Ordering::Relaxed);
        let mut lags = self.lags.lock().unwrap_or_else(|e| e.into_inner());
        for r in received {
            if lags.len() == LAG_SAMPLES {
                lags.pop_front();
            }
            lags.push_back((committed_at - r).clamp(0, i64::from(u32::MAX)) as u32);
        }
    }

    /// Percentiles of the recent lags on this node.
    pub fn lag(&self) -> LagSummary {
        let mut v: Vec<u32> = self
            .lags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect();
        v.sort_unstable();
        let at = |q: f64| -> u32 {
            if v.is_empty() {
                0
            } else {
                v[((v.len() - 1) as f64 * q).round() as usize]
            }
        };
        LagSummary {
            count: v.len(),
            p50: at(0.5),
            p99: at(0.99),
            max: v.last().copied().unwrap_or(0),
        }
    }
}

/// After a person resolved, closed or canceled an incident: asks the processor (through the
/// log, so it happens in order with the alerts' own events) to resolve its open alerts. The
/// incident is already written; a failure here is logged, and the next trigger with such an
/// alert's key notices its incident ended anyway.
pub async fn incident_ended(state: &crate::AppState, incident_id: Uuid) {
    let alerts = match state.store.incident_alerts(incident_id).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "reading an ended incident's alerts failed");
            return;
        }
    };
    let integrations: std::collections::BTreeSet<Uuid> = alerts
        .iter()
        .filter(|a| a.status != mayday_core::alert::AlertStatus::Resolved)
        .map(|a| a.integration_id)
        .collect();
    if integrations.is_empty() {
        return;
    }
    let now = state.clock.now_ms();
    let entries = integrations
        .into_iter()
        .map(|integration_id| mayday_store::NewIntakeEntry {
            integration_id,
            received_at: now,
            record: mayday_core::alert::IntakeRecord::IncidentEnded { incident_id },
        })
        .collect();
    if let Err(e) = state.intake.appender.append(entries).await {
        tracing::warn!(error = %e, "queueing the end of an incident's alerts failed");
    }
}

/// A fresh integration key: 32 characters from a 62-letter alphabet (190 bits).
pub fn generate_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(mayday_core::alert::KEY_LEN);
    while out.len() < mayday_core::alert::KEY_LEN {
        let mut bytes = [0u8; 64];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        for b in bytes {
            // 248 = 4 × 62: reject the rest so every letter is equally likely.
            if b < 248 && out.len() < mayday_core::alert::KEY_LEN {
                out.push(ALPHABET[usize::from(b % 62)] as char);
            }
        }
    }
    out
}

/// A random dedup key for events that came without one (32 hex characters).
pub fn generate_dedup_key() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_32_alphanumerics_and_differ() {
        let a = generate_key();
        let b = generate_key();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn lag_percentiles() {
        let s = IntakeStats::default();
        let received: Vec<Millis> = (0..100).map(|i| 1000 - i).collect();
        s.record_processed(&received, 1000);
        let lag = s.lag();
        assert_eq!(lag.count, 100);
        assert_eq!(lag.max, 99);
        assert_eq!(lag.p50, 50);
        assert_eq!(lag.p99, 98);
    }
}
