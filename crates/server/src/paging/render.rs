//! Who a page reaches and what it says: a snapshot of the directory (users, teams, services,
//! schedules, policies, message templates) taken once per batch of timers, escalation targets
//! resolved to people, contact methods chosen by each person's rules, and messages rendered
//! from templates into outbox entries with their action links.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use mayday_core::incident::IncidentNumber;
use mayday_core::oncall::Target;
use mayday_core::{Incident, Millis};
use mayday_notify::{Channel, Delivery, Link, MessageTemplate};
use mayday_store::{
    ActionLink, ContactMethod, EntityKind, OutboxMessage, Policy, Schedule, Service, Store,
    StoreResult, Team, User, decode_entity,
};
use sha2::Digest;
use uuid::Uuid;

/// The directory as paging needs it, read once per batch.
pub struct Directory {
    pub users: HashMap<Uuid, User>,
    pub teams: HashMap<Uuid, Team>,
    pub services: HashMap<Uuid, Service>,
    pub schedules: HashMap<Uuid, Schedule>,
    pub policies: HashMap<Uuid, Policy>,
    /// Templates changed by an admin, by event.
    pub templates: HashMap<String, MessageTemplate>,
}

async fn all<T: serde::de::DeserializeOwned + mayday_store::Named>(
    store: &dyn Store,
    kind: EntityKind,
) -> StoreResult<HashMap<Uuid, T>> {
    let mut out = HashMap::new();
    for e in store.list_entities(kind).await? {
        let t: T = decode_entity(&e)?;
        out.insert(e.id, t);
    }
    Ok(out)
}

impl Directory {
    pub async fn load(store: &dyn Store) -> StoreResult<Self> {
        let mut templates = HashMap::new();
        for e in store.list_entities(EntityKind::MessageTemplate).await? {
            if let Ok(t) = serde_json::from_value::<MessageTemplate>(e.doc.clone()) {
                templates.insert(e.name.clone(), t);
            }
        }
        Ok(Self {
            users: all(store, EntityKind::User).await?,
            teams: all(store, EntityKind::Team).await?,
            services: all(store, EntityKind::Service).await?,
            schedules: all(store, EntityKind::Schedule).await?,
            policies: all(store, EntityKind::EscalationPolicy).await?,
            templates,
        })
    }

    /// The policy that applies to an incident: its service's, else its assignment group's.
    pub fn policy_for(&self, inc: &Incident) -> Option<&Policy> {
        let from_service = inc
            .service_id
            .and_then(|id| self.services.get(&id))
            .and_then(|s| s.escalation_policy_id);
        let from_team = inc
            .assignment_group_id
            .and_then(|id| self.teams.get(&id))
            .and_then(|t| t.escalation_policy_id);
        from_service
            .or(from_team)
            .and_then(|id| self.policies.get(&id))
    }

    /// The active people `targets` name at `at`, each once, in order: a schedule's people on
    /// call, a team's schedule if it has one, else all its members.
    pub fn people(&self, targets: &[Target], at: Millis) -> Vec<&User> {
        let mut ids: Vec<Uuid> = Vec::new();
        let on_call = |schedule: Uuid| {
            self.schedules
                .get(&schedule)
                .map(|s| s.rota.on_call_at(at))
                .unwrap_or_default()
        };
        for t in targets {
            let found = match *t {
                Target::User(id) => vec![id],
                Target::Schedule(id) => on_call(id),
                Target::Team(id) => match self.teams.get(&id) {
                    Some(team) => match team.schedule_id {
                        Some(s) if self.schedules.contains_key(&s) => on_call(s),
                        _ => team.members.clone(),
                    },
                    None => Vec::new(),
                },
            };
            for id in found {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        ids.iter()
            .filter_map(|id| self.users.get(id))
            .filter(|u| u.active)
            .collect()
    }

    pub fn template(&self, event: &str) -> MessageTemplate {
        self.templates
            .get(event)
            .cloned()
            .unwrap_or_else(|| mayday_notify::default_template(event))
    }

    fn name_of_user(&self, id: Option<Uuid>) -> String {
        id.and_then(|id| self.users.get(&id))
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    }
}

/// What a message tells of.
pub struct Occasion<'a> {
    pub incident: &'a Incident,
    /// `triggered`, `escalated`, `acknowledged`, `resolved` or `commented`.
    pub event: &'a str,
    /// The escalation level paged (1-based), for pages.
    pub level: Option<u32>,
    pub actor: &'a str,
    pub comment: Option<&'a str>,
}

/// Random single-use tokens for action links and their stored hash.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Everything needed to page or notify one person: their messages and action links.
pub struct Addressed {
    pub messages: Vec<OutboxMessage>,
    pub links: Vec<ActionLink>,
    /// How the person is reached, in words (for the timeline).
    pub summary: String,
}

/// The settings rendering reads.
pub struct RenderContext<'a> {
    pub dir: &'a Directory,
    pub public_url: &'a str,
    pub link_ttl_ms: i64,
    pub now: Millis,
}

impl RenderContext<'_> {
    fn variables(&self, o: &Occasion<'_>, user: &User) -> BTreeMap<String, String> {
        let inc = o.incident;
        let mut v = BTreeMap::new();
        let mut put = |k: &str, val: String| {
            v.insert(k.to_string(), val);
        };
        put("incident.number", IncidentNumber(inc.number).to_string());
        put("incident.title", inc.title.clone());
        put("incident.status", inc.status.as_str().to_string());
        put("incident.priority", inc.priority.to_string());
        put(
            "incident.service",
            inc.service_id
                .and_then(|id| self.dir.services.get(&id))
                .map(|s| s.name.clone())
                .unwrap_or_default(),
        );
        put("incident.description", inc.description.clone());
        put("incident.assignee", self.dir.name_of_user(inc.assignee_id));
        put("incident.url", self.incident_url(inc));
        put("event", o.event.to_string());
        put("actor", o.actor.to_string());
        put("level", o.level.map(|l| l.to_string()).unwrap_or_default());
        put("comment", o.comment.unwrap_or_default().to_string());
        put("recipient", user.display_name.clone());
        v
    }

    fn incident_url(&self, inc: &Incident) -> String {
        format!(
            "{}/api/v1/incidents/{}",
            self.public_url.trim_end_matches('/'),
            IncidentNumber(inc.number)
        )
    }

    /// The messages that reach `user` about `o`. With `rules`, each contact method goes at the
    /// delay the person's rules give (a page); without, every method at once. A person with no
    /// contact method is reached at their account's email address, if any. With `links`, the
    /// messages carry acknowledge and resolve links for this person.
    pub fn address(&self, user: &User, o: &Occasion<'_>, rules: bool, links: bool) -> Addressed {
        let mut methods: Vec<(ContactMethod, u32)> = Vec::new();
        if rules && !user.notification_rules.is_empty() {
            for r in &user.notification_rules {
                if let Some(cm) = user
                    .contact_methods
                    .iter()
                    .find(|c| c.id == r.contact_method_id)
                {
                    methods.push((cm.clone(), r.delay_minutes));
                }
            }
        } else {
            methods = user
                .contact_methods
                .iter()
                .map(|c| (c.clone(), 0))
                .collect();
        }
        if methods.is_empty()
            && let Some(email) = &user.email
        {
            methods.push((
                ContactMethod {
                    id: Uuid::nil(),
                    kind: "email".into(),
                    address: email.clone(),
                    label: "account email".into(),
                    secret: None,
                },
                0,
            ));
        }
        let mut out = Addressed {
            messages: Vec::new(),
            links: Vec::new(),
            summary: String::new(),
        };
        if methods.is_empty() {
            out.summary = format!("{} has no contact method", user.display_name);
            return out;
        }
        let mut vars = self.variables(o, user);
        let mut link_list = Vec::new();
        if links {
            for (action, label) in [("acknowledge", "Acknowledge"), ("resolve", "Resolve")] {
                let (token, hash) = new_token();
                let url = format!("{}/actions/{token}", self.public_url.trim_end_matches('/'));
                vars.insert(
                    if action == "acknowledge" {
                        "ack_url"
                    } else {
                        "resolve_url"
                    }
                    .into(),
                    url.clone(),
                );
                link_list.push(Link {
                    label: label.into(),
                    url,
                });
                out.links.push(ActionLink {
                    token_hash: hash,
                    incident_id: o.incident.id,
                    user_id: user.id,
                    action: action.into(),
                    created_at: self.now,
                    expires_at: self.now + self.link_ttl_ms,
                    used_at: None,
                });
            }
        }
        link_list.push(Link {
            label: "Open".into(),
            url: self.incident_url(o.incident),
        });
        let template = self.dir.template(o.event);
        let subject = mayday_notify::render(&template.subject, &vars);
        let text = mayday_notify::render(&template.body, &vars);
        let incident = incident_fields(o.incident, &vars);
        let mut words = Vec::new();
        for (cm, delay) in methods {
            let Some(channel) = Channel::parse(&cm.kind) else {
                continue;
            };
            let id = Uuid::now_v7();
            let delivery = Delivery {
                id,
                channel,
                address: cm.address.clone(),
                secret: cm.secret.clone(),
                event: o.event.to_string(),
                subject: subject.clone(),
                text: text.clone(),
                incident: incident.clone(),
                links: link_list.clone(),
            };
            words.push(if delay == 0 {
                channel.as_str().to_string()
            } else {
                format!("{} after {delay} min", channel.as_str())
            });
            out.messages.push(OutboxMessage {
                id,
                incident_id: Some(o.incident.id),
                user_id: Some(user.id),
                channel: channel.as_str().into(),
                event: o.event.to_string(),
                page: rules,
                due_at: self.now + i64::from(delay) * 60_000,
                payload: serde_json::to_value(&delivery).unwrap_or_default(),
                created_at: self.now,
            });
        }
        out.summary = format!("{} ({})", user.display_name, words.join(", "));
        out
    }
}

/// The incident as machine consumers of webhooks see it.
fn incident_fields(inc: &Incident, vars: &BTreeMap<String, String>) -> serde_json::Value {
    let get = |k: &str| vars.get(k).cloned().unwrap_or_default();
    serde_json::json!({
        "id": inc.id,
        "number": get("incident.number"),
        "title": inc.title,
        "status": inc.status,
        "priority": get("incident.priority"),
        "service": get("incident.service"),
        "escalation_level": inc.escalation_level,
        "url": get("incident.url"),
    })
}
