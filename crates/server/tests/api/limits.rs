//! Per-address rate limiting: a client over its budget gets 429 with `Retry-After`; other
//! addresses are unaffected. (The other scenarios run with limiting off, since every request
//! there comes from one address.)

use std::net::{IpAddr, Ipv4Addr};

use mayday_server::Settings;
use mayday_server::api::rate_limit::RateLimit;
use reqwest::Method;

use crate::harness::*;

fn strict() -> Settings {
    Settings {
        // Three requests, then effectively no refill while the test runs.
        rate_limit: Some(RateLimit {
            per_second: 0.001,
            burst: 3.0,
        }),
        ..Settings::default()
    }
}

#[tokio::test]
async fn sqlite_rate_limiting() {
    let app = TestApp::spawn_with(Engine::Sqlite, strict())
        .await
        .expect("SQLite is always available");
    rate_limiting(&app).await;
    app.finish().await;
}

#[tokio::test]
async fn postgres_rate_limiting() {
    let Some(app) = TestApp::spawn_with(Engine::Postgres, strict()).await else {
        return;
    };
    rate_limiting(&app).await;
    app.finish().await;
}

fn client_from(ip: Ipv4Addr) -> reqwest::Client {
    install_tls_provider();
    reqwest::Client::builder()
        .no_proxy()
        .local_address(IpAddr::V4(ip))
        .build()
        .expect("an HTTP client")
}

async fn rate_limiting(app: &TestApp) {
    let first = client_from(Ipv4Addr::new(127, 0, 0, 1));
    let second = client_from(Ipv4Addr::new(127, 0, 0, 2));
    for _ in 0..3 {
        app.send(first.request(Method::GET, app.url("/healthz")))
            .await
            .expect(200);
    }
    let limited = app
        .send(first.request(Method::GET, app.url("/healthz")))
        .await;
    let retry = limited.header("retry-after").expect("Retry-After");
    assert!(
        retry.parse::<u64>().is_ok_and(|s| s >= 1),
        "Retry-After is whole seconds: {retry}"
    );
    limited.problem(429, "rate-limited");
    // Authenticated routes count too, before authentication.
    app.send(first.request(Method::GET, app.url("/api/v1/incidents")))
        .await
        .problem(429, "rate-limited");

    // Another address has its own budget.
    for _ in 0..3 {
        app.send(
            second
                .request(Method::GET, app.url("/api/v1/incidents"))
                .bearer_auth(&app.agent.token),
        )
        .await
        .expect(200);
    }
    app.send(second.request(Method::GET, app.url("/healthz")))
        .await
        .problem(429, "rate-limited");
}
