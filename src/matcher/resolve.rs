//! Choosing one rule where several match the same key: `sk_live_` is Stripe's and Clerk's,
//! `whsec_` is Stripe's and Svix's (Clerk, Resend), a JWT is Supabase's or anybody's.
//!
//! A provider's rule beats a generic (`fallback`) one, a generic format a container, and a rule whose `near` condition held
//! beats one without. Then the design's order: the key's own shape first (a rule whose
//! `shape` fits), then the variable name on the key's line, then the file (a provider's
//! markers, or another key of the provider that needed no guess), and when nothing settles
//! it, the likelier provider (the higher `priority`), with the others kept as alternatives.
//! Last, a secret absorbs the identifier it pairs with (an AWS key id beside its secret is
//! one finding), and identifiers that are never reported alone are dropped.

use super::Hit;
use crate::rules::{Alone, RuleSet};
use serde::Serialize;

/// How a hit's rule was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Only one rule matched.
    Only,
    /// The key's shape fits only this rule.
    Shape,
    /// The variable name on the key's line names the provider.
    Name,
    /// The file names the provider, or holds another of its keys.
    File,
    /// Nothing settled it: the likelier provider, with alternatives.
    Likely,
}

/// How far back on a key's line its variable name is looked for.
const LINE_CONTEXT: usize = 120;

/// Resolves groups of hits that start at the same offset to one hit each, and drops hits that
/// start inside an earlier key. Returns hits ordered by offset.
pub fn resolve(mut raw: Vec<Hit>, hay: &[u8], rules: &RuleSet) -> Vec<Hit> {
    raw.sort_by(|a, b| {
        (a.start, a.end, a.rule, &a.secret).cmp(&(b.start, b.end, b.rule, &b.secret))
    });
    raw.dedup_by(|a, b| {
        a.start == b.start && a.end == b.end && a.rule == b.rule && a.secret == b.secret
    });
    raw.sort_by_key(|h| (h.start, h.rule));
    let mut groups: Vec<Vec<Hit>> = Vec::new();
    for h in raw {
        match groups.last_mut() {
            Some(g) if g[0].start == h.start && !same_key_twice(g, &h) => g.push(h),
            _ => groups.push(vec![h]),
        }
    }
    for g in &mut groups {
        narrow(g, rules);
    }
    // First pass: groups settled without context; their providers are evidence for the rest.
    let mut out: Vec<Option<Hit>> = Vec::with_capacity(groups.len());
    let mut known: Vec<usize> = Vec::new();
    for g in &mut groups {
        let settled = settle_alone(g, rules);
        if let Some(h) = &settled {
            known.push(rules.rules[h.rule].provider);
        }
        out.push(settled);
    }
    let mut files = FileContext::default();
    let mut hits: Vec<Hit> = groups
        .into_iter()
        .zip(out)
        .map(|(g, settled)| {
            settled.unwrap_or_else(|| settle_by_context(g, hay, rules, &known, &mut files))
        })
        .collect();
    hits.sort_by_key(|h| (h.start, h.rule));
    // A generic rule's hit gives way to any less generic hit it overlaps.
    let levels: Vec<(usize, usize, u8)> = hits
        .iter()
        .map(|h| (h.start, h.end, rules.rules[h.rule].fallback))
        .collect();
    hits.retain(|h| {
        let level = rules.rules[h.rule].fallback;
        level == 0 || {
            let i = levels.partition_point(|s| s.0 < h.end);
            !levels[..i]
                .iter()
                .rev()
                .take(64)
                .any(|s| s.1 > h.start && s.2 < level)
        }
    });
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        if kept
            .last()
            .is_some_and(|k| h.start > k.start && h.start < k.end)
        {
            continue;
        }
        kept.push(h);
    }
    absorb_pairs(&mut kept, rules);
    kept.retain(|h| rules.rules[h.rule].alone == Alone::Report);
    kept
}

/// Keeps a group's provider rules over generic ones, and rules whose `near` condition held
/// over rules without one.
fn narrow(group: &mut Vec<Hit>, rules: &RuleSet) {
    if group.len() < 2 {
        return;
    }
    if let Some(least) = group.iter().map(|h| rules.rules[h.rule].fallback).min() {
        group.retain(|h| rules.rules[h.rule].fallback == least);
    }
    if group.iter().any(|h| rules.rules[h.rule].near.is_some()) {
        group.retain(|h| rules.rules[h.rule].near.is_some());
    }
}

/// Folds each identifier into the nearest secret that pairs with it (the secret's hit keeps
/// the identifier as `paired`); the identifier's own hit goes.
fn absorb_pairs(hits: &mut Vec<Hit>, rules: &RuleSet) {
    let mut absorbed = vec![false; hits.len()];
    for i in 0..hits.len() {
        let Some(pair) = &rules.rules[hits[i].rule].pair else {
            continue;
        };
        let (s, e) = (hits[i].start, hits[i].end);
        let dist = |h: &Hit| {
            if h.start >= e {
                h.start - e
            } else {
                s.saturating_sub(h.end)
            }
        };
        let best = (0..hits.len())
            .filter(|&j| j != i && !absorbed[j] && rules.rules[hits[j].rule].id == pair.rule)
            .filter(|&j| dist(&hits[j]) <= pair.within)
            .min_by_key(|&j| dist(&hits[j]));
        if let Some(j) = best {
            absorbed[j] = true;
            let id = (hits[j].rule, hits[j].secret.clone());
            hits[i].paired = Some(id);
        }
    }
    let mut k = 0;
    hits.retain(|_| {
        k += 1;
        !absorbed[k - 1]
    });
}

/// Hits of one base64 run share a start but are different keys.
fn same_key_twice(group: &[Hit], h: &Hit) -> bool {
    group
        .iter()
        .any(|g| g.rule == h.rule && g.secret != h.secret)
}

/// A group of one, or a group where exactly one rule's shape fits.
fn settle_alone(group: &mut Vec<Hit>, rules: &RuleSet) -> Option<Hit> {
    if group.len() == 1 {
        return group.pop();
    }
    let strong: Vec<usize> = (0..group.len())
        .filter(|&i| {
            let h = &group[i];
            rules.rules[h.rule]
                .shape
                .as_ref()
                .is_some_and(|s| s.get().is_match(&h.secret))
        })
        .collect();
    match strong.as_slice() {
        [one] => {
            let mut h = group.swap_remove(*one);
            h.decision = Decision::Shape;
            Some(h)
        }
        [] => None,
        _ => {
            // Several shapes fit: only they stay in the running.
            let mut i = 0;
            group.retain(|_| {
                let keep = strong.contains(&i);
                i += 1;
                keep
            });
            None
        }
    }
}

/// Which providers' markers a text holds, looked up once per provider.
#[derive(Default)]
struct FileContext {
    seen: std::collections::HashMap<usize, bool>,
}

impl FileContext {
    fn names(&mut self, hay: &[u8], rules: &RuleSet, p: usize) -> bool {
        *self.seen.entry(p).or_insert_with(|| {
            rules.providers[p]
                .file_context
                .iter()
                .any(|m| memchr::memmem::find(hay, m.as_bytes()).is_some())
        })
    }
}

fn settle_by_context(
    mut group: Vec<Hit>,
    hay: &[u8],
    rules: &RuleSet,
    known: &[usize],
    files: &mut FileContext,
) -> Hit {
    let provider_of = |h: &Hit| rules.rules[h.rule].provider;
    let start = group[0].start;
    let line_start = memchr::memrchr(b'\n', &hay[start.saturating_sub(LINE_CONTEXT)..start])
        .map(|i| start.saturating_sub(LINE_CONTEXT) + i + 1)
        .unwrap_or(start.saturating_sub(LINE_CONTEXT));
    let name = hay[line_start..start].to_ascii_lowercase();
    let by_name = |h: &Hit| {
        rules.providers[provider_of(h)]
            .line_context
            .iter()
            .any(|w| memchr::memmem::find(&name, w.as_bytes()).is_some())
    };
    let named_by_file: Vec<usize> = group
        .iter()
        .map(provider_of)
        .filter(|&p| known.contains(&p) || files.names(hay, rules, p))
        .collect();
    let by_file = |h: &Hit| named_by_file.contains(&provider_of(h));
    for (test, decision) in [
        (&by_name as &dyn Fn(&Hit) -> bool, Decision::Name),
        (&by_file, Decision::File),
    ] {
        let mut providers: Vec<usize> = group.iter().filter(|h| test(h)).map(provider_of).collect();
        providers.dedup();
        if let [p] = providers.as_slice() {
            let i = best(&group, rules, |h| provider_of(h) == *p);
            let mut h = group.swap_remove(i);
            h.decision = decision;
            return h;
        }
    }
    let i = best(&group, rules, |_| true);
    let mut h = group.swap_remove(i);
    h.decision = Decision::Likely;
    let mut alternatives: Vec<usize> = group.iter().map(|g| g.rule).collect();
    alternatives.sort();
    alternatives.dedup();
    h.alternatives = alternatives;
    h
}

/// The candidate of highest provider priority (then longest, then first rule) among those
/// `eligible`.
fn best(group: &[Hit], rules: &RuleSet, eligible: impl Fn(&Hit) -> bool) -> usize {
    (0..group.len())
        .filter(|&i| eligible(&group[i]))
        .max_by_key(|&i| {
            let h = &group[i];
            let prio = rules.providers[rules.rules[h.rule].provider].priority;
            (prio, h.end, std::cmp::Reverse(h.rule))
        })
        .unwrap_or(0)
}
