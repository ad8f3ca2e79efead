//! The spinner on long waits (`upload --wait`, `dev up`): on a terminal
//! only. Anywhere else (a pipe, a file, CI, a test) it draws nothing, so
//! what scripts read is the same with or without it; it always writes to
//! standard error, never into the data on standard output.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Spinner {
    bar: Option<ProgressBar>,
}

impl Spinner {
    /// A spinner showing `message` and the time elapsed, when standard error
    /// is a terminal and `quiet` is false (`--json` asks for output a
    /// program reads).
    pub fn start(message: impl Into<String>, quiet: bool) -> Spinner {
        if quiet || !std::io::stderr().is_terminal() {
            return Spinner { bar: None };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"),
        );
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(120));
        Spinner { bar: Some(bar) }
    }

    /// Shows `message()`; it is only computed when the spinner is drawn.
    pub fn set_message(&self, message: impl FnOnce() -> String) {
        if let Some(bar) = &self.bar {
            bar.set_message(message());
        }
    }

    /// Removes the spinner, leaving the terminal as it was.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
