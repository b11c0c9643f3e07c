//! The merge gate (`history --range A..B`) holds against the change it judges: configuration
//! and baseline come from the range's base, allow comments the range adds are not trusted,
//! a shallow checkout is an error that says how to fix it, and no output carries the
//! credentials of the remote's URL.

use crate::common::*;
use serde_json::Value;

/// A repository whose main has a clean configuration, and a branch that adds a live Stripe
/// key; `edit` changes the branch before its commit.
fn pull_request(edit: impl Fn(&Repo)) -> Repo {
    let r = Repo::new();
    r.write(".leakscope.toml", "fail_on = \"medium\"\n");
    r.write("README.md", "# app\n");
    r.commit("base");
    r.git(&["checkout", "-q", "-b", "pr"]);
    r.write(
        "pay.env",
        format!("STRIPE_SECRET_KEY={}\n", keys::stripe_live(300)),
    );
    edit(&r);
    r.commit("add payments");
    r
}

fn gate(r: &Repo, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["history", "--range", "main..pr", "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = run(r.path(), &args);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v, err)
}

#[test]
fn a_pull_request_that_edits_the_configuration_still_fails_the_gate() {
    for config in [
        "[rules]\ndisable = [\"stripe-secret-key\"]\n",
        "[allow]\npaths = [\"**\"]\n",
        "fail_on = \"never\"\n",
    ] {
        let r = pull_request(|r| r.write(".leakscope.toml", config));
        let (code, v, err) = gate(&r, &[]);
        assert_eq!(code, 1, "{config}: the base's configuration rules: {err}");
        assert_eq!(findings(&v).len(), 1);
        assert!(findings(&v)[0]["suppressions"].is_null(), "{config}");
        let notes: Vec<&Value> = v["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["code"] == "config-changed")
            .collect();
        assert_eq!(notes.len(), 1, "{config}");
        assert_eq!(notes[0]["level"], "warning");
        let msg = notes[0]["message"].as_str().unwrap();
        assert!(msg.contains(".leakscope.toml"), "{msg}");
        let named = match config {
            c if c.contains("disable") => "disables rules stripe-secret-key",
            c if c.contains("paths") => "allows paths **",
            _ => "sets fail_on to never",
        };
        assert!(msg.contains(named), "{msg}");
        assert!(err.contains("config-changed") || err.contains("the range changes"));
    }
    // Outside a range, the checkout's configuration applies as before.
    let r = pull_request(|r| r.write(".leakscope.toml", "fail_on = \"never\"\n"));
    let (code, _, _) = run(r.path(), &["scan", "."]);
    assert_eq!(code, 0);
}

#[test]
fn allow_comments_added_by_the_range_are_reported_but_do_not_pass() {
    let r = pull_request(|r| {
        r.write(
            "pay.env",
            format!(
                "STRIPE_SECRET_KEY={}  # leakscope:allow test key\n",
                keys::stripe_live(301)
            ),
        )
    });
    let (code, v, _) = gate(&r, &[]);
    assert_eq!(code, 1);
    let s = &findings(&v)[0]["suppressions"][0];
    assert_eq!(s["kind"], "inSource");
    assert_eq!(s["status"], "underReview");
    assert_eq!(v["stats"]["allowedInRange"], 1);
    let (_, text, _) = run(r.path(), &["history", "--range", "main..pr"]);
    assert!(
        text.contains("allowed by comments added in this range: 1"),
        "{text}"
    );
    let (_, md, _) = run(
        r.path(),
        &["history", "--range", "main..pr", "--format", "markdown"],
    );
    assert!(
        md.contains("Allowed by comments added in this range**: 1"),
        "{md}"
    );
    let (_, sarif, _) = run(
        r.path(),
        &["history", "--range", "main..pr", "--format", "sarif"],
    );
    let s: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(s["runs"][0]["properties"]["allowedInRange"], 1);
    assert_eq!(
        s["runs"][0]["results"][0]["suppressions"][0]["status"],
        "underReview"
    );
    assert_eq!(s["runs"][0]["automationDetails"]["id"], "leakscope/range/");

    // A base that trusts inline allows lets them pass.
    let r = Repo::new();
    r.write(".leakscope.toml", "trust_inline_allow = true\n");
    r.commit("base");
    r.git(&["checkout", "-q", "-b", "pr"]);
    r.write(
        "pay.env",
        format!(
            "K={}  # leakscope:allow revoked test key\n",
            keys::stripe_live(302)
        ),
    );
    r.commit("add");
    let (code, v, _) = gate(&r, &[]);
    assert_eq!(code, 0);
    assert_eq!(findings(&v)[0]["suppressions"][0]["status"], "accepted");
}

#[test]
fn config_and_baseline_paths_are_read_from_the_base() {
    let r = Repo::new();
    r.write("ci/leakscope.toml", "[allow]\npaths = [\"fixtures/**\"]\n");
    r.commit("base");
    r.git(&["checkout", "-q", "-b", "pr"]);
    r.write("fixtures/a.env", format!("K={}\n", keys::stripe_live(303)));
    r.write("ci/leakscope.toml", "[allow]\npaths = [\"**\"]\n");
    r.commit("add");
    let (code, v, _) = gate(&r, &["--config", "ci/leakscope.toml"]);
    assert_eq!(code, 0, "fixtures/ is allowed by the base's file");
    assert_eq!(findings(&v)[0]["suppressions"][0]["kind"], "external");
    // A path the base does not have is an error, not a silent default.
    let (code, _, err) = run(
        r.path(),
        &["history", "--range", "main..pr", "--config", "nope.toml"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("not in") && err.contains("base"), "{err}");
    // A baseline the range edits: the base's applies, and the change is named.
    let r = Repo::new();
    r.write("README.md", "# app\n");
    r.commit("base");
    let (_, _, _) = run(r.path(), &["baseline", "history", "-o", "b.json"]);
    r.commit("empty baseline");
    r.git(&["checkout", "-q", "-b", "pr"]);
    r.write("pay.env", format!("K={}\n", keys::stripe_live(305)));
    r.commit("add a key");
    let (_, _, _) = run(r.path(), &["baseline", "history", "-o", "b.json"]);
    r.commit("record it in the baseline");
    let (code, v, _) = gate(&r, &["--baseline", "b.json"]);
    assert_eq!(code, 1, "the base's baseline does not record the new key");
    assert_eq!(findings(&v).len(), 1);
    assert!(
        v["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["code"] == "config-changed" && n["subject"] == "b.json")
    );
}

#[test]
fn a_shallow_checkout_cannot_judge_a_range() {
    let origin = Repo::new();
    origin.write("old.env", format!("K={}\n", keys::stripe_live(304)));
    origin.commit("an old leak on main");
    origin.write("README.md", "# app\n");
    origin.commit("docs");
    origin.git(&["checkout", "-q", "-b", "pr"]);
    origin.write("new.txt", "hello\n");
    origin.commit("pr work");
    origin.git(&["checkout", "-q", "main"]);
    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    let clone = clones.path().join("c");
    git(
        clones.path(),
        &["clone", "-q", "--depth", "1", "--branch", "pr", &url, "c"],
    );
    git(
        &clone,
        &["fetch", "-q", "--depth", "1", "origin", "main:main"],
    );
    let (code, out, err) = run(
        &clone,
        &["history", "--range", "main..pr", "--format", "json"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shallow"), "{err}");
    assert!(
        err.contains("fetch-depth: 0") && err.contains("--unshallow"),
        "{err}"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["stats"]["complete"], false);
    // With the history it needs, the same range is judged: nothing was added.
    git(&clone, &["fetch", "-q", "--unshallow", "origin"]);
    let (code, v) = run_json(&clone, &["history", "--range", "main..pr"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(findings(&v).len(), 0);
}

#[test]
fn the_remote_token_appears_in_no_output() {
    let r = crate::report::incident_repo();
    let token = ["ghp_", &keys::body(310, 36)].concat();
    r.git(&[
        "remote",
        "set-url",
        "origin",
        &format!("https://x-access-token:{token}@github.com/acme/shop.git"),
    ]);
    for format in ["text", "json", "sarif", "markdown"] {
        for args in [
            vec!["history", "--unreachable"],
            vec!["history", "--range", "v1.0..main"],
            vec!["staged"],
        ] {
            let mut all = args.clone();
            all.extend(["--format", format]);
            let (_, out, err) = run(r.path(), &all);
            assert!(
                !out.contains(&token) && !err.contains(&token),
                "{format} {args:?} shows the remote's token"
            );
            assert!(
                !out.contains("x-access-token:"),
                "{format} {args:?}: {}",
                out.lines()
                    .filter(|l| l.contains("x-access-token"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
    let (_, md, _) = run(r.path(), &["history", "--format", "markdown"]);
    assert!(md.contains("https://github.com/acme/shop.git"), "{md}");
}
