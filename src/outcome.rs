//! What every source produces: findings, notifications about the scan itself, and counters,
//! merged across threads and sorted into report order.

use crate::finding::{self, Finding};
use std::cmp::Ordering;
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

macro_rules! codes {
    ($($(#[$meta:meta])* $variant:ident = $text:literal, $level:ident;)+) => {
        /// What a notification is about: a closed set, each code with its level.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$meta])* $variant),+
        }

        impl Code {
            /// The stable kebab-case word in every output format.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text),+ }
            }

            /// The code a word names (as [`Code::as_str`] writes it).
            pub fn parse(word: &str) -> Option<Code> {
                match word { $($text => Some(Code::$variant),)+ _ => None }
            }

            /// How serious a notification with this code is.
            pub fn level(self) -> Level {
                match self { $(Code::$variant => Level::$level),+ }
            }
        }
    };
}

codes! {
    /// A file, directory or stream could not be read.
    Unreadable = "unreadable", Error;
    /// A file or blob over `--max-filesize`, not scanned.
    TooLarge = "too-large", Note;
    /// An object that history names is not in the repository.
    MissingObject = "missing-object", Error;
    /// An object that cannot be decoded.
    CorruptObject = "corrupt-object", Error;
    /// A pack that cannot be read at all.
    CorruptPack = "corrupt-pack", Error;
    /// History stops at a shallow clone's boundary.
    Shallow = "shallow", Error;
    /// A partial clone lacks objects that commits name.
    PartialClone = "partial-clone", Error;
    /// The alternates file cannot be read.
    Alternates = "alternates", Error;
    /// A ref cannot be read or listed.
    BadRef = "bad-ref", Error;
    /// A submodule (gitlink), scanned separately if at all.
    Submodule = "submodule", Note;
    /// A Git LFS pointer: the content is not in git.
    LfsPointer = "lfs-pointer", Note;
    /// A baseline entry that no finding matches any more.
    StaleBaseline = "stale-baseline", Note;
    /// SARIF left findings out (code scanning's limit).
    Truncated = "truncated", Warning;
    /// A FIFO, socket, device or symbolic link where a file was expected: skipped.
    SpecialFile = "special-file", Note;
    /// An object of another type than what names it (a tree entry, a commit's tree).
    WrongType = "wrong-type", Error;
    /// More paths than provenance follows: the rest were not placed.
    TooManyPaths = "too-many-paths", Error;
    /// Trees nested deeper than git allows (2,048): what lies below was not placed.
    TooDeep = "too-deep", Error;
    /// A range changes the configuration or baseline it is judged by.
    ConfigChanged = "config-changed", Warning;
    /// An object deltified from one too large to reconstruct: not scanned.
    BaseTooLarge = "base-too-large", Error;
}

/// A message about the scan itself, not about a key: an unreadable file, a skipped file, a
/// missing object.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Notification {
    /// What it is about; its level follows from it.
    pub code: Code,
    /// The path or object concerned, if any.
    pub subject: Option<String>,
    /// One line for people.
    pub message: String,
}

impl Notification {
    /// A notification about `subject`.
    pub fn new(code: Code, subject: Option<String>, message: String) -> Self {
        Notification {
            code,
            subject,
            message,
        }
    }

    /// How serious it is.
    pub fn level(&self) -> Level {
        self.code.level()
    }

    fn sort_key(&self) -> (Level, &str, &Option<String>, &str) {
        (
            self.level(),
            self.code.as_str(),
            &self.subject,
            &self.message,
        )
    }
}

impl PartialOrd for Notification {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Notification {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
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
    pub fn notify(&mut self, code: Code, subject: Option<String>, message: String) {
        self.notifications
            .push(Notification::new(code, subject, message));
    }

    /// Sorts everything into report order, independent of thread scheduling.
    pub fn finish(&mut self) {
        finding::sort(&mut self.findings);
        self.notifications.sort();
        self.notifications.dedup();
    }

    /// Whether the scan covered everything it was asked to (no error notifications).
    pub fn complete(&self) -> bool {
        !self.notifications.iter().any(|n| n.level() == Level::Error)
    }
}
