//! Rotation runbooks as data: `rules/runbooks/*.toml`, one per key kind, each a list of steps
//! in the order create → deploy everywhere → verify → revoke → audit, plus the provider's
//! traps. Rendered as Markdown for `explain`, SARIF `help.markdown` and the incident report.

use crate::rules::{Provider, RuleError};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write;

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
    /// The phase's kebab-case word in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Create => "create",
            Phase::Deploy => "deploy",
            Phase::Verify => "verify",
            Phase::Revoke => "revoke",
            Phase::Audit => "audit",
        }
    }

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
    /// Where the provider documents what the steps say.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Where the provider's keys are managed.
    #[serde(default)]
    pub keys_page: Option<String>,
    /// Whether two keys can be active at once during a swap: `yes`, `no` or `unknown`.
    #[serde(default)]
    pub overlap: Option<String>,
    /// Phrases the rendered runbook must contain (checked by a test): the facts that keep a
    /// generic template from passing for a provider's runbook.
    #[serde(default)]
    pub facts: Vec<String>,
}

impl Runbook {
    /// Whether the runbook is a template filled in per provider.
    pub fn is_template(&self) -> bool {
        self.summary.contains("{provider}") || self.title.contains("{provider}")
    }
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
        for (file, text) in crate::rules::builtin::RUNBOOK_FILES {
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

    /// The runbook `id` for a key of `provider`: a template runbook (the one for providers
    /// without their own) gets the provider's name, key-management page and overlap filled
    /// in; `{provider}`, `{keys_page}` and `{overlap}` are its placeholders.
    pub fn resolve(&self, id: &str, provider: Option<&Provider>) -> Option<Cow<'_, Runbook>> {
        let rb = self.get(id)?;
        let Some(p) = provider.filter(|_| rb.is_template()) else {
            return Some(Cow::Borrowed(rb));
        };
        let keys_page = p.keys_page.clone().unwrap_or_else(|| {
            format!(
                "{}'s dashboard, where its credentials are managed",
                p.display
            )
        });
        let overlap = match p.overlap.as_deref() {
            Some("yes") => format!(
                "{} lets two credentials be active at once: create the new one first, switch over, then revoke the old one.",
                p.display
            ),
            Some("no") => format!(
                "{} keeps one credential active at a time: creating the new one revokes the old at once, so deploy it straight away, in a quiet hour.",
                p.display
            ),
            _ => format!(
                "Whether the old {} credential keeps working once a new one exists is not recorded here: check first, and if it stops at once, deploy straight away.",
                p.display
            ),
        };
        let fill = |t: &str| {
            t.replace("{provider}", &p.display)
                .replace("{keys_page}", &keys_page)
                .replace("{overlap}", &overlap)
        };
        let mut out = rb.clone();
        out.title = fill(&rb.title);
        out.summary = fill(&rb.summary);
        for s in &mut out.steps {
            s.text = fill(&s.text);
        }
        out.notes = rb.notes.iter().map(|n| fill(n)).collect();
        Some(Cow::Owned(out))
    }

    /// The runbook as Markdown: summary, numbered steps, provider notes, and for secrets the
    /// steps that hold whatever the provider. `level` is the heading level of the title.
    pub fn markdown(&self, id: &str, provider: Option<&Provider>, level: usize) -> String {
        let Some(rb) = self.resolve(id, provider) else {
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
        if !rb.sources.is_empty() {
            let _ = writeln!(md, "Sources: {}\n", rb.sources.join(", "));
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
    fn builtin_runbooks_load_in_phase_order() {
        let rb = Runbooks::builtin().expect("runbooks load");
        assert!(rb.get("stripe-secret-key").is_some());
        let md = rb.markdown("stripe-secret-key", None, 2);
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
        for p in &rules.providers {
            if let Some(id) = &p.production_runbook {
                assert!(rb.get(id).is_some(), "{} names missing runbook {id}", p.id);
            }
        }
    }

    /// Each runbook states its provider's own facts (its `facts` list), so that a generic
    /// template cannot pass for it.
    #[test]
    fn every_runbook_states_its_providers_facts() {
        let rb = Runbooks::builtin().unwrap();
        for r in rb.iter() {
            assert!(!r.facts.is_empty(), "runbook {} lists no facts", r.id);
            let md = rb.markdown(&r.id, None, 2).to_lowercase();
            for p in &r.facts {
                assert!(
                    md.contains(&p.to_lowercase()),
                    "runbook {} must say {p:?}",
                    r.id
                );
            }
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
            let md = rb.markdown(&r.id, None, 2);
            assert!(md.contains("Whatever the provider"), "{}", r.id);
        }
    }
}
