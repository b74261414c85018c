-- A job's webhook: where to announce its end, and how announcing it went. hook_state: 0 not
-- due (the job has not ended, or has no callback), 1 pending (to be tried at hook_next_ms, or
-- being tried until then), 2 delivered, 3 given up.
ALTER TABLE jobs ADD COLUMN callback_url TEXT;
ALTER TABLE jobs ADD COLUMN hook_state SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN hook_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN hook_next_ms BIGINT;
ALTER TABLE jobs ADD COLUMN hook_last_ms BIGINT;
ALTER TABLE jobs ADD COLUMN hook_last_status BIGINT;
ALTER TABLE jobs ADD COLUMN hook_last_error TEXT;
CREATE INDEX jobs_hooks ON jobs (hook_next_ms)
    WHERE callback_url IS NOT NULL AND hook_state IN (0, 1);
