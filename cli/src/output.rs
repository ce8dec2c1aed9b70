//! Human or JSON output, chosen once by `--json`.

use serde::Serialize;

/// Where command results go.
pub struct Output {
    /// Print JSON documents instead of text.
    pub json: bool,
}

impl Output {
    /// Prints `value` as JSON, or `human()` as text.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string(value) {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("error: cannot serialize output: {e}"),
            }
        } else {
            println!("{}", human());
        }
    }

    /// Reports an error on stderr (as `{"error": …}` on stdout with `--json`).
    pub fn error(&self, e: &dyn std::fmt::Display) {
        if self.json {
            println!("{}", serde_json::json!({ "error": e.to_string() }));
        } else {
            eprintln!("error: {e}");
        }
    }
}

/// Boxed error for command functions.
pub type CmdResult = Result<(), Box<dyn std::error::Error>>;
