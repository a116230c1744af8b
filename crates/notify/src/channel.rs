//! The channels and what goes over each: the JSON payload an HTTP channel posts, the plain-text
//! body of an email, and the webhook signature.
//!
//! Payloads:
//! - `webhook`: Mayday's own JSON, `{"id", "event", "subject", "text", "incident", "links",
//!   "sent_at"}`, signed when the contact method has a secret.
//! - `slack`: an incoming webhook's `{"text", "blocks"}`: a section with the subject in bold and
//!   the text (mrkdwn, escaped), then a button per link.
//! - `teams`: a Microsoft Teams Workflows ("when a webhook request is received") message
//!   carrying an Adaptive Card 1.4: subject, text and an `Action.OpenUrl` per link.
//! - `mattermost`: an incoming webhook's `{"text", "username"}` in Markdown.
//!
//! The signature (header `Mayday-Signature`) is `t=<unix seconds>,v1=<hex HMAC-SHA256>` of
//! `"<t>.<body>"` keyed with the secret, over the exact bytes posted. A receiver recomputes it,
//! compares in constant time and refuses timestamps too far from its clock
//! ([`verify_signature`] is the reference).

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::Delivery;

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Email over SMTP; the address is an email address.
    Email,
    /// Mayday's signed JSON webhook; the address is the URL to POST to.
    Webhook,
    /// A Slack incoming webhook.
    Slack,
    /// A Microsoft Teams Workflows webhook (Power Automate).
    Teams,
    /// A Mattermost incoming webhook.
    Mattermost,
}

impl Channel {
    /// Every channel, in a stable order.
    pub const ALL: [Channel; 5] = [
        Channel::Email,
        Channel::Webhook,
        Channel::Slack,
        Channel::Teams,
        Channel::Mattermost,
    ];

    /// The wire name: `email`, `webhook`, `slack`, `teams`, `mattermost`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
            Self::Slack => "slack",
            Self::Teams => "teams",
            Self::Mattermost => "mattermost",
        }
    }

    /// The channel with this wire name (exact, lowercase).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether messages go out as an HTTP POST (every channel but email).
    pub fn is_http(self) -> bool {
        self != Self::Email
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Slack refuses a section text longer than this.
const SLACK_SECTION_MAX: usize = 3000;
/// Slack's limit for a button's text.
const SLACK_BUTTON_TEXT_MAX: usize = 75;
/// Slack's limit for the elements of an actions block.
const SLACK_ACTIONS_MAX: usize = 25;
/// Mattermost's limit for a post (16383 characters), with room to spare.
const MATTERMOST_MAX: usize = 16000;
/// Kept well under Teams' 28 KB card limit.
const TEAMS_TEXT_MAX: usize = 20000;

/// The JSON an HTTP channel posts for `d`; `None` for email. `now_unix` is the webhook's
/// `sent_at`.
pub fn payload(d: &Delivery, now_unix: i64) -> Option<Value> {
    Some(match d.channel {
        Channel::Email => return None,
        Channel::Webhook => webhook_payload(d, now_unix),
        Channel::Slack => slack_payload(d),
        Channel::Teams => teams_payload(d),
        Channel::Mattermost => mattermost_payload(d),
    })
}

/// The plain-text body of an email: the text (trailing blank lines dropped), then a blank line
/// and one `Label: url` line per link.
pub fn email_body(d: &Delivery) -> String {
    let mut body = d.text.trim_end().to_string();
    if !d.links.is_empty() {
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        let lines: Vec<String> = d
            .links
            .iter()
            .map(|l| format!("{}: {}", l.label, l.url))
            .collect();
        body.push_str(&lines.join("\n"));
    }
    body
}

fn webhook_payload(d: &Delivery, now_unix: i64) -> Value {
    let sent_at = jiff::Timestamp::from_second(now_unix)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_string();
    json!({
        "id": d.id,
        "event": d.event,
        "subject": d.subject,
        "text": d.text,
        "incident": d.incident,
        "links": d.links,
        "sent_at": sent_at,
    })
}

/// Escapes text for Slack's mrkdwn: `&`, `<` and `>` become `&amp;`, `&lt;` and `&gt;` (the
/// only characters Slack asks to escape; they would otherwise start links and mentions).
pub fn slack_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn slack_payload(d: &Delivery) -> Value {
    let subject = d.subject.trim();
    let text = d.text.trim_end();
    let fallback = [subject, text]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let mut section = String::new();
    if !subject.is_empty() {
        section.push_str(&format!("*{}*", slack_escape(subject)));
    }
    if !text.is_empty() {
        if !section.is_empty() {
            section.push('\n');
        }
        section.push_str(&slack_escape(text));
    }
    if section.is_empty() {
        section = slack_escape(&d.event);
    }
    let mut blocks = vec![json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(&section, SLACK_SECTION_MAX)},
    })];
    if !d.links.is_empty() {
        let buttons: Vec<Value> = d
            .links
            .iter()
            .take(SLACK_ACTIONS_MAX)
            .map(|l| {
                json!({
                    "type": "button",
                    "text": {"type": "plain_text", "text": truncate(&l.label, SLACK_BUTTON_TEXT_MAX)},
                    "url": l.url,
                })
            })
            .collect();
        blocks.push(json!({"type": "actions", "elements": buttons}));
    }
    json!({
        "text": truncate(&slack_escape(&fallback), SLACK_SECTION_MAX),
        "blocks": blocks,
    })
}

fn teams_payload(d: &Delivery) -> Value {
    let actions: Vec<Value> = d
        .links
        .iter()
        .map(|l| json!({"type": "Action.OpenUrl", "title": l.label, "url": l.url}))
        .collect();
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": d.subject, "weight": "bolder", "size": "medium", "wrap": true},
                    {"type": "TextBlock", "text": truncate(d.text.trim_end(), TEAMS_TEXT_MAX), "wrap": true},
                ],
                "actions": actions,
            },
        }],
    })
}

fn mattermost_payload(d: &Delivery) -> Value {
    let mut text = format!("#### {}\n{}", d.subject.trim(), d.text.trim_end());
    if !d.links.is_empty() {
        let links: Vec<String> = d
            .links
            .iter()
            .map(|l| format!("[{}]({})", l.label, l.url))
            .collect();
        text.push_str("\n\n");
        text.push_str(&links.join(" · "));
    }
    json!({"text": truncate(&text, MATTERMOST_MAX), "username": "Mayday"})
}

/// `s` cut to at most `max` characters, ending with `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, t: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key size");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Mayday-Signature` header value for `body` sent at `t` (unix seconds):
/// `t=<t>,v1=<lowercase hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let digest = mac(secret, t, body).finalize().into_bytes();
    format!("t={t},v1={}", hex::encode(digest))
}

/// Checks a `Mayday-Signature` header value against `body`, as a receiver should: the header
/// has one `t=` and one or more `v1=` (several while a secret is being rotated; other keys are
/// ignored), one `v1` must match (compared in constant time), and `t` must be within
/// `tolerance_seconds` of `now_unix` either way (refusing replays of old messages).
pub fn verify_signature(
    secret: &str,
    header_value: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_seconds: i64,
) -> Result<(), String> {
    let mut t: Option<i64> = None;
    let mut signatures = Vec::new();
    for part in header_value.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            return Err(format!("malformed signature element {:?}", part.trim()));
        };
        match key.trim() {
            "t" => {
                if t.is_some() {
                    return Err("more than one t= in the signature".into());
                }
                t = Some(
                    value
                        .trim()
                        .parse()
                        .map_err(|_| format!("t={value} is not a unix timestamp"))?,
                );
            }
            "v1" => signatures.push(value.trim()),
            _ => {}
        }
    }
    let t = t.ok_or("no t= in the signature")?;
    if signatures.is_empty() {
        return Err("no v1= in the signature".into());
    }
    let age = now_unix.saturating_sub(t);
    if age.saturating_abs() > tolerance_seconds {
        return Err(if age > 0 {
            format!("the signature is {age} s old (tolerance {tolerance_seconds} s)")
        } else {
            format!(
                "the signature is {} s in the future (tolerance {tolerance_seconds} s)",
                -age
            )
        });
    }
    let expected = mac(secret, t, body);
    for sig in signatures {
        if let Ok(bytes) = hex::decode(sig)
            && expected.clone().verify_slice(&bytes).is_ok()
        {
            return Ok(());
        }
    }
    Err("the signature does not match".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Link;

    fn delivery(channel: Channel) -> Delivery {
        Delivery {
            id: uuid::Uuid::parse_str("0190f1c2-0000-7000-8000-000000000001").unwrap(),
            channel,
            address: "https://hooks.example.com/x".into(),
            secret: None,
            event: "triggered".into(),
            subject: "[P1] INC-000123 triggered: Checkout returns 500".into(),
            text: "Checkout is down.\nPriority: P1\n\n".into(),
            incident: json!({"number": "INC-000123", "priority": "P1"}),
            links: vec![
                Link {
                    label: "Acknowledge".into(),
                    url: "https://mayday.example.com/actions/a".into(),
                },
                Link {
                    label: "Open".into(),
                    url: "https://mayday.example.com/incidents/1".into(),
                },
            ],
        }
    }

    #[test]
    fn channel_names() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), json!(c.as_str()));
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(c.is_http(), c != Channel::Email);
        }
        assert_eq!(Channel::parse("Email"), None);
        assert_eq!(Channel::parse("sms"), None);
        assert_eq!(
            serde_json::from_value::<Channel>(json!("mattermost")).unwrap(),
            Channel::Mattermost
        );
    }

    #[test]
    fn webhook_payload_shape() {
        let d = delivery(Channel::Webhook);
        assert_eq!(
            payload(&d, 1_700_000_000).unwrap(),
            json!({
                "id": "0190f1c2-0000-7000-8000-000000000001",
                "event": "triggered",
                "subject": "[P1] INC-000123 triggered: Checkout returns 500",
                "text": "Checkout is down.\nPriority: P1\n\n",
                "incident": {"number": "INC-000123", "priority": "P1"},
                "links": [
                    {"label": "Acknowledge", "url": "https://mayday.example.com/actions/a"},
                    {"label": "Open", "url": "https://mayday.example.com/incidents/1"},
                ],
                "sent_at": "2023-11-14T22:13:20Z",
            })
        );
        assert_eq!(payload(&delivery(Channel::Email), 0), None);
    }

    #[test]
    fn slack_payload_shape() {
        let d = delivery(Channel::Slack);
        assert_eq!(
            payload(&d, 0).unwrap(),
            json!({
                "text": "[P1] INC-000123 triggered: Checkout returns 500\nCheckout is down.\nPriority: P1",
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": "*[P1] INC-000123 triggered: Checkout returns 500*\nCheckout is down.\nPriority: P1"}},
                    {"type": "actions", "elements": [
                        {"type": "button", "text": {"type": "plain_text", "text": "Acknowledge"}, "url": "https://mayday.example.com/actions/a"},
                        {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": "https://mayday.example.com/incidents/1"},
                    ]},
                ],
            })
        );
    }

    #[test]
    fn slack_escapes_and_limits() {
        assert_eq!(
            slack_escape("a < b && c > d <!here> <@U1>"),
            "a &lt; b &amp;&amp; c &gt; d &lt;!here&gt; &lt;@U1&gt;"
        );
        assert_eq!(slack_escape("&amp;"), "&amp;amp;");
        let d = Delivery {
            subject: "Disk <90% & rising".into(),
            text: "x".repeat(5000),
            links: vec![],
            ..delivery(Channel::Slack)
        };
        let p = payload(&d, 0).unwrap();
        let section = p["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(
            section.starts_with("*Disk &lt;90% &amp; rising*\nxxx"),
            "{section}"
        );
        assert_eq!(section.chars().count(), SLACK_SECTION_MAX);
        assert!(section.ends_with('…'));
        assert!(
            p["text"]
                .as_str()
                .unwrap()
                .starts_with("Disk &lt;90% &amp; rising\n")
        );
        // No links: no (empty, invalid) actions block.
        assert_eq!(p["blocks"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn teams_payload_shape() {
        let d = delivery(Channel::Teams);
        assert_eq!(
            payload(&d, 0).unwrap(),
            json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": null,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "text": "[P1] INC-000123 triggered: Checkout returns 500", "weight": "bolder", "size": "medium", "wrap": true},
                            {"type": "TextBlock", "text": "Checkout is down.\nPriority: P1", "wrap": true},
                        ],
                        "actions": [
                            {"type": "Action.OpenUrl", "title": "Acknowledge", "url": "https://mayday.example.com/actions/a"},
                            {"type": "Action.OpenUrl", "title": "Open", "url": "https://mayday.example.com/incidents/1"},
                        ],
                    },
                }],
            })
        );
    }

    #[test]
    fn mattermost_payload_shape() {
        let d = delivery(Channel::Mattermost);
        assert_eq!(
            payload(&d, 0).unwrap(),
            json!({
                "text": "#### [P1] INC-000123 triggered: Checkout returns 500\nCheckout is down.\nPriority: P1\n\n[Acknowledge](https://mayday.example.com/actions/a) · [Open](https://mayday.example.com/incidents/1)",
                "username": "Mayday",
            })
        );
        let no_links = Delivery { links: vec![], ..d };
        assert_eq!(
            payload(&no_links, 0).unwrap()["text"],
            "#### [P1] INC-000123 triggered: Checkout returns 500\nCheckout is down.\nPriority: P1"
        );
    }

    #[test]
    fn email_body_lists_the_links() {
        let d = delivery(Channel::Email);
        assert_eq!(
            email_body(&d),
            "Checkout is down.\nPriority: P1\n\nAcknowledge: https://mayday.example.com/actions/a\nOpen: https://mayday.example.com/incidents/1"
        );
        let bare = Delivery { links: vec![], ..d };
        assert_eq!(email_body(&bare), "Checkout is down.\nPriority: P1");
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("héllo", 4), "hél…");
    }

    /// Computed independently: `printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test`.
    const KNOWN: &str =
        "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789";

    #[test]
    fn signature_known_answer() {
        let body = br#"{"a":1}"#;
        // Independently with the hmac crate's own API.
        let mut m = HmacSha256::new_from_slice(b"whsec_test").unwrap();
        m.update(b"1700000000.{\"a\":1}");
        let expected = format!("t=1700000000,v1={}", hex::encode(m.finalize().into_bytes()));
        assert_eq!(sign("whsec_test", 1_700_000_000, body), expected);
        assert_eq!(sign("whsec_test", 1_700_000_000, body), KNOWN);
        // RFC 4231, test case 2 (HMAC-SHA256), through the same construction.
        let mut m = HmacSha256::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(m.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_accepts_good_and_refuses_bad() {
        let body = br#"{"event":"triggered"}"#;
        let header = sign("s3cret", 1000, body);
        assert_eq!(verify_signature("s3cret", &header, body, 1000, 300), Ok(()));
        assert_eq!(verify_signature("s3cret", &header, body, 1300, 300), Ok(()));
        assert_eq!(verify_signature("s3cret", &header, body, 700, 300), Ok(()));
        // Tampered body, wrong secret.
        assert!(
            verify_signature("s3cret", &header, br#"{"event":"resolved"}"#, 1000, 300).is_err()
        );
        assert!(verify_signature("other", &header, body, 1000, 300).is_err());
        // Stale and future timestamps.
        let stale = verify_signature("s3cret", &header, body, 1301, 300).unwrap_err();
        assert!(stale.contains("301 s old"), "{stale}");
        assert!(verify_signature("s3cret", &header, body, 699, 300).is_err());
        // A signature moved to another timestamp does not verify.
        let v1 = header.split_once(",v1=").unwrap().1;
        assert!(verify_signature("s3cret", &format!("t=1001,v1={v1}"), body, 1000, 300).is_err());
        // Several v1 (rotation), spaces, unknown keys.
        let other = sign("old", 1000, body);
        let other_v1 = other.split_once(",v1=").unwrap().1;
        let multi = format!("t=1000, v1={other_v1}, v0=zz, v1={v1}");
        assert_eq!(verify_signature("s3cret", &multi, body, 1000, 300), Ok(()));
        // Malformed headers.
        for bad in [
            "",
            "t=1000",
            &format!("v1={v1}"),
            "t=x,v1=00",
            "garbage",
            "t=1000,v1=nothex",
        ] {
            assert!(
                verify_signature("s3cret", bad, body, 1000, 300).is_err(),
                "{bad:?}"
            );
        }
        assert!(
            verify_signature("s3cret", &format!("t=1000,t=1000,v1={v1}"), body, 1000, 300).is_err()
        );
    }
}
