//! The tonic service: gRPC requests in, [`Pipeline`] calls, gRPC responses out. It translates
//! and does nothing else; errors become statuses only through [`crate::serving::status`].

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::checking::cache::Freshness;
use crate::checking::checked_line::LineStatus;
use crate::checking::pipeline::{
    BulkChunk, CheckError, NumberResult, Outcome, Pipeline, StatusCounts, StreamEvent, Summary,
};
use crate::checking::spend::Payer;
use crate::jobs::store::WebhookState;
use crate::jobs::uploads::{UploadError, UploadPreview, Uploads};
use crate::jobs::{InputRow, JobChunk, JobError, JobPreview, JobRecord, JobState, Jobs, UsageRow};
use crate::lists::RowStatus;
use crate::lists::record::{RowTally, ranked};
use crate::pb;
use crate::serving::builds::Builds;
use crate::serving::encoded_replies::ResultsReply;
use crate::serving::middleware::CallerSlot;
use crate::serving::parsed_requests::ParsedCheckRequest;
use crate::serving::status::{not_checked_status, rpc_status};
use crate::usage::{UsageError, UsageLedger};

/// The server side of `phonecheck.v1.PhoneCheck` as `build.rs` generates it: `pb`'s messages,
/// except that `Check` and `CheckStream` requests arrive as [`ParsedCheckRequest`].
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub(crate) mod generated {
    include!(concat!(env!("OUT_DIR"), "/server/phonecheck.v1.rs"));
}

use generated::phone_check_server::PhoneCheck;
pub(crate) use generated::phone_check_server::PhoneCheckServer;

/// The `phonecheck.v1.PhoneCheck` service.
#[derive(Debug, Clone)]
pub struct PhoneCheckService {
    pipeline: Arc<Pipeline>,
    jobs: Arc<Jobs>,
    usage: UsageAccess,
    /// Files kept to become jobs.
    uploads: Uploads,
    /// Workbooks and zips being built for HTTP downloads.
    builds: Builds,
}

/// The usage ledger and who may read which of its rows.
#[derive(Debug, Clone)]
pub struct UsageAccess {
    /// The ledger.
    pub ledger: Arc<UsageLedger>,
    /// Key names that may read every caller's rows.
    pub admins: HashSet<String>,
    /// Whether calls come with API keys; without them, anyone may read every row.
    pub keys_required: bool,
}

impl UsageAccess {
    /// The caller whose rows `asked` names for a call by `payer` (`None`: every caller), if
    /// the call may read them.
    fn whose(&self, payer: &Payer, asked: &str) -> Result<Option<String>, UsageError> {
        let own = payer.name();
        let admin = !self.keys_required || self.admins.contains(own);
        match asked.trim() {
            "" => Ok(Some(own.to_owned())),
            name if name == own => Ok(Some(own.to_owned())),
            "*" if admin => Ok(None),
            name if admin => Ok(Some(name.to_owned())),
            name => Err(UsageError::NotYours {
                caller: name.to_owned(),
            }),
        }
    }
}

impl PhoneCheckService {
    /// A service answering through `pipeline`, with durable `jobs`, the `usage` ledger, the
    /// `uploads` this replica keeps and the file downloads it `builds`.
    pub fn new(
        pipeline: Arc<Pipeline>,
        jobs: Arc<Jobs>,
        usage: UsageAccess,
        uploads: Uploads,
        builds: Builds,
    ) -> Self {
        PhoneCheckService {
            pipeline,
            jobs,
            usage,
            uploads,
            builds,
        }
    }
}

/// Who pays for a call: its key's name (anonymous without keys).
fn payer<T>(request: &Request<T>) -> Payer {
    Payer::new(&owner(request))
}

/// Whose jobs a call may see: the name of its API key ("" when the server has no keys).
fn owner<T>(request: &Request<T>) -> String {
    request
        .extensions()
        .get::<CallerSlot>()
        .and_then(CallerSlot::name)
        .unwrap_or_default()
        .to_owned()
}

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl PhoneCheck for PhoneCheckService {
    async fn check(
        &self,
        request: Request<ParsedCheckRequest>,
    ) -> Result<Response<pb::CheckResponse>, Status> {
        let deadline = caller_deadline(&request);
        let payer = payer(&request);
        let request = request.into_inner();
        let freshness = freshness(request.options.as_ref())?;
        if previews(request.options.as_ref()) {
            let limit = self.pipeline.max_check_numbers();
            let summary = self
                .pipeline
                .preview(request.mobiles, freshness, limit)
                .await?;
            return Ok(Response::new(pb::CheckResponse {
                results: Vec::new(),
                summary: Some(summary.into()),
            }));
        }
        let (results, summary) = self
            .pipeline
            .check(payer, request.mobiles, freshness, deadline)
            .await?;
        Ok(Response::new(pb::CheckResponse {
            results: results.into_iter().map(pb::PhoneResult::from).collect(),
            summary: Some(summary.into()),
        }))
    }

    type CheckStreamStream = ResponseStream<ResultsReply>;

    async fn check_stream(
        &self,
        request: Request<ParsedCheckRequest>,
    ) -> Result<Response<Self::CheckStreamStream>, Status> {
        let deadline = caller_deadline(&request);
        let payer = payer(&request);
        let request = request.into_inner();
        let freshness = freshness(request.options.as_ref())?;
        let events = if previews(request.options.as_ref()) {
            let limit = self.pipeline.max_stream_numbers();
            let summary = self
                .pipeline
                .preview(request.mobiles, freshness, limit)
                .await?;
            let (tx, rx) = tokio::sync::mpsc::channel(1);
            // Room for one: the send cannot wait.
            let _ = tx.try_send(StreamEvent::Finished(summary));
            rx
        } else {
            self.pipeline
                .check_stream(payer, request.mobiles, freshness, deadline)?
        };
        let stream = ReceiverStream::new(events).map(stream_message);
        Ok(Response::new(Box::pin(stream)))
    }

    type CheckBulkStream = ResponseStream<ResultsReply>;

    async fn check_bulk(
        &self,
        request: Request<Streaming<pb::CheckBulkRequest>>,
    ) -> Result<Response<Self::CheckBulkStream>, Status> {
        let deadline = caller_deadline(&request);
        let payer = payer(&request);
        let chunks = request.into_inner().map(|chunk| {
            let chunk =
                chunk.map_err(|status| CheckError::InputBroken(status.message().to_owned()))?;
            if previews(chunk.options.as_ref()) {
                return Err(CheckError::BadOption {
                    field: "options.validate_only",
                    reason: "CheckBulk does not preview; preview a long list with \
                             CreateJobRequest.validate_only, or a short one with Check",
                });
            }
            Ok(BulkChunk {
                freshness: chunk
                    .options
                    .as_ref()
                    .map(|o| freshness(Some(o)))
                    .transpose()?,
                inputs: chunk.mobiles,
            })
        });
        let events = self.pipeline.check_bulk(payer, chunks, deadline);
        let stream = ReceiverStream::new(events).map(stream_message);
        Ok(Response::new(Box::pin(stream)))
    }

    async fn create_job(
        &self,
        request: Request<Streaming<pb::CreateJobRequest>>,
    ) -> Result<Response<pb::Job>, Status> {
        let owner = owner(&request);
        let mut messages = request.into_inner();
        let first = match messages.next().await {
            Some(first) => Some(first?),
            None => None,
        };
        // A job of an upload: the one message says which, and how to read it.
        if let Some(first) = first.as_ref().filter(|m| !m.upload_id.is_empty()) {
            if !first.mobiles.is_empty() || !first.rows.is_empty() || !first.header.is_empty() {
                return Err(JobError::UploadWithMobiles.into());
            }
            if messages.next().await.is_some() {
                return Err(JobError::UploadWithMobiles.into());
            }
            let id = first.upload_id.clone();
            let reading = pb::reading(first.read_options.as_ref());
            let fields = job_chunk(first.clone())?;
            let validate_only = fields.validate_only;
            let rows = self.uploads.rows(&owner, &id, &reading, fields)?;
            let chunks = ReceiverStream::new(rows.chunks);
            if validate_only {
                return Ok(Response::new(self.jobs.preview(chunks).await?.into()));
            }
            let job = self.jobs.create(&owner, chunks).await?;
            self.uploads.remove(&owner, &id);
            return Ok(Response::new(job.into()));
        }
        let rest = messages.map(|message| {
            let message =
                message.map_err(|status| CheckError::InputBroken(status.message().to_owned()))?;
            job_chunk(message)
        });
        let first = first.map(job_chunk);
        // The first message says whether this is a preview.
        let preview = matches!(&first, Some(Ok(chunk)) if chunk.validate_only);
        let chunks = futures::stream::iter(first).chain(rest);
        if preview {
            return Ok(Response::new(self.jobs.preview(chunks).await?.into()));
        }
        let job = self.jobs.create(&owner, chunks).await?;
        Ok(Response::new(job.into()))
    }

    async fn create_upload(
        &self,
        request: Request<Streaming<pb::CreateUploadRequest>>,
    ) -> Result<Response<pb::Upload>, Status> {
        let owner = owner(&request);
        let mut messages = request.into_inner();
        let first = messages.next().await.transpose()?.unwrap_or_default();
        let data =
            futures::stream::iter([Ok(Bytes::from(first.data))]).chain(messages.map(|message| {
                message
                    .map(|m| Bytes::from(m.data))
                    .map_err(|status| UploadError::Broken(status.message().to_owned()))
            }));
        let upload = self.uploads.create(&owner, &first.name, data).await?;
        Ok(Response::new(upload.into()))
    }

    async fn get_upload(
        &self,
        request: Request<pb::GetUploadRequest>,
    ) -> Result<Response<pb::Upload>, Status> {
        let owner = owner(&request);
        let request = request.into_inner();
        let reading = pb::reading(request.read_options.as_ref());
        let upload = self.uploads.preview(&owner, &request.id, &reading).await?;
        Ok(Response::new(upload.into()))
    }

    async fn get_file_build(
        &self,
        request: Request<pb::GetFileBuildRequest>,
    ) -> Result<Response<pb::FileBuild>, Status> {
        let owner = owner(&request);
        let token = request.into_inner().token;
        let build = self.builds.read(&owner, &token)?;
        Ok(Response::new(pb::FileBuild {
            rows: build.rows,
            total: build.total,
            done: build.done,
        }))
    }

    async fn get_job(
        &self,
        request: Request<pb::GetJobRequest>,
    ) -> Result<Response<pb::Job>, Status> {
        let owner = owner(&request);
        let job = self.jobs.get(&owner, &request.into_inner().id).await?;
        Ok(Response::new(job.into()))
    }

    async fn list_jobs(
        &self,
        request: Request<pb::ListJobsRequest>,
    ) -> Result<Response<pb::ListJobsResponse>, Status> {
        let owner = owner(&request);
        let request = request.into_inner();
        let page = self
            .jobs
            .list(&owner, request.page_size as usize, &request.page_token)
            .await?;
        Ok(Response::new(pb::ListJobsResponse {
            jobs: page.jobs.into_iter().map(pb::Job::from).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn cancel_job(
        &self,
        request: Request<pb::CancelJobRequest>,
    ) -> Result<Response<pb::Job>, Status> {
        let owner = owner(&request);
        let job = self.jobs.cancel(&owner, &request.into_inner().id).await?;
        Ok(Response::new(job.into()))
    }

    async fn resume_job(
        &self,
        request: Request<pb::ResumeJobRequest>,
    ) -> Result<Response<pb::Job>, Status> {
        let owner = owner(&request);
        let request = request.into_inner();
        let cap = (request.max_billed > 0).then_some(request.max_billed);
        let job = self.jobs.resume(&owner, &request.id, cap).await?;
        Ok(Response::new(job.into()))
    }

    async fn delete_job(
        &self,
        request: Request<pb::DeleteJobRequest>,
    ) -> Result<Response<pb::DeleteJobResponse>, Status> {
        let owner = owner(&request);
        self.jobs.delete(&owner, &request.into_inner().id).await?;
        Ok(Response::new(pb::DeleteJobResponse {}))
    }

    type WatchJobStream = ResponseStream<pb::Job>;

    async fn watch_job(
        &self,
        request: Request<pb::WatchJobRequest>,
    ) -> Result<Response<Self::WatchJobStream>, Status> {
        let owner = owner(&request);
        let updates = self.jobs.watch(&owner, &request.into_inner().id).await?;
        let stream = ReceiverStream::new(updates).map(|job| Ok(pb::Job::from(job)));
        Ok(Response::new(Box::pin(stream)))
    }

    async fn get_job_summary(
        &self,
        request: Request<pb::GetJobSummaryRequest>,
    ) -> Result<Response<pb::JobSummary>, Status> {
        let owner = owner(&request);
        let request = request.into_inner();
        let top = match request.top {
            0 => 10,
            n => n.min(100) as usize,
        };
        // The job's counts by answer, kept as its batches were stored: a few hundred rows,
        // whatever the job's size.
        let mut tally = RowTally::default();
        for count in self.jobs.answer_counts(&owner, &request.id).await? {
            let line = &count.report;
            let (province, _) = line.province_and_city();
            tally.add_rows(
                RowStatus::Checked(line.status),
                province,
                &line.carrier,
                count.inputs,
            );
        }
        let largest = |counts: &std::collections::HashMap<String, u64>| {
            ranked(counts)
                .into_iter()
                .take(top)
                .map(|(name, inputs)| pb::SummaryCount { name, inputs })
                .collect()
        };
        Ok(Response::new(pb::JobSummary {
            provinces: largest(&tally.by_province),
            carriers: largest(&tally.by_carrier),
        }))
    }

    async fn get_usage(
        &self,
        request: Request<pb::GetUsageRequest>,
    ) -> Result<Response<pb::GetUsageResponse>, Status> {
        let payer = payer(&request);
        let request = request.into_inner();
        let caller = self.usage.whose(&payer, &request.caller)?;
        let ledger = &self.usage.ledger;
        let (from, to, rows) = ledger
            .read(caller.as_deref(), &request.from, &request.to)
            .await?;
        let budget = match &caller {
            Some(caller) => ledger.budget_report(caller).await?,
            None => None,
        };
        Ok(Response::new(pb::GetUsageResponse {
            days: rows.into_iter().map(pb::UsageDay::from).collect(),
            time_zone: ledger.zone_name(),
            from,
            to,
            budget: budget.map(|(budget, spent, ends)| pb::Budget {
                limit: budget.limit,
                period: budget.period.name().to_owned(),
                used: spent.used,
                reserved: spent.reserved,
                left: spent.left(budget.limit),
                resets_at: Some(prost_types::Timestamp {
                    seconds: ends.as_second(),
                    nanos: 0,
                }),
            }),
        }))
    }

    type GetJobResultsStream = ResponseStream<pb::GetJobResultsResponse>;

    async fn get_job_results(
        &self,
        request: Request<pb::GetJobResultsRequest>,
    ) -> Result<Response<Self::GetJobResultsStream>, Status> {
        let owner = owner(&request);
        let request = request.into_inner();
        let chunks = self
            .jobs
            .results(&owner, &request.id, request.from_index)
            .await?;
        let stream = ReceiverStream::new(chunks).map(|chunk| {
            let chunk = chunk?;
            let mut response = pb::GetJobResultsResponse {
                results: Vec::with_capacity(chunk.len()),
                rows: Vec::with_capacity(chunk.len()),
            };
            for row in chunk {
                response.rows.push(pb::Row {
                    line: row.line(),
                    cells: row.source.cells,
                });
                response.results.push(pb::PhoneResult::from(row.result));
            }
            Ok(response)
        });
        Ok(Response::new(Box::pin(stream)))
    }
}

impl From<UsageRow> for pb::UsageDay {
    fn from(row: UsageRow) -> Self {
        let s = row.spend;
        pb::UsageDay {
            caller: row.caller,
            day: row.day,
            billed: s.billed,
            cache_hits: s.cache_hits,
            invalid: s.invalid,
            duplicates: s.duplicates,
            calls: s.calls,
        }
    }
}

impl From<JobState> for pb::JobState {
    fn from(s: JobState) -> Self {
        match s {
            // Never shown: uploading jobs are not returned.
            JobState::Uploading | JobState::Queued => pb::JobState::Queued,
            JobState::Running => pb::JobState::Running,
            JobState::Succeeded => pb::JobState::Succeeded,
            JobState::Failed => pb::JobState::Failed,
            JobState::Cancelled => pb::JobState::Cancelled,
        }
    }
}

impl From<JobRecord> for pb::Job {
    fn from(j: JobRecord) -> Self {
        let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        pb::Job {
            state: pb::JobState::from(j.state) as i32,
            created_at: Some(j.created_at.into()),
            updated_at: Some(j.updated_at.into()),
            finished_at: j.finished_at.map(Into::into),
            total: j.total,
            unique: j.unique,
            done: j.done,
            billed: j.billed,
            cache_hits: j.cache_hits,
            invalid: j.invalid,
            duplicates: j.duplicates,
            by_status: Some(status_counts(
                |s| count(j.by_status[s.code() as usize]),
                count(j.invalid),
                count(j.failed),
            )),
            error: j.error.as_ref().map(rpc_status),
            options: Some(pb::CheckOptions {
                max_age: j
                    .max_age
                    .and_then(|d| prost_types::Duration::try_from(d).ok()),
                skip_cache: j.skip_cache,
                validate_only: false,
            }),
            billable: 0,
            max_billed: j.max_billed.unwrap_or(0),
            id: j.id,
            name: j.name,
            owner: j.owner,
            header: j.header,
            callback_url: j.callback_url.unwrap_or_default(),
            webhook: j.webhook.map(|w| pb::WebhookDelivery {
                state: match w.state {
                    WebhookState::Pending => pb::WebhookState::Pending,
                    WebhookState::Delivered => pb::WebhookState::Delivered,
                    WebhookState::GaveUp => pb::WebhookState::GaveUp,
                } as i32,
                attempts: w.attempts,
                last_attempt_at: w.last_attempt.map(Into::into),
                last_status: u32::from(w.last_status),
                last_error: w.last_error.unwrap_or_default(),
                next_attempt_at: w.next_attempt.map(Into::into),
            }),
        }
    }
}

/// One stream event as a response message (`CheckStreamResponse` or `CheckBulkResponse`,
/// which have the same fields), or as the status that ends the stream.
fn stream_message(event: StreamEvent) -> Result<ResultsReply, Status> {
    match event {
        StreamEvent::Results {
            results,
            done,
            total,
        } => Ok(ResultsReply::new(
            results,
            Some(pb::Progress { done, total }),
            None,
        )),
        StreamEvent::Finished(summary) => Ok(ResultsReply::new(
            Vec::new(),
            Some(pb::Progress {
                done: summary.total,
                total: summary.total,
            }),
            Some(summary.into()),
        )),
        StreamEvent::Failed(e) => Err(Status::from(e)),
    }
}

/// Whether a request asks for a preview (`CheckOptions.validate_only`).
/// A `CreateJob` message as the job runtime takes it.
fn job_chunk(message: pb::CreateJobRequest) -> Result<JobChunk, CheckError> {
    Ok(JobChunk {
        name: message.name,
        freshness: freshness(message.options.as_ref())?,
        inputs: message.mobiles,
        header: message.header,
        rows: message
            .rows
            .into_iter()
            .map(|row| InputRow {
                line: (row.line > 0).then_some(row.line),
                cells: row.cells,
            })
            .collect(),
        callback_url: message.callback_url,
        validate_only: message.validate_only,
        max_billed: message.max_billed,
        request_id: message.request_id,
    })
}

impl From<JobPreview> for pb::Job {
    fn from(p: JobPreview) -> Self {
        pb::Job {
            total: p.total,
            unique: p.unique,
            invalid: p.invalid,
            duplicates: p.duplicates,
            cache_hits: p.cache_hits,
            billable: p.billable,
            ..Default::default()
        }
    }
}

impl From<UploadPreview> for pb::Upload {
    fn from(u: UploadPreview) -> Self {
        pb::Upload {
            id: u.id,
            name: u.name,
            size_bytes: u.size_bytes,
            description: u.description,
            sheet: u.sheet.unwrap_or_default(),
            sheets: u.sheets,
            columns: u.columns,
            column: u.column.map_or(0, |c| u32::try_from(c).unwrap_or(u32::MAX)),
            has_header: u.has_header,
            rows: u
                .rows
                .into_iter()
                .map(|row| pb::Row {
                    cells: row.cells,
                    line: row.line.unwrap_or_default(),
                })
                .collect(),
            expires_at: Some(prost_types::Timestamp::from(u.expires_at)),
        }
    }
}

fn previews(options: Option<&pb::CheckOptions>) -> bool {
    options.is_some_and(|o| o.validate_only)
}

/// What a call accepts from the cache, from its `CheckOptions`.
fn freshness(options: Option<&pb::CheckOptions>) -> Result<Freshness, CheckError> {
    let Some(options) = options else {
        return Ok(Freshness::default());
    };
    let max_age = options
        .max_age
        .map(|d| {
            Duration::try_from(d).map_err(|_| CheckError::BadOption {
                field: "options.max_age",
                reason: "must be a duration of zero or more",
            })
        })
        .transpose()?;
    Ok(Freshness {
        max_age,
        skip: options.skip_cache,
    })
}

/// The caller's deadline from its `grpc-timeout` header, brought forward a little so that our
/// DEADLINE_EXCEEDED answer leaves before tonic's own timer turns it into CANCELLED.
fn caller_deadline<T>(request: &Request<T>) -> Option<Instant> {
    let timeout = request
        .metadata()
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_grpc_timeout)?;
    let margin = (timeout / 20).clamp(Duration::from_millis(5), Duration::from_millis(200));
    Some(Instant::now() + timeout.saturating_sub(margin))
}

/// Parses a gRPC `grpc-timeout` value: up to 8 digits and a unit (H, M, S, m, u, n).
fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

impl From<NumberResult> for pb::PhoneResult {
    fn from(r: NumberResult) -> Self {
        let mut out = pb::PhoneResult {
            index: r.index,
            input: r.input_text().into_owned(),
            mobile: r.mobile.map(|m| m.digits()).unwrap_or_default(),
            duplicate: r.duplicate,
            from_cache: r.from_cache,
            ..Default::default()
        };
        match r.outcome {
            Outcome::Checked(report) => {
                let (province, city) = report.province_and_city();
                out.province = province.to_owned();
                out.city = city.to_owned();
                out.status = pb::NumberStatus::from(report.status) as i32;
                out.status_name = report.status_name.to_string();
                out.area = report.area.to_string();
                out.carrier = report.carrier.to_string();
                out.checked_at = Some(report.checked_at.into());
            }
            Outcome::Invalid(reason) => {
                out.status = pb::NumberStatus::Invalid as i32;
                out.invalid_reason = reason.to_string();
            }
            Outcome::Failed(e) => out.error = Some(rpc_status(&e)),
            Outcome::NotChecked(cause) => out.error = Some(not_checked_status(cause.as_deref())),
        }
        out
    }
}

impl From<StatusCounts> for pb::StatusCounts {
    fn from(c: StatusCounts) -> Self {
        status_counts(|s| c.get(s), c.invalid, c.failed)
    }
}

/// The one place the API's counts by status are filled: a call's summary and a job's both
/// come here.
fn status_counts(count: impl Fn(LineStatus) -> u32, invalid: u32, failed: u32) -> pb::StatusCounts {
    pb::StatusCounts {
        empty: count(LineStatus::Empty),
        real: count(LineStatus::Real),
        suspended: count(LineStatus::Suspended),
        not_in_database: count(LineStatus::NotInDatabase),
        silent: count(LineStatus::Silent),
        risk: count(LineStatus::Risk),
        invalid,
        failed,
    }
}

impl From<Summary> for pb::CheckSummary {
    fn from(s: Summary) -> Self {
        pb::CheckSummary {
            total: s.total,
            unique: s.unique,
            invalid: s.invalid,
            duplicates: s.duplicates,
            billed: u32::try_from(s.billed).unwrap_or(u32::MAX),
            upstream_calls: s.upstream_calls,
            by_status: Some(s.by_status.into()),
            cache_hits: s.cache_hits,
            billable: s.billable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grpc_timeouts() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(
            parse_grpc_timeout("99999u"),
            Some(Duration::from_micros(99999))
        );
        assert_eq!(parse_grpc_timeout("S"), None);
        assert_eq!(parse_grpc_timeout("123456789S"), None);
        assert_eq!(parse_grpc_timeout("12x"), None);
        assert_eq!(parse_grpc_timeout("-1S"), None);
    }
}
