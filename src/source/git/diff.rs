//! What changed between two trees: the blobs a commit (or the index) adds or modifies, read
//! with the one tree reader, iteratively and with git's depth limit.

use super::GitError;
use super::tree::{self, EntryKind};
use gix::ObjectId;

/// Git refuses trees nested deeper than this; so do we.
pub const MAX_TREE_DEPTH: usize = 2048;

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

/// Blobs added or modified from `old` to `new` (recursively), with gitlinks listed apart.
pub fn changes(
    repo: &gix::Repository,
    old: Option<&ObjectId>,
    new: &ObjectId,
    out: &mut Vec<Change>,
    gitlinks: &mut Vec<String>,
) -> Result<(), GitError> {
    // (old tree, new tree, path prefix, depth)
    let mut stack: Vec<(Option<ObjectId>, ObjectId, String, usize)> =
        vec![(old.copied(), *new, String::new(), 0)];
    while let Some((old, new, prefix, depth)) = stack.pop() {
        if old == Some(new) {
            continue;
        }
        if depth >= MAX_TREE_DEPTH {
            return Err(GitError::TooDeep {
                path: prefix,
                depth: MAX_TREE_DEPTH,
            });
        }
        let new_entries = tree::read(repo, &new)?;
        let old_entries = match old {
            Some(o) => tree::read(repo, &o)?,
            None => tree::Listing::new(),
        };
        for (name, (kind, id)) in new_entries.iter().rev() {
            let path = if prefix.is_empty() {
                String::from_utf8_lossy(name).into_owned()
            } else {
                format!("{prefix}/{}", String::from_utf8_lossy(name))
            };
            let before = old_entries.get(name);
            let before_as = |k: EntryKind| before.filter(|(bk, _)| *bk == k).map(|(_, id)| *id);
            match kind {
                EntryKind::Tree => stack.push((before_as(EntryKind::Tree), *id, path, depth + 1)),
                EntryKind::Blob => {
                    let old_blob = before_as(EntryKind::Blob);
                    if old_blob != Some(*id) {
                        out.push(Change {
                            path,
                            new: *id,
                            old: old_blob,
                        });
                    }
                }
                EntryKind::Gitlink => {
                    if before.map(|b| b.1) != Some(*id) {
                        gitlinks.push(path);
                    }
                }
                EntryKind::Link => {}
            }
        }
    }
    Ok(())
}
