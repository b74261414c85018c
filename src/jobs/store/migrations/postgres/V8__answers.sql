-- Answers by small id: each distinct answer (status, its label, area, carrier) once, and a
-- number holds its id (0 until it is answered). A number's row then has the same width
-- before and after its answer (every column it changes is fixed-width and never NULL), and
-- with half of each page left free (fillfactor 50) the update of a whole page of numbers
-- fits in that page: a heap-only update, which writes no index entry. With text answers a
-- batch's update cost three times as much, most of it in index entries for rows that moved
-- to another page.
CREATE TABLE answers (
    id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    status SMALLINT NOT NULL,
    status_name TEXT NOT NULL,
    area TEXT NOT NULL,
    carrier TEXT NOT NULL,
    UNIQUE (status, status_name, area, carrier)
);
INSERT INTO answers (status, status_name, area, carrier)
    SELECT DISTINCT status, COALESCE(status_name, ''), COALESCE(area, ''), COALESCE(carrier, '')
    FROM numbers WHERE state = 1;
ALTER TABLE numbers ADD COLUMN answer INTEGER NOT NULL DEFAULT 0;
UPDATE numbers n SET answer = a.id FROM answers a
    WHERE n.state = 1 AND a.status = n.status AND a.status_name = COALESCE(n.status_name, '')
        AND a.area = COALESCE(n.area, '') AND a.carrier = COALESCE(n.carrier, '');
UPDATE numbers SET checked_ms = 0 WHERE checked_ms IS NULL;
ALTER TABLE numbers
    ALTER COLUMN checked_ms SET DEFAULT 0,
    ALTER COLUMN checked_ms SET NOT NULL,
    DROP COLUMN status,
    DROP COLUMN status_name,
    DROP COLUMN area,
    DROP COLUMN carrier,
    SET (fillfactor = 50);
