-- Answers by small id: each distinct answer (status, its label, area, carrier) once, and a
-- number holds its id (0 until it is answered) instead of three texts.
CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    status INTEGER NOT NULL,
    status_name TEXT NOT NULL,
    area TEXT NOT NULL,
    carrier TEXT NOT NULL,
    UNIQUE (status, status_name, area, carrier)
);
INSERT INTO answers (status, status_name, area, carrier)
    SELECT DISTINCT status, COALESCE(status_name, ''), COALESCE(area, ''), COALESCE(carrier, '')
    FROM numbers WHERE state = 1;
ALTER TABLE numbers ADD COLUMN answer INTEGER NOT NULL DEFAULT 0;
UPDATE numbers SET answer = (
    SELECT a.id FROM answers a
    WHERE a.status = numbers.status AND a.status_name = COALESCE(numbers.status_name, '')
        AND a.area = COALESCE(numbers.area, '') AND a.carrier = COALESCE(numbers.carrier, ''))
WHERE state = 1;
ALTER TABLE numbers DROP COLUMN status;
ALTER TABLE numbers DROP COLUMN status_name;
ALTER TABLE numbers DROP COLUMN area;
ALTER TABLE numbers DROP COLUMN carrier;
