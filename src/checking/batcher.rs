//! The one queue in front of the upstream: numbers from every concurrent call are coalesced
//! into batches of up to `--max-batch`, and a number already queued or in flight for one call
//! is not sent again for another: both wait for the same answer.
//!
//! A caller holds a [`Ticket`]. It submits numbers, receives [`Delivery`]s as the batches holding
//! them finish, and cancels whatever has not left yet by dropping the ticket (a deadline that
//! passes drops it too): a number nobody waits for any more is never sent, so nothing is billed
//! for a caller who is gone.
//!
//! When a batch fails in a way that dooms every later one (bad token, expired account, IP not
//! allowed, quota used up), every queued number fails with it at once instead of being sent.
//!
//! One dispatcher task forms the batches. A batch leaves when it is full, or when its oldest
//! number has waited `--linger-ms`; and only once the client grants a call slot (a place among
//! the calls in flight and a rate-limiter token). While it waits for that slot, more numbers
//! join, so a rate-limited upstream always gets full batches.
//!
//! Live calls go first: numbers of background work (jobs, see [`Batcher::background_ticket`])
//! wait in a second queue and fill only the room live numbers leave in a batch, so a job of
//! millions never delays a `Check`, yet uses every call the live traffic does not need.
//!
//! No request-batching crate fitted: the general ones (e.g. tower's buffer and batch layers)
//! batch requests, not the distinct keys inside them, and none shares in-flight keys between
//! callers or drops keys of cancelled callers from a pending batch.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use std::time::Duration;

use smallvec::SmallVec;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tracing::Instrument;

use crate::checking::cache::{ResultCache, whole_seconds};
use crate::checking::checked_line::CheckedLine;
use crate::checking::number::{Mobile, MobileMap};
use crate::checking::spend::{BudgetState, Grant, Payer, Spend, SpendRecorder};
use crate::checking::upstream::{CallSlot, UpstreamClient, UpstreamError};

/// What became of one number in a batch.
pub type NumberAnswer = Result<Arc<CheckedLine>, Arc<UpstreamError>>;

/// One number's answer, with the tag its ticket submitted it with.
#[derive(Debug)]
pub struct Answered {
    /// The number.
    pub mobile: Mobile,
    /// The caller's own tag for it (the pipeline uses the input index), so the caller needs
    /// no map from numbers back to its inputs.
    pub tag: u32,
    /// Its report, or the error that stopped it.
    pub answer: NumberAnswer,
}

/// Answers for some of a ticket's numbers, from one finished batch.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Each number with its report or the error that stopped it.
    pub answers: Vec<Answered>,
    /// Numbers of this ticket that the batch billed, counting only those this ticket asked for
    /// first (a number shared with an earlier caller is billed to that caller).
    pub billed: u64,
    /// HTTP calls the batch took, when it carried a number this ticket asked for first; else 0.
    pub calls: u32,
}

/// How batches are formed.
#[derive(Debug, Clone, Copy)]
pub struct BatcherConfig {
    /// The most numbers in one upstream call (≤ 2000).
    pub max_batch: usize,
    /// How long the oldest queued number may wait for others to fill its batch.
    pub linger: Duration,
    /// The most distinct numbers queued or in flight, over every caller: beyond it streams
    /// wait for room and unary calls are refused, so memory stays bounded under any load. A
    /// submission to an empty queue always goes in, however large.
    pub max_queued: usize,
}

/// The queue holds `--max-queued-numbers` already; a unary call should retry shortly.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the server's queue holds its maximum of {max_queued} numbers")]
pub struct QueueFull {
    /// The cap that was reached.
    pub max_queued: usize,
}

/// The shared queue. Cheap to clone; every clone feeds the same dispatcher.
#[derive(Debug, Clone)]
pub struct Batcher {
    shared: Arc<Shared>,
    _stop_when_dropped: Arc<StopDispatcher>,
}

/// Stops the dispatcher when the last clone of the batcher is dropped.
#[derive(Debug)]
struct StopDispatcher(Arc<Shared>);

impl Drop for StopDispatcher {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::Release);
        self.0.work.notify_one();
    }
}

#[derive(Debug)]
struct Shared {
    client: Arc<UpstreamClient>,
    cache: Arc<ResultCache>,
    ledger: Arc<dyn SpendRecorder>,
    config: BatcherConfig,
    state: Mutex<State>,
    work: Notify,
    /// Woken whenever numbers leave the queue, for submissions waiting for room.
    room: Notify,
    stopped: AtomicBool,
    /// Set once an answer's `usage` differed from the numbers it answered, so the warning is
    /// logged once, while the metric counts every time.
    usage_warned: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    /// Numbers of live calls waiting to leave, oldest first. An entry whose number nobody
    /// waits for any more (or that is already in flight) is skipped when a batch is formed.
    queue: VecDeque<Queued>,
    /// The same for background work, which gets only the room live numbers leave.
    background: VecDeque<Queued>,
    /// Every number queued or in flight, with the tickets waiting for it.
    numbers: MobileMap<Waiting>,
    /// Open tickets and where their deliveries go.
    tickets: HashMap<u64, TicketEnd>,
    next_ticket: u64,
}

impl State {
    /// Sets the queue depth metric: distinct numbers queued or in flight.
    fn record_depth(&self) {
        metrics::gauge!(crate::metrics::QUEUE_DEPTH).set(self.numbers.len() as f64);
    }
}

#[derive(Debug)]
struct Queued {
    mobile: Mobile,
    since: Instant,
}

#[derive(Debug, Default)]
struct Waiting {
    /// Tickets waiting (with their tags), first asker first; almost always one, kept inline.
    tickets: SmallVec<[(u64, u32); 2]>,
    in_flight: bool,
}

#[derive(Debug)]
struct TicketEnd {
    /// Who pays for the numbers this ticket makes leave.
    payer: Payer,
    /// Background work (a job): a number only it waits for goes back to the background queue.
    background: bool,
    tx: mpsc::UnboundedSender<Delivery>,
    deadline: Option<Instant>,
    /// After this, the ticket's numbers still queued are not sent (see [`Ticket::send_until`]).
    send_until: Option<Instant>,
    /// The span of the call holding the ticket, linked with each batch carrying its numbers
    /// (`Span::none()` while traces are not exported).
    span: tracing::Span,
    /// When it was opened: a number another call queued earlier was waited for from then.
    opened: Instant,
}

/// A batch on its way: its numbers, and the latest deadline among its callers (`None` when one
/// of them has none), past which retrying serves nobody.
struct Outgoing {
    mobiles: Vec<Mobile>,
    /// Who pays for each number: the payer of the first ticket waiting for it when it left.
    payers: Vec<Payer>,
    deadline: Option<Instant>,
    /// How long its oldest number waited in the queue.
    waited: Duration,
    /// The calls waiting for its numbers, once each (only while traces are exported).
    callers: Vec<crate::traces::CarriedCall>,
}

impl Batcher {
    /// Starts the dispatcher on the current tokio runtime. Every answer is stored in `cache`,
    /// and the numbers billed told to `ledger` (each to its payer), as soon as its batch
    /// succeeds.
    pub fn new(
        client: Arc<UpstreamClient>,
        cache: Arc<ResultCache>,
        ledger: Arc<dyn SpendRecorder>,
        config: BatcherConfig,
    ) -> Self {
        let config = BatcherConfig {
            max_batch: config
                .max_batch
                .clamp(1, crate::checking::upstream::UPSTREAM_MAX_BATCH),
            ..config
        };
        metrics::gauge!(crate::metrics::QUEUE_CAPACITY).set(config.max_queued as f64);
        let shared = Arc::new(Shared {
            client,
            cache,
            ledger,
            config,
            state: Mutex::new(State::default()),
            work: Notify::new(),
            room: Notify::new(),
            stopped: AtomicBool::new(false),
            usage_warned: AtomicBool::new(false),
        });
        tokio::spawn(dispatch(shared.clone()));
        Batcher {
            _stop_when_dropped: Arc::new(StopDispatcher(shared.clone())),
            shared,
        }
    }

    /// A new ticket for one call by `payer`, whose deadline bounds the retries of its
    /// batches.
    pub fn ticket(&self, payer: Payer, deadline: Option<Instant>) -> Ticket {
        self.new_ticket(payer, deadline, false)
    }

    /// A ticket, live or for background work; its end in the shared state knows which.
    fn new_ticket(&self, payer: Payer, deadline: Option<Instant>, background: bool) -> Ticket {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut state = self.shared.state.lock();
        let id = state.next_ticket;
        state.next_ticket += 1;
        state.tickets.insert(
            id,
            TicketEnd {
                payer,
                background,
                tx,
                deadline,
                send_until: None,
                span: crate::traces::current(),
                opened: Instant::now(),
            },
        );
        Ticket {
            id,
            shared: self.shared.clone(),
            rx,
            outstanding: 0,
            background,
        }
    }

    /// How many of the cache's `misses` a call would bill now (see [`Ticket::billable`]).
    pub fn billable(&self, misses: &[(Mobile, u32)]) -> u32 {
        self.shared.billable(misses)
    }

    /// A ticket for background work (a job) paid by `payer`: its numbers leave only in room
    /// that live callers' numbers leave in a batch. No deadline.
    pub fn background_ticket(&self, payer: Payer) -> Ticket {
        self.new_ticket(payer, None, true)
    }
}

/// One caller's place in the queue. Dropping it cancels its numbers that have not left yet.
#[derive(Debug)]
pub struct Ticket {
    id: u64,
    shared: Arc<Shared>,
    rx: mpsc::UnboundedReceiver<Delivery>,
    outstanding: usize,
    background: bool,
}

impl Ticket {
    /// Queues numbers, each with a tag that comes back with its answer, waiting while the
    /// queue is full (see [`BatcherConfig::max_queued`]). They must be distinct from each
    /// other and from every number this ticket submitted before and has not received yet.
    pub async fn submit(&mut self, numbers: &[(Mobile, u32)]) {
        let shared = self.shared.clone();
        loop {
            let room = shared.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if self.try_submit(numbers).is_ok() {
                return;
            }
            room.await;
        }
    }

    /// Queues numbers like [`Ticket::submit`], or refuses them at once when the queue is full.
    pub fn try_submit(&mut self, numbers: &[(Mobile, u32)]) -> Result<(), QueueFull> {
        if numbers.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        let max_queued = self.shared.config.max_queued;
        let mut state = self.shared.state.lock();
        let queued = state.numbers.len();
        if queued > 0 && queued + numbers.len() > max_queued {
            return Err(QueueFull { max_queued });
        }
        for &(mobile, tag) in numbers {
            let waiting = state.numbers.entry(mobile).or_default();
            let fresh = waiting.tickets.is_empty() && !waiting.in_flight;
            let idle = !waiting.in_flight;
            waiting.tickets.push((self.id, tag));
            let entry = Queued { mobile, since: now };
            if self.background {
                if fresh {
                    state.background.push_back(entry);
                }
            } else if idle {
                // Fresh, or waiting in the background queue: a live caller wants it now. A
                // second entry is skipped once the first has left.
                state.queue.push_back(entry);
            }
        }
        state.record_depth();
        drop(state);
        self.outstanding += numbers.len();
        self.shared.work.notify_one();
        Ok(())
    }

    /// Numbers of this ticket still queued at `until` are never sent, and its batches are not
    /// retried past it: once a job's lease may have lapsed, another replica may be checking
    /// the same numbers. (Numbers not sent are never delivered either; the holder stops.)
    pub fn send_until(&self, until: Instant) {
        if let Some(end) = self.shared.state.lock().tickets.get_mut(&self.id) {
            end.send_until = Some(until);
            end.deadline = Some(until);
        }
    }

    /// Numbers submitted and not yet delivered.
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    /// How many of the cache's `misses` this call would bill: all but those another call
    /// already has queued or in flight (they are the first asker's).
    pub fn billable(&self, misses: &[(Mobile, u32)]) -> u32 {
        self.shared.billable(misses)
    }

    /// The next delivery; `None` once nothing is outstanding.
    pub async fn recv(&mut self) -> Option<Delivery> {
        if self.outstanding == 0 {
            return None;
        }
        // The ticket's sender lives in the shared state until this ticket drops, so the
        // channel cannot close while numbers are outstanding.
        let delivery = self.rx.recv().await?;
        self.outstanding = self.outstanding.saturating_sub(delivery.answers.len());
        Some(delivery)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut state = self.shared.state.lock();
        state.tickets.remove(&self.id);
        if self.outstanding == 0 {
            return;
        }
        let id = self.id;
        state.numbers.retain(|_, waiting| {
            waiting.tickets.retain(|(t, _)| *t != id);
            waiting.in_flight || !waiting.tickets.is_empty()
        });
        state.record_depth();
        drop(state);
        self.shared.room.notify_waiters();
    }
}

enum Next {
    Idle,
    At(Instant),
    Now,
}

impl Shared {
    fn billable(&self, misses: &[(Mobile, u32)]) -> u32 {
        // A call answered wholly from the cache asks about nothing: no lock for that.
        if misses.is_empty() {
            return 0;
        }
        let state = self.state.lock();
        let billable = misses
            .iter()
            .filter(|(m, _)| !state.numbers.contains_key(m))
            .count();
        u32::try_from(billable).unwrap_or(u32::MAX)
    }

    fn next_departure(&self) -> Next {
        let mut state = self.state.lock();
        let State {
            queue,
            background,
            numbers,
            ..
        } = &mut *state;
        for queue in [&mut *queue, &mut *background] {
            while let Some(front) = queue.front() {
                let waited_for = numbers
                    .get(&front.mobile)
                    .is_some_and(|w| !w.in_flight && !w.tickets.is_empty());
                if waited_for {
                    break;
                }
                queue.pop_front();
            }
        }
        let oldest = match (queue.front(), background.front()) {
            (Some(a), Some(b)) => Some(a.since.min(b.since)),
            (a, b) => a.or(b).map(|q| q.since),
        };
        match oldest {
            None => Next::Idle,
            Some(_) if queue.len() + background.len() >= self.config.max_batch => Next::Now,
            Some(since) => {
                let at = since + self.config.linger;
                if at <= Instant::now() {
                    Next::Now
                } else {
                    Next::At(at)
                }
            }
        }
    }

    fn take_batch(&self) -> Option<Outgoing> {
        let mut state = self.state.lock();
        let State {
            queue,
            background,
            numbers,
            tickets,
            ..
        } = &mut *state;
        let mut mobiles =
            Vec::with_capacity(self.config.max_batch.min(queue.len() + background.len()));
        let mut payers = Vec::with_capacity(mobiles.capacity());
        let mut deadline = Some(None::<Instant>);
        let now = Instant::now();
        let mut oldest = now;
        let tracing = crate::traces::is_on();
        // Each ticket waiting, with its oldest number's arrival and its numbers here.
        let mut callers: SmallVec<[(u64, Instant, u32); 4]> = SmallVec::new();
        while mobiles.len() < self.config.max_batch {
            // Live numbers first; background ones fill the rest.
            let Some(Queued { mobile, since }) =
                queue.pop_front().or_else(|| background.pop_front())
            else {
                break;
            };
            let Some(waiting) = numbers.get_mut(&mobile) else {
                continue;
            };
            if waiting.in_flight {
                continue;
            }
            // Tickets whose time to send is over no longer want it.
            waiting.tickets.retain(|(t, _)| {
                tickets
                    .get(t)
                    .and_then(|end| end.send_until)
                    .is_none_or(|until| until > now)
            });
            if waiting.tickets.is_empty() {
                numbers.remove(&mobile);
                continue;
            }
            waiting.in_flight = true;
            // The first asker still waiting makes it leave, so pays for it.
            let payer = waiting
                .tickets
                .first()
                .and_then(|(t, _)| tickets.get(t))
                .map(|end| end.payer.clone());
            oldest = oldest.min(since);
            for (t, _) in &waiting.tickets {
                if tracing {
                    match callers.iter_mut().find(|(c, ..)| c == t) {
                        Some((_, first, numbers)) => {
                            *first = (*first).min(since);
                            *numbers += 1;
                        }
                        None => callers.push((*t, since, 1)),
                    }
                }
                let ticket_deadline = tickets.get(t).and_then(|end| end.deadline);
                deadline = match (deadline, ticket_deadline) {
                    (Some(latest), Some(d)) => Some(Some(latest.map_or(d, |l| l.max(d)))),
                    _ => None,
                };
            }
            mobiles.push(mobile);
            payers.push(payer.unwrap_or_else(|| Payer::new("")));
        }
        (!mobiles.is_empty()).then(|| Outgoing {
            mobiles,
            payers,
            deadline: deadline.flatten(),
            waited: now.duration_since(oldest),
            callers: callers
                .iter()
                .filter_map(|(t, first, numbers)| {
                    tickets.get(t).map(|end| crate::traces::CarriedCall {
                        span: end.span.clone(),
                        waited: now.duration_since((*first).max(end.opened)),
                        numbers: *numbers,
                    })
                })
                .collect(),
        })
    }

    /// Compares the upstream's own `usage` with the numbers it answered. `billed` everywhere in
    /// the service counts answered numbers (one per number checked); what the account is
    /// charged is the upstream's `usage`, so a difference is money: counted every time, logged
    /// once.
    fn check_usage(&self, usage: u64, answered: u64, log_id: Option<&str>) {
        metrics::counter!(crate::metrics::UPSTREAM_USAGE).increment(usage);
        if usage == answered {
            return;
        }
        metrics::counter!(crate::metrics::USAGE_MISMATCHES).increment(1);
        if !self.usage_warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                usage,
                answered,
                log_id,
                "the upstream's usage differs from the numbers it answered; phonecheck_upstream_usage_mismatches_total counts every such answer (logged once)"
            );
        } else {
            tracing::debug!(
                usage,
                answered,
                log_id,
                "usage differs from the numbers answered"
            );
        }
    }

    /// Tells the ledger (and the billed metric) what each payer of `batch` was billed, one
    /// per number answered, and returns it.
    fn charge(&self, batch: &Outgoing, answered: &MobileMap<Arc<CheckedLine>>) -> PerPayer {
        let billed = per_payer(
            batch
                .mobiles
                .iter()
                .zip(&batch.payers)
                .filter(|(mobile, _)| answered.contains_key(*mobile))
                .map(|(_, payer)| payer),
        );
        for (payer, n) in &billed {
            metrics::counter!(crate::metrics::BILLED, "caller" => payer.name().to_owned())
                .increment(*n);
            let spend = Spend {
                billed: *n,
                ..Spend::default()
            };
            self.ledger.record(payer, spend);
        }
        billed
    }

    /// Reserves each payer's numbers in `batch` against its budget; the numbers a budget
    /// refused are taken out of the batch and answered to their payer's tickets as refused
    /// (other callers waiting for one keep waiting: it goes back to the queue, for one of
    /// them to pay). Returns the batch that may leave and the grants to settle.
    async fn reserve(&self, mut batch: Outgoing) -> (Outgoing, Vec<(Payer, Grant)>) {
        let mut grants = Vec::new();
        let mut refused: Vec<(Payer, u64, Arc<UpstreamError>)> = Vec::new();
        for (payer, asked) in per_payer(batch.payers.iter()) {
            let grant = self.ledger.reserve(&payer, asked).await;
            if grant.granted < asked {
                let why = grant.refused.clone().unwrap_or_else(|| BudgetState {
                    payer: payer.name().to_owned(),
                    limit: 0,
                    period: String::new(),
                    left: Some(grant.granted),
                    resets_in_secs: 0,
                });
                let why = Arc::new(UpstreamError::BudgetExhausted(why));
                refused.push((payer.clone(), asked - grant.granted, why));
            }
            grants.push((payer, grant));
        }
        if refused.is_empty() {
            return (batch, grants);
        }
        // The last numbers of each refused payer stay behind.
        let mut out: Vec<(Mobile, Payer, Arc<UpstreamError>)> = Vec::new();
        for i in (0..batch.mobiles.len()).rev() {
            let Some((_, left, why)) = refused.iter_mut().find(|(p, ..)| *p == batch.payers[i])
            else {
                continue;
            };
            if *left == 0 {
                continue;
            }
            *left -= 1;
            let why = why.clone();
            let mobile = batch.mobiles.remove(i);
            let payer = batch.payers.remove(i);
            out.push((mobile, payer, why));
        }
        self.refuse(out);
        (batch, grants)
    }

    /// Answers numbers a budget refused to the tickets of the payer it refused; a number other
    /// tickets wait for goes back to the front of its queue.
    fn refuse(&self, refused: Vec<(Mobile, Payer, Arc<UpstreamError>)>) {
        let now = Instant::now();
        let mut deliveries: HashMap<u64, Delivery> = HashMap::new();
        let mut state = self.state.lock();
        let State {
            queue,
            background,
            numbers,
            tickets,
            ..
        } = &mut *state;
        for (mobile, payer, why) in refused {
            let Some(waiting) = numbers.get_mut(&mobile) else {
                continue;
            };
            waiting.in_flight = false;
            let mut live = false;
            waiting.tickets.retain(|&mut (t, tag)| {
                let end = tickets.get(&t);
                if end.is_some_and(|end| end.payer == payer) {
                    deliveries.entry(t).or_default().answers.push(Answered {
                        mobile,
                        tag,
                        answer: Err(why.clone()),
                    });
                    return false;
                }
                live |= end.is_some_and(|end| !end.background);
                true
            });
            if waiting.tickets.is_empty() {
                numbers.remove(&mobile);
            } else if live {
                queue.push_front(Queued { mobile, since: now });
            } else {
                background.push_front(Queued { mobile, since: now });
            }
        }
        for (ticket, delivery) in deliveries {
            if let Some(end) = tickets.get(&ticket) {
                let _ = end.tx.send(delivery);
            }
        }
        state.record_depth();
        drop(state);
        self.room.notify_waiters();
        self.work.notify_one();
    }

    async fn send(self: Arc<Self>, batch: Outgoing, slot: CallSlot) {
        let (batch, grants) = self.reserve(batch).await;
        let mut billed = PerPayer::new();
        if !batch.mobiles.is_empty() {
            billed = self.clone().call(batch, slot).await;
        }
        // Settled once the callers have their answers, and the call slot is free.
        for (payer, grant) in grants {
            if grant.period.is_some() {
                let n = billed
                    .iter()
                    .find(|(p, _)| *p == payer)
                    .map_or(0, |(_, n)| *n);
                self.ledger.settle(&payer, &grant, n).await;
            }
        }
    }

    /// Sends a batch and delivers its answers; returns what each payer was billed.
    async fn call(self: Arc<Self>, batch: Outgoing, slot: CallSlot) -> PerPayer {
        let mut billed = PerPayer::new();
        metrics::histogram!(crate::metrics::BATCH_SIZE).record(batch.mobiles.len() as f64);
        let attempted = self
            .client
            .check_in(&slot, &batch.mobiles, batch.deadline)
            .await;
        let calls = attempted.calls;
        let (mut reports, failure, log_id) = match attempted.result {
            Ok(answer) => {
                // Stamped on the cache's clock, which judges how fresh the answer is later, in
                // whole seconds, as the cache keeps it.
                let now = whole_seconds(self.cache.config().clock.now());
                let reports: Vec<(Mobile, Arc<CheckedLine>)> = answer
                    .reports
                    .into_iter()
                    .map(|(m, r)| {
                        let checked_at = now;
                        (m, Arc::new(CheckedLine { checked_at, ..r }))
                    })
                    .collect();
                // Kept before anyone hears of it: paid for, so never asked for again while
                // fresh, even if every caller of this batch has gone; and charged to whoever
                // made each number leave, gone or not.
                self.cache.store(&reports);
                self.check_usage(answer.usage, reports.len() as u64, answer.log_id.as_deref());
                let reports: MobileMap<_> = reports.into_iter().collect();
                billed = self.charge(&batch, &reports);
                (reports, None, answer.log_id)
            }
            Err(e) => (MobileMap::default(), Some(Arc::new(e)), None),
        };
        let missing = Arc::new(UpstreamError::MissingResult { log_id });
        let mut deliveries: HashMap<u64, Delivery> = HashMap::new();
        let mut state = self.state.lock();
        for mobile in batch.mobiles {
            let answer: NumberAnswer = match (&failure, reports.remove(&mobile)) {
                (Some(e), _) => Err(e.clone()),
                (None, Some(report)) => Ok(report),
                (None, None) => Err(missing.clone()),
            };
            let Some(waiting) = state.numbers.remove(&mobile) else {
                continue;
            };
            for (i, (ticket, tag)) in waiting.tickets.into_iter().enumerate() {
                let delivery = deliveries.entry(ticket).or_default();
                if i == 0 {
                    delivery.calls = calls;
                    delivery.billed += u64::from(answer.is_ok());
                }
                delivery.answers.push(Answered {
                    mobile,
                    tag,
                    answer: answer.clone(),
                });
            }
        }
        // Every queued number would meet the same end: fail them now instead of sending them.
        if let Some(e) = failure.filter(|e| e.dooms_later_batches()) {
            let State {
                queue,
                background,
                numbers,
                ..
            } = &mut *state;
            queue.clear();
            background.clear();
            numbers.retain(|&mobile, waiting| {
                if waiting.in_flight {
                    return true;
                }
                for &(ticket, tag) in &waiting.tickets {
                    let delivery = deliveries.entry(ticket).or_default();
                    delivery.answers.push(Answered {
                        mobile,
                        tag,
                        answer: Err(e.clone()),
                    });
                }
                false
            });
        }
        for (ticket, delivery) in deliveries {
            if let Some(end) = state.tickets.get(&ticket) {
                // A ticket dropping right now is fine to miss: it wants nothing any more.
                let _ = end.tx.send(delivery);
            }
        }
        state.record_depth();
        // Only now may the next batch take this one's place: it sees the queue as this
        // batch's outcome left it.
        drop(state);
        self.room.notify_waiters();
        drop(slot);
        billed
    }
}

/// Numbers per payer: almost always one payer in a batch, rarely a few, so a short list.
type PerPayer = SmallVec<[(Payer, u64); 2]>;

/// How many of `payers` each payer is.
fn per_payer<'a>(payers: impl Iterator<Item = &'a Payer>) -> PerPayer {
    let mut counts = PerPayer::new();
    for payer in payers {
        match counts.iter_mut().find(|(p, _)| p == payer) {
            Some((_, n)) => *n += 1,
            None => counts.push((payer.clone(), 1)),
        }
    }
    counts
}

/// Forms batches and sends them, until the batcher is dropped.
async fn dispatch(this: Arc<Shared>) {
    while !this.stopped.load(Ordering::Acquire) {
        let notified = this.work.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        match this.next_departure() {
            Next::Idle => {
                notified.await;
                continue;
            }
            Next::At(at) => {
                tokio::select! {
                    () = tokio::time::sleep_until(at) => {}
                    () = notified => {}
                }
                continue;
            }
            Next::Now => {}
        }
        let slot = this.client.reserve().await;
        if let Some(mut batch) = this.take_batch() {
            let callers = std::mem::take(&mut batch.callers);
            let span = crate::traces::batch_span(batch.mobiles.len(), batch.waited, &callers);
            slot.record_wait(&span);
            tokio::spawn(this.clone().send(batch, slot).instrument(span));
        }
    }
}
