//! Turning a list of distinct numbers into upstream batches of at most `--max-batch`, several in
//! flight at once, with each batch's result delivered the moment it finishes.
//!
//! The batcher stops sending new batches when its receiver is dropped (the caller is gone) or
//! when a batch fails in a way that dooms every later one (bad token, quota used up, …). Batches
//! already sent are always awaited to the end, because the upstream may have billed them.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc;

use crate::number::Mobile;
use crate::upstream::{Attempted, UpstreamClient};

/// One finished batch: the numbers sent, and what came of them.
#[derive(Debug)]
pub struct BatchResult {
    /// The numbers of the batch, in the order sent.
    pub mobiles: Vec<Mobile>,
    /// The answer or error, and how many HTTP calls it took.
    pub attempted: Attempted,
}

/// Splits work into upstream batches and runs them. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Batcher {
    client: Arc<UpstreamClient>,
    max_batch: usize,
    parallel: usize,
}

impl Batcher {
    /// A batcher sending at most `max_batch` numbers per call and keeping at most `parallel`
    /// batches of one request in flight (the client caps calls across all requests).
    pub fn new(client: Arc<UpstreamClient>, max_batch: usize, parallel: usize) -> Self {
        Batcher {
            client,
            max_batch: max_batch.max(1),
            parallel: parallel.max(1),
        }
    }

    /// The most numbers in one upstream call.
    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    /// Checks `numbers` (distinct, valid) in batches; results arrive on the returned channel in
    /// completion order. Drop the receiver to stop sending further batches.
    pub fn check(&self, numbers: Vec<Mobile>) -> mpsc::Receiver<BatchResult> {
        let (tx, rx) = mpsc::channel(self.parallel);
        let this = self.clone();
        tokio::spawn(async move {
            let mut pending = numbers.chunks(this.max_batch);
            let mut in_flight = FuturesUnordered::new();
            let mut doomed = false;
            loop {
                while !doomed && !tx.is_closed() && in_flight.len() < this.parallel {
                    let Some(chunk) = pending.next() else { break };
                    let client = this.client.clone();
                    let mobiles = chunk.to_vec();
                    in_flight.push(async move {
                        let attempted = client.check(&mobiles).await;
                        BatchResult { mobiles, attempted }
                    });
                }
                let Some(done) = in_flight.next().await else {
                    break;
                };
                if let Err(e) = &done.attempted.result
                    && e.dooms_later_batches()
                {
                    doomed = true;
                }
                // A closed receiver means the caller is gone: keep draining what is in flight,
                // send nothing new.
                let _ = tx.send(done).await;
            }
        });
        rx
    }
}
