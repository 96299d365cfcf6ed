//! Operator authentication of `/admin/*`: `Authorization: Bearer <ADMIN_TOKEN>`. Reusable by
//! any operator route (the Slack installation route too).

use crate::http::ApiError;
use sha2::{Digest, Sha256};

/// The Worker secret holding the operator token.
pub const ADMIN_TOKEN_SECRET: &str = "ADMIN_TOKEN";

/// Checks `authorization` (the header's value) against the configured token: 503 when no
/// token is configured, 401 when the header is missing, not a bearer token, or wrong.
pub fn verify_operator(authorization: Option<&str>, secret: Option<&str>) -> Result<(), ApiError> {
    let secret = secret.filter(|s| !s.is_empty()).ok_or_else(|| {
        ApiError::new(
            503,
            "ADMIN_NOT_CONFIGURED",
            "the admin API is not configured (no ADMIN_TOKEN secret)",
        )
    })?;
    let unauthorized = || {
        ApiError::new(
            401,
            "UNAUTHORIZED",
            "a valid operator bearer token is required",
        )
    };
    let token = authorization
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(unauthorized)?;
    // Digests first, so the comparison takes the same time whatever the lengths; then a
    // branch-free fold over every byte.
    let (a, b) = (
        Sha256::digest(token.as_bytes()),
        Sha256::digest(secret.as_bytes()),
    );
    let difference = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    if difference == 0 {
        Ok(())
    } else {
        Err(unauthorized())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_bearer_token_passes() {
        assert_eq!(
            verify_operator(Some("Bearer s3cret"), Some("s3cret")),
            Ok(())
        );
        for header in [
            None,
            Some("s3cret"),
            Some("Bearer s3cre"),
            Some("Bearer s3cret2"),
            Some("Basic s3cret"),
        ] {
            assert_eq!(
                verify_operator(header, Some("s3cret")).unwrap_err().status,
                401,
                "{header:?}"
            );
        }
    }

    #[test]
    fn an_unconfigured_token_is_503_whatever_the_header() {
        for secret in [None, Some("")] {
            let e = verify_operator(Some("Bearer "), secret).unwrap_err();
            assert_eq!((e.status, e.code), (503, "ADMIN_NOT_CONFIGURED"));
        }
    }
}
