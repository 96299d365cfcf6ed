//! The D1 migrations (`migrations/`), in the order `wrangler d1 migrations apply` runs them:
//! the one list native tests apply to an in-memory D1. A test keeps it equal to the folder.

/// `(file name, SQL)`, in order.
pub const ALL: [(&str, &str); 11] = [
    (
        "0001_incident_index.sql",
        include_str!("../../migrations/0001_incident_index.sql"),
    ),
    (
        "0002_tenant_config.sql",
        include_str!("../../migrations/0002_tenant_config.sql"),
    ),
    (
        "0003_status_page.sql",
        include_str!("../../migrations/0003_status_page.sql"),
    ),
    (
        "0004_slack.sql",
        include_str!("../../migrations/0004_slack.sql"),
    ),
    (
        "0005_admin.sql",
        include_str!("../../migrations/0005_admin.sql"),
    ),
    (
        "0006_analysis.sql",
        include_str!("../../migrations/0006_analysis.sql"),
    ),
    (
        "0007_ai_usage.sql",
        include_str!("../../migrations/0007_ai_usage.sql"),
    ),
    (
        "0008_slack_channel_claims.sql",
        include_str!("../../migrations/0008_slack_channel_claims.sql"),
    ),
    (
        "0009_incident_list_keyset.sql",
        include_str!("../../migrations/0009_incident_list_keyset.sql"),
    ),
    (
        "0010_status_page_updated_at.sql",
        include_str!("../../migrations/0010_status_page_updated_at.sql"),
    ),
    (
        "0011_slack_installation_state.sql",
        include_str!("../../migrations/0011_slack_installation_state.sql"),
    ),
];

/// An in-memory D1 with every migration applied, for this crate's tests.
#[cfg(test)]
pub(crate) fn migrated() -> sluice::native::SqliteDatabase {
    let db = sluice::native::SqliteDatabase::in_memory();
    for (name, sql) in ALL {
        db.apply(sql)
            .unwrap_or_else(|e| panic!("migration {name}: {e}"));
    }
    db
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_is_the_migrations_folder() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = super::ALL.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            files, listed,
            "add the new migration to adapters/src/migrations.rs"
        );
    }
}
