//! Mayday's alert intake: the wire formats monitoring tools speak, turned into Mayday's
//! normalized [`AlertEvent`](mayday_core::alert::AlertEvent)s and
//! [`ChangeEvent`](mayday_core::alert::ChangeEvent)s, plus the answers each format expects.
//!
//! - [`pagerduty`]: PagerDuty Events API v2 (alert and change events), wire-compatible.
//! - [`opsgenie`]: the Opsgenie Alert API's create, acknowledge and close.
//! - [`alertmanager`]: Prometheus Alertmanager's webhook (version 4), one event per alert.
//! - [`generic`]: any JSON body, read through an integration's JSON Pointer mapping.
//!
//! Everything here is pure: no I/O, no clock reads, no randomness. Times are epoch
//! milliseconds; where a format lets the sender omit the dedup key, the caller supplies a
//! closure that makes one, called only when the event is otherwise valid.

pub mod alertmanager;
pub mod generic;
pub mod opsgenie;
pub mod pagerduty;
mod util;
