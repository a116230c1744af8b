//! Request handling: validation (one 422 naming every field), bodies that are not JSON or too
//! large, optimistic concurrency with ETag / If-Match, and Idempotency-Key replays.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

on_both_engines! {
    validation => sqlite_validation, postgres_validation;
    bodies => sqlite_bodies, postgres_bodies;
    concurrency => sqlite_concurrency, postgres_concurrency;
    idempotency => sqlite_idempotency, postgres_idempotency;
}

async fn total(app: &TestApp, token: &str) -> i64 {
    let page = app.list(token, &[("include_total", "true")]).await;
    page["total"]
        .as_i64()
        .unwrap_or_else(|| panic!("include_total=true gives a total: {page}"))
}

async fn validation(app: &TestApp) {
    let token = &app.agent.token;
    // Missing title and impact: one 422 naming both, and only those.
    let fields = app
        .post(
            token,
            "/api/v1/incidents",
            json!({"description": "It broke.", "reporter": "rita", "urgency": 2,
                   "category": "software"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["impact", "title"]);
    // An empty body names every mandatory field.
    let fields = app
        .post(token, "/api/v1/incidents", json!({}))
        .await
        .invalid_fields();
    assert_eq!(
        fields,
        [
            "category",
            "description",
            "impact",
            "reporter",
            "title",
            "urgency"
        ]
    );
    // Unknown fields, wrong types and unknown references are all named together.
    let fields = app
        .post(
            token,
            "/api/v1/incidents",
            with(
                new_incident("Colourful"),
                json!({"colour": "red", "urgency": "high", "category": "astrology",
                       "reporter": "nobody"}),
            ),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["category", "colour", "reporter", "urgency"]);
    let fields = app
        .post(
            token,
            "/api/v1/incidents",
            with(new_incident("Unknown field"), json!({"priority": "P1"})),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["priority"]);
    assert_eq!(total(app, token).await, 0, "nothing was created");

    let inc = app.create(token, new_incident("Validation target")).await;
    let id = id_of(&inc);
    // on_hold needs a reason (a known one).
    assert_eq!(
        app.transition(token, &id, json!({"to": "on_hold"}))
            .await
            .invalid_fields(),
        ["reason"]
    );
    assert_eq!(
        app.transition(token, &id, json!({"to": "on_hold", "reason": "lunch"}))
            .await
            .invalid_fields(),
        ["reason"]
    );
    // resolved needs both code and notes, named together; the code must exist.
    assert_eq!(
        app.transition(token, &id, json!({"to": "resolved"}))
            .await
            .invalid_fields(),
        ["resolution_code", "resolution_notes"]
    );
    assert_eq!(
        app.transition(
            token,
            &id,
            json!({"to": "resolved", "resolution_code": "magic", "resolution_notes": "done"})
        )
        .await
        .invalid_fields(),
        ["resolution_code"]
    );
    // canceled as duplicate needs duplicate_of.
    assert_eq!(
        app.transition(token, &id, json!({"to": "canceled", "reason": "duplicate"}))
            .await
            .invalid_fields(),
        ["duplicate_of"]
    );
    // A transition without `to`, with an unknown state, or with unknown fields.
    assert_eq!(
        app.transition(token, &id, json!({})).await.invalid_fields(),
        ["to"]
    );
    assert_eq!(
        app.transition(token, &id, json!({"to": "exploded"}))
            .await
            .invalid_fields(),
        ["to"]
    );
    assert_eq!(
        app.transition(token, &id, json!({"to": "acknowledged", "note": "x"}))
            .await
            .invalid_fields(),
        ["note"]
    );
    // A comment needs a body and a known visibility.
    assert_eq!(
        app.comment(token, &id, json!({})).await.invalid_fields(),
        ["body"]
    );
    assert_eq!(
        app.comment(token, &id, json!({"body": "hi", "visibility": "secret"}))
            .await
            .invalid_fields(),
        ["visibility"]
    );
    // None of that changed the incident.
    let now = app.incident(token, &id).await;
    assert_eq!(now["status"], "new");
    assert_eq!(now["version"], 1);
    assert_eq!(app.timeline(token, &id).await.len(), 1);
}

async fn bodies(app: &TestApp) {
    let token = &app.agent.token;
    // Not JSON by content type: 415.
    app.send(
        app.authed(Method::POST, "/api/v1/incidents", token)
            .header("content-type", "text/plain")
            .body("title=Printer"),
    )
    .await
    .problem(415, "unsupported-media-type");
    // Declared JSON but malformed: 400.
    app.send(
        app.authed(Method::POST, "/api/v1/incidents", token)
            .header("content-type", "application/json")
            .body("{\"title\": "),
    )
    .await
    .problem(400, "bad-request");
    // JSON but not an object: 400.
    app.send(
        app.authed(Method::POST, "/api/v1/incidents", token)
            .json(&json!(["a", "list"])),
    )
    .await
    .problem(400, "bad-request");
    // Over 1 MB: 413, with and without an Idempotency-Key.
    let huge = with(
        new_incident("Huge"),
        json!({"description": "x".repeat(1024 * 1024 + 10)}),
    );
    app.post(token, "/api/v1/incidents", huge.clone())
        .await
        .problem(413, "payload-too-large");
    app.send(
        app.authed(Method::POST, "/api/v1/incidents", token)
            .header("idempotency-key", "huge-1")
            .json(&huge),
    )
    .await
    .problem(413, "payload-too-large");
    assert_eq!(total(app, token).await, 0);
    // The merge-patch content type is JSON too.
    let inc = app.create(token, new_incident("Merge patch")).await;
    let reply = app
        .send(
            app.authed(Method::PATCH, &incident_path(&inc), token)
                .header("if-match", "\"1\"")
                .header("content-type", "application/merge-patch+json")
                .body(r#"{"title": "Merge patched"}"#),
        )
        .await
        .expect(200);
    assert_eq!(reply.body["title"], "Merge patched");
    // Unknown routes and methods answer problems too.
    app.get(token, "/api/v1/nothing-here")
        .await
        .problem(404, "not-found");
    app.send(app.authed(Method::DELETE, &incident_path(&inc), token))
        .await
        .expect(405);
}

async fn concurrency(app: &TestApp) {
    let token = &app.agent.token;
    let created = app
        .post(token, "/api/v1/incidents", new_incident("Original title"))
        .await
        .expect(201);
    assert_eq!(created.etag(), "\"1\"");
    let inc = created.body;
    let path = incident_path(&inc);
    let id = id_of(&inc);

    let got = app.get(token, &path).await.expect(200);
    assert_eq!(got.etag(), format!("\"{}\"", got.body["version"]));
    assert_eq!(got.etag(), "\"1\"");

    // Without If-Match: 428.
    app.patch(token, &path, None, json!({"title": "No precondition"}))
        .await
        .problem(428, "if-match-required");
    // A malformed If-Match is refused.
    app.patch(token, &path, Some("yesterday"), json!({"title": "Bad"}))
        .await
        .problem(400, "bad-request");
    assert_eq!(app.incident(token, &id).await["title"], "Original title");

    // With the current version: applied, new ETag.
    let first = app
        .patch(token, &path, Some("\"1\""), json!({"title": "First edit"}))
        .await
        .expect(200);
    assert_eq!(first.etag(), "\"2\"");
    assert_eq!(first.body["version"], 2);
    assert_eq!(first.body["title"], "First edit");

    // A stale If-Match: 412 and nothing changed.
    app.patch(
        token,
        &path,
        Some("\"1\""),
        json!({"title": "Lost update", "impact": 1}),
    )
    .await
    .problem(412, "stale-version");
    let now = app.get(token, &path).await.expect(200);
    assert_eq!(now.body["title"], "First edit");
    assert_eq!(now.body["impact"], 2);
    assert_eq!(now.body["version"], 2);
    assert_eq!(now.etag(), "\"2\"");
    assert_eq!(app.timeline(token, &id).await.len(), 2);

    // Transitions honour If-Match when given.
    app.send(
        app.authed(Method::POST, &format!("{path}/transitions"), token)
            .header("if-match", "\"1\"")
            .json(&json!({"to": "acknowledged"})),
    )
    .await
    .problem(412, "stale-version");
    assert_eq!(app.incident(token, &id).await["status"], "new");
    let moved = app
        .send(
            app.authed(Method::POST, &format!("{path}/transitions"), token)
                .header("if-match", "\"2\"")
                .json(&json!({"to": "acknowledged"})),
        )
        .await
        .expect(200);
    assert_eq!(moved.etag(), "\"3\"");
    assert_eq!(moved.body["status"], "acknowledged");

    // Comments bump the version too, and say so.
    let c = app
        .comment(token, &id, json!({"body": "looking"}))
        .await
        .expect(201);
    assert_eq!(c.etag(), "\"4\"");
    app.patch(token, &path, Some("\"3\""), json!({"title": "Stale again"}))
        .await
        .problem(412, "stale-version");
}

async fn idempotency(app: &TestApp) {
    let token = &app.agent.token;
    let body = new_incident("Submitted twice");
    let send = |token: &str, key: &str, body: serde_json::Value| {
        app.authed(Method::POST, "/api/v1/incidents", token)
            .header("idempotency-key", key)
            .json(&body)
    };
    let first = app
        .send(send(token, "key-1", body.clone()))
        .await
        .expect(201);
    let second = app
        .send(send(token, "key-1", body.clone()))
        .await
        .expect(201);
    assert_eq!(second.body, first.body, "a replay answers the first body");
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(second.etag(), first.etag());
    assert_eq!(
        second.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(total(app, token).await, 1, "one incident");

    // The same key with another body: 422, nothing created.
    app.send(send(token, "key-1", new_incident("Something else")))
        .await
        .problem(422, "unprocessable");
    assert_eq!(total(app, token).await, 1);

    // Keys are scoped to the caller: the same key from bob is a new request.
    let bobs = app
        .send(send(&app.agent2.token, "key-1", body.clone()))
        .await
        .expect(201);
    assert_ne!(bobs.body["id"], first.body["id"]);
    assert_eq!(bobs.body["created_by"]["name"], "bob");
    assert_eq!(total(app, token).await, 2);
    // And a different key from alice is a new request too.
    app.send(send(token, "key-2", body.clone()))
        .await
        .expect(201);
    assert_eq!(total(app, token).await, 3);

    // Every POST honours keys: a retried transition is not applied twice.
    let id = id_of(&first.body);
    let tpath = format!("/api/v1/incidents/{id}/transitions");
    let ack = |key: &str| {
        app.authed(Method::POST, &tpath, token)
            .header("idempotency-key", key)
            .json(&json!({"to": "acknowledged"}))
    };
    let a1 = app.send(ack("ack-1")).await.expect(200);
    let a2 = app.send(ack("ack-1")).await.expect(200);
    assert_eq!(a1.body, a2.body);
    assert_eq!(a2.body["version"], 2);
    // A refusal is replayed as it was answered.
    let r1 = app.send(ack("ack-2")).await.expect(409);
    let r2 = app.send(ack("ack-2")).await.expect(409);
    assert_eq!(r1.body, r2.body);
    let tl = app.timeline(token, &id).await;
    assert_eq!(tl.len(), 2, "one transition recorded: {tl:#?}");

    // A retried comment is stored once.
    let cpath = format!("/api/v1/incidents/{id}/comments");
    let comment = || {
        app.authed(Method::POST, &cpath, token)
            .header("idempotency-key", "comment-1")
            .json(&json!({"body": "Vendor ticket 4711 opened"}))
    };
    let c1 = app.send(comment()).await.expect(201);
    let c2 = app.send(comment()).await.expect(201);
    assert_eq!(c1.body, c2.body);
    assert_eq!(app.timeline(token, &id).await.len(), 3);

    // An empty key is refused.
    app.send(send(token, "  ", body.clone()))
        .await
        .problem(400, "bad-request");
    assert_eq!(total(app, token).await, 3);
}
