//! Property tests (fixed seed, run by `cargo test`) of the request authentication the
//! receivers share: a request signed with an accepted secret verifies, and every single-byte
//! change of what was signed is refused: the dashboard's v1 signatures (method, path, body,
//! tenant, user, timestamp, nonce, signature), Slack's v0 signatures (body, timestamp,
//! signature), and the operator's bearer token. The coverage-guided counterparts are
//! fuzz/fuzz_targets/{dashboard_auth,slack_signature,admin_body}.rs.

use incidentd_adapters::http::operator::verify_operator;
use incidentd_wire::signing::{
    verify, SignedRequest, HEADER_CLIENT, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP,
    HEADER_USER,
};
use incidentd_wire::slack_signing;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

const NOW: i64 = 1_800_000_000;

fn config() -> Config {
    Config {
        cases: 128,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x1c1d_e47d),
        ..Config::default()
    }
}

/// Every single-byte change of `bytes`: each position flipped with `xor` (non-zero).
fn single_byte_changes(bytes: &[u8], xor: u8) -> impl Iterator<Item = Vec<u8>> + '_ {
    (0..bytes.len()).map(move |at| {
        let mut changed = bytes.to_vec();
        changed[at] ^= xor;
        changed
    })
}

/// A change that only flips the case of ASCII letters (the method is signed upper-cased and
/// hex digits read either case: nothing signed changed).
fn case_only(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn visible(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[!-~]{{1,{max}}}")).unwrap()
}

#[derive(Clone, Debug)]
struct Request {
    secret: Vec<u8>,
    method: String,
    path: String,
    client: String,
    user: String,
    nonce: String,
    body: Vec<u8>,
    skew: i64,
}

fn requests() -> impl Strategy<Value = Request> {
    (
        proptest::collection::vec(any::<u8>(), 1..40),
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
        "/dashboard/[a-z0-9/?=&-]{0,40}",
        visible(24),
        visible(24),
        visible(32),
        proptest::collection::vec(any::<u8>(), 0..200),
        -300i64..=300,
    )
        .prop_map(
            |(secret, method, path, client, user, nonce, body, skew)| Request {
                secret,
                method: method.into(),
                path,
                client,
                user,
                nonce,
                body,
                skew,
            },
        )
}

fn dashboard_verify(
    r: &Request,
    headers: &[(&'static str, String)],
    method: &str,
    path: &str,
    body: &[u8],
) -> bool {
    let other = b"another-tenant-secret".as_slice();
    verify(
        &[other, &r.secret],
        method,
        path,
        body,
        |name| {
            headers
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.as_str())
        },
        NOW,
    )
    .is_ok()
}

#[test]
fn dashboard_signatures_refuse_every_single_byte_change() {
    let mut runner = proptest::test_runner::TestRunner::new(config());
    runner
        .run(&(requests(), 1u8..=255), |(r, xor)| {
            let signed = SignedRequest {
                method: &r.method,
                path: &r.path,
                client_id: &r.client,
                user_id: &r.user,
                timestamp: NOW + r.skew,
                nonce: &r.nonce,
                body: &r.body,
            };
            let headers: Vec<(&'static str, String)> = signed.headers(&r.secret).into();
            prop_assert!(dashboard_verify(&r, &headers, &r.method, &r.path, &r.body));
            for body in single_byte_changes(&r.body, xor) {
                prop_assert!(!dashboard_verify(&r, &headers, &r.method, &r.path, &body));
            }
            for path in single_byte_changes(r.path.as_bytes(), xor) {
                let Ok(path) = String::from_utf8(path) else {
                    continue;
                };
                prop_assert!(!dashboard_verify(&r, &headers, &r.method, &path, &r.body));
            }
            for method in single_byte_changes(r.method.as_bytes(), xor) {
                let Ok(method) = String::from_utf8(method) else {
                    continue;
                };
                if case_only(method.as_bytes(), r.method.as_bytes()) {
                    continue;
                }
                prop_assert!(!dashboard_verify(&r, &headers, &method, &r.path, &r.body));
            }
            for name in [
                HEADER_CLIENT,
                HEADER_USER,
                HEADER_TIMESTAMP,
                HEADER_NONCE,
                HEADER_SIGNATURE,
            ] {
                let at = headers.iter().position(|(k, _)| *k == name).unwrap();
                let original = headers[at].1.clone();
                for value in single_byte_changes(original.as_bytes(), xor) {
                    let Ok(value) = String::from_utf8(value) else {
                        continue;
                    };
                    if name == HEADER_SIGNATURE && case_only(value.as_bytes(), original.as_bytes())
                    {
                        continue;
                    }
                    let mut changed = headers.clone();
                    changed[at].1 = value.clone();
                    prop_assert!(
                        !dashboard_verify(&r, &changed, &r.method, &r.path, &r.body),
                        "{name}: {original:?} -> {value:?} verified"
                    );
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn slack_signatures_refuse_every_single_byte_change() {
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let strategy = (
        proptest::collection::vec(any::<u8>(), 1..40),
        proptest::collection::vec(any::<u8>(), 0..300),
        -300i64..=300,
        1u8..=255,
    );
    runner
        .run(&strategy, |(secret, body, skew, xor)| {
            let timestamp = (NOW + skew).to_string();
            let sig = slack_signing::sign(&secret, NOW + skew, &body);
            let check = |body: &[u8], timestamp: &str, sig: &str| {
                let header = |name: &str| match name {
                    slack_signing::HEADER_TIMESTAMP => Some(timestamp),
                    slack_signing::HEADER_SIGNATURE => Some(sig),
                    _ => None,
                };
                slack_signing::verify(Some(&secret), body, header, NOW).is_ok()
            };
            prop_assert!(check(&body, &timestamp, &sig));
            for changed in single_byte_changes(&body, xor) {
                prop_assert!(!check(&changed, &timestamp, &sig));
            }
            for changed in single_byte_changes(timestamp.as_bytes(), xor) {
                if let Ok(changed) = String::from_utf8(changed) {
                    prop_assert!(!check(&body, &changed, &sig), "timestamp {changed:?}");
                }
            }
            for changed in single_byte_changes(sig.as_bytes(), xor) {
                let Ok(changed) = String::from_utf8(changed) else {
                    continue;
                };
                if !case_only(changed.as_bytes(), sig.as_bytes()) {
                    prop_assert!(!check(&body, &timestamp, &changed), "signature {changed:?}");
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn stale_future_and_extreme_timestamps_are_refused() {
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let far = prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        (i64::MIN..NOW - 300),
        (NOW + 301..i64::MAX)
    ];
    runner
        .run(&far, |timestamp| {
            let signed = SignedRequest {
                method: "GET",
                path: "/dashboard/incidents",
                client_id: "demo",
                user_id: "u1",
                timestamp,
                nonce: "n-1",
                body: b"",
            };
            let headers: Vec<(&'static str, String)> = signed.headers(b"secret").into();
            let verified = verify(
                &[b"secret".as_slice()],
                "GET",
                "/dashboard/incidents",
                b"",
                |name| {
                    headers
                        .iter()
                        .find(|(k, _)| *k == name)
                        .map(|(_, v)| v.as_str())
                },
                NOW,
            );
            prop_assert!(verified.is_err());
            let sig = slack_signing::sign(b"secret", timestamp, b"");
            let ts = timestamp.to_string();
            let header = |name: &str| match name {
                slack_signing::HEADER_TIMESTAMP => Some(ts.as_str()),
                slack_signing::HEADER_SIGNATURE => Some(sig.as_str()),
                _ => None,
            };
            prop_assert!(slack_signing::verify(Some(b"secret"), b"", header, NOW).is_err());
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_operator_token_refuses_every_single_byte_change() {
    let mut runner = proptest::test_runner::TestRunner::new(config());
    runner
        .run(&(visible(64), 1u8..=255), |(token, xor)| {
            let header = format!("Bearer {token}");
            prop_assert_eq!(verify_operator(Some(&header), Some(&token)), Ok(()));
            for changed in single_byte_changes(header.as_bytes(), xor) {
                let Ok(changed) = String::from_utf8(changed) else {
                    continue;
                };
                let e = verify_operator(Some(&changed), Some(&token));
                // Trailing or leading whitespace around the token is trimmed away.
                if changed
                    .strip_prefix("Bearer ")
                    .is_some_and(|t| t.trim() == token)
                {
                    continue;
                }
                prop_assert_eq!(e.map_err(|e| e.status), Err(401), "{:?}", changed);
            }
            Ok(())
        })
        .unwrap();
}
