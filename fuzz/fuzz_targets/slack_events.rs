//! `POST /slack/events` once the signature holds (`slack::receiver::handle_events`): any body,
//! on the native pipeline with a connected workspace and a live incident, is handled (200)
//! or refused as a bad payload (400), never a panic or a transient failure (500, which Slack
//! would retry forever).
#![no_main]

use incidentd_adapters::slack::inbound::event_receiver::handle_events;
use incidentd_fuzz::slack_host::{expect_no_transient, with_host, NOW_MS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    with_host(|host| {
        let body = host.substitute(data);
        let result = pollster::block_on(handle_events(
            host.pipeline.db.as_ref(),
            host.pipeline.incidents.as_ref(),
            &body,
            NOW_MS,
        ));
        expect_no_transient(&result);
    });
});
