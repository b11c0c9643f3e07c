//! Keys in commit messages, annotated tag messages and notes: such findings name the commit
//! or tag and say "in the commit message".

use super::*;

/// Findings for keys in commit and tag messages: a commit's when history keeps it (reachable,
/// or `--unreachable`), a tag's when a ref names it (or `--unreachable`).
pub(super) fn message_findings(
    matcher: &Matcher,
    repo: &gix::Repository,
    commits: &Commits,
    keep: &[bool],
    messages: Vec<(ObjectId, Kind, Analysis)>,
    unreachable: bool,
) -> Vec<crate::finding::Finding> {
    use crate::finding::{Action, MessageOf, Provenance};
    use crate::vocab::{Exposure, Verdict};
    let mut tag_names: HashMap<ObjectId, String> = HashMap::new();
    if let Ok(platform) = repo.references()
        && let Ok(iter) = platform.all()
    {
        for r in iter.flatten() {
            if let Some(id) = r.target().try_id() {
                tag_names
                    .entry(id.to_owned())
                    .or_insert_with(|| r.name().as_bstr().to_string());
            }
        }
    }
    let mut out = Vec::new();
    for (id, kind, analysis) in messages {
        let (of, author_of) = match kind {
            Kind::Commit => {
                let kept = commits.index.get(&id).is_some_and(|&c| keep[c as usize]);
                if !kept {
                    continue;
                }
                (MessageOf::Commit(id.to_string()), Some(id))
            }
            _ => {
                let name = tag_names.get(&id).cloned().unwrap_or_default();
                if name.is_empty() && !unreachable {
                    continue;
                }
                (
                    MessageOf::Tag {
                        name,
                        id: id.to_string(),
                    },
                    None,
                )
            }
        };
        let (author, email, date) = match author_of {
            Some(c) => super::super::signature(repo, &c),
            None => tagger(repo, &id),
        };
        let origin = crate::classify::Origin {
            path: "",
            exposure: Exposure::Committed,
        };
        for mut f in crate::classify::classify(matcher.rules(), &analysis, origin) {
            if f.verdict != Verdict::PublicSafe {
                f.action = Action::RotateInMessage;
            }
            f.provenance = Some(Provenance {
                commit: author_of.map(|c| c.to_string()),
                author: author.clone(),
                email: email.clone(),
                date: date.clone(),
                message_of: Some(of.clone()),
                blob: String::new(),
                ..Provenance::default()
            });
            out.push(f);
        }
    }
    out
}

/// Who tagged, and when, from an annotated tag object.
fn tagger(
    repo: &gix::Repository,
    id: &ObjectId,
) -> (Option<String>, Option<String>, Option<String>) {
    let Ok(obj) = repo.find_object(*id) else {
        return (None, None, None);
    };
    let Ok(tag) = obj.try_into_tag() else {
        return (None, None, None);
    };
    let Ok(Some(t)) = tag.tagger() else {
        return (None, None, None);
    };
    (
        Some(t.name.to_string()),
        Some(t.email.to_string()),
        t.time()
            .ok()
            .map(|t| t.format_or_unix(gix::date::time::format::ISO8601_STRICT)),
    )
}
