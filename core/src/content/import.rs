//! JSON Lines import: one card JSON per line.
//!
//! An import is all or nothing: every line is parsed and validated first, and only a file with
//! no error is applied, in one transaction. Errors name the line.

use std::{collections::HashSet, io::BufRead};

use serde::Serialize;

use super::{Card, ContentError};

/// Longest accepted line, in bytes (a card's body limit plus room for the other fields).
pub const MAX_LINE_BYTES: usize = 512 * 1024;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Cards added or updated.
    pub imported: u64,
    /// Blank lines skipped.
    pub skipped_blank: u64,
}

/// Parses and validates JSON Lines from `reader`. Fails on the first bad line, naming it.
pub fn parse_jsonl(reader: impl BufRead) -> Result<Vec<Card>, ContentError> {
    let mut cards = Vec::new();
    let mut seen = HashSet::new();
    for (i, line) in reader.split(b'\n').enumerate() {
        let line_no = i + 1;
        let line = line.map_err(|e| ContentError::Parse {
            line: line_no,
            message: e.to_string(),
        })?;
        if line.len() > MAX_LINE_BYTES {
            return Err(ContentError::Parse {
                line: line_no,
                message: format!("line is {} bytes, over {MAX_LINE_BYTES}", line.len()),
            });
        }
        let text = std::str::from_utf8(&line).map_err(|e| ContentError::Parse {
            line: line_no,
            message: e.to_string(),
        })?;
        if text.trim().is_empty() {
            continue;
        }
        let card: Card = serde_json::from_str(text).map_err(|e| ContentError::Parse {
            line: line_no,
            message: e.to_string(),
        })?;
        card.validate().map_err(|e| ContentError::Parse {
            line: line_no,
            message: e.to_string(),
        })?;
        if !seen.insert(card.id.clone()) {
            return Err(ContentError::DuplicateId(card.id));
        }
        cards.push(card);
    }
    Ok(cards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_line_numbers() {
        let ok =
            "{\"id\":\"a\",\"title\":\"A\"}\n\n{\"id\":\"b\",\"title\":\"B\",\"tags\":[\"x\"]}\n";
        let cards = parse_jsonl(ok.as_bytes()).expect("ok");
        assert_eq!(cards.len(), 2);
        let bad = "{\"id\":\"a\",\"title\":\"A\"}\n{\"id\":\"b\"\n";
        match parse_jsonl(bad.as_bytes()) {
            Err(ContentError::Parse { line: 2, .. }) => {}
            other => panic!("expected a parse error on line 2, got {other:?}"),
        }
        let dup = "{\"id\":\"a\",\"title\":\"A\"}\n{\"id\":\"a\",\"title\":\"B\"}\n";
        assert!(matches!(
            parse_jsonl(dup.as_bytes()),
            Err(ContentError::DuplicateId(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_jsonl(bytes.as_slice());
        }
    }
}
