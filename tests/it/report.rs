//! The Markdown incident report on a fixture repository: exact text (snapshot), stable across
//! runs and thread counts, never a full secret, and well-formed once rendered to HTML.

use crate::common::*;
use serde_json::Value;

/// A small company's repository with a history of leaks. Every key is fake; commit ids are
/// stable because content, names and dates are fixed.
pub fn incident_repo() -> Repo {
    let r = Repo::new();
    r.git(&[
        "remote",
        "add",
        "origin",
        "https://git.example.com/acme/shop.git",
    ]);
    let stripe_live = keys::stripe_live(100);
    let webhook = ["whsec_", &keys::body(101, 32)].concat();
    let pk_live = keys::stripe_pk_live(102);
    let anon = more_keys::supabase_jwt("anon", 103);
    let service = more_keys::supabase_jwt("service_role", 104);
    r.write("README.md", "# shop\n");
    r.write(
        ".env",
        format!("STRIPE_SECRET_KEY={stripe_live}\nSTRIPE_WEBHOOK_SECRET={webhook}\n"),
    );
    r.write(
        "web/.env",
        format!(
            "NEXT_PUBLIC_SUPABASE_ANON_KEY={anon}\nNEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY={pk_live}\n"
        ),
    );
    r.commit("initial shop");
    r.write(
        "server/supabase.ts",
        format!("import {{ createClient }} from \"@supabase/supabase-js\";\n\nexport const admin = createClient(url, \"{service}\");\n"),
    );
    r.commit("server-side admin client");
    r.write(
        "config/.env.production",
        format!("STRIPE_SECRET_KEY={}\n", keys::stripe_test_legacy(105)),
    );
    r.commit("production config");
    r.git(&["tag", "v1.0"]);
    std::fs::remove_file(r.path().join(".env")).unwrap();
    r.write(".gitignore", ".env\n");
    r.commit("stop committing .env");
    r.git(&["checkout", "-q", "-b", "feature/mail"]);
    r.write(
        "mail.ts",
        format!("export const RESEND_API_KEY = \"{}\";\n", keys::resend(106)),
    );
    r.commit("transactional mail");
    r.git(&["checkout", "-q", "main"]);
    r.write(
        "auth.ts",
        format!(
            "const CLERK_SECRET_KEY = \"{}\";\n",
            ["sk_", "live_", &keys::body(107, 42)].concat()
        ),
    );
    r.commit("oops: clerk key");
    r.git(&["reset", "-q", "--hard", "HEAD~1"]);
    r
}

#[test]
fn markdown_incident_report_snapshot() {
    let r = incident_repo();
    let (code, one, _) = run(
        r.path(),
        &[
            "history",
            "--unreachable",
            "--format",
            "markdown",
            "--threads",
            "1",
        ],
    );
    let (_, two, _) = run(
        r.path(),
        &[
            "history",
            "--unreachable",
            "--format",
            "markdown",
            "--threads",
            "2",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(one, two, "identical for any thread count");
    let (_, again, _) = run(
        r.path(),
        &["history", "--unreachable", "--format", "markdown"],
    );
    assert_eq!(one, again, "identical across runs");
    insta::assert_snapshot!("incident_report", one);
}

#[test]
fn markdown_report_never_contains_a_full_secret() {
    let r = incident_repo();
    let (_, shown) = r.json(&["history", "--unreachable", "--show-secrets"]);
    let secrets: Vec<String> = findings(&shown)
        .iter()
        .map(|f| f["secret"].as_str().expect("found and shown").to_string())
        .collect();
    assert_eq!(secrets.len(), 8, "every planted key is found first");
    for extra in [&[][..], &["--show-secrets"][..]] {
        let mut args = vec!["history", "--unreachable", "--format", "markdown"];
        args.extend_from_slice(extra);
        let (_, md, _) = run(r.path(), &args);
        for s in &secrets {
            assert!(
                !md.contains(s.as_str()),
                "the report holds a full secret ({extra:?})"
            );
            assert!(
                !md.contains(&s[4..s.len() - 5]),
                "the report holds most of a secret"
            );
        }
    }
}

#[test]
fn markdown_report_renders_tables_and_checklists() {
    let r = incident_repo();
    let (_, md, _) = run(
        r.path(),
        &["history", "--unreachable", "--format", "markdown"],
    );
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("report.md");
    std::fs::write(&src, &md).unwrap();
    let out = std::process::Command::new("pandoc")
        .args(["--from", "gfm", "--to", "html"])
        .arg(&src)
        .output()
        .expect("pandoc must be installed to run this test (.ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        html.matches("<table>").count(),
        3,
        "summary, secrets and no-action tables"
    );
    let boxes = html.matches("type=\"checkbox\"").count();
    assert!(boxes >= 20, "checklists render as checkboxes ({boxes})");
    assert!(html.contains("<th>secret</th>") && html.contains("<td>must-rotate</td>"));
    assert!(!html.contains("- [ ]"), "no checklist left unrendered");
    assert!(!html.contains("|---"), "no table left unrendered");
}

#[test]
fn scan_and_json_carry_the_runbook_id() {
    let dir = fixture("tree");
    let (_, rep) = run_json(dir.path(), &["scan", "src/auth.ts"]);
    let f: &Value = &findings(&rep)[1];
    assert_eq!(f["runbook"], "clerk-secret-key");
    let (code, md, _) = run(dir.path(), &["scan", ".", "--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(md.contains("## Rotation plan") && md.contains("Files on disk"));
}

/// The text, JSON and SARIF reports of the fixture tree and of the incident repository, exact
/// (snapshots). SARIF's rule list, which carries every runbook, is checked elsewhere and
/// replaced by its length here.
#[test]
fn text_json_and_sarif_snapshots() {
    let dir = fixture("tree");
    let (code, text, _) = run(dir.path(), &["scan", ".", "--threads", "2"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("tree_text", text);
    let (_, json) = run_json(dir.path(), &["scan", "."]);
    insta::assert_json_snapshot!("tree_json", json);

    let r = incident_repo();
    let (_, history_text, _) = run(r.path(), &["history", "--unreachable"]);
    insta::assert_snapshot!("incident_text", history_text);
    let (_, json) = r.json(&["history", "--unreachable"]);
    insta::assert_json_snapshot!("incident_json", json);
    let (_, sarif, _) = run(r.path(), &["history", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    insta::assert_json_snapshot!("incident_sarif", sarif, {
        ".runs[].tool.driver.rules" => insta::dynamic_redaction(|v, _| {
            format!("[{} rules]", v.as_slice().map_or(0, |s| s.len()))
        }),
        ".runs[].results[].ruleIndex" => "[index]",
        ".runs[].tool.driver.version" => "[version]",
        ".runs[].tool.driver.semanticVersion" => "[version]",
    });
}
