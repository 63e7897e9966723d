-- Short-lived state shared by every process on the file
-- (storage.Ephemeral): single-use tokens, kept by their hash only, and
-- quota windows. Times are Unix nanoseconds. The expiry indexes let a
-- purge delete a bounded batch of what is due without reading the rest.

CREATE TABLE tokens (
    kind    TEXT    NOT NULL,
    hash    BLOB    NOT NULL,
    data    BLOB    NOT NULL,
    expires INTEGER NOT NULL,
    spent   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, hash)
) WITHOUT ROWID;
CREATE INDEX tokens_expires ON tokens (expires);

CREATE TABLE quotas (
    name    TEXT    NOT NULL PRIMARY KEY,
    start   INTEGER NOT NULL,
    prev    INTEGER NOT NULL,
    curr    INTEGER NOT NULL,
    expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX quotas_expires ON quotas (expires);
