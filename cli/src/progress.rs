//! Progress bars on stderr (indicatif) for inputs big enough to wait on, and only when stderr is
//! a terminal: a pipe or a CI log never gets control characters.

use std::io::IsTerminal;

/// A byte-counting progress bar, or nothing.
#[derive(Clone, Default)]
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// A bar over `total` bytes, shown only when `total` is at least `min_bytes` and stderr is
    /// a terminal.
    pub fn bytes(total: u64, min_bytes: u64) -> Progress {
        let bar = (std::io::stderr().is_terminal() && total >= min_bytes).then(|| {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta}",
                )
                .expect("valid template"),
            );
            bar
        });
        Progress { bar }
    }

    pub fn inc(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    pub fn is_shown(&self) -> bool {
        self.bar.is_some()
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
