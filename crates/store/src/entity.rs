//! Typed views of the named records kept in the generic entity table.

use mayday_core::Role;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;
use uuid::Uuid;

use crate::{Entity, StoreError};

/// Which kind of named record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    User,
    Team,
    Service,
    Template,
    Category,
    ResolutionCode,
    Schedule,
    EscalationPolicy,
    /// A notification message template (named by the event it tells of).
    MessageTemplate,
    /// An SLA policy: which incidents it covers, its targets, calendar and pauses.
    SlaPolicy,
    /// Working hours in a time zone, with holidays, that SLA clocks count in.
    BusinessCalendar,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Team => "team",
            EntityKind::Service => "service",
            EntityKind::Template => "template",
            EntityKind::Category => "category",
            EntityKind::ResolutionCode => "resolution_code",
            EntityKind::Schedule => "schedule",
            EntityKind::EscalationPolicy => "escalation_policy",
            EntityKind::MessageTemplate => "message_template",
            EntityKind::SlaPolicy => "sla_policy",
            EntityKind::BusinessCalendar => "business_calendar",
        }
    }
}

/// The key names are unique by: case-insensitive.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A person who uses Mayday.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[serde(skip)]
    pub id: Uuid,
    #[serde(skip)]
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub time_zone: String,
    pub role: Role,
    pub active: bool,
    /// Where pages reach this person.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_methods: Vec<ContactMethod>,
    /// When each contact method is used after a page; none: every method at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notification_rules: Vec<NotificationRule>,
}

/// A way to reach a person: an email address or a webhook URL of some format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactMethod {
    pub id: Uuid,
    /// `email`, `webhook`, `slack`, `teams` or `mattermost`.
    pub kind: String,
    /// The email address or the URL.
    pub address: String,
    #[serde(default)]
    pub label: String,
    /// The HMAC secret signing webhook-style deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Use a contact method this long after being paged (0: at once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRule {
    pub id: Uuid,
    pub contact_method_id: Uuid,
    pub delay_minutes: u32,
}

/// A group of people that incidents are assigned to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    #[serde(skip)]
    pub id: Uuid,
    #[serde(skip)]
    pub name: String,
    pub description: String,
    pub members: Vec<Uuid>,
    /// Who of the team is on call (an escalation level naming the team pages it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_id: Option<Uuid>,
    /// Pages for incidents assigned to the team when their service has no policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation_policy_id: Option<Uuid>,
}

/// Something that breaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    #[serde(skip)]
    pub id: Uuid,
    #[serde(skip)]
    pub name: String,
    pub description: String,
    pub owner_team_id: Option<Uuid>,
    /// Criticality: 1 most critical .. 3.
    pub tier: u8,
    /// The category of incidents its alerts open (`monitoring` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_category: Option<String>,
    /// When its new alerts are recorded without paging.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintenance_windows: Vec<mayday_core::alert::MaintenanceWindow>,
    /// Who is paged when an incident opens on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation_policy_id: Option<Uuid>,
}

/// An on-call schedule: its rotations, restrictions and overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    #[serde(skip)]
    pub id: Uuid,
    #[serde(skip)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(flatten)]
    pub rota: mayday_core::oncall::Rota,
}

/// An escalation policy: levels of targets with delays, repeated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    #[serde(skip)]
    pub id: Uuid,
    #[serde(skip)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(flatten)]
    pub policy: mayday_core::oncall::EscalationPolicy,
}

/// A named set of fields that pre-fill a new incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    #[serde(skip)]
    pub id: Uuid,
    #[serde(skip)]
    pub name: String,
    pub description: String,
    /// Incident fields as the create request spells them.
    pub fields: serde_json::Map<String, Value>,
}

/// Builds the typed record from a stored entity (id and name come from the entity's columns).
pub fn decode_entity<T: DeserializeOwned + Named>(e: &Entity) -> Result<T, StoreError> {
    let mut t: T = serde_json::from_value(e.doc.clone()).map_err(|err| {
        StoreError::Backend(format!("corrupt {} {}: {err}", e.kind.as_str(), e.id))
    })?;
    t.set_identity(e.id, e.name.clone());
    Ok(t)
}

/// The JSON document stored for a typed record.
pub fn encode_entity<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// Records whose id and name live in the entity's columns.
pub trait Named {
    fn set_identity(&mut self, id: Uuid, name: String);
}

macro_rules! named {
    ($t:ty, $name:ident) => {
        impl Named for $t {
            fn set_identity(&mut self, id: Uuid, name: String) {
                self.id = id;
                self.$name = name;
            }
        }
    };
}
named!(User, username);
named!(Team, name);
named!(Service, name);
named!(Template, name);
named!(Schedule, name);
named!(Policy, name);
named!(mayday_core::sla::SlaPolicy, name);
named!(mayday_core::sla::BusinessCalendar, name);
