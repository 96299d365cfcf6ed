//! Slack installations in D1: one workspace per tenant, a row of the `integration` table
//! (platform `slack`, `external_id` = team id; columns from migrations 0004 and 0011). The bot
//! token is kept encrypted with the team id as associated data, and an [`Installation`] hands
//! it out only decrypted on request, as a [`Secret`]. Per-installation settings
//! ([`Settings`]: archiving on close, the announcement channel) live in the row's `data` JSON.
//!
//! When Slack says the app was uninstalled or its bot token revoked, the token is deleted and
//! the row marked disabled ([`disable`]): the tenant keeps its settings and sees why Slack
//! stopped ([`Installation::disabled`]); storing the workspace again (a reinstall) restores it.

use crate::slack::inbound::classify::BotIdentity;
use crate::slack::token_crypto::{TokenCryptoError, TokenKey};
use incidentd_wire::secret::Secret;
use serde::{Deserialize, Serialize};
use sluice::sql::{decode_rows, Database, SqlError, SqlErrorKind};
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
    /// `None` once Slack disabled the installation.
    bot_token_encrypted: Option<String>,
    /// The row's `data` JSON (settings).
    #[serde(default)]
    data: String,
    /// Unix ms of the last install (or reinstall).
    #[serde(default)]
    pub installed_at: Option<i64>,
    #[serde(default)]
    disabled_at: Option<i64>,
    #[serde(default)]
    disabled_reason: Option<String>,
}

/// An installation's settings, as the sender reads them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Archive each incident's channel once the incident closes (default on).
    #[serde(default = "archive_by_default")]
    pub archive_on_close: bool,
    /// Where a high-severity incident is announced beyond its own channel (`C…`).
    #[serde(default)]
    pub announcement_channel: Option<String>,
}

fn archive_by_default() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            archive_on_close: archive_by_default(),
            announcement_channel: None,
        }
    }
}

/// A change to the settings: each `None` keeps the stored value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    pub archive_on_close: Option<bool>,
    /// `Some(None)` clears the announcement channel.
    pub announcement_channel: Option<Option<String>>,
}

impl SettingsPatch {
    /// A JSON merge patch (RFC 7396, what SQLite's `json_patch` applies): `null` removes a key,
    /// which for the announcement channel means "none".
    fn merge_patch(&self) -> serde_json::Value {
        let mut patch = serde_json::Map::new();
        if let Some(on) = self.archive_on_close {
            patch.insert("archive_on_close".into(), on.into());
        }
        if let Some(channel) = &self.announcement_channel {
            patch.insert("announcement_channel".into(), channel.clone().into());
        }
        serde_json::Value::Object(patch)
    }
}

/// Why Slack stopped taking incidentd's calls for a workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisabledReason {
    /// `app_uninstalled`: the app was removed from the workspace.
    AppUninstalled,
    /// `tokens_revoked` naming the bot: its token no longer works.
    TokensRevoked,
}

impl DisabledReason {
    /// The Events API name, which is also what the row stores.
    pub fn as_str(self) -> &'static str {
        match self {
            DisabledReason::AppUninstalled => "app_uninstalled",
            DisabledReason::TokensRevoked => "tokens_revoked",
        }
    }

    fn parse(stored: &str) -> Option<DisabledReason> {
        match stored {
            "app_uninstalled" => Some(DisabledReason::AppUninstalled),
            "tokens_revoked" => Some(DisabledReason::TokensRevoked),
            _ => None,
        }
    }
}

/// A disabled installation: why, and since when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disabled {
    pub tenant_id: String,
    pub team_id: String,
    pub reason: DisabledReason,
    pub at_ms: Option<i64>,
}

impl fmt::Display for Disabled {
    /// What a person reads where a Slack step failed: what happened and what to do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.reason {
            DisabledReason::AppUninstalled => {
                format!(
                    "the Slack app was uninstalled from workspace {}",
                    self.team_id
                )
            }
            DisabledReason::TokensRevoked => {
                format!(
                    "the Slack bot token of workspace {} was revoked",
                    self.team_id
                )
            }
        };
        write!(
            f,
            "{what}: reinstall the app (incidentctl admin slack install-link --tenant {}), then retry this effect",
            self.tenant_id
        )
    }
}

impl Installation {
    /// The settings; keys absent from the row take their defaults.
    pub fn settings(&self) -> Settings {
        serde_json::from_str(&self.data).unwrap_or_default()
    }

    /// Whether the incident channel is archived once the incident closes (default on).
    pub fn archive_on_close(&self) -> bool {
        self.settings().archive_on_close
    }

    /// The channel high-severity incidents are announced in, when the tenant has one.
    pub fn announcement_channel(&self) -> Option<String> {
        self.settings().announcement_channel
    }

    /// `Some` when Slack disabled this installation (no token is stored any more).
    pub fn disabled(&self) -> Option<Disabled> {
        let reason = match (&self.bot_token_encrypted, self.disabled_reason.as_deref()) {
            (Some(_), _) => return None,
            (None, stored) => stored
                .and_then(DisabledReason::parse)
                .unwrap_or(DisabledReason::TokensRevoked),
        };
        Some(Disabled {
            tenant_id: self.tenant_id.clone(),
            team_id: self.team_id.clone(),
            reason,
            at_ms: self.disabled_at,
        })
    }

    /// Who the bot is, so the receiver ignores its own messages.
    pub fn bot(&self) -> BotIdentity {
        BotIdentity {
            user_id: self.bot_user_id.clone(),
            bot_id: None,
        }
    }

    /// The bot token, decrypted; [`TokenCryptoError::NoToken`] once Slack disabled the
    /// installation.
    pub fn token(&self, key: &TokenKey) -> Result<Secret, TokenCryptoError> {
        let stored = self
            .bot_token_encrypted
            .as_deref()
            .ok_or(TokenCryptoError::NoToken)?;
        key.decrypt(stored, &self.team_id)
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
    /// Applied over the stored settings (the defaults for a new row): a reinstall through
    /// OAuth passes none, so it never undoes what the operator chose.
    pub settings: SettingsPatch,
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
     scopes, bot_token_encrypted, data, installed_at, disabled_at, disabled_reason";

/// Connects (or reconnects) the tenant's workspace, encrypting the token under `key`. A
/// disabled installation is enabled again.
pub async fn store(
    db: &dyn Database,
    key: &TokenKey,
    new: &NewInstallation,
    now_ms: i64,
) -> Result<(), StoreError> {
    let encrypted = key
        .encrypt(&new.token, &new.team_id)
        .map_err(StoreError::Crypto)?;
    db.execute(
        "INSERT INTO integration (tenant_id, platform, external_id, enterprise_id, app_id, \
             bot_user_id, bot_token_encrypted, scopes, installed_at, data) \
         VALUES (?, 'slack', ?, ?, ?, ?, ?, ?, ?, json_patch('{}', ?)) \
         ON CONFLICT (tenant_id, platform) DO UPDATE SET external_id = excluded.external_id, \
             enterprise_id = excluded.enterprise_id, app_id = excluded.app_id, \
             bot_user_id = excluded.bot_user_id, bot_token_encrypted = excluded.bot_token_encrypted, \
             scopes = excluded.scopes, installed_at = excluded.installed_at, \
             data = json_patch(integration.data, ?), disabled_at = NULL, disabled_reason = NULL",
        vec![
            new.tenant_id.as_str().into(),
            new.team_id.as_str().into(),
            new.enterprise_id.clone().into(),
            new.app_id.clone().into(),
            new.bot_user_id.as_str().into(),
            encrypted.into(),
            new.scopes.as_str().into(),
            now_ms.into(),
            new.settings.merge_patch().to_string().into(),
            new.settings.merge_patch().to_string().into(),
        ],
    )
    .await
    .map_err(|e| match e.kind {
        // UNIQUE (platform, external_id): another tenant holds the team.
        SqlErrorKind::Constraint => StoreError::TeamTaken,
        _ => StoreError::Sql(e.message),
    })
}

/// Changes the tenant's settings; the installation as it is now, `None` when the tenant has
/// none. Works on a disabled installation too (its settings are kept for the reinstall).
pub async fn update_settings(
    db: &dyn Database,
    tenant_id: &str,
    patch: &SettingsPatch,
) -> Result<Option<Installation>, SqlError> {
    db.execute(
        "UPDATE integration SET data = json_patch(data, ?) \
         WHERE platform = 'slack' AND tenant_id = ?",
        vec![patch.merge_patch().to_string().into(), tenant_id.into()],
    )
    .await?;
    any_for_tenant(db, tenant_id).await
}

/// Marks the workspace `team_id` disabled and deletes its token, unless the current
/// installation is newer than Slack's event (`event_time_secs`): a late retry of an uninstall
/// must not disable the reinstall that followed it. Answers the installation it disabled, or
/// `None` when there was nothing to disable.
pub async fn disable(
    db: &dyn Database,
    team_id: &str,
    reason: DisabledReason,
    event_time_secs: i64,
    now_ms: i64,
) -> Result<Option<Installation>, SqlError> {
    let rows = db
        .query(
            "UPDATE integration SET bot_token_encrypted = NULL, disabled_at = ?, \
                 disabled_reason = ? \
             WHERE platform = 'slack' AND external_id = ? AND bot_token_encrypted IS NOT NULL \
                 AND (installed_at IS NULL OR installed_at < ?) \
             RETURNING tenant_id",
            vec![
                now_ms.into(),
                reason.as_str().into(),
                team_id.into(),
                // Slack's event time is in whole seconds: an install within that second is
                // taken as older (the event cannot tell them apart).
                event_time_secs
                    .saturating_add(1)
                    .saturating_mul(1_000)
                    .into(),
            ],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    one(db, "external_id", team_id, false).await
}

async fn one(
    db: &dyn Database,
    filter: &str,
    value: &str,
    active_only: bool,
) -> Result<Option<Installation>, SqlError> {
    let active = if active_only {
        "AND bot_token_encrypted IS NOT NULL"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM integration WHERE platform = 'slack' {active} AND {filter} = ? \
         LIMIT 1"
    );
    let rows = db.query(&sql, vec![value.into()]).await?;
    Ok(decode_rows(rows)?.into_iter().next())
}

/// The active installation of the workspace `team_id` (the receivers' tenant lookup): a
/// disabled workspace is not connected as far as Slack's requests go.
pub async fn by_team(db: &dyn Database, team_id: &str) -> Result<Option<Installation>, SqlError> {
    one(db, "external_id", team_id, true).await
}

/// The tenant's active installation.
pub async fn for_tenant(
    db: &dyn Database,
    tenant_id: &str,
) -> Result<Option<Installation>, SqlError> {
    one(db, "tenant_id", tenant_id, true).await
}

/// The tenant's installation, disabled or not (the sender's, which tells the two apart).
pub async fn any_for_tenant(
    db: &dyn Database,
    tenant_id: &str,
) -> Result<Option<Installation>, SqlError> {
    one(db, "tenant_id", tenant_id, false).await
}

/// Every installation, disabled ones included, by tenant.
pub async fn list(db: &dyn Database) -> Result<Vec<Installation>, SqlError> {
    let sql =
        format!("SELECT {COLUMNS} FROM integration WHERE platform = 'slack' ORDER BY tenant_id");
    decode_rows(db.query(&sql, Vec::new()).await?)
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
