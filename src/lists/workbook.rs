//! The rows of one sheet of a workbook (XLSX, XLS, ODS, XLSB), read with `calamine` on a thread
//! of their own and handed over in batches, so a million-row sheet is never held whole: an
//! XLSX sheet is streamed cell by cell. Other formats are read a sheet at a time (XLS holds at
//! most 65,536 rows).
//!
//! Every cell becomes text as the sheet shows it: a number Excel stored as a number
//! (13912345678) reads as its digits, not as `1.39E+10`.
//!
//! A damaged file can make `calamine` panic (the fuzzer found one: an XLS whose sectors end
//! early). The reading thread catches that and reports it as the file's fault, and the rows
//! end only at an explicit last batch: a reader that stopped for any other reason is an error,
//! never a list cut short.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use calamine::{Data, DataRef, Reader, Sheets, open_workbook_auto};

use super::read::{ChoiceNames, InputOptions, ListError, SheetSpec, any_number};

/// Rows handed over at a time.
const BATCH: usize = 512;

/// How many rows of each sheet are looked at when no sheet is named.
const SNIFF_ROWS: usize = 50;

/// Rows as handed over: (row number from 1, cells), a batch at a time with whether it is the
/// sheet's last, or the fault.
type Batch = Result<(Vec<(u64, Vec<String>)>, bool), ListError>;

/// The records of one sheet: (row number from 1, cells), blank rows left out.
pub(super) struct SheetRecords {
    batches: Receiver<Batch>,
    batch: std::vec::IntoIter<(u64, Vec<String>)>,
    /// The last batch came, or the fault: nothing follows.
    over: bool,
    /// The file, for the error when its reader stops before the end.
    source_name: String,
}

impl Iterator for SheetRecords {
    type Item = Result<(u64, Vec<String>), ListError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.batch.next() {
                return Some(Ok(row));
            }
            if self.over {
                return None;
            }
            match self.batches.recv() {
                Ok(Ok((batch, last))) => {
                    self.batch = batch.into_iter();
                    self.over = last;
                }
                Ok(Err(e)) => {
                    self.over = true;
                    return Some(Err(e));
                }
                Err(_) => {
                    self.over = true;
                    return Some(Err(ListError::Workbook {
                        source_name: self.source_name.clone(),
                        problem: "the workbook reader stopped before the end of the sheet"
                            .to_owned(),
                    }));
                }
            }
        }
    }
}

/// The sheet chosen, and how many columns it spans (its used range: every row fits in it).
type Chosen = Result<(String, usize), ListError>;

/// Opens the workbook at `path` and the sheet `sheet` names (default: the first sheet whose
/// first rows hold a phone number). Returns its rows, the sheet's name and its width.
pub(super) fn open(
    path: &Path,
    options: &InputOptions,
) -> Result<(SheetRecords, String, usize), ListError> {
    let (chosen_tx, chosen_rx) = sync_channel(1);
    let (batches_tx, batches) = sync_channel(8);
    let (path, sheet, named_by) = (path.to_owned(), options.sheet.clone(), options.named_by);
    let name = path.display().to_string();
    let (chosen_fault, batches_fault, shown) =
        (chosen_tx.clone(), batches_tx.clone(), name.clone());
    std::thread::Builder::new()
        .name("workbook".to_owned())
        .spawn(move || {
            let read = catch_unwind(AssertUnwindSafe(|| {
                read_sheet(path, sheet, named_by, chosen_tx, batches_tx);
            }));
            if let Err(panic) = read {
                let fault = || ListError::Workbook {
                    source_name: shown.clone(),
                    problem: format!(
                        "the workbook is damaged: its reader failed ({})",
                        panic_text(panic.as_ref())
                    ),
                };
                tracing::warn!(file = %shown, "a workbook made its reader fail");
                // Whoever waits hears it: the opener before the sheet was chosen, the rows'
                // reader after.
                let _ = chosen_fault.try_send(Err(fault()));
                let _ = batches_fault.send(Err(fault()));
            }
        })
        .map_err(|error| ListError::Io {
            source_name: name.clone(),
            error,
        })?;
    let (chosen, width) = chosen_rx.recv().map_err(|_| ListError::Workbook {
        source_name: name.clone(),
        problem: "the workbook reader stopped".to_owned(),
    })??;
    let records = SheetRecords {
        batches,
        batch: Vec::new().into_iter(),
        over: false,
        source_name: name,
    };
    Ok((records, chosen, width))
}

/// The reading thread: opens, chooses the sheet, says which, then streams its rows.
fn read_sheet(
    path: PathBuf,
    sheet: Option<SheetSpec>,
    named_by: ChoiceNames,
    chosen: SyncSender<Chosen>,
    batches: SyncSender<Batch>,
) {
    let source_name = path.display().to_string();
    let failed = |problem: String| ListError::Workbook {
        source_name: source_name.clone(),
        problem,
    };
    let mut workbook = match open_workbook_auto(&path) {
        Ok(workbook) => workbook,
        Err(e) => {
            let _ = chosen.send(Err(failed(open_problem(&e))));
            return;
        }
    };
    let names = workbook.sheet_names();
    let listed = || {
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let name = match &sheet {
        Some(SheetSpec::Name(wanted)) => names.iter().find(|n| n.trim() == wanted.trim()),
        Some(SheetSpec::Position(n)) => names.get(n - 1),
        None => names.iter().find(|name| {
            let mut seen = 0;
            let mut found = false;
            let _ = rows_of(&mut workbook, name, &mut |_| {}, &mut |_, cells| {
                seen += 1;
                found = any_number(&cells);
                !found && seen < SNIFF_ROWS
            });
            found
        }),
    };
    let Some(name) = name.cloned() else {
        let problem = match &sheet {
            Some(SheetSpec::Name(wanted)) => {
                format!("no sheet named {wanted:?}; the workbook has {}", listed())
            }
            Some(SheetSpec::Position(n)) => {
                format!(
                    "no sheet {n}; the workbook has {} ({})",
                    names.len(),
                    listed()
                )
            }
            None => format!(
                "no sheet holds phone numbers in its first {SNIFF_ROWS} rows (sheets: {}); name one with {}",
                listed(),
                named_by.sheet
            ),
        };
        let _ = chosen.send(Err(failed(problem)));
        return;
    };
    let mut announced = false;
    let mut batch = Vec::with_capacity(BATCH);
    let mut announce = |width: usize| {
        announced = true;
        let _ = chosen.send(Ok((name.clone(), width)));
    };
    let read = rows_of(&mut workbook, &name, &mut announce, &mut |line, cells| {
        batch.push((line, cells));
        if batch.len() < BATCH {
            return true;
        }
        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
        batches.send(Ok((full, false))).is_ok()
    });
    if !announced {
        let problem = read
            .err()
            .unwrap_or_else(|| "the sheet could not be read".to_owned());
        let _ = chosen.send(Err(failed(problem)));
        return;
    }
    let last = match read {
        Ok(()) => Ok((batch, true)),
        Err(problem) => {
            // Rows read before the fault go first, then the fault.
            if !batch.is_empty() && batches.send(Ok((batch, false))).is_err() {
                return;
            }
            Err(failed(problem))
        }
    };
    let _ = batches.send(last);
}

/// The names of the sheets of the workbook at `path`, in order (none when it does not open,
/// or is too damaged to read). Read on a `workbook` thread too, like every use of `calamine`.
pub(super) fn sheet_names(path: &Path) -> Vec<String> {
    let path = path.to_owned();
    std::thread::Builder::new()
        .name("workbook".to_owned())
        .spawn(move || open_workbook_auto(&path).map(|w| w.sheet_names()))
        .ok()
        .and_then(|reading| reading.join().ok())
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// What a caught panic said.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}

/// Why a workbook did not open, in words a user can act on.
fn open_problem(e: &calamine::Error) -> String {
    let text = e.to_string();
    if text.to_ascii_lowercase().contains("password") {
        "the workbook is password-protected; save a copy without a password".to_owned()
    } else {
        format!("not a readable workbook ({text})")
    }
}

/// Tells `start` how many columns sheet `name` spans, then calls `emit` with each non-blank
/// row (its number from 1 and its cells) until it returns false.
fn rows_of(
    workbook: &mut Sheets<std::io::BufReader<std::fs::File>>,
    name: &str,
    start: &mut dyn FnMut(usize),
    emit: &mut dyn FnMut(u64, Vec<String>) -> bool,
) -> Result<(), String> {
    if let Sheets::Xlsx(xlsx) = workbook {
        let mut reader = xlsx
            .worksheet_cells_reader(name)
            .map_err(|e| e.to_string())?;
        start(reader.dimensions().end.1 as usize + 1);
        let mut row: Option<u32> = None;
        let mut cells: Vec<String> = Vec::new();
        while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
            let (r, c) = cell.get_position();
            if row != Some(r) {
                if let Some(previous) = row
                    && !cells.is_empty()
                    && !emit(u64::from(previous) + 1, std::mem::take(&mut cells))
                {
                    return Ok(());
                }
                row = Some(r);
                cells.clear();
            }
            let text = ref_text(cell.get_value());
            if text.is_empty() {
                continue;
            }
            let c = c as usize;
            if c < cells.len() {
                cells[c] = text;
            } else {
                cells.resize(c, String::new());
                cells.push(text);
            }
        }
        if let Some(last) = row
            && !cells.is_empty()
        {
            emit(u64::from(last) + 1, cells);
        }
        return Ok(());
    }
    let range = workbook.worksheet_range(name).map_err(|e| e.to_string())?;
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    start(range.end().map_or(0, |(_, c)| c as usize + 1));
    for (i, values) in range.rows().enumerate() {
        let mut cells = vec![String::new(); first_col as usize];
        cells.extend(values.iter().map(Data::to_string));
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if cells.is_empty() {
            continue;
        }
        if !emit(u64::from(first_row) + i as u64 + 1, cells) {
            break;
        }
    }
    Ok(())
}

/// A streamed cell as text.
fn ref_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::String(s) => s.clone(),
        DataRef::Empty => String::new(),
        other => Data::from(other.clone()).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::lists::{InputOptions, RowReader, Source};

    /// The fuzzer's finds (`fuzz/corpus/list_file/regression-*`, the first byte naming each
    /// `book.xls`): an XLS whose sectors end early made `calamine` panic, one whose sector chain
    /// loops made it read forever, growing without bound. Each read now fails at once, naming
    /// the file; none panics, hangs, or ends the list quietly.
    #[test]
    fn damaged_workbooks_are_errors_not_panics_hangs_or_short_lists() {
        let found: [&[u8]; 2] = [
            include_bytes!("../../fuzz/corpus/list_file/regression-calamine-xls-sectors-end-early"),
            include_bytes!("../../fuzz/corpus/list_file/regression-calamine-xls-chain-loops"),
        ];
        for found in found {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("book.xls");
            std::fs::write(&path, &found[1..]).unwrap();
            let read = RowReader::open(&Source::File(path.clone()), &InputOptions::default())
                .map(|reader| reader.collect::<Result<Vec<_>, _>>());
            let error = match read {
                Err(e) | Ok(Err(e)) => e.to_string(),
                Ok(Ok(rows)) => panic!("read as {} rows", rows.len()),
            };
            assert!(error.contains("book.xls"), "{error}");
            assert!(
                error.contains("damaged") || error.contains("not a readable workbook"),
                "{error}"
            );
            assert!(
                super::sheet_names(&path).is_empty(),
                "no sheet of it is named"
            );
        }
    }
}
