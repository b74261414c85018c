//! The XLSX results workbook: the results sheet first (each input row whole, then the result
//! columns), one sheet per status holding the same rows, and a summary sheet (counts and
//! shares by status, by province and by carrier). Written with `rust_xlsxwriter` in its
//! constant-memory mode: each sheet streams to a temporary file as rows arrive, so memory
//! does not grow with the list. Every cell is text, so a phone number never becomes
//! `1.39E+10`; each sheet's header row is frozen and filtered.

use std::path::PathBuf;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::record::{
    RESULTS_ONLY_COLUMNS, RowResult, RowStatus, RowTally, ranked, whole_row_header,
};
use super::write::WriteOptions;

/// The last row index a sheet has (Excel's limit is 1,048,576 rows).
const LAST_ROW: u32 = 1_048_575;

/// A new workbook as every list workbook is made: compressed at deflate level 1, which is a
/// few times faster than the default 6 and costs a few percent of size (a million-row
/// workbook spends most of its time being compressed).
pub(super) fn new_workbook() -> Workbook {
    let mut book = Workbook::new();
    book.set_zip_compression_level(1);
    book
}

/// One logical sheet written row by row; when it fills up, it goes on in "NAME (2)".
pub(super) struct SheetStream {
    title: String,
    header: Vec<String>,
    sheets: Vec<usize>,
    next_row: u32,
}

impl SheetStream {
    /// Adds the sheet `title` to `book` with its header row, frozen.
    pub(super) fn create(
        book: &mut Workbook,
        title: &str,
        header: Vec<String>,
    ) -> Result<SheetStream, XlsxError> {
        let mut stream = SheetStream {
            title: title.to_owned(),
            header,
            sheets: Vec::new(),
            next_row: 0,
        };
        stream.add_sheet(book)?;
        Ok(stream)
    }

    fn add_sheet(&mut self, book: &mut Workbook) -> Result<(), XlsxError> {
        let name = match self.sheets.len() {
            0 => self.title.clone(),
            n => format!("{} ({})", truncated(&self.title, 24), n + 1),
        };
        let bold = Format::new().set_bold();
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(name)?;
        sheet.set_freeze_panes(1, 0)?;
        for (c, h) in self.header.iter().enumerate() {
            sheet.write_string_with_format(0, column(c)?, h, &bold)?;
        }
        self.sheets.push(book.worksheets().len() - 1);
        self.next_row = 1;
        Ok(())
    }

    /// Writes one row of text cells (empty ones left blank).
    pub(super) fn write<'a>(
        &mut self,
        book: &mut Workbook,
        cells: impl Iterator<Item = &'a str>,
    ) -> Result<(), XlsxError> {
        if self.next_row > LAST_ROW {
            self.add_sheet(book)?;
        }
        let index = self.sheets.last().copied().unwrap_or(0);
        let sheet = book.worksheet_from_index(index)?;
        for (c, value) in cells.enumerate() {
            if !value.is_empty() {
                sheet.write_string(self.next_row, column(c)?, value)?;
            }
        }
        self.next_row += 1;
        Ok(())
    }

    /// Sets each sheet's filter over what it holds.
    pub(super) fn finish(&self, book: &mut Workbook) -> Result<(), XlsxError> {
        let last_column = column(self.header.len().saturating_sub(1))?;
        for (i, &index) in self.sheets.iter().enumerate() {
            let last_row = if i + 1 == self.sheets.len() {
                self.next_row.saturating_sub(1)
            } else {
                LAST_ROW
            };
            book.worksheet_from_index(index)?
                .autofilter(0, 0, last_row.max(1), last_column)?;
        }
        Ok(())
    }
}

/// A column index as the writer takes it; a row wider than Excel's 16,384 columns is refused.
fn column(c: usize) -> Result<u16, XlsxError> {
    u16::try_from(c)
        .ok()
        .filter(|&c| c < 16_384)
        .ok_or(XlsxError::RowColumnLimitError)
}

/// At most `n` characters of `s`.
fn truncated(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
pub(super) fn sheet_name(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let cleaned = truncated(cleaned.trim().trim_matches('\''), 31);
    if cleaned.is_empty() {
        "results".to_owned()
    } else {
        cleaned
    }
}

/// The results workbook being written.
pub(crate) struct XlsxResults {
    book: Workbook,
    path: PathBuf,
    whole: Option<usize>,
    results: SheetStream,
    by_status: Vec<Option<SheetStream>>,
    header: Vec<String>,
    tally: RowTally,
}

impl XlsxResults {
    /// Starts the workbook that [`XlsxResults::save`] writes to `path`.
    pub(crate) fn create(path: PathBuf, options: &WriteOptions) -> Result<XlsxResults, XlsxError> {
        let mut book = new_workbook();
        let header = match &options.columns {
            Some(columns) => whole_row_header(columns),
            None => RESULTS_ONLY_COLUMNS
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
        };
        let title = sheet_name(options.sheet.as_deref().unwrap_or("results"));
        let results = SheetStream::create(&mut book, &title, header.clone())?;
        let mut by_status: Vec<Option<SheetStream>> = RowStatus::ALL.iter().map(|_| None).collect();
        // Made from the start, so the workbook's sheets come in the same order every time.
        for status in RowStatus::ALL.into_iter().filter(|s| s.always_listed()) {
            by_status[status.position()] = Some(SheetStream::create(
                &mut book,
                &status_sheet(status),
                header.clone(),
            )?);
        }
        Ok(XlsxResults {
            book,
            path,
            whole: options.columns.as_ref().map(Vec::len),
            results,
            by_status,
            header,
            tally: RowTally::default(),
        })
    }

    /// Writes one row to the results sheet and to its status's sheet.
    pub(crate) fn write(&mut self, r: &RowResult) -> Result<(), XlsxError> {
        let results_only;
        let values: Vec<&str> = match self.whole {
            Some(width) => r.whole_fields(width).collect(),
            None => {
                results_only = r.results_only_fields();
                results_only.iter().map(|f| f.as_ref()).collect()
            }
        };
        self.results.write(&mut self.book, values.iter().copied())?;
        let slot = &mut self.by_status[r.status.position()];
        if slot.is_none() {
            *slot = Some(SheetStream::create(
                &mut self.book,
                &status_sheet(r.status),
                self.header.clone(),
            )?);
        }
        if let Some(sheet) = slot {
            sheet.write(&mut self.book, values.iter().copied())?;
        }
        self.tally.add(r);
        Ok(())
    }

    /// Adds the summary sheet, sets the filters and writes the file.
    pub(crate) fn save(mut self) -> Result<(), XlsxError> {
        self.results.finish(&mut self.book)?;
        for sheet in self.by_status.iter().flatten() {
            sheet.finish(&mut self.book)?;
        }
        let tally = std::mem::take(&mut self.tally);
        write_summary(&mut self.book, &tally)?;
        self.book.save(&self.path)
    }
}

/// The sheet of one status: "real 实号".
fn status_sheet(status: RowStatus) -> String {
    format!("{} {}", status.name(), status.label())
}

/// The summary sheet: by status, by province, by carrier, each with counts and shares.
fn write_summary(book: &mut Workbook, tally: &RowTally) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let sheet = book.add_worksheet();
    sheet.set_name("summary 汇总")?;
    sheet.set_column_width(0, 18)?;
    let share = |n: u64| {
        if tally.rows == 0 {
            0.0
        } else {
            n as f64 / tally.rows as f64
        }
    };
    let mut row = 0u32;
    let mut table = |title: &str,
                     rows: Vec<(String, u64)>,
                     sheet: &mut rust_xlsxwriter::Worksheet|
     -> Result<(), XlsxError> {
        sheet.write_string_with_format(row, 0, title, &bold)?;
        sheet.write_string_with_format(row, 1, "rows", &bold)?;
        sheet.write_string_with_format(row, 2, "share", &bold)?;
        row += 1;
        for (name, n) in rows {
            sheet.write_string(row, 0, &name)?;
            sheet.write_number(row, 1, n as f64)?;
            sheet.write_number_with_format(row, 2, share(n), &percent)?;
            row += 1;
        }
        row += 1;
        Ok(())
    };
    let statuses = RowStatus::ALL
        .iter()
        .zip(tally.by_status)
        .filter(|(s, n)| *n > 0 || s.always_listed())
        .map(|(s, n)| (status_sheet(*s), n))
        .chain(std::iter::once(("total 合计".to_owned(), tally.rows)))
        .collect();
    table("status 状态", statuses, sheet)?;
    table("province 省份", ranked(&tally.by_province), sheet)?;
    table("carrier 运营商", ranked(&tally.by_carrier), sheet)?;
    Ok(())
}
