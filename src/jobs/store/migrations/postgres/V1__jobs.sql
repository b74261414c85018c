-- Jobs shared by every replica. Times are milliseconds since the epoch; lease expiries are
-- read off the database's clock, so replicas' clocks need not agree.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    -- The key rows of `inputs` and `numbers` use: eight bytes instead of the id's 28 keeps
    -- their indexes small.
    key BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    state SMALLINT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    finished_ms BIGINT,
    max_age_ms BIGINT,
    skip_cache BOOLEAN NOT NULL,
    total BIGINT NOT NULL DEFAULT 0,
    unique_numbers BIGINT NOT NULL DEFAULT 0,
    invalid BIGINT NOT NULL DEFAULT 0,
    duplicates BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    billed BIGINT NOT NULL DEFAULT 0,
    cache_hits BIGINT NOT NULL DEFAULT 0,
    s_empty BIGINT NOT NULL DEFAULT 0,
    s_real BIGINT NOT NULL DEFAULT 0,
    s_suspended BIGINT NOT NULL DEFAULT 0,
    s_not_in_database BIGINT NOT NULL DEFAULT 0,
    s_silent BIGINT NOT NULL DEFAULT 0,
    s_risk BIGINT NOT NULL DEFAULT 0,
    s_failed BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    lease_holder TEXT,
    lease_generation BIGINT NOT NULL DEFAULT 0,
    lease_expires_ms BIGINT
);
CREATE INDEX jobs_by_age ON jobs (owner, created_ms, id);
CREATE INDEX jobs_by_state ON jobs (state, created_ms, id);
CREATE TABLE inputs (
    job_key BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    input TEXT NOT NULL,
    mobile BIGINT,
    PRIMARY KEY (job_key, idx)
);
-- No index on `state`: an answer then changes no indexed column, so with room left in each
-- page (fillfactor) it is a heap-only update. Pending numbers are read in number order along
-- the primary key.
CREATE TABLE numbers (
    job_key BIGINT NOT NULL,
    mobile BIGINT NOT NULL,
    first_idx BIGINT NOT NULL,
    occurrences BIGINT NOT NULL DEFAULT 1,
    state SMALLINT NOT NULL DEFAULT 0,
    status SMALLINT,
    status_name TEXT,
    area TEXT,
    carrier TEXT,
    checked_ms BIGINT,
    from_cache BOOLEAN NOT NULL DEFAULT false,
    error TEXT,
    PRIMARY KEY (job_key, mobile)
) WITH (fillfactor = 70);
-- Work done once across replicas (the retention sweep): when each last ran.
CREATE TABLE sweeps (
    name TEXT PRIMARY KEY,
    last_ms BIGINT NOT NULL
);
