//! (being written) On-call directory use cases: schedules, escalation policies, contact methods.
