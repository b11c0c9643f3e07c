//! Where every sentence a finding says is worded: the classifier and the sources decide facts
//! ([`Action`], [`Reason`], [`Warning`]); this module turns them into the `message` every
//! format carries, and the warnings' sentences.

use crate::finding::{Action, Finding, Reason, Warning};
use crate::vocab::Environment;

/// The first seven characters of a commit id.
pub fn short_commit(c: &str) -> &str {
    &c[..c.len().min(7)]
}

/// What was found: rule name, environment and the redacted key (`Stripe secret key (live)
/// sk_live_…9b2R`).
pub fn headline(f: &Finding) -> String {
    let env = match f.environment {
        Environment::Live => " (live)",
        Environment::Test => " (test)",
        Environment::Unknown => "",
    };
    match &f.paired {
        Some(id) => format!("{}{env} {} (beside its id {id})", f.rule_name, f.redacted),
        None => format!("{}{env} {}", f.rule_name, f.redacted),
    }
}

/// What to do, as a clause.
pub fn action(f: &Finding) -> String {
    match &f.action {
        Action::NoneNeeded => "publishable by design: no action needed.".into(),
        Action::PublishedExample => {
            "a published example key, public knowledge: no rotation needed.".into()
        }
        Action::KeepStaged => {
            "staged but not committed yet: unstage it and keep it out of git.".into()
        }
        Action::KeepIgnored => "in a git-ignored file: keep it ignored and out of builds.".into(),
        Action::KeepUntracked => {
            "in an untracked file: add the file to .gitignore before anything commits it.".into()
        }
        Action::Unstage { tracked } => {
            let unstage = if *tracked {
                format!("git restore --staged {}", f.path)
            } else {
                format!("git rm --cached {}", f.path)
            };
            format!(
                "staged, not committed yet: unstage it (`{unstage}`), move the key to an ignored file or a secret store, and add the file to .gitignore."
            )
        }
        Action::RotateClient => {
            "shipped to browsers (public variable or client bundle): rotate it now.".into()
        }
        Action::RotateTracked => {
            "in a file tracked by git: rotate it, then remove it from the file and history.".into()
        }
        Action::RotateCommitted => "committed to git: rotate it.".into(),
        Action::RotateUnknown => {
            "exposure unknown (outside git): treat it as exposed and rotate it.".into()
        }
        Action::RotateAtTip => {
            "committed and still in a branch or tag: rotate it, then remove it from the files and from history."
                .into()
        }
        Action::RotateRemoved => {
            "removed from every branch and tag, still in history: rotate it and rewrite history."
                .into()
        }
        Action::RotateInMessage => "in a message in git history: rotate it; only rewriting history removes it from the message.".into(),
        Action::RotateUnreachable => "in an object no ref reaches (a dropped commit, stash entry or blob): reachable from no ref, still in the object database and possibly in clones and forks: rotate it.".into(),
        Action::RotateBeforeMerge { commit, range } => format!(
            "added by commit {} in {range}: rotate it before merging, then remove it from the branch's history.",
            short_commit(commit)
        ),
    }
}

/// The sentence a reason adds.
pub fn reason(r: &Reason) -> String {
    match r {
        Reason::ProviderGuess { others } => format!(
            " The provider is a guess from the key's prefix: it may instead be a {}; both runbooks apply.",
            others.join(" or a ")
        ),
    }
}

/// The finding's one-line message: headline, action, where it entered history, reasons.
pub fn message(f: &Finding) -> String {
    let mut m = format!("{}: {}", headline(f), action(f));
    let history = matches!(
        f.action,
        Action::RotateAtTip
            | Action::RotateRemoved
            | Action::RotateUnreachable
            | Action::RotateInMessage
    );
    if history && let Some(c) = f.provenance.as_ref().and_then(|p| p.commit.as_deref()) {
        m.push_str(&format!(" Introduced in {}.", short_commit(c)));
    }
    for r in &f.reasons {
        m.push_str(&reason(r));
    }
    m
}

/// A warning's sentence.
pub fn warning(w: &Warning) -> String {
    match w {
        Warning::PublishedExample { source } => format!(
            "A published example key ({source}): public knowledge, not a leak; replace it before going live."
        ),
        Warning::TestKeyInProductionConfig { provider } => format!(
            "A {provider} test key in production configuration: production should use live keys."
        ),
        Warning::SecretInPublicVariable { variable } => format!(
            "`{variable}` is inlined into the browser bundle at build time: every visitor has this key. Move it to a server-only variable (without the public prefix), read it only in server code, then rebuild and redeploy so no served bundle still carries it; rotate it all the same, since old bundles and caches keep the old key."
        ),
        Warning::MixedLiveAndTest { provider } => format!(
            "Live and test {provider} keys in one file: check each environment gets its own."
        ),
        Warning::EncryptedPrivateKey => "The private key is encrypted with a passphrase: less urgent, but the passphrase may be weak or stored nearby; rotate it.".into(),
        Warning::ExpiredToken { exp } => format!(
            "The token expired ({}): it no longer grants access by itself, but the secret that signed it may be reused; check before closing.",
            iso_date(*exp)
        ),
        Warning::UnsignedToken => "The token is unsigned (alg none): anyone could have made it; it matters only if a server accepts unsigned tokens.".into(),
        Warning::Declared { message, .. } => message.clone(),
    }
}

/// Where a committed secret is now, whatever is checked out: "still at the tip of main,
/// release-1.2", "removed from every branch and tag", or unreachable.
pub fn where_now(p: &crate::finding::Provenance) -> String {
    const SHOWN: usize = 5;
    if let Some(m) = &p.message_of {
        return message_of(m);
    }
    // A note's path in its notes tree is the annotated object's id (in fan-out directories).
    let notes = !p.refs.is_empty() && p.refs.iter().all(|r| r.starts_with("refs/notes/"));
    let annotated = p.paths.first().map(|x| x.replace('/', ""));
    if notes
        && let Some(id) =
            annotated.filter(|a| a.len() >= 40 && a.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        let state = if p.tips.is_empty() {
            "removed from the notes, still in history"
        } else {
            "still in the notes"
        };
        return format!(
            "in the git note on {} ({}), {state}",
            short_commit(&id),
            p.refs.join(", ")
        );
    }
    if !p.tips.is_empty() {
        let names: Vec<&str> = p
            .tips
            .iter()
            .take(SHOWN)
            .map(|t| super::text::short_ref(t))
            .collect();
        let more = p.tips.len().saturating_sub(SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!("still at the tip of {}{more}", names.join(", "))
    } else if p.refs.is_empty() {
        "reachable from no ref (a dropped commit, stash entry or blob), still in the object database".into()
    } else {
        "removed from every branch and tag, still in history".into()
    }
}

/// What `--verify` learned, in a sentence.
pub fn verification(v: &crate::finding::Verification) -> String {
    use crate::vocab::Liveness;
    let when = v
        .checked_at
        .as_deref()
        .map_or(String::new(), |t| format!(" (checked {t})"));
    let detail = v
        .detail
        .as_deref()
        .map_or(String::new(), |d| format!(": {d}"));
    match v.liveness {
        Liveness::Live => format!("verified LIVE: the provider accepts this key{detail}{when}"),
        Liveness::Revoked => {
            format!("verified revoked: the provider rejects this key{detail}{when}")
        }
        Liveness::Unknown => format!("verification inconclusive{detail}{when}"),
        Liveness::NotVerifiable => format!("not verifiable{detail}"),
    }
}

/// "in the commit message of 1a2b3c4", "in the message of tag v1.0".
pub fn message_of(m: &crate::finding::MessageOf) -> String {
    match m {
        crate::finding::MessageOf::Commit(id) => {
            format!("in the commit message of {}", short_commit(id))
        }
        crate::finding::MessageOf::Tag { name, id } if name.is_empty() => {
            format!("in the message of tag object {}", short_commit(id))
        }
        crate::finding::MessageOf::Tag { name, .. } => {
            format!("in the message of tag {}", super::text::short_ref(name))
        }
    }
}

/// A date (UTC) from seconds since the epoch, `YYYY-MM-DD`.
pub fn iso_date(secs: i64) -> String {
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `s` with its control characters but tabs C-escaped as git quotes paths (`\n`, `\033`, …),
/// so that text from a repository (names, lines, messages) cannot move the terminal's
/// cursor, change its colours or start a line of its own. Borrowed when there is nothing to
/// escape.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    escape(s, false)
}

/// [`escape_controls`], with tabs escaped too (`tabs`, for paths, as git quotes them) or kept
/// (text lines, where a tab moves nothing).
fn escape(s: &str, tabs: bool) -> std::borrow::Cow<'_, str> {
    let special = |c: char| c.is_control() && (tabs || c != '\t');
    if !s.chars().any(special) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' if tabs => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            c if special(c) => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:03o}"));
                }
            }
            c => out.push(c),
        }
    }
    out.into()
}

/// A path (or name) for the terminal: control characters escaped and the whole quoted, as
/// git quotes such paths (`"a\nb"`), and a path starting with `:` shown as `./:…`, so that no
/// line of output starts with `::` (a GitHub Actions workflow command).
pub fn term_path(s: &str) -> std::borrow::Cow<'_, str> {
    let escaped = escape(s, true);
    if let std::borrow::Cow::Owned(e) = escaped {
        return format!("\"{}\"", e.replace('"', "\\\"")).into();
    }
    if s.starts_with(':') {
        return format!("./{s}").into();
    }
    s.into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped_tabs_kept_in_text() {
        use super::{escape_controls, term_path};
        assert_eq!(escape_controls("a\tb"), "a\tb");
        assert_eq!(escape_controls("a\tb\x1b[2J\n::x"), "a\tb\\033[2J\\n::x");
        assert_eq!(term_path("a\tb"), "\"a\\tb\"");
        assert_eq!(term_path("::x"), "./::x");
        assert_eq!(term_path("\u{85}"), "\"\\302\\205\"");
        assert_eq!(term_path("plain/path.env"), "plain/path.env");
    }

    #[test]
    fn iso_dates() {
        assert_eq!(super::iso_date(0), "1970-01-01");
        assert_eq!(super::iso_date(1_700_000_000), "2023-11-14");
        assert_eq!(super::iso_date(951_782_400), "2000-02-29");
    }
}
