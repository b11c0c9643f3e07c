//! `leakscope staged`, for a pre-commit hook: the secrets the next commit would add. Reads the
//! index and HEAD's tree, and only the blobs that differ: directories the index's cache tree
//! shows unchanged are skipped without reading them. It never walks the working tree or history.
//!
//! Two steps: [`changes`] lists what differs from HEAD (no rules needed, so [`Pending`] runs it
//! while the rules compile), then [`scan`] reads those blobs and reports the secrets they add.

use super::blobs::Blobs;
use super::tree::{self, EntryKind, Listing};
use super::{GitError, note_submodule};
use crate::finding::Action;
use crate::matcher::Matcher;
use crate::outcome::Outcome;
use crate::vocab::{Exposure, Verdict};
use gix::ObjectId;
use gix::bstr::ByteSlice;
use std::collections::HashMap;

/// HEAD's tree, read one directory at a time and only where needed.
struct Head<'r> {
    repo: &'r gix::Repository,
    root: Option<ObjectId>,
    dirs: HashMap<String, Option<Listing>>,
}

impl Head<'_> {
    /// The entries of directory `dir` (`""` for the root), read once. Directories are
    /// resolved from the root down, one level at a time, without recursion.
    fn dir(&mut self, dir: &str) -> Option<&Listing> {
        if !self.dirs.contains_key(dir) {
            let mut missing: Vec<&str> = vec![dir];
            let mut d = dir;
            while let Some((parent, _)) = d.rsplit_once('/') {
                if self.dirs.contains_key(parent) {
                    break;
                }
                missing.push(parent);
                d = parent;
            }
            if !dir.is_empty() && !self.dirs.contains_key("") && !missing.contains(&"") {
                missing.push("");
            }
            for d in missing.into_iter().rev() {
                let id = if d.is_empty() {
                    self.root
                } else {
                    let (parent, name) = d.rsplit_once('/').unwrap_or(("", d));
                    self.dirs
                        .get(parent)
                        .and_then(|l| l.as_ref())
                        .and_then(|l| l.get(name.as_bytes()))
                        .filter(|(kind, _)| *kind == EntryKind::Tree)
                        .map(|(_, id)| *id)
                };
                let listing = id.and_then(|id| tree::read(self.repo, &id).ok());
                self.dirs.insert(d.to_string(), listing);
            }
        }
        self.dirs.get(dir).and_then(|d| d.as_ref())
    }

    /// The entry HEAD has at `path`, if it is of `kind`.
    fn entry(&mut self, path: &str, kind: EntryKind) -> Option<ObjectId> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        self.dir(dir)?
            .get(name.as_bytes())
            .filter(|(k, _)| *k == kind)
            .map(|(_, id)| *id)
    }

    /// The blob HEAD has at `path`.
    fn blob(&mut self, path: &str) -> Option<ObjectId> {
        self.entry(path, EntryKind::Blob)
    }

    /// The tree HEAD has at directory `dir`.
    fn tree(&mut self, dir: &str) -> Option<ObjectId> {
        if dir.is_empty() {
            return self.root;
        }
        self.entry(dir, EntryKind::Tree)
    }
}

/// Directories whose cache-tree entry is valid and equal to HEAD's tree there: nothing under
/// them is staged. Sorted, none inside another; `""` stands for everything.
fn unchanged_dirs(root: &gix::index::extension::Tree, head: &mut Head<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<(&gix::index::extension::Tree, String)> = vec![(root, String::new())];
    while let Some((ct, prefix)) = stack.pop() {
        if ct.num_entries.is_some() && head.tree(&prefix) == Some(ct.id) {
            out.push(prefix);
            continue;
        }
        for child in &ct.children {
            let name = String::from_utf8_lossy(&child.name);
            let p = if prefix.is_empty() {
                name.into_owned()
            } else {
                format!("{prefix}/{name}")
            };
            stack.push((child, p));
        }
    }
    out.sort();
    out
}

/// What the next commit would change: every staged file whose blob differs from HEAD's, with
/// HEAD's blob at that path, and the submodules it moves. Reading it needs no rules, so it can
/// run while they compile ([`Pending`]).
#[derive(Debug, Default)]
pub struct Changes {
    files: Vec<Change>,
    submodules: Vec<String>,
}

/// One staged file that differs from HEAD.
#[derive(Debug)]
struct Change {
    path: String,
    id: ObjectId,
    old: Option<ObjectId>,
}

/// Reads the index and the parts of HEAD's tree it needs, and lists the staged changes.
pub fn changes(repo: &gix::Repository) -> Result<Changes, GitError> {
    // Read as git reads it, without hashing the whole file to check its trailing checksum
    // (git checks it only in `git fsck`): on a 200,000-entry index that hash was a third of
    // the hook's time. A corrupt index still fails to parse.
    let index = gix::index::File::at_or_default(
        repo.index_path(),
        repo.object_hash(),
        true,
        Default::default(),
    )
    .map_err(|e| GitError::Index(e.to_string()))?;
    let root = repo.head_tree_id().ok().map(|t| t.detach());
    let mut head = Head {
        repo,
        root,
        dirs: HashMap::new(),
    };
    let skip: Vec<String> = match (root, index.tree()) {
        (Some(_), Some(ct)) => unchanged_dirs(ct, &mut head),
        _ => Vec::new(),
    };
    let mut changes = Changes::default();
    if skip.first().is_some_and(|d| d.is_empty()) {
        return Ok(changes);
    }
    // With their `/`, the greatest directory at or before a path is the only one that can
    // hold it (none lies inside another).
    let skip: Vec<String> = skip.into_iter().map(|d| d + "/").collect();
    let entries = index.entries();
    let mut i = 0;
    while i < entries.len() {
        use gix::index::entry::{Flags, Mode, Stage};
        let entry = &entries[i];
        i += 1;
        let raw_path = entry.path(&index);
        // Index entries are sorted by path: an unchanged directory is one run of them, skipped
        // in one jump, so the cost follows the changed entries.
        let k = skip.partition_point(|d| d.as_bytes() <= raw_path.as_bytes());
        if k > 0 && raw_path.starts_with(skip[k - 1].as_bytes()) {
            let d = skip[k - 1].as_bytes();
            i += entries[i..].partition_point(|e| e.path(&index).starts_with(d));
            continue;
        }
        if entry.stage() != Stage::Unconflicted || entry.flags.contains(Flags::INTENT_TO_ADD) {
            continue;
        }
        let path = raw_path.to_str_lossy().into_owned();
        if entry.mode == Mode::COMMIT {
            if head.entry(&path, EntryKind::Gitlink) != Some(entry.id) {
                changes.submodules.push(path);
            }
            continue;
        }
        if !matches!(entry.mode, Mode::FILE | Mode::FILE_EXECUTABLE) {
            continue;
        }
        let old = head.blob(&path);
        if old != Some(entry.id) {
            changes.files.push(Change {
                path,
                id: entry.id,
                old,
            });
        }
    }
    Ok(changes)
}

/// The repository and its staged [`Changes`], read on a thread of their own while the rules
/// compile: on a large index, reading it costs as much as building the matcher.
#[derive(Debug)]
pub struct Pending(Work);

type Read = Result<(gix::Repository, Changes), GitError>;

#[derive(Debug)]
enum Work {
    Thread(std::thread::JoinHandle<Read>),
    /// Read already, where no thread could be started.
    Done(Box<Read>),
}

impl Pending {
    /// Opens the repository at `path` (None: discover it from the current directory) and
    /// starts reading its changes.
    pub fn start(path: Option<std::path::PathBuf>) -> Pending {
        let read = |path: Option<std::path::PathBuf>| -> Read {
            let repo = super::open(path.as_deref())?;
            let changes = changes(&repo)?;
            Ok((repo, changes))
        };
        let theirs = path.clone();
        match std::thread::Builder::new().spawn(move || read(theirs)) {
            Ok(handle) => Pending(Work::Thread(handle)),
            Err(_) => Pending(Work::Done(Box::new(read(path)))),
        }
    }

    /// Waits for the repository and its changes.
    pub fn wait(self) -> Read {
        match self.0 {
            Work::Thread(handle) => handle
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Work::Done(read) => *read,
        }
    }
}

/// Scans the staged blobs that differ from HEAD: the secrets they add.
pub fn scan(
    matcher: &Matcher,
    repo: &gix::Repository,
    changes: &Changes,
    max_filesize: u64,
) -> Outcome {
    let mut blobs = Blobs::new(matcher, repo, max_filesize);
    let mut outcome = Outcome::default();
    for path in &changes.submodules {
        note_submodule(&mut outcome, path, None);
    }
    for Change { path, id, old } in &changes.files {
        let new_secrets = blobs.secrets(id, path);
        if new_secrets.is_empty() {
            continue;
        }
        let before = old.map(|o| blobs.secrets(&o, path)).unwrap_or_default();
        for s in new_secrets.iter().filter(|s| !before.contains(s)) {
            let Some(mut f) = blobs.finding(id, path, Exposure::Staged, s) else {
                continue;
            };
            if f.verdict == Verdict::KeepPrivate {
                f.action = Action::Unstage {
                    tracked: old.is_some(),
                };
            }
            outcome.findings.push(f);
        }
    }
    outcome += std::mem::take(&mut blobs.outcome);
    outcome.finish();
    outcome
}
