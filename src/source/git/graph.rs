//! Provenance: where each secret entered history, at which paths, and which refs hold it.
//!
//! The tree index keeps, for every tree, only the trees that contain it (with the entry name)
//! and the few entries that matter (blobs with hits, gitlinks); the set of (path, blob) pairs a
//! tree holds is then computed on demand, only for trees that lead to something. The commit
//! graph is walked once in topological order: a commit introduces a secret when its tree holds
//! the secret and none of its parents' trees does.

use super::diff::MAX_TREE_DEPTH;
use gix::ObjectId;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

/// Index of a full path in [`TreeIndex::path`].
pub type PathId = u32;

/// The (path, object, kind) entries of interest under a tree.
pub type Entries = Arc<[(PathId, ObjectId, Special)]>;

/// An entry that matters to provenance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Special {
    /// A blob with hits, or an LFS pointer.
    Blob,
    /// A submodule commit.
    Gitlink,
}

/// What one tree-indexing worker recorded.
#[derive(Default)]
pub struct TreeRecords {
    /// Entry names, local to this worker.
    pub names: Vec<Vec<u8>>,
    name_ix: HashMap<Vec<u8>, u32>,
    /// (child tree, parent tree, local name): the parent holds the child under that name.
    pub edges: Vec<(u32, u32, u32)>,
    /// (tree, local name, object, kind): entries of interest.
    pub direct: Vec<(u32, u32, ObjectId, Special)>,
    /// (tree, local name, object): entries whose object is not in the repository.
    pub missing: Vec<(u32, u32, ObjectId)>,
}

impl TreeRecords {
    /// The local id of an entry name.
    pub fn name(&mut self, n: &[u8]) -> u32 {
        if let Some(&i) = self.name_ix.get(n) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(n.to_vec());
        self.name_ix.insert(n.to_vec(), i);
        i
    }
}

/// The trees, merged from every worker's records.
pub struct TreeIndex {
    /// Tree id → index.
    pub ids: gix::hashtable::HashMap<ObjectId, u32>,
    names: Vec<Vec<u8>>,
    /// (child, parent, name), sorted by child: for every tree, the trees holding it.
    up_start: Vec<u32>,
    up: Vec<(u32, u32, u32)>,
    direct: HashMap<u32, Vec<(u32, ObjectId, Special)>>,
    /// Entries whose object is missing: (tree, name, object).
    pub missing: Vec<(u32, u32, ObjectId)>,
    /// For trees leading to an entry of interest: their subtrees that do, with names.
    down: HashMap<u32, Vec<(u32, u32)>>,
    memo: HashMap<u32, Entries>,
    paths: Vec<String>,
    /// Components of each path (`a/b/c`: 3).
    depths: Vec<u16>,
    path_ix: HashMap<String, PathId>,
    /// (entry name, path below it) → the path joined, so that a path is spelled out once.
    joined: HashMap<(u32, PathId), PathId>,
    /// Some entry lies deeper than git's limit of nested trees and was left out.
    pub too_deep: bool,
    /// The trees spell more paths than [`MAX_PATHS`] (trees that share subtrees multiply
    /// them); the rest were left out.
    pub too_many: bool,
}

/// Paths of interest one history may spell out: beyond this a hostile repository (a tree
/// holding the same subtree twice, nested forty deep) would spell trillions.
pub const MAX_PATHS: usize = 2_000_000;

impl TreeIndex {
    /// Merges the records of the tree-indexing workers. `ids` lists every tree.
    pub fn new(
        ids: gix::hashtable::HashMap<ObjectId, u32>,
        records: Vec<TreeRecords>,
    ) -> TreeIndex {
        let n = ids.len();
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut name_ix: HashMap<Vec<u8>, u32> = HashMap::new();
        let mut edges: Vec<(u32, u32, u32)> =
            Vec::with_capacity(records.iter().map(|r| r.edges.len()).sum());
        let mut direct: HashMap<u32, Vec<(u32, ObjectId, Special)>> = HashMap::new();
        let mut missing = Vec::new();
        for r in records {
            let remap: Vec<u32> = r
                .names
                .into_iter()
                .map(|nm| {
                    if let Some(&i) = name_ix.get(&nm) {
                        return i;
                    }
                    let i = names.len() as u32;
                    names.push(nm.clone());
                    name_ix.insert(nm, i);
                    i
                })
                .collect();
            edges.extend(
                r.edges
                    .into_iter()
                    .map(|(c, p, nm)| (c, p, remap[nm as usize])),
            );
            for (t, nm, id, s) in r.direct {
                direct
                    .entry(t)
                    .or_default()
                    .push((remap[nm as usize], id, s));
            }
            missing.extend(
                r.missing
                    .into_iter()
                    .map(|(t, nm, id)| (t, remap[nm as usize], id)),
            );
        }
        // Edges grouped by subtree (a counting sort: there are millions, and subtree ids are
        // dense). Within a group the order is the workers' and may repeat an edge: what is
        // built from the groups below is sorted and deduplicated, and `holders` is only walked.
        let mut up_start = vec![0u32; n + 1];
        for &(c, _, _) in &edges {
            up_start[c as usize + 1] += 1;
        }
        for i in 0..n {
            up_start[i + 1] += up_start[i];
        }
        let mut fill = up_start.clone();
        let mut up = vec![(0u32, 0u32, 0u32); edges.len()];
        for e in edges {
            let slot = &mut fill[e.0 as usize];
            up[*slot as usize] = e;
            *slot += 1;
        }
        for v in direct.values_mut() {
            v.sort();
            v.dedup();
        }
        missing.sort();
        // Trees that lead to an entry of interest, and their subtrees that do.
        let mut down: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
        let mut seen: HashSet<u32> = direct.keys().copied().collect();
        let mut queue: Vec<u32> = seen.iter().copied().collect();
        queue.sort_unstable();
        while let Some(t) = queue.pop() {
            let (s, e) = (
                up_start[t as usize] as usize,
                up_start[t as usize + 1] as usize,
            );
            for &(_, p, nm) in &up[s..e] {
                down.entry(p).or_default().push((nm, t));
                if seen.insert(p) {
                    queue.push(p);
                }
            }
        }
        for v in down.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        TreeIndex {
            ids,
            names,
            up_start,
            up,
            direct,
            missing,
            down,
            memo: HashMap::new(),
            joined: HashMap::new(),
            paths: Vec::new(),
            depths: Vec::new(),
            path_ix: HashMap::new(),
            too_deep: false,
            too_many: false,
        }
    }

    /// The full path of a path id.
    pub fn path(&self, id: PathId) -> &str {
        &self.paths[id as usize]
    }

    /// The path of entry name `nm` with `below` under it (`None`: the name alone), `depth`
    /// components long.
    fn join(&mut self, nm: u32, below: Option<PathId>, depth: u16) -> PathId {
        let key = (nm, below.unwrap_or(PathId::MAX));
        if let Some(&p) = self.joined.get(&key) {
            return p;
        }
        let full = match below {
            Some(p) => format!("{}/{}", self.name(nm), self.paths[p as usize]),
            None => self.name(nm),
        };
        let p = self.intern(&full, depth);
        self.joined.insert(key, p);
        p
    }

    /// Interns a path of `depth` components.
    fn intern(&mut self, path: &str, depth: u16) -> PathId {
        if let Some(&i) = self.path_ix.get(path) {
            return i;
        }
        let i = self.paths.len() as PathId;
        self.paths.push(path.to_string());
        self.depths.push(depth);
        self.path_ix.insert(path.to_string(), i);
        i
    }

    /// The trees that hold tree `t`, as (t, holder, entry name), in no particular order and
    /// possibly repeated.
    pub fn holders(&self, t: u32) -> &[(u32, u32, u32)] {
        let (s, e) = (
            self.up_start[t as usize] as usize,
            self.up_start[t as usize + 1] as usize,
        );
        &self.up[s..e]
    }

    /// An entry name.
    pub fn name(&self, n: u32) -> String {
        String::from_utf8_lossy(&self.names[n as usize]).into_owned()
    }

    /// Every (path, object, kind) of interest under tree `t`, paths relative to `t` (empty,
    /// and nothing remembered, for a tree that leads to nothing of interest).
    pub fn entries(&mut self, t: u32) -> Entries {
        if !self.direct.contains_key(&t) && !self.down.contains_key(&t) {
            return Arc::from(Vec::new());
        }
        self.entries_at(t, 0).0
    }

    /// [`TreeIndex::entries`] for a tree `level` trees below the one asked about: nothing
    /// below git's depth limit, and no path past [`MAX_PATHS`]. A result cut short by either
    /// (the bool) is not remembered, since the same tree nearer the top would give more.
    fn entries_at(&mut self, t: u32, level: usize) -> (Entries, bool) {
        if let Some(v) = self.memo.get(&t) {
            return (v.clone(), false);
        }
        let mut cut = false;
        let mut out: Vec<(PathId, ObjectId, Special)> = Vec::new();
        if let Some(d) = self.direct.get(&t).cloned() {
            for (nm, id, s) in d {
                out.push((self.join(nm, None, 1), id, s));
            }
        }
        if let Some(children) = self.down.get(&t).cloned() {
            if level + 1 >= MAX_TREE_DEPTH {
                self.too_deep = true;
                cut = true;
            } else {
                for (nm, c) in children {
                    let (sub, sub_cut) = self.entries_at(c, level + 1);
                    cut |= sub_cut;
                    for (p, id, s) in sub.iter() {
                        let depth = self.depths[*p as usize] + 1;
                        if usize::from(depth) > MAX_TREE_DEPTH {
                            self.too_deep = true;
                            cut = true;
                            continue;
                        }
                        if self.paths.len() >= MAX_PATHS {
                            self.too_many = true;
                            cut = true;
                            break;
                        }
                        out.push((self.join(nm, Some(*p), depth), *id, *s));
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        let arc: Entries = out.into();
        if !cut {
            self.memo.insert(t, arc.clone());
        }
        (arc, cut)
    }

    /// Every (path, object, kind) of interest under the tree with id `tree`; empty when the
    /// tree leads to nothing of interest, `None` when the tree is not in the repository.
    pub fn entries_of(&mut self, tree: &ObjectId) -> Option<Entries> {
        let &t = self.ids.get(tree)?;
        Some(self.entries(t))
    }
}

/// Every commit in the object database.
#[derive(Default)]
pub struct Commits {
    /// Ids.
    pub ids: Vec<ObjectId>,
    /// Id → index (hashed by the id's own leading bytes: ids are uniform already).
    pub index: gix::hashtable::HashMap<ObjectId, u32>,
    /// Root tree of each commit.
    pub tree: Vec<ObjectId>,
    /// Parents of each commit (ids: a parent may be missing).
    pub parents: Vec<Vec<ObjectId>>,
    /// Committer time (seconds since the epoch).
    pub time: Vec<i64>,
    /// The parents by index ([`MISSING`] where not in the repository): commit `c`'s are
    /// `parent_ix[parent_start[c]..parent_start[c + 1]]`, in `parents` order.
    parent_start: Vec<u32>,
    parent_ix: Vec<u32>,
}

/// A parent that is not in the repository, in [`Commits::parents_of`].
pub const MISSING: u32 = u32::MAX;

impl Commits {
    /// Builds the table from (id, tree, parents, time) records, sorted by id.
    pub fn new(mut records: Vec<(ObjectId, ObjectId, Vec<ObjectId>, i64)>) -> Commits {
        records.sort_by_key(|a| a.0);
        records.dedup_by(|a, b| a.0 == b.0);
        let mut c = Commits::default();
        for (i, (id, tree, parents, time)) in records.into_iter().enumerate() {
            c.index.insert(id, i as u32);
            c.ids.push(id);
            c.tree.push(tree);
            c.parents.push(parents);
            c.time.push(time);
        }
        // Each parent looked up once here, on every thread, rather than on every walk.
        use rayon::prelude::*;
        c.parent_ix = c
            .parents
            .par_iter()
            .flat_map_iter(|ps| {
                ps.iter()
                    .map(|p| c.index.get(p).copied().unwrap_or(MISSING))
            })
            .collect();
        c.parent_start = std::iter::once(0)
            .chain(c.parents.iter().scan(0u32, |n, ps| {
                *n += ps.len() as u32;
                Some(*n)
            }))
            .collect();
        c
    }

    /// The parents of commit `c` by index, [`MISSING`] for those not in the repository, in
    /// the order of `parents[c]`.
    pub fn parents_of(&self, c: u32) -> &[u32] {
        let c = c as usize;
        match (self.parent_start.get(c), self.parent_start.get(c + 1)) {
            (Some(&s), Some(&e)) => self.parent_ix.get(s as usize..e as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Every commit reachable from `tips`, and the (child, parent) pairs whose parent is not in
    /// the repository.
    pub fn reachable(&self, tips: &[u32]) -> (Vec<bool>, Vec<(u32, ObjectId)>) {
        let mut seen = vec![false; self.ids.len()];
        let mut missing = Vec::new();
        let mut stack: Vec<u32> = tips.to_vec();
        while let Some(c) = stack.pop() {
            if std::mem::replace(&mut seen[c as usize], true) {
                continue;
            }
            for (&pi, p) in self.parents_of(c).iter().zip(&self.parents[c as usize]) {
                if pi == MISSING {
                    missing.push((c, *p));
                } else if !seen[pi as usize] {
                    stack.push(pi);
                }
            }
        }
        (seen, missing)
    }

    /// The commits in `keep`, parents before children; among commits ready at once, the older
    /// (then the smaller id) first.
    pub fn topo_order(&self, keep: &[bool]) -> Vec<u32> {
        let n = self.ids.len();
        let mut pending = vec![0u32; n];
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
        for c in 0..n {
            if !keep[c] {
                continue;
            }
            for &pi in self.parents_of(c as u32) {
                if pi != MISSING && keep[pi as usize] {
                    pending[c] += 1;
                    children[pi as usize].push(c as u32);
                }
            }
        }
        let mut heap: BinaryHeap<std::cmp::Reverse<(i64, u32)>> = (0..n as u32)
            .filter(|&c| keep[c as usize] && pending[c as usize] == 0)
            .map(|c| std::cmp::Reverse((self.time[c as usize], c)))
            .collect();
        let mut order = Vec::with_capacity(n);
        while let Some(std::cmp::Reverse((_, c))) = heap.pop() {
            order.push(c);
            for &k in &children[c as usize] {
                pending[k as usize] -= 1;
                if pending[k as usize] == 0 {
                    heap.push(std::cmp::Reverse((self.time[k as usize], k)));
                }
            }
        }
        order
    }
}

/// Where one secret is: what provenance reports.
#[derive(Clone, Debug, Default)]
pub struct SecretTrail {
    /// Commits that introduced it (their tree holds it, none of their parents' does), with
    /// the paths it had there, earliest first.
    pub introduced: Vec<(u32, Vec<PathId>)>,
    /// For each path: the commit where the secret first appeared at that path, and the blob.
    pub entered: BTreeMap<PathId, (u32, ObjectId)>,
    /// Every path it ever had.
    pub paths: BTreeSet<PathId>,
    /// Full names of the refs whose history holds it.
    pub refs: BTreeSet<String>,
    /// At HEAD: path → blob.
    pub at_head: BTreeMap<PathId, ObjectId>,
    /// Full names of the refs whose tip's tree still holds it.
    pub at_tips: BTreeSet<String>,
    /// The latest commit whose tree dropped it while a parent's held it: where its exposure
    /// ended, once no tip holds it.
    pub removed: Option<u32>,
}

/// One (secret, path, blob) in a commit's tree.
pub type Occurrence = (u32, PathId, ObjectId);

/// Walks `order` (topological) once and computes every secret's trail. `occurrences(c)` gives
/// the sorted (secret, path, blob) triples of commit `c`'s tree; `tips` are (ref name, commit).
pub fn trails(
    commits: &Commits,
    order: &[u32],
    mut occurrences: impl FnMut(u32) -> Arc<[Occurrence]>,
    tips: &[(String, u32)],
    head: Option<u32>,
) -> BTreeMap<u32, SecretTrail> {
    let n = commits.ids.len();
    let mut position = vec![u32::MAX; n];
    for (i, &c) in order.iter().enumerate() {
        position[c as usize] = i as u32;
    }
    let mut occ: Vec<Option<Arc<[Occurrence]>>> = vec![None; n];
    let mut ancestry: Vec<Option<Arc<[u32]>>> = vec![None; n];
    let mut trails: BTreeMap<u32, SecretTrail> = BTreeMap::new();
    let when = |c: u32| (commits.time[c as usize], position[c as usize]);
    let empty_occ: Arc<[Occurrence]> = Arc::from(Vec::new());
    let empty_anc: Arc<[u32]> = Arc::from(Vec::new());
    for &c in order {
        let cur = occurrences(c);
        let parents: Vec<u32> = commits
            .parents_of(c)
            .iter()
            .copied()
            .filter(|&p| p != MISSING && occ[p as usize].is_some())
            .collect();
        // Ancestry: every secret in this commit's history.
        let mut anc: Option<Arc<[u32]>> = None;
        let mut union: BTreeSet<u32> = cur.iter().map(|o| o.0).collect();
        let mut same_as: Option<Arc<[u32]>> = None;
        for &p in &parents {
            let a = ancestry[p as usize]
                .clone()
                .unwrap_or_else(|| empty_anc.clone());
            union.extend(a.iter().copied());
            same_as = Some(a);
        }
        if let Some(a) = same_as
            && a.len() == union.len()
        {
            anc = Some(a);
        }
        ancestry[c as usize] =
            Some(anc.unwrap_or_else(|| union.into_iter().collect::<Vec<_>>().into()));
        // Secrets a parent holds and this commit does not: removed here.
        for &p in &parents {
            if let Some(po) = &occ[p as usize] {
                for group in po.chunk_by(|a, b| a.0 == b.0) {
                    let x = group[0].0;
                    let i = cur.partition_point(|t| t.0 < x);
                    if cur.get(i).is_some_and(|t| t.0 == x) {
                        continue;
                    }
                    if let Some(t) = trails.get_mut(&x)
                        && t.removed.is_none_or(|r| when(r) < when(c))
                    {
                        t.removed = Some(c);
                    }
                }
            }
        }
        if !cur.is_empty() {
            let parent_occ: Vec<Arc<[Occurrence]>> = parents
                .iter()
                .map(|&p| occ[p as usize].clone().unwrap_or_else(|| empty_occ.clone()))
                .collect();
            // Occurrences are sorted by (secret, path, blob): look them up by binary search.
            let in_parents = |x: u32| {
                parent_occ.iter().any(|o| {
                    let i = o.partition_point(|t| t.0 < x);
                    o.get(i).is_some_and(|t| t.0 == x)
                })
            };
            let pair_in_parents = |x: u32, path: PathId| {
                parent_occ.iter().any(|o| {
                    let i = o.partition_point(|t| (t.0, t.1) < (x, path));
                    o.get(i).is_some_and(|t| t.0 == x && t.1 == path)
                })
            };
            for group in cur.chunk_by(|a, b| a.0 == b.0) {
                let x = group[0].0;
                let mut paths: Vec<PathId> = group.iter().map(|o| o.1).collect();
                paths.dedup();
                let t = trails.entry(x).or_default();
                t.paths.extend(paths.iter().copied());
                if !in_parents(x) {
                    t.introduced.push((c, paths));
                }
            }
            for &(x, path, blob) in cur.iter() {
                if !pair_in_parents(x, path) {
                    let t = trails.entry(x).or_default();
                    match t.entered.get(&path) {
                        Some(&(prev, _)) if when(prev) <= when(c) => {}
                        _ => {
                            t.entered.insert(path, (c, blob));
                        }
                    }
                }
            }
        }
        occ[c as usize] = Some(cur);
    }
    for t in trails.values_mut() {
        t.introduced.sort_by_key(|(c, _)| when(*c));
    }
    for (name, tip) in tips {
        if let Some(o) = &occ[*tip as usize] {
            for group in o.chunk_by(|a, b| a.0 == b.0) {
                if let Some(t) = trails.get_mut(&group[0].0) {
                    t.at_tips.insert(name.clone());
                }
            }
        }
        if let Some(a) = &ancestry[*tip as usize] {
            for x in a.iter() {
                if let Some(t) = trails.get_mut(x) {
                    t.refs.insert(name.clone());
                }
            }
        }
    }
    if let Some(h) = head
        && let Some(o) = &occ[h as usize]
    {
        for &(x, path, blob) in o.iter() {
            if let Some(t) = trails.get_mut(&x) {
                t.at_head.insert(path, blob);
            }
        }
    }
    trails
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    /// a ← b ← c, b adds secret 7 at path 0, c deletes it; d branches from a and adds it too.
    #[test]
    fn introductions_entries_and_refs() {
        let commits = Commits::new(vec![
            (id(1), id(101), vec![], 10),
            (id(2), id(102), vec![id(1)], 20),
            (id(3), id(103), vec![id(2)], 30),
            (id(4), id(104), vec![id(1)], 25),
        ]);
        let all = vec![true; 4];
        let order = commits.topo_order(&all);
        assert_eq!(order, vec![0, 1, 3, 2]);
        let b = id(50);
        let occ = |c: u32| -> Arc<[Occurrence]> {
            match c {
                1 => Arc::from(vec![(7, 0, b)]),
                3 => Arc::from(vec![(7, 1, b)]),
                _ => Arc::from(Vec::new()),
            }
        };
        let tips = vec![
            ("refs/heads/main".to_string(), 2),
            ("refs/heads/topic".to_string(), 3),
        ];
        let t = trails(&commits, &order, occ, &tips, Some(2));
        let s = &t[&7];
        assert_eq!(s.introduced, vec![(1, vec![0]), (3, vec![1])]);
        assert_eq!(s.entered[&0], (1, b));
        assert_eq!(s.entered[&1], (3, b));
        assert_eq!(
            s.refs.iter().cloned().collect::<Vec<_>>(),
            ["refs/heads/main", "refs/heads/topic"]
        );
        assert!(s.at_head.is_empty());
    }
}
