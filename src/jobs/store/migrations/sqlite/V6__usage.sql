-- The usage ledger: what each caller (an API key's name) spent each day, in the server's
-- --usage-timezone. Rows only grow by addition, so replicas sharing the database add to the
-- same row; days older than --usage-retention are deleted.
CREATE TABLE usage_days (
    caller     TEXT    NOT NULL,
    day        TEXT    NOT NULL, -- YYYY-MM-DD
    billed     INTEGER NOT NULL DEFAULT 0,
    cache_hits INTEGER NOT NULL DEFAULT 0,
    invalid    INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    calls      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (caller, day)
);

-- Budgets: per caller and period (`day:YYYY-MM-DD` or `month:YYYY-MM`), the numbers billed
-- and those reserved by batches on their way. A batch reserves before it leaves, in one
-- transaction, never past the caller's limit; it settles once answered.
CREATE TABLE budget_periods (
    caller   TEXT    NOT NULL,
    period   TEXT    NOT NULL,
    used     INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (caller, period)
);
