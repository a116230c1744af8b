//! The default taxonomy: categories with subcategories, and resolution codes.
//! Deployments change them through the API; these seed an empty database.

/// Default categories and their subcategories.
pub const DEFAULT_CATEGORIES: &[(&str, &[&str])] = &[
    (
        "hardware",
        &[
            "server",
            "laptop",
            "desktop",
            "printer",
            "storage",
            "peripheral",
        ],
    ),
    (
        "software",
        &["application", "operating_system", "license", "update"],
    ),
    (
        "network",
        &[
            "connectivity",
            "dns",
            "vpn",
            "wifi",
            "firewall",
            "load_balancer",
        ],
    ),
    (
        "database",
        &["availability", "performance", "replication", "backup"],
    ),
    (
        "security",
        &[
            "malware",
            "phishing",
            "unauthorized_access",
            "vulnerability",
        ],
    ),
    (
        "access",
        &[
            "password_reset",
            "account_locked",
            "permissions",
            "new_account",
        ],
    ),
    (
        "configuration",
        &["misconfiguration", "certificate", "deployment"],
    ),
    ("monitoring", &["alert", "heartbeat"]),
    ("inquiry", &["how_to", "information"]),
];

/// Default resolution codes.
pub const DEFAULT_RESOLUTION_CODES: &[&str] = &[
    "solution_provided",
    "workaround_provided",
    "resolved_by_caller",
    "resolved_by_change",
    "resolved_by_problem",
    "known_error",
    "auto_resolved",
    "no_resolution",
];

/// A taxonomy name: lowercase letters, digits and `_`, 1..=64 characters.
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "must be 1 to 64 lowercase letters, digits or underscores, got {name:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_names() {
        for (c, subs) in DEFAULT_CATEGORIES {
            validate_name(c).unwrap();
            for s in *subs {
                validate_name(s).unwrap();
            }
        }
        for r in DEFAULT_RESOLUTION_CODES {
            validate_name(r).unwrap();
        }
        assert!(validate_name("Bad Name").is_err());
    }
}
