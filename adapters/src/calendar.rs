//! Calendar arithmetic on unix time, shared by the adapters that print dates (the status
//! page, Slack channel names): small enough to keep a date crate out of the wasm.

/// Milliseconds in a UTC day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// The proleptic Gregorian date `days` after 1970-01-01, counting in 400-year eras (each
/// exactly 146 097 days) from 0000-03-01 so that leap days fall at the end of a year.
pub fn date_of_days(days: i64) -> (i64, u32, u32) {
    let from_march_0000 = days + 719_468;
    let era = from_march_0000.div_euclid(146_097);
    let day_of_era = from_march_0000.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
