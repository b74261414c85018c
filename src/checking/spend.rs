//! Who pays for what: every call and job names an opaque [`Payer`], and the core tells a
//! [`SpendRecorder`] what each payer spent: numbers billed (as each batch is answered), and
//! cache hits, invalid inputs, repeats and calls (when a call ends). The core knows no API
//! keys, budgets or databases; the recorder (the usage ledger) lives outside it.
//!
//! A billed number is the payer's that asked for it first, the same rule as
//! `CheckSummary.billed`: a number another caller already has queued or in flight is free.

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

/// Where spending goes. Called on the hot path, so it must not block: an implementation
/// gathers and writes in the background.
pub trait SpendRecorder: std::fmt::Debug + Send + Sync {
    /// `payer` spent `spend`.
    fn record(&self, payer: &Payer, spend: Spend);
}

/// A recorder that keeps nothing, for a core used without a ledger (tests, tools).
#[derive(Debug, Default)]
pub struct NoLedger;

impl SpendRecorder for NoLedger {
    fn record(&self, _payer: &Payer, _spend: Spend) {}
}
