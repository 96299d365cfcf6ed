//! Dashboard request signatures (`incidentd_wire::signing::verify`): arbitrary headers never
//! panic and are accepted only with the HMAC of one accepted secret inside the window; a
//! freshly signed request verifies, and every single-byte change of what it signs is refused.
//!
//! Input (src/text_input.rs): lines `secrets` (comma-separated), `method`, `path`, `client`,
//! `user`, `timestamp`, `nonce`, `signature`, `now`, `flip` (`<part> <position> <xor>`), then
//! the body.
#![no_main]

use incidentd_fuzz::mutation::{flip, is_case_flip};
use incidentd_fuzz::text_input::{fields, header, int, Flip};
use incidentd_wire::signing::{
    verify, SignedRequest, HEADER_CLIENT, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP,
    HEADER_USER, MAX_NONCE_CHARS, WINDOW_SECS,
};
use libfuzzer_sys::fuzz_target;

fn header_of<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
}

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 11);
    let secrets: Vec<&[u8]> = f[0].split(|b| *b == b',').collect();
    let (Some(method), Some(path)) = (header(f[1]), header(f[2])) else {
        return;
    };
    let names = [
        HEADER_CLIENT,
        HEADER_USER,
        HEADER_TIMESTAMP,
        HEADER_NONCE,
        HEADER_SIGNATURE,
    ];
    let mut headers: Vec<(&'static str, String)> = Vec::new();
    for (name, field) in names.into_iter().zip(&f[3..8]) {
        let Some(value) = header(field) else { return };
        headers.push((name, value.to_owned()));
    }
    let (now, flip_at, body) = (int(f[8]), Flip::parse(f[9]), f[10]);

    // 1. Whatever arrives: accepted only when one accepted secret signed it, in the window.
    let result = verify(
        &secrets,
        method,
        path,
        body,
        |h| header_of(&headers, h),
        now,
    );
    if let Ok(ctx) = &result {
        let timestamp: i64 = header_of(&headers, HEADER_TIMESTAMP)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(now.abs_diff(timestamp) <= WINDOW_SECS as u64);
        let request = SignedRequest {
            method,
            path,
            client_id: &ctx.client_id,
            user_id: &ctx.user_id,
            timestamp,
            nonce: header_of(&headers, HEADER_NONCE).unwrap().trim(),
            body,
        };
        let expected = format!("v1={}", ctx.request_id);
        assert!(
            secrets
                .iter()
                .any(|s| !s.is_empty() && request.sign(s) == expected),
            "accepted a signature no accepted secret made"
        );
    }

    // 2. A request signed now verifies; a single-byte change of any signed part does not.
    let (client, user, nonce) = (&headers[0].1, &headers[1].1, &headers[3].1);
    let Some(secret) = secrets.first().filter(|s| !s.is_empty()) else {
        return;
    };
    let clean = |v: &str| !v.is_empty() && v.trim() == v;
    let nonce_ok = !nonce.is_empty()
        && nonce.len() <= MAX_NONCE_CHARS
        && nonce.bytes().all(|b| b.is_ascii_graphic());
    if !clean(client) || !clean(user) || !nonce_ok {
        return;
    }
    let signed = SignedRequest {
        method,
        path,
        client_id: client,
        user_id: user,
        timestamp: now,
        nonce,
        body,
    };
    let mut headers: Vec<(&'static str, String)> = signed.headers(secret).into();
    let check = |headers: &[(&'static str, String)], method: &str, path: &str, body: &[u8]| {
        verify(&secrets, method, path, body, |h| header_of(headers, h), now)
    };
    assert!(
        check(&headers, method, path, body).is_ok(),
        "a freshly signed request was refused"
    );
    let (mut method_b, mut path_b, mut body_b) = (
        method.as_bytes().to_vec(),
        path.as_bytes().to_vec(),
        body.to_vec(),
    );
    let part = flip_at.part % 8;
    let target: &mut Vec<u8> = match part {
        0 => &mut body_b,
        1 => &mut path_b,
        2 => &mut method_b,
        n => {
            let name = names[usize::from(n) - 3];
            let value = &mut headers.iter_mut().find(|(k, _)| *k == name).unwrap().1;
            let Some(changed) = flip(value.as_bytes(), flip_at.position, flip_at.xor) else {
                return;
            };
            // Hex digits read either case: a case flip changes nothing that was signed.
            if name == HEADER_SIGNATURE && is_case_flip(value.as_bytes(), &changed) {
                return;
            }
            let Ok(changed) = String::from_utf8(changed) else {
                return;
            };
            *value = changed;
            assert!(
                check(&headers, method, path, body).is_err(),
                "a changed {name} verified"
            );
            return;
        }
    };
    let Some(changed) = flip(target, flip_at.position, flip_at.xor) else {
        return;
    };
    // The method is signed upper-cased: a case flip there changes nothing that was signed.
    if part == 2 && is_case_flip(target, &changed) {
        return;
    }
    *target = changed;
    let (Ok(method), Ok(path)) = (String::from_utf8(method_b), String::from_utf8(path_b)) else {
        return;
    };
    assert!(
        check(&headers, &method, &path, &body_b).is_err(),
        "a changed body, path or method verified"
    );
});
