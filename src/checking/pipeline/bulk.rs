//! `CheckBulk`: a list of any length, streamed in as chunks and answered as batches finish,
//! in memory that does not grow with the length of the list.
//!
//! One task per stream loops over two events: the next chunk from the caller, and the next
//! delivery from the [`Batcher`]. It takes a chunk only while fewer than the window's worth of
//! inputs are unanswered, and it sends every message before looking for the next event. So a
//! slow upstream stops it reading input (and HTTP/2 flow control then stops the caller), and a
//! slow reader stops it taking deliveries, which stops it reading input. What a stream holds is
//! bounded by the window, one chunk, and the recent answers kept for repeats.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use smallvec::SmallVec;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;

use super::{
    Charge, CheckError, Flags, NumberResult, Outcome, Payer, Pipeline, StreamEvent, Summary, Tally,
    within,
};
use crate::checking::batcher::{Answered, Delivery};
use crate::checking::cache::{Freshness, ResultCache};
use crate::checking::checked_line::CheckedLine;
use crate::checking::number::{Mobile, MobileMap, normalize_mobile};
use crate::checking::submitter::WindowedSubmitter;

/// How many distinct answered numbers a bulk stream remembers, to answer a later repeat without
/// billing it again. About 12 MiB at most per stream; repeats further back are checked again.
pub const RECENT_ANSWERS: usize = 50_000;

/// One message of a bulk stream.
#[derive(Debug, Clone, Default)]
pub struct BulkChunk {
    /// The next inputs, one per element.
    pub inputs: Vec<String>,
    /// How cached answers may be used; read from the first chunk only.
    pub freshness: Option<Freshness>,
}

impl Pipeline {
    /// Checks the inputs of `chunks` (one input per element, never split), streaming results
    /// as batches finish. An `Err` from `chunks` ends the check with that error.
    pub fn check_bulk<S>(
        &self,
        payer: Payer,
        chunks: S,
        deadline: Option<Instant>,
    ) -> mpsc::Receiver<StreamEvent>
    where
        S: Stream<Item = Result<BulkChunk, CheckError>> + Send + Unpin + 'static,
    {
        let (tx, rx) = mpsc::channel(4);
        let mut bulk = Bulk {
            run: BulkRun::new(self.limits.max_bulk_chunk, self.charge(payer.clone())),
            submitter: WindowedSubmitter::new(
                self.batcher.ticket(payer, deadline),
                self.stream_window,
            ),
            cache: self.cache.clone(),
            tx,
        };
        tokio::spawn(
            async move {
                let last = match within(deadline, bulk.work(chunks)).await {
                    Ok(Flow::Finished) => {
                        bulk.run.tally.summary.record_in_span();
                        StreamEvent::Finished(bulk.run.tally.summary)
                    }
                    Ok(Flow::CallerGone) => return,
                    Err(e) => StreamEvent::Failed(e),
                };
                // Cancel what has not left before waiting on a possibly slow reader.
                let Bulk { submitter, tx, .. } = bulk;
                drop(submitter);
                let _ = tx.send(last).await;
            }
            // Its logs carry the call's request id.
            .in_current_span(),
        );
        rx
    }
}

/// How the loop of a bulk stream ended, when not by an error.
enum Flow {
    /// Every input answered after the caller closed its side.
    Finished,
    /// The caller stopped listening; nothing more to send.
    CallerGone,
}

struct Bulk {
    run: BulkRun,
    submitter: WindowedSubmitter,
    cache: Arc<ResultCache>,
    tx: mpsc::Sender<StreamEvent>,
}

impl Bulk {
    async fn work<S>(&mut self, mut chunks: S) -> Result<Flow, CheckError>
    where
        S: Stream<Item = Result<BulkChunk, CheckError>> + Unpin,
    {
        let mut input_open = true;
        let mut freshness = None;
        loop {
            // The window counts inputs waiting (repeats of a pending number included), not
            // just numbers out, so a list of one number repeated cannot grow memory either.
            // Once doomed, no more input is taken; the batches in flight are answered (they
            // are paid for), then the stream ends with the error.
            let room = input_open
                && self.submitter.doomed().is_none()
                && self.run.pending_inputs < self.submitter.window();
            let waiting = self.submitter.outstanding() > 0;
            let results = tokio::select! {
                // Answers first: they free room in the window.
                biased;
                delivery = self.submitter.recv(), if waiting => {
                    let Some(mut delivery) = delivery else { continue };
                    if self.submitter.doomed().is_some() {
                        delivery.answers.retain(|a| a.answer.is_ok());
                    }
                    self.run.answer(delivery)
                }
                chunk = chunks.next(), if room => match chunk {
                    None => {
                        input_open = false;
                        continue;
                    }
                    Some(chunk) => {
                        let chunk = chunk?;
                        let freshness = *freshness.get_or_insert(chunk.freshness.unwrap_or_default());
                        let Taken { mut answered, fresh } = self.run.take_chunk(chunk.inputs)?;
                        let lookup = self.cache.lookup(&fresh, freshness).await;
                        self.run.tally.summary.billable += self.submitter.billable(&lookup.misses);
                        answered.extend(self.run.answer_cached(lookup.hits));
                        self.submitter.submit(&lookup.misses).await;
                        answered
                    }
                },
                else => break,
            };
            if !results.is_empty() && self.tx.send(self.run.event(results)).await.is_err() {
                return Ok(Flow::CallerGone);
            }
        }
        if let Some(e) = self.submitter.doomed() {
            return Err(CheckError::Upstream(e.clone()));
        }
        if self.run.tally.summary.total == 0 {
            return Err(CheckError::NoNumbers { field: "mobiles" });
        }
        Ok(Flow::Finished)
    }
}

/// What a chunk gives at once.
#[derive(Debug)]
struct Taken {
    /// Results for inputs answered without the upstream: invalid ones, recent repeats.
    answered: Vec<NumberResult>,
    /// Numbers to submit, each tagged with its input's index.
    fresh: Vec<(Mobile, u32)>,
}

/// What a bulk stream knows: the inputs waiting for an answer, recent answers, and the counts.
struct BulkRun {
    max_chunk: usize,
    /// Inputs answered so far.
    done: u32,
    /// Numbers sent and not answered, each with its inputs (index and text), first one first.
    pending: MobileMap<SmallVec<[(u32, String); 1]>>,
    /// Inputs in `pending`, duplicates included.
    pending_inputs: usize,
    recent: RecentAnswers,
    tally: Tally,
}

impl BulkRun {
    fn new(max_chunk: usize, charge: Charge) -> Self {
        BulkRun {
            max_chunk,
            done: 0,
            pending: MobileMap::default(),
            pending_inputs: 0,
            recent: RecentAnswers::new(RECENT_ANSWERS),
            tally: Tally::new(Summary::default(), charge),
        }
    }

    /// Takes one chunk: results for the inputs answerable at once (invalid ones, repeats of a
    /// recent answer), and the numbers to submit, tagged with their input's index.
    fn take_chunk(&mut self, chunk: Vec<String>) -> Result<Taken, CheckError> {
        if chunk.len() > self.max_chunk {
            return Err(CheckError::ChunkTooLong {
                limit: self.max_chunk,
            });
        }
        let first = self.tally.summary.total;
        if u32::try_from(chunk.len())
            .ok()
            .and_then(|n| first.checked_add(n))
            .is_none_or(|end| end == u32::MAX)
        {
            return Err(CheckError::TooManyNumbers {
                field: "mobiles",
                limit: u32::MAX as usize - 1,
            });
        }
        let mut answered = Vec::new();
        let mut fresh = Vec::with_capacity(chunk.len());
        for (index, mut input) in (first..).zip(chunk) {
            let trimmed = input.trim();
            if trimmed.len() != input.len() {
                input = trimmed.to_owned();
            }
            self.tally.summary.total += 1;
            let mobile = match normalize_mobile(&input) {
                Ok(m) => m,
                Err(reason) => {
                    self.tally.summary.invalid += 1;
                    let outcome = Outcome::Invalid(reason);
                    answered.push(self.tally.result(
                        index,
                        Some(input),
                        None,
                        outcome,
                        Flags::FIRST,
                    ));
                    continue;
                }
            };
            if let Some(inputs) = self.pending.get_mut(&mobile) {
                self.tally.summary.duplicates += 1;
                self.pending_inputs += 1;
                inputs.push((index, input));
            } else if let Some(report) = self.recent.get(mobile) {
                self.tally.summary.duplicates += 1;
                let outcome = Outcome::Checked(report);
                answered.push(self.tally.result(
                    index,
                    Some(input),
                    Some(mobile),
                    outcome,
                    Flags::REPEAT,
                ));
            } else {
                self.tally.summary.unique += 1;
                self.pending_inputs += 1;
                self.pending
                    .insert(mobile, SmallVec::from_elem((index, input), 1));
                fresh.push((mobile, index));
            }
        }
        Ok(Taken { answered, fresh })
    }

    /// Results for every input waiting for one of the delivery's numbers.
    fn answer(&mut self, delivery: Delivery) -> Vec<NumberResult> {
        self.tally.delivered(&delivery);
        let mut out = Vec::with_capacity(delivery.answers.len());
        for Answered { mobile, answer, .. } in delivery.answers {
            let outcome = match answer {
                Ok(report) => Outcome::Checked(report),
                Err(e) => Outcome::Failed(e),
            };
            self.answer_waiting(mobile, outcome, false, &mut out);
        }
        out
    }

    /// Results for every input waiting for a number answered from the cache.
    fn answer_cached(&mut self, hits: Vec<(Mobile, u32, Arc<CheckedLine>)>) -> Vec<NumberResult> {
        self.tally.summary.cache_hits += hits.len() as u32;
        let mut out = Vec::with_capacity(hits.len());
        for (mobile, _, report) in hits {
            self.answer_waiting(mobile, Outcome::Checked(report), true, &mut out);
        }
        out
    }

    /// Results for the inputs waiting for `mobile`; a checked answer is remembered for
    /// repeats.
    fn answer_waiting(
        &mut self,
        mobile: Mobile,
        outcome: Outcome,
        from_cache: bool,
        out: &mut Vec<NumberResult>,
    ) {
        // Every answered number was taken from `pending` and is answered once.
        let Some(inputs) = self.pending.remove(&mobile) else {
            return;
        };
        self.pending_inputs -= inputs.len();
        if let Outcome::Checked(report) = &outcome {
            self.recent.insert(mobile, report.clone());
        }
        for (k, (index, input)) in inputs.into_iter().enumerate() {
            let flags = Flags {
                duplicate: k > 0,
                from_cache,
            };
            out.push(
                self.tally
                    .result(index, Some(input), Some(mobile), outcome.clone(), flags),
            );
        }
    }

    fn event(&mut self, results: Vec<NumberResult>) -> StreamEvent {
        self.done += results.len() as u32;
        self.tally.publish();
        StreamEvent::Results {
            results,
            done: self.done,
            total: self.tally.summary.total,
        }
    }
}

impl Flags {
    const FIRST: Flags = Flags {
        duplicate: false,
        from_cache: false,
    };
    const REPEAT: Flags = Flags {
        duplicate: true,
        from_cache: false,
    };
}

/// The last `capacity` distinct numbers answered, oldest forgotten first.
struct RecentAnswers {
    reports: MobileMap<Arc<CheckedLine>>,
    order: VecDeque<Mobile>,
    capacity: usize,
}

impl RecentAnswers {
    fn new(capacity: usize) -> Self {
        RecentAnswers {
            reports: MobileMap::default(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn get(&self, mobile: Mobile) -> Option<Arc<CheckedLine>> {
        self.reports.get(&mobile).cloned()
    }

    fn insert(&mut self, mobile: Mobile, report: Arc<CheckedLine>) {
        if self.reports.insert(mobile, report).is_some() {
            return;
        }
        self.order.push_back(mobile);
        if self.order.len() > self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.reports.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checking::checked_line::LineStatus;

    fn report() -> Arc<CheckedLine> {
        Arc::new(CheckedLine {
            status: LineStatus::Real,
            status_name: "实号".into(),
            area: "".into(),
            carrier: "".into(),
            checked_at: std::time::SystemTime::UNIX_EPOCH,
        })
    }

    fn mobile(n: u64) -> Mobile {
        format!("{}", 13_100_000_000 + n).parse().expect("valid")
    }

    #[test]
    fn recent_answers_forget_the_oldest_beyond_capacity() {
        let mut recent = RecentAnswers::new(2);
        recent.insert(mobile(1), report());
        recent.insert(mobile(2), report());
        recent.insert(mobile(1), report());
        assert!(recent.get(mobile(1)).is_some());
        recent.insert(mobile(3), report());
        assert!(recent.get(mobile(1)).is_none());
        assert!(recent.get(mobile(2)).is_some() && recent.get(mobile(3)).is_some());
        assert_eq!(recent.reports.len(), 2);
    }

    #[test]
    fn a_chunk_answers_invalid_inputs_at_once_and_links_repeats() {
        let mut run = BulkRun::new(10, Charge::default());
        let chunk = ["13111111111", " junk ", "131 1111 1111", "13222222222"]
            .map(str::to_owned)
            .to_vec();
        let Taken { answered, fresh } = run.take_chunk(chunk).expect("within limits");
        assert_eq!(answered.len(), 1);
        assert_eq!(
            (answered[0].index, answered[0].input_text().as_ref()),
            (1, "junk")
        );
        let fresh: Vec<u32> = fresh.iter().map(|&(_, index)| index).collect();
        assert_eq!(fresh, [0, 3]);
        assert_eq!(run.pending_inputs, 3);
        assert_eq!(
            (
                run.tally.summary.total,
                run.tally.summary.unique,
                run.tally.summary.duplicates
            ),
            (4, 2, 1)
        );
        // Indexes continue across chunks; a chunk over the limit is refused whole.
        let taken = run
            .take_chunk(vec!["13333333333".to_owned()])
            .expect("within limits");
        assert_eq!(taken.fresh[0].1, 4);
        let err = run
            .take_chunk(vec![String::new(); 11])
            .expect_err("too long");
        assert!(matches!(err, CheckError::ChunkTooLong { limit: 10 }));
        assert_eq!(run.tally.summary.total, 5);
    }

    #[test]
    fn an_answer_reaches_every_waiting_input_and_is_remembered() {
        let mut run = BulkRun::new(10, Charge::default());
        let chunk = vec!["13111111111".to_owned(), "+86 13111111111".to_owned()];
        let Taken { fresh, .. } = run.take_chunk(chunk).expect("within limits");
        let delivery = Delivery {
            answers: vec![Answered {
                mobile: fresh[0].0,
                tag: fresh[0].1,
                answer: Ok(report()),
            }],
            billed: 1,
            calls: 1,
        };
        let results = run.answer(delivery);
        let seen: Vec<(u32, bool)> = results.iter().map(|r| (r.index, r.duplicate)).collect();
        assert_eq!(seen, [(0, false), (1, true)]);
        assert_eq!(run.pending_inputs, 0);
        // A later repeat is answered from memory, without a submission.
        let Taken { answered, fresh } = run
            .take_chunk(vec!["13111111111".to_owned()])
            .expect("within limits");
        assert!(fresh.is_empty());
        assert_eq!((answered[0].index, answered[0].duplicate), (2, true));
        assert_eq!(run.tally.summary.billed, 1);
        assert_eq!(run.tally.summary.by_status.get(LineStatus::Real), 3);
    }
}
