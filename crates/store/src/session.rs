//! Web console sessions as stored: the session's secret is never kept, only its SHA-256; each
//! session carries its own CSRF token and an expiry that moves with use.

use mayday_core::clock::Millis;
use uuid::Uuid;

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the cookie's secret.
    pub id_hash: String,
    pub user_id: Uuid,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    pub created_at: Millis,
    pub last_seen_at: Millis,
    /// After this instant the session no longer signs anyone in.
    pub expires_at: Millis,
}
