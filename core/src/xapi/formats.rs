//! The string formats of xAPI: UUIDs, IRIs, RFC 5646 language tags, ISO 8601 timestamps and
//! durations.
//!
//! *Why hand-written:* these few checks are all the validator needs, and a regex or IRI crate
//! would add hundreds of kilobytes to the phone binary for them.

/// True for `8-4-4-4-12` hex digits.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// True for an absolute IRI: a scheme, `:`, and no whitespace or forbidden characters.
pub fn is_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
}

/// True for a well-formed RFC 5646 language tag (`en`, `en-US`, `zh-Hant-TW`, `tlh`, `x-…`).
pub fn is_language_tag(s: &str) -> bool {
    if s.is_empty() || s.len() > 64 {
        return false;
    }
    let parts: Vec<&str> = s.split('-').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return false;
    }
    let first = parts[0];
    if first.eq_ignore_ascii_case("x") || first.eq_ignore_ascii_case("i") {
        return parts.len() > 1;
    }
    (2..=8).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_alphabetic())
}

/// True for an ISO 8601 / RFC 3339 date-time the spec accepts (offset `-00:00` is refused).
pub fn is_timestamp(s: &str) -> bool {
    if s.ends_with("-00") || s.ends_with("-0000") || s.ends_with("-00:00") {
        return false;
    }
    if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return true;
    }
    // Other ISO 8601 forms: basic-format offsets (+0100), hour-only offsets (+01), or none.
    let fmts = [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
    ];
    if fmts
        .iter()
        .any(|f| chrono::DateTime::parse_from_str(s, f).is_ok())
    {
        return true;
    }
    if let Some(base) = strip_hour_offset(s)
        && fmts
            .iter()
            .any(|f| chrono::DateTime::parse_from_str(&format!("{base}00"), f).is_ok())
    {
        return true;
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .any(|f| chrono::NaiveDateTime::parse_from_str(s, f).is_ok())
}

fn strip_hour_offset(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let n = b.len();
    (n > 3 && (b[n - 3] == b'+' || b[n - 3] == b'-') && b[n - 2..].iter().all(u8::is_ascii_digit))
        .then_some(s)
}

/// True for an ISO 8601 duration (`P1DT2H3M4.5S`, `PT0S`, `P3W`).
pub fn is_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    if rest.is_empty() {
        return false;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return false;
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    fn units(part: &str, allowed: &str) -> bool {
        let mut num = String::new();
        let mut order = 0;
        let mut last_fraction = false;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                num.push(c);
                continue;
            }
            let Some(pos) = allowed.find(c) else {
                return false;
            };
            if num.is_empty() || pos < order || last_fraction {
                return false;
            }
            if num.matches(['.', ',']).count() > 1 || num.starts_with(['.', ',']) {
                return false;
            }
            last_fraction = num.contains(['.', ',']);
            order = pos + 1;
            num.clear();
        }
        num.is_empty()
    }
    if date.is_empty() && time.is_none() {
        return false;
    }
    if date.ends_with('W') && time.is_none() {
        return units(date, "W");
    }
    units(date, "YMD") && time.is_none_or(|t| units(t, "HMS"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives() {
        assert!(is_uuid("ec531277-b57b-4c15-8d91-d292c5b2b8f7"));
        assert!(!is_uuid("MA97B177-9383-4934-8543-0F91A7A02836"));
        assert!(is_iri("http://adlnet.gov/expapi/verbs/attended"));
        assert!(!is_iri("should fail"));
        assert!(
            is_language_tag("en-US") && is_language_tag("tlh") && !is_language_tag("not a tag")
        );
        assert!(is_timestamp("2013-05-18T05:32:34.804Z"));
        assert!(is_timestamp("2008-09-15T15:53:00.601+00:00"));
        assert!(!is_timestamp("2008-09-15T15:53:00.601-00:00"));
        assert!(!is_timestamp("01/011/2015"));
        assert!(is_duration("PT12.50S") && is_duration("P1Y2M3DT4H5M6S") && is_duration("P3W"));
        assert!(!is_duration("should fail") && !is_duration("P") && !is_duration("PT"));
    }
}
