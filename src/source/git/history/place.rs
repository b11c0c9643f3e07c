//! Placement: a secret found in a blob, placed at each path it had, becomes a finding with
//! provenance (where and when it entered, which refs hold it, whether HEAD still does). Each
//! blob is classified once per path, and each secret's provenance is computed once.

use super::super::graph::{Commits, SecretTrail, TreeIndex};
use super::super::signature;
use crate::classify::{Analysis, BySecret, Origin};
use crate::finding::{Action, Finding, Provenance};
use crate::matcher::Matcher;
use crate::vocab::{Exposure, Verdict};
use gix::ObjectId;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

/// Reports list at most this many paths per secret (and per introducing commit), with the
/// total beside them.
pub const MAX_PATHS: usize = 100;

/// A secret reached through a ref to a tree or a blob: (secret, path, blob, ref name).
pub(super) type Extra = (u32, String, ObjectId, String);

/// What turns a secret found in a blob, placed at a path, into a finding with provenance.
pub(super) struct Placer<'a> {
    pub matcher: &'a Matcher,
    pub repo: &'a gix::Repository,
    pub commits: &'a Commits,
    pub index: &'a TreeIndex,
    pub analyses: &'a HashMap<ObjectId, Analysis>,
    /// Secrets reached through refs to trees or blobs.
    pub extra: &'a [Extra],
    /// Secret texts by secret id.
    pub secrets: &'a [String],
    /// Classified blobs, by (blob, path).
    pub classified: RefCell<HashMap<(ObjectId, String), BySecret>>,
}

impl Placer<'_> {
    /// One finding per path the secret ever had: located at HEAD's blob when the secret is
    /// still there, otherwise where it entered that path.
    pub fn findings(&self, x: u32, trail: &SecretTrail) -> Vec<Finding> {
        let provenance = self.provenance(x, trail);
        let mut out = Vec::new();
        for &path in &trail.paths {
            let blob = match (trail.at_head.get(&path), trail.entered.get(&path)) {
                (Some(b), _) => *b,
                (None, Some(&(_, b))) => b,
                (None, None) => continue,
            };
            out.extend(self.finding(x, blob, self.index.path(path), &provenance));
        }
        out
    }

    /// The provenance of secret `x`, shared by all its findings (`blob` is set per finding).
    pub fn provenance(&self, x: u32, trail: &SecretTrail) -> Provenance {
        let (commits, index) = (self.commits, self.index);
        let first = trail.introduced.first().map(|(c, _)| *c);
        let (author, email, date) = match first {
            Some(c) => signature(self.repo, &commits.ids[c as usize]),
            None => (None, None, None),
        };
        crate::work::add(&crate::work::PATH_ENTRIES, trail.paths.len());
        let mut paths: BTreeSet<&str> = trail.paths.iter().map(|&p| index.path(p)).collect();
        let mut refs = trail.refs.clone();
        let mut tips = trail.at_tips.clone();
        for (ex, p, _, name) in self.extra {
            if *ex == x {
                paths.insert(p);
                refs.insert(name.clone());
                tips.insert(name.clone());
            }
        }
        let removed = trail.removed.filter(|_| tips.is_empty());
        Provenance {
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
                        ps.iter()
                            .take(MAX_PATHS)
                            .map(|&p| index.path(p).to_string())
                            .collect(),
                    )
                })
                .collect(),
            paths_total: paths.len(),
            paths: paths
                .into_iter()
                .take(MAX_PATHS)
                .map(str::to_string)
                .collect(),
            refs: refs.into_iter().collect(),
            at_head: !trail.at_head.is_empty(),
            tips: tips.into_iter().collect(),
            removed: removed.map(|c| {
                let id = &commits.ids[c as usize];
                (id.to_string(), signature(self.repo, id).2)
            }),
            message_of: None,
            blob: String::new(),
        }
    }

    /// The finding of secret `x` in `blob` at `path`, with `provenance`.
    pub fn finding(
        &self,
        x: u32,
        blob: ObjectId,
        path: &str,
        provenance: &Provenance,
    ) -> Option<Finding> {
        let secret = self.secrets[x as usize].as_bytes();
        let written = provenance.paths.len()
            + provenance
                .commits
                .iter()
                .map(|(_, p)| p.len())
                .sum::<usize>();
        crate::work::add(&crate::work::PATH_ENTRIES, written);
        let key = (blob, path.to_string());
        let mut classified = self.classified.borrow_mut();
        if !classified.contains_key(&key) {
            let analysis = self.analyses.get(&blob)?;
            let origin = Origin {
                path,
                exposure: Exposure::Committed,
            };
            classified.insert(
                key.clone(),
                BySecret::new(self.matcher.rules(), analysis, origin),
            );
        }
        let mut f = classified.get(&key)?.get(secret)?.clone();
        let mut p = provenance.clone();
        if p.paths.is_empty() {
            p.paths.push(path.to_string());
            p.paths_total = 1;
        }
        p.blob = blob.to_string();
        if f.verdict != Verdict::PublicSafe {
            f.action = if p.refs.is_empty() {
                Action::RotateUnreachable
            } else if !p.tips.is_empty() {
                Action::RotateAtTip
            } else {
                Action::RotateRemoved
            };
        }
        f.provenance = Some(p);
        Some(f)
    }
}
