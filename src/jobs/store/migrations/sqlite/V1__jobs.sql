-- The first schema (phonecheck before leases). IF NOT EXISTS: databases made before
-- migrations were versioned already hold it, and take it as applied.
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    state INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    finished_ms INTEGER,
    max_age_ms INTEGER,
    skip_cache INTEGER NOT NULL,
    total INTEGER NOT NULL DEFAULT 0,
    unique_numbers INTEGER NOT NULL DEFAULT 0,
    invalid INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    billed INTEGER NOT NULL DEFAULT 0,
    cache_hits INTEGER NOT NULL DEFAULT 0,
    s_empty INTEGER NOT NULL DEFAULT 0,
    s_real INTEGER NOT NULL DEFAULT 0,
    s_suspended INTEGER NOT NULL DEFAULT 0,
    s_not_in_database INTEGER NOT NULL DEFAULT 0,
    s_silent INTEGER NOT NULL DEFAULT 0,
    s_risk INTEGER NOT NULL DEFAULT 0,
    s_failed INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_age ON jobs (owner, created_ms, id);
CREATE TABLE IF NOT EXISTS inputs (
    job TEXT NOT NULL,
    idx INTEGER NOT NULL,
    input TEXT NOT NULL,
    mobile INTEGER,
    PRIMARY KEY (job, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS numbers (
    job TEXT NOT NULL,
    mobile INTEGER NOT NULL,
    first_idx INTEGER NOT NULL,
    occurrences INTEGER NOT NULL DEFAULT 1,
    state INTEGER NOT NULL DEFAULT 0,
    status INTEGER,
    status_name TEXT,
    area TEXT,
    carrier TEXT,
    checked_ms INTEGER,
    from_cache INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    PRIMARY KEY (job, mobile)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS numbers_pending ON numbers (job, mobile) WHERE state = 0;
