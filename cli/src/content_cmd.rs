//! Content commands: import, show, status (the demo is `demo.rs`).

use std::{
    fs::File,
    io::{BufReader, stdin},
    path::Path,
};

use microlearn_core::{Microlearn, content::Card};

use crate::output::{CmdResult, Output};

/// The sample catalog bundled into the binary, so the demo needs no server.
pub const SAMPLE_CATALOG: &str = include_str!("../../core/sample/catalog.jsonl");

pub fn import(data_dir: &Path, file: &Path, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let report = if file == Path::new("-") {
        core.import_jsonl(stdin().lock())?
    } else {
        core.import_jsonl(BufReader::new(File::open(file)?))?
    };
    out.print(&report, || format!("imported {} cards", report.imported));
    Ok(())
}

pub fn show(data_dir: &Path, id: &str, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let card = core.card(id)?;
    out.print(&card, || card_text(&card));
    Ok(())
}

pub fn status(data_dir: &Path, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let status = core.status()?;
    let media = core.media_status()?;
    let mut json = serde_json::to_value(&status)?;
    if let Some(obj) = json.as_object_mut() {
        obj.insert("media".into(), serde_json::to_value(&media)?);
    }
    out.print(&json, || {
        let last_sync = match (&media.catalog_url, media.last_sync_at) {
            (Some(url), Some(at)) => format!("{} from {url}", chrono_like(at)),
            _ => "never".into(),
        };
        format!(
            "{}\nmedia    : {} files, {} of {} bytes budget; {} pinned cards ({} bytes)\n\
             network  : {}{}\nlast sync: {last_sync}",
            status_text(&status),
            media.files,
            media.bytes,
            media.budget_bytes,
            media.pinned_cards,
            media.pinned_bytes,
            media.policy.as_str(),
            if media.metered { " (metered)" } else { "" }
        )
    });
    Ok(())
}

/// Unix seconds as an RFC 3339 UTC time (seconds precision).
fn chrono_like(unix: i64) -> String {
    let secs = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.max(0) as u64);
    let d = secs
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (d / 86_400, d % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn status_text(s: &microlearn_core::Status) -> String {
    format!(
        "data dir : {}\ncards    : {}\ndatabase : {} bytes",
        s.data_dir, s.cards, s.database_bytes
    )
}

fn card_text(c: &Card) -> String {
    let mut s = format!(
        "{} [{}] ({}, {} s, rev {})\n{}\n",
        c.title,
        c.id,
        c.format.as_str(),
        c.duration_seconds,
        c.revision,
        c.summary
    );
    if !c.objective.is_empty() {
        s.push_str(&format!("Objective: {}\n", c.objective));
    }
    if !c.body.is_empty() {
        s.push_str(&format!("\n{}\n", c.body));
    }
    if !c.tags.is_empty() {
        s.push_str(&format!("\ntags: {}\n", c.tags.join(", ")));
    }
    for q in &c.questions {
        s.push_str(&format!("\nQ: {}\n", q.stem));
        for (i, choice) in q.choices.iter().enumerate() {
            s.push_str(&format!("   {}. {}\n", i + 1, choice));
        }
    }
    s
}
