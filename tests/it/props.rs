//! Property tests: the invariants the fuzz targets (`fuzz/`) check, on generated inputs. The
//! properties themselves live in `leakscope::testing` and are shared with the fuzz targets;
//! the regression tests at the end replay inputs the fuzzers found.

use leakscope::testing::{self, Utf16, keys};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Few cases, no regression files: the suite stays fast, and fuzzing runs long.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Text rich in what the matcher looks for: rule literals, keywords, examples, fake keys and
/// escape marks, between arbitrary bytes and printable text.
fn text(pieces: usize) -> impl Strategy<Value = Vec<u8>> {
    let vocab = testing::vocabulary();
    let piece = prop_oneof![
        (0..vocab.len()).prop_map(move |i| vocab[i].clone()),
        prop::collection::vec(any::<u8>(), 0..8),
        "[ -~\n]{0,24}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..pieces).prop_map(|v| v.concat())
}

fn order() -> impl Strategy<Value = Utf16> {
    prop_oneof![Just(Utf16::Le), Just(Utf16::Be)]
}

fn ok(r: Result<(), String>) -> Result<(), TestCaseError> {
    r.map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn planted_key_is_found_with_its_span_and_text(
        before in text(10),
        after in text(10),
        key in 0..keys::all().len(),
        left in prop::sample::select(testing::SEPARATORS),
        right in prop::sample::select(testing::SEPARATORS),
    ) {
        let key = &keys::all()[key];
        ok(testing::check_planted(testing::matcher(), &before, left, key, right, &after))?;
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn base64_round_trips(
        data in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..120),
            "[ -~\n]{0,120}".prop_map(String::into_bytes),
        ],
        padded in any::<bool>(),
        before in prop::collection::vec(any::<u8>(), 0..16),
        after in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let before = [&before[..], b" "].concat();
        let after = [b"\n", &after[..]].concat();
        ok(testing::check_base64(&data, padded, &before, &after))?;
    }

    #[test]
    fn utf16_round_trips(text in any::<String>(), order in order(), bom in any::<bool>()) {
        ok(testing::check_utf16(&text, order, bom))?;
    }

    #[test]
    fn ascii_as_utf16_is_detected(text in "[ -~\r\n\t]{0,80}", order in order(), bom in any::<bool>()) {
        ok(testing::check_utf16(&text, order, bom))?;
    }

    #[test]
    fn escapes_round_trip_with_their_positions(
        text in any::<String>(),
        choices in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        ok(testing::check_unescape(&text, &choices))?;
    }

    #[test]
    fn escaped_ascii_round_trips(
        text in "[ -~\n\r\t\u{8}\u{b}\u{c}\0]{0,60}",
        choices in prop::collection::vec(any::<u8>(), 1..16),
    ) {
        ok(testing::check_unescape(&text, &choices))?;
    }

    #[test]
    fn arbitrary_deltas_apply_or_fail(
        base in prop::collection::vec(any::<u8>(), 0..64),
        delta in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        ok(testing::check_delta_bytes(&base, &delta))?;
    }

    #[test]
    fn jwt_claims_are_read_back(
        alg in prop::sample::select(&["HS256", "RS256", "none", "hs256"][..]),
        iss in prop::option::of(prop_oneof![
            Just("supabase".to_string()),
            Just("supabase-demo".to_string()),
            ".{0,12}",
        ]),
        role in prop::sample::select(&["anon", "service_role", ""][..]),
        exp in prop::option::of(any::<i64>()),
    ) {
        ok(testing::check_jwt(alg, iss.as_deref(), role, exp))?;
    }

    #[test]
    fn tree_entries_round_trip(
        items in prop::collection::vec(
            (0u32..0o200000, "[^\0/]{1,12}", any::<[u8; 20]>()),
            0..8,
        ),
        junk in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let items: Vec<(u32, Vec<u8>, [u8; 20])> =
            items.into_iter().map(|(m, n, id)| (m, n.into_bytes(), id)).collect();
        ok(testing::check_tree_round_trip(&items))?;
        ok(testing::check_tree_bytes(&junk, 20))?;
    }
}

/// An edit of a delta's target: where, how much to delete, what to insert.
type Edit = (usize, usize, Vec<u8>);

/// A base long enough for copies to outgrow the neighbourhood, and edits making a target.
fn base_and_edits() -> impl Strategy<Value = (Vec<u8>, Vec<Edit>)> {
    let filler =
        prop::collection::vec("[ -~]{30,70}\n", 4..20).prop_map(|v| v.concat().into_bytes());
    let base = prop::collection::vec(prop_oneof![text(4), filler], 1..6).prop_map(|v| v.concat());
    let edit = (any::<usize>(), 0usize..40, text(3));
    (base, prop::collection::vec(edit, 0..5))
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn delta_round_trips((base, edits) in base_and_edits()) {
        let mut target = base.clone();
        for (at, del, ins) in edits {
            let at = at % (target.len() + 1);
            let end = (at + del).min(target.len());
            target.splice(at..end, ins);
        }
        ok(testing::check_delta_round_trip(&base, &target))?;
    }

    #[test]
    fn delta_candidates_equal_full_scan_candidates(
        (base, edits) in base_and_edits(),
        script in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let m = testing::matcher();
        let mut target = base.clone();
        for (at, del, ins) in edits {
            let at = at % (target.len() + 1);
            let end = (at + del).min(target.len());
            target.splice(at..end, ins);
        }
        ok(testing::check_delta_candidates(m, &base, &testing::encode_delta(&base, &target)))?;
        let (delta, _) = testing::scripted_delta(&base, &script);
        ok(testing::check_delta_candidates(m, &base, &delta))?;
    }
}

#[test]
fn configuration_and_rule_files_load_or_fail() {
    // The documented example loads; garbage fails; neither panics.
    assert!(testing::load_config(
        "fail_on = \"high\"\n[rules]\ndisable = []\n"
    ));
    assert!(!testing::load_config("fail_on = 3"));
    assert!(!testing::load_config("[allow]\npaths = [\"a[b\"]\n"));
    testing::load_rules("provider = 1").unwrap();
    testing::load_rules("[[rule]]\nid = \"x\"\npattern = '('\n").unwrap();
}
