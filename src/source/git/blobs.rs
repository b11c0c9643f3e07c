//! Blobs read one at a time through gix, for `--range` and `staged`, which look at a few
//! objects rather than the whole database: each blob is analysed once, and classified once
//! per path it is placed at.

use super::{is_lfs_pointer, note_lfs_pointer, note_too_large};
use crate::classify::{Analysis, BySecret, Origin};
use crate::finding::Finding;
use crate::matcher::Matcher;
use crate::outcome::{Code, Outcome};
use crate::scan;
use crate::vocab::Exposure;
use gix::ObjectId;
use std::collections::HashMap;
use std::rc::Rc;

/// Scans blobs through gix one at a time, remembering each blob's analysis.
pub struct Blobs<'m, 'r> {
    matcher: &'m Matcher,
    repo: &'r gix::Repository,
    max_filesize: u64,
    cache: HashMap<ObjectId, Option<Rc<Analysis>>>,
    classified: HashMap<(ObjectId, String), BySecret>,
    /// Notifications and counters.
    pub outcome: Outcome,
}

impl<'m, 'r> Blobs<'m, 'r> {
    /// A scanner over `repo`'s objects.
    pub fn new(matcher: &'m Matcher, repo: &'r gix::Repository, max_filesize: u64) -> Self {
        Blobs {
            matcher,
            repo,
            max_filesize,
            cache: HashMap::new(),
            classified: HashMap::new(),
            outcome: Outcome::default(),
        }
    }

    /// The analysis of blob `id` (`None`: no hits, or not scanned, with a notification).
    pub fn analysis(&mut self, id: &ObjectId, path: &str) -> Option<Rc<Analysis>> {
        if let Some(h) = self.cache.get(id) {
            return h.clone();
        }
        let found = self.scan(id, path).map(Rc::new);
        self.cache.insert(*id, found.clone());
        found
    }

    /// The distinct secrets in blob `id`, sorted.
    pub fn secrets(&mut self, id: &ObjectId, path: &str) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = self
            .analysis(id, path)
            .map(|a| a.hits.iter().map(|x| x.secret.clone()).collect())
            .unwrap_or_default();
        v.sort();
        v.dedup();
        v
    }

    /// The finding of `secret` in blob `id` placed at `path` with `exposure`; the blob is
    /// classified once per path.
    pub fn finding(
        &mut self,
        id: &ObjectId,
        path: &str,
        exposure: Exposure,
        secret: &[u8],
    ) -> Option<Finding> {
        let key = (*id, path.to_string());
        if !self.classified.contains_key(&key) {
            let analysis = self.analysis(id, path)?;
            let by = BySecret::new(self.matcher.rules(), &analysis, Origin { path, exposure });
            self.classified.insert(key.clone(), by);
        }
        self.classified.get(&key)?.get(secret).cloned()
    }

    fn scan(&mut self, id: &ObjectId, path: &str) -> Option<Analysis> {
        let size = match self.repo.find_header(*id) {
            Ok(h) => h.size(),
            Err(e) => {
                self.outcome.notify(
                    Code::MissingObject,
                    Some(id.to_string()),
                    format!("{path}: blob {id} cannot be read ({e}): not scanned"),
                );
                return None;
            }
        };
        if size > self.max_filesize {
            self.outcome.stats.skipped += 1;
            note_too_large(&mut self.outcome, path, id, size);
            return None;
        }
        let blob = match self.repo.find_object(*id) {
            Ok(b) => b,
            Err(e) => {
                self.outcome.notify(
                    Code::CorruptObject,
                    Some(id.to_string()),
                    format!("{path}: blob {id} cannot be read ({e}): not scanned"),
                );
                return None;
            }
        };
        if blob.kind != gix::object::Kind::Blob {
            self.outcome.notify(
                Code::CorruptObject,
                Some(id.to_string()),
                format!(
                    "{path}: object {id} is a {}, not a blob: not scanned",
                    blob.kind
                ),
            );
            return None;
        }
        self.outcome.stats.scanned += 1;
        self.outcome.stats.bytes += blob.data.len() as u64;
        if is_lfs_pointer(&blob.data) {
            note_lfs_pointer(&mut self.outcome, path);
            return None;
        }
        scan::analyze(self.matcher, &blob.data)
    }
}
