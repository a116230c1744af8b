//! Tests of the SLA domain: hand-made calendar cases around weekends, holidays and DST changes,
//! policies, the clocks and the reconciler; property tests of the calendar arithmetic against a
//! minute-by-minute reference, and of clocks driven through random incident histories.

use jiff::tz::TimeZone;
use jiff::{Timestamp, civil};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::clock::Millis;
use crate::incident::{CommandContext, NewIncident};
use crate::oncall::Day;
use crate::priority::{Impact, PriorityMatrix, Urgency};
use crate::timeline::Actor;

const SECOND: Millis = 1_000;
const MINUTE: Millis = 60 * SECOND;
const HOUR: Millis = 60 * MINUTE;
const DAY: Millis = 24 * HOUR;

const WEEKDAYS: [Day; 5] = [
    Day::Monday,
    Day::Tuesday,
    Day::Wednesday,
    Day::Thursday,
    Day::Friday,
];
const ALL_DAYS: [Day; 7] = [
    Day::Monday,
    Day::Tuesday,
    Day::Wednesday,
    Day::Thursday,
    Day::Friday,
    Day::Saturday,
    Day::Sunday,
];

/// A wall-clock datetime in a zone as an instant (compatible disambiguation).
fn local(zone: &str, dt: &str) -> Millis {
    dt.parse::<civil::DateTime>()
        .unwrap()
        .in_tz(zone)
        .unwrap()
        .timestamp()
        .as_millisecond()
}

fn berlin(dt: &str) -> Millis {
    local("Europe/Berlin", dt)
}

fn time(t: &str) -> civil::Time {
    t.parse().unwrap()
}

fn date(d: &str) -> civil::Date {
    d.parse().unwrap()
}

fn hours(days: &[Day], start: &str, end: &str) -> Vec<WorkingHours> {
    days.iter()
        .map(|&day| WorkingHours {
            day,
            start: time(start),
            end: time(end),
        })
        .collect()
}

fn calendar(zone: &str, hours: Vec<WorkingHours>) -> BusinessCalendar {
    BusinessCalendar {
        id: Uuid::from_u128(0xca1),
        name: "Office".into(),
        time_zone: zone.into(),
        always_open: false,
        hours,
        holidays: Vec::new(),
    }
}

fn holiday(name: &str, start: &str, end: &str) -> Holiday {
    Holiday {
        name: name.into(),
        start: date(start),
        end: date(end),
    }
}

/// Monday to Friday, 09:00 to 18:00, Berlin.
fn office() -> BusinessCalendar {
    calendar("Europe/Berlin", hours(&WEEKDAYS, "09:00", "18:00"))
}

/// Every day from midnight to midnight as windows in a zone.
fn all_day_windows(zone: &str) -> BusinessCalendar {
    calendar(zone, hours(&ALL_DAYS, "00:00", "00:00"))
}

// ---------------------------------------------------------------------------------------------
// Calendars

#[test]
fn four_business_hours_from_friday_afternoon_end_monday_noon() {
    let cal = office();
    let friday = berlin("2026-11-27T17:00");
    assert_eq!(
        cal.add_business_ms(friday, 4 * HOUR),
        Some(berlin("2026-11-30T12:00"))
    );
    assert_eq!(
        cal.business_ms(friday, berlin("2026-11-30T12:00")),
        4 * HOUR
    );
    let mut with_holiday = office();
    with_holiday
        .holidays
        .push(holiday("Founders' Day", "2026-11-30", "2026-11-30"));
    assert_eq!(
        with_holiday.add_business_ms(friday, 4 * HOUR),
        Some(berlin("2026-12-01T12:00"))
    );
    assert_eq!(
        with_holiday.closed_reason(berlin("2026-11-30T10:00")),
        Some("holiday: Founders' Day".into())
    );
    assert_eq!(
        cal.closed_reason(berlin("2026-11-28T10:00")),
        Some("outside business hours".into())
    );
    assert_eq!(cal.closed_reason(berlin("2026-11-30T10:00")), None);
}

#[test]
fn adding_lands_on_the_first_instant_and_zero_is_the_start() {
    let cal = office();
    let saturday = berlin("2026-11-28T10:00");
    assert_eq!(cal.add_business_ms(saturday, 0), Some(saturday));
    // One hour from Friday 17:00 ends at Friday 18:00, not on Monday morning.
    assert_eq!(
        cal.add_business_ms(berlin("2026-11-27T17:00"), HOUR),
        Some(berlin("2026-11-27T18:00"))
    );
    assert_eq!(
        cal.add_business_ms(saturday, 1),
        Some(berlin("2026-11-30T09:00") + 1)
    );
}

#[test]
fn whole_days_count_their_real_length_across_dst() {
    let cases = [
        ("Europe/Berlin", "2026-03-29", "2026-03-30", 23 * HOUR),
        ("Europe/Berlin", "2026-10-25", "2026-10-26", 25 * HOUR),
        ("America/New_York", "2026-03-08", "2026-03-09", 23 * HOUR),
        ("America/New_York", "2026-11-01", "2026-11-02", 25 * HOUR),
        (
            "Australia/Lord_Howe",
            "2026-04-05",
            "2026-04-06",
            24 * HOUR + 30 * MINUTE,
        ),
        (
            "Australia/Lord_Howe",
            "2026-10-04",
            "2026-10-05",
            23 * HOUR + 30 * MINUTE,
        ),
    ];
    for (zone, day, next, length) in cases {
        let cal = all_day_windows(zone);
        let (a, b) = (
            local(zone, &format!("{day}T00:00")),
            local(zone, &format!("{next}T00:00")),
        );
        assert_eq!(b - a, length, "{zone} {day}");
        assert_eq!(cal.business_ms(a, b), length, "{zone} {day}");
        // Across the change from mid-week to mid-week: exactly the real elapsed time.
        let (from, to) = (a - 3 * DAY - 17 * MINUTE, b + 2 * DAY + 5 * MINUTE);
        assert_eq!(cal.business_ms(from, to), to - from, "{zone} {day}");
        assert_eq!(
            cal.open_intervals(from, to),
            vec![(from, to)],
            "{zone} {day}"
        );
        assert_eq!(
            cal.add_business_ms(from, to - from),
            Some(to),
            "{zone} {day}"
        );
    }
}

#[test]
fn a_window_containing_the_skipped_hour_is_an_hour_shorter() {
    let cal = calendar("Europe/Berlin", hours(&[Day::Sunday], "01:00", "04:00"));
    let (a, b) = (berlin("2026-03-29T00:00"), berlin("2026-03-30T00:00"));
    assert_eq!(cal.business_ms(a, b), 2 * HOUR);
    assert_eq!(
        cal.open_intervals(a, b),
        vec![(berlin("2026-03-29T01:00"), berlin("2026-03-29T04:00"))]
    );
    // The week before and after: three hours.
    assert_eq!(cal.business_ms(a - 7 * DAY, a), 3 * HOUR);
    // The repeated hour in October counts twice.
    let (a, b) = (berlin("2026-10-25T00:00"), berlin("2026-10-26T00:00"));
    assert_eq!(cal.business_ms(a, b), 4 * HOUR);
    // Office hours stay 09:00-18:00 local on both change days.
    let office = calendar("Europe/Berlin", hours(&[Day::Sunday], "09:00", "18:00"));
    for day in ["2026-03-29", "2026-10-25"] {
        let (a, b) = (
            berlin(&format!("{day}T00:00")),
            berlin(&format!("{day}T23:59")),
        );
        assert_eq!(
            office.open_intervals(a, b),
            vec![(
                berlin(&format!("{day}T09:00")),
                berlin(&format!("{day}T18:00"))
            )]
        );
    }
}

#[test]
fn a_holiday_week_is_skipped() {
    let mut cal = office();
    cal.holidays
        .push(holiday("Winter break", "2026-12-21", "2026-12-27"));
    let friday = berlin("2026-12-18T17:30");
    assert_eq!(
        cal.add_business_ms(friday, HOUR),
        Some(berlin("2026-12-28T09:30"))
    );
    assert_eq!(cal.business_ms(friday, berlin("2026-12-28T09:30")), HOUR);
    let spans = cal.spans(berlin("2026-12-18T17:00"), berlin("2026-12-28T10:00"));
    let reasons: Vec<(&str, bool)> = spans.iter().map(|s| (s.reason.as_str(), s.open)).collect();
    assert_eq!(
        reasons,
        [
            ("business hours", true),
            ("outside business hours", false),
            ("holiday: Winter break", false),
            ("outside business hours", false),
            ("business hours", true),
        ]
    );
    assert_eq!(spans[2].from, berlin("2026-12-21T00:00"));
    assert_eq!(spans[2].to, berlin("2026-12-28T00:00"));
}

#[test]
fn a_calendar_that_never_opens() {
    let cal = calendar("Europe/Berlin", Vec::new());
    assert_eq!(cal.add_business_ms(0, 1), None);
    assert_eq!(cal.add_business_ms(0, 0), Some(0));
    assert_eq!(cal.business_ms(0, 400 * DAY), 0);
    assert!(cal.open_intervals(0, 400 * DAY).is_empty());
    assert!(cal.validate().is_ok());
    // Open only on holidays' dates: closed for good.
    let mut always_on_holiday = BusinessCalendar::always(Uuid::nil());
    always_on_holiday
        .holidays
        .push(holiday("Forever", "2020-01-01", "2040-12-31"));
    assert_eq!(
        always_on_holiday.add_business_ms(berlin("2026-01-01T00:00"), 1),
        None
    );
}

#[test]
fn always_counts_everything_but_holidays() {
    let cal = BusinessCalendar::always(Uuid::nil());
    assert_eq!(cal.business_ms(5, 5 + 400 * DAY), 400 * DAY);
    assert_eq!(cal.business_ms(10, 5), 0);
    assert_eq!(cal.closed_reason(12345), None);
    assert_eq!(cal.spans(0, HOUR)[0].reason, "24x7");
    let mut with_holiday = cal.clone();
    with_holiday
        .holidays
        .push(holiday("Christmas Day", "2026-12-25", "2026-12-25"));
    let (a, b) = (
        local("UTC", "2026-12-24T12:00"),
        local("UTC", "2026-12-26T12:00"),
    );
    assert_eq!(with_holiday.business_ms(a, b), DAY);
    assert_eq!(
        with_holiday.closed_reason(local("UTC", "2026-12-25T08:00")),
        Some("holiday: Christmas Day".into())
    );
}

#[test]
fn overlapping_windows_and_holidays_are_merged() {
    let mut cal = calendar(
        "UTC",
        [
            hours(&[Day::Monday], "09:00", "12:00"),
            hours(&[Day::Monday], "11:00", "14:00"),
            hours(&[Day::Monday], "14:00", "15:00"),
        ]
        .concat(),
    );
    let monday = local("UTC", "2026-11-30T00:00");
    assert_eq!(
        cal.open_intervals(monday, monday + DAY),
        vec![(monday + 9 * HOUR, monday + 15 * HOUR)]
    );
    cal.holidays
        .push(holiday("Long", "2026-11-29", "2026-12-02"));
    cal.holidays
        .push(holiday("Short", "2026-11-30", "2026-11-30"));
    assert_eq!(
        cal.closed_reason(monday + 10 * HOUR),
        Some("holiday: Long".into())
    );
    assert_eq!(
        cal.business_ms(monday - 7 * DAY, monday + 7 * DAY),
        6 * HOUR
    );
}

#[test]
fn a_year_is_quick() {
    let cal = office();
    let from = berlin("2026-01-01T00:00");
    let to = berlin("2027-01-01T00:00");
    let start = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..100 {
        total = cal.business_ms(from, to);
    }
    // 2026 has 261 weekdays.
    assert_eq!(total, 261 * 9 * HOUR);
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn calendar_validation_names_every_field() {
    let mut cal = office();
    cal.name = " ".into();
    cal.time_zone = "Mars/Olympus".into();
    cal.hours.push(WorkingHours {
        day: Day::Monday,
        start: time("18:00"),
        end: time("09:00"),
    });
    cal.holidays.push(holiday("", "2026-12-25", "2026-12-24"));
    let fields: Vec<String> = cal
        .validate()
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "time_zone",
            "hours[5].end",
            "holidays[0].name",
            "holidays[0].end"
        ]
    );
    let mut midnight = office();
    midnight.hours = hours(&[Day::Friday], "18:00", "00:00");
    assert!(midnight.validate().is_ok());
    assert!(BusinessCalendar::always(Uuid::nil()).validate().is_ok());
}

#[test]
fn calendar_json_needs_only_name_and_zone() {
    let cal: BusinessCalendar = serde_json::from_value(serde_json::json!({
        "id": Uuid::from_u128(1),
        "name": "Berlin office",
        "time_zone": "Europe/Berlin",
        "hours": [{"day": "monday", "start": "09:00", "end": "17:30"}],
        "holidays": [{"name": "New Year", "start": "2027-01-01", "end": "2027-01-01"}],
    }))
    .unwrap();
    assert!(!cal.always_open);
    assert_eq!(cal.hours[0].end, time("17:30"));
    let round: BusinessCalendar =
        serde_json::from_value(serde_json::to_value(&cal).unwrap()).unwrap();
    assert_eq!(round, cal);
}

// ---------------------------------------------------------------------------------------------
// Policies

fn policy(
    name: &str,
    priorities: &[u8],
    response: Option<i64>,
    resolution: Option<i64>,
) -> SlaPolicy {
    let mut p: SlaPolicy = serde_json::from_value(serde_json::json!({ "name": name })).unwrap();
    p.id = Uuid::from_u128(name.bytes().fold(0u128, |h, b| h * 31 + u128::from(b)));
    p.conditions.priorities = priorities
        .iter()
        .map(|&l| Priority::from_level(i64::from(l)).unwrap())
        .collect();
    p.response_seconds = response;
    p.resolution_seconds = resolution;
    p
}

#[test]
fn policy_json_needs_only_name_and_targets() {
    let p: SlaPolicy = serde_json::from_value(serde_json::json!({
        "name": "Standard",
        "resolution_seconds": 14400,
    }))
    .unwrap();
    assert_eq!(p.resolution_seconds, Some(14_400));
    assert_eq!(p.response_seconds, None);
    assert_eq!(p.warnings, [50, 75]);
    assert_eq!(
        p.pause_on,
        [HoldReason::AwaitingCaller, HoldReason::AwaitingVendor]
    );
    assert_eq!(p.actions, SlaPolicy::default_actions());
    assert_eq!(p.on_reopen, ReopenRule::Continue);
    assert_eq!(p.specificity(), 0);
    assert!(p.validate().is_ok());
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["on_reopen"], "continue");
    assert_eq!(json["actions"][0]["action"]["kind"], "notify_assignee");
    let tagged: SlaAction = serde_json::from_value(serde_json::json!({
        "at_percent": 100, "action": {"kind": "add_tag", "tag": "sla-breached"}
    }))
    .unwrap();
    assert_eq!(
        tagged.action,
        SlaActionKind::AddTag {
            tag: "sla-breached".into()
        }
    );
}

#[test]
fn policy_validation_names_every_field() {
    let mut p = policy("", &[], None, None);
    p.warnings = vec![75, 50, 0];
    p.actions.push(SlaAction {
        at_percent: 100,
        action: SlaActionKind::AddTag { tag: " ".into() },
    });
    let fields: Vec<String> = p
        .validate()
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "resolution_seconds",
            "warnings",
            "actions[4].action.tag"
        ]
    );

    let mut p = policy("x", &[], Some(0), Some(MAX_TARGET + 1));
    p.warnings = vec![50, 50];
    p.actions = vec![SlaAction {
        at_percent: 80,
        action: SlaActionKind::Escalate,
    }];
    let fields: Vec<String> = p
        .validate()
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(
        fields,
        [
            "response_seconds",
            "resolution_seconds",
            "warnings",
            "actions[0].at_percent"
        ]
    );
}

const MAX_TARGET: i64 = policy::MAX_TARGET_SECONDS;

fn new_incident(priority: u8, at: Millis) -> Incident {
    let matrix = PriorityMatrix::default();
    let codes: Vec<String> = Vec::new();
    let ctx = CommandContext {
        now: at,
        actor: Actor::user(Uuid::from_u128(7), "alice"),
        matrix: &matrix,
        resolution_codes: &codes,
    };
    let new = NewIncident {
        title: Some("Mail server down".into()),
        description: Some("Nobody can send mail".into()),
        reporter_id: Some(Uuid::from_u128(1)),
        category: Some("software".into()),
        impact: Some(Impact::new(2).unwrap()),
        urgency: Some(Urgency::new(2).unwrap()),
        ..Default::default()
    };
    let mut inc = Incident::open(Uuid::from_u128(99), new, &ctx).unwrap().0;
    inc.priority = Priority::from_level(i64::from(priority)).unwrap();
    inc
}

#[test]
fn the_most_specific_policy_wins_then_order_then_name() {
    let service = Uuid::from_u128(5);
    let mut inc = new_incident(2, 0);
    inc.service_id = Some(service);
    let any = policy("Any", &[], None, Some(3600));
    let mut p2 = policy("P2", &[2], None, Some(3600));
    let mut p2_mail = policy("P2 mail", &[2], None, Some(3600));
    p2_mail.conditions.service_ids = vec![service];
    p2_mail.conditions.categories = vec!["SOFTWARE".into()];
    let mut other_team = policy("P2 other team", &[2], None, Some(3600));
    other_team.conditions.team_ids = vec![Uuid::from_u128(6)];
    other_team.conditions.service_ids = vec![service];
    other_team.conditions.categories = vec!["software".into()];
    assert!(!other_team.matches(&inc));
    assert_eq!(p2_mail.specificity(), 3);

    let all = [any.clone(), p2.clone(), p2_mail.clone(), other_team];
    assert_eq!(matching_policy(&all, &inc).unwrap().name, "P2 mail");
    inc.priority = Priority::P1;
    assert_eq!(matching_policy(&all, &inc).unwrap().name, "Any");

    inc.priority = Priority::from_level(2).unwrap();
    p2.order = 1;
    let mut p2b = policy("P2 b", &[2], None, Some(3600));
    p2b.order = 1;
    let mut p2a = policy("P2 z", &[2], None, Some(3600));
    p2a.order = 0;
    assert_eq!(
        matching_policy(&[p2.clone(), p2b.clone(), p2a], &inc)
            .unwrap()
            .name,
        "P2 z"
    );
    assert_eq!(matching_policy(&[p2b, p2], &inc).unwrap().name, "P2");
    assert!(matching_policy(&[], &inc).is_none());
}

// ---------------------------------------------------------------------------------------------
// Clocks and the reconciler

const OFFICE_ID: Uuid = Uuid::from_u128(0xca1);

/// P1: 1 h, P2: 30 min response and 4 h resolution on the office calendar, P3: 8 h (24x7).
fn office_policies() -> Vec<SlaPolicy> {
    let p1 = policy("Critical", &[1], None, Some(3_600));
    let mut p2 = policy("Standard", &[2], Some(1_800), Some(4 * 3_600));
    p2.calendar_id = Some(OFFICE_ID);
    let p3 = policy("Low", &[3], None, Some(8 * 3_600));
    vec![p1, p2, p3]
}

fn ids() -> impl FnMut() -> Uuid {
    let mut n = 0x1000u128;
    move || {
        n += 1;
        Uuid::from_u128(n)
    }
}

/// An incident's life with its clocks, for driving the reconciler in tests.
struct Life {
    policies: Vec<SlaPolicy>,
    calendars: Vec<BusinessCalendar>,
    inc: Incident,
    clocks: Vec<SlaInstance>,
    next_id: Box<dyn FnMut() -> Uuid>,
}

impl Life {
    fn start(policies: Vec<SlaPolicy>, priority: u8, at: Millis) -> (Self, Vec<String>) {
        let inc = new_incident(priority, at);
        let mut life = Life {
            policies,
            calendars: vec![office()],
            inc: inc.clone(),
            clocks: Vec::new(),
            next_id: Box::new(ids()),
        };
        let cfg = SlaConfig {
            policies: &life.policies,
            calendars: &life.calendars,
        };
        let notes = reconcile(&cfg, None, &inc, &mut life.clocks, at, &mut life.next_id);
        (life, notes.into_iter().map(|n| n.text).collect())
    }

    fn cfg(&self) -> SlaConfig<'_> {
        SlaConfig {
            policies: &self.policies,
            calendars: &self.calendars,
        }
    }

    /// Applies a change to the incident at `now`, reconciles, and checks idempotence.
    fn write(&mut self, now: Millis, change: impl FnOnce(&mut Incident)) -> Vec<String> {
        let before = self.inc.clone();
        change(&mut self.inc);
        let cfg = SlaConfig {
            policies: &self.policies,
            calendars: &self.calendars,
        };
        let notes = reconcile(
            &cfg,
            Some(&before),
            &self.inc,
            &mut self.clocks,
            now,
            &mut self.next_id,
        );
        let settled = self.clocks.clone();
        let again = reconcile(
            &cfg,
            Some(&self.inc),
            &self.inc,
            &mut self.clocks,
            now,
            &mut self.next_id,
        );
        assert!(again.is_empty(), "not idempotent: {again:?}");
        assert_eq!(self.clocks, settled);
        notes.into_iter().map(|n| n.text).collect()
    }

    fn clock(&self, kind: SlaKind) -> &SlaInstance {
        self.clocks.iter().rev().find(|c| c.kind == kind).unwrap()
    }

    fn calendar_of(&self, inst: &SlaInstance) -> BusinessCalendar {
        self.cfg().calendar(inst.calendar_id)
    }
}

fn set_status(inc: &mut Incident, status: Status, at: Millis) {
    if inc.status == Status::New && inc.acknowledged_at.is_none() {
        inc.acknowledged_at = Some(at);
    }
    if inc.status == Status::Resolved && status == Status::InProgress {
        inc.reopen_count += 1;
        inc.resolved_at = None;
    }
    inc.hold_reason = None;
    match status {
        Status::Resolved => inc.resolved_at = Some(at),
        Status::Closed => inc.closed_at = Some(at),
        Status::Canceled => inc.canceled_at = Some(at),
        _ => {}
    }
    inc.status = status;
}

fn hold(inc: &mut Incident, reason: HoldReason, at: Millis) {
    set_status(inc, Status::OnHold, at);
    inc.hold_reason = Some(reason);
}

#[test]
fn office_hours_clock_pauses_on_vendor_and_explains_itself() {
    let friday = berlin("2026-11-27T17:00");
    let (mut life, notes) = Life::start(office_policies(), 2, friday);
    assert_eq!(
        notes,
        [
            "Response SLA started: 30 min (P2, Standard)",
            "Resolution SLA started: 4 h (P2, Standard)"
        ]
    );
    let res = life.clock(SlaKind::Resolution).clone();
    let cal = life.calendar_of(&res);
    assert_eq!(res.started_at, friday);
    assert_eq!(res.due_at(&cal), Some(berlin("2026-11-30T12:00")));
    assert_eq!(
        life.clock(SlaKind::Response).due_at(&cal),
        Some(berlin("2026-11-27T17:30"))
    );

    // Acknowledged ten minutes in: the response clock is met.
    let ack = berlin("2026-11-27T17:10");
    let notes = life.write(ack, |i| set_status(i, Status::Acknowledged, ack));
    assert_eq!(notes, ["Response SLA met (10 min of 30 min)"]);
    let response = life.clock(SlaKind::Response);
    assert_eq!(response.state, SlaState::Met);
    assert_eq!(response.stopped_at, Some(ack));
    assert_eq!(response.due_at(&cal), None);

    // Two business hours waiting for the vendor on Monday.
    let held = berlin("2026-11-30T09:30");
    let notes = life.write(held, |i| hold(i, HoldReason::AwaitingVendor, held));
    assert_eq!(notes, ["Resolution SLA paused: awaiting vendor"]);
    let res = life.clock(SlaKind::Resolution);
    assert_eq!(res.state, SlaState::Paused);
    assert_eq!(res.due_at(&cal), None);
    assert_eq!(
        res.elapsed_ms(&cal, berlin("2026-11-30T11:00")),
        90 * MINUTE
    );

    let back = berlin("2026-11-30T11:30");
    let notes = life.write(back, |i| set_status(i, Status::InProgress, back));
    assert_eq!(notes, ["Resolution SLA resumed"]);
    let res = life.clock(SlaKind::Resolution);
    assert_eq!(res.state, SlaState::Running);
    assert_eq!(res.due_at(&cal), Some(berlin("2026-11-30T14:00")));

    let now = berlin("2026-11-30T12:00");
    let why = res.why(&cal, now);
    let why: Vec<(Millis, Millis, bool, &str)> = why
        .iter()
        .map(|w| (w.from, w.to, w.counted, w.reason.as_str()))
        .collect();
    assert_eq!(
        why,
        [
            (friday, berlin("2026-11-27T18:00"), true, "business hours"),
            (
                berlin("2026-11-27T18:00"),
                berlin("2026-11-30T09:00"),
                false,
                "outside business hours"
            ),
            (berlin("2026-11-30T09:00"), held, true, "business hours"),
            (held, back, false, "paused: awaiting vendor"),
            (back, now, true, "business hours"),
        ]
    );
    assert_eq!(res.elapsed_ms(&cal, now), 2 * HOUR);
    assert_eq!(res.remaining_ms(&cal, now), 2 * HOUR);

    // Resolved before the target.
    let done = berlin("2026-11-30T13:00");
    let notes = life.write(done, |i| set_status(i, Status::Resolved, done));
    assert_eq!(notes, ["Resolution SLA met (3 h of 4 h)"]);
    assert_eq!(life.clock(SlaKind::Resolution).state, SlaState::Met);
    // Closing changes nothing.
    let closed = done + DAY;
    assert!(
        life.write(closed, |i| set_status(i, Status::Closed, closed))
            .is_empty()
    );
}

#[test]
fn awaiting_change_does_not_pause() {
    let t0 = local("UTC", "2026-06-01T08:00");
    let (mut life, _) = Life::start(office_policies(), 3, t0);
    let notes = life.write(t0 + HOUR, |i| {
        hold(i, HoldReason::AwaitingChange, t0 + HOUR)
    });
    assert!(notes.is_empty());
    let res = life.clock(SlaKind::Resolution);
    assert_eq!(res.state, SlaState::Running);
    let cal = life.calendar_of(res);
    assert_eq!(res.due_at(&cal), Some(t0 + 8 * HOUR));
    assert_eq!(res.segments.len(), 1);
}

#[test]
fn the_response_clock_pauses_when_automation_holds_a_new_incident() {
    let mut policies = office_policies();
    policies[0].response_seconds = Some(900);
    let t0 = local("UTC", "2026-06-01T08:00");
    let (mut life, _) = Life::start(policies, 1, t0);
    let notes = life.write(t0 + MINUTE, |i| {
        i.status = Status::OnHold;
        i.hold_reason = Some(HoldReason::AwaitingCaller);
    });
    assert_eq!(
        notes,
        [
            "Response SLA paused: awaiting caller",
            "Resolution SLA paused: awaiting caller"
        ]
    );
    let notes = life.write(t0 + 10 * MINUTE, |i| {
        set_status(i, Status::InProgress, t0 + 10 * MINUTE)
    });
    assert_eq!(
        notes,
        [
            "Response SLA met (1 min of 15 min)",
            "Resolution SLA resumed"
        ]
    );
}

#[test]
fn created_acknowledged_or_on_hold() {
    let t0 = local("UTC", "2026-06-01T08:00");
    let policies = office_policies();
    let mut inc = new_incident(2, t0);
    inc.status = Status::InProgress;
    inc.acknowledged_at = Some(t0);
    let cfg = SlaConfig {
        policies: &policies,
        calendars: &[],
    };
    let mut clocks = Vec::new();
    let notes = reconcile(&cfg, None, &inc, &mut clocks, t0, &mut ids());
    assert_eq!(clocks.len(), 2);
    assert_eq!(clocks[0].state, SlaState::Met);
    assert_eq!(notes[1].text, "Response SLA met (0 s of 30 min)");
    assert_eq!(clocks[1].state, SlaState::Running);
    // Creating twice does not start more clocks.
    assert!(reconcile(&cfg, None, &inc, &mut clocks, t0, &mut ids()).is_empty());
    assert_eq!(clocks.len(), 2);

    let mut inc = new_incident(3, t0);
    hold(&mut inc, HoldReason::AwaitingVendor, t0);
    let mut clocks = Vec::new();
    let notes = reconcile(&cfg, None, &inc, &mut clocks, t0, &mut ids());
    assert_eq!(
        notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
        [
            "Resolution SLA started: 8 h (P3, Low)",
            "Resolution SLA paused: awaiting vendor"
        ]
    );
    assert_eq!(clocks[0].state, SlaState::Paused);
    assert_eq!(
        clocks[0].segments,
        [Segment::paused(t0, "paused: awaiting vendor")]
    );

    // No policy: no clocks.
    let inc = new_incident(5, t0);
    let mut clocks = Vec::new();
    assert!(reconcile(&cfg, None, &inc, &mut clocks, t0, &mut ids()).is_empty());
    assert!(clocks.is_empty());
}

#[test]
fn a_priority_change_keeps_the_time_spent_and_changes_the_target() {
    let t0 = local("UTC", "2026-06-01T08:00");
    let (mut life, _) = Life::start(office_policies(), 3, t0);
    life.clocks[0].fired.push(50);
    // 30 minutes in, P3 (8 h) becomes P1 (1 h).
    let notes = life.write(t0 + 30 * MINUTE, |i| i.priority = Priority::P1);
    assert_eq!(
        notes,
        ["Resolution SLA target changed P3→P1 (8 h → 1 h, policy Critical)"]
    );
    let res = life.clock(SlaKind::Resolution);
    let cal = life.calendar_of(res);
    assert_eq!(res.target_seconds, 3_600);
    assert_eq!(res.priority, Priority::P1);
    assert_eq!(res.policy_name, "Critical");
    assert_eq!(res.elapsed_ms(&cal, t0 + 30 * MINUTE), 30 * MINUTE);
    assert_eq!(res.due_at(&cal), Some(t0 + HOUR));
    // 50 % of the new target is reached exactly now: it stays fired.
    assert_eq!(res.fired, [50]);
    assert_eq!(life.clocks.len(), 1);

    // Back to P3 after two hours: no longer breached by the 8 h target, 25 %: 50 fires again.
    let mut life2 = Life::start(office_policies(), 1, t0).0;
    life2.clocks[0].fired.extend([50, 75, 100]);
    let cal = BusinessCalendar::always(Uuid::nil());
    assert!(life2.clocks[0].mark_breached(&cal, t0 + 2 * HOUR));
    assert_eq!(life2.clocks[0].breached_at, Some(t0 + HOUR));
    assert!(!life2.clocks[0].mark_breached(&cal, t0 + 3 * HOUR));
    let notes = life2.write(t0 + 2 * HOUR, |i| {
        i.priority = Priority::from_level(3).unwrap()
    });
    assert_eq!(
        notes,
        ["Resolution SLA target changed P1→P3 (1 h → 8 h, policy Low)"]
    );
    let res = life2.clock(SlaKind::Resolution);
    assert_eq!(res.state, SlaState::Running);
    assert_eq!(res.breached_at, None);
    assert!(res.fired.is_empty());

    // And up again past the target: breached when the old time reached the new target.
    let notes = life2.write(t0 + 3 * HOUR, |i| i.priority = Priority::P1);
    assert_eq!(
        notes,
        [
            "Resolution SLA target changed P3→P1 (8 h → 1 h, policy Critical)",
            "Resolution SLA breached (target 1 h)"
        ]
    );
    let res = life2.clock(SlaKind::Resolution);
    assert_eq!(res.state, SlaState::Breached);
    assert_eq!(res.breached_at, Some(t0 + HOUR));
    assert_eq!(res.due_at(&cal), Some(t0 + HOUR));

    // No policy for P5: the clocks stay as they were.
    let before = life2.clocks.clone();
    assert!(
        life2
            .write(t0 + 4 * HOUR, |i| i.priority = Priority::P5)
            .is_empty()
    );
    assert_eq!(life2.clocks, before);
}

#[test]
fn same_policy_other_priority_keeps_the_target() {
    let t0 = local("UTC", "2026-06-01T08:00");
    let policies = vec![policy("All urgent", &[1, 2], None, Some(7_200))];
    let (mut life, _) = Life::start(policies, 2, t0);
    assert!(
        life.write(t0 + MINUTE, |i| i.priority = Priority::P1)
            .is_empty()
    );
    assert_eq!(
        life.clock(SlaKind::Resolution).priority,
        Priority::from_level(2).unwrap()
    );
}

#[test]
fn a_policy_match_starts_missing_clocks_and_cancels_untargeted_ones() {
    let t0 = local("UTC", "2026-06-01T08:00");
    let mut policies = office_policies();
    policies[2].response_seconds = Some(600);
    let (mut life, _) = Life::start(policies, 5, t0);
    assert!(life.clocks.is_empty());
    let notes = life.write(t0 + HOUR, |i| i.priority = Priority::from_level(3).unwrap());
    assert_eq!(
        notes,
        [
            "Response SLA started: 10 min (P3, Low)",
            "Resolution SLA started: 8 h (P3, Low)"
        ]
    );
    assert_eq!(life.clock(SlaKind::Response).started_at, t0 + HOUR);
    // P1 has no response target: the running response clock is canceled.
    let notes = life.write(t0 + 2 * HOUR, |i| i.priority = Priority::P1);
    assert_eq!(
        notes,
        [
            "Response SLA canceled: policy Critical sets no response target",
            "Resolution SLA target changed P3→P1 (8 h → 1 h, policy Critical)",
            "Resolution SLA breached (target 1 h)"
        ]
    );
    assert_eq!(life.clock(SlaKind::Response).state, SlaState::Canceled);
}

#[test]
fn reopen_continues_or_restarts() {
    let t0 = local("UTC", "2026-06-01T08:00");
    for rule in [ReopenRule::Continue, ReopenRule::Restart] {
        let mut policies = office_policies();
        policies[2].on_reopen = rule;
        let (mut life, _) = Life::start(policies, 3, t0);
        life.clocks[0].fired.push(50);
        let resolved = t0 + 5 * HOUR;
        let notes = life.write(resolved, |i| set_status(i, Status::Resolved, resolved));
        assert_eq!(notes, ["Resolution SLA met (5 h of 8 h)"]);
        let reopened = t0 + 7 * HOUR;
        let notes = life.write(reopened, |i| set_status(i, Status::InProgress, reopened));
        let cal = BusinessCalendar::always(Uuid::nil());
        match rule {
            ReopenRule::Continue => {
                assert_eq!(notes, ["Resolution SLA resumed on reopen"]);
                assert_eq!(life.clocks.len(), 1);
                let res = &life.clocks[0];
                assert_eq!(res.state, SlaState::Running);
                assert_eq!(res.stopped_at, None);
                assert_eq!(res.elapsed_ms(&cal, reopened + HOUR), 6 * HOUR);
                assert_eq!(res.due_at(&cal), Some(reopened + 3 * HOUR));
                assert_eq!(res.fired, [50]);
                let why = res.why(&cal, reopened + HOUR);
                assert_eq!(why.len(), 3);
                assert_eq!(
                    (
                        why[1].from,
                        why[1].to,
                        why[1].counted,
                        why[1].reason.as_str()
                    ),
                    (resolved, reopened, false, "resolved")
                );
            }
            ReopenRule::Restart => {
                assert_eq!(notes, ["Resolution SLA restarted on reopen: 8 h (P3, Low)"]);
                assert_eq!(life.clocks.len(), 2);
                assert_eq!(life.clocks[0].state, SlaState::Met);
                assert_eq!(life.clocks[0].stopped_at, Some(resolved));
                let new = &life.clocks[1];
                assert_eq!(new.started_at, reopened);
                assert!(new.fired.is_empty());
                assert_eq!(new.due_at(&cal), Some(reopened + 8 * HOUR));
            }
        }
        // Resolved again: the current clock stops.
        let again = reopened + 2 * HOUR;
        let notes = life.write(again, |i| set_status(i, Status::Resolved, again));
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with("Resolution SLA met"));
    }
}

#[test]
fn a_breached_clock_keeps_counting_and_stays_breached() {
    let t0 = local("UTC", "2026-06-01T08:00");
    let (mut life, _) = Life::start(office_policies(), 1, t0);
    let cal = BusinessCalendar::always(Uuid::nil());
    assert!(life.clocks[0].mark_breached(&cal, t0 + 90 * MINUTE));
    let res = &life.clocks[0];
    assert_eq!(res.state, SlaState::Breached);
    assert_eq!(res.breached_at, Some(t0 + HOUR));
    assert_eq!(res.remaining_ms(&cal, t0 + 90 * MINUTE), -30 * MINUTE);
    assert_eq!(res.due_at(&cal), Some(t0 + HOUR));
    let held = t0 + 2 * HOUR;
    let notes = life.write(held, |i| hold(i, HoldReason::AwaitingVendor, held));
    assert_eq!(notes, ["Resolution SLA paused: awaiting vendor"]);
    assert_eq!(life.clocks[0].state, SlaState::Breached);
    let done = held + HOUR;
    let notes = life.write(done, |i| set_status(i, Status::Resolved, done));
    assert_eq!(notes, ["Resolution SLA stopped: breached (2 h of 1 h)"]);
    assert_eq!(life.clocks[0].state, SlaState::Breached);
    assert_eq!(life.clocks[0].breached_at, Some(t0 + HOUR));
    // Reopened with Continue: still breached.
    let notes = life.write(done + HOUR, |i| {
        set_status(i, Status::InProgress, done + HOUR)
    });
    assert_eq!(notes, ["Resolution SLA resumed on reopen"]);
    assert_eq!(life.clocks[0].state, SlaState::Breached);
}

#[test]
fn canceling_cancels_the_running_clocks() {
    let t0 = local("UTC", "2026-06-01T08:00");
    let (mut life, _) = Life::start(office_policies(), 2, t0);
    let notes = life.write(t0 + HOUR, |i| set_status(i, Status::Canceled, t0 + HOUR));
    assert_eq!(notes, ["Response SLA canceled", "Resolution SLA canceled"]);
    assert!(life.clocks.iter().all(|c| c.state == SlaState::Canceled));
    assert!(life.clocks.iter().all(|c| c.stopped_at == Some(t0 + HOUR)));
    assert!(
        life.clocks[0]
            .due_thresholds(&[50, 75], &life.calendar_of(&life.clocks[0]), t0 + DAY)
            .is_empty()
    );
}

#[test]
fn thresholds_fire_once_each() {
    let t0 = local("UTC", "2026-06-01T08:00");
    let policies = vec![policy("Four hours", &[], None, Some(4 * 3_600))];
    let (mut life, _) = Life::start(policies, 3, t0);
    let cal = BusinessCalendar::always(Uuid::nil());
    let warnings = [50, 75];
    let inst = &mut life.clocks[0];
    assert_eq!(
        inst.next_threshold(&warnings, &cal),
        Some((50, t0 + 2 * HOUR))
    );
    assert!(inst.due_thresholds(&warnings, &cal, t0 + HOUR).is_empty());
    assert_eq!(inst.due_thresholds(&warnings, &cal, t0 + 2 * HOUR), [50]);
    inst.fired.push(50);
    assert!(
        inst.due_thresholds(&warnings, &cal, t0 + 2 * HOUR)
            .is_empty()
    );
    assert_eq!(
        inst.next_threshold(&warnings, &cal),
        Some((75, t0 + 3 * HOUR))
    );
    assert_eq!(inst.threshold_at(&cal, 75), Some(t0 + 3 * HOUR));
    assert_eq!(inst.due_thresholds(&warnings, &cal, t0 + 3 * HOUR), [75]);
    inst.fired.push(75);
    assert_eq!(
        inst.next_threshold(&warnings, &cal),
        Some((100, t0 + 4 * HOUR))
    );
    assert_eq!(inst.due_thresholds(&warnings, &cal, t0 + 5 * HOUR), [100]);
    inst.fired.push(100);
    assert!(
        inst.due_thresholds(&warnings, &cal, t0 + 6 * HOUR)
            .is_empty()
    );
    assert_eq!(inst.next_threshold(&warnings, &cal), None);
    // Missed ones come together, in order.
    let mut fresh = life.clocks[0].clone();
    fresh.fired.clear();
    assert_eq!(
        fresh.due_thresholds(&[75, 50, 50], &cal, t0 + 5 * HOUR),
        [50, 75, 100]
    );
}

#[test]
fn durations_in_words() {
    assert_eq!(human_duration(4 * HOUR), "4 h");
    assert_eq!(human_duration(30 * MINUTE), "30 min");
    assert_eq!(human_duration(90 * MINUTE), "1 h 30 min");
    assert_eq!(human_duration(45 * SECOND + 300), "45 s");
    assert_eq!(human_duration(0), "0 s");
    assert_eq!(human_duration(26 * HOUR + 5 * MINUTE), "26 h 5 min");
    assert_eq!(human_duration(-2 * HOUR), "-2 h");
    assert_eq!(human_duration(HOUR + 5 * SECOND), "1 h");
}

#[test]
fn sla_config_falls_back_to_24x7() {
    let cals = [office()];
    let cfg = SlaConfig {
        policies: &[],
        calendars: &cals,
    };
    assert_eq!(cfg.calendar(Some(OFFICE_ID)).name, "Office");
    assert!(cfg.calendar(Some(Uuid::from_u128(3))).always_open);
    assert!(cfg.calendar(None).always_open);
    assert!(cfg.policy(Uuid::nil()).is_none());
}

// ---------------------------------------------------------------------------------------------
// Properties

const ZONES: [&str; 5] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "UTC",
    "Asia/Kolkata",
];

/// 2025-01-01 and 2028-01-01, UTC.
const YEARS_FROM: Millis = 1_735_689_600_000;
const YEARS_TO: Millis = 1_830_297_600_000;

fn arb_time() -> impl Strategy<Value = civil::Time> {
    prop_oneof![
        // Around the hours DST changes happen in.
        (0i8..5, prop::sample::select(vec![0i8, 15, 30, 45])),
        (0i8..24, 0i8..60),
    ]
    .prop_map(|(h, m)| civil::time(h, m, 0, 0))
}

fn arb_window() -> impl Strategy<Value = WorkingHours> {
    (0usize..7, arb_time(), arb_time()).prop_map(|(d, a, b)| {
        let (start, end) = if a < b {
            (a, b)
        } else if a == b || b == civil::time(0, 0, 0, 0) {
            (a, civil::time(0, 0, 0, 0))
        } else {
            (b, a)
        };
        WorkingHours {
            day: ALL_DAYS[d],
            start,
            end,
        }
    })
}

fn arb_holiday() -> impl Strategy<Value = Holiday> {
    (0i32..1_095, 0i32..15, 0usize..3).prop_map(|(start, len, n)| {
        let first = civil::date(2025, 1, 1) + jiff::Span::new().days(start);
        Holiday {
            name: ["Christmas Day", "Founders' Day", "Shutdown"][n].to_owned(),
            start: first,
            end: first + jiff::Span::new().days(len),
        }
    })
}

fn arb_calendar() -> impl Strategy<Value = BusinessCalendar> {
    (
        prop::sample::select(ZONES.to_vec()),
        prop::bool::weighted(0.1),
        prop::collection::vec(arb_window(), 0..8),
        prop::collection::vec(arb_holiday(), 0..4),
    )
        .prop_map(|(zone, always_open, hours, holidays)| BusinessCalendar {
            id: Uuid::nil(),
            name: "random".into(),
            time_zone: zone.into(),
            always_open,
            hours,
            holidays,
        })
}

fn arb_instant() -> impl Strategy<Value = Millis> {
    YEARS_FROM..YEARS_TO
}

/// Instants near the zones' DST changes in 2025-2027, on whole minutes.
fn arb_near_change() -> impl Strategy<Value = Millis> {
    let mut changes = Vec::new();
    for zone in ZONES {
        let tz = TimeZone::get(zone).unwrap();
        changes.extend(
            tz.following(Timestamp::from_millisecond(YEARS_FROM).unwrap())
                .take_while(|t| t.timestamp().as_millisecond() < YEARS_TO)
                .map(|t| t.timestamp().as_millisecond()),
        );
    }
    changes.push(YEARS_FROM + 400 * DAY);
    (
        prop::sample::select(changes),
        -3 * DAY / MINUTE..DAY / MINUTE,
    )
        .prop_map(|(at, minutes)| at + minutes * MINUTE)
}

/// Whether an instant is open, from the definition: its wall-clock date is no holiday and its
/// wall-clock time is inside a window of its weekday.
fn reference_open(cal: &BusinessCalendar, tz: &TimeZone, at: Millis) -> bool {
    let dt = tz.to_datetime(Timestamp::from_millisecond(at).unwrap());
    if cal
        .holidays
        .iter()
        .any(|h| h.start <= dt.date() && dt.date() <= h.end)
    {
        return false;
    }
    cal.always_open
        || cal.hours.iter().any(|w| {
            w.day.to_weekday() == dt.weekday()
                && w.start <= dt.time()
                && (w.end == civil::time(0, 0, 0, 0) || dt.time() < w.end)
        })
}

/// Business time by walking minute by minute (`from` on a whole minute).
fn reference_business_ms(cal: &BusinessCalendar, from: Millis, to: Millis) -> i64 {
    let tz = TimeZone::get(&cal.time_zone).unwrap();
    (0..(to - from) / MINUTE)
        .map(|i| from + i * MINUTE)
        .filter(|&m| reference_open(cal, &tz, m))
        .count() as i64
        * MINUTE
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn business_time_matches_the_minute_walk(
        cal in arb_calendar(),
        from in arb_near_change(),
        minutes in 0i64..3 * 24 * 60,
    ) {
        let to = from + minutes * MINUTE;
        prop_assert_eq!(cal.business_ms(from, to), reference_business_ms(&cal, from, to));
        let tz = TimeZone::get(&cal.time_zone).unwrap();
        for m in [from, to, from + minutes / 2 * MINUTE] {
            prop_assert_eq!(cal.closed_reason(m).is_none(), reference_open(&cal, &tz, m));
        }
    }

    #[test]
    fn business_time_is_bounded_monotonic_and_additive(
        cal in arb_calendar(),
        a in arb_instant(),
        d1 in 0i64..20 * DAY,
        d2 in 0i64..20 * DAY,
    ) {
        let (b, c) = (a + d1, a + d1 + d2);
        let (ab, bc, ac) = (cal.business_ms(a, b), cal.business_ms(b, c), cal.business_ms(a, c));
        prop_assert!((0..=b - a).contains(&ab));
        prop_assert!(ac >= ab);
        prop_assert_eq!(ac, ab + bc);
        prop_assert_eq!(cal.business_ms(c, a), 0);
        let open: i64 = cal.open_intervals(a, c).iter().map(|(x, y)| y - x).sum();
        prop_assert_eq!(open, ac);
        let spans = cal.spans(a, c);
        let mut at = a;
        for s in &spans {
            prop_assert_eq!(s.from, at);
            prop_assert!(s.to > s.from);
            at = s.to;
        }
        prop_assert_eq!(at, c);
    }

    #[test]
    fn adding_business_time_inverts_measuring_it(
        cal in arb_calendar(),
        from in arb_instant(),
        d in 0i64..30 * DAY,
        ms in 0i64..100 * HOUR,
    ) {
        let t = from + d;
        let spent = cal.business_ms(from, t);
        let back = cal.add_business_ms(from, spent);
        prop_assert!(back.is_some_and(|x| x <= t), "{:?} > {}", back, t);
        match cal.add_business_ms(from, ms) {
            Some(end) => {
                prop_assert!(end >= from);
                prop_assert_eq!(cal.business_ms(from, end), ms);
                if ms > 0 {
                    prop_assert!(cal.business_ms(from, end - 1) < ms);
                }
            }
            None => prop_assert!(cal.business_ms(from, from + 3_653 * DAY) < ms),
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Acknowledge,
    Hold(HoldReason),
    Work,
    Resolve,
    Reopen,
    Close,
    Cancel,
    Priority(u8),
    Breach,
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Acknowledge),
        prop::sample::select(HoldReason::ALL.to_vec()).prop_map(Op::Hold),
        Just(Op::Work),
        Just(Op::Resolve),
        Just(Op::Reopen),
        Just(Op::Close),
        Just(Op::Cancel),
        (1u8..=5).prop_map(Op::Priority),
        Just(Op::Breach),
    ]
}

fn check_clock(
    inst: &SlaInstance,
    cal: &BusinessCalendar,
    now: Millis,
) -> Result<(), TestCaseError> {
    let mut at = inst.started_at;
    for (i, s) in inst.segments.iter().enumerate() {
        prop_assert_eq!(s.from, at);
        match s.to {
            Some(to) => at = to,
            None => prop_assert_eq!(i, inst.segments.len() - 1),
        }
    }
    if let Some(stopped) = inst.stopped_at {
        prop_assert_eq!(inst.segments.last().and_then(|s| s.to), Some(stopped));
    }
    let end = inst.stopped_at.unwrap_or(now);
    let why = inst.why(cal, now);
    let mut at = inst.started_at;
    for w in &why {
        prop_assert_eq!(w.from, at);
        prop_assert!(w.to > w.from);
        at = w.to;
    }
    prop_assert_eq!(at, end.max(inst.started_at));
    let counted: i64 = why
        .iter()
        .filter(|w| w.counted)
        .map(|w| w.to - w.from)
        .sum();
    prop_assert_eq!(counted, inst.elapsed_ms(cal, now));
    if inst.state == SlaState::Breached {
        prop_assert!(inst.elapsed_ms(cal, now) >= inst.target_ms());
        let breached = inst.breached_at.unwrap();
        prop_assert_eq!(
            inst.elapsed_ms(cal, breached.min(end))
                .min(inst.target_ms()),
            inst.target_ms()
        );
    }
    if inst.state == SlaState::Met {
        prop_assert!(inst.elapsed_ms(cal, now) < inst.target_ms());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn clocks_stay_consistent_through_any_history(
        ops in prop::collection::vec((arb_op(), 0i64..2 * DAY), 1..14),
        restart in any::<bool>(),
        start in arb_instant(),
        priority in 1u8..=5,
    ) {
        let mut policies = office_policies();
        policies[0].response_seconds = Some(600);
        policies[0].calendar_id = Some(OFFICE_ID);
        for p in &mut policies {
            p.on_reopen = if restart { ReopenRule::Restart } else { ReopenRule::Continue };
        }
        let (mut life, _) = Life::start(policies, priority, start);
        let mut now = start;
        for (op, step) in ops {
            now += step;
            let status = life.inc.status;
            let to = match &op {
                Op::Acknowledge => Some(Status::Acknowledged),
                Op::Hold(_) => Some(Status::OnHold),
                Op::Work | Op::Reopen => Some(Status::InProgress),
                Op::Resolve => Some(Status::Resolved),
                Op::Close => Some(Status::Closed),
                Op::Cancel => Some(Status::Canceled),
                Op::Priority(_) | Op::Breach => None,
            };
            match (op, to) {
                (Op::Priority(level), _) if !status.is_final() => {
                    life.write(now, |i| i.priority = Priority::from_level(i64::from(level)).unwrap());
                }
                (Op::Breach, _) => {
                    let cfg = life.cfg();
                    let cals: Vec<BusinessCalendar> =
                        life.clocks.iter().map(|c| cfg.calendar(c.calendar_id)).collect();
                    for (c, cal) in life.clocks.iter_mut().zip(&cals) {
                        c.mark_breached(cal, now);
                    }
                }
                (Op::Hold(reason), Some(to)) if status.can_move_to(to) => {
                    life.write(now, |i| hold(i, reason, now));
                }
                (_, Some(to)) if status.can_move_to(to) => {
                    life.write(now, |i| set_status(i, to, now));
                }
                _ => {}
            }
            for c in &life.clocks {
                let cal = life.calendar_of(c);
                check_clock(c, &cal, now)?;
            }
            let current = |k| life.clocks.iter().rev().find(|c| c.kind == k);
            if let Some(res) = current(SlaKind::Resolution) {
                prop_assert_eq!(res.is_stopped(), !life.inc.status.is_open());
            }
            if let Some(resp) = current(SlaKind::Response)
                && life.inc.acknowledged_at.is_some()
            {
                prop_assert!(resp.is_stopped());
            }
        }
    }
}
