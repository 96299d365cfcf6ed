//! A sender's view of the tenant's Slack workspace: its installation from D1 and a Web API
//! client holding the decrypted bot token (which never leaves this value).

use super::api::SlackApi;
use super::config;
use super::installation::{self, Installation};
use crate::dashboard::INDEX_DATABASE;
use incidentd_runtime::prelude::*;
use incidentd_runtime::workflow::Services;

pub struct Workspace {
    pub installation: Installation,
    pub api: SlackApi,
}

impl Workspace {
    /// The tenant's workspace; `None` when the tenant has not connected Slack.
    pub async fn of_tenant(
        services: &dyn Services,
        tenant: &str,
    ) -> Result<Option<Workspace>, EffectError> {
        let db = services
            .database(INDEX_DATABASE)
            .map_err(|e| EffectError::non_retryable(e.message))?;
        let Some(installation) = installation::for_tenant(db.as_ref(), tenant)
            .await
            .map_err(|e| EffectError::retryable(format!("slack installation lookup: {e}")))?
        else {
            return Ok(None);
        };
        // A wrong or rotated key is configuration: retrying cannot fix it.
        let key = config::token_key(services)
            .map_err(|e| EffectError::non_retryable(format!("{}: {e}", config::TOKEN_KEY_VAR)))?;
        let token = installation
            .token(&key)
            .map_err(|e| EffectError::non_retryable(format!("slack bot token: {e}")))?;
        let api = SlackApi::new(config::api_url(services), token, services.http());
        Ok(Some(Workspace { installation, api }))
    }
}
