-- Each job's answered inputs by answer, kept as its batches are stored: a summary by status,
-- province or carrier reads these few rows (a few hundred at most), never every result.
CREATE TABLE job_answers (
    job_key BIGINT NOT NULL,
    answer INTEGER NOT NULL,
    inputs BIGINT NOT NULL,
    PRIMARY KEY (job_key, answer)
);
INSERT INTO job_answers (job_key, answer, inputs)
    SELECT job_key, answer, SUM(occurrences) FROM numbers WHERE state = 1
    GROUP BY job_key, answer;
