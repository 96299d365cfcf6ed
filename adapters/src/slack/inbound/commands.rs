//! Slash commands (`POST /slack/commands`, form-encoded): `/incident <title>` declares,
//! `/incident status` answers what the channel's incident is, `/incident help` (or nothing)
//! explains. Answer within 3 s, always 200: errors go back as ephemeral messages.

use crate::slack::inbound::payload::{self, PayloadError};

/// The command the app manifest registers.
pub(crate) const COMMAND: &str = "/incident";

/// The fields incidentd uses (Slack also sends deprecated `token` and `user_name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlashCommand {
    pub command: String,
    /// Everything after the command and its first space.
    pub text: String,
    pub team_id: String,
    pub enterprise_id: Option<String>,
    pub is_enterprise_install: bool,
    pub api_app_id: String,
    pub channel_id: String,
    pub user_id: String,
    pub response_url: String,
    pub trigger_id: String,
}

/// What the body asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandBody {
    Command(Box<SlashCommand>),
    /// Slack checking the URL's certificate (`ssl_check=1`): answer 200, do nothing.
    SslCheck,
}

impl CommandBody {
    pub fn parse_form(body: &[u8]) -> Result<CommandBody, PayloadError> {
        let mut fields = payload::form_fields(body);
        if fields.get("ssl_check").is_some_and(|v| v == "1") {
            return Ok(CommandBody::SslCheck);
        }
        let mut required =
            |name: &'static str| fields.remove(name).ok_or(PayloadError::MissingField(name));
        let command = SlashCommand {
            command: required("command")?,
            text: required("text").unwrap_or_default(),
            team_id: required("team_id")?,
            api_app_id: required("api_app_id").unwrap_or_default(),
            channel_id: required("channel_id")?,
            user_id: required("user_id")?,
            response_url: required("response_url").unwrap_or_default(),
            trigger_id: required("trigger_id").unwrap_or_default(),
            enterprise_id: required("enterprise_id").ok().filter(|e| !e.is_empty()),
            is_enterprise_install: required("is_enterprise_install").is_ok_and(|v| v == "true"),
        };
        Ok(CommandBody::Command(Box::new(command)))
    }
}

/// What `/incident …` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IncidentCommand {
    Declare {
        title: String,
    },
    Status,
    Help,
    /// Another command pointed at this URL.
    Unknown {
        command: String,
    },
}

impl SlashCommand {
    pub fn interpret(&self) -> IncidentCommand {
        if self.command != COMMAND {
            return IncidentCommand::Unknown {
                command: self.command.clone(),
            };
        }
        let text = self.text.trim();
        match text.to_ascii_lowercase().as_str() {
            "" | "help" => IncidentCommand::Help,
            "status" => IncidentCommand::Status,
            _ => IncidentCommand::Declare {
                title: text.to_owned(),
            },
        }
    }
}
