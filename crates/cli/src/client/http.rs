//! Talking to the API: one `reqwest` client with timeouts, bearer authentication, and every
//! failure turned into a [`Failure`] that knows its exit code.

use std::fmt;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, ETAG, IF_MATCH, RETRY_AFTER};
use reqwest::{Method, Url};
use serde_json::Value;

/// Exit codes scripts can trust (documented in the README).
pub mod exit {
    pub const INTERNAL: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const CONNECT: u8 = 3;
    pub const AUTH: u8 = 4;
    pub const NOT_FOUND: u8 = 5;
    pub const CONFLICT: u8 = 6;
    pub const INVALID: u8 = 7;
    pub const RATE_LIMITED: u8 = 8;
}

/// Why a client command failed, and so how the process exits.
#[derive(Debug)]
pub enum Failure {
    /// The command line asks for something impossible (exit 2).
    Usage(String),
    /// The server could not be reached (exit 3).
    Connect(String),
    /// The server answered with an error (`application/problem+json`, or anything else).
    Problem {
        status: u16,
        /// The problem document, when the body was one.
        problem: Option<Value>,
        /// The body as text when it was not a problem document.
        text: String,
        retry_after: Option<String>,
    },
    /// Anything else: an unreadable answer, a local I/O error (exit 1).
    Internal(String),
}

impl Failure {
    pub fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) => exit::USAGE,
            Failure::Connect(_) => exit::CONNECT,
            Failure::Internal(_) => exit::INTERNAL,
            Failure::Problem { status, .. } => match status {
                401 | 403 => exit::AUTH,
                404 => exit::NOT_FOUND,
                409 | 412 | 428 => exit::CONFLICT,
                400 | 413 | 415 | 422 => exit::INVALID,
                429 => exit::RATE_LIMITED,
                _ => exit::INTERNAL,
            },
        }
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) | Failure::Connect(m) | Failure::Internal(m) => f.write_str(m),
            Failure::Problem {
                status,
                problem,
                text,
                retry_after,
            } => {
                let Some(p) = problem else {
                    let text = text.trim();
                    return if text.is_empty() {
                        write!(f, "the server answered {status}")
                    } else {
                        write!(f, "the server answered {status}: {text}")
                    };
                };
                let detail = p
                    .get("detail")
                    .map(text_of)
                    .or_else(|| p.get("title").map(text_of))
                    .unwrap_or_else(|| format!("the server answered {status}"));
                f.write_str(&detail)?;
                if let Some(errors) = p.get("errors").and_then(Value::as_array) {
                    for e in errors {
                        let field = e.get("field").map(text_of).unwrap_or_default();
                        let message = e.get("message").map(text_of).unwrap_or_default();
                        write!(f, "\n  {field}: {message}")?;
                    }
                }
                if let Some(allowed) = p.get("allowed_transitions").and_then(Value::as_array) {
                    if allowed.is_empty() {
                        write!(f, "\n  allowed transitions: none (the incident is final)")?;
                    } else {
                        let names: Vec<String> = allowed.iter().map(text_of).collect();
                        write!(f, "\n  allowed transitions: {}", names.join(", "))?;
                    }
                }
                if matches!(status, 401) {
                    write!(
                        f,
                        "\n  (give a valid API token with --token or MAYDAY_TOKEN)"
                    )?;
                }
                if let Some(r) = retry_after {
                    write!(f, "\n  retry after {r} s")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Failure {}

pub type Result<T> = std::result::Result<T, Failure>;

/// A successful answer.
#[derive(Debug)]
pub struct Reply {
    pub etag: Option<String>,
    /// The body exactly as sent (empty for 204).
    pub text: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.text)
            .map_err(|e| Failure::Internal(format!("the server's answer is not JSON: {e}")))
    }
}

/// A connection to one Mayday server.
pub struct Api {
    client: reqwest::Client,
    base: Url,
    token: Option<String>,
}

impl Api {
    pub fn new(server: &str, token: Option<String>) -> Result<Self> {
        let base = Url::parse(server)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "--server must be an http:// or https:// URL, got {server:?}"
                ))
            })?;
        if base.scheme() == "https" && !cfg!(feature = "tls") {
            return Err(Failure::Usage(
                "this mayday was built without TLS; use an http:// server or rebuild with \
                 `cargo build --release --features tls`"
                    .into(),
            ));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("mayday-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::Internal(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Self {
            client,
            base,
            token: token.filter(|t| !t.is_empty()),
        })
    }

    /// The URL of `segments` under the server's base (each segment percent-encoded).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn describe(&self, e: &reqwest::Error) -> Failure {
        let mut cause = String::new();
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        let server = self.base.as_str().trim_end_matches('/');
        if e.is_timeout() {
            Failure::Connect(format!("no answer from {server} in time (timed out)"))
        } else if e.is_connect() {
            Failure::Connect(format!("cannot connect to {server}: {cause}"))
        } else if e.is_builder() {
            Failure::Usage(format!("cannot build the request: {e}"))
        } else if e.is_request() {
            Failure::Connect(format!("the request to {server} failed: {e} ({cause})"))
        } else {
            Failure::Internal(format!("talking to {server}: {e} ({cause})"))
        }
    }

    /// Sends one request and reads the whole answer; non-2xx answers become failures.
    pub async fn send(&self, req: Request<'_>) -> Result<Reply> {
        let mut builder = self.client.request(req.method, self.url(req.path));
        if let Some(t) = &self.token {
            // bearer_auth marks the header sensitive: it never appears in debug output.
            builder = builder.bearer_auth(t);
        }
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        if let Some(v) = req.if_match {
            builder = builder.header(IF_MATCH, v);
        }
        if let Some(body) = &req.body {
            let bytes = serde_json::to_vec(body)
                .map_err(|e| Failure::Internal(format!("cannot encode the request: {e}")))?;
            builder = builder
                .header(CONTENT_TYPE, req.content_type.unwrap_or("application/json"))
                .body(bytes);
        }
        let res = builder.send().await.map_err(|e| self.describe(&e))?;
        let status = res.status().as_u16();
        let header = |name| {
            res.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(String::from)
        };
        let etag = header(ETAG);
        let retry_after = header(RETRY_AFTER);
        let text = res.text().await.map_err(|e| self.describe(&e))?;
        if (200..300).contains(&status) {
            return Ok(Reply { etag, text });
        }
        let problem = serde_json::from_str::<Value>(&text)
            .ok()
            .filter(Value::is_object);
        Err(Failure::Problem {
            status,
            problem,
            text,
            retry_after,
        })
    }

    pub async fn get(&self, path: &[&str]) -> Result<Reply> {
        self.send(Request::new(Method::GET, path)).await
    }

    pub async fn get_json(&self, path: &[&str]) -> Result<Value> {
        self.get(path).await?.json()
    }

    pub async fn post(&self, path: &[&str], body: Value) -> Result<Reply> {
        self.send(Request::new(Method::POST, path).body(body)).await
    }

    pub async fn delete(&self, path: &[&str]) -> Result<Reply> {
        self.send(Request::new(Method::DELETE, path)).await
    }
}

/// One request to [`Api::send`].
pub struct Request<'a> {
    method: Method,
    path: &'a [&'a str],
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    content_type: Option<&'static str>,
    if_match: Option<String>,
}

impl<'a> Request<'a> {
    pub fn new(method: Method, path: &'a [&'a str]) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            body: None,
            content_type: None,
            if_match: None,
        }
    }

    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// A JSON merge patch (`application/merge-patch+json`).
    pub fn merge_patch(mut self, body: Value) -> Self {
        self.body = Some(body);
        self.content_type = Some("application/merge-patch+json");
        self
    }

    pub fn query(mut self, query: Vec<(&'static str, String)>) -> Self {
        self.query = query;
        self
    }

    pub fn if_match(mut self, etag: Option<String>) -> Self {
        self.if_match = etag;
        self
    }
}

/// An ETag for a version number given on the command line (`3` → `"3"`).
pub fn etag_of(version: &str) -> String {
    let v = version.trim();
    if v.starts_with('"') || v.starts_with("W/") {
        v.to_string()
    } else {
        format!("\"{v}\"")
    }
}
