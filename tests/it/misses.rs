//! Keys the matcher used to miss or report wrongly, and history edge cases (issue 13): one
//! test per behaviour, through the built binary.

use crate::common::*;
use base64::Engine as _;
use std::os::unix::fs::PermissionsExt as _;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn sha(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn stripe(seed: u64) -> String {
    keys::stripe_live(seed)
}

fn google_secret(seed: u64) -> String {
    ["GOCSPX-", &keys::body(seed, 28)].concat()
}

/// A finding as these tests compare it: rule, line, column, end column, secret's SHA-256.
type Found = (String, u64, u64, u64, String);

/// Scans one file holding `text` and returns each finding, sorted.
fn scan_text(name: &str, text: &str) -> (i32, Vec<Found>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    let (code, report) = run_json(dir.path(), &["scan", "."]);
    let mut v: Vec<_> = findings(&report)
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["endColumn"].as_u64().unwrap(),
                f["secretSha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    (code, v)
}

fn rules_and_secrets(found: &[Found]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = found.iter().map(|f| (f.0.clone(), f.4.clone())).collect();
    v.sort();
    v
}

#[test]
fn several_keys_in_one_base64_value_are_each_a_finding_with_its_own_span() {
    let (s, r, g) = (stripe(1), keys::resend(2), google_secret(3));
    let env = format!("STRIPE_SECRET_KEY={s}\nRESEND_API_KEY={r}\nGOOGLE_CLIENT_SECRET={g}\n");
    let (code, found) = scan_text("deploy.sh", &format!("ENV_B64={}\n", B64.encode(&env)));
    assert_eq!(code, 1);
    let mut want = vec![
        ("stripe-secret-key".to_string(), sha(&s)),
        ("resend-api-key".to_string(), sha(&r)),
        ("google-oauth-client-secret".to_string(), sha(&g)),
    ];
    want.sort();
    assert_eq!(rules_and_secrets(&found), want);
    // Each span is the base64 that encodes that key, inside the value, and they do not overlap.
    let mut spans: Vec<(u64, u64)> = found.iter().map(|f| (f.2, f.3)).collect();
    spans.sort();
    assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "{spans:?}");
    assert!(spans[0].0 > 9, "not the whole run: {spans:?}");
}

#[test]
fn keys_crossing_the_line_breaks_of_wrapped_base64_are_found_whole() {
    let (s, r, g) = (stripe(4), keys::resend(5), google_secret(6));
    let env = format!("STRIPE_SECRET_KEY={s}\nRESEND_API_KEY={r}\nGOOGLE_CLIENT_SECRET={g}\n");
    let encoded = B64.encode(&env);
    for width in [76, 64] {
        let wrapped: Vec<&str> = encoded
            .as_bytes()
            .chunks(width)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let (_, found) = scan_text("env.b64", &(wrapped.join("\n") + "\n"));
        let mut want = vec![
            ("stripe-secret-key".to_string(), sha(&s)),
            ("resend-api-key".to_string(), sha(&r)),
            ("google-oauth-client-secret".to_string(), sha(&g)),
        ];
        want.sort();
        assert_eq!(rules_and_secrets(&found), want, "wrapped at {width}");
    }
}

#[test]
fn resend_keys_in_base64_are_found_in_every_alignment() {
    let r = keys::resend(7);
    for context in ["resend_key: ", "'", "RESEND=", "\"", "x "] {
        for pad in ["", "#", "##"] {
            let text = B64.encode(format!("{pad}{context}{r}\n"));
            let (_, found) = scan_text("v.txt", &format!("{text}\n"));
            assert_eq!(
                rules_and_secrets(&found),
                [("resend-api-key".to_string(), sha(&r))],
                "{pad}{context}"
            );
        }
    }
}

#[test]
fn url_encoded_context_does_not_hide_a_key() {
    let s = stripe(8);
    let (_, found) = scan_text(
        "access.log",
        &format!("GET /pay?key%3D{s} HTTP/1.1\n{{\"q\":\"%22{s}%22\"}}\n"),
    );
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found
            .iter()
            .all(|f| f.0 == "stripe-secret-key" && f.4 == sha(&s))
    );
}

#[test]
fn a_full_length_key_followed_by_an_ellipsis_is_still_a_key() {
    let s = stripe(9);
    let (code, found) = scan_text(
        "retry.log",
        &format!("retrying with {s}...\nor {s}\u{2026}\n"),
    );
    assert_eq!(code, 1);
    assert_eq!(found.len(), 2);
    // A short start shown cut off is not.
    let (code, found) = scan_text("docs.md", "use a key like sk_live_51AbCdEfGh7Qz... here\n");
    assert_eq!((code, found.len()), (0, 0));
}

#[test]
fn a_random_key_with_an_ascending_run_inside_is_not_a_placeholder() {
    let s = stripe(10);
    let key = format!("{}123456{}", &s[..40], &s[46..]);
    let (_, found) = scan_text(".env", &format!("STRIPE_SECRET_KEY={key}\n"));
    assert_eq!(
        rules_and_secrets(&found),
        [("stripe-secret-key".into(), sha(&key))]
    );
    // A body made of runs and sequences is a placeholder still.
    let (_, found) = scan_text(
        ".env",
        "STRIPE_SECRET_KEY=sk_live_1234567890abcdefghijklmnopqrstuvwxyzxxxxxxxx\n",
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_2021_supabase_service_role_jwt_is_a_finding() {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let jwt = format!(
        "{}.{}.{}",
        e.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        e.encode(br#"{"role":"service_role","iat":1613531985,"exp":1929107985}"#),
        keys::body(11, 43)
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!("SUPABASE_SERVICE_ROLE_KEY={jwt}\n"),
    )
    .unwrap();
    let (code, report) = run_json(dir.path(), &["scan", "."]);
    assert_eq!(code, 1);
    let f = &findings(&report)[0];
    assert_eq!(f["ruleId"], "supabase-service-role-jwt");
    assert_eq!(f["verdict"], "must-rotate");
    assert_eq!(f["secretSha256"], sha(&jwt).as_str());
}

#[test]
fn clerk_secret_key_variable_names_a_32_character_test_key_clerk() {
    let key = ["sk_", "test_", &keys::body(12, 32)].concat();
    let (_, found) = scan_text(".env", &format!("CLERK_SECRET_KEY={key}\n"));
    assert_eq!(
        rules_and_secrets(&found),
        [("clerk-secret-key".into(), sha(&key))]
    );
    let (_, found) = scan_text(".env", &format!("STRIPE_SECRET_KEY={key}\n"));
    assert_eq!(
        rules_and_secrets(&found),
        [("stripe-secret-key".into(), sha(&key))]
    );
}

/// A small blob stored as a delta of a blob over --max-filesize is reconstructed and scanned;
/// the large base itself is skipped with a note.
#[test]
fn a_blob_deltified_from_one_over_max_filesize_is_scanned() {
    let r = Repo::new();
    let filler: String = (0..4000)
        .map(|i| format!("line {i} of generated data {}\n", keys::body(i, 12)))
        .collect();
    r.write("data.txt", &filler);
    r.commit("big");
    let key = stripe(13);
    r.write(
        "data.txt",
        format!("{}STRIPE_SECRET_KEY={key}\n", &filler[..filler.len() / 2]),
    );
    r.commit("smaller, with a key");
    r.git(&["repack", "-adf", "-q"]);
    let (code, report) = r.json(&["history", "--max-filesize", "100K"]);
    assert_eq!(code, 1, "{report:#}");
    let fs = findings(&report);
    assert_eq!(fs.len(), 1);
    assert_eq!(fs[0]["secretSha256"], sha(&key).as_str());
    assert!(
        report["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["code"] == "too-large"),
        "{report:#}"
    );
}

/// Objects that depend on an unreadable pack entry are each named.
#[test]
fn deltas_of_an_unreadable_base_are_named() {
    let r = Repo::new();
    let text: String = (0..300)
        .map(|i| format!("row {i} {}\n", keys::body(i, 20)))
        .collect();
    r.write("a.txt", &text);
    r.commit("a");
    r.write("a.txt", format!("{text}one more row\n"));
    r.commit("a2");
    r.git(&["repack", "-adf", "-q"]);
    // Find a base with a delta child, and break its entry header.
    let pack_dir = r.path().join(".git/objects/pack");
    let idx = std::fs::read_dir(&pack_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap();
    let listing = r.git(&["verify-pack", "-v", idx.to_str().unwrap()]);
    let child = listing
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() == 7 && f[1] == "blob")
        .expect("a deltified blob");
    let (child_id, base_id) = (child[0].to_string(), child[6].to_string());
    let base_offset: usize = listing
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f[0] == base_id)
        .unwrap()[4]
        .parse()
        .unwrap();
    let pack = idx.with_extension("pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    // Type bits 4-6 of the first header byte: 5 is reserved, so the entry cannot be read.
    bytes[base_offset] = (bytes[base_offset] & 0x8f) | (5 << 4);
    std::fs::set_permissions(&pack, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&pack, bytes).unwrap();
    let (code, report) = r.json(&["history"]);
    assert_eq!(code, 2, "{report:#}");
    let named: Vec<String> = report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["subject"].as_str().map(str::to_string))
        .collect();
    assert!(named.contains(&base_id), "{report:#}");
    assert!(named.contains(&child_id), "{report:#}");
    let message = report["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["subject"] == child_id.as_str())
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(&format!("deltified from {base_id}")),
        "{message}"
    );
}
