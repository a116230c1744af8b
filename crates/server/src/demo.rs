//! Demo data for `mayday serve --demo`: a small organization (teams, people, services, an office
//! calendar and SLA policies) and a few hundred incidents over the last 90 days, each with a
//! history built by the domain commands at increasing simulated times, so timelines and metrics
//! look like a real service desk's. Their SLA clocks are kept through that history as the server
//! keeps them (every write reconciles them; warnings and breaches fire when they are reached),
//! and the open incidents' next warning or breach is left armed as a timer.
//!
//! Deterministic: one hand-written PRNG (splitmix64) seeded with a constant, and every instant
//! derived from the `now` handed in. Only an empty database (no incidents) is filled.

mod catalog;

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use anyhow::{Context, bail};
use mayday_core::incident::{
    CommandContext, IncidentPatch, NewIncident, Source, TransitionRequest,
};
use mayday_core::sla::{
    self, BusinessCalendar, Holiday, SlaConditions, SlaConfig, SlaInstance, SlaPolicy, SlaState,
    WorkingHours,
};
use mayday_core::state::{CancelReason, HoldReason, Status};
use mayday_core::timeline::{Actor, ActorKind, Event, EventKind, Visibility};
use mayday_core::{
    Impact, Incident, IncidentNumber, Millis, Priority, PriorityMatrix, Role, Urgency,
};
use mayday_store::{
    Entity, EntityKind, IncidentQuery, NewTimer, Policy, Schedule, Service, Store, StoreError,
    Team, User, decode_entity, encode_entity,
};
use uuid::Uuid;

use crate::paging::{SLA, TimerAction};
use crate::services::directory;
use crate::services::sla::SlaSettings;
use catalog::{Channel, SCENARIOS, Scenario, ServiceSpec};
use mayday_core::prng::SplitMix64 as Rng;

const SEED: u64 = 0x4d61_7964_6179_0001;
const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// How far back the demo history reaches.
const SPAN: i64 = 90 * DAY;
/// Resolved incidents close by themselves after this long (never major ones).
const AUTO_CLOSE: i64 = 7 * DAY;
/// Incidents per `import_incidents` transaction.
const BATCH: usize = 100;
/// Incidents drawn from the scenarios; duplicates and follow-ups come on top.
const BASE_INCIDENTS: usize = 291;
const MAX_MAJOR: usize = 8;
const MAX_FOLLOW_UPS: usize = 3;

/// What the demo put in the database.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    pub teams: usize,
    /// On-call schedules and escalation policies (one each per team with agents).
    pub schedules: usize,
    pub policies: usize,
    pub users: usize,
    pub services: usize,
    pub incidents: usize,
    pub events: usize,
    pub comments: usize,
    pub by_status: Vec<(Status, usize)>,
    pub by_priority: Vec<(Priority, usize)>,
    pub major: usize,
    pub duplicates: usize,
    pub reopened: usize,
    pub reassigned: usize,
    pub overridden: usize,
    pub follow_ups: usize,
    /// SLA policies and business calendars created.
    pub sla_policies: usize,
    pub calendars: usize,
    /// SLA clocks stopped in time, breached (stopped or still running), still running or
    /// paused within their target, and canceled with their incident.
    pub sla_met: usize,
    pub sla_breached: usize,
    pub sla_running: usize,
    pub sla_canceled: usize,
    /// Warning and breach timers left armed for the open incidents' clocks.
    pub sla_timers: usize,
    /// A closed major incident with a long timeline: a good first one to look at.
    pub showcase: Option<i64>,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} teams, {} users, {} services and {} incidents ({} timeline events, {} comments) \
             over the last 90 days; SLA clocks: {} met, {} breached, {} running",
            self.teams,
            self.users,
            self.services,
            self.incidents,
            self.events,
            self.comments,
            self.sla_met,
            self.sla_breached,
            self.sla_running
        )
    }
}

/// Whether the database holds any incident.
pub async fn has_incidents(store: &dyn Store) -> anyhow::Result<bool> {
    let page = store
        .list_incidents(&IncidentQuery {
            limit: 1,
            ..Default::default()
        })
        .await?;
    Ok(!page.items.is_empty())
}

/// Fills an empty database with the demo organization and incidents. Refuses a database that
/// already holds incidents. Users, teams and services that already exist under a demo name are
/// reused rather than duplicated.
pub async fn seed(
    store: &dyn Store,
    now: Millis,
    matrix: &PriorityMatrix,
) -> anyhow::Result<DemoSummary> {
    if has_incidents(store).await? {
        bail!("the database already holds incidents; the demo only fills an empty one");
    }
    directory::seed_taxonomy(store, now)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the taxonomy: {e}"))?;
    check_taxonomy(store).await?;
    let mut rng = Rng::new(SEED);
    let mut summary = DemoSummary::default();
    let org = Org::create(store, now, &mut rng, &mut summary).await?;
    let sla = seed_sla(store, now, &mut summary).await?;
    let plans = plan(&org, now, matrix, &mut rng);
    run(store, &org, &sla, plans, now, matrix, &mut summary).await?;
    Ok(summary)
}

/// The categories and subcategories the scenarios use must exist.
async fn check_taxonomy(store: &dyn Store) -> anyhow::Result<()> {
    let categories = directory::categories(store)
        .await
        .map_err(|e| anyhow::anyhow!("reading categories: {e}"))?;
    let mut missing = Vec::new();
    for s in SCENARIOS {
        let ok = categories
            .iter()
            .any(|c| c.name == s.category && c.subcategories.iter().any(|x| x == s.subcategory));
        let name = format!("{}/{}", s.category, s.subcategory);
        if !ok && !missing.contains(&name) {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        bail!(
            "the demo needs the default categories; missing: {}",
            missing.join(", ")
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64, small and good enough for made-up data.
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// The organization.
// ---------------------------------------------------------------------------------------------

struct Person {
    id: Uuid,
    username: String,
    display_name: String,
    role: Role,
    team: Option<&'static str>,
    zone: jiff::tz::TimeZone,
}

impl Person {
    fn actor(&self) -> Actor {
        Actor::user(self.id, self.username.clone())
    }
}

struct Org {
    people: Vec<Person>,
    teams: Vec<(Uuid, &'static str)>,
    services: Vec<(Uuid, &'static ServiceSpec)>,
    resolution_codes: Vec<String>,
}

impl Org {
    async fn create(
        store: &dyn Store,
        now: Millis,
        rng: &mut Rng,
        summary: &mut DemoSummary,
    ) -> anyhow::Result<Org> {
        // The organization existed before the incidents.
        let founded = now - SPAN - 14 * DAY;
        let mut people = Vec::new();
        for (i, spec) in catalog::USERS.iter().enumerate() {
            let at = founded + i as i64 * MINUTE;
            let user = User {
                id: rng.uuid(at),
                username: spec.username.to_string(),
                display_name: spec.display_name.to_string(),
                email: (spec.username != catalog::MONITORING_USER)
                    .then(|| format!("{}@example.com", spec.username)),
                time_zone: spec.time_zone.to_string(),
                role: spec.role,
                active: true,
                contact_methods: Vec::new(),
                notification_rules: Vec::new(),
            };
            let (entity, created) =
                insert_or_reuse(store, EntityKind::User, user.id, spec.username, &user, at).await?;
            summary.users += created as usize;
            let stored: User = decode_entity(&entity)?;
            people.push(Person {
                id: stored.id,
                username: stored.username,
                display_name: stored.display_name,
                role: stored.role,
                team: spec.team,
                zone: jiff::tz::TimeZone::get(&stored.time_zone).unwrap_or(jiff::tz::TimeZone::UTC),
            });
        }
        let mut teams = Vec::new();
        for (i, spec) in catalog::TEAMS.iter().enumerate() {
            let at = founded + HOUR + i as i64 * MINUTE;
            let team_id = rng.uuid(at);
            let members: Vec<&Person> = people
                .iter()
                .filter(|p| p.team == Some(spec.name))
                .collect();
            let (schedule_id, policy_id) =
                on_call_for(store, spec.name, team_id, &members, at, summary).await?;
            let team = Team {
                id: team_id,
                name: spec.name.to_string(),
                description: spec.description.to_string(),
                members: members.iter().map(|p| p.id).collect(),
                schedule_id,
                escalation_policy_id: policy_id,
            };
            let (entity, created) =
                insert_or_reuse(store, EntityKind::Team, team.id, spec.name, &team, at).await?;
            summary.teams += created as usize;
            teams.push((entity.id, spec.name));
        }
        let mut services = Vec::new();
        for (i, spec) in catalog::SERVICES.iter().enumerate() {
            let at = founded + 2 * HOUR + i as i64 * MINUTE;
            let owner = teams
                .iter()
                .find(|(_, n)| *n == spec.team)
                .map(|(id, _)| *id);
            let policy = match owner {
                Some(team) => store
                    .get_entity(EntityKind::Team, team)
                    .await?
                    .and_then(|e| decode_entity::<Team>(&e).ok())
                    .and_then(|t| t.escalation_policy_id),
                None => None,
            };
            let service = Service {
                id: rng.uuid(at),
                name: spec.name.to_string(),
                description: spec.description.to_string(),
                owner_team_id: owner,
                tier: spec.tier,
                default_category: None,
                maintenance_windows: Vec::new(),
                escalation_policy_id: policy,
            };
            let (entity, created) = insert_or_reuse(
                store,
                EntityKind::Service,
                service.id,
                spec.name,
                &service,
                at,
            )
            .await?;
            summary.services += created as usize;
            services.push((entity.id, spec));
        }
        let resolution_codes = directory::resolution_codes(store)
            .await
            .map_err(|e| anyhow::anyhow!("reading resolution codes: {e}"))?;
        if resolution_codes.is_empty() {
            bail!("the demo needs at least one resolution code");
        }
        Ok(Org {
            people,
            teams,
            services,
            resolution_codes,
        })
    }

    fn person(&self, username: &str) -> &Person {
        self.people
            .iter()
            .find(|p| p.username == username)
            .expect("catalog user")
    }

    fn team_id(&self, name: &str) -> Uuid {
        self.teams
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(id, _)| *id)
            .expect("catalog team")
    }

    /// The agents of a team (the manager commands, she does not take tickets).
    fn agents(&self, team: &str) -> Vec<&Person> {
        self.people
            .iter()
            .filter(|p| p.team == Some(team) && p.role == Role::Agent)
            .collect()
    }

    fn requesters(&self) -> Vec<&Person> {
        self.people
            .iter()
            .filter(|p| p.role == Role::Requester && p.username != catalog::MONITORING_USER)
            .collect()
    }

    fn service(&self, name: &str) -> (Uuid, &'static ServiceSpec) {
        *self
            .services
            .iter()
            .find(|(_, s)| s.name == name)
            .expect("catalog service")
    }

    /// A resolution code the taxonomy knows: the wanted one, else the first there is.
    fn code(&self, wanted: &str) -> String {
        if self.resolution_codes.iter().any(|c| c == wanted) {
            wanted.to_string()
        } else {
            self.resolution_codes[0].clone()
        }
    }
}

/// A team's on-call: a weekly rotation of its agents handing off Mondays at 09:00 in the first
/// one's time zone, and a policy paging whoever is on call, then the whole team after 15
/// minutes, twice over. Their ids (none for a team without agents).
async fn on_call_for(
    store: &dyn Store,
    team: &str,
    team_id: Uuid,
    members: &[&Person],
    at: Millis,
    summary: &mut DemoSummary,
) -> anyhow::Result<(Option<Uuid>, Option<Uuid>)> {
    use mayday_core::oncall::{EscalationLevel, EscalationPolicy, Layer, Rota, Target, Turn};
    let agents: Vec<&&Person> = members.iter().filter(|p| p.role == Role::Agent).collect();
    let Some(first) = agents.first() else {
        return Ok((None, None));
    };
    let zone = first.zone.clone();
    // The Monday on or before the organization's founding, 09:00 local.
    let day = zone
        .to_datetime(jiff::Timestamp::from_millisecond(at)?)
        .date();
    let monday =
        day.checked_sub(jiff::Span::new().days(i64::from(day.weekday().to_monday_zero_offset())))?;
    let schedule = Schedule {
        id: Uuid::nil(),
        name: String::new(),
        description: format!("Who of {team} answers pages, a week each."),
        rota: Rota {
            time_zone: zone.iana_name().unwrap_or("UTC").to_string(),
            layers: vec![Layer {
                name: "Weekly".into(),
                members: agents.iter().map(|p| p.id).collect(),
                turn: Turn {
                    unit: mayday_core::oncall::TurnUnit::Weeks,
                    count: 1,
                },
                start: monday.at(9, 0, 0, 0),
                restrictions: Vec::new(),
            }],
            overrides: Vec::new(),
        },
    };
    let name = format!("{team} on call");
    let (s, created) = insert_or_reuse(
        store,
        EntityKind::Schedule,
        Uuid::now_v7(),
        &name,
        &schedule,
        at,
    )
    .await?;
    summary.schedules += created as usize;
    let policy = Policy {
        id: Uuid::nil(),
        name: String::new(),
        description: format!("Pages {team}'s on-call person, then the whole team."),
        policy: EscalationPolicy {
            levels: vec![
                EscalationLevel {
                    targets: vec![Target::Schedule(s.id)],
                    delay_seconds: 15 * 60,
                },
                EscalationLevel {
                    targets: vec![Target::Team(team_id)],
                    delay_seconds: 15 * 60,
                },
            ],
            repeat: 1,
        },
    };
    let name = format!("{team} escalation");
    let (p, created) = insert_or_reuse(
        store,
        EntityKind::EscalationPolicy,
        Uuid::now_v7(),
        &name,
        &policy,
        at,
    )
    .await?;
    summary.policies += created as usize;
    Ok((Some(s.id), Some(p.id)))
}

/// Inserts a record; when its name is taken, reuses the existing one. Returns whether it was
/// created.
async fn insert_or_reuse<T: serde::Serialize>(
    store: &dyn Store,
    kind: EntityKind,
    id: Uuid,
    name: &str,
    record: &T,
    at: Millis,
) -> anyhow::Result<(Entity, bool)> {
    let entity = Entity {
        kind,
        id,
        name: name.to_string(),
        version: 1,
        doc: encode_entity(record),
        created_at: at,
        updated_at: at,
    };
    match store.insert_entity(&entity).await {
        Ok(()) => Ok((entity, true)),
        Err(StoreError::Duplicate { .. }) => {
            let existing = store
                .get_entity_by_name(kind, name)
                .await?
                .with_context(|| format!("{} {name:?} exists but cannot be read", kind.as_str()))?;
            Ok((existing, false))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// SLAs: an office calendar and a policy per priority.
// ---------------------------------------------------------------------------------------------

/// Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm).
fn easter(year: i16) -> anyhow::Result<jiff::civil::Date> {
    let y = i32::from(year);
    let (a, b, c) = (y % 19, y / 100, y % 100);
    let (d, e) = (b / 4, b % 4);
    let g = (b - (b + 8) / 25 + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    Ok(jiff::civil::Date::new(
        year,
        (n / 31) as i8,
        (n % 31 + 1) as i8,
    )?)
}

/// The office calendar: weekdays in office hours, closed on the national holidays from before
/// the demo's first incident until well after `now` (open clocks are due up to weeks ahead).
fn office_calendar(now: Millis) -> anyhow::Result<BusinessCalendar> {
    use catalog::HolidayDate;
    use jiff::civil;
    use mayday_core::oncall::Day;
    let zone = jiff::tz::TimeZone::get(catalog::OFFICE_ZONE)?;
    let date = |ms: Millis| -> anyhow::Result<civil::Date> {
        Ok(jiff::Timestamp::from_millisecond(ms)?
            .to_zoned_datetime(zone.clone())
            .date())
    };
    let (first, last) = (date(now - SPAN - 14 * DAY)?, date(now + 120 * DAY)?);
    let mut holidays = Vec::new();
    for year in first.year()..=last.year() {
        for (name, when) in catalog::HOLIDAYS {
            let day = match *when {
                HolidayDate::Fixed(month, day) => civil::Date::new(year, month, day)?,
                HolidayDate::Easter(offset) => {
                    easter(year)?.checked_add(jiff::Span::new().days(i64::from(offset)))?
                }
            };
            if (first..=last).contains(&day) {
                holidays.push(Holiday {
                    name: name.to_string(),
                    start: day,
                    end: day,
                });
            }
        }
    }
    holidays.sort_by_key(|h| h.start);
    let (open, close) = catalog::OFFICE_HOURS;
    let hours = [
        Day::Monday,
        Day::Tuesday,
        Day::Wednesday,
        Day::Thursday,
        Day::Friday,
    ]
    .map(|day| WorkingHours {
        day,
        start: civil::time(open, 0, 0, 0),
        end: civil::time(close, 0, 0, 0),
    })
    .to_vec();
    Ok(BusinessCalendar {
        id: Uuid::nil(),
        name: catalog::OFFICE_CALENDAR.to_string(),
        time_zone: catalog::OFFICE_ZONE.to_string(),
        always_open: false,
        hours,
        holidays,
    })
}

/// Stores the office calendar and the SLA policies (reusing any already there under their
/// names) and returns the SLA settings as the server will read them.
async fn seed_sla(
    store: &dyn Store,
    now: Millis,
    summary: &mut DemoSummary,
) -> anyhow::Result<SlaSettings> {
    // Its own stream: drawing from the main one would change every incident.
    let mut rng = Rng::new(SEED ^ 0x51a);
    let at = now - SPAN - 14 * DAY + 3 * HOUR;
    let calendar = office_calendar(now)?;
    calendar
        .validate()
        .map_err(|e| anyhow::anyhow!("the demo calendar is invalid: {e:?}"))?;
    let (office, created) = insert_or_reuse(
        store,
        EntityKind::BusinessCalendar,
        rng.uuid(at),
        catalog::OFFICE_CALENDAR,
        &calendar,
        at,
    )
    .await?;
    summary.calendars += created as usize;
    for (i, spec) in catalog::SLA_POLICIES.iter().enumerate() {
        let at = at + (i as i64 + 1) * MINUTE;
        let policy = SlaPolicy {
            id: Uuid::nil(),
            name: spec.name.to_string(),
            order: 0,
            conditions: SlaConditions {
                priorities: spec
                    .priorities
                    .iter()
                    .filter_map(|l| Priority::from_level(*l).ok())
                    .collect(),
                ..Default::default()
            },
            response_seconds: Some(spec.response_minutes * 60),
            resolution_seconds: Some(spec.resolution_minutes * 60),
            calendar_id: spec.office_hours.then_some(office.id),
            pause_on: sla::default_pause_on(),
            warnings: sla::default_warnings(),
            actions: SlaPolicy::default_actions(),
            on_reopen: Default::default(),
        };
        policy
            .validate()
            .map_err(|e| anyhow::anyhow!("demo SLA policy {:?} is invalid: {e:?}", spec.name))?;
        let (_, created) = insert_or_reuse(
            store,
            EntityKind::SlaPolicy,
            rng.uuid(at),
            spec.name,
            &policy,
            at,
        )
        .await?;
        summary.sla_policies += created as usize;
    }
    Ok(SlaSettings::load(store).await?)
}

// ---------------------------------------------------------------------------------------------
// Plans: what happens to each incident, and when.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    New,
    Acknowledged,
    InProgress,
    OnHold,
    Resolved,
    Closed,
    Canceled,
}

/// How many base incidents end in each state; the rest end closed.
const OUTCOMES: &[(Outcome, usize)] = &[
    (Outcome::New, 9),
    (Outcome::Acknowledged, 8),
    (Outcome::InProgress, 20),
    (Outcome::OnHold, 16),
    (Outcome::Resolved, 24),
    (Outcome::Canceled, 14),
];

/// Weights of P1..P5 for an incident ending in `o`.
fn priority_weights(o: Outcome) -> [u32; 5] {
    match o {
        Outcome::New => [0, 1, 4, 4, 2],
        Outcome::Acknowledged => [0, 2, 4, 3, 1],
        Outcome::InProgress => [1, 3, 5, 3, 1],
        Outcome::OnHold => [0, 1, 4, 4, 3],
        Outcome::Resolved => [1, 3, 5, 4, 2],
        Outcome::Canceled => [1, 2, 4, 3, 2],
        Outcome::Closed => [1, 6, 14, 10, 5],
    }
}

#[derive(Debug, Clone)]
enum Step {
    Comment {
        by: Actor,
        body: String,
        visibility: Visibility,
    },
    Transition {
        by: Actor,
        req: TransitionRequest,
    },
    Patch {
        by: Actor,
        patch: Box<IncidentPatch>,
    },
    Mitigate {
        by: Actor,
    },
    Link {
        by: Actor,
        relation: &'static str,
        other: Uuid,
        note: &'static str,
    },
    /// A public comment naming the master incident by number (known once it is stored).
    DuplicateNote {
        by: Actor,
        master: Uuid,
        template: &'static str,
    },
}

enum Opening {
    Fresh(Box<NewIncident>),
    FollowUp { of: Uuid, reason: String },
}

struct Plan {
    id: Uuid,
    created: Millis,
    opener: Actor,
    opening: Opening,
    /// Offsets before `created` of the start and detection (filled at creation).
    started_before: i64,
    detected_before: i64,
    steps: Vec<(Millis, Step)>,
    /// Replacements for `{placeholders}` in every text.
    fill: Fill,
    // What the story was built from, for duplicates and follow-ups.
    scenario: &'static Scenario,
    level: u8,
    major: bool,
    closed_at: Option<Millis>,
}

/// Per-incident values for the `{placeholders}` of the catalog.
#[derive(Debug, Clone, Default)]
struct Fill(Vec<(&'static str, String)>);

impl Fill {
    fn apply(&self, text: &str) -> String {
        let mut s = text.to_string();
        for (k, v) in &self.0 {
            if s.contains(k) {
                s = s.replace(k, v);
            }
        }
        s
    }
}

/// Everything a story needs about the incident's people and service.
struct Cast<'a> {
    scenario: &'static Scenario,
    level: u8,
    monitoring: bool,
    reporter: &'a Person,
    /// Who acknowledges.
    first: &'a Person,
    /// The team that owns the service, its agent, and (rarely) a wrong team tried first.
    owner_team: Uuid,
    owner_agent: &'a Person,
    detour: Option<(Uuid, &'a Person)>,
    /// Whether the service desk must pass it on to the owner team.
    escalate: bool,
    manager: &'a Person,
    major: bool,
    override_to: Option<(u8, &'static str)>,
    fill: &'a Fill,
}

struct Story {
    t: i64,
    steps: Vec<(i64, Step)>,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
}

impl Story {
    fn new() -> Self {
        Self {
            t: 0,
            steps: Vec::new(),
            resolved_at: None,
            closed_at: None,
        }
    }

    fn after(&mut self, delay: i64, step: Step) {
        self.t += delay.max(SECOND);
        self.steps.push((self.t, step));
    }

    fn note(&mut self, delay: i64, by: &Person, body: String) {
        self.after(
            delay,
            Step::Comment {
                by: by.actor(),
                body,
                visibility: Visibility::WorkNote,
            },
        );
    }

    fn update(&mut self, delay: i64, by: &Person, body: String) {
        self.after(
            delay,
            Step::Comment {
                by: by.actor(),
                body,
                visibility: Visibility::Public,
            },
        );
    }

    fn move_to(&mut self, delay: i64, by: Actor, req: TransitionRequest) {
        let to = req.to;
        self.after(delay, Step::Transition { by, req });
        match to {
            Some(Status::Resolved) => self.resolved_at = Some(self.t),
            Some(Status::Closed) => self.closed_at = Some(self.t),
            _ => {}
        }
    }
}

fn to(status: Status) -> TransitionRequest {
    TransitionRequest {
        to: Some(status),
        ..Default::default()
    }
}

fn with_reason(status: Status, reason: &str) -> TransitionRequest {
    TransitionRequest {
        to: Some(status),
        reason: Some(reason.to_string()),
        ..Default::default()
    }
}

fn ack_delay(rng: &mut Rng, level: u8) -> i64 {
    match level {
        1 => rng.span(MINUTE, 6 * MINUTE),
        2 => rng.span(2 * MINUTE, 20 * MINUTE),
        3 => rng.span(4 * MINUTE, 90 * MINUTE),
        4 => rng.span(10 * MINUTE, 6 * HOUR),
        _ => rng.span(30 * MINUTE, 20 * HOUR),
    }
}

/// Time from starting work to the fix.
fn work_time(rng: &mut Rng, level: u8) -> i64 {
    match level {
        1 => rng.span(20 * MINUTE, 4 * HOUR),
        2 => rng.span(45 * MINUTE, 10 * HOUR),
        3 => rng.span(2 * HOUR, 2 * DAY),
        4 => rng.span(6 * HOUR, 5 * DAY),
        _ => rng.span(DAY, 12 * DAY),
    }
}

fn hold_time(rng: &mut Rng, reason: HoldReason) -> i64 {
    match reason {
        HoldReason::AwaitingCaller => rng.span(HOUR, 2 * DAY),
        HoldReason::AwaitingVendor => rng.span(6 * HOUR, 5 * DAY),
        HoldReason::AwaitingChange => rng.span(12 * HOUR, 4 * DAY),
        HoldReason::AwaitingProblem => rng.span(DAY, 10 * DAY),
    }
}

fn hold_reason(rng: &mut Rng, monitoring: bool) -> HoldReason {
    let weights = if monitoring {
        [0, 4, 3, 3]
    } else {
        [4, 3, 2, 1]
    };
    [
        HoldReason::AwaitingCaller,
        HoldReason::AwaitingVendor,
        HoldReason::AwaitingChange,
        HoldReason::AwaitingProblem,
    ][rng.weighted(&weights)]
}

fn hold_texts(reason: HoldReason) -> (&'static [&'static str], &'static str) {
    match reason {
        HoldReason::AwaitingCaller => (catalog::HOLD_CALLER, catalog::RESUME_NOTES[0]),
        HoldReason::AwaitingVendor => (catalog::HOLD_VENDOR, catalog::RESUME_NOTES[1]),
        HoldReason::AwaitingChange => (catalog::HOLD_CHANGE, catalog::RESUME_NOTES[2]),
        HoldReason::AwaitingProblem => (catalog::HOLD_PROBLEM, catalog::RESUME_NOTES[3]),
    }
}

fn system() -> Actor {
    Actor::system()
}

fn integration(name: &str) -> Actor {
    Actor {
        kind: ActorKind::Integration,
        id: None,
        name: name.to_string(),
    }
}

/// The story of an incident that someone works on, up to `outcome`.
fn worked_story(
    rng: &mut Rng,
    cast: &Cast<'_>,
    outcome: Outcome,
    hold: Option<HoldReason>,
) -> Story {
    let f = cast.fill;
    let sc = cast.scenario;
    let level = cast.level;
    let mut s = Story::new();
    let first = cast.first;
    s.move_to(
        ack_delay(rng, level),
        first.actor(),
        to(Status::Acknowledged),
    );
    s.after(
        rng.range(20 * SECOND, 3 * MINUTE),
        Step::Patch {
            by: first.actor(),
            patch: Box::new(IncidentPatch {
                assignee_id: Some(Some(first.id)),
                ..Default::default()
            }),
        },
    );
    if !cast.monitoring && rng.chance(0.5) {
        let text = f.apply(rng.pick(catalog::ACK_UPDATES));
        s.update(rng.range(MINUTE, 5 * MINUTE), first, text);
    }
    let triage: &str = if cast.escalate || sc.notes.len() < 3 || rng.chance(0.4) {
        rng.pick(if cast.monitoring {
            catalog::ALERT_TRIAGE_NOTES
        } else {
            catalog::TRIAGE_NOTES
        })
    } else {
        sc.notes[0]
    };
    s.note(rng.span(3 * MINUTE, 25 * MINUTE), first, f.apply(triage));
    if outcome == Outcome::Acknowledged {
        return s;
    }

    let mut worker = first;
    if cast.escalate {
        let text = f.apply(rng.pick(catalog::ESCALATION_NOTES));
        let triage_time = match level {
            1 => rng.span(2 * MINUTE, 8 * MINUTE),
            2 => rng.span(4 * MINUTE, 20 * MINUTE),
            _ => rng.span(5 * MINUTE, 40 * MINUTE),
        };
        s.note(triage_time, first, text);
        let mut from = first;
        if let Some((team, agent)) = cast.detour {
            s.after(
                rng.range(30 * SECOND, 2 * MINUTE),
                Step::Patch {
                    by: from.actor(),
                    patch: Box::new(IncidentPatch {
                        assignment_group_id: Some(Some(team)),
                        assignee_id: Some(Some(agent.id)),
                        ..Default::default()
                    }),
                },
            );
            let text = f.apply(rng.pick(catalog::WRONG_TEAM_NOTES));
            s.note(rng.span(10 * MINUTE, 2 * HOUR), agent, text);
            from = agent;
        }
        s.after(
            rng.range(30 * SECOND, 2 * MINUTE),
            Step::Patch {
                by: from.actor(),
                patch: Box::new(IncidentPatch {
                    assignment_group_id: Some(Some(cast.owner_team)),
                    assignee_id: Some(Some(cast.owner_agent.id)),
                    ..Default::default()
                }),
            },
        );
        worker = cast.owner_agent;
    }
    let pick_up = match level {
        1 | 2 => rng.span(MINUTE, 8 * MINUTE),
        _ => rng.span(2 * MINUTE, 30 * MINUTE),
    };
    s.move_to(pick_up, worker.actor(), to(Status::InProgress));
    if let Some((p, reason)) = cast.override_to {
        let by = if rng.chance(0.5) {
            cast.manager
        } else {
            worker
        };
        s.after(
            rng.span(5 * MINUTE, 30 * MINUTE),
            Step::Patch {
                by: by.actor(),
                patch: Box::new(IncidentPatch {
                    priority_override: Some(Some((
                        Priority::from_level(p as i64).unwrap_or(Priority::P1),
                        f.apply(reason),
                    ))),
                    ..Default::default()
                }),
            },
        );
    }
    if cast.major {
        s.after(
            rng.range(MINUTE, 8 * MINUTE),
            Step::Patch {
                by: cast.manager.actor(),
                patch: Box::new(IncidentPatch {
                    major: Some(true),
                    ..Default::default()
                }),
            },
        );
        let text = f.apply(rng.pick(catalog::MAJOR_DECLARED));
        s.update(rng.range(MINUTE, 3 * MINUTE), cast.manager, text);
        let text = f
            .apply(rng.pick(catalog::MAJOR_BRIDGE))
            .replace("{worker}", &worker.display_name);
        s.note(rng.range(MINUTE, 3 * MINUTE), cast.manager, text);
    }

    // The investigation: the scenario's notes in order (not every step gets written down),
    // a hold after the first one when the work has to wait, and public updates for the bigger
    // incidents.
    let work = work_time(rng, level);
    let mut notes: Vec<&str> = sc.notes.iter().copied().filter(|n| *n != triage).collect();
    if !cast.major && notes.len() > 2 && rng.chance(0.5) {
        notes.remove(1 + rng.below(notes.len() - 2));
    }
    match outcome {
        // Still working: the last note (the fix) is not written yet.
        Outcome::InProgress if notes.len() > 1 => {
            let keep = 1 + rng.below(notes.len() - 1);
            notes.truncate(keep);
        }
        Outcome::OnHold => notes.truncate(1),
        _ => {}
    }
    // The last public update of a scenario says the service is back; keep it for mitigation.
    let during = match sc.updates.len() {
        0 | 1 => sc.updates,
        n => &sc.updates[..n - 1],
    };
    let mut public = during.iter();
    let mut progress = catalog::MAJOR_PROGRESS.iter().cycle().skip(rng.below(3));
    let gap = work / (notes.len() as i64 + 2);
    for i in 0..notes.len().max(1) {
        if let Some(note) = notes.get(i) {
            s.note(rng.range(gap / 2, gap + MINUTE), worker, f.apply(note));
        }
        if cast.major {
            let text = public
                .next()
                .or_else(|| progress.next())
                .copied()
                .unwrap_or_default();
            s.update(
                rng.range(2 * MINUTE, 10 * MINUTE),
                cast.manager,
                f.apply(text),
            );
        } else if level <= 3
            && !cast.monitoring
            && i == 0
            && rng.chance(0.5)
            && let Some(u) = public.next()
        {
            s.update(rng.range(2 * MINUTE, 20 * MINUTE), worker, f.apply(u));
        }
        if i == 0
            && let Some(reason) = hold
        {
            let (texts, resume) = hold_texts(reason);
            s.note(rng.span(5 * MINUTE, HOUR), worker, f.apply(rng.pick(texts)));
            if !cast.monitoring && rng.chance(0.6) {
                let text = match reason {
                    HoldReason::AwaitingCaller => catalog::HOLD_PUBLIC[2],
                    HoldReason::AwaitingChange => catalog::HOLD_PUBLIC[1],
                    _ => catalog::HOLD_PUBLIC[0],
                };
                s.update(rng.range(MINUTE, 5 * MINUTE), worker, f.apply(text));
            }
            s.move_to(
                rng.range(30 * SECOND, 2 * MINUTE),
                worker.actor(),
                with_reason(Status::OnHold, reason.as_str()),
            );
            if outcome == Outcome::OnHold {
                return s;
            }
            s.move_to(
                hold_time(rng, reason),
                worker.actor(),
                to(Status::InProgress),
            );
            s.note(rng.range(MINUTE, 10 * MINUTE), worker, f.apply(resume));
        }
    }
    if outcome == Outcome::InProgress {
        return s;
    }

    if cast.major || (level <= 2 && rng.chance(0.6)) {
        s.after(
            rng.range(work / 8, work / 4 + MINUTE),
            Step::Mitigate { by: worker.actor() },
        );
        if let Some(last) = sc.updates.last().filter(|_| sc.updates.len() > 1) {
            let by = if cast.major { cast.manager } else { worker };
            s.update(rng.range(2 * MINUTE, 10 * MINUTE), by, f.apply(last));
        }
    }
    if (cast.major || (level <= 2 && rng.chance(0.5)))
        && (!sc.workaround.is_empty() || !sc.root_cause.is_empty())
    {
        let text = |t: &str| (!t.is_empty()).then(|| Some(f.apply(t)));
        s.after(
            rng.range(5 * MINUTE, 30 * MINUTE),
            Step::Patch {
                by: worker.actor(),
                patch: Box::new(IncidentPatch {
                    workaround: text(sc.workaround),
                    root_cause: text(sc.root_cause),
                    ..Default::default()
                }),
            },
        );
    }
    let (code, notes) = rng.pick(sc.resolutions);
    s.move_to(
        rng.range(work / 4, work / 2 + MINUTE),
        worker.actor(),
        TransitionRequest {
            to: Some(Status::Resolved),
            resolution_code: Some(code.to_string()),
            resolution_notes: Some(f.apply(notes)),
            ..Default::default()
        },
    );
    if !cast.monitoring && !cast.major && rng.chance(0.5) {
        let text = f.apply(rng.pick(catalog::RESOLVED_UPDATES));
        s.update(rng.range(MINUTE, 10 * MINUTE), worker, text);
    }
    let can_reopen = !cast.monitoring && !cast.major;
    if matches!(outcome, Outcome::Resolved | Outcome::Closed) && can_reopen && rng.chance(0.08) {
        let reason = f.apply(rng.pick(catalog::REOPEN_REASONS));
        s.move_to(
            rng.span(2 * HOUR, DAY),
            cast.reporter.actor(),
            with_reason(Status::InProgress, &reason),
        );
        let text = f.apply(rng.pick(catalog::REOPEN_NOTES));
        s.note(rng.span(10 * MINUTE, 2 * HOUR), worker, text);
        let (code, _) = rng.pick(sc.resolutions);
        s.move_to(
            rng.range(work / 3, work / 2 + HOUR),
            worker.actor(),
            TransitionRequest {
                to: Some(Status::Resolved),
                resolution_code: Some(code.to_string()),
                resolution_notes: Some(f.apply(rng.pick(catalog::REOPEN_RESOLUTIONS))),
                ..Default::default()
            },
        );
    }
    if outcome == Outcome::Resolved {
        return s;
    }

    let resolved_at = s.resolved_at.unwrap_or(s.t);
    if cast.major {
        let text = f.apply(rng.pick(catalog::MAJOR_REVIEWS));
        s.update(rng.span(2 * DAY, 9 * DAY), cast.manager, text);
        s.move_to(
            rng.range(2 * MINUTE, 20 * MINUTE),
            cast.manager.actor(),
            to(Status::Closed),
        );
    } else if !cast.monitoring && cast.reporter.role == Role::Requester && rng.chance(0.45) {
        if rng.chance(0.6) {
            let text = f.apply(rng.pick(catalog::CONFIRMATIONS));
            s.update(rng.span(HOUR, 2 * DAY), cast.reporter, text);
        }
        s.move_to(
            rng.range(MINUTE, 5 * MINUTE),
            cast.reporter.actor(),
            to(Status::Closed),
        );
    } else if cast.monitoring && rng.chance(0.5) {
        s.move_to(
            rng.span(10 * MINUTE, DAY),
            worker.actor(),
            to(Status::Closed),
        );
    } else {
        let wait = (resolved_at + AUTO_CLOSE - s.t).max(MINUTE);
        s.move_to(wait, system(), to(Status::Closed));
    }
    s
}

fn canceled_story(rng: &mut Rng, cast: &Cast<'_>, reason: CancelReason) -> Story {
    let f = cast.fill;
    let mut s = Story::new();
    let first = cast.first;
    if rng.chance(0.6) {
        s.move_to(
            ack_delay(rng, cast.level),
            first.actor(),
            to(Status::Acknowledged),
        );
        s.after(
            rng.range(20 * SECOND, 3 * MINUTE),
            Step::Patch {
                by: first.actor(),
                patch: Box::new(IncidentPatch {
                    assignee_id: Some(Some(first.id)),
                    ..Default::default()
                }),
            },
        );
    }
    let (texts, public) = match reason {
        CancelReason::FalseAlarm => (catalog::FALSE_ALARMS, false),
        CancelReason::NotAnIncident => (catalog::NOT_INCIDENTS, true),
        _ => (catalog::WITHDRAWN, true),
    };
    let text = f.apply(rng.pick(texts));
    if public {
        s.update(rng.span(5 * MINUTE, 3 * HOUR), first, text);
    } else {
        s.note(rng.span(5 * MINUTE, 3 * HOUR), first, text);
    }
    s.move_to(
        rng.range(30 * SECOND, 3 * MINUTE),
        first.actor(),
        with_reason(Status::Canceled, reason.as_str()),
    );
    s
}

fn new_story(rng: &mut Rng, cast: &Cast<'_>, age: i64) -> Story {
    let mut s = Story::new();
    if !cast.monitoring && age > HOUR && rng.chance(0.4) {
        let text = cast.fill.apply(rng.pick(catalog::NUDGES));
        s.update(rng.range(age / 3, age * 2 / 3), cast.reporter, text);
    }
    s
}

/// Picks (impact, urgency) that the matrix maps to `level`, or the nearest level it has.
fn cell_for(rng: &mut Rng, matrix: &PriorityMatrix, level: u8) -> (Impact, Urgency) {
    let cells: Vec<(Impact, Urgency, u8)> = (1..=3)
        .flat_map(|i| (1..=3).map(move |u| (i, u)))
        .filter_map(|(i, u)| {
            let (impact, urgency) = (Impact::new(i).ok()?, Urgency::new(u).ok()?);
            Some((impact, urgency, matrix.priority(impact, urgency).level()))
        })
        .collect();
    let best = cells
        .iter()
        .map(|c| (c.2 as i32 - level as i32).abs())
        .min()
        .unwrap_or(0);
    let fitting: Vec<_> = cells
        .iter()
        .filter(|c| (c.2 as i32 - level as i32).abs() == best)
        .collect();
    let c = rng.pick(&fitting);
    (c.0, c.1)
}

fn user_source(rng: &mut Rng) -> Source {
    [
        Source::Portal,
        Source::Email,
        Source::Phone,
        Source::Chat,
        Source::Api,
    ][rng.weighted(&[35, 25, 25, 10, 5])]
}

fn fill_for(rng: &mut Rng, org: &Org, sc: &Scenario, svc: &ServiceSpec, reporter: &Person) -> Fill {
    let hosts = if sc.hosts.is_empty() {
        svc.hosts
    } else {
        sc.hosts
    };
    let host = rng.below(hosts.len());
    let host2 = if hosts.len() > 1 {
        (host + 1 + rng.below(hosts.len() - 1)) % hosts.len()
    } else {
        host
    };
    let team = svc.team;
    let manager = org.person(catalog::MANAGER_USER);
    let version = format!("{}.{}.{}", 3 + rng.below(3), rng.below(20), rng.below(10));
    Fill(vec![
        ("{service}", svc.name.to_string()),
        ("{team}", team.to_string()),
        ("{host}", hosts[host].to_string()),
        ("{host2}", hosts[host2].to_string()),
        ("{few}", (2 + rng.below(6)).to_string()),
        ("{high}", (86 + rng.below(12)).to_string()),
        ("{step}", (3 + rng.below(10)).to_string()),
        ("{site}", rng.pick(catalog::SITES).to_string()),
        ("{pct}", (5 + rng.below(56)).to_string()),
        ("{n}", (2 + rng.below(39)).to_string()),
        ("{minutes}", (5 + rng.below(36)).to_string()),
        ("{version}", version),
        ("{case}", format!("CS-{:06}", 100_000 + rng.below(900_000))),
        ("{change}", format!("CHG-{:05}", 10_000 + rng.below(90_000))),
        ("{asset}", format!("LT-{:04}", 1000 + rng.below(9000))),
        ("{caller}", reporter.display_name.clone()),
        ("{manager}", manager.display_name.clone()),
    ])
}

/// Shifts a user-reported incident so that it was reported during the reporter's working hours
/// on a weekday, when that keeps it inside the demo span.
fn working_hours_shift(
    rng: &mut Rng,
    zone: &jiff::tz::TimeZone,
    created: Millis,
    floor: Millis,
) -> i64 {
    let Ok(ts) = jiff::Timestamp::from_millisecond(created) else {
        return 0;
    };
    let local = ts.to_zoned_datetime(zone.clone());
    let target = 8 + rng.below(10) as i64;
    let mut shift = ((local.hour() as i64 - target).rem_euclid(24)) * HOUR;
    if let Ok(ts) = jiff::Timestamp::from_millisecond(created - shift) {
        // A weekend report moves to one of the five weekdays before it.
        let back = rng.below(5) as i64 * DAY;
        shift += match ts.to_zoned_datetime(zone.clone()).weekday() {
            jiff::civil::Weekday::Saturday => DAY + back,
            jiff::civil::Weekday::Sunday => 2 * DAY + back,
            _ => 0,
        };
    }
    if created - shift >= floor { shift } else { 0 }
}

/// Places a story: its steps become instants, ending at `end` (or starting at `start`), scaled
/// down if needed so that everything lies inside `[floor, ceiling]`.
fn place(
    story: &Story,
    start: Option<Millis>,
    end: Option<Millis>,
    floor: Millis,
    ceiling: Millis,
) -> (Millis, Vec<(Millis, Step)>, f64) {
    let total = story.t.max(0);
    let (created, factor) = match (start, end) {
        (Some(c), _) => {
            let room = (ceiling - c).max(0);
            if total > room && total > 0 {
                (c, room as f64 / total as f64)
            } else {
                (c, 1.0)
            }
        }
        (None, Some(e)) => {
            let room = (e - floor).max(0);
            if total > room && total > 0 {
                (floor, room as f64 / total as f64)
            } else {
                (e - total, 1.0)
            }
        }
        (None, None) => (ceiling, 1.0),
    };
    let steps = story
        .steps
        .iter()
        .map(|(t, step)| (created + (*t as f64 * factor) as i64, step.clone()))
        .collect();
    (created, steps, factor)
}

/// Decides every incident: who, what, and the instants of every step.
fn plan(org: &Org, now: Millis, matrix: &PriorityMatrix, rng: &mut Rng) -> Vec<Plan> {
    let floor = now - SPAN + HOUR;
    let ceiling = now - MINUTE;
    let mut outcomes: Vec<Outcome> = OUTCOMES
        .iter()
        .flat_map(|(o, n)| std::iter::repeat_n(*o, *n))
        .collect();
    outcomes.resize(BASE_INCIDENTS, Outcome::Closed);
    rng.shuffle(&mut outcomes);

    let desk_team = org.team_id(catalog::SERVICE_DESK);
    let desk = org.agents(catalog::SERVICE_DESK);
    let requesters = org.requesters();
    let manager = org.person(catalog::MANAGER_USER);
    let monitoring_user = org.person(catalog::MONITORING_USER);
    let all_agents: Vec<&Person> = org
        .people
        .iter()
        .filter(|p| p.role == Role::Agent)
        .collect();

    let mut plans: Vec<Plan> = Vec::new();
    let mut majors = 0;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        // Each incident draws from its own stream, so one incident's choices never shift
        // another's.
        let mut r = Rng::new(SEED ^ (i as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let rng = &mut r;
        let level = 1 + rng.weighted(&priority_weights(outcome)) as u8;
        let cancel = (outcome == Outcome::Canceled).then(|| {
            [
                CancelReason::FalseAlarm,
                CancelReason::NotAnIncident,
                CancelReason::WithdrawnByCaller,
            ][rng.weighted(&[4, 3, 3])]
        });
        // What can end this way: false alarms come from monitoring, requests and questions
        // are "not an incident", outages are not put on hold.
        let fits = |s: &Scenario| match (cancel, outcome) {
            (Some(CancelReason::FalseAlarm), _) => s.channel != Channel::User,
            (Some(CancelReason::NotAnIncident), _) => {
                s.category == "inquiry"
                    || ["permissions", "new_account", "password_reset"].contains(&s.subcategory)
            }
            (Some(_), _) => s.channel != Channel::Alert && !s.major,
            (None, Outcome::OnHold) => !s.major,
            (None, _) => true,
        };
        let mut candidates: Vec<&'static Scenario> = SCENARIOS
            .iter()
            .filter(|s| s.levels.contains(&level) && fits(s))
            .collect();
        if candidates.is_empty() {
            candidates = SCENARIOS.iter().filter(|s| fits(s)).collect();
        }
        let sc = rng.pick(&candidates);
        let monitoring = match (sc.channel, cancel) {
            (_, Some(CancelReason::FalseAlarm)) => true,
            (_, Some(_)) => false,
            (Channel::Alert, _) => true,
            (Channel::User, _) => false,
            (Channel::Both, _) => rng.chance(0.5),
        };
        let (service_id, svc) = org.service(sc.service);
        let owner_team_name = svc.team;
        let owner_team = org.team_id(owner_team_name);
        let owner_agents = org.agents(owner_team_name);
        let owner_agent = rng.pick(&owner_agents);
        let reporter = if monitoring {
            monitoring_user
        } else if rng.chance(0.7) {
            rng.pick(&requesters)
        } else {
            let others: Vec<&Person> = all_agents
                .iter()
                .copied()
                .filter(|p| p.team != Some(owner_team_name))
                .collect();
            rng.pick(&others)
        };
        let desk_agent = rng.pick(&desk);
        let source = if monitoring {
            Source::Monitoring
        } else {
            user_source(rng)
        };
        let opener = match source {
            Source::Monitoring => integration("alertmanager"),
            Source::Email => integration("mail-intake"),
            Source::Api => integration("hr-portal"),
            Source::Phone | Source::Chat => desk_agent.actor(),
            Source::Portal => reporter.actor(),
        };
        let escalate = !monitoring && owner_team != desk_team;
        let detour = (escalate && rng.chance(0.1)).then(|| {
            let wrong: Vec<&(Uuid, &str)> = org
                .teams
                .iter()
                .filter(|(id, _)| *id != owner_team && *id != desk_team)
                .collect();
            let (team, name) = *rng.pick(&wrong);
            let agents = org.agents(name);
            (team, rng.pick(&agents))
        });
        let major = level == 1
            && sc.major
            && majors < MAX_MAJOR
            && matches!(
                outcome,
                Outcome::Closed | Outcome::Resolved | Outcome::InProgress
            );
        majors += major as usize;
        let override_to = (!major
            && !matches!(
                outcome,
                Outcome::New | Outcome::Acknowledged | Outcome::Canceled
            )
            && rng.chance(0.06))
        .then(|| {
            let (up, down) = if monitoring {
                (catalog::OVERRIDE_UP_ALERT, catalog::OVERRIDE_DOWN_ALERT)
            } else {
                (catalog::OVERRIDE_UP_USER, catalog::OVERRIDE_DOWN_USER)
            };
            if level > 1 && (level == 5 || rng.chance(0.7)) {
                (level - 1, rng.pick(up))
            } else {
                (level + 1, rng.pick(down))
            }
        });
        let fill = fill_for(rng, org, sc, svc, reporter);
        let hold = match outcome {
            Outcome::OnHold => Some(hold_reason(rng, monitoring)),
            Outcome::Resolved | Outcome::Closed if level > 2 && rng.chance(0.2) => {
                Some(hold_reason(rng, monitoring))
            }
            _ => None,
        };
        let cast = Cast {
            scenario: sc,
            level,
            monitoring,
            reporter,
            first: if monitoring { owner_agent } else { desk_agent },
            owner_team,
            owner_agent,
            detour,
            escalate,
            manager,
            major,
            override_to,
            fill: &fill,
        };
        let (story, start, end) = match outcome {
            Outcome::New => {
                let age = rng.span(3 * MINUTE, if level >= 4 { 20 * HOUR } else { 4 * HOUR });
                (new_story(rng, &cast, age), Some(now - age), None)
            }
            Outcome::Canceled => {
                let s = canceled_story(rng, &cast, cancel.unwrap_or(CancelReason::FalseAlarm));
                let end = now - rng.range(HOUR, (SPAN - s.t - 2 * HOUR).max(2 * HOUR));
                (s, None, Some(end))
            }
            _ => {
                let s = worked_story(rng, &cast, outcome, hold);
                let ago = match outcome {
                    Outcome::Acknowledged => rng.span(2 * MINUTE, 3 * HOUR),
                    Outcome::InProgress => {
                        rng.span(5 * MINUTE, if level >= 4 { 3 * DAY } else { 12 * HOUR })
                    }
                    Outcome::OnHold => match hold {
                        Some(HoldReason::AwaitingCaller) => rng.span(HOUR, 3 * DAY),
                        Some(HoldReason::AwaitingChange) => rng.span(6 * HOUR, 5 * DAY),
                        _ => rng.span(HOUR, 12 * DAY),
                    },
                    Outcome::Resolved => {
                        rng.span(10 * MINUTE, if major { 12 * DAY } else { 6 * DAY })
                    }
                    _ => rng.range(HOUR, (SPAN - s.t - 2 * HOUR).max(2 * HOUR)),
                };
                (s, None, Some(now - ago))
            }
        };
        let (mut created, mut steps, factor) = place(&story, start, end, floor, ceiling);
        let mut closed_at = story
            .closed_at
            .map(|t| created + (t as f64 * factor) as i64);
        if !monitoring && matches!(outcome, Outcome::Closed | Outcome::Canceled) {
            let shift = working_hours_shift(rng, &reporter.zone, created, floor);
            created -= shift;
            for (t, _) in &mut steps {
                *t -= shift;
            }
            closed_at = closed_at.map(|t| t - shift);
        }
        let (started_before, detected_before) = if monitoring {
            let d = rng.range(5 * SECOND, 90 * SECOND);
            (d + rng.span(MINUTE, 10 * MINUTE), d)
        } else {
            (rng.span(MINUTE, 40 * MINUTE), 0)
        };
        let (impact, urgency) = cell_for(rng, matrix, level);
        let mut tags: Vec<String> = sc.tags.iter().map(|t| t.to_string()).collect();
        if monitoring {
            tags.push("alert".into());
        }
        // The configuration items: the laptop, or the hosts the story happens on.
        let texts = || sc.titles.iter().chain(sc.descriptions).chain(sc.notes);
        let mut cis = Vec::new();
        if texts().any(|t| t.contains("{asset}")) {
            cis.push(fill.apply("{asset}"));
        } else if !sc.hosts.is_empty() || texts().any(|t| t.contains("{host}")) {
            cis.push(fill.apply("{host}"));
            if texts().any(|t| t.contains("{host2}")) && fill.apply("{host2}") != cis[0] {
                cis.push(fill.apply("{host2}"));
            }
        }
        // People describe what they see; monitoring what it measures.
        let (titles, descriptions) = match (monitoring, sc.reports.is_empty()) {
            (false, false) if !sc.caller_titles.is_empty() => (sc.caller_titles, sc.reports),
            (false, false) => (sc.titles, sc.reports),
            _ => (sc.titles, sc.descriptions),
        };
        let title = rng.below(titles.len());
        let description = if descriptions.len() == titles.len() {
            descriptions[title]
        } else {
            rng.pick(descriptions)
        };
        let new = NewIncident {
            title: Some(fill.apply(titles[title])),
            description: Some(fill.apply(description)),
            reporter_id: Some(reporter.id),
            source: Some(source),
            category: Some(sc.category.to_string()),
            subcategory: Some(sc.subcategory.to_string()),
            service_id: Some(service_id),
            configuration_items: cis,
            impact: Some(impact),
            urgency: Some(urgency),
            assignment_group_id: Some(if monitoring { owner_team } else { desk_team }),
            assignee_id: None,
            major: false,
            confidential: sc.confidential,
            tags,
            ..Default::default()
        };
        plans.push(Plan {
            id: rng.uuid(created),
            created,
            opener,
            opening: Opening::Fresh(Box::new(new)),
            started_before,
            detected_before,
            steps,
            fill,
            scenario: sc,
            level,
            major,
            closed_at,
        });
    }

    // Callers who phone in about a major incident while it is being handled: their reports
    // are canceled as duplicates of it.
    let mut extra = Vec::new();
    for (mi, master) in plans.iter_mut().enumerate().filter(|(_, p)| p.major) {
        let mut r = Rng::new(SEED ^ 0xd00d ^ mi as u64);
        let rng = &mut r;
        let Opening::Fresh(m) = &master.opening else {
            continue;
        };
        let sc = master.scenario;
        let mut at = master.created;
        for _ in 0..1 + rng.below(2) {
            at += rng.span(4 * MINUTE, 25 * MINUTE);
            let desk_agent = rng.pick(&desk);
            let reporter = rng.pick(&requesters);
            let ack = at + rng.range(MINUTE, 6 * MINUTE);
            let note = ack + rng.range(MINUTE, 5 * MINUTE);
            let cancel = note + rng.range(30 * SECOND, 2 * MINUTE);
            if cancel > ceiling {
                break;
            }
            let id = rng.uuid(at);
            let titles = if sc.caller_titles.is_empty() {
                sc.titles
            } else {
                sc.caller_titles
            };
            let title = master.fill.apply(rng.pick(titles));
            let source = [Source::Phone, Source::Chat, Source::Portal][rng.weighted(&[6, 2, 2])];
            let opener = if source == Source::Portal {
                reporter.actor()
            } else {
                desk_agent.actor()
            };
            let new = NewIncident {
                title: Some(title.clone()),
                description: Some(format!(
                    "{} reports: {}. It started a few minutes ago and colleagues nearby have \
                     the same problem.",
                    reporter.display_name,
                    title.trim_end_matches(['.', '?'])
                )),
                reporter_id: Some(reporter.id),
                source: Some(source),
                category: m.category.clone(),
                subcategory: m.subcategory.clone(),
                service_id: m.service_id,
                configuration_items: Vec::new(),
                impact: m.impact,
                urgency: m.urgency,
                assignment_group_id: Some(desk_team),
                tags: vec!["duplicate-report".into()],
                ..Default::default()
            };
            let steps = vec![
                (
                    ack,
                    Step::Transition {
                        by: desk_agent.actor(),
                        req: to(Status::Acknowledged),
                    },
                ),
                (
                    ack + 20 * SECOND,
                    Step::Patch {
                        by: desk_agent.actor(),
                        patch: Box::new(IncidentPatch {
                            assignee_id: Some(Some(desk_agent.id)),
                            ..Default::default()
                        }),
                    },
                ),
                (
                    note,
                    Step::DuplicateNote {
                        by: desk_agent.actor(),
                        master: master.id,
                        template: rng.pick(catalog::DUPLICATE_NOTES),
                    },
                ),
                (
                    cancel,
                    Step::Transition {
                        by: desk_agent.actor(),
                        req: TransitionRequest {
                            to: Some(Status::Canceled),
                            reason: Some(CancelReason::Duplicate.as_str().into()),
                            duplicate_of: Some(master.id),
                            ..Default::default()
                        },
                    },
                ),
            ];
            master.steps.push((
                cancel,
                Step::Link {
                    by: desk_agent.actor(),
                    relation: "duplicate",
                    other: id,
                    note: "a duplicate report was linked to this incident",
                },
            ));
            extra.push(Plan {
                id,
                created: at,
                opener,
                opening: Opening::Fresh(Box::new(new)),
                started_before: rng.span(MINUTE, 15 * MINUTE),
                detected_before: 0,
                steps,
                fill: master.fill.clone(),
                scenario: master.scenario,
                level: master.level,
                major: false,
                closed_at: None,
            });
        }
        master.steps.sort_by_key(|(t, _)| *t);
    }

    // A few closed incidents whose problem came back: a follow-up is opened.
    let mut follow_ups = 0;
    let mut r = Rng::new(SEED ^ 0xf0110);
    let rng = &mut r;
    for old in plans.iter_mut() {
        if follow_ups >= MAX_FOLLOW_UPS {
            break;
        }
        let Some(closed) = old.closed_at else {
            continue;
        };
        let Opening::Fresh(o) = &old.opening else {
            continue;
        };
        let user_reported = o.source != Some(Source::Monitoring);
        if old.major || !user_reported || closed > now - 3 * DAY || !rng.chance(0.05) {
            continue;
        }
        let created = closed + rng.span(6 * HOUR, 5 * DAY);
        if created > now - 3 * HOUR {
            continue;
        }
        let reporter_id = o.reporter_id;
        let Some(reporter) = org.people.iter().find(|p| Some(p.id) == reporter_id) else {
            continue;
        };
        let Some(assignee) = old.steps.iter().rev().find_map(|(_, s)| match s {
            Step::Transition { by, req } if req.to == Some(Status::Resolved) => by.id,
            _ => None,
        }) else {
            continue;
        };
        let Some(worker) = org.people.iter().find(|p| p.id == assignee) else {
            continue;
        };
        let id = rng.uuid(created);
        let (level, sc) = (old.level, old.scenario);
        let (team, _) = org
            .teams
            .iter()
            .find(|(_, n)| Some(*n) == worker.team)
            .copied()
            .unwrap_or((desk_team, catalog::SERVICE_DESK));
        let avail = now - created;
        let outcome = if avail > 14 * DAY {
            Outcome::Closed
        } else {
            Outcome::InProgress
        };
        let cast = Cast {
            scenario: sc,
            level,
            monitoring: false,
            reporter,
            first: worker,
            owner_team: team,
            owner_agent: worker,
            detour: None,
            escalate: false,
            manager,
            major: false,
            override_to: None,
            fill: &old.fill,
        };
        let story = worked_story(rng, &cast, outcome, None);
        let (created, steps, factor) = place(&story, Some(created), None, floor, ceiling);
        let reason = rng.pick(catalog::FOLLOW_UP_REASONS).to_string();
        old.steps.push((
            created,
            Step::Link {
                by: reporter.actor(),
                relation: "follow_up",
                other: id,
                note: "a follow-up incident was opened",
            },
        ));
        old.steps.sort_by_key(|(t, _)| *t);
        extra.push(Plan {
            id,
            created,
            opener: reporter.actor(),
            opening: Opening::FollowUp { of: old.id, reason },
            started_before: 0,
            detected_before: 0,
            steps,
            fill: old.fill.clone(),
            scenario: old.scenario,
            level: old.level,
            major: false,
            closed_at: story
                .closed_at
                .map(|t| created + (t as f64 * factor) as i64),
        });
        follow_ups += 1;
    }
    plans.extend(extra);
    // Stored oldest first, so numbers grow with time as they would have.
    plans.sort_by_key(|p| p.created);
    plans
}

// ---------------------------------------------------------------------------------------------
// Running the plans through the domain commands, and storing the results.
// ---------------------------------------------------------------------------------------------

struct Sim<'c> {
    inc: Incident,
    events: Vec<Event>,
    sla: &'c SlaConfig<'c>,
    /// Ids of the incident's SLA clocks and timers.
    ids: Rng,
}

/// Warning thresholds when a clock's policy is gone (as the server has them).
const DEFAULT_WARNINGS: [u8; 2] = [50, 75];

fn warnings_of(cfg: &SlaConfig<'_>, clock: &SlaInstance) -> Vec<u8> {
    cfg.policy(clock.policy_id)
        .map(|p| p.warnings.clone())
        .unwrap_or_else(|| DEFAULT_WARNINGS.to_vec())
}

/// What the SLA timer writes on the timeline when a clock reaches a threshold (the server's
/// words, without the actions: the demo notifies nobody).
fn threshold_text(clock: &SlaInstance, percent: u8, cal: &BusinessCalendar, now: Millis) -> String {
    let target = sla::human_duration(clock.target_ms());
    let kind = clock.kind.label();
    if percent >= 100 {
        format!(
            "{kind} SLA breached: the {target} target ({} policy \"{}\") ran out at {}.",
            clock.priority,
            clock.policy_name,
            crate::clock::rfc3339(clock.breached_at.unwrap_or(now))
        )
    } else {
        let due = clock
            .due_at(cal)
            .map(|d| format!(", due {}", crate::clock::rfc3339(d)))
            .unwrap_or_default();
        format!(
            "{kind} SLA warning: {percent}% of the {target} target used ({} policy \"{}\"){due}.",
            clock.priority, clock.policy_name
        )
    }
}

impl Sim<'_> {
    fn record(&mut self, event: Option<Event>) {
        if let Some(e) = event {
            self.inc.version += 1;
            self.events.push(e);
        }
    }

    fn sla_event(&mut self, at: Millis, body: String) {
        self.events.push(Event {
            seq: 0,
            incident_id: self.inc.id,
            at,
            actor: Actor::system(),
            kind: EventKind::Sla,
            visibility: Visibility::WorkNote,
            changes: Vec::new(),
            body: Some(body),
        });
    }

    /// What a write from `before` (none: the opening) at `now` does to the clocks, as the
    /// server's write does it: their notes join the write's events.
    fn reconcile(&mut self, before: Option<&Incident>, now: Millis) {
        let mut clocks = std::mem::take(&mut self.inc.sla);
        let ids = &mut self.ids;
        let notes = sla::reconcile(self.sla, before, &self.inc, &mut clocks, now, &mut || {
            ids.uuid(now)
        });
        self.inc.sla = clocks;
        let at = now.max(self.inc.last_event_at);
        for n in &notes {
            self.sla_event(at, n.text.clone());
        }
        if !notes.is_empty() {
            self.inc.last_event_at = at;
        }
    }

    /// Does what the SLA timers would have done by `until` (before it, or also at it with
    /// `inclusive`): each clock's thresholds reached by then are recorded in `fired`, the breach
    /// marks the clock breached, with a timeline line; one write per timer.
    fn fire_until(&mut self, until: Millis, inclusive: bool) {
        let cfg = self.sla;
        loop {
            // The earliest threshold due of any clock: the timer that fires next.
            let mut next: Option<(Millis, usize, u8)> = None;
            for (i, clock) in self.inc.sla.iter().enumerate() {
                let cal = cfg.calendar(clock.calendar_id);
                let Some((percent, t)) = clock.next_threshold(&warnings_of(cfg, clock), &cal)
                else {
                    continue;
                };
                let reached = if inclusive { t <= until } else { t < until };
                if reached && next.is_none_or(|(first, ..)| t < first) {
                    next = Some((t, i, percent));
                }
            }
            let Some((t, i, percent)) = next else {
                return;
            };
            // A timer due before the incident's last write (the clock was retargeted to a
            // shorter target) fires at that write.
            let at = t.max(self.inc.last_event_at);
            let clock = &self.inc.sla[i];
            let cal = cfg.calendar(clock.calendar_id);
            let mut due = clock.due_thresholds(&warnings_of(cfg, clock), &cal, at);
            if !due.contains(&percent) {
                due.push(percent);
                due.sort_unstable();
            }
            for p in due {
                let clock = &mut self.inc.sla[i];
                clock.fired.push(p);
                if p >= 100 {
                    clock.mark_breached(&cal, at);
                }
                let text = threshold_text(clock, p, &cal, at);
                self.sla_event(at, text);
            }
            self.inc.version += 1;
            self.inc.last_event_at = at;
            self.inc.updated_at = self.inc.updated_at.max(at);
        }
    }

    /// The timers of the clocks' next thresholds, as the server arms them; due no earlier than
    /// `now`.
    fn timers(&mut self, now: Millis) -> Vec<NewTimer> {
        let cfg = self.sla;
        let armed_at = self.inc.last_event_at;
        let mut timers = Vec::new();
        for clock in &self.inc.sla {
            let cal = cfg.calendar(clock.calendar_id);
            let Some((percent, at)) = clock.next_threshold(&warnings_of(cfg, clock), &cal) else {
                continue;
            };
            let action = TimerAction::Sla {
                clock_id: clock.id,
                percent,
            };
            timers.push(NewTimer {
                id: self.ids.uuid(armed_at),
                incident_id: Some(self.inc.id),
                kind: format!("{SLA}:{}", clock.id),
                due_at: at.max(now),
                payload: serde_json::to_value(&action).unwrap_or_default(),
                created_at: armed_at,
            });
        }
        timers
    }
}

fn timestamp_text(ms: Millis) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%H:%M").to_string())
        .unwrap_or_default()
}

/// An incident as simulated: its final state, its timeline and the SLA timers it leaves armed.
struct Simulated {
    inc: Incident,
    events: Vec<Event>,
    timers: Vec<NewTimer>,
}

/// Runs a plan through the domain commands, keeping its SLA clocks as the server would up to
/// `now`.
fn execute(
    plan: Plan,
    org: &Org,
    matrix: &PriorityMatrix,
    sla: &SlaConfig<'_>,
    now: Millis,
    built: &HashMap<Uuid, Incident>,
    numbers: &HashMap<Uuid, i64>,
) -> anyhow::Result<Simulated> {
    let started = plan.created - plan.started_before;
    let mut fill = plan.fill;
    fill.0.push(("{time}", timestamp_text(started)));
    let ctx = CommandContext {
        now: plan.created,
        actor: plan.opener.clone(),
        matrix,
        resolution_codes: &org.resolution_codes,
    };
    let (inc, created) = match plan.opening {
        Opening::Fresh(new) => {
            let mut new = *new;
            new.title = new.title.map(|t| fill.apply(&t));
            new.description = new.description.map(|t| fill.apply(&t));
            new.started_at = Some(started);
            new.detected_at = Some(plan.created - plan.detected_before);
            Incident::open(plan.id, new, &ctx)
        }
        Opening::FollowUp { of, reason } => {
            let old = built
                .get(&of)
                .context("follow-up of an incident not built yet")?;
            let number = numbers
                .get(&of)
                .context("follow-up of an incident not stored yet")?;
            Incident::open(plan.id, old.follow_up_template(), &ctx).map(|(i, mut e)| {
                e.body = Some(format!(
                    "follow-up of {}: {reason}",
                    IncidentNumber(*number)
                ));
                (i, e)
            })
        }
    }
    .map_err(|e| anyhow::anyhow!("demo incident cannot be opened: {e}"))?;
    let title = inc.title.clone();
    let id_bits = u64::from_le_bytes(plan.id.as_bytes()[8..].try_into().unwrap_or_default());
    let mut sim = Sim {
        inc,
        events: vec![created],
        sla,
        ids: Rng::new(SEED ^ 0x51a_c10c ^ id_bits),
    };
    sim.reconcile(None, plan.created);
    let ctx_at = |now: Millis, actor: Actor| CommandContext {
        now,
        actor,
        matrix,
        resolution_codes: &org.resolution_codes,
    };
    for (at, step) in plan.steps {
        sim.fire_until(at, false);
        let before = sim.inc.clone();
        let what = format!("{step:?}");
        let result = match step {
            Step::Comment {
                by,
                body,
                visibility,
            } => {
                let ctx = ctx_at(at, by);
                sim.inc
                    .comment(&fill.apply(&body), visibility, &ctx)
                    .map(Some)
            }
            Step::Transition { by, mut req } => {
                req.resolution_code = req.resolution_code.map(|c| org.code(&c));
                req.resolution_notes = req.resolution_notes.map(|n| fill.apply(&n));
                req.reason = req.reason.map(|r| fill.apply(&r));
                let ctx = ctx_at(at, by);
                sim.inc.transition(req, &ctx).map(Some)
            }
            Step::Patch { by, patch } => {
                let ctx = ctx_at(at, by);
                sim.inc.apply_patch(*patch, &ctx)
            }
            Step::Mitigate { by } => {
                let ctx = ctx_at(at, by);
                sim.inc.mitigate(&ctx)
            }
            Step::Link {
                by,
                relation,
                other,
                note,
            } => {
                let ctx = ctx_at(at, by);
                Ok(Some(sim.inc.link(&ctx, relation, other, note.to_string())))
            }
            Step::DuplicateNote {
                by,
                master,
                template,
            } => {
                let number = numbers
                    .get(&master)
                    .context("duplicate of an incident not stored yet")?;
                let body = fill
                    .apply(template)
                    .replace("{master}", &IncidentNumber(*number).to_string());
                let ctx = ctx_at(at, by);
                sim.inc.comment(&body, Visibility::Public, &ctx).map(Some)
            }
        };
        let event =
            result.map_err(|e| anyhow::anyhow!("demo step refused on {title:?}: {e} ({what})"))?;
        let wrote = event.is_some();
        sim.record(event);
        if wrote {
            sim.reconcile(Some(&before), at.max(before.last_event_at));
        }
    }
    sim.fire_until(now, true);
    let timers = sim.timers(now);
    Ok(Simulated {
        inc: sim.inc,
        events: sim.events,
        timers,
    })
}

async fn run(
    store: &dyn Store,
    org: &Org,
    sla: &SlaSettings,
    plans: Vec<Plan>,
    now: Millis,
    matrix: &PriorityMatrix,
    summary: &mut DemoSummary,
) -> anyhow::Result<()> {
    let mut built: HashMap<Uuid, Incident> = HashMap::new();
    let mut numbers: HashMap<Uuid, i64> = HashMap::new();
    let mut pending: Vec<(Incident, Vec<Event>)> = Vec::new();
    let mut event_counts: HashMap<Uuid, usize> = HashMap::new();
    let mut timers: Vec<NewTimer> = Vec::new();
    let cfg = sla.config();
    for plan in plans {
        let needs = match (
            &plan.opening,
            plan.steps.iter().find_map(|(_, s)| match s {
                Step::DuplicateNote { master, .. } => Some(*master),
                _ => None,
            }),
        ) {
            (Opening::FollowUp { of, .. }, _) => Some(*of),
            (_, Some(master)) => Some(master),
            _ => None,
        };
        if needs.is_some_and(|id| !numbers.contains_key(&id)) {
            flush(store, &mut pending, &mut numbers).await?;
        }
        debug_assert!(plan.steps.iter().all(|(t, _)| *t <= now));
        let Simulated {
            inc,
            events,
            timers: armed,
        } = execute(plan, org, matrix, &cfg, now, &built, &numbers)?;
        timers.extend(armed);
        summary.events += events.len();
        summary.comments += events
            .iter()
            .filter(|e| e.kind == EventKind::Comment)
            .count();
        event_counts.insert(inc.id, events.len());
        built.insert(inc.id, inc.clone());
        pending.push((inc, events));
        if pending.len() >= BATCH {
            flush(store, &mut pending, &mut numbers).await?;
        }
    }
    flush(store, &mut pending, &mut numbers).await?;
    summary.sla_timers = timers.len();
    if !timers.is_empty() {
        store
            .arm_timers(timers)
            .await
            .context("arming the demo's SLA timers")?;
    }

    let incidents: Vec<&Incident> = built.values().collect();
    summary.incidents = incidents.len();
    summary.by_status = Status::ALL
        .iter()
        .map(|s| (*s, incidents.iter().filter(|i| i.status == *s).count()))
        .collect();
    summary.by_priority = (1..=5)
        .filter_map(|l| Priority::from_level(l).ok())
        .map(|p| (p, incidents.iter().filter(|i| i.priority == p).count()))
        .collect();
    summary.major = incidents.iter().filter(|i| i.major).count();
    summary.duplicates = incidents
        .iter()
        .filter(|i| i.cancel_reason == Some(CancelReason::Duplicate))
        .count();
    summary.reopened = incidents.iter().filter(|i| i.reopen_count > 0).count();
    summary.reassigned = incidents
        .iter()
        .filter(|i| i.reassignment_count > 0)
        .count();
    summary.overridden = incidents
        .iter()
        .filter(|i| i.priority_override.is_some())
        .count();
    summary.follow_ups = incidents
        .iter()
        .filter(|i| i.follow_up_of.is_some())
        .count();
    for clock in incidents.iter().flat_map(|i| &i.sla) {
        match clock.state {
            SlaState::Met => summary.sla_met += 1,
            SlaState::Breached => summary.sla_breached += 1,
            SlaState::Running | SlaState::Paused => summary.sla_running += 1,
            SlaState::Canceled => summary.sla_canceled += 1,
        }
    }
    summary.showcase = incidents
        .iter()
        .filter(|i| i.major && i.status == Status::Closed)
        .max_by_key(|i| (event_counts.get(&i.id).copied().unwrap_or(0), i.created_at))
        .and_then(|i| numbers.get(&i.id).copied());
    Ok(())
}

async fn flush(
    store: &dyn Store,
    pending: &mut Vec<(Incident, Vec<Event>)>,
    numbers: &mut HashMap<Uuid, i64>,
) -> anyhow::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let batch = std::mem::take(pending);
    let ids: Vec<Uuid> = batch.iter().map(|(i, _)| i.id).collect();
    let assigned = store
        .import_incidents(batch)
        .await
        .context("storing demo incidents")?;
    numbers.extend(ids.into_iter().zip(assigned));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// `serve --demo`: seed when empty, give admin a password, and say how to sign in.
// ---------------------------------------------------------------------------------------------

/// What `serve --demo` did at start-up.
#[derive(Debug, Clone)]
pub struct DemoStart {
    /// The demo summary and how long seeding took; `None` when the database held incidents.
    pub seeded: Option<(DemoSummary, Duration)>,
    /// A password generated for user `admin` (when it had none).
    pub admin_password: Option<String>,
}

/// Seeds the demo on a database without incidents and gives `admin` a generated password if it
/// has none. On a database with incidents, does nothing.
pub async fn start(
    store: &dyn Store,
    now: Millis,
    matrix: &PriorityMatrix,
) -> anyhow::Result<DemoStart> {
    if has_incidents(store).await? {
        return Ok(DemoStart {
            seeded: None,
            admin_password: None,
        });
    }
    let began = std::time::Instant::now();
    let summary = seed(store, now, matrix).await?;
    let took = began.elapsed();
    let admin_password = match directory::find_user(store, "admin")
        .await
        .map_err(|e| anyhow::anyhow!("reading user admin: {e}"))?
    {
        Some(admin) if store.password_hash(admin.id).await?.is_none() => {
            let password = generate_password();
            let hash = crate::auth::hash_password(password.clone())
                .await
                .map_err(|e| anyhow::anyhow!("hashing the admin password: {e}"))?;
            store.set_password_hash(admin.id, &hash, now).await?;
            Some(password)
        }
        _ => None,
    };
    Ok(DemoStart {
        seeded: Some((summary, took)),
        admin_password,
    })
}

/// A random password: four groups of five letters and digits that cannot be confused.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut out = String::new();
    while out.len() < 23 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        for b in bytes {
            // Rejection keeps every character equally likely.
            if (b as usize) < 256 - 256 % ALPHABET.len() && out.len() < 23 {
                if out.len() % 6 == 5 {
                    out.push('-');
                }
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    out
}

impl DemoStart {
    /// What to print after the listening line: the demo, how to sign in and a few commands.
    /// `generated_token` is the admin token created at this first start, if any;
    /// `bootstrap_token_set` says the operator chose it through MAYDAY_BOOTSTRAP_ADMIN_TOKEN.
    pub fn instructions(
        &self,
        base_url: &str,
        generated_token: Option<&str>,
        bootstrap_token_set: bool,
    ) -> String {
        let Some((summary, took)) = &self.seeded else {
            return "Demo: the database is not empty (it already holds incidents), so no demo \
                    data was added.\n"
                .to_string();
        };
        let mut s = String::new();
        s.push_str(&format!(
            "Demo data: {summary} (seeded in {} ms).\n",
            took.as_millis()
        ));
        s.push_str("Sign in as admin:\n");
        let export = match (generated_token, bootstrap_token_set) {
            (Some(t), _) => {
                s.push_str(&format!("  API token: {t}\n"));
                format!("export TOKEN={t}")
            }
            (None, true) => {
                s.push_str("  API token: the one in MAYDAY_BOOTSTRAP_ADMIN_TOKEN\n");
                "export TOKEN=\"$MAYDAY_BOOTSTRAP_ADMIN_TOKEN\"".to_string()
            }
            (None, false) => {
                s.push_str(
                    "  API token: the one printed on first start, or a new one from \
                     `mayday admin create-token --username admin`\n",
                );
                "export TOKEN=mdy_...".to_string()
            }
        };
        match &self.admin_password {
            Some(p) => s.push_str(&format!(
                "  password (web console): {p}   (change it with `mayday admin set-password --username admin`)\n"
            )),
            None => s.push_str(
                "  password (web console): not set (user admin already has one, or does not \
                 exist)\n",
            ),
        }
        let showcase = summary
            .showcase
            .map(|n| IncidentNumber(n).to_string())
            .unwrap_or_else(|| "INC-000001".into());
        s.push_str("Try:\n");
        s.push_str(&format!("  {export}\n"));
        s.push_str(&format!(
            "  curl -s -H \"Authorization: Bearer $TOKEN\" '{base_url}/api/v1/incidents?status=new,acknowledged,in_progress&priority=P1,P2&include_total=true'\n"
        ));
        s.push_str(&format!(
            "  curl -s -H \"Authorization: Bearer $TOKEN\" '{base_url}/api/v1/incidents?q=vpn'\n"
        ));
        s.push_str(&format!(
            "  curl -s -H \"Authorization: Bearer $TOKEN\" {base_url}/api/v1/incidents/{showcase}/timeline   # a major incident\n"
        ));
        s.push_str(&format!(
            "  curl -s -H \"Authorization: Bearer $TOKEN\" {base_url}/api/v1/services\n"
        ));
        s.push_str(&format!(
            "  curl -s -H \"Authorization: Bearer $TOKEN\" {base_url}/api/v1/oncall   # who is on call ({} schedules, {} escalation policies)\n",
            summary.schedules, summary.policies
        ));
        s.push_str(&format!(
            "  curl -s -H \"Authorization: Bearer $TOKEN\" {base_url}/api/v1/incidents/{showcase}/sla   # its SLA clocks\n"
        ));
        s.push_str(&format!(
            "  curl -s -H \"Authorization: Bearer $TOKEN\" '{base_url}/api/v1/sla/compliance?by=priority'   # SLA compliance, last 30 days\n"
        ));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mayday_core::sla::SlaKind;

    const NOW: Millis = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    async fn fresh() -> (tempfile::TempDir, std::sync::Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store: std::sync::Arc<dyn Store> =
            std::sync::Arc::new(mayday_store_sqlite::open_dir(dir.path()).await.unwrap());
        (dir, store)
    }

    #[test]
    fn catalog_text_has_only_known_placeholders() {
        let mut rng = Rng::new(1);
        let fill = Fill(
            [
                "{service}",
                "{team}",
                "{host}",
                "{host2}",
                "{site}",
                "{pct}",
                "{n}",
                "{minutes}",
                "{version}",
                "{case}",
                "{change}",
                "{asset}",
                "{caller}",
                "{manager}",
                "{time}",
                "{master}",
                "{worker}",
                "{few}",
                "{step}",
                "{high}",
            ]
            .iter()
            .map(|k| (*k, format!("x{}", rng.below(9))))
            .collect(),
        );
        let mut texts: Vec<&str> = Vec::new();
        for s in SCENARIOS {
            texts.extend(s.titles);
            texts.extend(s.caller_titles);
            texts.extend(s.descriptions);
            texts.extend(s.reports);
            texts.extend(s.notes);
            texts.extend(s.updates);
            texts.extend(s.resolutions.iter().map(|r| r.1));
            texts.push(s.workaround);
            texts.push(s.root_cause);
        }
        for list in [
            catalog::TRIAGE_NOTES,
            catalog::ALERT_TRIAGE_NOTES,
            catalog::ACK_UPDATES,
            catalog::ESCALATION_NOTES,
            catalog::WRONG_TEAM_NOTES,
            catalog::HOLD_CALLER,
            catalog::HOLD_VENDOR,
            catalog::HOLD_CHANGE,
            catalog::HOLD_PROBLEM,
            catalog::RESUME_NOTES,
            catalog::HOLD_PUBLIC,
            catalog::RESOLVED_UPDATES,
            catalog::CONFIRMATIONS,
            catalog::REOPEN_REASONS,
            catalog::REOPEN_NOTES,
            catalog::REOPEN_RESOLUTIONS,
            catalog::OVERRIDE_UP_USER,
            catalog::OVERRIDE_DOWN_USER,
            catalog::OVERRIDE_UP_ALERT,
            catalog::OVERRIDE_DOWN_ALERT,
            catalog::MAJOR_DECLARED,
            catalog::MAJOR_BRIDGE,
            catalog::MAJOR_PROGRESS,
            catalog::MAJOR_REVIEWS,
            catalog::DUPLICATE_NOTES,
            catalog::FALSE_ALARMS,
            catalog::NOT_INCIDENTS,
            catalog::WITHDRAWN,
            catalog::NUDGES,
        ] {
            texts.extend(list);
        }
        for t in texts {
            let filled = fill.apply(t);
            assert!(
                !filled.contains('{') && !filled.contains('}'),
                "unknown placeholder in {t:?}"
            );
            assert!(filled.chars().count() <= 2000);
        }
        for s in SCENARIOS {
            assert!(!s.titles.is_empty() && !s.descriptions.is_empty() && !s.notes.is_empty());
            assert!(!s.resolutions.is_empty(), "{}", s.titles[0]);
            let svc = catalog::SERVICES.iter().find(|x| x.name == s.service);
            let svc = svc.unwrap_or_else(|| panic!("no service {}", s.service));
            assert!(
                s.hosts.iter().all(|h| svc.hosts.contains(h)),
                "{:?}",
                s.hosts
            );
            assert!(s.updates.len() != 1 || !s.major, "{}", s.titles[0]);
            for t in s.titles {
                assert!(fill.apply(t).chars().count() <= mayday_core::incident::MAX_TITLE);
            }
        }
        for svc in catalog::SERVICES {
            assert!(catalog::TEAMS.iter().any(|t| t.name == svc.team));
        }
    }

    #[test]
    fn easter_falls_on_the_known_sundays() {
        for (year, date) in [
            (2019, "2019-04-21"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
        ] {
            assert_eq!(easter(year).unwrap().to_string(), date);
        }
    }

    #[tokio::test]
    async fn seeds_every_state_and_priority_and_refuses_a_second_time() {
        let (_dir, store) = fresh().await;
        let summary = seed(store.as_ref(), NOW, &PriorityMatrix::default())
            .await
            .unwrap();
        assert!(summary.incidents >= 290, "{summary:?}");
        assert_eq!(summary.teams, catalog::TEAMS.len());
        assert_eq!(summary.users, catalog::USERS.len());
        assert_eq!(summary.services, catalog::SERVICES.len());
        // Every team with agents has a rotation and a policy its services page through, and
        // somebody is on call now.
        assert!(summary.schedules >= 5, "{summary:?}");
        assert_eq!(summary.schedules, summary.policies);
        for e in store.list_entities(EntityKind::Service).await.unwrap() {
            let s: Service = decode_entity(&e).unwrap();
            assert!(s.escalation_policy_id.is_some(), "{} has no policy", s.name);
        }
        for e in store.list_entities(EntityKind::Schedule).await.unwrap() {
            let s: Schedule = decode_entity(&e).unwrap();
            assert_eq!(s.rota.on_call_at(NOW).len(), 1, "{}", s.name);
        }
        for (status, n) in &summary.by_status {
            assert!(*n > 0, "no {status} incident: {summary:?}");
        }
        for (priority, n) in &summary.by_priority {
            assert!(*n > 0, "no {priority} incident: {summary:?}");
        }
        assert!(summary.major >= 3, "{summary:?}");
        assert!(summary.duplicates >= 3, "{summary:?}");
        assert!(summary.reopened >= 1, "{summary:?}");
        assert!(summary.reassigned >= 20, "{summary:?}");
        assert!(summary.overridden >= 3, "{summary:?}");
        assert!(summary.follow_ups >= 1, "{summary:?}");
        assert!(summary.showcase.is_some());

        // The office calendar and a policy per priority; P3 and below on office hours.
        assert_eq!(summary.calendars, 1, "{summary:?}");
        assert_eq!(
            summary.sla_policies,
            catalog::SLA_POLICIES.len(),
            "{summary:?}"
        );
        let office = store
            .get_entity_by_name(EntityKind::BusinessCalendar, catalog::OFFICE_CALENDAR)
            .await
            .unwrap()
            .unwrap();
        let office: BusinessCalendar = decode_entity(&office).unwrap();
        assert_eq!(office.time_zone, "Europe/Berlin");
        assert_eq!(office.hours.len(), 5);
        let holidays: Vec<String> = office
            .holidays
            .iter()
            .map(|h| format!("{} {}", h.start, h.name))
            .collect();
        for day in [
            "2025-10-03 German Unity Day",
            "2025-12-25 Christmas Day",
            "2025-12-26 Second Day of Christmas",
            "2026-01-01 New Year's Day",
            "2026-04-03 Good Friday",
            "2026-04-06 Easter Monday",
        ] {
            assert!(holidays.iter().any(|h| h == day), "{day}: {holidays:?}");
        }
        let policies: Vec<SlaPolicy> = store
            .list_entities(EntityKind::SlaPolicy)
            .await
            .unwrap()
            .iter()
            .map(|e| decode_entity(e).unwrap())
            .collect();
        assert_eq!(policies.len(), catalog::SLA_POLICIES.len());
        for level in 1..=5 {
            let p = Priority::from_level(level).unwrap();
            let found: Vec<&SlaPolicy> = policies
                .iter()
                .filter(|x| x.conditions.priorities.contains(&p))
                .collect();
            assert_eq!(found.len(), 1, "{p}");
            assert_eq!(found[0].calendar_id.is_some(), level >= 3, "{p}");
            assert_eq!(found[0].warnings, [50, 75]);
        }
        assert_eq!(
            policies
                .iter()
                .find(|p| p.name == "Moderate, office hours")
                .unwrap()
                .resolution_seconds,
            Some(27 * 3600)
        );
        // Some clocks were met, some breached, and some still run.
        assert!(summary.sla_met >= 100, "{summary:?}");
        assert!(summary.sla_breached >= 5, "{summary:?}");
        assert!(summary.sla_running >= 10, "{summary:?}");
        assert!(summary.sla_canceled >= 10, "{summary:?}");
        assert!(summary.sla_timers >= 10, "{summary:?}");
        assert!(summary.to_string().contains(" met, "), "{summary}");

        // Every time lies inside the last 90 days, and timelines run forwards.
        let page = store
            .list_incidents(&IncidentQuery {
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.items.len(), summary.incidents);
        let settings = SlaSettings::load(store.as_ref()).await.unwrap();
        let cfg = settings.config();
        let mut armed = 0;
        for inc in &page.items {
            assert!(
                inc.created_at >= NOW - SPAN && inc.last_event_at <= NOW,
                "{inc:?}"
            );
            let events = store.timeline(inc.id, true).await.unwrap();
            // One write per command; SLA notes ride along with it, and each warning or
            // breach is a write of its own.
            let commands = events.iter().filter(|e| e.kind != EventKind::Sla).count();
            assert!(
                commands as i64 <= inc.version && inc.version <= events.len() as i64,
                "{}",
                inc.title
            );
            assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
            assert!(
                events
                    .iter()
                    .filter(|e| e.kind == EventKind::Sla)
                    .all(|e| e.actor.kind == ActorKind::System
                        && e.visibility == Visibility::WorkNote
                        && e.body.as_deref().is_some_and(|b| b.contains(" SLA "))),
                "{}",
                inc.title
            );
            if inc.status == Status::Resolved && !inc.major {
                assert!(inc.resolved_at.unwrap() > NOW - AUTO_CLOSE, "{inc:?}");
            }

            // Its clocks: a response and a resolution clock from the start, stopped once the
            // incident is resolved, closed or canceled, every threshold reached by now acted
            // on, and a timer armed for the next one of each counting clock.
            for kind in [SlaKind::Response, SlaKind::Resolution] {
                assert!(inc.sla.iter().any(|c| c.kind == kind), "{}", inc.title);
            }
            if matches!(
                inc.status,
                Status::Resolved | Status::Closed | Status::Canceled
            ) {
                assert!(inc.sla.iter().all(|c| c.is_stopped()), "{inc:?}");
            }
            let timers = store.incident_timers(inc.id).await.unwrap();
            for clock in &inc.sla {
                let cal = cfg.calendar(clock.calendar_id);
                let warnings = warnings_of(&cfg, clock);
                assert!(
                    clock.due_thresholds(&warnings, &cal, NOW).is_empty(),
                    "{}: {clock:?}",
                    inc.title
                );
                assert_eq!(
                    clock.state == SlaState::Breached,
                    clock.breached_at.is_some(),
                    "{clock:?}"
                );
                let kind = format!("sla:{}", clock.id);
                let timer = timers.iter().find(|t| t.kind == kind);
                match clock.next_threshold(&warnings, &cal) {
                    Some((percent, at)) => {
                        let timer = timer.unwrap_or_else(|| panic!("no timer for {clock:?}"));
                        assert!(at > NOW && timer.due_at == at, "{timer:?}");
                        let action: TimerAction =
                            serde_json::from_value(timer.payload.clone()).unwrap();
                        assert_eq!(
                            action,
                            TimerAction::Sla {
                                clock_id: clock.id,
                                percent
                            }
                        );
                        armed += 1;
                    }
                    None => assert!(timer.is_none(), "{timer:?}"),
                }
            }
        }
        assert_eq!(armed, summary.sla_timers);
        // Numbers follow creation order.
        let mut by_number = page.items.clone();
        by_number.sort_by_key(|i| i.number);
        assert!(
            by_number
                .windows(2)
                .all(|w| w[0].created_at <= w[1].created_at)
        );

        let again = seed(store.as_ref(), NOW, &PriorityMatrix::default()).await;
        assert!(
            again
                .unwrap_err()
                .to_string()
                .contains("already holds incidents")
        );
    }

    #[tokio::test]
    async fn the_same_now_gives_the_same_data() {
        let mut runs = Vec::new();
        for _ in 0..2 {
            let (_dir, store) = fresh().await;
            seed(store.as_ref(), NOW, &PriorityMatrix::default())
                .await
                .unwrap();
            let page = store
                .list_incidents(&IncidentQuery {
                    limit: 1000,
                    ..Default::default()
                })
                .await
                .unwrap();
            let mut rows = Vec::new();
            for i in page.items {
                // The clocks (ids included) and the timers left armed.
                let timers: Vec<(Uuid, String, Millis, serde_json::Value)> = store
                    .incident_timers(i.id)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|t| (t.id, t.kind, t.due_at, t.payload))
                    .collect();
                let clocks = serde_json::to_string(&i.sla).unwrap();
                rows.push((
                    i.number,
                    i.title,
                    i.status,
                    i.priority,
                    i.updated_at,
                    i.version,
                    clocks,
                    timers,
                ));
            }
            rows.sort_by_key(|r| r.0);
            runs.push(rows);
        }
        assert_eq!(runs[0], runs[1]);
    }

    #[tokio::test]
    async fn start_sets_a_password_once() {
        let (_dir, store) = fresh().await;
        let clock = mayday_core::FixedClock::new(NOW);
        let token = crate::setup::prepare(store.as_ref(), &clock, None)
            .await
            .unwrap();
        let started = start(store.as_ref(), NOW, &PriorityMatrix::default())
            .await
            .unwrap();
        let password = started.admin_password.clone().unwrap();
        assert!(crate::auth::check_password(&password).is_ok(), "{password}");
        let admin = directory::find_user(store.as_ref(), "admin")
            .await
            .unwrap()
            .unwrap();
        let hash = store.password_hash(admin.id).await.unwrap().unwrap();
        assert!(crate::auth::verify_password(password.clone(), hash).await);
        let text = started.instructions("http://127.0.0.1:1", token.as_deref(), false);
        assert!(text.contains(&password) && text.contains(token.as_deref().unwrap()));

        let again = start(store.as_ref(), NOW + DAY, &PriorityMatrix::default())
            .await
            .unwrap();
        assert!(again.seeded.is_none() && again.admin_password.is_none());
        assert!(
            again
                .instructions("http://x", None, false)
                .contains("not empty")
        );
    }
}
