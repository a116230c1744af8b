//! The wire basics: human numbers, UUIDv7 ids, RFC 3339 UTC times, the health check and the
//! OpenAPI document.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

on_both_engines! {
    numbers_ids_and_times => sqlite_numbers_ids_and_times, postgres_numbers_ids_and_times;
    public_endpoints => sqlite_public_endpoints, postgres_public_endpoints;
}

async fn numbers_ids_and_times(app: &TestApp) {
    let token = &app.agent.token;
    let reply = app
        .post(
            token,
            "/api/v1/incidents",
            with(
                new_incident("First of all"),
                json!({"started_at": "2024-05-06T09:10:11+02:00",
                       "detected_at": "2024-05-06T07:30:00Z"}),
            ),
        )
        .await
        .expect(201);
    let first = reply.body.clone();
    assert_eq!(first["number"], "INC-000001");
    let id = id_of(&first);
    let uuid = uuid::Uuid::parse_str(&id).expect("ids are UUIDs");
    assert_eq!(uuid.get_version_num(), 7, "ids are UUIDv7: {id}");
    assert_eq!(uuid.hyphenated().to_string(), id, "lower-case hyphenated");
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/incidents/{id}"))
    );

    // Times are RFC 3339 UTC; given times are converted to UTC.
    assert_eq!(first["started_at"], "2024-05-06T07:10:11Z");
    assert_eq!(first["detected_at"], "2024-05-06T07:30:00Z");
    for field in ["reported_at", "created_at", "updated_at"] {
        utc_time(&first[field]);
    }
    assert_eq!(first["created_at"], first["reported_at"]);
    assert!(utc_time(&first["reported_at"]) > utc_time(&first["detected_at"]));
    for field in [
        "acknowledged_at",
        "mitigated_at",
        "resolved_at",
        "closed_at",
        "canceled_at",
    ] {
        assert!(first[field].is_null(), "{field} starts empty");
    }
    // Without times, started = detected = reported.
    let second = app.create(token, new_incident("Second")).await;
    assert_eq!(second["number"], "INC-000002");
    assert_eq!(second["started_at"], second["detected_at"]);
    assert_eq!(second["detected_at"], second["reported_at"]);
    assert!(id_of(&second) > id, "UUIDv7 ids sort by creation");
    // Times in the future, or started after detected, are refused.
    let fields = app
        .post(
            token,
            "/api/v1/incidents",
            with(
                new_incident("Time travel"),
                json!({"detected_at": "2999-01-01T00:00:00Z"}),
            ),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["detected_at"]);
    let fields = app
        .post(
            token,
            "/api/v1/incidents",
            with(
                new_incident("Backwards"),
                json!({"started_at": "2024-05-06T08:00:00Z",
                       "detected_at": "2024-05-06T07:00:00Z"}),
            ),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["started_at"]);
    let fields = app
        .post(
            token,
            "/api/v1/incidents",
            with(
                new_incident("Not a time"),
                json!({"started_at": "yesterday"}),
            ),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["started_at"]);

    // By number, in any case, and by id: the same incident.
    for key in ["INC-000001", "inc-000001", id.as_str()] {
        let got = app.incident(token, key).await;
        assert_eq!(got, first, "GET {key}");
    }
    for key in ["INC-000099", "INC-", "INC-00000x", "42", "not-an-id"] {
        app.get(token, &format!("/api/v1/incidents/{key}"))
            .await
            .problem(404, "not-found");
    }
    app.get(
        token,
        &format!("/api/v1/incidents/{}", uuid::Uuid::now_v7()),
    )
    .await
    .problem(404, "not-found");

    // Numbers work on every incident route.
    let moved = app
        .move_to(token, "INC-000002", json!({"to": "acknowledged"}))
        .await;
    assert_eq!(moved["id"], second["id"]);
    utc_time(&moved["acknowledged_at"]);
    let c = app
        .comment(token, "INC-000002", json!({"body": "on it"}))
        .await
        .expect(201)
        .body;
    assert_eq!(c["kind"], "comment");
    utc_time(&c["at"]);
    assert!(c["seq"].as_i64().is_some());
    let etag = format!("\"{}\"", moved["version"].as_i64().unwrap() + 1);
    let patched = app
        .patch(
            token,
            "/api/v1/incidents/INC-000002",
            Some(&etag),
            json!({"title": "Second, renamed"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(patched["id"], second["id"]);

    // Timeline times are UTC too, and changes to *_at fields show times, not numbers.
    let tl = app.timeline(token, "INC-000002").await;
    for e in &tl {
        utc_time(&e["at"]);
        assert_eq!(e["actor"]["kind"], "user");
    }
    let (old, new) = change_of(&tl[1], "acknowledged_at").expect("acknowledgement recorded");
    assert!(old.is_null());
    assert_eq!(utc_time(&new), utc_time(&moved["acknowledged_at"]));

    // References are {id, name} objects.
    assert_eq!(
        first["reporter"],
        json!({"id": app.rita.id, "name": "rita"})
    );
    assert_eq!(first["created_by"]["kind"], "user");
    assert_eq!(first["created_by"]["name"], "alice");
    assert_eq!(first["created_by"]["id"], json!(app.agent.id));
    assert_eq!(first["source"], "api");
    for field in [
        "service",
        "assignment_group",
        "assignee",
        "duplicate_of",
        "parent",
        "follow_up_of",
    ] {
        assert_eq!(first[field], Value::Null, "{field}");
    }

    // A parent by number.
    let child = app
        .create(
            token,
            with(new_incident("Child"), json!({"parent": "INC-000001"})),
        )
        .await;
    assert_eq!(child["number"], "INC-000003");
    assert_eq!(
        child["parent"],
        json!({"id": first["id"], "number": "INC-000001"})
    );
}

async fn public_endpoints(app: &TestApp) {
    let health = app
        .send(app.request(Method::GET, "/healthz"))
        .await
        .expect(200);
    assert_eq!(health.body["status"], "ok");

    let doc = app
        .send(app.request(Method::GET, "/api/v1/openapi.json"))
        .await
        .expect(200);
    assert!(
        doc.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        doc.header("content-type")
    );
    let doc = doc.body;
    let version = doc["openapi"].as_str().expect("an openapi version");
    assert!(version.starts_with("3.1"), "{version}");
    let paths = doc["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/api/v1/incidents", &["get", "post"][..]),
        ("/api/v1/incidents/{id}", &["get", "patch"][..]),
        ("/api/v1/incidents/{id}/transitions", &["post"][..]),
        ("/api/v1/incidents/{id}/comments", &["post"][..]),
        ("/api/v1/incidents/{id}/timeline", &["get"][..]),
        ("/api/v1/incidents/{id}/mitigate", &["post"][..]),
        ("/api/v1/incidents/{id}/follow-up", &["post"][..]),
        ("/healthz", &["get"][..]),
        ("/api/v1/openapi.json", &["get"][..]),
    ] {
        let item = paths
            .get(path)
            .unwrap_or_else(|| panic!("the document covers {path}"));
        for m in methods {
            assert!(item.get(*m).is_some(), "{m} {path} is documented");
        }
    }
    // Protected routes are still protected.
    app.send(app.request(Method::GET, "/api/v1/incidents"))
        .await
        .problem(401, "unauthorized");
}
