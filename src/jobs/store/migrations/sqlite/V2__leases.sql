-- Running is leased: who runs a job, which claim it is, and until when (milliseconds since
-- the epoch). Every write a runner makes checks holder and generation.
ALTER TABLE jobs ADD COLUMN lease_holder TEXT;
ALTER TABLE jobs ADD COLUMN lease_generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN lease_expires_ms INTEGER;
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, created_ms, id);
