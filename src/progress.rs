//! A progress bar on stderr for long index work (a rebuild of 100,000 files), shown only on a
//! terminal and only once the work is large enough to be worth watching.

use std::io::IsTerminal;

/// A progress bar on stderr when it is a terminal and the work is large; silent otherwise.
pub struct Progress(Option<indicatif::ProgressBar>);

pub fn bar(what: &'static str) -> Progress {
    if !std::io::stderr().is_terminal() {
        return Progress(None);
    }
    let bar = indicatif::ProgressBar::hidden();
    bar.set_message(what);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} files") {
        bar.set_style(style);
    }
    Progress(Some(bar))
}

impl Progress {
    pub fn update(&self, done: u64, total: u64) {
        if let Some(bar) = &self.0 {
            if total >= 2000 && bar.is_hidden() {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
