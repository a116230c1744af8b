//! What the client prints: aligned tables, detail views, colour on a terminal only, times in
//! UTC, and the API's JSON re-indented without changing a byte of its content.

use std::io::IsTerminal;

use serde_json::Value;

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables and detail views for people.
    Table,
    /// The API's JSON, pretty-printed.
    Json,
}

/// Where output goes and whether it may be coloured.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub format: Format,
    pub color: bool,
}

impl Out {
    pub fn new(format: Format) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            format,
            color: !no_color && std::io::stdout().is_terminal(),
        }
    }

    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// `text` in `style` when colour is on.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.color && !style.0.is_empty() {
            format!("\x1b[{}m{text}\x1b[0m", style.0)
        } else {
            text.to_string()
        }
    }

    /// Prints the body of an API answer as pretty JSON.
    pub fn print_raw_json(&self, text: &str) {
        println!("{}", pretty_json(text));
    }
}

/// An ANSI SGR parameter list (`""` for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style(pub &'static str);

impl Style {
    pub const NONE: Style = Style("");
    pub const BOLD: Style = Style("1");
    pub const DIM: Style = Style("2");
}

/// The colour of a priority (P1 loudest).
pub fn priority_style(p: &str) -> Style {
    match p {
        "P1" => Style("1;31"),
        "P2" => Style("31"),
        "P3" => Style("33"),
        "P4" => Style("36"),
        "P5" => Style::DIM,
        _ => Style::NONE,
    }
}

/// The colour of a status.
pub fn status_style(s: &str) -> Style {
    match s {
        "new" => Style("1;36"),
        "acknowledged" => Style("34"),
        "in_progress" => Style("33"),
        "on_hold" => Style("35"),
        "resolved" => Style("32"),
        "closed" | "canceled" => Style::DIM,
        _ => Style::NONE,
    }
}

/// A table: a header row, then rows of cells, columns padded to the widest cell.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<(String, Style)>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<(String, Style)>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn render(&self, out: &Out) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, (text, _)) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(width(text));
            }
        }
        let mut s = String::new();
        let line = |s: &mut String, cells: Vec<(String, Style)>| {
            let last = cells.len().saturating_sub(1);
            for (i, (text, style)) in cells.into_iter().enumerate() {
                s.push_str(&out.paint(style, &text));
                if i < last {
                    let pad = widths[i] - width(&text) + 2;
                    s.extend(std::iter::repeat_n(' ', pad));
                }
            }
            s.push('\n');
        };
        line(
            &mut s,
            self.headers
                .iter()
                .map(|h| (h.to_string(), Style::BOLD))
                .collect(),
        );
        for row in &self.rows {
            line(&mut s, row.clone());
        }
        s
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// A plain cell.
pub fn cell(text: impl Into<String>) -> (String, Style) {
    (text.into(), Style::NONE)
}

/// `text` cut to `max` characters with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    let one_line = text.lines().next().unwrap_or("");
    if width(one_line) <= max && one_line.len() == text.len() {
        return one_line.to_string();
    }
    let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// Label/value lines with the labels padded to one width.
pub struct Detail {
    lines: Vec<(&'static str, String)>,
}

impl Detail {
    pub fn new() -> Self {
        Self { lines: Vec::new() }
    }

    pub fn add(&mut self, label: &'static str, value: impl Into<String>) {
        self.lines.push((label, value.into()));
    }

    /// Adds the line only when the value is not empty.
    pub fn some(&mut self, label: &'static str, value: Option<String>) {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            self.add(label, v);
        }
    }

    pub fn render(&self, out: &Out) -> String {
        let w = self.lines.iter().map(|(l, _)| width(l)).max().unwrap_or(0);
        let mut s = String::new();
        for (label, value) in &self.lines {
            let pad = " ".repeat(w - width(label));
            let mut rest = value.lines();
            let first = rest.next().unwrap_or("");
            s.push_str(&format!(
                "{}{pad}  {first}\n",
                out.paint(Style::BOLD, &format!("{label}:"))
            ));
            for l in rest {
                s.push_str(&format!("{}   {l}\n", " ".repeat(w)));
            }
        }
        s
    }
}

// --- values ---

/// A JSON value as short text: strings bare, null as `-`, lists comma-separated.
pub fn show(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        Value::Object(o) => match (o.get("name"), o.get("number")) {
            (Some(Value::String(n)), _) | (_, Some(Value::String(n))) => n.clone(),
            _ => v.to_string(),
        },
        other => other.to_string(),
    }
}

/// A string field, if present and not null.
pub fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The name of a `{id, name}` reference field, if set.
pub fn name_field(v: &Value, key: &str) -> Option<String> {
    let r = v.get(key).filter(|r| !r.is_null())?;
    Some(
        r.get("name")
            .or_else(|| r.get("number"))
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| {
                r.get("id")
                    .map(show)
                    .map(|id| format!("{id} (deleted)"))
                    .unwrap_or_default()
            }),
    )
}

/// An RFC 3339 time as `2025-01-31 09:10` (UTC).
pub fn short_time(v: Option<&str>) -> String {
    match v.and_then(|t| t.parse::<jiff::Timestamp>().ok()) {
        Some(t) => t.strftime("%Y-%m-%d %H:%M").to_string(),
        None => v.unwrap_or("-").to_string(),
    }
}

/// An RFC 3339 time as `2025-01-31 09:10:11 UTC (3h ago)`.
pub fn long_time(v: Option<&str>) -> Option<String> {
    let text = v?;
    let Ok(t) = text.parse::<jiff::Timestamp>() else {
        return Some(text.to_string());
    };
    let secs = jiff::Timestamp::now().as_second() - t.as_second();
    let ago = match secs {
        s if s < 0 => "in the future".to_string(),
        s if s < 60 => "just now".to_string(),
        s if s < 3600 => format!("{}m ago", s / 60),
        s if s < 86_400 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86_400),
    };
    Some(format!("{} UTC ({ago})", t.strftime("%Y-%m-%d %H:%M:%S")))
}

/// A time in a timeline line: `2025-01-31 09:10:11`.
pub fn event_time(v: Option<&str>) -> String {
    match v.and_then(|t| t.parse::<jiff::Timestamp>().ok()) {
        Some(t) => t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        None => v.unwrap_or("-").to_string(),
    }
}

// --- JSON ---

/// Re-indents compact JSON text two spaces per level, like `serde_json::to_string_pretty`,
/// keeping keys in the order the server sent them and every value byte for byte.
pub fn pretty_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.trim().chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(c);
                    out.push(close);
                } else {
                    out.push(c);
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_json_matches_serde_json_and_keeps_key_order() {
        let text = r#"{"a":1,"b":[],"c":{},"d":[1,{"e":"x, y: {z}","f":null}],"g":"q\"uo\\te"}"#;
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            pretty_json(text),
            serde_json::to_string_pretty(&value).unwrap()
        );
        let unsorted = r#"{"z":1,"a":2}"#;
        assert_eq!(pretty_json(unsorted), "{\n  \"z\": 1,\n  \"a\": 2\n}");
    }

    #[test]
    fn tables_align_without_colour() {
        let out = Out {
            format: Format::Table,
            color: false,
        };
        let mut t = Table::new(&["A", "LONGER"]);
        t.row(vec![cell("wide value"), cell("x")]);
        t.row(vec![cell("é"), cell("y")]);
        assert_eq!(
            t.render(&out),
            "A           LONGER\nwide value  x\né           y\n"
        );
    }

    #[test]
    fn colour_wraps_only_when_on() {
        let on = Out {
            format: Format::Table,
            color: true,
        };
        assert_eq!(on.paint(priority_style("P1"), "P1"), "\x1b[1;31mP1\x1b[0m");
        let off = Out { color: false, ..on };
        assert_eq!(off.paint(priority_style("P1"), "P1"), "P1");
    }

    #[test]
    fn truncation_keeps_the_first_line() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdefghijkl", 5), "abcd…");
        assert_eq!(truncate("one\ntwo", 10), "one…");
    }
}
