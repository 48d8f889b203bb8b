//! Date ranges of the relative date query functions, in UTC (the emulator's users have
//! the UTC time zone), computed from the emulator's clock. Weeks start on Sunday, as in
//! the default English (United States) settings. Fiscal periods are quarters of a fiscal
//! year starting in the organization's fiscal start month.

use time::{Date, Duration, Month, OffsetDateTime, Time};

/// A half-open instant range; `None` ends are unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Inclusive start.
    pub from: Option<OffsetDateTime>,
    /// Exclusive end.
    pub to: Option<OffsetDateTime>,
}

fn at(d: Date) -> OffsetDateTime {
    d.with_time(Time::MIDNIGHT).assume_utc()
}

fn days(d: Date, n: i64) -> Date {
    d.checked_add(Duration::days(n)).unwrap_or(d)
}

/// Adds months, clamping the day to the target month's length.
pub fn add_months(d: Date, n: i32) -> Date {
    let total = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + n;
    let (y, m) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    let month = Month::try_from(m).unwrap_or(Month::January);
    let day = d.day().min(month.length(y));
    Date::from_calendar_date(y, month, day).unwrap_or(d)
}

fn month_start(d: Date) -> Date {
    Date::from_calendar_date(d.year(), d.month(), 1).unwrap_or(d)
}

fn year_start(y: i32) -> Date {
    Date::from_calendar_date(y, Month::January, 1).unwrap_or(Date::MIN)
}

fn week_start(d: Date) -> Date {
    days(d, -i64::from(d.weekday().number_days_from_sunday()))
}

fn range(from: Date, to: Date) -> Range {
    Range { from: Some(at(from)), to: Some(at(to)) }
}

/// The fiscal year containing `d`, as (fiscal year number, start date). The fiscal year
/// is named after the calendar year it starts in.
pub fn fiscal_year(d: Date, start_month: u8) -> (i32, Date) {
    let start_month = Month::try_from(start_month.clamp(1, 12)).unwrap_or(Month::January);
    let this = Date::from_calendar_date(d.year(), start_month, 1).unwrap_or(d);
    if d >= this {
        (d.year(), this)
    } else {
        (d.year() - 1, add_months(this, -12))
    }
}

/// The start of fiscal `period` (1-4, quarters) of fiscal year `year`.
pub fn fiscal_period_start(year: i32, period: i32, start_month: u8) -> Date {
    let start = Date::from_calendar_date(year, Month::try_from(start_month.clamp(1, 12)).unwrap_or(Month::January), 1).unwrap_or(Date::MIN);
    add_months(start, (period - 1) * 3)
}

/// The fiscal period (1-4) containing `d`, with its year.
pub fn fiscal_period(d: Date, start_month: u8) -> (i32, i32) {
    let (fy, start) = fiscal_year(d, start_month);
    let months = (d.year() - start.year()) * 12 + i32::from(u8::from(d.month())) - i32::from(u8::from(start.month()));
    (fy, months / 3 + 1)
}

/// Ranges of the functions without a value, relative to `now`.
pub fn named(name: &str, now: OffsetDateTime, fiscal_start: u8) -> Option<Range> {
    let today = now.date();
    let fy = fiscal_year(today, fiscal_start);
    let (pyear, period) = fiscal_period(today, fiscal_start);
    let period_range = |offset: i32| {
        let start = add_months(fiscal_period_start(pyear, period, fiscal_start), offset * 3);
        range(start, add_months(start, 3))
    };
    Some(match name {
        "Today" => range(today, days(today, 1)),
        "Yesterday" => range(days(today, -1), today),
        "Tomorrow" => range(days(today, 1), days(today, 2)),
        "Last7Days" => Range { from: Some(at(days(today, -7))), to: Some(now) },
        "Next7Days" => Range { from: Some(now), to: Some(at(days(today, 8))) },
        "ThisWeek" => range(week_start(today), days(week_start(today), 7)),
        "LastWeek" => range(days(week_start(today), -7), week_start(today)),
        "NextWeek" => range(days(week_start(today), 7), days(week_start(today), 14)),
        "ThisMonth" => range(month_start(today), add_months(month_start(today), 1)),
        "LastMonth" => range(add_months(month_start(today), -1), month_start(today)),
        "NextMonth" => range(add_months(month_start(today), 1), add_months(month_start(today), 2)),
        "ThisYear" => range(year_start(today.year()), year_start(today.year() + 1)),
        "LastYear" => range(year_start(today.year() - 1), year_start(today.year())),
        "NextYear" => range(year_start(today.year() + 1), year_start(today.year() + 2)),
        "ThisFiscalYear" => range(fy.1, add_months(fy.1, 12)),
        "LastFiscalYear" => range(add_months(fy.1, -12), fy.1),
        "NextFiscalYear" => range(add_months(fy.1, 12), add_months(fy.1, 24)),
        "ThisFiscalPeriod" => period_range(0),
        "LastFiscalPeriod" => period_range(-1),
        "NextFiscalPeriod" => period_range(1),
        _ => return None,
    })
}

/// Ranges of the functions taking a count X, relative to `now`.
pub fn counted(name: &str, x: i64, now: OffsetDateTime, fiscal_start: u8) -> Option<Range> {
    let today = now.date();
    let xi = i32::try_from(x).unwrap_or(i32::MAX / 16);
    let fy = fiscal_year(today, fiscal_start).1;
    let (pyear, period) = fiscal_period(today, fiscal_start);
    let pstart = fiscal_period_start(pyear, period, fiscal_start);
    let before = |t: OffsetDateTime| Range { from: None, to: Some(t) };
    Some(match name {
        "LastXHours" => Range { from: Some(now - Duration::hours(x)), to: Some(now) },
        "NextXHours" => Range { from: Some(now), to: Some(now + Duration::hours(x)) },
        "LastXDays" => Range { from: Some(at(days(today, -x))), to: Some(now) },
        "NextXDays" => Range { from: Some(now), to: Some(at(days(today, x + 1))) },
        "LastXWeeks" => Range { from: Some(at(days(today, -7 * x))), to: Some(now) },
        "NextXWeeks" => Range { from: Some(now), to: Some(at(days(today, 7 * x + 1))) },
        "LastXMonths" => Range { from: Some(at(add_months(today, -xi))), to: Some(now) },
        "NextXMonths" => Range { from: Some(now), to: Some(at(days(add_months(today, xi), 1))) },
        "LastXYears" => Range { from: Some(at(add_months(today, -12 * xi))), to: Some(now) },
        "NextXYears" => Range { from: Some(now), to: Some(at(days(add_months(today, 12 * xi), 1))) },
        "OlderThanXMinutes" => before(now - Duration::minutes(x)),
        "OlderThanXHours" => before(now - Duration::hours(x)),
        "OlderThanXDays" => before(at(days(today, -x))),
        "OlderThanXWeeks" => before(at(days(today, -7 * x))),
        "OlderThanXMonths" => before(at(add_months(today, -xi))),
        "OlderThanXYears" => before(at(add_months(today, -12 * xi))),
        "LastXFiscalYears" => range(add_months(fy, -12 * xi), fy),
        "NextXFiscalYears" => range(add_months(fy, 12), add_months(fy, 12 * (xi + 1))),
        "LastXFiscalPeriods" => range(add_months(pstart, -3 * xi), pstart),
        "NextXFiscalPeriods" => range(add_months(pstart, 3), add_months(pstart, 3 * (xi + 1))),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn calendar_ranges() {
        let now = datetime!(2026-11-23 09:30:15 UTC); // a Monday
        assert_eq!(named("Today", now, 1), Some(range(date!(2026 - 11 - 23), date!(2026 - 11 - 24))));
        assert_eq!(named("ThisWeek", now, 1), Some(range(date!(2026 - 11 - 22), date!(2026 - 11 - 29))));
        assert_eq!(named("LastMonth", now, 1), Some(range(date!(2026 - 10 - 01), date!(2026 - 11 - 01))));
        assert_eq!(named("ThisFiscalPeriod", now, 1), Some(range(date!(2026 - 10 - 01), date!(2027 - 01 - 01))));
        assert_eq!(named("ThisFiscalYear", now, 7), Some(range(date!(2026 - 07 - 01), date!(2027 - 07 - 01))));
        assert_eq!(counted("OlderThanXDays", 3, now, 1), Some(Range { from: None, to: Some(at(date!(2026 - 11 - 20))) }));
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
    }
}
