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
