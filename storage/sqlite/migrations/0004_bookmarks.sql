-- Named feed positions of durable consumers.
CREATE TABLE bookmarks (
    name TEXT    PRIMARY KEY,
    pos  INTEGER NOT NULL
) WITHOUT ROWID;
