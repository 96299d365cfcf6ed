//! The admin API's request handling before storage (`admin::requests`, `http::operator`,
//! `slack::inbound::admin`): the operator's bearer token, path ids, and every body parser with its
//! validation (and, for a valid rotation, who is on call). Any input is accepted or refused
//! with a 4xx, never a panic; the token is accepted exactly when it is the configured one.
#![no_main]

use incidentd_adapters::admin::requests::{check_id, parse, Validate};
use incidentd_adapters::admin::rotation::effective_assignee;
use incidentd_adapters::http::operator::verify_operator;
use incidentd_adapters::http::ApiError;
use incidentd_adapters::slack::inbound::admin::parse_connect;
use incidentd_wire::admin::{
    AddOverride, CreateTenant, PutEntryPoint, PutRotation, PutService, PutStatusPage, RotateSecret,
};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    route: u8,
    authorization: Option<String>,
    token: Option<String>,
    path_id: String,
    /// Seconds after 2000-01-01 at which a valid rotation is asked who is on call.
    at_secs: u32,
    body: Vec<u8>,
}

fn refused_cleanly(e: &ApiError) {
    assert!(
        (400..500).contains(&e.status),
        "answered {}: {e:?}",
        e.status
    );
}

fn body(route: u8, body: &[u8], at_secs: u32) -> Result<(), ApiError> {
    match route % 8 {
        0 => parse::<CreateTenant>(body)?.validate().map(drop),
        1 => parse::<RotateSecret>(body)?.validate().map(drop),
        2 => parse::<PutStatusPage>(body)?.validate().map(drop),
        3 => parse::<PutService>(body)?.validate().map(drop),
        4 => {
            let rotation = parse::<PutRotation>(body)?.validate()?;
            let at = chrono::DateTime::from_timestamp(946_684_800 + i64::from(at_secs), 0)
                .expect("in range");
            let on_call = effective_assignee(&rotation, at);
            assert!(on_call.is_none_or(|m| rotation.members.iter().any(|x| x == m)));
            Ok(())
        }
        5 => parse::<AddOverride>(body)?.validate().map(drop),
        6 => parse::<PutEntryPoint>(body)?.validate().map(drop),
        _ => {
            // `POST /admin/slack/installations`: 400 when not the JSON, 422 when invalid.
            let request = parse_connect(body)
                .map_err(|e| ApiError::new(400, "INVALID_JSON", e.to_string()))?;
            request
                .validate()
                .map_err(|e| ApiError::new(422, "INVALID_INPUT", e))
        }
    }
}

fuzz_target!(|input: Input| {
    let auth = verify_operator(input.authorization.as_deref(), input.token.as_deref());
    let configured = input.token.as_deref().filter(|t| !t.is_empty());
    let presented = input
        .authorization
        .as_deref()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    match (configured, &auth) {
        (None, Err(e)) => assert_eq!(e.status, 503),
        (None, Ok(())) => panic!("accepted without a configured token"),
        (Some(token), Ok(())) => assert_eq!(presented, Some(token)),
        (Some(token), Err(e)) => {
            assert_eq!(e.status, 401);
            assert_ne!(presented, Some(token), "the configured token was refused");
        }
    }
    if let Err(e) = check_id("tenant", &input.path_id) {
        refused_cleanly(&e);
    }
    if let Err(e) = body(input.route, &input.body, input.at_secs) {
        refused_cleanly(&e);
    }
});
