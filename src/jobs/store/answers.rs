//! Answers by small id. A job's numbers hold thousands of answers but only a few hundred
//! distinct ones (six statuses × the areas and carriers of China), so each distinct answer
//! (status, its label, area, carrier) is stored once in the `answers` table and a number
//! holds its id: four bytes instead of about forty of text, and on PostgreSQL a row whose
//! width does not change when it is answered, so the update stays in its page (see the
//! `numbers` table's notes in the migrations).
//!
//! [`AnswerIds`] is the store's memory of that table, shared by both stores: ids are looked
//! up here, and only an answer never seen before (or an id another replica made) costs a
//! statement. Ids are only learnt once the row naming them is committed, so an id in memory
//! always names the same answer in the database.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::checking::checked_line::{CheckedLine, LineStatus, intern};

/// Makes the row of one answer (`$1` status code, `$2` label, `$3` area, `$4` carrier) if it
/// has none, and gives its id either way (the no-op update makes `RETURNING` answer for a row
/// that was already there). The same statement in both stores' dialects.
pub(super) const DEFINE_ANSWER: &str =
    "INSERT INTO answers (status, status_name, area, carrier) VALUES ($1, $2, $3, $4)
    ON CONFLICT (status, status_name, area, carrier) DO UPDATE SET status = excluded.status
    RETURNING id";

/// Every stored answer with its id, in [`StoredAnswerRow`] order.
pub(super) const READ_ANSWERS: &str =
    "SELECT id, CAST(status AS BIGINT), status_name, area, carrier FROM answers";

/// The id a number holds before it is answered (no answer row has it).
pub(super) const NO_ANSWER: i32 = 0;

/// One distinct answer: what a number's answer is, apart from when it was checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Answer {
    /// Its [`LineStatus`] code.
    pub status: i16,
    /// The upstream's label for the status.
    pub status_name: Arc<str>,
    /// The number's area.
    pub area: Arc<str>,
    /// The number's carrier.
    pub carrier: Arc<str>,
}

impl Answer {
    /// The answer of `report`.
    pub fn of(report: &CheckedLine) -> Answer {
        Answer {
            status: i16::try_from(report.status.code()).unwrap_or(i16::MAX),
            status_name: report.status_name.clone(),
            area: report.area.clone(),
            carrier: report.carrier.clone(),
        }
    }

    /// A stored answer row back (`id` is the caller's; the texts are interned, as every
    /// answer's are).
    pub fn from_row(status: i64, status_name: &str, area: &str, carrier: &str) -> Answer {
        Answer {
            status: i16::try_from(status).unwrap_or(i16::MAX),
            status_name: intern(status_name),
            area: intern(area),
            carrier: intern(carrier),
        }
    }

    /// The report of a number holding this answer, checked at `checked_at`; `None` when the
    /// status code is not one this build knows.
    pub fn report(&self, checked_at: std::time::SystemTime) -> Option<CheckedLine> {
        Some(CheckedLine {
            status: LineStatus::from_code(i64::from(self.status))?,
            status_name: self.status_name.clone(),
            area: self.area.clone(),
            carrier: self.carrier.clone(),
            checked_at,
        })
    }
}

/// The answers of the `answers` table this process knows, both ways.
#[derive(Debug, Default)]
pub(super) struct AnswerIds {
    known: RwLock<Known>,
}

#[derive(Debug, Default)]
struct Known {
    ids: HashMap<Answer, i32, foldhash::fast::RandomState>,
    answers: HashMap<i32, Answer, foldhash::fast::RandomState>,
}

impl AnswerIds {
    /// The distinct answers of `reports` this process has no id for yet.
    pub fn unknown<'a>(&self, reports: impl IntoIterator<Item = &'a CheckedLine>) -> Vec<Answer> {
        let known = self.known.read();
        let mut unknown: Vec<Answer> = Vec::new();
        for report in reports {
            let answer = Answer::of(report);
            if !known.ids.contains_key(&answer) && !unknown.contains(&answer) {
                unknown.push(answer);
            }
        }
        unknown
    }

    /// Remembers answers and their ids, read from (or committed to) the database.
    pub fn learn(&self, defined: impl IntoIterator<Item = (i32, Answer)>) {
        let mut known = self.known.write();
        for (id, answer) in defined {
            known.ids.insert(answer.clone(), id);
            known.answers.insert(id, answer);
        }
    }

    /// The id of `report`'s answer, when known.
    pub fn id_of(&self, report: &CheckedLine) -> Option<i32> {
        self.known.read().ids.get(&Answer::of(report)).copied()
    }

    /// The answer an id names, when known.
    pub fn answer(&self, id: i32) -> Option<Answer> {
        self.known.read().answers.get(&id).cloned()
    }

    /// Whether every one of `ids` (those of answered numbers) is known.
    pub fn knows_all(&self, ids: impl IntoIterator<Item = i32>) -> bool {
        let known = self.known.read();
        ids.into_iter()
            .all(|id| id == NO_ANSWER || known.answers.contains_key(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn report(status: LineStatus, area: &str) -> CheckedLine {
        CheckedLine {
            status,
            status_name: intern("实号"),
            area: intern(area),
            carrier: intern("中国移动"),
            checked_at: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn an_answer_is_unknown_until_learnt_and_then_found_both_ways() {
        let ids = AnswerIds::default();
        let (a, b) = (
            report(LineStatus::Real, "广东-广州"),
            report(LineStatus::Real, "山西-临汾"),
        );
        let unknown = ids.unknown([&a, &b, &a]);
        assert_eq!(unknown.len(), 2, "each distinct answer once");
        ids.learn([(7, unknown[0].clone())]);
        assert_eq!(ids.id_of(&a), Some(7));
        assert_eq!(ids.id_of(&b), None);
        assert_eq!(ids.unknown([&a, &b]), vec![Answer::of(&b)]);
        let back = ids.answer(7).expect("known").report(SystemTime::UNIX_EPOCH);
        assert_eq!(back, Some(a));
        assert!(ids.knows_all([NO_ANSWER, 7]));
        assert!(!ids.knows_all([8]));
    }
}
