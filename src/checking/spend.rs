//! Who pays for what: every call and job names an opaque [`Payer`], and the core tells a
//! [`SpendRecorder`] what each payer spent: numbers billed (as each batch is answered), and
//! cache hits, invalid inputs, repeats and calls (when a call ends). The core knows no API
//! keys, budgets or databases; the recorder (the usage ledger) lives outside it.
//!
//! A billed number is the payer's that makes it leave for the upstream (the first asker still
//! waiting when its batch leaves): a number another caller already has queued or in flight is
//! free. Before a batch leaves, the batcher asks the recorder to [`reserve`] each payer's
//! numbers against its budget, and sends only what was granted; once the batch is answered it
//! [`settle`]s what was billed, releasing the rest.
//!
//! [`reserve`]: SpendRecorder::reserve
//! [`settle`]: SpendRecorder::settle

use std::sync::Arc;

/// The payer of calls made without an API key.
pub const ANONYMOUS: &str = "anonymous";

/// Whoever a call or job is charged to, opaque to the core (the serving side uses the API
/// key's name).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Payer(Arc<str>);

impl Payer {
    /// The payer called `name`; [`ANONYMOUS`] for no name (a call or job without a key).
    pub fn new(name: &str) -> Payer {
        Payer(Arc::from(if name.is_empty() { ANONYMOUS } else { name }))
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.0
    }
}

/// What some work cost its payer; each field adds up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spend {
    /// Numbers the upstream billed.
    pub billed: u64,
    /// Distinct numbers answered from the result cache, billed nothing.
    pub cache_hits: u64,
    /// Inputs that are not valid numbers, never sent.
    pub invalid: u64,
    /// Inputs repeating an earlier input's number, answered with it.
    pub duplicates: u64,
    /// Calls made (a `Check`, a stream, a job's creation).
    pub calls: u64,
}

impl Spend {
    /// Adds `other` to this.
    pub fn add(&mut self, other: &Spend) {
        self.billed += other.billed;
        self.cache_hits += other.cache_hits;
        self.invalid += other.invalid;
        self.duplicates += other.duplicates;
        self.calls += other.calls;
    }

    /// Whether nothing was spent.
    pub fn is_empty(&self) -> bool {
        *self == Spend::default()
    }
}

/// A payer's budget as it stands, as a refusal tells it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BudgetState {
    /// Whose budget.
    pub payer: String,
    /// The most numbers it may have billed per period.
    pub limit: u64,
    /// The period: `day` or `month`.
    pub period: String,
    /// What is left of it now; `None` when it could not be read (the database is down), in
    /// which case nothing is sent: a budget is never guessed.
    pub left: Option<u64>,
    /// Seconds until the period turns and the budget is whole again.
    pub resets_in_secs: u64,
}

/// What a reservation granted: how many of the numbers asked for may leave, and, when some
/// may not, the budget that refused them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Numbers that may leave.
    pub granted: u64,
    /// Which period's budget holds the reservation (opaque to the core; `None`: the payer has
    /// no budget, nothing was reserved).
    pub period: Option<Arc<str>>,
    /// The budget that refused the rest, when `granted` is short of what was asked.
    pub refused: Option<BudgetState>,
}

impl Grant {
    /// Everything asked for, nothing reserved: a payer without a budget.
    pub fn unlimited(numbers: u64) -> Grant {
        Grant {
            granted: numbers,
            period: None,
            refused: None,
        }
    }
}

/// Where spending goes, and the budgets it must stay within. `record` is called on the hot
/// path, so it must not block: an implementation gathers and writes in the background. The
/// budget calls are made only for payers with a budget worth asking about, once per batch.
#[async_trait::async_trait]
pub trait SpendRecorder: std::fmt::Debug + Send + Sync {
    /// `payer` spent `spend`.
    fn record(&self, payer: &Payer, spend: Spend);

    /// Reserves `numbers` about to leave for `payer` against its budget, atomically across
    /// replicas; the grant says how many may go.
    async fn reserve(&self, _payer: &Payer, numbers: u64) -> Grant {
        Grant::unlimited(numbers)
    }

    /// Settles a grant once its batch is answered: `billed` of its numbers were billed, the
    /// rest of the reservation is released.
    async fn settle(&self, _payer: &Payer, _grant: &Grant, _billed: u64) {}

    /// `payer`'s budget as it stands; `None` when it has none.
    async fn budget(&self, _payer: &Payer) -> Option<BudgetState> {
        None
    }
}

/// A recorder that keeps nothing and limits nothing, for a core used without a ledger
/// (tests, tools).
#[derive(Debug, Default)]
pub struct NoLedger;

impl SpendRecorder for NoLedger {
    fn record(&self, _payer: &Payer, _spend: Spend) {}
}
