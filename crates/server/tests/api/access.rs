//! Authentication and what each role may see and do: requesters see only their own incidents
//! and never a work note, viewers never see confidential incidents.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

on_both_engines! {
    authentication => sqlite_authentication, postgres_authentication;
    requesters => sqlite_requesters, postgres_requesters;
    work_notes_stay_internal => sqlite_work_notes_stay_internal, postgres_work_notes_stay_internal;
    viewers => sqlite_viewers, postgres_viewers;
}

async fn authentication(app: &TestApp) {
    let inc = app.create(&app.agent.token, new_incident("Secret")).await;
    for (method, path) in [
        (Method::GET, "/api/v1/incidents".to_string()),
        (Method::POST, "/api/v1/incidents".to_string()),
        (Method::GET, incident_path(&inc)),
        (Method::GET, format!("{}/timeline", incident_path(&inc))),
    ] {
        // No token.
        let reply = app
            .send(app.request(method.clone(), &path).json(&new_incident("x")))
            .await;
        assert_eq!(reply.header("www-authenticate").as_deref(), Some("Bearer"));
        let p = reply.problem(401, "unauthorized");
        assert!(!p.to_string().contains("Secret"), "{p}");
        // A token that does not exist.
        app.send(
            app.authed(
                method.clone(),
                &path,
                "mdy_000000000000000000000000000000000000000000000000",
            )
            .json(&new_incident("x")),
        )
        .await
        .problem(401, "unauthorized");
        // Not a bearer token.
        app.send(
            app.request(method.clone(), &path)
                .header("authorization", format!("Basic {}", app.agent.token))
                .json(&new_incident("x")),
        )
        .await
        .problem(401, "unauthorized");
    }
    // Nothing was created by those requests.
    let page = app
        .list(&app.agent.token, &[("include_total", "true")])
        .await;
    assert_eq!(page["total"], 1);
    // The real token works, in either case of the scheme.
    app.send(
        app.request(Method::GET, &incident_path(&inc))
            .header("authorization", format!("bearer {}", app.agent.token)),
    )
    .await
    .expect(200);
}

async fn requesters(app: &TestApp) {
    let rita = &app.rita.token;
    // A requester reports for themself, through the portal by default.
    let mine = app
        .create(
            rita,
            json!({"title": "My laptop will not boot", "description": "Black screen.",
                   "impact": 3, "urgency": 2, "category": "hardware"}),
        )
        .await;
    assert_eq!(mine["reporter"]["id"], json!(app.rita.id));
    assert_eq!(mine["reporter"]["name"], "rita");
    assert_eq!(mine["source"], "portal");
    assert_eq!(mine["created_by"]["name"], "rita");
    // Naming themself is fine; naming another reporter or setting responder fields is not.
    let named = app
        .create(
            rita,
            with(new_incident("Also mine"), json!({"reporter": "rita"})),
        )
        .await;
    assert_eq!(named["reporter"]["name"], "rita");
    let fields = app
        .post(
            rita,
            "/api/v1/incidents",
            with(
                new_incident("For someone else"),
                json!({"reporter": "rex", "assignee": "alice", "confidential": true}),
            ),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["assignee", "confidential", "reporter"]);

    // Someone else's incident does not exist for rita: by id, by number, on every route.
    let rexs = app
        .create(
            &app.agent.token,
            with(new_incident("Rex's printer"), json!({"reporter": "rex"})),
        )
        .await;
    for key in [id_of(&rexs), number_of(&rexs)] {
        let base = format!("/api/v1/incidents/{key}");
        app.get(rita, &base).await.problem(404, "not-found");
        app.get(rita, &format!("{base}/timeline"))
            .await
            .problem(404, "not-found");
        app.comment(
            rita,
            &key,
            json!({"body": "me too", "visibility": "public"}),
        )
        .await
        .problem(404, "not-found");
        app.transition(rita, &key, json!({"to": "closed"}))
            .await
            .problem(404, "not-found");
        app.patch(rita, &base, Some("\"1\""), json!({"title": "x"}))
            .await
            .problem(404, "not-found");
        app.post(rita, &format!("{base}/follow-up"), json!({}))
            .await
            .problem(404, "not-found");
        app.post(rita, &format!("{base}/mitigate"), json!({}))
            .await
            .problem(404, "not-found");
    }
    // Rex sees his; rita's list holds only hers.
    assert_eq!(
        app.incident(&app.rex.token, &number_of(&rexs)).await["id"],
        rexs["id"]
    );
    let page = app.list(rita, &[("include_total", "true")]).await;
    assert_eq!(page["total"], 2);
    assert_eq!(
        sorted(numbers_of(&page)),
        sorted(vec![number_of(&mine), number_of(&named)])
    );
    for item in page["items"].as_array().unwrap() {
        assert_eq!(item["reporter"]["name"], "rita", "{item}");
    }
    let rex_page = app.list(&app.rex.token, &[("include_total", "true")]).await;
    assert_eq!(numbers_of(&rex_page), [number_of(&rexs)]);
    assert_eq!(rex_page["total"], 1);
    // Searching does not reach other people's incidents either.
    assert_eq!(
        app.numbers(rita, &[("q", "printer")]).await,
        Vec::<String>::new()
    );
    assert_eq!(
        app.numbers(&app.agent.token, &[("q", "printer")]).await,
        [number_of(&rexs)]
    );

    // Rita comments publicly on her own incident; work notes are refused.
    let id = id_of(&mine);
    let c = app
        .comment(rita, &id, json!({"body": "It beeps three times."}))
        .await
        .expect(201)
        .body;
    assert_eq!(c["visibility"], "public");
    assert_eq!(c["kind"], "comment");
    assert_eq!(c["actor"]["name"], "rita");
    assert_eq!(c["body"], "It beeps three times.");
    app.comment(
        rita,
        &id,
        json!({"body": "psst", "visibility": "work_note"}),
    )
    .await
    .problem(403, "forbidden");

    // Rita cannot work the incident...
    app.transition(rita, &id, json!({"to": "in_progress"}))
        .await
        .problem(403, "forbidden");
    app.transition(
        rita,
        &id,
        json!({"to": "resolved", "resolution_code": "resolved_by_caller",
               "resolution_notes": "fixed it"}),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(app.incident(rita, &id).await["status"], "new");
    // ...but once it is resolved she may reject the resolution (reopen) or confirm it (close).
    let agent = &app.agent.token;
    let resolve = json!({"to": "resolved", "resolution_code": "solution_provided",
                         "resolution_notes": "Replaced the battery."});
    app.move_to(agent, &id, resolve.clone()).await;
    let reopened = app
        .move_to(
            rita,
            &id,
            json!({"to": "in_progress", "reason": "still black"}),
        )
        .await;
    assert_eq!(reopened["reopen_count"], 1);
    app.move_to(agent, &id, resolve).await;
    app.transition(
        rita,
        &id,
        json!({"to": "canceled", "reason": "withdrawn_by_caller"}),
    )
    .await
    .problem(403, "forbidden");
    let closed = app.move_to(rita, &id, json!({"to": "closed"})).await;
    utc_time(&closed["closed_at"]);
    let tl = app.timeline(rita, &id).await;
    let last = tl.last().unwrap();
    assert_eq!(last["actor"]["name"], "rita");
    assert_eq!(
        change_of(last, "status"),
        Some((json!("resolved"), json!("closed")))
    );
}

/// Everything a requester can read about an incident, as text.
async fn requester_view(app: &TestApp, token: &str, key: &str) -> String {
    let mut out = String::new();
    out.push_str(&app.incident(token, key).await.to_string());
    out.push_str(&Value::Array(app.timeline(token, key).await).to_string());
    out.push_str(&app.list(token, &[]).await.to_string());
    out
}

async fn work_notes_stay_internal(app: &TestApp) {
    let agent = &app.agent.token;
    let rita = &app.rita.token;
    let inc = app
        .create(
            agent,
            with(
                new_incident("Shared drive is read-only"),
                json!({"reporter": "rita"}),
            ),
        )
        .await;
    let id = id_of(&inc);
    let note = app
        .comment(
            agent,
            &id,
            json!({"body": "Suspect the zanzibar quota daemon", "visibility": "work_note"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(note["visibility"], "work_note");
    // A responder's comment without visibility is a work note.
    let default_note = app
        .comment(agent, &id, json!({"body": "Paging storage: kumquat"}))
        .await
        .expect(201)
        .body;
    assert_eq!(default_note["visibility"], "work_note");
    let public = app
        .comment(
            agent,
            &id,
            json!({"body": "We are restoring write access.", "visibility": "public"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(public["visibility"], "public");

    // The agent sees everything.
    let tl = app.timeline(agent, &id).await;
    let bodies: Vec<&str> = tl.iter().filter_map(|e| e["body"].as_str()).collect();
    assert_eq!(
        bodies,
        [
            "Suspect the zanzibar quota daemon",
            "Paging storage: kumquat",
            "We are restoring write access."
        ]
    );
    // Rita sees the public update and no work note.
    let tl = app.timeline(rita, &id).await;
    assert_eq!(tl.len(), 2, "{tl:#?}");
    assert_eq!(tl[0]["kind"], "created");
    assert_eq!(tl[1]["body"], "We are restoring write access.");
    assert!(tl.iter().all(|e| e["visibility"] == "public"));
    let seen = requester_view(app, rita, &id).await;
    assert!(!seen.contains("zanzibar"), "{seen}");
    assert!(!seen.contains("kumquat"), "{seen}");
    // Search: the work note's words find nothing for rita (and viewers), the incident for agents.
    for word in ["zanzibar", "kumquat", "\"quota daemon\""] {
        let page = app
            .list(rita, &[("q", word), ("include_total", "true")])
            .await;
        assert_eq!(page["total"], 0, "rita searching {word}: {page}");
        assert_eq!(numbers_of(&page), Vec::<String>::new());
        let page = app
            .list(&app.viewer.token, &[("q", word), ("include_total", "true")])
            .await;
        assert_eq!(page["total"], 0, "viewer searching {word}: {page}");
        let page = app
            .list(agent, &[("q", word), ("include_total", "true")])
            .await;
        assert_eq!(page["total"], 1, "agent searching {word}: {page}");
        assert_eq!(numbers_of(&page), [number_of(&inc)]);
    }
    // The public update is searchable by everyone who can see the incident.
    let page = app
        .list(rita, &[("q", "restoring"), ("include_total", "true")])
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(numbers_of(&page), [number_of(&inc)]);
    // Admins do see them.
    assert_eq!(
        app.numbers(&app.admin.token, &[("q", "zanzibar")]).await,
        [number_of(&inc)]
    );
    assert_eq!(app.timeline(&app.admin.token, &id).await.len(), 4);
    // Viewers never see work notes on the timeline either.
    let tl = app.timeline(&app.viewer.token, &id).await;
    assert_eq!(tl.len(), 2);
    assert!(!Value::Array(tl).to_string().contains("zanzibar"));
    // A requester's own comment, a later work note and another transition keep it that way.
    app.comment(rita, &id, json!({"body": "Thanks!"}))
        .await
        .expect(201);
    app.move_to(
        agent,
        &id,
        json!({"to": "on_hold", "reason": "awaiting_vendor"}),
    )
    .await;
    app.comment(
        agent,
        &id,
        json!({"body": "vendor says zanzibar again", "visibility": "work_note"}),
    )
    .await
    .expect(201);
    let seen = requester_view(app, rita, &id).await;
    assert!(!seen.contains("zanzibar"), "{seen}");
    assert_eq!(app.timeline(rita, &id).await.len(), 4);
    assert_eq!(app.timeline(agent, &id).await.len(), 7);
}

async fn viewers(app: &TestApp) {
    let viewer = &app.viewer.token;
    let agent = &app.agent.token;
    app.post(viewer, "/api/v1/incidents", new_incident("Viewer report"))
        .await
        .problem(403, "forbidden");
    let open = app.create(agent, new_incident("Public outage")).await;
    let secret = app
        .create(
            agent,
            with(
                new_incident("Payroll data leak"),
                json!({"confidential": true}),
            ),
        )
        .await;
    assert_eq!(secret["confidential"], true);

    // The open one is readable, not writable.
    assert_eq!(
        app.incident(viewer, &number_of(&open)).await["id"],
        open["id"]
    );
    app.comment(
        viewer,
        &id_of(&open),
        json!({"body": "hi", "visibility": "public"}),
    )
    .await
    .problem(403, "forbidden");
    app.transition(viewer, &id_of(&open), json!({"to": "acknowledged"}))
        .await
        .problem(403, "forbidden");
    // The confidential one does not exist for a viewer.
    for key in [id_of(&secret), number_of(&secret)] {
        app.get(viewer, &format!("/api/v1/incidents/{key}"))
            .await
            .problem(404, "not-found");
        app.get(viewer, &format!("/api/v1/incidents/{key}/timeline"))
            .await
            .problem(404, "not-found");
    }
    let page = app.list(viewer, &[("include_total", "true")]).await;
    assert_eq!(numbers_of(&page), [number_of(&open)]);
    assert_eq!(page["total"], 1);
    assert_eq!(
        app.numbers(viewer, &[("q", "payroll")]).await,
        Vec::<String>::new()
    );
    // Agents see both.
    assert_eq!(
        app.list(agent, &[("include_total", "true")]).await["total"],
        2
    );
    assert_eq!(
        app.numbers(agent, &[("q", "payroll")]).await,
        [number_of(&secret)]
    );
    // Making an incident confidential hides it from then on.
    app.change(agent, &open, json!({"confidential": true}))
        .await;
    app.get(viewer, &incident_path(&open))
        .await
        .problem(404, "not-found");
    assert_eq!(
        app.list(viewer, &[("include_total", "true")]).await["total"],
        0
    );
}
