//! Priority from impact × urgency, manual overrides, and field changes through PATCH.

use serde_json::{Value, json};

use crate::harness::*;

on_both_engines! {
    priority => sqlite_priority, postgres_priority;
    patch_fields => sqlite_patch_fields, postgres_patch_fields;
}

async fn priority(app: &TestApp) {
    let token = &app.agent.token;
    for (impact, urgency, expected) in [
        (1, 1, "P1"),
        (1, 2, "P2"),
        (2, 2, "P3"),
        (2, 3, "P4"),
        (3, 2, "P4"),
        (3, 3, "P5"),
    ] {
        let inc = app
            .create(
                token,
                with(
                    new_incident(&format!("Impact {impact} urgency {urgency}")),
                    json!({"impact": impact, "urgency": urgency}),
                ),
            )
            .await;
        assert_eq!(inc["priority"], expected, "{impact}×{urgency}");
        assert_eq!(inc["computed_priority"], expected, "{impact}×{urgency}");
        assert!(inc["priority_override"].is_null());
        assert_eq!(inc["impact"], impact);
        assert_eq!(inc["urgency"], urgency);
    }
    // Out-of-range levels are refused, both named.
    let fields = app
        .post(
            token,
            "/api/v1/incidents",
            with(
                new_incident("Bad levels"),
                json!({"impact": 0, "urgency": 4}),
            ),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["impact", "urgency"]);

    let inc = app
        .create(
            token,
            with(
                new_incident("Slow reports"),
                json!({"impact": 3, "urgency": 3}),
            ),
        )
        .await;
    assert_eq!(inc["priority"], "P5");
    let id = id_of(&inc);

    // Re-prioritization when impact changes.
    let inc = app.change(token, &inc, json!({"impact": 1})).await;
    assert_eq!(inc["priority"], "P3");
    assert_eq!(inc["computed_priority"], "P3");
    let tl = app.timeline(token, &id).await;
    let updated = tl.last().unwrap();
    assert_eq!(updated["kind"], "updated");
    assert_eq!(updated["actor"]["name"], "alice");
    assert_eq!(change_of(updated, "impact"), Some((json!(3), json!(1))));
    assert_eq!(
        change_of(updated, "priority"),
        Some((json!("P5"), json!("P3")))
    );

    // An override needs a reason and a real priority.
    let etag = format!("\"{}\"", inc["version"]);
    let fields = app
        .patch(
            token,
            &incident_path(&inc),
            Some(&etag),
            json!({"priority": "P1"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["reason"]);
    let fields = app
        .patch(
            token,
            &incident_path(&inc),
            Some(&etag),
            json!({"priority": "P9", "reason": "why not"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["priority"]);
    let fields = app
        .patch(
            token,
            &incident_path(&inc),
            Some(&etag),
            json!({"reason": "no priority"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["reason"]);
    assert_eq!(app.incident(token, &id).await["version"], inc["version"]);

    // The override is recorded with who and why.
    let inc = app
        .change(
            &app.agent2.token,
            &inc,
            json!({"priority": "P1", "reason": "Board meeting at noon"}),
        )
        .await;
    assert_eq!(inc["priority"], "P1");
    assert_eq!(inc["computed_priority"], "P3");
    let ov = &inc["priority_override"];
    assert_eq!(ov["priority"], "P1");
    assert_eq!(ov["reason"], "Board meeting at noon");
    assert_eq!(ov["by"]["name"], "bob");
    assert_eq!(ov["by"]["id"], json!(app.agent2.id));
    utc_time(&ov["at"]);
    let tl = app.timeline(token, &id).await;
    let ev = tl.last().unwrap();
    assert_eq!(ev["actor"]["name"], "bob");
    assert_eq!(change_of(ev, "priority"), Some((json!("P3"), json!("P1"))));
    let (old, new) = change_of(ev, "priority_override").expect("override recorded");
    assert!(old.is_null());
    assert_eq!(new["priority"], "P1");
    assert_eq!(new["reason"], "Board meeting at noon");

    // It survives an impact change; the computed priority follows the matrix.
    let inc = app.change(token, &inc, json!({"impact": 3})).await;
    assert_eq!(inc["priority"], "P1");
    assert_eq!(inc["computed_priority"], "P5");
    assert_eq!(inc["priority_override"]["by"]["name"], "bob");
    // The list filter uses the effective priority.
    let p1 = app.numbers(token, &[("priority", "P1")]).await;
    assert!(p1.contains(&number_of(&inc)), "{p1:?}");

    // null clears it and the matrix rules again.
    let inc = app.change(token, &inc, json!({"priority": null})).await;
    assert_eq!(inc["priority"], "P5");
    assert!(inc["priority_override"].is_null());
    let ev = app.timeline(token, &id).await.pop().unwrap();
    assert_eq!(change_of(&ev, "priority"), Some((json!("P1"), json!("P5"))));
    let fresh = app.incident(token, &id).await;
    assert_eq!(fresh["priority"], "P5");
    assert!(fresh["priority_override"].is_null());
}

async fn patch_fields(app: &TestApp) {
    let token = &app.agent.token;
    let inc = app
        .create(
            token,
            with(
                new_incident("Calendar sync broken"),
                json!({"tags": ["Sync", "sync", " calendar "]}),
            ),
        )
        .await;
    assert_eq!(inc["tags"], json!(["sync", "calendar"]));
    assert!(inc["assignee"].is_null());
    let id = id_of(&inc);

    // Assignee by username; the response names it.
    let inc = app
        .change(
            token,
            &inc,
            json!({"assignee": "bob", "title": "Calendar sync broken for all",
                   "workaround": "Use the web calendar"}),
        )
        .await;
    assert_eq!(inc["assignee"]["name"], "bob");
    assert_eq!(inc["assignee"]["id"], json!(app.agent2.id));
    assert_eq!(inc["title"], "Calendar sync broken for all");
    assert_eq!(inc["workaround"], "Use the web calendar");
    assert_eq!(inc["version"], 2);
    let ev = app.timeline(token, &id).await.pop().unwrap();
    assert_eq!(ev["kind"], "updated");
    assert_eq!(
        change_of(&ev, "title"),
        Some((
            json!("Calendar sync broken"),
            json!("Calendar sync broken for all")
        ))
    );
    assert_eq!(
        change_of(&ev, "assignee"),
        Some((Value::Null, json!(app.agent2.id)))
    );

    // The list filters by assignee (username or none).
    let other = app.create(token, new_incident("Unassigned thing")).await;
    assert_eq!(
        app.numbers(token, &[("assignee", "bob")]).await,
        [number_of(&inc)]
    );
    assert_eq!(
        app.numbers(token, &[("assignee", "none")]).await,
        [number_of(&other)]
    );
    assert_eq!(
        sorted(app.numbers(token, &[("assignee", "bob,none")]).await),
        sorted(vec![number_of(&inc), number_of(&other)])
    );
    app.list_reply(token, &[("assignee", "nobody")])
        .await
        .invalid_fields();

    // Requesters cannot be assigned; unknown users and fields are named; status is not patched.
    let etag = format!("\"{}\"", inc["version"]);
    let fields = app
        .patch(
            token,
            &incident_path(&inc),
            Some(&etag),
            json!({"assignee": "rita", "reporter": "ghost", "colour": "red",
                   "status": "closed"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["assignee", "colour", "reporter", "status"]);
    let fields = app
        .patch(
            token,
            &incident_path(&inc),
            Some(&etag),
            json!({"title": "  "}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["title"]);
    assert_eq!(app.incident(token, &id).await["version"], 2);

    // null clears; a patch that changes nothing writes nothing.
    let inc = app
        .change(token, &inc, json!({"assignee": null, "workaround": null}))
        .await;
    assert!(inc["assignee"].is_null());
    assert!(inc["workaround"].is_null());
    assert_eq!(inc["version"], 3);
    let same = app
        .change(
            token,
            &inc,
            json!({"title": "Calendar sync broken for all"}),
        )
        .await;
    assert_eq!(same["version"], 3);
    assert_eq!(app.timeline(token, &id).await.len(), 3);

    // A category change checks the taxonomy.
    let etag = format!("\"{}\"", inc["version"]);
    let fields = app
        .patch(
            token,
            &incident_path(&inc),
            Some(&etag),
            json!({"category": "astrology"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, ["category"]);
    let inc = app
        .change(token, &inc, json!({"category": "network"}))
        .await;
    assert_eq!(inc["category"], "network");

    // Requesters and viewers cannot patch.
    let etag = format!("\"{}\"", inc["version"]);
    app.patch(
        &app.rita.token,
        &incident_path(&inc),
        Some(&etag),
        json!({"title": "mine"}),
    )
    .await
    .problem(403, "forbidden");
    app.patch(
        &app.viewer.token,
        &incident_path(&inc),
        Some(&etag),
        json!({"title": "mine"}),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(
        app.incident(token, &id).await["title"],
        "Calendar sync broken for all"
    );
}
