-- Version 6 is SQLite's change to fewer pages per write (events without
-- rowid, the feed row written by a trigger). PostgreSQL needs no such
-- change; this empty step keeps both backends' version numbers the same,
-- so version N means the same schema generation on either store.
SELECT 1;
