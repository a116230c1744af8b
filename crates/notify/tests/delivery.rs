//! Delivery end to end, against real receivers on 127.0.0.1: an HTTP server (axum) that
//! records every request and answers as its path says, and a minimal SMTP server that speaks
//! just enough of the protocol to take one message per connection.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use mayday_notify::{Channel, Delivery, Link, Sender, SmtpSettings, channel, verify_signature};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const SECRET: &str = "whsec_0123456789";
const NOW: i64 = 1_760_000_000;

// ---------------------------------------------------------------- the HTTP receiver

#[derive(Debug, Clone)]
struct Hit {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Hit {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

type Hits = Arc<Mutex<Vec<Hit>>>;

struct Receiver {
    base: String,
    hits: Hits,
}

impl Receiver {
    /// `/ok/...` answers 200; `/status/<code>` answers that code with a body; `/slow` answers
    /// after 5 s; `/redirect` answers 302.
    async fn start() -> Self {
        let hits: Hits = Arc::default();
        let app = Router::new().fallback(record).with_state(Arc::clone(&hits));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

async fn record(State(hits): State<Hits>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_string();
    hits.lock().unwrap().push(Hit {
        path: path.clone(),
        headers,
        body,
    });
    if let Some(code) = path.strip_prefix("/status/") {
        let status = StatusCode::from_u16(code.parse().unwrap()).unwrap();
        let body = format!("boom\n  {}", "x".repeat(500));
        return (status, body).into_response();
    }
    match path.as_str() {
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            StatusCode::OK.into_response()
        }
        "/redirect" => {
            (StatusCode::FOUND, [("location", "/elsewhere?token=s3cret")]).into_response()
        }
        _ => (StatusCode::OK, "ok").into_response(),
    }
}

fn delivery(channel: Channel, address: String) -> Delivery {
    Delivery {
        id: uuid::Uuid::now_v7(),
        channel,
        address,
        secret: None,
        event: "triggered".into(),
        subject: "[P1] INC-000042 triggered: Checkout returns 500".into(),
        text: "INC-000042 was triggered.\n\nService: checkout".into(),
        incident: json!({"number": "INC-000042", "priority": "P1", "status": "triggered"}),
        links: vec![
            Link {
                label: "Acknowledge".into(),
                url: "https://mayday.example.com/actions/ack123".into(),
            },
            Link {
                label: "Open".into(),
                url: "https://mayday.example.com/incidents/42".into(),
            },
        ],
    }
}

fn http_sender(timeout: Duration) -> Sender {
    Sender::new(None, timeout).unwrap()
}

// ---------------------------------------------------------------- webhooks

#[tokio::test]
async fn webhook_is_signed_and_keeps_its_identity_across_retries() {
    let rx = Receiver::start().await;
    let sender = http_sender(Duration::from_secs(5));
    let d = Delivery {
        secret: Some(SECRET.into()),
        ..delivery(Channel::Webhook, rx.url("/ok/alice"))
    };
    sender.send(&d, NOW).await.unwrap();
    sender.send(&d, NOW + 60).await.unwrap();

    let hits = rx.hits();
    assert_eq!(hits.len(), 2);
    for (hit, now) in hits.iter().zip([NOW, NOW + 60]) {
        assert_eq!(hit.path, "/ok/alice");
        assert_eq!(hit.header("content-type"), "application/json");
        assert_eq!(hit.header("mayday-delivery-id"), d.id.to_string());
        assert_eq!(hit.header("mayday-event"), "triggered");
        assert_eq!(
            hit.header("user-agent"),
            concat!("Mayday/", env!("CARGO_PKG_VERSION"))
        );
        let signature = hit.header("mayday-signature");
        assert!(
            signature.starts_with(&format!("t={now},v1=")),
            "{signature}"
        );
        verify_signature(SECRET, signature, &hit.body, now, 300).unwrap();
        verify_signature(SECRET, signature, &hit.body, now + 30, 300).unwrap();
        assert!(verify_signature("wrong", signature, &hit.body, now, 300).is_err());
        assert!(verify_signature(SECRET, signature, &hit.body, now + 301, 300).is_err());
        let mut tampered = hit.body.to_vec();
        tampered.push(b' ');
        assert!(verify_signature(SECRET, signature, &tampered, now, 300).is_err());

        assert_eq!(hit.json(), channel::payload(&d, now).unwrap());
    }
    let body = hits[0].json();
    assert_eq!(body["id"], d.id.to_string());
    assert_eq!(body["event"], "triggered");
    assert_eq!(body["incident"]["number"], "INC-000042");
    assert_eq!(body["links"][0]["label"], "Acknowledge");
    assert_eq!(body["sent_at"], "2025-10-09T08:53:20Z");
    assert_eq!(hits[1].json()["sent_at"], "2025-10-09T08:54:20Z");
}

#[tokio::test]
async fn chat_channels_post_their_payloads_unsigned_without_a_secret() {
    let rx = Receiver::start().await;
    let sender = http_sender(Duration::from_secs(5));
    for channel in [Channel::Slack, Channel::Teams, Channel::Mattermost] {
        let d = delivery(channel, rx.url(&format!("/ok/{channel}")));
        sender.send(&d, NOW).await.unwrap();
        let hit = rx.hits().pop().unwrap();
        assert_eq!(hit.path, format!("/ok/{channel}"));
        assert_eq!(hit.header("mayday-signature"), "");
        assert_eq!(hit.header("mayday-delivery-id"), d.id.to_string());
        assert_eq!(hit.json(), channel::payload(&d, NOW).unwrap());
    }
    let hits = rx.hits();
    assert_eq!(hits.len(), 3);
    assert_eq!(
        hits[0].json()["blocks"][1]["elements"][0]["url"],
        "https://mayday.example.com/actions/ack123"
    );
    assert_eq!(hits[1].json()["type"], "message");
    assert_eq!(hits[2].json()["username"], "Mayday");
}

#[tokio::test]
async fn answers_decide_whether_to_retry() {
    let rx = Receiver::start().await;
    let sender = http_sender(Duration::from_secs(5));
    let send = |path: &str| {
        let d = Delivery {
            secret: Some(SECRET.into()),
            ..delivery(Channel::Webhook, rx.url(path))
        };
        let sender = sender.clone();
        async move { sender.send(&d, NOW).await.unwrap_err() }
    };

    let e = send("/status/500?token=s3cret").await;
    assert!(!e.permanent);
    assert_eq!(
        e.message,
        format!(
            "HTTP 500 from {}/status/500: boom {}",
            rx.base,
            "x".repeat(195)
        )
    );
    for code in [408, 429, 502, 503] {
        let e = send(&format!("/status/{code}")).await;
        assert!(!e.permanent, "{code}: {e}");
    }
    for code in [400, 401, 403, 404, 410, 422] {
        let e = send(&format!("/status/{code}?token=s3cret")).await;
        assert!(e.permanent, "{code}: {e}");
        assert!(e.message.starts_with(&format!("HTTP {code} from ")), "{e}");
    }
    let e = send("/redirect").await;
    assert!(e.permanent, "{e}");
    assert!(e.message.starts_with("HTTP 302 from "), "{e}");
    assert!(e.message.contains("redirects to"), "{e}");
    // Nothing shown carries the secret, the query or the signing key.
    for e in [
        send("/status/500?token=s3cret").await,
        send("/status/404?token=s3cret").await,
        send("/redirect?token=s3cret").await,
    ] {
        assert!(!e.message.contains("s3cret"), "{e}");
        assert!(!e.message.contains(SECRET), "{e}");
    }
    // The redirect was not followed.
    assert!(rx.hits().iter().all(|h| h.path != "/elsewhere"));
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_retryable() {
    let rx = Receiver::start().await;
    let sender = http_sender(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let e = sender
        .send(&delivery(Channel::Webhook, rx.url("/slow")), NOW)
        .await
        .unwrap_err();
    assert!(!e.permanent, "{e}");
    assert!(e.message.contains("timed out"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));

    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let e = sender
        .send(
            &delivery(Channel::Slack, format!("http://{addr}/services/T/B/secret")),
            NOW,
        )
        .await
        .unwrap_err();
    assert!(!e.permanent, "{e}");
    assert!(
        e.message
            .starts_with(&format!("cannot connect to http://{addr}/services/…")),
        "{e}"
    );
    assert!(!e.message.contains("secret"), "{e}");
}

// ---------------------------------------------------------------- email

#[derive(Debug, Clone, Default)]
struct Session {
    commands: Vec<String>,
    data: Vec<String>,
}

/// An SMTP server that answers `rcpt` to RCPT TO and records each connection's conversation.
async fn fake_smtp(rcpt: &'static str) -> (u16, Arc<Mutex<Vec<Session>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sessions: Arc<Mutex<Vec<Session>>> = Arc::default();
    let record = Arc::clone(&sessions);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read);
                let mut session = Session::default();
                write.write_all(b"220 fake.test ESMTP\r\n").await.unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        break;
                    }
                    let command = line.trim_end().to_string();
                    session.commands.push(command.clone());
                    let verb = command
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply = match verb.as_str() {
                        "EHLO" => "250-fake.test\r\n250 8BITMIME\r\n".to_string(),
                        "HELO" | "MAIL" | "RSET" | "NOOP" => "250 OK\r\n".to_string(),
                        "RCPT" => format!("{rcpt}\r\n"),
                        "DATA" => {
                            write.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut data = String::new();
                            loop {
                                let mut l = String::new();
                                if lines.read_line(&mut l).await.unwrap_or(0) == 0 {
                                    break;
                                }
                                if l == ".\r\n" {
                                    break;
                                }
                                data.push_str(&l);
                            }
                            session.data.push(data);
                            "250 2.0.0 queued\r\n".to_string()
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => "502 unknown command\r\n".to_string(),
                    };
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
                record.lock().unwrap().push(session);
            });
        }
    });
    (port, sessions)
}

fn email_sender(port: u16) -> Sender {
    Sender::new(
        Some(SmtpSettings {
            url: format!("smtp://127.0.0.1:{port}"),
            from: "Mayday <mayday@alerts.example.com>".into(),
        }),
        Duration::from_secs(5),
    )
    .unwrap()
}

/// Waits for the server side of the conversation to finish.
async fn sessions_of(sessions: &Arc<Mutex<Vec<Session>>>) -> Vec<Session> {
    for _ in 0..50 {
        let s = sessions.lock().unwrap().clone();
        if !s.is_empty() {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the SMTP server saw no complete session");
}

#[tokio::test]
async fn email_is_delivered_over_smtp() {
    let (port, sessions) = fake_smtp("250 OK").await;
    let sender = email_sender(port);
    let d = delivery(Channel::Email, "Ann Example <ann@example.com>".into());
    sender.send(&d, NOW).await.unwrap();

    let sessions = sessions_of(&sessions).await;
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert!(s.commands[0].starts_with("EHLO "), "{:?}", s.commands);
    assert!(
        s.commands
            .iter()
            .any(|c| c.starts_with("MAIL FROM:<mayday@alerts.example.com>")),
        "{:?}",
        s.commands
    );
    assert!(
        s.commands
            .contains(&"RCPT TO:<ann@example.com>".to_string()),
        "{:?}",
        s.commands
    );
    assert_eq!(s.commands.last().unwrap(), "QUIT");
    assert_eq!(s.data.len(), 1);
    let data = &s.data[0];
    assert!(
        data.contains(&format!("Message-ID: <{}@alerts.example.com>\r\n", d.id)),
        "{data}"
    );
    assert!(
        data.contains("Subject: [P1] INC-000042 triggered: Checkout returns 500\r\n"),
        "{data}"
    );
    assert!(
        data.contains("To: \"Ann Example\" <ann@example.com>\r\n")
            || data.contains("To: Ann Example <ann@example.com>\r\n"),
        "{data}"
    );
    assert!(
        data.contains("From: Mayday <mayday@alerts.example.com>\r\n"),
        "{data}"
    );
    assert!(
        data.contains("Content-Type: text/plain; charset=utf-8\r\n"),
        "{data}"
    );
    let body = data.split_once("\r\n\r\n").unwrap().1;
    assert_eq!(
        body,
        "INC-000042 was triggered.\r\n\r\nService: checkout\r\n\r\n\
         Acknowledge: https://mayday.example.com/actions/ack123\r\n\
         Open: https://mayday.example.com/incidents/42\r\n",
        "the body, then the terminating CRLF . CRLF (nothing more)"
    );
}

#[tokio::test]
async fn smtp_answers_decide_whether_to_retry() {
    let (port, _) = fake_smtp("550 5.1.1 no such user").await;
    let e = email_sender(port)
        .send(&delivery(Channel::Email, "nobody@example.com".into()), NOW)
        .await
        .unwrap_err();
    assert!(e.permanent, "{e}");
    assert!(e.message.contains("550"), "{e}");
    assert!(e.message.contains("no such user"), "{e}");

    let (port, _) = fake_smtp("451 4.3.0 try again later").await;
    let e = email_sender(port)
        .send(&delivery(Channel::Email, "ann@example.com".into()), NOW)
        .await
        .unwrap_err();
    assert!(!e.permanent, "{e}");
    assert!(e.message.contains("451"), "{e}");

    // Nobody listening: retryable.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let e = email_sender(port)
        .send(&delivery(Channel::Email, "ann@example.com".into()), NOW)
        .await
        .unwrap_err();
    assert!(!e.permanent, "{e}");

    // A malformed recipient never reaches the server.
    let (port, sessions) = fake_smtp("250 OK").await;
    let e = email_sender(port)
        .send(&delivery(Channel::Email, "not an address".into()), NOW)
        .await
        .unwrap_err();
    assert!(e.permanent, "{e}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(sessions.lock().unwrap().is_empty());
}
