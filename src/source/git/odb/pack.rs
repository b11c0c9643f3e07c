//! One pack: its index, its mapping, and the delta forest of its entries (a delta's parent is
//! its base), read from the entry headers once.

use super::Kind;
use crate::outcome::{Code, Notification};
use gix::ObjectId;
use gix::odb::pack;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where an entry's base is: another entry of the pack, or one of these markers.
pub(super) const NO_BASE: u32 = u32::MAX;
/// The base is outside the pack (see [`Pack::external`]).
pub(super) const EXTERNAL: u32 = u32::MAX - 1;
/// The base cannot be found, or the entry is corrupt (see [`Pack::missing`]).
pub(super) const MISSING: u32 = u32::MAX - 2;

/// A pack's mapping, shared between gix's reader and the traversal that releases pages of it.
#[derive(Clone)]
pub(super) struct Mapping(std::sync::Arc<memmap2::Mmap>);

impl std::ops::Deref for Mapping {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Releases the pages of a mapping that were read: they come back from the page cache when
/// read again. Keeps the resident size of scanning a large pack bounded (on Unix; elsewhere
/// the system manages the mapping's pages alone).
pub(super) fn release(map: &Mapping) {
    #[cfg(unix)]
    {
        // SAFETY: the mapping is read-only and shared; dropping its pages only makes the next
        // read fault them in again from the file, with the same contents.
        let _ = unsafe { map.0.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
    }
    #[cfg(not(unix))]
    let _ = map;
}

/// How many bytes of packed data the workers read between two releases of the mapping's pages
/// (counted as at least a page per entry, so fewer are resident). Each release makes every
/// page read afterwards fault in again and interrupts the other workers to flush their view of
/// the mapping: at 16 MB, git/git's history scan spent 1.0–1.3 s in the system, at 128 MB
/// 0.7–0.9 s, with the same peak resident size.
pub(super) const RELEASE_EVERY: u64 = 128 << 20;

/// One pack: its entries in offset order and their delta forest.
pub(super) struct Pack {
    pub path: PathBuf,
    pub index: pack::index::File,
    pub map: Mapping,
    pub data: pack::data::File<Mapping>,
    pub ids: Vec<ObjectId>,
    pub offsets: Vec<u64>,
    /// The entry each entry is a delta against, or [`NO_BASE`], [`EXTERNAL`], [`MISSING`].
    pub base: Vec<u32>,
    pub external: HashMap<u32, ObjectId>,
    pub missing: HashMap<u32, String>,
    /// The kind every entry resolves to (through its chain).
    pub kind: Vec<Option<Kind>>,
    pub child_start: Vec<u32>,
    pub children: Vec<u32>,
}

impl Pack {
    /// Opens a pack and its index, reads every entry header into the delta forest, and
    /// resolves each entry's kind through its chain.
    pub fn open(
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
        // Chains jump around the pack: no read-ahead or fault-around, so a 50-byte delta maps
        // in one page, not sixteen, and the resident size follows what is read.
        #[cfg(unix)]
        let _ = map.0.advise(memmap2::Advice::Random);
        let data = pack::data::File::from_data(map.clone(), pack_path.to_path_buf(), hash)
            .map_err(|e| e.to_string())?;
        let mut pairs: Vec<(u64, ObjectId)> =
            index.iter().map(|e| (e.pack_offset, e.oid)).collect();
        pairs.par_sort_unstable_by_key(|p| p.0);
        let offsets: Vec<u64> = pairs.iter().map(|p| p.0).collect();
        let ids: Vec<ObjectId> = pairs.into_iter().map(|p| p.1).collect();
        let n = ids.len();
        // Every entry's header, in one part of the pack per thread: its kind, or where its
        // base is.
        let part = n.div_ceil(rayon::current_num_threads().max(1)).max(1);
        let parts: Vec<Headers> = offsets
            .par_chunks(part)
            .enumerate()
            .map(|(k, offs)| {
                let mut h = Headers::default();
                let mut released_at = offs.first().copied().unwrap_or(0);
                for (j, &off) in offs.iter().enumerate() {
                    let i = k * part + j;
                    if off - released_at > RELEASE_EVERY {
                        release(&map);
                        released_at = off;
                    }
                    h.read(&data, &index, &offsets, i as u32, off, &ids[i], pack_path);
                }
                h
            })
            .collect();
        let mut problems = Vec::new();
        let mut base = Vec::with_capacity(n);
        let mut external = HashMap::new();
        let mut missing = HashMap::new();
        let mut kind: Vec<Option<Kind>> = Vec::with_capacity(n);
        for h in parts {
            base.extend(h.base);
            kind.extend(h.kind);
            external.extend(h.external);
            missing.extend(h.missing);
            problems.extend(h.problems);
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
    pub fn release(&self) {
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
    pub fn set_external_kinds(&mut self, repo: &gix::Repository) {
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

    /// Why entry `i`, which no root reaches, cannot be reconstructed: its own problem, the
    /// problem of the first base up its chain that has one, or a cycle of deltas.
    pub fn unreachable_why(&self, i: u32) -> String {
        let mut seen = std::collections::HashSet::new();
        let mut n = i;
        loop {
            if let Some(why) = self.missing.get(&n) {
                return if n == i {
                    why.clone()
                } else {
                    format!(
                        "it is deltified from {}, which cannot be: {why}",
                        self.ids[n as usize]
                    )
                };
            }
            if !seen.insert(n) {
                return format!(
                    "its delta chain is a cycle (through {})",
                    self.ids[n as usize]
                );
            }
            match self.base[n as usize] {
                b if b < MISSING => n = b,
                _ => return "its delta base cannot be read".into(),
            }
        }
    }

    pub fn children_of(&self, i: u32) -> &[u32] {
        let (s, e) = (
            self.child_start[i as usize],
            self.child_start[i as usize + 1],
        );
        &self.children[s as usize..e as usize]
    }

    pub fn contains(&self, id: &gix::oid) -> bool {
        self.index.lookup(id).is_some()
    }
}

/// The entry headers of one part of a pack (see [`Pack::open`]).
#[derive(Default)]
struct Headers {
    base: Vec<u32>,
    kind: Vec<Option<Kind>>,
    external: Vec<(u32, ObjectId)>,
    missing: Vec<(u32, String)>,
    problems: Vec<Notification>,
}

impl Headers {
    /// Reads the header of entry `i` (at pack offset `off`, object `id`): its kind, or where
    /// its base is.
    #[allow(clippy::too_many_arguments)]
    fn read(
        &mut self,
        data: &pack::data::File<Mapping>,
        index: &pack::index::File,
        offsets: &[u64],
        i: u32,
        off: u64,
        id: &ObjectId,
        pack_path: &Path,
    ) {
        use pack::data::entry::Header;
        let e = match data.entry(off) {
            Ok(e) => e,
            Err(err) => {
                self.problems.push(Notification::new(
                    Code::CorruptObject,
                    Some(id.to_string()),
                    format!("object {id} in {}: {err}", pack_path.display()),
                ));
                return self.lost(i, "its pack entry is corrupt".to_string());
            }
        };
        let (base, kind) = match &e.header {
            Header::Commit => (NO_BASE, Some(Kind::Commit)),
            Header::Tree => (NO_BASE, Some(Kind::Tree)),
            Header::Blob => (NO_BASE, Some(Kind::Blob)),
            Header::Tag => (NO_BASE, Some(Kind::Tag)),
            Header::OfsDelta { base_distance } => match e
                .checked_base_pack_offset(*base_distance)
                .and_then(|b| offsets.binary_search(&b).ok())
            {
                Some(b) => (b as u32, None),
                None => {
                    let why =
                        format!("its base at pack offset {off} - {base_distance} is not an object");
                    return self.lost(i, why);
                }
            },
            Header::RefDelta { base_id } => match index.lookup(base_id) {
                Some(ix) => match offsets.binary_search(&index.pack_offset_at_index(ix)) {
                    Ok(b) => (b as u32, None),
                    Err(_) => {
                        return self.lost(i, format!("its base {base_id} is not in the pack"));
                    }
                },
                None => {
                    self.external.push((i, *base_id));
                    (EXTERNAL, None)
                }
            },
        };
        self.base.push(base);
        self.kind.push(kind);
    }

    /// Entry `i` cannot be resolved, for the reason `why`.
    fn lost(&mut self, i: u32, why: String) {
        self.missing.push((i, why));
        self.base.push(MISSING);
        self.kind.push(None);
    }
}
