//! Where each provider's keys are checked and what its answers mean. Every probe is a
//! read-only call to the provider's own API host, chosen by the finding's rule; a key with no
//! such call is not verifiable. Facts from the providers' API references and from how
//! TruffleHog and kingfisher check the same keys.

use super::aws;
use super::http::{Answer, Method, Request};
use crate::finding::Finding;

/// What a provider's answer means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// The key works; what the provider said it is.
    Live(Option<String>),
    /// The key is rejected for certain.
    Revoked(Option<String>),
    /// No certain answer, and why.
    Unknown(String),
}

/// Reads a provider's answer.
pub type Judge = fn(&Answer) -> Judgement;

/// How to check one finding's key.
pub enum Probe {
    /// Send this request to this provider (rate-limited per provider) and judge the answer.
    Send {
        /// Provider id, for rate limiting.
        provider: &'static str,
        /// The request.
        request: Request,
        /// What the answer means.
        judge: Judge,
    },
    /// No read-only check exists for this key; why.
    NotVerifiable(&'static str),
}

/// The probe for `f`, with the other findings of the scan (a Google client secret is checked
/// with the client id beside it). `amz_date` is the time AWS requests are signed with.
pub fn probe(f: &Finding, all: &[Finding], amz_date: &str) -> Probe {
    let key = f.secret.expose();
    let bearer = |provider, host: &str, path: &str, judge| Probe::Send {
        provider,
        request: get(host, path, vec![("authorization", format!("Bearer {key}"))]),
        judge,
    };
    match f.rule_id.as_str() {
        "stripe-secret-key" | "stripe-restricted-key" => {
            bearer("stripe", "api.stripe.com", "/v1/account", live_or_scoped)
        }
        "clerk-secret-key" => bearer("clerk", "api.clerk.com", "/v1/users?limit=1", plain),
        "supabase-access-token" => bearer("supabase", "api.supabase.com", "/v1/projects", plain),
        "supabase-secret-key" | "supabase-service-role-jwt" => {
            let Some(reference) = f.project.as_deref().filter(|r| project_ref(r)) else {
                return Probe::NotVerifiable("its Supabase project is not named beside it");
            };
            let mut headers = vec![("apikey", key.to_string())];
            if f.rule_id == "supabase-service-role-jwt" {
                headers.push(("authorization", format!("Bearer {key}")));
            }
            Probe::Send {
                provider: "supabase",
                request: get(&format!("{reference}.supabase.co"), "/rest/v1/", headers),
                judge: plain,
            }
        }
        "resend-api-key" => bearer("resend", "api.resend.com", "/domains", resend),
        "google-oauth-client-secret" => match client_id_beside(f, all) {
            Some(id) => Probe::Send {
                provider: "google",
                request: Request {
                    method: Method::Post,
                    host: "oauth2.googleapis.com".into(),
                    path: "/token".into(),
                    headers: Vec::new(),
                    body: Some((
                        "application/x-www-form-urlencoded",
                        format!(
                            "grant_type=authorization_code&code=leakscope-invalid-code&redirect_uri=https%3A%2F%2Flocalhost%2Fcallback&client_id={}&client_secret={}",
                            form(&id),
                            form(key)
                        )
                        .into_bytes(),
                    )),
                },
                judge: google_client,
            },
            None => Probe::NotVerifiable("no OAuth client id beside the secret"),
        },
        "github-pat-classic" | "github-pat-fine-grained" | "github-oauth-token"
        | "github-app-user-token" => Probe::Send {
            provider: "github",
            request: get("api.github.com", "/user", github_headers(key)),
            judge: github,
        },
        "github-app-installation-token" => Probe::Send {
            provider: "github",
            request: get(
                "api.github.com",
                "/installation/repositories?per_page=1",
                github_headers(key),
            ),
            judge: github,
        },
        "gitlab-pat" | "gitlab-pat-routable" => Probe::Send {
            provider: "gitlab",
            request: get(
                "gitlab.com",
                "/api/v4/personal_access_tokens/self",
                vec![("private-token", key.to_string())],
            ),
            judge: live_or_scoped,
        },
        "slack-bot-token" | "slack-user-token" | "slack-legacy-token" => Probe::Send {
            provider: "slack",
            request: Request {
                method: Method::Post,
                host: "slack.com".into(),
                path: "/api/auth.test".into(),
                headers: vec![("authorization", format!("Bearer {key}"))],
                body: None,
            },
            judge: slack,
        },
        "slack-webhook-url" => {
            Probe::NotVerifiable("the only check posts to the webhook's channel")
        }
        "openai-admin-key" => bearer(
            "openai",
            "api.openai.com",
            "/v1/organization/admin_api_keys?limit=1",
            plain,
        ),
        "openai-project-key"
        | "openai-service-account-key"
        | "openai-unscoped-key"
        | "openai-user-key-legacy" => bearer("openai", "api.openai.com", "/v1/me", plain),
        "anthropic-api-key" | "anthropic-admin-api-key" => Probe::Send {
            provider: "anthropic",
            request: get(
                "api.anthropic.com",
                if f.rule_id == "anthropic-api-key" {
                    "/v1/models?limit=1"
                } else {
                    "/v1/organizations/api_keys?limit=1"
                },
                vec![
                    ("x-api-key", key.to_string()),
                    ("anthropic-version", "2023-06-01".to_string()),
                ],
            ),
            judge: anthropic,
        },
        "aws-secret-access-key" => {
            let Some(id) = f.paired_key.as_ref().map(|s| s.expose()) else {
                return Probe::NotVerifiable("no access key id beside the secret");
            };
            if id.starts_with("ASIA") {
                return Probe::NotVerifiable("temporary keys need their session token");
            }
            if aws::is_canary(id) {
                return Probe::NotVerifiable(
                    "a canary (honeytoken) key: asking AWS about it would alert its owner",
                );
            }
            Probe::Send {
                provider: "aws",
                request: aws::caller_identity(id, key, amz_date),
                judge: aws_identity,
            }
        }
        "sendgrid-api-key" => bearer("sendgrid", "api.sendgrid.com", "/v3/scopes", live_or_scoped),
        "twilio-auth-token" | "twilio-api-key-secret" => {
            let Some(id) = f.paired_key.as_ref().map(|s| s.expose()) else {
                return Probe::NotVerifiable("no account or API key SID beside the secret");
            };
            let basic = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{id}:{key}"),
            );
            Probe::Send {
                provider: "twilio",
                request: get(
                    "api.twilio.com",
                    "/2010-04-01/Accounts.json?PageSize=1",
                    vec![("authorization", format!("Basic {basic}"))],
                ),
                judge: rejected_by_401_or_403,
            }
        }
        "hugging-face-token" | "hugging-face-org-token" => {
            bearer("hugging-face", "huggingface.co", "/api/whoami-v2", plain)
        }
        "npm-access-token" => bearer("npm", "registry.npmjs.org", "/-/whoami", rejected_by_401_or_403),
        _ => Probe::NotVerifiable("leakscope has no read-only check for this kind of key"),
    }
}

/// How long to wait between two requests to one provider (Resend allows two a second per
/// team; the others are spaced out of courtesy).
pub fn interval(provider: &str) -> std::time::Duration {
    std::time::Duration::from_millis(match provider {
        "resend" => 600,
        _ => 100,
    })
}

fn get(host: &str, path: &str, headers: Vec<(&'static str, String)>) -> Request {
    Request {
        method: Method::Get,
        host: host.into(),
        path: path.into(),
        headers,
        body: None,
    }
}

fn github_headers(key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("authorization", format!("token {key}")),
        ("accept", "application/vnd.github+json".into()),
    ]
}

/// A Supabase project ref: twenty lowercase letters and digits. Only then is a host built
/// from it, so text planted beside a key cannot send the key elsewhere.
fn project_ref(r: &str) -> bool {
    r.len() == 20
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The Google OAuth client id nearest to the secret in the same file.
fn client_id_beside(f: &Finding, all: &[Finding]) -> Option<String> {
    all.iter()
        .filter(|o| o.rule_id == "google-oauth-client-id" && o.path == f.path)
        .filter(|o| match (&o.provenance, &f.provenance) {
            (Some(a), Some(b)) => a.commit == b.commit,
            _ => true,
        })
        .min_by_key(|o| o.location.line.abs_diff(f.location.line))
        .map(|o| o.secret.expose().to_string())
}

/// Percent-encodes a form value.
fn form(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What every judge says about statuses it does not single out.
fn otherwise(a: &Answer) -> Judgement {
    match a.status {
        429 => Judgement::Unknown("rate limited".into()),
        500..=599 => Judgement::Unknown(format!("the provider failed (HTTP {})", a.status)),
        s => Judgement::Unknown(format!("unexpected answer (HTTP {s})")),
    }
}

/// 2xx live, 401 revoked.
fn plain(a: &Answer) -> Judgement {
    match a.status {
        200..=299 => Judgement::Live(None),
        401 => Judgement::Revoked(None),
        _ => otherwise(a),
    }
}

/// 2xx live; 403 live too (a valid key without the scope for this call); 401 revoked.
fn live_or_scoped(a: &Answer) -> Judgement {
    match a.status {
        200..=299 => Judgement::Live(None),
        403 => Judgement::Live(Some("valid, without the scope for the check".into())),
        401 => Judgement::Revoked(None),
        _ => otherwise(a),
    }
}

/// 2xx live; 401 and 403 revoked.
fn rejected_by_401_or_403(a: &Answer) -> Judgement {
    match a.status {
        200..=299 => Judgement::Live(None),
        401 | 403 => Judgement::Revoked(None),
        _ => otherwise(a),
    }
}

fn github(a: &Answer) -> Judgement {
    match a.status {
        200..=299 => Judgement::Live(
            a.json()
                .and_then(|v| v["login"].as_str().map(|l| format!("user {l}"))),
        ),
        401 => Judgement::Revoked(None),
        403 => Judgement::Unknown("forbidden or rate limited".into()),
        _ => otherwise(a),
    }
}

fn anthropic(a: &Answer) -> Judgement {
    match a.status {
        200..=299 => Judgement::Live(None),
        401 | 404 => Judgement::Revoked(None),
        _ => otherwise(a),
    }
}

/// Slack answers 200 whatever the token: `ok` and `error` tell.
fn slack(a: &Answer) -> Judgement {
    if a.status != 200 {
        return otherwise(a);
    }
    let Some(v) = a.json() else {
        return Judgement::Unknown("unexpected answer (not JSON)".into());
    };
    if v["ok"] == true {
        return Judgement::Live(v["team"].as_str().map(|t| format!("workspace {t}")));
    }
    match v["error"].as_str() {
        Some(e @ ("invalid_auth" | "account_inactive" | "token_revoked" | "token_expired")) => {
            Judgement::Revoked(Some(e.to_string()))
        }
        Some("ratelimited") => Judgement::Unknown("rate limited".into()),
        Some(e) => Judgement::Unknown(format!("Slack said {e}")),
        None => Judgement::Unknown("unexpected answer".into()),
    }
}

/// Resend: a sending-only key is refused the listing with `restricted_api_key`, and is live.
fn resend(a: &Answer) -> Judgement {
    let name = a
        .json()
        .and_then(|v| v["name"].as_str().map(str::to_string))
        .unwrap_or_default();
    match (a.status, name.as_str()) {
        (200..=299, _) => Judgement::Live(Some("full access".into())),
        (401, "restricted_api_key") => Judgement::Live(Some("sending access only".into())),
        (400 | 403, "invalid_api_key" | "validation_error") => Judgement::Revoked(None),
        _ => otherwise(a),
    }
}

/// Google authenticates the client before it looks at the (invalid) code.
fn google_client(a: &Answer) -> Judgement {
    let error = a
        .json()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_default();
    match error.as_str() {
        "invalid_grant" => Judgement::Live(None),
        "invalid_client" | "unauthorized_client" => {
            Judgement::Revoked(Some("rejected with its client id".into()))
        }
        _ => otherwise(a),
    }
}

fn aws_identity(a: &Answer) -> Judgement {
    let body = a.text();
    match a.status {
        200 => Judgement::Live(aws::xml_field(&body, "Arn")),
        _ if body.contains("Throttl") => Judgement::Unknown("rate limited".into()),
        400 | 403 if body.contains("InvalidClientTokenId") => Judgement::Revoked(None),
        400 | 403 if body.contains("SignatureDoesNotMatch") => {
            Judgement::Revoked(Some("the secret does not belong to its key id".into()))
        }
        _ => otherwise(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn judges_read_the_providers_answers() {
        assert_eq!(
            slack(&answer(200, r#"{"ok":false,"error":"invalid_auth"}"#)),
            Judgement::Revoked(Some("invalid_auth".into()))
        );
        assert_eq!(
            slack(&answer(200, r#"{"ok":true,"team":"Acme"}"#)),
            Judgement::Live(Some("workspace Acme".into()))
        );
        assert_eq!(
            slack(&answer(200, "<html>")),
            Judgement::Unknown("unexpected answer (not JSON)".into())
        );
        assert_eq!(
            resend(&answer(401, r#"{"name":"restricted_api_key"}"#)),
            Judgement::Live(Some("sending access only".into()))
        );
        assert_eq!(
            resend(&answer(400, r#"{"name":"validation_error"}"#)),
            Judgement::Revoked(None)
        );
        assert_eq!(
            google_client(&answer(400, r#"{"error":"invalid_grant"}"#)),
            Judgement::Live(None)
        );
        assert_eq!(
            google_client(&answer(401, r#"{"error":"invalid_client"}"#)),
            Judgement::Revoked(Some("rejected with its client id".into()))
        );
        assert_eq!(
            live_or_scoped(&answer(403, "")),
            Judgement::Live(Some("valid, without the scope for the check".into()))
        );
        assert_eq!(
            plain(&answer(429, "")),
            Judgement::Unknown("rate limited".into())
        );
        assert_eq!(
            aws_identity(&answer(200, "<Arn>arn:aws:iam::123456789012:user/ci</Arn>")),
            Judgement::Live(Some("arn:aws:iam::123456789012:user/ci".into()))
        );
        assert_eq!(
            aws_identity(&answer(403, "<Code>InvalidClientTokenId</Code>")),
            Judgement::Revoked(None)
        );
    }

    #[test]
    fn only_project_refs_become_hosts() {
        assert!(project_ref("abcdefghij0123456789"));
        assert!(!project_ref("evil.example.com/xyz"));
        assert!(!project_ref("ABCDEFGHIJ0123456789"));
    }
}
