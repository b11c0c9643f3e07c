//! The runbooks against the four seed documents the product was specified from (issue 12, "The
//! seeds, exactly"). Each test quotes the seed's sentence word for word, checks that the seed
//! file really says it (where the seeds are on the machine), and checks that the runbook, as
//! the binary renders it, states the fact and no longer makes the claim the seed contradicts.
//!
//! The seeds live beside the repository, in `../shared/seeds/`:
//!
//! - `000_bd65868818cf2989.txt`: Clerk, "Rotate your Clerk API keys"
//!   (https://clerk.com/docs/guides/secure/rotate-api-keys).
//! - `001_0c19d86fe3e1ef57.txt`: Clerk, "Deploy your Clerk app to production"
//!   (https://clerk.com/docs/deployments/overview).
//! - `002_ab879231148b89e1.txt`: SecureStartKit, "rotate leaked API keys without downtime"
//!   (https://securestartkit.com/blog/rotate-leaked-api-keys-without-downtime-2026).
//! - `003_33dfa82ddcfed1f4.txt`: Clerk blog, "How to take your Clerk app to prod"
//!   (https://clerk.com/blog/how-to-take-your-clerk-app-to-prod).

use crate::common::*;
use std::path::{Path, PathBuf};

/// `../shared/seeds/000_bd65868818cf2989.txt`: Clerk's page on rotating API keys.
const CLERK_ROTATE: &str = "000_bd65868818cf2989.txt";
/// `../shared/seeds/001_0c19d86fe3e1ef57.txt`: Clerk's production deployment guide.
const CLERK_DEPLOY: &str = "001_0c19d86fe3e1ef57.txt";
/// `../shared/seeds/002_ab879231148b89e1.txt`: the zero-downtime rotation runbook (Supabase,
/// Stripe, Resend, Vercel).
const ROTATION: &str = "002_ab879231148b89e1.txt";
/// `../shared/seeds/003_33dfa82ddcfed1f4.txt`: Clerk's blog post on going to production.
const CLERK_PROD: &str = "003_33dfa82ddcfed1f4.txt";

/// The seed documents' address the runbooks cite for the rotation post.
const ROTATION_URL: &str =
    "https://securestartkit.com/blog/rotate-leaked-api-keys-without-downtime-2026";

/// The seeds directory: `LEAKSCOPE_SEEDS`, else beside the repository.
fn seeds_dir() -> PathBuf {
    match std::env::var_os("LEAKSCOPE_SEEDS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/seeds")).to_path_buf(),
    }
}

/// The text of a seed file, if the seeds are on this machine. They live outside the
/// repository (a clean clone on a CI machine has only the sentences quoted here); where they
/// are, or where `LEAKSCOPE_SEEDS` names them, a quote that is not in its seed fails.
fn seed(file: &str) -> Option<String> {
    let dir = seeds_dir();
    if !dir.is_dir() && std::env::var_os("LEAKSCOPE_SEEDS").is_none() {
        return None;
    }
    let path = dir.join(file);
    Some(
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("seed {} must be readable: {e}", path.display())),
    )
}

/// Asserts that the seed says `sentence`, word for word (when the seeds are here).
fn assert_seed_says(file: &str, sentence: &str) {
    if let Some(text) = seed(file) {
        assert!(
            text.contains(sentence),
            "seed {file} does not say (word for word): {sentence}"
        );
    }
}

/// `leakscope explain <rule>`: the rule's runbook as the binary prints it.
fn explain(rule: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = run(dir.path(), &["explain", rule]);
    assert_eq!(code, 0, "explain {rule} failed: {err}");
    out
}

/// Asserts that `text` contains every phrase (case-insensitively).
fn assert_says(what: &str, text: &str, phrases: &[&str]) {
    let lower = text.to_lowercase();
    for p in phrases {
        assert!(
            lower.contains(&p.to_lowercase()),
            "{what} must say {p:?}:\n{text}"
        );
    }
}

/// Asserts that `text` contains none of the phrases (case-insensitively).
fn assert_never_says(what: &str, text: &str, phrases: &[&str]) {
    let lower = text.to_lowercase();
    for p in phrases {
        assert!(
            !lower.contains(&p.to_lowercase()),
            "{what} must no longer say {p:?}:\n{text}"
        );
    }
}

/// The text of every runbook file, by file name.
fn runbook_files() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/runbooks");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("rules/runbooks")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("read runbook"))
        })
        .filter(|(name, _)| name.ends_with(".toml"))
        .collect();
    out.sort();
    out
}

/// The part of `md` from `start` up to the next `end` after it (or to the end of `md`).
fn section<'a>(md: &'a str, start: &str, end: &str) -> &'a str {
    let i = md
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} missing:\n{md}"));
    let rest = &md[i..];
    let j = rest[start.len()..]
        .find(end)
        .map_or(rest.len(), |j| j + start.len());
    &rest[..j]
}

/// Asserts that the phrases occur in `text` in this order.
fn assert_in_order(what: &str, text: &str, phrases: &[&str]) {
    let at: Vec<usize> = phrases
        .iter()
        .map(|p| {
            text.find(p)
                .unwrap_or_else(|| panic!("{what}: {p:?} missing:\n{text}"))
        })
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "{what}: {phrases:?} out of order ({at:?}):\n{text}"
    );
}

/// A Clerk development secret key, made with `scripts/fake-key.py clerk-sk-test --raw
/// --seed 7` and assembled here so that no whole key sits in this file.
fn clerk_sk_test() -> String {
    [
        "sk_",
        "test_",
        "u8jzPde0IgxLd6Gnc",
        "fBAepfJBd0Kh8oOOL",
        "8dKLzdoc",
    ]
    .concat()
}

/// Point 1: a Resend key's name, permission and domain can be changed; only its value cannot.
#[test]
fn resend_keys_can_be_edited_except_their_value() {
    const CAN_EDIT: &str =
        "You can change the name, permission, and domain, but never the secret itself.";
    const VALUE_FIXED: &str = "The docs state plainly: \"You cannot view or edit an API Key value after it has been created\" [6].";
    assert_seed_says(ROTATION, CAN_EDIT);
    assert_seed_says(ROTATION, VALUE_FIXED);

    let md = explain("resend-api-key");
    assert_says(
        "the Resend runbook",
        &md,
        &[
            "name, permission and domain can be changed",
            "cannot be viewed or edited",
            "delete the old key",
        ],
    );
    assert_never_says(
        "the Resend runbook",
        &md,
        &[
            "keys cannot be edited",
            "a permission change also means a new key",
        ],
    );
    // No runbook claims that a key's permission cannot change.
    for (file, text) in runbook_files() {
        assert_never_says(
            &format!("rules/runbooks/{file}"),
            &text,
            &[
                "permission change also means a new key",
                "keys cannot be edited",
            ],
        );
    }
}

/// Point 2: a Clerk test key in production configuration calls for the production instance:
/// the runbook `clerk-production-instance` joins the finding and the report spells it out.
#[test]
fn clerk_test_key_in_production_config_gets_the_production_instance_runbook() {
    const OWN_OAUTH: &str =
        "In production, these are not secure and you will need to provide your own.";
    const WEBHOOKS: &str = "Your webhook endpoints will need to be updated to use your production instance's URL and signing secret.";
    const SECRET_KEY: &str =
        "Secret Key: Formatted as sk_test_ in development and sk_live_ in production.";
    const DNS: &str =
        "To see what DNS records you need, navigate to the Domains page in the Clerk Dashboard.";
    const CERTIFICATES: &str = "Once you have completed all of the necessary steps, a Deploy certificates button will appear.";
    assert_seed_says(CLERK_DEPLOY, OWN_OAUTH);
    assert_seed_says(CLERK_DEPLOY, WEBHOOKS);
    assert_seed_says(CLERK_DEPLOY, SECRET_KEY);
    assert_seed_says(CLERK_DEPLOY, DNS);
    assert_seed_says(CLERK_DEPLOY, CERTIFICATES);

    const CREATE: &str = "At the top of the page, you’ll see a toggle labeled Development—click it and select Create production instance from the dropdown menu.";
    const LIVE_KEYS: &str = "Production keys are prefixed with pk_live and sk_live for the publishable and secret key respectively.";
    const OWN_CLIENT: &str = "That means you’ll need to register an application with each identity provider and generate your own client ID and secret.";
    const SSL: &str = "Once verified, Clerk will generate the SSL certificates required for a secure connection to our services.";
    const NON_PRODUCTION: &str = "I’ll need to modify the CLERK_SECRET_KEY and NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY variables to only work in non-production environments.";
    const SENSITIVE: &str = "For added security, you may consider adding the CLERK_SECRET_KEY variable separately and setting it as a Sensitive variable to prevent team members from reading";
    for s in [
        CREATE,
        LIVE_KEYS,
        OWN_CLIENT,
        SSL,
        NON_PRODUCTION,
        SENSITIVE,
    ] {
        assert_seed_says(CLERK_PROD, s);
    }

    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".env.production",
        format!("CLERK_SECRET_KEY={}\n", clerk_sk_test()),
    );
    let (_, report) = run_json(dir.path(), &["scan", "."]);
    let f = findings(&report)
        .iter()
        .find(|f| f["ruleId"] == "clerk-secret-key")
        .unwrap_or_else(|| panic!("no Clerk finding: {report}"));
    assert_eq!(f["environment"], "test", "{f}");
    let warnings: Vec<&str> = f["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert!(
        warnings.contains(&"test-key-in-production-config"),
        "{warnings:?}"
    );
    let runbooks = strings(&f["runbooks"]);
    assert_eq!(
        runbooks,
        ["clerk-secret-key", "clerk-production-instance"],
        "{f}"
    );

    let (_, md, err) = run(dir.path(), &["scan", ".", "--format", "markdown"]);
    let prod = section(
        &md,
        "**Move production to a Clerk production instance.**",
        "\n### ",
    );
    assert!(!prod.is_empty(), "{err}");
    assert_says(
        "the production-instance steps",
        prod,
        &[
            "create production instance",
            "`pk_live_`",
            "`sk_live_`",
            "shared OAuth credentials",
            "your own client ID and secret",
            "Google Cloud Console",
            "Authorized redirect URIs",
            "DNS records",
            "Deploy certificates",
            "production instance's URL",
            "its own signing secret",
            "non-production environments",
            "`CLERK_SECRET_KEY` separately and marking it **Sensitive**",
            "Redeploy",
        ],
    );
    // The steps come in the order create → deploy → verify → revoke → audit.
    assert_in_order(
        "the production-instance steps",
        prod,
        &[
            "**Create.** **Create the production instance.**",
            "**Create.** **Production OAuth credentials.**",
            "**Create.** **DNS records.**",
            "**Create.** **Webhooks.**",
            "**Create.** **Production API keys.**",
            "**Deploy everywhere.** **Deploy certificates.**",
            "**Deploy everywhere.** **Separate the keys by environment.**",
            "**Deploy everywhere.** **Redeploy**",
            "**Verify.**",
            "**Revoke.**",
            "**Audit.**",
        ],
    );

    // A development file is not production configuration: no production runbook there.
    let dev = tempfile::tempdir().expect("tempdir");
    write(
        dev.path(),
        ".env.development",
        format!("CLERK_SECRET_KEY={}\n", clerk_sk_test()),
    );
    let (_, report) = run_json(dev.path(), &["scan", "."]);
    for f in findings(&report) {
        assert!(
            !strings(&f["runbooks"]).contains(&"clerk-production-instance".to_string()),
            "{f}"
        );
    }
}

/// Point 3: a secret in a `NEXT_PUBLIC_` variable is in the browser bundle. The finding warns,
/// and the runbooks of the keys commonly put there say to move it server-side, rebuild and
/// redeploy, citing the seed.
#[test]
fn secret_in_a_public_variable_moves_server_side() {
    const SERVER_SIDE: &str = "In a Next.js app, that secret only ever lives server-side.";
    const BURNED: &str = "Treat a key that was ever public as permanently burned.";
    const REDEPLOY: &str = "The fix is to trigger a deployment after every env-var change, then verify against the new deployment, not the old one.";
    assert_seed_says(ROTATION, SERVER_SIDE);
    assert_seed_says(ROTATION, BURNED);
    assert_seed_says(ROTATION, REDEPLOY);
    const CLERK_PRIVATE: &str = "Must be kept private.";
    assert_seed_says(CLERK_ROTATE, CLERK_PRIVATE);

    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".env",
        format!("NEXT_PUBLIC_STRIPE_SECRET_KEY={}\n", keys::stripe_live(31)),
    );
    let (_, report) = run_json(dir.path(), &["scan", "."]);
    let f = findings(&report)
        .iter()
        .find(|f| f["ruleId"] == "stripe-secret-key")
        .unwrap_or_else(|| panic!("no Stripe finding: {report}"));
    assert_eq!(f["exposure"], "client", "{f}");
    let w = f["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .find(|w| w["code"] == "secret-in-public-variable")
        .unwrap_or_else(|| panic!("no secret-in-public-variable warning: {f}"));
    let advice = w["message"].as_str().unwrap();
    assert_says(
        "the warning",
        advice,
        &["NEXT_PUBLIC_STRIPE_SECRET_KEY", "server-only", "rebuild"],
    );

    // The report's rotation plan carries the runbook's note.
    let (_, md, _) = run(dir.path(), &["scan", ".", "--format", "markdown"]);
    assert_says(
        "the report",
        &md,
        &[
            "- Note: A secret key in a `NEXT_PUBLIC_` (or `VITE_`, `REACT_APP_`) variable is in the browser bundle",
            "Move it to a server-only variable (`STRIPE_SECRET_KEY`, read only in server code), then rebuild and redeploy",
        ],
    );

    for rule in [
        "stripe-secret-key",
        "clerk-secret-key",
        "supabase-secret-key",
        "supabase-service-role-jwt",
        "resend-api-key",
    ] {
        let md = explain(rule);
        assert_says(
            rule,
            &md,
            &[
                "`NEXT_PUBLIC_`",
                "`VITE_`",
                "`REACT_APP_`",
                "is in the browser bundle",
                "server-only variable",
                "rebuild and redeploy",
                "a key that was ever public is burned",
                ROTATION_URL,
            ],
        );
    }
}

/// Point 4: rotating the legacy Supabase JWT secret severs every connection using the old
/// keys; asymmetric signing keys keep sessions valid.
#[test]
fn supabase_legacy_rotation_severs_connections_and_signing_keys_keep_sessions() {
    const SEVERED: &str = "Rotating one means rotating that secret, and when the secret is regenerated, \"all current API secrets will be immediately invalidated, and all connections using them will be severed\" [2].";
    const SIGNED_OUT: &str = "The signing-keys docs say it directly for the legacy path: \"Currently active users get immediately signed out\" [1].";
    const ONE_SECRET: &str = "Supabase documents that the original design used \"a single shared secret key to sign all JWTs,\" and that \"this includes the anon and service_role keys, all user access tokens\" [1].";
    const KEEP_SESSIONS: &str = "With that model, \"no users get signed out\" during rotation, because \"non-expired access tokens will remain to be accepted, so no users will be forcefully signed out\" [1].";
    const ASYMMETRIC: &str = "Pair that with the asymmetric JWT signing keys so sessions verify against a public key that key rotation never touches, which is the mechanism behind \"non-expired access tokens will remain to be accepted\" [1].";
    for s in [SEVERED, SIGNED_OUT, ONE_SECRET, KEEP_SESSIONS, ASYMMETRIC] {
        assert_seed_says(ROTATION, s);
    }

    for rule in ["supabase-service-role-jwt", "supabase-anon-jwt"] {
        let md = explain(rule);
        assert_says(
            rule,
            &md,
            &[
                "all current API secrets will be immediately invalidated, and all connections using them will be severed",
                "Currently active users get immediately signed out",
                "the anon and service_role keys, all user access tokens",
                "asymmetric JWT signing keys",
                "sessions verify against a public key that key rotation never touches",
                "non-expired access tokens will remain to be accepted, so no users will be forcefully signed out",
                "rotate without logging everyone out",
                ROTATION_URL,
            ],
        );
    }
}

/// Point 5: the general steps purge the logs and write down what happened, in the audit phase.
#[test]
fn general_runbook_purges_logs_and_writes_down_what_happened() {
    const AUDIT: &str = "Audit. Check logs for any use of the old key after cutover, confirm the leak path is closed (force-push the git history, purge the log), and write down what happened.";
    const NOTES: &str = "Keep it next to your incident notes, not in someone's head.";
    assert_seed_says(ROTATION, AUDIT);
    assert_seed_says(ROTATION, NOTES);

    let md = explain("stripe-secret-key");
    let general = section(&md, "**Whatever the provider.**", "\n\n#");
    let audits: Vec<&str> = general
        .lines()
        .filter(|l| l.starts_with("- **Audit.**"))
        .collect();
    let purge = audits
        .iter()
        .find(|l| l.contains("**Purge the logs**"))
        .unwrap_or_else(|| panic!("no audit step purges the logs:\n{general}"));
    assert_says(
        "the purge step",
        purge,
        &["application logs", "CI output", "error trackers"],
    );
    let record = audits
        .iter()
        .find(|l| l.contains("**Write down what happened**"))
        .unwrap_or_else(|| panic!("no audit step writes down what happened:\n{general}"));
    assert_says(
        "the incident record step",
        record,
        &[
            "incident record",
            "what leaked",
            "exposure window",
            "what was rotated",
            "incident notes",
        ],
    );
    // Both after the revoke step, in the audit phase.
    assert_in_order(
        "the general steps",
        general,
        &[
            "- **Revoke.**",
            "**Purge the logs**",
            "**Write down what happened**",
        ],
    );
}

/// Extra: Stripe names the action "rotate", and its Expiration dropdown takes a time or Now
/// (which deletes the old key). The runbooks said "Roll key".
#[test]
fn stripe_rotation_uses_the_expiration_dropdown() {
    const ROTATE: &str = "Stripe lets you rotate a key from the dashboard: \"Rotating an API key revokes it and generates a replacement key that's ready to use immediately. You can also schedule an API key to rotate after a certain time\" [4].";
    const EXPIRATION: &str = "When you rotate, Stripe shows an Expiration dropdown: \"If you choose Now, the old key is deleted. If you specify a time, the remaining time until the key expires displays below the key name\" [4].";
    assert_seed_says(ROTATION, ROTATE);
    assert_seed_says(ROTATION, EXPIRATION);

    for rule in ["stripe-secret-key", "stripe-restricted-key"] {
        let md = explain(rule);
        assert_says(
            rule,
            &md,
            &[
                "**Rotate key**",
                "**Expiration** dropdown",
                "not **Now**, which deletes",
            ],
        );
        assert_never_says(rule, &md, &["**Roll key**", "roll the restricted key"]);
    }
}

/// Extra: the legacy Supabase keys are deprecated by the end of 2026; the runbook said they
/// are "retired".
#[test]
fn supabase_legacy_keys_are_deprecated_not_retired() {
    const DEPRECATED: &str = "The legacy keys are deprecated by the end of 2026 [3], so this migration is not optional for much longer.";
    assert_seed_says(ROTATION, DEPRECATED);

    let md = explain("supabase-service-role-jwt");
    assert_says(
        "the legacy runbook",
        &md,
        &["deprecated by the end of 2026"],
    );
    assert_never_says("the legacy runbook", &md, &["retired by the end of 2026"]);
}
