//! Which files of a git work tree git ignores, from `.gitignore` files, `.git/info/exclude`
//! and the global excludes file, each read only if it is a regular file of sane size.
//!
//! The repository being scanned may be written by the party a CI gate guards against: a
//! `.gitignore` that is a FIFO would hang a reader, one that links to `/dev/zero` would fill
//! memory. Git itself refuses to follow such links; so do we. Files that are skipped are
//! named in notes, and the walk goes on as if they were absent.

use crate::outcome::{Code, Notification};
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Ignore files larger than this are not read (git's own limit is 100 MiB; no honest one is
/// anywhere near a mebibyte).
pub const MAX_IGNORE_FILE: u64 = 1 << 20;

/// The ignore rules of one work tree, loaded per directory on first use.
pub struct IgnoreRules {
    root: PathBuf,
    /// `.git/info/exclude` and the global excludes file.
    base: Vec<Gitignore>,
    dirs: Mutex<HashMap<PathBuf, Option<Arc<Gitignore>>>>,
    notes: Mutex<Vec<Notification>>,
}

impl IgnoreRules {
    /// The rules of the work tree at `root` (canonical), whose git directory is `git_dir`;
    /// `global` is the global excludes file, if git's configuration names one.
    pub fn new(root: &Path, git_dir: &Path, global: Option<&Path>) -> IgnoreRules {
        let rules = IgnoreRules {
            root: root.to_path_buf(),
            base: Vec::new(),
            dirs: Mutex::new(HashMap::new()),
            notes: Mutex::new(Vec::new()),
        };
        let mut base = Vec::new();
        if let Some(g) = rules.load(root, &git_dir.join("info").join("exclude")) {
            base.push(g);
        }
        if let Some(g) = global.and_then(|p| rules.load(root, p)) {
            base.push(g);
        }
        IgnoreRules { base, ..rules }
    }

    /// Parses the ignore file at `file`, anchored at `dir`, if it is a regular file of sane
    /// size; notes why not otherwise.
    fn load(&self, dir: &Path, file: &Path) -> Option<Gitignore> {
        let meta = std::fs::symlink_metadata(file).ok()?;
        let why = if !meta.file_type().is_file() {
            Some("not a regular file (a symbolic link, FIFO or device): not read, as git would not")
        } else if meta.len() > MAX_IGNORE_FILE {
            Some("larger than 1 MiB: not read")
        } else {
            None
        };
        if let Some(why) = why {
            let shown = file.display().to_string();
            if let Ok(mut n) = self.notes.lock() {
                n.push(Notification::new(
                    Code::SpecialFile,
                    Some(shown.clone()),
                    format!("{shown}: {why}"),
                ));
            }
            return None;
        }
        let mut b = GitignoreBuilder::new(dir);
        let _ = b.add(file);
        b.build().ok()
    }

    fn dir_rules(&self, dir: &Path) -> Option<Arc<Gitignore>> {
        if let Some(hit) = self.dirs.lock().ok()?.get(dir) {
            return hit.clone();
        }
        let loaded = self.load(dir, &dir.join(".gitignore")).map(Arc::new);
        if let Ok(mut d) = self.dirs.lock() {
            d.insert(dir.to_path_buf(), loaded.clone());
        }
        loaded
    }

    /// Whether git ignores `path` (a file or directory under the work tree): the deepest
    /// `.gitignore` with a say decides, then `info/exclude`, then the global file.
    pub fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return false;
        };
        let mut dirs: Vec<PathBuf> = Vec::new();
        let mut d = self.root.clone();
        dirs.push(d.clone());
        if let Some(parent) = rel.parent() {
            for c in parent.components() {
                d = d.join(c);
                dirs.push(d.clone());
            }
        }
        for dir in dirs.iter().rev() {
            if let Some(g) = self.dir_rules(dir) {
                match g.matched(path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
        }
        for g in &self.base {
            match g.matched(path, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }

    /// Notes about ignore files that were not read.
    pub fn take_notes(&self) -> Vec<Notification> {
        self.notes
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }
}
