//! IANA time zones from the **operating system's** time-zone database.
//!
//! *Why not a bundled database:* chrono-tz compiled the whole IANA database into the library,
//! about 1.2 MB of tables plus their relocations: a sixth of the shipped library, and frozen at
//! build time while the OS updates its copy a few times a year. Every platform we ship on already
//! has the database, which [`jiff`] reads (it is used for nothing else; the rest of the core
//! stays on chrono):
//!
//! - Linux and macOS/iOS: the TZif files under `/usr/share/zoneinfo` (`TZDIR` overrides; on
//!   Debian the `tzdata` package, installed by `tests/setup.d/05-tzdata.sh`); on Apple platforms
//!   also `/var/db/timezone/zoneinfo`, the directory `/usr/share/zoneinfo` links to;
//! - Android: the concatenated `tzdata` file of the time-zone APEX
//!   (`/apex/com.android.tzdata/etc/tz/tzdata`, Android 10+, updated through Google Play system
//!   updates) — tried first, since jiff 0.2 only knows the older locations — then jiff's own
//!   (`/data/misc/zoneinfo/current/tzdata`, `/system/usr/share/zoneinfo/tzdata`).
//!
//! A name the database does not know, or a machine without a database, is a typed error
//! ([`ZoneError`]), never a silent fall-back to UTC. Zones are looked up once per call and cached
//! by jiff; conversions are a binary search over the zone's transitions.

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone, TimeZoneDatabase};
use jiff::{Timestamp, civil};

/// Where a time-zone database may be, tried in order before jiff's own search.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// A concatenated (Android) `tzdata` file.
    #[cfg_attr(not(target_os = "android"), allow(dead_code))]
    Concatenated(&'static str),
    /// A zoneinfo directory of TZif files.
    #[cfg_attr(not(target_vendor = "apple"), allow(dead_code))]
    Dir(&'static str),
}

/// Tried before jiff's default search (`TZDIR`, `/usr/share/zoneinfo`, Android's older paths).
#[cfg(target_os = "android")]
const FIRST: &[Source] = &[Source::Concatenated(
    "/apex/com.android.tzdata/etc/tz/tzdata",
)];
#[cfg(not(target_os = "android"))]
const FIRST: &[Source] = &[];
/// Tried when jiff's default search found nothing.
#[cfg(target_vendor = "apple")]
const FALLBACK: &[Source] = &[Source::Dir("/var/db/timezone/zoneinfo")];
#[cfg(not(target_vendor = "apple"))]
const FALLBACK: &[Source] = &[];

/// The first non-empty database: `first`, then jiff's default search, then `fallback`.
fn open_db(first: &[Source], fallback: &[Source]) -> TimeZoneDatabase {
    let open = |s: &Source| {
        match *s {
            Source::Concatenated(p) => TimeZoneDatabase::from_concatenated_path(p),
            Source::Dir(p) => TimeZoneDatabase::from_dir(p),
        }
        .ok()
        .filter(|db| !db.is_definitively_empty())
    };
    if let Some(db) = first.iter().find_map(open) {
        return db;
    }
    let db = TimeZoneDatabase::from_env();
    if !db.is_definitively_empty() {
        return db;
    }
    fallback.iter().find_map(open).unwrap_or(db)
}

/// The process-wide database, opened on first use (jiff caches zones and re-reads changed files).
fn db() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(|| open_db(FIRST, FALLBACK))
}

/// Why a time-zone name could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    /// The database does not know this name.
    #[error("unknown time zone {0:?} (expected an IANA name such as \"Europe/London\")")]
    Unknown(String),
    /// The machine has no time-zone database at all (e.g. a container without `tzdata`).
    #[error(
        "time zone {0:?}: no time-zone database found on this system (looked in $TZDIR, \
         /usr/share/zoneinfo and Android's tzdata; on Debian install the `tzdata` package)"
    )]
    NoDatabase(String),
}

/// An IANA time zone, resolved from the OS database.
#[derive(Debug, Clone)]
pub struct Zone {
    tz: TimeZone,
}

impl Zone {
    /// Resolves an IANA name (`"America/New_York"`; ASCII case is ignored, `"UTC"` always works).
    pub fn get(name: &str) -> Result<Zone, ZoneError> {
        if name.eq_ignore_ascii_case("UTC") {
            return Ok(Zone { tz: TimeZone::UTC });
        }
        // jiff answers "Etc/Unknown" with an unnamed UTC zone: that is exactly the silent
        // fall-back this type exists to refuse.
        if name.eq_ignore_ascii_case("Etc/Unknown") {
            return Err(ZoneError::Unknown(name.to_owned()));
        }
        let db = db();
        match db.get(name) {
            Ok(tz) => Ok(Zone { tz }),
            Err(_) if db.is_definitively_empty() => Err(ZoneError::NoDatabase(name.to_owned())),
            Err(_) => Err(ZoneError::Unknown(name.to_owned())),
        }
    }

    /// The zone's canonical IANA name as the database spells it.
    pub fn name(&self) -> &str {
        self.tz.iana_name().unwrap_or("UTC")
    }

    /// The UTC offset in force at `t`.
    pub fn offset_at(&self, t: DateTime<Utc>) -> FixedOffset {
        fixed(self.tz.to_offset(timestamp(t)))
    }

    /// `t` as local wall-clock time.
    pub fn to_local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        self.to_fixed(t).naive_local()
    }

    /// `t`'s local calendar date.
    pub fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        self.to_local(t).date()
    }

    /// `t` with the zone's offset (for RFC 3339 rendering). At the very ends of chrono's range,
    /// where the local time would not be representable, `t` stays in UTC instead of panicking.
    pub fn to_fixed(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        let offset = self.offset_at(t);
        let shift = chrono::Duration::seconds(i64::from(offset.local_minus_utc()));
        match t.naive_utc().checked_add_signed(shift) {
            Some(_) => t.with_timezone(&offset),
            None => t.fixed_offset(),
        }
    }

    /// The instant of a local wall-clock time, with the `java.time` rules: a time in a gap
    /// (spring forward) keeps the offset in force before the gap, i.e. moves forward by its
    /// length; a time that happens twice (fall back) takes the earlier instant.
    pub fn from_local(&self, naive: NaiveDateTime) -> DateTime<Utc> {
        let offset = match civil_of(naive) {
            Some(dt) => match self.tz.to_ambiguous_timestamp(dt).offset() {
                AmbiguousOffset::Unambiguous { offset } => offset,
                // Both "before": for a gap it moves the time forward; for an overlap the
                // earlier instant is the one still on the pre-transition (larger) offset.
                AmbiguousOffset::Gap { before, .. } | AmbiguousOffset::Fold { before, .. } => {
                    before
                }
            },
            // Outside jiff's years -9999..=9999: no zone has rules there; use the offset at
            // the nearest representable instant.
            None => self.tz.to_offset(timestamp(Utc.from_utc_datetime(&naive))),
        };
        let utc = naive
            .checked_sub_signed(chrono::Duration::seconds(i64::from(offset.seconds())))
            .unwrap_or(naive);
        Utc.from_utc_datetime(&utc)
    }
}

/// chrono instant → jiff instant, clamped to jiff's range (years -9999..=9999).
fn timestamp(t: DateTime<Utc>) -> Timestamp {
    let s = t
        .timestamp()
        .clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// jiff offset (always within ±26 h) → chrono offset.
fn fixed(o: Offset) -> FixedOffset {
    FixedOffset::east_opt(o.seconds()).unwrap_or(chrono::Offset::fix(&Utc))
}

/// chrono wall-clock time → jiff civil time (`None` outside years -9999..=9999).
fn civil_of(n: NaiveDateTime) -> Option<civil::DateTime> {
    use chrono::{Datelike, Timelike};
    let year = i16::try_from(n.year()).ok()?;
    civil::DateTime::new(
        year,
        n.month() as i8,
        n.day() as i8,
        n.hour() as i8,
        n.minute() as i8,
        n.second() as i8,
        0,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn reads_the_system_database() {
        let z = Zone::get("america/new_york").expect("tzdata installed");
        assert_eq!(z.name(), "America/New_York");
        assert_eq!(
            z.offset_at(at("2026-01-15T12:00:00Z")).local_minus_utc(),
            -5 * 3600
        );
        assert_eq!(
            z.offset_at(at("2026-07-15T12:00:00Z")).local_minus_utc(),
            -4 * 3600
        );
        // A zone with a 30-minute DST shift and one east of the date line.
        let lh = Zone::get("Australia/Lord_Howe").expect("zone");
        assert_eq!(
            lh.offset_at(at("2026-01-15T00:00:00Z")).local_minus_utc(),
            11 * 3600
        );
        let ki = Zone::get("Pacific/Kiritimati").expect("zone");
        assert_eq!(
            ki.to_fixed(at("2026-01-01T00:00:00Z")).to_rfc3339(),
            "2026-01-01T14:00:00+14:00"
        );
    }

    #[test]
    fn database_search_skips_missing_sources() {
        let missing = [
            Source::Concatenated("/nonexistent/tzdata"),
            Source::Dir("/nonexistent/zoneinfo"),
        ];
        // Missing candidates fall through to jiff's search, then to the fallback list.
        let db = open_db(&missing, &missing);
        assert!(db.get("Europe/Berlin").is_ok());
        let dir = std::env::var("TZDIR").unwrap_or_else(|_| "/usr/share/zoneinfo".into());
        let dir: &'static str = Box::leak(dir.into_boxed_str());
        let db = open_db(&[Source::Dir(dir)], &[]);
        assert!(db.get("Asia/Kolkata").is_ok());
    }

    #[test]
    fn unknown_names_are_typed_errors_never_utc() {
        for bad in [
            "Mars/Olympus_Mons",
            "Etc/Unknown",
            "",
            "../../etc/passwd",
            "Europe/",
        ] {
            assert_eq!(
                Zone::get(bad).err(),
                Some(ZoneError::Unknown(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(Zone::get("UTC").expect("utc").name(), "UTC");
    }

    #[test]
    fn names_come_back_as_the_database_spells_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let core = crate::Microlearn::open(dir.path()).expect("open");
        let schedule = crate::nudge::Schedule {
            time_zone: "europe/LONDON".into(),
            ..Default::default()
        };
        core.set_nudge_schedule(&schedule).expect("set");
        let stored = core.nudge_schedule().expect("read").expect("some");
        assert_eq!(stored.time_zone, "Europe/London");
    }

    #[test]
    fn out_of_range_instants_do_not_panic() {
        let z = Zone::get("Europe/Paris").expect("zone");
        for t in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            let _ = z.to_local(t);
            let _ = z.to_fixed(t).to_rfc3339();
        }
        let far = NaiveDate::from_ymd_opt(200_000, 1, 1)
            .expect("date")
            .and_hms_opt(0, 0, 0)
            .expect("time");
        assert_eq!(
            z.from_local(far).naive_utc(),
            far - chrono::Duration::hours(1)
        );
    }
}
