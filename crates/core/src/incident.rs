//! The incident aggregate: its fields, how it is logged, patched and moved through its states.
//! Every command validates first, then changes the incident and returns the timeline events
//! that describe the change; a refused command changes nothing.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::clock::Millis;
use crate::error::ValidationErrors;
use crate::priority::{Impact, Priority, PriorityMatrix, Urgency};
use crate::state::{CancelReason, HoldReason, Status};
use crate::timeline::{Actor, Event, EventKind, FieldChange, Visibility};

/// Longest title accepted.
pub const MAX_TITLE: usize = 200;
/// Longest description, note or comment accepted (bytes).
pub const MAX_TEXT: usize = 64 * 1024;
/// Most tags on one incident.
pub const MAX_TAGS: usize = 32;

/// The human number of an incident: `INC-000123`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IncidentNumber(pub i64);

impl std::fmt::Display for IncidentNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "INC-{:06}", self.0)
    }
}

impl IncidentNumber {
    /// Parses `INC-000123` (case-insensitive, at least one digit).
    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.get(..4).filter(|p| p.eq_ignore_ascii_case("INC-"))?;
        let digits = &s[rest.len()..];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().filter(|n| *n > 0).map(IncidentNumber)
    }
}

/// How the incident reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Portal,
    Email,
    Phone,
    Chat,
    Monitoring,
    Api,
}

impl Source {
    pub fn parse(s: &str) -> Result<Self, String> {
        serde_json::from_value(Value::String(s.to_string())).map_err(|_| {
            format!("must be one of portal, email, phone, chat, monitoring, api, got {s:?}")
        })
    }
}

/// A manual priority that wins over the matrix until cleared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityOverride {
    pub priority: Priority,
    pub reason: String,
    pub by: Uuid,
    pub at: Millis,
}

/// An unplanned interruption or reduction in quality of an IT service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: Uuid,
    /// Assigned by the store on creation; 0 before.
    pub number: i64,
    /// Bumped by every write; optimistic concurrency compares it.
    pub version: i64,
    pub title: String,
    pub description: String,
    pub reporter_id: Uuid,
    pub source: Source,
    pub category: String,
    pub subcategory: Option<String>,
    pub service_id: Option<Uuid>,
    pub configuration_items: Vec<String>,
    pub impact: Impact,
    pub urgency: Urgency,
    /// The effective priority: the override if any, else the matrix's.
    pub priority: Priority,
    pub priority_override: Option<PriorityOverride>,
    pub assignment_group_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub escalation_level: i32,
    pub major: bool,
    /// Hidden from viewers.
    pub confidential: bool,
    pub tags: Vec<String>,
    pub status: Status,
    pub hold_reason: Option<HoldReason>,
    pub cancel_reason: Option<CancelReason>,
    pub started_at: Millis,
    pub detected_at: Millis,
    pub reported_at: Millis,
    pub acknowledged_at: Option<Millis>,
    pub mitigated_at: Option<Millis>,
    pub resolved_at: Option<Millis>,
    pub closed_at: Option<Millis>,
    pub canceled_at: Option<Millis>,
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
    pub workaround: Option<String>,
    pub root_cause: Option<String>,
    pub reopen_count: i32,
    pub reassignment_count: i32,
    pub duplicate_of: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub follow_up_of: Option<Uuid>,
    pub created_by: Actor,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// The time of the latest event; later writes never take an earlier time.
    pub last_event_at: Millis,
    /// Its SLA clocks (response, resolution), kept by every write that changes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sla: Vec<crate::sla::SlaInstance>,
}

/// What a caller supplies to log an incident, with references already resolved to ids.
/// `None` means "not given": mandatory ones are reported together by [`NewIncident::validate`].
#[derive(Debug, Clone, Default)]
pub struct NewIncident {
    pub title: Option<String>,
    pub description: Option<String>,
    pub reporter_id: Option<Uuid>,
    pub source: Option<Source>,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub service_id: Option<Uuid>,
    pub configuration_items: Vec<String>,
    pub impact: Option<Impact>,
    pub urgency: Option<Urgency>,
    pub assignment_group_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub major: bool,
    pub confidential: bool,
    pub tags: Vec<String>,
    pub started_at: Option<Millis>,
    pub detected_at: Option<Millis>,
    pub parent_id: Option<Uuid>,
    pub follow_up_of: Option<Uuid>,
}

/// A change to some fields. Outer `None`: leave as is; `Some(None)`: clear.
#[derive(Debug, Clone, Default)]
pub struct IncidentPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub reporter_id: Option<Uuid>,
    pub source: Option<Source>,
    pub category: Option<String>,
    pub subcategory: Option<Option<String>>,
    pub service_id: Option<Option<Uuid>>,
    pub configuration_items: Option<Vec<String>>,
    pub impact: Option<Impact>,
    pub urgency: Option<Urgency>,
    /// `Some(Some((p, reason)))` overrides, `Some(None)` clears the override.
    pub priority_override: Option<Option<(Priority, String)>>,
    pub assignment_group_id: Option<Option<Uuid>>,
    pub assignee_id: Option<Option<Uuid>>,
    pub major: Option<bool>,
    pub confidential: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub workaround: Option<Option<String>>,
    pub root_cause: Option<Option<String>>,
    pub started_at: Option<Millis>,
    pub parent_id: Option<Option<Uuid>>,
}

/// A request to move an incident to another state, with the fields that move requires.
#[derive(Debug, Clone, Default)]
pub struct TransitionRequest {
    pub to: Option<Status>,
    pub reason: Option<String>,
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
    pub duplicate_of: Option<Uuid>,
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    /// The input is malformed or incomplete (HTTP 422).
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// The state machine forbids the move (HTTP 409).
    #[error("cannot move from {from} to {to}")]
    IllegalTransition {
        from: Status,
        to: Status,
        allowed: Vec<Status>,
    },
    /// The incident is closed or canceled and cannot change (HTTP 409).
    #[error("incident is {0} and can no longer change")]
    Final(Status),
}

/// Everything a command needs besides the incident: when, who, and the priority matrix.
#[derive(Debug, Clone)]
pub struct CommandContext<'a> {
    pub now: Millis,
    pub actor: Actor,
    pub matrix: &'a PriorityMatrix,
    /// Resolution codes that exist (the configurable taxonomy).
    pub resolution_codes: &'a [String],
}

fn check_title(errors: &mut ValidationErrors, field: &str, title: &str) {
    let t = title.trim();
    if t.is_empty() {
        errors.add(field, "must not be empty");
    } else if t.chars().count() > MAX_TITLE {
        errors.add(field, format!("must be at most {MAX_TITLE} characters"));
    }
}

fn check_text(errors: &mut ValidationErrors, field: &str, text: &str, required: bool) {
    if required && text.trim().is_empty() {
        errors.add(field, "must not be empty");
    } else if text.len() > MAX_TEXT {
        errors.add(field, format!("must be at most {MAX_TEXT} bytes"));
    }
}

fn check_tags(errors: &mut ValidationErrors, tags: &[String]) {
    if tags.len() > MAX_TAGS {
        errors.add("tags", format!("at most {MAX_TAGS} tags"));
    }
    if tags
        .iter()
        .any(|t| t.trim().is_empty() || t.chars().count() > 64)
    {
        errors.add("tags", "each tag must be 1 to 64 characters");
    }
}

fn normalize_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_lowercase();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

impl NewIncident {
    /// Checks mandatory fields and value rules, naming every problem at once.
    pub fn validate(&self, now: Millis, errors: &mut ValidationErrors) {
        match &self.title {
            None => errors.add("title", "is required"),
            Some(t) => check_title(errors, "title", t),
        }
        match &self.description {
            None => errors.add("description", "is required"),
            Some(d) => check_text(errors, "description", d, true),
        }
        if self.reporter_id.is_none() {
            errors.add("reporter", "is required");
        }
        if self.impact.is_none() {
            errors.add("impact", "is required");
        }
        if self.urgency.is_none() {
            errors.add("urgency", "is required");
        }
        if self.category.is_none() {
            errors.add("category", "is required");
        }
        check_tags(errors, &self.tags);
        if self.detected_at.is_some_and(|d| d > now) {
            errors.add("detected_at", "must not be in the future");
        }
        if self.started_at.is_some_and(|s| s > now) {
            errors.add("started_at", "must not be in the future");
        }
        if let (Some(s), Some(d)) = (self.started_at, self.detected_at)
            && s > d
        {
            errors.add("started_at", "must not be after detected_at");
        }
    }
}

impl Incident {
    /// Logs a new incident. The store assigns its number.
    pub fn open(
        id: Uuid,
        new: NewIncident,
        ctx: &CommandContext<'_>,
    ) -> Result<(Incident, Event), CommandError> {
        let mut errors = ValidationErrors::new();
        new.validate(ctx.now, &mut errors);
        errors.into_result()?;
        let (Some(title), Some(description), Some(reporter_id)) =
            (new.title, new.description, new.reporter_id)
        else {
            unreachable!("validated above")
        };
        let (Some(impact), Some(urgency), Some(category)) = (new.impact, new.urgency, new.category)
        else {
            unreachable!("validated above")
        };
        let now = ctx.now;
        let detected_at = new.detected_at.unwrap_or(now);
        let started_at = new.started_at.unwrap_or(detected_at).min(detected_at);
        let incident = Incident {
            id,
            number: 0,
            version: 1,
            title: title.trim().to_string(),
            description,
            reporter_id,
            source: new.source.unwrap_or(Source::Api),
            category,
            subcategory: new.subcategory,
            service_id: new.service_id,
            configuration_items: new.configuration_items,
            impact,
            urgency,
            priority: ctx.matrix.priority(impact, urgency),
            priority_override: None,
            assignment_group_id: new.assignment_group_id,
            assignee_id: new.assignee_id,
            escalation_level: 0,
            major: new.major,
            confidential: new.confidential,
            tags: normalize_tags(new.tags),
            status: Status::New,
            hold_reason: None,
            cancel_reason: None,
            started_at,
            detected_at,
            reported_at: now,
            acknowledged_at: None,
            mitigated_at: None,
            resolved_at: None,
            closed_at: None,
            canceled_at: None,
            resolution_code: None,
            resolution_notes: None,
            workaround: None,
            root_cause: None,
            reopen_count: 0,
            reassignment_count: 0,
            duplicate_of: None,
            parent_id: new.parent_id,
            follow_up_of: new.follow_up_of,
            created_by: ctx.actor.clone(),
            created_at: now,
            updated_at: now,
            last_event_at: now,
            sla: Vec::new(),
        };
        let event = Event {
            seq: 0,
            incident_id: id,
            at: now,
            actor: ctx.actor.clone(),
            kind: EventKind::Created,
            visibility: Visibility::Public,
            changes: vec![
                change("status", Value::Null, json!("new")),
                change("priority", Value::Null, json!(incident.priority)),
            ],
            body: None,
        };
        Ok((incident, event))
    }

    /// The instant a write made now takes: never before the incident's latest event, so clock
    /// skew between nodes cannot make its times run backwards.
    pub fn event_time(&self, now: Millis) -> Millis {
        now.max(self.last_event_at)
    }

    fn touch(&mut self, at: Millis) {
        self.updated_at = at;
        self.last_event_at = at;
    }

    fn event(
        &self,
        at: Millis,
        ctx: &CommandContext<'_>,
        kind: EventKind,
        changes: Vec<FieldChange>,
    ) -> Event {
        Event {
            seq: 0,
            incident_id: self.id,
            at,
            actor: ctx.actor.clone(),
            kind,
            visibility: Visibility::Public,
            changes,
            body: None,
        }
    }

    /// The priority the matrix gives for the current impact and urgency.
    pub fn computed_priority(&self, matrix: &PriorityMatrix) -> Priority {
        matrix.priority(self.impact, self.urgency)
    }

    /// Applies a field patch. Returns `None` when nothing actually changed.
    pub fn apply_patch(
        &mut self,
        patch: IncidentPatch,
        ctx: &CommandContext<'_>,
    ) -> Result<Option<Event>, CommandError> {
        if self.status.is_final() {
            return Err(CommandError::Final(self.status));
        }
        let mut errors = ValidationErrors::new();
        if let Some(t) = &patch.title {
            check_title(&mut errors, "title", t);
        }
        if let Some(d) = &patch.description {
            check_text(&mut errors, "description", d, true);
        }
        if let Some(tags) = &patch.tags {
            check_tags(&mut errors, tags);
        }
        for (field, text) in [
            ("workaround", &patch.workaround),
            ("root_cause", &patch.root_cause),
        ] {
            if let Some(Some(t)) = text {
                check_text(&mut errors, field, t, false);
            }
        }
        if let Some(Some((_, reason))) = &patch.priority_override
            && reason.trim().is_empty()
        {
            errors.add("reason", "is required to override the priority");
        }
        if let Some(s) = patch.started_at
            && s > self.detected_at
        {
            errors.add("started_at", "must not be after detected_at");
        }
        if patch.parent_id == Some(Some(self.id)) {
            errors.add("parent", "an incident cannot be its own parent");
        }
        errors.into_result()?;

        let at = self.event_time(ctx.now);
        let mut changes = Vec::new();
        macro_rules! set {
            ($field:ident, $name:literal) => {
                if let Some(v) = patch.$field {
                    if self.$field != v {
                        changes.push(change($name, json!(self.$field), json!(v)));
                        self.$field = v;
                    }
                }
            };
        }
        set!(title, "title");
        set!(description, "description");
        set!(reporter_id, "reporter");
        set!(source, "source");
        set!(category, "category");
        set!(subcategory, "subcategory");
        set!(service_id, "service");
        set!(configuration_items, "configuration_items");
        set!(impact, "impact");
        set!(urgency, "urgency");
        set!(assignee_id, "assignee");
        set!(major, "major");
        set!(confidential, "confidential");
        set!(workaround, "workaround");
        set!(root_cause, "root_cause");
        set!(started_at, "started_at");
        set!(parent_id, "parent");
        if let Some(tags) = patch.tags.map(normalize_tags)
            && tags != self.tags
        {
            changes.push(change("tags", json!(self.tags), json!(tags)));
            self.tags = tags;
        }
        if let Some(group) = patch.assignment_group_id
            && group != self.assignment_group_id
        {
            changes.push(change(
                "assignment_group",
                json!(self.assignment_group_id),
                json!(group),
            ));
            if self.assignment_group_id.is_some() {
                changes.push(change(
                    "reassignment_count",
                    json!(self.reassignment_count),
                    json!(self.reassignment_count + 1),
                ));
                self.reassignment_count += 1;
            }
            self.assignment_group_id = group;
        }
        if let Some(ov) = patch.priority_override {
            let new = ov.map(|(priority, reason)| PriorityOverride {
                priority,
                reason: reason.trim().to_string(),
                by: ctx.actor.id.unwrap_or_default(),
                at,
            });
            let differs = match (&self.priority_override, &new) {
                (None, None) => false,
                (Some(a), Some(b)) => a.priority != b.priority || a.reason != b.reason,
                _ => true,
            };
            if differs {
                changes.push(change(
                    "priority_override",
                    json!(self.priority_override),
                    json!(new),
                ));
                self.priority_override = new;
            }
        }
        let effective = self
            .priority_override
            .as_ref()
            .map(|o| o.priority)
            .unwrap_or_else(|| self.computed_priority(ctx.matrix));
        if effective != self.priority {
            changes.push(change("priority", json!(self.priority), json!(effective)));
            self.priority = effective;
        }
        if changes.is_empty() {
            return Ok(None);
        }
        self.touch(at);
        Ok(Some(self.event(at, ctx, EventKind::Updated, changes)))
    }

    /// Moves the incident to another state, checking the table and the move's required fields.
    pub fn transition(
        &mut self,
        req: TransitionRequest,
        ctx: &CommandContext<'_>,
    ) -> Result<Event, CommandError> {
        let Some(to) = req.to else {
            return Err(ValidationErrors::single("to", "is required").into());
        };
        let from = self.status;
        if !from.can_move_to(to) {
            return Err(CommandError::IllegalTransition {
                from,
                to,
                allowed: from.allowed_next().to_vec(),
            });
        }
        let mut errors = ValidationErrors::new();
        let mut hold = None;
        let mut cancel = None;
        match to {
            Status::OnHold => match req.reason.as_deref() {
                None => errors.add("reason", "is required to put an incident on hold"),
                Some(r) => match HoldReason::parse(r) {
                    Ok(r) => hold = Some(r),
                    Err(e) => errors.add("reason", e),
                },
            },
            Status::Canceled => {
                match req.reason.as_deref() {
                    None => errors.add("reason", "is required to cancel an incident"),
                    Some(r) => match CancelReason::parse(r) {
                        Ok(r) => cancel = Some(r),
                        Err(e) => errors.add("reason", e),
                    },
                }
                if cancel == Some(CancelReason::Duplicate) && req.duplicate_of.is_none() {
                    errors.add("duplicate_of", "is required when the reason is duplicate");
                }
                if req.duplicate_of == Some(self.id) {
                    errors.add("duplicate_of", "an incident cannot duplicate itself");
                }
            }
            Status::Resolved => {
                match req.resolution_code.as_deref() {
                    None => errors.add("resolution_code", "is required to resolve"),
                    Some(c) if !ctx.resolution_codes.iter().any(|k| k == c) => errors.add(
                        "resolution_code",
                        format!(
                            "unknown resolution code {c:?}; one of {}",
                            ctx.resolution_codes.join(", ")
                        ),
                    ),
                    Some(_) => {}
                }
                match req.resolution_notes.as_deref() {
                    None => errors.add("resolution_notes", "is required to resolve"),
                    Some(n) => check_text(&mut errors, "resolution_notes", n, true),
                }
            }
            _ => {}
        }
        errors.into_result()?;

        let at = self.event_time(ctx.now);
        let mut changes = vec![change("status", json!(from), json!(to))];
        macro_rules! set {
            ($field:ident, $name:literal, $value:expr) => {{
                let v = $value;
                if self.$field != v {
                    changes.push(change($name, json!(self.$field), json!(v)));
                    self.$field = v;
                }
            }};
        }
        if from == Status::New
            && self.acknowledged_at.is_none()
            && (to == Status::Acknowledged || ctx.actor.is_person())
        {
            set!(acknowledged_at, "acknowledged_at", Some(at));
        }
        if from == Status::OnHold {
            set!(hold_reason, "hold_reason", None);
        }
        match to {
            Status::OnHold => set!(hold_reason, "hold_reason", hold),
            Status::Resolved => {
                if self.mitigated_at.is_none() {
                    set!(mitigated_at, "mitigated_at", Some(at));
                }
                set!(resolved_at, "resolved_at", Some(at));
                set!(resolution_code, "resolution_code", req.resolution_code);
                set!(
                    resolution_notes,
                    "resolution_notes",
                    req.resolution_notes.map(|n| n.trim().to_string())
                );
            }
            Status::InProgress if from == Status::Resolved => {
                set!(reopen_count, "reopen_count", self.reopen_count + 1);
                set!(resolved_at, "resolved_at", None);
                set!(resolution_code, "resolution_code", None);
                set!(resolution_notes, "resolution_notes", None);
            }
            Status::Closed => set!(closed_at, "closed_at", Some(at)),
            Status::Canceled => {
                set!(canceled_at, "canceled_at", Some(at));
                set!(cancel_reason, "cancel_reason", cancel);
                set!(duplicate_of, "duplicate_of", req.duplicate_of);
            }
            _ => {}
        }
        self.status = to;
        self.touch(at);
        let mut event = self.event(at, ctx, EventKind::Transition, changes);
        event.body = req
            .reason
            .filter(|_| to == Status::InProgress && from == Status::Resolved);
        Ok(event)
    }

    /// Records that service is restored without changing state. Only the first counts.
    pub fn mitigate(&mut self, ctx: &CommandContext<'_>) -> Result<Option<Event>, CommandError> {
        if self.status.is_final() {
            return Err(CommandError::Final(self.status));
        }
        if self.mitigated_at.is_some() {
            return Ok(None);
        }
        let at = self.event_time(ctx.now);
        let changes = vec![change("mitigated_at", Value::Null, json!(at))];
        self.mitigated_at = Some(at);
        self.touch(at);
        Ok(Some(self.event(at, ctx, EventKind::Mitigated, changes)))
    }

    /// Records a monitoring alert's arrival or change on the timeline.
    pub fn alert_note(
        &mut self,
        body: String,
        changes: Vec<FieldChange>,
        ctx: &CommandContext<'_>,
    ) -> Event {
        let at = self.event_time(ctx.now);
        self.touch(at);
        let mut event = self.event(at, ctx, EventKind::Alert, changes);
        event.body = Some(body);
        event
    }

    /// Records an escalation step as a work note: the level now paged (1-based; 0 when none)
    /// and what happened in words.
    pub fn escalation_note(&mut self, level: i32, body: String, ctx: &CommandContext<'_>) -> Event {
        let at = self.event_time(ctx.now);
        let mut changes = Vec::new();
        if level != self.escalation_level {
            changes.push(change(
                "escalation_level",
                json!(self.escalation_level),
                json!(level),
            ));
            self.escalation_level = level;
        }
        self.touch(at);
        let mut event = self.event(at, ctx, EventKind::Escalation, changes);
        event.visibility = Visibility::WorkNote;
        event.body = Some(body);
        event
    }

    /// Adds a comment: an internal work note or a public update.
    pub fn comment(
        &mut self,
        body: &str,
        visibility: Visibility,
        ctx: &CommandContext<'_>,
    ) -> Result<Event, CommandError> {
        let mut errors = ValidationErrors::new();
        check_text(&mut errors, "body", body, true);
        errors.into_result()?;
        let at = self.event_time(ctx.now);
        self.touch(at);
        let mut event = self.event(at, ctx, EventKind::Comment, Vec::new());
        event.visibility = visibility;
        event.body = Some(body.to_string());
        Ok(event)
    }

    /// Notes on this incident that another one was linked to it (e.g. a follow-up was opened).
    pub fn link(
        &mut self,
        ctx: &CommandContext<'_>,
        relation: &str,
        other: Uuid,
        note: String,
    ) -> Event {
        let at = self.event_time(ctx.now);
        self.touch(at);
        let mut event = self.event(
            at,
            ctx,
            EventKind::Linked,
            vec![change(relation, Value::Null, json!(other))],
        );
        event.body = Some(note);
        event
    }

    /// Fields a follow-up of this (closed) incident starts from.
    pub fn follow_up_template(&self) -> NewIncident {
        NewIncident {
            title: Some(self.title.clone()),
            description: Some(self.description.clone()),
            reporter_id: Some(self.reporter_id),
            source: Some(self.source),
            category: Some(self.category.clone()),
            subcategory: self.subcategory.clone(),
            service_id: self.service_id,
            configuration_items: self.configuration_items.clone(),
            impact: Some(self.impact),
            urgency: Some(self.urgency),
            assignment_group_id: self.assignment_group_id,
            assignee_id: self.assignee_id,
            major: self.major,
            confidential: self.confidential,
            tags: self.tags.clone(),
            started_at: None,
            detected_at: None,
            parent_id: None,
            follow_up_of: Some(self.id),
        }
    }
}

fn change(field: &str, old: Value, new: Value) -> FieldChange {
    FieldChange {
        field: field.to_string(),
        old,
        new,
    }
}

#[cfg(test)]
mod tests;
