//! The progress bar of a long audit: on standard error, only on a terminal,
//! only once the audit has taken about a second, never with `--quiet`.
//! It shows how much of the file is read, the entries per second and the
//! time left (indicatif draws it and throttles the redraws).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use commonstock::audit::Progress;

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: no progress bar.
pub(crate) fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// How long an audit runs before its bar appears.
const DELAY: Duration = Duration::from_secs(1);

/// A progress bar that appears only when it is worth it.
pub(crate) struct Bar {
    /// Bytes of the whole input, when known.
    total: Option<u64>,
    start: Instant,
    /// Lines read when the bar appeared, and when.
    first: Option<(u64, Instant)>,
    bar: Option<ProgressBar>,
    enabled: bool,
}

impl Bar {
    /// A bar for an input of `total` bytes (`None`: unknown, no ETA).
    pub(crate) fn new(total: Option<u64>) -> Bar {
        Bar {
            total,
            start: Instant::now(),
            first: None,
            bar: None,
            enabled: !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal(),
        }
    }

    /// A bar as the audit's progress callback (the bar is cleared when the
    /// audit drops it, at its end).
    pub(crate) fn boxed(total: Option<u64>) -> Box<dyn FnMut(Progress)> {
        let mut bar = Bar::new(total);
        Box::new(move |p| bar.update(p))
    }

    /// The audit has read `p`.
    pub(crate) fn update(&mut self, p: Progress) {
        if !self.enabled {
            return;
        }
        let bar = match &self.bar {
            Some(b) => b,
            None => {
                if self.start.elapsed() < DELAY {
                    return;
                }
                let bar = match self.total {
                    Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr())
                        .with_style(
                            ProgressStyle::with_template(
                                "auditing [{bar:30}] {percent:>3}%  {msg}  ETA {eta}",
                            )
                            .expect("a valid template")
                            .progress_chars("=> "),
                        ),
                    None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                        .with_style(
                            ProgressStyle::with_template("auditing {spinner} {msg}")
                                .expect("a valid template"),
                        ),
                };
                bar.set_position(p.bytes);
                // A resumed audit starts after the prefix: the rate counts
                // from here.
                bar.reset_eta();
                self.first = Some((p.lines, Instant::now()));
                self.bar.insert(bar)
            }
        };
        bar.set_position(p.bytes);
        if let Some((lines, at)) = self.first {
            let ms = at.elapsed().as_millis().max(1);
            let rate = u128::from(p.lines.saturating_sub(lines)) * 1000 / ms;
            bar.set_message(format!("{} entries, {rate} entries/s", p.lines));
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}
