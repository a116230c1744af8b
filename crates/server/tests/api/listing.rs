//! Listing incidents: filters, sorting, cursor pagination and full-text search. The same data
//! and the same expectations run on both engines, so their results must agree.

use std::collections::HashMap;

use serde_json::json;

use crate::harness::*;

on_both_engines! {
    filters_and_sorting => sqlite_filters_and_sorting, postgres_filters_and_sorting;
    pagination => sqlite_pagination, postgres_pagination;
    search => sqlite_search, postgres_search;
}

/// Seven incidents, labelled a..g in creation order, with some moved along.
struct Fixture {
    numbers: HashMap<char, String>,
}

impl Fixture {
    async fn load(app: &TestApp) -> Fixture {
        let token = &app.agent.token;
        let rows = [
            (
                'a',
                "Printer jammed on floor three",
                "Paper stuck in the tray.",
                "hardware",
                3,
                3,
            ),
            (
                'b',
                "Printers offline in building B",
                "Out of toner and paper.",
                "hardware",
                2,
                2,
            ),
            (
                'c',
                "Database connection refused",
                "The billing database refuses connections.",
                "database",
                1,
                1,
            ),
            (
                'd',
                "VPN drops every hour",
                "Remote staff lose the tunnel.",
                "network",
                2,
                3,
            ),
            (
                'e',
                "Email delivery delayed",
                "Outbound mail queues for an hour.",
                "software",
                1,
                2,
            ),
            (
                'f',
                "Paper tray empty",
                "The printer on floor two is out of paper.",
                "hardware",
                3,
                2,
            ),
            (
                'g',
                "Login page slow",
                "Sign-in takes a minute.",
                "software",
                2,
                1,
            ),
        ];
        let mut numbers = HashMap::new();
        let mut last = 0;
        for (label, title, description, category, impact, urgency) in rows {
            let inc = app
                .create(
                    token,
                    json!({"title": title, "description": description, "reporter": "rita",
                           "category": category, "impact": impact, "urgency": urgency}),
                )
                .await;
            let n = number_of(&inc);
            let value: i64 = n.trim_start_matches("INC-").parse().unwrap();
            assert!(value > last, "numbers grow: {n}");
            last = value;
            numbers.insert(label, n);
        }
        let f = Fixture { numbers };
        app.move_to(token, f.n('b'), json!({"to": "acknowledged"}))
            .await;
        app.move_to(token, f.n('c'), json!({"to": "in_progress"}))
            .await;
        app.move_to(
            token,
            f.n('d'),
            json!({"to": "on_hold", "reason": "awaiting_caller"}),
        )
        .await;
        app.move_to(
            token,
            f.n('g'),
            json!({"to": "resolved", "resolution_code": "known_error",
                   "resolution_notes": "Cache warmed."}),
        )
        .await;
        app.comment(
            token,
            f.n('d'),
            json!({"body": "The router firmware was upgraded overnight.",
                   "visibility": "public"}),
        )
        .await
        .expect(201);
        f
    }

    fn n(&self, label: char) -> &str {
        &self.numbers[&label]
    }

    /// The numbers of these labels, in this order.
    fn ns(&self, labels: &str) -> Vec<String> {
        labels.chars().map(|l| self.n(l).to_string()).collect()
    }
}

async fn filters_and_sorting(app: &TestApp) {
    let f = Fixture::load(app).await;
    let token = &app.agent.token;
    let set = |labels: &str| sorted(f.ns(labels));
    let find = |query: Vec<(&'static str, &'static str)>| async move {
        sorted(app.numbers(&app.agent.token, &query).await)
    };

    assert_eq!(find(vec![("status", "new")]).await, set("aef"));
    assert_eq!(find(vec![("status", "acknowledged")]).await, set("b"));
    assert_eq!(
        find(vec![("status", "in_progress,on_hold")]).await,
        set("cd")
    );
    assert_eq!(find(vec![("status", "resolved,closed")]).await, set("g"));
    assert_eq!(find(vec![("priority", "P1,P2")]).await, set("ceg"));
    assert_eq!(find(vec![("priority", "P4")]).await, set("df"));
    assert_eq!(find(vec![("category", "hardware")]).await, set("abf"));
    assert_eq!(
        find(vec![("category", "hardware, network")]).await,
        set("abdf")
    );
    assert_eq!(
        find(vec![("status", "new"), ("category", "hardware")]).await,
        set("af")
    );
    assert_eq!(
        find(vec![("status", "new"), ("priority", "P1")]).await,
        Vec::<String>::new()
    );
    // Items carry the whole incident.
    let page = app.list(token, &[("status", "on_hold")]).await;
    let item = &page["items"][0];
    assert_eq!(item["hold_reason"], "awaiting_caller");
    assert_eq!(item["reporter"]["name"], "rita");
    assert_eq!(item["priority"], "P4");
    assert!(page["next_cursor"].is_null());
    assert!(
        page.get("total").is_none(),
        "total only with include_total: {page}"
    );
    let page = app
        .list(token, &[("status", "new"), ("include_total", "true")])
        .await;
    assert_eq!(page["total"], 3);

    // Sorting; ties are broken by number in the same direction.
    assert_eq!(app.numbers(token, &[]).await, f.ns("gfedcba"));
    assert_eq!(
        app.numbers(token, &[("sort", "-created_at")]).await,
        f.ns("gfedcba")
    );
    assert_eq!(
        app.numbers(token, &[("sort", "created_at")]).await,
        f.ns("abcdefg")
    );
    assert_eq!(
        app.numbers(token, &[("sort", "number")]).await,
        f.ns("abcdefg")
    );
    assert_eq!(
        app.numbers(token, &[("sort", "-number")]).await,
        f.ns("gfedcba")
    );
    assert_eq!(
        app.numbers(token, &[("sort", "priority")]).await,
        f.ns("cegbdfa")
    );
    assert_eq!(
        app.numbers(token, &[("sort", "-priority")]).await,
        f.ns("afdbgec")
    );
    let page = app.list(token, &[("sort", "updated_at")]).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 7);
    for pair in items.windows(2) {
        assert!(
            utc_time(&pair[0]["updated_at"]) <= utc_time(&pair[1]["updated_at"]),
            "sorted by updated_at"
        );
    }
    assert_eq!(
        app.numbers(token, &[("sort", "-updated_at"), ("status", "new")])
            .await,
        f.ns("fea"),
        "untouched incidents keep their creation order"
    );

    // Bad parameters are named.
    for (query, field) in [
        (vec![("status", "new,sleeping")], "status"),
        (vec![("priority", "P7")], "priority"),
        (vec![("sort", "title")], "sort"),
        (vec![("limit", "0")], "limit"),
        (vec![("limit", "201")], "limit"),
        (vec![("cursor", "garbage!")], "cursor"),
    ] {
        let fields = app.list_reply(token, &query).await.invalid_fields();
        assert_eq!(fields, [field], "{query:?}");
    }
}

async fn pagination(app: &TestApp) {
    let f = Fixture::load(app).await;
    let token = &app.agent.token;

    // 7 incidents, 3 per page: 3 + 3 + 1, no overlap, all covered, in order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let mut q = vec![("limit", "3"), ("include_total", "true")];
        if let Some(c) = cursor.as_deref() {
            q.push(("cursor", c));
        }
        let page = app.list(token, &q).await;
        assert_eq!(page["total"], 7, "the total counts every match: {page}");
        let numbers = numbers_of(&page);
        sizes.push(numbers.len());
        seen.extend(numbers);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => {
                assert!(page["next_cursor"].is_null());
                break;
            }
        }
        assert!(sizes.len() < 10, "pagination ends");
    }
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(seen, f.ns("gfedcba"));

    // Every sort order paginates to the same sequence as one big page.
    for sort in ["priority", "-priority", "created_at", "number", "-number"] {
        let whole = app.numbers(token, &[("sort", sort)]).await;
        assert_eq!(whole.len(), 7);
        for limit in ["1", "2", "3"] {
            let paged = app
                .numbers(token, &[("sort", sort), ("limit", limit)])
                .await;
            assert_eq!(paged, whole, "sort={sort} limit={limit}");
        }
    }
    // With a filter, and a page that fits exactly: no next cursor.
    let page = app
        .list(token, &[("category", "hardware"), ("limit", "3")])
        .await;
    assert_eq!(numbers_of(&page), f.ns("fba"));
    assert!(page["next_cursor"].is_null(), "{page}");
    assert_eq!(
        app.numbers(token, &[("category", "hardware"), ("limit", "2")])
            .await,
        f.ns("fba")
    );
    // A requester paginates through her own incidents only.
    let mine = app
        .create(
            &app.rita.token,
            json!({"title": "Rita's own", "description": "x", "category": "software",
                   "impact": 3, "urgency": 3}),
        )
        .await;
    let rex_view = app.numbers(&app.rex.token, &[("limit", "1")]).await;
    assert_eq!(rex_view, Vec::<String>::new());
    let rita_view = app.numbers(&app.rita.token, &[("limit", "2")]).await;
    let mut expected = vec![number_of(&mine)];
    expected.extend(f.ns("gfedcba"));
    assert_eq!(rita_view, expected, "rita reported all of them");

    // A cursor belongs to its sort order.
    let page = app.list(token, &[("limit", "2")]).await;
    let c = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let fields = app
        .list_reply(token, &[("cursor", &c), ("sort", "priority")])
        .await
        .invalid_fields();
    assert_eq!(fields, ["cursor"]);
    // And resumes where it left off.
    let next = app.list(token, &[("cursor", &c), ("limit", "2")]).await;
    assert_eq!(numbers_of(&next), f.ns("fe"));
}

async fn search(app: &TestApp) {
    let f = Fixture::load(app).await;
    let token = &app.agent.token;
    let set = |labels: &str| sorted(f.ns(labels));
    let q = |text: &'static str| async move {
        sorted(app.numbers(&app.agent.token, &[("q", text)]).await)
    };

    // Stemming: plural and singular, in titles and descriptions, any case.
    assert_eq!(q("printers").await, set("abf"));
    assert_eq!(q("printer").await, set("abf"));
    assert_eq!(q("PRINTER").await, set("abf"));
    assert_eq!(q("connecting").await, set("c"));
    assert_eq!(q("hours").await, set("de"));
    // Every word must match.
    assert_eq!(q("printer jammed").await, set("a"));
    assert_eq!(q("out of paper").await, set("bf"));
    assert_eq!(q("printer database").await, Vec::<String>::new());
    // A quoted phrase matches consecutive words only.
    assert_eq!(q("\"out of paper\"").await, set("f"));
    assert_eq!(q("\"paper out\"").await, Vec::<String>::new());
    assert_eq!(q("\"floor three\" printer").await, set("a"));
    assert_eq!(q("\"floor three\" toner").await, Vec::<String>::new());
    // Public comments are searched too.
    assert_eq!(q("firmware").await, set("d"));
    assert_eq!(q("router tunnel").await, set("d"));
    // Search combines with filters, sorting, totals and pagination.
    let page = app
        .list(
            token,
            &[
                ("q", "printer"),
                ("status", "new"),
                ("include_total", "true"),
            ],
        )
        .await;
    assert_eq!(sorted(numbers_of(&page)), set("af"));
    assert_eq!(page["total"], 2);
    assert_eq!(
        app.numbers(
            token,
            &[("q", "printer"), ("sort", "priority"), ("limit", "1")]
        )
        .await,
        f.ns("bfa")
    );
    // Newest first, one per page: the pages follow each other without gaps or repeats.
    let mut newest_first = set("abf");
    newest_first.reverse();
    assert_eq!(
        app.numbers(token, &[("q", "printer"), ("limit", "1")])
            .await,
        newest_first
    );
    assert_eq!(
        app.numbers(token, &[("q", "printer"), ("limit", "2")])
            .await,
        newest_first
    );
    // A query without a word is refused.
    let fields = app
        .list_reply(token, &[("q", "\"\" !!")])
        .await
        .invalid_fields();
    assert_eq!(fields, ["q"]);
    // New text is searchable at once; changed text is no longer found under its old words.
    let a = app.incident(token, f.n('a')).await;
    app.change(token, &a, json!({"title": "Plotter jammed on floor three"}))
        .await;
    assert_eq!(q("plotter").await, set("a"));
    assert_eq!(q("printer").await, set("bf"));
}
