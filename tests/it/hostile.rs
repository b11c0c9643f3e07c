//! A hostile repository cannot stall, crash, silence or hijack the scanner: files git itself
//! would refuse, special files, odd roots, thread limits and closed pipes.

use crate::common::*;
use serde_json::Value;
use std::time::Duration;

/// Runs the binary in `dir` with a generous timeout that only catches hangs.
fn run_bounded(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    outputs(
        leakscope()
            .current_dir(dir)
            .args(args)
            .timeout(Duration::from_secs(60)),
    )
}

/// Runs the binary in `dir` with its stdout closed before it writes: (exit code, stderr).
fn run_into_closed_pipe(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    use std::process::Stdio;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("leakscope"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo must be installed (coreutils)")
        .success();
    assert!(ok);
}

fn codes(v: &Value) -> Vec<String> {
    v["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn ignore_files_git_would_refuse_are_not_read() {
    let r = Repo::new();
    r.write("a.env", format!("K={}\n", keys::stripe_live(400)));
    r.write("sub/b.env", format!("K={}\n", keys::stripe_live(401)));
    r.commit("keys");
    // A FIFO where a .gitignore would be, and one that links to /dev/zero.
    mkfifo(&r.path().join(".gitignore"));
    std::os::unix::fs::symlink("/dev/zero", r.path().join("sub/.gitignore")).unwrap();
    let exclude = r.path().join(".git/info/exclude");
    let _ = std::fs::remove_file(&exclude);
    mkfifo(&exclude);
    let (code, out, err) = run_bounded(r.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(findings(&v).len(), 2, "both keys found: {out}");
    let c = codes(&v);
    assert_eq!(
        c.iter().filter(|c| *c == "special-file").count(),
        4,
        "each refused ignore file is named, and the FIFO is skipped: {c:?}"
    );
}

#[test]
fn special_files_are_errors_when_named_and_notes_when_met() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "k.env", format!("K={}\n", keys::stripe_live(402)));
    mkfifo(&d.join("pipe"));
    // Named on the command line: an error, exit 2, and the rest is still scanned.
    let (code, out, err) = run_bounded(d, &["scan", "pipe", "k.env", "--format", "json"]);
    assert_eq!(code, 2, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(findings(&v).len(), 1);
    assert!(err.contains("pipe: a FIFO"), "{err}");
    // Met while walking: skipped with a note.
    let (code, v) = run_json(d, &["scan", "."]);
    assert_eq!(code, 1);
    assert!(codes(&v).contains(&"special-file".to_string()));
    let (code, _, err) = run_bounded(d, &["scan", "/dev/null"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_corrupt_index_is_an_error_and_every_file_is_still_scanned() {
    let r = Repo::new();
    r.write(".gitignore", "secret.env\n");
    r.write("app.env", format!("K={}\n", keys::stripe_live(403)));
    r.commit("app");
    r.write("secret.env", format!("K={}\n", keys::stripe_live(404)));
    std::fs::write(r.path().join(".git/index"), b"DIRC garbage").unwrap();
    let (code, v) = run_json(r.path(), &["scan", "."]);
    assert_eq!(code, 2);
    assert_eq!(findings(&v).len(), 2, "the ignored file too: {v}");
    for f in findings(&v) {
        assert_eq!(f["exposure"], "unknown");
    }
    assert!(codes(&v).contains(&"unreadable".to_string()));
}

#[test]
fn roots_are_scoped_by_component_deduplicated_and_unambiguous() {
    let r = Repo::new();
    r.write("app", format!("K={}\n", keys::stripe_live(405)));
    r.write("apple", format!("K={}\n", keys::stripe_live(406)));
    r.write(
        "application/x.env",
        format!("K={}\n", keys::stripe_live(407)),
    );
    r.write(".gitignore", "app*\n");
    r.git(&[
        "add",
        "-f",
        "app",
        "apple",
        "application/x.env",
        ".gitignore",
    ]);
    r.commit("tracked");
    let (_, v) = run_json(r.path(), &["scan", "app"]);
    let paths = finding_paths(&v);
    assert_eq!(paths, ["app"], "not apple, not application/");
    // The same root twice, or a root inside another: scanned once.
    let (_, v) = run_json(r.path(), &["scan", "app", "app", ".", "application"]);
    assert_eq!(findings(&v).len(), 3);
    // Two roots outside git: each path says which root it came from.
    let dir = tempfile::tempdir().unwrap();
    for sub in ["a", "b"] {
        write(
            &dir.path().join(sub),
            "x.env",
            format!("K={}\n", keys::stripe_live(408)),
        );
    }
    let (_, v) = run_json(dir.path(), &["scan", "a", "b"]);
    let paths = finding_paths(&v);
    assert_eq!(paths, ["a/x.env", "b/x.env"]);
}

#[test]
fn threads_are_clamped_and_closed_pipes_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "k.env",
        format!("K={}\n", keys::stripe_live(409)),
    );
    let (code, _, err) = run_bounded(dir.path(), &["scan", ".", "--threads", "100000"]);
    assert_eq!(code, 1, "{err}");
    // completions into a closed pipe: no panic.
    let (code, err) = run_into_closed_pipe(dir.path(), &["completions", "bash"]);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(code, Some(101), "{err}");
}

/// A committed path that tries to start a GitHub Actions workflow command (`\n::error …::`)
/// or to move the terminal's cursor: every report finds the key, JSON keeps the path exact,
/// text and Markdown show it escaped, and no line of stdout or stderr starts with `::`.
#[test]
fn untrusted_names_are_escaped_and_start_no_line() {
    let r = Repo::new();
    let hostile = "a\n::error title=x::b\x1b[2Jc.env";
    let colon = "::warning::d.env";
    r.write(
        hostile,
        format!("STRIPE_SECRET_KEY={}\n", keys::stripe_live(71)),
    );
    r.write(colon, format!("RESEND_API_KEY={}\n", keys::resend(72)));
    r.commit("hostile names");
    let (code, report) = r.json(&["history"]);
    assert_eq!(code, 1);
    let mut paths = finding_paths(&report);
    paths.sort_unstable();
    assert_eq!(paths, [colon, hostile], "JSON keeps the paths exact");
    for args in [
        &["history"][..],
        &["history", "--format", "markdown"],
        &["scan", "."],
        &["scan", ".", "--format", "markdown"],
    ] {
        let (code, out, err) = run_bounded(r.path(), args);
        assert_eq!(code, 1, "{args:?}: {err}");
        for line in out.lines().chain(err.lines()) {
            assert!(
                !line.starts_with("::"),
                "{args:?}: a line starts with `::`: {line:?}"
            );
            assert!(
                !line.contains('\x1b'),
                "{args:?}: an escape reaches the terminal: {line:?}"
            );
        }
        assert!(
            out.contains("a\\n::error title=x::b\\033[2Jc.env"),
            "{args:?}: the path is shown escaped:\n{out}"
        );
        assert!(out.contains("::warning::d.env"), "{args:?}:\n{out}");
    }
    let (_, text, _) = run_bounded(r.path(), &["scan", "."]);
    assert!(
        text.contains("\"a\\n::error title=x::b\\033[2Jc.env\":1:19"),
        "{text}"
    );
    assert!(text.contains("./::warning::d.env:1:16"), "{text}");
}

/// A symbolic link committed where CI writes its report is replaced, never written through;
/// `/dev/stdout` (a link to a pipe here) is still written in place.
#[test]
fn output_does_not_follow_a_link_to_a_file() {
    let r = Repo::new();
    let outside = tempfile::tempdir().unwrap();
    let precious = outside.path().join("precious.txt");
    std::fs::write(&precious, "keep me\n").unwrap();
    r.write("app.env", format!("RESEND_API_KEY={}\n", keys::resend(73)));
    std::os::unix::fs::symlink(&precious, r.path().join("leakscope.sarif")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("absent"), r.path().join("report.json"))
        .unwrap();
    r.commit("a link where the report goes");
    let (code, _, err) = run_bounded(
        r.path(),
        &["history", "-f", "sarif", "-o", "leakscope.sarif"],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me\n");
    let written = r.path().join("leakscope.sarif");
    assert!(
        std::fs::symlink_metadata(&written).unwrap().is_file(),
        "the link is replaced"
    );
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&written).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1);
    // A dangling link: the report replaces it, nothing appears where it pointed.
    let (code, _, err) = run_bounded(r.path(), &["history", "-f", "json", "-o", "report.json"]);
    assert_eq!(code, 1, "{err}");
    assert!(!outside.path().join("absent").exists());
    assert!(
        std::fs::symlink_metadata(r.path().join("report.json"))
            .unwrap()
            .is_file()
    );
    // /dev/stdout is a link to the pipe the test reads.
    let (code, out, err) = run_bounded(r.path(), &["history", "-f", "json", "-o", "/dev/stdout"]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(findings(&v).len(), 1);
}

/// A bad line in `objects/info/alternates` is named with its line number; the objects the
/// other lines lend are still scanned, and the scan exits 2.
#[test]
fn a_bad_alternates_line_is_reported_and_the_rest_scanned() {
    let lender = Repo::new();
    lender.write("a.env", format!("RESEND_API_KEY={}\n", keys::resend(74)));
    lender.commit("lend");
    let dir = tempfile::tempdir().unwrap();
    let borrower = dir.path().join("b");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--shared",
            lender.path().to_str().unwrap(),
            "b",
        ],
    );
    let file = borrower.join(".git/objects/info/alternates");
    let good = std::fs::read_to_string(&file).unwrap();
    assert!(!good.is_empty(), "a shared clone borrows its objects");
    std::fs::write(&file, format!("# lenders\n/nonexistent/objects\n{good}")).unwrap();
    let (code, v) = run_json(&borrower, &["history"]);
    assert_eq!(code, 2, "{v}");
    assert_eq!(
        findings(&v).len(),
        1,
        "the lender's objects are scanned: {v}"
    );
    let alt: Vec<&Value> = v["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["code"] == "alternates")
        .collect();
    assert_eq!(alt.len(), 1, "{v}");
    assert!(
        alt[0]["subject"]
            .as_str()
            .unwrap()
            .ends_with("info/alternates:2")
    );
    assert!(
        alt[0]["message"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/objects")
    );
}

/// A tree entry whose mode says tree but which names a blob: named as the wrong type, by
/// history and by the gate, not called missing.
#[test]
fn objects_of_the_wrong_type_are_named_as_such() {
    let r = Repo::new();
    r.write("f.txt", "hello\n");
    r.commit("base");
    let blob = git(r.path(), &["rev-parse", "HEAD:f.txt"])
        .trim()
        .to_string();
    let mut raw = b"40000 dir\0".to_vec();
    let id: Vec<u8> = (0..20)
        .map(|i| u8::from_str_radix(&blob[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    raw.extend_from_slice(&id);
    raw.extend_from_slice(b"100644 f.txt\0");
    raw.extend_from_slice(&id);
    std::fs::write(r.path().join("tree.bin"), &raw).unwrap();
    let tree = git(
        r.path(),
        &["hash-object", "-t", "tree", "--literally", "-w", "tree.bin"],
    );
    std::fs::remove_file(r.path().join("tree.bin")).unwrap();
    let commit = git_at(
        r.path(),
        &["commit-tree", tree.trim(), "-p", "HEAD", "-m", "bad"],
        "2025-03-05T10:00:00Z",
    );
    git(r.path(), &["update-ref", "refs/heads/bad", commit.trim()]);
    for args in [&["history"][..], &["history", "--range", "main..bad"]] {
        let (code, v) = r.json(args);
        assert_eq!(code, 2, "{args:?}: {v}");
        let codes = codes(&v);
        assert!(codes.contains(&"wrong-type".to_string()), "{args:?}: {v}");
        assert!(
            !codes.contains(&"missing-object".to_string()),
            "{args:?}: {v}"
        );
        let text = v["notifications"].to_string();
        assert!(
            text.contains(&blob) && text.contains("blob"),
            "{args:?}: {v}"
        );
    }
}

/// Writes trees with gix: `levels` trees, each holding the one below under every name in
/// `names`, the lowest holding `k.env` with a key. Returns a commit on `main`.
fn nested_trees(r: &Repo, names: &[&str], levels: usize, key: &str) {
    use gix::objs::tree::{Entry, EntryKind};
    let repo = gix::open(r.path()).unwrap();
    let blob = repo
        .write_blob(format!("RESEND_API_KEY={key}\n"))
        .unwrap()
        .detach();
    let entry = |name: &str, kind: EntryKind, oid| Entry {
        mode: kind.into(),
        filename: name.into(),
        oid,
    };
    let mut tree = repo
        .write_object(gix::objs::Tree {
            entries: vec![entry("k.env", EntryKind::Blob, blob)],
        })
        .unwrap()
        .detach();
    for _ in 0..levels {
        let entries = names
            .iter()
            .map(|n| entry(n, EntryKind::Tree, tree))
            .collect();
        tree = repo
            .write_object(gix::objs::Tree { entries })
            .unwrap()
            .detach();
    }
    let commit = git_at(
        r.path(),
        &["commit-tree", &tree.to_string(), "-m", "nested"],
        "2025-03-02T10:00:00Z",
    );
    git(r.path(), &["update-ref", "refs/heads/main", commit.trim()]);
}

/// Trees nested past git's limit of 2,048, and trees that hold one subtree twice, forty deep
/// (2^40 paths): history stops at the limits with an error (exit 2) instead of exhausting
/// the stack or memory, and the key is still reported, by blob.
#[test]
fn deep_and_self_multiplying_trees_are_bounded_and_lose_no_key() {
    for (names, levels, code) in [
        (&["d"][..], 3000, "too-deep"),
        (&["a", "b"], 40, "too-many-paths"),
    ] {
        let r = Repo::new();
        nested_trees(&r, names, levels, &keys::resend(75));
        let (exit, v) = r.json(&["history"]);
        assert_eq!(exit, 2, "{code}: {v}");
        assert!(codes(&v).contains(&code.to_string()), "{code}: {v}");
        let f = findings(&v);
        assert_eq!(f.len(), 1, "{code}: the key is not lost: {v}");
        assert_eq!(f[0]["ruleId"], "resend-api-key");
        assert!(
            f[0]["path"].as_str().unwrap().starts_with(".git/objects/"),
            "{code}: {v}"
        );
    }
    // Within the limit, the path is whole.
    let r = Repo::new();
    nested_trees(&r, &["d"], 2000, &keys::resend(76));
    let (exit, v) = r.json(&["history"]);
    assert_eq!(exit, 1, "{v}");
    let path = findings(&v)[0]["path"].as_str().unwrap().to_string();
    assert_eq!(path.matches('/').count(), 2000, "d/…/d/k.env");
}

/// A reader that goes away (`leakscope scan . | head -0`) does not turn a failing gate into
/// a pass: the exit code is the one the findings give.
#[test]
fn a_closed_pipe_keeps_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    // Enough findings that the report outgrows a pipe's buffer.
    let text: String = (0..2000)
        .map(|i| format!("K{i}={}\n", keys::resend(20_000 + 2 * i)))
        .collect();
    write(dir.path(), "k.env", text);
    let (code, err) = run_into_closed_pipe(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
