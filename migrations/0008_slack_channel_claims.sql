-- Incident channel names claimed per Slack workspace. Creating a channel is not idempotent and
-- its answer can be lost; a claim says which incident may create (and, after `name_taken`, look
-- up and adopt) the readable name, so a retry finds its own channel and two incidents with the
-- same title on the same day never share one. Written before `conversations.create`.
CREATE TABLE slack_channel_claim (
    team_id     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    incident_id TEXT    NOT NULL,
    claimed_at  INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (team_id, name)
);
