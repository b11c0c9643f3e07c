//! Faults in git repositories: each scans what is there, names what is missing, and exits 2
//! when the scan was incomplete (2 wins over 1); policy skips are notes.

use crate::common::*;
use serde_json::Value;

fn notifications(rep: &Value) -> Vec<(String, String, String)> {
    rep["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["level"].as_str().unwrap().to_string(),
                n["code"].as_str().unwrap().to_string(),
                n["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn codes(rep: &Value) -> Vec<String> {
    notifications(rep).into_iter().map(|n| n.1).collect()
}

/// A repository with a key in its first commit and another at its tip.
fn two_keys() -> Repo {
    let r = Repo::new();
    r.write("old.env", format!("K={}\n", keys::stripe_live(40)));
    r.commit("old key");
    std::fs::remove_file(r.path().join("old.env")).unwrap();
    r.write("a.txt", "a\n");
    r.commit("middle");
    r.write("new.env", format!("K={}\n", keys::resend(41)));
    r.commit("new key");
    r
}

#[test]
fn shallow_clone_scans_what_is_there_and_names_the_boundary() {
    let src = two_keys();
    let dst = tempfile::tempdir().unwrap();
    let url = format!("file://{}", src.path().display());
    git(
        dst.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let d = dst.path().join("shallow");
    let (code, rep) = run_json(&d, &["history"]);
    assert_eq!(code, 2, "a shallow boundary makes the scan incomplete");
    let paths = finding_paths(&rep);
    assert_eq!(paths, ["new.env"], "what is there is still reported");
    let tip = git(&d, &["rev-parse", "HEAD"]);
    let n = notifications(&rep);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!((n[0].0.as_str(), n[0].1.as_str()), ("error", "shallow"));
    assert!(
        n[0].2.contains(&tip) && n[0].2.contains("shallow clone"),
        "{}",
        n[0].2
    );
}

#[test]
fn partial_clone_lists_the_missing_blobs() {
    let src = two_keys();
    let dst = tempfile::tempdir().unwrap();
    src.git(&["config", "uploadpack.allowFilter", "true"]);
    let url = format!("file://{}", src.path().display());
    git(
        dst.path(),
        &[
            "clone",
            "-q",
            "--no-checkout",
            "--filter=blob:none",
            &url,
            "partial",
        ],
    );
    let d = dst.path().join("partial");
    let (code, rep) = run_json(&d, &["history"]);
    assert_eq!(code, 2);
    let n = notifications(&rep);
    let partial: Vec<_> = n.iter().filter(|x| x.1 == "partial-clone").collect();
    assert_eq!(partial.len(), 1, "{n:?}");
    assert!(
        partial[0]
            .2
            .contains("not in this repository and were not scanned"),
        "{}",
        partial[0].2
    );
    let old_blob = git(src.path(), &["rev-parse", "HEAD~2:old.env"]);
    assert!(
        partial[0].2.contains(&old_blob),
        "names the missing blob ids"
    );
}

#[test]
fn submodules_are_skipped_and_listed() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    let c = r.commit("a");
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{c},vendor/lib"),
    ]);
    r.next_date();
    r.git(&["commit", "-q", "-m", "add submodule"]);
    let (code, rep) = r.json(&["history"]);
    assert_eq!(code, 0, "a submodule is a policy skip, not an error");
    let n = notifications(&rep);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!((n[0].0.as_str(), n[0].1.as_str()), ("note", "submodule"));
    assert!(n[0].2.starts_with("vendor/lib: submodule"), "{}", n[0].2);
}

#[test]
fn lfs_pointers_say_the_content_is_not_in_git() {
    let r = Repo::new();
    r.write(
        "assets/model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    r.commit("lfs");
    let (code, rep) = r.json(&["history"]);
    assert_eq!(code, 0);
    let n = notifications(&rep);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].1, "lfs-pointer");
    assert!(
        n[0].2.contains("assets/model.bin") && n[0].2.contains("not in git"),
        "{}",
        n[0].2
    );
}

fn loose_path(repo: &Repo, id: &str) -> std::path::PathBuf {
    repo.path()
        .join(".git/objects")
        .join(&id[..2])
        .join(&id[2..])
}

#[test]
fn corrupt_loose_object_is_named_and_the_rest_reported() {
    let r = Repo::new();
    r.write("keys.env", format!("K={}\n", keys::stripe_live(42)));
    r.write("other.txt", "some text\n");
    r.commit("c");
    let bad = r.git(&["rev-parse", "HEAD:other.txt"]);
    let p = loose_path(&r, &bad);
    let mut perm = std::fs::metadata(&p).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(&p, perm).unwrap();
    std::fs::write(&p, b"this is not zlib data at all").unwrap();
    let (code, rep) = r.json(&["history"]);
    assert_eq!(code, 2, "corruption wins over findings");
    assert_eq!(
        findings(&rep).len(),
        1,
        "the readable key is still reported"
    );
    let n = notifications(&rep);
    assert!(
        n.iter().any(|x| x.0 == "error" && x.2.contains(&bad)),
        "{n:?}"
    );
}

#[test]
fn missing_object_is_named() {
    let r = Repo::new();
    r.write("keys.env", format!("K={}\n", keys::stripe_live(43)));
    r.write("gone.txt", "will vanish\n");
    r.commit("c");
    let gone = r.git(&["rev-parse", "HEAD:gone.txt"]);
    std::fs::remove_file(loose_path(&r, &gone)).unwrap();
    let (code, rep) = r.json(&["history"]);
    assert_eq!(code, 2);
    assert_eq!(findings(&rep).len(), 1);
    assert_eq!(codes(&rep), ["missing-object"]);
    assert!(notifications(&rep)[0].2.contains(&gone));
}

#[test]
fn truncated_pack_is_reported_and_other_packs_still_scanned() {
    let r = Repo::new();
    for i in 0..20 {
        r.write(
            &format!("f{i}.txt"),
            format!("file {i}\n{}\n", "x".repeat(200 + i)),
        );
    }
    r.commit("many files");
    r.git(&["repack", "-q", "-a", "-d"]);
    r.write("keys.env", format!("K={}\n", keys::resend(44)));
    r.commit("key");
    r.git(&["repack", "-q", "-d"]);
    // Truncate the first (older, larger) pack in the middle.
    let pack_dir = r.path().join(".git/objects/pack");
    let mut packs: Vec<_> = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .collect();
    assert_eq!(packs.len(), 2);
    packs.sort_by_key(|p| std::fs::metadata(p).unwrap().len());
    let big = packs.last().unwrap();
    let len = std::fs::metadata(big).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(big).unwrap();
    f.set_len(len / 2).unwrap();
    let (code, rep) = r.json(&["history"]);
    assert_eq!(code, 2);
    let paths = finding_paths(&rep);
    assert_eq!(paths, ["keys.env"]);
    assert!(
        notifications(&rep).iter().all(|n| n.0 == "error"),
        "{:?}",
        notifications(&rep)
    );
}

#[test]
fn damaged_pack_entry_is_named_and_the_rest_reported() {
    let r = Repo::new();
    // Letters from a fixed pseudo-random sequence: deflate keeps them about 1.8 KB long.
    let mut x = 12345u32;
    let filler: String = (0..3000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (b'a' + ((x >> 16) % 26) as u8) as char
        })
        .collect();
    r.write("filler.txt", format!("{filler}\n"));
    r.write("keys.env", format!("K={}\n", keys::resend(44)));
    r.commit("files");
    r.git(&["repack", "-q", "-a", "-d"]);
    let blob = r.git(&["rev-parse", "HEAD:filler.txt"]).trim().to_string();
    let pack_dir = r.path().join(".git/objects/pack");
    let pack = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    // `verify-pack -v`: id, type, size, size in the pack, offset.
    let listing = r.git(&[
        "verify-pack",
        "-v",
        pack.with_extension("idx").to_str().unwrap(),
    ]);
    let cols: Vec<u64> = listing
        .lines()
        .find(|l| l.starts_with(&blob))
        .unwrap()
        .split_whitespace()
        .skip(2)
        .map(|c| c.parse().unwrap())
        .collect();
    let (packed, offset) = (cols[1], cols[2]);
    assert!(packed > 1000, "{listing}");
    // Flip 16 bytes in the middle of the blob's compressed data.
    let mut bytes = std::fs::read(&pack).unwrap();
    let mid = (offset + packed / 2) as usize;
    for b in &mut bytes[mid..mid + 16] {
        *b = !*b;
    }
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    std::fs::write(&pack, bytes).unwrap();

    let (code, rep) = r.json(&["history"]);
    assert_eq!(code, 2, "{rep:#}");
    let paths = finding_paths(&rep);
    assert_eq!(paths, ["keys.env"], "the intact blob is still scanned");
    assert_eq!(codes(&rep), ["corrupt-object"], "{rep:#}");
    let message = &notifications(&rep)[0].2;
    assert!(message.contains(&blob), "{message}");
    assert!(
        message.contains("its compressed data is damaged") || message.contains("inflates to"),
        "{message}"
    );
}

#[test]
fn large_blobs_are_skipped_with_a_note() {
    let r = Repo::new();
    r.write(
        "big.env",
        format!("{}\nK={}\n", "#".repeat(3000), keys::stripe_live(45)),
    );
    r.commit("big");
    let (code, rep) = r.json(&["history", "--max-filesize", "1K"]);
    assert_eq!(code, 0, "a policy skip keeps the scan complete");
    assert_eq!(findings(&rep).len(), 0);
    let n = notifications(&rep);
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!((n[0].0.as_str(), n[0].1.as_str()), ("note", "too-large"));
    assert!(n[0].2.starts_with("big.env: "), "{}", n[0].2);
}

#[test]
fn bare_repositories_and_linked_worktrees_work() {
    let src = two_keys();
    let dst = tempfile::tempdir().unwrap();
    git(
        dst.path(),
        &[
            "clone",
            "-q",
            "--bare",
            src.path().to_str().unwrap(),
            "bare.git",
        ],
    );
    let (code, rep) = run_json(dst.path(), &["history", "bare.git"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&rep).len(), 2, "{rep:#}");
    let wt = dst.path().join("wt");
    src.git(&[
        "worktree",
        "add",
        "-q",
        wt.to_str().unwrap(),
        "-b",
        "wt-branch",
    ]);
    let (code, rep) = run_json(&wt, &["history"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&rep).len(), 2);
}

#[test]
fn staged_outside_a_repository_or_on_a_corrupt_index_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(dir.path(), &["staged"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("not a git repository"), "{err}");

    // A staged key is found; then the index is cut short and the hook must fail, not pass.
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("first");
    r.write("b.env", format!("K={}\n", keys::stripe_live(7)));
    r.git(&["add", "b.env"]);
    let (code, rep) = r.json(&["staged"]);
    assert_eq!(code, 1);
    assert_eq!(summary(&rep).len(), 1, "{rep}");
    let index = r.path().join(".git/index");
    let bytes = std::fs::read(&index).unwrap();
    std::fs::write(&index, &bytes[..bytes.len() / 2]).unwrap();
    let (code, out, err) = run(r.path(), &["staged"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("index"), "{err}");
}
