//! How incidents and timeline events look on the wire: references become `{"id", "name"}`
//! objects, instants RFC 3339 UTC text, numbers `INC-000123`.

use std::collections::HashMap;

use mayday_core::timeline::{Actor, Event};
use mayday_core::{Incident, IncidentNumber, Priority};
use mayday_store::{EntityKind, IncidentRef, Store};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::clock::rfc3339;
use crate::error::ApiResult;

/// A reference to a user, team or service.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NamedRef {
    pub id: Uuid,
    /// Username, team name or service name; null if it was deleted.
    pub name: Option<String>,
}

/// A reference to another incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentLink {
    pub id: Uuid,
    /// `INC-000123`
    pub number: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActorView {
    /// `user`, `integration`, `rule` or `system`.
    pub kind: String,
    pub id: Option<Uuid>,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriorityOverrideView {
    /// P1..P5
    pub priority: String,
    pub reason: String,
    pub by: NamedRef,
    pub at: String,
}

/// An incident as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncidentView {
    pub id: Uuid,
    /// `INC-000123`
    pub number: String,
    /// Also sent as the `ETag`; `PATCH` needs it in `If-Match`.
    pub version: i64,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub reporter: NamedRef,
    /// portal, email, phone, chat, monitoring or api.
    pub source: String,
    pub category: String,
    pub subcategory: Option<String>,
    pub service: Option<NamedRef>,
    pub configuration_items: Vec<String>,
    /// 1 high .. 3 low
    pub impact: u8,
    /// 1 high .. 3 low
    pub urgency: u8,
    /// Effective priority, P1..P5.
    pub priority: String,
    /// What the matrix gives for impact × urgency.
    pub computed_priority: String,
    pub priority_override: Option<PriorityOverrideView>,
    pub assignment_group: Option<NamedRef>,
    pub assignee: Option<NamedRef>,
    pub escalation_level: i32,
    pub major: bool,
    pub confidential: bool,
    pub tags: Vec<String>,
    /// new, acknowledged, in_progress, on_hold, resolved, closed or canceled.
    pub status: String,
    /// The states this incident may move to now.
    pub allowed_transitions: Vec<String>,
    pub hold_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub started_at: String,
    pub detected_at: String,
    pub reported_at: String,
    pub acknowledged_at: Option<String>,
    pub mitigated_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub canceled_at: Option<String>,
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
    pub workaround: Option<String>,
    pub root_cause: Option<String>,
    pub reopen_count: i32,
    pub reassignment_count: i32,
    pub duplicate_of: Option<IncidentLink>,
    pub parent: Option<IncidentLink>,
    pub follow_up_of: Option<IncidentLink>,
    pub created_by: ActorView,
    pub created_at: String,
    pub updated_at: String,
}

/// One field's change on the timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeView {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// One timeline entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    /// Order of the event across the whole system.
    pub seq: i64,
    pub at: String,
    pub actor: ActorView,
    /// created, updated, transition, comment, mitigated or linked.
    pub kind: String,
    /// public or work_note.
    pub visibility: String,
    pub changes: Vec<ChangeView>,
    pub body: Option<String>,
}

fn enum_text<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

pub fn actor_view(a: &Actor) -> ActorView {
    ActorView {
        kind: enum_text(&a.kind),
        id: a.id,
        name: a.name.clone(),
    }
}

/// Resolves ids to names for one response, asking the store once per id.
pub struct Names<'a> {
    store: &'a dyn Store,
    entities: HashMap<(EntityKind, Uuid), Option<String>>,
    incidents: HashMap<Uuid, Option<String>>,
}

impl<'a> Names<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        Self {
            store,
            entities: HashMap::new(),
            incidents: HashMap::new(),
        }
    }

    /// Looks up, in one query, every user, team and service these incidents refer to.
    pub async fn prefetch(&mut self, incidents: &[Incident]) -> ApiResult<()> {
        let mut wanted: Vec<(EntityKind, Uuid)> = Vec::new();
        for i in incidents {
            wanted.push((EntityKind::User, i.reporter_id));
            wanted.extend(i.assignee_id.map(|id| (EntityKind::User, id)));
            wanted.extend(
                i.priority_override
                    .as_ref()
                    .map(|o| (EntityKind::User, o.by)),
            );
            wanted.extend(i.assignment_group_id.map(|id| (EntityKind::Team, id)));
            wanted.extend(i.service_id.map(|id| (EntityKind::Service, id)));
        }
        wanted.retain(|k| !self.entities.contains_key(k));
        wanted.sort_unstable_by_key(|k| k.1);
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = wanted.iter().map(|k| k.1).collect();
        let found: HashMap<Uuid, String> =
            self.store.entity_names(&ids).await?.into_iter().collect();
        for key in wanted {
            self.entities.insert(key, found.get(&key.1).cloned());
        }
        Ok(())
    }

    async fn named(&mut self, kind: EntityKind, id: Uuid) -> ApiResult<NamedRef> {
        if let Some(name) = self.entities.get(&(kind, id)) {
            return Ok(NamedRef {
                id,
                name: name.clone(),
            });
        }
        let mut name = self.store.get_entity(kind, id).await?.map(|e| e.name);
        if name.is_none() {
            // Not a named record of that kind: an integration (an alert's reporter), or gone.
            name = self.store.entity_names(&[id]).await?.pop().map(|(_, n)| n);
        }
        self.entities.insert((kind, id), name.clone());
        Ok(NamedRef { id, name })
    }

    async fn named_opt(
        &mut self,
        kind: EntityKind,
        id: Option<Uuid>,
    ) -> ApiResult<Option<NamedRef>> {
        match id {
            Some(id) => Ok(Some(self.named(kind, id).await?)),
            None => Ok(None),
        }
    }

    async fn incident(&mut self, id: Option<Uuid>) -> ApiResult<Option<IncidentLink>> {
        let Some(id) = id else { return Ok(None) };
        if let Some(n) = self.incidents.get(&id) {
            return Ok(Some(IncidentLink {
                id,
                number: n.clone(),
            }));
        }
        let number = self
            .store
            .get_incident(IncidentRef::Id(id))
            .await?
            .map(|i| IncidentNumber(i.number).to_string());
        self.incidents.insert(id, number.clone());
        Ok(Some(IncidentLink { id, number }))
    }

    pub async fn incident_view(
        &mut self,
        i: &Incident,
        computed: Priority,
    ) -> ApiResult<IncidentView> {
        let priority_override = match &i.priority_override {
            Some(o) => Some(PriorityOverrideView {
                priority: o.priority.to_string(),
                reason: o.reason.clone(),
                by: self.named(EntityKind::User, o.by).await?,
                at: rfc3339(o.at),
            }),
            None => None,
        };
        Ok(IncidentView {
            id: i.id,
            number: IncidentNumber(i.number).to_string(),
            version: i.version,
            title: i.title.clone(),
            description: i.description.clone(),
            reporter: self.named(EntityKind::User, i.reporter_id).await?,
            source: enum_text(&i.source),
            category: i.category.clone(),
            subcategory: i.subcategory.clone(),
            service: self.named_opt(EntityKind::Service, i.service_id).await?,
            configuration_items: i.configuration_items.clone(),
            impact: i.impact.get(),
            urgency: i.urgency.get(),
            priority: i.priority.to_string(),
            computed_priority: computed.to_string(),
            priority_override,
            assignment_group: self
                .named_opt(EntityKind::Team, i.assignment_group_id)
                .await?,
            assignee: self.named_opt(EntityKind::User, i.assignee_id).await?,
            escalation_level: i.escalation_level,
            major: i.major,
            confidential: i.confidential,
            tags: i.tags.clone(),
            status: i.status.as_str().to_string(),
            allowed_transitions: i
                .status
                .allowed_next()
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            hold_reason: i.hold_reason.map(|r| r.as_str().to_string()),
            cancel_reason: i.cancel_reason.map(|r| r.as_str().to_string()),
            started_at: rfc3339(i.started_at),
            detected_at: rfc3339(i.detected_at),
            reported_at: rfc3339(i.reported_at),
            acknowledged_at: i.acknowledged_at.map(rfc3339),
            mitigated_at: i.mitigated_at.map(rfc3339),
            resolved_at: i.resolved_at.map(rfc3339),
            closed_at: i.closed_at.map(rfc3339),
            canceled_at: i.canceled_at.map(rfc3339),
            resolution_code: i.resolution_code.clone(),
            resolution_notes: i.resolution_notes.clone(),
            workaround: i.workaround.clone(),
            root_cause: i.root_cause.clone(),
            reopen_count: i.reopen_count,
            reassignment_count: i.reassignment_count,
            duplicate_of: self.incident(i.duplicate_of).await?,
            parent: self.incident(i.parent_id).await?,
            follow_up_of: self.incident(i.follow_up_of).await?,
            created_by: actor_view(&i.created_by),
            created_at: rfc3339(i.created_at),
            updated_at: rfc3339(i.updated_at),
        })
    }
}

/// Timestamps inside changes are shown as RFC 3339 like everywhere else.
fn change_value(field: &str, v: &Value) -> Value {
    if field.ends_with("_at")
        && let Some(ms) = v.as_i64()
    {
        return Value::String(rfc3339(ms));
    }
    v.clone()
}

pub fn event_view(e: &Event) -> EventView {
    EventView {
        seq: e.seq,
        at: rfc3339(e.at),
        actor: actor_view(&e.actor),
        kind: enum_text(&e.kind),
        visibility: e.visibility.as_str().to_string(),
        changes: e
            .changes
            .iter()
            .map(|c| ChangeView {
                field: c.field.clone(),
                old: change_value(&c.field, &c.old),
                new: change_value(&c.field, &c.new),
            })
            .collect(),
        body: e.body.clone(),
    }
}
