//! AWS: STS `GetCallerIdentity`, signed with Signature Version 4. It needs no permission,
//! changes nothing and names the key's account and user. Canary keys are recognised offline
//! first and never sent.

use super::http::{Method, Request};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

const HOST: &str = "sts.amazonaws.com";
const REGION: &str = "us-east-1";
const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// Accounts that issue honeytoken keys (Thinkst canarytokens.org and look-alike services,
/// as TruffleHog and kingfisher list them): asking AWS about one alerts its owner.
const CANARY_ACCOUNTS: &[&str] = &[
    "044858866125",
    "052310077262",
    "171436882533",
    "251535659677",
    "266735846894",
    "344043088457",
    "351906852752",
    "390477818340",
    "426127672474",
    "427150556519",
    "439872796651",
    "445142720921",
    "465867158099",
    "528757803018",
    "534261010715",
    "538784191382",
    "595918472158",
    "637958123769",
    "693412236332",
    "717712589309",
    "729780141977",
    "730335385048",
    "732624840810",
    "735421457923",
    "819147034852",
    "893192397702",
    "959235150393",
    "982842642351",
    "992382622183",
];

/// The 12-digit account an access key id (`AKIA…`, `ASIA…`) belongs to, decoded offline.
pub fn account_of(key_id: &str) -> Option<String> {
    let b = key_id.as_bytes();
    if b.len() != 20 || !(b.starts_with(b"AKIA") || b.starts_with(b"ASIA")) {
        return None;
    }
    // Base32 (RFC 4648 alphabet) of the 16 characters after the prefix; the account sits in
    // bits 1..=40 of the first 48.
    let mut bits: u64 = 0;
    for &c in &b[4..14] {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | u64::from(v);
    }
    let first48 = bits >> 2;
    Some(format!("{:012}", (first48 & 0x7fff_ffff_ff80) >> 7))
}

/// Whether the key id belongs to a known canary account.
pub fn is_canary(key_id: &str) -> bool {
    account_of(key_id).is_some_and(|a| CANARY_ACCOUNTS.contains(&a.as_str()))
}

/// The signed `GetCallerIdentity` request for a key pair, at `amz_date` (`YYYYMMDDTHHMMSSZ`).
pub fn caller_identity(key_id: &str, secret: &str, amz_date: &str) -> Request {
    let date = &amz_date[..8];
    let payload_hash = hex(&Sha256::digest(BODY.as_bytes()));
    let canonical_headers = format!("content-type:{FORM}\nhost:{HOST}\nx-amz-date:{amz_date}\n");
    let signed_headers = "content-type;host;x-amz-date";
    let canonical_request =
        format!("POST\n/\n\n{canonical_headers}\n{signed_headers}\n{payload_hash}");
    let scope = format!("{date}/{REGION}/sts/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    for part in [REGION, "sts", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    Request {
        method: Method::Post,
        host: HOST.into(),
        path: "/".into(),
        headers: vec![
            ("x-amz-date", amz_date.into()),
            (
                "authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
                ),
            ),
        ],
        body: Some((FORM, BODY.as_bytes().to_vec())),
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    crate::finding::hex(bytes)
}

/// The text between `<tag>` and `</tag>` in an XML answer.
pub fn xml_field(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(body[start..end].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_decode_offline() {
        // Made up: the account number is placed into a key id by the inverse of account_of.
        let encode = |account: u64| {
            let first48 = (account << 7) | 0x8000_0000_0000;
            let bits = first48 << 2;
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
            let body: String = (0..10)
                .map(|i| alphabet[((bits >> (45 - 5 * i)) & 31) as usize] as char)
                .collect();
            format!("AKIA{body}QQQQQQ")
        };
        assert_eq!(
            account_of(&encode(52_310_077_262)).as_deref(),
            Some("052310077262")
        );
        assert!(is_canary(&encode(52_310_077_262)));
        assert_eq!(
            account_of(&encode(123_456_789_012)).as_deref(),
            Some("123456789012")
        );
        assert!(!is_canary(&encode(123_456_789_012)));
        assert_eq!(account_of("AKIA1234"), None);
        assert_eq!(account_of("XXXXQQQQQQQQQQQQQQQQ"), None);
    }

    #[test]
    fn signature_v4_has_its_parts() {
        let r = caller_identity("AKIAQQQQQQQQQQQQQQQQ", "made-up-secret", "20261207T080000Z");
        let auth = &r
            .headers
            .iter()
            .find(|(k, _)| *k == "authorization")
            .unwrap()
            .1;
        assert!(auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIAQQQQQQQQQQQQQQQQ/20261207/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="
        ));
        assert_eq!(auth.rsplit('=').next().unwrap().len(), 64);
        assert!(!auth.contains("made-up-secret"));
    }
}
