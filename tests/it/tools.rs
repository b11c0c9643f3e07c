//! Fitting into other tools: the pre-commit framework, SARIF that the SARIF Multitool (with
//! GitHub's ingestion rules) accepts, the configuration file, baselines, inline allows,
//! terminal habits and shell completions.

use crate::common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn bin_dir() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("leakscope")
        .parent()
        .unwrap()
        .to_path_buf()
}

fn path_with_binary() -> String {
    format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Runs a command in `dir` with git's fixed environment and leakscope on PATH.
fn sh(dir: &Path, program: &str, args: &[&str], home: &Path) -> std::process::Output {
    fixed_git_env(&mut Command::new(program), "2025-04-01T10:00:00Z")
        .current_dir(dir)
        .args(args)
        .env("PATH", path_with_binary())
        .env("PRE_COMMIT_HOME", home.join("pre-commit"))
        .env("HOME", home)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} must be installed to run this test (.ci/run installs it): {e}")
        })
}

/// Everything a command printed, standard output then standard error.
fn said(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn pre_commit_hook_blocks_secrets_and_allows_publishable_keys() {
    let home = tempfile::tempdir().unwrap();
    // The hook definitions, as a repository pre-commit can clone at a revision.
    let hooks = Repo::new();
    let defs = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
        .unwrap();
    hooks.write(".pre-commit-hooks.yaml", defs);
    let rev = hooks.commit("hooks");
    let project = Repo::new();
    project.write(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: leakscope-system\n",
            hooks.path().display()
        ),
    );
    let out = sh(project.path(), "pre-commit", &["install"], home.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = sh(project.path(), "git", &["add", "-A"], home.path());
    assert!(out.status.success());
    let out = sh(
        project.path(),
        "git",
        &["commit", "-q", "-m", "config"],
        home.path(),
    );
    assert!(out.status.success(), "config commit: {}", said(&out));

    // A secret-class key: the commit is blocked, and the message says how to unstage it.
    project.write(
        "server.env",
        format!("STRIPE_SECRET_KEY={}\n", keys::stripe_live(70)),
    );
    sh(project.path(), "git", &["add", "server.env"], home.path());
    let out = sh(
        project.path(),
        "git",
        &["commit", "-q", "-m", "add server env"],
        home.path(),
    );
    let printed = said(&out);
    assert!(
        !out.status.success(),
        "the commit must be blocked: {printed}"
    );
    assert!(
        printed.contains("KEEP PRIVATE") && printed.contains("git rm --cached server.env"),
        "{printed}"
    );
    let log = sh(project.path(), "git", &["log", "--oneline"], home.path());
    assert_eq!(
        String::from_utf8_lossy(&log.stdout).lines().count(),
        1,
        "nothing was committed"
    );

    // Only a publishable key: the commit goes through.
    sh(
        project.path(),
        "git",
        &["rm", "-q", "--cached", "server.env"],
        home.path(),
    );
    std::fs::remove_file(project.path().join("server.env")).unwrap();
    project.write(
        "web.env",
        format!(
            "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY={}\n",
            keys::stripe_pk_live(71)
        ),
    );
    sh(project.path(), "git", &["add", "web.env"], home.path());
    let out = sh(
        project.path(),
        "git",
        &["commit", "-q", "-m", "add web env"],
        home.path(),
    );
    assert!(out.status.success(), "{}", said(&out));
}

/// Runs the SARIF Multitool with GitHub's ingestion rules and the SARIF rules on `sarif`;
/// returns the problems it reports.
fn multitool(sarif: &Path) -> Vec<String> {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("validation.sarif");
    let run = Command::new("sarif-multitool")
        .args(["validate"])
        .arg(sarif)
        .arg("-o")
        .arg(&out)
        .args(["--rule-kind", "Gh;Sarif"])
        .output()
        .expect("the SARIF Multitool must be installed to run this test (.ci/run installs it)");
    assert!(
        run.status.success(),
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}: {}",
                r["level"].as_str().unwrap_or("warning"),
                r["ruleId"].as_str().unwrap_or("?"),
                r["message"]["arguments"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .map(|x| x.as_str().unwrap_or(""))
                        .collect::<Vec<_>>()
                        .join(" "))
                    .unwrap_or_default()
            )
        })
        .collect()
}

fn sarif_of(dir: &Path, args: &[&str]) -> std::path::PathBuf {
    let out = tempfile::Builder::new()
        .suffix(".sarif")
        .tempfile()
        .unwrap()
        .into_temp_path()
        .keep()
        .unwrap();
    let mut all = args.to_vec();
    let o = out.to_str().unwrap().to_string();
    all.extend(["--format", "sarif", "-o", &o]);
    let (code, _, err) = run(dir, &all);
    assert!(code == 0 || code == 1, "{err}");
    out
}

#[test]
fn sarif_passes_the_multitool_with_github_rules() {
    // A working-tree scan, with suppressions.
    let tree = fixture("tree");
    write(
        tree.path(),
        ".leakscope.toml",
        "[allow]\npaths = [\"public/**\"]\n",
    );
    write(
        tree.path(),
        "src/inline.py",
        format!(
            "KEY = \"{}\"  # leakscope:allow test key, revoked\n",
            keys::stripe_live(72)
        ),
    );
    let scans = [
        ("tree", sarif_of(tree.path(), &["scan", "."])),
        ("empty", {
            let empty = tempfile::tempdir().unwrap();
            sarif_of(empty.path(), &["scan", "."])
        }),
    ];
    // History, with provenance and related locations: with an https remote carrying a token,
    // an scp-like SSH remote, and no remote at all.
    let repo = crate::report::incident_repo();
    let token = ["x-access-token:", &keys::body(90, 36)].concat();
    repo.git(&[
        "remote",
        "set-url",
        "origin",
        &format!("https://{token}@github.com/acme/shop.git"),
    ]);
    let history = sarif_of(repo.path(), &["history", "--unreachable"]);
    let text = std::fs::read_to_string(&history).unwrap();
    assert!(
        !text.contains(&token[15..]),
        "the remote's token is in the SARIF"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["runs"][0]["versionControlProvenance"][0]["repositoryUri"],
        "https://github.com/acme/shop.git"
    );
    repo.git(&[
        "remote",
        "set-url",
        "origin",
        "git@github.com:acme/shop.git",
    ]);
    let ssh = sarif_of(repo.path(), &["history", "--unreachable"]);
    let v: Value = serde_json::from_slice(&std::fs::read(&ssh).unwrap()).unwrap();
    assert_eq!(
        v["runs"][0]["versionControlProvenance"][0]["repositoryUri"],
        "ssh://github.com/acme/shop.git"
    );
    repo.git(&["remote", "remove", "origin"]);
    let local = sarif_of(repo.path(), &["history", "--unreachable"]);
    let range = sarif_of(repo.path(), &["history", "--range", "v1.0..main"]);
    // Many results.
    let many = tempfile::tempdir().unwrap();
    for i in 0..400u64 {
        let keys: String = (0..5)
            .map(|j| format!("K{j}={}\n", keys::stripe_live(i * 10 + j)))
            .collect();
        write(many.path(), &format!("d{}/f{i}.env", i % 17), keys);
    }
    let many_sarif = sarif_of(many.path(), &["scan", "."]);
    let v: Value = serde_json::from_slice(&std::fs::read(&many_sarif).unwrap()).unwrap();
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 2000);
    let t: Value = serde_json::from_slice(&std::fs::read(&scans[0].1).unwrap()).unwrap();
    let suppressed = t["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["suppressions"].is_array())
        .count();
    assert_eq!(
        suppressed, 2,
        "the path-allowed bundle's secret and the inline allow are suppressions (the bundle's public keys are not results)"
    );
    for (name, path) in scans.iter().map(|(n, p)| (*n, p.clone())).chain([
        ("history, token remote", history),
        ("history, ssh remote", ssh),
        ("history, no remote", local),
        ("range", range),
        ("many", many_sarif),
    ]) {
        let problems = multitool(&path);
        assert!(
            problems.is_empty(),
            "{name}: the Multitool reports {problems:#?}"
        );
    }
}

#[test]
fn configuration_allows_disables_overrides_and_adds_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let live = keys::stripe_live(80);
    let test = keys::stripe_test_legacy(81);
    let acme = ["acme_live_", "4c1f9a07e2d85b36a9f0c74e1b2d6835"].concat();
    write(d, "keep/a.env", format!("K={live}\n"));
    write(
        d,
        "fixtures/b.env",
        format!("K={}\n", keys::stripe_live(82)),
    );
    write(
        d,
        "c.env",
        format!(
            "T={test}\nG=110994067943-{}.apps.googleusercontent.com\nACME={acme}\n",
            keys::body(83, 32).to_lowercase()
        ),
    );
    // First find the fingerprint to allow.
    let (_, r) = run_json(d, &["scan", "keep/a.env"]);
    let fp = findings(&r)[0]["fingerprint"].as_str().unwrap().to_string();
    // Split by the marker rule files use, so the configuration is not itself a finding.
    let example = "acme_live_~~b72e05c9d41a8f63e0b59c2d7a14f836";
    write(
        d,
        ".leakscope.toml",
        format!(
            r#"fail_on = "critical"

[allow]
paths = ["fixtures/**"]
fingerprints = [{{ fingerprint = "{fp}", reason = "revoked on 2025-04-02, kept as a fixture" }}]

[rules]
disable = ["google-oauth-client-id"]
severity = {{ "stripe-secret-key" = "critical" }}

[[provider]]
provider = "acme"
display = "Acme"
line_context = ["acme"]

[[provider.rule]]
id = "acme-api-key"
name = "Acme API key"
kind = "api-key"
class = "secret"
severity = "high"
prefixes = ["acme_live_"]
pattern = 'acme_live_[0-9a-f]{{32}}'
charset = "0-9a-f"
runbook = "general"
description = "An Acme API key."
examples = [{{ text = "ACME_KEY={example}" }}]
negative_examples = ["acme_live_xxxx"]
"#
        ),
    );
    let (code, r) = run_json(d, &["scan", "."]);
    let rows: Vec<(String, String, String, bool)> = findings(&r)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["ruleId"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f.get("suppressions").is_some(),
            )
        })
        .collect();
    let row =
        |p: &str, r: &str, s: &str, sup: bool| (p.to_string(), r.to_string(), s.to_string(), sup);
    assert_eq!(
        rows,
        [
            row("c.env", "stripe-secret-key", "critical", false), // severity override, even for a test key
            row("c.env", "acme-api-key", "high", false),          // custom rule
            row("fixtures/b.env", "stripe-secret-key", "critical", true),
            row("keep/a.env", "stripe-secret-key", "critical", true),
        ]
    );
    let reason = &findings(&r)[3]["suppressions"][0];
    assert_eq!(reason["kind"], "external");
    assert_eq!(
        reason["justification"],
        "revoked on 2025-04-02, kept as a fixture"
    );
    assert_eq!(
        code, 1,
        "the unsuppressed critical finding fails fail_on = critical"
    );
    assert_eq!(r["stats"]["suppressed"], 2);
    // --fail-on on the command line wins over the file.
    assert_eq!(run(d, &["scan", ".", "--fail-on", "never"]).0, 0);
}

#[test]
fn custom_rules_are_checked_at_load_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "cfg.toml",
        r#"[[provider]]
provider = "acme"
display = "Acme"

[[provider.rule]]
id = "acme-api-key"
name = "Acme API key"
kind = "api-key"
class = "secret"
severity = "high"
prefixes = ["acme_live_"]
pattern = 'acme_live_[0-9a-f]{32}'
charset = "0-9a-f"
runbook = "general"
description = "An Acme API key."
examples = [{ text = "ACME_KEY=acme_live_tooshort" }]
"#,
    );
    let (code, _, err) = run(d, &["scan", ".", "--config", "cfg.toml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("custom rules fail their own examples") && err.contains("acme-api-key"),
        "{err}"
    );
}

#[test]
fn malformed_configuration_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        ".leakscope.toml",
        "fail_on = \"high\"\n\n[rules]\ndisable = [\"no-such-rule\"]\n",
    );
    let (code, _, err) = run(d, &["scan", "."]);
    assert_eq!(code, 2);
    assert!(
        err.contains(".leakscope.toml:4:12: rules.disable: unknown rule `no-such-rule`"),
        "{err}"
    );
    write(d, ".leakscope.toml", "[allow]\npaths = [\"a\", 3]\n");
    let (code, _, err) = run(d, &["scan", "."]);
    assert_eq!(code, 2);
    assert!(
        err.contains(".leakscope.toml:2:") && err.contains("expected"),
        "{err}"
    );
}

#[test]
fn baseline_reports_only_new_findings_and_lists_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "old1.env", format!("K={}\n", keys::stripe_live(90)));
    write(d, "old2.env", format!("K={}\n", keys::resend(91)));
    let (code, _, err) = run(d, &["baseline", "scan", ".", "-o", "base.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("recorded 2 findings in base.json"), "{err}");
    let base: Value = serde_json::from_slice(&std::fs::read(d.join("base.json")).unwrap()).unwrap();
    assert_eq!(base["findings"].as_array().unwrap().len(), 2);
    assert!(
        !String::from_utf8_lossy(&std::fs::read(d.join("base.json")).unwrap())
            .contains(&keys::stripe_live(90))
    );
    // Nothing new: clean.
    let (code, r) = run_json(d, &["scan", ".", "--baseline", "base.json"]);
    assert_eq!((code, findings(&r).len()), (0, 0));
    assert_eq!(r["stats"]["baselined"], 2);
    // A new key, and an old one fixed.
    write(d, "new.env", format!("K={}\n", keys::stripe_live(92)));
    std::fs::remove_file(d.join("old2.env")).unwrap();
    let (code, r) = run_json(d, &["scan", ".", "--baseline", "base.json"]);
    assert_eq!(code, 1);
    assert_eq!(
        summary(&r),
        ["new.env:1:3 stripe-secret-key stripe secret-key live must-rotate critical unknown"]
    );
    let notes: Vec<&str> = r["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    assert_eq!(notes, ["stale-baseline"]);
    assert!(
        r["notifications"][0]["message"]
            .as_str()
            .unwrap()
            .contains("resend-api-key re_\u{2026}")
    );
}

#[test]
fn inline_allow_suppresses_without_hiding() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let k = keys::stripe_live(95);
    let r = keys::resend(96);
    write(
        d,
        "a.py",
        format!(
            "A = \"{k}\"  # leakscope:allow stripe-secret-key test key from the docs\nB = \"{r}\"  # leakscope:allow stripe-secret-key wrong rule\nC = \"{}\"  // leakscope:allow\n",
            keys::stripe_test_legacy(97)
        ),
    );
    let (code, rep) = run_json(d, &["scan", "a.py"]);
    let sup: Vec<(u64, Option<String>)> = findings(&rep)
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["suppressions"][0]["justification"]
                    .as_str()
                    .map(String::from),
            )
        })
        .collect();
    assert_eq!(
        sup,
        [
            (1, Some("test key from the docs".to_string())),
            (2, None),
            (3, Some("leakscope:allow".to_string())),
        ]
    );
    assert_eq!(findings(&rep)[0]["suppressions"][0]["kind"], "inSource");
    assert_eq!(code, 1, "the unsuppressed Resend key still fails");
    let (_, text, _) = run(d, &["scan", "a.py"]);
    assert!(
        text.contains("1 finding: 1 must-rotate") && text.contains("2 suppressed"),
        "{text}"
    );
    let (_, md, _) = run(d, &["scan", "a.py", "--format", "markdown"]);
    assert!(
        md.contains("## Suppressed") && md.contains("test key from the docs (inSource)"),
        "{md}"
    );
}

/// Runs leakscope under a pseudo-terminal (util-linux `script`), returning what it printed.
fn in_terminal(dir: &Path, cmd: &str, no_color: bool) -> String {
    let bin = assert_cmd::cargo::cargo_bin("leakscope");
    let mut c = Command::new("script");
    c.current_dir(dir)
        .args(["-qec", &format!("{} {cmd}", bin.display()), "/dev/null"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color");
    if no_color {
        c.env("NO_COLOR", "1");
    }
    let out = c
        .output()
        .expect("script (util-linux) must be installed to run this test");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn colour_on_a_terminal_unless_no_color_and_nothing_extra_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "k.env",
        format!("K={}\n", keys::stripe_live(98)),
    );
    let sgr = |s: &str| {
        s.contains("\u{1b}[0m")
            || s.contains("\u{1b}[1m")
            || s.contains("\u{1b}[31m")
            || s.contains("\u{1b}[38;5;")
    };
    let coloured = in_terminal(dir.path(), "scan k.env", false);
    assert!(sgr(&coloured), "colour on a terminal: {coloured:?}");
    let plain = in_terminal(dir.path(), "scan k.env", true);
    assert!(
        plain.contains("MUST ROTATE") && !plain.contains('\u{1b}'),
        "NO_COLOR, and no bar for a quick scan: {plain:?}"
    );
    let quiet = in_terminal(dir.path(), "scan --quiet k.env", true);
    assert!(
        !quiet.contains('\r') || quiet.matches('\r').count() == quiet.matches("\r\n").count(),
        "no progress bar with --quiet: {quiet:?}"
    );
    // Piped: no colour, no progress bar.
    let (_, out, err) = run(dir.path(), &["scan", "k.env"]);
    assert!(
        !out.contains('\u{1b}') && !err.contains('\r') && err.is_empty(),
        "{out:?} {err:?}"
    );
}

#[test]
fn shell_completions() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef leakscope"),
        ("fish", "complete -c leakscope"),
    ] {
        let (code, out, _) = run(dir.path(), &["completions", shell]);
        assert_eq!(code, 0);
        assert!(out.contains(marker) && out.contains("history"), "{shell}");
    }
}

/// Every workflow, the composite action's steps and the example workflows in the docs pass
/// actionlint. actionlint reads workflows, not action metadata, so the action's steps are
/// linted inside a workflow that declares the action's inputs.
#[test]
fn workflows_action_and_readme_example_pass_actionlint() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(root.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "release and self-test workflows");
    // The action's steps, in a workflow with its inputs.
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let action: serde_json::Value = yaml_to_json(&action);
    let inputs: serde_json::Map<String, Value> = action["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (k.clone(), serde_json::json!({"type": "string"})))
        .collect();
    let workflow = serde_json::json!({
        "name": "action steps",
        "on": {"workflow_dispatch": {"inputs": inputs}},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    });
    let synthesized = dir.path().join("action-steps.yml");
    std::fs::write(
        &synthesized,
        serde_json::to_string_pretty(&workflow).unwrap(),
    )
    .unwrap();
    files.push(synthesized);
    // The example workflows of the README and the docs.
    let mut examples = 0;
    for doc in [
        "README.md",
        "docs/github-actions.md",
        "docs/incident-response.md",
    ] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for (i, block) in text
            .split("```yaml\n")
            .skip(1)
            .map(|b| b.split("```").next().unwrap())
            .filter(|b| b.contains("jobs:"))
            .enumerate()
        {
            assert!(
                !block.contains("actions/checkout") || block.contains("fetch-depth: 0"),
                "{doc}: a depth that works"
            );
            let file = dir
                .path()
                .join(format!("{}-{i}.yml", doc.replace('/', "-")));
            std::fs::write(&file, block).unwrap();
            files.push(file);
            examples += 1;
        }
    }
    assert!(
        examples >= 3,
        "README, GitHub Actions and organisation workflows: {examples}"
    );
    let out = std::process::Command::new("actionlint")
        .args(&files)
        .output()
        .expect("actionlint must be installed to run this test (scripts/test-tools installs it)");
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A YAML document as JSON, through python3 (the test tools' interpreter).
fn yaml_to_json(text: &str) -> Value {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(text.as_bytes())?;
            c.wait_with_output()
        })
        .expect("python3 with PyYAML (scripts/test-tools installs it)");
    serde_json::from_slice(&out.stdout).expect("YAML parsed")
}
