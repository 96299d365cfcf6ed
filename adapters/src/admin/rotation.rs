//! On-call rotation maths: who is on call at an instant. Pure; the admin API validates and
//! stores rotations, the tenant configuration read resolves them at declaration.
//!
//! Shifts of whole days hand off at the local wall-clock time in the rotation's zone (a shift
//! spanning a DST change lasts 23 or 25 h); other lengths are fixed durations from the first
//! hand-off. Local times are resolved with one rule everywhere: a time skipped by a
//! spring-forward change happens at the first valid instant after it (the change itself), an
//! ambiguous fall-back time at the earlier of its two instants.

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;

/// A rotation with its overrides, as the tenant configured it.
#[derive(Clone, Debug, PartialEq)]
pub struct Rotation {
    /// In turn order; never empty (validation refuses an empty list).
    pub members: Vec<String>,
    pub shift_hours: u32,
    pub handoff: NaiveTime,
    pub zone: Tz,
    /// The local date of the first hand-off (member 0's first shift starts then).
    pub starts_on: NaiveDate,
    /// In creation order: when overrides overlap, the latest created wins.
    pub overrides: Vec<Override>,
}

/// `user` is on call for `[from, to)` whatever the rotation says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub user: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Who is on call at `at`: the latest-created override covering it, else the member whose
/// shift contains it. `None` only for a rotation without members, or an instant so far from
/// the start that its shift falls outside the calendar's range.
pub fn effective_assignee(rotation: &Rotation, at: DateTime<Utc>) -> Option<&str> {
    if let Some(o) = rotation
        .overrides
        .iter()
        .rev()
        .find(|o| o.from <= at && at < o.to)
    {
        return Some(&o.user);
    }
    let n = i64::try_from(rotation.members.len())
        .ok()
        .filter(|n| *n > 0)?;
    let k = shift_index(rotation, at)?;
    Some(&rotation.members[usize::try_from(k.rem_euclid(n)).ok()?])
}

/// The instant a local wall-clock time happens in `zone`, by the module's gap and fold rules.
pub fn resolve_local(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
        // In a gap: the first valid local minute after it is the change itself (zone changes
        // happen on whole minutes; the longest gap on record is a day).
        LocalResult::None => {
            let start = local.with_second(0)?.with_nanosecond(0)?;
            (1..=2 * 24 * 60).find_map(|m| {
                let candidate = start.checked_add_signed(TimeDelta::minutes(m))?;
                match zone.from_local_datetime(&candidate) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                        Some(t.with_timezone(&Utc))
                    }
                    LocalResult::None => None,
                }
            })
        }
    }
}

/// The index of the shift containing `at` (negative before the first hand-off), found by
/// arithmetic, so a distant instant costs no more than a near one.
fn shift_index(rotation: &Rotation, at: DateTime<Utc>) -> Option<i64> {
    let first_local = rotation.starts_on.and_time(rotation.handoff);
    let first = resolve_local(rotation.zone, first_local)?;
    let hours = i64::from(rotation.shift_hours.max(1));
    let elapsed = at.signed_duration_since(first).num_seconds();
    let estimate = elapsed.div_euclid(hours * 3_600);
    if hours % 24 != 0 {
        return Some(estimate);
    }
    // Whole days: hand-offs are civil. The estimate is off by at most one shift (DST moves a
    // hand-off by hours), so step until handoff(k) <= at < handoff(k + 1).
    let days = hours / 24;
    let handoff = |k: i64| -> Option<DateTime<Utc>> {
        let offset = k.checked_mul(days)?;
        let local = if offset >= 0 {
            first_local.checked_add_days(Days::new(offset.unsigned_abs()))?
        } else {
            first_local.checked_sub_days(Days::new(offset.unsigned_abs()))?
        };
        resolve_local(rotation.zone, local)
    };
    let mut k = estimate;
    while handoff(k)? > at {
        k -= 1;
    }
    while handoff(k + 1)? <= at {
        k += 1;
    }
    Some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn rotation(
        members: &[&str],
        shift_hours: u32,
        handoff: &str,
        zone: &str,
        starts_on: &str,
    ) -> Rotation {
        Rotation {
            members: members.iter().map(ToString::to_string).collect(),
            shift_hours,
            handoff: NaiveTime::parse_from_str(handoff, "%H:%M").unwrap(),
            zone: zone.parse().unwrap(),
            starts_on: starts_on.parse().unwrap(),
            overrides: Vec::new(),
        }
    }

    fn who(r: &Rotation, at: &str) -> String {
        effective_assignee(r, utc(at)).unwrap().to_owned()
    }

    #[test]
    fn a_daily_rotation_hands_off_at_the_local_time_and_a_boundary_belongs_to_the_new_shift() {
        let r = rotation(
            &["ann", "bob", "cy"],
            24,
            "09:00",
            "Europe/Berlin",
            "2026-01-05",
        );
        // 09:00 CET is 08:00 UTC.
        assert_eq!(
            who(&r, "2026-01-05T07:59:59Z"),
            "cy",
            "before the start: the previous turn"
        );
        assert_eq!(who(&r, "2026-01-05T08:00:00Z"), "ann");
        assert_eq!(who(&r, "2026-01-06T07:59:59Z"), "ann");
        assert_eq!(who(&r, "2026-01-06T08:00:00Z"), "bob");
        assert_eq!(who(&r, "2026-01-07T08:00:00Z"), "cy");
        assert_eq!(who(&r, "2026-01-08T08:00:00Z"), "ann");
    }

    #[test]
    fn berlin_spring_forward_keeps_09_00_local_with_a_23_hour_shift() {
        // DST starts 2026-03-29 02:00 CET -> 03:00 CEST. Day index from 2026-03-28: ann, bob.
        let r = rotation(&["ann", "bob"], 24, "09:00", "Europe/Berlin", "2026-03-28");
        assert_eq!(who(&r, "2026-03-28T08:00:00Z"), "ann"); // 09:00 CET
        assert_eq!(who(&r, "2026-03-29T06:59:59Z"), "ann"); // 08:59:59 CEST
        assert_eq!(who(&r, "2026-03-29T07:00:00Z"), "bob"); // 09:00 CEST: 23 h later
        assert_eq!(who(&r, "2026-03-30T06:59:59Z"), "bob");
        assert_eq!(who(&r, "2026-03-30T07:00:00Z"), "ann");
    }

    #[test]
    fn new_york_fall_back_keeps_09_00_local_with_a_25_hour_shift() {
        // DST ends 2026-11-01 02:00 EDT -> 01:00 EST.
        let r = rotation(
            &["ann", "bob"],
            24,
            "09:00",
            "America/New_York",
            "2026-10-31",
        );
        assert_eq!(who(&r, "2026-10-31T13:00:00Z"), "ann"); // 09:00 EDT
        assert_eq!(who(&r, "2026-11-01T13:59:59Z"), "ann"); // 08:59:59 EST: 25 h
        assert_eq!(who(&r, "2026-11-01T14:00:00Z"), "bob"); // 09:00 EST
    }

    #[test]
    fn a_hand_off_skipped_by_spring_forward_happens_at_the_change() {
        // New York 2026-03-08: 02:00 EST -> 03:00 EDT, so 02:30 does not exist that day.
        let r = rotation(
            &["ann", "bob", "cy"],
            24,
            "02:30",
            "America/New_York",
            "2026-03-07",
        );
        assert_eq!(who(&r, "2026-03-07T07:30:00Z"), "ann"); // 02:30 EST
        assert_eq!(who(&r, "2026-03-08T06:59:59Z"), "ann"); // 01:59:59 EST
        assert_eq!(who(&r, "2026-03-08T07:00:00Z"), "bob"); // 03:00 EDT, the change
        assert_eq!(who(&r, "2026-03-09T06:29:59Z"), "bob"); // 02:29:59 EDT
        assert_eq!(who(&r, "2026-03-09T06:30:00Z"), "cy"); // 02:30 EDT
        let skipped = NaiveDate::from_ymd_opt(2026, 3, 8)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            resolve_local("America/New_York".parse().unwrap(), skipped),
            Some(utc("2026-03-08T07:00:00Z"))
        );
    }

    #[test]
    fn an_ambiguous_fall_back_hand_off_takes_the_earlier_instant() {
        // Berlin 2026-10-25: 03:00 CEST -> 02:00 CET, so 02:30 happens twice.
        let r = rotation(&["ann", "bob"], 24, "02:30", "Europe/Berlin", "2026-10-24");
        assert_eq!(who(&r, "2026-10-25T00:29:59Z"), "ann"); // 02:29:59 CEST
        assert_eq!(who(&r, "2026-10-25T00:30:00Z"), "bob"); // 02:30 CEST, the earlier one
        assert_eq!(who(&r, "2026-10-25T01:30:00Z"), "bob"); // 02:30 CET: no second hand-off
        assert_eq!(who(&r, "2026-10-26T01:30:00Z"), "ann"); // 02:30 CET: 25 h later
    }

    #[test]
    fn multi_day_shifts_hand_off_every_n_local_days_across_dst() {
        let r = rotation(
            &["ann", "bob"],
            7 * 24,
            "09:00",
            "Europe/Berlin",
            "2026-03-23",
        );
        assert_eq!(who(&r, "2026-03-23T08:00:00Z"), "ann"); // Mon 09:00 CET
        assert_eq!(who(&r, "2026-03-30T06:59:59Z"), "ann");
        assert_eq!(who(&r, "2026-03-30T07:00:00Z"), "bob"); // Mon 09:00 CEST: 167 h
        assert_eq!(who(&r, "2026-04-06T07:00:00Z"), "ann");
    }

    #[test]
    fn sub_day_shifts_are_fixed_durations_from_the_first_hand_off() {
        let r = rotation(
            &["ann", "bob", "cy"],
            12,
            "08:00",
            "Europe/Berlin",
            "2026-03-28",
        );
        assert_eq!(who(&r, "2026-03-28T07:00:00Z"), "ann"); // 08:00 CET
        assert_eq!(who(&r, "2026-03-28T19:00:00Z"), "bob");
        // After the change the 12 h turns keep their length, so the local time drifts.
        assert_eq!(who(&r, "2026-03-29T07:00:00Z"), "cy"); // 09:00 CEST
        assert_eq!(who(&r, "2026-03-29T19:00:00Z"), "ann");
    }

    #[test]
    fn instants_far_from_the_start_are_computed_not_iterated() {
        let r = rotation(
            &["ann", "bob", "cy"],
            24,
            "09:00",
            "Europe/Berlin",
            "2026-01-05",
        );
        // 2126-01-05 is 36524 days later (36524 = 3 * 12174 + 2: cy's turn); 1926-01-05 is
        // 36525 days earlier (a multiple of 3: ann's).
        assert_eq!(who(&r, "2126-01-05T08:00:00Z"), "cy");
        assert_eq!(who(&r, "1926-01-05T12:00:00Z"), "ann");
    }

    #[test]
    fn overrides_win_and_the_latest_created_wins_where_they_overlap() {
        let mut r = rotation(&["ann", "bob"], 24, "09:00", "Europe/Berlin", "2026-01-05");
        r.overrides = vec![
            Override {
                user: "ovr1".into(),
                from: utc("2026-01-05T10:00:00Z"),
                to: utc("2026-01-06T10:00:00Z"),
            },
            Override {
                user: "ovr2".into(),
                from: utc("2026-01-05T12:00:00Z"),
                to: utc("2026-01-05T14:00:00Z"),
            },
        ];
        assert_eq!(who(&r, "2026-01-05T09:59:59Z"), "ann");
        assert_eq!(who(&r, "2026-01-05T10:00:00Z"), "ovr1");
        assert_eq!(who(&r, "2026-01-05T12:00:00Z"), "ovr2");
        assert_eq!(who(&r, "2026-01-05T14:00:00Z"), "ovr1");
        // Spans the hand-off at 08:00 UTC on the 6th; the rotation resumes with bob after.
        assert_eq!(who(&r, "2026-01-06T09:00:00Z"), "ovr1");
        assert_eq!(
            who(&r, "2026-01-06T10:00:00Z"),
            "bob",
            "the end is exclusive"
        );
    }

    #[test]
    fn a_single_member_is_always_on_call_and_no_member_means_nobody() {
        let mut r = rotation(&["solo"], 24, "09:00", "America/New_York", "2026-01-01");
        for at in [
            "2025-06-01T00:00:00Z",
            "2026-03-08T07:00:00Z",
            "2026-11-01T06:30:00Z",
        ] {
            assert_eq!(who(&r, at), "solo");
        }
        r.members.clear();
        assert_eq!(effective_assignee(&r, utc("2026-01-02T00:00:00Z")), None);
    }
}
