-- A job's cap on what it may bill in all (NULL: no cap); a resume may raise it.
ALTER TABLE jobs ADD COLUMN max_billed BIGINT;
