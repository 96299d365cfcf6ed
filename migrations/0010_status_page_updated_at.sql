-- When a status page's own content last changed: its slug or title, or the tenant's services
-- it may show. With no incident in its history a page reported 1970 as its `updated_at`
-- (summary.json, the Atom feed); now it reports this. Triggers keep it current whatever writes
-- those rows (the admin API today), in unix milliseconds from SQLite's clock.
ALTER TABLE status_page ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0; -- unix ms

-- Pages that exist already changed, as far as anyone can tell now, when this ran.
UPDATE status_page SET updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER);

CREATE TRIGGER status_page_created AFTER INSERT ON status_page BEGIN
    UPDATE status_page SET updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    WHERE tenant_id = NEW.tenant_id;
END;

CREATE TRIGGER status_page_changed AFTER UPDATE OF slug, title ON status_page BEGIN
    UPDATE status_page SET updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    WHERE tenant_id = NEW.tenant_id;
END;

CREATE TRIGGER status_page_service_added AFTER INSERT ON service BEGIN
    UPDATE status_page SET updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    WHERE tenant_id = NEW.tenant_id;
END;

CREATE TRIGGER status_page_service_changed AFTER UPDATE ON service BEGIN
    UPDATE status_page SET updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    WHERE tenant_id = NEW.tenant_id;
END;

CREATE TRIGGER status_page_service_removed AFTER DELETE ON service BEGIN
    UPDATE status_page SET updated_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    WHERE tenant_id = OLD.tenant_id;
END;
