//! Reading an earlier output back, for `--resume`: its records in order. Reading stops at the
//! first record that does not parse: a run killed mid-write leaves at most one such, at the
//! end, and every row from there on is checked again.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use super::record::{RESULT_COLUMNS, RESULT_COLUMNS_BEFORE_MOBILE, RowResult, RowStatus};
use super::write::OutputFormat;
use crate::checking::number::normalize_mobile;

/// The records of an earlier output, in order.
pub struct PreviousOutput {
    records: Box<dyn Iterator<Item = RowResult> + Send>,
}

impl PreviousOutput {
    /// Opens an earlier output of `format` at `path`. `whole` is, for an output of whole
    /// table rows, the number column and the input's width (the result columns follow it).
    pub fn open(
        path: &Path,
        format: OutputFormat,
        whole: Option<(usize, usize)>,
    ) -> io::Result<PreviousOutput> {
        let mut file = BufReader::new(File::open(path)?);
        if file.fill_buf()?.starts_with(super::write::BOM) {
            file.consume(super::write::BOM.len());
        }
        let records: Box<dyn Iterator<Item = RowResult> + Send> = match format {
            OutputFormat::Csv => {
                let csv = csv::ReaderBuilder::new().flexible(true).from_reader(file);
                let mut index = 0u64;
                Box::new(
                    csv.into_records()
                        .map_while(Result::ok)
                        .map_while(move |record| {
                            let r = from_csv(&record, whole, index);
                            index += 1;
                            r
                        }),
                )
            }
            OutputFormat::Jsonl => Box::new(
                file.lines()
                    .map_while(Result::ok)
                    .map_while(|line| serde_json::from_str::<RowResult>(&line).ok()),
            ),
            OutputFormat::Txt => Box::new(file.lines().map_while(Result::ok).map_while(|line| {
                let (number, status) = line.rsplit_once('\t')?;
                let status = RowStatus::from_name(status)?;
                let checked = !matches!(status, RowStatus::Invalid) && status.is_final();
                Some(RowResult {
                    mobile: if checked {
                        number.to_owned()
                    } else {
                        String::new()
                    },
                    status,
                    ..RowResult::unchecked(0, 0, number.to_owned(), "")
                })
            })),
            OutputFormat::Xlsx => {
                return Err(io::Error::other(
                    "--resume reads CSV, JSON lines or text outputs, not a workbook",
                ));
            }
        };
        Ok(PreviousOutput { records })
    }
}

/// One CSV record back: results-only (`index, line, input, mobile, …`) or a whole row
/// followed by the result columns.
fn from_csv(
    record: &csv::StringRecord,
    whole: Option<(usize, usize)>,
    index: u64,
) -> Option<RowResult> {
    let fields: Vec<&str> = record.iter().collect();
    match whole {
        None => {
            let [index, line, input, results @ ..] = fields.as_slice() else {
                return None;
            };
            RowResult::from_result_fields(index.parse().ok()?, line.parse().ok()?, input, results)
        }
        Some((column, width)) => {
            // An output written before the `mobile` column lacks it; the number is found again
            // from the input below either way.
            let results: Vec<&str> = match fields.len().checked_sub(width)? {
                n if n == RESULT_COLUMNS.len() => fields[width..].to_vec(),
                n if n == RESULT_COLUMNS_BEFORE_MOBILE => std::iter::once("")
                    .chain(fields[width..].iter().copied())
                    .collect(),
                _ => return None,
            };
            let input = fields.get(column)?.trim();
            let mut r = RowResult::from_result_fields(index, 0, input, &results)?;
            if r.status.is_final() && r.status != RowStatus::Invalid {
                r.mobile = normalize_mobile(input).ok()?.digits();
            }
            r.cells = fields[..width].iter().map(|c| (*c).to_owned()).collect();
            Some(r)
        }
    }
}

impl Iterator for PreviousOutput {
    type Item = RowResult;
    fn next(&mut self) -> Option<RowResult> {
        self.records.next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checking::checked_line::LineStatus;

    #[test]
    fn a_whole_row_output_written_before_the_mobile_column_still_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.csv");
        std::fs::write(
            &path,
            "name,phone,status,status_name,area,province,city,carrier,checked_at,duplicate,from_cache,note\n\
             a,+86 131-1111-1111,real,实号,山西-临汾,山西,临汾,中国联通,2026-11-29T10:00:00Z,false,false,\n\
             b,junk,invalid,,,,,,,false,false,expected 11 digits\n",
        )
        .unwrap();
        let back: Vec<RowResult> = PreviousOutput::open(&path, OutputFormat::Csv, Some((1, 2)))
            .unwrap()
            .collect();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].status, RowStatus::Checked(LineStatus::Real));
        assert_eq!(back[0].mobile, "13111111111");
        assert_eq!(back[0].cells, ["a", "+86 131-1111-1111"]);
        assert_eq!(back[1].status, RowStatus::Invalid);
        assert_eq!(back[1].mobile, "");
    }
}
