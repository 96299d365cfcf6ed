//! `POST /slack/commands` once the signature holds (`slack::command_receiver::handle_command`):
//! any form body, on the native pipeline with a connected workspace, is answered (200, an
//! ephemeral message unless an ssl check) or refused as a bad payload (400), never a panic.
#![no_main]

use incidentd_adapters::slack::inbound::command_receiver::{handle_command, CommandOutcome};
use incidentd_fuzz::slack_host::{expect_no_transient, with_host, NOW_MS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    with_host(|host| {
        let body = host.substitute(data);
        let result = pollster::block_on(handle_command(
            host.pipeline.db.as_ref(),
            host.pipeline.incidents.as_ref(),
            &body,
            NOW_MS,
        ));
        expect_no_transient(&result);
        if let Ok(reply) = &result {
            let ssl_check = reply.outcome == CommandOutcome::SslCheck;
            assert_eq!(reply.body.is_none(), ssl_check, "{reply:?}");
        }
    });
});
