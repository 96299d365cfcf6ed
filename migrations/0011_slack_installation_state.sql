-- Slack installations Slack itself disabled: `app_uninstalled` or `tokens_revoked` (Events API)
-- deletes the stored bot token and records why and when here; the row (and its settings) stays,
-- so the tenant's workspace is shown as disabled and a reinstall (OAuth or the operator route)
-- restores it, clearing both columns.
ALTER TABLE integration ADD COLUMN disabled_at INTEGER; -- unix ms
ALTER TABLE integration ADD COLUMN disabled_reason TEXT CHECK (disabled_reason IN ('app_uninstalled', 'tokens_revoked'));

-- Archiving an incident's channel on close is now the default. The operator route used to write
-- `"archive_on_close": false` whenever the flag was left out, so a stored `false` is the old
-- default, not a choice: it is dropped, and those workspaces archive too. Opting out from now on
-- stores `false` again (`incidentctl admin slack settings --no-archive-on-close`).
UPDATE integration SET data = json_remove(data, '$.archive_on_close')
    WHERE platform = 'slack' AND json_extract(data, '$.archive_on_close') = 0;
