//! The git work tree around scanned files: which files the index tracks and which ones git
//! ignores. Asked only for files that have findings, and for the tracked files a
//! `.gitignore`-respecting walk skipped.

use crate::vocab::Exposure;
use gix::bstr::{BStr, ByteSlice};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A git work tree and its index.
pub struct WorkTree {
    /// The work tree's root directory, canonical.
    pub root: PathBuf,
    repo: gix::ThreadSafeRepository,
    index: gix::worktree::Index,
}

impl std::fmt::Debug for WorkTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkTree")
            .field("root", &self.root)
            .finish()
    }
}

impl WorkTree {
    /// The work tree containing `dir`, if any. An unreadable index counts as empty.
    pub fn discover(dir: &Path) -> Option<WorkTree> {
        let repo = gix::discover(dir).ok()?;
        let root = repo.workdir()?.canonicalize().ok()?;
        let index = repo.index_or_empty().ok()?;
        Some(WorkTree {
            root,
            repo: repo.into_sync(),
            index,
        })
    }

    /// Whether the index tracks `rel` (a `/`-separated path relative to the root).
    pub fn is_tracked(&self, rel: &str) -> bool {
        self.index
            .entry_by_path(BStr::new(rel.as_bytes()))
            .is_some()
    }

    /// Whether git ignores `rel`, by `.gitignore` files, `info/exclude` and the global
    /// excludes file.
    pub fn is_ignored(&self, rel: &str) -> bool {
        let repo = self.repo.to_thread_local();
        let Ok(mut stack) = repo.excludes(
            &self.index,
            None,
            gix::worktree::stack::state::ignore::Source::WorktreeThenIdMappingIfNotSkipped,
        ) else {
            return false;
        };
        stack
            .at_path(Path::new(rel), None)
            .map(|p| p.is_excluded())
            .unwrap_or(false)
    }

    /// The exposure of a file at `rel` in this work tree.
    pub fn exposure(&self, rel: &str) -> Exposure {
        if self.is_tracked(rel) {
            Exposure::Tracked
        } else if self.is_ignored(rel) {
            Exposure::Ignored
        } else {
            Exposure::Untracked
        }
    }

    /// Tracked regular files whose path starts with `prefix` (`""` for all).
    pub fn tracked_files(&self, prefix: &str) -> Vec<String> {
        use gix::index::entry::Mode;
        self.index
            .entries()
            .iter()
            .filter(|e| matches!(e.mode, Mode::FILE | Mode::FILE_EXECUTABLE))
            .map(|e| e.path(&self.index))
            .filter(|p| p.starts_with(prefix.as_bytes()))
            .map(|p| p.to_str_lossy().into_owned())
            .collect()
    }
}

/// A cache of work-tree lookups by directory, shared between walker threads.
#[derive(Default)]
pub struct WorkTrees {
    by_dir: Mutex<HashMap<PathBuf, Option<Arc<WorkTree>>>>,
}

impl WorkTrees {
    /// The work tree containing directory `dir` (canonical), discovered once per directory.
    pub fn containing(&self, dir: &Path) -> Option<Arc<WorkTree>> {
        if let Some(hit) = self.lock().get(dir) {
            return hit.clone();
        }
        let found = WorkTree::discover(dir).map(Arc::new);
        self.lock().insert(dir.to_path_buf(), found.clone());
        found
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Option<Arc<WorkTree>>>> {
        self.by_dir.lock().unwrap_or_else(|e| e.into_inner())
    }
}
