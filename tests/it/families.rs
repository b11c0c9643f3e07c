//! The catalogue on realistic files: one made-up key per family the catalogue promises, a
//! near miss per family, and the six-credential file a new user tries first.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// Every file of `fixtures/families` gives exactly one finding, with the rule, provider,
/// kind and verdict `expected.tsv` names (a paired credential counts once).
#[test]
fn one_finding_per_family_with_provider_kind_and_verdict() {
    let dir = fixture("families");
    let expected = std::fs::read_to_string(dir.path().join("expected.tsv")).unwrap();
    std::fs::remove_file(dir.path().join("expected.tsv")).unwrap();
    let (_, report) = run_json(dir.path(), &["scan", "."]);
    let mut by_path: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for f in findings(&report) {
        by_path
            .entry(f["path"].as_str().unwrap().to_string())
            .or_default()
            .push(f);
    }
    let mut rows = 0;
    for line in expected.lines().skip(1).filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [path, rule, provider, kind, verdict] = cols[..] else {
            panic!("bad row {line:?}");
        };
        rows += 1;
        let got = by_path.remove(path).unwrap_or_default();
        assert_eq!(got.len(), 1, "{path}: {got:#?}");
        let f = got[0];
        assert_eq!(
            (
                f["ruleId"].as_str().unwrap(),
                f["provider"].as_str().unwrap(),
                f["kind"].as_str().unwrap(),
                f["verdict"].as_str().unwrap()
            ),
            (rule, provider, kind, verdict),
            "{path}"
        );
    }
    assert!(rows >= 140, "{rows} families");
    assert!(
        by_path.is_empty(),
        "files outside expected.tsv: {by_path:#?}"
    );
}

/// A near miss per family (placeholders, truncated keys, wrong checksums, look-alike
/// identifiers, regex sources) gives nothing.
#[test]
fn look_alikes_give_nothing() {
    let dir = fixture("lookalikes");
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert!(files >= 140, "{files} look-alike files");
    let (code, report) = run_json(dir.path(), &["scan", "."]);
    assert_eq!(findings(&report).len(), 0, "{report:#}");
    assert_eq!(code, 0);
}

/// A GitHub token, a Slack bot token, an OpenAI key, an AWS key pair, an OpenSSH private
/// key and a Postgres URL with a password: six keys to rotate, each with its runbook.
#[test]
fn the_six_credential_file_gives_six_keys_to_rotate() {
    let dir = fixture("six-credentials");
    let (code, report) = run_json(dir.path(), &["scan", "."]);
    assert_eq!(code, 1);
    let mut got: Vec<(&str, &str, &str)> = findings(&report)
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap(),
                f["verdict"].as_str().unwrap(),
                f["runbook"].as_str().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("aws-secret-access-key", "must-rotate", "aws-access-key"),
            ("github-pat-classic", "must-rotate", "github-token"),
            ("openai-project-key", "must-rotate", "openai-api-key"),
            ("postgres-url-password", "must-rotate", "database-password"),
            ("private-key-openssh", "must-rotate", "private-key"),
            ("slack-bot-token", "must-rotate", "slack-token"),
        ]
    );
}
