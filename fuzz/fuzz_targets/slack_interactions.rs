//! `POST /slack/interactions` once the signature holds
//! (`slack::interaction_receiver::handle_interaction`): any form body, on the native pipeline
//! with a connected workspace and a live incident, is handled (200) or refused as a bad
//! payload (400), never a panic or a transient failure (500).
#![no_main]

use incidentd_adapters::slack::inbound::tenant_access::SlackAccess;
use incidentd_adapters::slack::inbound::interaction_receiver::handle_interaction;
use incidentd_fuzz::slack_host::{expect_no_transient, with_host, NOW_MS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    with_host(|host| {
        let body = host.substitute(data);
        let slack = SlackAccess::from_services(host.pipeline.services.as_ref());
        let result = pollster::block_on(handle_interaction(
            host.pipeline.db.as_ref(),
            host.pipeline.incidents.as_ref(),
            &slack,
            &body,
            NOW_MS,
        ));
        expect_no_transient(&result);
        if let Ok(reply) = &result {
            assert!(!reply.outcomes.is_empty(), "an interaction with no outcome");
        }
    });
});
