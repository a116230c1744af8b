//! The iCalendar feed (RFC 5545) of on-call shifts.

use jiff::Timestamp;
use jiff::tz::Offset;

use crate::clock::Millis;

/// One event of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// Stable across fetches for the same shift (so calendar apps update instead of doubling).
    pub uid: String,
    pub start: Millis,
    pub end: Millis,
    pub summary: String,
    pub description: String,
}

/// A VCALENDAR with one VEVENT per event: CRLF line ends, lines folded at 75 octets, text
/// escaped, times in UTC, DTSTAMP `now`.
pub fn calendar(name: &str, events: &[FeedEvent], now: Millis) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Mayday//On-call//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape_text(name)));
    let stamp = utc(now);
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape_text(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{stamp}"));
        line(&mut out, &format!("DTSTART:{}", utc(e.start)));
        line(&mut out, &format!("DTEND:{}", utc(e.end)));
        line(&mut out, &format!("SUMMARY:{}", escape_text(&e.summary)));
        line(
            &mut out,
            &format!("DESCRIPTION:{}", escape_text(&e.description)),
        );
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// The most octets of a content line, CRLF excluded (RFC 5545 §3.1).
const MAX_LINE: usize = 75;

/// Appends one content line, folded: after at most 75 octets a CRLF and one space, never inside
/// a UTF-8 character; ends with CRLF.
fn line(out: &mut String, content: &str) {
    let mut rest = content;
    // The first line holds 75 octets; continuation lines start with the space.
    let mut room = MAX_LINE;
    loop {
        if rest.len() <= room {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = room;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        room = MAX_LINE - 1;
    }
}

/// A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon and comma get a backslash, a
/// line break (CRLF, LF or CR) becomes `\n`; other control characters, which TEXT cannot hold,
/// are dropped (a tab stays).
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// An instant as a UTC DATE-TIME, `YYYYMMDDTHHMMSSZ`, clamped to 0001-01-01 (the form has
/// four digits for the year) and jiff's last instant (9999-12-30T22:00:00Z).
pub fn utc(at: Millis) -> String {
    const MIN: Millis = -62_135_596_800_000; // 0001-01-01T00:00:00Z
    let max = Timestamp::MAX.as_second() * 1_000;
    let ts = Timestamp::from_millisecond(at.clamp(MIN, max)).unwrap_or(Timestamp::UNIX_EPOCH);
    let dt = Offset::UTC.to_datetime(ts);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const NOW: Millis = 1_774_857_600_000; // 2026-03-30T08:00:00Z

    fn event(summary: &str, description: &str) -> FeedEvent {
        FeedEvent {
            uid: "shift-1@mayday".into(),
            start: 1_774_252_800_000, // 2026-03-23T08:00:00Z
            end: 1_774_854_000_000,   // 2026-03-30T07:00:00Z
            summary: summary.into(),
            description: description.into(),
        }
    }

    /// Undoes folding: a CRLF followed by a space disappears.
    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    /// Undoes TEXT escaping.
    fn unescape(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n' | 'N') => out.push('\n'),
                    Some(c) => out.push(c),
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The unfolded content lines as (name, value) pairs.
    fn properties(text: &str) -> Vec<(String, String)> {
        assert!(text.ends_with("\r\n"));
        unfold(text)
            .strip_suffix("\r\n")
            .unwrap()
            .split("\r\n")
            .map(|line| {
                let (name, value) = line.split_once(':').expect("a property line");
                (name.to_string(), value.to_string())
            })
            .collect()
    }

    fn check_lines(text: &str) {
        // Every line ends with CRLF: no bare CR or LF.
        assert!(text.ends_with("\r\n"));
        let body = text.strip_suffix("\r\n").unwrap();
        for line in body.split("\r\n") {
            assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }
    }

    #[test]
    fn a_calendar_with_one_event() {
        let text = calendar("Platform on-call", &[event("On call: Ada", "Primary")], NOW);
        assert_eq!(
            text,
            "BEGIN:VCALENDAR\r\n\
             VERSION:2.0\r\n\
             PRODID:-//Mayday//On-call//EN\r\n\
             CALSCALE:GREGORIAN\r\n\
             METHOD:PUBLISH\r\n\
             X-WR-CALNAME:Platform on-call\r\n\
             BEGIN:VEVENT\r\n\
             UID:shift-1@mayday\r\n\
             DTSTAMP:20260330T080000Z\r\n\
             DTSTART:20260323T080000Z\r\n\
             DTEND:20260330T070000Z\r\n\
             SUMMARY:On call: Ada\r\n\
             DESCRIPTION:Primary\r\n\
             END:VEVENT\r\n\
             END:VCALENDAR\r\n"
        );
        assert_eq!(
            calendar("Empty", &[], NOW),
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mayday//On-call//EN\r\n\
             CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Empty\r\nEND:VCALENDAR\r\n"
        );
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape_text("a\\b;c,d\ne\r\nf\rg\th\u{7}i"),
            "a\\\\b\\;c\\,d\\ne\\nf\\ng\thi"
        );
        let text = calendar(
            "Ops; Tier 1, EU",
            &[event("Ada, Bob; and C:\\", "line one\nline two")],
            NOW,
        );
        assert!(text.contains("X-WR-CALNAME:Ops\\; Tier 1\\, EU\r\n"));
        assert!(text.contains("SUMMARY:Ada\\, Bob\\; and C:\\\\\r\n"));
        assert!(text.contains("DESCRIPTION:line one\\nline two\r\n"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let summary = "On call: Zoë Łukasiewicz-Øresund 日本語テキスト 🚨🚨 ".repeat(6);
        let text = calendar("Ω", &[event(&summary, &"x".repeat(200))], NOW);
        check_lines(&text);
        assert!(text.contains("\r\n "), "nothing was folded");
        // The first line of a fold is full (or a character short), continuations too.
        let lines: Vec<&str> = text.split("\r\n").collect();
        let start = lines
            .iter()
            .position(|l| l.starts_with("SUMMARY:"))
            .unwrap();
        assert!(lines[start].len() >= 72);
        assert!(lines[start + 1].starts_with(' '));
        let description = lines
            .iter()
            .position(|l| l.starts_with("DESCRIPTION:"))
            .unwrap();
        assert_eq!(lines[description].len(), 75);
        assert_eq!(lines[description + 1].len(), 75);
        let props = properties(&text);
        let get = |name: &str| &props.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(unescape(get("SUMMARY")), summary);
        assert_eq!(unescape(get("DESCRIPTION")), "x".repeat(200));
    }

    #[test]
    fn round_trip_through_a_line_parser() {
        let events = [
            event("Ada", "Layer 1"),
            FeedEvent {
                uid: "shift-2@mayday".into(),
                start: 0,
                end: 3_600_000,
                summary: "Bob".into(),
                description: "Override\nby Carol".into(),
            },
        ];
        let text = calendar("Team", &events, NOW);
        check_lines(&text);
        let props = properties(&text);
        let names: Vec<&str> = props.iter().map(|(n, _)| n.as_str()).collect();
        let mut expected = vec![
            "BEGIN",
            "VERSION",
            "PRODID",
            "CALSCALE",
            "METHOD",
            "X-WR-CALNAME",
        ];
        for _ in &events {
            expected.extend([
                "BEGIN",
                "UID",
                "DTSTAMP",
                "DTSTART",
                "DTEND",
                "SUMMARY",
                "DESCRIPTION",
                "END",
            ]);
        }
        expected.push("END");
        assert_eq!(names, expected);
        let second: Vec<(String, String)> = props[14..22].to_vec();
        assert_eq!(second[0], ("BEGIN".into(), "VEVENT".into()));
        assert_eq!(second[1].1, "shift-2@mayday");
        assert_eq!(second[3].1, "19700101T000000Z");
        assert_eq!(second[4].1, "19700101T010000Z");
        assert_eq!(unescape(&second[6].1), "Override\nby Carol");
    }

    #[test]
    fn utc_forms() {
        assert_eq!(utc(NOW), "20260330T080000Z");
        assert_eq!(utc(NOW + 59_999), "20260330T080059Z");
        assert_eq!(utc(-1), "19691231T235959Z");
        assert_eq!(utc(Millis::MIN), "00010101T000000Z");
        assert_eq!(utc(Millis::MAX), "99991230T220000Z");
    }

    fn arb_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                4 => any::<char>(),
                1 => prop::sample::select(vec!['\n', '\r', ',', ';', '\\', ':', 'é', '日', '🚨']),
            ],
            0..300,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    /// What a TEXT value can carry back: line breaks as `\n`, other control characters but the
    /// tab dropped.
    fn normalized(text: &str) -> String {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        text.chars()
            .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_text_folds_and_comes_back(
            name in arb_text(),
            summary in arb_text(),
            description in arb_text(),
        ) {
            let text = calendar(&name, &[event(&summary, &description)], NOW);
            check_lines(&text);
            let props = properties(&text);
            let get = |n: &str| props.iter().find(|(p, _)| p == n).unwrap().1.clone();
            prop_assert_eq!(unescape(&get("X-WR-CALNAME")), normalized(&name));
            prop_assert_eq!(unescape(&get("SUMMARY")), normalized(&summary));
            prop_assert_eq!(unescape(&get("DESCRIPTION")), normalized(&description));
        }
    }
}
