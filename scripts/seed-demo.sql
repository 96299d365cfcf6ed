-- The demo tenant of `scripts/run` (and of the end-to-end tests). Idempotent.
INSERT INTO client (id, name, created_at) VALUES ('demo', 'Demo tenant', 0) ON CONFLICT DO NOTHING;
-- As `PUT /admin/tenants/demo/entry-points/:id` writes them (docs/admin.md).
INSERT INTO entry_point (tenant_id, id, kind, assignee, rotation_id, prompt, is_fallback) VALUES
    ('demo', 'payments-oncall', 'user', 'U-PAYMENTS-ONCALL', NULL, 'Payments, checkout, billing', 0),
    ('demo', 'platform-oncall', 'user', 'U-PLATFORM-ONCALL', NULL, 'Anything else', 1)
    ON CONFLICT DO NOTHING;
INSERT INTO service (tenant_id, id, name, description, prompt) VALUES
    ('demo', 'api', 'Public API', NULL, NULL),
    ('demo', 'checkout', 'Checkout', NULL, NULL),
    ('demo', 'payments', 'Payments', NULL, NULL)
    ON CONFLICT DO NOTHING;
-- Its public status page, /status/demo, showing every service.
INSERT INTO status_page (tenant_id, slug, title) VALUES ('demo', 'demo', 'Demo Status')
    ON CONFLICT DO NOTHING;
UPDATE service SET public = 1 WHERE tenant_id = 'demo';
