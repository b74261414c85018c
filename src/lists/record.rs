//! One row's result, and the columns it is written as. The same record serves every output
//! format, the per-status files and `--resume`, so a row reads back as it was written.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::checking::checked_line::LineStatus;

/// What became of a row: its line's status, invalid, or not (yet) checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowStatus {
    /// Checked: the line's status (names and labels from [`LineStatus`]'s table).
    Checked(LineStatus),
    /// Not a valid mobile number; never sent.
    Invalid,
    /// The check failed (see the note); `--resume` checks it again.
    Error,
    /// The run stopped before the row was checked; `--resume` checks it.
    Unchecked,
}

impl RowStatus {
    /// Every status, in the order summaries and workbooks list them: the statuses people act
    /// on first.
    pub const ALL: [RowStatus; 9] = [
        RowStatus::Checked(LineStatus::Real),
        RowStatus::Checked(LineStatus::Empty),
        RowStatus::Checked(LineStatus::Suspended),
        RowStatus::Checked(LineStatus::Silent),
        RowStatus::Checked(LineStatus::Risk),
        RowStatus::Checked(LineStatus::NotInDatabase),
        RowStatus::Invalid,
        RowStatus::Error,
        RowStatus::Unchecked,
    ];

    /// The name used in every output format and as the `--split` file name.
    pub fn name(self) -> &'static str {
        match self {
            RowStatus::Checked(line) => line.name(),
            RowStatus::Invalid => "invalid",
            RowStatus::Error => "error",
            RowStatus::Unchecked => "unchecked",
        }
    }

    /// The Chinese label list cleaners know it by (实号, 空号, …), for sheet names.
    pub fn label(self) -> &'static str {
        match self {
            RowStatus::Checked(line) => line.label(),
            RowStatus::Invalid => "无效",
            RowStatus::Error => "失败",
            RowStatus::Unchecked => "未检测",
        }
    }

    /// The status named `name` (as [`RowStatus::name`] writes it).
    pub fn from_name(name: &str) -> Option<RowStatus> {
        RowStatus::ALL.into_iter().find(|s| s.name() == name)
    }

    /// True when the row has its final answer and `--resume` keeps it.
    pub fn is_final(self) -> bool {
        !matches!(self, RowStatus::Error | RowStatus::Unchecked)
    }

    /// Whether the lists of rows by status (per-status files, a workbook's status sheets)
    /// have one for this status even when no row has it: every final status does, so a run
    /// always gives the same files in the same order; `error` and `unchecked` only when a row
    /// has them.
    pub fn always_listed(self) -> bool {
        self.is_final()
    }

    /// Its position in [`RowStatus::ALL`].
    pub fn position(self) -> usize {
        RowStatus::ALL
            .iter()
            .position(|&s| s == self)
            .unwrap_or(RowStatus::ALL.len() - 1)
    }
}

impl From<LineStatus> for RowStatus {
    fn from(line: LineStatus) -> Self {
        RowStatus::Checked(line)
    }
}

/// Written as its name (`"real"`, `"invalid"`, …), as in every other output.
impl Serialize for RowStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for RowStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = Cow::<str>::deserialize(deserializer)?;
        RowStatus::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown status `{name}`")))
    }
}

/// One output record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult {
    /// Position of the row in the input, from 0.
    pub index: u64,
    /// Line of the input the row comes from, from 1 (for a sheet, its row number).
    pub line: u64,
    /// The number as written in the input.
    pub input: String,
    /// The normalized 11-digit number; empty when the input is not a valid number.
    pub mobile: String,
    /// What became of the row.
    pub status: RowStatus,
    /// The upstream's label, e.g. 实号.
    pub status_name: String,
    /// Where the number is registered, e.g. 山西-临汾.
    pub area: String,
    /// The province part of `area`.
    pub province: String,
    /// The city part of `area`.
    pub city: String,
    /// The carrier, e.g. 中国联通.
    pub carrier: String,
    /// When the upstream checked it (RFC 3339), empty when not checked.
    pub checked_at: String,
    /// True when an earlier row held the same number (answered from that row's check).
    pub duplicate: bool,
    /// True when the server answered from its cache (nothing billed; see `checked_at`).
    #[serde(default)]
    pub from_cache: bool,
    /// Why the row is invalid, or why its check failed.
    pub note: String,
    /// The input row's cells, unchanged, for a table input (CSV, TSV, a sheet); empty for
    /// text. Written before the result columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cells: Vec<String>,
}

/// The result columns written after a whole input row, in order: the number as the service
/// read it (the normalized 11 digits, empty for an invalid input), then what became of it.
pub const RESULT_COLUMNS: [&str; 11] = [
    "mobile",
    "status",
    "status_name",
    "area",
    "province",
    "city",
    "carrier",
    "checked_at",
    "duplicate",
    "from_cache",
    "note",
];

/// Where a row was in its input: the columns the results-only layout writes before
/// [`RESULT_COLUMNS`].
const PLACE_COLUMNS: [&str; 3] = ["index", "line", "input"];

/// The columns of the results-only layout (`--results-only`, or a text input): where the
/// row was, then the result columns.
pub const RESULTS_ONLY_COLUMNS: [&str; 14] = {
    let mut columns = [""; 14];
    let mut i = 0;
    while i < columns.len() {
        columns[i] = if i < PLACE_COLUMNS.len() {
            PLACE_COLUMNS[i]
        } else {
            RESULT_COLUMNS[i - PLACE_COLUMNS.len()]
        };
        i += 1;
    }
    columns
};

/// How many result columns a whole-row output written before the `mobile` column had: such
/// an output is still read back by `--resume`.
pub(crate) const RESULT_COLUMNS_BEFORE_MOBILE: usize = RESULT_COLUMNS.len() - 1;

impl RowResult {
    /// A record for a row that was not checked, saying why.
    pub fn unchecked(index: u64, line: u64, input: String, why: &str) -> RowResult {
        RowResult {
            index,
            line,
            input,
            mobile: String::new(),
            status: RowStatus::Unchecked,
            status_name: String::new(),
            area: String::new(),
            province: String::new(),
            city: String::new(),
            carrier: String::new(),
            checked_at: String::new(),
            duplicate: false,
            from_cache: false,
            note: why.to_owned(),
            cells: Vec::new(),
        }
    }

    /// The number a numbers-only list holds: the normalized one, else the input as written.
    pub fn number(&self) -> &str {
        if self.mobile.is_empty() {
            &self.input
        } else {
            &self.mobile
        }
    }

    /// The values of [`RESULT_COLUMNS`].
    pub fn result_fields(&self) -> [&str; 11] {
        [
            &self.mobile,
            self.status.name(),
            &self.status_name,
            &self.area,
            &self.province,
            &self.city,
            &self.carrier,
            &self.checked_at,
            flag(self.duplicate),
            flag(self.from_cache),
            &self.note,
        ]
    }

    /// The row's cells padded to `width` columns (a short row's missing cells empty).
    pub fn cells_padded(&self, width: usize) -> impl Iterator<Item = &str> {
        self.cells
            .iter()
            .map(String::as_str)
            .chain(std::iter::repeat_n(
                "",
                width.saturating_sub(self.cells.len()),
            ))
    }

    /// A whole-row record: the cells padded to `width`, then the values of [`RESULT_COLUMNS`].
    pub fn whole_fields(&self, width: usize) -> impl Iterator<Item = &str> {
        self.cells_padded(width).chain(self.result_fields())
    }

    /// A per-status file's row: the cells padded to `width`, then the `mobile` column.
    pub fn split_fields(&self, width: usize) -> impl Iterator<Item = &str> {
        self.cells_padded(width).chain([self.mobile.as_str()])
    }

    /// The values of [`RESULTS_ONLY_COLUMNS`].
    pub fn results_only_fields(&self) -> [Cow<'_, str>; 14] {
        let place = [
            Cow::Owned(self.index.to_string()),
            Cow::Owned(self.line.to_string()),
            Cow::Borrowed(self.input.as_str()),
        ];
        let mut fields = place
            .into_iter()
            .chain(self.result_fields().map(Cow::Borrowed));
        std::array::from_fn(|_| fields.next().unwrap_or_default())
    }

    /// A record back from the values of [`RESULT_COLUMNS`] (as [`RowResult::result_fields`]
    /// wrote them) and where the row was; `None` when they do not parse.
    pub fn from_result_fields(
        index: u64,
        line: u64,
        input: &str,
        fields: &[&str],
    ) -> Option<RowResult> {
        let [
            mobile,
            status,
            status_name,
            area,
            province,
            city,
            carrier,
            checked_at,
            duplicate,
            cached,
            note,
        ] = fields
        else {
            return None;
        };
        Some(RowResult {
            index,
            line,
            input: input.to_owned(),
            mobile: (*mobile).to_owned(),
            status: RowStatus::from_name(status)?,
            status_name: (*status_name).to_owned(),
            area: (*area).to_owned(),
            province: (*province).to_owned(),
            city: (*city).to_owned(),
            carrier: (*carrier).to_owned(),
            checked_at: (*checked_at).to_owned(),
            duplicate: parse_flag(duplicate)?,
            from_cache: parse_flag(cached)?,
            note: (*note).to_owned(),
            cells: Vec::new(),
        })
    }
}

fn flag(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn parse_flag(s: &str) -> Option<bool> {
    match s {
        "true" => Some(true),
        "false" | "" => Some(false),
        _ => None,
    }
}

/// Rows counted by status, province and carrier: the summary sheet of a workbook and the
/// console's charts.
#[derive(Debug, Default)]
pub struct RowTally {
    /// Rows counted.
    pub rows: u64,
    /// Rows by status, in [`RowStatus::ALL`] order.
    pub by_status: [u64; RowStatus::ALL.len()],
    /// Rows by province (rows without one left out).
    pub by_province: HashMap<String, u64>,
    /// Rows by carrier (rows without one left out).
    pub by_carrier: HashMap<String, u64>,
}

impl RowTally {
    /// Counts one row.
    pub fn add(&mut self, r: &RowResult) {
        self.add_rows(r.status, &r.province, &r.carrier, 1);
    }

    /// Counts `rows` rows alike: a status, a province and a carrier (a blank one is not
    /// counted), as a job's counts by answer give them.
    pub fn add_rows(&mut self, status: RowStatus, province: &str, carrier: &str, rows: u64) {
        self.rows += rows;
        self.by_status[status.position()] += rows;
        count(&mut self.by_province, province, rows);
        count(&mut self.by_carrier, carrier, rows);
    }
}

/// `rows` more for `key` (a blank key is not counted); the key is copied only the first time.
fn count(counts: &mut HashMap<String, u64>, key: &str, rows: u64) {
    if key.is_empty() {
        return;
    }
    match counts.get_mut(key) {
        Some(n) => *n += rows,
        None => {
            counts.insert(key.to_owned(), rows);
        }
    }
}

/// Counts, largest first (then by name, so the order is stable).
pub fn ranked(counts: &HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

/// The header of a whole-row output: the input's column names, then the result columns, a
/// result column whose name an input column already has taking the suffix `_result`.
pub fn whole_row_header(input: &[String]) -> Vec<String> {
    with_result_columns(input, &RESULT_COLUMNS)
}

/// The header of a per-status file: the input's column names, then `mobile` (named as in
/// [`whole_row_header`]).
pub fn split_header(input: &[String]) -> Vec<String> {
    with_result_columns(input, &RESULT_COLUMNS[..1])
}

fn with_result_columns(input: &[String], names: &[&str]) -> Vec<String> {
    let taken = |name: &str| input.iter().any(|c| c.trim().eq_ignore_ascii_case(name));
    let mut header = input.to_vec();
    for name in names {
        let mut column = (*name).to_owned();
        while taken(&column) {
            column.push_str("_result");
        }
        header.push(column);
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_fields_read_back() {
        let mut r = RowResult::unchecked(3, 5, "131 1111 1111".into(), "a, \"note\"");
        r.status = RowStatus::Checked(LineStatus::Real);
        r.duplicate = true;
        r.mobile = "13111111111".into();
        let back = RowResult::from_result_fields(3, 5, &r.input, &r.result_fields()).unwrap();
        assert_eq!(back, r);
        assert!(RowResult::from_result_fields(0, 0, "", &["real"]).is_none());
    }

    #[test]
    fn a_result_column_named_like_an_input_column_gets_a_suffix() {
        let input = [
            "客户".into(),
            "Status".into(),
            "note".into(),
            "Mobile".into(),
        ];
        let header = whole_row_header(&input);
        assert_eq!(&header[..4], ["客户", "Status", "note", "Mobile"]);
        assert_eq!(header[4], "mobile_result");
        assert_eq!(header[5], "status_result");
        assert_eq!(header[14], "note_result");
        assert_eq!(header.len(), 15);
        assert_eq!(&split_header(&input)[4..], ["mobile_result"]);
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    #[test]
    fn results_only_is_the_place_then_the_result_columns() {
        assert_eq!(
            &RESULTS_ONLY_COLUMNS[..4],
            ["index", "line", "input", "mobile"]
        );
        assert_eq!(&RESULTS_ONLY_COLUMNS[3..], RESULT_COLUMNS);
        let r = RowResult::unchecked(7, 9, "x".into(), "why");
        let fields = r.results_only_fields();
        assert_eq!(fields[0], "7");
        assert_eq!(fields[2], "x");
        assert_eq!(fields[4], "unchecked");
        assert_eq!(fields[13], "why");
    }
}
