-- Facts about the database itself, by name. `encryption_check`: a value encrypted
-- with the key that encrypts the stored secrets, so a store opened with another key,
-- or none, refuses to start instead of reading or writing them wrongly.

CREATE TABLE osb_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
