-- Records, their unique keys and their history. Times are RFC 3339 text in
-- UTC with nine fraction digits, so they round-trip to the nanosecond and
-- sort as text. JSON columns are TEXT; NULL stands for an empty value.

CREATE TABLE records (
    type    TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    created TEXT    NOT NULL,
    updated TEXT    NOT NULL,
    state   TEXT    NOT NULL CHECK (state IN ('active', 'inactive')),
    doc     TEXT    NOT NULL,
    secrets TEXT,
    pending TEXT,
    PRIMARY KEY (type, id)
);

-- The primary key is the unique index: one holder per (type, name, value).
CREATE TABLE keys (
    type  TEXT NOT NULL,
    name  TEXT NOT NULL,
    value TEXT NOT NULL,
    id    TEXT NOT NULL,
    PRIMARY KEY (type, name, value),
    FOREIGN KEY (type, id) REFERENCES records (type, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Reading a record's keys and cascading its deletion go through this index.
CREATE INDEX keys_record ON keys (type, id);

CREATE TABLE events (
    type    TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    time    TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    client  TEXT    NOT NULL,
    changes TEXT,
    PRIMARY KEY (type, id, version),
    FOREIGN KEY (type, id) REFERENCES records (type, id) ON DELETE CASCADE
);
