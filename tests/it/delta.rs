//! Delta-aware history scanning reports exactly what scanning every blob in full reports.
//!
//! The repositories here are adversarial: keys straddle delta instruction boundaries (a key's
//! prefix copied from the base and its body inserted, two copies joined into a key, a copy
//! that cuts a key off, a boundary neighbour that turns a candidate into a non-candidate).
//! Each test checks that the blobs really are stored as deltas (`git verify-pack -v`), that
//! the delta path ran (the `deltaScans` counter), and that findings equal `--full-scan`'s.

use crate::common::*;
use serde_json::Value;

/// Objects stored as deltas in the repository's packs, from `git verify-pack -v`.
fn deltified(r: &Repo) -> usize {
    let pack_dir = r.path().join(".git/objects/pack");
    let mut n = 0;
    for e in std::fs::read_dir(pack_dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "idx") {
            let out = r.git(&["verify-pack", "-v", p.to_str().unwrap()]);
            // Deltified lines have 7 fields: id type size size-in-pack offset depth base.
            n += out
                .lines()
                .filter(|l| l.split_whitespace().count() == 7)
                .count();
        }
    }
    n
}

/// Findings without the fields that may differ in presentation only (none should).
fn comparable(report: &Value) -> Vec<Value> {
    findings(report).to_vec()
}

/// Which delta path a fixture must exercise.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Path {
    Blobs,
    Trees,
}

fn assert_equivalent(r: &Repo, path: Path) -> Value {
    r.git(&[
        "repack",
        "-q",
        "-a",
        "-d",
        "-f",
        "--depth=50",
        "--window=250",
    ]);
    r.git(&["prune-packed"]);
    let d = deltified(r);
    assert!(d > 0, "the fixture must store blobs as deltas");
    let (c1, delta) = r.json(&["history", "--unreachable"]);
    let (c2, full) = r.json(&["history", "--unreachable", "--full-scan"]);
    assert_eq!(c1, c2);
    assert_eq!(
        comparable(&delta),
        comparable(&full),
        "delta-aware and full scans differ"
    );
    let counter = match path {
        Path::Blobs => "deltaScans",
        Path::Trees => "deltaTrees",
    };
    assert!(
        delta["stats"][counter].as_u64().unwrap() > 0,
        "the delta path ran ({counter})"
    );
    assert_eq!(full["stats"][counter], 0);
    delta
}

/// A long file of filler lines, so that git deltifies versions against each other.
fn filler(seed: u64, lines: usize) -> String {
    (0..lines)
        .map(|i| format!("line {i}: {}\n", keys::body(seed * 1000 + i as u64, 40)))
        .collect()
}

#[test]
fn keys_inserted_into_a_long_file_and_edited_around() {
    let r = Repo::new();
    let base = filler(1, 400);
    r.write("app.cfg", &base);
    r.commit("base");
    let k = keys::stripe_live(2);
    // 1. A key inserted in the middle: the body is an insert, surrounded by copies.
    let mut v1 = base.clone();
    v1.insert_str(8000, &format!("\nSTRIPE_SECRET_KEY={k}\n"));
    r.write("app.cfg", &v1);
    r.commit("insert key");
    // 2. The key's last characters changed: a copy of the prefix joined to an insert.
    let k2 = format!("{}{}", &k[..k.len() - 6], "ZZZZ99");
    r.write("app.cfg", v1.replace(&k, &k2));
    r.commit("edit key tail");
    // 3. A neighbour edited right before the key: `xsk_live_…` is no key, then it is again.
    r.write("app.cfg", v1.replace(&format!("={k}"), &format!("=x{k}")));
    r.commit("glue");
    r.write("app.cfg", &v1);
    r.commit("unglue");
    // 4. The key cut short by the next version.
    r.write("app.cfg", v1.replace(&k, &k[..20]));
    r.commit("truncate");
    // 5. Removed.
    r.write("app.cfg", &base);
    r.commit("remove");
    let rep = assert_equivalent(&r, Path::Blobs);
    let secrets: Vec<&str> = findings(&rep)
        .iter()
        .map(|f| f["redacted"].as_str().unwrap())
        .collect();
    assert_eq!(
        secrets.len(),
        2,
        "the key and its edited version: {secrets:?}"
    );
}

#[test]
fn keys_assembled_from_two_copies_and_split_by_a_copy() {
    let r = Repo::new();
    let k = keys::resend(3);
    let (head, tail) = k.split_at(12);
    // Two far-apart parts that a later version brings together.
    let base = format!(
        "{}A={head}\n{}B=Q{tail}\n{}",
        filler(4, 150),
        filler(5, 150),
        filler(6, 150)
    );
    r.write("notes.txt", &base);
    r.commit("parts");
    let joined = base.replace(&format!("\n{}B=Q", filler(5, 150)), "");
    assert!(joined.contains(&k));
    r.write("notes.txt", &joined);
    r.commit("joined");
    // And split again by a new line in the middle.
    r.write("notes.txt", joined.replace(&k, &format!("{head}\n{tail}")));
    r.commit("split");
    let rep = assert_equivalent(&r, Path::Blobs);
    assert_eq!(findings(&rep).len(), 1);
}

#[test]
fn many_versions_with_keys_at_instruction_edges() {
    let r = Repo::new();
    let mut text = filler(7, 300);
    for i in 0..40u64 {
        // Insert a key, or a near miss, at a moving offset; delete an earlier line.
        let at = (i as usize * 997) % (text.len() - 200);
        let at = text[..at].rfind('\n').map_or(0, |p| p + 1);
        let insert = match i % 4 {
            0 => format!("K{i}={}\n", keys::stripe_live(100 + i)),
            1 => format!("pure_{}\n", keys::body(i, 30)),
            2 => format!("T{i}=\"{}\"\n", keys::resend(200 + i)),
            _ => format!("sk_live_{}\n", "x".repeat(30)),
        };
        text.insert_str(at, &insert);
        if let Some(nl) = text[at + insert.len()..].find('\n') {
            text.replace_range(at + insert.len()..at + insert.len() + nl + 1, "");
        }
        r.write(&format!("dir{}/conf.env", i % 3), &text);
        r.commit(&format!("v{i}"));
    }
    let rep = assert_equivalent(&r, Path::Blobs);
    assert!(findings(&rep).len() >= 20, "{}", findings(&rep).len());
}

#[test]
fn trees_inherited_from_delta_bases_give_the_same_provenance() {
    let r = Repo::new();
    // A wide tree that changes a little in every commit: trees are stored as deltas.
    for i in 0..120 {
        r.write(&format!("src/m{i:03}.txt"), format!("module {i}\n"));
    }
    r.commit("wide tree");
    for i in 0..30u64 {
        r.write(
            &format!("src/m{:03}.txt", (i * 7) % 120),
            format!("module changed {i}\n"),
        );
        if i == 10 {
            r.write(
                "src/zz_secret.env",
                format!("K={}\n", keys::stripe_live(300)),
            );
        }
        if i == 20 {
            std::fs::remove_file(r.path().join("src/zz_secret.env")).unwrap();
            r.write(
                "moved/secret.env",
                format!("K={}\n", keys::stripe_live(300)),
            );
        }
        r.commit(&format!("c{i}"));
    }
    let rep = assert_equivalent(&r, Path::Trees);
    let f = &findings(&rep)[0];
    assert_eq!(
        strings(&f["paths"]),
        ["moved/secret.env", "src/zz_secret.env"]
    );
}
