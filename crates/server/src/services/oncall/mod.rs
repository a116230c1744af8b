//! On-call directory use cases: schedules (rotations in layers, restrictions, overrides, who is
//! on call, shifts and gaps, calendar feeds), escalation policies, and each person's contact
//! methods and notification rules. As in the directory: one function per use case, the caller's
//! role checked first, every field read (one 422 names every problem, nested fields by their
//! JSON path such as `layers[0].members`), references by id or name, and writes with optimistic
//! concurrency.

mod calendar;
mod contacts;
mod policies;
mod schedules;

pub use calendar::*;
pub use contacts::*;
pub use policies::*;
pub use schedules::*;

use mayday_core::{Millis, Role};
use mayday_store::{EntityKind, Named, decode_entity, encode_entity};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Caller;
use crate::clock::parse_rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;
use crate::services::directory::{Stored, find_entity, update_record};

const MINUTE: Millis = 60_000;
const DAY: Millis = 24 * 60 * MINUTE;

/// How often a write that lost a race (someone changed the record after it was read) is
/// computed again on the fresh record before giving up with 412.
const WRITE_ATTEMPTS: usize = 5;

/// Schedules and policies are read by agents and above.
pub fn require_oncall_reader(caller: &Caller, what: &str) -> ApiResult<()> {
    caller.require(Role::Agent, what)
}

/// Who a record kind is called in messages.
fn label(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::EscalationPolicy => "escalation policy",
        k => k.as_str(),
    }
}

/// A record by id or name, or 404 with a readable message.
async fn record_or_404(
    state: &AppState,
    kind: EntityKind,
    key: &str,
) -> ApiResult<mayday_store::Entity> {
    find_entity(state.store.as_ref(), kind, key)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no {} {key:?}", label(kind))))
}

/// Loads the record `key`, lets `change` alter it and writes it; when someone else wrote it
/// in between, does it again on the fresh record (a few times, then 412). `change` may refuse
/// with an error, and returns what the caller wants to know of the change.
async fn modify<T, R>(
    state: &AppState,
    kind: EntityKind,
    key: &str,
    mut change: impl FnMut(&mut T) -> ApiResult<R>,
) -> ApiResult<(Stored<T>, R)>
where
    T: DeserializeOwned + Serialize + Named,
{
    let mut key = key.to_string();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let old = record_or_404(state, kind, &key).await?;
        key = old.id.to_string();
        let mut item: T = decode_entity(&old)?;
        let result = change(&mut item)?;
        match update_record(state, &old, &old.name, encode_entity(&item)).await {
            Ok(e) => return Ok((Stored::new(&e, decode_entity::<T>(&e)?), result)),
            Err(ApiError::PreconditionFailed(_)) if attempt < WRITE_ATTEMPTS => continue,
            Err(e) => return Err(e),
        }
    }
}

/// A reference field that may be absent (leave), null (clear) or an id or name of a `kind`
/// record; an unknown one is reported on `key`.
pub(crate) async fn reference_field(
    state: &AppState,
    input: &mut Input,
    key: &str,
    kind: EntityKind,
) -> ApiResult<Option<Option<Uuid>>> {
    match input.nullable_string(key) {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(name)) => match find_entity(state.store.as_ref(), kind, name.trim()).await? {
            Some(e) => Ok(Some(Some(e.id))),
            None => {
                input.error(key, format!("no {} {name:?}", label(kind)));
                Ok(None)
            }
        },
    }
}

/// Reads one nested JSON object of a body: its problems go to the body's [`Input`] under the
/// object's path (`layers[0].turn.count`).
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    pub(crate) path: String,
}

impl<'a> Obj<'a> {
    /// `value` as an object with only `allowed` keys; `None` (reported) when not an object.
    pub(crate) fn new(
        input: &mut Input,
        value: &'a Value,
        path: String,
        allowed: &[&str],
    ) -> Option<Self> {
        let Some(map) = value.as_object() else {
            input.error(&path, "must be an object");
            return None;
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                input.error(
                    &format!("{path}.{key}"),
                    format!("unknown field; known fields: {}", allowed.join(", ")),
                );
            }
        }
        Some(Self { map, path })
    }

    pub(crate) fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    /// A present, non-null value; reports a missing one when `required`.
    pub(crate) fn value(&self, input: &mut Input, key: &str, required: bool) -> Option<&'a Value> {
        match self.map.get(key) {
            Some(v) if !v.is_null() => Some(v),
            _ => {
                if required {
                    input.error(&self.at(key), "is required");
                }
                None
            }
        }
    }

    pub(crate) fn string(&self, input: &mut Input, key: &str, required: bool) -> Option<String> {
        let v = self.value(input, key, required)?;
        match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                input.error(&self.at(key), "must be a string");
                None
            }
        }
    }
}

/// An instant given as RFC 3339 text in a query (`at`, `from`, `to`), or 422 naming it.
pub fn query_time(key: &str, text: Option<&str>) -> ApiResult<Option<Millis>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => parse_rfc3339(t)
            .map(Some)
            .map_err(|e| ApiError::invalid(key, e)),
    }
}

/// The longest span `from`..`to` a shift listing covers.
pub const MAX_RANGE_DAYS: i64 = 366;
/// The span a shift listing covers by default, from now.
pub const DEFAULT_RANGE_DAYS: i64 = 14;

/// A time range from query text: `from` defaults to `now`, `to` to 14 days after `from`; `to`
/// must follow `from` by at most 366 days.
pub fn query_range(
    from: Option<&str>,
    to: Option<&str>,
    now: Millis,
) -> ApiResult<(Millis, Millis)> {
    let mut errors = mayday_core::ValidationErrors::new();
    let from = match query_time("from", from) {
        Ok(f) => f,
        Err(ApiError::Invalid(v)) => {
            errors.0.extend(v.0);
            None
        }
        Err(e) => return Err(e),
    };
    let to = match query_time("to", to) {
        Ok(t) => t,
        Err(ApiError::Invalid(v)) => {
            errors.0.extend(v.0);
            None
        }
        Err(e) => return Err(e),
    };
    errors.into_result()?;
    let from = from.unwrap_or(now);
    let to = to.unwrap_or(from.saturating_add(DEFAULT_RANGE_DAYS * DAY));
    if to <= from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    if to - from > MAX_RANGE_DAYS * DAY {
        return Err(ApiError::invalid(
            "to",
            format!("the range may span at most {MAX_RANGE_DAYS} days"),
        ));
    }
    Ok((from, to))
}
