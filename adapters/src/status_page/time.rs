//! Unix milliseconds as UTC text: RFC 3339 for machines (`summary.json`, Atom, `<time
//! datetime>`) and a short form for people. Written here to keep a date crate out of the wasm.

use crate::calendar::{date_of_days, MS_PER_DAY};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A UTC instant broken into calendar fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Utc {
    year: i64,
    month: u32, // 1..=12
    day: u32,   // 1..=31
    hour: i64,
    minute: i64,
    second: i64,
    milli: i64,
}

fn utc(ms: i64) -> Utc {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = date_of_days(days);
    Utc {
        year,
        month,
        day,
        hour: in_day / 3_600_000,
        minute: in_day / 60_000 % 60,
        second: in_day / 1_000 % 60,
        milli: in_day % 1_000,
    }
}

/// `2026-06-05T17:25:44.000Z`.
pub fn rfc3339(ms: i64) -> String {
    let t = utc(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.milli
    )
}

/// `Jun 5, 2026, 17:25 UTC`.
pub fn human(ms: i64) -> String {
    let t = utc(ms);
    format!(
        "{} {}, {}, {:02}:{:02} UTC",
        MONTHS[(t.month - 1) as usize],
        t.day,
        t.year,
        t.hour,
        t.minute
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants_format_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_780_680_344_123), "2026-06-05T17:25:44.123Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn every_day_follows_the_previous_one() {
        // Walks 1968..2104 (leap years, 2000, 2100) day by day: month lengths and rollovers.
        let mut previous = date_of_days(-731);
        for days in -730..49_000 {
            let (y, m, d) = date_of_days(days);
            let (py, pm, pd) = previous;
            let next_day = (y, m, d) == (py, pm, pd + 1);
            let next_month =
                d == 1 && ((y == py && m == pm + 1) || (y == py + 1 && m == 1 && pm == 12));
            assert!(next_day || next_month, "{previous:?} then {:?}", (y, m, d));
            previous = (y, m, d);
        }
        assert_eq!(date_of_days(47_540), (2100, 2, 28));
        assert_eq!(date_of_days(47_541), (2100, 3, 1));
    }

    #[test]
    fn people_read_a_short_utc_form() {
        assert_eq!(human(1_780_680_344_123), "Jun 5, 2026, 17:25 UTC");
    }
}
