//! Git as a source: full history ([`history`]), what a range of commits adds ([`range`]) and
//! what the next commit would add ([`staged`]).
//!
//! History reads the object database in pack order ([`odb`]): blobs are scanned first, then
//! trees are indexed just enough to place the blobs with hits, then commits; provenance is
//! computed afterwards, only for secrets that were found ([`graph`]).

pub mod blobs;
pub mod delta;
pub mod diff;
pub mod graph;
pub mod history;
pub mod odb;
pub mod range;
pub mod remote;
pub mod staged;
pub mod tree;
pub mod trusted;

use crate::outcome::{Code, Outcome};
use gix::ObjectId;
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
    /// An object cannot be read.
    #[error("object {id} cannot be read: {message}")]
    Object {
        /// The object.
        id: String,
        /// gix's message.
        message: String,
    },
    /// An object is not of the type that names it.
    #[error("object {id} is a {found}, not a {expected}")]
    WrongType {
        /// The object.
        id: String,
        /// What its name says it is.
        expected: &'static str,
        /// What it is.
        found: String,
    },
    /// A tree's entries cannot be parsed.
    #[error("tree {0} is corrupt")]
    CorruptTree(String),
    /// A file read from history is larger than such files may be.
    #[error("{path}: larger than {limit} bytes: not a file leakscope reads")]
    TooLarge {
        /// The path in the tree.
        path: String,
        /// The limit.
        limit: u64,
    },
    /// Trees nested deeper than git allows.
    #[error("{path}: trees nested deeper than {depth} levels (git's own limit): not scanned")]
    TooDeep {
        /// Where the limit was reached.
        path: String,
        /// The limit.
        depth: usize,
    },
}

/// The revision a git scan looked at, for SARIF `versionControlProvenance` and report headers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revision {
    /// The `origin` remote's URL without user info (no token), when the repository has one.
    pub repository: Option<String>,
    /// What reports call the repository: the remote's URL, else the local directory's name.
    pub name: String,
    /// Full id of the commit HEAD pointed at.
    pub commit: Option<String>,
    /// The branch HEAD pointed at.
    pub branch: Option<String>,
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
    // Discovery first, for a typed answer to "is this a repository at all".
    if let Err(e) = gix::discover::upwards(&dir) {
        use gix::discover::upwards::Error as U;
        let not_a_repository = matches!(
            e.downcast_any_ref::<U>(),
            Some(
                U::NoGitRepository { .. }
                    | U::NoGitRepositoryWithinCeiling { .. }
                    | U::NoGitRepositoryWithinFs { .. }
            )
        );
        return Err(if not_a_repository {
            GitError::NotARepository { path: shown }
        } else {
            GitError::Open {
                path: shown,
                message: e.to_string(),
            }
        });
    }
    match gix::discover(&dir) {
        Ok(mut repo) => {
            repo.object_cache_size_if_unset(16 << 20);
            Ok(repo)
        }
        Err(e) => Err(GitError::Open {
            path: shown,
            message: e.to_string(),
        }),
    }
}

/// The revision HEAD points at, for SARIF `versionControlProvenance`.
pub fn revision(repo: &gix::Repository) -> Revision {
    let repository = repo.find_remote("origin").ok().and_then(|r| {
        r.url(gix::remote::Direction::Fetch)
            .and_then(|u| public_url(&u.to_bstring().to_string()))
    });
    let name = repository.clone().unwrap_or_else(|| {
        let dir = repo.workdir().unwrap_or_else(|| repo.git_dir());
        dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    });
    let commit = repo.head_id().ok().map(|id| id.to_string());
    let branch = repo
        .head_name()
        .ok()
        .flatten()
        .map(|n| n.shorten().to_string());
    Revision {
        repository,
        name,
        commit,
        branch,
    }
}

/// A repository URL fit to print and to upload: user info (a token, a password, a user name)
/// removed, scp-like SSH (`git@host:org/repo`) written as `ssh://host/org/repo`, a local path
/// as a `file://` URL. `None` when it is not a URL at all.
pub fn public_url(raw: &str) -> Option<String> {
    let url = gix::url::parse(gix::bstr::BStr::new(raw.as_bytes())).ok()?;
    let scheme = url.scheme.as_str();
    let path = url.path.to_string();
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    match url.host() {
        Some(host) => {
            let port = url.port.map(|p| format!(":{p}")).unwrap_or_default();
            Some(format!("{scheme}://{host}{port}{path}"))
        }
        None if scheme == "file" => Some(format!("file://{path}")),
        None => None,
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
        Code::Submodule,
        Some(path.to_string()),
        format!("{path}: submodule{pinned} not scanned: scan its repository separately"),
    );
}

/// Notes that the blob at `path` is a Git LFS pointer, so its content was not scanned.
pub(crate) fn note_lfs_pointer(outcome: &mut Outcome, path: &str) {
    outcome.notify(
        Code::LfsPointer,
        Some(path.to_string()),
        format!(
            "{path}: Git LFS pointer: the content is in LFS storage, not in git, and was not scanned"
        ),
    );
}

/// Notes that blob `id` at `path`, `size` bytes, was over `--max-filesize` and not scanned.
pub(crate) fn note_too_large(outcome: &mut Outcome, path: &str, id: &gix::oid, size: u64) {
    outcome.notify(
        Code::TooLarge,
        Some(path.to_string()),
        format!("{path}: blob {id} is {size} bytes, larger than --max-filesize: not scanned"),
    );
}

/// Author name, email and committer date (ISO 8601) of a commit.
pub fn signature(
    repo: &gix::Repository,
    id: &ObjectId,
) -> (Option<String>, Option<String>, Option<String>) {
    let Ok(commit) = repo.find_commit(*id) else {
        return (None, None, None);
    };
    let author = commit
        .author()
        .ok()
        .map(|a| (a.name.to_string(), a.email.to_string()));
    let date = commit
        .committer()
        .ok()
        .and_then(|s| s.time().ok())
        .map(|t| t.format_or_unix(gix::date::time::format::ISO8601_STRICT));
    (
        author.as_ref().map(|a| a.0.clone()),
        author.map(|a| a.1),
        date,
    )
}

#[cfg(test)]
mod tests {
    use super::public_url;

    #[test]
    fn repository_urls_lose_their_credentials() {
        let token = ["x-access-token:", "tok", "en123"].concat();
        assert_eq!(
            public_url(&format!("https://{token}@github.com/org/repo.git")).as_deref(),
            Some("https://github.com/org/repo.git")
        );
        assert_eq!(
            public_url("git@github.com:org/repo.git").as_deref(),
            Some("ssh://github.com/org/repo.git")
        );
        assert_eq!(
            public_url("ssh://git@host.test:2222/org/repo").as_deref(),
            Some("ssh://host.test:2222/org/repo")
        );
        assert_eq!(
            public_url("/srv/git/repo.git").as_deref(),
            Some("file:///srv/git/repo.git")
        );
    }
}
