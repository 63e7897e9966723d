-- Index terms: (name, value) pairs a record holds that, unlike keys, many
-- records may share (storage.Record.Terms). The primary key leads with
-- (type, name, value), so an eq filter with a term hint is one range of
-- this index; terms_record serves reading and replacing a record's terms.
CREATE TABLE terms (
    type  TEXT NOT NULL,
    name  TEXT NOT NULL,
    value TEXT NOT NULL,
    id    TEXT NOT NULL,
    PRIMARY KEY (type, name, value, id),
    FOREIGN KEY (type, id) REFERENCES records (type, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX terms_record ON terms (type, id);
