//! Durations (`sluice_policy::Duration::parse`): any text parses or is refused, never a
//! panic; what parses writes back (`to_workflow_string`) to text that parses to the same
//! duration, and every duration round-trips through its text.
#![no_main]

use sluice_policy::Duration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(millis) = data.get(..8) {
        let duration = Duration::from_millis(u64::from_le_bytes(millis.try_into().unwrap()));
        assert_eq!(Duration::parse(&duration.to_string()), Ok(duration));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Duration::parse(text) {
        Ok(duration) => assert_eq!(
            Duration::parse(&duration.to_workflow_string()),
            Ok(duration)
        ),
        Err(e) => assert_eq!(e.input, text),
    }
});
