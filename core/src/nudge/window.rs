//! Local time: turning "09:00 on 2026-03-08 in America/New_York" into an instant, and back.
//!
//! *Why a module of its own:* this is where DST bites. The rules, identical to `java.time` and to
//! Foundation's default, so that the shells agree with the core:
//!
//! - a local time that does not exist (spring-forward gap) moves forward by the length of the gap
//!   (02:30 in a 02:00→03:00 gap becomes 03:30; on Lord Howe's 30-minute gap, 02:00 → 02:30);
//! - a local time that happens twice (fall-back overlap) takes the earlier instant.
//!
//! A day is always planned by its local calendar date, so a 23- or 25-hour day still has each of
//! its slots once.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

use super::{NudgeError, Zone};

/// Parses an IANA zone name against the OS time-zone database ([`Zone`]).
pub fn parse_tz(name: &str) -> Result<Zone, NudgeError> {
    Ok(Zone::get(name)?)
}

/// The instant of local `minute` (`0..1440`) on `date` in `tz`, with the gap/overlap rules above.
pub fn local_to_utc(tz: &Zone, date: NaiveDate, minute: u16) -> DateTime<Utc> {
    let time = NaiveTime::from_num_seconds_from_midnight_opt(u32::from(minute.min(1439)) * 60, 0)
        .unwrap_or(NaiveTime::MIN);
    let naive = date.and_time(time);
    resolve(tz, naive)
}

/// Resolves a naive local date-time to an instant (gap: forward by its length; overlap: the
/// earlier instant).
pub fn resolve(tz: &Zone, naive: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local(naive)
}

/// The local date and minute of day of `t` in `tz`.
pub fn utc_to_local(tz: &Zone, t: DateTime<Utc>) -> (NaiveDate, u16) {
    let local = tz.to_local(t);
    let minute = local.hour() * 60 + local.minute();
    (local.date(), minute as u16)
}

/// Parses an RFC 3339 instant, or gives the clock's `now` for `None` (for the CLI and shells
/// that pass times as strings).
pub fn instant_or_now(s: Option<&str>) -> Result<DateTime<Utc>, NudgeError> {
    match s {
        None => Ok(Utc::now()),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| NudgeError::BadInstant(format!("{s:?}: {e}"))),
    }
}

/// RFC 3339 rendering of `t` in `tz`, with the zone's offset (`2026-03-08T09:00:00-04:00`).
pub fn rfc3339_local(tz: &Zone, t: DateTime<Utc>) -> String {
    tz.to_fixed(t).to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn gap_moves_forward_by_its_length() {
        let ny = parse_tz("America/New_York").expect("tz");
        // 2026-03-08 02:30 does not exist in New York; 03:30 EDT = 07:30 UTC.
        let t = local_to_utc(&ny, d(2026, 3, 8), 150);
        assert_eq!(t.to_rfc3339(), "2026-03-08T07:30:00+00:00");
        assert_eq!(rfc3339_local(&ny, t), "2026-03-08T03:30:00-04:00");
        let lh = parse_tz("Australia/Lord_Howe").expect("tz");
        // Lord Howe springs forward 02:00 → 02:30 on 2026-10-04.
        let t = local_to_utc(&lh, d(2026, 10, 4), 120);
        assert_eq!(utc_to_local(&lh, t), (d(2026, 10, 4), 150));
    }

    #[test]
    fn overlap_takes_the_earlier_instant() {
        let ny = parse_tz("America/New_York").expect("tz");
        // 2026-11-01 01:30 happens twice; the first is EDT (-04:00) = 05:30 UTC.
        let t = local_to_utc(&ny, d(2026, 11, 1), 90);
        assert_eq!(t.to_rfc3339(), "2026-11-01T05:30:00+00:00");
    }

    #[test]
    fn unknown_zone_is_a_typed_error() {
        assert!(matches!(
            parse_tz("Mars/Olympus_Mons"),
            Err(NudgeError::UnknownTimeZone(_))
        ));
    }
}
