//! The windowed submitter: "keep at most a window of numbers queued or in flight, refill as
//! answers come", written once for every caller that feeds the [`Batcher`] more numbers than
//! it sends at once (`CheckStream`, `CheckBulk` and the job runner).
//!
//! The window is what gives flow control end to end: a caller that reads slowly stops taking
//! deliveries, the window stays full, and nothing more is submitted. It also owns the rule
//! every long check shares: once a batch fails with an error that dooms every later batch
//! (quota, token, account, IP), or the caller's own budget runs out, nothing more is
//! submitted, but the batches already out are still received, because they are paid for.
//!
//! [`Batcher`]: super::batcher::Batcher

use std::sync::Arc;

use tokio::time::Instant;

use super::batcher::{Delivery, Ticket};
use super::number::Mobile;
use super::upstream::UpstreamError;

/// A batcher ticket with a window and the dooming rule.
#[derive(Debug)]
pub struct WindowedSubmitter {
    ticket: Ticket,
    window: usize,
    doomed: Option<Arc<UpstreamError>>,
    held_until: Option<Instant>,
}

impl WindowedSubmitter {
    /// Submits through `ticket`, keeping at most `window` (at least 1) numbers outstanding.
    pub fn new(ticket: Ticket, window: usize) -> Self {
        WindowedSubmitter {
            ticket,
            window: window.max(1),
            doomed: None,
            held_until: None,
        }
    }

    /// Numbers not sent by `until` are never sent (a job's lease ends then unless renewed:
    /// past it, another replica may be checking the same numbers).
    pub fn hold_until(&mut self, until: Instant) {
        self.held_until = Some(until);
        self.ticket.send_until(until);
    }

    /// Until when numbers may be sent (far in the future when [`Self::hold_until`] was never
    /// called).
    pub fn held_until(&self) -> Instant {
        self.held_until
            .unwrap_or_else(|| Instant::now() + std::time::Duration::from_secs(86_400 * 365))
    }

    /// The window: the most numbers kept queued or in flight.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Numbers submitted and not yet answered.
    pub fn outstanding(&self) -> usize {
        self.ticket.outstanding()
    }

    /// How many of the cache's `misses` this caller would bill (see `Ticket::billable`).
    pub fn billable(&self, misses: &[(Mobile, u32)]) -> u32 {
        self.ticket.billable(misses)
    }

    /// How many more numbers may be submitted now: none once the check is doomed.
    pub fn room(&self) -> usize {
        if self.doomed.is_some() {
            0
        } else {
            self.window.saturating_sub(self.ticket.outstanding())
        }
    }

    /// True while more numbers may be submitted.
    pub fn has_room(&self) -> bool {
        self.room() > 0
    }

    /// The error that stopped this caller (one dooming every later batch, or its budget
    /// running out), once one did.
    pub fn doomed(&self) -> Option<&Arc<UpstreamError>> {
        self.doomed.as_ref()
    }

    /// Submits all of `numbers` (a source read in chunks may overshoot the window by one
    /// chunk), waiting while the batcher's queue is full. Nothing is submitted once doomed.
    pub async fn submit(&mut self, numbers: &[(Mobile, u32)]) {
        if self.doomed.is_none() {
            self.ticket.submit(numbers).await;
        }
    }

    /// Submits the next of `items`, from `*next` on, until the window is full, and moves
    /// `*next` past what went. `number` gives an item's number and tag, so a caller keeps its
    /// list in whatever form is compact for it (a stream keeps 4-byte input indexes).
    pub async fn refill<T>(
        &mut self,
        items: &[T],
        next: &mut usize,
        number: impl Fn(&T) -> Option<(Mobile, u32)>,
    ) {
        let start = (*next).min(items.len());
        let end = (start + self.room()).min(items.len());
        let numbers: Vec<(Mobile, u32)> = items[start..end].iter().filter_map(number).collect();
        self.submit(&numbers).await;
        *next = end;
    }

    /// The next delivery, or `None` once nothing is outstanding. The first whole-batch failure
    /// that dooms later batches is remembered (see [`WindowedSubmitter::doomed`]); what to
    /// answer for a doomed delivery's failed numbers is the caller's rule.
    pub async fn recv(&mut self) -> Option<Delivery> {
        let delivery = self.ticket.recv().await?;
        if self.doomed.is_none() {
            self.doomed = batch_failure(&delivery, UpstreamError::stops_the_caller);
        }
        Some(delivery)
    }
}

/// The first error in a delivery that failed its whole batch and matches `fatal`. A number
/// merely missing from an answer is that number's error, not the batch's.
pub fn batch_failure(
    delivery: &Delivery,
    fatal: impl Fn(&UpstreamError) -> bool,
) -> Option<Arc<UpstreamError>> {
    delivery.answers.iter().find_map(|a| match &a.answer {
        Err(e) if !matches!(**e, UpstreamError::MissingResult { .. }) && fatal(e) => {
            Some(e.clone())
        }
        _ => None,
    })
}
