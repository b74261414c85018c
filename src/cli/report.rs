//! What a run of `phonecheck check` did: counts by status, what the server billed, and how it
//! ended, printed as a table on stderr.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::lists::{LineStatus, RowResult, RowStatus};
use crate::pb::CheckSummary;

/// Why a run ended before every row was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C.
    Interrupted,
    /// The server failed, or the output could not be written; one line saying what.
    Failed(String),
    /// The input turned out not to be a readable list part way (stdin, read only once); one
    /// line naming it and the problem.
    BadInput(String),
}

/// The outcome of a run.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// Rows written, by status.
    pub by_status: [u64; RowStatus::ALL.len()],
    /// Rows written that repeat an earlier row's number.
    pub duplicates: u64,
    /// Rows kept from the previous output (`--resume`), not sent again.
    pub resumed: u64,
    /// Rows checked upstream in this run, repeats not counted.
    pub checked: u64,
    /// The server's summary of the bulk call, when it got that far.
    pub server: Option<CheckSummary>,
    /// Set when the run stopped early.
    pub stop: Option<Stop>,
    /// How long the run took.
    pub elapsed: Duration,
    /// Where the results were written (`None`: standard output).
    pub output: Option<PathBuf>,
    /// Where the per-status lists were written.
    pub split: Option<PathBuf>,
}

impl RunReport {
    /// Counts one written row.
    pub fn count(&mut self, r: &RowResult) {
        if let Some(i) = RowStatus::ALL.iter().position(|&s| s == r.status) {
            self.by_status[i] += 1;
        }
        if r.duplicate {
            self.duplicates += 1;
        }
    }

    /// Rows written.
    pub fn rows(&self) -> u64 {
        self.by_status.iter().sum()
    }

    /// Rows with the given status.
    pub fn get(&self, status: RowStatus) -> u64 {
        RowStatus::ALL
            .iter()
            .position(|&s| s == status)
            .map_or(0, |i| self.by_status[i])
    }

    /// Rows without a final answer (error or unchecked): what `--resume` would send.
    pub fn unanswered(&self) -> u64 {
        self.get(RowStatus::Error) + self.get(RowStatus::Unchecked)
    }

    /// The per-status counts on one line, for the progress bar.
    pub fn counts_line(&self) -> String {
        let mut line = String::new();
        for (status, n) in RowStatus::ALL.iter().zip(self.by_status) {
            if n > 0 {
                if !line.is_empty() {
                    line.push_str(" · ");
                }
                let _ = write!(line, "{} {}", status.name(), thousands(n));
            }
        }
        line
    }

    /// The summary table.
    pub fn render(&self) -> String {
        let rows = self.rows();
        let mut out = String::new();
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 { rows as f64 / secs } else { 0.0 };
        let _ = writeln!(
            out,
            "{} rows in {secs:.1} s ({} rows/s)",
            thousands(rows),
            thousands(rate as u64)
        );
        let _ = writeln!(out, "  {:<16} {:>12} {:>8}", "status", "rows", "share");
        for (status, n) in RowStatus::ALL.iter().zip(self.by_status) {
            if n == 0
                && !matches!(
                    status,
                    RowStatus::Checked(LineStatus::Real) | RowStatus::Checked(LineStatus::Empty)
                )
            {
                continue;
            }
            let _ = writeln!(
                out,
                "  {:<16} {:>12} {:>7.2}%",
                status.name(),
                thousands(n),
                percent(n, rows)
            );
        }
        let _ = writeln!(
            out,
            "  {:<16} {:>12} {:>7.2}%",
            "total",
            thousands(rows),
            100.0
        );
        let billed = match &self.server {
            Some(s) => format!(
                "{} in {} · from the server's cache: {}",
                counted(u64::from(s.billed), "number", "numbers"),
                counted(u64::from(s.upstream_calls), "call", "calls"),
                thousands(u64::from(s.cache_hits))
            ),
            // The call ended with an error status, which carries no summary: every number
            // answered for the first time in this run was billed.
            None => format!(
                "{} (counted from the answers)",
                counted(self.checked, "number", "numbers")
            ),
        };
        let _ = writeln!(
            out,
            "  billed upstream: {billed} · invalid: {} · duplicates: {}",
            thousands(self.get(RowStatus::Invalid)),
            thousands(self.duplicates),
        );
        if self.resumed > 0 {
            let _ = writeln!(
                out,
                "  kept from the previous output (not sent again): {}",
                thousands(self.resumed)
            );
        }
        let target = self
            .output
            .as_ref()
            .map_or("standard output".to_owned(), |p| p.display().to_string());
        let _ = write!(out, "  results: {target}");
        if let Some(split) = &self.split {
            let _ = write!(out, " · lists by status: {}", split.display());
        }
        out
    }
}

fn percent(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

/// `n` and the noun, singular for one: "1 call", "3 calls".
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_table_shows_counts_shares_and_billing() {
        let mut report = RunReport::default();
        let mut r = RowResult::unchecked(0, 1, "13111111111".into(), "");
        r.status = RowStatus::Checked(LineStatus::Real);
        for _ in 0..3 {
            report.count(&r);
        }
        r.status = RowStatus::Invalid;
        report.count(&r);
        report.server = Some(CheckSummary {
            billed: 3,
            upstream_calls: 1,
            ..CheckSummary::default()
        });
        let table = report.render();
        let lines: Vec<String> = table
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        for line in ["real 3 75.00%", "invalid 1 25.00%", "total 4 100.00%"] {
            assert!(lines.iter().any(|l| l == line), "{line} in\n{table}");
        }
        assert!(
            table.contains("billed upstream: 3 numbers in 1 call ·"),
            "{table}"
        );
        assert_eq!(counted(1, "number", "numbers"), "1 number");
        assert_eq!(counted(1_234, "number", "numbers"), "1,234 numbers");
        assert_eq!(report.counts_line(), "real 3 · invalid 1");
    }
}
