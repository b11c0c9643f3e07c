//! Git as a source: full history ([`history`]), what a range of commits adds ([`range`]) and
//! what the next commit would add ([`staged`]).
//!
//! History reads the object database in pack order ([`odb`]): blobs are scanned first, then
//! trees are indexed just enough to place the blobs with hits, then commits; provenance is
//! computed afterwards, only for secrets that were found ([`graph`]).

pub mod delta;
mod diff;
pub mod graph;
pub mod history;
pub mod odb;
pub mod range;
pub mod staged;

use crate::report::Revision;
use crate::scan::{Level, Outcome};
use std::path::Path;

/// Options of the git sources.
#[derive(Clone, Debug)]
pub struct GitOptions {
    /// Blobs larger than this are skipped and listed.
    pub max_filesize: u64,
    /// Include objects no ref reaches.
    pub unreachable: bool,
    /// Scan every blob in full instead of only what deltas change (for comparisons).
    pub full_scan: bool,
    /// Where to show progress.
    pub progress: crate::progress::Progress,
}

/// Why a repository cannot be scanned at all.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The path is not in a git repository.
    #[error("{path}: not a git repository (or any parent up to the filesystem root)")]
    NotARepository {
        /// The path given, or the current directory.
        path: String,
    },
    /// The repository is there but cannot be opened.
    #[error("{path}: cannot open the repository: {message}")]
    Open {
        /// The path.
        path: String,
        /// gix's message.
        message: String,
    },
    /// A revision in `--range` does not exist.
    #[error("--range {range}: `{rev}` is not a commit in this repository ({message})")]
    BadRevision {
        /// The whole range.
        range: String,
        /// The side that failed.
        rev: String,
        /// gix's message.
        message: String,
    },
    /// `--range` is not `A..B`.
    #[error("--range {0}: expected A..B (for example origin/main..HEAD)")]
    BadRange(String),
    /// The index cannot be read.
    #[error("cannot read the index: {0}")]
    Index(String),
}

/// Opens the repository at `path` (or containing the current directory).
pub fn open(path: Option<&Path>) -> Result<gix::Repository, GitError> {
    let dir = match path {
        Some(p) => p.to_path_buf(),
        None => std::env::current_dir().map_err(|e| GitError::Open {
            path: ".".into(),
            message: e.to_string(),
        })?,
    };
    let shown = path.map_or_else(|| ".".to_string(), |p| p.display().to_string());
    if !dir.exists() {
        return Err(GitError::Open {
            path: shown,
            message: "no such file or directory".into(),
        });
    }
    match gix::discover(&dir) {
        Ok(mut repo) => {
            repo.object_cache_size_if_unset(16 << 20);
            Ok(repo)
        }
        Err(e) => {
            let message = e.to_string();
            let lower = message.to_lowercase();
            if lower.contains("not a git repository") || lower.contains("could not find") {
                Err(GitError::NotARepository { path: shown })
            } else {
                Err(GitError::Open {
                    path: shown,
                    message,
                })
            }
        }
    }
}

/// The revision HEAD points at, for SARIF `versionControlProvenance`.
pub fn revision(repo: &gix::Repository) -> Revision {
    let repository = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| {
            r.url(gix::remote::Direction::Fetch)
                .map(|u| u.to_bstring().to_string())
        })
        .unwrap_or_else(|| {
            repo.workdir()
                .unwrap_or_else(|| repo.git_dir())
                .display()
                .to_string()
        });
    let commit = repo.head_id().ok().map(|id| id.to_string());
    let branch = repo
        .head_name()
        .ok()
        .flatten()
        .map(|n| n.shorten().to_string());
    Revision {
        repository,
        commit,
        branch,
    }
}

/// A display path for a blob no commit reaches: where git would keep it as a loose object.
pub fn loose_path(id: &gix::oid) -> String {
    let hex = id.to_string();
    format!(".git/objects/{}/{}", &hex[..2], &hex[2..])
}

/// Whether blob content is a Git LFS pointer (the content itself is not in git).
pub fn is_lfs_pointer(data: &[u8]) -> bool {
    data.len() < 1024 && data.starts_with(b"version https://git-lfs.github.com/spec/v1")
}

/// Notes that the submodule at `path` (pinned at `commit`, when known) was not scanned.
pub(crate) fn note_submodule(outcome: &mut Outcome, path: &str, commit: Option<&gix::oid>) {
    let pinned = commit.map(|c| format!(" (commit {c})")).unwrap_or_default();
    outcome.notify(
        Level::Note,
        "submodule",
        Some(path.to_string()),
        format!("{path}: submodule{pinned} not scanned: scan its repository separately"),
    );
}

/// Notes that the blob at `path` is a Git LFS pointer, so its content was not scanned.
pub(crate) fn note_lfs_pointer(outcome: &mut Outcome, path: &str) {
    outcome.notify(
        Level::Note,
        "lfs-pointer",
        Some(path.to_string()),
        format!(
            "{path}: Git LFS pointer: the content is in LFS storage, not in git, and was not scanned"
        ),
    );
}

/// Notes that blob `id` at `path`, `size` bytes, was over `--max-filesize` and not scanned.
pub(crate) fn note_too_large(outcome: &mut Outcome, path: &str, id: &gix::oid, size: u64) {
    outcome.notify(
        Level::Note,
        "too-large",
        Some(path.to_string()),
        format!("{path}: blob {id} is {size} bytes, larger than --max-filesize: not scanned"),
    );
}
