//! `leakscope staged`, for a pre-commit hook: the secrets the next commit would add. Reads the
//! index and HEAD's tree, and only the blobs that differ: directories the index's cache tree
//! shows unchanged are skipped without reading them. It never walks the working tree or history.

use super::GitError;
use super::diff::Blobs;
use super::history::classify_secret;
use super::note_submodule;
use crate::matcher::Matcher;
use crate::scan::Outcome;
use crate::vocab::{Exposure, Verdict};
use gix::ObjectId;
use gix::bstr::ByteSlice;
use std::collections::{BTreeMap, HashMap};

/// A directory of HEAD's tree: name → (is a tree, id).
type Listing = BTreeMap<Vec<u8>, (bool, ObjectId)>;

/// HEAD's tree, read one directory at a time and only where needed.
struct Head<'r> {
    repo: &'r gix::Repository,
    root: Option<ObjectId>,
    dirs: HashMap<String, Option<Listing>>,
}

impl Head<'_> {
    /// The entries of directory `dir` (`""` for the root): name → (is tree, id).
    fn dir(&mut self, dir: &str) -> Option<&Listing> {
        if !self.dirs.contains_key(dir) {
            let id = if dir.is_empty() {
                self.root
            } else {
                let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
                self.dir(parent)
                    .and_then(|d| d.get(name.as_bytes()))
                    .filter(|(is_tree, _)| *is_tree)
                    .map(|(_, id)| *id)
            };
            let listing = id.and_then(|id| {
                let tree = self.repo.find_tree(id).ok()?;
                let decoded = tree.decode().ok()?;
                Some(
                    decoded
                        .entries
                        .iter()
                        .map(|e| (e.filename.to_vec(), (e.mode.is_tree(), e.oid.to_owned())))
                        .collect(),
                )
            });
            self.dirs.insert(dir.to_string(), listing);
        }
        self.dirs.get(dir).and_then(|d| d.as_ref())
    }

    /// The blob HEAD has at `path`.
    fn blob(&mut self, path: &str) -> Option<ObjectId> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        self.dir(dir)?
            .get(name.as_bytes())
            .filter(|(is_tree, _)| !is_tree)
            .map(|(_, id)| *id)
    }

    /// The tree HEAD has at directory `dir`.
    fn tree(&mut self, dir: &str) -> Option<ObjectId> {
        if dir.is_empty() {
            return self.root;
        }
        let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
        self.dir(parent)?
            .get(name.as_bytes())
            .filter(|(is_tree, _)| *is_tree)
            .map(|(_, id)| *id)
    }
}

/// Directories whose cache-tree entry is valid and equal to HEAD's tree there: nothing under
/// them is staged.
fn unchanged_dirs(
    ct: &gix::index::extension::Tree,
    prefix: &str,
    head: &mut Head<'_>,
    out: &mut Vec<String>,
) {
    if ct.num_entries.is_some() && head.tree(prefix) == Some(ct.id) {
        out.push(prefix.to_string());
        return;
    }
    for child in &ct.children {
        let name = String::from_utf8_lossy(&child.name);
        let p = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        unchanged_dirs(child, &p, head, out);
    }
}

/// Scans the staged blobs that differ from HEAD.
pub fn scan(
    matcher: &Matcher,
    repo: &gix::Repository,
    max_filesize: u64,
) -> Result<Outcome, GitError> {
    let index = repo
        .index_or_empty()
        .map_err(|e| GitError::Index(e.to_string()))?;
    let root = repo.head_tree_id().ok().map(|t| t.detach());
    let mut head = Head {
        repo,
        root,
        dirs: HashMap::new(),
    };
    let mut skip: Vec<String> = Vec::new();
    if root.is_some()
        && let Some(ct) = index.tree()
    {
        unchanged_dirs(ct, "", &mut head, &mut skip);
    }
    let skipped = |path: &str| {
        skip.iter()
            .any(|d| d.is_empty() || path.starts_with(&format!("{d}/")))
    };
    let mut blobs = Blobs::new(matcher, repo, max_filesize);
    let mut outcome = Outcome::default();
    for entry in index.entries() {
        use gix::index::entry::{Flags, Mode, Stage};
        if entry.stage() != Stage::Unconflicted || entry.flags.contains(Flags::INTENT_TO_ADD) {
            continue;
        }
        let path = entry.path(&index).to_str_lossy().into_owned();
        if entry.mode == Mode::COMMIT {
            if head.blob(&path).is_none() && !skipped(&path) {
                note_submodule(&mut outcome, &path, None);
            }
            continue;
        }
        if !matches!(entry.mode, Mode::FILE | Mode::FILE_EXECUTABLE) || skipped(&path) {
            continue;
        }
        let old = head.blob(&path);
        if old == Some(entry.id) {
            continue;
        }
        let new_secrets = blobs.secrets(&entry.id, &path);
        if new_secrets.is_empty() {
            continue;
        }
        let before = old.map(|o| blobs.secrets(&o, &path)).unwrap_or_default();
        let Some(bh) = blobs.hits(&entry.id, &path) else {
            continue;
        };
        for s in new_secrets.iter().filter(|s| !before.contains(s)) {
            let Some(mut f) = classify_secret(matcher, &bh, s, &path, Exposure::Staged) else {
                continue;
            };
            if f.verdict == Verdict::KeepPrivate {
                let what = f.message.split(": ").next().unwrap_or_default().to_string();
                let unstage = if old.is_some() {
                    format!("git restore --staged {path}")
                } else {
                    format!("git rm --cached {path}")
                };
                f.message = format!(
                    "{what}: staged, not committed yet: unstage it (`{unstage}`), move the key to an ignored file or a secret store, and add the file to .gitignore."
                );
            }
            outcome.findings.push(f);
        }
    }
    outcome += std::mem::take(&mut blobs.outcome);
    outcome.finish();
    Ok(outcome)
}
