//! Claims of readable channel names (`slack_channel_claim`, migration 0008): the first incident
//! to claim a name in a workspace is the only one that may create it, or adopt it after a lost
//! answer. One insert that keeps an existing claim, then one read of who holds it, so
//! concurrent claimants agree on a single winner and a retry finds its own claim.

use sluice::sql::{Database, SqlError};

/// Claims `name` in Slack workspace `team_id` for `incident_id`; whether the incident holds it
/// (now or from an earlier attempt).
pub(crate) async fn claim(
    db: &dyn Database,
    team_id: &str,
    name: &str,
    incident_id: &str,
) -> Result<bool, SqlError> {
    db.execute(
        "INSERT INTO slack_channel_claim (team_id, name, incident_id, claimed_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (team_id, name) DO NOTHING",
        vec![
            team_id.into(),
            name.into(),
            incident_id.into(),
            sluice::clock::now_ms().into(),
        ],
    )
    .await?;
    let rows = db
        .query(
            "SELECT incident_id FROM slack_channel_claim WHERE team_id = ? AND name = ?",
            vec![team_id.into(), name.into()],
        )
        .await?;
    Ok(rows
        .first()
        .and_then(|r| r.get("incident_id"))
        .and_then(|v| v.as_str())
        == Some(incident_id))
}

/// The name `incident_id` claimed first in workspace `team_id`, if any: a retry names the
/// channel as the first attempt did, even if the incident's title changed in between (a retry
/// of the declaration carries the title as declared, the first attempt carried triage's).
pub(crate) async fn earlier_claim(
    db: &dyn Database,
    team_id: &str,
    incident_id: &str,
) -> Result<Option<String>, SqlError> {
    let rows = db
        .query(
            "SELECT name FROM slack_channel_claim WHERE team_id = ? AND incident_id = ? \
             ORDER BY claimed_at, name LIMIT 1",
            vec![team_id.into(), incident_id.into()],
        )
        .await?;
    Ok(rows
        .first()
        .and_then(|r| r.get("name"))
        .and_then(|v| v.as_str())
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pollster::block_on;

    #[test]
    fn the_first_claimant_holds_a_name_and_finds_it_again() {
        let db = crate::migrations::migrated();
        let claim = |team, name, incident| block_on(claim(&db, team, name, incident)).unwrap();
        assert!(claim("T1", "inc-20261128-checkout", "inc-a"));
        assert!(!claim("T1", "inc-20261128-checkout", "inc-b"));
        assert!(claim("T1", "inc-20261128-checkout", "inc-a"), "a retry");
        assert!(
            claim("T2", "inc-20261128-checkout", "inc-b"),
            "names are per workspace"
        );
        let earlier = |team, incident| block_on(earlier_claim(&db, team, incident)).unwrap();
        assert_eq!(
            earlier("T1", "inc-a").as_deref(),
            Some("inc-20261128-checkout")
        );
        assert_eq!(earlier("T1", "inc-b"), None, "it lost the name");
    }
}
