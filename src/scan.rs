//! The pipeline for one piece of content (matcher → classifier), and the [`Outcome`] every
//! source produces: findings, notifications and statistics, merged across threads and sorted.

use crate::classify::{self, Origin};
use crate::finding::{self, Finding};
use crate::matcher::Matcher;
use crate::vocab::Exposure;
use std::ops::AddAssign;

/// How serious a notification is. Errors make a scan incomplete (exit code 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Something was not scanned, or not scanned fully.
    Error,
    /// Worth knowing; the scan is still complete.
    Warning,
    /// Skipped by policy (`--max-filesize`, submodules, LFS pointers).
    Note,
}

impl Level {
    /// The SARIF and JSON word for the level.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// A message about the scan itself, not about a key: an unreadable file, a skipped file, a
/// missing object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Notification {
    /// How serious.
    pub level: Level,
    /// Stable kebab-case code (`unreadable`, `too-large`, `missing-object`).
    pub code: &'static str,
    /// The path or object concerned, if any.
    pub subject: Option<String>,
    /// One line for people.
    pub message: String,
}

impl Notification {
    /// A notification about `subject`.
    pub fn new(level: Level, code: &'static str, subject: Option<String>, message: String) -> Self {
        Notification {
            level,
            code,
            subject,
            message,
        }
    }
}

/// Counters of work done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Files or blobs scanned.
    pub scanned: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Files or blobs skipped by policy.
    pub skipped: u64,
    /// Blobs scanned delta-aware: only what their delta changed was read.
    pub delta_scans: u64,
    /// Trees that inherited entries from their delta base instead of parsing them.
    pub delta_trees: u64,
    /// Findings left out because the baseline records them.
    pub baselined: u64,
}

impl AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.scanned += o.scanned;
        self.bytes += o.bytes;
        self.skipped += o.skipped;
        self.delta_scans += o.delta_scans;
        self.delta_trees += o.delta_trees;
        self.baselined += o.baselined;
    }
}

/// What a scan produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings, in report order once [`Outcome::finish`] ran.
    pub findings: Vec<Finding>,
    /// Notifications, sorted.
    pub notifications: Vec<Notification>,
    /// Counters.
    pub stats: Stats,
}

impl AddAssign for Outcome {
    fn add_assign(&mut self, o: Outcome) {
        self.findings.extend(o.findings);
        self.notifications.extend(o.notifications);
        self.stats += o.stats;
    }
}

impl Outcome {
    /// Adds a notification.
    pub fn notify(
        &mut self,
        level: Level,
        code: &'static str,
        subject: Option<String>,
        message: String,
    ) {
        self.notifications
            .push(Notification::new(level, code, subject, message));
    }

    /// Sorts everything into report order, independent of thread scheduling.
    pub fn finish(&mut self) {
        finding::sort(&mut self.findings);
        self.notifications.sort();
        self.notifications.dedup();
    }

    /// Whether the scan covered everything it was asked to (no error notifications).
    pub fn complete(&self) -> bool {
        !self.notifications.iter().any(|n| n.level == Level::Error)
    }
}

/// Whether content is binary: a NUL byte in its first 8 KiB (UTF-16 text is not binary).
pub fn is_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    memchr::memchr(0, head).is_some() && crate::matcher::decode::detect_utf16(bytes).is_none()
}

/// Matches and classifies one piece of content. `exposure` is asked only when there are hits,
/// so sources can defer expensive lookups (the git index) to the few files that need them.
pub fn scan_content(
    matcher: &Matcher,
    bytes: &[u8],
    path: &str,
    exposure: impl FnOnce() -> Exposure,
) -> Vec<Finding> {
    let scanned = matcher.scan(bytes);
    if scanned.hits.is_empty() {
        return Vec::new();
    }
    let facts = classify::text_facts(matcher.rules(), &scanned, is_binary(bytes));
    let origin = Origin {
        path,
        exposure: exposure(),
    };
    classify::classify(matcher.rules(), &scanned.hits, &facts, origin)
}
