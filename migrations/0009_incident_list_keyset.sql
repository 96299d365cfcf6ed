-- Listing pages newest first by (created_at, id) (GET /dashboard/incidents, keyset pagination):
-- this index serves the tenant's rows in exactly that order, ties on created_at included, so a
-- page reads only its own rows and needs no sort. It covers what the one it replaces did.
CREATE INDEX incident_index_tenant_created_id ON incident_index (tenant_id, created_at DESC, id DESC);
DROP INDEX incident_index_tenant_created;
