-- The change feed and counters.
--
-- feed is every committed event of every record. All writes go through one
-- connection, one transaction at a time, so pos, taken inside the writing
-- transaction, is commit order; a rolled-back transaction leaves no entry.
-- Deleting a record keeps its entries (no foreign key) and adds one of kind
-- "delete".
CREATE TABLE feed (
    pos     INTEGER PRIMARY KEY AUTOINCREMENT,
    type    TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    time    TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    client  TEXT    NOT NULL,
    changes TEXT
);

CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
