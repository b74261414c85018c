-- Lists keep their rows: the table's column names on the job, each input row's cells (a
-- JSON array of strings) beside the input. Both stay empty for a list sent as numbers only.
ALTER TABLE jobs ADD COLUMN header TEXT;
ALTER TABLE inputs ADD COLUMN cells TEXT;
