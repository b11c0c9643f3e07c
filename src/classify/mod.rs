//! The classifier: where a verdict is decided.
//!
//! `verdict = f(class, environment, exposure, context)`, as in the table of `design.md`:
//! published examples and publishable keys are `public-safe`; a secret that has been exposed
//! (committed, tracked, shipped to browsers, or somewhere exposure cannot be known) is
//! `must-rotate`; a secret not yet exposed (staged, untracked, ignored) is `keep-private`.
//! Warnings ride on the findings they concern. Nothing here words a message: findings carry
//! facts ([`Action`], [`Reason`], [`Warning`]) that `report::words` renders.

pub mod context;

pub use context::{ALLOW_MARKER, HitFacts, PUBLIC_PREFIXES, TextFacts};

use crate::finding::{Action, Finding, Reason, Secret, Suppression, SuppressionKind, Warning};
use crate::matcher::{Decision, Hit};
use crate::rules::RuleSet;
use crate::vocab::{Class, Environment, Exposure, Severity, Verdict};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// A text's hits and what the text says about them: everything classification needs that does
/// not depend on where the text sits.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Hits, in offset order.
    pub hits: Vec<Hit>,
    /// What the text says about each hit.
    pub facts: TextFacts,
}

impl Analysis {
    /// Analyses the hits of `text`; `binary` content gets no snippets.
    pub fn new(rules: &RuleSet, text: &[u8], hits: Vec<Hit>, binary: bool) -> Analysis {
        let facts = context::text_facts(rules, text, &hits, binary);
        Analysis { hits, facts }
    }
}

/// Where a text sits, as far as classification goes.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    /// Display path, `/`-separated.
    pub path: &'a str,
    /// Exposure of the file as a whole (tracked, untracked, committed, …).
    pub exposure: Exposure,
}

/// Whether an inline allow (`leakscope:allow [RULE_ID] [reason]`) applies to `rule_id`, and
/// its justification.
pub fn allow_applies(tail: &str, rule_id: &str, rules: &RuleSet) -> Option<String> {
    let mut words = tail.splitn(2, char::is_whitespace);
    let first = words.next().unwrap_or("");
    if rules.get(first).is_some()
        || first.contains('-')
            && first
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        if first != rule_id {
            return None;
        }
        let reason = words.next().unwrap_or("").trim();
        return Some(if reason.is_empty() {
            format!("{ALLOW_MARKER} {rule_id}")
        } else {
            reason.to_string()
        });
    }
    Some(if tail.is_empty() {
        ALLOW_MARKER.to_string()
    } else {
        tail.to_string()
    })
}

/// The verdict and severity of a key, from its class, environment and exposure.
pub fn verdict(
    class: Class,
    environment: Environment,
    exposure: Exposure,
    published: bool,
    has_warnings: bool,
    rule_severity: Severity,
) -> (Verdict, Severity) {
    if published || class == Class::Publishable {
        let severity = if has_warnings {
            Severity::Low
        } else {
            Severity::Info
        };
        return (Verdict::PublicSafe, severity);
    }
    match exposure {
        Exposure::Staged | Exposure::Untracked | Exposure::Ignored => {
            (Verdict::KeepPrivate, Severity::Medium)
        }
        Exposure::Client => (Verdict::MustRotate, Severity::Critical),
        Exposure::Committed | Exposure::Tracked | Exposure::Unknown => {
            let severity = if environment == Environment::Test {
                Severity::High.min(rule_severity)
            } else {
                rule_severity
            };
            (Verdict::MustRotate, severity)
        }
    }
}

/// What the classifier asks for, from the verdict and where the key sits.
fn action(verdict: Verdict, exposure: Exposure, published: bool) -> Action {
    match (verdict, exposure) {
        (Verdict::PublicSafe, _) if published => Action::PublishedExample,
        (Verdict::PublicSafe, _) => Action::NoneNeeded,
        (Verdict::KeepPrivate, Exposure::Staged) => Action::KeepStaged,
        (Verdict::KeepPrivate, Exposure::Ignored) => Action::KeepIgnored,
        (Verdict::KeepPrivate, _) => Action::KeepUntracked,
        (Verdict::MustRotate, Exposure::Client) => Action::RotateClient,
        (Verdict::MustRotate, Exposure::Tracked) => Action::RotateTracked,
        (Verdict::MustRotate, Exposure::Committed) => Action::RotateCommitted,
        (Verdict::MustRotate, _) => Action::RotateUnknown,
    }
}

/// Turns the hits of one analysed text into findings, for the text at `origin`.
pub fn classify(rules: &RuleSet, analysis: &Analysis, origin: Origin<'_>) -> Vec<Finding> {
    let hits = &analysis.hits;
    if hits.is_empty() {
        return Vec::new();
    }
    crate::work::add(&crate::work::CLASSIFICATIONS, hits.len());
    let facts = &analysis.facts;
    let bundle = context::is_bundle(origin.path, facts.minified);
    let prod = context::is_production_path(origin.path);
    let envs: Vec<Environment> = hits
        .iter()
        .map(|h| rules.rules[h.rule].environment(&h.secret))
        .collect();
    // Which environments each provider has in this text, for mixed-environment warnings.
    let mut provider_envs: HashMap<usize, (bool, bool)> = HashMap::new();
    for (h, e) in hits.iter().zip(&envs) {
        let slot = provider_envs
            .entry(rules.rules[h.rule].provider)
            .or_default();
        slot.0 |= *e == Environment::Live;
        slot.1 |= *e == Environment::Test;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut out = Vec::with_capacity(hits.len());
    for (i, hit) in hits.iter().enumerate() {
        let rule = &rules.rules[hit.rule];
        let provider = rules.provider(rule);
        let environment = envs[i];
        let secret = Secret::new(&hit.secret);
        let redacted = context::redacted(rules, hit);
        let hf = &facts.hits[i];

        let client = rule.class == Class::Secret && (bundle || hf.public_variable.is_some());
        let exposure = if client {
            Exposure::Client
        } else {
            origin.exposure
        };

        let mut warnings = Vec::new();
        if let Some(source) = &hit.published {
            warnings.push(Warning::PublishedExample {
                source: source.clone(),
            });
        }
        if rule.class == Class::Secret
            && let Some(variable) = &hf.public_variable
        {
            warnings.push(Warning::SecretInPublicVariable {
                variable: variable.clone(),
            });
        }
        if environment == Environment::Test && prod {
            warnings.push(Warning::TestKeyInProductionConfig {
                provider: provider.display.clone(),
            });
        }
        let (live, test) = provider_envs
            .get(&rule.provider)
            .copied()
            .unwrap_or_default();
        let mixed = match environment {
            Environment::Live => test,
            Environment::Test => live,
            Environment::Unknown => false,
        };
        if mixed {
            warnings.push(Warning::MixedLiveAndTest {
                provider: provider.display.clone(),
            });
        }
        for w in &rule.warnings {
            warnings.push(Warning::Declared {
                code: w.code.clone(),
                message: w.message.clone(),
            });
        }
        // Reasons a secret is less urgent; none takes it below medium.
        let mut lowered = false;
        if hit.validated.encrypted {
            warnings.push(Warning::EncryptedPrivateKey);
            lowered = true;
        }
        if let Some(t) = &hit.validated.token {
            if let Some(exp) = t.exp.filter(|_| t.expired(now)) {
                warnings.push(Warning::ExpiredToken { exp });
                lowered = true;
            }
            if t.unsigned() {
                warnings.push(Warning::UnsignedToken);
                lowered = true;
            }
        }
        warnings.sort_by(|a, b| a.code().cmp(b.code()));

        let (verdict, mut severity) = verdict(
            rule.class,
            environment,
            exposure,
            hit.published.is_some(),
            !warnings.is_empty(),
            rule.severity,
        );
        if let (Verdict::MustRotate, Some(s)) = (verdict, rule.severity_override) {
            severity = s;
        }
        if lowered && verdict == Verdict::MustRotate {
            severity = Severity::Medium;
        }

        let mut runbooks = vec![rule.runbook.clone()];
        if let Some(rb) = &provider.production_runbook
            && warnings
                .iter()
                .any(|w| matches!(w, Warning::TestKeyInProductionConfig { .. }))
        {
            runbooks.push(rb.clone());
        }
        let mut alternatives = Vec::new();
        for &a in &hit.alternatives {
            let alt = &rules.rules[a];
            if !runbooks.contains(&alt.runbook) {
                runbooks.push(alt.runbook.clone());
            }
            let p = rules.provider(alt).id.clone();
            if p != provider.id && !alternatives.contains(&p) {
                alternatives.push(p);
            }
        }
        let mut reasons = Vec::new();
        if hit.decision == Decision::Likely && !hit.alternatives.is_empty() {
            reasons.push(Reason::ProviderGuess {
                others: hit
                    .alternatives
                    .iter()
                    .map(|&a| rules.rules[a].name.clone())
                    .collect(),
            });
        }

        let suppressions = hf
            .allow
            .as_deref()
            .and_then(|tail| allow_applies(tail, &rule.id, rules))
            .map(|justification| Suppression {
                kind: SuppressionKind::InSource,
                justification,
                proposed: false,
            })
            .into_iter()
            .collect();
        let account = rule.account.as_ref().and_then(|re| {
            let caps = re.get().captures(&hit.secret)?;
            let m = caps.get(1)?;
            let mut h = Sha256::new();
            h.update(provider.id.as_bytes());
            h.update(b"\0account\0");
            h.update(m.as_bytes());
            Some(crate::finding::hex(&h.finalize()[..8]))
        });
        out.push(Finding {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            provider: provider.id.clone(),
            provider_display: provider.display.clone(),
            kind: rule.kind.clone(),
            class: rule.class,
            environment,
            verdict,
            severity,
            exposure,
            path: origin.path.to_string(),
            location: hf.location,
            snippet: hf.snippet.clone(),
            secret_sha256: secret.sha256(),
            fingerprint: secret.fingerprint(&rule.id),
            location_fingerprint: secret.location_fingerprint(&rule.id, origin.path),
            secret,
            redacted,
            encoding: hit.encoding,
            warnings,
            action: action(verdict, exposure, hit.published.is_some()),
            reasons,
            runbooks,
            alternatives,
            project: hit.validated.project.clone(),
            paired: hit.paired.as_ref().map(|(r, id)| {
                let rule = &rules.rules[*r];
                let lit = rule
                    .prefixes
                    .iter()
                    .find(|p| id.starts_with(p.as_bytes()))
                    .map_or("", |p| p.as_str());
                Secret::new(id).redacted(lit, false)
            }),
            paired_key: hit.paired.as_ref().map(|(_, id)| Secret::new(id)),
            token: hit.validated.token.clone(),
            published: hit.published.clone(),
            account,
            provenance: None,
            suppressions,
            verification: None,
            repository: None,
        });
    }
    out
}

/// The findings of one analysed text at one place, looked up by secret: a git blob's hits are
/// classified once per path, however many secrets are then placed.
pub struct BySecret {
    findings: Vec<Finding>,
    index: HashMap<Vec<u8>, usize>,
}

impl BySecret {
    /// Classifies `analysis` at `origin` and indexes the findings by secret (the first hit of
    /// each secret).
    pub fn new(rules: &RuleSet, analysis: &Analysis, origin: Origin<'_>) -> BySecret {
        let findings = classify(rules, analysis, origin);
        let mut index = HashMap::with_capacity(findings.len());
        for (i, h) in analysis.hits.iter().enumerate() {
            index.entry(h.secret.clone()).or_insert(i);
        }
        BySecret { findings, index }
    }

    /// The finding of `secret`, if the text holds it.
    pub fn get(&self, secret: &[u8]) -> Option<&Finding> {
        self.index.get(secret).map(|&i| &self.findings[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_table() {
        use Class::*;
        use Exposure as E;
        let v = |c, env, e, pubx| verdict(c, env, e, pubx, false, Severity::Critical);
        assert_eq!(
            v(Publishable, Environment::Live, E::Tracked, false),
            (Verdict::PublicSafe, Severity::Info)
        );
        assert_eq!(
            v(Secret, Environment::Live, E::Tracked, true),
            (Verdict::PublicSafe, Severity::Info)
        );
        assert_eq!(
            v(Secret, Environment::Live, E::Committed, false),
            (Verdict::MustRotate, Severity::Critical)
        );
        assert_eq!(
            v(Secret, Environment::Test, E::Tracked, false),
            (Verdict::MustRotate, Severity::High)
        );
        assert_eq!(
            v(Secret, Environment::Test, E::Client, false),
            (Verdict::MustRotate, Severity::Critical)
        );
        assert_eq!(
            v(Secret, Environment::Live, E::Unknown, false),
            (Verdict::MustRotate, Severity::Critical)
        );
        for e in [E::Staged, E::Untracked, E::Ignored] {
            assert_eq!(
                v(Secret, Environment::Live, e, false),
                (Verdict::KeepPrivate, Severity::Medium)
            );
        }
        assert_eq!(
            verdict(
                Publishable,
                Environment::Test,
                E::Tracked,
                false,
                true,
                Severity::Info
            ),
            (Verdict::PublicSafe, Severity::Low)
        );
    }
}
