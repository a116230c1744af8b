//! The incident state machine: states, the transition table and the reasons some moves require.

use serde::{Deserialize, Serialize};

/// Where an incident is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Acknowledged,
    InProgress,
    OnHold,
    Resolved,
    Closed,
    Canceled,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::New,
        Status::Acknowledged,
        Status::InProgress,
        Status::OnHold,
        Status::Resolved,
        Status::Closed,
        Status::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::InProgress => "in_progress",
            Status::OnHold => "on_hold",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| {
            format!(
                "unknown status {s:?}; one of new, acknowledged, in_progress, on_hold, resolved, closed, canceled"
            )
        })
    }

    /// The states this one may move to, in a stable order. This is the whole transition table.
    pub fn allowed_next(self) -> &'static [Status] {
        use Status::*;
        match self {
            New => &[Acknowledged, InProgress, OnHold, Resolved, Canceled],
            Acknowledged => &[InProgress, OnHold, Resolved, Canceled],
            InProgress => &[OnHold, Resolved, Canceled],
            OnHold => &[InProgress, Resolved, Canceled],
            Resolved => &[InProgress, Closed],
            Closed | Canceled => &[],
        }
    }

    pub fn can_move_to(self, to: Status) -> bool {
        self.allowed_next().contains(&to)
    }

    /// Closed and canceled incidents never change state again.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Canceled)
    }

    /// Still needs work (not resolved, closed or canceled).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed | Status::Canceled)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! reason_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|r| r.as_str() == s).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|r| r.as_str()).collect();
                    format!("must be one of {}, got {s:?}", names.join(", "))
                })
            }
        }
    };
}

reason_enum!(
    /// Why an incident waits.
    HoldReason {
        AwaitingCaller => "awaiting_caller",
        AwaitingVendor => "awaiting_vendor",
        AwaitingChange => "awaiting_change",
        AwaitingProblem => "awaiting_problem",
    }
);

reason_enum!(
    /// Why an incident was canceled.
    CancelReason {
        Duplicate => "duplicate",
        FalseAlarm => "false_alarm",
        NotAnIncident => "not_an_incident",
        WithdrawnByCaller => "withdrawn_by_caller",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_states_allow_nothing() {
        assert!(Status::Closed.allowed_next().is_empty());
        assert!(Status::Canceled.allowed_next().is_empty());
        assert!(Status::Resolved.can_move_to(Status::InProgress));
        assert!(!Status::InProgress.can_move_to(Status::Acknowledged));
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()).unwrap(), s);
        }
        assert!(Status::parse("open").is_err());
        assert_eq!(
            HoldReason::parse("awaiting_vendor").unwrap(),
            HoldReason::AwaitingVendor
        );
        assert!(
            CancelReason::parse("bored")
                .unwrap_err()
                .contains("duplicate")
        );
    }
}
