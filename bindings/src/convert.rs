//! Conversions between core types and their UniFFI mirrors, written once.
//!
//! *Why mirrors at all:* the core stays free of UniFFI, so every type that crosses the boundary
//! has a `uniffi::Record`/`uniffi::Enum` twin in this crate whose fields and `///` docs *are* the
//! Kotlin/Swift API. UniFFI's `#[uniffi::remote]` does not fit: it exposes the core type as is,
//! so it cannot hide core-only fields (filled from `Default` here), rename fields, or turn
//! `chrono` times into `SystemTime` without a custom type per time type.
//!
//! *Why a macro:* the `From` impls between a twin and its core type were copied by hand in both
//! directions, field by field. [`mirror!`] writes them from one list of names, so a field added
//! to a twin is converted both ways or fails to compile. Fields are moved as they are unless a
//! conversion function is named after a colon; the small generic functions below serve both
//! directions (`From` exists both ways between the element types).
//!
//! ```text
//! mirror!(enum mn::Platform <=> Platform { Ios, Android });
//! mirror!(struct mn::Schedule { .. } <=> Schedule { time_zone, shifts: vec, shift_minutes });
//! mirror!(struct mn::NudgeRecord => NudgeRecord { id, fired_at: into, outcome: into, … });
//! ```
//!
//! - The core type comes first; `<=>` writes both `From` impls, `=>` only core → twin, `<=` only
//!   twin → core.
//! - `field = core_field` (core → twin only) reads a core field of another name.
//! - `{ .. }` after the core type fills its other fields from `Default` when building it, so a
//!   field the core adds later keeps its default instead of breaking this crate's build.

use std::time::SystemTime;

use chrono::{DateTime, Utc};

/// `From` impls between a core type and its UniFFI twin; see the module docs for the syntax.
macro_rules! mirror {
    // Enums: variant for variant (unit variants only).
    (enum $($core:ident)::+ <=> $ffi:ident { $($v:ident),+ $(,)? }) => {
        $crate::convert::mirror!(enum $($core)::+ => $ffi { $($v),+ });
        $crate::convert::mirror!(enum $($core)::+ <= $ffi { $($v),+ });
    };
    (enum $($core:ident)::+ => $ffi:ident { $($v:ident),+ $(,)? }) => {
        impl From<$($core)::+> for $ffi {
            fn from(v: $($core)::+) -> Self {
                type Core = $($core)::+;
                match v {
                    $(Core::$v => Self::$v,)+
                }
            }
        }
    };
    (enum $($core:ident)::+ <= $ffi:ident { $($v:ident),+ $(,)? }) => {
        impl From<$ffi> for $($core)::+ {
            fn from(v: $ffi) -> Self {
                match v {
                    $($ffi::$v => Self::$v,)+
                }
            }
        }
    };

    // Structs: field for field, each through an optional conversion function.
    (struct $($core:ident)::+ $({ $rest:tt })? <=> $ffi:ident {
        $($f:ident $(: $conv:path)?),+ $(,)?
    }) => {
        $crate::convert::mirror!(struct $($core)::+ => $ffi { $($f $(: $conv)?),+ });
        $crate::convert::mirror!(struct $($core)::+ $({ $rest })? <= $ffi {
            $($f $(: $conv)?),+
        });
    };
    (struct $($core:ident)::+ $({ $rest:tt })? => $ffi:ident {
        $($f:ident $(= $cf:ident)? $(: $conv:path)?),+ $(,)?
    }) => {
        impl From<$($core)::+> for $ffi {
            fn from(v: $($core)::+) -> Self {
                Self {
                    $($f: $crate::convert::mirror!(@conv
                        $crate::convert::mirror!(@field v, $f $(, $cf)?) $(, $conv)?),)+
                }
            }
        }
    };
    (struct $($core:ident)::+ $({ $rest:tt })? <= $ffi:ident {
        $($f:ident $(: $conv:path)?),+ $(,)?
    }) => {
        impl From<$ffi> for $($core)::+ {
            fn from(v: $ffi) -> Self {
                Self {
                    $($f: $crate::convert::mirror!(@conv v.$f $(, $conv)?),)+
                    // `$rest` is `..`: the core's other fields from its `Default`.
                    $($rest Default::default())?
                }
            }
        }
    };

    (@field $v:ident, $f:ident) => { $v.$f };
    (@field $v:ident, $f:ident, $cf:ident) => { $v.$cf };
    (@conv $e:expr) => { $e };
    (@conv $e:expr, $conv:path) => { $conv($e) };
}
pub(crate) use mirror;

/// A value through its `From` impl (enums, records, `chrono` ⇄ `SystemTime`).
pub(crate) fn into<A: Into<B>, B>(a: A) -> B {
    a.into()
}

/// Every element of a list through its `From` impl.
pub(crate) fn vec<A: Into<B>, B>(v: Vec<A>) -> Vec<B> {
    v.into_iter().map(Into::into).collect()
}

/// An optional value through its `From` impl.
pub(crate) fn opt<A: Into<B>, B>(o: Option<A>) -> Option<B> {
    o.map(Into::into)
}

/// An optional value through its `From` impl, or the target's default when absent.
pub(crate) fn or_default<A: Into<B>, B: Default>(o: Option<A>) -> B {
    o.map(Into::into).unwrap_or_default()
}

/// A value's `Display` text (dates as `YYYY-MM-DD`).
pub(crate) fn text<T: std::fmt::Display>(t: T) -> String {
    t.to_string()
}

/// How many elements a list has.
pub(crate) fn count<T>(v: Vec<T>) -> u64 {
    v.len() as u64
}

/// `now` from the app, or the current instant.
pub(crate) fn instant(now: Option<SystemTime>) -> DateTime<Utc> {
    now.map(DateTime::<Utc>::from).unwrap_or_else(Utc::now)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use microlearn_core::{content as mc, nudge as mn, quiz as mq, xapi::model as mx};

    use super::*;

    /// Every field of a card survives core → twin → core, times and nested records included.
    #[test]
    fn card_round_trips_field_for_field() {
        let mut card = mc::Card::new("c-1", "Title");
        card.revision = 7;
        card.format = mc::CardFormat::Video;
        card.source = mc::CardSource::Curated;
        card.topics = vec!["safety".into()];
        card.media = vec![mc::MediaAsset {
            url: "m/a.mp4".into(),
            mime_type: "video/mp4".into(),
            bytes: 42,
            sha256: "ab".repeat(32),
        }];
        card.questions = vec![mc::QuizQuestion {
            id: "q-1".into(),
            stem: "Why?".into(),
            choices: vec!["a".into(), "b".into()],
            correct: vec![1],
            explanation: "Because.".into(),
        }];
        card.created_at = Some(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap());
        card.updated_at = None;
        let twin = crate::content::Card::from(card.clone());
        assert_eq!(twin.format, crate::content::CardFormat::Video);
        assert_eq!(twin.media[0].bytes, 42);
        assert_eq!(mc::Card::from(twin), card);
    }

    /// Records and enums mirrored both ways come back equal.
    #[test]
    fn schedule_and_enums_round_trip() {
        let schedule = mn::Schedule {
            time_zone: "Europe/Berlin".into(),
            shifts: vec![mn::ShiftStart {
                weekday: 2,
                start_min: 420,
            }],
            shift_minutes: 480,
        };
        let twin = crate::nudge::Schedule::from(schedule.clone());
        assert_eq!(twin.shifts[0].start_min, 420);
        assert_eq!(mn::Schedule::from(twin), schedule);
        for p in [mn::Platform::Ios, mn::Platform::Android] {
            assert_eq!(mn::Platform::from(crate::nudge::Platform::from(p)), p);
        }
    }

    /// A one-way mirror with a renamed field and a `Display` conversion.
    #[test]
    fn renamed_and_text_fields() {
        let at = Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap();
        let badge = mq::Badge {
            id: "streak-7".into(),
            name: "Week".into(),
            earned_on: at.date_naive(),
        };
        assert_eq!(crate::quiz::Badge::from(badge).earned_on, "2026-03-29");
        let state = mc::sync::SyncState {
            url: "http://127.0.0.1/index.json".into(),
            etag: Some("\"e1\"".into()),
            catalog_id: "cat".into(),
            applied: vec!["s1".into(), "s2".into(), "s3".into()],
            synced_at: 1_700_000_000,
        };
        let twin = crate::content::sync::SyncState::from(state);
        assert_eq!((twin.applied_shards, twin.synced_at), (3, 1_700_000_000));
        assert_eq!(
            or_default::<crate::xapi::XapiVersion, mx::XapiVersion>(None),
            mx::XapiVersion::default()
        );
        assert_eq!(instant(Some(SystemTime::from(at))), at);
    }
}
