//! `leakscope history`: every secret ever committed, with provenance.
//!
//! 1. [`blobs`]: scan every blob in the object database (pack order, each object inflated
//!    once, delta-aware).
//! 2. [`trees`]: index the trees just enough to place the blobs with hits (and gitlinks).
//! 3. [`commits`]: read the commits; find the roots (refs, stash reflog, detached HEAD).
//! 4. [`complete`]: name what could not be reached (shallow boundaries, missing objects).
//! 5. [`place`]: walk the commit graph once for the secrets found: where each entered, at
//!    which paths, which refs hold it, whether HEAD still does. Without `--unreachable`,
//!    secrets that no root reaches are dropped; with it, they are reported as reachable from
//!    no ref.

mod blobs;
mod commits;
mod complete;
mod messages;
use messages::message_findings;
mod place;
mod trees;

pub(crate) use blobs::delta_candidates;
pub use complete::is_partial_clone;

use super::graph::{Commits, Occurrence, PathId, SecretTrail, Special, TreeIndex, TreeRecords};
use super::odb::{Database, Kind};
use super::{GitOptions, loose_path};
use crate::classify::Analysis;
use crate::matcher::Matcher;
use crate::outcome::{Code, Outcome};
use crate::progress::Timing;
use gix::ObjectId;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// What the blob pass found.
struct Found {
    analyses: HashMap<ObjectId, Analysis>,
    lfs: HashSet<ObjectId>,
    skipped: BTreeMap<ObjectId, u64>,
}

/// Scans the history of `repo`.
pub fn scan(matcher: &Matcher, repo: gix::Repository, opts: &GitOptions) -> Outcome {
    let mut timing = Timing::new();
    let mut outcome = Outcome::default();
    let db = Database::open(&repo);
    outcome.notifications.extend(db.problems.iter().cloned());
    let sync = repo.clone().into_sync();
    timing.done("enumerate objects");

    let found = blob_pass(matcher, &db, &sync, opts, &mut outcome, &mut timing);
    let (ids, records) = tree_pass(&db, &sync, &found, opts, &mut outcome, &mut timing);
    // Merging the tree records is one thread's work: the commit pass runs beside it.
    let hash = repo.object_hash();
    let (mut index, (commits, messages)) = rayon::join(
        || TreeIndex::new(ids, records),
        || commit_pass(matcher, hash, &db, &sync, opts, &mut outcome),
    );
    let roots = commits::roots(&repo, &mut outcome);
    timing.done("merge the tree index; read commits and refs");

    // Tips of history; refs to trees and blobs (a tag on a tree or a blob) are placed apart.
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
                Code::MissingObject,
                Some(r.target.to_string()),
                format!(
                    "{} points at {}, which is not in the repository",
                    r.name, r.target
                ),
            );
        }
    }
    let (reachable, missing_parents) = commits.reachable(&tip_commits);
    complete::report_missing_parents(&repo, &commits, &missing_parents, &mut outcome);
    let keep: Vec<bool> = if opts.unreachable {
        vec![true; commits.ids.len()]
    } else {
        reachable
    };
    complete::report_missing_entries(&repo, &index, &commits, &keep, &mut outcome);

    let head = repo.head_id().ok().map(|id| id.detach());
    outcome.findings = provenance(
        matcher,
        &repo,
        &commits,
        &mut index,
        &found,
        &keep,
        &tips,
        &extra,
        head,
        opts.unreachable,
        &mut outcome,
    );
    let in_messages = message_findings(matcher, &repo, &commits, &keep, messages, opts.unreachable);
    outcome.findings.extend(in_messages);
    outcome.finish();
    // Freeing the tables (millions of allocations; 0.1 s on git/git) need not hold up the
    // report: hand them to a thread of their own (if none can be had, they are freed here).
    let tables = (index, commits, found);
    let _ = std::thread::Builder::new().spawn(move || drop(tables));
    timing.done("provenance");
    outcome
}

fn blob_pass(
    matcher: &Matcher,
    db: &Database,
    sync: &gix::ThreadSafeRepository,
    opts: &GitOptions,
    outcome: &mut Outcome,
    timing: &mut Timing,
) -> Found {
    opts.progress
        .phase("history: blobs", "objects", Some(db.count(Kind::Blob)));
    let (scans, problems, stats) = db.traverse(
        sync,
        &[Kind::Blob],
        opts.max_filesize,
        &opts.progress,
        || blobs::BlobScan::new(matcher, !opts.full_scan),
    );
    outcome.notifications.extend(problems);
    outcome.stats.scanned = stats.objects;
    outcome.stats.bytes = stats.bytes;
    let mut found = Found {
        analyses: HashMap::new(),
        lfs: HashSet::new(),
        skipped: BTreeMap::new(),
    };
    let (mut read, mut not_reread, mut full, mut full_bytes) = (0u64, 0u64, 0u64, 0u64);
    for s in scans {
        outcome.stats.delta_scans += s.delta_scans;
        read += s.read;
        not_reread += s.not_reread;
        full += s.full_scans;
        full_bytes += s.full_bytes;
        found.analyses.extend(s.found);
        found.lfs.extend(s.lfs);
        found.skipped.extend(s.skipped);
    }
    outcome.stats.skipped = found.skipped.len() as u64;
    timing.done(&format!(
        "scan blobs ({} of {} by delta, prefilter read {} MB, skipped {} MB; {full} with candidates scanned in full, {} MB; neighbourhood {:?})",
        outcome.stats.delta_scans,
        outcome.stats.scanned,
        read >> 20,
        not_reread >> 20,
        full_bytes >> 20,
        matcher.neighbourhood(),
    ));
    found
}

fn tree_pass(
    db: &Database,
    sync: &gix::ThreadSafeRepository,
    found: &Found,
    opts: &GitOptions,
    outcome: &mut Outcome,
    timing: &mut Timing,
) -> (gix::hashtable::HashMap<ObjectId, u32>, Vec<TreeRecords>) {
    let mut tree_ids: Vec<ObjectId> = db.ids(Kind::Tree);
    tree_ids.sort_unstable();
    tree_ids.dedup();
    let ids: gix::hashtable::HashMap<ObjectId, u32> = tree_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i as u32))
        .collect();
    let mut interesting: gix::hashtable::HashSet<ObjectId> =
        found.analyses.keys().copied().collect();
    interesting.extend(found.lfs.iter().copied());
    interesting.extend(found.skipped.keys().copied());
    let blobs: gix::hashtable::HashSet<ObjectId> = db.ids(Kind::Blob).into_iter().collect();
    opts.progress
        .phase("history: trees", "objects", Some(db.count(Kind::Tree)));
    let (trees, problems, _) = db.traverse(sync, &[Kind::Tree], u64::MAX, &opts.progress, || {
        trees::TreeScan::new(&ids, &interesting, &blobs, !opts.full_scan)
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
                Code::CorruptObject,
                Some(id.to_string()),
                format!("tree {id} is corrupt"),
            );
        }
        records.push(t.rec);
    }
    drop(blobs);
    timing.done(&format!(
        "read trees ({parsed} entries parsed, {inherited} inherited from delta bases, {edges} subtree edges)"
    ));
    (ids, records)
}

fn commit_pass(
    matcher: &Matcher,
    hash: gix::hash::Kind,
    db: &Database,
    sync: &gix::ThreadSafeRepository,
    opts: &GitOptions,
    outcome: &mut Outcome,
) -> (Commits, Vec<(ObjectId, Kind, Analysis)>) {
    opts.progress.phase(
        "history: commits",
        "objects",
        Some(db.count(Kind::Commit) + db.count(Kind::Tag)),
    );
    let (cs, problems, _) = db.traverse(
        sync,
        &[Kind::Commit, Kind::Tag],
        u64::MAX,
        &opts.progress,
        || commits::CommitScan {
            matcher,
            hash,
            commits: Vec::new(),
            corrupt: Vec::new(),
            messages: Vec::new(),
        },
    );
    outcome.notifications.extend(problems);
    let mut records = Vec::new();
    let mut messages = Vec::new();
    for c in cs {
        for id in c.corrupt {
            outcome.notify(
                Code::CorruptObject,
                Some(id.to_string()),
                format!("commit {id} is corrupt"),
            );
        }
        records.extend(c.commits);
        messages.extend(c.messages);
    }
    messages.sort_by_key(|m| m.0);
    (Commits::new(records), messages)
}

/// Walks the commit graph for the secrets found and places each at its paths.
#[allow(clippy::too_many_arguments)]
fn provenance(
    matcher: &Matcher,
    repo: &gix::Repository,
    commits: &Commits,
    index: &mut TreeIndex,
    found: &Found,
    keep: &[bool],
    tips: &[(String, u32)],
    extra: &[(String, ObjectId, Kind)],
    head: Option<ObjectId>,
    unreachable: bool,
    outcome: &mut Outcome,
) -> Vec<crate::finding::Finding> {
    // Secrets get ids; each blob lists the ids it holds.
    let mut secret_ids: BTreeMap<&[u8], u32> = BTreeMap::new();
    let mut blob_secrets: gix::hashtable::HashMap<ObjectId, Vec<u32>> = Default::default();
    let mut blob_ids: Vec<&ObjectId> = found.analyses.keys().collect();
    blob_ids.sort();
    for id in blob_ids {
        let mut v: Vec<u32> = found.analyses[id]
            .hits
            .iter()
            .map(|h| {
                let next = secret_ids.len() as u32;
                *secret_ids.entry(&h.secret[..]).or_insert(next)
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        blob_secrets.insert(*id, v);
    }
    let order = commits.topo_order(keep);
    // Each commit's root tree by index, looked up on every thread; occurrences by tree index.
    let roots: Vec<Option<u32>> = {
        use rayon::prelude::*;
        let ids = &index.ids;
        commits
            .tree
            .par_iter()
            .map(|t| ids.get(t).copied())
            .collect()
    };
    let mut by_tree: Vec<Option<Arc<[Occurrence]>>> = vec![None; index.ids.len()];
    let empty: Arc<[Occurrence]> = Arc::from(Vec::new());
    let mut specials: BTreeMap<(PathId, Special), ObjectId> = BTreeMap::new();
    let mut occurrences = |c: u32| -> Arc<[Occurrence]> {
        let Some(t) = roots[c as usize] else {
            return empty.clone();
        };
        if let Some(o) = &by_tree[t as usize] {
            return o.clone();
        }
        let entries = index.entries(t);
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
        by_tree[t as usize] = Some(arc.clone());
        arc
    };
    let head_commit = head.and_then(|h| commits.index.get(&h).copied());
    let trails = super::graph::trails(commits, &order, &mut occurrences, tips, head_commit);

    // Refs to trees and blobs.
    let mut extra_occ: Vec<place::Extra> = Vec::new();
    for (name, target, kind) in extra {
        let occ: Vec<(String, ObjectId)> = match kind {
            Kind::Tree => index
                .entries_of(target)
                .unwrap_or_else(|| Arc::from(Vec::new()))
                .iter()
                .filter(|e| e.2 == Special::Blob)
                .map(|e| (index.path(e.0).to_string(), e.1))
                .collect(),
            _ => vec![(name.clone(), *target)],
        };
        for (path, blob) in occ {
            for &x in blob_secrets.get(&blob).into_iter().flatten() {
                extra_occ.push((x, path.clone(), blob, name.clone()));
            }
        }
    }
    let cut = index.too_deep || index.too_many;
    if index.too_deep {
        outcome.notify(
            Code::TooDeep,
            None,
            format!(
                "trees nest deeper than {} levels (git's limit): keys below are reported by blob, without their paths",
                crate::source::git::diff::MAX_TREE_DEPTH
            ),
        );
    }
    if index.too_many {
        outcome.notify(
            Code::TooManyPaths,
            None,
            format!(
                "the trees spell more than {} paths of interest (subtrees held many times over): keys left out are reported by blob, without their paths",
                super::graph::MAX_PATHS
            ),
        );
    }

    complete::report_specials(index, &specials, &found.lfs, &found.skipped, outcome);

    let mut secret_text = vec![String::new(); secret_ids.len()];
    for (k, &i) in &secret_ids {
        secret_text[i as usize] = String::from_utf8_lossy(k).into_owned();
    }
    let placed: HashSet<u32> = trails
        .keys()
        .copied()
        .chain(extra_occ.iter().map(|e| e.0))
        .collect();
    let placer = place::Placer {
        matcher,
        repo,
        commits,
        index,
        analyses: &found.analyses,
        extra: &extra_occ,
        secrets: &secret_text,
        classified: Default::default(),
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
        let prov = placer.provenance(*x, &trail);
        findings.extend(placer.finding(*x, *blob, path, &prov));
    }
    // Blobs in no commit (only with --unreachable), and, when the trees were cut short,
    // every secret that could not be placed: reported by blob rather than lost.
    if unreachable || cut {
        let mut orphans: Vec<(&ObjectId, &Vec<u32>)> = blob_secrets.iter().collect();
        orphans.sort();
        for (blob, xs) in orphans {
            for &x in xs.iter().filter(|x| !placed.contains(x)) {
                let prov = placer.provenance(x, &SecretTrail::default());
                findings.extend(placer.finding(x, *blob, &loose_path(blob), &prov));
            }
        }
    }
    findings
}
