//! `decide` on its own: every command and every refusal, without storage.

use incidentd_core::decide::{
    decide, decide_metadata, decide_resolution, decide_start, Decision, EventData, StoredSuggestion,
};
use incidentd_core::model::{AffectedService, Affection, AffectionStatus, Impact, Service};
use incidentd_core::testing::state;
use incidentd_core::{
    Command, DomainError, IncidentState, Severity, Source, StartIncident, Status, SuggestedChange,
    SuggestionAdded, SuggestionOutcome,
};
use std::collections::BTreeMap;

fn open() -> IncidentState {
    let mut s = state("inc", 1, Status::Open, "t");
    s.severity = Severity::Medium;
    s.services = vec![Service {
        id: "api".into(),
        name: "API".into(),
    }];
    s
}

fn code(result: Result<Decision, DomainError>) -> &'static str {
    result.expect_err("refused").code()
}

fn event(result: Result<Decision, DomainError>) -> (IncidentState, EventData) {
    match result.expect("accepted") {
        Decision::Event { next, event } => (*next, event),
        other => panic!("expected an event, got {other:?}"),
    }
}

fn affection() -> Command {
    Command::CreateAffection {
        title: "API degraded".into(),
        services: vec![AffectedService {
            id: "api".into(),
            impact: Impact::Partial,
        }],
        message: "investigating".into(),
        created_by: "u".into(),
    }
}

#[test]
fn start_picks_the_fallback_and_derives_the_title() {
    let input = StartIncident {
        id: "inc".into(),
        tenant_id: "demo".into(),
        prompt: "  checkout fails\nsince 10:02 ".into(),
        title: None,
        severity: None,
        created_by: "u".into(),
        source: Source::Dashboard,
        entry_points: vec![
            incidentd_core::EntryPoint {
                id: "db".into(),
                assignee: "dba".into(),
                prompt: "database".into(),
                is_fallback: false,
            },
            incidentd_core::EntryPoint {
                id: "oncall".into(),
                assignee: "oncall-user".into(),
                prompt: "anything".into(),
                is_fallback: true,
            },
        ],
        services: Vec::new(),
    };
    let (state, created) = decide_start(input.clone(), 7).unwrap();
    assert_eq!(state.title, "checkout fails");
    assert_eq!(state.severity, Severity::Medium);
    assert_eq!(state.assignee.as_deref(), Some("oncall-user"));
    assert_eq!(state.entry_point_id.as_deref(), Some("oncall"));
    assert_eq!(created.assignee.as_deref(), Some("oncall-user"));
    assert_eq!((state.created_at, state.status), (7, Status::Open));

    let mut empty = input;
    empty.prompt = " ".into();
    assert_eq!(decide_start(empty, 7).unwrap_err().code(), "INVALID_INPUT");
}

#[test]
fn severity_and_assignee_change_or_are_no_ops() {
    let current = open();
    let (next, data) = event(decide(
        &current,
        Command::SetSeverity {
            severity: Severity::High,
        },
    ));
    assert_eq!(next.severity, Severity::High);
    assert_eq!(data.event_type(), "SEVERITY_UPDATE");
    assert_eq!(
        decide(
            &current,
            Command::SetSeverity {
                severity: Severity::Medium
            }
        ),
        Ok(Decision::Unchanged)
    );
    let (next, data) = event(decide(
        &current,
        Command::SetAssignee {
            assignee: Some(" alice ".into()),
        },
    ));
    assert_eq!(next.assignee.as_deref(), Some("alice"));
    assert_eq!(data.event_type(), "ASSIGNEE_UPDATE");
    assert_eq!(
        decide(&current, Command::SetAssignee { assignee: None }),
        Ok(Decision::Unchanged)
    );
    assert_eq!(
        code(decide(
            &current,
            Command::SetAssignee {
                assignee: Some("".into())
            }
        )),
        "INVALID_INPUT"
    );
}

#[test]
fn status_moves_only_along_the_allowed_transitions() {
    use Status::*;
    for (from, to, allowed) in [
        (Open, Mitigating, true),
        (Open, Resolved, true),
        (Open, Declined, true),
        (Mitigating, Resolved, true),
        (Mitigating, Declined, true),
        (Open, Open, false),
        (Mitigating, Open, false),
        (Mitigating, Mitigating, false),
    ] {
        let mut current = open();
        current.status = from;
        let result = decide(
            &current,
            Command::UpdateStatus {
                status: to,
                message: "m".into(),
            },
        );
        if allowed {
            assert_eq!(event(result).0.status, to, "{from:?} -> {to:?}");
        } else {
            assert_eq!(code(result), "INVALID_TRANSITION", "{from:?} -> {to:?}");
        }
    }
}

#[test]
fn a_closed_incident_refuses_every_change_but_metadata() {
    for closed in [Status::Resolved, Status::Declined] {
        let mut current = open();
        current.status = closed;
        for command in [
            Command::SetSeverity {
                severity: Severity::High,
            },
            Command::AddMessage {
                message: "m".into(),
                message_id: "1".into(),
                user_id: "u".into(),
            },
            affection(),
        ] {
            assert_eq!(code(decide(&current, command)), "INCIDENT_CLOSED");
        }
        let entries = BTreeMap::from([("slack_channel".to_owned(), "C1".to_owned())]);
        assert!(matches!(
            decide_metadata(&current, entries),
            Ok(Decision::Quiet { .. })
        ));
    }
}

#[test]
fn messages_are_validated() {
    let current = open();
    let add = |message: &str, id: &str| Command::AddMessage {
        message: message.into(),
        message_id: id.into(),
        user_id: "u".into(),
    };
    let (_, data) = event(decide(&current, add("rolled back", "m1")));
    assert_eq!(data.event_type(), "MESSAGE_ADDED");
    assert_eq!(code(decide(&current, add(" ", "m1"))), "INVALID_INPUT");
    assert_eq!(code(decide(&current, add("x", ""))), "INVALID_INPUT");
    assert_eq!(
        code(decide(&current, add(&"x".repeat(4_001), "m1"))),
        "INVALID_INPUT"
    );
}

#[test]
fn affection_is_created_once_with_known_services_and_moves_forward() {
    let current = open();
    let (with_affection, data) = event(decide(&current, affection()));
    assert_eq!(data.event_type(), "AFFECTION_UPDATE");
    assert_eq!(
        with_affection.affection.as_ref().map(|a| a.status),
        Some(AffectionStatus::Investigating)
    );
    assert_eq!(
        code(decide(&with_affection, affection())),
        "AFFECTION_EXISTS"
    );

    let unknown = Command::CreateAffection {
        title: "t".into(),
        services: vec![AffectedService {
            id: "nope".into(),
            impact: Impact::Major,
        }],
        message: "m".into(),
        created_by: "u".into(),
    };
    assert_eq!(code(decide(&current, unknown)), "INVALID_INPUT");
    let none = Command::CreateAffection {
        title: "t".into(),
        services: Vec::new(),
        message: "m".into(),
        created_by: "u".into(),
    };
    assert_eq!(code(decide(&current, none)), "INVALID_INPUT");

    let update = |status: Option<AffectionStatus>| Command::UpdateAffection {
        message: "update".into(),
        status,
        services: None,
        created_by: "u".into(),
    };
    assert_eq!(code(decide(&current, update(None))), "NO_AFFECTION");
    let (mitigating, _) = event(decide(
        &with_affection,
        update(Some(AffectionStatus::Mitigating)),
    ));
    assert_eq!(
        mitigating.affection,
        Some(Affection {
            title: "API degraded".into(),
            services: vec![AffectedService {
                id: "api".into(),
                impact: Impact::Partial
            }],
            status: AffectionStatus::Mitigating,
            updates: 2,
        })
    );
    assert_eq!(
        code(decide(
            &mitigating,
            update(Some(AffectionStatus::Investigating))
        )),
        "STATUS_CAN_ONLY_MOVE_FORWARD"
    );
    assert!(event(decide(&mitigating, update(None)))
        .0
        .affection
        .is_some());
}

#[test]
fn an_affection_update_sets_the_impact_of_the_services_it_names() {
    let mut current = open();
    current.services.push(Service {
        id: "db".into(),
        name: "Database".into(),
    });
    let (with_affection, _) = event(decide(&current, affection()));
    let service = |id: &str, impact: Impact| AffectedService {
        id: id.into(),
        impact,
    };
    let update = |services: Vec<AffectedService>| Command::UpdateAffection {
        message: "the database is affected too".into(),
        status: None,
        services: Some(services),
        created_by: "u".into(),
    };
    let (next, data) = event(decide(
        &with_affection,
        update(vec![
            service("db", Impact::Partial),
            service("api", Impact::Major),
        ]),
    ));
    assert_eq!(
        next.affection.unwrap().services,
        [
            service("api", Impact::Major),
            service("db", Impact::Partial)
        ],
        "api's impact changed in place, db was added"
    );
    let EventData::Affection(recorded) = data else {
        panic!("an affection event");
    };
    assert_eq!(
        recorded.services,
        Some(vec![
            service("db", Impact::Partial),
            service("api", Impact::Major)
        ]),
        "the event records what the update named"
    );
    assert_eq!(
        code(decide(
            &with_affection,
            update(vec![service("nope", Impact::Major)])
        )),
        "INVALID_INPUT"
    );
    assert_eq!(
        code(decide(&with_affection, update(Vec::new()))),
        "INVALID_INPUT"
    );
    assert_eq!(
        code(decide(&current, update(vec![service("db", Impact::Major)]))),
        "NO_AFFECTION",
        "no public incident to update yet"
    );
}

#[test]
fn applying_a_status_page_incident_suggestion_opens_it_as_the_person_who_applied() {
    let current = open();
    let stored = StoredSuggestion {
        suggestion: SuggestionAdded {
            suggestion_id: "t3-1".into(),
            dedupe_key: "status_page:open".into(),
            change: SuggestedChange::StatusPageIncident {
                title: "API degraded".into(),
                services: vec![AffectedService {
                    id: "api".into(),
                    impact: Impact::Major,
                }],
                message: "We are investigating errors on the API.".into(),
            },
            rationale: None,
            from_event_id: 1,
            to_event_id: 3,
        },
        event_id: 4,
        outcome: None,
    };
    let resolution =
        decide_resolution(&current, &stored, SuggestionOutcome::Applied, None, "U-BOB").unwrap();
    let (next, data) = event(Ok(resolution.change.expect("a change")));
    assert_eq!(
        next.affection
            .as_ref()
            .map(|a| (a.title.as_str(), a.status)),
        Some(("API degraded", AffectionStatus::Investigating))
    );
    let EventData::Affection(opened) = data else {
        panic!("an affection event");
    };
    assert_eq!(opened.created_by, "U-BOB");
    // Once the page has an incident, the same suggestion is refused, not applied twice.
    assert_eq!(
        decide_resolution(&next, &stored, SuggestionOutcome::Applied, None, "U-BOB")
            .unwrap_err()
            .code(),
        "AFFECTION_EXISTS"
    );
}

#[test]
fn metadata_merges_is_bounded_and_a_no_op_when_equal() {
    let current = open();
    let one = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
    let Ok(Decision::Quiet { next }) = decide_metadata(&current, one.clone()) else {
        panic!("metadata is quiet");
    };
    assert_eq!(decide_metadata(&next, one), Ok(Decision::Unchanged));
    let many: BTreeMap<String, String> = (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
    assert_eq!(
        decide_metadata(&current, many).unwrap_err().code(),
        "INVALID_INPUT"
    );
}
