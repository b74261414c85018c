//! The answer this service is about: a checked line. [`LineStatus`] is the one table of the six
//! statuses a line can have, with the upstream's code, our English name and the upstream's
//! Chinese label for each; [`CheckedLine`] is one number's answer (status, labels, area,
//! carrier, when). The upstream client makes them, the cache, the job stores, the pipeline
//! and the list writers keep and pass them on; none of them spells a status itself.
//!
//! Pure data: no I/O and no clock, so every side (the lists included) may use it.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};
use std::time::SystemTime;

use parking_lot::Mutex;

/// A number's line status, as the upstream's `status` 0..=5 says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineStatus {
    /// 0 空号: not assigned to anyone.
    Empty,
    /// 1 实号: in normal use.
    Real,
    /// 2 停机: service suspended.
    Suspended,
    /// 3 库无: unknown to the upstream's database.
    NotInDatabase,
    /// 4 沉默号: assigned but long unused.
    Silent,
    /// 5 风险: flagged as risky.
    Risk,
}

/// The one table of statuses: upstream code order, with the English name (metrics labels,
/// list files, the console) and the upstream's own Chinese label (its document's words).
const TABLE: [(LineStatus, &str, &str); 6] = [
    (LineStatus::Empty, "empty", "空号"),
    (LineStatus::Real, "real", "实号"),
    (LineStatus::Suspended, "suspended", "停机"),
    (LineStatus::NotInDatabase, "not_in_database", "库无"),
    (LineStatus::Silent, "silent", "沉默号"),
    (LineStatus::Risk, "risk", "风险"),
];

impl LineStatus {
    /// Every status, in upstream code order.
    pub const ALL: [LineStatus; 6] = [
        TABLE[0].0, TABLE[1].0, TABLE[2].0, TABLE[3].0, TABLE[4].0, TABLE[5].0,
    ];

    /// The status for an upstream `status` code, if it is one the API documents.
    pub fn from_code(code: i64) -> Option<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| TABLE.get(i))
            .map(|row| row.0)
    }

    /// The upstream `status` code of this status (also how the job stores keep it).
    pub fn code(self) -> i64 {
        self as i64
    }

    /// A stable lower-case name (metrics labels, list outputs, the console's API).
    pub fn name(self) -> &'static str {
        TABLE[self as usize].1
    }

    /// The upstream's own label, used when its answer carries none and by list writers.
    pub fn label(self) -> &'static str {
        TABLE[self as usize].2
    }

    /// The status named `name` (as [`LineStatus::name`] writes it).
    pub fn from_name(name: &str) -> Option<Self> {
        TABLE.iter().find(|row| row.1 == name).map(|row| row.0)
    }
}

/// One number's answer: what the upstream said of its line, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedLine {
    /// The line status.
    pub status: LineStatus,
    /// The upstream's label for the status, e.g. "实号".
    pub status_name: Arc<str>,
    /// Where the number is registered, e.g. "山西-临汾".
    pub area: Arc<str>,
    /// The carrier (upstream `number_type`), e.g. "中国联通".
    pub carrier: Arc<str>,
    /// When the upstream answered.
    pub checked_at: SystemTime,
}

impl CheckedLine {
    /// `area` split into province and city: "山西-临汾" → ("山西", "临汾"); "北京" → ("北京", "").
    pub fn province_and_city(&self) -> (&str, &str) {
        province_and_city(&self.area)
    }
}

/// An area label split into province and city, as [`CheckedLine::province_and_city`] does.
pub fn province_and_city(area: &str) -> (&str, &str) {
    match area.split_once(['-', '－', '—', ' ']) {
        Some((province, city)) => (province.trim(), city.trim()),
        None => (area.trim(), ""),
    }
}

/// Text that many answers share (areas, carriers, labels) as one allocation, however many
/// answers carry it: a cache of a million answers holds a few hundred strings, not three
/// million, and reading an answer touches one allocation instead of four.
pub fn intern(text: &str) -> Arc<str> {
    /// Beyond this many distinct texts (an upstream gone strange), new ones are not kept.
    const MOST: usize = 65_536;
    // foldhash, not SipHash: three texts are looked up for every answer (C1's profile).
    type Texts = HashSet<Arc<str>, foldhash::fast::RandomState>;
    static TEXTS: LazyLock<Mutex<Texts>> = LazyLock::new(Mutex::default);
    let mut texts = TEXTS.lock();
    if let Some(known) = texts.get(text) {
        return known.clone();
    }
    let new: Arc<str> = Arc::from(text);
    if texts.len() < MOST {
        texts.insert(new.clone());
    }
    new
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_and_names_round_trip() {
        for s in LineStatus::ALL {
            assert_eq!(LineStatus::from_code(s.code()), Some(s));
            assert_eq!(LineStatus::from_name(s.name()), Some(s));
        }
        assert_eq!(LineStatus::from_code(6), None);
        assert_eq!(LineStatus::from_code(-1), None);
        assert_eq!(LineStatus::from_name("invalid"), None);
    }

    #[test]
    fn labels_are_the_upstream_documents_words() {
        let labels: Vec<_> = LineStatus::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(labels, ["空号", "实号", "停机", "库无", "沉默号", "风险"]);
    }

    #[test]
    fn splits_area_into_province_and_city() {
        assert_eq!(province_and_city("山西-临汾"), ("山西", "临汾"));
        assert_eq!(province_and_city("北京"), ("北京", ""));
        assert_eq!(province_and_city(""), ("", ""));
        assert_eq!(province_and_city("广东 深圳"), ("广东", "深圳"));
    }
}
