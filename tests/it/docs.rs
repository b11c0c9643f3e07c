//! The docs generated from the rules stay true: `docs/providers.md` is what
//! `leakscope rules --format markdown` prints, and `docs/coverage.md` names only rules that
//! exist.

use crate::common::leakscope;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `leakscope rules` in an empty directory (no configuration adds rules).
fn rules(format: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = leakscope()
        .current_dir(dir.path())
        .args(["rules", "--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `UPDATE_DOCS=1 scripts/test --test it providers` rewrites the file.
#[test]
fn providers_table_is_current() {
    let want = String::from_utf8(rules("markdown")).unwrap();
    let path = root().join("docs/providers.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap();
    assert!(
        have == want,
        "docs/providers.md is out of date: UPDATE_DOCS=1 scripts/test --test it providers"
    );
    // One row per provider, the public-by-design rules marked.
    let json: Value = serde_json::from_slice(&rules("json")).unwrap();
    let providers: BTreeSet<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["provider"].as_str().unwrap())
        .collect();
    let rows = have.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(
        rows,
        providers.len() + 1,
        "a header and one row per provider"
    );
    assert!(providers.len() >= 250, "{} providers", providers.len());
    assert!(have.contains("`stripe-publishable-key` (public)"));
    assert!(have.contains("`stripe-secret-key`, "));
}

#[test]
fn coverage_names_only_rules_that_exist_and_gives_a_reason_for_every_gap() {
    let json: Value = serde_json::from_slice(&rules("json")).unwrap();
    let ids: BTreeSet<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let text = std::fs::read_to_string(root().join("docs/coverage.md")).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| family"))
        .collect();
    assert!(rows.len() >= 400, "{} families", rows.len());
    let mut covered = 0;
    for row in &rows {
        let last = row.trim_end_matches(" |").rsplit(" | ").next().unwrap();
        if let Some(reason) = last.strip_prefix("none: ") {
            assert!(reason.len() > 10, "a reason: {row}");
            continue;
        }
        // The covering rules are the code spans before any "(not covered: …)".
        let named = last.split(" (not covered:").next().unwrap();
        let spans: Vec<&str> = named.split('`').skip(1).step_by(2).collect();
        assert!(!spans.is_empty(), "a rule or a reason: {row}");
        for id in spans {
            assert!(ids.contains(id), "{id} is not a leakscope rule: {row}");
        }
        covered += 1;
    }
    assert!(covered >= 300, "{covered} families covered");
}
