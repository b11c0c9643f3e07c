//! The shared vocabulary of findings: the closed sets of words that appear, identically, in
//! rules, JSON, SARIF, Markdown and text output.
//!
//! Every enum here serialises as lowercase kebab-case (`must-rotate`, `service-role-jwt`), and
//! [`std::fmt::Display`] prints the same string.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word used in every output format.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "unknown {} `{}` (expected one of: {})",
                        stringify!($name).to_lowercase(),
                        s,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

/// What sort of credential a rule describes: an open vocabulary of kebab-case words that rules
/// name (`secret-key`, `publishable-key`, `webhook-secret`, `private-key`, `password`,
/// `connection-string`, `access-token`, …); `leakscope rules` lists those in use.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Kind(std::sync::Arc<str>);

impl Kind {
    /// The legacy Supabase `anon` JWT.
    pub const ANON_JWT: &'static str = "anon-jwt";
    /// The legacy Supabase `service_role` JWT.
    pub const SERVICE_ROLE_JWT: &'static str = "service-role-jwt";
    /// A webhook signing secret.
    pub const WEBHOOK_SECRET: &'static str = "webhook-secret";

    /// The word used in every output format.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the kind `word`.
    pub fn is(&self, word: &str) -> bool {
        &*self.0 == word
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && !s.starts_with('-')
            && !s.ends_with('-')
            && s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
        if ok {
            Ok(Kind(s.into()))
        } else {
            Err(format!("kind `{s}` must be a lowercase kebab-case word"))
        }
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

vocabulary! {
    /// Whether a kind of key is meant to stay private.
    Class {
        /// Grants access: never to be exposed.
        Secret = "secret",
        /// Public by design.
        Publishable = "publishable",
    }
}

vocabulary! {
    /// The mode a key belongs to, from its live/test marker.
    Environment {
        /// Production, real money or real users.
        Live = "live",
        /// Test or development mode.
        Test = "test",
        /// The key carries no marker.
        Unknown = "unknown",
    }
}

vocabulary! {
    /// What to do about a finding: the product's central answer.
    Verdict {
        /// A secret that has been exposed: rotate it.
        MustRotate = "must-rotate",
        /// A secret not yet exposed: keep it out of git and browsers.
        KeepPrivate = "keep-private",
        /// Public by design (or a published example): no action.
        PublicSafe = "public-safe",
    }
}

vocabulary! {
    /// How bad a finding is. Ordered from least to most severe, so `a >= b` reads naturally.
    Severity {
        /// Informational: public-safe keys.
        Info = "info",
        /// Worth a look: public-safe keys with a warning.
        Low = "low",
        /// Not yet exposed secrets.
        Medium = "medium",
        /// Exposed test-mode, webhook and other narrower secrets.
        High = "high",
        /// Exposed live secrets and anything in a client bundle.
        Critical = "critical",
    }
}

vocabulary! {
    /// Where a key was found, as far as exposure goes.
    Exposure {
        /// In a git object: history, stash or dangling.
        Committed = "committed",
        /// In a file git tracks.
        Tracked = "tracked",
        /// In a file git does not track and does not ignore.
        Untracked = "untracked",
        /// In a file git ignores (reported only with `--no-ignore`).
        Ignored = "ignored",
        /// In the index, about to be committed.
        Staged = "staged",
        /// Shipped to browsers: a public-prefixed variable or a built bundle.
        Client = "client",
        /// Outside any git repository, or read from stdin.
        Unknown = "unknown",
    }
}

vocabulary! {
    /// How the key's text was encoded where it was found.
    Encoding {
        /// As is.
        Plain = "plain",
        /// Inside a base64 value (Kubernetes `data:`, `*_B64` variables).
        Base64 = "base64",
        /// Inside a JSON or JavaScript string with escapes (`\/`, `\u005f`).
        Escaped = "escaped",
        /// In UTF-16 text.
        Utf16 = "utf-16",
    }
}

vocabulary! {
    /// What the provider said when asked whether a key still works (`--verify`).
    Liveness {
        /// The provider accepted the key: it works now.
        Live = "live",
        /// The provider rejected the key for certain (revoked, deleted or disabled).
        Revoked = "revoked",
        /// The question had no answer (timeout, rate limit, network error, an unexpected reply).
        Unknown = "unknown",
        /// leakscope has no read-only way to ask this provider about this key.
        NotVerifiable = "not-verifiable",
    }
}

vocabulary! {
    /// The `--fail-on` gate: findings at or above this severity fail the run.
    Gate {
        /// Only critical findings fail.
        Critical = "critical",
        /// High and critical.
        High = "high",
        /// Medium and above: any must-rotate or keep-private finding (the default).
        Medium = "medium",
        /// Also public-safe findings with a warning.
        Low = "low",
        /// Any finding.
        Info = "info",
        /// Never fail on findings (errors still exit 2).
        Never = "never",
    }
}

impl Gate {
    /// The severity the gate fails at; `None` never fails.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            Gate::Critical => Some(Severity::Critical),
            Gate::High => Some(Severity::High),
            Gate::Medium => Some(Severity::Medium),
            Gate::Low => Some(Severity::Low),
            Gate::Info => Some(Severity::Info),
            Gate::Never => None,
        }
    }
}
