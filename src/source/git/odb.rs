//! The object database, read in pack order: every object is inflated once, delta chains are
//! resolved by walking each pack's delta forest from its bases, in parallel over bases.
//!
//! Object ids are enumerated first (pack indexes, loose object directories, alternates), each
//! pack's entry headers are read into a forest (a delta's parent is its base), then
//! [`Database::traverse`] hands every object of the requested kinds to a [`Visitor`], with the
//! base and delta it was made from, so a visitor can work on what a delta changed.

use super::delta::{Delta, DeltaError};
use crate::outcome::{Code, Notification};
use gix::ObjectId;
use gix::odb::pack;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

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

/// Where an entry's base is: another entry of the pack, or one of these markers.
const NO_BASE: u32 = u32::MAX;
/// The base is outside the pack (see [`Pack::external`]).
const EXTERNAL: u32 = u32::MAX - 1;
/// The base cannot be found, or the entry is corrupt (see [`Pack::missing`]).
const MISSING: u32 = u32::MAX - 2;

/// A pack's mapping, shared between gix's reader and the traversal that releases pages of it.
#[derive(Clone)]
struct Mapping(std::sync::Arc<memmap2::Mmap>);

impl std::ops::Deref for Mapping {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Releases the pages of a mapping that were read: they come back from the page cache when
/// read again. Keeps the resident size of scanning a large pack bounded.
fn release(map: &Mapping) {
    // SAFETY: the mapping is read-only and shared; dropping its pages only makes the next read
    // fault them in again from the file, with the same contents.
    let _ = unsafe { map.0.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
}

/// How many bytes of packed data the workers read between two releases of the mapping's pages.
const RELEASE_EVERY: u64 = 64 << 20;

/// One pack: its entries in offset order and their delta forest.
struct Pack {
    path: PathBuf,
    index: pack::index::File,
    map: Mapping,
    data: pack::data::File<Mapping>,
    ids: Vec<ObjectId>,
    offsets: Vec<u64>,
    /// The entry each entry is a delta against, or [`NO_BASE`], [`EXTERNAL`], [`MISSING`].
    base: Vec<u32>,
    external: HashMap<u32, ObjectId>,
    missing: HashMap<u32, String>,
    /// The kind every entry resolves to (through its chain).
    kind: Vec<Option<Kind>>,
    child_start: Vec<u32>,
    children: Vec<u32>,
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
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        match gix::odb::alternate::resolve(objects_dir, &cwd) {
            Ok(alts) => dirs.extend(alts),
            Err(e) => db.problem(
                Code::Alternates,
                None,
                format!("cannot read alternates: {e}"),
            ),
        }
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
                            let total = read.fetch_add(w.stats.packed - before, Ordering::Relaxed);
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
        // Entries no base reaches (a delta cycle, a corrupt base) were never visited.
        for p in &self.packs {
            for (ei, k) in p.kind.iter().enumerate() {
                if let (None, Some(why)) = (k, p.missing.get(&(ei as u32))) {
                    problems.push(Notification::new(
                        Code::MissingObject,
                        Some(p.ids[ei].to_string()),
                        format!("object {} cannot be reconstructed: {why}", p.ids[ei]),
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

impl Pack {
    fn open(
        idx_path: &Path,
        pack_path: &Path,
        hash: gix::hash::Kind,
    ) -> Result<(Pack, Vec<Notification>), String> {
        let index = pack::index::File::at(idx_path, hash).map_err(|e| e.to_string())?;
        let file = std::fs::File::open(pack_path).map_err(|e| e.to_string())?;
        // SAFETY: the pack is mapped read-only; git never rewrites a pack in place (it writes
        // new packs and renames them), and a truncated file is reported, not read past.
        let map = Mapping(std::sync::Arc::new(
            unsafe { memmap2::Mmap::map(&file) }.map_err(|e| e.to_string())?,
        ));
        let data = pack::data::File::from_data(map.clone(), pack_path.to_path_buf(), hash)
            .map_err(|e| e.to_string())?;
        let mut pairs: Vec<(u64, ObjectId)> =
            index.iter().map(|e| (e.pack_offset, e.oid)).collect();
        pairs.sort_unstable_by_key(|p| p.0);
        let offsets: Vec<u64> = pairs.iter().map(|p| p.0).collect();
        let ids: Vec<ObjectId> = pairs.into_iter().map(|p| p.1).collect();
        let n = ids.len();
        let mut problems = Vec::new();
        let mut base = vec![NO_BASE; n];
        let mut external = HashMap::new();
        let mut missing = HashMap::new();
        let mut kind: Vec<Option<Kind>> = vec![None; n];
        let mut released_at = 0u64;
        for (i, &off) in offsets.iter().enumerate() {
            use pack::data::entry::Header;
            if off - released_at > RELEASE_EVERY {
                release(&map);
                released_at = off;
            }
            let e = match data.entry(off) {
                Ok(e) => e,
                Err(err) => {
                    problems.push(Notification::new(
                        Code::CorruptObject,
                        Some(ids[i].to_string()),
                        format!("object {} in {}: {err}", ids[i], pack_path.display()),
                    ));
                    base[i] = MISSING;
                    missing.insert(i as u32, "its pack entry is corrupt".to_string());
                    continue;
                }
            };
            match &e.header {
                Header::Commit => kind[i] = Some(Kind::Commit),
                Header::Tree => kind[i] = Some(Kind::Tree),
                Header::Blob => kind[i] = Some(Kind::Blob),
                Header::Tag => kind[i] = Some(Kind::Tag),
                Header::OfsDelta { base_distance } => {
                    match e
                        .checked_base_pack_offset(*base_distance)
                        .and_then(|b| offsets.binary_search(&b).ok())
                    {
                        Some(b) => base[i] = b as u32,
                        None => {
                            base[i] = MISSING;
                            missing.insert(i as u32, format!("its base at pack offset {off} - {base_distance} is not an object"));
                        }
                    }
                }
                Header::RefDelta { base_id } => match index.lookup(base_id) {
                    Some(ix) => match offsets.binary_search(&index.pack_offset_at_index(ix)) {
                        Ok(b) => base[i] = b as u32,
                        Err(_) => {
                            base[i] = MISSING;
                            missing
                                .insert(i as u32, format!("its base {base_id} is not in the pack"));
                        }
                    },
                    None => {
                        base[i] = EXTERNAL;
                        external.insert(i as u32, *base_id);
                    }
                },
            }
        }
        // Children lists (compressed rows).
        let mut count = vec![0u32; n + 1];
        for &b in &base {
            if b < MISSING {
                count[b as usize + 1] += 1;
            }
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let child_start = count.clone();
        let mut fill = count;
        let mut children = vec![0u32; child_start[n] as usize];
        for (i, &b) in base.iter().enumerate() {
            if b < MISSING {
                let slot = &mut fill[b as usize];
                children[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        let mut pack = Pack {
            path: pack_path.to_path_buf(),
            index,
            map,
            data,
            ids,
            offsets,
            base,
            external,
            missing,
            kind,
            child_start,
            children,
        };
        pack.resolve_kinds();
        // Reading every entry header touched every page of the pack.
        pack.release();
        Ok((pack, problems))
    }

    /// Releases the pages of the mapping that were read (see [`release`]).
    fn release(&self) {
        release(&self.map);
    }

    /// Propagates kinds from bases to their deltas.
    fn resolve_kinds(&mut self) {
        let stack: Vec<u32> = (0..self.ids.len() as u32)
            .filter(|&i| self.kind[i as usize].is_some() && self.base[i as usize] == NO_BASE)
            .collect();
        self.propagate(stack);
    }

    fn propagate(&mut self, mut stack: Vec<u32>) {
        while let Some(i) = stack.pop() {
            let k = self.kind[i as usize];
            let (s, e) = (
                self.child_start[i as usize] as usize,
                self.child_start[i as usize + 1] as usize,
            );
            for j in s..e {
                let c = self.children[j];
                if self.kind[c as usize].is_none() {
                    self.kind[c as usize] = k;
                    stack.push(c);
                }
            }
        }
    }

    /// Kinds of deltas against bases outside the pack, from the bases' headers.
    fn set_external_kinds(&mut self, repo: &gix::Repository) {
        let mut stack = Vec::new();
        let mut externals: Vec<(u32, ObjectId)> =
            self.external.iter().map(|(&i, &b)| (i, b)).collect();
        externals.sort();
        for (i, b) in externals {
            match repo.find_header(b) {
                Ok(h) => {
                    self.kind[i as usize] = Some(Kind::from_gix(h.kind()));
                    stack.push(i);
                }
                Err(_) => {
                    self.base[i as usize] = MISSING;
                    self.external.remove(&i);
                    self.missing
                        .insert(i, format!("its base {b} is not in the repository"));
                }
            }
        }
        self.propagate(stack);
    }

    fn children_of(&self, i: u32) -> &[u32] {
        let (s, e) = (
            self.child_start[i as usize],
            self.child_start[i as usize + 1],
        );
        &self.children[s as usize..e as usize]
    }

    fn contains(&self, id: &gix::oid) -> bool {
        self.index.lookup(id).is_some()
    }
}

/// One unit of parallel work's state: the visitor, buffers and an inflater.
struct Worker<V: Visitor> {
    visitor: V,
    repo: gix::Repository,
    inflate: gix::zlib::Inflate,
    pool: Vec<Vec<u8>>,
    delta_buf: Vec<u8>,
    problems: Vec<Notification>,
    stats: TraverseStats,
}

struct Frame<M> {
    entry: u32,
    data: Vec<u8>,
    memo: M,
    next: u32,
}

impl<V: Visitor> Worker<V> {
    fn new(visitor: V, repo: gix::Repository) -> Self {
        Worker {
            visitor,
            repo,
            inflate: gix::zlib::Inflate::default(),
            pool: Vec::new(),
            delta_buf: Vec::new(),
            problems: Vec::new(),
            stats: TraverseStats::default(),
        }
    }

    fn buffer(&mut self) -> Vec<u8> {
        self.pool.pop().unwrap_or_default()
    }

    fn recycle(&mut self, mut b: Vec<u8>) {
        if self.pool.len() < 8 && b.capacity() <= 64 << 20 {
            b.clear();
            self.pool.push(b);
        }
    }

    fn corrupt(&mut self, p: &Pack, i: u32, what: String) {
        let id = p.ids[i as usize];
        self.problems.push(Notification::new(
            Code::CorruptObject,
            Some(id.to_string()),
            format!("object {id} in {}: {what}", p.path.display()),
        ));
    }

    /// Inflates pack entry `i` into `out`.
    fn inflate(&mut self, p: &Pack, i: u32, out: &mut Vec<u8>) -> Result<(), String> {
        let entry = p
            .data
            .entry(p.offsets[i as usize])
            .map_err(|e| e.to_string())?;
        let size = usize::try_from(entry.decompressed_size).map_err(|_| "too large".to_string())?;
        out.clear();
        out.resize(size, 0);
        let read = p
            .data
            .decompress_entry(&entry, &mut self.inflate, out)
            .map_err(|e| e.to_string())?;
        // Each entry read touches at least one page of the mapping.
        self.stats.packed += read as u64 + 4096;
        Ok(())
    }

    /// The size an entry's content will have (for a delta: the size of its delta data).
    fn entry_size(p: &Pack, i: u32) -> u64 {
        p.data
            .entry(p.offsets[i as usize])
            .map_or(0, |e| e.decompressed_size)
    }

    /// Visits pack entry `root` and every delta made from it, depth first. A node's content is
    /// dropped as soon as its last child is reconstructed, so a linear chain holds two objects.
    fn chain(&mut self, p: &Pack, root: u32, max_size: u64) {
        let Some(kind) = p.kind[root as usize] else {
            return;
        };
        let mut data = self.buffer();
        match p.external.get(&root) {
            Some(b) => {
                let mut base = self.buffer();
                let fetched = {
                    use gix::objs::Find;
                    self.repo
                        .objects
                        .try_find(b, &mut base)
                        .map(|o| o.map(|d| d.data.len()))
                };
                match fetched {
                    Ok(Some(n)) => base.truncate(n),
                    _ => {
                        self.corrupt(p, root, format!("its base {b} cannot be read"));
                        return;
                    }
                }
                let mut dbuf = std::mem::take(&mut self.delta_buf);
                let res = self.inflate(p, root, &mut dbuf).and_then(|_| {
                    let d = Delta::parse(&dbuf).map_err(|e| e.to_string())?;
                    d.apply(&base, &mut data)
                        .map_err(|e: DeltaError| e.to_string())
                });
                self.delta_buf = dbuf;
                self.recycle(base);
                if let Err(e) = res {
                    self.corrupt(p, root, e);
                    return;
                }
            }
            None => {
                let size = Self::entry_size(p, root);
                if size > max_size {
                    self.skip_subtree(p, root, kind, size);
                    return;
                }
                if let Err(e) = self.inflate(p, root, &mut data) {
                    self.corrupt(p, root, e);
                    self.fail_subtree(p, root);
                    return;
                }
            }
        }
        let id = p.ids[root as usize];
        let memo = self.visitor.visit(Object {
            kind,
            id: &id,
            data: &data,
            base: None,
        });
        self.stats.objects += 1;
        self.stats.bytes += data.len() as u64;
        let mut stack: Vec<Frame<V::Memo>> = vec![Frame {
            entry: root,
            data,
            memo,
            next: 0,
        }];
        while let Some(top) = stack.last_mut() {
            let kids = p.children_of(top.entry);
            if top.next as usize >= kids.len() {
                let f = stack.pop().expect("non-empty");
                self.recycle(f.data);
                continue;
            }
            let c = kids[top.next as usize];
            top.next += 1;
            let last = top.next as usize == kids.len();
            let mut dbuf = std::mem::take(&mut self.delta_buf);
            if let Err(e) = self.inflate(p, c, &mut dbuf) {
                self.delta_buf = dbuf;
                self.corrupt(p, c, e);
                self.fail_subtree(p, c);
                continue;
            }
            let delta = match Delta::parse(&dbuf) {
                Ok(d) => d,
                Err(e) => {
                    self.delta_buf = dbuf;
                    self.corrupt(p, c, e.to_string());
                    self.fail_subtree(p, c);
                    continue;
                }
            };
            if delta.result_size > max_size {
                let size = delta.result_size;
                self.delta_buf = dbuf;
                self.skip_subtree(p, c, kind, size);
                continue;
            }
            let top = stack.last().expect("parent frame");
            let mut out = self.pool.pop().unwrap_or_default();
            if let Err(e) = delta.apply(&top.data, &mut out) {
                self.delta_buf = dbuf;
                self.recycle(out);
                self.corrupt(p, c, e.to_string());
                self.fail_subtree(p, c);
                continue;
            }
            let id = p.ids[c as usize];
            let memo = self.visitor.visit(Object {
                kind,
                id: &id,
                data: &out,
                base: Some((&top.data, &top.memo, &delta)),
            });
            self.stats.objects += 1;
            self.stats.deltas += 1;
            self.stats.bytes += out.len() as u64;
            self.delta_buf = dbuf;
            if last {
                let f = stack.pop().expect("parent frame");
                self.recycle(f.data);
            }
            stack.push(Frame {
                entry: c,
                data: out,
                memo,
                next: 0,
            });
        }
    }

    /// An object too large to scan, and everything deltified from it.
    fn skip_subtree(&mut self, p: &Pack, i: u32, kind: Kind, size: u64) {
        let mut stack = vec![i];
        while let Some(n) = stack.pop() {
            self.visitor.skipped(&p.ids[n as usize], kind, size);
            stack.extend_from_slice(p.children_of(n));
        }
    }

    /// Deltas that cannot be reconstructed because their base could not.
    fn fail_subtree(&mut self, p: &Pack, i: u32) {
        let mut stack: Vec<u32> = p.children_of(i).to_vec();
        while let Some(n) = stack.pop() {
            self.corrupt(p, n, "its delta base is corrupt".into());
            stack.extend_from_slice(p.children_of(n));
        }
    }

    fn loose(&mut self, obj: &(ObjectId, Kind, u64), max_size: u64) {
        let (id, kind, size) = *obj;
        if size > max_size {
            self.visitor.skipped(&id, kind, size);
            return;
        }
        let mut data = self.buffer();
        let res = {
            use gix::objs::Find;
            self.repo
                .objects
                .try_find(&id, &mut data)
                .map(|o| o.map(|d| d.data.len()))
        };
        match res {
            Ok(Some(n)) => {
                data.truncate(n);
                self.visitor.visit(Object {
                    kind,
                    id: &id,
                    data: &data,
                    base: None,
                });
                self.stats.objects += 1;
                self.stats.bytes += n as u64;
            }
            Ok(None) => self.problems.push(Notification::new(
                Code::MissingObject,
                Some(id.to_string()),
                format!("object {id} disappeared while scanning"),
            )),
            Err(e) => self.problems.push(Notification::new(
                Code::CorruptObject,
                Some(id.to_string()),
                format!("object {id} is corrupt: {e}"),
            )),
        }
        self.recycle(data);
    }
}
