//! Text preparation for full-text search, shared by both storage engines so that the same query
//! finds the same incidents everywhere: words are split on anything that is not a letter or digit,
//! lower-cased and stemmed (Snowball English), then handed to the engine as plain space-separated
//! tokens.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

/// Longer "words" (hashes, base64 blobs) are not indexed.
pub const MAX_TOKEN_BYTES: usize = 100;

/// Stemmed tokens of a text, in order.
pub fn tokens(text: &str) -> Vec<String> {
    static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));
    let stemmer = &*STEMMER;
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.len() <= MAX_TOKEN_BYTES)
        .map(|w| stemmer.stem(&w.to_lowercase()).into_owned())
        .collect()
}

/// The text an engine indexes: stemmed tokens joined by single spaces.
pub fn index_text(parts: &[&str]) -> String {
    parts
        .iter()
        .flat_map(|p| tokens(p))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One term of a parsed query: a single stemmed word or a phrase of consecutive words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Word(String),
    Phrase(Vec<String>),
}

/// Parses a user query: every term must match; `"quoted phrases"` match consecutive words.
/// Returns `None` when the query holds no searchable word.
pub fn parse_query(q: &str) -> Option<Vec<Term>> {
    let mut terms = Vec::new();
    for (i, chunk) in q.split('"').enumerate() {
        let toks = tokens(chunk);
        if i % 2 == 1 {
            match toks.len() {
                0 => {}
                1 => terms.push(Term::Word(toks.into_iter().next().unwrap_or_default())),
                _ => terms.push(Term::Phrase(toks)),
            }
        } else {
            terms.extend(toks.into_iter().map(Term::Word));
        }
    }
    if terms.is_empty() { None } else { Some(terms) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_and_lowercases() {
        assert_eq!(
            tokens("Databases FAILING, connection-refused!"),
            ["databas", "fail", "connect", "refus"]
        );
    }

    #[test]
    fn parses_words_and_phrases() {
        let t = parse_query(r#"printer "out of paper" jammed"#).unwrap();
        assert_eq!(
            t,
            vec![
                Term::Word("printer".into()),
                Term::Phrase(vec!["out".into(), "of".into(), "paper".into()]),
                Term::Word("jam".into()),
            ]
        );
        assert!(parse_query("  !!! \"\" ").is_none());
    }
}
