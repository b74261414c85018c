-- Each input keeps the line of the file it came from, so a job's results say `line` as
-- `check` does for the same file. NULL for inputs whose caller gave no line (and for every
-- input stored before this version): results then count the input's position from 1.
ALTER TABLE inputs ADD COLUMN line INTEGER;
