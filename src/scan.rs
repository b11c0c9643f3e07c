//! The one path from bytes to findings that every source takes: the matcher finds the keys,
//! [`analyze`] records what the content says about each (wherever it sits), and
//! [`crate::classify`] decides each finding where the content sits. Files on disk and stdin do
//! both at once ([`findings`]); git sources analyse a blob once and classify it per path.

use crate::classify::{self, Analysis, Origin};
use crate::finding::Finding;
use crate::matcher::Matcher;
use crate::vocab::Exposure;

/// Whether content is binary: a NUL byte in its first 8 KiB (UTF-16 text is not binary).
pub fn is_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    memchr::memchr(0, head).is_some() && crate::matcher::decode::detect_utf16(bytes).is_none()
}

/// Matches `bytes` and analyses the hits; `None` when there are none.
pub fn analyze(matcher: &Matcher, bytes: &[u8]) -> Option<Analysis> {
    let scanned = matcher.scan(bytes);
    if scanned.hits.is_empty() {
        return None;
    }
    Some(Analysis::new(
        matcher.rules(),
        &scanned.text,
        scanned.hits,
        is_binary(bytes),
    ))
}

/// Matches, analyses and classifies one piece of content at `path`. `exposure` is asked only
/// when there are hits, so sources can defer expensive lookups (the git index) to the few
/// files that need them.
pub fn findings(
    matcher: &Matcher,
    bytes: &[u8],
    path: &str,
    exposure: impl FnOnce() -> Exposure,
) -> Vec<Finding> {
    match analyze(matcher, bytes) {
        Some(a) => classify::classify(
            matcher.rules(),
            &a,
            Origin {
                path,
                exposure: exposure(),
            },
        ),
        None => Vec::new(),
    }
}
