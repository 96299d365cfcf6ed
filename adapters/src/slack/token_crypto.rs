//! Slack tokens encrypted at rest: AES-256-GCM under a key from a Worker secret (32 bytes,
//! base64), a fresh random 96-bit nonce per encryption, stored as
//! `v1:<base64(nonce | ciphertext and tag)>`. The caller's `context` (the installation's team
//! or enterprise id) is authenticated with it, so a stored token copied onto another
//! installation's row does not decrypt.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use incidentd_wire::secret::Secret;
use std::fmt;

const VERSION_PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenCryptoError {
    /// The key secret is not base64 of exactly 32 bytes.
    BadKey,
    /// Not `v1:<base64>`: another format or version.
    UnknownFormat,
    /// Another key or context, or the stored value was altered.
    Undecryptable,
    /// No randomness available for a nonce.
    NoRandomness,
    /// Nothing stored: Slack disabled the installation and its token was deleted.
    NoToken,
}

impl fmt::Display for TokenCryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenCryptoError::BadKey => "token key must be base64 of 32 bytes",
            TokenCryptoError::UnknownFormat => "stored token is not in the v1 format",
            TokenCryptoError::Undecryptable => {
                "stored token does not decrypt with this key and context"
            }
            TokenCryptoError::NoRandomness => "no randomness for a nonce",
            TokenCryptoError::NoToken => "no token stored: the installation is disabled",
        })
    }
}

/// The key. Its `Debug` shows nothing of it.
pub struct TokenKey(Aes256Gcm);

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey([redacted])")
    }
}

impl TokenKey {
    /// From the Worker secret's value (`openssl rand -base64 32`).
    pub fn from_base64(secret: &Secret) -> Result<TokenKey, TokenCryptoError> {
        let bytes = BASE64
            .decode(secret.expose().trim())
            .map_err(|_| TokenCryptoError::BadKey)?;
        if bytes.len() != 32 {
            return Err(TokenCryptoError::BadKey);
        }
        Ok(TokenKey(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(
            &bytes,
        ))))
    }

    /// Encrypts with a fresh random nonce.
    pub fn encrypt(&self, token: &Secret, context: &str) -> Result<String, TokenCryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| TokenCryptoError::NoRandomness)?;
        Ok(self.encrypt_with_nonce(token, context, nonce))
    }

    /// Encrypts with the caller's nonce, which must never repeat under one key.
    pub fn encrypt_with_nonce(
        &self,
        token: &Secret,
        context: &str,
        nonce: [u8; NONCE_LEN],
    ) -> String {
        let payload = Payload {
            msg: token.expose().as_bytes(),
            aad: context.as_bytes(),
        };
        let ciphertext = self
            .0
            .encrypt(Nonce::from_slice(&nonce), payload)
            .expect("AES-GCM encrypts any token-sized input");
        let mut stored = nonce.to_vec();
        stored.extend(ciphertext);
        format!("{VERSION_PREFIX}{}", BASE64.encode(stored))
    }

    pub fn decrypt(&self, stored: &str, context: &str) -> Result<Secret, TokenCryptoError> {
        let bytes = stored
            .strip_prefix(VERSION_PREFIX)
            .and_then(|b64| BASE64.decode(b64).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(TokenCryptoError::UnknownFormat)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let plain = self
            .0
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| TokenCryptoError::Undecryptable)?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| TokenCryptoError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> TokenKey {
        TokenKey::from_base64(&Secret::new(BASE64.encode([byte; 32]))).unwrap()
    }

    const TOKEN: &str = "xoxb-17-secret-bot-token";

    #[test]
    fn a_token_round_trips_under_a_fresh_nonce_each_time() {
        let key = key(7);
        let first = key.encrypt(&Secret::new(TOKEN), "T1").unwrap();
        let second = key.encrypt(&Secret::new(TOKEN), "T1").unwrap();
        assert!(first.starts_with("v1:"));
        assert!(!first.contains(TOKEN));
        assert_ne!(first, second, "random nonces");
        for stored in [&first, &second] {
            assert_eq!(key.decrypt(stored, "T1").unwrap().expose(), TOKEN);
        }
    }

    #[test]
    fn the_stored_form_is_the_nonce_then_the_ciphertext() {
        let stored = key(7).encrypt_with_nonce(&Secret::new(TOKEN), "T1", [9; 12]);
        let bytes = BASE64.decode(stored.strip_prefix("v1:").unwrap()).unwrap();
        assert_eq!(&bytes[..12], &[9; 12]);
        assert_eq!(
            bytes.len(),
            12 + TOKEN.len() + 16,
            "nonce, ciphertext, 16-byte tag"
        );
    }

    #[test]
    fn another_key_context_or_an_altered_value_does_not_decrypt() {
        let stored = key(7).encrypt(&Secret::new(TOKEN), "T1").unwrap();
        assert_eq!(
            key(8).decrypt(&stored, "T1"),
            Err(TokenCryptoError::Undecryptable)
        );
        assert_eq!(
            key(7).decrypt(&stored, "T2"),
            Err(TokenCryptoError::Undecryptable)
        );
        let mut bytes = BASE64.decode(&stored[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("v1:{}", BASE64.encode(bytes));
        assert_eq!(
            key(7).decrypt(&tampered, "T1"),
            Err(TokenCryptoError::Undecryptable)
        );
    }

    #[test]
    fn other_versions_and_shapes_are_refused() {
        let stored = key(7).encrypt(&Secret::new(TOKEN), "T1").unwrap();
        let v2 = stored.replacen("v1:", "v2:", 1);
        for other in [v2.as_str(), TOKEN, "v1:", "v1:not base64!", "v1:AAAA"] {
            assert_eq!(
                key(7).decrypt(other, "T1"),
                Err(TokenCryptoError::UnknownFormat),
                "{other}"
            );
        }
    }

    #[test]
    fn the_key_must_be_32_bytes_of_base64_and_never_shows() {
        for bad in ["", "not base64", &BASE64.encode([1; 16])] {
            assert_eq!(
                TokenKey::from_base64(&Secret::new(bad)).unwrap_err(),
                TokenCryptoError::BadKey
            );
        }
        assert_eq!(format!("{:?}", key(7)), "TokenKey([redacted])");
    }
}
