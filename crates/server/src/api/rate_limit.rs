//! Request rate limiting per client address (token buckets), so one client cannot starve the
//! others or guess tokens quickly. Answers 429 with `Retry-After`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// Limits: sustained requests per second and the burst allowed above it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: 200.0,
            burst: 400.0,
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets keyed by client address (or by another key, such as an integration).
#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K> Default for RateLimiter<K> {
    fn default() -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: std::hash::Hash + Eq> RateLimiter<K> {
    /// Whether `key` has a token at `now`, without taking it; on refusal, the seconds until one
    /// is available.
    pub fn check(&self, limit: RateLimit, key: &K, now: Instant) -> Result<(), u64> {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let Some(b) = buckets.get(key) else {
            return Ok(());
        };
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        let tokens = (b.tokens + elapsed * limit.per_second).min(limit.burst);
        if tokens >= 1.0 {
            Ok(())
        } else {
            Err(((1.0 - tokens) / limit.per_second).ceil().max(1.0) as u64)
        }
    }

    /// Takes one token for `key` at `now`; on refusal, the seconds until one is available.
    pub fn take(&self, limit: RateLimit, key: K, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 100_000 {
            // Forget idle clients rather than grow without bound.
            buckets.retain(|_, b| {
                now.duration_since(b.at).as_secs_f64() * limit.per_second < limit.burst
            });
        }
        let b = buckets.entry(key).or_insert(Bucket {
            tokens: limit.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * limit.per_second).min(limit.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / limit.per_second).ceil().max(1.0) as u64)
        }
    }
}

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(limit) = state.settings.rate_limit else {
        return next.run(req).await;
    };
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    match state.rate_limiter.take(limit, ip, Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(retry_after) => {
            let mut res = ApiError::TooManyRequests(format!(
                "too many requests from this address; retry in {retry_after} s"
            ))
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                res.headers_mut().insert("retry-after", v);
            }
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills_at_the_rate() {
        let limiter: RateLimiter = RateLimiter::default();
        let limit = RateLimit {
            per_second: 2.0,
            burst: 3.0,
        };
        let ip = IpAddr::from([127, 0, 0, 1]);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take(limit, ip, t0).is_ok());
        }
        assert_eq!(limiter.take(limit, ip, t0), Err(1));
        assert!(
            limiter
                .take(limit, ip, t0 + Duration::from_millis(500))
                .is_ok()
        );
        assert!(
            limiter
                .take(limit, ip, t0 + Duration::from_millis(500))
                .is_err()
        );
        // Another client is not affected.
        assert!(limiter.take(limit, IpAddr::from([10, 0, 0, 1]), t0).is_ok());
    }
}
