//! On-call: schedules (rotations in layers, restrictions, overrides) and who they put on call,
//! escalation policies and how an unacknowledged page climbs them, and the iCalendar feed of
//! shifts. Pure: instants are UTC epoch milliseconds; calendar work happens in the schedule's
//! IANA time zone with jiff.

pub mod escalation;
pub mod ics;
pub mod schedule;

pub use escalation::{EscalationLevel, EscalationPolicy, Step, Target};
pub use schedule::{Day, Layer, Override, Restriction, Rota, Shift, ShiftSource, Turn, TurnUnit};

#[cfg(test)]
mod tests;
