//! Rules prove themselves: every example of a rule must give exactly one hit of that rule
//! through the whole matcher (prefilter included), with the example's environment; every
//! negative example must give none.

use super::Matcher;
use crate::rules::{Alone, RuleSet, unsplit};

/// Runs every rule's examples through the whole matcher, as users run them: the default
/// rules with the default matcher, each opt-in group's rules with that group enabled (so
/// that a generic rule's findings on another rule's look-alikes do not count against it).
/// Returns one line per failure.
pub fn check_examples(rules: &RuleSet) -> Result<(), Vec<String>> {
    let ids = |group: Option<&str>| -> Vec<String> {
        rules
            .rules
            .iter()
            .filter(|r| r.opt_in.as_deref() == group)
            .map(|r| r.id.clone())
            .collect()
    };
    let mut failures = Vec::new();
    let mut groups: Vec<Option<&str>> = rules.rules.iter().map(|r| r.opt_in.as_deref()).collect();
    groups.sort_unstable();
    groups.dedup();
    for group in groups {
        let opt_in: Vec<&str> = group.into_iter().collect();
        let matcher = Matcher::with_opt_in(rules.clone(), &opt_in);
        if let Err(f) = matcher.check_examples_of(&ids(group)) {
            failures.extend(f);
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

impl Matcher {
    /// [`check_examples`] for the rules with these ids (custom rules at load time).
    /// An identifier that is never reported alone proves itself through the secret it
    /// locates: its example must give one hit, of a rule paired with it.
    pub fn check_examples_of(&self, ids: &[String]) -> Result<(), Vec<String>> {
        let rules = self.rules();
        let mut failures = Vec::new();
        for (ri, rule) in rules.rules.iter().enumerate() {
            if !ids.contains(&rule.id) {
                continue;
            }
            let has_markers = rule.live.is_some() || rule.test.is_some();
            if rule.examples.is_empty() {
                failures.push(format!("{}: no examples", rule.id));
            }
            for ex in &rule.examples {
                let text = unsplit(&ex.text);
                let hits = self.scan(text.as_bytes()).hits;
                let found: Vec<&str> = hits
                    .iter()
                    .map(|h| rules.rules[h.rule].id.as_str())
                    .collect();
                let ok = match rule.alone {
                    Alone::Report => found == [rule.id.as_str()],
                    Alone::Drop => {
                        hits.len() == 1 && hits[0].paired.as_ref().is_some_and(|p| p.0 == ri)
                    }
                };
                if !ok {
                    failures.push(format!(
                        "{}: example {:?} gave {:?}",
                        rule.id, ex.text, found
                    ));
                    continue;
                }
                if rule.alone == Alone::Drop {
                    continue;
                }
                let env = rule.environment(&hits[0].secret);
                match ex.environment {
                    Some(want) if want != env => failures.push(format!(
                        "{}: example {:?} has environment {env}, expected {want}",
                        rule.id, ex.text
                    )),
                    None if has_markers => failures.push(format!(
                        "{}: example {:?} must state its environment",
                        rule.id, ex.text
                    )),
                    _ => {}
                }
            }
            for neg in &rule.negative_examples {
                let hits = self.scan(unsplit(neg.text()).as_bytes()).hits;
                let found: Vec<&str> = hits
                    .iter()
                    .map(|h| rules.rules[h.rule].id.as_str())
                    .collect();
                let want: Vec<&str> = neg.gives().into_iter().collect();
                if found != want {
                    failures.push(format!(
                        "{}: negative example {:?} gave {found:?}, expected {want:?}",
                        rule.id,
                        neg.text()
                    ));
                }
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures)
        }
    }
}
