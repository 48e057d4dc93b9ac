//! The progress bar: runs done and ETA on stderr, only when stderr is a terminal and
//! `--quiet` is not set (hyperfine's rule).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal as _;

/// A bar over `total` runs; hidden when it would not be seen.
pub(super) fn bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    // The template is a constant; if it were ever invalid the default style is still fine.
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} runs, ETA {eta}") {
        bar.set_style(style);
    }
    bar
}

/// A counter of runs done when their total is not known in advance (a search decides as
/// it goes); hidden when it would not be seen.
pub(super) fn counter(quiet: bool, what: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(&format!("{{spinner}} {{pos}} runs, {what} {{msg}}")) {
        bar.set_style(style);
    }
    bar
}
