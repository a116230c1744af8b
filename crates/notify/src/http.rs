//! The HTTP channels: the payload from [`channel::payload`](crate::channel::payload) posted as
//! JSON with `reqwest` (rustls, ring), signed when the delivery has a secret.
//!
//! Every request carries `Mayday-Delivery-Id` (the same on every retry), `Mayday-Event`,
//! `User-Agent: Mayday/<version>` and, with a secret, `Mayday-Signature` over the exact bytes
//! sent. Redirects are not followed: a target that redirects is reported, not chased.
//!
//! Answers: 2xx is delivered; 408, 429, 5xx, network failures and timeouts are worth retrying;
//! anything else (other 4xx, 3xx) is permanent. Error messages name the target without its
//! query, credentials or, for chat webhooks whose path is the credential, the path's secret
//! part.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};
use reqwest::{StatusCode, Url, redirect};

use crate::channel::{Channel, payload, sign};
use crate::{Delivery, SendError};

const AGENT: &str = concat!("Mayday/", env!("CARGO_PKG_VERSION"));
/// How much of an error answer's body is read, and how much of it is shown.
const BODY_READ_MAX: usize = 4096;
const BODY_SHOW_MAX: usize = 200;

pub(crate) struct HttpSender {
    client: reqwest::Client,
    timeout: Duration,
}

impl HttpSender {
    pub(crate) fn new(timeout: Duration) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(redirect::Policy::none())
            .user_agent(AGENT)
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Self { client, timeout })
    }

    pub(crate) async fn send(&self, d: &Delivery, now_unix: i64) -> Result<(), SendError> {
        let url = Url::parse(d.address.trim())
            .map_err(|e| SendError::permanent(format!("invalid {} URL: {e}", d.channel)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(SendError::permanent(format!(
                "invalid {} URL: not an http(s) URL",
                d.channel
            )));
        }
        let target = describe(&url, d.channel);
        let Some(body) = payload(d, now_unix) else {
            return Err(SendError::permanent(format!(
                "{} is not an HTTP channel",
                d.channel
            )));
        };
        let body = serde_json::to_vec(&body).expect("JSON values serialize");
        let event = HeaderValue::from_str(&d.event)
            .map_err(|_| SendError::permanent(format!("event {:?} cannot be a header", d.event)))?;
        let mut request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, AGENT)
            .header("Mayday-Delivery-Id", d.id.to_string())
            .header("Mayday-Event", event);
        if let Some(secret) = d.secret.as_deref().filter(|s| !s.is_empty()) {
            request = request.header("Mayday-Signature", sign(secret, now_unix, &body));
        }
        let response = match request.body(body).send().await {
            Ok(r) => r,
            Err(e) => return Err(SendError::retryable(self.network_error(&e, &target))),
        };
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| response.url().join(l).ok())
            .map(|l| describe(&l, d.channel));
        let excerpt = read_excerpt(response).await;
        let mut message = format!("HTTP {} from {target}", status.as_u16());
        if let Some(location) = location.filter(|_| status.is_redirection()) {
            message.push_str(&format!(
                " (redirects to {location}; redirects are not followed)"
            ));
        }
        if !excerpt.is_empty() {
            message.push_str(": ");
            message.push_str(&excerpt);
        }
        if retryable(status) {
            Err(SendError::retryable(message))
        } else {
            Err(SendError::permanent(message))
        }
    }

    fn network_error(&self, e: &reqwest::Error, target: &str) -> String {
        if e.is_timeout() {
            return format!(
                "timed out after {} s posting to {target}",
                self.timeout.as_secs_f64()
            );
        }
        // reqwest's own message names the full URL; say it without, with the causes.
        let mut message = if e.is_connect() {
            format!("cannot connect to {target}")
        } else {
            format!("request to {target} failed")
        };
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        message
    }
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// The start of an error answer's body, on one line.
async fn read_excerpt(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < BODY_READ_MAX {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    let one_line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(BODY_SHOW_MAX)
        .collect();
    one_line
}

/// `url` as it may be shown: scheme, host, port and path, never credentials or the query. For
/// chat webhooks, whose path after the first segment is the credential (Slack's
/// `/services/T…/B…/secret`, Mattermost's `/hooks/key`), that part is elided.
fn describe(url: &Url, channel: Channel) -> String {
    let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    let path = url.path();
    match channel {
        Channel::Slack | Channel::Mattermost => {
            let mut segments = path.trim_start_matches('/').splitn(2, '/');
            let first = segments.next().unwrap_or("");
            out.push('/');
            out.push_str(first);
            if segments.next().is_some_and(|rest| !rest.is_empty()) {
                out.push_str("/…");
            }
        }
        _ => out.push_str(path),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(url: &str, channel: Channel) -> String {
        describe(&Url::parse(url).unwrap(), channel)
    }

    #[test]
    fn targets_are_shown_without_secrets() {
        assert_eq!(
            shown(
                "https://user:pw@hooks.example.com:8443/in/mayday?token=s3cret#x",
                Channel::Webhook
            ),
            "https://hooks.example.com:8443/in/mayday"
        );
        assert_eq!(
            shown(
                "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
                Channel::Slack
            ),
            "https://hooks.slack.com/services/…"
        );
        assert_eq!(
            shown(
                "https://chat.example.com/hooks/abcdef123",
                Channel::Mattermost
            ),
            "https://chat.example.com/hooks/…"
        );
        assert_eq!(
            shown(
                "https://prod-1.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRET",
                Channel::Teams
            ),
            "https://prod-1.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke"
        );
        assert_eq!(
            shown("http://127.0.0.1:9/", Channel::Slack),
            "http://127.0.0.1:9/"
        );
    }

    #[test]
    fn retryable_statuses() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [301, 302, 400, 401, 403, 404, 405, 410, 413, 422] {
            assert!(!retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }

    #[tokio::test]
    async fn bad_urls_are_permanent() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sender = HttpSender::new(Duration::from_secs(1)).unwrap();
        for url in [
            "",
            "not a url",
            "ftp://example.com/x",
            "mailto:ann@example.com",
        ] {
            let d = Delivery {
                id: uuid::Uuid::nil(),
                channel: Channel::Webhook,
                address: url.into(),
                secret: None,
                event: "triggered".into(),
                subject: String::new(),
                text: String::new(),
                incident: serde_json::Value::Null,
                links: vec![],
            };
            let e = sender.send(&d, 0).await.unwrap_err();
            assert!(e.permanent, "{url:?}");
            assert!(e.message.starts_with("invalid webhook URL"), "{url:?}: {e}");
        }
    }
}
