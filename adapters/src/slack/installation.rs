//! Slack installations in D1: one workspace per tenant, a row of the `integration` table
//! (platform `slack`, `external_id` = team id; columns from migration 0004). The bot token is
//! kept encrypted with the team id as associated data, and an [`Installation`] hands it out
//! only decrypted on request, as a [`Secret`]. Per-installation settings (`archive_on_close`)
//! live in the row's `data` JSON.

use super::classify::BotIdentity;
use super::secret::Secret;
use super::token_crypto::{TokenCryptoError, TokenKey};
use incidentd_runtime::sql::{decode_rows, Database, SqlError, SqlErrorKind};
use serde::Deserialize;
use std::fmt;

/// A stored workspace connection. No `Serialize`: it holds the (encrypted) token.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Installation {
    pub tenant_id: String,
    pub team_id: String,
    pub enterprise_id: Option<String>,
    pub app_id: Option<String>,
    pub bot_user_id: String,
    pub scopes: String,
    bot_token_encrypted: String,
    /// The row's `data` JSON (settings).
    #[serde(default)]
    data: String,
}

/// What the row's `data` JSON holds; absent keys are off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
struct Settings {
    #[serde(default)]
    archive_on_close: bool,
}

impl Installation {
    /// Whether the incident channel is archived once the incident closes (default off).
    pub fn archive_on_close(&self) -> bool {
        serde_json::from_str::<Settings>(&self.data)
            .unwrap_or_default()
            .archive_on_close
    }

    /// Who the bot is, so the receiver ignores its own messages.
    pub fn bot(&self) -> BotIdentity {
        BotIdentity {
            user_id: self.bot_user_id.clone(),
            bot_id: None,
        }
    }

    /// The bot token, decrypted.
    pub fn token(&self, key: &TokenKey) -> Result<Secret, TokenCryptoError> {
        key.decrypt(&self.bot_token_encrypted, &self.team_id)
    }
}

/// What an operator (or the OAuth callback) connects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInstallation {
    pub tenant_id: String,
    pub team_id: String,
    pub enterprise_id: Option<String>,
    pub app_id: Option<String>,
    pub bot_user_id: String,
    pub scopes: String,
    pub token: Secret,
    /// `Some` sets the setting; `None` keeps the stored one (off for a new row): a reinstall
    /// through OAuth must not undo what the operator chose.
    pub archive_on_close: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The workspace is connected to another tenant.
    TeamTaken,
    Crypto(TokenCryptoError),
    Sql(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::TeamTaken => f.write_str("this workspace is connected to another tenant"),
            StoreError::Crypto(e) => write!(f, "bot token: {e}"),
            StoreError::Sql(e) => write!(f, "storing the installation: {e}"),
        }
    }
}

const COLUMNS: &str = "tenant_id, external_id AS team_id, enterprise_id, app_id, bot_user_id, \
     scopes, bot_token_encrypted, data";

/// Connects (or reconnects) the tenant's workspace, encrypting the token under `key`.
pub async fn store(
    db: &dyn Database,
    key: &TokenKey,
    new: &NewInstallation,
    now_ms: i64,
) -> Result<(), StoreError> {
    let encrypted = key
        .encrypt(&new.token, &new.team_id)
        .map_err(StoreError::Crypto)?;
    // The settings given, as a patch over the stored ones (`{}` keeps them all).
    let settings = match new.archive_on_close {
        Some(on) => serde_json::json!({ "archive_on_close": on }),
        None => serde_json::json!({}),
    };
    db.execute(
        "INSERT INTO integration (tenant_id, platform, external_id, enterprise_id, app_id, \
             bot_user_id, bot_token_encrypted, scopes, installed_at, data) \
         VALUES (?, 'slack', ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (tenant_id, platform) DO UPDATE SET external_id = excluded.external_id, \
             enterprise_id = excluded.enterprise_id, app_id = excluded.app_id, \
             bot_user_id = excluded.bot_user_id, bot_token_encrypted = excluded.bot_token_encrypted, \
             scopes = excluded.scopes, installed_at = excluded.installed_at, \
             data = json_patch(integration.data, excluded.data)",
        vec![
            new.tenant_id.as_str().into(),
            new.team_id.as_str().into(),
            new.enterprise_id.clone().into(),
            new.app_id.clone().into(),
            new.bot_user_id.as_str().into(),
            encrypted.into(),
            new.scopes.as_str().into(),
            now_ms.into(),
            settings.to_string().into(),
        ],
    )
    .await
    .map_err(|e| match e.kind {
        // UNIQUE (platform, external_id): another tenant holds the team.
        SqlErrorKind::Constraint => StoreError::TeamTaken,
        _ => StoreError::Sql(e.message),
    })
}

async fn one(
    db: &dyn Database,
    filter: &str,
    value: &str,
) -> Result<Option<Installation>, SqlError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM integration WHERE platform = 'slack' \
         AND bot_token_encrypted IS NOT NULL AND {filter} = ? LIMIT 1"
    );
    let rows = db.query(&sql, vec![value.into()]).await?;
    Ok(decode_rows(rows)?.into_iter().next())
}

/// The installation of the workspace `team_id` (the receiver's tenant lookup).
pub async fn by_team(db: &dyn Database, team_id: &str) -> Result<Option<Installation>, SqlError> {
    one(db, "external_id", team_id).await
}

/// The tenant's installation (the sender's).
pub async fn for_tenant(
    db: &dyn Database,
    tenant_id: &str,
) -> Result<Option<Installation>, SqlError> {
    one(db, "tenant_id", tenant_id).await
}

/// Whether the tenant exists (connecting a workspace to a typo would strand it).
pub async fn tenant_exists(db: &dyn Database, tenant_id: &str) -> Result<bool, SqlError> {
    let rows = db
        .query(
            "SELECT 1 AS found FROM client WHERE id = ?",
            vec![tenant_id.into()],
        )
        .await?;
    Ok(!rows.is_empty())
}
