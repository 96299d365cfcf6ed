//! Slack request signatures (v0). Slack signs every request it sends (events, interactivity,
//! slash commands): `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret,
//! "v0:<X-Slack-Request-Timestamp>:<raw body>")>`. Verify over the raw body bytes, before any
//! parsing: a re-encoded form never reproduces what Slack signed.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// `v0=<hex HMAC-SHA256>` over `v0:<timestamp>:<raw body>`.
pub const HEADER_SIGNATURE: &str = "x-slack-signature";
/// Unix seconds when Slack signed the request.
pub const HEADER_TIMESTAMP: &str = "x-slack-request-timestamp";

/// Accepted clock skew either way, in seconds (Slack's recommendation: five minutes).
pub const WINDOW_SECS: i64 = 300;

/// The only version Slack defines.
const VERSION: &str = "v0";

/// Why a request is not from Slack. Safe to log: never includes the secret or the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// A required header is absent or blank.
    MissingHeader(&'static str),
    /// The timestamp is not unix seconds.
    BadTimestamp,
    /// Older than the window: possibly a replay.
    Stale,
    /// Newer than the window: a wrong clock or a forged timestamp.
    FromTheFuture,
    /// A version prefix other than `v0=`.
    UnsupportedVersion,
    /// `v0=` not followed by 64 hex digits.
    BadSignatureFormat,
    /// Well formed but wrong: another secret, or the body or timestamp was altered.
    Mismatch,
    /// No signing secret configured: nothing can be verified.
    NotConfigured,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::MissingHeader(h) => write!(f, "missing header {h}"),
            SignatureError::BadTimestamp => write!(f, "{HEADER_TIMESTAMP} must be unix seconds"),
            SignatureError::Stale => write!(f, "request is older than {WINDOW_SECS} s"),
            SignatureError::FromTheFuture => {
                write!(f, "request timestamp is more than {WINDOW_SECS} s ahead")
            }
            SignatureError::UnsupportedVersion => {
                write!(f, "{HEADER_SIGNATURE} version is not {VERSION}")
            }
            SignatureError::BadSignatureFormat => {
                write!(f, "{HEADER_SIGNATURE} must be {VERSION}=<64 hex digits>")
            }
            SignatureError::Mismatch => f.write_str("invalid signature"),
            SignatureError::NotConfigured => f.write_str("Slack signing secret is not configured"),
        }
    }
}

fn mac(signing_secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(signing_secret).expect("HMAC takes keys of any length");
    mac.update(format!("{VERSION}:{timestamp}:").as_bytes());
    mac.update(body);
    mac
}

/// The `X-Slack-Signature` Slack would send for `body` at `timestamp` (for tests and tools).
pub fn sign(signing_secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = mac(signing_secret, timestamp, body).finalize().into_bytes();
    format!("{VERSION}={}", hex::encode(digest))
}

/// Checks a request's headers (looked up by lowercase name through `header`) and raw body
/// against the signing secret, at `now_secs`.
pub fn verify<'h>(
    signing_secret: Option<&[u8]>,
    body: &[u8],
    header: impl Fn(&str) -> Option<&'h str>,
    now_secs: i64,
) -> Result<(), SignatureError> {
    let required = |name: &'static str| {
        header(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(SignatureError::MissingHeader(name))
    };
    let timestamp: i64 = required(HEADER_TIMESTAMP)?
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let signature = required(HEADER_SIGNATURE)?;
    let secret = signing_secret
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::NotConfigured)?;
    let age = now_secs.saturating_sub(timestamp);
    if age > WINDOW_SECS {
        return Err(SignatureError::Stale);
    }
    if age < -WINDOW_SECS {
        return Err(SignatureError::FromTheFuture);
    }
    let (version, digest) = signature
        .split_once('=')
        .ok_or(SignatureError::BadSignatureFormat)?;
    if version != VERSION {
        return Err(SignatureError::UnsupportedVersion);
    }
    let digest = hex::decode(digest)
        .ok()
        .filter(|d| d.len() == 32)
        .ok_or(SignatureError::BadSignatureFormat)?;
    // `verify_slice` compares in constant time.
    mac(secret, timestamp, body)
        .verify_slice(&digest)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Slack's worked example from its "verifying requests" guide.
    const SLACK_SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";
    const SLACK_TS: i64 = 1_531_420_618;
    const SLACK_BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SLACK_SIGNATURE: &str =
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn headers(ts: &str, signature: &str) -> HashMap<&'static str, String> {
        HashMap::from([
            (HEADER_TIMESTAMP, ts.to_owned()),
            (HEADER_SIGNATURE, signature.to_owned()),
        ])
    }

    fn check(
        headers: &HashMap<&'static str, String>,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        verify(
            Some(SLACK_SECRET),
            body,
            |h| headers.get(h).map(String::as_str),
            now,
        )
    }

    #[test]
    fn slacks_own_example_verifies() {
        assert_eq!(sign(SLACK_SECRET, SLACK_TS, SLACK_BODY), SLACK_SIGNATURE);
        let signed = headers(&SLACK_TS.to_string(), SLACK_SIGNATURE);
        assert_eq!(check(&signed, SLACK_BODY, SLACK_TS + 10), Ok(()));
    }

    #[test]
    fn another_secret_or_an_altered_body_or_timestamp_is_a_mismatch() {
        let signed = headers(&SLACK_TS.to_string(), SLACK_SIGNATURE);
        let other_secret = verify(
            Some(b"other"),
            SLACK_BODY,
            |h| signed.get(h).map(String::as_str),
            SLACK_TS,
        );
        assert_eq!(other_secret, Err(SignatureError::Mismatch));
        let mut altered = SLACK_BODY.to_vec();
        altered[0] = b'T';
        assert_eq!(
            check(&signed, &altered, SLACK_TS),
            Err(SignatureError::Mismatch)
        );
        let moved = headers(&(SLACK_TS + 1).to_string(), SLACK_SIGNATURE);
        assert_eq!(
            check(&moved, SLACK_BODY, SLACK_TS),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_window_is_five_minutes_either_way() {
        let at = |offset: i64| {
            let ts = SLACK_TS + offset;
            check(
                &headers(&ts.to_string(), &sign(SLACK_SECRET, ts, b"{}")),
                b"{}",
                SLACK_TS,
            )
        };
        assert_eq!(at(-300), Ok(()));
        assert_eq!(at(300), Ok(()));
        assert_eq!(at(-301), Err(SignatureError::Stale));
        assert_eq!(at(301), Err(SignatureError::FromTheFuture));
    }

    #[test]
    fn only_v0_with_64_hex_digits_is_accepted() {
        let ts = SLACK_TS.to_string();
        let v1 = SLACK_SIGNATURE.replacen("v0=", "v1=", 1);
        assert_eq!(
            check(&headers(&ts, &v1), SLACK_BODY, SLACK_TS),
            Err(SignatureError::UnsupportedVersion)
        );
        for malformed in [
            "v0=abc",
            "v0=",
            "a2114d57b48e",
            "v0=zz14d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        ] {
            let result = check(&headers(&ts, malformed), SLACK_BODY, SLACK_TS);
            assert!(
                matches!(result, Err(SignatureError::BadSignatureFormat)),
                "{malformed}: {result:?}"
            );
        }
    }

    #[test]
    fn missing_headers_bad_timestamps_and_no_secret_are_named() {
        let mut no_signature = headers(&SLACK_TS.to_string(), SLACK_SIGNATURE);
        no_signature.remove(HEADER_SIGNATURE);
        assert_eq!(
            check(&no_signature, SLACK_BODY, SLACK_TS),
            Err(SignatureError::MissingHeader(HEADER_SIGNATURE))
        );
        let mut no_timestamp = headers("", SLACK_SIGNATURE);
        no_timestamp.remove(HEADER_TIMESTAMP);
        assert_eq!(
            check(&no_timestamp, SLACK_BODY, SLACK_TS),
            Err(SignatureError::MissingHeader(HEADER_TIMESTAMP))
        );
        for ts in ["soon", "1531420618.5", "0x5b47"] {
            assert_eq!(
                check(&headers(ts, SLACK_SIGNATURE), SLACK_BODY, SLACK_TS),
                Err(SignatureError::BadTimestamp),
                "{ts}"
            );
        }
        let signed = headers(&SLACK_TS.to_string(), SLACK_SIGNATURE);
        for secret in [None, Some(&b""[..])] {
            let result = verify(
                secret,
                SLACK_BODY,
                |h| signed.get(h).map(String::as_str),
                SLACK_TS,
            );
            assert_eq!(result, Err(SignatureError::NotConfigured));
        }
    }
}
