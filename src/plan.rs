//! The rotation plan, as data: every distinct secret, most urgent first; the must-rotate ones
//! grouped into steps of keys that rotate together (a Stripe secret key and the webhook secret
//! beside it; the legacy Supabase keys of one project, which share one JWT secret), each step
//! with the runbooks that apply; the keys to keep private and those that need nothing.
//!
//! Built after classification, suppression and the baseline, from the findings alone: no
//! secret's text is read here. JSON and SARIF carry the plan; the Markdown report renders it.

use crate::finding::{Finding, Provenance};
use crate::outcome::Outcome;
use crate::vocab::{Exposure, Kind, Severity, Verdict};
use std::collections::{BTreeMap, BTreeSet};

/// One distinct secret (by SHA-256) and the findings of it.
#[derive(Clone, Debug)]
pub struct PlanSecret {
    /// Indices of its findings in the outcome, in report order.
    pub findings: Vec<usize>,
    /// The worst verdict among them.
    pub verdict: Verdict,
    /// The highest severity among them.
    pub severity: Severity,
    /// How exposed it is, most exposed first (0: shipped to browsers).
    pub exposure_rank: u8,
    /// Every path it is or was at.
    pub paths: Vec<String>,
}

/// Why a step rotates several keys at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Together {
    /// Legacy keys signed by one project JWT secret: one rotation covers them all.
    SharedJwtSecret,
    /// An API key and the webhook secret beside it.
    WebhookPair,
    /// Keys of one account, or in the same files.
    SameAccountOrFiles,
}

impl Together {
    /// A stable kebab-case word for machines.
    pub fn as_str(self) -> &'static str {
        match self {
            Together::SharedJwtSecret => "shared-jwt-secret",
            Together::WebhookPair => "webhook-pair",
            Together::SameAccountOrFiles => "same-account-or-files",
        }
    }
}

/// One step of the plan: keys rotated together.
#[derive(Clone, Debug)]
pub struct Step {
    /// Indices in [`Plan::secrets`], in priority order.
    pub secrets: Vec<usize>,
    /// Why they rotate together, when there are several.
    pub together: Option<Together>,
    /// Public keys that the rotation invalidates too (a legacy `anon` key of the project).
    pub also_affected: Vec<usize>,
    /// Runbook ids, in the order to read them.
    pub runbooks: Vec<String>,
}

/// The whole plan.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Distinct secrets, most urgent first (severity, exposure, date).
    pub secrets: Vec<PlanSecret>,
    /// Must-rotate secrets, grouped, in order.
    pub steps: Vec<Step>,
    /// Secrets not exposed yet (indices in `secrets`).
    pub keep_private: Vec<usize>,
    /// Public-safe secrets (indices in `secrets`).
    pub public: Vec<usize>,
}

impl PlanSecret {
    /// The first finding of the secret.
    pub fn first<'o>(&self, outcome: &'o Outcome) -> &'o Finding {
        &outcome.findings[self.findings[0]]
    }

    /// Its provenance, for git findings.
    pub fn provenance<'o>(&self, outcome: &'o Outcome) -> Option<&'o Provenance> {
        self.first(outcome).provenance.as_ref()
    }
}

fn exposure_rank(f: &Finding) -> u8 {
    let at_head = f.provenance.as_ref().is_some_and(|p| p.at_head);
    match f.exposure {
        Exposure::Client => 0,
        Exposure::Committed if at_head => 1,
        Exposure::Committed => 2,
        Exposure::Tracked => 3,
        Exposure::Unknown => 4,
        Exposure::Staged => 5,
        Exposure::Untracked => 6,
        Exposure::Ignored => 7,
    }
}

fn verdict_rank(v: Verdict) -> u8 {
    match v {
        Verdict::MustRotate => 0,
        Verdict::KeepPrivate => 1,
        Verdict::PublicSafe => 2,
    }
}

fn is_legacy_jwt(f: &Finding) -> bool {
    f.kind.is(Kind::ANON_JWT) || f.kind.is(Kind::SERVICE_ROLE_JWT)
}

/// Builds the plan from the unsuppressed findings of `outcome`.
pub fn build(outcome: &Outcome) -> Plan {
    let mut by_sha: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in outcome.findings.iter().enumerate() {
        if !f.suppressed() {
            by_sha.entry(f.secret_sha256.as_str()).or_default().push(i);
        }
    }
    let mut secrets: Vec<PlanSecret> = by_sha
        .into_values()
        .map(|findings| {
            let fs: Vec<&Finding> = findings.iter().map(|&i| &outcome.findings[i]).collect();
            let mut paths: BTreeSet<String> = fs
                .iter()
                .filter(|f| !f.path.is_empty())
                .map(|f| f.display_path().into_owned())
                .collect();
            for f in &fs {
                if let Some(p) = &f.provenance {
                    paths.extend(p.paths.iter().map(|x| match &f.repository {
                        Some(r) => format!("{r}:{x}"),
                        None => x.clone(),
                    }));
                }
            }
            PlanSecret {
                verdict: fs
                    .iter()
                    .map(|f| f.verdict)
                    .min_by_key(|&v| verdict_rank(v))
                    .unwrap_or(Verdict::PublicSafe),
                severity: fs
                    .iter()
                    .map(|f| f.severity)
                    .max()
                    .unwrap_or(Severity::Info),
                exposure_rank: fs.iter().map(|f| exposure_rank(f)).min().unwrap_or(9),
                paths: paths.into_iter().collect(),
                findings,
            }
        })
        .collect();
    let key = |s: &PlanSecret| {
        let f = s.first(outcome);
        let date = f
            .provenance
            .as_ref()
            .and_then(|p| p.date.clone())
            .unwrap_or_default();
        // A key the provider says still works comes first (`--verify`); one it rejects, last.
        let live = s
            .findings
            .iter()
            .filter_map(|&i| outcome.findings[i].verification.as_ref())
            .map(|v| match v.liveness {
                crate::vocab::Liveness::Live => 0u8,
                crate::vocab::Liveness::Revoked => 2,
                _ => 1,
            })
            .min()
            .unwrap_or(1);
        (
            live,
            std::cmp::Reverse(s.severity),
            s.exposure_rank,
            date,
            f.redacted.clone(),
        )
    };
    secrets.sort_by_cached_key(key);

    let rotate: Vec<usize> = (0..secrets.len())
        .filter(|&i| secrets[i].verdict == Verdict::MustRotate)
        .collect();
    let groups = group(&secrets, &rotate, outcome);
    let steps = groups
        .into_iter()
        .map(|members| step(&secrets, members, outcome))
        .collect();
    let keep_private = (0..secrets.len())
        .filter(|&i| secrets[i].verdict == Verdict::KeepPrivate)
        .collect();
    let public = (0..secrets.len())
        .filter(|&i| secrets[i].verdict == Verdict::PublicSafe)
        .collect();
    Plan {
        secrets,
        steps,
        keep_private,
        public,
    }
}

/// Unions must-rotate secrets of one provider that share a file, an account, or (legacy
/// Supabase keys) a project. Groups come out in priority order.
fn group(secrets: &[PlanSecret], rotate: &[usize], outcome: &Outcome) -> Vec<Vec<usize>> {
    let n = rotate.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while p[r] != r {
            r = p[r];
        }
        let mut i = i;
        while p[i] != r {
            let next = p[i];
            p[i] = r;
            i = next;
        }
        r
    }
    let union = |p: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(p, a), find(p, b));
        p[ra.max(rb)] = ra.min(rb);
    };
    // Union by shared keys (provider + path, provider + account, provider + project for
    // legacy JWTs) instead of comparing every pair.
    let mut first_with: BTreeMap<(String, u8, String), usize> = BTreeMap::new();
    for (k, &si) in rotate.iter().enumerate() {
        let s = &secrets[si];
        let f = s.first(outcome);
        let mut keys: Vec<(String, u8, String)> = s
            .paths
            .iter()
            .map(|p| (f.provider.clone(), 0, p.clone()))
            .collect();
        if let Some(a) = &f.account {
            keys.push((f.provider.clone(), 1, a.clone()));
        }
        if is_legacy_jwt(f)
            && let Some(p) = &f.project
        {
            keys.push((f.provider.clone(), 2, p.clone()));
        }
        for key in keys {
            match first_with.get(&key) {
                Some(&other) => union(&mut parent, other, k),
                None => {
                    first_with.insert(key, k);
                }
            }
        }
    }
    let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, &si) in rotate.iter().enumerate() {
        let r = find(&mut parent, k);
        by_root.entry(r).or_default().push(si);
    }
    // `rotate` is in priority order, so each group's smallest index orders the groups.
    by_root.into_values().collect()
}

fn step(secrets: &[PlanSecret], members: Vec<usize>, outcome: &Outcome) -> Step {
    let firsts: Vec<&Finding> = members.iter().map(|&i| secrets[i].first(outcome)).collect();
    let together = (members.len() > 1).then(|| {
        if firsts.iter().all(|f| is_legacy_jwt(f)) {
            Together::SharedJwtSecret
        } else if firsts.iter().any(|f| f.kind.is(Kind::WEBHOOK_SECRET)) {
            Together::WebhookPair
        } else {
            Together::SameAccountOrFiles
        }
    });
    // A legacy JWT-secret rotation also invalidates the project's public anon keys.
    let projects: BTreeSet<&str> = firsts
        .iter()
        .filter(|f| f.kind.is(Kind::SERVICE_ROLE_JWT))
        .filter_map(|f| f.project.as_deref())
        .collect();
    let also_affected = (0..secrets.len())
        .filter(|&i| {
            let f = secrets[i].first(outcome);
            secrets[i].verdict == Verdict::PublicSafe
                && f.kind.is(Kind::ANON_JWT)
                && f.project.as_deref().is_some_and(|p| projects.contains(p))
        })
        .collect();
    let mut runbooks: Vec<String> = Vec::new();
    for f in &firsts {
        for r in &f.runbooks {
            if !runbooks.contains(r) {
                runbooks.push(r.clone());
            }
        }
    }
    Step {
        secrets: members,
        together,
        also_affected,
        runbooks,
    }
}
