//! Time as the domain sees it: UTC epoch milliseconds handed in by a [`Clock`].
//! The domain never reads the wall clock itself, so tests and simulations control time.

use std::sync::atomic::{AtomicI64, Ordering};

/// An instant as UTC epoch milliseconds.
pub type Millis = i64;

/// A source of the current instant.
pub trait Clock: Send + Sync {
    /// The current instant in UTC epoch milliseconds.
    fn now_ms(&self) -> Millis;
}

/// A clock that shows whatever it was last set to; for tests and simulations.
#[derive(Debug, Default)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn new(at: Millis) -> Self {
        Self(AtomicI64::new(at))
    }
    pub fn set(&self, at: Millis) {
        self.0.store(at, Ordering::SeqCst);
    }
    pub fn advance(&self, by: Millis) {
        self.0.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}
