//! When the incident agent takes its next turn: pure rules over a few facts, so they are
//! tested on a virtual clock without storage or engines.
//!
//! - A turn becomes due `quiet` after the **last** undigested human event (people are still
//!   typing: wait for them), but no later than `max_wait` after the **first** one (a busy
//!   channel still gets turns).
//! - At most one turn is in flight. Events during it wait for it to end, then get their own
//!   turn. A turn that never reports its end stops counting after `in_flight_timeout`.
//! - A closed incident gets no more turns (a pending one is cancelled).
//! - A turn covers every event since the previous turn's range, up to the latest.

/// How agent turns are paced (Worker vars `AGENT_QUIET_SECONDS`, `AGENT_MAX_WAIT_SECONDS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TurnPacing {
    pub quiet_ms: i64,
    pub max_wait_ms: i64,
    /// After this long without a report, the turn in flight no longer blocks the next.
    pub in_flight_timeout_ms: i64,
}

/// The turn in flight: the end of its range and when it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InFlight {
    pub to_event_id: i64,
    pub since: i64,
}

/// Human events not given to any turn yet: when the first and the last were recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Undigested {
    pub first_at: i64,
    pub last_at: i64,
}

/// What the rules look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TurnFacts {
    pub closed: bool,
    /// The last event id given to a turn (0 before the first).
    pub covered_to: i64,
    /// The incident's latest event.
    pub last_event_id: i64,
    pub in_flight: Option<InFlight>,
    pub undigested: Option<Undigested>,
}

/// What to do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextTurn {
    /// Nothing until another human event.
    Idle,
    /// Look again then (a pending turn's due time, or the in-flight turn's timeout).
    WakeAt(i64),
    /// Start a turn over these events (inclusive).
    Start {
        from_event_id: i64,
        to_event_id: i64,
    },
}

pub fn next_turn(facts: &TurnFacts, pacing: &TurnPacing, now_ms: i64) -> NextTurn {
    if facts.closed {
        return NextTurn::Idle;
    }
    if let Some(flight) = facts.in_flight {
        let gives_up_at = flight.since + pacing.in_flight_timeout_ms;
        if now_ms < gives_up_at {
            return NextTurn::WakeAt(gives_up_at);
        }
    }
    let Some(waiting) = facts.undigested else {
        return NextTurn::Idle;
    };
    let due = (waiting.last_at + pacing.quiet_ms).min(waiting.first_at + pacing.max_wait_ms);
    if now_ms < due {
        return NextTurn::WakeAt(due);
    }
    NextTurn::Start {
        from_event_id: facts.covered_to + 1,
        to_event_id: facts.last_event_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACING: TurnPacing = TurnPacing {
        quiet_ms: 60_000,
        max_wait_ms: 300_000,
        in_flight_timeout_ms: 1_800_000,
    };

    /// An incident on a virtual clock: events, alarms and turns as the object runs them.
    #[derive(Default)]
    struct Sim {
        now: i64,
        closed: bool,
        last_event_id: i64,
        covered_to: i64,
        in_flight: Option<InFlight>,
        /// (event id, at) of human events.
        human: Vec<(i64, i64)>,
        /// Started turns: (from, to, at).
        turns: Vec<(i64, i64, i64)>,
    }

    impl Sim {
        fn facts(&self) -> TurnFacts {
            let waiting: Vec<i64> = self
                .human
                .iter()
                .filter(|(id, _)| *id > self.covered_to)
                .map(|(_, at)| *at)
                .collect();
            TurnFacts {
                closed: self.closed,
                covered_to: self.covered_to,
                last_event_id: self.last_event_id,
                in_flight: self.in_flight,
                undigested: waiting.first().map(|first| Undigested {
                    first_at: *first,
                    last_at: *waiting.last().unwrap(),
                }),
            }
        }

        fn message(&mut self, at: i64) {
            self.run_until(at);
            self.last_event_id += 1;
            self.human.push((self.last_event_id, at));
        }

        /// An event that is not a person's (the agent's, incidentd's).
        fn other_event(&mut self, at: i64) {
            self.run_until(at);
            self.last_event_id += 1;
        }

        fn end_turn(&mut self, at: i64) {
            self.run_until(at);
            self.in_flight = None;
        }

        /// Lets the alarm fire whenever the rules ask, up to `until`.
        fn run_until(&mut self, until: i64) {
            loop {
                match next_turn(&self.facts(), &PACING, self.now) {
                    NextTurn::Start {
                        from_event_id,
                        to_event_id,
                    } => {
                        self.turns.push((from_event_id, to_event_id, self.now));
                        self.covered_to = to_event_id;
                        self.in_flight = Some(InFlight {
                            to_event_id,
                            since: self.now,
                        });
                    }
                    NextTurn::WakeAt(at) if at <= until => self.now = at,
                    _ => break,
                }
            }
            self.now = until;
        }
    }

    #[test]
    fn a_burst_of_messages_produces_one_turn_a_quiet_period_after_the_last() {
        let mut sim = Sim::default();
        sim.other_event(0); // INCIDENT_CREATED
        for at in [1_000, 5_000, 20_000, 45_000] {
            sim.message(at);
        }
        sim.run_until(3_600_000);
        assert_eq!(sim.turns, [(1, 5, 105_000)]);
    }

    #[test]
    fn a_channel_that_never_goes_quiet_gets_a_turn_at_the_max_wait() {
        let mut sim = Sim::default();
        for at in (0..400_000).step_by(30_000) {
            sim.message(at);
        }
        assert_eq!(sim.turns.len(), 1);
        assert_eq!(sim.turns[0].2, 300_000, "the first message's max wait");
    }

    #[test]
    fn a_message_during_a_turn_in_flight_yields_one_more_turn_after_it() {
        let mut sim = Sim::default();
        sim.message(0);
        sim.run_until(60_000);
        assert_eq!(sim.turns, [(1, 1, 60_000)]);
        sim.message(70_000);
        sim.message(80_000);
        sim.other_event(90_000); // the turn's suggestion: not a person's
        sim.run_until(200_000);
        assert_eq!(
            sim.turns.len(),
            1,
            "nothing starts while a turn is in flight"
        );
        sim.end_turn(200_000);
        sim.run_until(3_600_000);
        // Overdue by then (quiet since 80 s): right after the end, covering the suggestion too.
        assert_eq!(sim.turns, [(1, 1, 60_000), (2, 4, 200_000)]);
    }

    #[test]
    fn only_human_events_make_a_turn_due() {
        let mut sim = Sim::default();
        sim.other_event(0);
        sim.other_event(10_000);
        sim.run_until(3_600_000);
        assert!(sim.turns.is_empty());
        assert_eq!(next_turn(&sim.facts(), &PACING, sim.now), NextTurn::Idle);
    }

    #[test]
    fn closing_cancels_a_pending_turn() {
        let mut sim = Sim::default();
        sim.message(0);
        sim.run_until(30_000);
        sim.closed = true;
        sim.other_event(30_000); // the closing status change
        sim.run_until(3_600_000);
        assert!(sim.turns.is_empty());
    }

    #[test]
    fn a_lost_report_blocks_turns_only_until_the_in_flight_timeout() {
        let mut sim = Sim::default();
        sim.message(0);
        sim.run_until(60_000);
        sim.message(100_000); // the turn never reports its end
        sim.run_until(10_000_000);
        assert_eq!(sim.turns, [(1, 1, 60_000), (2, 2, 60_000 + 1_800_000)]);
    }

    #[test]
    fn the_due_time_is_where_the_alarm_goes() {
        let facts = TurnFacts {
            closed: false,
            covered_to: 3,
            last_event_id: 5,
            in_flight: None,
            undigested: Some(Undigested {
                first_at: 1_000,
                last_at: 2_000,
            }),
        };
        assert_eq!(next_turn(&facts, &PACING, 2_000), NextTurn::WakeAt(62_000));
        assert_eq!(
            next_turn(&facts, &PACING, 62_000),
            NextTurn::Start {
                from_event_id: 4,
                to_event_id: 5
            }
        );
        let flying = TurnFacts {
            in_flight: Some(InFlight {
                to_event_id: 3,
                since: 0,
            }),
            ..facts
        };
        assert_eq!(
            next_turn(&flying, &PACING, 62_000),
            NextTurn::WakeAt(1_800_000)
        );
    }
}
