//! Request signatures. The signature binds the method, the path (with query), the caller's
//! tenant and user, a SHA-256 digest of the body, a timestamp and a nonce, so captured headers
//! cannot be used against another route or with another body, expire after the window, and
//! (the nonce making every request's signature unique) an exact replay within the window is
//! recognised by its signature.
//!
//! `x-incidentd-signature: v1=<hex HMAC-SHA256(secret, canonical)>` where `canonical` is
//! `"v1\n<timestamp>\n<nonce>\n<METHOD>\n<path>\n<client>\n<user>\n<hex sha256(body)>"`.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;

/// The caller's tenant (client) id.
pub const HEADER_CLIENT: &str = "x-incidentd-client";
/// The acting user's id.
pub const HEADER_USER: &str = "x-incidentd-user";
/// Unix seconds when the request was signed.
pub const HEADER_TIMESTAMP: &str = "x-incidentd-timestamp";
/// `v1=<hex HMAC-SHA256>` over the canonical request.
pub const HEADER_SIGNATURE: &str = "x-incidentd-signature";
/// Unique per request: makes every signature unique, so a replay is recognised.
pub const HEADER_NONCE: &str = "x-incidentd-nonce";

/// Longest accepted nonce.
pub const MAX_NONCE_CHARS: usize = 128;

/// Accepted clock skew either way, in seconds.
pub const WINDOW_SECS: i64 = 300;

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthContext {
    /// The tenant the request acts for.
    pub client_id: String,
    /// The user the request acts as.
    pub user_id: String,
    /// The verified signature (hex): unique per request, so it identifies an exact replay.
    pub request_id: String,
}

/// Why a request was not authenticated. Shown to the caller: says what, never the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// A required header is absent or blank.
    MissingHeader(&'static str),
    /// The timestamp is not unix seconds.
    BadTimestamp,
    /// The timestamp is outside the window (either way).
    Expired,
    /// The signature is not `v1=` and 64 hex digits.
    BadSignatureFormat,
    /// The nonce is empty, too long or not visible ASCII.
    BadNonce,
    /// Well formed but wrong: another secret, or the request was altered.
    InvalidSignature,
    /// The tenant has no signing secret.
    NotConfigured,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::MissingHeader(h) => write!(f, "missing header {h}"),
            AuthError::BadTimestamp => write!(f, "{HEADER_TIMESTAMP} must be unix seconds"),
            AuthError::Expired => {
                write!(f, "request timestamp is outside the {WINDOW_SECS} s window")
            }
            AuthError::BadSignatureFormat => {
                write!(f, "{HEADER_SIGNATURE} must be v1=<64 hex digits>")
            }
            AuthError::BadNonce => write!(
                f,
                "{HEADER_NONCE} must be 1 to {MAX_NONCE_CHARS} visible ASCII characters"
            ),
            AuthError::InvalidSignature => f.write_str("invalid signature"),
            AuthError::NotConfigured => {
                f.write_str("request signing is not configured on this server")
            }
        }
    }
}

/// The parts of a request the signature covers.
pub struct SignedRequest<'a> {
    /// The HTTP method (compared in upper case).
    pub method: &'a str,
    /// Path and query as sent (`/dashboard/incidents?x=1`).
    pub path: &'a str,
    /// The tenant the request acts for.
    pub client_id: &'a str,
    /// The user the request acts as.
    pub user_id: &'a str,
    /// Unix seconds.
    pub timestamp: i64,
    /// Unique per request (any string of 1 to 128 visible ASCII characters).
    pub nonce: &'a str,
    /// The body exactly as sent.
    pub body: &'a [u8],
}

impl SignedRequest<'_> {
    fn canonical(&self) -> String {
        format!(
            "v1\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.timestamp,
            self.nonce,
            self.method.to_ascii_uppercase(),
            self.path,
            self.client_id,
            self.user_id,
            hex::encode(Sha256::digest(self.body)),
        )
    }

    fn mac(&self, secret: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(self.canonical().as_bytes());
        mac
    }

    /// The `x-incidentd-signature` value for this request.
    pub fn sign(&self, secret: &[u8]) -> String {
        format!(
            "v1={}",
            hex::encode(self.mac(secret).finalize().into_bytes())
        )
    }

    /// All five headers, ready to send.
    pub fn headers(&self, secret: &[u8]) -> [(&'static str, String); 5] {
        [
            (HEADER_NONCE, self.nonce.to_owned()),
            (HEADER_CLIENT, self.client_id.to_owned()),
            (HEADER_USER, self.user_id.to_owned()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_SIGNATURE, self.sign(secret)),
        ]
    }
}

/// Checks a request's headers (looked up by `header`) against the tenant's accepted secrets
/// (see `admin::secrets::accepted`), at `now_secs`.
pub fn verify<'h>(
    secrets: &[&[u8]],
    method: &str,
    path: &str,
    body: &[u8],
    header: impl Fn(&str) -> Option<&'h str>,
    now_secs: i64,
) -> Result<AuthContext, AuthError> {
    let required = |name: &'static str| {
        header(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(AuthError::MissingHeader(name))
    };
    let client_id = required(HEADER_CLIENT)?;
    let user_id = required(HEADER_USER)?;
    let timestamp: i64 = required(HEADER_TIMESTAMP)?
        .parse()
        .map_err(|_| AuthError::BadTimestamp)?;
    let nonce = required(HEADER_NONCE)?;
    if nonce.len() > MAX_NONCE_CHARS || !nonce.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AuthError::BadNonce);
    }
    let signature = required(HEADER_SIGNATURE)?;
    if secrets.iter().all(|s| s.is_empty()) {
        return Err(AuthError::NotConfigured);
    }
    // `abs_diff`: a timestamp near i64::MIN or MAX must be refused, not overflow.
    if now_secs.abs_diff(timestamp) > WINDOW_SECS.unsigned_abs() {
        return Err(AuthError::Expired);
    }
    let digest = signature
        .strip_prefix("v1=")
        .and_then(|h| hex::decode(h).ok())
        .filter(|d| d.len() == 32)
        .ok_or(AuthError::BadSignatureFormat)?;
    let request = SignedRequest {
        method,
        path,
        client_id,
        user_id,
        timestamp,
        nonce,
        body,
    };
    // `verify_slice` compares in constant time; any of the tenant's accepted secrets (two
    // while a rotated one is in its grace period) may have signed.
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .find(|s| request.mac(s).verify_slice(&digest).is_ok())
        .ok_or(AuthError::InvalidSignature)?;
    Ok(AuthContext {
        client_id: client_id.to_owned(),
        user_id: user_id.to_owned(),
        request_id: hex::encode(digest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SECRET: &[u8] = b"local-secret";
    const NOW: i64 = 1_800_000_000;

    fn signed(method: &str, path: &str, body: &[u8], ts: i64) -> HashMap<&'static str, String> {
        let request = SignedRequest {
            method,
            path,
            client_id: "demo",
            user_id: "u1",
            timestamp: ts,
            nonce: "n-1",
            body,
        };
        request.headers(SECRET).into_iter().collect()
    }

    fn check(
        headers: &HashMap<&'static str, String>,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<AuthContext, AuthError> {
        verify(
            &[SECRET],
            method,
            path,
            body,
            |h| headers.get(h).map(String::as_str),
            NOW,
        )
    }

    #[test]
    fn a_signed_request_verifies() {
        let headers = signed("POST", "/dashboard/incidents", b"{}", NOW);
        let ctx = check(&headers, "POST", "/dashboard/incidents", b"{}").unwrap();
        assert_eq!(
            (ctx.client_id.as_str(), ctx.user_id.as_str()),
            ("demo", "u1")
        );
        assert_eq!(format!("v1={}", ctx.request_id), headers[HEADER_SIGNATURE]);
    }

    #[test]
    fn the_signature_binds_method_path_and_body() {
        let headers = signed("POST", "/dashboard/incidents", b"{}", NOW);
        assert_eq!(
            check(&headers, "GET", "/dashboard/incidents", b"{}"),
            Err(AuthError::InvalidSignature)
        );
        assert_eq!(
            check(&headers, "POST", "/dashboard/incidents/x", b"{}"),
            Err(AuthError::InvalidSignature)
        );
        assert_eq!(
            check(&headers, "POST", "/dashboard/incidents", b"{ }"),
            Err(AuthError::InvalidSignature)
        );
    }

    #[test]
    fn the_window_is_enforced_both_ways() {
        for (ts, ok) in [
            (NOW - 300, true),
            (NOW + 300, true),
            (NOW - 301, false),
            (NOW + 301, false),
        ] {
            let headers = signed("GET", "/dashboard/incidents", b"", ts);
            let result = check(&headers, "GET", "/dashboard/incidents", b"");
            assert_eq!(result.is_ok(), ok, "ts offset {}", ts - NOW);
            if !ok {
                assert_eq!(result, Err(AuthError::Expired));
            }
        }
    }

    #[test]
    fn malformed_headers_are_named() {
        let mut headers = signed("GET", "/p", b"", NOW);
        headers.remove(HEADER_USER);
        assert_eq!(
            check(&headers, "GET", "/p", b""),
            Err(AuthError::MissingHeader(HEADER_USER))
        );
        let mut headers = signed("GET", "/p", b"", NOW);
        headers.insert(HEADER_SIGNATURE, "v1=zz".into());
        assert_eq!(
            check(&headers, "GET", "/p", b""),
            Err(AuthError::BadSignatureFormat)
        );
        let mut headers = signed("GET", "/p", b"", NOW);
        headers.insert(HEADER_TIMESTAMP, "soon".into());
        assert_eq!(
            check(&headers, "GET", "/p", b""),
            Err(AuthError::BadTimestamp)
        );
        let headers = signed("GET", "/p", b"", NOW);
        let wrong = verify(
            &[b"other"],
            "GET",
            "/p",
            b"",
            |h| headers.get(h).map(String::as_str),
            NOW,
        );
        assert_eq!(wrong, Err(AuthError::InvalidSignature));
        let either = verify(
            &[b"other", SECRET],
            "GET",
            "/p",
            b"",
            |h| headers.get(h).map(String::as_str),
            NOW,
        );
        assert!(either.is_ok(), "any accepted secret verifies");
        let unset = verify(
            &[],
            "GET",
            "/p",
            b"",
            |h| headers.get(h).map(String::as_str),
            NOW,
        );
        assert_eq!(unset, Err(AuthError::NotConfigured));
    }

    #[test]
    fn the_nonce_is_required_signed_and_makes_signatures_unique() {
        let mut headers = signed("GET", "/p", b"", NOW);
        headers.remove(HEADER_NONCE);
        assert_eq!(
            check(&headers, "GET", "/p", b""),
            Err(AuthError::MissingHeader(HEADER_NONCE))
        );
        let mut headers = signed("GET", "/p", b"", NOW);
        headers.insert(HEADER_NONCE, "n-2".into());
        assert_eq!(
            check(&headers, "GET", "/p", b""),
            Err(AuthError::InvalidSignature),
            "the nonce is signed"
        );
        let mut headers = signed("GET", "/p", b"", NOW);
        headers.insert(HEADER_NONCE, "x".repeat(MAX_NONCE_CHARS + 1));
        assert_eq!(check(&headers, "GET", "/p", b""), Err(AuthError::BadNonce));
        let other = SignedRequest {
            method: "GET",
            path: "/p",
            client_id: "demo",
            user_id: "u1",
            timestamp: NOW,
            nonce: "n-2",
            body: b"",
        };
        assert_ne!(
            other.sign(SECRET),
            signed("GET", "/p", b"", NOW)[HEADER_SIGNATURE]
        );
    }
}
