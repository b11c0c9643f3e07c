//! The tree pass: which tree holds which, and the entries that matter (blobs with hits,
//! gitlinks, missing objects). Entries a delta copies whole from its base tree inherit the
//! base's classification, so only new entries are parsed.

use super::super::delta::Op;
use super::super::graph::{Special, TreeRecords};
use super::super::odb::{Kind, Object, Visitor};
use super::super::tree;
use gix::ObjectId;

/// An entry of a tree that matters: a subtree, a blob of interest, a gitlink, a missing object.
#[derive(Clone, Copy, Debug)]
struct Notable {
    /// Offset of the entry in the tree object.
    start: u32,
    /// What the entry is.
    kind: EntryKind,
    /// Local name id.
    name: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryKind {
    /// A subtree, by tree index (`u32::MAX`: not in the repository).
    Tree(u32),
    /// A blob of interest (hits, LFS pointer, skipped).
    Interesting,
    /// A submodule commit.
    Gitlink,
    /// A blob that is not in the repository.
    Missing,
}

/// What a tree deltified from this one inherits: where each entry starts, and the entries
/// that matter (the rest are plain blobs).
#[derive(Default)]
pub(super) struct TreeMemo {
    starts: Vec<u32>,
    len: u32,
    notable: Vec<Notable>,
}

/// Tree pass: records which tree holds which, and the entries of interest. Entries that a
/// delta copies whole, from an entry boundary of its base tree, inherit the base's
/// classification (the same bytes at an entry boundary are the same entry), so only new
/// entries are parsed and looked up.
pub(super) struct TreeScan<'a> {
    ids: &'a gix::hashtable::HashMap<ObjectId, u32>,
    interesting: &'a gix::hashtable::HashSet<ObjectId>,
    blobs: &'a gix::hashtable::HashSet<ObjectId>,
    pub rec: TreeRecords,
    pub corrupt: Vec<ObjectId>,
    /// Inherit entries from delta bases (off for `--full-scan`).
    inherit: bool,
    /// Copy instructions of the current delta: (start, end) here, offset in the base.
    copies: Vec<(usize, usize, usize)>,
    /// Entries classified by lookup and entries inherited from a base.
    pub parsed: u64,
    pub inherited: u64,
    /// Trees that inherited at least one entry.
    pub delta_trees: u64,
}

impl<'a> TreeScan<'a> {
    /// A tree pass over the trees `ids` lists, looking for the `interesting` blobs among
    /// `blobs` (every blob in the repository).
    pub fn new(
        ids: &'a gix::hashtable::HashMap<ObjectId, u32>,
        interesting: &'a gix::hashtable::HashSet<ObjectId>,
        blobs: &'a gix::hashtable::HashSet<ObjectId>,
        inherit: bool,
    ) -> Self {
        TreeScan {
            ids,
            interesting,
            blobs,
            rec: TreeRecords::default(),
            corrupt: Vec::new(),
            inherit,
            copies: Vec::new(),
            parsed: 0,
            inherited: 0,
            delta_trees: 0,
        }
    }
}

impl TreeScan<'_> {
    /// Classifies a parsed entry with lookups; `None` for a plain blob.
    fn classify(
        &mut self,
        me: u32,
        mode: u32,
        name: &[u8],
        id: &gix::oid,
    ) -> Option<(EntryKind, u32)> {
        self.parsed += 1;
        let (kind, special) = match tree::EntryKind::of(mode) {
            tree::EntryKind::Tree => match self.ids.get(id) {
                Some(&child) => (EntryKind::Tree(child), None),
                None => (EntryKind::Tree(u32::MAX), None),
            },
            tree::EntryKind::Gitlink => (EntryKind::Gitlink, Some(Special::Gitlink)),
            _ if self.interesting.contains(id) => (EntryKind::Interesting, Some(Special::Blob)),
            _ if !self.blobs.contains(id) => (EntryKind::Missing, None),
            _ => return None,
        };
        let n = self.rec.name(name);
        match (kind, special) {
            (EntryKind::Tree(child), _) if child != u32::MAX => self.rec.edges.push((child, me, n)),
            (EntryKind::Tree(_) | EntryKind::Missing, _) => {
                self.rec.missing.push((me, n, id.to_owned()))
            }
            (_, Some(sp)) => self.rec.direct.push((me, n, id.to_owned(), sp)),
            _ => {}
        }
        Some((kind, n))
    }

    /// Records an entry inherited from the base, now at `start` and `len` bytes long.
    fn inherit_notable(&mut self, me: u32, e: &Notable, data: &[u8], end: usize, hash_len: usize) {
        let id = || gix::oid::try_from_bytes(&data[end - hash_len..end]).map(|o| o.to_owned());
        match e.kind {
            EntryKind::Tree(child) if child != u32::MAX => self.rec.edges.push((child, me, e.name)),
            EntryKind::Tree(_) | EntryKind::Missing => {
                if let Ok(id) = id() {
                    self.rec.missing.push((me, e.name, id));
                }
            }
            EntryKind::Interesting => {
                if let Ok(id) = id() {
                    self.rec.direct.push((me, e.name, id, Special::Blob));
                }
            }
            EntryKind::Gitlink => {
                if let Ok(id) = id() {
                    self.rec.direct.push((me, e.name, id, Special::Gitlink));
                }
            }
        }
    }
}

impl Visitor for TreeScan<'_> {
    type Memo = TreeMemo;

    fn visit(&mut self, obj: Object<'_, TreeMemo>) -> TreeMemo {
        let Some(&me) = self.ids.get(obj.id) else {
            return TreeMemo::default();
        };
        let data = obj.data;
        let hash_len = obj.id.as_bytes().len();
        let base = obj.base.filter(|_| self.inherit);
        let mut memo = TreeMemo {
            starts: Vec::with_capacity(base.map_or(16, |b| b.1.starts.len() + 4)),
            len: data.len() as u32,
            notable: Vec::new(),
        };
        self.copies.clear();
        if let Some((_, _, delta)) = base {
            let mut at = 0usize;
            for op in delta.ops().flatten() {
                match op {
                    Op::Copy { offset, len } => {
                        self.copies.push((at, at + len, offset));
                        at += len;
                    }
                    Op::Insert { len, .. } => at += len,
                }
            }
        }
        let mut pos = 0usize;
        let mut ci = 0usize;
        let mut inherited_any = false;
        while pos < data.len() {
            if let Some((_, b, _)) = base {
                while ci < self.copies.len() && self.copies[ci].1 <= pos {
                    ci += 1;
                }
                if let Some(&(t0, t1, off)) = self.copies.get(ci).filter(|c| c.0 <= pos) {
                    let from = off + (pos - t0);
                    let b_end = off + (t1 - t0);
                    if let Ok(k0) = b.starts.binary_search(&(from as u32)) {
                        // Base entries k0..k1 lie whole inside the copy.
                        let end_of =
                            |k: usize| b.starts.get(k + 1).map_or(b.len as usize, |&s| s as usize);
                        let mut k1 = k0;
                        while k1 < b.starts.len() && end_of(k1) <= b_end {
                            k1 += 1;
                        }
                        if k1 > k0 {
                            let shift = pos as i64 - from as i64;
                            memo.starts.extend(
                                b.starts[k0..k1].iter().map(|&s| (s as i64 + shift) as u32),
                            );
                            let lo = b.notable.partition_point(|n| (n.start as usize) < from);
                            let last = b.starts[k1 - 1];
                            for n in b.notable[lo..].iter().take_while(|n| n.start <= last) {
                                let k = b.starts.binary_search(&n.start).unwrap_or(k0);
                                let start = (n.start as i64 + shift) as usize;
                                let end = (end_of(k) as i64 + shift) as usize;
                                self.inherit_notable(me, n, data, end, hash_len);
                                memo.notable.push(Notable {
                                    start: start as u32,
                                    ..*n
                                });
                            }
                            self.inherited += (k1 - k0) as u64;
                            inherited_any = true;
                            pos = (end_of(k1 - 1) as i64 + shift) as usize;
                            continue;
                        }
                    }
                }
            }
            let Some(entry) = tree::parse_entry(data, pos, hash_len) else {
                self.corrupt.push(obj.id.to_owned());
                return memo;
            };
            let end = entry.end;
            memo.starts.push(pos as u32);
            if let Some((kind, name)) = self.classify(me, entry.mode, entry.name, entry.id) {
                memo.notable.push(Notable {
                    start: pos as u32,
                    kind,
                    name,
                });
            }
            pos = end;
        }
        self.delta_trees += u64::from(inherited_any);
        memo
    }

    fn skipped(&mut self, _id: &gix::oid, _kind: Kind, _size: u64) {}
}
