//! Slack request signatures (`incidentd_wire::slack_signing::verify`): arbitrary headers and bodies never
//! panic and are accepted only with the v0 HMAC of the secret inside the window; a freshly
//! signed request verifies, and every single-byte change of the body, the timestamp or the
//! signature is refused.
//!
//! Input (src/text_input.rs): lines `secret`, `timestamp`, `signature`, `now`, `flip`
//! (`<part> <position> <xor>`), then the body.
#![no_main]

use incidentd_fuzz::mutation::{flip, is_case_flip};
use incidentd_fuzz::text_input::{fields, header, int, Flip};
use incidentd_wire::slack_signing::{
    sign, verify, HEADER_SIGNATURE, HEADER_TIMESTAMP, WINDOW_SECS,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 6);
    let secret = Some(f[0]).filter(|s| !s.is_empty());
    let (Some(ts), Some(sig)) = (header(f[1]), header(f[2])) else {
        return;
    };
    let (now, flip_at, body) = (int(f[3]), Flip::parse(f[4]), f[5]);
    let headers = |ts: &'_ str, sig: &'_ str, name: &str| -> Option<String> {
        match name {
            HEADER_TIMESTAMP => Some(ts.to_owned()),
            HEADER_SIGNATURE => Some(sig.to_owned()),
            _ => None,
        }
    };
    let (ts_h, sig_h) = (
        headers(ts, sig, HEADER_TIMESTAMP),
        headers(ts, sig, HEADER_SIGNATURE),
    );
    let lookup = |name: &str| match name {
        HEADER_TIMESTAMP => ts_h.as_deref(),
        HEADER_SIGNATURE => sig_h.as_deref(),
        _ => None,
    };
    if verify(secret, body, lookup, now).is_ok() {
        let timestamp: i64 = ts.trim().parse().unwrap();
        assert!(now.abs_diff(timestamp) <= WINDOW_SECS as u64);
        let expected = sign(secret.unwrap(), timestamp, body);
        assert!(
            sig.trim().eq_ignore_ascii_case(&expected),
            "accepted a signature the secret did not make"
        );
    }

    let Some(secret) = secret else {
        return;
    };
    let check = |body: &[u8], timestamp: &str, signature: &str| {
        let header = |name: &str| match name {
            HEADER_TIMESTAMP => Some(timestamp),
            HEADER_SIGNATURE => Some(signature),
            _ => None,
        };
        verify(Some(secret), body, header, now)
    };
    let (ts_text, sig_text) = (now.to_string(), sign(secret, now, body));
    assert_eq!(
        check(body, &ts_text, &sig_text),
        Ok(()),
        "a freshly signed request was refused"
    );
    let (mut body_b, mut ts_b, mut sig_b) = (
        body.to_vec(),
        ts_text.clone().into_bytes(),
        sig_text.clone().into_bytes(),
    );
    let part = flip_at.part % 3;
    let target = match part {
        0 => &mut body_b,
        1 => &mut ts_b,
        _ => &mut sig_b,
    };
    let Some(changed) = flip(target, flip_at.position, flip_at.xor) else {
        return;
    };
    if part == 2 && is_case_flip(target, &changed) {
        return; // hex digits read either case
    }
    *target = changed;
    let (Ok(ts), Ok(sig)) = (String::from_utf8(ts_b), String::from_utf8(sig_b)) else {
        return;
    };
    assert!(
        check(&body_b, &ts, &sig).is_err(),
        "a single-byte change verified"
    );
});
