//! `GET /v1/jobs/{id}/results` as a file, chosen by `Accept`: CSV (`text/csv`, streamed as it
//! is written; `text/csv; bom=true` starts it with the byte-order mark Excel needs to read
//! UTF-8), an Excel workbook or one file per status in a zip (built first, then sent; a
//! `Phonecheck-Build: TOKEN` header lets the console follow the build, [`Builds`]).
//! Each row is whole (the job's columns, then the result's) when the job kept rows, as
//! `phonecheck job results` writes it. The answers come from `GetJob` and `GetJobResults`
//! called in-process like any other request; this module only writes them as a file.

use bytes::Bytes;
use prost::Message as _;
use tonic::Status;
use tonic::metadata::MetadataMap;

use http::uri::PathAndQuery;

use super::channel::{InProcess, path_of};
use super::routes::Route;
use crate::lists::split::SplitLayout;
use crate::lists::{OutputFormat, ResultWriter, RowResult, SplitWriter, WriteOptions};
use crate::pb;
use crate::serving::builds::{Builds, Progress};
use crate::serving::file_downloads::{
    BodyWriter, RowChunks, attachment, download_name, produce, send,
};

/// The request header naming a built file's progress (see [`Builds`]).
pub(super) const BUILD_HEADER: &str = "phonecheck-build";

/// A file a job's results can be had as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileKind {
    /// `text/csv`; with a byte-order mark (`bom=true`) for Excel.
    Csv {
        /// Start with a UTF-8 byte-order mark.
        bom: bool,
    },
    /// An Excel workbook.
    Xlsx,
    /// One file per status, zipped.
    Zip,
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl FileKind {
    /// The file `accept` asks for, if it asks for one (else the answer is NDJSON).
    pub(super) fn asked(accept: &str) -> Option<FileKind> {
        let csv = FileKind::Csv {
            bom: accept
                .split(',')
                .find(|media| media.trim_start().starts_with("text/csv"))
                .is_some_and(|media| media.replace(' ', "").contains(";bom=true")),
        };
        [
            ("text/csv", csv),
            (XLSX, FileKind::Xlsx),
            ("application/zip", FileKind::Zip),
        ]
        .into_iter()
        .filter_map(|(media, kind)| accept.find(media).map(|at| (at, kind)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, kind)| kind)
    }
}

/// The results that `request` (an encoded `GetJobResultsRequest`, for `route`) names, as a
/// `kind` file.
pub(super) async fn results_file(
    channel: &InProcess,
    route: &Route,
    request: Bytes,
    metadata: MetadataMap,
    kind: FileKind,
    build: Option<(Builds, String)>,
) -> Result<axum::response::Response, Status> {
    let asked = pb::GetJobResultsRequest::decode(request.clone())
        .map_err(|e| Status::internal(format!("the request did not re-decode: {e}")))?;
    let get_job = route
        .method
        .parent_service()
        .methods()
        .find(|m| m.name() == "GetJob")
        .and_then(|m| path_of(&m).ok())
        .ok_or_else(|| Status::internal("the service has no GetJob"))?;
    let job = one_answer::<pb::Job>(
        channel,
        get_job,
        metadata.clone(),
        pb::GetJobRequest { id: asked.id }.encode_to_vec().into(),
    )
    .await?;
    let answers = channel
        .call(
            route.grpc_path.clone(),
            metadata,
            tokio_stream::once(request),
        )
        .await?
        .into_inner();
    // Counted under the job's owner: only the key that may read the job sees how far.
    let progress = match (&build, kind) {
        (Some((builds, token)), FileKind::Xlsx | FileKind::Zip) => builds
            .start(&job.owner, Some(token), job.total)
            .map_err(|e| Status::invalid_argument(format!("{BUILD_HEADER}: {e}")))?,
        _ => None,
    };
    let rows = output_rows(answers);
    let header = (!job.header.is_empty()).then(|| job.header.clone());
    match kind {
        FileKind::Csv { bom } => Ok(csv(rows, header, bom, &job.name)),
        FileKind::Xlsx => {
            let options = WriteOptions {
                columns: header,
                bom: false,
                sheet: None,
            };
            let scratch = scratch("xlsx")?;
            let path = scratch.to_path_buf();
            let write = move |rows: &mut dyn Iterator<Item = RowResult>| {
                let mut writer = ResultWriter::xlsx(path, &options)?;
                for row in rows {
                    writer.write(&row)?;
                }
                writer.finish()
            };
            let name = download_name(&job.name, "results", "xlsx");
            built(rows, write, progress, scratch, XLSX, &name).await
        }
        FileKind::Zip => {
            let layout = match header {
                Some(header) => SplitLayout::Csv { header, bom: false },
                None => SplitLayout::Txt,
            };
            let scratch = scratch("zip")?;
            let path = scratch.to_path_buf();
            let write = move |rows: &mut dyn Iterator<Item = RowResult>| {
                let mut split = SplitWriter::create(&path, layout)?;
                for row in rows {
                    split.write(&row)?;
                }
                split.finish().map(|_| ())
            };
            let name = download_name(&job.name, "by-status", "zip");
            built(rows, write, progress, scratch, "application/zip", &name).await
        }
    }
}

/// The one message a unary method answers.
async fn one_answer<M: prost::Message + Default>(
    channel: &InProcess,
    path: PathAndQuery,
    metadata: MetadataMap,
    request: Bytes,
) -> Result<M, Status> {
    let mut answers = channel
        .call(path, metadata, tokio_stream::once(request))
        .await?
        .into_inner();
    let message = answers
        .message()
        .await?
        .ok_or_else(|| Status::internal("the call ended without an answer"))?;
    M::decode(message).map_err(|e| Status::internal(format!("an answer did not decode: {e}")))
}

/// The results' messages as output rows, each with its row's cells and line; a failed stream
/// is a failure of the rows, which cuts the file.
fn output_rows(mut answers: tonic::Streaming<Bytes>) -> RowChunks {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        loop {
            let rows = match answers.message().await {
                Ok(Some(message)) => pb::GetJobResultsResponse::decode(message)
                    .map(pb::page_records)
                    .map_err(|e| e.to_string()),
                Ok(None) => return,
                Err(status) => Err(status.message().to_owned()),
            };
            let failed = rows.is_err();
            if tx.send(rows).await.is_err() || failed {
                return;
            }
        }
    });
    rx
}

/// A CSV streamed as it is written; a failure after the first byte cuts the body, which a
/// client sees as an incomplete transfer, never as a shorter file that looks whole.
fn csv(
    rows: RowChunks,
    columns: Option<Vec<String>>,
    bom: bool,
    job: &str,
) -> axum::response::Response {
    let options = WriteOptions {
        columns,
        bom,
        sheet: None,
    };
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let body = BodyWriter::new(tx.clone());
    let write = move |rows: &mut dyn Iterator<Item = RowResult>| {
        let mut writer = ResultWriter::new(Box::new(body), OutputFormat::Csv, &options)?;
        for row in rows {
            writer.write(&row)?;
        }
        writer.finish()
    };
    tokio::spawn(async move {
        if let Err(e) = produce(rows, write, None).await {
            tracing::warn!(error = %e, "a CSV of results stopped part way");
            let _ = tx.send(Err(std::io::Error::other(e))).await;
        }
    });
    attachment(
        axum::body::Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
        "text/csv; charset=utf-8",
        None,
        &download_name(job, "results", "csv"),
    )
}

/// A workbook or zip: written whole to `scratch`, its rows counted on `progress` when the
/// build is followed, then sent.
async fn built<W>(
    rows: RowChunks,
    write: W,
    progress: Option<Progress>,
    scratch: tempfile::TempPath,
    kind: &'static str,
    name: &str,
) -> Result<axum::response::Response, Status>
where
    W: FnOnce(&mut dyn Iterator<Item = RowResult>) -> std::io::Result<()> + Send + 'static,
{
    let handed = progress.as_ref().map(|p| p.rows.clone());
    produce(rows, write, handed)
        .await
        .map_err(|e| Status::internal(format!("the file could not be written: {e}")))?;
    drop(progress);
    send(scratch, kind, name)
        .await
        .map_err(|e| Status::internal(format!("the file could not be sent: {e}")))
}

/// A scratch file for a built download, removed when dropped.
fn scratch(extension: &str) -> Result<tempfile::TempPath, Status> {
    tempfile::Builder::new()
        .prefix(".phonecheck-download-")
        .suffix(&format!(".{extension}"))
        .tempfile()
        .map(tempfile::NamedTempFile::into_temp_path)
        .map_err(|e| Status::internal(format!("no scratch space for the file: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_names_the_file_first_asked_for() {
        assert_eq!(
            FileKind::asked("text/csv"),
            Some(FileKind::Csv { bom: false })
        );
        assert_eq!(
            FileKind::asked("text/csv; bom=true"),
            Some(FileKind::Csv { bom: true })
        );
        assert_eq!(
            FileKind::asked(&format!("application/zip, {XLSX}")),
            Some(FileKind::Zip)
        );
        assert_eq!(FileKind::asked("application/x-ndjson"), None);
        assert_eq!(FileKind::asked("*/*"), None);
    }
}
