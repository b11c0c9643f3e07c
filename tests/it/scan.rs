//! `leakscope scan`: the fixture tree, exposure from git, redaction, determinism, faults and
//! exit codes.

use crate::common::*;
use serde_json::Value;

/// Every planted key of `fixtures/tree`, exactly once, outside any git repository.
const TREE: &[&str] = &[
    ".env:3:19 stripe-secret-key stripe secret-key live must-rotate critical unknown",
    ".env:4:35 clerk-publishable-key clerk publishable-key test public-safe info unknown",
    ".env:6:21 supabase-secret-key supabase secret-key unknown must-rotate critical unknown",
    "Dockerfile:3:22 google-oauth-client-id google oauth-client-id unknown public-safe info unknown",
    "Dockerfile:4:26 google-oauth-client-secret google oauth-client-secret unknown must-rotate high unknown",
    "assets/blob.bin:2:36 stripe-secret-key stripe secret-key live must-rotate critical unknown",
    "config/.env.production:1:19 stripe-secret-key stripe secret-key test must-rotate high unknown",
    "config/webhooks.json:3:31 stripe-webhook-secret stripe webhook-secret unknown must-rotate high unknown",
    "config/webhooks.json:6:38 clerk-webhook-secret clerk webhook-secret unknown must-rotate high unknown",
    "deploy/k8s/secret.yaml:7:19 resend-api-key resend api-key unknown must-rotate high unknown",
    "deploy/k8s/secret.yaml:8:30 supabase-service-role-jwt supabase service-role-jwt unknown must-rotate critical unknown",
    "notebooks/mailer.ipynb:8:25 resend-api-key resend api-key unknown must-rotate high unknown",
    "public/app.min.js:1:8992 stripe-publishable-key stripe publishable-key live public-safe info unknown",
    "public/app.min.js:1:9115 supabase-anon-jwt supabase anon-jwt unknown public-safe info unknown",
    "public/app.min.js:1:9340 supabase-secret-key supabase secret-key unknown must-rotate critical client",
    "scripts/deploy.ps1:1:31 supabase-access-token supabase access-token unknown must-rotate critical unknown",
    "src/auth.ts:4:20 clerk-publishable-key clerk publishable-key live public-safe info unknown",
    "src/auth.ts:5:15 clerk-secret-key clerk secret-key live must-rotate critical unknown",
    "src/cards.py:1:21 highnote-api-key highnote api-key live must-rotate critical unknown",
    "src/payments.ts:4:31 stripe-restricted-key stripe restricted-key live must-rotate critical unknown",
    "src/payments.ts:5:68 stripe-secret-key stripe secret-key test must-rotate high unknown",
    "src/tokens.py:3:12 jwt jwt jwt unknown must-rotate high unknown",
    "src/tokens.py:4:13 jwt jwt jwt unknown must-rotate high unknown",
    "supabase/docker/.env:2:18 supabase-service-role-jwt supabase service-role-jwt unknown public-safe low unknown",
    "web/.env.local:1:24 stripe-secret-key stripe secret-key live must-rotate critical client",
    "web/.env.local:2:24 supabase-anon-jwt supabase anon-jwt unknown public-safe info unknown",
];

fn finding<'a>(report: &'a Value, path: &str, line: u64) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path && f["line"] == line)
        .unwrap_or_else(|| panic!("no finding at {path}:{line}"))
}

#[test]
fn fixture_tree_gives_one_finding_per_planted_key() {
    let dir = fixture("tree");
    let (code, report) = run_json(dir.path(), &["scan", "."]);
    assert_eq!(summary(&report), TREE);
    assert_eq!(code, 1, "must-rotate findings fail the default gate");
    assert_eq!(report["notifications"], Value::Array(vec![]));
}

#[test]
fn warnings_encodings_and_end_columns() {
    let dir = fixture("tree");
    let (_, r) = run_json(dir.path(), &["scan", "."]);
    let codes = |f: &Value| -> Vec<String> {
        f["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        codes(finding(&r, "config/.env.production", 1)),
        ["test-key-in-production-config"]
    );
    assert_eq!(
        codes(finding(&r, "src/payments.ts", 4)),
        ["mixed-live-and-test"]
    );
    assert_eq!(
        codes(finding(&r, "supabase/docker/.env", 2)),
        ["published-example"]
    );
    assert_eq!(
        finding(&r, "deploy/k8s/secret.yaml", 7)["encoding"],
        "base64"
    );
    assert_eq!(
        finding(&r, "config/webhooks.json", 6)["encoding"],
        "escaped"
    );
    assert_eq!(finding(&r, "scripts/deploy.ps1", 1)["encoding"], "utf-16");
    // A 99-character Stripe key body: 8 + 99 characters, end column exclusive.
    let f = finding(&r, ".env", 3);
    assert_eq!(
        f["endColumn"].as_u64().unwrap() - f["column"].as_u64().unwrap(),
        107
    );
    // Binary files have no line text.
    assert!(finding(&r, "assets/blob.bin", 2).get("snippet").is_none());
    assert!(
        finding(&r, ".env", 3)["snippet"]
            .as_str()
            .unwrap()
            .starts_with("STRIPE_SECRET_KEY=sk_live_\u{2026}")
    );
}

#[test]
fn lookalikes_give_nothing() {
    let dir = fixture("tree");
    let (code, report) = run_json(dir.path(), &["scan", "src/lookalikes.py"]);
    assert_eq!(summary(&report), Vec::<String>::new());
    assert_eq!(code, 0);
}

#[test]
fn exposure_comes_from_the_git_index() {
    let dir = fixture("tree");
    let d = dir.path();
    git_init(d);
    write(d, ".gitignore", "web/.env.local\n.env\n");
    git(d, &["add", ".gitignore", "src"]);
    git(d, &["add", "-f", ".env"]);
    git(d, &["commit", "-qm", "initial"]);
    let (code, r) = run_json(d, &["scan", "."]);
    let exposures: Vec<(String, String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                format!("{}:{}", f["path"].as_str().unwrap(), f["line"]),
                f["exposure"].as_str().unwrap().to_string(),
                f["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let get = |k: &str| {
        exposures
            .iter()
            .find(|e| e.0 == k)
            .map(|e| (e.1.as_str(), e.2.as_str()))
    };
    // Tracked although .gitignore matches it now: still tracked, still must rotate.
    assert_eq!(get(".env:3"), Some(("tracked", "must-rotate")));
    assert_eq!(get("src/auth.ts:5"), Some(("tracked", "must-rotate")));
    // Untracked: not yet exposed.
    assert_eq!(get("Dockerfile:4"), Some(("untracked", "keep-private")));
    assert_eq!(finding(&r, "Dockerfile", 4)["severity"], "medium");
    // Ignored files are skipped by default.
    assert_eq!(get("web/.env.local:1"), None);
    // Browser bundles are client-exposed whatever git says.
    assert_eq!(get("public/app.min.js:1").map(|e| e.0), Some("untracked"));
    assert_eq!(code, 1);

    let (_, r) = run_json(d, &["scan", ".", "--no-ignore"]);
    let f = finding(&r, "web/.env.local", 2);
    assert_eq!(
        (f["exposure"].as_str(), f["verdict"].as_str()),
        (Some("ignored"), Some("public-safe"))
    );
    // A secret in a browser-exposed variable is client-exposed even in an ignored file.
    let f = finding(&r, "web/.env.local", 1);
    assert_eq!(
        (
            f["exposure"].as_str(),
            f["verdict"].as_str(),
            f["severity"].as_str()
        ),
        (Some("client"), Some("must-rotate"), Some("critical"))
    );

    // Paths are relative to the work tree root, whatever directory is scanned.
    let (_, r) = run_json(&d.join("src"), &["scan", "."]);
    assert_eq!(finding(&r, "src/auth.ts", 5)["exposure"], "tracked");
}

#[test]
fn ignored_file_is_keep_private_with_no_ignore() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git_init(d);
    write(d, ".gitignore", "secrets.env\n");
    write(
        d,
        "secrets.env",
        format!("STRIPE_SECRET_KEY={}\n", keys::stripe_live(1)),
    );
    git(d, &["add", ".gitignore"]);
    git(d, &["commit", "-qm", "ignore"]);
    let (code, r) = run_json(d, &["scan"]);
    assert_eq!(summary(&r), Vec::<String>::new());
    assert_eq!(code, 0);
    let (code, r) = run_json(d, &["scan", "--no-ignore"]);
    assert_eq!(
        summary(&r),
        ["secrets.env:1:19 stripe-secret-key stripe secret-key live keep-private medium ignored"]
    );
    assert_eq!(code, 1);
}

#[test]
fn no_output_format_reveals_a_secret_without_show_secrets() {
    let dir = fixture("tree");
    let d = dir.path();
    // First prove every secret is found: --show-secrets prints them all.
    let (_, shown) = run_json(d, &["scan", ".", "--show-secrets"]);
    let secrets: Vec<String> = shown["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().expect("secret shown").to_string())
        .collect();
    assert_eq!(secrets.len(), TREE.len());
    for format in ["text", "json", "sarif", "markdown"] {
        let (_, out, err) = run(d, &["scan", ".", "--format", format]);
        assert!(!out.is_empty());
        for s in &secrets {
            assert!(
                !out.contains(s.as_str()),
                "{format} output contains a full secret"
            );
            assert!(
                !err.contains(s.as_str()),
                "{format} stderr contains a full secret"
            );
            // Nor a long piece of one.
            let middle = &s[4..s.len() - 5];
            assert!(
                !out.contains(middle),
                "{format} output contains most of a secret"
            );
        }
    }
    let (_, out, _) = run(d, &["scan", ".", "--format", "text", "--show-secrets"]);
    assert!(secrets.iter().all(|s| out.contains(s.as_str())));
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Enough files in enough directories that every walker thread gets work.
    for i in 0..240u64 {
        let key = match i % 4 {
            0 => keys::stripe_live(i),
            1 => keys::resend(i),
            2 => keys::stripe_pk_live(i),
            _ => keys::stripe_test_legacy(i),
        };
        let filler = "x = 1\n".repeat((i % 7) as usize);
        write(
            d,
            &format!("d{}/e{}/f{i}.env", i % 9, i % 5),
            format!("{filler}KEY_{i}={key}\n"),
        );
    }
    for format in ["json", "sarif", "text", "markdown"] {
        let (_, one, _) = run(d, &["scan", ".", "--threads", "1", "--format", format]);
        let (_, two, _) = run(d, &["scan", ".", "--threads", "2", "--format", format]);
        let (_, eight, _) = run(d, &["scan", ".", "--threads", "8", "--format", format]);
        assert_eq!(one, two, "{format} differs between 1 and 2 threads");
        assert_eq!(one, eight, "{format} differs between 1 and 8 threads");
    }
    let (_, r) = run_json(d, &["scan", ".", "--threads", "2"]);
    assert_eq!(r["findings"].as_array().unwrap().len(), 240);
}

#[test]
fn missing_path_is_a_one_line_error_with_exit_2() {
    let dir = fixture("tree");
    let (code, out, err) = run(dir.path(), &["scan", "no/such/dir"]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no/such/dir") && err.contains("No such file"),
        "{err}"
    );
    assert!(out.starts_with("No keys found"), "{out}");
}

#[test]
fn missing_path_among_good_ones_still_reports_the_rest() {
    let dir = fixture("tree");
    let (code, r) = run_json(dir.path(), &["scan", "no/such/file", "src/auth.ts"]);
    assert_eq!(code, 2, "incomplete scan wins over findings");
    assert_eq!(r["findings"].as_array().unwrap().len(), 2);
    assert_eq!(r["notifications"][0]["level"], "error");
    assert_eq!(r["stats"]["complete"], false);
}

/// Runs as a user who cannot read a file: as root, through `setpriv` to nobody.
#[test]
fn unreadable_file_is_named_and_the_rest_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = fixture("tree");
    let d = dir.path();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let locked = d.join("src/auth.ts");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("leakscope");
    let is_root = running_as_root();
    let mut cmd = if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    let out = cmd
        .current_dir(d)
        .args(["scan", ".", "--format", "json"])
        .output()
        .expect("setpriv (util-linux) runs the binary as nobody");
    let code = out.status.code().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("src/auth.ts") && stderr.contains("Permission denied"),
        "{stderr}"
    );
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(!paths.contains(&"src/auth.ts"));
    assert_eq!(
        paths.len(),
        TREE.len() - 2,
        "every readable file is still reported"
    );
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

#[test]
fn stdin_is_scanned_with_unknown_exposure() {
    let out = leakscope()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(format!("token: {}\n", keys::resend(7)))
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        summary(&r),
        ["stdin:1:8 resend-api-key resend api-key unknown must-rotate high unknown"]
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn files_over_max_filesize_are_listed_not_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "big.txt",
        format!("{}\nK={}\n", "a".repeat(4000), keys::stripe_live(3)),
    );
    write(d, "small.txt", "nothing here\n");
    let (code, r) = run_json(d, &["scan", ".", "--max-filesize", "2K"]);
    assert_eq!(code, 0, "a policy skip does not make the scan incomplete");
    assert_eq!(r["findings"].as_array().unwrap().len(), 0);
    assert_eq!(r["notifications"][0]["level"], "note");
    assert_eq!(r["notifications"][0]["code"], "too-large");
    assert_eq!(r["notifications"][0]["subject"], "big.txt");
    assert_eq!(r["stats"]["skipped"], 1);
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "public.env", format!("PK={}\n", keys::stripe_pk_live(1)));
    assert_eq!(
        run(d, &["scan", "public.env"]).0,
        0,
        "public-safe findings never fail the default gate"
    );
    assert_eq!(run(d, &["scan", "public.env", "--fail-on", "info"]).0, 1);
    write(
        d,
        "test.env",
        format!("SK={}\n", keys::stripe_test_legacy(2)),
    );
    assert_eq!(run(d, &["scan", "test.env"]).0, 1);
    assert_eq!(
        run(d, &["scan", "test.env", "--fail-on", "critical"]).0,
        0,
        "a test key is high, not critical"
    );
    assert_eq!(run(d, &["scan", "test.env", "--fail-on", "high"]).0, 1);
    assert_eq!(run(d, &["scan", "test.env", "--fail-on", "never"]).0, 0);
    assert_eq!(
        run(d, &["scan", "test.env", "nope", "--fail-on", "never"]).0,
        2,
        "errors exit 2 whatever the gate"
    );
}

/// A reader that goes away (`leakscope scan | head`) is not an error, and does not change the
/// answer: the findings still reached the gate.
#[test]
fn broken_pipe_keeps_the_exit_code() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..300u64 {
        write(
            d,
            &format!("f{i}.env"),
            format!("K={}\n", keys::stripe_live(i)),
        );
    }
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("leakscope"))
        .current_dir(d)
        .args(["scan", ".", "--format", "text"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(1), "stderr: {err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn symlinks_are_not_followed_and_loops_do_not_hang() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "secret.env",
        format!("K={}\n", keys::stripe_live(5)),
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "real.env", format!("K={}\n", keys::resend(9)));
    std::os::unix::fs::symlink(outside.path().join("secret.env"), d.join("link.env")).unwrap();
    std::os::unix::fs::symlink(d, d.join("loop")).unwrap();
    let (code, r) = run_json(d, &["scan", "."]);
    assert_eq!(
        summary(&r),
        ["real.env:1:3 resend-api-key resend api-key unknown must-rotate high unknown"]
    );
    assert_eq!(code, 1);
}

#[test]
fn sarif_carries_the_contract() {
    let dir = fixture("tree");
    let (_, out, _) = run(dir.path(), &["scan", ".", "--format", "sarif"]);
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let run = &s["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "leakscope");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    let stripe = rules
        .iter()
        .find(|r| r["id"] == "stripe-secret-key")
        .unwrap();
    assert_eq!(stripe["shortDescription"]["text"], "Stripe secret key");
    assert!(
        stripe["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("expiry window")
    );
    assert_eq!(stripe["properties"]["security-severity"], "9.5");
    let results = run["results"].as_array().unwrap();
    let must_rotate = TREE.iter().filter(|l| l.contains(" must-rotate ")).count();
    assert_eq!(
        results.len(),
        must_rotate,
        "public-safe findings are not code-scanning alerts"
    );
    assert_eq!(run["automationDetails"]["id"], "leakscope/scan/");
    // A test key's severity (high) is not its rule's (critical): its own descriptor says so.
    let test_key = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "config/.env.production"
        })
        .unwrap();
    assert_eq!(test_key["ruleId"], "stripe-secret-key/high");
    let i = test_key["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[i]["id"], "stripe-secret-key/high");
    assert_eq!(rules[i]["properties"]["security-severity"], "8.0");
    assert_eq!(rules[i]["defaultConfiguration"]["level"], "error");
    let r = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".env"
                && r["ruleId"] == "stripe-secret-key"
        })
        .unwrap();
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 3);
    assert_eq!(loc["region"]["startColumn"], 19);
    assert_eq!(loc["region"]["endColumn"], 126);
    let v2 = r["partialFingerprints"]["leakscope/v2"].as_str().unwrap();
    assert_eq!(v2.len(), 64);
    assert_ne!(v2, r["properties"]["fingerprint"], "v2 names the path too");
    let props = &r["properties"];
    for (k, v) in [
        ("provider", "stripe"),
        ("kind", "secret-key"),
        ("environment", "live"),
        ("verdict", "must-rotate"),
        ("severity", "critical"),
        ("exposure", "unknown"),
    ] {
        assert_eq!(props[k], v, "{k}");
    }
    assert_eq!(props["secretSha256"].as_str().unwrap().len(), 64);
    assert!(
        props["redacted"]
            .as_str()
            .unwrap()
            .starts_with("sk_live_\u{2026}")
    );
    assert!(props["warnings"].is_array());
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    // --sarif-public brings the public-safe findings back, as notes.
    let (_, out, _) = crate::common::run(
        dir.path(),
        &["scan", ".", "--format", "sarif", "--sarif-public"],
    );
    let s: Value = serde_json::from_str(&out).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), TREE.len());
    let public: Vec<&Value> = results
        .iter()
        .filter(|r| r["properties"]["verdict"] == "public-safe")
        .collect();
    assert!(!public.is_empty());
    assert!(public.iter().all(|r| r["level"] == "note"));
}

#[test]
fn fingerprints_are_stable_across_line_moves() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = keys::stripe_live(11);
    write(d, "a.env", format!("K={key}\n"));
    let (_, r1) = run_json(d, &["scan", "a.env"]);
    write(d, "a.env", format!("# moved\n\n  K = \"{key}\"\n"));
    let (_, r2) = run_json(d, &["scan", "a.env"]);
    assert_eq!(
        r1["findings"][0]["fingerprint"],
        r2["findings"][0]["fingerprint"]
    );
    assert_eq!(r2["findings"][0]["line"], 3);
    // The digest is the SHA-256 of the key's text.
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(r1["findings"][0]["secretSha256"], hex.as_str());
}

#[test]
fn rules_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run(dir.path(), &["rules"]);
    assert_eq!(code, 0);
    let stripe = out
        .lines()
        .find(|l| l.starts_with("stripe-secret-key "))
        .expect("stripe-secret-key listed");
    assert_eq!(
        stripe.split_whitespace().collect::<Vec<_>>(),
        [
            "stripe-secret-key",
            "stripe",
            "secret-key",
            "secret",
            "critical",
            "stripe-secret-key"
        ],
        "{stripe}"
    );
    let (code, out, _) = run(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "supabase-service-role-jwt" && r["class"] == "secret")
    );
    let (code, out, _) = run(dir.path(), &["explain", "supabase-service-role-jwt"]);
    assert_eq!(code, 0);
    assert!(out.contains("signs out every user"), "{out}");
    let (code, _, err) = run(dir.path(), &["explain", "stripe-nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown rule `stripe-nope`") && err.contains("stripe-secret-key"),
        "{err}"
    );
}

#[test]
fn output_file_is_written_atomically() {
    let dir = fixture("tree");
    let d = dir.path();
    let out_dir = tempfile::tempdir().unwrap();
    let target = out_dir.path().join("report.sarif");
    let (code, stdout, _) = run(
        d,
        &[
            "scan",
            "src",
            "--format",
            "sarif",
            "-o",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    let v: Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 6);
    let leftovers: Vec<_> = std::fs::read_dir(out_dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

/// Regression: `-o /dev/null` once renamed a temporary file over the device node. Special
/// files are written in place; a FIFO stands in for the device here.
#[test]
fn output_to_a_special_file_writes_through_it() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut s = String::new();
            std::fs::File::open(&fifo)
                .unwrap()
                .read_to_string(&mut s)
                .unwrap();
            s
        })
    };
    write(dir.path(), "k.env", format!("K={}\n", keys::resend(3)));
    let (code, _, err) = run(
        dir.path(),
        &[
            "scan",
            "k.env",
            "--format",
            "json",
            "-o",
            fifo.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{err}");
    let got = reader.join().unwrap();
    assert!(got.contains("resend-api-key"));
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "still a FIFO"
    );
}

/// The rule files and fixtures hold their example keys split by `~~`, so that no file of this
/// repository is itself a credential: scanned as committed (markers kept), they give nothing.
#[test]
fn rule_files_and_fixtures_as_committed_hold_no_key() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for sub in ["rules", "fixtures"] {
        copy_raw(&root.join(sub), &dir.path().join(sub));
    }
    let (code, report) = run_json(dir.path(), &["scan", "rules", "fixtures"]);
    let found: Vec<String> = findings(&report)
        .iter()
        .map(|f| format!("{}:{} {}", f["path"], f["line"], f["ruleId"]))
        .collect();
    assert!(found.is_empty(), "keys committed whole: {found:#?}");
    assert_eq!(code, 0);
}

fn copy_raw(src: &std::path::Path, dst: &std::path::Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_raw(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// The generic rules are off by default; with `--generic` a high-entropy literal assigned to
/// a secret-like name is reported, with the provider unknown, and calls are not.
#[test]
fn generic_rules_only_with_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let secret = keys::body(4242, 32);
    std::fs::write(
        dir.path().join("settings.env"),
        format!("INTERNAL_API_TOKEN={secret}\nother_token = fetch_token_from_vault(name)\n"),
    )
    .unwrap();
    let (code, report) = run_json(dir.path(), &["scan", "."]);
    assert_eq!((code, findings(&report).len()), (0, 0), "{report}");
    let (code, report) = run_json(dir.path(), &["scan", ".", "--generic"]);
    assert_eq!(code, 1);
    let f = findings(&report);
    assert_eq!(f.len(), 1, "{report}");
    assert_eq!(f[0]["ruleId"], "generic-secret");
    assert_eq!(f[0]["provider"], "generic");
    assert_eq!(f[0]["line"], 1);
    assert_eq!(f[0]["verdict"], "must-rotate");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("provider unknown"),
        "{}",
        f[0]["message"]
    );
}
