//! The commit pass and the roots of history: every commit's tree, parents and date; the refs,
//! the stash reflog and a detached HEAD that history starts from.

use super::super::odb::{Kind, Object, Visitor};
use crate::classify::Analysis;
use crate::matcher::Matcher;
use crate::outcome::{Code, Outcome};
use crate::scan;
use gix::ObjectId;

/// Commit pass: id, tree, parents, committer time of every commit; the commit and tag
/// messages that hold keys.
pub(super) struct CommitScan<'m> {
    pub matcher: &'m Matcher,
    pub hash: gix::hash::Kind,
    pub commits: Vec<(ObjectId, ObjectId, Vec<ObjectId>, i64)>,
    pub corrupt: Vec<ObjectId>,
    /// Commits and tags whose message holds a key.
    pub messages: Vec<(ObjectId, Kind, Analysis)>,
}

/// A commit's or tag's message: what follows the headers' blank line.
fn message(data: &[u8]) -> &[u8] {
    memchr::memmem::find(data, b"\n\n").map_or(&[][..], |i| &data[i + 2..])
}

impl Visitor for CommitScan<'_> {
    type Memo = ();

    fn visit(&mut self, obj: Object<'_, ()>) {
        if (obj.kind == Kind::Commit || obj.kind == Kind::Tag)
            && let Some(a) = scan::analyze(self.matcher, message(obj.data))
        {
            self.messages.push((obj.id.to_owned(), obj.kind, a));
        }
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
pub(super) struct Root {
    /// Full ref name (`refs/heads/main`, `refs/stash`, `HEAD`).
    pub name: String,
    /// What it points at, peeled.
    pub target: ObjectId,
}

/// Refs (all of them, peeled), every entry of the stash reflog, and HEAD when detached.
pub(super) fn roots(repo: &gix::Repository, outcome: &mut Outcome) -> Vec<Root> {
    let mut out = Vec::new();
    match repo.references() {
        Ok(platform) => match platform.all() {
            Ok(iter) => {
                for r in iter {
                    let mut r = match r {
                        Ok(r) => r,
                        Err(e) => {
                            outcome.notify(Code::BadRef, None, format!("cannot read a ref: {e}"));
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
                            Code::MissingObject,
                            Some(name.clone()),
                            format!("{name} cannot be resolved: {e}"),
                        ),
                    }
                }
            }
            Err(e) => outcome.notify(Code::BadRef, None, format!("cannot list refs: {e}")),
        },
        Err(e) => outcome.notify(Code::BadRef, None, format!("cannot list refs: {e}")),
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
