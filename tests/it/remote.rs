//! Repositories given by URL (a temporary mirror, removed afterwards) and `leakscope merge`
//! across repositories. Remotes are `file://` URLs and `git daemon` on 127.0.0.1.

use crate::common::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn live(seed: u64) -> String {
    keys::stripe_live(seed)
}

/// A repository with a Stripe key on main, a Resend key only in a pull-request ref.
fn upstream(seed: u64) -> Repo {
    let r = Repo::new();
    r.write(".env", format!("STRIPE_SECRET_KEY={}\n", live(seed)));
    r.commit("add config");
    r.git(&["checkout", "-q", "-b", "pr"]);
    r.write(
        "mail.ts",
        format!("const key = \"{}\";\n", keys::resend(seed + 1)),
    );
    let pr = r.commit("mail");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["update-ref", "refs/pull/7/head", &pr]);
    r.git(&["branch", "-D", "pr"]);
    r
}

/// Runs the binary with its temporary files under `tmp`.
fn run_in(dir: &Path, tmp: &Path, args: &[&str]) -> (i32, String, String) {
    outputs(leakscope().current_dir(dir).env("TMPDIR", tmp).args(args))
}

fn rules_of(report: &Value) -> Vec<String> {
    let mut v: Vec<String> = findings(report)
        .iter()
        .map(|f| f["ruleId"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// `history file://…` scans every branch and tag of the remote; `--pull-refs` adds the
/// pull-request refs; the mirror is gone afterwards, and the report names the remote.
#[test]
fn history_of_a_file_url_with_and_without_pull_refs() {
    let r = upstream(51);
    let url = format!("file://{}", r.path().display());
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let (code, out, err) = run_in(
        cwd.path(),
        tmp.path(),
        &["history", &url, "--format", "json"],
    );
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rules_of(&report), ["stripe-secret-key"]);
    assert_eq!(report["scope"]["repository"], url.as_str());
    let (code, out, _) = run_in(
        cwd.path(),
        tmp.path(),
        &["history", &url, "--pull-refs", "--format", "json"],
    );
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rules_of(&report), ["resend-api-key", "stripe-secret-key"]);
    let resend = findings(&report)
        .iter()
        .find(|f| f["ruleId"] == "resend-api-key")
        .unwrap();
    assert_eq!(strings(&resend["refs"]), ["refs/pull/7/head"]);
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "the mirror is removed: {left:?}");
    // --pull-refs needs a URL.
    let (code, _, err) = run(r.path(), &["history", ".", "--pull-refs"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--pull-refs applies to a repository given by URL"),
        "{err}"
    );
}

/// `git daemon` on 127.0.0.1 serves the repository over `git://`.
#[test]
fn history_over_git_daemon() {
    let r = upstream(61);
    let base = r.path().parent().unwrap();
    let name = r.path().file_name().unwrap().to_str().unwrap();
    let daemon = Daemon::start(base);
    let url = format!("git://127.0.0.1:{}/{name}", daemon.port);
    let (code, report) = run_json(base, &["history", &url]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(rules_of(&report), ["stripe-secret-key"]);
}

/// A remote that cannot be fetched exits 2 with git's reason, never showing credentials.
#[test]
fn an_unreachable_remote_exits_2_without_its_credentials() {
    let cwd = tempfile::tempdir().unwrap();
    let token = ["ghp_", &keys::body(71, 36)].concat();
    let url = format!("https://x-access-token:{token}@127.0.0.1:1/acme/shop.git");
    let (code, out, err) = run(cwd.path(), &["history", &url]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot fetch https://127.0.0.1:1/acme/shop.git"),
        "{err}"
    );
    assert!(!err.contains(&token) && !out.contains(&token));
}

/// Three repositories share one Stripe key: merged, it is one secret "in 3 repositories",
/// one step of the plan, with each repository's finding kept.
#[test]
fn merge_joins_repositories_by_secret() {
    let key = live(81);
    let reports = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    let mut repos = Vec::new();
    for name in ["shop", "api", "admin"] {
        let r = Repo::new();
        r.write(".env", format!("STRIPE_SECRET_KEY={key}\n"));
        r.commit("config");
        r.git(&[
            "remote",
            "add",
            "origin",
            &format!("https://github.com/acme/{name}.git"),
        ]);
        let out = reports.path().join(format!("{name}.json"));
        let (code, _, err) = run(
            r.path(),
            &["history", "--format", "json", "-o", out.to_str().unwrap()],
        );
        assert_eq!(code, 1, "{err}");
        paths.push(out.to_str().unwrap().to_string());
        repos.push(r);
    }
    let mut args = vec!["merge"];
    args.extend(paths.iter().map(String::as_str));
    let (code, merged) = run_json(reports.path(), &args);
    assert_eq!(code, 1);
    let fs = findings(&merged);
    assert_eq!(fs.len(), 3);
    let mut where_: Vec<&str> = fs
        .iter()
        .map(|f| f["repository"].as_str().unwrap())
        .collect();
    where_.sort();
    assert_eq!(
        where_,
        [
            "https://github.com/acme/admin.git",
            "https://github.com/acme/api.git",
            "https://github.com/acme/shop.git"
        ]
    );
    assert!(
        fs.iter()
            .all(|f| f["secretSha256"] == fs[0]["secretSha256"])
    );
    assert_eq!(merged["plan"]["steps"].as_array().unwrap().len(), 1);
    assert_eq!(strings(&merged["scope"]["repositories"]).len(), 3);
    let (_, md, _) = run(
        reports.path(),
        &[&args[..], &["--format", "markdown"]].concat(),
    );
    assert!(md.contains("The reports of 3 repositories"), "{md}");
    assert!(md.contains("**in 3 repositories**"), "{md}");
    // A file that is not a leakscope report is refused.
    std::fs::write(reports.path().join("bad.json"), "{\"x\": 1}").unwrap();
    let (code, _, err) = run(reports.path(), &["merge", "bad.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.json: not a leakscope JSON report"),
        "{err}"
    );
}

/// `git daemon` exporting every repository under a directory, on a free port of 127.0.0.1.
struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    fn start(base: &Path) -> Daemon {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut child = Command::new("git")
            .args([
                "daemon",
                "--export-all",
                "--reuseaddr",
                "--listen=127.0.0.1",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon must be installed (git's git-daemon)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Daemon { child, port };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("git daemon did not start on 127.0.0.1:{port}");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
