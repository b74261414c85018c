//! The generated `phonecheck.v1` API: messages and a client (the server trait is generated
//! apart, for `serving/grpc.rs`), the one mapping between the API's `NumberStatus` and the
//! checking core's [`LineStatus`], and an answer as a list's output record. The .proto under `proto/` documents every field.
#![allow(missing_docs)]

tonic::include_proto!("phonecheck.v1");

/// The encoded descriptors of `phonecheck.v1` and its imports, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("phonecheck_descriptor");

use std::sync::LazyLock;

use prost::Message as _;
use prost_reflect::DescriptorPool;

use crate::checking::checked_line::LineStatus;
use crate::lists::{RowResult, RowStatus};

/// The API's descriptors with every type its JSON may name: `phonecheck.v1`, its imports
/// (`google.api.http` among them) and the `google.rpc` error details from tonic-types' set
/// (whose own copy of `google.rpc.Status` is left out for ours), so that an error's details
/// render with their `@type`. Read by the JSON API and the webhooks' JSON; `None` only if the
/// build embedded a broken set, which is logged once.
pub fn descriptor_pool() -> Option<&'static DescriptorPool> {
    static POOL: LazyLock<Option<DescriptorPool>> = LazyLock::new(|| {
        let loaded = (|| {
            let mut pool = DescriptorPool::decode(FILE_DESCRIPTOR_SET)?;
            let details =
                prost_types::FileDescriptorSet::decode(tonic_types::pb::FILE_DESCRIPTOR_SET)
                    .map_err(|e| e.to_string());
            for file in details.into_iter().flat_map(|set| set.file) {
                if file.name() == "error_details.proto" {
                    pool.add_file_descriptor_proto(file)?;
                }
            }
            Ok::<_, prost_reflect::DescriptorError>(pool)
        })();
        loaded
            .map_err(|e| tracing::error!(error = %e, "the API's descriptors do not load"))
            .ok()
    });
    POOL.as_ref()
}

/// How a list file is read, from the API's `ReadOptions` (unset: everything found by looking).
pub(crate) fn reading(options: Option<&ReadOptions>) -> crate::lists::InputOptions {
    use crate::lists::{ColumnSpec, HeaderMode, InputOptions, SheetSpec};
    let options = options.cloned().unwrap_or_default();
    InputOptions {
        sheet: (!options.sheet.is_empty()).then(|| SheetSpec::Name(options.sheet.clone())),
        column: (options.column > 0).then_some(ColumnSpec::Position(options.column as usize)),
        header: match options.header() {
            HeaderRow::Present => HeaderMode::Yes,
            HeaderRow::Absent => HeaderMode::No,
            HeaderRow::Unspecified => HeaderMode::Auto,
        },
        named_by: crate::lists::ChoiceNames::API,
        ..InputOptions::default()
    }
}

/// The `ErrorInfo.reason` of a result whose number a stopped job never sent (a part of the
/// API: the server writes it, clients recognise it).
pub const NOT_CHECKED_REASON: &str = "NOT_CHECKED";

/// The `ErrorInfo.reason` of a job stopped by its own `max_billed` (clients tell a user to
/// resume it with a higher cap, since resuming under the same one stops at once).
pub const JOB_CAP_REACHED_REASON: &str = "JOB_CAP_REACHED";

/// The API's status for each line status: the one table between the two enums.
const NUMBER_STATUSES: [(LineStatus, NumberStatus); 6] = [
    (LineStatus::Empty, NumberStatus::Empty),
    (LineStatus::Real, NumberStatus::Real),
    (LineStatus::Suspended, NumberStatus::Suspended),
    (LineStatus::NotInDatabase, NumberStatus::NotInDatabase),
    (LineStatus::Silent, NumberStatus::Silent),
    (LineStatus::Risk, NumberStatus::Risk),
];

impl From<LineStatus> for NumberStatus {
    fn from(line: LineStatus) -> Self {
        NUMBER_STATUSES[line.code() as usize].1
    }
}

impl NumberStatus {
    /// The line status this API status stands for; `None` for INVALID and UNSPECIFIED.
    pub fn line_status(self) -> Option<LineStatus> {
        NUMBER_STATUSES
            .iter()
            .find(|(_, api)| *api == self)
            .map(|(line, _)| *line)
    }
}

/// Whether a result's error says its number was never sent (a stopped job's), rather than
/// that its check failed.
fn never_sent(error: &tonic_types::Status) -> bool {
    reason_of(error).is_some_and(|reason| reason == NOT_CHECKED_REASON)
}

/// The `ErrorInfo.reason` of an error the API sends inside a message (a result's, a job's).
pub(crate) fn reason_of(error: &tonic_types::Status) -> Option<String> {
    let status = tonic::Status::with_details(
        tonic::Code::Ok,
        "",
        prost::Message::encode_to_vec(error).into(),
    );
    tonic_types::StatusExt::get_details_error_info(&status).map(|info| info.reason)
}

/// An answer from the API as a list's output record of row `row` (from 0) at line `line`:
/// what the CLI's `check` and `job results` and the JSON API's file downloads write.
pub(crate) fn list_record(r: PhoneResult, row: u64, line: u64) -> RowResult {
    let status = match r.status() {
        NumberStatus::Invalid => RowStatus::Invalid,
        _ if r.error.as_ref().is_some_and(never_sent) => RowStatus::Unchecked,
        status => status
            .line_status()
            .map_or(RowStatus::Error, RowStatus::Checked),
    };
    let note = match (&r.error, status) {
        (Some(e), _) => e.message.clone(),
        (None, RowStatus::Invalid) => r.invalid_reason.clone(),
        (None, RowStatus::Error) => "no status in the answer".to_owned(),
        (None, _) => String::new(),
    };
    RowResult {
        index: row,
        line,
        input: r.input,
        mobile: r.mobile,
        status,
        status_name: r.status_name,
        area: r.area,
        province: r.province,
        city: r.city,
        carrier: r.carrier,
        checked_at: r.checked_at.map(|t| t.to_string()).unwrap_or_default(),
        duplicate: r.duplicate,
        from_cache: r.from_cache,
        note,
        cells: Vec::new(),
    }
}

/// A page of a job's results as output records, each with its row's cells and line: what
/// `phonecheck job results` and the JSON API's file downloads write.
pub(crate) fn page_records(page: GetJobResultsResponse) -> Vec<RowResult> {
    let mut rows = page.rows.into_iter();
    page.results
        .into_iter()
        .map(|result| {
            let index = u64::from(result.index);
            // A server older than lines on rows sends none: the position stands in.
            let row = rows.next().unwrap_or_default();
            let line = if row.line > 0 { row.line } else { index + 1 };
            let mut record = list_record(result, index, line);
            record.cells = row.cells;
            record
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_status_has_the_api_status_of_its_name() {
        for line in LineStatus::ALL {
            let api = NumberStatus::from(line);
            let expected = format!("NUMBER_STATUS_{}", line.name().to_uppercase());
            assert_eq!(api.as_str_name(), expected);
            assert_eq!(api.line_status(), Some(line));
        }
        assert_eq!(NumberStatus::Invalid.line_status(), None);
        assert_eq!(NumberStatus::Unspecified.line_status(), None);
    }
}
