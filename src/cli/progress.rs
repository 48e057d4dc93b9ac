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
