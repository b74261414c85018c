-- Idempotent creation (AIP-155): the request id a caller gave CreateJob, unique per owner while
-- it is kept, and a digest of the list it sent, so a retry is told from another list.
ALTER TABLE jobs ADD COLUMN request_id TEXT;
ALTER TABLE jobs ADD COLUMN list_digest TEXT;
CREATE UNIQUE INDEX jobs_request_id ON jobs (owner, request_id) WHERE request_id IS NOT NULL;
