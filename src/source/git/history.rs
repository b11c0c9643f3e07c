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
struct BlobScan<'m> {
    matcher: &'m Matcher,
    found: Vec<(ObjectId, BlobHits)>,
    lfs: Vec<ObjectId>,
    skipped: Vec<(ObjectId, u64)>,
}

impl Visitor for BlobScan<'_> {
    type Memo = ();

    fn visit(&mut self, obj: Object<'_, ()>) {
        if is_lfs_pointer(obj.data) {
            self.lfs.push(obj.id.to_owned());
            return;
        }
        let scanned = self.matcher.scan(obj.data);
        if scanned.hits.is_empty() {
            return;
        }
        let facts = classify::text_facts(self.matcher.rules(), &scanned, is_binary(obj.data));
        self.found.push((
            obj.id.to_owned(),
            BlobHits {
                hits: scanned.hits,
                facts,
            },
        ));
    }

    fn skipped(&mut self, id: &gix::oid, _kind: Kind, size: u64) {
        self.skipped.push((id.to_owned(), size));
    }
}

/// Tree pass: records which tree holds which, and the entries of interest.
struct TreeScan<'a> {
    ids: &'a HashMap<ObjectId, u32>,
    interesting: &'a HashSet<ObjectId>,
    blobs: &'a HashSet<ObjectId>,
    hash: gix::hash::Kind,
    rec: TreeRecords,
    corrupt: Vec<ObjectId>,
}

impl Visitor for TreeScan<'_> {
    type Memo = ();

    fn visit(&mut self, obj: Object<'_, ()>) {
        let Some(&me) = self.ids.get(obj.id) else {
            return;
        };
        for entry in gix::objs::TreeRefIter::from_bytes(obj.data, self.hash) {
            let Ok(e) = entry else {
                self.corrupt.push(obj.id.to_owned());
                return;
            };
            let mode = e.mode;
            if mode.is_tree() {
                let name = self.rec.name(e.filename);
                match self.ids.get(e.oid) {
                    Some(&child) => self.rec.edges.push((child, me, name)),
                    None => self.rec.missing.push((me, name, e.oid.to_owned())),
                }
            } else if mode.is_commit() {
                let name = self.rec.name(e.filename);
                self.rec
                    .direct
                    .push((me, name, e.oid.to_owned(), Special::Gitlink));
            } else if self.interesting.contains(e.oid) {
                let name = self.rec.name(e.filename);
                self.rec
                    .direct
                    .push((me, name, e.oid.to_owned(), Special::Blob));
            } else if !self.blobs.contains(e.oid) {
                let name = self.rec.name(e.filename);
                self.rec.missing.push((me, name, e.oid.to_owned()));
            }
        }
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

/// Scans the history of `repo`.
pub fn scan(matcher: &Matcher, repo: gix::Repository, opts: &GitOptions) -> Outcome {
    let mut outcome = Outcome::default();
    let hash = repo.object_hash();
    let db = Database::open(&repo);
    outcome.notifications.extend(db.problems.iter().cloned());
    let sync = repo.clone().into_sync();

    // 1. Blobs.
    let (scans, problems, stats) =
        db.traverse(&sync, &[Kind::Blob], opts.max_filesize, || BlobScan {
            matcher,
            found: Vec::new(),
            lfs: Vec::new(),
            skipped: Vec::new(),
        });
    outcome.notifications.extend(problems);
    outcome.stats.scanned = stats.objects;
    outcome.stats.bytes = stats.bytes;
    let mut hits: HashMap<ObjectId, BlobHits> = HashMap::new();
    let mut lfs: HashSet<ObjectId> = HashSet::new();
    let mut skipped: BTreeMap<ObjectId, u64> = BTreeMap::new();
    for s in scans {
        hits.extend(s.found);
        lfs.extend(s.lfs);
        skipped.extend(s.skipped);
    }
    outcome.stats.skipped = skipped.len() as u64;

    // 2. Trees.
    let mut tree_ids: Vec<ObjectId> = db.ids(Kind::Tree);
    tree_ids.sort_unstable();
    tree_ids.dedup();
    let ids: HashMap<ObjectId, u32> = tree_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i as u32))
        .collect();
    let mut interesting: HashSet<ObjectId> = hits.keys().copied().collect();
    interesting.extend(lfs.iter().copied());
    interesting.extend(skipped.keys().copied());
    let blobs: HashSet<ObjectId> = db.ids(Kind::Blob).into_iter().collect();
    let (trees, problems, _) = db.traverse(&sync, &[Kind::Tree], u64::MAX, || TreeScan {
        ids: &ids,
        interesting: &interesting,
        blobs: &blobs,
        hash,
        rec: TreeRecords::default(),
        corrupt: Vec::new(),
    });
    outcome.notifications.extend(problems);
    let mut records = Vec::new();
    for t in trees {
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

    // 3. Commits and roots.
    let (cs, problems, _) = db.traverse(&sync, &[Kind::Commit], u64::MAX, || CommitScan {
        hash,
        commits: Vec::new(),
        corrupt: Vec::new(),
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

    report_specials(&repo, &index, &specials, &lfs, &skipped, &mut outcome);

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
    let mut findings = Vec::new();
    for (&x, trail) in &trails {
        findings.extend(findings_for_secret(
            matcher,
            &repo,
            &commits,
            &index,
            &hits,
            &secret_text[x as usize],
            x,
            trail,
            &extra_occ,
        ));
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
        if let Some(f) = finding_at(
            matcher,
            &hits,
            &secret_text[*x as usize],
            *blob,
            path,
            &trail,
            None,
            &repo,
            &commits,
            &index,
            &extra_occ,
            *x,
        ) {
            findings.push(f);
        }
    }
    // Blobs in no commit (only with --unreachable).
    if opts.unreachable {
        let mut orphans: Vec<(&ObjectId, &Vec<u32>)> = blob_secrets
            .iter()
            .filter(|(_, xs)| xs.iter().any(|x| !placed.contains(x)))
            .collect();
        orphans.sort();
        for (blob, xs) in orphans {
            for &x in xs {
                if placed.contains(&x) {
                    continue;
                }
                let trail = SecretTrail::default();
                if let Some(f) = finding_at(
                    matcher,
                    &hits,
                    &secret_text[x as usize],
                    *blob,
                    &loose_path(blob),
                    &trail,
                    None,
                    &repo,
                    &commits,
                    &index,
                    &extra_occ,
                    x,
                ) {
                    findings.push(f);
                }
            }
        }
    }
    outcome.findings = findings;
    outcome.finish();
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
                .any(|&(p, _)| reaches(p, index, roots, memo));
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
    _repo: &gix::Repository,
    index: &TreeIndex,
    specials: &BTreeMap<(PathId, Special), ObjectId>,
    lfs: &HashSet<ObjectId>,
    skipped: &BTreeMap<ObjectId, u64>,
    outcome: &mut Outcome,
) {
    for (&(path, special), id) in specials {
        let p = index.path(path).to_string();
        match special {
            Special::Gitlink => outcome.notify(
                Level::Note,
                "submodule",
                Some(p.clone()),
                format!("{p}: submodule (commit {id}) not scanned: scan its repository separately"),
            ),
            Special::Blob if lfs.contains(id) => outcome.notify(
                Level::Note,
                "lfs-pointer",
                Some(p.clone()),
                format!("{p}: Git LFS pointer: the content is in LFS storage, not in git, and was not scanned"),
            ),
            Special::Blob => {
                if let Some(size) = skipped.get(id) {
                    outcome.notify(
                        Level::Note,
                        "too-large",
                        Some(p.clone()),
                        format!("{p}: blob {id} is {size} bytes, larger than --max-filesize: not scanned"),
                    );
                }
            }
        }
    }
}

/// One finding per path the secret ever had.
#[allow(clippy::too_many_arguments)]
fn findings_for_secret(
    matcher: &Matcher,
    repo: &gix::Repository,
    commits: &Commits,
    index: &TreeIndex,
    hits: &HashMap<ObjectId, BlobHits>,
    secret: &str,
    x: u32,
    trail: &SecretTrail,
    extra: &[(u32, String, ObjectId, String)],
) -> Vec<Finding> {
    let mut out = Vec::new();
    for &path in &trail.paths {
        let (blob, entered) = match trail.at_head.get(&path) {
            Some(b) => (*b, trail.entered.get(&path).map(|e| e.0)),
            None => match trail.entered.get(&path) {
                Some(&(c, b)) => (b, Some(c)),
                None => continue,
            },
        };
        let p = index.path(path).to_string();
        if let Some(f) = finding_at(
            matcher, hits, secret, blob, &p, trail, entered, repo, commits, index, extra, x,
        ) {
            out.push(f);
        }
    }
    out
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

/// The finding of `secret` in `blob` at `path`, with provenance.
#[allow(clippy::too_many_arguments)]
fn finding_at(
    matcher: &Matcher,
    hits: &HashMap<ObjectId, BlobHits>,
    secret: &str,
    blob: ObjectId,
    path: &str,
    trail: &SecretTrail,
    _entered: Option<u32>,
    repo: &gix::Repository,
    commits: &Commits,
    index: &TreeIndex,
    extra: &[(u32, String, ObjectId, String)],
    x: u32,
) -> Option<Finding> {
    let mut f = classify_secret(
        matcher,
        hits.get(&blob)?,
        secret.as_bytes(),
        path,
        Exposure::Committed,
    )?;
    let first = trail.introduced.first().map(|(c, _)| *c);
    let (author, email, date) = match first {
        Some(c) => super::diff::signature(repo, &commits.ids[c as usize]),
        None => (None, None, None),
    };
    let mut paths: BTreeSet<String> = trail
        .paths
        .iter()
        .map(|&p| index.path(p).to_string())
        .collect();
    let mut refs = trail.refs.clone();
    for (ex, p, _, name) in extra {
        if *ex == x {
            paths.insert(p.clone());
            refs.insert(name.clone());
        }
    }
    if paths.is_empty() {
        paths.insert(path.to_string());
    }
    let at_head = !trail.at_head.is_empty();
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
        at_head,
        blob: blob.to_string(),
    });
    f.message = history_message(&f, first.map(|c| commits.ids[c as usize]));
    Some(f)
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
