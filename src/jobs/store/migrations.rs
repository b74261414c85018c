//! The schema of both stores as versioned migrations (the SQL files beside this module),
//! embedded at build time and applied at start by `refinery`, which records what it applied
//! in `refinery_schema_history`. A database whose history holds a version newer than any
//! this build carries was written by a newer phonecheck: it is refused before anything runs.

use refinery::Runner;

mod sqlite_files {
    refinery::embed_migrations!("src/jobs/store/migrations/sqlite");
}

mod postgres_files {
    refinery::embed_migrations!("src/jobs/store/migrations/postgres");
}

/// Where refinery records the migrations applied.
pub(super) const HISTORY_TABLE: &str = "refinery_schema_history";

/// The SQLite migrations. A database with history this build does not carry is refused.
pub(super) fn sqlite() -> Runner {
    sqlite_files::migrations::runner().set_abort_missing(true)
}

/// The PostgreSQL migrations, with the same rule.
pub(super) fn postgres() -> Runner {
    postgres_files::migrations::runner().set_abort_missing(true)
}

/// The newest version `runner` carries.
pub(super) fn latest(runner: &Runner) -> i64 {
    runner
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}
