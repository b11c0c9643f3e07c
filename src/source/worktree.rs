//! The git work tree around scanned files: which files the index tracks and which ones git
//! ignores. Asked only for files that have findings, for the tracked files a walk that skips
//! ignored paths passed over, and by the walk itself for what to skip.

use super::ignore::IgnoreRules;
use crate::outcome::{Code, Notification};
use crate::vocab::Exposure;
use gix::bstr::{BStr, ByteSlice};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A git work tree and its index.
pub struct WorkTree {
    /// The work tree's root directory, canonical.
    pub root: PathBuf,
    index: gix::worktree::Index,
    /// What git ignores here.
    pub ignore: IgnoreRules,
}

impl std::fmt::Debug for WorkTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkTree")
            .field("root", &self.root)
            .finish()
    }
}

/// Why a work tree's exposure cannot be told.
#[derive(Clone, Debug)]
pub struct UnreadableIndex {
    /// The work tree's root.
    pub root: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl WorkTree {
    /// The work tree containing `dir`, if any. An index that cannot be read (corrupt, or a
    /// split index missing its shared part) is an error: without it, what is tracked cannot be
    /// told.
    pub fn discover(dir: &Path) -> Result<Option<WorkTree>, UnreadableIndex> {
        let Ok(repo) = gix::discover(dir) else {
            return Ok(None);
        };
        let Some(root) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
            return Ok(None);
        };
        let index = repo.index_or_empty().map_err(|e| UnreadableIndex {
            root: root.clone(),
            message: e.to_string(),
        })?;
        let global = repo
            .config_snapshot()
            .trusted_path("core.excludesFile")
            .ok()
            .flatten()
            .or_else(default_global_excludes);
        let ignore = IgnoreRules::new(&root, repo.git_dir(), global.as_deref());
        Ok(Some(WorkTree {
            root,
            index,
            ignore,
        }))
    }

    /// Whether the index tracks `rel` (a `/`-separated path relative to the root).
    pub fn is_tracked(&self, rel: &str) -> bool {
        self.index
            .entry_by_path(BStr::new(rel.as_bytes()))
            .is_some()
    }

    /// The exposure of a file at `rel` in this work tree.
    pub fn exposure(&self, rel: &str) -> Exposure {
        if self.is_tracked(rel) {
            Exposure::Tracked
        } else if self.ignore.ignored(&self.root.join(rel), false) {
            Exposure::Ignored
        } else {
            Exposure::Untracked
        }
    }

    /// Tracked regular files at `scope` (a file's path, a directory's path followed by `/`,
    /// or `""` for all): directories by whole components only.
    pub fn tracked_files(&self, scope: &str) -> Vec<String> {
        use gix::index::entry::Mode;
        self.index
            .entries()
            .iter()
            .filter(|e| matches!(e.mode, Mode::FILE | Mode::FILE_EXECUTABLE))
            .map(|e| e.path(&self.index))
            .filter(|p| {
                if scope.is_empty() || scope.ends_with('/') {
                    p.starts_with(scope.as_bytes())
                } else {
                    *p == scope.as_bytes()
                }
            })
            .map(|p| p.to_str_lossy().into_owned())
            .collect()
    }
}

/// Git's default global excludes file: `$XDG_CONFIG_HOME/git/ignore`, else
/// `~/.config/git/ignore`.
fn default_global_excludes() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("git").join("ignore"))
}

/// A cache of work-tree lookups by directory, shared between walker threads.
#[derive(Default)]
pub struct WorkTrees {
    by_dir: Mutex<HashMap<PathBuf, Option<Arc<WorkTree>>>>,
    problems: Mutex<Vec<Notification>>,
}

impl WorkTrees {
    /// The work tree containing directory `dir` (canonical), discovered once per directory.
    /// A work tree whose index cannot be read counts as none (its files are scanned, with
    /// exposure unknown) and is named once in an error.
    pub fn containing(&self, dir: &Path) -> Option<Arc<WorkTree>> {
        if let Some(hit) = self.lock().get(dir) {
            return hit.clone();
        }
        let found = match WorkTree::discover(dir) {
            Ok(t) => t.map(Arc::new),
            Err(e) => {
                let shown = e.root.display().to_string();
                if let Ok(mut p) = self.problems.lock() {
                    p.push(Notification::new(
                        Code::Unreadable,
                        Some(format!("{shown}/.git/index")),
                        format!(
                            "{shown}: the git index cannot be read ({}): what is tracked or ignored cannot be told, so every file is scanned, exposure unknown",
                            e.message
                        ),
                    ));
                }
                None
            }
        };
        self.lock().insert(dir.to_path_buf(), found.clone());
        found
    }

    /// Problems met (unreadable indexes), and the notes of every work tree's ignore rules.
    pub fn take_notes(&self) -> Vec<Notification> {
        let mut out: Vec<Notification> = self
            .problems
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        for t in self.lock().values().flatten() {
            out.extend(t.ignore.take_notes());
        }
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Option<Arc<WorkTree>>>> {
        self.by_dir.lock().unwrap_or_else(|e| e.into_inner())
    }
}
