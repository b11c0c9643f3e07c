//! The one place a request leaves the machine: an HTTPS client with timeouts that honours
//! `HTTPS_PROXY`, and sends each probe only to the provider host compiled into it.

use std::time::Duration;

/// A request to a provider's own API: host and path come from [`super::checks`], never from
/// configuration or scanned text (a Supabase project host is rebuilt from a validated ref).
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: Method,
    /// The provider's API host (`api.stripe.com`).
    pub host: String,
    /// Path and query (`/v1/account`).
    pub path: String,
    /// Headers, credentials included.
    pub headers: Vec<(&'static str, String)>,
    /// A form or JSON body for `POST`.
    pub body: Option<(&'static str, Vec<u8>)>,
}

/// The HTTP methods probes use: both read-only at the providers they are sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// A read.
    Get,
    /// A call that reads but takes a body (`auth.test`, STS `GetCallerIdentity`).
    Post,
}

/// What came back: status, headers (lowercase names) and at most 64 KiB of body.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// The body, cut at 64 KiB.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as text, lossily.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Why a request got no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// It took longer than the timeout.
    #[error("timed out")]
    Timeout,
    /// TLS could not be set up (a certificate, a handshake).
    #[error("TLS failure")]
    Tls,
    /// Anything else on the way: DNS, connection, proxy, a broken reply.
    #[error("network error: {0}")]
    Network(String),
}

const BODY_LIMIT: u64 = 64 * 1024;

/// Sends probes.
pub struct Client {
    agent: ureq::Agent,
    /// Test builds: where every request goes instead (`LEAKSCOPE_VERIFY_ENDPOINT`).
    endpoint: Option<String>,
}

impl Client {
    /// A client whose requests give up after `timeout`.
    pub fn new(timeout: Duration) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!(
                "leakscope/",
                env!("CARGO_PKG_VERSION"),
                " (--verify)"
            ))
            .build()
            .into();
        Client {
            agent,
            endpoint: mock_endpoint(),
        }
    }

    /// The URL a request goes to.
    pub fn url(&self, req: &Request) -> String {
        match &self.endpoint {
            Some(base) => format!("{}/{}{}", base.trim_end_matches('/'), req.host, req.path),
            None => format!("https://{}{}", req.host, req.path),
        }
    }

    /// Sends `req` once.
    pub fn send(&self, req: &Request) -> Result<Answer, Failure> {
        let url = self.url(req);
        let result = match req.method {
            Method::Get => {
                let mut r = self.agent.get(&url);
                for (k, v) in &req.headers {
                    r = r.header(*k, v.as_str());
                }
                r.call()
            }
            Method::Post => {
                let mut r = self.agent.post(&url);
                for (k, v) in &req.headers {
                    r = r.header(*k, v.as_str());
                }
                match &req.body {
                    Some((ct, body)) => r.header("content-type", *ct).send(&body[..]),
                    None => r.send_empty(),
                }
            }
        };
        let mut resp = result.map_err(failure)?;
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let status = resp.status().as_u16();
        let body = match resp
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(_)) => Vec::new(),
            Err(e) => return Err(failure(e)),
        };
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

fn failure(e: ureq::Error) -> Failure {
    match e {
        ureq::Error::Timeout(_) => Failure::Timeout,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::TlsRequired => Failure::Tls,
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Failure::Timeout,
        ureq::Error::Io(io) if io.to_string().to_ascii_lowercase().contains("tls") => Failure::Tls,
        other => Failure::Network(other.to_string()),
    }
}

#[cfg(feature = "mock-endpoints")]
fn mock_endpoint() -> Option<String> {
    std::env::var("LEAKSCOPE_VERIFY_ENDPOINT").ok()
}

#[cfg(not(feature = "mock-endpoints"))]
fn mock_endpoint() -> Option<String> {
    None
}
