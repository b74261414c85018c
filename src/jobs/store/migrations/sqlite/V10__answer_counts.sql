-- Each job's answered inputs by answer, kept as its batches are stored: a summary by status,
-- province or carrier reads these few rows (a few hundred at most), never every result.
CREATE TABLE job_answers (
    job TEXT NOT NULL,
    answer INTEGER NOT NULL,
    inputs INTEGER NOT NULL,
    PRIMARY KEY (job, answer)
) WITHOUT ROWID;
INSERT INTO job_answers (job, answer, inputs)
    SELECT job, answer, SUM(occurrences) FROM numbers WHERE state = 1
    GROUP BY job, answer;
