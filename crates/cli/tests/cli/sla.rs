//! `mayday sla ...` end to end: policies, calendars, an incident's clocks.
