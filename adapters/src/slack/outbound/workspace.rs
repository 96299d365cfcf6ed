//! A sender's view of the tenant's Slack workspace: its installation from D1 and a Web API
//! client holding the decrypted bot token (which never leaves this value).

use crate::dashboard::INDEX_DATABASE;
use crate::slack::config;
use crate::slack::installation::{self, Disabled, Installation};
use crate::slack::outbound::api::SlackApi;
use sluice::prelude::*;
use sluice::workflow::Services;

pub(crate) struct Workspace {
    pub installation: Installation,
    pub api: SlackApi,
}

/// The tenant's Slack, as a step finds it.
pub(crate) enum Connection {
    /// The tenant never connected a workspace: nothing to do in Slack.
    None,
    /// Slack disabled the installation (uninstalled, token revoked): nothing can be done
    /// there until someone reinstalls the app.
    Disabled(Disabled),
    Active(Box<Workspace>),
}

impl Workspace {
    /// The tenant's Slack connection, with a client when it is active.
    pub(crate) async fn connection(
        services: &dyn Services,
        tenant: &str,
    ) -> Result<Connection, EffectError> {
        let db = services
            .database(INDEX_DATABASE)
            .map_err(|e| EffectError::non_retryable(e.message))?;
        let Some(installation) = installation::any_for_tenant(db.as_ref(), tenant)
            .await
            .map_err(|e| EffectError::retryable(format!("slack installation lookup: {e}")))?
        else {
            return Ok(Connection::None);
        };
        if let Some(disabled) = installation.disabled() {
            return Ok(Connection::Disabled(disabled));
        }
        // A wrong or rotated key is configuration: retrying cannot fix it.
        let key = config::token_key(services)
            .map_err(|e| EffectError::non_retryable(format!("{}: {e}", config::TOKEN_KEY_VAR)))?;
        let token = installation
            .token(&key)
            .map_err(|e| EffectError::non_retryable(format!("slack bot token: {e}")))?;
        let api = SlackApi::new(config::api_url(services), token, services.http());
        Ok(Connection::Active(Box::new(Workspace {
            installation,
            api,
        })))
    }

    /// The tenant's workspace; `None` when the tenant has not connected Slack. A disabled
    /// installation fails at once, for good: retrying cannot reinstall the app, and the
    /// failure (kept as a failed effect, retryable once reinstalled) says what to do.
    pub(crate) async fn of_tenant(
        services: &dyn Services,
        tenant: &str,
    ) -> Result<Option<Workspace>, EffectError> {
        match Workspace::connection(services, tenant).await? {
            Connection::None => Ok(None),
            Connection::Disabled(disabled) => Err(EffectError::non_retryable(disabled.to_string())),
            Connection::Active(workspace) => Ok(Some(*workspace)),
        }
    }
}
