//! Contact methods and notification rules: where pages reach a person (an email address, or a
//! webhook URL in the generic, Slack, Teams or Mattermost format, signed with a secret) and how
//! long after a page each method is used. The person themself or an admin writes them; managers
//! and admins read anyone's. A secret is shown once, in the answer that made it.

use mayday_core::Role;
use mayday_store::{ContactMethod, EntityKind, NotificationRule, User};
use uuid::Uuid;

use super::modify;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::input::Input;
use crate::services::directory::{Stored, check_email, conflict, required, user_for};

pub const CONTACT_METHOD_FIELDS: &[&str] = &["kind", "address", "label", "secret"];
pub const NOTIFICATION_RULE_FIELDS: &[&str] = &["contact_method", "delay_minutes"];

/// The kinds of contact method.
pub const CONTACT_KINDS: &[&str] = &["email", "webhook", "slack", "teams", "mattermost"];
/// The most contact methods a person has.
pub const MAX_CONTACT_METHODS: usize = 20;
/// The most notification rules a person has.
pub const MAX_NOTIFICATION_RULES: usize = 50;
/// The longest webhook URL.
pub const MAX_URL: usize = 2000;
/// The longest label.
pub const MAX_LABEL: usize = 100;
/// A webhook secret's length, in characters.
pub const SECRET_LENGTH: std::ops::RangeInclusive<usize> = 16..=200;
/// The longest delay of a notification rule, in minutes (a day).
pub const MAX_RULE_DELAY_MINUTES: i64 = 1440;

/// Whether a kind delivers to a URL (and signs with a secret).
pub fn is_webhook_kind(kind: &str) -> bool {
    matches!(kind, "webhook" | "slack" | "teams" | "mattermost")
}

/// An absolute http(s) URL with a host, at most 2000 characters, without spaces or control
/// characters.
pub fn check_webhook_url(url: &str) -> Result<(), String> {
    let bad =
        || format!("must be an absolute http:// or https:// URL of at most {MAX_URL} characters");
    if url.len() > MAX_URL || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = match host.strip_prefix('[') {
        // An IPv6 literal: `[::1]:8080`.
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok(())
}

/// A new webhook secret: 32 random bytes as hex.
fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    hex::encode(bytes)
}

/// A person with their contact methods and rules (themself, or managers and admins).
pub async fn contact_methods(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> ApiResult<Stored<User>> {
    user_for(
        state,
        caller,
        key,
        Role::Manager,
        "reading another user's contact methods",
    )
    .await
}

/// Adds a contact method (the person themself or an admin). A webhook-style method without a
/// secret gets a generated one. The answer holds the secret; nothing shows it again.
pub async fn add_contact_method(
    state: &AppState,
    caller: &Caller,
    key: &str,
    mut input: Input,
) -> ApiResult<ContactMethod> {
    let user = user_for(
        state,
        caller,
        key,
        Role::Admin,
        "changing another user's contact methods",
    )
    .await?;
    let kind = input.string("kind");
    let kind = required(&mut input, "kind", kind).map(|k| k.trim().to_ascii_lowercase());
    if let Some(k) = &kind
        && !CONTACT_KINDS.contains(&k.as_str())
    {
        input.error(
            "kind",
            format!("must be one of {}; got {k:?}", CONTACT_KINDS.join(", ")),
        );
    }
    let address = input.string("address");
    let address = required(&mut input, "address", address).map(|a| a.trim().to_string());
    if let (Some(k), Some(a)) = (&kind, &address) {
        let checked = if k == "email" {
            check_email(a)
        } else if is_webhook_kind(k) {
            check_webhook_url(a)
        } else {
            Ok(())
        };
        if let Err(e) = checked {
            input.error("address", e);
        }
    }
    let label = input
        .nullable_string("label")
        .flatten()
        .map(|l| l.trim().to_string());
    if let Some(l) = &label
        && (l.chars().count() > MAX_LABEL || l.chars().any(char::is_control))
    {
        input.error(
            "label",
            format!("must be at most {MAX_LABEL} characters without control characters"),
        );
    }
    let secret = input.nullable_string("secret").flatten();
    if let Some(s) = &secret {
        if kind.as_deref().is_some_and(|k| !is_webhook_kind(k)) {
            input.error(
                "secret",
                "only webhook, slack, teams and mattermost methods are signed with a secret",
            );
        } else if !SECRET_LENGTH.contains(&s.chars().count()) || s.chars().any(char::is_control) {
            input.error(
                "secret",
                format!(
                    "must be {} to {} characters without control characters",
                    SECRET_LENGTH.start(),
                    SECRET_LENGTH.end()
                ),
            );
        }
    }
    input.finish()?;
    let (Some(kind), Some(address)) = (kind, address) else {
        return Err(ApiError::Internal(
            "validated contact method fields are missing".into(),
        ));
    };
    let secret = if is_webhook_kind(&kind) {
        Some(secret.unwrap_or_else(generate_secret))
    } else {
        None
    };
    let method = ContactMethod {
        id: Uuid::now_v7(),
        kind,
        address,
        label: label.unwrap_or_default(),
        secret,
    };
    let same = |c: &ContactMethod| {
        c.kind == method.kind
            && if c.kind == "email" {
                c.address.eq_ignore_ascii_case(&method.address)
            } else {
                c.address == method.address
            }
    };
    modify(
        state,
        EntityKind::User,
        &user.item.id.to_string(),
        |u: &mut User| {
            if u.contact_methods.iter().any(same) {
                return Err(conflict(format!(
                    "{} already has this {} contact method",
                    u.username, method.kind
                )));
            }
            if u.contact_methods.len() >= MAX_CONTACT_METHODS {
                return Err(conflict(format!(
                    "{} has {MAX_CONTACT_METHODS} contact methods, the most a person may have; \
                     delete one first",
                    u.username
                )));
            }
            u.contact_methods.push(method.clone());
            Ok(())
        },
    )
    .await?;
    Ok(method)
}

/// Removes a contact method and the rules that use it (the person themself or an admin).
pub async fn delete_contact_method(
    state: &AppState,
    caller: &Caller,
    key: &str,
    method_id: &str,
) -> ApiResult<()> {
    let user = user_for(
        state,
        caller,
        key,
        Role::Admin,
        "changing another user's contact methods",
    )
    .await?;
    let not_found =
        || ApiError::NotFound(format!("user {key:?} has no contact method {method_id:?}"));
    let id = Uuid::parse_str(method_id).map_err(|_| not_found())?;
    modify(
        state,
        EntityKind::User,
        &user.item.id.to_string(),
        |u: &mut User| {
            let before = u.contact_methods.len();
            u.contact_methods.retain(|c| c.id != id);
            if u.contact_methods.len() == before {
                return Err(not_found());
            }
            u.notification_rules.retain(|r| r.contact_method_id != id);
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// Adds a notification rule (the person themself or an admin): use one of their contact
/// methods this many minutes after a page.
pub async fn add_notification_rule(
    state: &AppState,
    caller: &Caller,
    key: &str,
    mut input: Input,
) -> ApiResult<NotificationRule> {
    let user = user_for(
        state,
        caller,
        key,
        Role::Admin,
        "changing another user's notification rules",
    )
    .await?;
    let method = input.string("contact_method");
    let method = required(&mut input, "contact_method", method);
    let mut method_id = None;
    if let Some(m) = method {
        match Uuid::parse_str(m.trim()) {
            Ok(id) if user.item.contact_methods.iter().any(|c| c.id == id) => {
                method_id = Some(id);
            }
            _ => input.error(
                "contact_method",
                format!("{} has no contact method {m:?}", user.item.username),
            ),
        }
    }
    let delay = input.int("delay_minutes").unwrap_or(0);
    if !(0..=MAX_RULE_DELAY_MINUTES).contains(&delay) {
        input.error(
            "delay_minutes",
            format!("must be 0 to {MAX_RULE_DELAY_MINUTES}"),
        );
    }
    input.finish()?;
    let Some(contact_method_id) = method_id else {
        return Err(ApiError::Internal(
            "validated contact method is missing".into(),
        ));
    };
    let rule = NotificationRule {
        id: Uuid::now_v7(),
        contact_method_id,
        delay_minutes: delay as u32,
    };
    modify(
        state,
        EntityKind::User,
        &user.item.id.to_string(),
        |u: &mut User| {
            if !u.contact_methods.iter().any(|c| c.id == contact_method_id) {
                return Err(ApiError::invalid(
                    "contact_method",
                    "the contact method was deleted meanwhile",
                ));
            }
            if u.notification_rules.iter().any(|r| {
                r.contact_method_id == contact_method_id && r.delay_minutes == rule.delay_minutes
            }) {
                return Err(conflict(format!("{} already has this rule", u.username)));
            }
            if u.notification_rules.len() >= MAX_NOTIFICATION_RULES {
                return Err(conflict(format!(
                    "{} has {MAX_NOTIFICATION_RULES} notification rules, the most a person may \
                     have; delete one first",
                    u.username
                )));
            }
            u.notification_rules.push(rule.clone());
            u.notification_rules
                .sort_by_key(|r| (r.delay_minutes, r.id));
            Ok(())
        },
    )
    .await?;
    Ok(rule)
}

/// Removes a notification rule (the person themself or an admin).
pub async fn delete_notification_rule(
    state: &AppState,
    caller: &Caller,
    key: &str,
    rule_id: &str,
) -> ApiResult<()> {
    let user = user_for(
        state,
        caller,
        key,
        Role::Admin,
        "changing another user's notification rules",
    )
    .await?;
    let not_found =
        || ApiError::NotFound(format!("user {key:?} has no notification rule {rule_id:?}"));
    let id = Uuid::parse_str(rule_id).map_err(|_| not_found())?;
    modify(
        state,
        EntityKind::User,
        &user.item.id.to_string(),
        |u: &mut User| {
            let before = u.notification_rules.len();
            u.notification_rules.retain(|r| r.id != id);
            if u.notification_rules.len() == before {
                return Err(not_found());
            }
            Ok(())
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls() {
        for ok in [
            "https://hooks.slack.com/services/T0/B0/x",
            "http://127.0.0.1:9000/hook?a=b",
            "HTTPS://Example.com",
            "http://[::1]:8080/x",
            "https://user:pw@example.com/",
        ] {
            assert_eq!(check_webhook_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "ftp://example.com",
            "example.com/hook",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "/relative",
        ] {
            assert!(check_webhook_url(bad).is_err(), "{bad}");
        }
        assert!(check_webhook_url(&format!("https://e.com/{}", "x".repeat(MAX_URL))).is_err());
    }
}
