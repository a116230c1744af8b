//! An incident's life: the acceptance walk through every state, refused moves, cancel,
//! mitigation and follow-ups of closed incidents.

use serde_json::{Value, json};

use crate::harness::*;

on_both_engines! {
    acceptance_walk => sqlite_acceptance_walk, postgres_acceptance_walk;
    cancel_and_mitigate => sqlite_cancel_and_mitigate, postgres_cancel_and_mitigate;
    follow_up => sqlite_follow_up, postgres_follow_up;
}

const FROM_NEW: [&str; 5] = [
    "acknowledged",
    "in_progress",
    "on_hold",
    "resolved",
    "canceled",
];

async fn acceptance_walk(app: &TestApp) {
    let token = &app.agent.token;
    let inc = app
        .create(token, new_incident("Payroll export fails"))
        .await;
    let id = id_of(&inc);
    assert_eq!(inc["status"], "new");
    assert_eq!(inc["version"], 1);
    assert_eq!(inc["allowed_transitions"], json!(FROM_NEW));
    assert_eq!(inc["reopen_count"], 0);
    assert!(inc["acknowledged_at"].is_null());

    // An illegal move from new lists the allowed ones and changes nothing.
    let p = app
        .transition(token, &id, json!({"to": "closed"}))
        .await
        .problem(409, "illegal-transition");
    assert_eq!(p["allowed_transitions"], json!(FROM_NEW), "{p}");
    let unchanged = app.incident(token, &id).await;
    assert_eq!(unchanged["status"], "new");
    assert_eq!(unchanged["version"], 1);

    let steps: Vec<(Value, &str)> = vec![
        (json!({"to": "acknowledged"}), "new"),
        (json!({"to": "in_progress"}), "acknowledged"),
        (
            json!({"to": "on_hold", "reason": "awaiting_vendor"}),
            "in_progress",
        ),
        (json!({"to": "in_progress"}), "on_hold"),
        (
            json!({"to": "resolved", "resolution_code": "solution_provided",
                   "resolution_notes": "Vendor patched the exporter."}),
            "in_progress",
        ),
        (
            json!({"to": "in_progress", "reason": "still failing for March"}),
            "resolved",
        ),
        (
            json!({"to": "resolved", "resolution_code": "workaround_provided",
                   "resolution_notes": "Export by hand until the fix ships."}),
            "in_progress",
        ),
        (json!({"to": "closed"}), "resolved"),
    ];
    let mut version = 1;
    let mut seen = Vec::new();
    for (body, _from) in &steps {
        let inc = app.move_to(token, &id, body.clone()).await;
        version += 1;
        assert_eq!(inc["version"], version, "version after {body}");
        seen.push(inc);
    }

    // acknowledged
    assert!(utc_time(&seen[0]["acknowledged_at"]) >= utc_time(&inc["reported_at"]));
    assert_eq!(
        seen[0]["allowed_transitions"],
        json!(["in_progress", "on_hold", "resolved", "canceled"])
    );
    // on hold with its reason, cleared when work resumes
    assert_eq!(seen[2]["hold_reason"], "awaiting_vendor");
    assert_eq!(
        seen[2]["allowed_transitions"],
        json!(["in_progress", "resolved", "canceled"])
    );
    assert!(seen[3]["hold_reason"].is_null());
    // resolved
    assert_eq!(seen[4]["resolution_code"], "solution_provided");
    assert_eq!(seen[4]["resolution_notes"], "Vendor patched the exporter.");
    let first_resolved = utc_time(&seen[4]["resolved_at"]);
    assert!(
        !seen[4]["mitigated_at"].is_null(),
        "resolving sets mitigated_at"
    );
    assert_eq!(seen[4]["reopen_count"], 0);
    assert_eq!(
        seen[4]["allowed_transitions"],
        json!(["in_progress", "closed"])
    );
    // the reopen
    assert_eq!(seen[5]["reopen_count"], 1);
    assert!(
        seen[5]["resolved_at"].is_null(),
        "a reopen clears resolved_at"
    );
    assert!(seen[5]["resolution_code"].is_null());
    assert!(seen[5]["resolution_notes"].is_null());
    // resolved again
    assert_eq!(seen[6]["reopen_count"], 1);
    assert_eq!(seen[6]["resolution_code"], "workaround_provided");
    assert!(utc_time(&seen[6]["resolved_at"]) >= first_resolved);
    // closed
    let closed = &seen[7];
    assert!(utc_time(&closed["closed_at"]) >= utc_time(&seen[6]["resolved_at"]));
    assert_eq!(closed["allowed_transitions"], json!([]));
    assert_eq!(closed["reopen_count"], 1);
    assert_eq!(closed["hold_reason"], Value::Null);

    // closed is final
    let p = app
        .transition(token, &id, json!({"to": "in_progress"}))
        .await
        .problem(409, "illegal-transition");
    assert_eq!(p["allowed_transitions"], json!([]), "{p}");
    assert_eq!(app.incident(token, &id).await["version"], version);

    // The timeline: creation, then one transition event per step, oldest first, with the actor
    // and the old and new status. The refused moves left nothing.
    let timeline = app.timeline(token, &id).await;
    assert_eq!(timeline.len(), 1 + steps.len(), "{timeline:#?}");
    assert_eq!(timeline[0]["kind"], "created");
    assert_eq!(
        change_of(&timeline[0], "status"),
        Some((Value::Null, json!("new")))
    );
    assert_eq!(
        change_of(&timeline[0], "priority"),
        Some((Value::Null, json!("P3")))
    );
    for (event, (body, from)) in timeline[1..].iter().zip(&steps) {
        assert_eq!(event["kind"], "transition", "{event}");
        assert_eq!(event["visibility"], "public", "{event}");
        assert_eq!(event["actor"]["kind"], "user", "{event}");
        assert_eq!(event["actor"]["name"], json!(app.agent.username), "{event}");
        assert_eq!(event["actor"]["id"], json!(app.agent.id), "{event}");
        assert_eq!(
            change_of(event, "status"),
            Some((json!(from), body["to"].clone())),
            "{event}"
        );
    }
    for pair in timeline.windows(2) {
        assert!(
            pair[0]["seq"].as_i64() < pair[1]["seq"].as_i64(),
            "seq order"
        );
        assert!(
            utc_time(&pair[0]["at"]) <= utc_time(&pair[1]["at"]),
            "time order"
        );
    }
    let hold = &timeline[3];
    assert_eq!(
        change_of(hold, "hold_reason"),
        Some((Value::Null, json!("awaiting_vendor")))
    );
    assert_eq!(
        change_of(&timeline[4], "hold_reason"),
        Some((json!("awaiting_vendor"), Value::Null))
    );
    let resolve = &timeline[5];
    assert_eq!(
        change_of(resolve, "resolution_code"),
        Some((Value::Null, json!("solution_provided")))
    );
    let reopen = &timeline[6];
    assert_eq!(
        change_of(reopen, "reopen_count"),
        Some((json!(0), json!(1)))
    );
    let (old_resolved, new_resolved) =
        change_of(reopen, "resolved_at").expect("the reopen clears resolved_at");
    assert_eq!(utc_time(&old_resolved), first_resolved);
    assert!(new_resolved.is_null());
    assert_eq!(reopen["body"], "still failing for March");
    assert!(change_of(&timeline[8], "closed_at").is_some());

    // The same timeline by number.
    let by_number = app.timeline(token, &number_of(&inc)).await;
    assert_eq!(by_number, timeline);
}

async fn cancel_and_mitigate(app: &TestApp) {
    let token = &app.agent.token;
    let original = app.create(token, new_incident("Wiki is down")).await;
    let dup = app.create(token, new_incident("Wiki unreachable")).await;

    // Mitigation records the time without a state change; only the first counts.
    let path = format!("{}/mitigate", incident_path(&original));
    let m = app.post(token, &path, json!({})).await.expect(200).body;
    assert_eq!(m["status"], "new");
    assert_eq!(m["version"], 2);
    let mitigated_at = utc_time(&m["mitigated_at"]);
    let again = app.post(token, &path, json!({})).await.expect(200).body;
    assert_eq!(again["version"], 2, "a second mitigation changes nothing");
    assert_eq!(utc_time(&again["mitigated_at"]), mitigated_at);
    let tl = app.timeline(token, &id_of(&original)).await;
    assert_eq!(tl.len(), 2);
    assert_eq!(tl[1]["kind"], "mitigated");
    // Requesters cannot mark mitigation.
    app.post(&app.rita.token, &path, json!({}))
        .await
        .problem(403, "forbidden");

    // Canceling needs a known reason, and duplicate_of when the reason is duplicate.
    let dup_id = id_of(&dup);
    let fields = app
        .transition(token, &dup_id, json!({"to": "canceled"}))
        .await
        .invalid_fields();
    assert_eq!(fields, ["reason"]);
    let fields = app
        .transition(token, &dup_id, json!({"to": "canceled", "reason": "bored"}))
        .await
        .invalid_fields();
    assert_eq!(fields, ["reason"]);
    let fields = app
        .transition(
            token,
            &dup_id,
            json!({"to": "canceled", "reason": "duplicate"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["duplicate_of"]);
    let fields = app
        .transition(
            token,
            &dup_id,
            json!({"to": "canceled", "reason": "duplicate", "duplicate_of": "INC-999999"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["duplicate_of"]);
    assert_eq!(app.incident(token, &dup_id).await["version"], 1);

    let canceled = app
        .move_to(
            token,
            &dup_id,
            json!({"to": "canceled", "reason": "duplicate",
                   "duplicate_of": number_of(&original)}),
        )
        .await;
    assert_eq!(canceled["cancel_reason"], "duplicate");
    assert_eq!(canceled["duplicate_of"]["id"], original["id"]);
    assert_eq!(canceled["duplicate_of"]["number"], original["number"]);
    utc_time(&canceled["canceled_at"]);
    assert_eq!(canceled["allowed_transitions"], json!([]));

    // A canceled incident cannot move or change.
    let p = app
        .transition(token, &dup_id, json!({"to": "in_progress"}))
        .await
        .problem(409, "illegal-transition");
    assert_eq!(p["allowed_transitions"], json!([]));
    app.patch(
        token,
        &incident_path(&canceled),
        Some(&canceled_etag(&canceled)),
        json!({"title": "changed"}),
    )
    .await
    .expect(409);
    assert_eq!(
        app.incident(token, &dup_id).await["title"],
        "Wiki unreachable"
    );
}

fn canceled_etag(inc: &Value) -> String {
    format!("\"{}\"", inc["version"])
}

async fn follow_up(app: &TestApp) {
    let token = &app.agent.token;
    let old = app
        .create(
            token,
            with(
                new_incident("Badge readers reject cards"),
                json!({"category": "hardware", "impact": 1, "urgency": 2, "tags": ["Doors"]}),
            ),
        )
        .await;
    let id = id_of(&old);
    let follow = format!("{}/follow-up", incident_path(&old));

    // Not while it is open, nor when merely resolved: that is a reopen.
    let p = app
        .post(token, &follow, json!({"reason": "again"}))
        .await
        .problem(409, "conflict");
    assert!(p.get("allowed_transitions").is_none(), "{p}");
    app.move_to(
        token,
        &id,
        json!({"to": "resolved", "resolution_code": "solution_provided",
               "resolution_notes": "Reader firmware rolled back."}),
    )
    .await;
    app.post(token, &follow, json!({}))
        .await
        .problem(409, "conflict");
    app.move_to(token, &id, json!({"to": "closed"})).await;
    let closed_version = app.incident(token, &id).await["version"].as_i64().unwrap();

    // Unknown fields are refused.
    let fields = app
        .post(token, &follow, json!({"reason": "x", "to": "new"}))
        .await
        .invalid_fields();
    assert_eq!(fields, ["to"]);
    // Viewers cannot open follow-ups.
    app.post(&app.viewer.token, &follow, json!({}))
        .await
        .problem(403, "forbidden");

    let reply = app
        .post(token, &follow, json!({"reason": "cards rejected again"}))
        .await
        .expect(201);
    let new = reply.body.clone();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/incidents/{}", id_of(&new)))
    );
    assert_ne!(new["id"], old["id"]);
    assert_ne!(new["number"], old["number"]);
    assert_eq!(new["follow_up_of"]["id"], old["id"]);
    assert_eq!(new["follow_up_of"]["number"], old["number"]);
    assert_eq!(new["status"], "new");
    assert_eq!(new["reopen_count"], 0);
    assert!(new["resolved_at"].is_null());
    assert_eq!(new["title"], "Badge readers reject cards");
    assert_eq!(new["category"], "hardware");
    assert_eq!(new["priority"], "P2");
    assert_eq!(new["tags"], json!(["doors"]));
    assert_eq!(new["reporter"]["name"], "rita");

    // The old incident stays closed; its timeline records the link.
    let old_now = app.incident(token, &id).await;
    assert_eq!(old_now["status"], "closed");
    assert_eq!(old_now["version"], closed_version + 1);
    let tl = app.timeline(token, &id).await;
    let linked = tl.last().expect("events");
    assert_eq!(linked["kind"], "linked", "{tl:#?}");
    assert_eq!(linked["actor"]["name"], "alice");
    assert_eq!(
        change_of(linked, "follow_up"),
        Some((Value::Null, new["id"].clone()))
    );
    // The new one says where it came from.
    let tl = app.timeline(token, &id_of(&new)).await;
    assert_eq!(tl.len(), 1);
    assert_eq!(tl[0]["kind"], "created");
    let body = tl[0]["body"].as_str().expect("a note on creation");
    assert!(
        body.contains(old["number"].as_str().unwrap()) && body.contains("cards rejected again"),
        "{body}"
    );

    // The reporter (a requester) may ask for a follow-up of their own closed incident, by number.
    let mine = app
        .post(
            &app.rita.token,
            &format!("/api/v1/incidents/{}/follow-up", number_of(&old)),
            json!({"title": "Badge readers: third time"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(mine["title"], "Badge readers: third time");
    assert_eq!(mine["follow_up_of"]["number"], old["number"]);
    // Another requester cannot see it at all.
    app.post(&app.rex.token, &follow, json!({}))
        .await
        .problem(404, "not-found");
}
