-- The demo tenant of `scripts/run` (and of the end-to-end tests). Idempotent.
INSERT INTO client (id, name, created_at) VALUES ('demo', 'Demo tenant', 0) ON CONFLICT DO NOTHING;
INSERT INTO entry_point (tenant_id, id, assignee, prompt, is_fallback) VALUES
    ('demo', 'payments-oncall', 'U-PAYMENTS-ONCALL', 'Payments, checkout, billing', 0),
    ('demo', 'platform-oncall', 'U-PLATFORM-ONCALL', 'Anything else', 1)
    ON CONFLICT DO NOTHING;
INSERT INTO service (tenant_id, id, name, prompt) VALUES
    ('demo', 'api', 'Public API', NULL),
    ('demo', 'checkout', 'Checkout', NULL),
    ('demo', 'payments', 'Payments', NULL)
    ON CONFLICT DO NOTHING;
-- Its public status page, /status/demo, showing every service.
INSERT INTO status_page (tenant_id, slug, title) VALUES ('demo', 'demo', 'Demo Status')
    ON CONFLICT DO NOTHING;
UPDATE service SET public = 1 WHERE tenant_id = 'demo';
