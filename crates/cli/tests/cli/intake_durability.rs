//! Alert intake across a crash: the server is SIGKILLed while clients are sending PagerDuty
//! events; after a restart, every event that got a 202 has become exactly one alert (and, with
//! the default grouping, one incident), and nothing was processed twice.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{BOOTSTRAP, Database, Server, call, http_client, postgres, sqlite};

const SENDERS: usize = 8;

async fn setup(base: &str) -> (String, String) {
    let (status, service) = call(
        reqwest::Method::POST,
        format!("{base}/api/v1/services"),
        BOOTSTRAP,
        Some(json!({"name": "payments", "tier": 2})),
    )
    .await;
    assert_eq!(status, 201, "{service}");
    let service_id = service["id"].as_str().unwrap().to_string();
    let (status, integration) = call(
        reqwest::Method::POST,
        format!("{base}/api/v1/services/{service_id}/integrations"),
        BOOTSTRAP,
        Some(json!({"kind": "pagerduty_events_v2", "name": "load"})),
    )
    .await;
    assert_eq!(status, 201, "{integration}");
    (service_id, integration["key"].as_str().unwrap().to_string())
}

/// Sends unique triggers until the server stops answering; returns the keys that got a 202.
async fn send_until_refused(base: String, key: String, sender: usize) -> Vec<String> {
    let client = http_client();
    let mut accepted = Vec::new();
    for n in 0.. {
        let dedup_key = format!("s{sender}-{n}");
        let body = json!({
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": dedup_key,
            "payload": {"summary": format!("load {dedup_key}"), "source": "load", "severity": "error"},
        });
        let sent = client
            .post(format!("{base}/v2/enqueue"))
            .json(&body)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match sent {
            Ok(res) if res.status().as_u16() == 202 => {
                let answer: Value = res.json().await.unwrap_or(Value::Null);
                assert_eq!(answer["dedup_key"], dedup_key.as_str(), "{answer}");
                accepted.push(dedup_key);
            }
            Ok(res) => panic!("unexpected answer {} to {dedup_key}", res.status()),
            // The server is gone.
            Err(_) => break,
        }
    }
    accepted
}

/// Titles of every incident of the service, through the paginated list.
async fn incident_titles(base: &str, service_id: &str) -> Vec<String> {
    let mut titles = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/incidents?service={service_id}&limit=200");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = call(reqwest::Method::GET, url, BOOTSTRAP, None).await;
        assert_eq!(status, 200, "{page}");
        for item in page["items"].as_array().unwrap() {
            titles.push(item["title"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return titles,
        }
    }
}

async fn intake_survives_sigkill_under_load(db: Database) {
    let server = Server::start(&db);
    let (service_id, key) = setup(&server.base).await;
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| tokio::spawn(send_until_refused(server.base.clone(), key.clone(), s)))
        .collect();
    // Let the load run until a good number of events were accepted, then kill mid-stream.
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (_, status) = call(
            reqwest::Method::GET,
            format!("{}/api/v1/intake/status", server.base),
            BOOTSTRAP,
            None,
        )
        .await;
        let accepted = status["accepted"].as_u64().unwrap_or(0);
        if accepted >= 1500 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    server.kill();
    let mut accepted = HashSet::new();
    for s in senders {
        for k in s.await.unwrap() {
            assert!(accepted.insert(k.clone()), "{k} accepted twice");
        }
    }
    assert!(accepted.len() >= 1500, "only {} accepted", accepted.len());

    let server = Server::start(&db);
    // Processing resumes where it stopped.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, intake) = call(
            reqwest::Method::GET,
            format!("{}/api/v1/intake/status", server.base),
            BOOTSTRAP,
            None,
        )
        .await;
        assert_eq!(status, 200, "{intake}");
        if intake["pending"] == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "intake log not drained: {intake}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let titles = incident_titles(&server.base, &service_id).await;
    let mut per_key: HashMap<String, usize> = HashMap::new();
    for t in &titles {
        let k = t.strip_prefix("load ").unwrap_or(t).to_string();
        *per_key.entry(k).or_default() += 1;
    }
    // Never twice.
    let doubled: Vec<_> = per_key.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "processed more than once: {doubled:?}");
    // Never lost: every 202 became an incident (a few more may exist: events durably written
    // whose 202 the kill cut off).
    let missing: Vec<_> = accepted
        .iter()
        .filter(|k| !per_key.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} accepted events were lost, e.g. {:?}",
        missing.len(),
        accepted.len(),
        missing.iter().take(5).collect::<Vec<_>>()
    );
    assert!(
        titles.len() <= accepted.len() + SENDERS,
        "{} incidents",
        titles.len()
    );
    // And each is one alert with one event.
    let (status, page) = call(
        reqwest::Method::GET,
        format!(
            "{}/api/v1/incidents?service={service_id}&limit=1",
            server.base
        ),
        BOOTSTRAP,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let number = page["items"][0]["number"].as_str().unwrap().to_string();
    let (status, alerts) = call(
        reqwest::Method::GET,
        format!("{}/api/v1/incidents/{number}/alerts", server.base),
        BOOTSTRAP,
        None,
    )
    .await;
    assert_eq!(status, 200, "{alerts}");
    assert_eq!(alerts["items"].as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts["items"][0]["event_count"], 1, "{alerts}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_intake_survives_sigkill_under_load() {
    intake_survives_sigkill_under_load(sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_intake_survives_sigkill_under_load() {
    if let Some(db) = postgres().await {
        intake_survives_sigkill_under_load(db).await;
    }
}
