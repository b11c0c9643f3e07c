//! Completeness: what history could not reach (shallow boundaries, missing parents, objects
//! that trees name but the repository lacks), and the notes for what is skipped by design
//! (submodules, LFS pointers, blobs over `--max-filesize`).

use super::super::graph::{Commits, PathId, Special, TreeIndex};
use super::super::{note_lfs_pointer, note_submodule, note_too_large};
use crate::outcome::{Code, Outcome};
use gix::ObjectId;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Parents that are not in the repository: a shallow boundary (one note listing the boundary
/// commits) or missing objects.
pub(super) fn report_missing_parents(
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
                Code::MissingObject,
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
            Code::Shallow,
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
pub(super) fn report_missing_entries(
    repo: &gix::Repository,
    index: &TreeIndex,
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
    // Walks up the holders of `t` (iteratively: trees nest deep) looking for a root tree. A
    // walk that finds none has seen every tree above `t`: none of them reaches a root either.
    let mut no_root: HashSet<u32> = HashSet::new();
    let mut reaches = |t: u32| -> bool {
        let mut seen: HashSet<u32> = HashSet::from([t]);
        let mut stack = vec![t];
        while let Some(x) = stack.pop() {
            if root_idx.contains(&x) {
                return true;
            }
            for &(_, p, _) in index.holders(x) {
                if !no_root.contains(&p) && seen.insert(p) {
                    stack.push(p);
                }
            }
        }
        no_root.extend(seen);
        false
    };
    let promisor = is_partial_clone(repo);
    let mut listed: BTreeSet<ObjectId> = BTreeSet::new();
    for &(t, _name, id) in &index.missing {
        if reaches(t) {
            listed.insert(id);
        }
    }
    if listed.is_empty() {
        return;
    }
    if promisor {
        let shown: Vec<String> = listed.iter().take(20).map(|i| i.to_string()).collect();
        outcome.notify(
            Code::PartialClone,
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
            // In the database under another type (a tree entry whose mode says tree naming a
            // blob): say so, rather than call it missing.
            match repo.find_header(id) {
                Ok(h) => outcome.notify(
                    Code::WrongType,
                    Some(id.to_string()),
                    format!(
                        "object {id} is named by a tree with a mode that does not match it: it is a {}; the entry was not followed",
                        h.kind()
                    ),
                ),
                Err(_) => outcome.notify(
                    Code::MissingObject,
                    Some(id.to_string()),
                    format!("object {id} is named by a tree but is not in the repository: it was not scanned"),
                ),
            }
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
pub(super) fn report_specials(
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
