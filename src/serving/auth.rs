//! Caller authentication: API keys from `--api-keys-file` (one `name:key[:qps[:budget]]` a
//! line, the budget written `N/day` or `N/month`), reloaded on SIGHUP. Every PhoneCheck call (not health, not reflection) must carry
//! `authorization: Bearer KEY` or `x-api-key: KEY`. Keys are kept and compared as SHA-256
//! digests, in constant time, and every key is compared, so timing says nothing about which
//! key, which part, or even what length was wrong. The key's *name* is what logs may show; the
//! key itself never leaves this module.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use subtle::ConstantTimeEq;
use tonic::metadata::MetadataMap;

use crate::usage::budget::BUDGET_SPELLING;
use crate::usage::{Budget, UsageLedger};

/// The name calls without an API key go by (in metrics, logs and the usage ledger).
pub use crate::checking::spend::ANONYMOUS;

/// Why a caller was refused. Becomes a status only in [`crate::serving::status`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// No key, or not one of ours (deliberately not saying which).
    #[error("missing or invalid API key: send `authorization: Bearer KEY` or `x-api-key: KEY`")]
    Unauthenticated,
    /// The key's own calls-per-second limit was exceeded.
    #[error("API key {name:?} is over its limit of {qps} calls per second")]
    RateLimited {
        /// The key's name.
        name: String,
        /// Its limit.
        qps: u32,
    },
}

/// Why the keys file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeysFileError {
    /// It could not be read.
    #[error("--api-keys-file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not `name:key` or `name:key:qps`.
    #[error("--api-keys-file {path}: line {line}: {reason}")]
    Line {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// What is wrong with it (never the key itself).
        reason: &'static str,
    },
    /// No key at all: the server would refuse everyone.
    #[error("--api-keys-file {0}: no keys in it")]
    Empty(PathBuf),
}

/// One caller's key.
struct Key {
    name: String,
    /// The SHA-256 digest of the key: fixed-length, so comparing it leaks no length.
    secret: Digest,
    limit: Option<(u32, DefaultDirectRateLimiter)>,
    budget: Option<Budget>,
}

/// The keys in force, swapped whole on reload.
pub struct ApiKeys {
    path: PathBuf,
    keys: RwLock<Arc<Vec<Key>>>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys")
            .field("path", &self.path)
            .field("keys", &self.current().len())
            .finish()
    }
}

impl ApiKeys {
    /// Reads the keys file.
    pub fn load(path: &Path) -> Result<ApiKeys, KeysFileError> {
        Ok(ApiKeys {
            path: path.to_owned(),
            keys: RwLock::new(Arc::new(read(path)?)),
        })
    }

    /// The keys a keys file's `text` holds, as if read from `path` (which errors name).
    pub(crate) fn parse(text: &str, path: &Path) -> Result<ApiKeys, KeysFileError> {
        Ok(ApiKeys {
            path: path.to_owned(),
            keys: RwLock::new(Arc::new(parse(text, path)?)),
        })
    }

    /// Reads the file again; on error the keys in force stay, and the error says why.
    pub fn reload(&self) -> Result<usize, KeysFileError> {
        let keys = read(&self.path)?;
        let n = keys.len();
        *self.keys.write() = Arc::new(keys);
        Ok(n)
    }

    fn current(&self) -> Arc<Vec<Key>> {
        self.keys.read().clone()
    }

    /// The budget of each key that has one, by key name.
    pub fn budgets(&self) -> HashMap<String, Budget> {
        self.current()
            .iter()
            .filter_map(|k| k.budget.map(|b| (k.name.clone(), b)))
            .collect()
    }

    /// The name of the key the call carries, if it is one of ours and within its limit.
    pub fn check(&self, metadata: &MetadataMap) -> Result<String, AuthError> {
        let offered = digest(offered_key(metadata).unwrap_or_default());
        let keys = self.current();
        let mut found = None;
        for key in keys.iter() {
            // Every key is compared, whatever matched before.
            if bool::from(key.secret.ct_eq(&offered)) {
                found = Some(key);
            }
        }
        let key = found.ok_or(AuthError::Unauthenticated)?;
        if let Some((qps, limiter)) = &key.limit
            && limiter.check().is_err()
        {
            return Err(AuthError::RateLimited {
                name: key.name.clone(),
                qps: *qps,
            });
        }
        Ok(key.name.clone())
    }

    /// The name of the key `token` is, for callers that send it in a body (the HTTP door).
    pub fn check_token(&self, token: &str) -> Result<String, AuthError> {
        let mut metadata = MetadataMap::new();
        let value = token.parse().map_err(|_| AuthError::Unauthenticated)?;
        metadata.insert("x-api-key", value);
        self.check(&metadata)
    }
}

/// A key's SHA-256 digest.
type Digest = [u8; 32];

fn digest(key: &[u8]) -> Digest {
    use sha2::Digest as _;
    sha2::Sha256::digest(key).into()
}

/// The key from `authorization: Bearer KEY`, else from `x-api-key`.
fn offered_key(metadata: &MetadataMap) -> Option<&[u8]> {
    if let Some(value) = metadata.get("authorization") {
        let bytes = value.as_bytes();
        let prefix = b"bearer ";
        if bytes.len() > prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix) {
            return Some(bytes[prefix.len()..].trim_ascii());
        }
    }
    metadata.get("x-api-key").map(|v| v.as_bytes().trim_ascii())
}

fn read(path: &Path) -> Result<Vec<Key>, KeysFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeysFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path)
}

/// The keys a keys file's `text` holds; errors name `path` and the line, never a key.
fn parse(text: &str, path: &Path) -> Result<Vec<Key>, KeysFileError> {
    let bad = |line: usize, reason| KeysFileError::Line {
        path: path.to_owned(),
        line,
        reason,
    };
    let mut keys: Vec<Key> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(4, ':');
        let name = parts.next().unwrap_or("").trim();
        let secret = parts.next().unwrap_or("").trim();
        if name.is_empty() || secret.is_empty() {
            return Err(bad(
                i + 1,
                "expected name:key, name:key:qps or name:key:qps:budget",
            ));
        }
        if secret.len() < 16 {
            return Err(bad(i + 1, "the key is shorter than 16 characters"));
        }
        // A key travels in a header (gRPC metadata, `Authorization`), which carries visible
        // ASCII only: any other key could never be sent.
        if !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad(
                i + 1,
                "the key holds characters a header cannot carry; use letters, digits and ASCII punctuation",
            ));
        }
        if keys.iter().any(|k| k.name == name) {
            return Err(bad(i + 1, "a key of this name is already defined"));
        }
        let limit = match parts.next().map(str::trim) {
            None | Some("") => None,
            Some(qps) => {
                let qps: u32 = qps
                    .parse()
                    .ok()
                    .filter(|&q| q > 0)
                    .ok_or_else(|| bad(i + 1, "qps must be a whole number above 0"))?;
                // Not zero: just checked.
                let quota = Quota::per_second(NonZeroU32::new(qps).unwrap_or(NonZeroU32::MIN));
                Some((qps, RateLimiter::direct(quota)))
            }
        };
        let budget = match parts.next().map(str::trim) {
            None | Some("") => None,
            Some(budget) => Some(
                budget
                    .parse::<Budget>()
                    .map_err(|_| bad(i + 1, BUDGET_SPELLING))?,
            ),
        };
        keys.push(Key {
            name: name.to_owned(),
            secret: digest(secret.as_bytes()),
            limit,
            budget,
        });
    }
    if keys.is_empty() {
        return Err(KeysFileError::Empty(path.to_owned()));
    }
    Ok(keys)
}

/// Reads the API keys file again on every SIGHUP and puts its budgets in force in `ledger`; a
/// broken file keeps the keys (and budgets) in force.
pub(crate) async fn reload_on_sighup(keys: Arc<ApiKeys>, ledger: Arc<UsageLedger>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGHUP; keys will not reload");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            match keys.reload() {
                Ok(n) => {
                    ledger.set_budgets(keys.budgets());
                    tracing::info!(keys = n, "API keys reloaded");
                }
                Err(e) => {
                    tracing::error!(error = %e, "API keys not reloaded; the previous keys stay in force")
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (keys, ledger);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Result<ApiKeys, KeysFileError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        std::fs::write(&path, text).unwrap();
        ApiKeys::load(&path)
    }

    fn with(header: &str, value: &str) -> MetadataMap {
        let mut m = MetadataMap::new();
        m.insert(
            tonic::metadata::MetadataKey::from_bytes(header.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        m
    }

    #[test]
    fn keys_are_held_and_compared_as_fixed_length_digests() {
        let k =
            keys("short:0123456789abcdef\nlong:0123456789abcdef0123456789abcdef0123\n").unwrap();
        let held = k.current();
        for key in held.iter() {
            assert_eq!(key.secret.len(), 32, "{}: a digest, not the key", key.name);
        }
        // A prefix or an extension of a key is refused like any other wrong key.
        for wrong in [
            "0123456789abcde",
            "0123456789abcdef0",
            "0123456789abcdef0123456789abcdef012",
        ] {
            assert!(k.check(&with("x-api-key", wrong)).is_err(), "{wrong}");
        }
        assert_eq!(
            k.check(&with("x-api-key", "0123456789abcdef")).unwrap(),
            "short"
        );
    }

    #[test]
    fn a_known_key_names_its_caller_by_either_header() {
        let k = keys("# callers\nbilling:0123456789abcdef\n\ncrm:fedcba9876543210:5\n").unwrap();
        assert_eq!(
            k.check(&with("authorization", "Bearer 0123456789abcdef"))
                .unwrap(),
            "billing"
        );
        assert_eq!(
            k.check(&with("authorization", "bearer fedcba9876543210"))
                .unwrap(),
            "crm"
        );
        assert_eq!(
            k.check(&with("x-api-key", "fedcba9876543210")).unwrap(),
            "crm"
        );
        for refused in [
            MetadataMap::new(),
            with("authorization", "Bearer 0123456789abcdeX"),
            with("authorization", "0123456789abcdef"),
            with("x-api-key", ""),
        ] {
            assert!(matches!(k.check(&refused), Err(AuthError::Unauthenticated)));
        }
    }

    #[test]
    fn a_key_over_its_limit_is_rate_limited() {
        let k = keys("crm:fedcba9876543210:2\n").unwrap();
        let m = with("x-api-key", "fedcba9876543210");
        let outcomes: Vec<bool> = (0..5).map(|_| k.check(&m).is_ok()).collect();
        assert!(
            outcomes.iter().filter(|ok| !**ok).count() >= 2,
            "{outcomes:?}"
        );
        assert!(matches!(
            k.check(&m),
            Err(AuthError::RateLimited { qps: 2, .. })
        ));
    }

    #[test]
    fn a_key_no_header_could_carry_is_refused_naming_its_line() {
        // The keys_file fuzzer's find: such a key was accepted, and then matched nothing.
        for key in [
            "sk-crm-0123456789\u{fffd}ef",
            "sk-crm-0123456789 abcdef",
            "密钥-0123456789abcdef",
        ] {
            let e = keys(&format!("ops:sk-ops-0123456789abcdef\ncrm:{key}\n")).unwrap_err();
            let said = e.to_string();
            assert!(said.contains(":2:") || said.contains("line 2"), "{said}");
            assert!(
                said.contains("header cannot carry") && !said.contains(key),
                "{said}"
            );
        }
    }

    #[test]
    fn bad_files_name_the_line_and_never_the_key() {
        for (text, reason) in [
            ("justaname\n", "expected name:key"),
            ("a:short\n", "shorter than 16"),
            (
                "a:0123456789abcdef\na:0123456789abcdeg\n",
                "already defined",
            ),
            ("a:0123456789abcdef:zero\n", "qps must be"),
            (
                "a:0123456789abcdef:5:100/week\n",
                "line 1: a budget is written N/day",
            ),
            (
                "b:fedcba9876543210\na:0123456789abcdef::lots\n",
                "line 2: a budget is written",
            ),
            ("# only comments\n", "no keys"),
        ] {
            let err = keys(text).expect_err("refused").to_string();
            assert!(err.contains(reason), "{err}");
            assert!(!err.contains("0123456789abcde"), "{err}");
        }
    }

    #[test]
    fn budgets_are_read_per_key_and_a_reload_replaces_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        std::fs::write(
            &path,
            "crm:0123456789abcdef:50:200000/month\nops:fedcba9876543210::5000/day\nfree:aaaaaaaaaaaaaaaa\n",
        )
        .unwrap();
        let k = ApiKeys::load(&path).unwrap();
        let budgets = k.budgets();
        assert_eq!(budgets.len(), 2, "{budgets:?}");
        assert_eq!(budgets["crm"].to_string(), "200000/month");
        assert_eq!(budgets["ops"].to_string(), "5000/day");
        std::fs::write(&path, "crm:0123456789abcdef:50:100/month\n").unwrap();
        k.reload().unwrap();
        assert_eq!(k.budgets()["crm"].limit, 100, "lowered");
        std::fs::write(&path, "crm:0123456789abcdef:50:1/fortnight\n").unwrap();
        assert!(k.reload().is_err());
        assert_eq!(k.budgets()["crm"].limit, 100, "kept on a broken file");
    }

    #[test]
    fn reload_swaps_the_keys_and_keeps_them_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        std::fs::write(&path, "a:0123456789abcdef\n").unwrap();
        let k = ApiKeys::load(&path).unwrap();
        std::fs::write(&path, "b:fedcba9876543210\n").unwrap();
        assert_eq!(k.reload().unwrap(), 1);
        assert!(k.check(&with("x-api-key", "0123456789abcdef")).is_err());
        assert_eq!(
            k.check(&with("x-api-key", "fedcba9876543210")).unwrap(),
            "b"
        );
        std::fs::write(&path, "broken\n").unwrap();
        assert!(k.reload().is_err());
        assert_eq!(
            k.check(&with("x-api-key", "fedcba9876543210")).unwrap(),
            "b"
        );
    }
}
