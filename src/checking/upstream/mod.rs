//! The ALAPI phonecheck upstream: its wire format, the HTTP client that calls it, the errors it
//! can answer with, and a simulator that speaks the same wire format for tests and demos.
//!
//! The upstream's JSON and its codes are written once, in [`wire`]: the client reads answers
//! through it into [`UpstreamAnswer`] and [`UpstreamError`], and the two sides that write the
//! same shape (the simulator here, the ALAPI-compatible door on the serving side) build their
//! answers from it.

mod client;
mod error;
mod shared_pacing;
pub mod simulator;
pub mod wire;

pub use client::{
    Attempted, CallSlot, RetryPolicy, SharedRateLimit, UPSTREAM_MAX_BATCH, UpstreamClient,
    UpstreamClientConfig,
};
pub use error::{ErrorClass, UpstreamError};
pub use wire::UpstreamAnswer;

use std::fmt;

/// The upstream API token. It redacts itself in `Debug` and has no `Display`, so it cannot
/// reach a log line, a status message or a metric by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token, trimming the whitespace a token file usually ends with.
    pub fn new(token: impl AsRef<str>) -> Self {
        Token(token.as_ref().trim().to_owned())
    }

    /// The secret itself, for the one place that sends it upstream.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the token is empty (after trimming).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_shows_itself() {
        let t = Token::new(" s3cret-token\n");
        assert_eq!(t.expose(), "s3cret-token");
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert!(!format!("{:#?}", Some(t)).contains("s3cret"));
    }
}
