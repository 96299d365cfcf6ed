-- Slack installations: one workspace per tenant in the `integration` table (platform 'slack',
-- external_id = the team id). The bot token is stored encrypted (AES-256-GCM under the
-- SLACK_TOKEN_KEY secret, `v1:<base64>`, bound to the team id), never in plain text.
ALTER TABLE integration ADD COLUMN enterprise_id TEXT;
ALTER TABLE integration ADD COLUMN app_id TEXT;
ALTER TABLE integration ADD COLUMN bot_user_id TEXT;
ALTER TABLE integration ADD COLUMN bot_token_encrypted TEXT;
ALTER TABLE integration ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE integration ADD COLUMN installed_at INTEGER; -- unix ms
