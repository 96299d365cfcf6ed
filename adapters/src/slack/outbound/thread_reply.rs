//! The agent's answer to a prompt made in Slack goes in the thread of that prompt. Prompts from
//! Slack carry `prompt_id` = `<channel>:<ts>` of the mention, and the prompt workflow records
//! its answer as a message with id `agent:<prompt_id>`; this module reads the place back from
//! that id. Any other id (a dashboard prompt's) gives no thread, and the answer goes to the
//! incident channel like every other message.

use crate::slack::outbound::blocks::{escape, part, SlackPost};
use crate::slack::outbound::metadata::PostedFor;
use crate::slack::outbound::posting::Place;
use serde_json::{json, Value};

/// Slack's limit on a section block's text.
const SECTION_CHARS: usize = 3000;

/// The `(channel, ts)` of the mention an agent message answers, when its id says so.
pub(crate) fn prompt_of(message_id: &str) -> Option<(&str, &str)> {
    let (channel, ts) = message_id.strip_prefix("agent:")?.split_once(':')?;
    let is_channel = channel.len() >= 2
        && channel.starts_with(['C', 'G', 'D'])
        && channel
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let is_ts = ts.split_once('.').is_some_and(|(secs, micros)| {
        [secs, micros]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    });
    (is_channel && is_ts).then_some((channel, ts))
}

/// The thread to answer in: only in one of the incident's own conversations (`own`), so a
/// prompt id cannot make the bot post elsewhere in the workspace.
pub(crate) fn place<'a>(message_id: &'a str, own: &[&str]) -> Option<Place<'a>> {
    let (channel, ts) = prompt_of(message_id)?;
    own.contains(&channel).then_some(Place::thread(channel, ts))
}

/// The answer as the bot's own message, in section blocks of at most Slack's size.
pub(crate) fn post(incident_id: &str, event_id: i64, answer: &str) -> SlackPost {
    SlackPost {
        text: escape(answer),
        blocks: sections(answer),
        posted_for: PostedFor::new(incident_id, event_id, part::AGENT_REPLY),
    }
}

fn sections(text: &str) -> Vec<Value> {
    let mut chunks = vec![String::new()];
    for c in text.chars() {
        let escaped = escape(c.encode_utf8(&mut [0; 4]));
        let current = chunks.last_mut().expect("one chunk at least");
        if current.chars().count() + escaped.chars().count() > SECTION_CHARS {
            chunks.push(escaped);
        } else {
            current.push_str(&escaped);
        }
    }
    chunks
        .into_iter()
        .filter(|chunk| !chunk.trim().is_empty())
        .map(|chunk| json!({ "type": "section", "text": { "type": "mrkdwn", "text": chunk } }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slack_prompts_answer_parses_to_the_mentions_channel_and_ts() {
        assert_eq!(
            prompt_of("agent:C0INCIDENT:1790000000.000123"),
            Some(("C0INCIDENT", "1790000000.000123"))
        );
        assert_eq!(prompt_of("agent:G01:1.2"), Some(("G01", "1.2")));
    }

    #[test]
    fn other_ids_do_not_parse() {
        for id in [
            "agent:p-1",
            "agent:cli-1790000000-42",
            "agent:C01:",
            "agent:C01:1790000000",
            "agent:C01:1.2.3",
            "agent:c01:1.2",
            "agent:U01:1.2",
            "agent::1.2",
            "C01:1.2",
            "dashboard:C01:1.2",
            "agent:C01:1.2x",
        ] {
            assert_eq!(prompt_of(id), None, "{id}");
        }
    }

    #[test]
    fn the_thread_is_used_only_in_the_incidents_own_conversations() {
        let own = ["C0INC", "C0GENERAL"];
        let place = place("agent:C0GENERAL:1.5", &own).expect("a thread");
        assert_eq!((place.channel, place.thread_ts), ("C0GENERAL", Some("1.5")));
        assert!(super::place("agent:C0ELSEWHERE:1.5", &own).is_none());
        assert!(
            super::place("agent:p-7", &own).is_none(),
            "falls back to the channel"
        );
    }

    #[test]
    fn long_answers_are_split_into_sections_and_escaped() {
        let answer = format!("{}<@U1>", "a".repeat(SECTION_CHARS));
        let post = post("inc-1", 9, &answer);
        assert_eq!(post.blocks.len(), 2);
        assert_eq!(post.blocks[1]["text"]["text"], "&lt;@U1&gt;");
        assert!(!post.text.contains("<@"));
        assert_eq!(
            post.posted_for,
            PostedFor::new("inc-1", 9, part::AGENT_REPLY)
        );
    }
}
