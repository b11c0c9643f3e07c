//! The object database, read in pack order: every object is inflated once, delta chains are
//! resolved by walking each pack's delta forest from its bases, in parallel over bases.
//!
//! Object ids are enumerated first (pack indexes, loose object directories, alternates), each
//! pack's entry headers are read into a forest (a delta's parent is its base), then
//! [`Database::traverse`] hands every object of the requested kinds to a [`Visitor`], with the
//! base and delta it was made from, so a visitor can work on what a delta changed.

use super::delta::Delta;
use crate::outcome::{Code, Notification};
use gix::ObjectId;
use std::path::{Path, PathBuf};

mod pack;
mod worker;

use pack::{EXTERNAL, NO_BASE, Pack, RELEASE_EVERY};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use worker::Worker;

/// The kinds of git objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A commit.
    Commit,
    /// A tree.
    Tree,
    /// A blob.
    Blob,
    /// An annotated tag.
    Tag,
}

impl Kind {
    fn from_gix(k: gix::objs::Kind) -> Kind {
        match k {
            gix::objs::Kind::Commit => Kind::Commit,
            gix::objs::Kind::Tree => Kind::Tree,
            gix::objs::Kind::Blob => Kind::Blob,
            gix::objs::Kind::Tag => Kind::Tag,
        }
    }
}

/// An object handed to a visitor.
pub struct Object<'a, M> {
    /// Its kind.
    pub kind: Kind,
    /// Its id.
    pub id: &'a gix::oid,
    /// Its content.
    pub data: &'a [u8],
    /// For a deltified object: the base's content, what the visitor returned for the base, and
    /// the delta.
    pub base: Option<(&'a [u8], &'a M, &'a Delta<'a>)>,
}

/// Receives objects during a traversal; one per worker, merged afterwards.
pub trait Visitor: Send {
    /// What the visitor keeps about an object for the objects deltified against it.
    type Memo: Send + Default;
    /// Handles one object.
    fn visit(&mut self, obj: Object<'_, Self::Memo>) -> Self::Memo;
    /// An object that was not visited, and why.
    fn skipped(&mut self, id: &gix::oid, kind: Kind, size: u64);
}

/// Everything in the object database, enumerated.
pub struct Database {
    object_hash: gix::hash::Kind,
    packs: Vec<Pack>,
    loose: Vec<(ObjectId, Kind, u64)>,
    /// Problems found while enumerating (unreadable packs, corrupt entry headers).
    pub problems: Vec<Notification>,
}

/// Counts of what a traversal did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraverseStats {
    /// Objects handed to the visitor.
    pub objects: u64,
    /// Bytes of content handed to the visitor.
    pub bytes: u64,
    /// Of those objects, how many were deltas.
    pub deltas: u64,
    /// Bytes of packed (compressed) data read, counting a page per entry (what the mapping
    /// holds resident until released).
    pub packed: u64,
}

impl Database {
    /// Enumerates the repository's packs and loose objects, including alternates.
    pub fn open(repo: &gix::Repository) -> Database {
        let object_hash = repo.object_hash();
        let mut db = Database {
            object_hash,
            packs: Vec::new(),
            loose: Vec::new(),
            problems: Vec::new(),
        };
        let objects_dir = repo.objects.store_ref().path().to_path_buf();
        let mut dirs = vec![objects_dir.clone()];
        db.alternates(&mut dirs);
        for dir in &dirs {
            db.add_packs(&dir.join("pack"));
        }
        for dir in &dirs {
            db.add_loose(dir, repo);
        }
        db.loose.sort_by_key(|a| a.0);
        db.loose.dedup_by(|a, b| a.0 == b.0);
        for p in &mut db.packs {
            if !p.external.is_empty() {
                p.set_external_kinds(repo);
            }
        }
        db
    }

    /// Adds the object directories named by `objects/info/alternates`, line by line and
    /// recursively (as git does, at most five deep): a line naming no directory is reported
    /// and the others are still read.
    fn alternates(&mut self, dirs: &mut Vec<PathBuf>) {
        const DEPTH: usize = 5;
        let mut next = 0;
        let mut depth = vec![0usize];
        while next < dirs.len() {
            let dir = dirs[next].clone();
            let level = depth[next];
            next += 1;
            let file = dir.join("info").join("alternates");
            let text = match std::fs::read(&file) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    let shown = file.display().to_string();
                    self.problem(
                        Code::Alternates,
                        Some(shown.clone()),
                        format!("cannot read {shown}: {e}"),
                    );
                    continue;
                }
            };
            for (n, line) in text.split(|&b| b == b'\n').enumerate() {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() || line.starts_with(b"#") {
                    continue;
                }
                let shown = format!("{}:{}", file.display(), n + 1);
                let Ok(text) = std::str::from_utf8(line) else {
                    self.problem(
                        Code::Alternates,
                        Some(shown.clone()),
                        format!("{shown}: not a path (invalid UTF-8): skipped"),
                    );
                    continue;
                };
                if text.starts_with('"') {
                    self.problem(
                        Code::Alternates,
                        Some(shown.clone()),
                        format!("{shown}: quoted paths are not supported: skipped"),
                    );
                    continue;
                }
                let path = dir.join(text);
                let real = match std::fs::canonicalize(&path) {
                    Ok(p) if p.is_dir() => p,
                    _ => {
                        self.problem(
                            Code::Alternates,
                            Some(shown.clone()),
                            format!("{shown}: {text} is not an object directory: its objects were not scanned"),
                        );
                        continue;
                    }
                };
                if dirs
                    .iter()
                    .any(|d| std::fs::canonicalize(d).is_ok_and(|d| d == real))
                {
                    continue;
                }
                if level + 1 > DEPTH {
                    self.problem(
                        Code::Alternates,
                        Some(shown.clone()),
                        format!("{shown}: alternates nest deeper than {DEPTH}: skipped"),
                    );
                    continue;
                }
                dirs.push(real);
                depth.push(level + 1);
            }
        }
    }

    fn problem(&mut self, code: Code, subject: Option<String>, message: String) {
        self.problems
            .push(Notification::new(code, subject, message));
    }

    fn add_packs(&mut self, dir: &Path) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut idx: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "idx"))
            .collect();
        idx.sort();
        for path in idx {
            let pack_path = path.with_extension("pack");
            match Pack::open(&path, &pack_path, self.object_hash) {
                Ok((pack, problems)) => {
                    self.problems.extend(problems);
                    self.packs.push(pack);
                }
                Err(message) => self.problem(
                    Code::CorruptPack,
                    Some(pack_path.display().to_string()),
                    format!(
                        "{}: {message}: its objects are not scanned",
                        pack_path.display()
                    ),
                ),
            }
        }
    }

    fn add_loose(&mut self, dir: &Path, repo: &gix::Repository) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut found = Vec::new();
        for fan in rd.filter_map(|e| e.ok()) {
            let name = fan.file_name();
            let name = name.to_string_lossy();
            if name.len() != 2 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            let Ok(inner) = std::fs::read_dir(fan.path()) else {
                continue;
            };
            for obj in inner.filter_map(|e| e.ok()) {
                let rest = obj.file_name();
                let hex = format!("{name}{}", rest.to_string_lossy());
                if let Ok(id) = ObjectId::from_hex(hex.as_bytes()) {
                    found.push(id);
                }
            }
        }
        found.sort();
        for id in found {
            if self.packs.iter().any(|p| p.contains(&id)) {
                continue;
            }
            match repo.find_header(id) {
                Ok(h) => self.loose.push((id, Kind::from_gix(h.kind()), h.size())),
                Err(e) => self.problem(
                    Code::CorruptObject,
                    Some(id.to_string()),
                    format!("object {id} is corrupt: {e}"),
                ),
            }
        }
    }

    /// Every object id of `kind`, in no particular order.
    pub fn ids(&self, kind: Kind) -> Vec<ObjectId> {
        let mut out: Vec<ObjectId> = Vec::new();
        for p in &self.packs {
            out.extend(
                p.ids
                    .iter()
                    .zip(&p.kind)
                    .filter(|(_, k)| **k == Some(kind))
                    .map(|(id, _)| *id),
            );
        }
        out.extend(self.loose.iter().filter(|l| l.1 == kind).map(|l| l.0));
        out
    }

    /// Visits every object of the given kinds once, in parallel: one worker per thread, each
    /// taking the next chunk of delta-forest roots in pack order. Returns the visitors, the
    /// traversal's problems and its counts.
    pub fn traverse<V, F>(
        &self,
        repo: &gix::ThreadSafeRepository,
        kinds: &[Kind],
        max_size: u64,
        progress: &crate::progress::Progress,
        make: F,
    ) -> (Vec<V>, Vec<Notification>, TraverseStats)
    where
        V: Visitor,
        F: Fn() -> V + Sync + Send,
    {
        #[derive(Clone, Copy)]
        enum Work {
            Root(u32, u32),
            Loose(u32),
        }
        let mut work: Vec<Work> = Vec::new();
        for (pi, p) in self.packs.iter().enumerate() {
            for (ei, &b) in p.base.iter().enumerate() {
                let root = b == NO_BASE || b == EXTERNAL;
                if root && p.kind[ei].is_some_and(|k| kinds.contains(&k)) {
                    work.push(Work::Root(pi as u32, ei as u32));
                }
            }
        }
        for (li, l) in self.loose.iter().enumerate() {
            if kinds.contains(&l.1) {
                work.push(Work::Loose(li as u32));
            }
        }
        const CHUNK: usize = 32;
        let next = AtomicUsize::new(0);
        let read = AtomicU64::new(0);
        let released = AtomicU64::new(0);
        let done: Mutex<Vec<Worker<V>>> = Mutex::new(Vec::new());
        rayon::scope(|s| {
            for _ in 0..rayon::current_num_threads().max(1) {
                s.spawn(|_| {
                    let mut w = Worker::new(make(), repo.to_thread_local());
                    loop {
                        let i = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if i >= work.len() {
                            break;
                        }
                        for item in &work[i..(i + CHUNK).min(work.len())] {
                            let before = w.stats.packed;
                            let (objects, bytes) = (w.stats.objects, w.stats.bytes);
                            match *item {
                                Work::Root(pi, ei) => {
                                    w.chain(&self.packs[pi as usize], ei, max_size)
                                }
                                Work::Loose(li) => w.loose(&self.loose[li as usize], max_size),
                            }
                            progress.inc(w.stats.objects - objects, w.stats.bytes - bytes);
                            // Pages touched, not bytes: a 50-byte delta still maps in a
                            // whole page, and chains jump around the pack.
                            let touched =
                                (w.stats.packed - before) + 4096 * (w.stats.objects - objects);
                            let total = read.fetch_add(touched, Ordering::Relaxed);
                            let mark = total / RELEASE_EVERY;
                            if mark > released.load(Ordering::Relaxed)
                                && released.fetch_max(mark, Ordering::Relaxed) < mark
                            {
                                for p in &self.packs {
                                    p.release();
                                }
                            }
                        }
                    }
                    done.lock().unwrap_or_else(|e| e.into_inner()).push(w);
                });
            }
        });
        for p in &self.packs {
            p.release();
        }
        let results = done.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut visitors = Vec::with_capacity(results.len());
        let mut problems = Vec::new();
        let mut stats = TraverseStats::default();
        for w in results {
            problems.extend(w.problems);
            stats.objects += w.stats.objects;
            stats.bytes += w.stats.bytes;
            stats.deltas += w.stats.deltas;
            stats.packed += w.stats.packed;
            visitors.push(w.visitor);
        }
        // Entries no base reaches (a missing or corrupt base, anything deltified from one, a
        // delta cycle) were never visited: each is named, with why.
        for p in &self.packs {
            for (ei, k) in p.kind.iter().enumerate() {
                if k.is_none() {
                    problems.push(Notification::new(
                        Code::MissingObject,
                        Some(p.ids[ei].to_string()),
                        format!(
                            "object {} cannot be reconstructed: {}",
                            p.ids[ei],
                            p.unreachable_why(ei as u32)
                        ),
                    ));
                }
            }
        }
        problems.sort();
        problems.dedup();
        (visitors, problems, stats)
    }

    /// How many objects of `kind` the database holds.
    pub fn count(&self, kind: Kind) -> u64 {
        let packed: usize = self
            .packs
            .iter()
            .map(|p| p.kind.iter().filter(|k| **k == Some(kind)).count())
            .sum();
        (packed + self.loose.iter().filter(|l| l.1 == kind).count()) as u64
    }

    /// Whether the database holds `id`.
    pub fn contains(&self, id: &gix::oid) -> bool {
        self.packs.iter().any(|p| p.contains(id))
            || self
                .loose
                .binary_search_by(|l| l.0.as_ref().cmp(id))
                .is_ok()
    }
}
