//! Helpers shared by the integration tests.

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The marker that splits keys in committed fixtures (see `rules::SPLIT_MARKER`).
const MARKER: &[u8] = b"~~";
const MARKER_UTF16: &[u8] = b"~\0~\0";

/// Copies `fixtures/<name>` into a fresh temporary directory, removing the split markers, so
/// the keys are whole again and the fixture's verdicts do not depend on this repository.
pub fn fixture(name: &str) -> TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let dir = tempfile::Builder::new()
        .prefix("leakscope-it-")
        .tempdir()
        .expect("tempdir");
    copy_tree(&src, dir.path());
    dir
}

fn copy_tree(src: &Path, dst: &Path) {
    for entry in std::fs::read_dir(src).expect("fixture dir") {
        let entry = entry.expect("entry");
        let to = dst.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&to).expect("mkdir");
            copy_tree(&entry.path(), &to);
        } else {
            let bytes = std::fs::read(entry.path()).expect("read fixture");
            std::fs::write(&to, unsplit(&bytes)).expect("write fixture");
        }
    }
}

/// Removes the split markers from bytes (UTF-16 text included).
pub fn unsplit(bytes: &[u8]) -> Vec<u8> {
    let once = replace(bytes, MARKER_UTF16);
    replace(&once, MARKER)
}

fn replace(bytes: &[u8], pat: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(pat) {
            i += pat.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// The binary, with a clean environment (no colour, no user git config).
pub fn leakscope() -> Command {
    let mut cmd = Command::cargo_bin("leakscope").expect("binary");
    cmd.env_remove("NO_COLOR")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", "/nonexistent");
    cmd
}

/// Runs the binary in `dir` and returns (exit code, stdout, stderr).
pub fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    outputs(leakscope().current_dir(dir).args(args))
}

/// Runs a prepared command and returns (exit code, stdout, stderr).
pub fn outputs(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run leakscope");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a JSON scan in `dir` and returns (exit code, report).
pub fn run_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, stdout, stderr) = run(dir, &all);
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, v)
}

/// One line per finding, `path:line:col rule env verdict severity exposure`, for comparing
/// against an expected table.
pub fn summary(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {} {} {} {} {} {}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["ruleId"].as_str().unwrap(),
                f["provider"].as_str().unwrap(),
                f["kind"].as_str().unwrap(),
                f["environment"].as_str().unwrap(),
                f["verdict"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
            ) + " "
                + f["exposure"].as_str().unwrap()
        })
        .collect()
}

/// Runs git in `dir` at the fixtures' default date; see [`git_at`].
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_at(dir, args, "2025-01-01T12:00:00Z")
}

/// Runs git in `dir` with author and committer date `date`. Fails the test when git is
/// missing or the command fails.
pub fn git_at(dir: &Path, args: &[&str], date: &str) -> String {
    let out = fixed_git_env(&mut std::process::Command::new("git"), date)
        .current_dir(dir)
        .args(args)
        .env("HOME", "/nonexistent")
        .output()
        .expect("git must be installed to run these tests (.ci/run installs it)");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Gives `cmd` the fixed environment fixture repositories are built in: no system or user
/// git configuration, one author and committer, and `date` for both dates.
pub fn fixed_git_env<'a>(
    cmd: &'a mut std::process::Command,
    date: &str,
) -> &'a mut std::process::Command {
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Ann Author")
        .env("GIT_AUTHOR_EMAIL", "ann@example.com")
        .env("GIT_COMMITTER_NAME", "Ann Author")
        .env("GIT_COMMITTER_EMAIL", "ann@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
}

/// `git init` with a fixed default branch.
pub fn git_init(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
}

/// A path below `dir`.
pub fn p(dir: &Path, rel: &str) -> PathBuf {
    dir.join(rel)
}

/// Writes a file, creating its directory.
pub fn write(dir: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// Fake keys for tests, assembled at run time so no source file holds one whole.
pub mod keys {
    // The generator the fuzz targets and property tests use: one LCG, one set of shapes.
    pub use leakscope::testing::keys::{body, resend, stripe_live};

    /// A Stripe test secret key (legacy 24-character shape).
    pub fn stripe_test_legacy(seed: u64) -> String {
        ["sk_", "test_", &body(seed, 24)].concat()
    }
    /// A Stripe live publishable key.
    pub fn stripe_pk_live(seed: u64) -> String {
        ["pk_", "live_51", &body(seed, 97)].concat()
    }
}

/// A git repository built by a test, with commits at fixed, increasing dates.
pub struct Repo {
    /// Keeps the directory alive.
    pub dir: TempDir,
    clock: std::cell::Cell<u32>,
}

impl Repo {
    /// `git init -b main` in a fresh temporary directory.
    pub fn new() -> Repo {
        let dir = tempfile::Builder::new()
            .prefix("leakscope-repo-")
            .tempdir()
            .expect("tempdir");
        git_init(dir.path());
        Repo {
            dir,
            clock: std::cell::Cell::new(0),
        }
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The next fixed date: one day after the previous one, from 2025-03-01.
    pub fn next_date(&self) -> String {
        let n = self.clock.get() + 1;
        self.clock.set(n);
        day(n)
    }

    /// Runs git at the current date.
    pub fn git(&self, args: &[&str]) -> String {
        git_at(self.path(), args, &day(self.clock.get().max(1)))
    }

    /// Writes a file.
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) {
        write(self.path(), rel, text);
    }

    /// Stages everything and commits at the next date; returns the full commit id.
    pub fn commit(&self, msg: &str) -> String {
        let date = self.next_date();
        git_at(self.path(), &["add", "-A"], &date);
        git_at(
            self.path(),
            &["commit", "-q", "--allow-empty", "-m", msg],
            &date,
        );
        git_at(self.path(), &["rev-parse", "HEAD"], &date)
    }

    /// Runs leakscope here and parses its JSON report.
    pub fn json(&self, args: &[&str]) -> (i32, Value) {
        run_json(self.path(), args)
    }
}

/// Day `n` (1-based) counted from 2025-03-01, at 10:00 UTC, as git takes it.
fn day(n: u32) -> String {
    const MONTHS: [u32; 10] = [31, 30, 31, 30, 31, 31, 30, 31, 30, 31]; // March to December
    let mut d = n;
    for (i, len) in MONTHS.iter().enumerate() {
        if d <= *len {
            return format!("2025-{:02}-{d:02}T10:00:00Z", i + 3);
        }
        d -= len;
    }
    panic!("fixture histories stay within 2025");
}

/// The findings of a report.
pub fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings")
}

/// The path of each finding of a report, in report order.
pub fn finding_paths(report: &Value) -> Vec<&str> {
    findings(report)
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect()
}

/// Strings of a JSON array.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// More fake keys, assembled at run time.
pub mod more_keys {
    use super::keys::body;

    /// A Supabase JWT with `role`, signed with nothing in particular.
    pub fn supabase_jwt(role: &str, seed: u64) -> String {
        use base64::Engine as _;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = e.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = e.encode(format!(
            r#"{{"iss":"supabase","ref":"abcdefghijklmnopqrst","role":"{role}","iat":1700000000,"exp":2015576000}}"#
        ));
        format!("{header}.{payload}.{}", body(seed, 43))
    }

    /// A Clerk publishable key for `host`.
    pub fn clerk_pk(host: &str) -> String {
        use base64::Engine as _;
        let b = base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("{host}$"));
        ["pk_", "live_", &b].concat()
    }
}

/// Which kind of delta [`Repo::repack`] stores: `OFS_DELTA` entries name their base by its
/// offset in the pack, `REF_DELTA` entries by its object id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deltas {
    /// Offset deltas (`git repack -adf`).
    Offset,
    /// Reference deltas (`repack.useDeltaBaseOffset=false`).
    Reference,
}

impl Repo {
    /// Packs every object into one pack, deltas recomputed (`git repack -adf`) in the kind
    /// asked for, and removes the loose copies. Returns the number of (offset, reference)
    /// delta entries in the repository's packs.
    pub fn repack(&self, deltas: Deltas) -> (usize, usize) {
        let offsets = match deltas {
            Deltas::Offset => "repack.useDeltaBaseOffset=true",
            Deltas::Reference => "repack.useDeltaBaseOffset=false",
        };
        self.git(&[
            "-c",
            offsets,
            "repack",
            "-q",
            "-a",
            "-d",
            "-f",
            "--window=250",
            "--depth=50",
        ]);
        self.git(&["prune-packed"]);
        pack_delta_entries(self.path())
    }
}

/// Counts the (offset, reference) delta entries in the packs of the repository at `dir`,
/// from each entry's type bits (the pack index, version 2, gives the entries' offsets).
pub fn pack_delta_entries(dir: &Path) -> (usize, usize) {
    let pack_dir = dir.join(".git/objects/pack");
    let (mut ofs, mut refs) = (0, 0);
    for e in std::fs::read_dir(pack_dir).expect("pack dir") {
        let idx_path = e.expect("entry").path();
        if idx_path.extension().is_none_or(|x| x != "idx") {
            continue;
        }
        let idx = std::fs::read(&idx_path).expect("read idx");
        let pack = std::fs::read(idx_path.with_extension("pack")).expect("read pack");
        assert_eq!(&idx[..8], b"\xfftOc\0\0\0\x02", "pack index version 2");
        let be32 = |at: usize| u32::from_be_bytes(idx[at..at + 4].try_into().unwrap());
        let n = be32(8 + 255 * 4) as usize;
        let offsets = 8 + 256 * 4 + n * 20 + n * 4;
        let large = offsets + n * 4;
        for i in 0..n {
            let o = be32(offsets + 4 * i);
            let at = if o & 0x8000_0000 == 0 {
                o as usize
            } else {
                let j = large + 8 * (o & 0x7fff_ffff) as usize;
                u64::from_be_bytes(idx[j..j + 8].try_into().unwrap()) as usize
            };
            match (pack[at] >> 4) & 7 {
                6 => ofs += 1,
                7 => refs += 1,
                _ => {}
            }
        }
    }
    (ofs, refs)
}
