//! A progress bar on stderr for history and large scans: objects (or files) and bytes done,
//! rate and ETA. Drawn only when stderr is a terminal and `--quiet` is not given; never
//! coloured, so `NO_COLOR` has nothing to turn off.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a job runs before its bar appears: quick scans print nothing.
const DELAY: Duration = Duration::from_millis(700);

/// A handle on the bar, cheap to clone and share between threads; a no-op when hidden.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
    bytes: Arc<AtomicU64>,
    started: Instant,
    drawing: Arc<AtomicBool>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.bar.is_some() {
            "Progress(shown)"
        } else {
            "Progress(hidden)"
        })
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::hidden()
    }
}

use crate::units::human_bytes as human;

impl Progress {
    /// A bar that draws nothing.
    pub fn hidden() -> Progress {
        Progress {
            bar: None,
            bytes: Arc::new(AtomicU64::new(0)),
            started: Instant::now(),
            drawing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A bar on stderr when `shown`.
    pub fn new(shown: bool) -> Progress {
        if !shown {
            return Progress::hidden();
        }
        // Hidden until the job has run for `DELAY`.
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        Progress {
            bar: Some(bar),
            bytes: Arc::new(AtomicU64::new(0)),
            started: Instant::now(),
            drawing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts a phase: `what` (e.g. "scanning blobs") over `total` items of `unit`, or an open
    /// count when the total is unknown.
    pub fn phase(&self, what: &str, unit: &'static str, total: Option<u64>) {
        let Some(bar) = &self.bar else { return };
        self.bytes.store(0, Ordering::Relaxed);
        let bytes = self.bytes.clone();
        let template = match total {
            Some(_) => format!(
                "{what} [{{bar:30}}] {{pos}}/{{len}} {unit}, {{scanned}} ({{rate}}, ETA {{eta}})"
            ),
            None => format!("{what} {{spinner}} {{pos}} {unit}, {{scanned}} ({{rate}})"),
        };
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "scanned",
                move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{}", human(bytes.load(Ordering::Relaxed)));
                },
            )
            .with_key(
                "rate",
                move |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} {unit}/s", s.per_sec());
                },
            )
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_length(total.unwrap_or(0));
        bar.set_position(0);
        bar.reset_eta();
    }

    /// Counts `items` more done, holding `bytes`.
    pub fn inc(&self, items: u64, bytes: u64) {
        if let Some(bar) = &self.bar {
            self.bytes.fetch_add(bytes, Ordering::Relaxed);
            bar.inc(items);
            if !self.drawing.load(Ordering::Relaxed)
                && self.started.elapsed() >= DELAY
                && !self.drawing.swap(true, Ordering::Relaxed)
            {
                bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
            }
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Phase timings on stderr when `LEAKSCOPE_TIMING` is set (for profiling).
pub struct Timing(Option<(std::time::Instant, std::time::Instant)>);

impl Timing {
    /// Starts the clock (a no-op unless `LEAKSCOPE_TIMING` is set).
    pub fn new() -> Timing {
        let now = std::time::Instant::now();
        Timing(std::env::var_os("LEAKSCOPE_TIMING").map(|_| (now, now)))
    }

    /// Prints how long the phase `what` took.
    pub fn done(&mut self, what: &str) {
        if let Some((start, last)) = &mut self.0 {
            let now = std::time::Instant::now();
            let rss = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    let get = |k: &str| {
                        s.lines()
                            .find(|l| l.starts_with(k))
                            .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
                    };
                    Some(format!(
                        "anon {} kB, file {} kB",
                        get("RssAnon:")?,
                        get("RssFile:")?
                    ))
                })
                .unwrap_or_default();
            eprintln!(
                "leakscope: timing: {what}: {:.3} s (total {:.3} s; {rss})",
                (now - *last).as_secs_f64(),
                (now - *start).as_secs_f64()
            );
            *last = now;
        }
    }
}

impl Default for Timing {
    fn default() -> Self {
        Timing::new()
    }
}
