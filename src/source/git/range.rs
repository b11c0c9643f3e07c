//! `leakscope history --range A..B`, for CI: the secrets that the commits reachable from B and
//! not from A add. A secret counts as added where a commit's new blob holds it and the blob
//! the path had in every parent does not, so an old leak in a touched file is not reported
//! again. Line numbers are those of the new blob.

use super::blobs::Blobs;
use super::diff::{Change, changes};
use super::{GitError, GitOptions, note_submodule, signature};
use crate::finding::{Action, Finding, Provenance};
use crate::matcher::Matcher;
use crate::outcome::{Code, Outcome};
use crate::vocab::{Exposure, Verdict};
use gix::ObjectId;
use std::collections::BTreeMap;

/// Resolves one side of a range to a commit.
pub fn commit(repo: &gix::Repository, range: &str, rev: &str) -> Result<ObjectId, GitError> {
    let shallow = repo.is_shallow().unwrap_or(false);
    let bad = |message: String| GitError::BadRevision {
        range: range.into(),
        rev: rev.into(),
        message: if shallow {
            format!(
                "{message}; this is a shallow clone: fetch the base of the range too (actions/checkout with fetch-depth: 0, or git fetch --unshallow)"
            )
        } else {
            message
        },
    };
    let id = repo.rev_parse_single(rev).map_err(|e| bad(e.to_string()))?;
    let object = id.object().map_err(|e| bad(e.to_string()))?;
    let commit = object.peel_to_commit().map_err(|e| bad(e.to_string()))?;
    Ok(commit.id)
}

/// Splits `A..B` (`A..` means `A..HEAD`).
pub fn parse(range: &str) -> Result<(&str, &str), GitError> {
    if range.contains("...") {
        return Err(GitError::BadRange(range.into()));
    }
    match range.split_once("..") {
        Some((a, b)) if !a.is_empty() => Ok((a, if b.is_empty() { "HEAD" } else { b })),
        _ => Err(GitError::BadRange(range.into())),
    }
}

/// Scans what the commits of `range` add.
pub fn scan(
    matcher: &Matcher,
    repo: &gix::Repository,
    range: &str,
    opts: &GitOptions,
) -> Result<Outcome, GitError> {
    let (a, b) = parse(range)?;
    let from = commit(repo, range, a)?;
    let to = commit(repo, range, b)?;
    let walk =
        repo.rev_walk([to])
            .with_hidden([from])
            .all()
            .map_err(|e| GitError::BadRevision {
                range: range.into(),
                rev: b.into(),
                message: e.to_string(),
            })?;
    let shallow: std::collections::HashSet<ObjectId> = repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default();
    let mut cut: Vec<ObjectId> = Vec::new();
    let mut blobs = Blobs::new(matcher, repo, opts.max_filesize);
    let mut outcome = Outcome::default();
    // (secret, path) → (commit time, commit, blob): the earliest commit adding it there.
    let mut added: BTreeMap<(Vec<u8>, String), (i64, ObjectId, ObjectId)> = BTreeMap::new();
    let mut gitlinks: Vec<String> = Vec::new();
    for info in walk {
        let info = match info {
            Ok(i) => i,
            Err(e) => {
                outcome.notify(
                    Code::MissingObject,
                    None,
                    format!("cannot walk {range}: {e}"),
                );
                break;
            }
        };
        let c = match repo.find_commit(info.id) {
            Ok(c) => c,
            Err(e) => {
                outcome.notify(
                    Code::MissingObject,
                    Some(info.id.to_string()),
                    format!("commit {}: {e}", info.id),
                );
                continue;
            }
        };
        // A commit of the range whose parents a shallow clone cut off: what it "adds" may have
        // been there all along. The range cannot be judged from this checkout.
        if shallow.contains(&info.id) {
            cut.push(info.id);
        }
        for p in c.parent_ids() {
            if !repo.has_object(p) {
                outcome.notify(
                    Code::MissingObject,
                    Some(p.to_string()),
                    format!(
                        "commit {p}, a parent of {} in {range}, is not in the repository: the range cannot be judged",
                        info.id
                    ),
                );
            }
        }
        let time = c.time().map(|t| t.seconds).unwrap_or(0);
        let Ok(tree) = c.tree_id() else {
            outcome.notify(
                Code::CorruptObject,
                Some(info.id.to_string()),
                format!("commit {} has no tree", info.id),
            );
            continue;
        };
        let parent_trees: Vec<Option<ObjectId>> = c
            .parent_ids()
            .map(|p| {
                repo.find_commit(p)
                    .ok()
                    .and_then(|pc| pc.tree_id().ok())
                    .map(|t| t.detach())
            })
            .collect();
        // A path counts as changed only if it differs from every parent.
        let mut per_parent: Vec<Vec<Change>> = Vec::new();
        let sides: Vec<Option<ObjectId>> = if parent_trees.is_empty() {
            vec![None]
        } else {
            parent_trees
        };
        for pt in &sides {
            let mut out = Vec::new();
            if let Err(e) = changes(repo, pt.as_ref(), &tree.detach(), &mut out, &mut gitlinks) {
                let code = match e {
                    GitError::WrongType { .. } => Code::WrongType,
                    _ => Code::CorruptObject,
                };
                outcome.notify(
                    code,
                    Some(info.id.to_string()),
                    format!("commit {}: {e}", info.id),
                );
            }
            per_parent.push(out);
        }
        let first = per_parent.remove(0);
        for ch in first {
            let olds: Option<Vec<Option<ObjectId>>> = std::iter::once(Some(ch.old))
                .chain(
                    per_parent
                        .iter()
                        .map(|pp| pp.iter().find(|x| x.path == ch.path).map(|x| x.old)),
                )
                .collect();
            let Some(olds) = olds else { continue }; // unchanged against some parent
            let new_secrets = blobs.secrets(&ch.new, &ch.path);
            if new_secrets.is_empty() {
                continue;
            }
            let mut before: Vec<Vec<u8>> = Vec::new();
            for old in olds.into_iter().flatten() {
                before.extend(blobs.secrets(&old, &ch.path));
            }
            for s in new_secrets {
                if before.contains(&s) {
                    continue;
                }
                let key = (s, ch.path.clone());
                let entry = (time, info.id, ch.new);
                match added.get(&key) {
                    Some(prev) if (prev.0, prev.1) <= (entry.0, entry.1) => {}
                    _ => {
                        added.insert(key, entry);
                    }
                }
            }
        }
    }
    if !cut.is_empty() {
        cut.sort();
        let list: Vec<String> = cut
            .iter()
            .map(|c| c.to_hex_with_len(12).to_string())
            .collect();
        outcome.notify(
            Code::Shallow,
            Some(list.join(",")),
            format!(
                "shallow clone: the history of {range} is cut at {} ({}), so secrets that were already there would be reported as added; fetch the history the range needs (actions/checkout with fetch-depth: 0, or git fetch --unshallow, or git fetch --deepen=N) and scan again",
                if cut.len() == 1 { "commit" } else { "commits" },
                list.join(", ")
            ),
        );
    }
    gitlinks.sort();
    gitlinks.dedup();
    for g in gitlinks {
        note_submodule(&mut outcome, &g, None);
    }
    let tip_tree = repo
        .find_commit(to)
        .ok()
        .and_then(|c| c.tree_id().ok())
        .map(|t| t.detach());
    let mut findings: Vec<Finding> = Vec::new();
    for ((secret, path), (_, commit, blob)) in &added {
        let Some(mut f) = blobs.finding(blob, path, Exposure::Committed, secret) else {
            continue;
        };
        let at_tip = tip_tree
            .and_then(|t| repo.find_tree(t).ok())
            .and_then(|t| t.lookup_entry_by_path(path).ok().flatten())
            .map(|e| e.oid().to_owned())
            .is_some_and(|id| blobs.secrets(&id, path).contains(secret));
        let (author, email, date) = signature(repo, commit);
        f.provenance = Some(Provenance {
            commit: Some(commit.to_string()),
            author,
            email,
            date,
            commits: vec![(commit.to_string(), vec![path.clone()])],
            paths: vec![path.clone()],
            paths_total: 1,
            refs: Vec::new(),
            at_head: at_tip,
            tips: Vec::new(),
            removed: None,
            message_of: None,
            blob: blob.to_string(),
        });
        if f.verdict != Verdict::PublicSafe {
            f.action = Action::RotateBeforeMerge {
                commit: commit.to_string(),
                range: range.to_string(),
            };
        }
        findings.push(f);
    }
    outcome.findings = findings;
    outcome += std::mem::take(&mut blobs.outcome);
    outcome.finish();
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_ranges() {
        assert_eq!(
            super::parse("origin/main..HEAD").unwrap(),
            ("origin/main", "HEAD")
        );
        assert_eq!(super::parse("main..").unwrap(), ("main", "HEAD"));
        assert!(super::parse("main").is_err());
        assert!(super::parse("..main").is_err());
        assert!(super::parse("a...b").is_err());
    }
}
