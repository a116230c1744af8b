//! Roles and what each may do. Authorization decisions live here so every interface agrees.

use serde::{Deserialize, Serialize};

/// A user's role, from least to most powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads non-confidential incidents; never work notes.
    Viewer,
    /// Reports incidents, follows and comments publicly on their own, confirms resolutions.
    Requester,
    /// Works any incident.
    Agent,
    /// Agent plus team, service and taxonomy settings.
    Manager,
    /// Everything.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Viewer,
        Role::Requester,
        Role::Agent,
        Role::Manager,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Requester => "requester",
            Role::Agent => "agent",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("role must be one of viewer, requester, agent, manager, admin, got {s:?}")
            })
    }
    /// May read internal work notes and confidential incidents, and work any incident.
    pub fn is_responder(self) -> bool {
        self >= Role::Agent
    }
    /// May change teams, services, categories and templates.
    pub fn can_configure(self) -> bool {
        self >= Role::Manager
    }
    pub fn is_admin(self) -> bool {
        self == Role::Admin
    }
    /// Sees only incidents they reported.
    pub fn sees_only_own(self) -> bool {
        self == Role::Requester
    }
    pub fn sees_work_notes(self) -> bool {
        self.is_responder()
    }
}
