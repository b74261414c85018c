//! The usage ledger: what each caller spent each day (numbers billed, cache hits, invalid
//! inputs, repeats, calls), kept in the job store's database so that every replica sharing it
//! writes one ledger, and read back by `GetUsage` and `phonecheck usage`.
//!
//! The checking core reports spending through its [`SpendRecorder`] port; [`UsageLedger`]
//! gathers it in memory (an addition under a lock, so the hot path never waits on a disk) and
//! writes it every second in one transaction, adding to each caller's day, so nothing is
//! counted twice. A write that fails keeps its rows for the next one; a stop flushes what is
//! left. A kill loses at most the last second's spending. Days are counted in
//! `--usage-timezone`; days older than `--usage-retention` are deleted once an hour, with
//! the budget periods that ended before them.
//!
//! Budgets ([`budget`]) are held here too: before a batch leaves, the batcher reserves each
//! payer's numbers through [`SpendRecorder::reserve`], which takes them from the caller's
//! period row in the store in one transaction (across replicas on PostgreSQL), never past the
//! limit; once the batch is answered, what was billed is settled and the rest released. A
//! replica killed with a batch in flight leaves that batch reserved until the period turns:
//! a budget errs toward not spending, never past its limit.

pub mod budget;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::checking::spend::{BudgetState, Grant, Payer, Spend, SpendRecorder};
use crate::jobs::{BudgetSpent, JobStore, JobStoreError, UsageRow};
use budget::PeriodNow;
pub use budget::{Budget, Period};

/// How often gathered spending is written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// How often days past the retention are deleted.
const FORGET_EVERY: Duration = Duration::from_secs(3600);

/// How the ledger counts days and how long it keeps them.
#[derive(Debug, Clone)]
pub struct UsageConfig {
    /// The zone whose days (and months) the ledger counts in.
    pub zone: jiff::tz::TimeZone,
    /// Days older than this are deleted.
    pub retention_days: u32,
}

impl Default for UsageConfig {
    fn default() -> Self {
        UsageConfig {
            zone: jiff::tz::TimeZone::UTC,
            retention_days: 400,
        }
    }
}

/// Why reading the ledger failed.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// A date that is not `YYYY-MM-DD`.
    #[error("{field} {value:?} is not a date (YYYY-MM-DD)")]
    BadDate {
        /// The request field.
        field: &'static str,
        /// What it held.
        value: String,
    },
    /// A caller asking for another's rows without being an admin.
    #[error(
        "caller {caller:?} may read only its own usage; --admin-keys names the keys that may read others'"
    )]
    NotYours {
        /// Whose rows were asked for.
        caller: String,
    },
    /// `from` after `to`.
    #[error("from {from} is after to {to}")]
    BadRange {
        /// The first day asked.
        from: String,
        /// The last day asked.
        to: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] JobStoreError),
}

/// The ledger: gathers spending and writes it to the store.
#[derive(Debug)]
pub struct UsageLedger {
    store: Arc<dyn JobStore>,
    config: UsageConfig,
    /// Spending not written yet, by caller and day.
    gathered: Mutex<HashMap<(Payer, jiff::civil::Date), Spend>>,
    /// Serializes writes, so a flush asked for by a reader waits for one in progress.
    writing: tokio::sync::Mutex<()>,
    /// Each caller's budget, by name (from the keys file; replaced whole on reload).
    budgets: parking_lot::RwLock<Arc<HashMap<String, Budget>>>,
    /// The share of its budget (80 or 100 percent) each caller was last said to have
    /// passed, per period, so each is logged once per replica.
    warned: Mutex<HashMap<(String, String), u8>>,
}

#[async_trait::async_trait]
impl SpendRecorder for UsageLedger {
    fn record(&self, payer: &Payer, spend: Spend) {
        let day = self.today();
        self.gathered
            .lock()
            .entry((payer.clone(), day))
            .or_default()
            .add(&spend);
    }

    async fn reserve(&self, payer: &Payer, numbers: u64) -> Grant {
        let Some(budget) = self.budget_of(payer) else {
            return Grant::unlimited(numbers);
        };
        let now = self.now();
        let period = budget.period_at(&now);
        let reserved = self
            .store
            .reserve_budget(payer.name(), &period.row, budget.limit, numbers)
            .await;
        let spent = match reserved {
            Ok(spent) => spent,
            Err(e) => {
                tracing::warn!(error = %e, caller = payer.name(), "a budget could not be read; nothing of this caller's is sent");
                return Grant {
                    granted: 0,
                    period: None,
                    refused: Some(self.state(payer, budget, &period, None, &now)),
                };
            }
        };
        let left = self.observe(payer, budget, &period.row.key, spent);
        Grant {
            granted: spent.granted,
            period: Some(Arc::from(period.row.key.as_str())),
            refused: (spent.granted < numbers)
                .then(|| self.state(payer, budget, &period, Some(left), &now)),
        }
    }

    async fn settle(&self, payer: &Payer, grant: &Grant, billed: u64) {
        let Some(period) = &grant.period else {
            return;
        };
        if let Err(e) = self
            .store
            .settle_budget(payer.name(), period, grant.granted, billed)
            .await
        {
            // The reservation stays: counted as spent until the period turns, never more.
            tracing::warn!(error = %e, caller = payer.name(), "a budget reservation could not be settled; it counts as spent");
        }
    }

    async fn budget(&self, payer: &Payer) -> Option<BudgetState> {
        let (budget, now, period, spent) = self.spent_now(payer).await?;
        let left = match spent {
            Ok(spent) => Some(spent.left(budget.limit)),
            Err(e) => {
                tracing::warn!(error = %e, caller = payer.name(), "a budget could not be read");
                None
            }
        };
        Some(self.state(payer, budget, &period, left, &now))
    }
}

impl UsageLedger {
    /// A ledger writing to `store`.
    pub fn new(store: Arc<dyn JobStore>, config: UsageConfig) -> Arc<UsageLedger> {
        Arc::new(UsageLedger {
            store,
            config,
            gathered: Mutex::new(HashMap::new()),
            writing: tokio::sync::Mutex::new(()),
            budgets: parking_lot::RwLock::new(Arc::default()),
            warned: Mutex::new(HashMap::new()),
        })
    }

    /// Puts `budgets` (by caller name) in force, replacing the ones before: a lower limit
    /// applies to the next batch.
    pub fn set_budgets(&self, budgets: HashMap<String, Budget>) {
        *self.budgets.write() = Arc::new(budgets);
    }

    /// `payer`'s budget, if it has one.
    pub fn budget_of(&self, payer: &Payer) -> Option<Budget> {
        self.budgets.read().get(payer.name()).copied()
    }

    fn now(&self) -> jiff::Zoned {
        jiff::Timestamp::now().to_zoned(self.config.zone.clone())
    }

    /// `payer`'s budget, the moment and period now, and what it has spent in that period
    /// (observed for the gauge and the 80%/100% log); `None` when it has no budget.
    async fn spent_now(
        &self,
        payer: &Payer,
    ) -> Option<(
        Budget,
        jiff::Zoned,
        PeriodNow,
        Result<BudgetSpent, JobStoreError>,
    )> {
        let budget = self.budget_of(payer)?;
        let now = self.now();
        let period = budget.period_at(&now);
        let spent = self.store.budget_spent(payer.name(), &period.row).await;
        if let Ok(spent) = &spent {
            self.observe(payer, budget, &period.row.key, *spent);
        }
        Some((budget, now, period, spent))
    }

    /// What is left of `budget` given a period row; kept in the metric, and logged when the
    /// caller passes 80% and 100% of it.
    fn observe(&self, payer: &Payer, budget: Budget, period: &str, spent: BudgetSpent) -> u64 {
        let taken = spent.used.saturating_add(spent.reserved);
        let left = spent.left(budget.limit);
        metrics::gauge!(crate::metrics::BUDGET_LEFT, "caller" => payer.name().to_owned())
            .set(left as f64);
        metrics::gauge!(crate::metrics::BUDGET_LIMIT, "caller" => payer.name().to_owned())
            .set(budget.limit as f64);
        let share = if taken >= budget.limit {
            100
        } else if taken.saturating_mul(5) >= budget.limit.saturating_mul(4) {
            80
        } else {
            return left;
        };
        let mut warned = self.warned.lock();
        // Only this period's are kept: the map never outgrows the callers with budgets.
        warned.retain(|(_, said_for), _| said_for == period);
        let said = warned
            .entry((payer.name().to_owned(), period.to_owned()))
            .or_insert(0);
        if *said < share {
            *said = share;
            tracing::warn!(caller = payer.name(), budget = %budget, period, used = spent.used, reserved = spent.reserved, "caller has used {share}% of its budget");
        }
        left
    }

    /// A budget as a refusal tells it.
    fn state(
        &self,
        payer: &Payer,
        budget: Budget,
        period: &PeriodNow,
        left: Option<u64>,
        now: &jiff::Zoned,
    ) -> BudgetState {
        let resets_in = period
            .ends
            .as_second()
            .saturating_sub(now.timestamp().as_second());
        BudgetState {
            payer: payer.name().to_owned(),
            limit: budget.limit,
            period: budget.period.name().to_owned(),
            left,
            resets_in_secs: u64::try_from(resets_in).unwrap_or(0),
        }
    }

    /// `caller`'s budget with what it has used and reserved in the period now, for `GetUsage`;
    /// `None` when it has none.
    pub async fn budget_report(
        &self,
        caller: &str,
    ) -> Result<Option<(Budget, BudgetSpent, jiff::Timestamp)>, UsageError> {
        let Some((budget, _, period, spent)) = self.spent_now(&Payer::new(caller)).await else {
            return Ok(None);
        };
        Ok(Some((budget, spent?, period.ends)))
    }

    /// Today in the ledger's zone.
    pub fn today(&self) -> jiff::civil::Date {
        self.now().date()
    }

    /// The zone's name, as `GetUsage` reports it.
    pub fn zone_name(&self) -> String {
        self.config
            .zone
            .iana_name()
            .map_or_else(|| "UTC".to_owned(), str::to_owned)
    }

    /// Writes what was gathered; on failure it is kept for the next write.
    pub async fn flush(&self) -> Result<(), JobStoreError> {
        let _writing = self.writing.lock().await;
        let gathered = std::mem::take(&mut *self.gathered.lock());
        if gathered.is_empty() {
            return Ok(());
        }
        let rows: Vec<UsageRow> = gathered
            .iter()
            .filter(|(_, spend)| !spend.is_empty())
            .map(|((payer, day), spend)| UsageRow {
                caller: payer.name().to_owned(),
                day: day.to_string(),
                spend: *spend,
            })
            .collect();
        if let Err(e) = self.store.add_usage(&rows).await {
            // Kept, added to what came meanwhile: the next write carries both.
            let mut now = self.gathered.lock();
            for (key, spend) in gathered {
                now.entry(key).or_default().add(&spend);
            }
            return Err(e);
        }
        Ok(())
    }

    /// Writes every [`FLUSH_EVERY`] and forgets old days every hour, until `stop` resolves;
    /// then writes what is left.
    pub async fn run(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut flush = tokio::time::interval(FLUSH_EVERY);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut forget = tokio::time::interval(FORGET_EVERY);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = flush.tick() => {
                    if let Err(e) = self.flush().await {
                        tracing::warn!(error = %e, "the usage ledger could not be written; kept for the next try");
                    }
                }
                _ = forget.tick() => self.forget_old_days().await,
            }
        }
        if let Err(e) = self.flush().await {
            tracing::error!(error = %e, "the usage ledger's last second could not be written");
        }
    }

    async fn forget_old_days(&self) {
        let cutoff = self
            .today()
            .checked_sub(jiff::Span::new().days(i64::from(self.config.retention_days)))
            .unwrap_or(jiff::civil::Date::MIN);
        match self.store.forget_usage_before(&cutoff.to_string()).await {
            Ok(0) => {}
            Ok(gone) => {
                tracing::info!(gone, before = %cutoff, "usage days past --usage-retention deleted")
            }
            Err(e) => {
                // The budget periods live in the same database: one line says it.
                tracing::warn!(error = %e, "old usage days and budget periods could not be deleted");
                return;
            }
        }
        // Budget periods that ended before the same day go with them.
        for period in Period::ALL {
            let (from, before) = (period.key_prefix(), period.key_of(cutoff));
            if let Err(e) = self.store.forget_budget_periods(&from, &before).await {
                tracing::warn!(error = %e, "old budget periods could not be deleted");
                return;
            }
        }
    }

    /// The ledger's rows of `caller` (every caller for `None`) from `from` to `to`, both
    /// included; `from` defaults to the first of this month, `to` to today. This replica's
    /// gathered spending is written first, so what it answered is counted.
    pub async fn read(
        &self,
        caller: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<(String, String, Vec<UsageRow>), UsageError> {
        let today = self.today();
        let from = match from.trim() {
            "" => today.first_of_month(),
            text => parse_day("from", text)?,
        };
        let to = match to.trim() {
            "" => today,
            text => parse_day("to", text)?,
        };
        if from > to {
            return Err(UsageError::BadRange {
                from: from.to_string(),
                to: to.to_string(),
            });
        }
        if let Err(e) = self.flush().await {
            tracing::warn!(error = %e, "the usage ledger could not be written before a read");
        }
        let (from, to) = (from.to_string(), to.to_string());
        let rows = self.store.usage(caller, &from, &to).await?;
        Ok((from, to, rows))
    }
}

fn parse_day(field: &'static str, text: &str) -> Result<jiff::civil::Date, UsageError> {
    text.parse().map_err(|_| UsageError::BadDate {
        field,
        value: text.to_owned(),
    })
}
