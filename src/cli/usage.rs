//! `phonecheck usage`: the usage ledger as a table, a row per caller and day, then the totals:
//! what was billed, answered from the cache, invalid, repeated, and how many calls.

use clap::Args;

use super::report::thousands;
use super::{ClientError, ServerArgs, connect};
use crate::pb::{Budget, GetUsageRequest, UsageDay};

/// Flags of `phonecheck usage`.
#[derive(Debug, Args)]
pub struct UsageArgs {
    /// The server and the key to ask with.
    #[command(flatten)]
    pub server: ServerArgs,

    /// The first day (YYYY-MM-DD, in the server's usage time zone); default the first of this
    /// month.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,

    /// The last day, included; default today.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,

    /// Every caller's usage (a key named in the server's --admin-keys, or a server without
    /// keys).
    #[arg(long, conflicts_with = "caller")]
    pub all: bool,

    /// Another caller's usage, by its key's name (an admin key only).
    #[arg(long, value_name = "NAME")]
    pub caller: Option<String>,
}

/// Prints the ledger for the days asked; returns the exit status (0, or 1 with one line on
/// stderr saying why).
pub async fn run(args: UsageArgs) -> i32 {
    match print(args).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("phonecheck: {e}");
            e.exit_status()
        }
    }
}

async fn print(args: UsageArgs) -> Result<(), ClientError> {
    let mut client = connect(&args.server).await?;
    let caller = match (args.all, args.caller) {
        (true, _) => "*".to_owned(),
        (false, caller) => caller.unwrap_or_default(),
    };
    let usage = client
        .get_usage(GetUsageRequest {
            caller,
            from: args.from.unwrap_or_default(),
            to: args.to.unwrap_or_default(),
        })
        .await?
        .into_inner();
    println!(
        "usage from {} to {} (days in {})",
        usage.from, usage.to, usage.time_zone
    );
    println!(
        "{:<10}  {:<20} {:>12} {:>12} {:>10} {:>10} {:>10}",
        "DAY", "CALLER", "BILLED", "CACHE HITS", "INVALID", "REPEATS", "CALLS"
    );
    let mut total = UsageDay::default();
    for day in &usage.days {
        println!("{}", line(&day.day, &day.caller, day));
        total.billed += day.billed;
        total.cache_hits += day.cache_hits;
        total.invalid += day.invalid;
        total.duplicates += day.duplicates;
        total.calls += day.calls;
    }
    if usage.days.is_empty() {
        println!("(nothing spent in these days)");
    }
    println!("{}", line("total", "", &total));
    if let Some(b) = &usage.budget {
        println!("budget: {}", budget_line(b));
    }
    Ok(())
}

/// A budget as `usage` and the previews say it.
pub(crate) fn budget_line(b: &Budget) -> String {
    let resets = b
        .resets_at
        .and_then(|t| std::time::SystemTime::try_from(t).ok())
        .map(|t| humantime::format_rfc3339_seconds(t).to_string())
        .unwrap_or_default();
    format!(
        "{} numbers a {}; used {}, reserved {}, left {} (whole again at {resets})",
        thousands(b.limit),
        b.period,
        thousands(b.used),
        thousands(b.reserved),
        thousands(b.left),
    )
}

/// The caller's own budget, if it has one (`None` too when the server cannot say).
pub(crate) async fn own_budget(client: &mut super::BulkClient) -> Option<Budget> {
    let asked = client.get_usage(GetUsageRequest::default()).await;
    match asked {
        Ok(usage) => usage.into_inner().budget,
        Err(e) => {
            tracing::debug!(error = %e, "the server did not say the caller's budget");
            None
        }
    }
}

/// One row of the table.
fn line(day: &str, caller: &str, u: &UsageDay) -> String {
    format!(
        "{day:<10}  {caller:<20} {:>12} {:>12} {:>10} {:>10} {:>10}",
        thousands(u.billed),
        thousands(u.cache_hits),
        thousands(u.invalid),
        thousands(u.duplicates),
        thousands(u.calls),
    )
}
