//! What changed between two trees, and blobs scanned one at a time through gix: the pieces of
//! `--range` and `staged`, which look at a few objects rather than the whole database.

use super::history::BlobHits;
use super::is_lfs_pointer;
use super::{note_lfs_pointer, note_too_large};
use crate::classify;
use crate::matcher::Matcher;
use crate::scan::{Level, Outcome, is_binary};
use gix::ObjectId;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// A blob at a path that differs from the other side (added or modified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Full path, `/`-separated.
    pub path: String,
    /// The new blob.
    pub new: ObjectId,
    /// The blob at the same path before, if there was one.
    pub old: Option<ObjectId>,
}

/// The entries of a tree, by name: (is tree, mode is a gitlink, id).
fn entries(
    repo: &gix::Repository,
    id: &ObjectId,
) -> Result<BTreeMap<Vec<u8>, (Entry, ObjectId)>, String> {
    let tree = repo.find_tree(*id).map_err(|e| e.to_string())?;
    let decoded = tree.decode().map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for e in &decoded.entries {
        let kind = if e.mode.is_tree() {
            Entry::Tree
        } else if e.mode.is_commit() {
            Entry::Gitlink
        } else if e.mode.is_link() {
            Entry::Link
        } else {
            Entry::Blob
        };
        out.insert(e.filename.to_vec(), (kind, e.oid.to_owned()));
    }
    Ok(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Tree,
    Blob,
    Link,
    Gitlink,
}

/// Blobs added or modified from `old` to `new` (recursively), with gitlinks listed apart.
pub fn changes(
    repo: &gix::Repository,
    old: Option<&ObjectId>,
    new: &ObjectId,
    prefix: &str,
    out: &mut Vec<Change>,
    gitlinks: &mut Vec<String>,
) -> Result<(), String> {
    if old == Some(new) {
        return Ok(());
    }
    let new_entries = entries(repo, new)?;
    let old_entries = match old {
        Some(o) => entries(repo, o)?,
        None => BTreeMap::new(),
    };
    for (name, (kind, id)) in &new_entries {
        let path = if prefix.is_empty() {
            String::from_utf8_lossy(name).into_owned()
        } else {
            format!("{prefix}/{}", String::from_utf8_lossy(name))
        };
        let before = old_entries.get(name);
        match kind {
            Entry::Tree => {
                let old_tree = before.filter(|(k, _)| *k == Entry::Tree).map(|(_, id)| id);
                changes(repo, old_tree, id, &path, out, gitlinks)?;
            }
            Entry::Blob => {
                let old_blob = before.filter(|(k, _)| *k == Entry::Blob).map(|(_, id)| *id);
                if old_blob != Some(*id) {
                    out.push(Change {
                        path,
                        new: *id,
                        old: old_blob,
                    });
                }
            }
            Entry::Gitlink => {
                if before.map(|b| b.1) != Some(*id) {
                    gitlinks.push(path);
                }
            }
            Entry::Link => {}
        }
    }
    Ok(())
}

/// Scans blobs through gix one at a time, remembering each blob's hits.
pub struct Blobs<'m, 'r> {
    matcher: &'m Matcher,
    repo: &'r gix::Repository,
    max_filesize: u64,
    cache: HashMap<ObjectId, Option<Rc<BlobHits>>>,
    /// Notifications and counters.
    pub outcome: Outcome,
}

impl<'m, 'r> Blobs<'m, 'r> {
    /// A scanner over `repo`'s objects.
    pub fn new(matcher: &'m Matcher, repo: &'r gix::Repository, max_filesize: u64) -> Self {
        Blobs {
            matcher,
            repo,
            max_filesize,
            cache: HashMap::new(),
            outcome: Outcome::default(),
        }
    }

    /// The hits of blob `id` (`None`: no hits, or not scanned, with a notification).
    pub fn hits(&mut self, id: &ObjectId, path: &str) -> Option<Rc<BlobHits>> {
        if let Some(h) = self.cache.get(id) {
            return h.clone();
        }
        let found = self.scan(id, path);
        self.cache.insert(*id, found.clone());
        found
    }

    /// The set of secrets in blob `id`.
    pub fn secrets(&mut self, id: &ObjectId, path: &str) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = self
            .hits(id, path)
            .map(|h| h.hits.iter().map(|x| x.secret.clone()).collect())
            .unwrap_or_default();
        v.sort();
        v.dedup();
        v
    }

    fn scan(&mut self, id: &ObjectId, path: &str) -> Option<Rc<BlobHits>> {
        let size = match self.repo.find_header(*id) {
            Ok(h) => h.size(),
            Err(e) => {
                self.outcome.notify(
                    Level::Error,
                    "missing-object",
                    Some(id.to_string()),
                    format!("{path}: blob {id} cannot be read ({e}): not scanned"),
                );
                return None;
            }
        };
        if size > self.max_filesize {
            self.outcome.stats.skipped += 1;
            note_too_large(&mut self.outcome, path, id, size);
            return None;
        }
        let blob = match self.repo.find_object(*id) {
            Ok(b) => b,
            Err(e) => {
                self.outcome.notify(
                    Level::Error,
                    "corrupt-object",
                    Some(id.to_string()),
                    format!("{path}: blob {id} cannot be read ({e}): not scanned"),
                );
                return None;
            }
        };
        self.outcome.stats.scanned += 1;
        self.outcome.stats.bytes += blob.data.len() as u64;
        if is_lfs_pointer(&blob.data) {
            note_lfs_pointer(&mut self.outcome, path);
            return None;
        }
        let scanned = self.matcher.scan(&blob.data);
        if scanned.hits.is_empty() {
            return None;
        }
        let facts = classify::text_facts(self.matcher.rules(), &scanned, is_binary(&blob.data));
        Some(Rc::new(BlobHits {
            hits: scanned.hits,
            facts,
        }))
    }
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
