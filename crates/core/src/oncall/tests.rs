//! Tests of the schedule: hand-made cases around DST changes, restrictions, overrides and
//! layers' precedence, validation, and property tests against a simple reference model.

use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, civil};
use proptest::prelude::*;
use uuid::Uuid;

use super::schedule::*;
use crate::clock::Millis;

const MINUTE: Millis = 60_000;
const HOUR: Millis = 60 * MINUTE;
const DAY: Millis = 24 * HOUR;

fn user(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// An RFC 3339 instant (`2026-03-23T08:00:00Z`) as epoch milliseconds.
fn ms(instant: &str) -> Millis {
    instant.parse::<Timestamp>().unwrap().as_millisecond()
}

fn civil(dt: &str) -> civil::DateTime {
    dt.parse().unwrap()
}

fn time(t: &str) -> civil::Time {
    t.parse().unwrap()
}

fn local_at(zone: &str, at: Millis) -> civil::DateTime {
    TimeZone::get(zone)
        .unwrap()
        .to_datetime(Timestamp::from_millisecond(at).unwrap())
}

fn layer(members: &[u128], unit: TurnUnit, count: u32, start: &str) -> Layer {
    Layer {
        name: "primary".into(),
        members: members.iter().map(|&n| user(n)).collect(),
        turn: Turn { unit, count },
        start: civil(start),
        restrictions: Vec::new(),
    }
}

fn rota(zone: &str, layers: Vec<Layer>) -> Rota {
    Rota {
        time_zone: zone.into(),
        layers,
        overrides: Vec::new(),
    }
}

fn shift(n: u128, start: &str, end: &str, source: ShiftSource) -> Shift {
    Shift {
        user_id: user(n),
        start: ms(start),
        end: ms(end),
        source,
    }
}

const NOBODY: Vec<Uuid> = Vec::new();
const L0: ShiftSource = ShiftSource::Layer { index: 0 };
const L1: ShiftSource = ShiftSource::Layer { index: 1 };
const A: u128 = 0xa;
const B: u128 = 0xb;
const C: u128 = 0xc;
const D: u128 = 0xd;
const E: u128 = 0xe;

/// a, b, c weekly from Monday 2026-03-16 09:00 in Berlin (DST starts Sunday 2026-03-29).
fn berlin_weekly() -> Rota {
    rota(
        "Europe/Berlin",
        vec![layer(&[A, B, C], TurnUnit::Weeks, 1, "2026-03-16T09:00")],
    )
}

#[test]
fn weekly_handoff_stays_at_nine_local_across_the_spring_change() {
    let r = berlin_weekly();
    // Before the first hand-off nobody.
    assert_eq!(r.on_call_at(ms("2026-03-16T07:59:59.999Z")), NOBODY);
    assert_eq!(r.on_call_at(ms("2026-03-16T08:00:00Z")), vec![user(A)]);
    // 2026-03-23 09:00 CET is 08:00 UTC.
    assert_eq!(r.on_call_at(ms("2026-03-23T07:59:59.999Z")), vec![user(A)]);
    assert_eq!(r.on_call_at(ms("2026-03-23T08:00:00Z")), vec![user(B)]);
    // 2026-03-30 09:00 CEST is 07:00 UTC.
    assert_eq!(r.on_call_at(ms("2026-03-30T06:59:59.999Z")), vec![user(B)]);
    assert_eq!(r.on_call_at(ms("2026-03-30T07:00:00Z")), vec![user(C)]);
    assert_eq!(r.on_call_at(ms("2026-04-06T06:59:59.999Z")), vec![user(C)]);
    assert_eq!(r.on_call_at(ms("2026-04-06T07:00:00Z")), vec![user(A)]);

    let shifts = r.shifts(ms("2026-03-16T00:00:00Z"), ms("2026-04-13T00:00:00Z"));
    assert_eq!(
        shifts,
        vec![
            shift(A, "2026-03-16T08:00:00Z", "2026-03-23T08:00:00Z", L0),
            shift(B, "2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z", L0),
            shift(C, "2026-03-30T07:00:00Z", "2026-04-06T07:00:00Z", L0),
            shift(A, "2026-04-06T07:00:00Z", "2026-04-13T00:00:00Z", L0),
        ]
    );
    // The turn across the change is an hour shorter.
    assert_eq!(shifts[1].end - shifts[1].start, 7 * DAY - HOUR);
    assert_eq!(
        r.gaps(ms("2026-03-16T00:00:00Z"), ms("2026-04-13T00:00:00Z")),
        vec![(ms("2026-03-16T00:00:00Z"), ms("2026-03-16T08:00:00Z"))]
    );
    assert_eq!(
        r.layer_handoffs(0, ms("2026-03-16T00:00:00Z"), ms("2026-04-07T00:00:00Z")),
        vec![
            ms("2026-03-16T08:00:00Z"),
            ms("2026-03-23T08:00:00Z"),
            ms("2026-03-30T07:00:00Z"),
            ms("2026-04-06T07:00:00Z"),
        ]
    );
}

#[test]
fn weekly_handoff_in_autumn_and_far_ahead() {
    let r = berlin_weekly();
    // DST ends Sunday 2026-10-25: Monday 2026-10-26 09:00 CET is 08:00 UTC. Weeks since the
    // start: 32, so member 32 % 3 = 2 (c) takes over from b.
    assert_eq!(r.on_call_at(ms("2026-10-26T07:59:59.999Z")), vec![user(B)]);
    assert_eq!(r.on_call_at(ms("2026-10-26T08:00:00Z")), vec![user(C)]);
    // 2031-01-06 is 251 weeks after the start: member 251 % 3 = 2.
    assert_eq!(r.on_call_at(ms("2031-01-06T07:59:59.999Z")), vec![user(B)]);
    assert_eq!(r.on_call_at(ms("2031-01-06T08:00:00Z")), vec![user(C)]);
    // 9999-12-27 is 416052 weeks after: member 0.
    assert_eq!(r.on_call_at(ms("9999-12-27T07:59:59.999Z")), vec![user(C)]);
    assert_eq!(r.on_call_at(ms("9999-12-27T08:00:00Z")), vec![user(A)]);
}

#[test]
fn override_wins_and_ends_on_time() {
    let mut r = berlin_weekly();
    let id = Uuid::from_u128(0x100);
    r.overrides.push(Override {
        id,
        user_id: user(D),
        start: ms("2026-03-24T12:00:00Z"),
        end: ms("2026-03-25T12:00:00Z"),
    });
    assert_eq!(r.on_call_at(ms("2026-03-24T11:59:59.999Z")), vec![user(B)]);
    assert_eq!(r.on_call_at(ms("2026-03-24T12:00:00Z")), vec![user(D)]);
    assert_eq!(r.on_call_at(ms("2026-03-25T11:59:59.999Z")), vec![user(D)]);
    assert_eq!(r.on_call_at(ms("2026-03-25T12:00:00Z")), vec![user(B)]);
    assert_eq!(
        r.shifts(ms("2026-03-23T00:00:00Z"), ms("2026-03-31T00:00:00Z")),
        vec![
            shift(A, "2026-03-23T00:00:00Z", "2026-03-23T08:00:00Z", L0),
            shift(B, "2026-03-23T08:00:00Z", "2026-03-24T12:00:00Z", L0),
            shift(
                D,
                "2026-03-24T12:00:00Z",
                "2026-03-25T12:00:00Z",
                ShiftSource::Override { id }
            ),
            shift(B, "2026-03-25T12:00:00Z", "2026-03-30T07:00:00Z", L0),
            shift(C, "2026-03-30T07:00:00Z", "2026-03-31T00:00:00Z", L0),
        ]
    );
}

#[test]
fn overlapping_overrides_put_several_people_on_call() {
    let mut r = berlin_weekly();
    let (o1, o2, o3) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
    let over = |id, n, start, end| Override {
        id,
        user_id: user(n),
        start: ms(start),
        end: ms(end),
    };
    r.overrides = vec![
        over(o1, D, "2026-03-24T10:00:00Z", "2026-03-24T14:00:00Z"),
        over(o2, E, "2026-03-24T12:00:00Z", "2026-03-24T16:00:00Z"),
        // The same person twice: counted once, and the first override keeps the shift.
        over(o3, D, "2026-03-24T13:00:00Z", "2026-03-24T18:00:00Z"),
    ];
    assert_eq!(
        r.on_call_at(ms("2026-03-24T13:30:00Z")),
        vec![user(D), user(E)]
    );
    assert_eq!(r.on_call_at(ms("2026-03-24T17:00:00Z")), vec![user(D)]);
    assert_eq!(
        r.shifts(ms("2026-03-24T09:00:00Z"), ms("2026-03-24T19:00:00Z")),
        vec![
            shift(B, "2026-03-24T09:00:00Z", "2026-03-24T10:00:00Z", L0),
            shift(
                D,
                "2026-03-24T10:00:00Z",
                "2026-03-24T14:00:00Z",
                ShiftSource::Override { id: o1 }
            ),
            shift(
                E,
                "2026-03-24T12:00:00Z",
                "2026-03-24T16:00:00Z",
                ShiftSource::Override { id: o2 }
            ),
            shift(
                D,
                "2026-03-24T14:00:00Z",
                "2026-03-24T18:00:00Z",
                ShiftSource::Override { id: o3 }
            ),
            shift(B, "2026-03-24T18:00:00Z", "2026-03-24T19:00:00Z", L0),
        ]
    );
}

fn business_hours_by_weekday() -> Vec<Restriction> {
    [
        Day::Monday,
        Day::Tuesday,
        Day::Wednesday,
        Day::Thursday,
        Day::Friday,
    ]
    .into_iter()
    .map(|day| Restriction::Weekly {
        start_day: day,
        start: time("09:00"),
        end_day: day,
        end: time("17:00"),
    })
    .collect()
}

#[test]
fn restricted_second_layer_wins_only_in_business_hours() {
    let mut office = layer(&[D, E], TurnUnit::Days, 1, "2026-03-02T09:00");
    office.name = "office".into();
    office.restrictions = business_hours_by_weekday();
    let mut r = berlin_weekly();
    r.layers.push(office);
    // Tuesday 2026-03-24 (CET, UTC+1): day 22 of the office rotation, so d.
    assert_eq!(r.on_call_at(ms("2026-03-24T07:59:59.999Z")), vec![user(B)]);
    assert_eq!(r.on_call_at(ms("2026-03-24T08:00:00Z")), vec![user(D)]);
    assert_eq!(r.on_call_at(ms("2026-03-24T15:59:59.999Z")), vec![user(D)]);
    assert_eq!(r.on_call_at(ms("2026-03-24T16:00:00Z")), vec![user(B)]);
    // Saturday: only the weekly layer.
    assert_eq!(r.on_call_at(ms("2026-03-28T10:00:00Z")), vec![user(B)]);
    // Monday 2026-03-30 in CEST (UTC+2): office hours are 07:00-15:00 UTC; the weekly layer
    // hands over at 07:00 UTC too. Day 28 of the office rotation: d.
    assert_eq!(r.on_call_at(ms("2026-03-30T06:59:59.999Z")), vec![user(B)]);
    assert_eq!(r.on_call_at(ms("2026-03-30T07:00:00Z")), vec![user(D)]);
    assert_eq!(r.on_call_at(ms("2026-03-30T15:00:00Z")), vec![user(C)]);
    assert_eq!(
        r.shifts(ms("2026-03-23T23:00:00Z"), ms("2026-03-25T23:00:00Z")),
        vec![
            shift(B, "2026-03-23T23:00:00Z", "2026-03-24T08:00:00Z", L0),
            shift(D, "2026-03-24T08:00:00Z", "2026-03-24T16:00:00Z", L1),
            shift(B, "2026-03-24T16:00:00Z", "2026-03-25T08:00:00Z", L0),
            shift(E, "2026-03-25T08:00:00Z", "2026-03-25T16:00:00Z", L1),
            shift(B, "2026-03-25T16:00:00Z", "2026-03-25T23:00:00Z", L0),
        ]
    );
    // The office layer on its own, weekend included.
    assert_eq!(
        r.layer_shifts(1, ms("2026-03-27T00:00:00Z"), ms("2026-03-31T00:00:00Z")),
        vec![
            shift(E, "2026-03-27T08:00:00Z", "2026-03-27T16:00:00Z", L1),
            shift(D, "2026-03-30T07:00:00Z", "2026-03-30T15:00:00Z", L1),
        ]
    );
}

#[test]
fn daily_restriction_gives_the_same_business_hours() {
    let mut daily = layer(&[D], TurnUnit::Weeks, 1, "2026-03-02T00:00");
    daily.restrictions = vec![Restriction::Daily {
        start: time("09:00"),
        end: time("17:00"),
    }];
    let r = rota("Europe/Berlin", vec![daily]);
    assert_eq!(
        r.shifts(ms("2026-03-28T00:00:00Z"), ms("2026-03-31T00:00:00Z")),
        vec![
            shift(D, "2026-03-28T08:00:00Z", "2026-03-28T16:00:00Z", L0),
            shift(D, "2026-03-29T07:00:00Z", "2026-03-29T15:00:00Z", L0),
            shift(D, "2026-03-30T07:00:00Z", "2026-03-30T15:00:00Z", L0),
        ]
    );
}

#[test]
fn daily_restriction_wraps_past_midnight() {
    let mut night = layer(&[D], TurnUnit::Days, 1, "2026-01-01T00:00");
    night.restrictions = vec![Restriction::Daily {
        start: time("22:00"),
        end: time("06:00"),
    }];
    let r = rota("UTC", vec![night]);
    assert_eq!(r.on_call_at(ms("2026-02-10T21:59:59.999Z")), NOBODY);
    assert_eq!(r.on_call_at(ms("2026-02-10T22:00:00Z")), vec![user(D)]);
    assert_eq!(r.on_call_at(ms("2026-02-11T05:59:59.999Z")), vec![user(D)]);
    assert_eq!(r.on_call_at(ms("2026-02-11T06:00:00Z")), NOBODY);
    assert_eq!(
        r.gaps(ms("2026-02-10T00:00:00Z"), ms("2026-02-12T00:00:00Z")),
        vec![
            (ms("2026-02-10T06:00:00Z"), ms("2026-02-10T22:00:00Z")),
            (ms("2026-02-11T06:00:00Z"), ms("2026-02-11T22:00:00Z")),
        ]
    );
    // Turns still hand over at midnight: the night is one person's only with one member.
    assert_eq!(
        r.shifts(ms("2026-02-10T00:00:00Z"), ms("2026-02-11T12:00:00Z")),
        vec![
            shift(D, "2026-02-10T00:00:00Z", "2026-02-10T06:00:00Z", L0),
            shift(D, "2026-02-10T22:00:00Z", "2026-02-11T06:00:00Z", L0),
        ]
    );
}

#[test]
fn restriction_turns_do_not_shift_the_rotation() {
    // Daily turns d, e at midnight, only active 22:00-06:00: the night is split at midnight.
    let mut night = layer(&[D, E], TurnUnit::Days, 1, "2026-02-10T00:00");
    night.restrictions = vec![Restriction::Daily {
        start: time("22:00"),
        end: time("06:00"),
    }];
    let r = rota("UTC", vec![night]);
    assert_eq!(
        r.shifts(ms("2026-02-10T12:00:00Z"), ms("2026-02-11T12:00:00Z")),
        vec![
            shift(D, "2026-02-10T22:00:00Z", "2026-02-11T00:00:00Z", L0),
            shift(E, "2026-02-11T00:00:00Z", "2026-02-11T06:00:00Z", L0),
        ]
    );
}

#[test]
fn weekly_restriction_wraps_past_sunday() {
    let mut weekend = layer(&[D], TurnUnit::Weeks, 1, "2026-01-05T00:00");
    weekend.restrictions = vec![Restriction::Weekly {
        start_day: Day::Friday,
        start: time("18:00"),
        end_day: Day::Monday,
        end: time("08:00"),
    }];
    let r = rota("America/New_York", vec![weekend]);
    // Friday 2026-02-13 18:00 EST is 23:00 UTC; Monday 2026-02-16 08:00 EST is 13:00 UTC.
    assert_eq!(
        r.shifts(ms("2026-02-10T00:00:00Z"), ms("2026-02-20T00:00:00Z")),
        vec![shift(D, "2026-02-13T23:00:00Z", "2026-02-16T13:00:00Z", L0)]
    );
    assert_eq!(r.on_call_at(ms("2026-02-14T12:00:00Z")), vec![user(D)]);
    assert_eq!(r.on_call_at(ms("2026-02-12T12:00:00Z")), NOBODY);
    // Equal ends: the whole week.
    let mut always = layer(&[D], TurnUnit::Weeks, 1, "2026-01-05T00:00");
    always.restrictions = vec![Restriction::Weekly {
        start_day: Day::Wednesday,
        start: time("10:00"),
        end_day: Day::Wednesday,
        end: time("10:00"),
    }];
    let r = rota("America/New_York", vec![always]);
    assert_eq!(
        r.gaps(ms("2026-02-09T00:00:00Z"), ms("2026-02-20T00:00:00Z")),
        Vec::<(Millis, Millis)>::new()
    );
}

#[test]
fn restrictions_follow_the_wall_clock_on_dst_days() {
    let mut early = layer(&[D], TurnUnit::Weeks, 1, "2026-01-05T00:00");
    early.restrictions = vec![Restriction::Daily {
        start: time("02:00"),
        end: time("03:00"),
    }];
    let r = rota("Europe/Berlin", vec![early]);
    // 2026-03-29: 02:00-03:00 does not exist; nobody that night.
    assert_eq!(
        r.shifts(ms("2026-03-28T12:00:00Z"), ms("2026-03-29T12:00:00Z")),
        Vec::<Shift>::new()
    );
    // 2026-10-25: 02:00-03:00 happens twice, two hours in all.
    assert_eq!(
        r.shifts(ms("2026-10-24T12:00:00Z"), ms("2026-10-25T12:00:00Z")),
        vec![shift(D, "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", L0)]
    );
    // A window ending in the gap ends when the clock jumps past it.
    let mut night = layer(&[D], TurnUnit::Weeks, 1, "2026-01-05T00:00");
    night.restrictions = vec![Restriction::Daily {
        start: time("22:00"),
        end: time("02:30"),
    }];
    let r = rota("Europe/Berlin", vec![night]);
    assert_eq!(
        r.shifts(ms("2026-03-28T12:00:00Z"), ms("2026-03-29T12:00:00Z")),
        vec![shift(D, "2026-03-28T21:00:00Z", "2026-03-29T01:00:00Z", L0)]
    );
}

#[test]
fn gaps_where_no_layer_has_anyone() {
    let mut office = layer(&[D], TurnUnit::Weeks, 1, "2026-03-02T00:00");
    office.restrictions = business_hours_by_weekday();
    let mut late = layer(&[E], TurnUnit::Days, 1, "2026-03-04T12:00");
    late.restrictions = vec![Restriction::Daily {
        start: time("17:00"),
        end: time("20:00"),
    }];
    let r = rota("UTC", vec![office, late]);
    let (from, to) = (ms("2026-03-03T00:00:00Z"), ms("2026-03-05T00:00:00Z"));
    assert_eq!(
        r.gaps(from, to),
        vec![
            (from, ms("2026-03-03T09:00:00Z")),
            (ms("2026-03-03T17:00:00Z"), ms("2026-03-04T09:00:00Z")),
            (ms("2026-03-04T20:00:00Z"), to),
        ]
    );
    assert_eq!(
        r.shifts(from, to),
        vec![
            shift(D, "2026-03-03T09:00:00Z", "2026-03-03T17:00:00Z", L0),
            shift(D, "2026-03-04T09:00:00Z", "2026-03-04T17:00:00Z", L0),
            shift(E, "2026-03-04T17:00:00Z", "2026-03-04T20:00:00Z", L1),
        ]
    );
    assert_eq!(r.gaps(to, from), Vec::<(Millis, Millis)>::new());
    assert_eq!(r.shifts(to, to), Vec::<Shift>::new());
}

#[test]
fn hour_turns_stay_absolute_across_dst() {
    // 12-hour turns from 2026-03-28 08:00 CET (07:00 UTC).
    let r = rota(
        "Europe/Berlin",
        vec![layer(&[A, B], TurnUnit::Hours, 12, "2026-03-28T08:00")],
    );
    assert_eq!(
        r.shifts(ms("2026-03-28T07:00:00Z"), ms("2026-03-30T07:00:00Z")),
        vec![
            shift(A, "2026-03-28T07:00:00Z", "2026-03-28T19:00:00Z", L0),
            shift(B, "2026-03-28T19:00:00Z", "2026-03-29T07:00:00Z", L0),
            shift(A, "2026-03-29T07:00:00Z", "2026-03-29T19:00:00Z", L0),
            shift(B, "2026-03-29T19:00:00Z", "2026-03-30T07:00:00Z", L0),
        ]
    );
    // So the wall-clock hand-off moved from 08:00 to 09:00.
    let handoff = local_at("Europe/Berlin", ms("2026-03-29T07:00:00Z"));
    assert_eq!(handoff.time(), time("09:00"));
}

#[test]
fn new_york_daily_turns_across_both_changes() {
    let r = rota(
        "America/New_York",
        vec![layer(&[A, B], TurnUnit::Days, 1, "2026-03-07T09:00")],
    );
    // 2026-03-07 09:00 EST = 14:00 UTC; 2026-03-08 09:00 EDT = 13:00 UTC.
    assert_eq!(r.on_call_at(ms("2026-03-07T13:59:59.999Z")), NOBODY);
    assert_eq!(r.on_call_at(ms("2026-03-07T14:00:00Z")), vec![user(A)]);
    assert_eq!(r.on_call_at(ms("2026-03-08T12:59:59.999Z")), vec![user(A)]);
    assert_eq!(r.on_call_at(ms("2026-03-08T13:00:00Z")), vec![user(B)]);
    // 2026-11-01 (fall back): day 239 (b), 09:00 EST = 14:00 UTC; 2026-10-31 09:00 EDT is
    // 13:00 UTC, so that turn lasts 25 hours.
    assert_eq!(
        r.shifts(ms("2026-10-31T12:00:00Z"), ms("2026-11-02T15:00:00Z")),
        vec![
            shift(B, "2026-10-31T12:00:00Z", "2026-10-31T13:00:00Z", L0),
            shift(A, "2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z", L0),
            shift(B, "2026-11-01T14:00:00Z", "2026-11-02T14:00:00Z", L0),
            shift(A, "2026-11-02T14:00:00Z", "2026-11-02T15:00:00Z", L0),
        ]
    );
}

#[test]
fn hand_offs_in_a_gap_or_fold_use_compatible_disambiguation() {
    // 02:30 does not exist on 2026-03-08 in New York: the hand-off is at 03:30 EDT; the next
    // day it is 02:30 EDT again.
    let r = rota(
        "America/New_York",
        vec![layer(&[A, B], TurnUnit::Days, 1, "2026-03-07T02:30")],
    );
    assert_eq!(
        r.layer_handoffs(0, ms("2026-03-07T00:00:00Z"), ms("2026-03-10T00:00:00Z")),
        vec![
            ms("2026-03-07T07:30:00Z"),
            ms("2026-03-08T07:30:00Z"),
            ms("2026-03-09T06:30:00Z"),
        ]
    );
    // 01:30 happens twice on 2026-11-01: the earlier (EDT).
    let r = rota(
        "America/New_York",
        vec![layer(&[A, B], TurnUnit::Days, 1, "2026-10-31T01:30")],
    );
    assert_eq!(
        r.layer_handoffs(0, ms("2026-10-31T00:00:00Z"), ms("2026-11-03T00:00:00Z")),
        vec![
            ms("2026-10-31T05:30:00Z"),
            ms("2026-11-01T05:30:00Z"),
            ms("2026-11-02T06:30:00Z"),
        ]
    );
}

#[test]
fn extreme_instants_do_not_panic() {
    let mut r = berlin_weekly();
    r.layers[0].restrictions = vec![Restriction::Daily {
        start: time("09:00"),
        end: time("17:00"),
    }];
    r.overrides.push(Override {
        id: Uuid::from_u128(1),
        user_id: user(D),
        start: Millis::MAX - 10,
        end: Millis::MAX,
    });
    assert_eq!(r.on_call_at(Millis::MIN), NOBODY);
    assert_eq!(r.on_call_at(Millis::MAX - 1), vec![user(D)]);
    assert_eq!(r.on_call_at(Millis::MAX), NOBODY);
    assert_eq!(
        r.shifts(Millis::MIN, Millis::MIN + DAY),
        Vec::<Shift>::new()
    );
    assert_eq!(
        r.gaps(Millis::MAX - DAY, Millis::MAX),
        vec![(Millis::MAX - DAY, Millis::MAX - 10)]
    );
    assert_eq!(r.shifts(Millis::MAX - 20, Millis::MAX).len(), 1);
    assert_eq!(
        r.layer_handoffs(0, Millis::MAX - DAY, Millis::MAX),
        Vec::<Millis>::new()
    );
    // The last hand-offs jiff can compute, in 9999.
    let last = r.shifts(ms("9999-12-28T00:00:00Z"), Millis::MAX);
    assert!(!last.is_empty());
    assert_eq!(
        r.on_call_at(ms("9999-12-30T10:00:00Z")),
        vec![user(A)],
        "9999-12-27 is 416052 weeks after the start"
    );
}

#[test]
fn far_ahead_is_computed_without_walking_every_turn() {
    // Hourly turns from 2026 to the year 9000: some 61 million turns.
    let r = rota(
        "Europe/Berlin",
        vec![layer(&[A, B, C], TurnUnit::Hours, 1, "2026-03-16T09:00")],
    );
    let start = ms("2026-03-16T08:00:00Z");
    let at = ms("9000-06-01T12:34:56Z");
    let k = (at - start) / HOUR;
    let expected = [A, B, C][(k % 3) as usize];
    assert_eq!(r.on_call_at(at), vec![user(expected)]);
    let turn = start + k * HOUR;
    assert_eq!(
        r.shifts(at, at + 2 * HOUR),
        vec![
            Shift {
                user_id: user(expected),
                start: at,
                end: turn + HOUR,
                source: L0,
            },
            Shift {
                user_id: user([A, B, C][((k + 1) % 3) as usize]),
                start: turn + HOUR,
                end: turn + 2 * HOUR,
                source: L0,
            },
            Shift {
                user_id: user([A, B, C][((k + 2) % 3) as usize]),
                start: turn + 2 * HOUR,
                end: at + 2 * HOUR,
                source: L0,
            },
        ]
    );
}

#[test]
fn an_unknown_zone_falls_back_to_utc() {
    let r = rota(
        "Mars/Olympus_Mons",
        vec![layer(&[A], TurnUnit::Days, 1, "2026-03-07T09:00")],
    );
    assert_eq!(r.on_call_at(ms("2026-03-07T08:59:59.999Z")), NOBODY);
    assert_eq!(r.on_call_at(ms("2026-03-07T09:00:00Z")), vec![user(A)]);
}

fn fields(result: Result<(), crate::error::ValidationErrors>) -> Vec<String> {
    result
        .err()
        .map(|e| e.0.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}

#[test]
fn validation_names_every_bad_field() {
    let mut r = berlin_weekly();
    r.layers
        .push(layer(&[A], TurnUnit::Days, 1, "2026-03-16T09:00"));
    r.overrides.push(Override {
        id: Uuid::from_u128(1),
        user_id: user(D),
        start: 10,
        end: 20,
    });
    assert_eq!(r.validate(), Ok(()));

    let mut bad = r.clone();
    bad.time_zone = "Europe/Atlantis".into();
    bad.layers[0].members.clear();
    bad.layers[0].name = "  ".into();
    bad.layers[1].turn.count = 0;
    bad.layers[1].restrictions.push(Restriction::Daily {
        start: time("09:00:00.5"),
        end: time("17:00"),
    });
    bad.overrides.push(Override {
        id: Uuid::from_u128(2),
        user_id: user(D),
        start: 20,
        end: 20,
    });
    let errors = bad.validate().unwrap_err();
    assert_eq!(
        errors
            .0
            .iter()
            .map(|f| f.field.as_str())
            .collect::<Vec<_>>(),
        vec![
            "time_zone",
            "layers[0].name",
            "layers[0].members",
            "layers[1].turn.count",
            "layers[1].restrictions[0]",
            "overrides[1].end",
        ]
    );
    assert!(errors.0[0].message.contains("Europe/Atlantis"));

    for (unit, max) in [
        (TurnUnit::Hours, 8784),
        (TurnUnit::Days, 366),
        (TurnUnit::Weeks, 52),
    ] {
        let mut r = berlin_weekly();
        r.layers[0].turn = Turn { unit, count: max };
        assert_eq!(r.validate(), Ok(()));
        r.layers[0].turn.count = max + 1;
        assert_eq!(fields(r.validate()), vec!["layers[0].turn.count"]);
    }

    let empty = rota("", vec![]);
    assert_eq!(fields(empty.validate()), vec!["time_zone", "layers"]);
}

#[test]
fn restriction_contains_follows_the_wall_clock() {
    let weekend = Restriction::Weekly {
        start_day: Day::Friday,
        start: time("18:00"),
        end_day: Day::Monday,
        end: time("08:00"),
    };
    // 2026-02-13 is a Friday.
    assert!(!weekend.contains(civil("2026-02-13T17:59:59")));
    assert!(weekend.contains(civil("2026-02-13T18:00")));
    assert!(weekend.contains(civil("2026-02-15T12:00")));
    assert!(weekend.contains(civil("2026-02-16T07:59:59")));
    assert!(!weekend.contains(civil("2026-02-16T08:00")));
    assert!(!weekend.contains(civil("2026-02-18T12:00")));
    let whole_day = Restriction::Daily {
        start: time("05:00"),
        end: time("05:00"),
    };
    assert!(whole_day.contains(civil("2026-02-13T04:59")));
}

#[test]
fn serde_shapes() {
    let r = Rota {
        overrides: vec![Override {
            id: Uuid::from_u128(1),
            user_id: user(D),
            start: 10,
            end: 20,
        }],
        ..berlin_weekly()
    };
    let mut r2 = r.clone();
    r2.layers[0].restrictions = business_hours_by_weekday();
    let json = serde_json::to_value(&r2).unwrap();
    assert_eq!(json["layers"][0]["turn"]["unit"], "weeks");
    assert_eq!(json["layers"][0]["start"], "2026-03-16T09:00:00");
    assert_eq!(json["layers"][0]["restrictions"][0]["kind"], "weekly");
    assert_eq!(json["layers"][0]["restrictions"][0]["start_day"], "monday");
    let back: Rota = serde_json::from_value(json).unwrap();
    assert_eq!(back, r2);
}

// ---------------------------------------------------------------------------------------------
// Property tests against a reference model: turns found by binary search over hand-offs
// computed with jiff's own zoned arithmetic, restrictions checked on the wall clock.

const ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/New_York",
    "UTC",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Europe/London",
    "America/St_Johns",
];

/// 2024-01-01T00:00Z.
const EPOCH_2024: Millis = 1_704_067_200_000;

fn arb_time() -> impl Strategy<Value = civil::Time> {
    // Quarter hours most of the time (the DST-sensitive hours 0-3 included), any minute else.
    prop_oneof![
        (0i8..24, 0i8..4).prop_map(|(h, q)| civil::time(h, q * 15, 0, 0)),
        (0i8..24, 0i8..60).prop_map(|(h, m)| civil::time(h, m, 0, 0)),
    ]
}

fn arb_day() -> impl Strategy<Value = Day> {
    prop::sample::select(vec![
        Day::Monday,
        Day::Tuesday,
        Day::Wednesday,
        Day::Thursday,
        Day::Friday,
        Day::Saturday,
        Day::Sunday,
    ])
}

fn arb_restriction() -> impl Strategy<Value = Restriction> {
    prop_oneof![
        (arb_time(), arb_time()).prop_map(|(start, end)| Restriction::Daily { start, end }),
        (arb_day(), arb_time(), arb_day(), arb_time()).prop_map(
            |(start_day, start, end_day, end)| Restriction::Weekly {
                start_day,
                start,
                end_day,
                end,
            }
        ),
    ]
}

fn arb_turn() -> impl Strategy<Value = Turn> {
    prop_oneof![
        (1u32..=48).prop_map(|count| Turn {
            unit: TurnUnit::Hours,
            count
        }),
        (1u32..=10).prop_map(|count| Turn {
            unit: TurnUnit::Days,
            count
        }),
        (1u32..=3).prop_map(|count| Turn {
            unit: TurnUnit::Weeks,
            count
        }),
    ]
}

fn arb_layer(restricted: bool) -> impl Strategy<Value = Layer> {
    let restrictions = if restricted { 0..3usize } else { 0..1usize };
    (
        prop::collection::vec(1u128..=5, 1..4),
        arb_turn(),
        // A start between 2024-01-01 and 2025-06; a quarter-hour time of day, often at night.
        0i32..540,
        arb_time(),
        prop::collection::vec(arb_restriction(), restrictions),
    )
        .prop_map(|(members, turn, day, at, restrictions)| Layer {
            name: "layer".into(),
            members: members.into_iter().map(user).collect(),
            turn,
            start: civil::date(2024, 1, 1)
                .checked_add(jiff::Span::new().days(day))
                .unwrap()
                .to_datetime(at),
            restrictions,
        })
}

fn arb_override() -> impl Strategy<Value = Override> {
    (0u128..1000, 1u128..=7, 0i64..700 * DAY, 1i64..3 * DAY).prop_map(|(id, u, start, len)| {
        Override {
            id: Uuid::from_u128(0x1000 + id),
            user_id: user(u),
            start: EPOCH_2024 + start,
            end: EPOCH_2024 + start + len,
        }
    })
}

fn arb_rota(overrides: usize) -> impl Strategy<Value = Rota> {
    (
        prop::sample::select(ZONES),
        prop::collection::vec(arb_layer(true), 1..4),
        prop::collection::vec(arb_override(), 0..=overrides),
    )
        .prop_map(|(zone, layers, overrides)| Rota {
            time_zone: zone.to_string(),
            layers,
            overrides,
        })
}

/// A range of up to 20 days within 2024-2026 (so often before a layer's start).
fn arb_range() -> impl Strategy<Value = (Millis, Millis)> {
    (0i64..730 * DAY, 1i64..20 * DAY).prop_map(|(from, len)| {
        let from = EPOCH_2024 + from / MINUTE * MINUTE;
        (from, from + len)
    })
}

/// A range of up to 20 days in 2024-2026, half the time a few days around one of the zone's
/// offset changes.
fn arb_range_in(zone: &str) -> BoxedStrategy<(Millis, Millis)> {
    let tz = TimeZone::get(zone).unwrap();
    let changes: Vec<Millis> = tz
        .following(Timestamp::from_millisecond(EPOCH_2024).unwrap())
        .take(6)
        .map(|t| t.timestamp().as_millisecond())
        .collect();
    if changes.is_empty() {
        return arb_range().boxed();
    }
    prop_oneof![
        arb_range(),
        (
            prop::sample::select(changes),
            0i64..3 * DAY / MINUTE,
            1i64..8 * DAY / MINUTE,
        )
            .prop_map(|(at, before, len)| {
                let from = at - before * MINUTE;
                (from, from + len * MINUTE)
            }),
    ]
    .boxed()
}

/// An override starting from two days before `from` up to `to`, lasting a minute to three days.
fn arb_override_near(from: Millis, to: Millis) -> impl Strategy<Value = Override> {
    (
        0u128..1000,
        1u128..=7,
        (from - 2 * DAY)..to,
        1i64..3 * DAY / MINUTE,
    )
        .prop_map(|(id, u, start, len)| Override {
            id: Uuid::from_u128(0x1000 + id),
            user_id: user(u),
            start,
            end: start + len * MINUTE,
        })
}

/// A rota, with up to `max_overrides` overrides near the range, and a range in its zone.
fn arb_case(max_overrides: usize) -> impl Strategy<Value = (Rota, Millis, Millis)> {
    prop::sample::select(ZONES)
        .prop_flat_map(|zone| (Just(zone), arb_range_in(zone)))
        .prop_flat_map(move |(zone, (from, to))| {
            (
                Just((zone, from, to)),
                prop::collection::vec(arb_layer(true), 1..4),
                prop::collection::vec(arb_override_near(from, to), 0..=max_overrides),
            )
        })
        .prop_map(|((zone, from, to), layers, overrides)| {
            let rota = Rota {
                time_zone: zone.to_string(),
                layers,
                overrides,
            };
            (rota, from, to)
        })
}

/// When turn `k` of a layer begins, by jiff's zoned arithmetic (a span of days on the zoned
/// start, re-resolved compatibly from the civil hand-off) or plain hours.
fn reference_handoff(tz: &TimeZone, layer: &Layer, k: i64) -> Millis {
    let count = i64::from(layer.turn.count);
    match layer.turn.unit {
        TurnUnit::Hours => {
            let start = tz.to_ambiguous_timestamp(layer.start).compatible().unwrap();
            start
                .checked_add(SignedDuration::from_hours(k * count))
                .unwrap()
                .as_millisecond()
        }
        TurnUnit::Days | TurnUnit::Weeks => {
            let span = if layer.turn.unit == TurnUnit::Days {
                jiff::Span::new().days(k * count)
            } else {
                jiff::Span::new().weeks(k * count)
            };
            let dt = layer.start.checked_add(span).unwrap();
            tz.to_ambiguous_timestamp(dt)
                .compatible()
                .unwrap()
                .as_millisecond()
        }
    }
}

/// Who a layer has at `at` in the reference model: the turn by binary search over hand-offs,
/// restrictions checked on the wall-clock datetime.
fn reference_person(tz: &TimeZone, layer: &Layer, at: Millis) -> Option<Uuid> {
    if at < reference_handoff(tz, layer, 0) {
        return None;
    }
    if !layer.restrictions.is_empty() {
        let local = tz.to_datetime(Timestamp::from_millisecond(at).unwrap());
        if !layer.restrictions.iter().any(|r| r.contains(local)) {
            return None;
        }
    }
    // The largest k with handoff(k) <= at.
    let (mut lo, mut hi) = (0i64, 1i64);
    while reference_handoff(tz, layer, hi) <= at {
        lo = hi;
        hi *= 2;
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if reference_handoff(tz, layer, mid) <= at {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(layer.members[(lo as usize) % layer.members.len()])
}

fn reference_on_call(r: &Rota, at: Millis) -> Vec<Uuid> {
    let mut people = Vec::new();
    for o in &r.overrides {
        if o.start <= at && at < o.end && !people.contains(&o.user_id) {
            people.push(o.user_id);
        }
    }
    if !people.is_empty() {
        return people;
    }
    let tz = TimeZone::get(&r.time_zone).unwrap();
    r.layers
        .iter()
        .rev()
        .find_map(|l| reference_person(&tz, l, at))
        .into_iter()
        .collect()
}

/// Instants to probe in a range: random ones plus every shift's edges and their neighbours.
fn probes(shifts: &[Shift], from: Millis, to: Millis, offsets: &[u64]) -> Vec<Millis> {
    let span = (to - from) as u64;
    let mut out: Vec<Millis> = offsets
        .iter()
        .map(|o| from + (o % span) as Millis)
        .collect();
    for s in shifts {
        out.extend([s.start - 1, s.start, s.end - 1, s.end]);
    }
    out.retain(|&t| from <= t && t < to);
    out
}

fn people_in(shifts: &[Shift], at: Millis) -> Vec<Uuid> {
    let mut v: Vec<Uuid> = shifts
        .iter()
        .filter(|s| s.start <= at && at < s.end)
        .map(|s| s.user_id)
        .collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<Uuid>) -> Vec<Uuid> {
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Without overrides: at most one person at any instant, the reference model's.
    #[test]
    fn one_person_from_the_right_layer(
        (r, from, to) in arb_case(0),
        offsets in prop::collection::vec(any::<u64>(), 24),
    ) {
        let shifts = r.shifts(from, to);
        for t in probes(&shifts, from, to, &offsets) {
            let now = r.on_call_at(t);
            prop_assert!(now.len() <= 1);
            prop_assert_eq!(&now, &reference_on_call(&r, t), "at {}", t);
        }
    }

    /// `on_call_at` agrees with the shifts covering the instant, overrides included.
    #[test]
    fn on_call_at_agrees_with_shifts(
        (r, from, to) in arb_case(4),
        offsets in prop::collection::vec(any::<u64>(), 24),
    ) {
        let shifts = r.shifts(from, to);
        for t in probes(&shifts, from, to, &offsets) {
            let now = r.on_call_at(t);
            prop_assert_eq!(sorted(now.clone()), people_in(&shifts, t), "at {}", t);
            prop_assert_eq!(&now, &reference_on_call(&r, t), "at {}", t);
            let mut tiny: Vec<Uuid> = r.shifts(t, t + 1).iter().map(|s| s.user_id).collect();
            tiny.sort();
            prop_assert_eq!(sorted(now), tiny);
        }
    }

    /// Shifts are in order, inside the range, non-empty and merged; without overrides they do
    /// not overlap. Splitting the range gives the same schedule once pieces are joined.
    #[test]
    fn shifts_are_well_formed(
        (r, from, to) in arb_case(3),
        cut in any::<u64>(),
    ) {
        let shifts = r.shifts(from, to);
        for s in &shifts {
            prop_assert!(from <= s.start && s.start < s.end && s.end <= to, "{:?}", s);
        }
        for w in shifts.windows(2) {
            prop_assert!(w[0].start <= w[1].start);
        }
        for (i, a) in shifts.iter().enumerate() {
            for b in &shifts[i + 1..] {
                let same = a.user_id == b.user_id && a.source == b.source;
                let touch = a.end == b.start || b.end == a.start;
                prop_assert!(!(same && touch), "unmerged {:?} {:?}", a, b);
                if a.user_id == b.user_id {
                    let apart = a.end <= b.start || b.end <= a.start;
                    prop_assert!(apart, "same person twice {:?} {:?}", a, b);
                }
            }
        }
        if r.overrides.is_empty() {
            for w in shifts.windows(2) {
                prop_assert!(w[0].end <= w[1].start, "overlap {:?} {:?}", w[0], w[1]);
            }
        }
        // Split and join.
        let mid = from + (cut % (to - from) as u64) as Millis;
        let mut joined = r.shifts(from, mid);
        for s in r.shifts(mid, to) {
            match joined
                .iter_mut()
                .find(|j| {
                    let same = j.user_id == s.user_id && j.source == s.source;
                    same && j.end == s.start && j.end == mid
                })
            {
                Some(j) => j.end = s.end,
                None => joined.push(s),
            }
        }
        joined.sort_by_key(|s| (s.start, s.end));
        let mut whole = shifts.clone();
        whole.sort_by_key(|s| (s.start, s.end));
        prop_assert_eq!(whole, joined);
    }

    /// Where an override covers an instant, only overrides' people are on call.
    #[test]
    fn overrides_always_win(
        r in arb_rota(4),
        picks in prop::collection::vec(any::<u64>(), 8),
    ) {
        for o in &r.overrides {
            let from = o.start - 6 * HOUR;
            let to = o.end + 6 * HOUR;
            let shifts = r.shifts(from, to);
            for p in &picks {
                let t = o.start + (p % (o.end - o.start) as u64) as Millis;
                prop_assert!(r.on_call_at(t).contains(&o.user_id));
                for s in shifts.iter().filter(|s| s.start <= t && t < s.end) {
                    prop_assert!(matches!(s.source, ShiftSource::Override { .. }), "{:?}", s);
                }
            }
        }
    }

    /// A restricted layer's own shifts, and every final shift from it, lie inside its windows
    /// on the wall clock.
    #[test]
    fn restricted_layers_only_inside_their_windows(
        (r, from, to) in arb_case(0),
        picks in prop::collection::vec(any::<u64>(), 6),
    ) {
        let tz = TimeZone::get(&r.time_zone).unwrap();
        let inside = |layer: &Layer, t: Millis| {
            let local = tz.to_datetime(Timestamp::from_millisecond(t).unwrap());
            layer.restrictions.is_empty() || layer.restrictions.iter().any(|x| x.contains(local))
        };
        for (i, layer) in r.layers.iter().enumerate() {
            let mut all = r.layer_shifts(i, from, to);
            let source = ShiftSource::Layer { index: i };
            all.extend(r.shifts(from, to).into_iter().filter(|s| s.source == source));
            for s in all {
                let len = (s.end - s.start) as u64;
                let mut ts = vec![s.start, s.end - 1, s.start + (s.end - s.start) / 2];
                ts.extend(picks.iter().map(|p| s.start + (p % len) as Millis));
                for t in ts {
                    prop_assert!(inside(layer, t), "layer {} at {}: {:?}", i, t, s);
                }
            }
            // And wherever the layer's own shifts leave off (inside the range, after its start)
            // no window is open.
            let own = r.layer_shifts(i, from, to);
            let start = reference_handoff(&tz, layer, 0);
            for p in &picks {
                let t = from + (p % (to - from) as u64) as Millis;
                let covered = own.iter().any(|s| s.start <= t && t < s.end);
                if t >= start {
                    prop_assert_eq!(covered, inside(layer, t), "layer {} at {}", i, t);
                } else {
                    prop_assert!(!covered);
                }
            }
        }
    }

    /// Day and week hand-offs fall at the start's wall-clock time (where it exists that day),
    /// weeks on its weekday, every `count` units; hour hand-offs every `count` hours exactly.
    #[test]
    fn handoffs_keep_the_wall_clock(
        (zone, (from, to)) in prop::sample::select(ZONES)
            .prop_flat_map(|zone| (Just(zone), arb_range_in(zone))),
        layer in arb_layer(false),
    ) {
        let r = rota(zone, vec![layer.clone()]);
        let tz = TimeZone::get(zone).unwrap();
        let start = reference_handoff(&tz, &layer, 0);
        let handoffs = r.layer_handoffs(0, from, to);
        for w in handoffs.windows(2) {
            prop_assert!(w[0] < w[1]);
        }
        for &h in &handoffs {
            prop_assert!(from <= h && h < to && h >= start);
            let count = i64::from(layer.turn.count);
            match layer.turn.unit {
                TurnUnit::Hours => prop_assert_eq!((h - start) % (count * HOUR), 0),
                TurnUnit::Days | TurnUnit::Weeks => {
                    let local = tz.to_datetime(Timestamp::from_millisecond(h).unwrap());
                    let wall = local.date().to_datetime(layer.start.time());
                    let exists = !matches!(
                        tz.to_ambiguous_timestamp(wall).offset(),
                        AmbiguousOffset::Gap { .. }
                    );
                    // In a gap the hand-off moves past it, possibly onto the next day; only
                    // check the days where the time exists.
                    if exists {
                        prop_assert_eq!(local.time(), layer.start.time(), "at {}", h);
                        let days = i64::from(
                            layer.start.date().until(local.date()).unwrap().get_days()
                        );
                        let per = match layer.turn.unit {
                            TurnUnit::Weeks => 7 * count,
                            _ => count,
                        };
                        prop_assert_eq!(days % per, 0);
                    }
                }
            }
        }
        // Consecutive hand-offs of a layer alone are where its shifts change hands (when the
        // two members differ).
        let shifts = r.shifts(from, to);
        for w in shifts.windows(2) {
            prop_assert!(w[0].end == w[1].start);
            prop_assert!(handoffs.contains(&w[1].start), "{:?} not at a hand-off", w[1]);
        }
    }

    /// Gaps and shifts tile the range; gaps are maximal and nobody is on call in them.
    #[test]
    fn gaps_and_shifts_tile_the_range(
        (r, from, to) in arb_case(2),
        picks in prop::collection::vec(any::<u64>(), 4),
    ) {
        let shifts = r.shifts(from, to);
        let gaps = r.gaps(from, to);
        let mut covered: Vec<(Millis, Millis)> = Vec::new();
        for s in &shifts {
            match covered.last_mut() {
                Some(last) if last.1 >= s.start => last.1 = last.1.max(s.end),
                _ => covered.push((s.start, s.end)),
            }
        }
        let covered_len: Millis = covered.iter().map(|(a, b)| b - a).sum();
        let gap_len: Millis = gaps.iter().map(|(a, b)| b - a).sum();
        prop_assert_eq!(covered_len + gap_len, to - from);
        for w in gaps.windows(2) {
            prop_assert!(w[0].1 < w[1].0, "gaps not maximal {:?}", gaps);
        }
        for &(a, b) in &gaps {
            prop_assert!(from <= a && a < b && b <= to);
            prop_assert!(!covered.iter().any(|&(s, e)| s < b && a < e));
            let inside = picks.iter().map(|p| a + (p % (b - a) as u64) as Millis);
            for t in [a, b - 1].into_iter().chain(inside) {
                prop_assert_eq!(r.on_call_at(t), NOBODY);
            }
        }
    }
}
