-- The W3C `traceparent` of the call that created a job, when traces were exported: each run
-- of the job, on whichever replica, links its span to that call's.
ALTER TABLE jobs ADD COLUMN trace_parent TEXT;
