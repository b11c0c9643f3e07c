//! What a merge gate reads from the base of the range it judges, never from the change under
//! review: with `--range A..B`, the configuration file and the baseline come from revision A's
//! tree. A pull request that edits them changes nothing until it is merged; the scan says what
//! it would change.

use super::{GitError, range};
use gix::ObjectId;
use std::path::{Path, PathBuf};

/// The two ends of a range, for reading files at its base.
pub struct Base<'r> {
    repo: &'r gix::Repository,
    /// Revision A.
    pub base: ObjectId,
    /// Revision B.
    pub head: ObjectId,
}

/// Where a file named on the command line is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Located {
    /// At this path in revision A's tree.
    InTree(String),
    /// From disk: an absolute path outside the work tree (a pipe, a CI secret file).
    OnDisk(PathBuf),
}

impl<'r> Base<'r> {
    /// Resolves both ends of `range` (`A..B`) in `repo`.
    pub fn open(repo: &'r gix::Repository, range: &str) -> Result<Base<'r>, GitError> {
        let (a, b) = range::parse(range)?;
        Ok(Base {
            repo,
            base: range::commit(repo, range, a)?,
            head: range::commit(repo, range, b)?,
        })
    }

    /// The short id of revision A, for messages.
    pub fn label(&self) -> String {
        self.base.to_hex_with_len(7).to_string()
    }

    /// Where `path` is read from: relative paths, and absolute ones inside the work tree, from
    /// A's tree; other absolute paths from disk.
    pub fn locate(&self, path: &Path) -> Located {
        if path.is_absolute() {
            let inside = self.repo.workdir().and_then(|w| {
                let w = w.canonicalize().ok()?;
                let p = path
                    .parent()
                    .and_then(|d| d.canonicalize().ok())
                    .map(|d| d.join(path.file_name().unwrap_or_default()))?;
                p.strip_prefix(&w).ok().map(rel)
            });
            return match inside {
                Some(r) => Located::InTree(r),
                None => Located::OnDisk(path.to_path_buf()),
            };
        }
        Located::InTree(rel(path))
    }

    fn blob_at(&self, commit: &ObjectId, path: &str) -> Result<Option<ObjectId>, GitError> {
        let object_error = |e: String| GitError::Object {
            id: commit.to_string(),
            message: e,
        };
        let tree = self
            .repo
            .find_commit(*commit)
            .map_err(|e| object_error(e.to_string()))?
            .tree()
            .map_err(|e| object_error(e.to_string()))?;
        let entry = tree
            .lookup_entry_by_path(path)
            .map_err(|e| object_error(e.to_string()))?;
        Ok(entry
            .filter(|e| e.mode().is_blob())
            .map(|e| e.oid().to_owned()))
    }

    /// The bytes of `path` in A's tree, if it has that file; at most `limit` bytes.
    pub fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, GitError> {
        let Some(id) = self.blob_at(&self.base, path)? else {
            return Ok(None);
        };
        let object = self.repo.find_object(id).map_err(|e| GitError::Object {
            id: id.to_string(),
            message: e.to_string(),
        })?;
        if object.data.len() as u64 > limit {
            return Err(GitError::TooLarge {
                path: path.to_string(),
                limit,
            });
        }
        Ok(Some(object.data.to_vec()))
    }

    /// The bytes of `path` in B's tree, if it has that file and it differs from A's.
    pub fn changed(&self, path: &str) -> Result<Option<Option<Vec<u8>>>, GitError> {
        let (a, b) = (
            self.blob_at(&self.base, path)?,
            self.blob_at(&self.head, path)?,
        );
        if a == b {
            return Ok(None);
        }
        Ok(Some(match b {
            Some(id) => self.repo.find_object(id).ok().map(|o| o.data.to_vec()),
            None => None,
        }))
    }
}

/// `path` as a `/`-separated path relative to the tree root.
fn rel(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}
