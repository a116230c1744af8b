//! (placeholder until the delivery crate lands: same API, no delivery)
#![allow(unused_variables)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const EVENTS: [&str; 5] = ["triggered", "escalated", "acknowledged", "resolved", "commented"];
pub const VARIABLES: &[&str] = &["incident.number"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel { Email, Webhook, Slack, Teams, Mattermost }
impl Channel {
    pub fn as_str(self) -> &'static str { match self { Self::Email => "email", Self::Webhook => "webhook", Self::Slack => "slack", Self::Teams => "teams", Self::Mattermost => "mattermost" } }
    pub fn parse(s: &str) -> Option<Self> { Some(match s { "email" => Self::Email, "webhook" => Self::Webhook, "slack" => Self::Slack, "teams" => Self::Teams, "mattermost" => Self::Mattermost, _ => return None }) }
}
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link { pub label: String, pub url: String }
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery { pub id: uuid::Uuid, pub channel: Channel, pub address: String, #[serde(default)] pub secret: Option<String>, pub event: String, pub subject: String, pub text: String, pub incident: serde_json::Value, pub links: Vec<Link> }
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SendError { pub message: String, pub permanent: bool }
pub struct SmtpSettings { pub url: String, pub from: String }
#[derive(Clone)]
pub struct Sender;
impl Sender {
    pub fn new(smtp: Option<SmtpSettings>, http_timeout: std::time::Duration) -> Result<Self, String> { Ok(Sender) }
    pub async fn send(&self, d: &Delivery, now_unix: i64) -> Result<(), SendError> { Err(SendError { message: "placeholder".into(), permanent: true }) }
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageTemplate { pub subject: String, pub body: String }
pub fn default_template(event: &str) -> MessageTemplate { MessageTemplate { subject: String::new(), body: String::new() } }
pub fn render(template: &str, vars: &BTreeMap<String, String>) -> String { String::new() }
pub fn check_template(template: &str) -> Result<(), String> { Ok(()) }
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String { String::new() }
pub fn verify_signature(secret: &str, header: &str, body: &[u8], now_unix: i64, tolerance: i64) -> Result<(), String> { Err("placeholder".into()) }
