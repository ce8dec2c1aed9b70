//! The nudge schedule and preferences as the app hands them over (JSON through the CLI and the
//! shells' settings): time-zone lookup in the OS database and local-to-UTC conversion of every
//! shift, including the DST gaps and folds.
#![no_main]
use libfuzzer_sys::fuzz_target;
use microlearn_core::nudge::{
    types::{NudgePrefs, Schedule},
    window::{instant_or_now, local_to_utc, parse_tz, utc_to_local},
};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = serde_json::from_slice::<Schedule>(data)
        && let Ok(tz) = parse_tz(&s.time_zone)
    {
        let base = chrono::NaiveDate::from_ymd_opt(2026, 3, 29).expect("date");
        for shift in s.shifts.iter().take(64) {
            let day = base + chrono::Days::new(u64::from(shift.weekday % 7));
            let t = local_to_utc(&tz, day, shift.start_min % 1440);
            let _ = utc_to_local(&tz, t);
        }
    }
    let _ = serde_json::from_slice::<NudgePrefs>(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = instant_or_now(Some(s));
    }
});
