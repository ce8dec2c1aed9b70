//! Content commands: demo, import, show, status.

use std::{
    fs::File,
    io::{BufReader, stdin},
    path::Path,
};

use microlearn_core::{Microlearn, content::Card};

use crate::output::{CmdResult, Output};

/// The sample catalog bundled into the binary, so the demo needs no server.
pub const SAMPLE_CATALOG: &str = include_str!("../../core/sample/catalog.jsonl");

pub fn demo(data_dir: &Path, out: &Output) -> CmdResult {
    let core = Microlearn::open(data_dir)?;
    let report = core.import_jsonl(SAMPLE_CATALOG.as_bytes())?;
    let status = core.status()?;
    let card = core.card("refund-no-receipt")?;
    out.print(
        &serde_json::json!({ "imported": report.imported, "status": status, "card": card }),
        || {
            format!(
                "Microlearn demo\n===============\nImported {} sample cards into {}\n\n{}\n\n{}",
                report.imported,
                status.data_dir,
                status_text(&status),
                card_text(&card)
            )
        },
    );
    Ok(())
}

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
    out.print(&status, || status_text(&status));
    Ok(())
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
