//! Checks that run on a pattern match before it becomes a hit: placeholder and entropy
//! rejection of the key body, and the structural validators rules name (JWT claims, Clerk
//! publishable key structure, Supabase and CRC32 checksums, private key encryption,
//! passwords in URLs).

use crate::rules::Validator;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD_INDIFFERENT, URL_SAFE_NO_PAD_INDIFFERENT};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// What a passing validator learned about the key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validated {
    /// The key is a well-known demo value (Supabase `supabase-demo` issuer).
    pub demo: bool,
    /// The project the key belongs to (Supabase project ref), when it can be told.
    pub project: Option<String>,
    /// A private key protected by a passphrase.
    pub encrypted: bool,
    /// What a token says about itself (JWT header and claims).
    pub token: Option<TokenFacts>,
}

/// What a JWT says about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenFacts {
    /// The signing algorithm (`HS256`, `RS256`, `none`).
    pub alg: String,
    /// The issuer, when the token names one.
    pub iss: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: Option<i64>,
}

impl TokenFacts {
    /// Whether the token carries no signature (`alg: none`).
    pub fn unsigned(&self) -> bool {
        self.alg.eq_ignore_ascii_case("none")
    }

    /// Whether the token expired before `now` (seconds since the epoch).
    pub fn expired(&self, now: i64) -> bool {
        self.exp.is_some_and(|e| e < now)
    }
}

/// Runs a rule's validator on a matched key. `whole` is the whole pattern match (which
/// holds more than the key when the rule names the key with a group), `hay` the text.
/// `None` rejects the match.
pub fn validate(
    validator: &Validator,
    key: &[u8],
    body: &[u8],
    whole: &[u8],
    hay: &[u8],
) -> Option<Validated> {
    match validator {
        Validator::Jwt { issuer, role } => jwt(key, issuer, role),
        Validator::AnyJwt => any_jwt(key),
        Validator::ClerkPublishableKey => clerk_publishable(body).then(Validated::default),
        Validator::SupabaseChecksum => Some(Validated {
            project: supabase_project(key, hay),
            ..Validated::default()
        }),
        Validator::Crc32Base62 { from, digits } => {
            crc32_base62(key, *from, *digits).then(Validated::default)
        }
        Validator::PrivateKey => private_key(key),
        Validator::Password => password(key, whole).then(Validated::default),
        Validator::Random => random(key).then(Validated::default),
    }
}

#[derive(Deserialize)]
struct JwtHeader {
    alg: Option<String>,
}

#[derive(Deserialize)]
struct JwtClaims {
    iss: Option<serde_json::Value>,
    role: Option<String>,
    #[serde(rename = "ref")]
    project: Option<String>,
    exp: Option<serde_json::Value>,
}

/// The header and claims of a JWT, if its first two parts decode to JSON objects.
fn jwt_parts(key: &[u8]) -> Option<(JwtHeader, JwtClaims)> {
    let mut parts = key.split(|&b| b == b'.');
    let (header, payload) = (parts.next()?, parts.next()?);
    let header: JwtHeader = serde_json::from_slice(&b64url(header)?).ok()?;
    let claims: JwtClaims = serde_json::from_slice(&b64url(payload)?).ok()?;
    Some((header, claims))
}

/// An HS256 JWT whose payload has `role` = `role`, and `iss` = `issuer` (or the demo issuer
/// `<issuer>-demo`) unless it has no issuer at all.
fn jwt(key: &[u8], issuer: &str, role: &str) -> Option<Validated> {
    let (header, claims) = jwt_parts(key)?;
    if header.alg.as_deref() != Some("HS256") || claims.role.as_deref() != Some(role) {
        return None;
    }
    let iss = claims.iss.as_ref().and_then(|v| v.as_str());
    let demo = iss.and_then(|i| i.strip_prefix(issuer)) == Some("-demo");
    if iss.is_some_and(|i| i != issuer) && !demo {
        return None;
    }
    let project = claims.project.filter(|r| is_project_ref(r.as_bytes()));
    Some(Validated {
        demo,
        project,
        ..Validated::default()
    })
}

/// Any JWT: a JSON header naming an algorithm and a JSON payload.
fn any_jwt(key: &[u8]) -> Option<Validated> {
    let (header, claims) = jwt_parts(key)?;
    let alg = header.alg?;
    let exp = claims.exp.as_ref().and_then(|v| v.as_i64());
    let iss = claims
        .iss
        .as_ref()
        .and_then(|v| v.as_str())
        .map(str::to_string);
    Some(Validated {
        token: Some(TokenFacts { alg, iss, exp }),
        ..Validated::default()
    })
}

/// Base62 digits in the order GitHub-style checksums use.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` in base62, left-padded with `0` to `width` digits.
pub fn base62(mut n: u64, width: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(width);
    while n > 0 {
        out.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    out
}

/// The key's last `digits` characters are the base62 CRC32 of `key[from..]` before them.
fn crc32_base62(key: &[u8], from: usize, digits: usize) -> bool {
    let Some(split) = key.len().checked_sub(digits) else {
        return false;
    };
    let Some(text) = key.get(from..split) else {
        return false;
    };
    let crc = crc32fast::hash(text);
    base62(u64::from(crc), digits) == key[split..]
}

/// A private key block, and whether a passphrase protects it.
fn private_key(key: &[u8]) -> Option<Validated> {
    let find = |needle: &[u8]| memchr::memmem::find(key, needle).is_some();
    // The base64 between the header and footer, after any `Name: value` headers; escaped
    // line ends (`\n` inside a JSON string) count as line ends.
    let mut text = Vec::with_capacity(key.len());
    let mut i = 0;
    while i < key.len() {
        if key[i] == b'\\' && matches!(key.get(i + 1), Some(b'n' | b'r')) {
            text.push(b'\n');
            i += 2;
        } else {
            text.push(key[i]);
            i += 1;
        }
    }
    let body: Vec<u8> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"-----") && !l.contains(&b':'))
        .flat_map(|l| l.iter().copied().filter(|b| !b.is_ascii_whitespace()))
        .collect();
    let lower = body.to_ascii_lowercase();
    let placeholder = [&b"..."[..], b"xxxxx", b"redacted"]
        .iter()
        .any(|p| memchr::memmem::find(&lower, p).is_some());
    if placeholder || body.len() < 64 || entropy(&body) < 4.0 {
        return None;
    }
    let mut encrypted = find(b"ENCRYPTED") || find(b"Encryption: aes") || find(b"Encryption: des");
    if find(b"OPENSSH PRIVATE KEY")
        && let Ok(raw) = STANDARD_NO_PAD_INDIFFERENT.decode(body.trim_ascii_end())
        && let Some(rest) = raw.strip_prefix(b"openssh-key-v1\0")
        && rest.len() >= 4
    {
        let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        encrypted |= rest.get(4..4 + n).is_some_and(|c| c != b"none");
    }
    Some(Validated {
        encrypted,
        ..Validated::default()
    })
}

/// Passwords nobody should report: defaults of local setups and documentation.
const DEFAULT_PASSWORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "changeme",
    "change_me",
    "example",
    "test",
    "testing",
    "admin",
    "root",
    "postgres",
    "mysql",
    "redis",
    "guest",
    "user",
    "username",
    "default",
    "123456",
    "12345678",
    "qwerty",
    "letmein",
    "p@ssw0rd",
    "dbpass",
    "dbpassword",
    "mypassword",
    "yourpassword",
    "foobar",
    "foo",
    "bar",
    "none",
    "null",
];

/// Whether `key` looks generated: it has a digit and a letter, and is not a dotted or
/// slashed name whose parts are words (`config.v2.settings`, `src/main_2.rs`) or a
/// snake_case identifier (`get_token_v2`).
fn random(key: &[u8]) -> bool {
    let digit = key.iter().any(u8::is_ascii_digit);
    let letter = key.iter().any(u8::is_ascii_alphabetic);
    if !digit || !letter {
        return false;
    }
    let wordy = |part: &[u8]| {
        part.iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            || part
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    let parts: Vec<&[u8]> = key
        .split(|&b| matches!(b, b'_' | b'.' | b'/' | b'-'))
        .filter(|p| !p.is_empty())
        .collect();
    !(parts.len() > 1 && parts.iter().all(|p| p.len() <= 12 && wordy(p)))
}

/// Whether a URL's host (what follows the password's `@`) is one reserved for documentation
/// (RFC 2606: `example.com`, `.example`, `.invalid`): nobody logs in there.
fn documentation_host(after_at: &[u8]) -> bool {
    let end = after_at
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
        .unwrap_or(after_at.len());
    let host = after_at[..end].to_ascii_lowercase();
    let labels: Vec<&[u8]> = host.split(|&b| b == b'.').collect();
    match labels.as_slice() {
        [.., b"example", b"com" | b"net" | b"org"] => true,
        [.., b"example" | b"invalid"] => labels.len() > 1,
        _ => false,
    }
}

/// A password in a URL or connection string that is not a template, a placeholder, a
/// well-known default, the user name again, or for a documentation host.
fn password(key: &[u8], whole: &[u8]) -> bool {
    if key.len() < 4
        || key.iter().any(|&b| {
            matches!(
                b,
                b'$' | b'{' | b'}' | b'<' | b'>' | b'%' | b'*' | b'[' | b']'
            )
        })
    {
        return false;
    }
    let lower = key.to_ascii_lowercase();
    if DEFAULT_PASSWORDS.iter().any(|d| d.as_bytes() == lower) {
        return false;
    }
    // `user:password@`: a password equal to its user is a default too (`guest:guest`).
    if let Some(at) = memchr::memmem::find(whole, key)
        && at > 0
        && whole[at - 1] == b':'
    {
        let user_start = whole[..at - 1]
            .iter()
            .rposition(|&b| matches!(b, b'/' | b'@' | b' ' | b'=' | b';'))
            .map_or(0, |i| i + 1);
        if whole[user_start..at - 1].eq_ignore_ascii_case(key) {
            return false;
        }
        if whole.get(at + key.len()) == Some(&b'@')
            && documentation_host(&whole[at + key.len() + 1..])
        {
            return false;
        }
    }
    !is_placeholder(key, 1.5)
}

fn b64url(text: &[u8]) -> Option<Vec<u8>> {
    let trimmed = text.strip_suffix(b"==").unwrap_or(text);
    let trimmed = trimmed.strip_suffix(b"=").unwrap_or(trimmed);
    URL_SAFE_NO_PAD_INDIFFERENT.decode(trimmed).ok()
}

/// A Clerk publishable key body: base64 of a host name containing a `.`, followed by `$`.
fn clerk_publishable(body: &[u8]) -> bool {
    let Ok(decoded) = STANDARD_NO_PAD_INDIFFERENT.decode(body.trim_ascii_end()) else {
        return false;
    };
    let Some(host) = decoded.strip_suffix(b"$") else {
        return false;
    };
    host.len() >= 4
        && host.contains(&b'.')
        && host
            .iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        && !host.starts_with(b".")
        && !host.ends_with(b".")
}

/// A Supabase project ref: 20 lowercase letters.
pub fn is_project_ref(r: &[u8]) -> bool {
    r.len() == 20 && r.iter().all(u8::is_ascii_lowercase)
}

/// The project whose ref, found in the same file (`https://<ref>.supabase.co`), verifies the
/// checksum of a new-style Supabase key: the last 8 characters are the first 8 of
/// base64url(SHA-256(`<ref>|<prefix><random>`)).
fn supabase_project(key: &[u8], hay: &[u8]) -> Option<String> {
    let (head, checksum) = key.split_at(key.len().checked_sub(9)?);
    let checksum = checksum.strip_prefix(b"_")?;
    for r in project_refs(hay) {
        let mut h = Sha256::new();
        h.update(r);
        h.update(b"|");
        h.update(head);
        let digest = h.finalize();
        let encoded = URL_SAFE_NO_PAD_INDIFFERENT.encode(digest.as_slice());
        if encoded.as_bytes().get(..8) == Some(checksum) {
            return Some(String::from_utf8_lossy(r).into_owned());
        }
    }
    None
}

/// Every distinct project ref named by a Supabase URL in `hay`.
pub fn project_refs(hay: &[u8]) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = Vec::new();
    for at in memchr::memmem::find_iter(hay, b".supabase.co") {
        if at < 20 {
            continue;
        }
        let r = &hay[at - 20..at];
        let before = at.checked_sub(21).map(|i| hay[i]);
        if is_project_ref(r)
            && !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !out.contains(&r)
        {
            out.push(r);
        }
    }
    out
}

/// Whether a key body is a placeholder rather than a key: template words, runs of one
/// character, sequences such as `123456` or `abcdef`, or too little entropy.
pub fn is_placeholder(body: &[u8], min_entropy: f64) -> bool {
    filler_dominates(body) || has_template_word(body) || entropy(body) < min_entropy
}

/// Whether the first bytes of a body already make any key containing them a placeholder:
/// all of them filler (a run of one character, or a sequence), at least twelve.
pub fn is_placeholder_prefix(prefix: &[u8]) -> bool {
    prefix.len() >= 12 && filler(prefix) == prefix.len()
}

/// Whether runs and sequences (`xxxxx`, `123456`, `abcdef`) make up the body: what is left
/// besides them is under 16 characters, or under half the body. A long random key that
/// happens to contain `123456` keeps its other characters and is a key.
fn filler_dominates(body: &[u8]) -> bool {
    let f = filler(body);
    f > 0 && {
        let rest = body.len() - f;
        rest < 16 || rest * 2 < body.len()
    }
}

/// How many bytes of `body` belong to a run of five or more equal characters (any case) or
/// a sequence of six or more consecutive letters or digits, up or down.
fn filler(body: &[u8]) -> usize {
    let n = body.len();
    let mut covered = vec![false; n];
    let mut mark = |from: usize, to: usize| covered[from..to].iter_mut().for_each(|c| *c = true);
    // Runs of one character.
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && body[j].eq_ignore_ascii_case(&body[i]) {
            j += 1;
        }
        if j - i >= 5 {
            mark(i, j);
        }
        i = j;
    }
    // Sequences, up or down.
    for step in [1u8, 255] {
        let mut i = 0;
        while i < n {
            let mut j = i + 1;
            while j < n
                && body[j - 1].is_ascii_alphanumeric()
                && body[j].is_ascii_alphanumeric()
                && body[j].to_ascii_lowercase()
                    == body[j - 1].to_ascii_lowercase().wrapping_add(step)
            {
                j += 1;
            }
            if j - i >= 6 {
                mark(i, j);
            }
            i = j;
        }
    }
    covered.iter().filter(|&&c| c).count()
}

const TEMPLATE_WORDS: &[&[u8]] = &[
    b"your",
    b"example",
    b"replace",
    b"placeholder",
    b"changeme",
    b"insert",
    b"redacted",
    b"dummy",
    b"sample",
    b"secret",
    b"apikey",
    b"here",
    b"todo",
    b"fixme",
    b"test",
];

/// A template word that starts the body or stands between delimiters (`your_key_here`).
fn has_template_word(body: &[u8]) -> bool {
    let lower = body.to_ascii_lowercase();
    let delim = |c: Option<&u8>| c.is_none_or(|&c| matches!(c, b'_' | b'-' | b'.'));
    TEMPLATE_WORDS.iter().any(|word| {
        memchr::memmem::find_iter(&lower, word).any(|at| {
            let left = at > 0 && delim(lower.get(at - 1));
            let right = delim(lower.get(at + word.len()));
            at == 0 || (left && right)
        })
    })
}

/// Shannon entropy in bits per byte.
pub fn entropy(body: &[u8]) -> f64 {
    if body.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in body {
        counts[b as usize] += 1;
    }
    let n = body.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rejected() {
        for body in [
            &b"xxxxxxxxxxxxxxxxxxxxxxxx"[..],
            b"000000000000000000000000",
            b"1234567890abcdefghijklmn",
            b"your_key_here_0123",
            b"YOURSECRETKEYGOESHEREAB",
            b"abababababababababababab",
            b"REPLACE_ME_WITH_REAL_KEY",
        ] {
            assert!(
                is_placeholder(body, 3.0),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn random_bodies_are_kept() {
        for body in [
            &b"ErQHQwjyaxErPZDS3MoJaQNj"[..],
            b"gNSWPH8prVqsUeQCtDR3zzX6",
            b"N24nDGTE_7THxUDUb27c6kwViq4Vdkdxo",
            b"lztMkxMlT8XXZO2fGfDb7CgWDl2y",
            b"81fbd145d5be01ce07255f78ffd31c2cb44c582a",
        ] {
            assert!(
                !is_placeholder(body, 3.0),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn clerk_structure() {
        let enc = STANDARD_NO_PAD_INDIFFERENT.encode(b"clerk.fakeshop.dev$");
        assert!(clerk_publishable(enc.as_bytes()));
        let enc = STANDARD_NO_PAD_INDIFFERENT.encode(b"clerk.fakeshop.dev");
        assert!(!clerk_publishable(enc.as_bytes()));
        let enc = STANDARD_NO_PAD_INDIFFERENT.encode(b"clerk$fake.dev$");
        assert!(!clerk_publishable(enc.as_bytes()));
    }

    #[test]
    fn project_refs_are_found_in_urls() {
        let hay = b"url = 'https://qwertyuiopasdfghjklz.supabase.co' and xqwertyuiopasdfghjklzq.supabase.co";
        assert_eq!(project_refs(hay), vec![&b"qwertyuiopasdfghjklz"[..]]);
    }
}
