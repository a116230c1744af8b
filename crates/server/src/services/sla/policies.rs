//! SLA policies: creating, changing and deleting them. A policy covers the incidents its
//! conditions match (priorities, services, categories, teams; empty lists match all), sets a
//! response and/or a resolution target in business time on a calendar (none: 24×7), names the
//! on-hold reasons that pause its clocks, its warning thresholds, the actions taken at
//! percentages of the target, and what a reopen does to the clocks.

use mayday_core::Role;
use mayday_core::priority::Priority;
use mayday_core::sla::policy::MAX_TARGET_SECONDS;
use mayday_core::sla::{
    ReopenRule, SlaAction, SlaActionKind, SlaConditions, SlaPolicy, default_pause_on,
    default_warnings,
};
use mayday_core::state::HoldReason;
use mayday_store::{EntityKind, decode_entity, encode_entity};
use serde_json::Value;
use uuid::Uuid;

use super::{record_or_404, require_sla_reader};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;
use crate::services::directory::{
    Stored, categories, check_version, delete, find_entity, insert_record, name_field, required,
    update_record,
};
use crate::services::oncall::{Obj, add_new_errors};

pub const SLA_POLICY_FIELDS: &[&str] = &[
    "name",
    "order",
    "conditions",
    "response_minutes",
    "response_seconds",
    "resolution_minutes",
    "resolution_seconds",
    "calendar",
    "pause_on",
    "warnings",
    "actions",
    "on_reopen",
];
const CONDITION_FIELDS: &[&str] = &["priorities", "services", "categories", "teams"];
const ACTION_FIELDS: &[&str] = &["at_percent", "kind", "tag"];

/// The most entries a condition list has.
pub const MAX_CONDITION_ITEMS: usize = 100;
/// The most actions a policy has.
pub const MAX_ACTIONS: usize = 20;
/// The most warning thresholds a policy has.
pub const MAX_WARNINGS: usize = 10;

/// The action kinds as requests spell them.
pub const ACTION_KINDS: &[&str] = &[
    "notify_assignee",
    "notify_group",
    "notify_manager",
    "escalate",
    "raise_priority",
    "add_tag",
];

/// An action kind's name in requests and views.
pub fn action_kind_name(kind: &SlaActionKind) -> &'static str {
    match kind {
        SlaActionKind::NotifyAssignee => "notify_assignee",
        SlaActionKind::NotifyGroup => "notify_group",
        SlaActionKind::NotifyManager => "notify_manager",
        SlaActionKind::Escalate => "escalate",
        SlaActionKind::RaisePriority => "raise_priority",
        SlaActionKind::AddTag { .. } => "add_tag",
    }
}

/// `continue` or `restart`.
pub fn reopen_name(rule: ReopenRule) -> &'static str {
    match rule {
        ReopenRule::Continue => "continue",
        ReopenRule::Restart => "restart",
    }
}

/// A priority as `P1`..`P5` or the number 1..5.
fn priority_of(v: &Value) -> Result<Priority, String> {
    match v {
        Value::String(s) => Priority::parse(s),
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| format!("must be P1..P5 or 1..5, got {n}"))
            .and_then(|l| {
                Priority::from_level(l).map_err(|_| format!("must be P1..P5 or 1..5, got {l}"))
            }),
        other => Err(format!("must be P1..P5 or 1..5, got {other}")),
    }
}

/// One list of the conditions: absent (`None`: leave), null (`Some(None)`: any) or an array
/// (`None` and reported when it is not one).
fn list_of<'a>(
    input: &mut Input,
    o: &Obj<'a>,
    raw: &'a Value,
    key: &str,
    what: &str,
) -> Option<Option<&'a Vec<Value>>> {
    let v = raw.get(key)?;
    if v.is_null() {
        return Some(None);
    }
    match v.as_array() {
        Some(a) if a.len() > MAX_CONDITION_ITEMS => {
            input.error(
                &o.at(key),
                format!("must have at most {MAX_CONDITION_ITEMS} entries"),
            );
            None
        }
        Some(a) => Some(Some(a)),
        None => {
            input.error(&o.at(key), format!("must be an array of {what}"));
            None
        }
    }
}

/// Ids of `kind` records named by id or name in `items`; unknown ones are reported by index.
async fn references(
    state: &AppState,
    input: &mut Input,
    items: &[Value],
    path: &str,
    kind: EntityKind,
    what: &str,
) -> ApiResult<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Some(key) = item.as_str() else {
            input.error(&at, format!("must be a {what} id or name"));
            continue;
        };
        match find_entity(state.store.as_ref(), kind, key.trim()).await? {
            Some(e) if !ids.contains(&e.id) => ids.push(e.id),
            Some(_) => {}
            None => input.error(&at, format!("no {what} {key:?}")),
        }
    }
    Ok(ids)
}

/// The `conditions` field merged into `base` (a merge patch): a list given replaces that list,
/// a null list matches anything again, lists left out stay; null conditions match every
/// incident. `None` when the field is absent.
async fn conditions_field(
    state: &AppState,
    input: &mut Input,
    base: &SlaConditions,
) -> ApiResult<Option<SlaConditions>> {
    let Some(raw) = input.raw("conditions").cloned() else {
        return Ok(None);
    };
    if raw.is_null() {
        return Ok(Some(SlaConditions::default()));
    }
    let mut c = base.clone();
    let Some(o) = Obj::new(input, &raw, "conditions".into(), CONDITION_FIELDS) else {
        return Ok(None);
    };
    if let Some(items) = list_of(input, &o, &raw, "priorities", "P1..P5") {
        c.priorities.clear();
        for (i, item) in items.into_iter().flatten().enumerate() {
            match priority_of(item) {
                Ok(p) if !c.priorities.contains(&p) => c.priorities.push(p),
                Ok(_) => {}
                Err(e) => input.error(&format!("conditions.priorities[{i}]"), e),
            }
        }
        c.priorities.sort();
    }
    if let Some(items) = list_of(input, &o, &raw, "services", "service ids or names") {
        c.service_ids = references(
            state,
            input,
            items.map_or(&[][..], Vec::as_slice),
            "conditions.services",
            EntityKind::Service,
            "service",
        )
        .await?;
    }
    if let Some(items) = list_of(input, &o, &raw, "categories", "category names") {
        c.categories.clear();
        let known = categories(state.store.as_ref()).await?;
        for (i, item) in items.into_iter().flatten().enumerate() {
            let at = format!("conditions.categories[{i}]");
            let Some(name) = item.as_str() else {
                input.error(&at, "must be a category name");
                continue;
            };
            match known
                .iter()
                .find(|k| k.name.eq_ignore_ascii_case(name.trim()))
            {
                Some(k) if !c.categories.contains(&k.name) => c.categories.push(k.name.clone()),
                Some(_) => {}
                None => input.error(&at, format!("no category {name:?}")),
            }
        }
    }
    if let Some(items) = list_of(input, &o, &raw, "teams", "team ids or names") {
        c.team_ids = references(
            state,
            input,
            items.map_or(&[][..], Vec::as_slice),
            "conditions.teams",
            EntityKind::Team,
            "team",
        )
        .await?;
    }
    Ok(Some(c))
}

/// A target given as exactly one of `<name>_minutes` (may be fractional) and
/// `<name>_seconds` (whole): absent (leave), null (clear) or seconds.
fn target_field(input: &mut Input, name: &str) -> Option<Option<i64>> {
    let (mk, sk) = (format!("{name}_minutes"), format!("{name}_seconds"));
    let minutes = input.raw(&mk).cloned();
    let seconds = input.raw(&sk).cloned();
    let set = |v: &Option<Value>| v.as_ref().is_some_and(|v| !v.is_null());
    let max_minutes = MAX_TARGET_SECONDS / 60;
    match (set(&minutes), set(&seconds)) {
        (true, true) => {
            input.error(&mk, format!("give {mk} or {sk}, not both"));
            None
        }
        (true, false) => {
            let secs = minutes
                .as_ref()
                .and_then(Value::as_f64)
                .map(|m| (m * 60.0).round());
            match secs {
                Some(s) if s >= 1.0 && s <= MAX_TARGET_SECONDS as f64 => Some(Some(s as i64)),
                Some(_) => {
                    input.error(
                        &mk,
                        format!("must be more than 0 and at most {max_minutes} (366 days)"),
                    );
                    None
                }
                None => {
                    input.error(&mk, "must be a number of minutes");
                    None
                }
            }
        }
        (false, true) => match seconds.as_ref().and_then(Value::as_i64) {
            Some(s) if (1..=MAX_TARGET_SECONDS).contains(&s) => Some(Some(s)),
            Some(_) => {
                input.error(&sk, format!("must be 1 to {MAX_TARGET_SECONDS} (366 days)"));
                None
            }
            None => {
                input.error(&sk, "must be a whole number of seconds");
                None
            }
        },
        // Both absent: leave; a null one: clear.
        (false, false) if minutes.is_some() || seconds.is_some() => Some(None),
        (false, false) => None,
    }
}

/// The `calendar` field: absent (leave), null (24×7) or a calendar's id or name.
async fn calendar_field(state: &AppState, input: &mut Input) -> ApiResult<Option<Option<Uuid>>> {
    match input.nullable_string("calendar") {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(key)) => {
            match find_entity(
                state.store.as_ref(),
                EntityKind::BusinessCalendar,
                key.trim(),
            )
            .await?
            {
                Some(e) => Ok(Some(Some(e.id))),
                None => {
                    input.error("calendar", format!("no business calendar {key:?}"));
                    Ok(None)
                }
            }
        }
    }
}

/// The `pause_on` field: on-hold reasons, each at most once (null: none).
fn pause_on_field(input: &mut Input) -> Option<Vec<HoldReason>> {
    let raw = input.raw("pause_on")?.clone();
    if raw.is_null() {
        return Some(Vec::new());
    }
    let Some(items) = raw.as_array() else {
        input.error("pause_on", "must be an array of on-hold reasons");
        return None;
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("pause_on[{i}]");
        match item.as_str().map(|s| HoldReason::parse(s.trim())) {
            Some(Ok(r)) if !out.contains(&r) => out.push(r),
            Some(Ok(_)) => {}
            Some(Err(e)) => input.error(&at, e),
            None => input.error(&at, "must be a string"),
        }
    }
    Some(out)
}

/// The `warnings` field: percentages of the target, 1 to 99, kept in ascending order (null:
/// none).
fn warnings_field(input: &mut Input) -> Option<Vec<u8>> {
    let raw = input.raw("warnings")?.clone();
    if raw.is_null() {
        return Some(Vec::new());
    }
    let Some(items) = raw.as_array() else {
        input.error(
            "warnings",
            "must be an array of percentages such as [50, 75]",
        );
        return None;
    };
    if items.len() > MAX_WARNINGS {
        input.error(
            "warnings",
            format!("must have at most {MAX_WARNINGS} thresholds"),
        );
        return None;
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_u64() {
            Some(p @ 1..=99) => out.push(p as u8),
            _ => input.error(
                &format!("warnings[{i}]"),
                format!("must be a whole percentage from 1 to 99 (100 is the breach), got {item}"),
            ),
        }
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// One action, `{"at_percent", "kind", "tag"?}`; `None` (reported) when it cannot be read.
fn action(input: &mut Input, value: &Value, path: String) -> Option<SlaAction> {
    let o = Obj::new(input, value, path, ACTION_FIELDS)?;
    let at_percent = match o.value(input, "at_percent", true) {
        None => None,
        Some(v) => match v.as_u64().and_then(|p| u8::try_from(p).ok()) {
            Some(p) if p >= 1 => Some(p),
            _ => {
                input.error(
                    &o.at("at_percent"),
                    "must be a whole percentage from 1 to 255",
                );
                None
            }
        },
    };
    let kind = o.string(input, "kind", true);
    let tag = o.string(input, "tag", false);
    let action = match kind.as_deref() {
        None => None,
        Some("notify_assignee") => Some(SlaActionKind::NotifyAssignee),
        Some("notify_group") => Some(SlaActionKind::NotifyGroup),
        Some("notify_manager") => Some(SlaActionKind::NotifyManager),
        Some("escalate") => Some(SlaActionKind::Escalate),
        Some("raise_priority") => Some(SlaActionKind::RaisePriority),
        Some("add_tag") => match tag.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => Some(SlaActionKind::AddTag { tag: t.to_string() }),
            _ => {
                input.error(&o.at("tag"), "is required for add_tag");
                None
            }
        },
        Some(other) => {
            input.error(
                &o.at("kind"),
                format!("must be one of {}; got {other:?}", ACTION_KINDS.join(", ")),
            );
            None
        }
    };
    if tag.is_some() && kind.as_deref().is_some_and(|k| k != "add_tag") {
        input.error(&o.at("tag"), "only add_tag takes a tag");
        return None;
    }
    Some(SlaAction {
        at_percent: at_percent?,
        action: action?,
    })
}

/// The `actions` field, if present (null: none).
fn actions_field(input: &mut Input) -> Option<Vec<SlaAction>> {
    let raw = input.raw("actions")?.clone();
    if raw.is_null() {
        return Some(Vec::new());
    }
    let Some(items) = raw.as_array() else {
        input.error("actions", "must be an array of {at_percent, kind, tag}");
        return None;
    };
    if items.len() > MAX_ACTIONS {
        input.error(
            "actions",
            format!("must have at most {MAX_ACTIONS} actions"),
        );
        return None;
    }
    // What cannot be read is stood in for (the breach telling the assignee), so that the
    // actions keep their indexes for [`SlaPolicy::validate`].
    Some(
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                action(input, item, format!("actions[{i}]")).unwrap_or(SlaAction {
                    at_percent: 100,
                    action: SlaActionKind::NotifyAssignee,
                })
            })
            .collect(),
    )
}

fn on_reopen_field(input: &mut Input) -> Option<ReopenRule> {
    let v = input.string("on_reopen")?;
    match v.trim() {
        "continue" => Some(ReopenRule::Continue),
        "restart" => Some(ReopenRule::Restart),
        other => {
            input.error(
                "on_reopen",
                format!("must be continue or restart, got {other:?}"),
            );
            None
        }
    }
}

fn order_field(input: &mut Input) -> Option<i32> {
    let v = input.int("order")?;
    match i32::try_from(v) {
        Ok(o) if o.unsigned_abs() <= 1_000_000 => Some(o),
        _ => {
            input.error("order", "must be between -1000000 and 1000000");
            None
        }
    }
}

/// The actions a new policy gets when the request names none: the domain's defaults at the
/// thresholds the policy has, and telling the assignee at a warning they leave out.
fn default_actions_for(warnings: &[u8]) -> Vec<SlaAction> {
    let mut actions: Vec<SlaAction> = SlaPolicy::default_actions()
        .into_iter()
        .filter(|a| a.at_percent == 100 || warnings.contains(&a.at_percent))
        .collect();
    for &w in warnings {
        if !actions.iter().any(|a| a.at_percent == w) {
            actions.push(SlaAction {
                at_percent: w,
                action: SlaActionKind::NotifyAssignee,
            });
        }
    }
    actions.sort_by_key(|a| a.at_percent);
    actions
}

fn is_target(field: &str) -> bool {
    field.starts_with("response_") || field.starts_with("resolution_")
}

/// Adds what [`SlaPolicy::validate`] finds, except on fields already reported (and "needs a
/// target" when a target given was already refused).
fn check_policy(input: &mut Input, policy: &SlaPolicy) {
    let target_reported = input.errors.0.iter().any(|e| is_target(&e.field));
    if let Err(mut found) = policy.validate() {
        if target_reported {
            found.0.retain(|e| !is_target(&e.field));
        }
        add_new_errors(input, found);
    }
}

fn stored(e: &mayday_store::Entity) -> ApiResult<Stored<SlaPolicy>> {
    Ok(Stored::new(e, decode_entity::<SlaPolicy>(e)?))
}

/// Every SLA policy in the order they are tried: by `order`, then by name.
pub async fn list_sla_policies(
    state: &AppState,
    caller: &Caller,
) -> ApiResult<Vec<Stored<SlaPolicy>>> {
    require_sla_reader(caller, "reading SLA policies")?;
    let mut list = state
        .store
        .list_entities(EntityKind::SlaPolicy)
        .await?
        .iter()
        .map(stored)
        .collect::<ApiResult<Vec<_>>>()?;
    list.sort_by_key(|p| (p.item.order, p.item.name.to_lowercase()));
    Ok(list)
}

/// A policy by id or name.
pub async fn load_sla_policy(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> ApiResult<Stored<SlaPolicy>> {
    require_sla_reader(caller, "reading SLA policies")?;
    stored(&record_or_404(state, EntityKind::SlaPolicy, key).await?)
}

/// Creates a policy (managers and admins): a name and at least one target; everything else
/// has the domain's defaults.
pub async fn create_sla_policy(
    state: &AppState,
    caller: &Caller,
    mut input: Input,
) -> ApiResult<Stored<SlaPolicy>> {
    caller.require(Role::Manager, "creating SLA policies")?;
    let name = name_field(&mut input, "name");
    let name = required(&mut input, "name", name);
    let mut p = SlaPolicy {
        id: Uuid::nil(),
        name: name.clone().unwrap_or_else(|| "-".into()),
        order: 0,
        conditions: SlaConditions::default(),
        response_seconds: None,
        resolution_seconds: None,
        calendar_id: None,
        pause_on: default_pause_on(),
        warnings: default_warnings(),
        actions: Vec::new(),
        on_reopen: ReopenRule::default(),
    };
    if let Some(o) = order_field(&mut input) {
        p.order = o;
    }
    if let Some(c) = conditions_field(state, &mut input, &p.conditions).await? {
        p.conditions = c;
    }
    if let Some(t) = target_field(&mut input, "response") {
        p.response_seconds = t;
    }
    if let Some(t) = target_field(&mut input, "resolution") {
        p.resolution_seconds = t;
    }
    if let Some(c) = calendar_field(state, &mut input).await? {
        p.calendar_id = c;
    }
    if let Some(r) = pause_on_field(&mut input) {
        p.pause_on = r;
    }
    if let Some(w) = warnings_field(&mut input) {
        p.warnings = w;
    }
    p.actions = match actions_field(&mut input) {
        Some(a) => a,
        None => default_actions_for(&p.warnings),
    };
    if let Some(r) = on_reopen_field(&mut input) {
        p.on_reopen = r;
    }
    check_policy(&mut input, &p);
    input.finish()?;
    let Some(name) = name else {
        return Err(ApiError::Internal(
            "validated policy name is missing".into(),
        ));
    };
    let e = insert_record(state, EntityKind::SlaPolicy, &name, encode_entity(&p)).await?;
    stored(&e)
}

/// Changes a policy (managers and admins): any subset of the fields; lists replace the old
/// ones, null clears a target or the calendar (24×7).
pub async fn patch_sla_policy(
    state: &AppState,
    caller: &Caller,
    key: &str,
    if_match: Option<i64>,
    mut input: Input,
) -> ApiResult<Stored<SlaPolicy>> {
    caller.require(Role::Manager, "changing SLA policies")?;
    let old = record_or_404(state, EntityKind::SlaPolicy, key).await?;
    check_version(&old, if_match)?;
    let mut p: SlaPolicy = decode_entity(&old)?;
    if let Some(n) = name_field(&mut input, "name") {
        p.name = n;
    }
    if let Some(o) = order_field(&mut input) {
        p.order = o;
    }
    if let Some(c) = conditions_field(state, &mut input, &p.conditions).await? {
        p.conditions = c;
    }
    if let Some(t) = target_field(&mut input, "response") {
        p.response_seconds = t;
    }
    if let Some(t) = target_field(&mut input, "resolution") {
        p.resolution_seconds = t;
    }
    if let Some(c) = calendar_field(state, &mut input).await? {
        p.calendar_id = c;
    }
    if let Some(r) = pause_on_field(&mut input) {
        p.pause_on = r;
    }
    if let Some(w) = warnings_field(&mut input) {
        p.warnings = w;
    }
    if let Some(a) = actions_field(&mut input) {
        p.actions = a;
    }
    if let Some(r) = on_reopen_field(&mut input) {
        p.on_reopen = r;
    }
    check_policy(&mut input, &p);
    input.finish()?;
    let e = update_record(state, &old, &p.name, encode_entity(&p)).await?;
    stored(&e)
}

/// Deletes a policy (managers and admins). Clocks it started keep their targets.
pub async fn delete_sla_policy(state: &AppState, caller: &Caller, key: &str) -> ApiResult<()> {
    caller.require(Role::Manager, "deleting SLA policies")?;
    let e = record_or_404(state, EntityKind::SlaPolicy, key).await?;
    delete(state, &e).await
}

/// The names of the policies counting on calendar `id`.
pub async fn policies_using_calendar(state: &AppState, id: Uuid) -> ApiResult<Vec<String>> {
    let mut names = Vec::new();
    for e in state.store.list_entities(EntityKind::SlaPolicy).await? {
        if decode_entity::<SlaPolicy>(&e)?.calendar_id == Some(id) {
            names.push(e.name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn priorities_as_text_or_numbers() {
        assert_eq!(priority_of(&json!("P2")).unwrap().level(), 2);
        assert_eq!(priority_of(&json!("p1")).unwrap().level(), 1);
        assert_eq!(priority_of(&json!(5)).unwrap().level(), 5);
        for bad in [json!(0), json!(6), json!("P9"), json!(1.5), json!(true)] {
            assert!(priority_of(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn default_actions_follow_the_warnings() {
        assert_eq!(
            default_actions_for(&default_warnings()),
            SlaPolicy::default_actions()
        );
        let percents = |w: &[u8]| -> Vec<(u8, &'static str)> {
            default_actions_for(w)
                .iter()
                .map(|a| (a.at_percent, action_kind_name(&a.action)))
                .collect()
        };
        assert_eq!(
            percents(&[75, 90]),
            [
                (75, "notify_assignee"),
                (90, "notify_assignee"),
                (100, "notify_assignee"),
                (100, "notify_group"),
            ]
        );
        assert_eq!(
            percents(&[]),
            [(100, "notify_assignee"), (100, "notify_group")]
        );
    }

    fn input(v: Value) -> Input {
        Input::new(v, SLA_POLICY_FIELDS).unwrap()
    }

    #[test]
    fn targets_take_one_form() {
        let mut i = input(json!({"response_minutes": 30, "resolution_seconds": 14400}));
        assert_eq!(target_field(&mut i, "response"), Some(Some(1800)));
        assert_eq!(target_field(&mut i, "resolution"), Some(Some(14_400)));
        assert!(i.errors.is_empty());
        let mut i = input(json!({"response_minutes": 0.5, "resolution_minutes": null}));
        assert_eq!(target_field(&mut i, "response"), Some(Some(30)));
        assert_eq!(target_field(&mut i, "resolution"), Some(None));
        let mut i = input(json!({}));
        assert_eq!(target_field(&mut i, "response"), None);
        let mut i = input(json!({
            "response_minutes": 1, "response_seconds": 60,
            "resolution_seconds": 1.5
        }));
        assert_eq!(target_field(&mut i, "response"), None);
        assert_eq!(target_field(&mut i, "resolution"), None);
        let fields: Vec<&str> = i.errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["response_minutes", "resolution_seconds"]);
    }
}
