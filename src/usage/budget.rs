//! Budgets: the most numbers a caller may have billed per day or per month, written in the
//! keys file as `N/day` or `N/month`, and the period a moment falls in.

use std::fmt;
use std::str::FromStr;

use crate::jobs::BudgetPeriod;

/// How often a budget is whole again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Every day at midnight in the usage time zone.
    Day,
    /// On the first of every month, at midnight in the usage time zone.
    Month,
}

impl Period {
    /// Its name, as the keys file and the API write it.
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Month => "month",
        }
    }

    /// Both kinds, for what is done to each.
    pub const ALL: [Period; 2] = [Period::Day, Period::Month];

    /// The start of every key of this kind in the store (`day:`, `month:`); keys of one
    /// kind sort by date after it.
    pub fn key_prefix(self) -> String {
        format!("{}:", self.name())
    }

    /// The key of the period of this kind that `date` falls in (`day:2026-12-07`,
    /// `month:2026-12`).
    pub fn key_of(self, date: jiff::civil::Date) -> String {
        let prefix = self.key_prefix();
        match self {
            Period::Day => format!("{prefix}{date}"),
            Period::Month => format!("{prefix}{}", date.strftime("%Y-%m")),
        }
    }
}

/// A caller's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The most numbers billed per period.
    pub limit: u64,
    /// The period.
    pub period: Period,
}

/// How a budget is written, as a mistake is told.
pub const BUDGET_SPELLING: &str = "a budget is written N/day or N/month, e.g. 200000/month";

/// A budget that is not `N/day` or `N/month`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{BUDGET_SPELLING}")]
pub struct BadBudget;

impl FromStr for Budget {
    type Err = BadBudget;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (limit, period) = text.trim().split_once('/').ok_or(BadBudget)?;
        let limit: u64 = limit
            .trim()
            .replace('_', "")
            .parse()
            .map_err(|_| BadBudget)?;
        let period = match period.trim() {
            "day" => Period::Day,
            "month" => Period::Month,
            _ => return Err(BadBudget),
        };
        Ok(Budget { limit, period })
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.limit, self.period.name())
    }
}

/// The period of a budget that `now` falls in: its row in the store (keyed `day:2026-12-07`
/// or `month:2026-12`, with the ledger days it spans) and when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodNow {
    /// Its row in the store.
    pub row: BudgetPeriod,
    /// When the next one starts.
    pub ends: jiff::Timestamp,
}

impl Budget {
    /// The period `now` falls in, in `zone`.
    pub fn period_at(&self, now: &jiff::Zoned) -> PeriodNow {
        let date = now.date();
        let (first, next) = match self.period {
            Period::Day => (date, date.tomorrow().ok()),
            Period::Month => {
                let first = date.first_of_month();
                (first, first.checked_add(jiff::Span::new().months(1)).ok())
            }
        };
        let last = next.and_then(|d| d.yesterday().ok()).unwrap_or(date);
        let ends = next
            .and_then(|d| d.to_zoned(now.time_zone().clone()).ok())
            .map_or(jiff::Timestamp::MAX, |z| z.timestamp());
        PeriodNow {
            row: BudgetPeriod {
                key: self.period.key_of(date),
                first_day: first.to_string(),
                last_day: last.to_string(),
            },
            ends,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_read_as_written_and_nothing_else() {
        assert_eq!(
            "200000/month".parse(),
            Ok(Budget {
                limit: 200_000,
                period: Period::Month
            })
        );
        assert_eq!(
            " 5_000 / day ".parse(),
            Ok(Budget {
                limit: 5_000,
                period: Period::Day
            })
        );
        for bad in ["", "5000", "5000/week", "-1/day", "x/day", "5000/Day/"] {
            assert_eq!(bad.parse::<Budget>(), Err(BadBudget), "{bad:?}");
        }
        assert_eq!(
            "5000/day".parse::<Budget>().unwrap().to_string(),
            "5000/day"
        );
    }

    #[test]
    fn a_period_is_its_day_or_month_in_the_zone_and_ends_at_its_midnight() {
        let zone = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        // 2026-12-31 20:00 UTC is 2027-01-01 04:00 in Shanghai.
        let now = "2026-12-31T20:00:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .to_zoned(zone);
        let day = Budget {
            limit: 1,
            period: Period::Day,
        }
        .period_at(&now);
        assert_eq!(day.row.key, "day:2027-01-01");
        assert_eq!(
            (day.row.first_day.as_str(), day.row.last_day.as_str()),
            ("2027-01-01", "2027-01-01")
        );
        assert_eq!(day.ends.to_string(), "2027-01-01T16:00:00Z");
        let month = Budget {
            limit: 1,
            period: Period::Month,
        }
        .period_at(&now);
        assert_eq!(month.row.key, "month:2027-01");
        assert_eq!(
            (month.row.first_day.as_str(), month.row.last_day.as_str()),
            ("2027-01-01", "2027-01-31")
        );
        assert_eq!(month.ends.to_string(), "2027-01-31T16:00:00Z");
    }
}
