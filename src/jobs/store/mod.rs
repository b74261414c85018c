//! Where jobs live.
mod sqlite;

pub use sqlite::*;
