//! A [`Finding`]: one key at one place, classified, with everything every report needs.
//! Also where a finding's secret is redacted and fingerprinted.

use crate::vocab::{Class, Encoding, Environment, Exposure, Kind, Severity, Verdict};
use sha2::{Digest, Sha256};
use std::fmt;

/// A key's text. It never prints itself: reports ask for [`Secret::redacted`] unless the user
/// opted in with `--show-secrets`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a key's text (invalid UTF-8 is replaced; keys are ASCII).
    pub fn new(bytes: &[u8]) -> Secret {
        Secret(String::from_utf8_lossy(bytes).into_owned())
    }

    /// The full text. Only reports honouring `--show-secrets` call this.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short preview that identifies the key without revealing it: the literal it starts
    /// with (or for keys found by their ending, four characters and the ending) and its last
    /// characters: four, or a quarter of what follows the literal when that is shorter (a
    /// short password shows little).
    pub fn redacted(&self, literal: &str, literal_is_suffix: bool) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if literal_is_suffix {
            let head: String = chars.iter().take(4).collect();
            return format!("{head}\u{2026}{literal}");
        }
        // A key block (PEM, PGP) ends with a fixed footer: its last characters are those
        // before the footer.
        let end = match self.0.rfind("-----END") {
            Some(i) if i > 0 => self.0[..i].trim_end().chars().count(),
            _ => chars.len(),
        };
        let keep = literal.chars().count().min(15).min(end);
        let rest = end.saturating_sub(keep);
        let tail = end.saturating_sub(4.min(rest / 4)).max(keep);
        let head: String = chars.iter().take(keep).collect();
        let last: String = chars[tail..end].iter().collect();
        format!("{head}\u{2026}{last}")
    }

    /// The fingerprint of a finding of this key under `rule_id` at `path`: SHA-256 of
    /// `leakscope/v2`, NUL, the rule id, NUL, the key, NUL, the path.
    pub fn location_fingerprint(&self, rule_id: &str, path: &str) -> String {
        let mut h = Sha256::new();
        h.update(b"leakscope/v2\0");
        h.update(rule_id.as_bytes());
        h.update(b"\0");
        h.update(self.0.as_bytes());
        h.update(b"\0");
        h.update(path.as_bytes());
        hex(&h.finalize())
    }

    /// Lowercase hex SHA-256 of the text: the same key gives the same digest anywhere.
    pub fn sha256(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }

    /// The stable fingerprint of a finding of this key under `rule_id`:
    /// SHA-256 of `leakscope/v1`, NUL, the rule id, NUL, the key.
    pub fn fingerprint(&self, rule_id: &str) -> String {
        let mut h = Sha256::new();
        h.update(b"leakscope/v1\0");
        h.update(rule_id.as_bytes());
        h.update(b"\0");
        h.update(self.0.as_bytes());
        hex(&h.finalize())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Where in a file a finding is: 1-based line, and 1-based columns counted in Unicode code
/// points, the end exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// First line.
    pub line: usize,
    /// First column.
    pub column: usize,
    /// Last line (keys do not span lines, but encoded text could).
    pub end_line: usize,
    /// Column after the last character.
    pub end_column: usize,
}

/// Something worth knowing about a finding that does not change its verdict. The engine's own
/// warnings are a closed set; rules may declare more as data.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Warning {
    /// A documentation or demo key, recognised by its digest or its demo issuer.
    PublishedExample {
        /// Where it was published.
        source: String,
    },
    /// A test-mode key in a file or path naming production.
    TestKeyInProductionConfig {
        /// The provider's display name.
        provider: String,
    },
    /// A secret assigned to a variable the build inlines into browser code (`NEXT_PUBLIC_`,
    /// `VITE_`, `REACT_APP_`…).
    SecretInPublicVariable {
        /// The variable.
        variable: String,
    },
    /// Live and test keys of one provider in one file.
    MixedLiveAndTest {
        /// The provider's display name.
        provider: String,
    },
    /// A private key protected by a passphrase: rotate it all the same, less urgently.
    EncryptedPrivateKey,
    /// A token whose expiry has passed.
    ExpiredToken {
        /// Expiry, seconds since the epoch.
        exp: i64,
    },
    /// A token with no signature (`alg: none`).
    UnsignedToken,
    /// A warning a rule declares for every finding of it.
    Declared {
        /// Stable kebab-case code.
        code: String,
        /// One sentence for people.
        message: String,
    },
}

impl Warning {
    /// The stable kebab-case code.
    pub fn code(&self) -> &str {
        match self {
            Warning::PublishedExample { .. } => "published-example",
            Warning::TestKeyInProductionConfig { .. } => "test-key-in-production-config",
            Warning::SecretInPublicVariable { .. } => "secret-in-public-variable",
            Warning::MixedLiveAndTest { .. } => "mixed-live-and-test",
            Warning::EncryptedPrivateKey => "encrypted-private-key",
            Warning::ExpiredToken { .. } => "expired-token",
            Warning::UnsignedToken => "unsigned-token",
            Warning::Declared { code, .. } => code,
        }
    }
}

/// What the finding asks the user to do: decided by the classifier (and, for git sources, by
/// where the key sits in history); worded by `report::words`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Publishable by design: nothing to do.
    NoneNeeded,
    /// A published example key: nothing to rotate.
    PublishedExample,
    /// Staged but not committed (a scan that read the index).
    KeepStaged,
    /// In a git-ignored file.
    KeepIgnored,
    /// In an untracked file.
    KeepUntracked,
    /// `staged`: about to be committed; unstage it.
    Unstage {
        /// HEAD already tracks the path (`git restore --staged`), or not (`git rm --cached`).
        tracked: bool,
    },
    /// Shipped to browsers.
    RotateClient,
    /// In a file git tracks.
    RotateTracked,
    /// In a git object.
    RotateCommitted,
    /// Outside git: exposure unknown.
    RotateUnknown,
    /// History: still in the tree of a branch or tag tip.
    RotateAtTip,
    /// History: removed from every branch and tag, still in history.
    RotateRemoved,
    /// History: in an object no ref reaches.
    RotateUnreachable,
    /// History: in a commit or tag message, which only a history rewrite changes.
    RotateInMessage,
    /// `--range`: added by a commit of the range.
    RotateBeforeMerge {
        /// Full id of the commit that added it.
        commit: String,
        /// The range as given.
        range: String,
    },
}

impl Action {
    /// A stable kebab-case word for machines.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::NoneNeeded => "none",
            Action::PublishedExample => "none-published-example",
            Action::KeepStaged | Action::Unstage { .. } => "unstage",
            Action::KeepIgnored => "keep-ignored",
            Action::KeepUntracked => "ignore-file",
            Action::RotateClient => "rotate-now",
            Action::RotateTracked
            | Action::RotateCommitted
            | Action::RotateUnknown
            | Action::RotateAtTip => "rotate",
            Action::RotateRemoved | Action::RotateUnreachable | Action::RotateInMessage => {
                "rotate-and-rewrite-history"
            }
            Action::RotateBeforeMerge { .. } => "rotate-before-merge",
        }
    }
}

/// Why the finding says what it says, beyond its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Several providers use the key's prefix and nothing settled it: these rule names are
    /// the other candidates.
    ProviderGuess {
        /// Names of the other rules.
        others: Vec<String>,
    },
}

/// The line around a finding, twice: with every key on it redacted, and as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// With keys redacted.
    pub redacted: String,
    /// As in the file (shown only with `--show-secrets`).
    pub raw: String,
}

/// How a finding was suppressed: it stays in JSON and SARIF, and unless the suppression is
/// only proposed, it does not fail the gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// Where the suppression lives.
    pub kind: SuppressionKind,
    /// Why.
    pub justification: String,
    /// A suppression the change under review added itself (a `leakscope:allow` comment in a
    /// range): reported, but not trusted to pass the gate.
    pub proposed: bool,
}

/// Where a suppression lives (SARIF `suppressions[].kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuppressionKind {
    /// A `leakscope:allow` comment on the finding's line.
    InSource,
    /// The configuration file (an allowed path or fingerprint).
    External,
}

impl SuppressionKind {
    /// The SARIF and JSON word.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::InSource => "inSource",
            SuppressionKind::External => "external",
        }
    }
}

/// The object whose message holds a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageOf {
    /// A commit's message (full id).
    Commit(String),
    /// An annotated tag's message: the tag's ref name and the tag object's id.
    Tag {
        /// `refs/tags/…`, or empty when no ref names it.
        name: String,
        /// The tag object.
        id: String,
    },
}

/// Where and when a secret entered git history (history mode only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    /// Full id of the secret's first commit.
    pub commit: Option<String>,
    /// Author of that commit.
    pub author: Option<String>,
    /// Author email of that commit.
    pub email: Option<String>,
    /// Committer date of that commit, ISO 8601.
    pub date: Option<String>,
    /// Every commit that introduced the secret, with (at most 100 of) the paths it had there.
    pub commits: Vec<(String, Vec<String>)>,
    /// The paths the secret ever had, at most 100 of them (sorted).
    pub paths: Vec<String>,
    /// How many paths the secret ever had.
    pub paths_total: usize,
    /// Full names of the refs whose history contains the secret.
    pub refs: Vec<String>,
    /// Whether HEAD's tree still holds the secret.
    pub at_head: bool,
    /// Full names of the refs whose tip's tree still holds the secret (empty: removed from
    /// every branch and tag).
    pub tips: Vec<String>,
    /// Once no tip holds it: the commit that removed it last, and that commit's date.
    pub removed: Option<(String, Option<String>)>,
    /// For a secret in a message rather than a file: whose message.
    pub message_of: Option<MessageOf>,
    /// The blob the finding's location refers to.
    pub blob: String,
}

/// One key at one place, classified.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Stable rule id.
    pub rule_id: String,
    /// Human rule name.
    pub rule_name: String,
    /// Provider id.
    pub provider: String,
    /// Provider name for people.
    pub provider_display: String,
    /// What the key is.
    pub kind: Kind,
    /// Secret or publishable.
    pub class: Class,
    /// Live, test or unknown.
    pub environment: Environment,
    /// What to do.
    pub verdict: Verdict,
    /// How bad.
    pub severity: Severity,
    /// Where it is exposed.
    pub exposure: Exposure,
    /// Path relative to the work tree root (or the scanned directory), `/`-separated.
    pub path: String,
    /// Where in the file.
    pub location: Location,
    /// The line, for text files.
    pub snippet: Option<Snippet>,
    /// The key.
    pub secret: Secret,
    /// The redacted preview.
    pub redacted: String,
    /// SHA-256 of the key.
    pub secret_sha256: String,
    /// Stable fingerprint from rule id and key (`leakscope/v1`): what baselines and allowed
    /// fingerprints match.
    pub fingerprint: String,
    /// Fingerprint from rule id, key and path (`leakscope/v2`): one per place, for code
    /// scanning, which folds results that share one.
    pub location_fingerprint: String,
    /// How the key was encoded where it was found.
    pub encoding: Encoding,
    /// Warnings riding on the finding, sorted by code.
    pub warnings: Vec<Warning>,
    /// What to do about it.
    pub action: Action,
    /// Why, beyond the verdict.
    pub reasons: Vec<Reason>,
    /// Runbook ids, the chosen rule's first.
    pub runbooks: Vec<String>,
    /// Provider ids the key may belong to instead, when the provider was a guess.
    pub alternatives: Vec<String>,
    /// The project the key belongs to, when known (Supabase ref).
    pub project: Option<String>,
    /// Where the key was published, for published examples.
    pub published: Option<String>,
    /// The identifier found beside the key (an AWS access key id), redacted.
    pub paired: Option<String>,
    /// That identifier in full, for `--verify` only (never printed).
    pub paired_key: Option<Secret>,
    /// What a token says about itself (JWT algorithm, issuer, expiry).
    pub token: Option<crate::matcher::TokenFacts>,
    /// A digest naming the account the key belongs to, when its format tells (keys of one
    /// Stripe account share it); never the key's text.
    pub account: Option<String>,
    /// History mode: where and when it entered.
    pub provenance: Option<Provenance>,
    /// Suppressions; a suppressed finding is reported but does not fail the gate.
    pub suppressions: Vec<Suppression>,
    /// With `--verify`: whether the provider still accepts the key.
    pub verification: Option<Verification>,
    /// `leakscope merge`: the repository whose report the finding came from.
    pub repository: Option<String>,
}

/// The answer to "does this key still work?" (`--verify`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Live, revoked, unknown or not verifiable.
    pub liveness: crate::vocab::Liveness,
    /// Why the answer is unknown or not verifiable, or what a live key is (its account, its
    /// scopes), in a few words.
    pub detail: Option<String>,
    /// When the provider was asked (UTC, RFC 3339), if it was.
    pub checked_at: Option<String>,
}

impl Finding {
    /// Whether a trusted suppression applies: the finding does not fail the gate.
    pub fn suppressed(&self) -> bool {
        self.suppressions.iter().any(|s| !s.proposed)
    }

    /// Whether only suppressions the change under review proposed apply.
    pub fn only_proposed(&self) -> bool {
        !self.suppressions.is_empty() && !self.suppressed()
    }
}

impl Finding {
    /// The path as reports show it: `repository:path` in a merged report.
    pub fn display_path(&self) -> std::borrow::Cow<'_, str> {
        match &self.repository {
            Some(r) => format!("{r}:{}", self.path).into(),
            None => self.path.as_str().into(),
        }
    }

    /// The order of every report: path, position, rule, secret.
    pub fn sort_key(&self) -> (&str, &str, Location, &str, &str) {
        (
            self.repository.as_deref().unwrap_or(""),
            &self.path,
            self.location,
            &self.rule_id,
            &self.secret_sha256,
        )
    }
}

/// Sorts findings into report order.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_prefix_and_last_four() {
        let s = Secret::new(concat!("sk_live_", "ErQHQwjyaxErPZDS3MoJaQNj").as_bytes());
        assert_eq!(s.redacted("sk_live_", false), "sk_live_\u{2026}aQNj");
        let g = Secret::new(b"110994067943-abc.apps.googleusercontent.com");
        assert_eq!(
            g.redacted(".apps.googleusercontent.com", true),
            "1109\u{2026}.apps.googleusercontent.com"
        );
    }

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::new(concat!("sk_live_", "ErQHQwjyaxErPZDS3MoJaQNj").as_bytes());
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    }
}
