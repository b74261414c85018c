//! One check from start to end: parse the request, send its distinct valid numbers through the
//! batcher, and answer every input (duplicates and invalid ones included) from what comes
//! back, counting everything for the summary.
//!
//! This is where the failure rules of docs/api.md live: a unary check fails as a whole on a batch
//! failure; a streamed check answers a failed batch's numbers with that error and goes on, unless
//! the error dooms every later batch, in which case it sends no more numbers upstream, answers
//! the batches already in flight (they are paid for), and ends with that error.

mod bulk;

pub use bulk::{BulkChunk, RECENT_ANSWERS};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use crate::checking::batcher::{Answered, Batcher, Delivery};
use crate::checking::cache::{Freshness, ResultCache};
use crate::checking::checked_line::{CheckedLine, LineStatus};
use crate::checking::number::{InvalidReason, Mobile};
use crate::checking::request_inputs::{ParsedRequest, RequestParser};
use crate::checking::spend::{NoLedger, SpendRecorder};
pub use crate::checking::spend::{Payer, Spend};
use crate::checking::submitter::{WindowedSubmitter, batch_failure};
use crate::checking::upstream::UpstreamError;

/// How many inputs a call may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Inputs per `Check` call.
    pub max_check_numbers: usize,
    /// Inputs per `CheckStream` call.
    pub max_stream_numbers: usize,
    /// Inputs per `CheckBulk` message.
    pub max_bulk_chunk: usize,
}

/// Why a check as a whole failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CheckError {
    /// The request holds no inputs at all.
    #[error("`{field}` holds no numbers")]
    NoNumbers {
        /// The request field that was empty.
        field: &'static str,
    },
    /// The request holds more inputs than the call allows.
    #[error("`{field}` holds more than {limit} numbers")]
    TooManyNumbers {
        /// The request field that was too long.
        field: &'static str,
        /// The most inputs the call allows.
        limit: usize,
    },
    /// A request option is out of range.
    #[error("`{field}` {reason}")]
    BadOption {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `CheckBulk` message holds more inputs than one message may.
    #[error("a CheckBulk message holds more than {limit} numbers")]
    ChunkTooLong {
        /// The most inputs one message may hold.
        limit: usize,
    },
    /// An upstream batch failed.
    #[error(transparent)]
    Upstream(Arc<UpstreamError>),
    /// The caller's deadline passed first.
    #[error("the caller's deadline passed before every number was checked")]
    DeadlineExceeded,
    /// The queue in front of the upstream is full (`--max-queued-numbers`); retry shortly.
    #[error(transparent)]
    Busy(#[from] crate::checking::batcher::QueueFull),
    /// The caller's request stream broke before it was closed.
    #[error("the request stream broke: {0}")]
    InputBroken(String),
    /// A list file cannot be read as a list (the reader's words, naming the file).
    #[error("{0}")]
    ListUnreadable(String),
}

/// What became of one input.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The upstream answered for the number.
    Checked(Arc<CheckedLine>),
    /// The input is not a valid number and was never sent.
    Invalid(InvalidReason),
    /// The number could not be checked.
    Failed(Arc<UpstreamError>),
    /// The number was never sent: the job holding it stopped first, failing with this error
    /// (`None`: it was cancelled). Only an ended job's results carry it; resuming the job
    /// checks it.
    NotChecked(Option<Arc<UpstreamError>>),
}

/// The answer for one input.
#[derive(Debug, Clone)]
pub struct NumberResult {
    /// Position of the input in the request.
    pub index: u32,
    /// The input as given; `None` when it was exactly the number's 11 digits (then `mobile`
    /// spells it), so that a million such results allocate no text. See
    /// [`NumberResult::input_text`].
    pub input: Option<String>,
    /// The normalized number, when the input is valid.
    pub mobile: Option<Mobile>,
    /// What became of it.
    pub outcome: Outcome,
    /// True when an earlier input held the same number.
    pub duplicate: bool,
    /// True when the answer came from the result cache (nothing billed for it).
    pub from_cache: bool,
}

impl NumberResult {
    /// The input as given.
    pub fn input_text(&self) -> std::borrow::Cow<'_, str> {
        match (&self.input, self.mobile) {
            (Some(text), _) => std::borrow::Cow::Borrowed(text),
            (None, Some(mobile)) => std::borrow::Cow::Owned(mobile.digits()),
            (None, None) => std::borrow::Cow::Borrowed(""),
        }
    }
}

/// Results by status; they add up to the number of inputs answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts {
    /// Per line status, indexed by upstream code 0..=5.
    pub by_line_status: [u32; 6],
    /// Invalid inputs.
    pub invalid: u32,
    /// Inputs whose number could not be checked.
    pub failed: u32,
}

impl StatusCounts {
    /// The count for one line status.
    pub fn get(&self, status: LineStatus) -> u32 {
        self.by_line_status[status as usize]
    }

    fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Checked(r) => self.by_line_status[r.status as usize] += 1,
            Outcome::Invalid(_) => self.invalid += 1,
            Outcome::Failed(_) => self.failed += 1,
            // Not answered: only an ended job's results hold it, and they are not counted here.
            Outcome::NotChecked(_) => {}
        }
    }

    /// Adds to the results metric what was counted since `reported`, and catches `reported`
    /// up: called per delivery, so a long stream's results show while it runs, at the cost of
    /// a few counter updates per batch rather than one per number.
    fn record_since(&self, reported: &mut StatusCounts) {
        let named = LineStatus::ALL
            .iter()
            .map(|&s| (s.name(), self.get(s), reported.get(s)))
            .chain([
                ("invalid", self.invalid, reported.invalid),
                ("failed", self.failed, reported.failed),
            ]);
        for (name, now, before) in named {
            if now > before {
                metrics::counter!(crate::metrics::RESULTS, "status" => name)
                    .increment(u64::from(now - before));
            }
        }
        *reported = *self;
    }
}

/// Counts over a whole call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Inputs in the request.
    pub total: u32,
    /// Distinct valid numbers.
    pub unique: u32,
    /// Invalid inputs.
    pub invalid: u32,
    /// Valid inputs repeating an earlier number.
    pub duplicates: u32,
    /// Numbers billed upstream (sum of `usage`).
    pub billed: u64,
    /// HTTP calls made upstream, retries included.
    pub upstream_calls: u32,
    /// Results by status.
    pub by_status: StatusCounts,
    /// Distinct numbers answered from the result cache.
    pub cache_hits: u32,
    /// Distinct valid numbers neither cached nor queued or in flight for another call when
    /// this one looked: what it bills at most.
    pub billable: u32,
}

impl Summary {
    /// Puts the call's counts on the span it runs in (the call's span declares these fields),
    /// for its trace.
    pub(crate) fn record_in_span(&self) {
        if !crate::traces::is_on() {
            return;
        }
        let span = tracing::Span::current();
        span.record("inputs", self.total);
        span.record("invalid", self.invalid);
        span.record("repeats", self.duplicates);
        span.record("cache_hits", self.cache_hits);
        span.record("billed", self.billed);
    }

    /// The counts a request's parse alone gives: inputs, distinct numbers, invalid ones and
    /// repeats; the rest as answers come.
    fn of(parsed: &ParsedRequest) -> Summary {
        Summary {
            total: parsed.len() as u32,
            unique: parsed.unique_count() as u32,
            invalid: parsed.invalid_count() as u32,
            duplicates: parsed.duplicate_count() as u32,
            ..Summary::default()
        }
    }
}

/// Running totals over every call since start-up, for operators (logged once a minute).
#[derive(Debug, Default)]
pub struct Totals {
    /// Calls (Check, CheckStream, CheckBulk) that ended.
    pub calls: AtomicU64,
    /// Inputs in them.
    pub inputs: AtomicU64,
    /// Numbers the upstream billed.
    pub billed: AtomicU64,
    /// Numbers answered from the cache instead.
    pub cache_hits: AtomicU64,
    /// Invalid inputs, never sent.
    pub invalid: AtomicU64,
    /// Repeated inputs, answered from their first occurrence.
    pub duplicates: AtomicU64,
    /// HTTP calls made upstream.
    pub upstream_calls: AtomicU64,
}

impl Totals {
    /// Adds the counts of one call that ended (however it ended).
    fn add(&self, s: &Summary) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inputs.fetch_add(u64::from(s.total), Ordering::Relaxed);
        self.billed.fetch_add(s.billed, Ordering::Relaxed);
        self.cache_hits
            .fetch_add(u64::from(s.cache_hits), Ordering::Relaxed);
        self.invalid
            .fetch_add(u64::from(s.invalid), Ordering::Relaxed);
        self.duplicates
            .fetch_add(u64::from(s.duplicates), Ordering::Relaxed);
        self.upstream_calls
            .fetch_add(u64::from(s.upstream_calls), Ordering::Relaxed);
    }

    /// The totals now: (calls, inputs, billed, cache hits, invalid, duplicates, upstream calls).
    pub fn snapshot(&self) -> [u64; 7] {
        [
            &self.calls,
            &self.inputs,
            &self.billed,
            &self.cache_hits,
            &self.invalid,
            &self.duplicates,
            &self.upstream_calls,
        ]
        .map(|a| a.load(Ordering::Relaxed))
    }
}

/// One event of a streamed check.
#[derive(Debug)]
pub enum StreamEvent {
    /// Results finished since the last event.
    Results {
        /// The results, in no particular order.
        results: Vec<NumberResult>,
        /// Inputs answered so far.
        done: u32,
        /// Inputs in the request.
        total: u32,
    },
    /// Every input is answered; the stream ends.
    Finished(Summary),
    /// The check cannot go on; the stream ends with this error.
    Failed(CheckError),
}

/// Results answered without the upstream (invalid inputs, cached answers) are sent in
/// messages of at most this many.
const ANSWERED_CHUNK: usize = 2000;

/// Runs checks. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Pipeline {
    batcher: Batcher,
    cache: Arc<ResultCache>,
    limits: Limits,
    stream_window: usize,
    totals: Arc<Totals>,
    ledger: Arc<dyn SpendRecorder>,
}

impl Pipeline {
    /// A pipeline sending numbers through `batcher`. A stream keeps at most `stream_window`
    /// of its numbers queued or in flight: enough to fill every upstream call in flight, and
    /// a bound on what a slow reader makes the server hold.
    pub fn new(
        batcher: Batcher,
        cache: Arc<ResultCache>,
        limits: Limits,
        stream_window: usize,
    ) -> Self {
        Pipeline {
            batcher,
            cache,
            limits,
            stream_window: stream_window.max(1),
            totals: Arc::default(),
            ledger: Arc::new(NoLedger),
        }
    }

    /// The same pipeline telling `ledger` what each payer spends.
    pub fn with_ledger(mut self, ledger: Arc<dyn SpendRecorder>) -> Self {
        self.ledger = ledger;
        self
    }

    /// Where spending is recorded (the job runner records its jobs' there too).
    pub fn ledger(&self) -> &Arc<dyn SpendRecorder> {
        &self.ledger
    }

    /// Where a call by `payer` is counted.
    fn charge(&self, payer: Payer) -> Charge {
        Charge {
            totals: self.totals.clone(),
            payer,
            ledger: self.ledger.clone(),
        }
    }

    /// A submitter for background work (jobs) paid by `payer`, with a stream's window: its
    /// numbers fill only the room live calls leave in each batch.
    pub fn background_submitter(&self, payer: Payer) -> WindowedSubmitter {
        WindowedSubmitter::new(self.batcher.background_ticket(payer), self.stream_window)
    }

    /// The result cache.
    pub fn cache(&self) -> &Arc<ResultCache> {
        &self.cache
    }

    /// Running totals since start-up.
    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    /// Checks every input and answers in input order, or fails as a whole.
    pub async fn check(
        &self,
        payer: Payer,
        inputs: RequestParser,
        freshness: Freshness,
        deadline: Option<Instant>,
    ) -> Result<(Vec<NumberResult>, Summary), CheckError> {
        let parsed = admit(inputs, self.limits.max_check_numbers)?.finish();
        let mut run = Run::new(parsed, self.charge(payer));
        let mut slots: Vec<Option<NumberResult>> = vec![None; run.parsed.len()];
        let unique = run.parsed.unique();
        let lookup = self.cache.lookup(&unique, freshness).await;
        for r in run
            .take_invalid()
            .into_iter()
            .chain(run.answer_cached(lookup.hits))
        {
            let i = r.index as usize;
            slots[i] = Some(r);
        }
        // What this call would make leave: its misses that no other call has queued or in
        // flight. A caller out of budget is refused before anything is sent when that is more
        // than what is left (the batcher holds the budget exactly either way).
        run.tally.summary.billable = self.batcher.billable(&lookup.misses);
        if run.tally.summary.billable > 0
            && let Some(budget) = self.ledger.budget(&run.tally.charge.payer).await
            && budget
                .left
                .is_none_or(|left| left < u64::from(run.tally.summary.billable))
        {
            return Err(CheckError::Upstream(Arc::new(
                UpstreamError::BudgetExhausted(budget),
            )));
        }
        // Dropping the ticket (on error or when the deadline passes) cancels what has not
        // left yet.
        let mut ticket = self
            .batcher
            .ticket(run.tally.charge.payer.clone(), deadline);
        ticket.try_submit(&lookup.misses)?;
        let work = async {
            while let Some(delivery) = ticket.recv().await {
                if let Some(e) = batch_failure(&delivery, |_| true) {
                    return Err(CheckError::Upstream(e));
                }
                for r in run.answer(delivery) {
                    let i = r.index as usize;
                    slots[i] = Some(r);
                }
            }
            Ok(())
        };
        within(deadline, work).await?;
        let results: Vec<NumberResult> = slots.into_iter().flatten().collect();
        debug_assert_eq!(results.len(), run.parsed.len());
        run.tally.summary.record_in_span();
        Ok((results, run.tally.summary))
    }

    /// Previews a check: parses the inputs and looks their numbers up in the cache, sending,
    /// storing and billing nothing. The summary counts the inputs, the invalid ones, repeats,
    /// cache hits and what the check would bill now (`billable`). `limit` is the most inputs
    /// the kind of call takes.
    pub async fn preview(
        &self,
        inputs: RequestParser,
        freshness: Freshness,
        limit: usize,
    ) -> Result<Summary, CheckError> {
        let parsed = admit(inputs, limit)?.finish();
        let mut summary = Summary::of(&parsed);
        let mut chunk = Vec::with_capacity(ANSWERED_CHUNK);
        let mut from = 0;
        loop {
            chunk.clear();
            from = parsed.unique_chunk(from, ANSWERED_CHUNK, &mut chunk);
            if chunk.is_empty() {
                break;
            }
            let lookup = self.cache.lookup(&chunk, freshness).await;
            summary.cache_hits += lookup.hits.len() as u32;
            summary.billable += self.batcher.billable(&lookup.misses);
        }
        Ok(summary)
    }

    /// How many of the cache's `misses` checking now would bill: all but those some call
    /// already has queued or in flight.
    pub fn billable(&self, misses: &[(Mobile, u32)]) -> u32 {
        self.batcher.billable(misses)
    }

    /// The most inputs a `Check` takes.
    pub fn max_check_numbers(&self) -> usize {
        self.limits.max_check_numbers
    }

    /// The most inputs a `CheckStream` takes.
    pub fn max_stream_numbers(&self) -> usize {
        self.limits.max_stream_numbers
    }

    /// Checks every input, streaming results as batches finish. Request errors (empty, too
    /// long) are returned at once, before any stream exists.
    pub fn check_stream(
        &self,
        payer: Payer,
        inputs: RequestParser,
        freshness: Freshness,
        deadline: Option<Instant>,
    ) -> Result<mpsc::Receiver<StreamEvent>, CheckError> {
        let inputs = admit(inputs, self.limits.max_stream_numbers)?;
        let (tx, rx) = mpsc::channel(4);
        let mut submitter = WindowedSubmitter::new(
            self.batcher.ticket(payer.clone(), deadline),
            self.stream_window,
        );
        let cache = self.cache.clone();
        let charge = self.charge(payer);
        tokio::spawn(
            async move {
                let mut run = Run::new(inputs.finish(), charge);
                let total = run.tally.summary.total;
                let mut done = 0;
                let mut event = |results: Vec<NumberResult>| {
                    done += results.len() as u32;
                    StreamEvent::Results {
                        results,
                        done,
                        total,
                    }
                };
                let mut invalid = run.take_invalid().into_iter().peekable();
                while invalid.peek().is_some() {
                    let chunk = invalid.by_ref().take(ANSWERED_CHUNK).collect();
                    if tx.send(event(chunk)).await.is_err() {
                        return;
                    }
                }
                // Cached answers go out a chunk at a time, so the caller decodes one while the
                // next is looked up. The misses are kept as input indexes, 4 bytes each.
                let mut misses: Vec<u32> = Vec::new();
                let mut chunk = Vec::with_capacity(ANSWERED_CHUNK);
                let mut from = 0;
                loop {
                    chunk.clear();
                    from = run.parsed.unique_chunk(from, ANSWERED_CHUNK, &mut chunk);
                    if chunk.is_empty() {
                        break;
                    }
                    let lookup = cache.lookup(&chunk, freshness).await;
                    run.tally.summary.billable += submitter.billable(&lookup.misses);
                    misses.extend(lookup.misses.iter().map(|&(_, index)| index));
                    if lookup.hits.is_empty() {
                        continue;
                    }
                    let results = run.answer_cached(lookup.hits);
                    if tx.send(event(results)).await.is_err() {
                        return;
                    }
                }
                misses.shrink_to_fit();
                // Numbers go to the queue a window at a time: when the caller reads slowly, sends
                // below wait, no delivery is taken, and no more numbers are queued.
                let mut next = 0;
                submitter
                    .refill(&misses, &mut next, |&i| run.parsed.number_at(i))
                    .await;
                let work = async {
                    while let Some(mut delivery) = submitter.recv().await {
                        // A dooming error ends the stream with its status, once the batches
                        // already in flight are answered: they are paid for. Numbers it failed are
                        // left unanswered, like every batch that is now never sent.
                        if submitter.doomed().is_some() {
                            delivery.answers.retain(|a| a.answer.is_ok());
                        } else {
                            submitter
                                .refill(&misses, &mut next, |&i| run.parsed.number_at(i))
                                .await;
                        }
                        let results = run.answer(delivery);
                        if !results.is_empty() && tx.send(event(results)).await.is_err() {
                            return Ok(());
                        }
                    }
                    submitter
                        .doomed()
                        .map_or(Ok(()), |e| Err(CheckError::Upstream(e.clone())))
                };
                let last = match within(deadline, work).await {
                    Ok(()) => {
                        run.tally.summary.record_in_span();
                        StreamEvent::Finished(run.tally.summary)
                    }
                    Err(e) => StreamEvent::Failed(e),
                };
                // Cancel what has not left before waiting on a possibly slow reader.
                drop(submitter);
                let _ = tx.send(last).await;
            }
            // Its logs carry the call's request id.
            .in_current_span(),
        );
        Ok(rx)
    }
}

/// Refuses a request with no inputs or more than `limit`, before any work on it.
fn admit(inputs: RequestParser, limit: usize) -> Result<RequestParser, CheckError> {
    if inputs.exceeds(limit) {
        return Err(CheckError::TooManyNumbers {
            field: "mobiles",
            limit,
        });
    }
    if inputs.is_empty() {
        return Err(CheckError::NoNumbers { field: "mobiles" });
    }
    Ok(inputs)
}

async fn within<T>(
    deadline: Option<Instant>,
    work: impl Future<Output = Result<T, CheckError>>,
) -> Result<T, CheckError> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d, work)
            .await
            .unwrap_or(Err(CheckError::DeadlineExceeded)),
        None => work.await,
    }
}

/// Where a call's counts go besides its summary: the server's totals, and its payer's
/// ledger.
struct Charge {
    totals: Arc<Totals>,
    payer: Payer,
    ledger: Arc<dyn SpendRecorder>,
}

impl Default for Charge {
    /// Counted nowhere that lasts: fresh totals, an anonymous payer, no ledger.
    fn default() -> Self {
        Charge {
            totals: Arc::default(),
            payer: Payer::new(""),
            ledger: Arc::new(NoLedger),
        }
    }
}

/// The counts of one call of any kind, the metrics kept up with them as results are made,
/// and the server's totals and the payer's ledger joined when the call ends, however it ends
/// (the numbers billed go on the ledger from the batcher, as each batch is answered).
struct Tally {
    summary: Summary,
    /// The results already added to the metrics.
    reported: StatusCounts,
    charge: Charge,
}

impl Drop for Tally {
    fn drop(&mut self) {
        self.publish();
        self.charge.totals.add(&self.summary);
        let s = &self.summary;
        let spend = Spend {
            cache_hits: u64::from(s.cache_hits),
            invalid: u64::from(s.invalid),
            duplicates: u64::from(s.duplicates),
            calls: 1,
            ..Spend::default()
        };
        self.charge.ledger.record(&self.charge.payer, spend);
    }
}

impl Tally {
    fn new(summary: Summary, charge: Charge) -> Self {
        Tally {
            summary,
            reported: StatusCounts::default(),
            charge,
        }
    }

    /// Counts what a delivery cost: its calls and the numbers it billed (the batcher has put
    /// those on the payer's ledger already).
    fn delivered(&mut self, delivery: &Delivery) {
        self.summary.upstream_calls += delivery.calls;
        self.summary.billed += delivery.billed;
    }

    /// The result of one input, counted by its outcome.
    fn result(
        &mut self,
        index: u32,
        input: Option<String>,
        mobile: Option<Mobile>,
        outcome: Outcome,
        flags: Flags,
    ) -> NumberResult {
        self.summary.by_status.add(&outcome);
        NumberResult {
            index,
            input,
            mobile,
            outcome,
            duplicate: flags.duplicate,
            from_cache: flags.from_cache,
        }
    }

    /// Adds the results counted since the last time to the metrics.
    fn publish(&mut self) {
        self.summary.by_status.record_since(&mut self.reported);
    }
}

/// How a result came about, besides its outcome.
#[derive(Debug, Clone, Copy)]
struct Flags {
    duplicate: bool,
    from_cache: bool,
}

/// The state of one check: inputs not yet answered, where each number occurs, and the counts.
struct Run {
    parsed: ParsedRequest,
    tally: Tally,
}

impl Run {
    fn new(parsed: ParsedRequest, charge: Charge) -> Self {
        let summary = Summary::of(&parsed);
        Run {
            parsed,
            tally: Tally::new(summary, charge),
        }
    }

    /// Results for every invalid input.
    fn take_invalid(&mut self) -> Vec<NumberResult> {
        let mut out = Vec::with_capacity(self.tally.summary.invalid as usize);
        for index in 0..self.parsed.len() {
            if let Err(reason) = self.parsed.parsed(index) {
                let outcome = Outcome::Invalid(reason.clone());
                out.push(self.result(index as u32, None, outcome, false));
            }
        }
        self.tally.publish();
        out
    }

    /// Results for every input holding one of the delivery's numbers.
    fn answer(&mut self, delivery: Delivery) -> Vec<NumberResult> {
        self.tally.delivered(&delivery);
        let mut out = Vec::with_capacity(delivery.answers.len());
        for Answered {
            mobile,
            tag,
            answer,
        } in delivery.answers
        {
            let outcome = match answer {
                Ok(report) => Outcome::Checked(report),
                Err(e) => Outcome::Failed(e),
            };
            self.occurrences(tag, mobile, outcome, false, &mut out);
        }
        self.tally.publish();
        out
    }

    /// Results for every input holding a number answered from the cache.
    fn answer_cached(&mut self, hits: Vec<(Mobile, u32, Arc<CheckedLine>)>) -> Vec<NumberResult> {
        self.tally.summary.cache_hits += hits.len() as u32;
        let mut out = Vec::with_capacity(hits.len());
        for (mobile, tag, report) in hits {
            self.occurrences(tag, mobile, Outcome::Checked(report), true, &mut out);
        }
        self.tally.publish();
        out
    }

    /// Results for input `first` and every later input holding the same number.
    fn occurrences(
        &mut self,
        first: u32,
        mobile: Mobile,
        outcome: Outcome,
        from_cache: bool,
        out: &mut Vec<NumberResult>,
    ) {
        let mut next = Some(first);
        while let Some(index) = next {
            out.push(self.result(index, Some(mobile), outcome.clone(), from_cache));
            next = self.parsed.next_occurrence(index);
        }
    }

    fn result(
        &mut self,
        index: u32,
        mobile: Option<Mobile>,
        outcome: Outcome,
        from_cache: bool,
    ) -> NumberResult {
        let input = self.parsed.given_text(index as usize).map(str::to_owned);
        let duplicate = self.parsed.is_duplicate(index as usize);
        let flags = Flags {
            duplicate,
            from_cache,
        };
        self.tally.result(index, input, mobile, outcome, flags)
    }
}
