//! Rotation runbooks as data: `rules/runbooks/*.toml`, one per key kind, each a list of steps
//! in the order create → deploy everywhere → verify → revoke → audit, plus the provider's
//! traps. Rendered as Markdown for `explain`, SARIF `help.markdown` and the incident report.

use crate::rules::RuleError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The built-in runbook files, embedded in the binary.
pub const BUILTIN_RUNBOOK_FILES: &[(&str, &str)] = &[
    (
        "clerk-secret-key.toml",
        include_str!("../rules/runbooks/clerk-secret-key.toml"),
    ),
    (
        "clerk-webhook-secret.toml",
        include_str!("../rules/runbooks/clerk-webhook-secret.toml"),
    ),
    (
        "general.toml",
        include_str!("../rules/runbooks/general.toml"),
    ),
    (
        "google-oauth-client-secret.toml",
        include_str!("../rules/runbooks/google-oauth-client-secret.toml"),
    ),
    (
        "highnote-api-key.toml",
        include_str!("../rules/runbooks/highnote-api-key.toml"),
    ),
    (
        "publishable-key.toml",
        include_str!("../rules/runbooks/publishable-key.toml"),
    ),
    (
        "resend-api-key.toml",
        include_str!("../rules/runbooks/resend-api-key.toml"),
    ),
    (
        "resend-webhook-secret.toml",
        include_str!("../rules/runbooks/resend-webhook-secret.toml"),
    ),
    (
        "stripe-restricted-key.toml",
        include_str!("../rules/runbooks/stripe-restricted-key.toml"),
    ),
    (
        "stripe-secret-key.toml",
        include_str!("../rules/runbooks/stripe-secret-key.toml"),
    ),
    (
        "stripe-webhook-secret.toml",
        include_str!("../rules/runbooks/stripe-webhook-secret.toml"),
    ),
    (
        "supabase-access-token.toml",
        include_str!("../rules/runbooks/supabase-access-token.toml"),
    ),
    (
        "supabase-legacy-jwt.toml",
        include_str!("../rules/runbooks/supabase-legacy-jwt.toml"),
    ),
    (
        "supabase-secret-key.toml",
        include_str!("../rules/runbooks/supabase-secret-key.toml"),
    ),
];

/// The id of the runbook whose facts hold for every secret.
pub const GENERAL: &str = "general";

/// The phases of a rotation, in the order they must happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Make the replacement while the old key still works.
    Create,
    /// Put the replacement everywhere the key is read.
    Deploy,
    /// Prove the replacement serves traffic.
    Verify,
    /// Kill the old key.
    Revoke,
    /// Look for what the old key was used for, and close the leak.
    Audit,
}

impl Phase {
    /// The phase's name in runbooks.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Create => "Create",
            Phase::Deploy => "Deploy everywhere",
            Phase::Verify => "Verify",
            Phase::Revoke => "Revoke",
            Phase::Audit => "Audit",
        }
    }
}

/// One step of a runbook.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Which phase it belongs to.
    pub phase: Phase,
    /// What to do (Markdown).
    pub text: String,
}

/// How to rotate one kind of key.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    /// Stable id, named by rules' `runbook` field.
    pub id: String,
    /// Heading.
    pub title: String,
    /// What the key can do and the shape of the rotation.
    pub summary: String,
    /// For keys that need no rotation: why.
    #[serde(default)]
    pub no_action: Option<String>,
    /// The steps, in phase order.
    pub steps: Vec<Step>,
    /// Provider-specific traps.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// All runbooks by id.
#[derive(Clone, Debug)]
pub struct Runbooks {
    by_id: BTreeMap<String, Runbook>,
}

impl Runbooks {
    /// The built-in runbooks, checked: ids unique and matching file names, steps in phase
    /// order, every phase present unless the runbook says no action is needed.
    pub fn builtin() -> Result<Runbooks, RuleError> {
        let mut by_id = BTreeMap::new();
        for (file, text) in BUILTIN_RUNBOOK_FILES {
            let rb: Runbook = toml::from_str(text).map_err(|e| RuleError::Parse {
                file: format!("runbooks/{file}"),
                message: e.to_string().trim_end().to_string(),
            })?;
            let invalid = |message: String| RuleError::Invalid {
                file: format!("runbooks/{file}"),
                rule: rb.id.clone(),
                message,
            };
            if file.strip_suffix(".toml") != Some(rb.id.as_str()) {
                return Err(invalid("the id must match the file name".into()));
            }
            if !rb.steps.windows(2).all(|w| w[0].phase <= w[1].phase) {
                return Err(invalid(
                    "steps must follow create, deploy, verify, revoke, audit".into(),
                ));
            }
            if rb.no_action.is_none() {
                for phase in [
                    Phase::Create,
                    Phase::Deploy,
                    Phase::Verify,
                    Phase::Revoke,
                    Phase::Audit,
                ] {
                    if !rb.steps.iter().any(|s| s.phase == phase) {
                        return Err(invalid(format!("no `{}` step", phase.label())));
                    }
                }
            }
            by_id.insert(rb.id.clone(), rb);
        }
        if !by_id.contains_key(GENERAL) {
            return Err(RuleError::Parse {
                file: "runbooks".into(),
                message: "the general runbook is missing".into(),
            });
        }
        Ok(Runbooks { by_id })
    }

    /// A runbook by id.
    pub fn get(&self, id: &str) -> Option<&Runbook> {
        self.by_id.get(id)
    }

    /// The facts that hold for every secret.
    pub fn general(&self) -> &Runbook {
        &self.by_id[GENERAL]
    }

    /// Every runbook, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Runbook> {
        self.by_id.values()
    }

    /// The runbook as Markdown: summary, numbered steps, provider notes, and for secrets the
    /// steps that hold whatever the provider. `level` is the heading level of the title.
    pub fn markdown(&self, id: &str, level: usize) -> String {
        let Some(rb) = self.get(id) else {
            return String::new();
        };
        let h = "#".repeat(level.max(1));
        let mut md = format!("{h} {}\n\n{}\n\n", rb.title, rb.summary);
        if let Some(why) = &rb.no_action {
            let _ = writeln!(md, "**No action needed.** {why}\n");
        }
        for (i, s) in rb.steps.iter().enumerate() {
            let _ = writeln!(md, "{}. **{}.** {}", i + 1, s.phase.label(), s.text);
        }
        if !rb.steps.is_empty() {
            md.push('\n');
        }
        if !rb.notes.is_empty() {
            md.push_str("**Provider notes**\n\n");
            for n in &rb.notes {
                let _ = writeln!(md, "- {n}");
            }
            md.push('\n');
        }
        if rb.no_action.is_none() && id != GENERAL {
            let g = self.general();
            let _ = writeln!(md, "**{}.** {}\n", g.title, g.summary);
            for s in &g.steps {
                let _ = writeln!(md, "- **{}.** {}", s.phase.label(), s.text);
            }
            for n in &g.notes {
                let _ = writeln!(md, "- {n}");
            }
            md.push('\n');
        }
        md.trim_end().to_string() + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runbook_file_on_disk_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/runbooks");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("runbooks dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = BUILTIN_RUNBOOK_FILES.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn builtin_runbooks_load_in_phase_order() {
        let rb = Runbooks::builtin().expect("runbooks load");
        assert!(rb.get("stripe-secret-key").is_some());
        let md = rb.markdown("stripe-secret-key", 2);
        assert!(md.starts_with("## Roll a Stripe secret key"), "{md}");
        let order: Vec<usize> = [
            "**Create.**",
            "**Deploy everywhere.**",
            "**Verify.**",
            "**Revoke.**",
            "**Audit.**",
        ]
        .iter()
        .map(|p| md.find(p).unwrap_or_else(|| panic!("{p} missing")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    }
}

#[cfg(test)]
mod facts {
    use super::*;
    use crate::rules::RuleSet;

    /// Each runbook must state its provider's own facts, so that a generic template cannot
    /// pass: (runbook, phrases that must appear, case-insensitive).
    const REQUIRED: &[(&str, &[&str])] = &[
        (
            "supabase-legacy-jwt",
            &[
                "migrate",
                "rotate the jwt secret now",
                "signs out every user",
                "invalidates both keys, the anon key included",
                "sb_publishable_",
                "sb_secret_",
                "disable the legacy",
                "being abused",
            ],
        ),
        (
            "stripe-secret-key",
            &[
                "expiry window",
                "whsec_",
                "as a pair",
                "stripe_webhook_secret",
                "test webhook event",
                "400",
                "restricted keys",
            ],
        ),
        (
            "stripe-restricted-key",
            &[
                "expiry window",
                "permissions",
                "webhook signing secret is separate",
            ],
        ),
        (
            "stripe-webhook-secret",
            &[
                "stripe_webhook_secret",
                "send a test event",
                "http 400",
                "as a pair",
            ],
        ),
        (
            "clerk-secret-key",
            &[
                "several keys can be active",
                "clerk_secret_key",
                "redeploy",
                "backend api",
                "delete the old key",
                "development and production instances are independent",
                "separate applications",
                "webhook signing secret",
            ],
        ),
        (
            "clerk-webhook-secret",
            &["svix", "webhooks", "separate from clerk's api keys"],
        ),
        (
            "resend-api-key",
            &[
                "cannot be viewed or edited",
                "sending access",
                "one domain",
                "send a test email",
                "delete the old key",
                "several keys can be active",
            ],
        ),
        ("resend-webhook-secret", &["svix", "resend_webhook_secret"]),
        (
            "supabase-secret-key",
            &[
                "row level security",
                "create a new secret key",
                "delete the old secret key",
                "sessions are not affected",
            ],
        ),
        (
            "supabase-access-token",
            &["revoke the leaked token", "every project"],
        ),
        (
            "google-oauth-client-secret",
            &[
                "add a new secret",
                "delete the old secret",
                "own oauth client",
            ],
        ),
        ("highnote-api-key", &["not a stripe key"]),
        (
            "publishable-key",
            &[
                "no action needed",
                "public by design",
                "pk_test_",
                "in production configuration",
            ],
        ),
        (
            "general",
            &[
                "vercel",
                "new deployments",
                "restart",
                "rewrite history",
                "force-push",
                "re-clone",
                "rotate anyway",
                "provider's logs",
                "prove the old key is dead",
                "cwe-330",
                "revoke **first**",
                "abused right now",
            ],
        ),
    ];

    #[test]
    fn every_rule_has_a_runbook() {
        let rules = RuleSet::builtin().unwrap();
        let rb = Runbooks::builtin().unwrap();
        for r in &rules.rules {
            assert!(
                rb.get(&r.runbook).is_some(),
                "{} names missing runbook {}",
                r.id,
                r.runbook
            );
        }
    }

    #[test]
    fn every_runbook_states_its_providers_facts() {
        let rb = Runbooks::builtin().unwrap();
        for (id, phrases) in REQUIRED {
            let md = rb.markdown(id, 2).to_lowercase();
            for p in *phrases {
                assert!(
                    md.contains(&p.to_lowercase()),
                    "runbook {id} must say {p:?}"
                );
            }
        }
        let listed: Vec<&str> = REQUIRED.iter().map(|r| r.0).collect();
        for r in rb.iter() {
            assert!(
                listed.contains(&r.id.as_str()),
                "runbook {} has no required facts",
                r.id
            );
        }
    }

    #[test]
    fn secret_runbooks_follow_the_order_and_carry_the_general_steps() {
        let rb = Runbooks::builtin().unwrap();
        for r in rb
            .iter()
            .filter(|r| r.no_action.is_none() && r.id != GENERAL)
        {
            let phases: Vec<Phase> = r.steps.iter().map(|s| s.phase).collect();
            let mut sorted = phases.clone();
            sorted.sort();
            assert_eq!(phases, sorted, "{}", r.id);
            let md = rb.markdown(&r.id, 2);
            assert!(md.contains("Whatever the provider"), "{}", r.id);
        }
    }
}
