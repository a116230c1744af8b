//! The wall clock, read here at the edge and handed to the domain through `Clock`.

use mayday_core::{Clock, Millis};

/// Reads the system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or(0)
    }
}

/// RFC 3339 UTC text of an instant (what the API puts on the wire).
pub fn rfc3339(ms: Millis) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Parses an RFC 3339 instant (any offset) into epoch milliseconds.
pub fn parse_rfc3339(s: &str) -> Result<Millis, String> {
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| format!("must be an RFC 3339 time such as 2026-01-31T09:30:00Z, got {s:?}"))
}
