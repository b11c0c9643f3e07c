//! Files on disk: a parallel walk with the `ignore` crate (hidden files scanned, `.git/`
//! skipped, symlinks not followed), and stdin.
//!
//! Inside a git work tree, what git ignores is skipped ([`super::ignore`] reads the ignore
//! files, refusing any that is not a regular file), and exposure comes from the index, asked
//! only for files with hits: tracked, untracked or ignored. Files the index tracks although a
//! `.gitignore` matches them (a committed `.env`) are scanned after the walk.
//!
//! Roots given twice, or inside another root, are scanned once. Paths are relative to the work
//! tree's root or, outside git, to the root given (with several roots outside git, the root as
//! given leads each path, so two roots' files never share a name).

use super::worktree::{WorkTree, WorkTrees};
use crate::matcher::Matcher;
use crate::outcome::{Code, Outcome};
use crate::scan;
use crate::vocab::Exposure;
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};
use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How to walk.
#[derive(Clone, Debug)]
pub struct FsOptions {
    /// Scan files git ignores too (reported as `ignored`).
    pub no_ignore: bool,
    /// Files larger than this are skipped and listed.
    pub max_filesize: u64,
    /// Walker threads.
    pub threads: usize,
    /// Where to show progress.
    pub progress: crate::progress::Progress,
}

/// The path name used for standard input in every report.
pub const STDIN_PATH: &str = "stdin";

/// A root to scan, resolved.
struct Root {
    /// As given.
    given: PathBuf,
    /// Canonical.
    canon: PathBuf,
    is_dir: bool,
}

/// What kind of file system object a metadata describes, in words, when it is neither a
/// regular file nor a directory.
fn special_kind(ft: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("a FIFO");
        }
        if ft.is_socket() {
            return Some("a socket");
        }
        if ft.is_block_device() || ft.is_char_device() {
            return Some("a device");
        }
    }
    if ft.is_file() || ft.is_dir() {
        None
    } else if ft.is_symlink() {
        Some("a symbolic link")
    } else {
        Some("not a regular file")
    }
}

/// Scans paths on disk. Missing, unreadable or special paths (a FIFO, a device) become error
/// notifications; everything else is still scanned.
pub fn scan_paths(matcher: &Matcher, paths: &[PathBuf], opts: &FsOptions) -> Outcome {
    let trees = WorkTrees::default();
    let mut outcome = Outcome::default();
    opts.progress.phase("scanning", "files", None);
    let mut roots: Vec<Root> = Vec::new();
    for given in paths {
        let shown = given.display().to_string();
        let resolved = std::fs::metadata(given).and_then(|m| Ok((m, given.canonicalize()?)));
        match resolved {
            Err(e) => outcome.notify(
                Code::Unreadable,
                Some(shown.clone()),
                format!("{shown}: {e}"),
            ),
            Ok((m, _)) if special_kind(&m.file_type()).is_some() => outcome.notify(
                Code::Unreadable,
                Some(shown.clone()),
                format!(
                    "{shown}: {}, not a file or directory: not scanned",
                    special_kind(&m.file_type()).unwrap_or("not a regular file")
                ),
            ),
            Ok((m, canon)) => roots.push(Root {
                given: given.clone(),
                canon,
                is_dir: m.is_dir(),
            }),
        }
    }
    // A root given twice, or inside another root, is scanned once.
    let all: Vec<PathBuf> = roots.iter().map(|r| r.canon.clone()).collect();
    let mut seen: Vec<PathBuf> = Vec::new();
    roots.retain(|r| {
        let inside = all
            .iter()
            .any(|o| o != &r.canon && r.canon.starts_with(o) && o.is_dir());
        let dup = seen.contains(&r.canon);
        seen.push(r.canon.clone());
        !inside && !dup
    });
    let several = roots.len() > 1;
    for root in &roots {
        outcome += scan_root(matcher, root, several, opts, &trees);
    }
    outcome.notifications.extend(trees.take_notes());
    outcome.finish();
    outcome
}

/// Scans standard input, up to `max_filesize` bytes.
pub fn scan_stdin(matcher: &Matcher, max_filesize: u64) -> Outcome {
    let mut outcome = Outcome::default();
    let mut buf = Vec::new();
    let limit = max_filesize.saturating_add(1);
    match std::io::stdin().lock().take(limit).read_to_end(&mut buf) {
        Err(e) => outcome.notify(
            Code::Unreadable,
            Some(STDIN_PATH.into()),
            format!("stdin: {e}"),
        ),
        Ok(_) if buf.len() as u64 > max_filesize => outcome.notify(
            Code::TooLarge,
            Some(STDIN_PATH.into()),
            format!("stdin: larger than --max-filesize ({max_filesize} bytes): not scanned"),
        ),
        Ok(n) => {
            outcome.stats.scanned += 1;
            outcome.stats.bytes += n as u64;
            outcome.findings = scan::findings(matcher, &buf, STDIN_PATH, || Exposure::Unknown);
        }
    }
    outcome.finish();
    outcome
}

/// What the walker threads share.
struct Shared<'a> {
    matcher: &'a Matcher,
    opts: &'a FsOptions,
    trees: &'a WorkTrees,
    /// The path given on the command line, as given.
    root: &'a Path,
    /// Display-path prefix of the root (`""`, or `"sub/dir/"`).
    prefix: String,
    /// Each thread's results.
    results: Mutex<Vec<(Outcome, Vec<String>)>>,
}

fn scan_root(
    matcher: &Matcher,
    root: &Root,
    several: bool,
    opts: &FsOptions,
    trees: &WorkTrees,
) -> Outcome {
    let mut outcome = Outcome::default();
    let canon = &root.canon;
    let dir = if root.is_dir {
        canon.clone()
    } else {
        canon
            .parent()
            .map_or_else(|| canon.clone(), Path::to_path_buf)
    };
    let tree = trees.containing(&dir);
    // Display paths are relative to the work tree's root; outside git, to the root given, led
    // by the root as given when there are several.
    let root_rel = match &tree {
        Some(t) => rel_path(canon, &t.root),
        None if several => {
            let given = rel_path(&root.given, Path::new(""));
            if root.is_dir {
                given
            } else {
                given
                    .rsplit_once('/')
                    .map_or_else(String::new, |(d, _)| d.to_string())
            }
        }
        None => String::new(),
    };
    let prefix = if root.is_dir || tree.is_none() {
        if root_rel.is_empty() {
            String::new()
        } else {
            format!("{root_rel}/")
        }
    } else {
        match root_rel.rfind('/') {
            Some(i) => root_rel[..=i].to_string(),
            None => String::new(),
        }
    };

    let rules = tree.clone().filter(|_| !opts.no_ignore);
    let mut builder = WalkBuilder::new(&root.given);
    // The ignore crate reads no ignore file itself: [`super::ignore`] does, safely.
    builder
        .standard_filters(false)
        .hidden(false)
        .follow_links(false)
        .threads(opts.threads.max(1))
        .filter_entry(move |e| {
            if e.file_name() == ".git" {
                return false;
            }
            match &rules {
                Some(t) => {
                    let is_dir = e.file_type().is_some_and(|f| f.is_dir());
                    let path = e
                        .path()
                        .canonicalize()
                        .unwrap_or_else(|_| e.path().to_path_buf());
                    e.depth() == 0 || !t.ignore.ignored(&path, is_dir)
                }
                None => true,
            }
        });
    let shared = Shared {
        matcher,
        opts,
        trees,
        root: &root.given,
        prefix,
        results: Mutex::new(Vec::new()),
    };
    builder
        .build_parallel()
        .visit(&mut Builder { shared: &shared });
    let mut visited: HashSet<String> = HashSet::new();
    for (o, v) in shared.take_results() {
        outcome += o;
        visited.extend(v);
    }

    // Tracked files that a `.gitignore` hides from the walk are still tracked: scan them.
    if let (Some(tree), false) = (&tree, opts.no_ignore) {
        let scope = if root.is_dir {
            shared.prefix.clone()
        } else {
            root_rel.clone()
        };
        let mut worker = Worker::new(&shared);
        for rel in tree.tracked_files(&scope) {
            if visited.contains(&rel) {
                continue;
            }
            let path = tree.root.join(&rel);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_file() => worker.scan_file(&path, rel, Some(tree)),
                _ => {}
            }
        }
        drop(worker);
        for (o, _) in shared.take_results() {
            outcome += o;
        }
    }
    outcome
}

impl Shared<'_> {
    fn take_results(&self) -> Vec<(Outcome, Vec<String>)> {
        std::mem::take(&mut *self.results.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// `path` relative to `base`, `/`-separated (`""` when equal).
fn rel_path(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

struct Builder<'s> {
    shared: &'s Shared<'s>,
}

impl<'s> ParallelVisitorBuilder<'s> for Builder<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Worker::new(self.shared))
    }
}

/// One walker thread: a reused read buffer and its own results.
struct Worker<'s> {
    shared: &'s Shared<'s>,
    buf: Vec<u8>,
    out: Outcome,
    visited: Vec<String>,
}

impl<'s> Worker<'s> {
    fn new(shared: &'s Shared<'s>) -> Self {
        Worker {
            shared,
            buf: Vec::new(),
            out: Outcome::default(),
            visited: Vec::new(),
        }
    }

    fn display(&self, entry: &DirEntry) -> String {
        let p = entry.path();
        let rel = p.strip_prefix(self.shared.root).unwrap_or(p);
        let tail = rel_path(rel, Path::new(""));
        if tail.is_empty() {
            // The root itself is a file.
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{}{}", self.shared.prefix, name)
        } else {
            format!("{}{}", self.shared.prefix, tail)
        }
    }

    /// Reads and scans one file. `tree` is the work tree when the caller already knows it.
    fn scan_file(&mut self, path: &Path, rel: String, tree: Option<&Arc<WorkTree>>) {
        let max = self.shared.opts.max_filesize;
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.out
                    .notify(Code::Unreadable, Some(rel.clone()), format!("{rel}: {e}"));
                return;
            }
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len > max {
            self.out.stats.skipped += 1;
            self.out.notify(
                Code::TooLarge,
                Some(rel.clone()),
                format!(
                    "{rel}: {len} bytes, larger than --max-filesize ({max} bytes): not scanned"
                ),
            );
            return;
        }
        self.buf.clear();
        self.buf.reserve(len as usize);
        if let Err(e) = (&mut file)
            .take(max.saturating_add(1))
            .read_to_end(&mut self.buf)
        {
            self.out
                .notify(Code::Unreadable, Some(rel.clone()), format!("{rel}: {e}"));
            return;
        }
        self.out.stats.scanned += 1;
        self.out.stats.bytes += self.buf.len() as u64;
        self.shared.opts.progress.inc(1, self.buf.len() as u64);
        let trees = self.shared.trees;
        let findings = scan::findings(self.shared.matcher, &self.buf, &rel, || {
            exposure_of(path, tree, trees)
        });
        self.out.findings.extend(findings);
    }
}

/// Exposure of a file with findings, from the work tree that contains it.
fn exposure_of(path: &Path, known: Option<&Arc<WorkTree>>, trees: &WorkTrees) -> Exposure {
    let Ok(canon) = path.canonicalize() else {
        return Exposure::Unknown;
    };
    let tree = match known {
        Some(t) => Some(t.clone()),
        None => canon.parent().and_then(|d| trees.containing(d)),
    };
    match tree {
        Some(t) => match canon.strip_prefix(&t.root) {
            Ok(rel) => t.exposure(&rel_path(rel, Path::new(""))),
            Err(_) => Exposure::Unknown,
        },
        None => Exposure::Unknown,
    }
}

impl ParallelVisitor for Worker<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let subject = walk_error_path(&e);
                self.out.notify(Code::Unreadable, subject, e.to_string());
                return WalkState::Continue;
            }
        };
        let Some(ft) = entry.file_type() else {
            return WalkState::Continue;
        };
        if ft.is_dir() || ft.is_symlink() {
            return WalkState::Continue;
        }
        let rel = self.display(&entry);
        if let Some(kind) = special_kind(&ft) {
            self.out.notify(
                Code::SpecialFile,
                Some(rel.clone()),
                format!("{rel}: {kind}, not a regular file: skipped"),
            );
            return WalkState::Continue;
        }
        self.visited.push(rel.clone());
        self.scan_file(entry.path(), rel, None);
        WalkState::Continue
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let out = std::mem::take(&mut self.out);
        let visited = std::mem::take(&mut self.visited);
        if let Ok(mut r) = self.shared.results.lock() {
            r.push((out, visited));
        }
    }
}

fn walk_error_path(e: &ignore::Error) -> Option<String> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.display().to_string()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        _ => None,
    }
}
