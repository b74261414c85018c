//! Downloads being built: a workbook or a zip is written whole before its first byte can
//! leave (both formats end with an index), which for a million rows takes seconds. The
//! client (the console) names each such download with a token of its own (the
//! `Phonecheck-Build` header of `GET /v1/jobs/{id}/results`) and asks `GetFileBuild`
//! (`GET /v1/builds/TOKEN`) how far it has got meanwhile, so the person waiting sees rows
//! counting up instead of a button that seems dead.
//!
//! Kept in this process only: on several replicas a poll that reaches another one is
//! answered 404, and the page then shows the time waited instead.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::time::Instant;

/// How long a finished build's figures stay readable: the page's last poll comes after the
/// download ended.
const KEPT_AFTER_END: Duration = Duration::from_secs(60);

/// The shortest and longest token taken.
const TOKEN_LENGTH: std::ops::RangeInclusive<usize> = 8..=64;

/// A build's token that is not 8 to 64 letters, digits, `-` or `_`.
#[derive(Debug, thiserror::Error)]
#[error("a build's token is 8 to 64 letters, digits, - or _")]
pub struct BadToken;

/// No build of the caller's under this token here.
#[derive(Debug, thiserror::Error)]
#[error(
    "no download is being built under the token {0:?} here (builds are counted by the server building them, until a minute after they end)"
)]
pub struct BuildNotFound(pub String);

/// How far a build has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildProgress {
    /// Rows handed to the writer so far.
    pub rows: u64,
    /// Rows the job holds.
    pub total: u64,
    /// Whether it ended (written, failed or abandoned).
    pub done: bool,
}

/// The builds of this process, by token.
#[derive(Debug, Default, Clone)]
pub(crate) struct Builds {
    by_token: Arc<Mutex<HashMap<String, Build>>>,
}

#[derive(Debug)]
struct Build {
    /// Whose download it is: only they read it.
    owner: String,
    /// Rows handed to the writer so far.
    rows: Arc<AtomicU64>,
    /// Rows the job holds.
    total: u64,
    /// When it ended (written, failed or abandoned).
    ended: Option<Instant>,
}

/// One build being counted; it ends when dropped.
#[derive(Debug)]
pub(crate) struct Progress {
    builds: Builds,
    token: String,
    /// Rows handed to the writer so far: the writer's feeder adds to it.
    pub rows: Arc<AtomicU64>,
}

impl Builds {
    /// Starts counting `owner`'s build of `total` rows under `token`, when the page gave one;
    /// a token that is not 8 to 64 letters, digits, `-` or `_` is refused.
    pub fn start(
        &self,
        owner: &str,
        token: Option<&str>,
        total: u64,
    ) -> Result<Option<Progress>, BadToken> {
        let Some(token) = token else {
            return Ok(None);
        };
        if !TOKEN_LENGTH.contains(&token.len())
            || !token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(BadToken);
        }
        let rows = Arc::new(AtomicU64::new(0));
        let mut by_token = self.by_token.lock();
        by_token.retain(|_, b| b.ended.is_none_or(|t| t.elapsed() < KEPT_AFTER_END));
        by_token.insert(
            token.to_owned(),
            Build {
                owner: owner.to_owned(),
                rows: rows.clone(),
                total,
                ended: None,
            },
        );
        Ok(Some(Progress {
            builds: self.clone(),
            token: token.to_owned(),
            rows,
        }))
    }

    /// How far `owner`'s build `token` has got: rows written, rows in all, and whether it
    /// ended; not found for a token this process does not hold for them.
    pub fn read(&self, owner: &str, token: &str) -> Result<BuildProgress, BuildNotFound> {
        let by_token = self.by_token.lock();
        let build = by_token
            .get(token)
            .filter(|b| b.owner == owner)
            .ok_or_else(|| BuildNotFound(token.to_owned()))?;
        Ok(BuildProgress {
            rows: build.rows.load(Ordering::Relaxed),
            total: build.total,
            done: build.ended.is_some(),
        })
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(build) = self.builds.by_token.lock().get_mut(&self.token) {
            build.ended = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_is_read_by_its_owner_only_and_says_when_it_ended() {
        let builds = Builds::default();
        assert!(builds.start("crm", Some("short"), 10).is_err());
        assert!(builds.start("crm", Some("has space!"), 10).is_err());
        assert!(builds.start("crm", None, 10).unwrap().is_none());
        let progress = builds
            .start("crm", Some("tok-12345"), 10)
            .unwrap()
            .expect("counted");
        progress.rows.fetch_add(4, Ordering::Relaxed);
        assert_eq!(
            builds.read("crm", "tok-12345").unwrap(),
            BuildProgress {
                rows: 4,
                total: 10,
                done: false
            }
        );
        assert!(builds.read("ops", "tok-12345").is_err(), "another key's");
        drop(progress);
        assert!(builds.read("crm", "tok-12345").unwrap().done);
    }
}
