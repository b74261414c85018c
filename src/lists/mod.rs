//! Lists as people keep them: reading the rows to check from text, CSV/TSV and workbooks
//! (XLSX, XLS, ODS), in UTF-8, GBK/GB18030 or UTF-16, and writing them back with their
//! results: the whole input row followed by the result columns, as CSV, JSON lines, text or
//! an XLSX workbook, and one file per status (`--split`) in a folder or a zip.
//!
//! The CLI (`phonecheck check`, `phonecheck job`) reads and writes through this module; it is
//! not behind the `cli` feature, so the server can parse an uploaded file with it too. It
//! knows files, not the service: it imports nothing but number parsing (`checking::number`),
//! so every side may use it.
//!
//! - [`read`]: where rows come from, format and column detection, [`read::RowReader`].
//! - `encoding`: which text encoding a file is in, and decoding it to UTF-8.
//! - `workbook`: the rows of a spreadsheet's sheet, streamed on their own thread.
//! - [`record`]: one row's result ([`record::RowResult`]) and the result columns.
//! - [`mod@write`]: the output formats, [`write::ResultWriter`].
//! - `xlsx`: the XLSX results workbook (results, one sheet per status, a summary).
//! - [`split`]: one file per status, in a folder or a zip.
//! - [`previous`]: reading an earlier output back, for `--resume`.

mod encoding;
pub mod previous;
pub mod read;
pub mod record;
pub mod split;
mod workbook;
pub mod write;
mod xlsx;

/// The six line statuses a checked row can have (the checking core's one table).
pub use crate::checking::checked_line::LineStatus;
pub use read::{
    ChoiceNames, ColumnSpec, HeaderMode, InputFormat, InputOptions, Layout, ListError, Row,
    RowReader, SheetSpec, Source,
};
pub use record::{RowResult, RowStatus};
pub use split::{SplitFormat, SplitWriter};
pub use write::{OutputFormat, ResultWriter, WriteOptions};
