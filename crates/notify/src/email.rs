//! Email over SMTP: one plain-text message per delivery, through `lettre`'s async transport
//! on tokio (TLS by rustls with the ring provider, when the URL asks for it).
//!
//! The message: From the configured address, To the delivery's address, its subject,
//! `Message-ID: <{delivery id}@{domain of the From address}>` (the same on every retry, so mail
//! clients and archives can drop repeats), `Auto-Submitted: auto-generated` (RFC 3834, so
//! vacation responders stay quiet), and a UTF-8 `text/plain` body (see
//! [`email_body`](crate::channel::email_body)).
//!
//! Failures: a malformed recipient and an SMTP 5xx answer are permanent; connection and TLS
//! failures, timeouts and 4xx answers are worth retrying.

use std::time::Duration;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::channel::email_body;
use crate::{Delivery, SendError, SmtpSettings};

pub(crate) struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of the From address, for Message-IDs.
    domain: String,
    /// The most one whole send may take.
    deadline: Duration,
}

impl EmailSender {
    pub(crate) fn new(settings: &SmtpSettings, timeout: Duration) -> Result<Self, String> {
        // lettre's errors about the URL do not repeat it (it may hold a password).
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.url.trim())
            .map_err(|e| format!("invalid SMTP URL: {e}"))?
            .timeout(Some(timeout))
            .build();
        let from: Mailbox = settings
            .from
            .trim()
            .parse()
            .map_err(|e| format!("invalid SMTP from address {:?}: {e}", settings.from))?;
        let domain = from.email.domain().to_string();
        Ok(Self {
            transport,
            from,
            domain,
            deadline: timeout.saturating_mul(2),
        })
    }

    /// The message for `d`, or a permanent error when it cannot be built.
    fn message(&self, d: &Delivery) -> Result<Message, SendError> {
        let to: Mailbox = d.address.trim().parse().map_err(|e| {
            SendError::permanent(format!("invalid email address {:?}: {e}", d.address))
        })?;
        // A subject is one line.
        let subject: String = d
            .subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{}@{}>", d.id, self.domain)))
            .header(AutoSubmitted)
            .header(ContentType::TEXT_PLAIN)
            .body(email_body(d))
            .map_err(|e| SendError::permanent(format!("cannot build the email: {e}")))
    }

    pub(crate) async fn send(&self, d: &Delivery) -> Result<(), SendError> {
        let message = self.message(d)?;
        match tokio::time::timeout(self.deadline, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.is_permanent() => Err(SendError::permanent(format!("SMTP: {e}"))),
            Ok(Err(e)) => Err(SendError::retryable(format!("SMTP: {e}"))),
            Err(_) => Err(SendError::retryable(format!(
                "SMTP: timed out after {} s",
                self.deadline.as_secs_f64()
            ))),
        }
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834).
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Channel, Link};

    fn sender() -> EmailSender {
        EmailSender::new(
            &SmtpSettings {
                url: "smtp://127.0.0.1:1".into(),
                from: "Mayday <mayday@alerts.example.com>".into(),
            },
            Duration::from_secs(1),
        )
        .unwrap()
    }

    fn delivery(address: &str) -> Delivery {
        Delivery {
            id: uuid::Uuid::parse_str("0190f1c2-0000-7000-8000-000000000002").unwrap(),
            channel: Channel::Email,
            address: address.into(),
            secret: None,
            event: "triggered".into(),
            subject: "[P1] INC-000001 triggered:\r\nBcc: evil@example.com".into(),
            text: "Déjà vu.".into(),
            incident: serde_json::Value::Null,
            links: vec![Link {
                label: "Open".into(),
                url: "https://mayday.example.com/incidents/1".into(),
            }],
        }
    }

    #[test]
    fn builds_the_message() {
        let m = sender()
            .message(&delivery("Ann <ann@example.com>"))
            .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(
            raw.contains("From: Mayday <mayday@alerts.example.com>\r\n"),
            "{raw}"
        );
        assert!(raw.contains("To: Ann <ann@example.com>\r\n"), "{raw}");
        assert!(
            raw.contains(
                "Message-ID: <0190f1c2-0000-7000-8000-000000000002@alerts.example.com>\r\n"
            ),
            "{raw}"
        );
        assert!(raw.contains("Auto-Submitted: auto-generated\r\n"), "{raw}");
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8\r\n"),
            "{raw}"
        );
        // The subject stays one header: no injected Bcc.
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        assert_eq!(m.envelope().to().len(), 1);
    }

    #[test]
    fn a_malformed_address_is_permanent() {
        for bad in ["", "not an address", "ann@", "<ann@example.com"] {
            let e = sender().message(&delivery(bad)).unwrap_err();
            assert!(e.permanent, "{bad:?}");
            assert!(e.message.contains("invalid email address"), "{bad:?}: {e}");
        }
    }
}
