//! Turns intake log entries into alerts and incidents, in arrival order. A batch is computed in
//! memory against the stored state, then written in one transaction that also consumes its log
//! entries; if anything changed underneath (another node, a person editing an incident), the
//! transaction fails as a whole and the batch is computed again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use mayday_core::alert::{Alert, AlertAction, AlertEvent, AlertStatus, IntakeRecord, Severity};
use mayday_core::incident::{CommandContext, NewIncident, Source, TransitionRequest};
use mayday_core::incident::{MAX_TEXT, MAX_TITLE};
use mayday_core::timeline::{Actor, ActorKind, Event, FieldChange};
use mayday_core::{Incident, Millis, Status};
use mayday_store::{
    EntityKind, IncidentRef, IncidentWrite, IntakeCommit, IntakeEntry, Integration, Service,
    StoreError, StoredChange, decode_entity,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::services::sla::SlaSettings;
use crate::{AppState, paging};

/// The dedup key of a heartbeat integration's own alert.
pub const HEARTBEAT_DEDUP_KEY: &str = "heartbeat";
/// The resolution code of incidents whose alerts all resolved.
pub const AUTO_RESOLVED: &str = "auto_resolved";

/// Runs until the process ends: processes what is pending whenever entries are appended on
/// this node, and at least every second (entries appended by other nodes).
pub async fn run(state: AppState) {
    loop {
        match process_pending(&state).await {
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = ?e, "processing the intake log failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        tokio::select! {
            _ = state.intake.appended.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Processes everything pending; returns how many entries were consumed.
pub async fn process_pending(state: &AppState) -> ApiResult<usize> {
    let mut total = 0;
    let mut conflicts = 0u32;
    loop {
        let entries = state
            .store
            .pending_intake(state.settings.intake.batch_size)
            .await?;
        if entries.is_empty() {
            return Ok(total);
        }
        let mut batch = Batch::new(state);
        batch.prefetch_open_alerts(&entries).await?;
        for e in &entries {
            batch.apply(e).await?;
        }
        let received: Vec<Millis> = entries.iter().map(|e| e.received_at).collect();
        let sla = SlaSettings::load(state.store.as_ref()).await?;
        let commit = batch.finish(&sla);
        let arms = !commit.effects.arm.is_empty()
            || commit
                .incident_writes
                .iter()
                .any(|w| !w.effects.arm.is_empty());
        match state.store.commit_intake(commit).await {
            Ok(()) => {
                if arms {
                    state.paging.timers_due.notify_one();
                }
                conflicts = 0;
                total += entries.len();
                state
                    .intake
                    .stats
                    .record_processed(&received, state.clock.now_ms());
            }
            Err(StoreError::Conflict { .. }) => {
                // Someone else changed an incident or consumed entries: compute again.
                conflicts += 1;
                let pause = Duration::from_millis(u64::from(conflicts.min(50)) * 10);
                tokio::time::sleep(pause).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// An incident as this batch leaves it.
struct Working {
    incident: Incident,
    /// The stored version it was read at; `None` for one opened in this batch.
    expected_version: Option<i64>,
    /// The incident as stored before this batch (for the paging effects of the change).
    before: Option<Incident>,
    events: Vec<Event>,
}

/// What a service contributes to its alerts' incidents.
#[derive(Clone)]
struct ServiceFacts {
    tier: u8,
    category: String,
    in_maintenance: bool,
}

struct Batch<'a> {
    state: &'a AppState,
    integrations: HashMap<Uuid, Option<Integration>>,
    services: HashMap<Uuid, Option<ServiceFacts>>,
    /// Open alerts by integration and dedup key (`None`: known to have none).
    open: HashMap<(Uuid, String), Option<Uuid>>,
    alerts: HashMap<Uuid, Alert>,
    alerts_changed: Vec<Uuid>,
    /// Every alert of each incident this batch touched.
    incident_alerts: HashMap<Uuid, Vec<Uuid>>,
    incidents: HashMap<Uuid, Working>,
    incident_order: Vec<Uuid>,
    /// Incidents opened or joined by group key in this batch: (incident, first seen).
    groups: HashMap<(Uuid, String), (Uuid, Millis)>,
    commit: IntakeCommit,
    seen: HashMap<Uuid, Millis>,
}

fn actor(i: &Integration) -> Actor {
    Actor {
        kind: ActorKind::Integration,
        id: Some(i.id),
        name: i.name.clone(),
    }
}

/// At most `max` characters, the last one an ellipsis when cut.
fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The incident description an alert gives: its summary, where it came from, its details.
fn describe(ev: &AlertEvent, integration: &Integration) -> String {
    let mut text = format!(
        "{}\n\nReported by the {} integration \"{}\"",
        ev.summary.as_deref().unwrap_or("Alert"),
        integration.kind.as_str(),
        integration.name
    );
    if let Some(source) = &ev.source {
        text.push_str(&format!(" from {source}"));
    }
    text.push('.');
    if !ev.details.is_null() {
        let details = match &ev.details {
            Value::String(s) => s.clone(),
            other => serde_json::to_string_pretty(other).unwrap_or_default(),
        };
        text.push_str("\n\nDetails:\n");
        text.push_str(&details);
    }
    for link in &ev.links {
        text.push_str(&format!(
            "\n{}: {}",
            link.text.as_deref().unwrap_or("Link"),
            link.href
        ));
    }
    truncate_bytes(&text, MAX_TEXT).to_string()
}

fn alert_change(alert: &Alert, old: Option<AlertStatus>) -> Vec<FieldChange> {
    vec![FieldChange {
        field: "alert".into(),
        old: old.map_or(Value::Null, |s| json!(s.as_str())),
        new: json!({
            "id": alert.id,
            "dedup_key": alert.dedup_key,
            "status": alert.status.as_str(),
            "severity": alert.severity.as_str(),
        }),
    }]
}

impl<'a> Batch<'a> {
    fn new(state: &'a AppState) -> Self {
        Self {
            state,
            integrations: HashMap::new(),
            services: HashMap::new(),
            open: HashMap::new(),
            alerts: HashMap::new(),
            alerts_changed: Vec::new(),
            incident_alerts: HashMap::new(),
            incidents: HashMap::new(),
            incident_order: Vec::new(),
            groups: HashMap::new(),
            commit: IntakeCommit::default(),
            seen: HashMap::new(),
        }
    }

    fn finish(mut self, sla: &SlaSettings) -> IntakeCommit {
        let now = self.state.clock.now_ms();
        for id in std::mem::take(&mut self.incident_order) {
            let Some(w) = self.incidents.remove(&id) else {
                continue;
            };
            match w.expected_version {
                None => {
                    let (mut incident, mut events) = (w.incident, w.events);
                    let mut fx = paging::effects::of_write(None, &incident, &events, now);
                    crate::sla::on_write(sla, None, &mut incident, &mut events, &mut fx, now, None);
                    self.commit.effects.extend(fx);
                    self.commit.new_incidents.push((incident, events));
                }
                Some(expected) if !w.events.is_empty() => {
                    let (mut incident, mut events) = (w.incident, w.events);
                    incident.version = expected + 1;
                    let mut effects =
                        paging::effects::of_write(w.before.as_ref(), &incident, &events, now);
                    crate::sla::on_write(
                        sla,
                        w.before.as_ref(),
                        &mut incident,
                        &mut events,
                        &mut effects,
                        now,
                        None,
                    );
                    self.commit.incident_writes.push(IncidentWrite {
                        incident,
                        expected_version: expected,
                        events,
                        effects,
                    });
                }
                Some(_) => {}
            }
        }
        let mut written = HashSet::new();
        for id in std::mem::take(&mut self.alerts_changed) {
            if written.insert(id)
                && let Some(a) = self.alerts.get(&id)
            {
                self.commit.alerts.push(a.clone());
            }
        }
        self.commit.integration_seen = self.seen.into_iter().collect();
        self.commit
    }

    async fn integration(&mut self, id: Uuid) -> ApiResult<Option<Integration>> {
        if let Some(i) = self.integrations.get(&id) {
            return Ok(i.clone());
        }
        let found = self.state.store.get_integration(id).await?;
        self.integrations.insert(id, found.clone());
        Ok(found)
    }

    async fn service(&mut self, id: Uuid, at: Millis) -> ApiResult<Option<ServiceFacts>> {
        if let Some(s) = self.services.get(&id) {
            return Ok(s.clone());
        }
        let facts = match self.state.store.get_entity(EntityKind::Service, id).await? {
            Some(e) => {
                let s: Service = decode_entity(&e)?;
                Some(ServiceFacts {
                    tier: s.tier,
                    category: s
                        .default_category
                        .clone()
                        .unwrap_or_else(|| "monitoring".into()),
                    in_maintenance: s.maintenance_windows.iter().any(|w| w.covers(at)),
                })
            }
            None => None,
        };
        self.services.insert(id, facts.clone());
        Ok(facts)
    }

    /// Loads an incident into the batch (once).
    async fn load_incident(&mut self, id: Uuid) -> ApiResult<bool> {
        if self.incidents.contains_key(&id) {
            return Ok(true);
        }
        let Some(incident) = self.state.store.get_incident(IncidentRef::Id(id)).await? else {
            return Ok(false);
        };
        self.incidents.insert(
            id,
            Working {
                expected_version: Some(incident.version),
                before: Some(incident.clone()),
                incident,
                events: Vec::new(),
            },
        );
        self.incident_order.push(id);
        Ok(true)
    }

    /// Looks up, in one query per integration, the open alerts the entries name by key.
    async fn prefetch_open_alerts(&mut self, entries: &[IntakeEntry]) -> ApiResult<()> {
        let mut keys: HashMap<Uuid, HashSet<String>> = HashMap::new();
        for e in entries {
            let key = match &e.record {
                IntakeRecord::Alert(ev) if !ev.dedup_key.is_empty() => ev.dedup_key.clone(),
                IntakeRecord::Ping | IntakeRecord::HeartbeatMissed { .. } => {
                    HEARTBEAT_DEDUP_KEY.to_string()
                }
                _ => continue,
            };
            keys.entry(e.integration_id).or_default().insert(key);
        }
        for (integration, wanted) in keys {
            let wanted: Vec<String> = wanted.into_iter().collect();
            let found = self.state.store.open_alerts(integration, &wanted).await?;
            for key in wanted {
                self.open.entry((integration, key)).or_insert(None);
            }
            for a in found {
                self.open
                    .insert((integration, a.dedup_key.clone()), Some(a.id));
                self.alerts.entry(a.id).or_insert(a);
            }
        }
        Ok(())
    }

    /// The open alert with this key, if any.
    async fn open_alert(&mut self, integration: Uuid, key: &str) -> ApiResult<Option<Uuid>> {
        let map_key = (integration, key.to_string());
        if let Some(found) = self.open.get(&map_key) {
            return Ok(*found);
        }
        let found = self.state.store.open_alert(integration, key).await?;
        let id = found.as_ref().map(|a| a.id);
        if let Some(a) = found {
            self.alerts.entry(a.id).or_insert(a);
        }
        self.open.insert(map_key, id);
        Ok(id)
    }

    /// The alert an acknowledge or resolve names: by id (if it is this integration's) or key.
    async fn named_alert(&mut self, integration: Uuid, ev: &AlertEvent) -> ApiResult<Option<Uuid>> {
        if let Some(id) = ev.alert_id {
            if let Some(a) = self.alerts.get(&id) {
                return Ok(
                    (a.integration_id == integration && a.status != AlertStatus::Resolved)
                        .then_some(id),
                );
            }
            let Some(a) = self.state.store.get_alert(id).await? else {
                return Ok(None);
            };
            if a.integration_id != integration || a.status == AlertStatus::Resolved {
                return Ok(None);
            }
            return self.open_alert(integration, &a.dedup_key.clone()).await;
        }
        self.open_alert(integration, &ev.dedup_key).await
    }

    fn ctx(&self, integration: &Integration, now: Millis) -> CommandContext<'a> {
        CommandContext {
            now,
            actor: actor(integration),
            matrix: &self.state.settings.priority_matrix,
            resolution_codes: &AUTO_RESOLVED_CODES,
        }
    }

    async fn apply(&mut self, entry: &IntakeEntry) -> ApiResult<()> {
        self.commit.consumed.push(entry.seq);
        let Some(integration) = self.integration(entry.integration_id).await? else {
            // Deleted since: its events have nowhere to go.
            return Ok(());
        };
        let at = entry.received_at;
        if matches!(
            entry.record,
            IntakeRecord::Alert(_) | IntakeRecord::Change(_) | IntakeRecord::Ping
        ) {
            // The integration's last event; for a heartbeat, its last ping.
            let seen = self.seen.entry(integration.id).or_insert(at);
            *seen = (*seen).max(at);
        }
        match &entry.record {
            IntakeRecord::Alert(ev) => match ev.action {
                AlertAction::Trigger => self.trigger(&integration, ev, at).await,
                AlertAction::Acknowledge => self.acknowledge(&integration, ev, at).await,
                AlertAction::Resolve => self.resolve(&integration, ev, at).await,
            },
            IntakeRecord::Change(change) => {
                self.commit.changes.push(StoredChange {
                    id: Uuid::now_v7(),
                    service_id: integration.service_id,
                    integration_id: integration.id,
                    received_at: at,
                    change: change.clone(),
                });
                Ok(())
            }
            IntakeRecord::Ping => {
                let ev = AlertEvent::new(AlertAction::Resolve, HEARTBEAT_DEDUP_KEY);
                self.resolve(&integration, &ev, at).await
            }
            IntakeRecord::IncidentEnded { incident_id } => {
                self.end_alerts(&integration, *incident_id, at).await
            }
            IntakeRecord::HeartbeatMissed { since } => {
                // A ping processed after the monitor looked makes this moot.
                if integration.last_event_at.is_some_and(|last| last > *since)
                    || self
                        .seen
                        .get(&integration.id)
                        .is_some_and(|last| last > since)
                {
                    return Ok(());
                }
                let mut ev = AlertEvent::new(AlertAction::Trigger, HEARTBEAT_DEDUP_KEY);
                let interval = integration.settings.heartbeat_interval_seconds.unwrap_or(0);
                ev.summary = Some(format!(
                    "Heartbeat \"{}\" missed: no ping for over {interval} s",
                    integration.name
                ));
                ev.severity = Some(Severity::Critical);
                ev.source = Some("heartbeat monitor".into());
                ev.details = json!({
                    "last_ping_at": crate::clock::rfc3339(*since),
                    "interval_seconds": interval,
                });
                self.trigger(&integration, &ev, at).await
            }
        }
    }

    async fn trigger(
        &mut self,
        integration: &Integration,
        ev: &AlertEvent,
        at: Millis,
    ) -> ApiResult<()> {
        if let Some(id) = self.open_alert(integration.id, &ev.dedup_key).await? {
            let incident_id = self.alerts.get(&id).map(|a| a.incident_id);
            let incident_open = match incident_id {
                Some(incident_id) => {
                    self.load_incident(incident_id).await?
                        && self
                            .incidents
                            .get(&incident_id)
                            .is_some_and(|w| w.incident.status.is_open())
                }
                None => false,
            };
            if let Some(a) = self.alerts.get_mut(&id) {
                self.alerts_changed.push(id);
                if incident_open {
                    // A repeat: count it, change nothing else.
                    a.event_count += 1;
                    a.last_seen_at = a.last_seen_at.max(at);
                    return Ok(());
                }
                // Its incident was resolved or closed by a person: that alert is over, and
                // this trigger is a new problem.
                a.status = AlertStatus::Resolved;
                a.resolved_at = Some(at);
            }
        }
        let Some(service) = self.service(integration.service_id, at).await? else {
            return Ok(());
        };
        let severity = ev.severity.unwrap_or(Severity::Warning);
        let summary = ev.summary.clone().unwrap_or_else(|| "Alert".into());
        let group_key = integration.settings.grouping.group_key(ev);
        let ctx = self.ctx(integration, at);
        let alert_id = Uuid::now_v7();
        let mut alert = Alert {
            id: alert_id,
            integration_id: integration.id,
            service_id: integration.service_id,
            incident_id: Uuid::nil(),
            dedup_key: ev.dedup_key.clone(),
            status: AlertStatus::Triggered,
            severity,
            summary: summary.clone(),
            source: ev.source.clone(),
            details: alert_details(ev),
            group_key: group_key.clone(),
            event_count: 1,
            first_seen_at: at,
            last_seen_at: at,
            acknowledged_at: None,
            resolved_at: None,
            suppressed: service.in_maintenance,
        };
        let joined = match &group_key {
            Some(gk) => self.group_incident(integration, gk, at).await?,
            None => None,
        };
        let incident_id = match joined {
            Some(incident_id) => {
                alert.incident_id = incident_id;
                let body = format!("Alert joined: {summary}");
                let w = self.incidents.get_mut(&incident_id).expect("loaded");
                let event = w
                    .incident
                    .alert_note(body, alert_change(&alert, None), &ctx);
                w.events.push(event);
                incident_id
            }
            None => {
                let mapping = &self.state.settings.intake.mapping;
                let new = NewIncident {
                    title: Some(truncate_chars(summary.trim(), MAX_TITLE)),
                    description: Some(describe(ev, integration)),
                    reporter_id: Some(integration.id),
                    source: Some(Source::Monitoring),
                    category: Some(service.category.clone()),
                    service_id: Some(integration.service_id),
                    impact: Some(mapping.impact(service.tier)),
                    urgency: Some(mapping.urgency(severity)),
                    detected_at: Some(at),
                    started_at: ev.occurred_at.filter(|t| *t <= at),
                    tags: if service.in_maintenance {
                        vec!["maintenance".into()]
                    } else {
                        Vec::new()
                    },
                    ..NewIncident::default()
                };
                let incident_id = Uuid::now_v7();
                let (mut incident, created) =
                    Incident::open(incident_id, new, &ctx).map_err(|e| {
                        ApiError::Internal(format!("opening an incident from an alert: {e}"))
                    })?;
                alert.incident_id = incident_id;
                let mut body = format!("Alert triggered: {summary}");
                if service.in_maintenance {
                    body.push_str(" (during a maintenance window of the service: not paged)");
                }
                let note = incident.alert_note(body, alert_change(&alert, None), &ctx);
                self.incidents.insert(
                    incident_id,
                    Working {
                        incident,
                        expected_version: None,
                        before: None,
                        events: vec![created, note],
                    },
                );
                self.incident_order.push(incident_id);
                self.incident_alerts.insert(incident_id, Vec::new());
                incident_id
            }
        };
        if let Some(gk) = group_key {
            self.groups
                .entry((integration.id, gk))
                .or_insert((incident_id, at));
        }
        if let Some(list) = self.incident_alerts.get_mut(&incident_id) {
            list.push(alert_id);
        }
        self.open
            .insert((integration.id, alert.dedup_key.clone()), Some(alert_id));
        self.alerts.insert(alert_id, alert);
        self.alerts_changed.push(alert_id);
        Ok(())
    }

    /// The open incident an alert with this group key joins, if any (loaded into the batch).
    async fn group_incident(
        &mut self,
        integration: &Integration,
        group_key: &str,
        at: Millis,
    ) -> ApiResult<Option<Uuid>> {
        let window = integration.settings.grouping.window_ms();
        let since = window.map_or(0, |w| at - w);
        let map_key = (integration.id, group_key.to_string());
        let candidate = match self.groups.get(&map_key) {
            Some((id, first)) if *first >= since => Some((*id, *first)),
            _ => {
                self.state
                    .store
                    .group_incident(integration.id, group_key, since)
                    .await?
            }
        };
        let Some((id, first)) = candidate else {
            return Ok(None);
        };
        // Later alerts of the batch compare with the incident's first alert, not this one.
        self.groups.insert(map_key, (id, first));
        if !self.load_incident(id).await? {
            return Ok(None);
        }
        let open = self
            .incidents
            .get(&id)
            .is_some_and(|w| w.incident.status.is_open());
        if !open {
            return Ok(None);
        }
        self.load_incident_alerts(id).await?;
        Ok(Some(id))
    }

    /// Resolves the integration's open alerts of an incident a person ended, so that the next
    /// trigger with their keys is a new problem.
    async fn end_alerts(
        &mut self,
        integration: &Integration,
        incident_id: Uuid,
        at: Millis,
    ) -> ApiResult<()> {
        self.load_incident_alerts(incident_id).await?;
        let ids = self
            .incident_alerts
            .get(&incident_id)
            .cloned()
            .unwrap_or_default();
        for id in ids {
            let Some(alert) = self.alerts.get_mut(&id) else {
                continue;
            };
            if alert.integration_id != integration.id || alert.status == AlertStatus::Resolved {
                continue;
            }
            alert.status = AlertStatus::Resolved;
            alert.resolved_at = Some(at);
            let key = (integration.id, alert.dedup_key.clone());
            self.alerts_changed.push(id);
            self.open.insert(key, None);
        }
        Ok(())
    }

    async fn load_incident_alerts(&mut self, incident_id: Uuid) -> ApiResult<()> {
        if self.incident_alerts.contains_key(&incident_id) {
            return Ok(());
        }
        let stored = self.state.store.incident_alerts(incident_id).await?;
        let mut ids = Vec::with_capacity(stored.len());
        for a in stored {
            ids.push(a.id);
            self.alerts.entry(a.id).or_insert(a);
        }
        self.incident_alerts.insert(incident_id, ids);
        Ok(())
    }

    async fn acknowledge(
        &mut self,
        integration: &Integration,
        ev: &AlertEvent,
        at: Millis,
    ) -> ApiResult<()> {
        let Some(id) = self.named_alert(integration.id, ev).await? else {
            return Ok(()); // Unknown or already resolved: accepted and dropped.
        };
        let ctx = self.ctx(integration, at);
        let Some(alert) = self.alerts.get_mut(&id) else {
            return Ok(());
        };
        if alert.status != AlertStatus::Triggered {
            return Ok(());
        }
        alert.status = AlertStatus::Acknowledged;
        alert.acknowledged_at = Some(at);
        let alert = alert.clone();
        self.alerts_changed.push(id);
        if !self.load_incident(alert.incident_id).await? {
            return Ok(());
        }
        let w = self.incidents.get_mut(&alert.incident_id).expect("loaded");
        let mut body = format!(
            "Alert acknowledged by {}: {}",
            integration.name, alert.summary
        );
        if let Some(note) = &ev.note {
            body.push_str(&format!(" — {note}"));
        }
        let event = w.incident.alert_note(
            body,
            alert_change(&alert, Some(AlertStatus::Triggered)),
            &ctx,
        );
        w.events.push(event);
        if w.incident.status == Status::New {
            let moved = w.incident.transition(
                TransitionRequest {
                    to: Some(Status::Acknowledged),
                    ..TransitionRequest::default()
                },
                &ctx,
            );
            if let Ok(event) = moved {
                w.events.push(event);
            }
        }
        Ok(())
    }

    async fn resolve(
        &mut self,
        integration: &Integration,
        ev: &AlertEvent,
        at: Millis,
    ) -> ApiResult<()> {
        let Some(id) = self.named_alert(integration.id, ev).await? else {
            return Ok(()); // Unknown or already resolved: accepted and dropped.
        };
        let ctx = self.ctx(integration, at);
        let Some(alert) = self.alerts.get_mut(&id) else {
            return Ok(());
        };
        let old = alert.status;
        alert.status = AlertStatus::Resolved;
        alert.resolved_at = Some(at);
        let alert = alert.clone();
        self.alerts_changed.push(id);
        self.open
            .insert((integration.id, alert.dedup_key.clone()), None);
        if !self.load_incident(alert.incident_id).await? {
            return Ok(());
        }
        self.load_incident_alerts(alert.incident_id).await?;
        let all_resolved = self
            .incident_alerts
            .get(&alert.incident_id)
            .map(|ids| {
                ids.iter().all(|a| {
                    self.alerts
                        .get(a)
                        .is_none_or(|a| a.status == AlertStatus::Resolved)
                })
            })
            .unwrap_or(true);
        let resolved_summaries: Vec<String> = self
            .incident_alerts
            .get(&alert.incident_id)
            .into_iter()
            .flatten()
            .filter_map(|a| self.alerts.get(a))
            .map(|a| format!("\"{}\" ({})", a.summary, a.dedup_key))
            .collect();
        let w = self.incidents.get_mut(&alert.incident_id).expect("loaded");
        let mut body = format!("Alert resolved by {}: {}", integration.name, alert.summary);
        if let Some(note) = &ev.note {
            body.push_str(&format!(" — {note}"));
        }
        let event = w
            .incident
            .alert_note(body, alert_change(&alert, Some(old)), &ctx);
        w.events.push(event);
        if all_resolved && integration.settings.auto_resolve && w.incident.status.is_open() {
            let notes = format!(
                "Resolved automatically: every alert has resolved: {}.",
                resolved_summaries.join(", ")
            );
            let moved = w.incident.transition(
                TransitionRequest {
                    to: Some(Status::Resolved),
                    resolution_code: Some(AUTO_RESOLVED.into()),
                    resolution_notes: Some(truncate_bytes(&notes, MAX_TEXT).to_string()),
                    ..TransitionRequest::default()
                },
                &ctx,
            );
            match moved {
                Ok(event) => w.events.push(event),
                Err(e) => tracing::warn!(error = %e, "auto-resolving an incident failed"),
            }
        }
        Ok(())
    }
}

/// The resolution codes intake itself uses (they need not be in the configurable taxonomy).
static AUTO_RESOLVED_CODES: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| vec![AUTO_RESOLVED.to_string()]);

/// What an alert keeps of its latest event besides its columns.
fn alert_details(ev: &AlertEvent) -> Value {
    let mut details = serde_json::Map::new();
    for (name, value) in [
        ("details", ev.details.clone()),
        ("component", json!(ev.component)),
        ("group", json!(ev.group)),
        ("class", json!(ev.class)),
        ("client", json!(ev.client)),
        ("client_url", json!(ev.client_url)),
        ("occurred_at", json!(ev.occurred_at)),
    ] {
        if !value.is_null() {
            details.insert(name.into(), value);
        }
    }
    if !ev.links.is_empty() {
        details.insert("links".into(), json!(ev.links));
    }
    if !ev.images.is_empty() {
        details.insert("images".into(), json!(ev.images));
    }
    Value::Object(details)
}
