//! Incident use cases: log, read, list and search, patch, transition, comment, mitigate and
//! follow up. Each checks what the caller's role allows, resolves names to ids, runs the domain
//! command and writes the incident with its events in one transaction (optimistic concurrency).

use mayday_core::incident::{
    CommandContext, IncidentPatch, NewIncident, Source, TransitionRequest,
};
use mayday_core::search_text;
use mayday_core::state::Status;
use mayday_core::timeline::{Event, Visibility};
use mayday_core::{Impact, Incident, IncidentNumber, Priority, Role, Urgency, ValidationErrors};
use mayday_store::{
    Effects, EntityKind, IncidentPage, IncidentQuery, IncidentRef, IncidentWrite, SearchScope,
    StoreError,
};
use uuid::Uuid;

use super::directory::{self, Category};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;
use crate::services::sla::SlaSettings;
use crate::{AppState, paging};

/// Fields a create request may carry.
pub const CREATE_FIELDS: &[&str] = &[
    "title",
    "description",
    "reporter",
    "source",
    "category",
    "subcategory",
    "service",
    "configuration_items",
    "impact",
    "urgency",
    "assignment_group",
    "assignee",
    "major",
    "confidential",
    "tags",
    "started_at",
    "detected_at",
    "parent",
    "template",
];

/// Fields a requester may set when reporting.
const REQUESTER_FIELDS: &[&str] = &[
    "title",
    "description",
    "reporter",
    "source",
    "category",
    "subcategory",
    "service",
    "configuration_items",
    "impact",
    "urgency",
    "started_at",
    "template",
];

/// Fields a patch may carry.
pub const PATCH_FIELDS: &[&str] = &[
    "title",
    "description",
    "reporter",
    "source",
    "category",
    "subcategory",
    "service",
    "configuration_items",
    "impact",
    "urgency",
    "priority",
    "reason",
    "assignment_group",
    "assignee",
    "major",
    "confidential",
    "tags",
    "workaround",
    "root_cause",
    "started_at",
    "parent",
    "status",
];

pub const TRANSITION_FIELDS: &[&str] = &[
    "to",
    "reason",
    "resolution_code",
    "resolution_notes",
    "duplicate_of",
];

/// Parses `INC-000123` or a UUID.
pub fn parse_ref(key: &str) -> Option<IncidentRef> {
    if let Some(n) = IncidentNumber::parse(key) {
        return Some(IncidentRef::Number(n.0));
    }
    Uuid::parse_str(key).ok().map(IncidentRef::Id)
}

/// Whether the caller may see this incident at all.
pub fn can_read(caller: &Caller, inc: &Incident) -> bool {
    match caller.role() {
        Role::Viewer => !inc.confidential,
        Role::Requester => inc.reporter_id == caller.user.id,
        _ => true,
    }
}

/// Loads an incident the caller may read; anything else is 404, so existence does not leak.
pub async fn load(state: &AppState, caller: &Caller, key: &str) -> ApiResult<Incident> {
    let not_found = || ApiError::NotFound(format!("no incident {key:?}"));
    let r = parse_ref(key).ok_or_else(not_found)?;
    let inc = state.store.get_incident(r).await?.ok_or_else(not_found)?;
    if can_read(caller, &inc) {
        Ok(inc)
    } else {
        Err(not_found())
    }
}

fn require_responder(caller: &Caller, what: &str) -> ApiResult<()> {
    caller.require(Role::Agent, what)
}

/// The taxonomy and matrix a command needs, loaded once per request.
struct Reference {
    categories: Vec<Category>,
    resolution_codes: Vec<String>,
}

impl Reference {
    async fn load(state: &AppState) -> ApiResult<Self> {
        Ok(Self {
            categories: directory::categories(state.store.as_ref()).await?,
            resolution_codes: directory::resolution_codes(state.store.as_ref()).await?,
        })
    }

    fn check_category(&self, errors: &mut ValidationErrors, category: &str, sub: Option<&str>) {
        match self.categories.iter().find(|c| c.name == category) {
            None => errors.add(
                "category",
                format!(
                    "unknown category {category:?}; one of {}",
                    self.categories
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Some(c) => {
                if let Some(s) = sub
                    && !c.subcategories.iter().any(|x| x == s)
                {
                    errors.add(
                        "subcategory",
                        format!(
                            "unknown subcategory {s:?} of {category}; one of {}",
                            c.subcategories.join(", ")
                        ),
                    );
                }
            }
        }
    }
}

/// Resolves a user reference field; reports unknown ones.
async fn user_field(
    state: &AppState,
    input: &mut Input,
    field: &str,
    value: Option<String>,
    responder_only: bool,
) -> ApiResult<Option<Uuid>> {
    let Some(key) = value else { return Ok(None) };
    match directory::find_user(state.store.as_ref(), &key).await? {
        Some(u) if !u.active => input.error(field, format!("user {key:?} is deactivated")),
        Some(u) if responder_only && !u.role.is_responder() => input.error(
            field,
            format!(
                "user {key:?} is a {} and cannot be assigned incidents",
                u.role.as_str()
            ),
        ),
        Some(u) => return Ok(Some(u.id)),
        None => input.error(field, format!("no user {key:?}")),
    }
    Ok(None)
}

/// Resolves a team or service reference field (id or name); reports unknown ones.
async fn named_field(
    state: &AppState,
    input: &mut Input,
    kind: EntityKind,
    field: &str,
    value: Option<String>,
) -> ApiResult<Option<Uuid>> {
    let Some(key) = value else { return Ok(None) };
    match directory::find_entity(state.store.as_ref(), kind, &key).await? {
        Some(e) => Ok(Some(e.id)),
        None => {
            input.error(field, format!("no {} {key:?}", kind.as_str()));
            Ok(None)
        }
    }
}

async fn incident_field(
    state: &AppState,
    caller: &Caller,
    input: &mut Input,
    field: &str,
    value: Option<String>,
) -> ApiResult<Option<Uuid>> {
    let Some(key) = value else { return Ok(None) };
    match load(state, caller, &key).await {
        Ok(i) => Ok(Some(i.id)),
        Err(ApiError::NotFound(_)) => {
            input.error(field, format!("no incident {key:?}"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn level<T>(input: &mut Input, field: &str, parse: fn(i64) -> Result<T, String>) -> Option<T> {
    let v = input.int(field)?;
    match parse(v) {
        Ok(t) => Some(t),
        Err(e) => {
            input.error(field, e);
            None
        }
    }
}

fn source(input: &mut Input) -> Option<Source> {
    let s = input.string("source")?;
    match Source::parse(&s) {
        Ok(v) => Some(v),
        Err(e) => {
            input.error("source", e);
            None
        }
    }
}

fn check_strings(input: &mut Input, field: &str, values: &Option<Vec<String>>, max: usize) {
    if let Some(v) = values
        && (v.len() > max || v.iter().any(|s| s.trim().is_empty() || s.len() > 200))
    {
        input.error(
            field,
            format!("at most {max} entries of 1 to 200 characters"),
        );
    }
}

/// Applies a named template's fields under the ones the request gives; `allowed` limits which
/// template fields apply (requesters get only the fields they may set).
async fn apply_template(state: &AppState, input: &mut Input, allowed: &[&str]) -> ApiResult<()> {
    let Some(name) = input.string("template") else {
        return Ok(());
    };
    match state
        .store
        .get_entity_by_name(mayday_store::EntityKind::Template, &name)
        .await?
    {
        Some(e) => {
            let t: mayday_store::Template = mayday_store::decode_entity(&e)?;
            for (k, v) in t.fields {
                if allowed.contains(&k.as_str()) {
                    input.insert_default(&k, v);
                }
            }
        }
        None => input.error("template", format!("no template {name:?}")),
    }
    Ok(())
}

/// Logs a new incident.
pub async fn create(state: &AppState, caller: &Caller, mut input: Input) -> ApiResult<Incident> {
    if caller.role() == Role::Viewer {
        return Err(ApiError::Forbidden(
            "viewers cannot report incidents".into(),
        ));
    }
    let requester = caller.role() == Role::Requester;
    let allowed = if requester {
        REQUESTER_FIELDS
    } else {
        CREATE_FIELDS
    };
    apply_template(state, &mut input, allowed).await?;
    if requester {
        for f in CREATE_FIELDS {
            if input.has(f) && !REQUESTER_FIELDS.contains(f) {
                input.error(f, "requesters may not set this field");
            }
        }
    }
    let reference = Reference::load(state).await?;
    let reporter_key = input.string("reporter");
    let mut reporter_id =
        user_field(state, &mut input, "reporter", reporter_key.clone(), false).await?;
    if requester {
        match reporter_id {
            Some(id) if id != caller.user.id => {
                input.error("reporter", "requesters report for themselves")
            }
            _ => reporter_id = Some(caller.user.id),
        }
    }
    let assignee_key = input.string("assignee");
    let assignee_id = user_field(state, &mut input, "assignee", assignee_key, true).await?;
    let group_key = input.string("assignment_group");
    let group_id = named_field(
        state,
        &mut input,
        EntityKind::Team,
        "assignment_group",
        group_key,
    )
    .await?;
    let service_key = input.string("service");
    let service_id = named_field(
        state,
        &mut input,
        EntityKind::Service,
        "service",
        service_key,
    )
    .await?;
    let parent_key = input.string("parent");
    let parent_id = incident_field(state, caller, &mut input, "parent", parent_key).await?;
    let configuration_items = input.strings("configuration_items");
    check_strings(&mut input, "configuration_items", &configuration_items, 50);
    let new = NewIncident {
        title: input.string("title"),
        description: input.string("description"),
        reporter_id: if reporter_key.is_none() && !requester {
            None
        } else {
            reporter_id
        },
        source: source(&mut input).or(Some(if requester {
            Source::Portal
        } else {
            Source::Api
        })),
        category: input.string("category"),
        subcategory: input.string("subcategory"),
        service_id,
        configuration_items: configuration_items.unwrap_or_default(),
        impact: level(&mut input, "impact", Impact::new),
        urgency: level(&mut input, "urgency", Urgency::new),
        assignment_group_id: group_id,
        assignee_id,
        major: input.bool("major").unwrap_or(false),
        confidential: input.bool("confidential").unwrap_or(false),
        tags: input.strings("tags").unwrap_or_default(),
        started_at: input.time("started_at"),
        detected_at: input.time("detected_at"),
        parent_id,
        follow_up_of: None,
    };
    if let Some(c) = &new.category {
        reference.check_category(&mut input.errors, c, new.subcategory.as_deref());
    }
    let now = state.clock.now_ms();
    // Mandatory-field problems and reference problems go out in one 422.
    new.validate(now, &mut input.errors);
    input.finish()?;
    let ctx = CommandContext {
        now,
        actor: caller.actor(),
        matrix: &state.settings.priority_matrix,
        resolution_codes: &reference.resolution_codes,
    };
    let (mut incident, event) = Incident::open(Uuid::now_v7(), new, &ctx)?;
    let mut events = vec![event];
    let mut effects = paging::effects::of_write(None, &incident, &events, now);
    let sla = SlaSettings::load(state.store.as_ref()).await?;
    crate::sla::on_write(
        &sla,
        None,
        &mut incident,
        &mut events,
        &mut effects,
        now,
        None,
    );
    let created = state
        .store
        .create_incident(incident, events, effects.clone(), None)
        .await?;
    state.paging.poke(&effects);
    Ok(created)
}

/// Runs `change` on the current incident and writes it. With `if_match`, a stale version is a
/// 412; without, a concurrent write is retried on the fresh incident.
async fn modify<F>(
    state: &AppState,
    caller: &Caller,
    key: &str,
    if_match: Option<i64>,
    mut change: F,
) -> ApiResult<(Incident, Vec<Event>)>
where
    F: FnMut(&mut Incident, &CommandContext<'_>) -> ApiResult<Vec<Event>>,
{
    let codes = directory::resolution_codes(state.store.as_ref()).await?;
    let sla = SlaSettings::load(state.store.as_ref()).await?;
    for _attempt in 0..8 {
        let mut inc = load(state, caller, key).await?;
        if let Some(v) = if_match
            && v != inc.version
        {
            return Err(stale(v, inc.version));
        }
        let ctx = CommandContext {
            now: state.clock.now_ms(),
            actor: caller.actor(),
            matrix: &state.settings.priority_matrix,
            resolution_codes: &codes,
        };
        let expected = inc.version;
        let was_open = inc.status.is_open();
        let before = inc.clone();
        let mut events = change(&mut inc, &ctx)?;
        if events.is_empty() {
            return Ok((inc, events));
        }
        inc.version = expected + 1;
        let mut effects = paging::effects::of_write(Some(&before), &inc, &events, ctx.now);
        crate::sla::on_write(
            &sla,
            Some(&before),
            &mut inc,
            &mut events,
            &mut effects,
            ctx.now,
            None,
        );
        let write = IncidentWrite {
            incident: inc.clone(),
            expected_version: expected,
            events: events.clone(),
            effects: effects.clone(),
        };
        match state.store.update_incident(write).await {
            Ok(()) => {
                state.paging.poke(&effects);
                if was_open && !inc.status.is_open() {
                    crate::intake::incident_ended(state, inc.id).await;
                }
                return Ok((inc, events));
            }
            Err(StoreError::Conflict { .. }) if if_match.is_none() => continue,
            Err(StoreError::Conflict { .. }) => {
                return Err(ApiError::PreconditionFailed(format!(
                    "the incident changed while this request was applied (version {expected} is stale)"
                )));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict {
        detail: "the incident is changing too fast; try again".into(),
        allowed: None,
    })
}

fn stale(given: i64, current: i64) -> ApiError {
    ApiError::PreconditionFailed(format!(
        "If-Match names version {given} but the incident is at version {current}; fetch it again"
    ))
}

/// Applies a JSON merge patch (`null` clears). Requires the version the caller last saw.
pub async fn patch(
    state: &AppState,
    caller: &Caller,
    key: &str,
    if_match: i64,
    mut input: Input,
) -> ApiResult<Incident> {
    // Hide existence before refusing by role.
    load(state, caller, key).await?;
    require_responder(caller, "changing an incident")?;
    if input.has("status") {
        input.error(
            "status",
            "change the status with POST /api/v1/incidents/{id}/transitions",
        );
    }
    let reference = Reference::load(state).await?;
    let mut p = IncidentPatch {
        title: input.string("title"),
        description: input.string("description"),
        source: source(&mut input),
        category: input.string("category"),
        subcategory: input.nullable_string("subcategory"),
        configuration_items: input.strings("configuration_items"),
        impact: level(&mut input, "impact", Impact::new),
        urgency: level(&mut input, "urgency", Urgency::new),
        major: input.bool("major"),
        confidential: input.bool("confidential"),
        tags: input.strings("tags"),
        workaround: input.nullable_string("workaround"),
        root_cause: input.nullable_string("root_cause"),
        started_at: input.time("started_at"),
        ..Default::default()
    };
    check_strings(
        &mut input,
        "configuration_items",
        &p.configuration_items,
        50,
    );
    let reporter = input.string("reporter");
    p.reporter_id = user_field(state, &mut input, "reporter", reporter, false).await?;
    p.assignee_id = match input.nullable_string("assignee") {
        Some(Some(k)) => user_field(state, &mut input, "assignee", Some(k), true)
            .await?
            .map(Some),
        other => other.map(|_| None),
    };
    p.assignment_group_id = match input.nullable_string("assignment_group") {
        Some(Some(k)) => named_field(
            state,
            &mut input,
            EntityKind::Team,
            "assignment_group",
            Some(k),
        )
        .await?
        .map(Some),
        other => other.map(|_| None),
    };
    p.service_id = match input.nullable_string("service") {
        Some(Some(k)) => named_field(state, &mut input, EntityKind::Service, "service", Some(k))
            .await?
            .map(Some),
        other => other.map(|_| None),
    };
    p.parent_id = match input.nullable_string("parent") {
        Some(Some(k)) => incident_field(state, caller, &mut input, "parent", Some(k))
            .await?
            .map(Some),
        other => other.map(|_| None),
    };
    let reason = input.string("reason");
    p.priority_override = match input.nullable_string("priority") {
        None => {
            if reason.is_some() {
                input.error("reason", "goes with priority (a manual override)");
            }
            None
        }
        Some(None) => Some(None),
        Some(Some(text)) => match Priority::parse(&text) {
            Ok(pr) => match reason {
                Some(r) if !r.trim().is_empty() => Some(Some((pr, r))),
                _ => {
                    input.error("reason", "is required to override the priority");
                    None
                }
            },
            Err(e) => {
                input.error("priority", e);
                None
            }
        },
    };
    input.finish()?;
    let (inc, _) = modify(state, caller, key, Some(if_match), |inc, ctx| {
        let mut errors = ValidationErrors::new();
        let category = p.category.clone().unwrap_or_else(|| inc.category.clone());
        let sub = match &p.subcategory {
            Some(s) => s.clone(),
            None if p.category.is_some()
                && p.category.as_deref() != Some(inc.category.as_str()) =>
            {
                inc.subcategory.clone().filter(|s| {
                    reference
                        .categories
                        .iter()
                        .any(|c| c.name == category && c.subcategories.contains(s))
                })
            }
            None => inc.subcategory.clone(),
        };
        if p.category.is_some() || p.subcategory.is_some() {
            reference.check_category(&mut errors, &category, sub.as_deref());
        }
        errors.into_result()?;
        let mut patch = p.clone();
        if patch.category.is_some() && patch.subcategory.is_none() && sub != inc.subcategory {
            patch.subcategory = Some(sub);
        }
        Ok(inc.apply_patch(patch, ctx)?.into_iter().collect())
    })
    .await?;
    Ok(inc)
}

/// Moves an incident to another state.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    key: &str,
    if_match: Option<i64>,
    mut input: Input,
) -> ApiResult<Incident> {
    let current = load(state, caller, key).await?;
    let to = match input.string("to") {
        Some(s) => match Status::parse(&s) {
            Ok(t) => Some(t),
            Err(e) => {
                input.error("to", e);
                None
            }
        },
        None => {
            input.error("to", "is required");
            None
        }
    };
    let dup_key = input.string("duplicate_of");
    let duplicate_of = incident_field(state, caller, &mut input, "duplicate_of", dup_key).await?;
    let req = TransitionRequest {
        to,
        reason: input.string("reason"),
        resolution_code: input.string("resolution_code"),
        resolution_notes: input.string("resolution_notes"),
        duplicate_of,
    };
    if caller.role() == Role::Requester {
        // A requester confirms (close) or rejects (reopen) the resolution of their own incident.
        let allowed = current.status == Status::Resolved
            && matches!(req.to, Some(Status::Closed) | Some(Status::InProgress));
        if !allowed {
            return Err(ApiError::Forbidden(
                "requesters may only confirm (to closed) or reject (to in_progress) a resolved incident".into(),
            ));
        }
    } else {
        require_responder(caller, "changing an incident's state")?;
    }
    input.finish()?;
    let (inc, _) = modify(state, caller, key, if_match, |inc, ctx| {
        Ok(vec![inc.transition(req.clone(), ctx)?])
    })
    .await?;
    Ok(inc)
}

/// Adds a work note or public update.
pub async fn comment(
    state: &AppState,
    caller: &Caller,
    key: &str,
    mut input: Input,
) -> ApiResult<(Incident, Event)> {
    load(state, caller, key).await?;
    let body = input.string("body");
    if body.is_none() && !input.has("body") {
        input.error("body", "is required");
    }
    let visibility = match input.string("visibility") {
        None => {
            if caller.role().is_responder() {
                Visibility::WorkNote
            } else {
                Visibility::Public
            }
        }
        Some(v) => match Visibility::parse(&v) {
            Ok(v) => v,
            Err(e) => {
                input.error("visibility", e);
                Visibility::WorkNote
            }
        },
    };
    match caller.role() {
        Role::Viewer => return Err(ApiError::Forbidden("viewers cannot comment".into())),
        Role::Requester if visibility == Visibility::WorkNote => {
            return Err(ApiError::Forbidden(
                "requesters can only add public comments".into(),
            ));
        }
        _ => {}
    }
    input.finish()?;
    let body = body.unwrap_or_default();
    let (inc, mut events) = modify(state, caller, key, None, |inc, ctx| {
        Ok(vec![inc.comment(&body, visibility, ctx)?])
    })
    .await?;
    let event = events
        .pop()
        .ok_or_else(|| ApiError::Internal("comment produced no event".into()))?;
    Ok((inc, event))
}

/// Records that service is restored (mitigated) without a state change.
pub async fn mitigate(state: &AppState, caller: &Caller, key: &str) -> ApiResult<Incident> {
    load(state, caller, key).await?;
    require_responder(caller, "marking an incident mitigated")?;
    let (inc, _) = modify(state, caller, key, None, |inc, ctx| {
        Ok(inc.mitigate(ctx)?.into_iter().collect())
    })
    .await?;
    Ok(inc)
}

/// Opens a new incident linked to a closed one (a reopen asked for after closure).
pub async fn follow_up(
    state: &AppState,
    caller: &Caller,
    key: &str,
    mut input: Input,
) -> ApiResult<Incident> {
    let old = load(state, caller, key).await?;
    if caller.role() == Role::Viewer {
        return Err(ApiError::Forbidden("viewers cannot open follow-ups".into()));
    }
    if !old.status.is_final() {
        return Err(ApiError::Conflict {
            detail: format!(
                "{} is {}; reopen it with a transition to in_progress instead of a follow-up",
                IncidentNumber(old.number),
                old.status
            ),
            allowed: None,
        });
    }
    let reason = input.string("reason");
    let title = input.string("title");
    let description = input.string("description");
    input.finish()?;
    let mut new = old.follow_up_template();
    if let Some(t) = title {
        new.title = Some(t);
    }
    if let Some(d) = description {
        new.description = Some(d);
    }
    let sla = SlaSettings::load(state.store.as_ref()).await?;
    let codes = directory::resolution_codes(state.store.as_ref()).await?;
    for _attempt in 0..8 {
        let mut old = load(state, caller, key).await?;
        let ctx = CommandContext {
            now: state.clock.now_ms(),
            actor: caller.actor(),
            matrix: &state.settings.priority_matrix,
            resolution_codes: &codes,
        };
        let id = Uuid::now_v7();
        let (mut incident, mut created) = Incident::open(id, new.clone(), &ctx)?;
        created.body = Some(format!(
            "follow-up of {}{}",
            IncidentNumber(old.number),
            reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ));
        let expected = old.version;
        let link = old.link(
            &ctx,
            "follow_up",
            id,
            "a follow-up incident was opened".into(),
        );
        old.version = expected + 1;
        let also = IncidentWrite {
            incident: old,
            expected_version: expected,
            events: vec![link],
            effects: Effects::default(),
        };
        let mut events = vec![created];
        let mut effects = paging::effects::of_write(None, &incident, &events, ctx.now);
        crate::sla::on_write(
            &sla,
            None,
            &mut incident,
            &mut events,
            &mut effects,
            ctx.now,
            None,
        );
        match state
            .store
            .create_incident(incident, events, effects.clone(), Some(also))
            .await
        {
            Ok(inc) => {
                state.paging.poke(&effects);
                return Ok(inc);
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict {
        detail: "the incident is changing too fast; try again".into(),
        allowed: None,
    })
}

/// The incident's timeline as the caller may see it.
pub async fn timeline(state: &AppState, caller: &Caller, key: &str) -> ApiResult<Vec<Event>> {
    let inc = load(state, caller, key).await?;
    Ok(state
        .store
        .timeline(inc.id, caller.role().sees_work_notes())
        .await?)
}

/// List parameters as the query string gives them.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated statuses.
    pub status: Option<String>,
    /// Comma-separated priorities (P1..P5).
    pub priority: Option<String>,
    /// Comma-separated user ids or usernames; `none` for unassigned.
    pub assignee: Option<String>,
    /// Comma-separated team ids or names; `none` for no group.
    pub group: Option<String>,
    /// Comma-separated categories.
    pub category: Option<String>,
    /// Comma-separated service ids or names.
    pub service: Option<String>,
    /// Full-text search: every word must match; `"quoted phrases"` allowed.
    pub q: Option<String>,
    /// `created_at` (the order incidents were logged in), `updated_at`, `priority` or `number`;
    /// prefix `-` for descending. Default `-created_at`.
    pub sort: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1..=200 (default 50).
    pub limit: Option<u32>,
    /// Also count all matches.
    pub include_total: Option<bool>,
}

fn split(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Lists incidents the caller may see, filtered, searched, sorted and paginated.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    params: ListParams,
) -> ApiResult<IncidentPage> {
    let mut errors = ValidationErrors::new();
    let mut q = IncidentQuery::default();
    for s in split(&params.status) {
        match Status::parse(&s) {
            Ok(st) => q.statuses.push(st),
            Err(e) => errors.add("status", e),
        }
    }
    for p in split(&params.priority) {
        match Priority::parse(&p) {
            Ok(pr) => q.priorities.push(pr),
            Err(e) => errors.add("priority", e),
        }
    }
    let store = state.store.as_ref();
    for a in split(&params.assignee) {
        if a == "none" {
            q.assignees.push(None);
        } else {
            match directory::find_user(store, &a).await? {
                Some(u) => q.assignees.push(Some(u.id)),
                None => errors.add("assignee", format!("no user {a:?}")),
            }
        }
    }
    for g in split(&params.group) {
        if g == "none" {
            q.groups.push(None);
        } else {
            match directory::find_team(store, &g).await? {
                Some(t) => q.groups.push(Some(t.id)),
                None => errors.add("group", format!("no team {g:?}")),
            }
        }
    }
    for s in split(&params.service) {
        match directory::find_service(store, &s).await? {
            Some(svc) => q.services.push(svc.id),
            None => errors.add("service", format!("no service {s:?}")),
        }
    }
    q.categories = split(&params.category);
    if let Some(text) = params.q.as_deref().filter(|t| !t.trim().is_empty()) {
        match search_text::parse_query(text) {
            Some(terms) => {
                let scope = if caller.role().sees_work_notes() {
                    SearchScope::All
                } else {
                    SearchScope::Public
                };
                q.search = Some((terms, scope));
            }
            None => errors.add("q", "holds no word to search for"),
        }
    }
    if let Some(sort) = params.sort.as_deref() {
        let (desc, field) = match sort.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, sort),
        };
        q.descending = desc;
        q.sort = match field {
            "created_at" => mayday_store::SortField::CreatedAt,
            "updated_at" => mayday_store::SortField::UpdatedAt,
            "priority" => mayday_store::SortField::Priority,
            "number" => mayday_store::SortField::Number,
            _ => {
                errors.add("sort", "must be created_at, updated_at, priority or number, optionally prefixed with -");
                mayday_store::SortField::CreatedAt
            }
        };
    }
    if let Some(c) = params.cursor.as_deref() {
        match crate::api::cursor::decode(c) {
            Some((spec, cur)) if spec == sort_spec(&q) => q.after = Some(cur),
            Some(_) => errors.add("cursor", "was issued for another sort order"),
            None => errors.add("cursor", "is not a cursor this server issued"),
        }
    }
    match params.limit {
        Some(l) if !(1..=200).contains(&l) => errors.add("limit", "must be between 1 and 200"),
        Some(l) => q.limit = l,
        None => {}
    }
    q.include_total = params.include_total.unwrap_or(false);
    match caller.role() {
        Role::Requester => q.reporter = Some(caller.user.id),
        Role::Viewer => q.exclude_confidential = true,
        _ => {}
    }
    errors.into_result()?;
    Ok(state.store.list_incidents(&q).await?)
}

/// The sort order as text (`-created_at`), which cursors carry so they are not misapplied.
pub fn sort_spec(q: &IncidentQuery) -> String {
    format!("{}{}", if q.descending { "-" } else { "" }, q.sort.name())
}
