//! `--verify`: asks each provider, read-only, whether a found key still works. Off by
//! default: without the flag nothing leaves the machine.
//!
//! Each distinct secret is asked about once (a key found in 500 files is one request), by a
//! few workers at a time, each provider's requests spaced out; a network failure, a timeout or
//! a rate limit is an `unknown` answer, never an error of the scan.

mod aws;
mod checks;
pub mod http;

use crate::finding::{Finding, Verification};
use crate::vocab::{Class, Liveness};
use checks::{Judgement, Probe};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// How to verify.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long one request may take.
    pub timeout: Duration,
    /// How many requests may be in flight.
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeout: Duration::from_secs(10),
            concurrency: 8,
        }
    }
}

/// Sets `verification` on every secret-class finding.
pub fn verify(findings: &mut [Finding], opts: &Options) {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let amz_date = amz_date(now);
    // One job per distinct (rule, secret, identifier beside it).
    let mut jobs: Vec<(&'static str, http::Request, checks::Judge)> = Vec::new();
    let mut index: HashMap<(String, String, Option<String>), usize> = HashMap::new();
    let mut plan: Vec<(usize, Result<usize, &'static str>)> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        if f.class != Class::Secret {
            continue;
        }
        match checks::probe(f, findings, &amz_date) {
            Probe::NotVerifiable(why) => plan.push((i, Err(why))),
            Probe::Send {
                provider,
                request,
                judge,
            } => {
                let key = (
                    f.rule_id.clone(),
                    f.secret_sha256.clone(),
                    request_digest(&request),
                );
                let job = *index.entry(key).or_insert_with(|| {
                    jobs.push((provider, request, judge));
                    jobs.len() - 1
                });
                plan.push((i, Ok(job)));
            }
        }
    }
    let answers = run(&jobs, opts);
    let checked_at = rfc3339(now);
    for (i, p) in plan {
        findings[i].verification = Some(match p {
            Err(why) => Verification {
                liveness: Liveness::NotVerifiable,
                detail: Some(why.to_string()),
                checked_at: None,
            },
            Ok(job) => {
                let (liveness, detail) = match &answers[job] {
                    Judgement::Live(d) => (Liveness::Live, d.clone()),
                    Judgement::Revoked(d) => (Liveness::Revoked, d.clone()),
                    Judgement::Unknown(d) => (Liveness::Unknown, Some(d.clone())),
                };
                Verification {
                    liveness,
                    detail,
                    checked_at: Some(checked_at.clone()),
                }
            }
        });
    }
}

/// A digest of what a request sends beyond the secret (the identifier paired with it), so two
/// findings of one secret with different partners are asked about apart.
fn request_digest(r: &http::Request) -> Option<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(r.host.as_bytes());
    h.update(r.path.as_bytes());
    if let Some((_, body)) = &r.body {
        // AWS bodies are fixed; the partner is in the signature, which changes each second.
        h.update(body);
    }
    for (k, v) in &r.headers {
        if *k != "x-amz-date" && *k != "authorization" {
            h.update(k.as_bytes());
            h.update(v.as_bytes());
        }
    }
    if let Some((_, v)) = r.headers.iter().find(|(k, _)| *k == "authorization") {
        // `Credential=<key id>/…` names the AWS partner; other schemes carry the secret.
        if let Some(cred) = v.split("Credential=").nth(1) {
            h.update(cred.split('/').next().unwrap_or("").as_bytes());
        } else {
            h.update(v.as_bytes());
        }
    }
    Some(crate::finding::hex(&h.finalize()[..8]))
}

/// Runs the jobs, at most `concurrency` at once and each provider's spaced by its interval.
fn run(jobs: &[(&'static str, http::Request, checks::Judge)], opts: &Options) -> Vec<Judgement> {
    let client = http::Client::new(opts.timeout);
    let next = AtomicUsize::new(0);
    let slots: Mutex<HashMap<&'static str, Instant>> = Mutex::new(HashMap::new());
    let results: Mutex<Vec<Option<Judgement>>> = Mutex::new(vec![None; jobs.len()]);
    let workers = opts.concurrency.clamp(1, 32).min(jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some((provider, request, judge)) = jobs.get(j) else {
                        break;
                    };
                    wait_turn(&slots, provider);
                    let judgement = match client.send(request) {
                        Ok(answer) => judge(&answer),
                        Err(e) => Judgement::Unknown(e.to_string()),
                    };
                    if let Ok(mut r) = results.lock() {
                        r[j] = Some(judgement);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Judgement::Unknown("not asked".into())))
        .collect()
}

/// Blocks until `provider` may be asked again, and books the next slot.
fn wait_turn(slots: &Mutex<HashMap<&'static str, Instant>>, provider: &'static str) {
    let at = {
        let Ok(mut s) = slots.lock() else { return };
        let now = Instant::now();
        let at = s.get(provider).copied().unwrap_or(now).max(now);
        s.insert(provider, at + checks::interval(provider));
        at
    };
    let now = Instant::now();
    if at > now {
        std::thread::sleep(at - now);
    }
}

/// `2026-12-07T08:00:00Z`.
fn rfc3339(secs: i64) -> String {
    let day = secs.div_euclid(86_400);
    let t = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        crate::report::words::iso_date(day * 86_400),
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

/// `20261207T080000Z`, as AWS signatures want it.
fn amz_date(secs: i64) -> String {
    rfc3339(secs).replace(['-', ':'], "")
}

#[cfg(test)]
mod tests {
    #[test]
    fn times() {
        assert_eq!(super::rfc3339(1_796_630_400), "2026-12-07T08:00:00Z");
        assert_eq!(super::amz_date(1_796_630_400), "20261207T080000Z");
    }
}
