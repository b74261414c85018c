//! The API of the job runtime: what the service calls (create, get, list, watch, results,
//! cancel, resume, delete). Every call that changes a job announces the change to watchers,
//! wakes the scheduler, and asks the job's runner for a lease check when it may have lost it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;

use super::{
    AnswerCount, JobChunk, JobError, JobPage, JobPreview, JobRecord, JobState, JobStoreError, Jobs,
    Mobile, NewInput, NewJob, PENDING_CHUNK, RESULTS_CHUNK, ResultRow, StoredAnswer, StoredResult,
    WATCH_EVERY, new_id, webhooks,
};
use crate::checking::number::{InvalidReason, normalize_mobile};
use crate::checking::pipeline::{CheckError, NumberResult, Outcome};
use crate::checking::spend::{Payer, Spend};

impl Jobs {
    /// Counts a list as [`Jobs::create`] would take it, storing, sending and billing
    /// nothing: its inputs, invalid ones, repeats, what the cache answers now and what the
    /// rest would bill. Memory: 8 bytes per valid input.
    pub async fn preview<S>(&self, mut chunks: S) -> Result<JobPreview, JobError>
    where
        S: Stream<Item = Result<JobChunk, CheckError>> + Unpin,
    {
        let mut preview = JobPreview::default();
        let mut numbers: Vec<u64> = Vec::new();
        let mut freshness = None;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            if chunk.inputs.len() > self.config.max_chunk {
                return Err(JobError::Check(CheckError::ChunkTooLong {
                    limit: self.config.max_chunk,
                }));
            }
            freshness.get_or_insert(chunk.freshness);
            preview.total += chunk.inputs.len() as u64;
            for input in &chunk.inputs {
                match normalize_mobile(input) {
                    Ok(mobile) => numbers.push(mobile.as_u64()),
                    Err(_) => preview.invalid += 1,
                }
            }
        }
        if preview.total == 0 {
            return Err(JobError::Check(CheckError::NoNumbers { field: "mobiles" }));
        }
        let valid = numbers.len() as u64;
        numbers.sort_unstable();
        numbers.dedup();
        preview.unique = numbers.len() as u64;
        preview.duplicates = valid - preview.unique;
        let freshness = freshness.unwrap_or_default();
        for chunk in numbers.chunks(PENDING_CHUNK) {
            let tagged: Vec<(Mobile, u32)> = chunk
                .iter()
                .filter_map(|&n| Mobile::from_u64(n))
                .map(|m| (m, 0))
                .collect();
            let lookup = self.pipeline.cache().lookup(&tagged, freshness).await;
            preview.cache_hits += lookup.hits.len() as u64;
            preview.billable += u64::from(self.pipeline.billable(&lookup.misses));
        }
        Ok(preview)
    }

    /// Stores a list arriving in chunks and queues it; the job exists once every chunk is on
    /// disk. A broken or invalid upload leaves nothing behind.
    pub async fn create<S>(&self, owner: &str, mut chunks: S) -> Result<JobRecord, JobError>
    where
        S: Stream<Item = Result<JobChunk, CheckError>> + Unpin,
    {
        let id = new_id();
        let mut total = 0u64;
        let mut created = false;
        // The list's digest, so that a retry under the same request id is told from another
        // list; and that id, once the first message gave it.
        let mut digest = ListDigest::default();
        let mut request_id = None;
        let stored = async {
            // One message is written while the next is received and read, in order (one
            // write in flight): the store's work and the network's overlap.
            let mut writing: Option<BoxFuture<'_, Result<(), JobStoreError>>> = None;
            loop {
                let next = match writing.take() {
                    Some(write) => {
                        let (written, next) = futures::future::join(write, chunks.next()).await;
                        written?;
                        next
                    }
                    None => chunks.next().await,
                };
                let Some(chunk) = next else { break };
                let chunk = chunk?;
                digest.add(&chunk.inputs);
                if chunk.inputs.len() > self.config.max_chunk {
                    return Err(JobError::Check(CheckError::ChunkTooLong {
                        limit: self.config.max_chunk,
                    }));
                }
                if !chunk.rows.is_empty() && chunk.rows.len() != chunk.inputs.len() {
                    return Err(JobError::RowsMismatch {
                        inputs: chunk.inputs.len(),
                        rows: chunk.rows.len(),
                    });
                }
                if !created {
                    request_id = request_id_of(&chunk.request_id)?;
                    if let Some(request_id) = &request_id {
                        self.expire_request(owner, request_id).await?;
                    }
                    let callback_url = match chunk.callback_url.trim() {
                        "" => None,
                        url => {
                            let hooks = self
                                .webhooks
                                .as_ref()
                                .ok_or(webhooks::CallbackError::Disabled)?;
                            webhooks::check_callback_url(url, hooks.allow_private).await?;
                            Some(url.to_owned())
                        }
                    };
                    let made = self
                        .store
                        .create(NewJob {
                            id: id.clone(),
                            owner: owner.to_owned(),
                            name: chunk.name.clone(),
                            max_age: chunk.freshness.max_age,
                            skip_cache: chunk.freshness.skip,
                            header: chunk.header.clone(),
                            callback_url,
                            max_billed: (chunk.max_billed > 0).then_some(chunk.max_billed),
                            request_id: request_id.clone(),
                            trace_parent: crate::traces::current_parent(),
                        })
                        .await;
                    match made {
                        // Another call holds this request id: this one is a retry.
                        Err(JobStoreError::RequestIdTaken(_)) => return Ok(Upload::Repeat),
                        made => made?,
                    }
                    created = true;
                }
                let mut rows = chunk.rows.into_iter();
                let inputs: Vec<NewInput> = chunk
                    .inputs
                    .into_iter()
                    .map(|input| NewInput {
                        mobile: normalize_mobile(&input).ok(),
                        input,
                        source: rows.next().unwrap_or_default(),
                    })
                    .collect();
                let n = inputs.len() as u64;
                writing = Some(self.store.add_inputs(&id, total, inputs));
                total += n;
            }
            if total == 0 {
                return Err(JobError::Check(CheckError::NoNumbers { field: "mobiles" }));
            }
            Ok(Upload::Stored)
        }
        .await;
        match stored {
            Err(e) => {
                if created && let Err(cleanup) = self.store.delete(&id).await {
                    tracing::error!(error = %cleanup, "a broken upload could not be removed; it goes at the next start");
                }
                return Err(e);
            }
            Ok(Upload::Repeat) => {
                while let Some(chunk) = chunks.next().await {
                    digest.add(&chunk?.inputs);
                }
                let request_id = request_id.unwrap_or_default();
                return self.repeated(owner, &request_id, &digest.finish()).await;
            }
            Ok(Upload::Stored) => {}
        }
        if request_id.is_some() {
            self.store.set_list_digest(&id, &digest.finish()).await?;
        }
        self.store
            .transition(&id, &[JobState::Uploading], JobState::Queued, None)
            .await?;
        tracing::info!(job = %id, inputs = total, "job created");
        self.announce_change();
        self.wake_scheduler();
        let job = self.find(&id).await?;
        let spend = Spend {
            invalid: job.invalid,
            duplicates: job.duplicates,
            calls: 1,
            ..Spend::default()
        };
        self.pipeline.ledger().record(&Payer::new(owner), spend);
        Ok(job)
    }

    /// A request id already taken by `owner` more than a day ago is free again.
    async fn expire_request(&self, owner: &str, request_id: &str) -> Result<(), JobError> {
        if let Some(found) = self.store.find_request(owner, request_id).await?
            && found.created_at.elapsed().unwrap_or_default() > REQUEST_ID_KEPT
        {
            self.store.forget_request_id(&found.id).await?;
        }
        Ok(())
    }

    /// The answer to a `CreateJob` repeating `request_id`: the job the first call made once
    /// its upload is whole (even if another replica is still receiving it), when this call's
    /// list (`digest`) is the same; refused when it is another list.
    async fn repeated(
        &self,
        owner: &str,
        request_id: &str,
        digest: &str,
    ) -> Result<JobRecord, JobError> {
        let deadline = tokio::time::Instant::now() + REQUEST_WAIT;
        loop {
            let Some(found) = self.store.find_request(owner, request_id).await? else {
                return Err(JobError::RequestAbandoned(request_id.to_owned()));
            };
            // Not found while its upload goes on (uploading jobs are invisible); queued
            // between the two reads, its digest is read at the next turn.
            if let Ok(job) = self.find(&found.id).await
                && let Some(first) = found.list_digest.as_deref()
            {
                return if first == digest {
                    Ok(job)
                } else {
                    Err(JobError::RequestIdReused(request_id.to_owned()))
                };
            }
            if tokio::time::Instant::now() > deadline {
                return Err(JobError::RequestAbandoned(request_id.to_owned()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The job as it is now, whoever owns it.
    pub(super) async fn find(&self, id: &str) -> Result<JobRecord, JobError> {
        self.store
            .get(id)
            .await?
            .ok_or_else(|| JobError::NotFound(id.to_owned()))
    }

    /// The job as it is now, if `owner` (a caller's key name) owns it; another caller's job
    /// is as unknown to it as one that does not exist.
    pub async fn get(&self, owner: &str, id: &str) -> Result<JobRecord, JobError> {
        match self.find(id).await {
            Ok(job) if job.owner == owner => Ok(job),
            Ok(_) => Err(JobError::NotFound(id.to_owned())),
            Err(e) => Err(e),
        }
    }

    /// `owner`'s job's answered inputs by answer, as kept while its batches were stored: its
    /// summaries by status, province and carrier without reading its results.
    pub async fn answer_counts(&self, owner: &str, id: &str) -> Result<Vec<AnswerCount>, JobError> {
        self.get(owner, id).await?;
        Ok(self.store.answer_counts(id).await?)
    }

    /// One page of `owner`'s jobs, newest first.
    pub async fn list(
        &self,
        owner: &str,
        page_size: usize,
        page_token: &str,
    ) -> Result<JobPage, JobError> {
        let size = if page_size == 0 {
            50
        } else {
            page_size.min(1000)
        };
        let before = if page_token.is_empty() {
            None
        } else {
            Some(
                parse_page_token(page_token)
                    .ok_or_else(|| JobError::BadPageToken(page_token.to_owned()))?,
            )
        };
        let mut jobs = self.store.list(owner, size + 1, before).await?;
        let next_page_token = if jobs.len() > size {
            jobs.truncate(size);
            jobs.last().map_or(String::new(), |last| {
                let ms = last
                    .created_at
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                next_page_token(ms, &last.id)
            })
        } else {
            String::new()
        };
        Ok(JobPage {
            jobs,
            next_page_token,
        })
    }

    /// Cancels a queued or running job; an ended one is returned as it is.
    pub async fn cancel(&self, owner: &str, id: &str) -> Result<JobRecord, JobError> {
        let job = self.get(owner, id).await?;
        if job.state.has_ended() {
            return Ok(job);
        }
        let from = [JobState::Queued, JobState::Running];
        self.store
            .transition(id, &from, JobState::Cancelled, None)
            .await?;
        // Its runner (here, or on another replica through the store's announcement) finds its
        // lease gone and stops: what it has not sent is dropped with its ticket.
        self.check_lease(id);
        tracing::info!(job = %id, "job cancelled");
        self.announce_change();
        self.wake_scheduler();
        self.find(id).await
    }

    /// Continues a failed or cancelled job, and retries the failed numbers of any ended job.
    pub async fn resume(
        &self,
        owner: &str,
        id: &str,
        max_billed: Option<u64>,
    ) -> Result<JobRecord, JobError> {
        let job = self.get(owner, id).await?;
        if let Some(cap) = max_billed.filter(|&cap| cap > 0) {
            self.store.set_max_billed(id, cap).await?;
        }
        let resumable = matches!(job.state, JobState::Failed | JobState::Cancelled)
            || (job.state == JobState::Succeeded && job.failed > 0);
        if !resumable {
            return Ok(job);
        }
        self.store.resume(id).await?;
        tracing::info!(job = %id, "job resumed");
        self.announce_change();
        self.wake_scheduler();
        self.find(id).await
    }

    /// Deletes a job (cancelling it first if it runs) with everything stored for it.
    pub async fn delete(&self, owner: &str, id: &str) -> Result<(), JobError> {
        self.get(owner, id).await?;
        if !self.store.delete(id).await? {
            return Err(JobError::NotFound(id.to_owned()));
        }
        self.check_lease(id);
        tracing::info!(job = %id, "job deleted");
        self.announce_change();
        self.wake_scheduler();
        Ok(())
    }

    /// The job now, then whenever it changes (at most every 200 ms), until it ends.
    pub async fn watch(
        self: &Arc<Self>,
        owner: &str,
        id: &str,
    ) -> Result<mpsc::Receiver<JobRecord>, JobError> {
        // Subscribed before the first read: a change between the read and the subscription
        // (the job ending, say) would otherwise never wake the watcher.
        let mut changed = self.changed.subscribe();
        let mut stopping = self.stopping.subscribe();
        let first = self.get(owner, id).await?;
        let (tx, rx) = mpsc::channel(4);
        let jobs = self.clone();
        tokio::spawn(async move {
            let mut last = first;
            if tx.send(last.clone()).await.is_err() {
                return;
            }
            while !last.state.has_ended() {
                tokio::select! {
                    seen = changed.changed() => if seen.is_err() { return },
                    () = tx.closed() => return,
                    // The server is stopping: the watch ends (watch again after the restart).
                    _ = stopping.wait_for(|stop| *stop) => return,
                }
                tokio::time::sleep(WATCH_EVERY).await;
                let Ok(now) = jobs.find(&last.id).await else {
                    // Deleted while watched.
                    return;
                };
                if now != last {
                    if tx.send(now.clone()).await.is_err() {
                        return;
                    }
                    last = now;
                }
            }
        });
        Ok(rx)
    }

    /// The stored results from input `from` on, in input order, a chunk per message. For a
    /// job still going they end at the first input not answered yet; for one that had
    /// stopped (failed or cancelled) when the call began they go on to the last input, those
    /// never sent given as [`Outcome::NotChecked`], so a download holds every row.
    pub async fn results(
        &self,
        owner: &str,
        id: &str,
        from: u64,
    ) -> Result<mpsc::Receiver<Result<Vec<ResultRow>, JobError>>, JobError> {
        let job = self.get(owner, id).await?;
        let not_checked = match job.state {
            JobState::Failed => Some(Outcome::NotChecked(job.error.map(Arc::new))),
            JobState::Cancelled => Some(Outcome::NotChecked(None)),
            _ => None,
        };
        let (tx, rx) = mpsc::channel(2);
        let (store, id) = (self.store.clone(), id.to_owned());
        tokio::spawn(async move {
            // Pages are read ahead, in order, while the one before is sent: a shared store
            // reads the next page on another connection meanwhile.
            let mut pages = futures::stream::iter((from..).step_by(RESULTS_CHUNK))
                .map(|at| {
                    let (store, id) = (store.clone(), id.clone());
                    async move { store.results(&id, at, RESULTS_CHUNK).await }
                })
                .buffered(RESULTS_READ_AHEAD);
            while let Some(page) = pages.next().await {
                let chunk = match page {
                    Ok(chunk) => chunk,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                };
                let read = chunk.len();
                let mut results = Vec::with_capacity(read);
                for stored in chunk {
                    let pending = match (&stored.answer, &not_checked) {
                        (Some(_), _) => None,
                        (None, Some(outcome)) => Some(outcome.clone()),
                        // A job still going: the answered prefix ends here.
                        (None, None) => break,
                    };
                    results.push(stored.into_result_row(pending));
                }
                let complete = read == RESULTS_CHUNK && results.len() == read;
                if results.is_empty() || tx.send(Ok(results)).await.is_err() || !complete {
                    return;
                }
            }
        });
        Ok(rx)
    }
}

/// How many pages of results are read at once, ahead of the one being sent.
const RESULTS_READ_AHEAD: usize = 2;

/// How long a request id names the job it made: a retry within it gets that job.
const REQUEST_ID_KEPT: Duration = Duration::from_secs(24 * 3600);

/// How long a retry waits for the first call's upload to end.
const REQUEST_WAIT: Duration = Duration::from_secs(600);

/// The longest request id taken.
const MAX_REQUEST_ID: usize = 128;

/// What an upload turned out to be.
enum Upload {
    /// A new job, stored whole.
    Stored,
    /// A retry of a request id another call holds: nothing was stored.
    Repeat,
}

/// A request's id, checked: none when empty.
fn request_id_of(given: &str) -> Result<Option<String>, CheckError> {
    let given = given.trim();
    if given.chars().count() > MAX_REQUEST_ID {
        return Err(CheckError::BadOption {
            field: "request_id",
            reason: "at most 128 characters (a UUID is typical)",
        });
    }
    Ok((!given.is_empty()).then(|| given.to_owned()))
}

/// The SHA-256 of a list's inputs, each ended by a line break: the same list gives the same
/// digest however it was cut into messages.
#[derive(Default)]
struct ListDigest(sha2::Sha256);

impl ListDigest {
    fn add(&mut self, inputs: &[String]) {
        use sha2::Digest;
        for input in inputs {
            self.0.update(input.as_bytes());
            self.0.update(b"\n");
        }
    }

    fn finish(&self) -> String {
        use sha2::Digest;
        self.0
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl StoredResult {
    /// The result as live calls answer it, beside its row; `pending` is the outcome of an
    /// input not answered yet.
    fn into_result_row(self, pending: Option<Outcome>) -> ResultRow {
        let from_cache = matches!(
            self.answer,
            Some(StoredAnswer::Checked {
                from_cache: true,
                ..
            })
        );
        let outcome = match (self.answer, pending) {
            (Some(StoredAnswer::Checked { report, .. }), _) => Outcome::Checked(Arc::new(report)),
            (Some(StoredAnswer::Failed(e)), _) => Outcome::Failed(Arc::new(e)),
            (None, Some(pending)) => pending,
            // The reason is not stored: parsing is pure, so it is found again.
            (Some(StoredAnswer::Invalid) | None, _) => Outcome::Invalid(
                normalize_mobile(&self.input)
                    .err()
                    .unwrap_or(InvalidReason::Empty),
            ),
        };
        let result = NumberResult {
            index: u32::try_from(self.index).unwrap_or(u32::MAX),
            input: Some(self.input),
            mobile: self.mobile,
            outcome,
            duplicate: self.duplicate,
            from_cache,
        };
        ResultRow {
            result,
            source: self.source,
        }
    }
}

/// The `next_page_token` after the job created at `ms` (Unix milliseconds) with `id`: where
/// the next page starts, newest first.
pub(crate) fn next_page_token(ms: i64, id: &str) -> String {
    format!("{ms}:{id}")
}

/// The creation time and id a `page_token` names; `None` for a token no page gave.
pub(crate) fn parse_page_token(token: &str) -> Option<(i64, String)> {
    let (ms, id) = token.split_once(':')?;
    Some((ms.parse::<i64>().ok()?, id.to_owned()))
}
