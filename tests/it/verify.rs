//! `--verify` against a mock of every provider on 127.0.0.1 (the binary is built with the
//! `mock-endpoints` feature, which sends each request to `LEAKSCOPE_VERIFY_ENDPOINT/<host><path>`
//! instead of `https://<host><path>`). Nothing here reaches a real provider.

use crate::common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the mock received.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    /// `<provider host><path>`.
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// What the mock answers: status, body, and a delay before answering.
type Reply = (u16, String, u64);
type Routes = dyn Fn(&Seen) -> Reply + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1 that records every request and answers by `routes`.
struct Mock {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Mock {
    fn start(routes: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let routes: Arc<Routes> = Arc::new(routes);
        let (s, st) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (s, routes) = (s.clone(), routes.clone());
                        std::thread::spawn(move || serve(stream, &s, &*routes));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Mock {
            url,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, routes: &Routes) {
    stream.set_nonblocking(false).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts
        .next()
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
            if k == "content-length" {
                length = v.parse().unwrap_or(0);
            }
            headers.push((k, v));
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let req = Seen {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let (status, text, delay) = routes(&req);
    seen.lock().unwrap().push(req);
    std::thread::sleep(Duration::from_millis(delay));
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
}

/// The endpoints `--verify` must call, one per provider the fixtures hold, and the answer a
/// live key gets from each.
fn live(req: &Seen) -> Reply {
    let ok = |body: &str| (200, body.to_string(), 0);
    match req.target.as_str() {
        "api.stripe.com/v1/account" => ok(r#"{"object":"account"}"#),
        "api.clerk.com/v1/users?limit=1" => ok("[]"),
        "abcdefghijklmnopqrst.supabase.co/rest/v1/" => ok(r#"{"host":"x"}"#),
        "api.supabase.com/v1/projects" => ok("[]"),
        "api.resend.com/domains" => ok(r#"{"data":[]}"#),
        "oauth2.googleapis.com/token" => (400, r#"{"error":"invalid_grant"}"#.into(), 0),
        "api.github.com/user" => ok(r#"{"login":"octo","id":1}"#),
        "gitlab.com/api/v4/personal_access_tokens/self" => ok(r#"{"id":1}"#),
        "slack.com/api/auth.test" => ok(r#"{"ok":true,"team":"Acme"}"#),
        "api.openai.com/v1/me" => ok(r#"{"id":"user-1"}"#),
        "api.anthropic.com/v1/models?limit=1" => ok(r#"{"data":[]}"#),
        "sts.amazonaws.com/" => ok(
            "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/deploy</Arn></GetCallerIdentityResult>",
        ),
        "api.sendgrid.com/v3/scopes" => ok(r#"{"scopes":[]}"#),
        "api.twilio.com/2010-04-01/Accounts.json?PageSize=1" => ok(r#"{"accounts":[]}"#),
        "huggingface.co/api/whoami-v2" => ok(r#"{"name":"ann"}"#),
        "registry.npmjs.org/-/whoami" => ok(r#"{"username":"ann"}"#),
        _ => (404, "{}".into(), 0),
    }
}

/// What each provider answers for a key it no longer accepts.
fn revoked(req: &Seen) -> Reply {
    match req.target.as_str() {
        "slack.com/api/auth.test" => (200, r#"{"ok":false,"error":"token_revoked"}"#.into(), 0),
        "api.resend.com/domains" => (400, r#"{"name":"validation_error"}"#.into(), 0),
        "oauth2.googleapis.com/token" => (401, r#"{"error":"invalid_client"}"#.into(), 0),
        "sts.amazonaws.com/" => (403, "<Code>InvalidClientTokenId</Code>".into(), 0),
        "registry.npmjs.org/-/whoami" | "api.twilio.com/2010-04-01/Accounts.json?PageSize=1" => {
            (403, "{}".into(), 0)
        }
        _ => (401, "{}".into(), 0),
    }
}

/// The verified rules of the fixture, each checked once.
const VERIFIED: &[&str] = &[
    "anthropic-api-key",
    "aws-secret-access-key",
    "clerk-secret-key",
    "github-pat-classic",
    "gitlab-pat",
    "google-oauth-client-secret",
    "hugging-face-token",
    "npm-access-token",
    "openai-project-key",
    "resend-api-key",
    "sendgrid-api-key",
    "slack-bot-token",
    "stripe-secret-key",
    "supabase-access-token",
    "supabase-secret-key",
    "supabase-service-role-jwt",
    "twilio-auth-token",
];

fn scan(dir: &std::path::Path, endpoint: &str, args: &[&str]) -> (i32, Value, String) {
    let out = leakscope()
        .current_dir(dir)
        .args(["scan", ".", "--format", "json"])
        .args(args)
        .env("LEAKSCOPE_VERIFY_ENDPOINT", endpoint)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .output()
        .expect("run leakscope");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (out.status.code().unwrap_or(-1), v, stderr)
}

/// (rule, status, detail) of every secret-class finding.
fn verdicts(report: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = findings(report)
        .iter()
        .filter(|f| f["class"] == "secret")
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_string(),
                f["verification"]["status"]
                    .as_str()
                    .unwrap_or("-")
                    .to_string(),
                f["verification"]["detail"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Every verified provider, live: the right host and path, the key where the provider
/// expects it, one request per distinct secret (the Stripe key is in two files), and none
/// at all without `--verify`.
#[test]
fn live_keys_of_every_provider_one_request_each() {
    let dir = fixture("verify");
    let mock = Mock::start(live);
    let (code, report, _) = scan(dir.path(), &mock.url, &[]);
    assert_eq!(code, 1);
    assert!(mock.seen().is_empty(), "no request without --verify");
    assert!(
        findings(&report)
            .iter()
            .all(|f| f.get("verification").is_none())
    );

    let (code, report, stderr) = scan(dir.path(), &mock.url, &["--verify"]);
    assert_eq!(code, 1, "{stderr}");
    let got = verdicts(&report);
    for rule in VERIFIED {
        let mine: Vec<_> = got.iter().filter(|g| g.0 == *rule).collect();
        assert!(!mine.is_empty(), "{rule} missing: {got:#?}");
        assert!(mine.iter().all(|g| g.1 == "live"), "{rule}: {mine:?}");
    }
    let linear = got.iter().find(|g| g.0 == "linear-api-key").unwrap();
    assert_eq!(linear.1, "not-verifiable");
    let detail = |rule: &str| got.iter().find(|g| g.0 == rule).unwrap().2.clone();
    assert_eq!(
        detail("aws-secret-access-key"),
        "arn:aws:iam::123456789012:user/deploy"
    );
    assert_eq!(detail("slack-bot-token"), "workspace Acme");
    assert_eq!(detail("github-pat-classic"), "user octo");
    let checked = findings(&report)
        .iter()
        .find(|f| f["ruleId"] == "stripe-secret-key")
        .unwrap()["verification"]["checkedAt"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(checked.ends_with('Z') && checked.len() == 20, "{checked}");

    let seen = mock.seen();
    let mut targets: Vec<&str> = seen.iter().map(|s| s.target.as_str()).collect();
    targets.sort();
    assert_eq!(
        targets.len(),
        VERIFIED.len(),
        "one request per secret: {targets:#?}"
    );
    targets.dedup();
    assert_eq!(
        targets.len(),
        VERIFIED.len() - 1,
        "two Supabase project checks share a path"
    );
    // Each key travels only to its provider, in the header the provider reads.
    let header = |target: &str, name: &str| -> Vec<String> {
        seen.iter()
            .filter(|s| s.target == target)
            .filter_map(|s| s.headers.iter().find(|h| h.0 == name).map(|h| h.1.clone()))
            .collect()
    };
    let key_of = |file: &str, prefix: &str| -> String {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let at = text.find(prefix).unwrap();
        text[at..]
            .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .next()
            .unwrap()
            .to_string()
    };
    let stripe = key_of("stripe.env", "sk_live_");
    assert_eq!(
        header("api.stripe.com/v1/account", "authorization"),
        [format!("Bearer {stripe}")]
    );
    let github = key_of("github-pat-classic.env", "ghp_");
    assert_eq!(
        header("api.github.com/user", "authorization"),
        [format!("token {github}")]
    );
    let gitlab = key_of("gitlab-pat.env", "glpat-");
    assert_eq!(
        header(
            "gitlab.com/api/v4/personal_access_tokens/self",
            "private-token"
        ),
        [gitlab]
    );
    let anthropic = key_of("anthropic-api-key.py", "sk-ant-");
    assert_eq!(
        header("api.anthropic.com/v1/models?limit=1", "x-api-key"),
        [anthropic]
    );
    let aws = header("sts.amazonaws.com/", "authorization");
    assert!(
        aws[0].starts_with("AWS4-HMAC-SHA256 Credential=AKIA"),
        "{aws:?}"
    );
    let sts = seen
        .iter()
        .find(|s| s.target == "sts.amazonaws.com/")
        .unwrap();
    assert_eq!(
        (sts.method.as_str(), sts.body.as_str()),
        ("POST", "Action=GetCallerIdentity&Version=2011-06-15")
    );
    let google = seen
        .iter()
        .find(|s| s.target == "oauth2.googleapis.com/token")
        .unwrap();
    assert!(google.body.contains("client_id=") && google.body.contains("client_secret=GOCSPX-"));
    let secret_key = key_of("supabase.env", "sb_secret_");
    assert!(header("abcdefghijklmnopqrst.supabase.co/rest/v1/", "apikey").contains(&secret_key));
    for s in &seen {
        assert!(
            !s.target.starts_with("api.stripe.com")
                || s.headers.iter().all(|h| !h.1.contains("sk-ant-")),
            "a key sent to another provider"
        );
    }
}

/// Keys the providers reject are `revoked`; the exit code is that of the findings.
#[test]
fn revoked_keys_of_every_provider() {
    let dir = fixture("verify");
    let mock = Mock::start(revoked);
    let (code, report, stderr) = scan(dir.path(), &mock.url, &["--verify"]);
    assert_eq!(code, 1, "{stderr}");
    for (rule, status, _) in verdicts(&report) {
        let want = if VERIFIED.contains(&rule.as_str()) {
            "revoked"
        } else {
            "not-verifiable"
        };
        assert_eq!(status, want, "{rule}");
    }
    // --only-live: nothing left to report, nothing to fail on.
    let (code, report, _) = scan(dir.path(), &mock.url, &["--only-live"]);
    assert_eq!((code, findings(&report).len()), (0, 0));
}

/// Rate limits, slow answers, malformed answers and a failed TLS handshake are `unknown`,
/// with the reason, never an error of the scan; `--only-live` keeps exactly the live keys.
#[test]
fn unknown_answers_and_only_live() {
    let dir = fixture("verify");
    let mock = Mock::start(|req| match req.target.as_str() {
        "api.github.com/user" => (429, "{}".into(), 0),
        "slack.com/api/auth.test" => (200, "<html>maintenance</html>".into(), 0),
        "api.openai.com/v1/me" => (200, "{}".into(), 3000),
        "api.stripe.com/v1/account" => (503, "{}".into(), 0),
        _ => live(req),
    });
    let (code, report, stderr) = scan(
        dir.path(),
        &mock.url,
        &["--verify", "--verify-timeout", "1"],
    );
    assert_eq!(code, 1, "{stderr}");
    let got = verdicts(&report);
    let of = |rule: &str| got.iter().find(|g| g.0 == rule).unwrap().clone();
    assert_eq!(of("github-pat-classic").1, "unknown");
    assert_eq!(of("github-pat-classic").2, "rate limited");
    assert_eq!(of("slack-bot-token").2, "unexpected answer (not JSON)");
    assert_eq!(of("openai-project-key").2, "timed out");
    assert_eq!(of("stripe-secret-key").2, "the provider failed (HTTP 503)");
    assert_eq!(of("npm-access-token").1, "live");

    let (code, report, _) = scan(
        dir.path(),
        &mock.url,
        &["--only-live", "--verify-timeout", "1"],
    );
    assert_eq!(code, 1);
    let rules: Vec<&str> = findings(&report)
        .iter()
        .map(|f| f["ruleId"].as_str().unwrap())
        .collect();
    assert!(!rules.is_empty());
    assert!(!rules.contains(&"github-pat-classic") && !rules.contains(&"linear-api-key"));
    assert!(
        findings(&report)
            .iter()
            .all(|f| f["verification"]["status"] == "live")
    );

    // A server that does not speak TLS where TLS is expected.
    let tls = mock.url.replace("http://", "https://");
    let (code, report, _) = scan(dir.path(), &tls, &["--verify"]);
    assert_eq!(code, 1);
    for (rule, status, detail) in verdicts(&report) {
        if VERIFIED.contains(&rule.as_str()) {
            assert_eq!(status, "unknown", "{rule}");
            assert!(
                detail == "TLS failure" || detail.starts_with("network error"),
                "{rule}: {detail}"
            );
        }
    }
}

/// The verification rides on every format: text says it, SARIF carries it in properties, the
/// Markdown plan puts live keys first and shows the check under "prove the old key is dead".
#[test]
fn verification_in_every_format() {
    let dir = fixture("verify");
    let mock = Mock::start(|req| match req.target.as_str() {
        "api.github.com/user" => live(req),
        _ => revoked(req),
    });
    let run_fmt = |format: &str| {
        let out = leakscope()
            .current_dir(dir.path())
            .args(["scan", ".", "--verify", "--format", format])
            .env("LEAKSCOPE_VERIFY_ENDPOINT", &mock.url)
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = run_fmt("text");
    assert!(
        text.contains("verified LIVE: the provider accepts this key: user octo (checked "),
        "{text}"
    );
    assert!(
        text.contains("verified revoked: the provider rejects this key"),
        "{text}"
    );
    let sarif: Value = serde_json::from_str(&run_fmt("sarif")).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let gh = results
        .iter()
        .find(|r| r["ruleId"] == "github-pat-classic")
        .unwrap();
    assert_eq!(gh["properties"]["verification"]["status"], "live");
    let md = run_fmt("markdown");
    let first_step = md.split("### 1. ").nth(1).unwrap();
    assert!(
        first_step.starts_with("GitHub"),
        "live key first: {first_step}"
    );
    assert!(md.contains("**Prove the old key is dead.**"), "{md}");
    assert!(md.contains("- [ ] `ghp_"), "{md}");
    assert!(md.contains("- [x] `sk_live_"), "{md}");
    assert!(
        md.contains("**Verified with the providers**: 1 live, 16 revoked"),
        "{md}"
    );
}
