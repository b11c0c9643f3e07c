//! `leakscope history`: every secret ever committed, with provenance.
//!
//! 1. Scan every blob in the object database (pack order, each object inflated once).
//! 2. Index the trees just enough to place the blobs with hits (and gitlinks).
//! 3. Read the commits; find the roots (refs, stash reflog, detached HEAD).
//! 4. Walk the commit graph once for the secrets found: where each entered, at which paths,
//!    which refs hold it, whether HEAD still does. Without `--unreachable`, secrets that no
//!    root reaches are dropped; with it, they are reported as reachable from no ref.

use super::graph::{Commits, Occurrence, PathId, SecretTrail, Special, TreeIndex, TreeRecords};
use super::odb::{Database, Kind, Object, Visitor};
use super::{GitOptions, is_lfs_pointer, loose_path};
use super::{note_lfs_pointer, note_submodule, note_too_large};
use crate::classify::{self, Origin, TextFacts};
use crate::finding::{Finding, Provenance};
use crate::matcher::{Hit, Matcher};
use crate::scan::{Level, Outcome, is_binary};
use crate::vocab::Exposure;
use gix::ObjectId;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// What the blob pass keeps of a blob with hits.
pub struct BlobHits {
    /// Hits, in offset order.
    pub hits: Vec<Hit>,
    /// What the content says about them.
    pub facts: TextFacts,
}

/// Blob pass: scans every blob, keeps those with hits, notes LFS pointers and skipped blobs.
///
/// Delta-aware: a blob stored as a delta is not scanned in full. Whether a literal position is
/// a candidate depends only on the bytes around it ([`Matcher::neighbourhood`]), so candidates
/// of the base that the delta copies with their neighbourhood intact are candidates here too,
/// and only inserted bytes and the edges of every copy are scanned. A blob with no candidate
/// has no hit; a blob with any is scanned in full, exactly as without deltas.
struct BlobScan<'m> {
    matcher: &'m Matcher,
    delta_aware: bool,
    found: Vec<(ObjectId, BlobHits)>,
    lfs: Vec<ObjectId>,
    skipped: Vec<(ObjectId, u64)>,
    /// Blobs whose candidates came from their delta base.
    delta_scans: u64,
    /// Bytes the prefilter read; bytes it did not need to read again.
    read: u64,
    not_reread: u64,
}

impl BlobScan<'_> {
    /// The candidates of a deltified blob, from its base's and the delta's new bytes.
    fn delta_candidates(
        &mut self,
        data: &[u8],
        base: &[u32],
        delta: &super::delta::Delta<'_>,
    ) -> Option<Vec<u32>> {
        let (before, after) = self.matcher.neighbourhood();
        let mut out: Vec<u32> = Vec::new();
        let mut regions: Vec<(usize, usize)> = Vec::new();
        let mut t = 0usize;
        for op in delta.ops() {
            match op.ok()? {
                super::delta::Op::Copy { offset, len } => {
                    if len > before + after {
                        let (lo, hi) = (offset + before, offset + len - after);
                        let first = base.partition_point(|&c| (c as usize) < lo);
                        for &c in base[first..].iter().take_while(|&&c| (c as usize) < hi) {
                            out.push((t + (c as usize - offset)) as u32);
                        }
                        regions.push((t, t + before));
                        regions.push((t + len - after, t + len));
                    } else {
                        regions.push((t, t + len));
                    }
                    t += len;
                }
                super::delta::Op::Insert { len, .. } => {
                    regions.push((t, t + len));
                    t += len;
                }
            }
        }
        regions.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(regions.len());
        for (a, b) in regions {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let mut read = 0;
        for (a, b) in merged {
            self.matcher.candidates(data, a, b, &mut out);
            read += b - a;
        }
        self.read += read as u64;
        self.not_reread += data.len().saturating_sub(read) as u64;
        out.sort_unstable();
        out.dedup();
        Some(out)
    }
}

impl Visitor for BlobScan<'_> {
    /// Candidate positions, or `None` where they do not carry over (UTF-16 text).
    type Memo = Option<Vec<u32>>;

    fn visit(&mut self, obj: Object<'_, Self::Memo>) -> Self::Memo {
        if is_lfs_pointer(obj.data) {
            self.lfs.push(obj.id.to_owned());
            return None;
        }
        let utf16 = crate::matcher::decode::detect_utf16(obj.data).is_some();
        let candidates = match obj.base {
            Some((_, Some(base), delta)) if self.delta_aware && !utf16 => {
                let c = self.delta_candidates(obj.data, base, delta);
                if c.is_some() {
                    self.delta_scans += 1;
                }
                c
            }
            _ => None,
        };
        let candidates = match candidates {
            Some(c) => c,
            None if utf16 => Vec::new(),
            None => {
                let mut c = Vec::new();
                self.matcher.candidates(obj.data, 0, obj.data.len(), &mut c);
                c.sort_unstable();
                self.read += obj.data.len() as u64;
                c
            }
        };
        if utf16 || !candidates.is_empty() {
            let scanned = self.matcher.scan(obj.data);
            if !scanned.hits.is_empty() {
                let facts =
                    classify::text_facts(self.matcher.rules(), &scanned, is_binary(obj.data));
                self.found.push((
                    obj.id.to_owned(),
                    BlobHits {
                        hits: scanned.hits,
                        facts,
                    },
                ));
            }
        }
        (!utf16).then_some(candidates)
    }

    fn skipped(&mut self, id: &gix::oid, _kind: Kind, size: u64) {
        self.skipped.push((id.to_owned(), size));
    }
}

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
struct TreeMemo {
    starts: Vec<u32>,
    len: u32,
    notable: Vec<Notable>,
}

/// Tree pass: records which tree holds which, and the entries of interest. Entries that a
/// delta copies whole, from an entry boundary of its base tree, inherit the base's
/// classification (the same bytes at an entry boundary are the same entry), so only new
/// entries are parsed and looked up.
struct TreeScan<'a> {
    ids: &'a gix::hashtable::HashMap<ObjectId, u32>,
    interesting: &'a gix::hashtable::HashSet<ObjectId>,
    blobs: &'a gix::hashtable::HashSet<ObjectId>,
    rec: TreeRecords,
    corrupt: Vec<ObjectId>,
    /// Inherit entries from delta bases (off for `--full-scan`).
    inherit: bool,
    /// Copy instructions of the current delta: (start, end) here, offset in the base.
    copies: Vec<(usize, usize, usize)>,
    /// Entries classified by lookup and entries inherited from a base.
    parsed: u64,
    inherited: u64,
    /// Trees that inherited at least one entry.
    delta_trees: u64,
}

/// Parses the tree entry at `pos`: (mode, name, id, end).
fn parse_entry(data: &[u8], pos: usize, hash_len: usize) -> Option<(u32, &[u8], &[u8], usize)> {
    let rest = data.get(pos..)?;
    let sp = memchr::memchr(b' ', rest)?;
    let mut mode = 0u32;
    for &c in &rest[..sp] {
        if !c.is_ascii_digit() {
            return None;
        }
        mode = mode.checked_mul(8)?.checked_add(u32::from(c - b'0'))?;
    }
    let nul = sp + 1 + memchr::memchr(0, &rest[sp + 1..])?;
    let name = &rest[sp + 1..nul];
    let id = rest.get(nul + 1..nul + 1 + hash_len)?;
    Some((mode, name, id, pos + nul + 1 + hash_len))
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
        let (kind, special) = match mode {
            0o40000 => match self.ids.get(id) {
                Some(&child) => (EntryKind::Tree(child), None),
                None => (EntryKind::Tree(u32::MAX), None),
            },
            0o160000 => (EntryKind::Gitlink, Some(Special::Gitlink)),
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
                    super::delta::Op::Copy { offset, len } => {
                        self.copies.push((at, at + len, offset));
                        at += len;
                    }
                    super::delta::Op::Insert { len, .. } => at += len,
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
            let Some((mode, name, id, end)) = parse_entry(data, pos, hash_len) else {
                self.corrupt.push(obj.id.to_owned());
                return memo;
            };
            let Ok(oid) = gix::oid::try_from_bytes(id) else {
                self.corrupt.push(obj.id.to_owned());
                return memo;
            };
            memo.starts.push(pos as u32);
            if let Some((kind, name)) = self.classify(me, mode, name, oid) {
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

/// Commit pass: id, tree, parents, committer time of every commit; targets of annotated tags.
struct CommitScan {
    hash: gix::hash::Kind,
    commits: Vec<(ObjectId, ObjectId, Vec<ObjectId>, i64)>,
    corrupt: Vec<ObjectId>,
}

impl Visitor for CommitScan {
    type Memo = ();

    fn visit(&mut self, obj: Object<'_, ()>) {
        if obj.kind != Kind::Commit {
            return;
        }
        let it = gix::objs::CommitRefIter::from_bytes(obj.data, self.hash);
        let (Ok(tree), time) = (it.clone().tree_id(), it.committer().map(|s| s.seconds())) else {
            self.corrupt.push(obj.id.to_owned());
            return;
        };
        let parents: Vec<ObjectId> = it.parent_ids().collect();
        self.commits
            .push((obj.id.to_owned(), tree, parents, time.unwrap_or(0)));
    }

    fn skipped(&mut self, _id: &gix::oid, _kind: Kind, _size: u64) {}
}

/// A root of history: a ref (or the stash reflog, or a detached HEAD) and what it points at.
struct Root {
    name: String,
    target: ObjectId,
}

/// Prints phase timings on stderr when `LEAKSCOPE_TIMING` is set (for profiling).
struct Phases(Option<(std::time::Instant, std::time::Instant)>);

impl Phases {
    fn new() -> Phases {
        let now = std::time::Instant::now();
        Phases(std::env::var_os("LEAKSCOPE_TIMING").map(|_| (now, now)))
    }

    fn done(&mut self, what: &str) {
        if let Some((start, last)) = &mut self.0 {
            let now = std::time::Instant::now();
            let rss = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    let get = |k: &str| {
                        s.lines()
                            .find(|l| l.starts_with(k))
                            .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
                    };
                    Some(format!(
                        "anon {} kB, file {} kB",
                        get("RssAnon:")?,
                        get("RssFile:")?
                    ))
                })
                .unwrap_or_default();
            eprintln!(
                "leakscope: timing: {what}: {:.3} s (total {:.3} s; {rss})",
                (now - *last).as_secs_f64(),
                (now - *start).as_secs_f64()
            );
            *last = now;
        }
    }
}

/// Scans the history of `repo`.
pub fn scan(matcher: &Matcher, repo: gix::Repository, opts: &GitOptions) -> Outcome {
    let mut phases = Phases::new();
    let mut outcome = Outcome::default();
    let hash = repo.object_hash();
    let db = Database::open(&repo);
    outcome.notifications.extend(db.problems.iter().cloned());
    let sync = repo.clone().into_sync();
    phases.done("enumerate objects");

    // 1. Blobs.
    let (scans, problems, stats) = {
        opts.progress
            .phase("history: blobs", "objects", Some(db.count(Kind::Blob)));
        db.traverse(
            &sync,
            &[Kind::Blob],
            opts.max_filesize,
            &opts.progress,
            || BlobScan {
                matcher,
                delta_aware: !opts.full_scan,
                found: Vec::new(),
                lfs: Vec::new(),
                skipped: Vec::new(),
                delta_scans: 0,
                read: 0,
                not_reread: 0,
            },
        )
    };
    outcome.notifications.extend(problems);
    outcome.stats.scanned = stats.objects;
    outcome.stats.bytes = stats.bytes;
    let mut hits: HashMap<ObjectId, BlobHits> = HashMap::new();
    let mut lfs: HashSet<ObjectId> = HashSet::new();
    let mut skipped: BTreeMap<ObjectId, u64> = BTreeMap::new();
    let (mut read, mut not_reread) = (0u64, 0u64);
    for s in scans {
        outcome.stats.delta_scans += s.delta_scans;
        read += s.read;
        not_reread += s.not_reread;
        hits.extend(s.found);
        lfs.extend(s.lfs);
        skipped.extend(s.skipped);
    }
    outcome.stats.skipped = skipped.len() as u64;
    phases.done(&format!(
        "scan blobs ({} of {} by delta, prefilter read {} MB, skipped {} MB)",
        outcome.stats.delta_scans,
        outcome.stats.scanned,
        read >> 20,
        not_reread >> 20
    ));

    // 2. Trees.
    let mut tree_ids: Vec<ObjectId> = db.ids(Kind::Tree);
    tree_ids.sort_unstable();
    tree_ids.dedup();
    let ids: gix::hashtable::HashMap<ObjectId, u32> = tree_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i as u32))
        .collect();
    let mut interesting: gix::hashtable::HashSet<ObjectId> = hits.keys().copied().collect();
    interesting.extend(lfs.iter().copied());
    interesting.extend(skipped.keys().copied());
    let blobs: gix::hashtable::HashSet<ObjectId> = db.ids(Kind::Blob).into_iter().collect();
    opts.progress
        .phase("history: trees", "objects", Some(db.count(Kind::Tree)));
    let (trees, problems, _) = db.traverse(&sync, &[Kind::Tree], u64::MAX, &opts.progress, || {
        TreeScan {
            ids: &ids,
            interesting: &interesting,
            blobs: &blobs,
            rec: TreeRecords::default(),
            corrupt: Vec::new(),
            inherit: !opts.full_scan,
            copies: Vec::new(),
            parsed: 0,
            inherited: 0,
            delta_trees: 0,
        }
    });
    outcome.notifications.extend(problems);
    let mut records = Vec::new();
    let (mut parsed, mut inherited, mut edges) = (0u64, 0u64, 0usize);
    for t in trees {
        edges += t.rec.edges.len();
        parsed += t.parsed;
        inherited += t.inherited;
        outcome.stats.delta_trees += t.delta_trees;
        for id in t.corrupt {
            outcome.notify(
                Level::Error,
                "corrupt-object",
                Some(id.to_string()),
                format!("tree {id} is corrupt"),
            );
        }
        records.push(t.rec);
    }
    drop(blobs);
    let mut index = TreeIndex::new(ids, records);
    phases.done(&format!(
        "index trees ({parsed} entries parsed, {inherited} inherited from delta bases, {edges} subtree edges)"
    ));

    // 3. Commits and roots.
    opts.progress
        .phase("history: commits", "objects", Some(db.count(Kind::Commit)));
    let (cs, problems, _) = db.traverse(&sync, &[Kind::Commit], u64::MAX, &opts.progress, || {
        CommitScan {
            hash,
            commits: Vec::new(),
            corrupt: Vec::new(),
        }
    });
    outcome.notifications.extend(problems);
    let mut records = Vec::new();
    for c in cs {
        for id in c.corrupt {
            outcome.notify(
                Level::Error,
                "corrupt-object",
                Some(id.to_string()),
                format!("commit {id} is corrupt"),
            );
        }
        records.extend(c.commits);
    }
    let commits = Commits::new(records);
    let roots = roots(&repo, &mut outcome);
    phases.done("read commits and refs");
    let head = repo.head_id().ok().map(|id| id.detach());

    let mut tips: Vec<(String, u32)> = Vec::new();
    let mut tip_commits: Vec<u32> = Vec::new();
    let mut extra: Vec<(String, ObjectId, Kind)> = Vec::new();
    for r in &roots {
        if let Some(&c) = commits.index.get(&r.target) {
            tip_commits.push(c);
            if r.name != "HEAD" {
                tips.push((r.name.clone(), c));
            }
        } else if index.ids.contains_key(&r.target) {
            extra.push((r.name.clone(), r.target, Kind::Tree));
        } else if db.contains(&r.target) {
            extra.push((r.name.clone(), r.target, Kind::Blob));
        } else {
            outcome.notify(
                Level::Error,
                "missing-object",
                Some(r.target.to_string()),
                format!(
                    "{} points at {}, which is not in the repository",
                    r.name, r.target
                ),
            );
        }
    }
    let (reachable, missing_parents) = commits.reachable(&tip_commits);
    report_missing_parents(&repo, &commits, &missing_parents, &mut outcome);
    let keep: Vec<bool> = if opts.unreachable {
        vec![true; commits.ids.len()]
    } else {
        reachable.clone()
    };

    // Missing entries in trees that matter.
    report_missing_entries(&repo, &mut index, &commits, &keep, &mut outcome);

    // 4. Provenance.
    let mut secret_ids: BTreeMap<String, u32> = BTreeMap::new();
    let mut blob_secrets: HashMap<ObjectId, Vec<u32>> = HashMap::new();
    let mut blob_ids: Vec<&ObjectId> = hits.keys().collect();
    blob_ids.sort();
    for id in blob_ids {
        let mut v: Vec<u32> = hits[id]
            .hits
            .iter()
            .map(|h| {
                let key = String::from_utf8_lossy(&h.secret).into_owned();
                let next = secret_ids.len() as u32;
                *secret_ids.entry(key).or_insert(next)
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        blob_secrets.insert(*id, v);
    }
    let order = commits.topo_order(&keep);
    let mut by_tree: HashMap<ObjectId, Arc<[Occurrence]>> = HashMap::new();
    let mut specials: BTreeMap<(PathId, Special), ObjectId> = BTreeMap::new();
    let mut occurrences = |c: u32| -> Arc<[Occurrence]> {
        let tree = commits.tree[c as usize];
        if let Some(o) = by_tree.get(&tree) {
            return o.clone();
        }
        let entries = index
            .entries_of(&tree)
            .unwrap_or_else(|| Arc::from(Vec::new()));
        let mut occ: Vec<Occurrence> = Vec::new();
        for &(path, id, special) in entries.iter() {
            match special {
                Special::Blob => {
                    if let Some(secrets) = blob_secrets.get(&id) {
                        occ.extend(secrets.iter().map(|&x| (x, path, id)));
                    } else {
                        specials.entry((path, special)).or_insert(id);
                    }
                }
                Special::Gitlink => {
                    specials.entry((path, special)).or_insert(id);
                }
            }
        }
        occ.sort_unstable();
        occ.dedup();
        let arc: Arc<[Occurrence]> = occ.into();
        by_tree.insert(tree, arc.clone());
        arc
    };
    let head_commit = head.and_then(|h| commits.index.get(&h).copied());
    let trails = super::graph::trails(&commits, &order, &mut occurrences, &tips, head_commit);

    // Refs to trees and blobs (a tag on a tree or a blob).
    let mut extra_occ: Vec<(u32, String, ObjectId, String)> = Vec::new();
    for (name, target, kind) in &extra {
        let occ: Vec<(String, ObjectId)> = match kind {
            Kind::Tree => {
                let entries = index
                    .entries_of(target)
                    .unwrap_or_else(|| Arc::from(Vec::new()));
                entries
                    .iter()
                    .filter(|e| e.2 == Special::Blob)
                    .map(|e| (index.path(e.0).to_string(), e.1))
                    .collect()
            }
            _ => vec![(name.clone(), *target)],
        };
        for (path, blob) in occ {
            for &x in blob_secrets.get(&blob).into_iter().flatten() {
                extra_occ.push((x, path.clone(), blob, name.clone()));
            }
        }
    }

    report_specials(&index, &specials, &lfs, &skipped, &mut outcome);

    let secret_text: Vec<String> = {
        let mut v = vec![String::new(); secret_ids.len()];
        for (k, &i) in &secret_ids {
            v[i as usize] = k.clone();
        }
        v
    };
    let placed: HashSet<u32> = trails
        .keys()
        .copied()
        .chain(extra_occ.iter().map(|e| e.0))
        .collect();
    let placer = Placer {
        matcher,
        repo: &repo,
        commits: &commits,
        index: &index,
        hits: &hits,
        extra: &extra_occ,
        secrets: &secret_text,
    };
    let mut findings = Vec::new();
    for (&x, trail) in &trails {
        findings.extend(placer.findings(x, trail));
    }
    // Secrets only on refs to trees or blobs.
    for (x, path, blob, name) in &extra_occ {
        if trails.contains_key(x) {
            continue;
        }
        let trail = SecretTrail {
            refs: [name.clone()].into_iter().collect(),
            ..SecretTrail::default()
        };
        findings.extend(placer.finding(*x, *blob, path, &trail));
    }
    // Blobs in no commit (only with --unreachable).
    if opts.unreachable {
        let mut orphans: Vec<(&ObjectId, &Vec<u32>)> = blob_secrets.iter().collect();
        orphans.sort();
        for (blob, xs) in orphans {
            for &x in xs.iter().filter(|x| !placed.contains(x)) {
                findings.extend(placer.finding(
                    x,
                    *blob,
                    &loose_path(blob),
                    &SecretTrail::default(),
                ));
            }
        }
    }
    outcome.findings = findings;
    outcome.finish();
    phases.done("provenance");
    outcome
}

/// Refs (all of them, peeled), every entry of the stash reflog, and HEAD when detached.
fn roots(repo: &gix::Repository, outcome: &mut Outcome) -> Vec<Root> {
    let mut out = Vec::new();
    match repo.references() {
        Ok(platform) => match platform.all() {
            Ok(iter) => {
                for r in iter {
                    let mut r = match r {
                        Ok(r) => r,
                        Err(e) => {
                            outcome.notify(
                                Level::Error,
                                "bad-ref",
                                None,
                                format!("cannot read a ref: {e}"),
                            );
                            continue;
                        }
                    };
                    let name = r.name().as_bstr().to_string();
                    match r.peel_to_id() {
                        Ok(id) => out.push(Root {
                            name,
                            target: id.detach(),
                        }),
                        Err(e) => outcome.notify(
                            Level::Error,
                            "missing-object",
                            Some(name.clone()),
                            format!("{name} cannot be resolved: {e}"),
                        ),
                    }
                }
            }
            Err(e) => outcome.notify(
                Level::Error,
                "bad-ref",
                None,
                format!("cannot list refs: {e}"),
            ),
        },
        Err(e) => outcome.notify(
            Level::Error,
            "bad-ref",
            None,
            format!("cannot list refs: {e}"),
        ),
    }
    if let Ok(Some(stash)) = repo.try_find_reference("refs/stash")
        && let Ok(mut log) = stash.log_iter().all()
        && let Some(iter) = log.as_mut()
    {
        for line in iter.flatten() {
            if let Ok(target) = ObjectId::from_hex(line.new_oid) {
                out.push(Root {
                    name: "refs/stash".into(),
                    target,
                });
            }
        }
    }
    if let Ok(head) = repo.head()
        && head.is_detached()
        && let Some(id) = head.id()
    {
        out.push(Root {
            name: "HEAD".into(),
            target: id.detach(),
        });
    }
    out.sort_by(|a, b| (&a.name, a.target).cmp(&(&b.name, b.target)));
    out.dedup_by(|a, b| a.name == b.name && a.target == b.target);
    out
}

fn report_missing_parents(
    repo: &gix::Repository,
    commits: &Commits,
    missing: &[(u32, ObjectId)],
    outcome: &mut Outcome,
) {
    if missing.is_empty() {
        return;
    }
    let shallow: HashSet<ObjectId> = repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default();
    let mut boundary: Vec<ObjectId> = Vec::new();
    for &(c, parent) in missing {
        let child = commits.ids[c as usize];
        if shallow.contains(&child) {
            boundary.push(child);
        } else {
            outcome.notify(
                Level::Error,
                "missing-object",
                Some(parent.to_string()),
                format!("commit {parent} (a parent of {child}) is not in the repository: history before it was not scanned"),
            );
        }
    }
    boundary.sort();
    boundary.dedup();
    if !boundary.is_empty() {
        let list: Vec<String> = boundary.iter().map(|b| b.to_string()).collect();
        outcome.notify(
            Level::Error,
            "shallow",
            Some(list.join(",")),
            format!(
                "shallow clone: history stops at {} boundary commit{} ({}); older commits were not scanned (git fetch --unshallow to scan everything)",
                boundary.len(),
                if boundary.len() == 1 { "" } else { "s" },
                list.join(", ")
            ),
        );
    }
}

/// Objects that trees of scanned commits name but the repository lacks (a partial clone's
/// unfetched blobs, deleted loose objects).
fn report_missing_entries(
    repo: &gix::Repository,
    index: &mut TreeIndex,
    commits: &Commits,
    keep: &[bool],
    outcome: &mut Outcome,
) {
    if index.missing.is_empty() {
        return;
    }
    // Which trees are in scanned commits: walk up from each tree with a missing entry.
    let roots: HashSet<ObjectId> = (0..commits.ids.len())
        .filter(|&c| keep[c])
        .map(|c| commits.tree[c])
        .collect();
    let root_idx: HashSet<u32> = roots
        .iter()
        .filter_map(|t| index.ids.get(t).copied())
        .collect();
    let mut memo: HashMap<u32, bool> = HashMap::new();
    fn reaches(
        t: u32,
        index: &TreeIndex,
        roots: &HashSet<u32>,
        memo: &mut HashMap<u32, bool>,
    ) -> bool {
        if let Some(&r) = memo.get(&t) {
            return r;
        }
        memo.insert(t, false);
        let r = roots.contains(&t)
            || index
                .holders(t)
                .iter()
                .any(|&(_, p, _)| reaches(p, index, roots, memo));
        memo.insert(t, r);
        r
    }
    let promisor = is_partial_clone(repo);
    let missing: Vec<(u32, u32, ObjectId)> = index.missing.clone();
    let mut listed: BTreeSet<ObjectId> = BTreeSet::new();
    for (t, _name, id) in missing {
        if reaches(t, index, &root_idx, &mut memo) {
            listed.insert(id);
        }
    }
    if listed.is_empty() {
        return;
    }
    if promisor {
        let shown: Vec<String> = listed.iter().take(20).map(|i| i.to_string()).collect();
        outcome.notify(
            Level::Error,
            "partial-clone",
            None,
            format!(
                "partial clone: {} object{} named by commits are not in this repository and were not scanned ({}{}); fetch them or scan a full clone",
                listed.len(),
                if listed.len() == 1 { "" } else { "s" },
                shown.join(", "),
                if listed.len() > 20 { ", …" } else { "" }
            ),
        );
    } else {
        for id in listed {
            outcome.notify(
                Level::Error,
                "missing-object",
                Some(id.to_string()),
                format!("object {id} is named by a tree but is not in the repository: it was not scanned"),
            );
        }
    }
}

/// Whether objects may be missing by design (a partial clone with a promisor remote).
pub fn is_partial_clone(repo: &gix::Repository) -> bool {
    let config = repo.config_snapshot();
    if config.string("extensions.partialClone").is_some() {
        return true;
    }
    let pack_dir = repo.objects.store_ref().path().join("pack");
    std::fs::read_dir(pack_dir)
        .map(|rd| {
            rd.flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "promisor"))
        })
        .unwrap_or(false)
}

/// Notes for gitlinks (submodules are not scanned), LFS pointers and skipped blobs, by path.
fn report_specials(
    index: &TreeIndex,
    specials: &BTreeMap<(PathId, Special), ObjectId>,
    lfs: &HashSet<ObjectId>,
    skipped: &BTreeMap<ObjectId, u64>,
    outcome: &mut Outcome,
) {
    for (&(path, special), id) in specials {
        let p = index.path(path).to_string();
        match special {
            Special::Gitlink => note_submodule(outcome, &p, Some(id)),
            Special::Blob if lfs.contains(id) => note_lfs_pointer(outcome, &p),
            Special::Blob => {
                if let Some(&size) = skipped.get(id) {
                    note_too_large(outcome, &p, id, size);
                }
            }
        }
    }
}

/// The finding of `secret` in a scanned blob placed at `path` with `exposure`.
pub(super) fn classify_secret(
    matcher: &Matcher,
    bh: &BlobHits,
    secret: &[u8],
    path: &str,
    exposure: Exposure,
) -> Option<Finding> {
    let i = bh.hits.iter().position(|h| h.secret == secret)?;
    let origin = Origin { path, exposure };
    let mut all = classify::classify(matcher.rules(), &bh.hits, &bh.facts, origin);
    Some(all.swap_remove(i))
}

/// What turns a secret found in a blob, placed at a path, into a finding with provenance.
struct Placer<'a> {
    matcher: &'a Matcher,
    repo: &'a gix::Repository,
    commits: &'a Commits,
    index: &'a TreeIndex,
    hits: &'a HashMap<ObjectId, BlobHits>,
    /// (secret, path, blob, ref name) reached through refs to trees or blobs.
    extra: &'a [(u32, String, ObjectId, String)],
    /// Secret texts by secret id.
    secrets: &'a [String],
}

impl Placer<'_> {
    /// One finding per path the secret ever had: located at HEAD's blob when the secret is
    /// still there, otherwise where it entered that path.
    fn findings(&self, x: u32, trail: &SecretTrail) -> Vec<Finding> {
        let mut out = Vec::new();
        for &path in &trail.paths {
            let blob = match (trail.at_head.get(&path), trail.entered.get(&path)) {
                (Some(b), _) => *b,
                (None, Some(&(_, b))) => b,
                (None, None) => continue,
            };
            out.extend(self.finding(x, blob, self.index.path(path), trail));
        }
        out
    }

    /// The finding of secret `x` in `blob` at `path`, with provenance.
    fn finding(&self, x: u32, blob: ObjectId, path: &str, trail: &SecretTrail) -> Option<Finding> {
        let (commits, index) = (self.commits, self.index);
        let secret = self.secrets[x as usize].as_bytes();
        let mut f = classify_secret(
            self.matcher,
            self.hits.get(&blob)?,
            secret,
            path,
            Exposure::Committed,
        )?;
        let first = trail.introduced.first().map(|(c, _)| *c);
        let (author, email, date) = match first {
            Some(c) => super::diff::signature(self.repo, &commits.ids[c as usize]),
            None => (None, None, None),
        };
        let mut paths: BTreeSet<String> = trail
            .paths
            .iter()
            .map(|&p| index.path(p).to_string())
            .collect();
        let mut refs = trail.refs.clone();
        for (ex, p, _, name) in self.extra {
            if *ex == x {
                paths.insert(p.clone());
                refs.insert(name.clone());
            }
        }
        if paths.is_empty() {
            paths.insert(path.to_string());
        }
        f.provenance = Some(Provenance {
            commit: first.map(|c| commits.ids[c as usize].to_string()),
            author,
            email,
            date,
            commits: trail
                .introduced
                .iter()
                .map(|(c, ps)| {
                    (
                        commits.ids[*c as usize].to_string(),
                        ps.iter().map(|&p| index.path(p).to_string()).collect(),
                    )
                })
                .collect(),
            paths: paths.into_iter().collect(),
            refs: refs.into_iter().collect(),
            at_head: !trail.at_head.is_empty(),
            blob: blob.to_string(),
        });
        f.message = history_message(&f, first.map(|c| commits.ids[c as usize]));
        Some(f)
    }
}

fn history_message(f: &Finding, first: Option<ObjectId>) -> String {
    let p = f.provenance.as_ref().expect("provenance set");
    let what = f.message.split(": ").next().unwrap_or_default().to_string();
    let public = f.verdict == crate::vocab::Verdict::PublicSafe;
    let tail = if public {
        f.message
            .split_once(": ")
            .map_or(String::new(), |(_, t)| t.to_string())
    } else if p.refs.is_empty() {
        "in an object no ref reaches (a dropped commit, stash entry or blob): reachable from no ref, still in the object database and possibly in clones and forks: rotate it.".into()
    } else if p.at_head {
        "committed and still at HEAD: rotate it, then remove it from the file and from history."
            .into()
    } else {
        "removed from HEAD, still in history: rewrite history and rotate.".into()
    };
    let when = match first {
        Some(c) if !public => format!(" Introduced in {}.", &c.to_string()[..7]),
        _ => String::new(),
    };
    format!("{what}: {tail}{when}")
}
