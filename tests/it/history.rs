//! `leakscope history`, `history --range` and `staged` on repositories built by the tests.

use crate::common::*;
use serde_json::Value;

/// The one finding of `report` at `path` (panics if there is not exactly one).
fn at<'a>(report: &'a Value, path: &str) -> &'a Value {
    let fs: Vec<&Value> = findings(report)
        .iter()
        .filter(|f| f["path"] == path)
        .collect();
    assert_eq!(fs.len(), 1, "findings at {path}: {report:#}");
    fs[0]
}

fn live(seed: u64) -> String {
    keys::stripe_live(seed)
}

#[test]
fn key_added_then_deleted() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("init");
    r.write(
        "config/prod.env",
        format!("# prod\nSTRIPE_SECRET_KEY={}\n", live(1)),
    );
    let added = r.commit("add prod config");
    std::fs::remove_file(r.path().join("config/prod.env")).unwrap();
    let removed = r.commit("remove prod config");
    let (code, rep) = r.json(&["history"]);
    assert_eq!(code, 1);
    let f = at(&rep, "config/prod.env");
    assert_eq!(f["ruleId"], "stripe-secret-key");
    assert_eq!(f["verdict"], "must-rotate");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["exposure"], "committed");
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], 19);
    assert_eq!(f["commit"], added.as_str());
    assert_eq!(f["author"], "Ann Author");
    assert_eq!(f["date"], "2025-03-02T10:00:00+00:00");
    assert_eq!(f["atHead"], false);
    assert_eq!(strings(&f["refs"]), ["refs/heads/main"]);
    assert_eq!(strings(&f["tips"]), Vec::<String>::new());
    assert_eq!(f["removedIn"], removed.as_str());
    assert_eq!(strings(&f["paths"]), ["config/prod.env"]);
    assert_eq!(f["commits"][0]["commit"], added.as_str());
    assert!(f["message"].as_str().unwrap().contains(
        "removed from every branch and tag, still in history: rotate it and rewrite history"
    ));
    let (_, text, _) = run(r.path(), &["history"]);
    assert!(
        text.contains(&format!(
            "introduced in {} by Ann Author on 2025-03-02 in config/prod.env\n  removed from every branch and tag, still in history\n",
            &added[..7]
        )),
        "{text}"
    );
}

#[test]
fn renamed_file_gives_one_secret_at_two_paths() {
    let r = Repo::new();
    r.write("old/app.env", format!("A=1\nKEY={}\n", live(2)));
    let added = r.commit("add");
    std::fs::create_dir(r.path().join("new")).unwrap();
    r.git(&["mv", "old/app.env", "new/app.env"]);
    let moved = r.commit("move");
    let (_, rep) = r.json(&["history"]);
    assert_eq!(findings(&rep).len(), 2);
    let old = at(&rep, "old/app.env");
    let new = at(&rep, "new/app.env");
    for f in [old, new] {
        assert_eq!(
            f["commit"],
            added.as_str(),
            "the same first commit on every result"
        );
        assert_eq!(f["atHead"], true);
        assert_eq!(strings(&f["paths"]), ["new/app.env", "old/app.env"]);
        assert_eq!(
            f["commits"].as_array().unwrap().len(),
            1,
            "the rename introduces nothing"
        );
        assert_eq!(f["secretSha256"], old["secretSha256"]);
    }
    assert_eq!(new["line"], 2);
    let _ = moved;
}

#[test]
fn key_only_on_an_unmerged_branch() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("init");
    r.git(&["checkout", "-q", "-b", "feature/payments"]);
    r.write("pay.ts", format!("const k = \"{}\";\n", live(3)));
    let c = r.commit("wip");
    r.git(&["checkout", "-q", "main"]);
    let (_, rep) = r.json(&["history"]);
    let f = at(&rep, "pay.ts");
    assert_eq!(f["commit"], c.as_str());
    assert_eq!(strings(&f["refs"]), ["refs/heads/feature/payments"]);
    assert_eq!(f["atHead"], false);
}

#[test]
fn key_only_reachable_from_tags() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("init");
    r.git(&["checkout", "-q", "-b", "tmp"]);
    r.write("release.env", format!("K={}\n", keys::resend(4)));
    r.commit("release");
    r.git(&["tag", "v1.0"]);
    r.git(&["tag", "-a", "v1.0-annotated", "-m", "annotated"]);
    r.git(&["checkout", "-q", "main"]);
    r.git(&["branch", "-q", "-D", "tmp"]);
    let (_, rep) = r.json(&["history"]);
    let f = at(&rep, "release.env");
    assert_eq!(
        strings(&f["refs"]),
        ["refs/tags/v1.0", "refs/tags/v1.0-annotated"]
    );
    assert_eq!(f["ruleId"], "resend-api-key");
    assert_eq!(f["severity"], "high");
}

#[test]
fn keys_in_the_stash_and_its_untracked_parent() {
    let r = Repo::new();
    r.write("app.env", "A=1\n");
    r.commit("init");
    r.write("app.env", format!("A=1\nK={}\n", live(5)));
    r.write(
        "scratch.env",
        format!("T={}\n", keys::stripe_test_legacy(6)),
    );
    r.git(&["stash", "push", "-q", "--include-untracked"]);
    let (_, rep) = r.json(&["history"]);
    assert_eq!(findings(&rep).len(), 2, "{rep:#}");
    for path in ["app.env", "scratch.env"] {
        let f = at(&rep, path);
        assert_eq!(strings(&f["refs"]), ["refs/stash"], "{path}");
        assert_eq!(f["atHead"], false);
    }
}

#[test]
fn dangling_commit_after_reset_is_found_only_with_unreachable() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("init");
    r.write("oops.env", format!("K={}\n", live(7)));
    let dropped = r.commit("oops");
    r.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let (code, rep) = r.json(&["history"]);
    assert_eq!(findings(&rep).len(), 0, "{rep:#}");
    assert_eq!(code, 0);
    let (code, rep) = r.json(&["history", "--unreachable"]);
    assert_eq!(code, 1);
    let f = at(&rep, "oops.env");
    assert_eq!(f["commit"], dropped.as_str());
    assert_eq!(strings(&f["refs"]), Vec::<String>::new());
    assert!(
        f["message"].as_str().unwrap().contains("no ref reaches"),
        "{}",
        f["message"]
    );
}

#[test]
fn key_introduced_on_a_branch_and_merged() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("init");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("svc.env", format!("K={}\n", keys::resend(8)));
    let c = r.commit("feature work");
    r.git(&["checkout", "-q", "main"]);
    r.write("b.txt", "b\n");
    r.commit("main work");
    r.next_date();
    r.git(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    let (_, rep) = r.json(&["history"]);
    let f = at(&rep, "svc.env");
    assert_eq!(f["commit"], c.as_str());
    assert_eq!(
        f["commits"].as_array().unwrap().len(),
        1,
        "the merge introduces nothing"
    );
    assert_eq!(
        strings(&f["refs"]),
        ["refs/heads/feature", "refs/heads/main"]
    );
    assert_eq!(f["atHead"], true);
}

#[test]
fn one_key_in_two_files_is_one_secret_at_two_paths() {
    let r = Repo::new();
    let k = live(9);
    r.write("a/.env", format!("K={k}\n"));
    r.write("b/settings.py", format!("\n\nSTRIPE = \"{k}\"\n"));
    let c = r.commit("both");
    let (_, rep) = r.json(&["history"]);
    assert_eq!(findings(&rep).len(), 2);
    let a = at(&rep, "a/.env");
    let b = at(&rep, "b/settings.py");
    assert_eq!(a["secretSha256"], b["secretSha256"]);
    assert_eq!((a["line"].as_u64(), b["line"].as_u64()), (Some(1), Some(3)));
    assert_eq!(a["commit"], c.as_str());
    assert_eq!(
        a["commits"][0]["paths"],
        serde_json::json!(["a/.env", "b/settings.py"])
    );
    // Text output groups by secret: one block.
    let (_, text, _) = run(r.path(), &["history"]);
    assert_eq!(text.matches("MUST ROTATE").count(), 1, "{text}");
}

#[test]
fn public_keys_at_head_and_service_role_in_history() {
    let r = Repo::new();
    let anon = more_keys::supabase_jwt("anon", 10);
    let service = more_keys::supabase_jwt("service_role", 11);
    let pk = more_keys::clerk_pk("clerk.example-shop.dev");
    r.write(
        "web/.env",
        format!("NEXT_PUBLIC_SUPABASE_ANON_KEY={anon}\nNEXT_PUBLIC_CLERK_PUBLISHABLE_KEY={pk}\n"),
    );
    r.write(
        "server/.env",
        format!("SUPABASE_SERVICE_ROLE_KEY={service}\n"),
    );
    let c = r.commit("env");
    std::fs::remove_file(r.path().join("server/.env")).unwrap();
    r.commit("drop server env");
    let (code, rep) = r.json(&["history"]);
    assert_eq!(code, 1);
    let fs: Vec<(&str, &str, &str, bool)> = findings(&rep)
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap(),
                f["verdict"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["atHead"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fs,
        [
            (
                "supabase-service-role-jwt",
                "must-rotate",
                "critical",
                false
            ),
            ("supabase-anon-jwt", "public-safe", "info", true),
            ("clerk-publishable-key", "public-safe", "info", true),
        ]
    );
    assert_eq!(at(&rep, "server/.env")["commit"], c.as_str());
}

#[test]
fn range_reports_only_what_the_branch_adds() {
    let r = Repo::new();
    let old = live(12);
    r.write("config.env", format!("OLD={old}\n"));
    r.commit("old leak on main");
    r.git(&["checkout", "-q", "-b", "pr"]);
    // Touch the file with the old leak, and add a new key elsewhere.
    r.write("config.env", format!("OLD={old}\nDEBUG=1\n"));
    r.write(
        "mail.env",
        format!("\nRESEND_API_KEY={}\n", keys::resend(13)),
    );
    let c = r.commit("pr work");
    let (code, rep) = r.json(&["history", "--range", "main..pr"]);
    assert_eq!(code, 1);
    assert_eq!(
        summary(&rep),
        ["mail.env:2:16 resend-api-key resend api-key unknown must-rotate high committed"]
    );
    assert_eq!(findings(&rep)[0]["commit"], c.as_str());
    // Nothing added: exit 0.
    let (code, rep) = r.json(&["history", "--range", "pr..main"]);
    assert_eq!((code, findings(&rep).len()), (0, 0));
}

#[test]
fn staged_reports_only_staged_content() {
    let r = Repo::new();
    let committed = live(14);
    r.write("old.env", format!("K={committed}\n"));
    r.commit("old");
    // Unstaged change and untracked file: not staged, not reported.
    r.write("untracked.env", format!("K={}\n", live(15)));
    r.write(
        "old.env",
        format!("K={committed}\nNEW={}\n", keys::resend(16)),
    );
    let (code, rep) = r.json(&["staged"]);
    assert_eq!((code, findings(&rep).len()), (0, 0), "{rep:#}");
    // Stage the modified file: only the new key is reported, with its line.
    r.git(&["add", "old.env"]);
    let (code, rep) = r.json(&["staged"]);
    assert_eq!(code, 1);
    assert_eq!(
        summary(&rep),
        ["old.env:2:5 resend-api-key resend api-key unknown keep-private medium staged"]
    );
    let msg = findings(&rep)[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("git restore --staged old.env") && msg.contains(".gitignore"),
        "{msg}"
    );
}

#[test]
fn staged_on_an_unborn_branch_reports_everything() {
    let r = Repo::new();
    r.write("first.env", format!("K={}\n", keys::stripe_test_legacy(17)));
    r.git(&["add", "first.env"]);
    let (code, rep) = r.json(&["staged"]);
    assert_eq!(code, 1);
    assert_eq!(
        summary(&rep),
        ["first.env:1:3 stripe-secret-key stripe secret-key test keep-private medium staged"]
    );
    assert!(
        findings(&rep)[0]["message"]
            .as_str()
            .unwrap()
            .contains("git rm --cached first.env")
    );
}

#[test]
fn history_sarif_points_at_head_or_entry_and_names_the_revision() {
    let r = Repo::new();
    let k = live(18);
    r.write("a.env", format!("K={k}\n"));
    let first = r.commit("a");
    r.write("b.env", format!("\nK={k}\n"));
    let second = r.commit("b");
    std::fs::remove_file(r.path().join("a.env")).unwrap();
    r.commit("drop a");
    let head = r.git(&["rev-parse", "HEAD"]);
    // No remote: no repository URI (never a local path), the revision in the run's properties.
    let (_, out, _) = run(r.path(), &["history", "--format", "sarif"]);
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["runs"][0]["versionControlProvenance"], Value::Null);
    assert_eq!(s["runs"][0]["properties"]["revisionId"], head.as_str());
    assert_eq!(s["runs"][0]["properties"]["branch"], "main");
    r.git(&[
        "remote",
        "add",
        "origin",
        "https://git.example.com/acme/shop.git",
    ]);
    let (_, out, _) = run(r.path(), &["history", "--format", "sarif"]);
    let s: Value = serde_json::from_str(&out).unwrap();
    let run0 = &s["runs"][0];
    assert_eq!(
        run0["versionControlProvenance"][0]["repositoryUri"],
        "https://git.example.com/acme/shop.git"
    );
    assert_eq!(
        run0["versionControlProvenance"][0]["revisionId"],
        head.as_str()
    );
    assert_eq!(run0["versionControlProvenance"][0]["branch"], "main");
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "one result per distinct secret and path");
    let uri = |r: &Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let b = results.iter().find(|x| uri(x) == "b.env").unwrap();
    assert_eq!(
        b["locations"][0]["physicalLocation"]["region"]["startLine"], 2,
        "still at HEAD: HEAD's line"
    );
    assert_eq!(
        b["properties"]["commit"],
        first.as_str(),
        "the secret's first commit"
    );
    assert_eq!(b["properties"]["atHead"], true);
    let a = results.iter().find(|x| uri(x) == "a.env").unwrap();
    assert_eq!(
        a["locations"][0]["physicalLocation"]["region"]["startLine"], 1,
        "where it entered"
    );
    assert_eq!(
        a["partialFingerprints"]["leakscope/v1"],
        b["partialFingerprints"]["leakscope/v1"]
    );
    let _ = second;
}

#[test]
fn not_a_repository_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(dir.path(), &["history"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("not a git repository"), "{err}");
    let (code, _, err) = run(dir.path(), &["staged"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a git repository"), "{err}");
}

#[test]
fn missing_ref_in_range_is_exit_2() {
    let r = Repo::new();
    r.write("a", "a\n");
    r.commit("a");
    let (code, _, err) = run(r.path(), &["history", "--range", "main..no-such-branch"]);
    assert_eq!(code, 2);
    assert!(err.contains("`no-such-branch` is not a commit"), "{err}");
    let (code, _, err) = run(r.path(), &["history", "--range", "main"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected A..B"), "{err}");
}

#[test]
fn notes_remote_tracking_refs_and_tags_on_blobs_are_roots() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    let c = r.commit("a");
    // A note whose text holds a key.
    r.git(&[
        "notes",
        "add",
        "-m",
        &format!("deploy with {}", keys::resend(120)),
        &c,
    ]);
    // A commit only a remote-tracking ref reaches.
    r.git(&["checkout", "-q", "-b", "tmp"]);
    r.write("remote.env", format!("K={}\n", keys::stripe_live(121)));
    let remote_only = r.commit("remote work");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["branch", "-q", "-D", "tmp"]);
    r.git(&["update-ref", "refs/remotes/origin/feature", &remote_only]);
    // A tag pointing straight at a blob.
    let blob_file = r.path().join("blob.txt");
    std::fs::write(
        &blob_file,
        format!("token {}\n", keys::stripe_test_legacy(122)),
    )
    .unwrap();
    let blob = r.git(&["hash-object", "-w", blob_file.to_str().unwrap()]);
    std::fs::remove_file(&blob_file).unwrap();
    r.git(&["tag", "key-blob", &blob]);
    let (_, rep) = r.json(&["history"]);
    let rows: Vec<(String, Vec<String>)> = findings(&rep)
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_string(),
                strings(&f["refs"]),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "resend-api-key".to_string(),
                vec!["refs/notes/commits".to_string()]
            ),
            // Sorted by path: a tag on a blob has the tag's name as its path.
            (
                "stripe-secret-key".to_string(),
                vec!["refs/tags/key-blob".to_string()]
            ),
            (
                "stripe-secret-key".to_string(),
                vec!["refs/remotes/origin/feature".to_string()]
            ),
        ],
        "{rep:#}"
    );
    assert_eq!(
        findings(&rep)[0]["path"],
        c.as_str(),
        "a note's path is the id of the commit it annotates"
    );
}

/// Where a secret is now does not depend on what is checked out: removed from `main` but
/// still at the tip of `release-1.2`, it says so from either branch; gone from both, it says
/// "removed from every branch and tag" with the exposure window in the Markdown report.
#[test]
fn still_at_the_tip_of_another_branch_whatever_is_checked_out() {
    let r = Repo::new();
    r.write("README.md", "shop\n");
    r.commit("init");
    r.write(
        "config/prod.env",
        format!("STRIPE_SECRET_KEY={}\n", live(7)),
    );
    let added = r.commit("add prod config");
    r.git(&["branch", "release-1.2"]);
    std::fs::remove_file(r.path().join("config/prod.env")).unwrap();
    r.commit("remove prod config");
    for checked_out in ["main", "release-1.2"] {
        r.git(&["checkout", "-q", checked_out]);
        let (code, rep) = r.json(&["history"]);
        assert_eq!(code, 1);
        let f = at(&rep, "config/prod.env");
        assert_eq!(
            strings(&f["tips"]),
            ["refs/heads/release-1.2"],
            "{checked_out}"
        );
        assert!(f.get("removedIn").is_none());
        let (_, text, _) = run(r.path(), &["history"]);
        assert!(
            text.contains("\n  still at the tip of release-1.2\n"),
            "{checked_out}: {text}"
        );
        assert!(!text.contains("HEAD"), "{text}");
    }
    r.git(&["checkout", "-q", "release-1.2"]);
    std::fs::remove_file(r.path().join("config/prod.env")).unwrap();
    let last = r.commit("remove prod config from the release");
    r.git(&["checkout", "-q", "main"]);
    let (_, rep) = r.json(&["history"]);
    let f = at(&rep, "config/prod.env");
    assert_eq!(strings(&f["tips"]), Vec::<String>::new());
    assert_eq!(f["removedIn"], last.as_str());
    let (_, md, _) = run(r.path(), &["history", "--format", "markdown"]);
    assert!(
        md.contains(&format!(
            "first committed in `{}` by Ann Author <ann@example.com> on 2025-03-02; exposed from 2025-03-02 until ",
            &added[..7]
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!("(removed from the last branch or tag by `{}`); removed from every branch and tag, still in history.", &last[..7])),
        "{md}"
    );
}

/// Keys pasted into a commit message, an annotated tag's message or a git note are reported,
/// naming the commit, tag or note; SARIF lists message findings in the run's properties
/// (code scanning only takes file locations).
#[test]
fn keys_in_commit_and_tag_messages_and_notes() {
    let r = Repo::new();
    r.write("README.md", "shop\n");
    let c = r.commit(&format!("deploy\n\nused {} for the smoke test", live(31)));
    r.git(&[
        "tag",
        "-a",
        "v1.0",
        "-m",
        &format!("release\n\nkey {}", keys::resend(32)),
    ]);
    r.git(&["notes", "add", "-m", &format!("token {}", live(33)), "HEAD"]);
    let (code, rep) = r.json(&["history"]);
    assert_eq!(code, 1);
    let fs = findings(&rep);
    assert_eq!(fs.len(), 3, "{rep:#}");
    let commit = fs
        .iter()
        .find(|f| f["inMessage"]["kind"] == "commit")
        .unwrap();
    assert_eq!(commit["inMessage"]["id"], c.as_str());
    assert_eq!(commit["ruleId"], "stripe-secret-key");
    assert_eq!(commit["line"], 3);
    assert_eq!(commit["action"], "rotate-and-rewrite-history");
    let tag = fs.iter().find(|f| f["inMessage"]["kind"] == "tag").unwrap();
    assert_eq!(tag["inMessage"]["name"], "refs/tags/v1.0");
    assert_eq!(tag["ruleId"], "resend-api-key");
    let note = fs.iter().find(|f| f.get("inMessage").is_none()).unwrap();
    assert_eq!(strings(&note["refs"]), ["refs/notes/commits"]);
    let (_, text, _) = run(r.path(), &["history"]);
    assert!(
        text.contains(&format!(
            "  in the commit message of {}, by Ann Author on ",
            &c[..7]
        )),
        "{text}"
    );
    assert!(
        text.contains("  in the message of tag v1.0, by Ann Author on "),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  in the git note on {} (refs/notes/commits), still in the notes",
            &c[..7]
        )),
        "{text}"
    );
    let (_, sarif, _) = run(r.path(), &["history", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let run0 = &sarif["runs"][0];
    assert_eq!(
        run0["results"].as_array().unwrap().len(),
        1,
        "the note, a file"
    );
    let listed = run0["properties"]["inMessages"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|m| m["level"] == "error"));
}

/// Lines of filler, long enough that git stores the versions of a file as deltas.
fn filler(seed: u64, lines: usize) -> String {
    (0..lines)
        .map(|i| format!("setting_{i} = {}\n", keys::body(seed * 1000 + i as u64, 40)))
        .collect()
}

/// What must not depend on how objects are stored: each finding's rule, path, line, secret and
/// first commit, in report order.
fn identities(report: &Value) -> Vec<String> {
    findings(report)
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {} {}",
                f["ruleId"], f["path"], f["line"], f["secretSha256"], f["commit"]
            )
        })
        .collect()
}

/// A file edited around a key (modelled on `key_added_then_deleted` and the delta tests),
/// scanned whole and as a range.
fn edited_file() -> (Repo, Vec<Vec<String>>) {
    let r = Repo::new();
    let base = filler(1, 200);
    r.write("config/prod.env", &base);
    let first = r.commit("base");
    let k = live(30);
    let mut v1 = base.clone();
    v1.insert_str(4000, &format!("\nSTRIPE_SECRET_KEY={k}\n"));
    r.write("config/prod.env", &v1);
    r.commit("add key");
    let k2 = format!("{}{}", &k[..k.len() - 6], "QQQQ77");
    r.write("config/prod.env", v1.replace(&k, &k2));
    r.commit("edit key tail");
    r.write(
        "config/prod.env",
        v1.replace(&format!("={k}"), &format!("=x{k}")),
    );
    r.commit("glue");
    r.write(
        "config/prod.env",
        v1.replace(&k, &keys::resend(31)) + &filler(2, 20),
    );
    r.commit("resend");
    r.git(&["mv", "config/prod.env", "config/live.env"]);
    r.commit("rename");
    std::fs::remove_file(r.path().join("config/live.env")).unwrap();
    r.write("config/other.env", &base);
    r.commit("remove");
    let range = format!("{first}..main");
    (
        r,
        vec![args(&["history"]), args(&["history", "--range", &range])],
    )
}

/// Keys on an unmerged branch, behind tags, merged, and in the stash.
fn branches_tags_stash() -> (Repo, Vec<Vec<String>>) {
    let r = Repo::new();
    let base = filler(3, 150);
    r.write("app.env", &base);
    r.commit("init");
    r.git(&["checkout", "-q", "-b", "payments"]);
    r.write("app.env", format!("{base}K={}\n", live(32)));
    r.commit("wip");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["checkout", "-q", "-b", "tmp"]);
    r.write("app.env", format!("R={}\n{base}", keys::resend(33)));
    r.commit("release");
    r.git(&["tag", "-a", "v1.0", "-m", "annotated"]);
    r.git(&["checkout", "-q", "main"]);
    r.git(&["branch", "-q", "-D", "tmp"]);
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write(
        "svc.env",
        format!("{}\nS={}\n", filler(4, 100), keys::resend(34)),
    );
    r.commit("feature work");
    r.git(&["checkout", "-q", "main"]);
    r.write("b.txt", filler(4, 100));
    r.commit("main work");
    r.next_date();
    r.git(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    r.write("app.env", format!("{base}A=1\nK={}\n", live(35)));
    r.git(&["stash", "push", "-q"]);
    (r, vec![args(&["history"])])
}

/// A commit dropped by `git reset --hard`, found only with `--unreachable`.
fn dropped_commit() -> (Repo, Vec<Vec<String>>) {
    let r = Repo::new();
    let base = filler(5, 150);
    r.write("a.txt", &base);
    r.commit("init");
    r.write(
        "a.txt",
        base.replace("setting_70 =", &format!("K={}\nsetting_70 =", live(36))),
    );
    r.commit("oops");
    r.git(&["reset", "-q", "--hard", "HEAD~1"]);
    (
        r,
        vec![args(&["history"]), args(&["history", "--unreachable"])],
    )
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn history_is_the_same_loose_and_packed_with_offset_and_reference_deltas() {
    for (name, (r, scans)) in [
        ("edited file", edited_file()),
        ("branches, tags and stash", branches_tags_stash()),
        ("dropped commit", dropped_commit()),
    ] {
        let run_all = |r: &Repo| -> Vec<(i32, Vec<String>)> {
            scans
                .iter()
                .map(|a| {
                    let a: Vec<&str> = a.iter().map(String::as_str).collect();
                    let (code, rep) = r.json(&a);
                    (code, identities(&rep))
                })
                .collect()
        };
        assert_eq!(pack_delta_entries(r.path()), (0, 0), "{name}: loose");
        let loose = run_all(&r);
        assert!(
            loose.iter().any(|(_, ids)| !ids.is_empty()),
            "{name}: the scans find something"
        );
        let (ofs, refs) = r.repack(Deltas::Offset);
        assert!(
            ofs > 0 && refs == 0,
            "{name}: offset deltas ({ofs}, {refs})"
        );
        assert_eq!(
            run_all(&r),
            loose,
            "{name}: offset deltas against loose objects"
        );
        let (ofs, refs) = r.repack(Deltas::Reference);
        assert!(
            ofs == 0 && refs > 0,
            "{name}: reference deltas ({ofs}, {refs})"
        );
        assert_eq!(
            run_all(&r),
            loose,
            "{name}: reference deltas against loose objects"
        );
    }
}
