//! Mayday's notification delivery: one rendered [`Delivery`] becomes one message on one
//! [`Channel`] and is sent.
//!
//! - [`channel`]: the channels, the JSON payload each HTTP channel posts (a signed generic
//!   webhook, Slack, Microsoft Teams, Mattermost), the email body, and the webhook signature
//!   ([`sign`], [`verify_signature`]).
//! - [`template`]: message templates with `{{variable}}` placeholders, their defaults per event,
//!   rendering and checking.
//! - [`Sender`]: delivers over SMTP (`lettre`, rustls with the ring provider) and HTTPS
//!   (`reqwest`), and says whether a failure is worth retrying ([`SendError::permanent`]).
//!
//! A delivery keeps its [`Delivery::id`] on every retry (the email `Message-ID`, the webhook
//! header `Mayday-Delivery-Id`), so receivers can drop repeats. Nothing here reads the clock:
//! the caller passes the time a signature carries.

pub mod channel;
mod email;
mod http;
pub mod template;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use channel::{Channel, sign, verify_signature};
pub use template::{EVENTS, MessageTemplate, VARIABLES, check_template, default_template, render};

/// A link in a message (acknowledge, resolve, open the incident).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// One message to deliver, fully rendered. The server stores it in its outbox as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Identity: the same on every retry (email `Message-ID: <{id}@{domain of the from
    /// address}>`, webhook header `Mayday-Delivery-Id: {id}`).
    pub id: uuid::Uuid,
    pub channel: Channel,
    /// An email address, or the URL to POST to.
    pub address: String,
    /// The HMAC secret for webhook-style channels (signs the body; see [`sign`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The event it tells of: `triggered`, `escalated`, `acknowledged`, `resolved` or
    /// `commented`.
    pub event: String,
    pub subject: String,
    /// Plain-text body (already rendered from the template).
    pub text: String,
    /// Incident fields for machine consumers (the JSON webhook puts it under `"incident"`).
    pub incident: serde_json::Value,
    pub links: Vec<Link>,
}

/// Why a delivery failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// What happened, for people: never contains a secret, a password or a URL's query.
    pub message: String,
    /// Retrying cannot help (a bad address, an HTTP 4xx other than 408/429, an SMTP 5xx).
    pub permanent: bool,
}

impl SendError {
    /// A failure that retrying cannot fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }

    /// A failure that may go away (network, timeout, the receiver's 5xx or 429).
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }
}

/// Where and as whom email goes out.
pub struct SmtpSettings {
    /// `smtp://host:port` (plain, for a local relay), `smtp://host:port?tls=required`
    /// (STARTTLS), `smtps://host:port` (implicit TLS); credentials as `user:pass@` (percent
    /// encoded). A path names the EHLO host: `smtp://relay:25/mayday.example.com`.
    pub url: String,
    /// The From address, `mayday@example.com` or `Mayday <mayday@example.com>`.
    pub from: String,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("SmtpSettings")
            .field("url", &"<redacted>")
            .field("from", &self.from)
            .finish()
    }
}

/// Delivers messages; cheap to clone (an `Arc` inside) and shared by the workers.
#[derive(Clone)]
pub struct Sender {
    inner: Arc<Inner>,
}

struct Inner {
    email: Option<email::EmailSender>,
    http: http::HttpSender,
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("email", &self.inner.email.is_some())
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// A sender. `smtp`: `None` means email cannot be sent (every email delivery fails with a
    /// permanent error saying `MAYDAY_SMTP_URL` is not set). `http_timeout` bounds one webhook
    /// request (connecting, sending, reading the answer) and each SMTP command; a whole email
    /// send takes at most twice that.
    ///
    /// Installs rustls' ring provider as the process default when none is installed yet.
    /// Errors on a malformed SMTP URL or From address.
    pub fn new(smtp: Option<SmtpSettings>, http_timeout: Duration) -> Result<Self, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let email = smtp
            .map(|s| email::EmailSender::new(&s, http_timeout))
            .transpose()?;
        let http = http::HttpSender::new(http_timeout)?;
        Ok(Self {
            inner: Arc::new(Inner { email, http }),
        })
    }

    /// Sends one delivery; `now_unix` (seconds) is the signature's timestamp and the webhook's
    /// `sent_at`.
    pub async fn send(&self, d: &Delivery, now_unix: i64) -> Result<(), SendError> {
        match d.channel {
            Channel::Email => match &self.inner.email {
                Some(email) => email.send(d).await,
                None => Err(SendError::permanent(
                    "email is not configured: MAYDAY_SMTP_URL is not set",
                )),
            },
            _ => self.inner.http.send(d, now_unix).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> Delivery {
        Delivery {
            id: uuid::Uuid::nil(),
            channel: Channel::Webhook,
            address: "https://example.com/hook".into(),
            secret: None,
            event: "triggered".into(),
            subject: "s".into(),
            text: "t".into(),
            incident: serde_json::json!({"number": "INC-000001"}),
            links: vec![Link {
                label: "Open".into(),
                url: "https://mayday.example.com/incidents/1".into(),
            }],
        }
    }

    #[test]
    fn delivery_round_trips_as_json_and_omits_no_secret() {
        let d = delivery();
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["channel"], "webhook");
        assert!(json.get("secret").is_none());
        let back: Delivery = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);

        let with = Delivery {
            secret: Some("k".into()),
            channel: Channel::Mattermost,
            ..d
        };
        let json = serde_json::to_string(&with).unwrap();
        assert_eq!(serde_json::from_str::<Delivery>(&json).unwrap(), with);
    }

    #[test]
    fn smtp_settings_debug_hides_the_url() {
        let s = SmtpSettings {
            url: "smtps://me:hunter2@mail.example.com".into(),
            from: "mayday@example.com".into(),
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("mayday@example.com"), "{shown}");
    }

    #[tokio::test]
    async fn email_without_smtp_is_a_permanent_error() {
        let sender = Sender::new(None, Duration::from_secs(1)).unwrap();
        let d = Delivery {
            channel: Channel::Email,
            address: "someone@example.com".into(),
            ..delivery()
        };
        let e = sender.send(&d, 0).await.unwrap_err();
        assert!(e.permanent);
        assert!(e.message.contains("MAYDAY_SMTP_URL"), "{e}");
    }

    #[test]
    fn bad_smtp_settings_are_refused() {
        let bad_url = Sender::new(
            Some(SmtpSettings {
                url: "mail.example.com".into(),
                from: "mayday@example.com".into(),
            }),
            Duration::from_secs(1),
        );
        assert!(bad_url.is_err());
        let bad_scheme = Sender::new(
            Some(SmtpSettings {
                url: "imap://mail.example.com".into(),
                from: "mayday@example.com".into(),
            }),
            Duration::from_secs(1),
        );
        assert!(bad_scheme.is_err());
        let bad_from = Sender::new(
            Some(SmtpSettings {
                url: "smtp://127.0.0.1:25".into(),
                from: "not an address".into(),
            }),
            Duration::from_secs(1),
        );
        assert!(bad_from.unwrap_err().contains("from"));
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:p%40ss@mail.example.com:587?tls=required",
            "smtps://mail.example.com",
        ] {
            Sender::new(
                Some(SmtpSettings {
                    url: url.into(),
                    from: "Mayday <mayday@example.com>".into(),
                }),
                Duration::from_secs(1),
            )
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        }
    }
}
