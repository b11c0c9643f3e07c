//! Costs grow with the input, not faster: the work counters (`LEAKSCOPE_WORK=1`: hits
//! classified, bytes the line cursor read, paths written into findings) grow linearly from
//! 1,000 to 10,000 keys in one blob and from 100 to 4,000 copies of one key file. No
//! wall-clock thresholds: a generous timeout only catches hangs.

use crate::common::*;
use std::time::Duration;

/// The work counters of one run.
fn work(dir: &std::path::Path, args: &[&str]) -> [u64; 3] {
    let out = leakscope()
        .current_dir(dir)
        .args(args)
        .args(["-q", "--format", "json", "-o", "/dev/null"])
        .env("LEAKSCOPE_WORK", "1")
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("leakscope: work: "))
        .expect("the work line");
    let mut counts = [0u64; 3];
    for (i, name) in ["classifications", "line-bytes", "path-entries"]
        .iter()
        .enumerate()
    {
        counts[i] = line
            .split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {line}"));
    }
    counts
}

/// Asserts `big` is about `factor` times `small`, counter by counter (at most 25% off, and
/// never more than the factor allows: linear, not worse).
fn linear(what: &str, small: [u64; 3], big: [u64; 3], factor: f64) {
    for (i, name) in ["classifications", "line-bytes", "path-entries"]
        .iter()
        .enumerate()
    {
        let ratio = big[i] as f64 / small[i].max(1) as f64;
        assert!(
            ratio <= factor * 1.25,
            "{what}: {name} grew {ratio:.1}x for {factor}x the input ({} → {})",
            small[i],
            big[i]
        );
    }
}

fn keys_in_one_blob(n: u64) -> Repo {
    let r = Repo::new();
    let text: String = (0..n)
        .map(|i| format!("KEY_{i}={}\n", keys::resend(10_000 + 2 * i)))
        .collect();
    r.write("keys.env", text);
    r.commit("keys");
    r
}

fn copies(n: u64) -> Repo {
    let r = Repo::new();
    let text = format!("RESEND_API_KEY={}\n", keys::resend(9));
    for i in 0..n {
        r.write(&format!("copies/c{i}.env"), &text);
    }
    r.commit("copies");
    r
}

#[test]
fn work_grows_linearly_with_keys_in_one_blob() {
    let (small, big) = (keys_in_one_blob(1_000), keys_in_one_blob(10_000));
    for args in [&["history"][..], &["scan", "."]] {
        let (a, b) = (work(small.path(), args), work(big.path(), args));
        assert_eq!(
            (a[0], b[0]),
            (1_000, 10_000),
            "{args:?}: one classification per key"
        );
        linear(&format!("{args:?}"), a, b, 10.0);
    }
}

#[test]
fn work_grows_linearly_with_copies_of_a_key() {
    let (small, big) = (copies(100), copies(4_000));
    for args in [&["history"][..], &["scan", "."]] {
        let (a, b) = (work(small.path(), args), work(big.path(), args));
        assert_eq!(
            (a[0], b[0]),
            (100, 4_000),
            "{args:?}: one classification per copy"
        );
        linear(&format!("{args:?}"), a, b, 40.0);
    }
}
