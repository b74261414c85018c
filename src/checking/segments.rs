//! Which number blocks are allocated to mainland China mobile carriers, so that a number in a
//! block nobody was given (`154…`, `140…`) is answered INVALID without being sent upstream and
//! billed.
//!
//! The table is a list of prefixes, 3 to 7 digits, one a line (`data/cn-mobile-segments.txt`,
//! generated from libphonenumber's metadata and built in). `serve --segments-file FILE` installs
//! another one at start-up, before any number is parsed, for when carriers are given new blocks
//! before a release catches up. It is process-wide on purpose: parsing a number is a pure
//! function of the input and this table, so every path (Check, streams, jobs, the HTTP door)
//! agrees on what is a number, and a job's stored input parses the same way when it is read back.
//!
//! Internally it is one bit per 7-digit prefix (1,000,000 bits, 122 KiB): a lookup is one shift
//! and one mask, on the hot path of every number.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The table built into the binary.
const BUILT_IN: &str = include_str!("../../data/cn-mobile-segments.txt");

/// 7-digit prefixes run from 1000000 to 1999999: the first digit of a mobile number is 1.
const FIRST: u64 = 1_000_000;
const PREFIXES: usize = 1_000_000;

/// The allocated blocks: a bit per 7-digit prefix.
#[derive(Clone)]
pub struct Segments {
    bits: Box<[u64]>,
    /// Prefixes listed, for the start-up log.
    listed: usize,
}

impl std::fmt::Debug for Segments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segments")
            .field("listed", &self.listed)
            .finish()
    }
}

/// A segments table that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SegmentsError {
    /// The file could not be read.
    #[error("cannot read the segments file {}: {source}", path.display())]
    Io {
        /// The file named.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not a prefix of 3 to 7 digits starting with 1.
    #[error(
        "line {line} of the segments table is not a prefix of 3 to 7 digits starting with 1: {text:?}"
    )]
    BadLine {
        /// 1-based.
        line: usize,
        /// The line as written.
        text: String,
    },
    /// No prefix at all: every number would be refused.
    #[error("the segments table lists no prefix")]
    Empty,
    /// `install` was called after the table was first used or installed.
    #[error("the segments table was already in use; install it before parsing any number")]
    AlreadyInUse,
}

impl Segments {
    /// Parses a table: one prefix a line; `#` starts a comment; blank lines are ignored.
    pub fn parse(text: &str) -> Result<Segments, SegmentsError> {
        let mut bits = vec![0u64; PREFIXES.div_ceil(64)].into_boxed_slice();
        let mut listed = 0;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = || SegmentsError::BadLine {
                line: n + 1,
                text: raw.to_owned(),
            };
            if !(3..=7).contains(&line.len())
                || !line.starts_with('1')
                || !line.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(bad());
            }
            let prefix: u64 = line.parse().map_err(|_| bad())?;
            let span = 10u64.pow(7 - line.len() as u32);
            let start = prefix * span - FIRST;
            for i in start..start + span {
                bits[(i / 64) as usize] |= 1 << (i % 64);
            }
            listed += 1;
        }
        if listed == 0 {
            return Err(SegmentsError::Empty);
        }
        Ok(Segments { bits, listed })
    }

    /// Reads a table from a file (`--segments-file`).
    pub fn load(path: &Path) -> Result<Segments, SegmentsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SegmentsError::Io {
            path: path.to_owned(),
            source,
        })?;
        Segments::parse(&text)
    }

    /// The table built into the binary. A unit test parses the file; were it ever broken,
    /// every 13–19 number would count as allocated, as before the table existed, rather than
    /// every number being refused.
    fn built_in() -> Segments {
        Segments::parse(BUILT_IN).unwrap_or_else(|_| Segments::every_mobile_prefix())
    }

    /// Every number from 13 to 19 allowed: the rule before blocks were known.
    fn every_mobile_prefix() -> Segments {
        let mut bits = vec![0u64; PREFIXES.div_ceil(64)].into_boxed_slice();
        for i in (1_300_000 - FIRST)..(PREFIXES as u64) {
            bits[(i / 64) as usize] |= 1 << (i % 64);
        }
        Segments { bits, listed: 7 }
    }

    /// How many prefixes the table lists.
    pub fn listed(&self) -> usize {
        self.listed
    }

    fn bit(&self, prefix7: u64) -> bool {
        let i = prefix7.wrapping_sub(FIRST);
        i < PREFIXES as u64 && self.bits[(i / 64) as usize] & (1 << (i % 64)) != 0
    }

    /// Whether the 11-digit number `n` lies in an allocated block.
    pub fn allocated(&self, n: u64) -> bool {
        self.bit(n / 10_000)
    }

    /// For a number outside every allocated block, the shortest of its prefixes (3 to 7 digits)
    /// under which nothing is allocated: the block to name in the reason ("segment 154").
    pub fn unallocated_block(&self, n: u64) -> Option<String> {
        if self.allocated(n) {
            return None;
        }
        let prefix7 = n / 10_000;
        for digits in 3..=7u32 {
            let span = 10u64.pow(7 - digits);
            let start = prefix7 / span * span;
            if !(start..start + span).any(|p| self.bit(p)) {
                return Some((prefix7 / span).to_string());
            }
        }
        Some(prefix7.to_string())
    }
}

static INSTALLED: OnceLock<Segments> = OnceLock::new();

/// Makes `table` the one every number is parsed against, for the life of the process. Call it
/// at start-up: once any number has been parsed, the table in use cannot change.
pub fn install(table: Segments) -> Result<(), SegmentsError> {
    INSTALLED
        .set(table)
        .map_err(|_| SegmentsError::AlreadyInUse)
}

/// The table numbers are parsed against: the installed one, else the built-in one.
pub fn current() -> &'static Segments {
    INSTALLED.get_or_init(Segments::built_in)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_knows_real_segments_from_unallocated_ones() {
        let table = Segments::parse(BUILT_IN).unwrap();
        for real in [
            13111111111,
            19912345678,
            16612345678,
            17312345678,
            14512345678,
        ] {
            assert!(table.allocated(real), "{real}");
        }
        assert_eq!(table.unallocated_block(15400000000).as_deref(), Some("154"));
        assert_eq!(table.unallocated_block(14000000102).as_deref(), Some("140"));
        assert_eq!(table.unallocated_block(19412345678).as_deref(), Some("194"));
        // Partly allocated blocks name the longest prefix that still tells them apart.
        assert!(table.allocated(17405123456));
        assert_eq!(
            table.unallocated_block(17406123456).as_deref(),
            Some("17406")
        );
        assert!(table.allocated(16101234567));
        assert_eq!(
            table.unallocated_block(16112345678).as_deref(),
            Some("1611")
        );
    }

    #[test]
    fn the_built_in_file_parses() {
        let table = Segments::parse(BUILT_IN).unwrap();
        assert!(table.listed() > 50, "{table:?}");
        assert!(Segments::every_mobile_prefix().allocated(15400000000));
    }

    #[test]
    fn a_table_is_refused_with_the_line_that_is_wrong() {
        let err = Segments::parse("130\n# fine\n\n13a\n").unwrap_err();
        assert!(err.to_string().contains("line 4"), "{err}");
        for bad in ["13", "12345678", "230", "1 30"] {
            assert!(Segments::parse(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            Segments::parse("# nothing\n"),
            Err(SegmentsError::Empty)
        ));
    }

    #[test]
    fn a_table_of_its_own_allows_exactly_what_it_lists() {
        let table = Segments::parse("154 # new\n1300\n").unwrap();
        assert!(table.allocated(15400000000));
        assert!(table.allocated(13001234567));
        assert!(!table.allocated(13011234567));
        assert_eq!(
            table.unallocated_block(13011234567).as_deref(),
            Some("1301")
        );
        assert_eq!(table.listed(), 2);
    }
}
