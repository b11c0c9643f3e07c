//! `leakscope rules` and `leakscope explain`: the rules and runbooks, for people and machines.

use crate::cli::ListFormat;
use crate::rules::{Rule, RuleSet};
use crate::runbook::Runbooks;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonRule<'a> {
    id: &'a str,
    name: &'a str,
    provider: &'a str,
    kind: crate::vocab::Kind,
    class: crate::vocab::Class,
    severity: crate::vocab::Severity,
    prefixes: &'a [String],
    keywords: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    opt_in: Option<&'a str>,
    pattern: &'a str,
    runbook: &'a str,
    description: &'a str,
}

fn sorted(rules: &RuleSet) -> Vec<&Rule> {
    let mut v: Vec<&Rule> = rules.rules.iter().collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

/// Lists the rules as a table or as JSON.
pub fn list_rules(out: &mut dyn Write, rules: &RuleSet, format: ListFormat) -> io::Result<()> {
    let list = sorted(rules);
    match format {
        ListFormat::Json => {
            let json: Vec<JsonRule<'_>> = list
                .iter()
                .map(|r| JsonRule {
                    id: &r.id,
                    name: &r.name,
                    provider: &rules.provider(r).id,
                    kind: r.kind.clone(),
                    class: r.class,
                    severity: r.severity,
                    prefixes: &r.prefixes,
                    keywords: &r.keywords,
                    opt_in: r.opt_in.as_deref(),
                    pattern: &r.pattern_source,
                    runbook: &r.runbook,
                    description: &r.description,
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &json)?;
            writeln!(out)
        }
        ListFormat::Table => {
            let width = |f: &dyn Fn(&Rule) -> usize, head: &str| {
                list.iter().map(|r| f(r)).max().unwrap_or(0).max(head.len())
            };
            let wi = width(&|r| r.id.len(), "ID");
            let wp = width(&|r| rules.provider(r).id.len(), "PROVIDER");
            let wk = width(&|r| r.kind.as_str().len(), "KIND");
            writeln!(
                out,
                "{:<wi$}  {:<wp$}  {:<wk$}  {:<11}  {:<8}  RUNBOOK",
                "ID", "PROVIDER", "KIND", "CLASS", "SEVERITY"
            )?;
            for r in list {
                writeln!(
                    out,
                    "{:<wi$}  {:<wp$}  {:<wk$}  {:<11}  {:<8}  {}",
                    r.id,
                    rules.provider(r).id,
                    r.kind.as_str(),
                    r.class.as_str(),
                    r.severity.as_str(),
                    r.runbook
                )?;
            }
            Ok(())
        }
    }
}

/// Prints what a rule's key is, whether it is safe to expose, and its runbook.
pub fn explain(
    out: &mut dyn Write,
    rules: &RuleSet,
    runbooks: &Runbooks,
    id: &str,
) -> anyhow::Result<()> {
    let Some(rule) = rules.get(id) else {
        let close: Vec<&str> = sorted(rules)
            .into_iter()
            .map(|r| r.id.as_str())
            .filter(|r| r.split('-').next() == id.split('-').next())
            .collect();
        let hint = if close.is_empty() {
            "run `leakscope rules` to list them".to_string()
        } else {
            format!("did you mean {}?", close.join(", "))
        };
        anyhow::bail!("unknown rule `{id}`: {hint}");
    };
    let provider = rules.provider(rule);
    writeln!(out, "# {} ({})\n", rule.name, rule.id)?;
    writeln!(out, "{}\n", rule.description)?;
    writeln!(out, "- provider: {}", provider.id)?;
    writeln!(out, "- kind: {}", rule.kind)?;
    writeln!(out, "- class: {}", rule.class)?;
    writeln!(
        out,
        "- looks like: {}",
        rule.prefixes
            .iter()
            .map(|p| format!("`{p}…`"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    let safety = match rule.class {
        crate::vocab::Class::Publishable => {
            "public by design: committing or shipping it is not a leak".to_string()
        }
        crate::vocab::Class::Secret => format!(
            "secret: once committed, shipped to browsers or otherwise exposed it must be rotated ({} when live)",
            rule.severity
        ),
    };
    writeln!(out, "- verdict when found: {safety}\n")?;
    write!(
        out,
        "{}",
        runbooks.markdown(&rule.runbook, Some(provider), 2)
    )?;
    Ok(())
}
