//! The matcher's unit tests: offsets, encodings, boundaries, shared-prefix resolution,
//! published examples, checksums, and every rule's own examples.

use super::*;
use sha2::{Digest, Sha256};

mod unit {
    use super::*;
    use crate::rules::RuleSet;

    fn matcher() -> Matcher {
        Matcher::new(RuleSet::builtin().unwrap())
    }

    fn key(parts: &[&str]) -> String {
        parts.concat()
    }

    /// Each hit in `text` as (its rule's id, its secret).
    fn rules_and_secrets(m: &Matcher, text: &str) -> Vec<(String, Vec<u8>)> {
        m.scan(text.as_bytes())
            .hits
            .into_iter()
            .map(|h| (m.rules().rules[h.rule].id.clone(), h.secret))
            .collect()
    }

    #[test]
    fn matcher_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Matcher>();
        assert_send_sync::<RuleSet>();
    }

    #[test]
    fn finds_a_stripe_key_with_offsets() {
        let m = matcher();
        let k = key(&["sk_live_", "ErQHQwjyaxErPZDS3MoJaQNj"]);
        let text = format!("x = \"{k}\"\n");
        let s = m.scan(text.as_bytes());
        assert_eq!(s.hits.len(), 1);
        let h = &s.hits[0];
        assert_eq!(m.rules().rules[h.rule].id, "stripe-secret-key");
        assert_eq!((h.start, h.end), (5, 5 + k.len()));
        assert_eq!(h.secret, k.as_bytes());
    }

    #[test]
    fn base64_value_is_decoded() {
        use base64::Engine as _;
        let m = matcher();
        let k = key(&["re_", "N24nDGTE_7THxUDUb27c6kwViq4Vdkdxo"]);
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("RESEND={k}\n"));
        let text = format!("data:\n  env: {enc}\n");
        let s = m.scan(text.as_bytes());
        assert_eq!(s.hits.len(), 1, "{text}");
        assert_eq!(s.hits[0].encoding, Encoding::Base64);
        assert_eq!(s.hits[0].secret, k.as_bytes());
        // The span is the base64 that encodes the key: from character 4 * 7 / 3 of the value
        // (`RESEND=` is seven bytes).
        assert_eq!(s.hits[0].start, text.find(&enc).unwrap() + 7 * 4 / 3);
    }

    #[test]
    fn escaped_slash_is_undone() {
        let m = matcher();
        let text = key(&[
            r#"{"secret":"whsec_"#,
            r#"BhsV+7V\/awWDoLtuW8UONMgJll6oLJ43"}"#,
        ]);
        let s = m.scan(text.as_bytes());
        assert_eq!(s.hits.len(), 1, "{text}");
        assert_eq!(s.hits[0].encoding, Encoding::Escaped);
        assert_eq!(
            s.hits[0].secret,
            key(&["whsec_", "BhsV+7V/awWDoLtuW8UONMgJll6oLJ43"]).as_bytes()
        );
        assert_eq!(s.hits[0].end, text.len() - 2);
    }

    #[test]
    fn utf16_text_is_decoded() {
        let m = matcher();
        let k = key(&["GOCSPX-", "lztMkxMlT8XXZO2fGfDb7CgWDl2y"]);
        let text = format!("secret={k}\r\n");
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let s = m.scan(&bytes);
        assert!(s.utf16);
        assert_eq!(s.hits.len(), 1);
        assert_eq!(s.hits[0].encoding, Encoding::Utf16);
        assert_eq!(s.hits[0].secret, k.as_bytes());
    }

    /// The small-input automaton (staged, stdin) finds exactly what the DFA finds: every
    /// rule's examples and negative examples, one by one and all in one text.
    #[test]
    fn small_input_automaton_finds_the_same() {
        let rules = RuleSet::builtin().unwrap();
        let fast = Matcher::with_opt_in(rules.clone(), &["generic"]);
        let small = Matcher::for_small_inputs(rules.clone(), &["generic"]);
        let mut all = String::new();
        let mut hits = 0;
        for r in &rules.rules {
            let texts = r.examples.iter().map(|e| e.text.as_str());
            let negatives = r.negative_examples.iter().map(|n| n.text());
            for t in texts.chain(negatives) {
                let t = crate::rules::unsplit(t);
                let a = fast.scan(t.as_bytes()).hits;
                assert_eq!(a, small.scan(t.as_bytes()).hits, "{}: {t}", r.id);
                hits += a.len();
                all.push_str(&t);
                all.push('\n');
            }
        }
        assert!(hits > 1000, "{hits} hits");
        assert_eq!(
            fast.scan(all.as_bytes()).hits,
            small.scan(all.as_bytes()).hits
        );
    }

    /// The DFA's lanes find exactly the literals the NFA finds, in regions of every size: cut
    /// between lanes, ending inside a literal, a byte long, or next to one another.
    #[test]
    fn dfa_lanes_find_what_the_nfa_finds_in_any_regions() {
        let rules = RuleSet::builtin().unwrap();
        let enabled = vec![true; rules.rules.len()];
        let dfa = automaton::Automaton::new(&rules, &enabled, false);
        let nfa = automaton::Automaton::new(&rules, &enabled, true);
        let mut text = String::new();
        for r in &rules.rules {
            for e in &r.examples {
                text.push_str(&crate::rules::unsplit(&e.text));
                text.push('\n');
            }
        }
        let hay = text.as_bytes();
        let found = |a: &automaton::Automaton, regions: &[(usize, usize)]| {
            let mut out = Vec::new();
            a.occurrences_in(hay, regions, |at, li, role| out.push((at, li, role)));
            out.sort_by_key(|&(at, li, _)| (at, li));
            out
        };
        // Region sets from a fixed pseudo-random sequence: gaps and lengths from 0 to 700.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % m) as usize
        };
        let mut total = 0;
        for round in 0..40 {
            let mut regions = Vec::new();
            let mut at = next(50);
            while at < hay.len() {
                let len = if round % 4 == 0 {
                    1 + next(8)
                } else {
                    1 + next(700)
                };
                regions.push((at, (at + len).min(hay.len())));
                at += len + next(if round % 3 == 0 { 2 } else { 700 });
            }
            let a = found(&dfa, &regions);
            assert_eq!(a, found(&nfa, &regions), "round {round}");
            total += a.len();
        }
        let whole = found(&dfa, &[(0, hay.len())]);
        assert_eq!(whole, found(&nfa, &[(0, hay.len())]));
        assert!(
            whole.len() > 3000 && total > 20000,
            "{} {total}",
            whole.len()
        );
    }

    /// Found by the matcher fuzz target: a GitHub token inside a FileZilla `<Pass>` value was
    /// swallowed by the password. A chosen password can hold anything, so the password rules
    /// yield to a known key inside them (`fallback = 1`).
    #[test]
    fn a_known_key_inside_a_password_is_reported_as_that_key() {
        let m = matcher();
        let k = crate::testing::keys::github(1);
        let text = format!("\t\t\t<Pass>aWXGIHQXfq'{k}\"rLY4Sd</Pass>\n");
        let found = rules_and_secrets(&m, &text);
        assert_eq!(found, [("github-pat-classic".to_string(), k.into_bytes())]);
    }

    /// Found by the matcher fuzz target (hour run of d0f4382): a Resend key between quotes
    /// inside what looked like a Kerberos AS-REP hash's principal was swallowed by the hash
    /// finding. A principal in cracking-tool format has no quotes or angle brackets.
    #[test]
    fn a_quote_ends_a_kerberos_principal() {
        let m = matcher();
        let k = crate::testing::keys::resend(7);
        let hex = |n: usize| "8afb53ad20763df0f04f126cc4596e1e".repeat(n);
        let text = format!(
            "$krb5asrep$23$svc-backup@FAKECO\"{k}\"RP.TEST:{}${}\n",
            hex(1),
            hex(4)
        );
        let found = rules_and_secrets(&m, &text);
        assert_eq!(found, [("resend-api-key".to_string(), k.into_bytes())]);
        // Without the quotes, the principal is one and the hash is found whole.
        let plain = format!(
            "$krb5asrep$23$svc-backup@FAKECORP.TEST:{}${}\n",
            hex(1),
            hex(4)
        );
        let found = rules_and_secrets(&m, &plain);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "password-hash-kerberos-asrep");
    }

    /// Found by the decode_utf16 fuzz target: a U+FEFF after the byte order mark is text,
    /// and was dropped with it.
    #[test]
    fn only_the_first_code_unit_is_a_byte_order_mark() {
        use super::decode::{Utf16, decode_utf16};
        let le: Vec<u8> = [0xFEFF_u16, 0xFEFF, u16::from(b'n')]
            .iter()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(decode_utf16(&le, Utf16::Le), "\u{FEFF}n".as_bytes());
        assert_eq!(decode_utf16(&le[2..], Utf16::Le), b"n");
        assert_eq!(decode_utf16(&le[4..], Utf16::Le), b"n");
    }

    #[test]
    fn word_boundaries_hold() {
        let m = matcher();
        let k = key(&["re_", "N24nDGTE_7THxUDUb27c6kwViq4Vdkdxo"]);
        for text in [format!("pu{k}"), format!("{k}x"), format!("x_{k}")] {
            assert!(m.scan(text.as_bytes()).hits.is_empty(), "{text}");
        }
        assert_eq!(m.scan(format!("\\n{k}").as_bytes()).hits.len(), 1);
    }
}

mod rule_examples {
    use super::*;
    use crate::rules::RuleSet;

    /// Every example of every built-in rule matches exactly once with the right rule and
    /// environment; every negative example matches nothing.
    #[test]
    fn builtin_rule_examples_hold() {
        if let Err(failures) = examples::check_examples(&RuleSet::builtin().unwrap()) {
            panic!("{} failures:\n{}", failures.len(), failures.join("\n"));
        }
    }
}

mod resolution {
    use super::*;
    use crate::rules::RuleSet;

    fn ids(m: &Matcher, text: &str) -> Vec<(String, Decision, Vec<String>)> {
        m.scan(text.as_bytes())
            .hits
            .iter()
            .map(|h| {
                (
                    m.rules().rules[h.rule].id.clone(),
                    h.decision,
                    h.alternatives
                        .iter()
                        .map(|&a| m.rules().rules[a].id.clone())
                        .collect(),
                )
            })
            .collect()
    }

    /// A 40-character body fits both Stripe's and Clerk's patterns and neither one's shape.
    fn ambiguous() -> String {
        ["sk_live_", "Qm3Tz8Wk2Lp9Vx4Rb7Nc1Hd6Fg5Js0Ay3Ek8Uo2"].concat()
    }

    #[test]
    fn shape_decides_first() {
        let m = Matcher::new(RuleSet::builtin().unwrap());
        let clerk = ["sk_live_", "kASAOsE1nYEZ9GlGHpYaax7LBejYWo6oScBVX4ANCc"].concat();
        // The shape wins even against a variable name that says otherwise.
        let got = ids(&m, &format!("STRIPE_SECRET_KEY={clerk}"));
        assert_eq!(
            got,
            vec![("clerk-secret-key".into(), Decision::Shape, vec![])]
        );
    }

    #[test]
    fn variable_name_then_file_then_likelier() {
        let m = Matcher::new(RuleSet::builtin().unwrap());
        let k = ambiguous();
        assert_eq!(
            ids(&m, &format!("CLERK_SECRET_KEY={k}")),
            vec![("clerk-secret-key".into(), Decision::Name, vec![])]
        );
        assert_eq!(
            ids(
                &m,
                &format!("import {{ clerkClient }} from \"@clerk/nextjs\";\nconst key = \"{k}\";")
            ),
            vec![("clerk-secret-key".into(), Decision::File, vec![])]
        );
        // A Clerk publishable key in the same file settles it too.
        let pk = ["pk_test_", "YnJhdmUtb3R0ZXItMTcuY2xlcmsuYWNjb3VudHMuZGV2JA"].concat();
        let got = ids(&m, &format!("a = \"{pk}\"\nb = \"{k}\"\n"));
        assert_eq!(got[1], ("clerk-secret-key".into(), Decision::File, vec![]));
        // Nothing to go on: the likelier provider, with the other as an alternative.
        assert_eq!(
            ids(&m, &format!("key = \"{k}\"")),
            vec![(
                "stripe-secret-key".into(),
                Decision::Likely,
                vec!["clerk-secret-key".into()]
            )]
        );
    }

    #[test]
    fn svix_shape_beats_stripe_for_whsec() {
        let m = Matcher::new(RuleSet::builtin().unwrap());
        let svix = ["whsec_", "BhsV+7V/awWDoLtuW8UONMgJll6oLJ43"].concat();
        let got = ids(&m, &format!("secret = \"{svix}\""));
        assert_eq!(got[0].0, "clerk-webhook-secret");
        assert_eq!(got[0].2, vec!["resend-webhook-secret".to_string()]);
        let got = ids(&m, &format!("RESEND_WEBHOOK_SECRET={svix}"));
        assert_eq!(
            got,
            vec![("resend-webhook-secret".into(), Decision::Name, vec![])]
        );
    }

    #[test]
    fn published_examples_are_recognised_by_digest() {
        let key = ["sk_test_", "Pq7Wn2Zr5Tx8Lm3Vb6Kc9Hd"].concat();
        let mut rules = RuleSet::builtin().unwrap();
        let plain = Matcher::new(rules.clone());
        assert_eq!(plain.scan(key.as_bytes()).hits[0].published, None);
        let digest = crate::finding::hex(&Sha256::digest(key.as_bytes()));
        rules
            .add_published(
                "test.toml",
                &format!(
                    "[[example]]\nsha256 = \"{digest}\"\nsource = \"a made-up documentation key\"\n"
                ),
            )
            .unwrap();
        let m = Matcher::new(rules);
        let hits = m.scan(format!("stripe.api_key = '{key}'").as_bytes()).hits;
        assert_eq!(
            hits[0].published.as_deref(),
            Some("a made-up documentation key")
        );
    }

    #[test]
    fn supabase_checksum_names_the_project() {
        let m = Matcher::new(RuleSet::builtin().unwrap());
        let key = ["sb_secret_", "0owWCLdCobmuMWZPTjRKuo_8UqSLXye"].concat();
        let with_url = format!("url = 'https://mnbvcxzlkjhgfdsapoiu.supabase.co'\nkey = '{key}'\n");
        assert_eq!(
            m.scan(with_url.as_bytes()).hits[0]
                .validated
                .project
                .as_deref(),
            Some("mnbvcxzlkjhgfdsapoiu")
        );
        let other = format!("url = 'https://qwertyuiopasdfghjklz.supabase.co'\nkey = '{key}'\n");
        assert_eq!(m.scan(other.as_bytes()).hits[0].validated.project, None);
    }
}

mod rule_catalogue {
    use crate::rules::{GENERIC, RuleSet};

    /// Every built-in rule proves itself with at least two examples and two negative
    /// examples, and has at least as many negative examples as examples.
    #[test]
    fn every_rule_has_two_examples_and_as_many_negatives() {
        let set = RuleSet::builtin().unwrap();
        let mut short = Vec::new();
        for r in &set.rules {
            let (e, n) = (r.examples.len(), r.negative_examples.len());
            if e < 2 || n < 2 || n < e {
                short.push(format!("{}: {e} examples, {n} negative examples", r.id));
            }
        }
        assert!(short.is_empty(), "{}", short.join("\n"));
    }

    /// Regexes compile on first use; every built-in one must compile.
    #[test]
    fn every_rule_regex_compiles() {
        let set = RuleSet::builtin().unwrap();
        for r in &set.rules {
            if let Err(e) = r.compile_all() {
                panic!("{}: {e}", r.id);
            }
        }
    }

    /// The generic detector's rules are opt-in; every other rule runs by default.
    #[test]
    fn only_the_generic_group_is_opt_in() {
        let set = RuleSet::builtin().unwrap();
        for r in &set.rules {
            if let Some(g) = &r.opt_in {
                assert_eq!(g, GENERIC, "{}", r.id);
            }
        }
    }
}
