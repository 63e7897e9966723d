-- Token buckets (storage.Ephemeral.Take): each bucket's tokens as
-- counted at a time, in Unix nanoseconds, and when it is full again,
-- from which on it may be purged through the expiry index.

CREATE TABLE buckets (
    name    TEXT    NOT NULL PRIMARY KEY,
    tokens  REAL    NOT NULL,
    at      INTEGER NOT NULL,
    expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX buckets_expires ON buckets (expires);
