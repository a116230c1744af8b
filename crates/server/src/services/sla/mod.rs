//! SLA configuration: business calendars and SLA policies (create, change, delete, list), and
//! the settings an incident's clocks are computed with. As in the on-call directory: one
//! function per use case, the caller's role checked first (agents and above read, managers and
//! admins write), every field read (one 422 names every problem, nested fields by their JSON
//! path such as `hours[1].start`), references by id or name, and writes with optimistic
//! concurrency.

mod calendars;
mod policies;

pub use calendars::*;
pub use policies::*;

use mayday_core::Role;
use mayday_core::sla::{BusinessCalendar, SlaConfig, SlaPolicy};
use mayday_store::{Entity, EntityKind, Store, StoreError, decode_entity};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services::directory::entity_or_404;

/// Calendars and policies are read by agents and above.
pub fn require_sla_reader(caller: &Caller, what: &str) -> ApiResult<()> {
    caller.require(Role::Agent, what)
}

/// A record by id or name, or 404 with a readable message.
async fn record_or_404(state: &AppState, kind: EntityKind, key: &str) -> ApiResult<Entity> {
    entity_or_404(state.store.as_ref(), kind, key).await
}

/// Every SLA policy and business calendar, as the clocks use them.
#[derive(Debug, Clone, Default)]
pub struct SlaSettings {
    /// In the order they are tried: by `order`, then by name.
    pub policies: Vec<SlaPolicy>,
    pub calendars: Vec<BusinessCalendar>,
}

impl SlaSettings {
    /// The domain's view of these settings.
    pub fn config(&self) -> SlaConfig<'_> {
        SlaConfig {
            policies: &self.policies,
            calendars: &self.calendars,
        }
    }

    /// Reads every policy and calendar from the store.
    pub async fn load(store: &dyn Store) -> Result<SlaSettings, StoreError> {
        let mut policies = store
            .list_entities(EntityKind::SlaPolicy)
            .await?
            .iter()
            .map(decode_entity::<SlaPolicy>)
            .collect::<Result<Vec<_>, _>>()?;
        policies.sort_by_key(|p| (p.order, p.name.to_lowercase()));
        let calendars = store
            .list_entities(EntityKind::BusinessCalendar)
            .await?
            .iter()
            .map(decode_entity::<BusinessCalendar>)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SlaSettings {
            policies,
            calendars,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mayday_core::FixedClock;
    use mayday_store::User;
    use serde_json::{Value, json};
    use uuid::Uuid;

    use super::*;
    use crate::Settings;
    use crate::input::Input;
    use crate::services::directory::seed_taxonomy;

    fn caller(role: Role) -> Caller {
        Caller {
            user: User {
                id: Uuid::now_v7(),
                username: "someone".into(),
                display_name: "someone".into(),
                email: None,
                time_zone: "UTC".into(),
                role,
                active: true,
                contact_methods: Vec::new(),
                notification_rules: Vec::new(),
            },
        }
    }

    fn input(v: Value, allowed: &[&str]) -> Input {
        Input::new(v, allowed).unwrap()
    }

    #[tokio::test]
    async fn settings_hold_what_was_configured() {
        let dir = std::env::temp_dir().join(format!("mayday-sla-config-{}", Uuid::now_v7()));
        let store = mayday_store_sqlite::open_dir(&dir).await.unwrap();
        let state = AppState::new(
            Arc::new(store),
            Arc::new(FixedClock::new(1_700_000_000_000)),
            Settings::default(),
        );
        seed_taxonomy(state.store.as_ref(), 0).await.unwrap();
        let admin = caller(Role::Admin);

        let empty = SlaSettings::load(state.store.as_ref()).await.unwrap();
        assert!(empty.policies.is_empty() && empty.calendars.is_empty());

        let cal = create_calendar(
            &state,
            &admin,
            input(
                json!({"name": "Office", "time_zone": "Europe/Berlin",
                       "hours": [{"day": "monday", "start": "09:00", "end": "17:00"}]}),
                CALENDAR_FIELDS,
            ),
        )
        .await
        .unwrap();
        for (name, order) in [("Zeta", 1), ("Alpha", 2), ("Beta", 1)] {
            create_sla_policy(
                &state,
                &admin,
                input(
                    json!({"name": name, "order": order, "resolution_minutes": 60,
                           "calendar": "office", "conditions": {"priorities": ["P1"]}}),
                    SLA_POLICY_FIELDS,
                ),
            )
            .await
            .unwrap();
        }

        let settings = SlaSettings::load(state.store.as_ref()).await.unwrap();
        let names: Vec<&str> = settings.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Beta", "Zeta", "Alpha"]);
        assert!(settings.policies.iter().all(|p| !p.id.is_nil()));
        let cfg = settings.config();
        let office = cfg.calendar(Some(cal.item.id));
        assert_eq!(office.name, "Office");
        assert_eq!(office.time_zone, "Europe/Berlin");
        assert_eq!(office.hours.len(), 1);
        let beta = &settings.policies[0];
        assert_eq!(cfg.policy(beta.id).map(|p| p.name.as_str()), Some("Beta"));
        assert_eq!(beta.calendar_id, Some(cal.item.id));
        assert_eq!(beta.resolution_seconds, Some(3600));

        // Agents read; only managers and admins write.
        let agent = caller(Role::Agent);
        assert_eq!(list_sla_policies(&state, &agent).await.unwrap().len(), 3);
        let err = delete_calendar(&state, &agent, "office").await.unwrap_err();
        assert!(matches!(err, crate::error::ApiError::Forbidden(_)));
        let err = list_calendars(&state, &caller(Role::Requester))
            .await
            .unwrap_err();
        assert!(matches!(err, crate::error::ApiError::Forbidden(_)));
        let _ = std::fs::remove_dir_all(dir);
    }
}
