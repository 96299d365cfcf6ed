-- Tokens the language model used per tenant and UTC day (`AI_DAILY_TOKEN_BUDGET` is checked
-- against it before each call; each call's `usage.total_tokens` is added after it).
CREATE TABLE ai_usage (
    tenant_id TEXT    NOT NULL,
    day       TEXT    NOT NULL, -- UTC, YYYY-MM-DD
    tokens    INTEGER NOT NULL DEFAULT 0 CHECK (tokens >= 0),
    PRIMARY KEY (tenant_id, day)
);
