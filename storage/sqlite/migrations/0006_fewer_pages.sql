-- Fewer pages per write. An update used to dirty five pages: the record,
-- the event row, the event table's primary-key index, the feed row and the
-- feed's row in sqlite_sequence. Events become a WITHOUT ROWID table, so
-- the row lives in its primary-key b-tree and one page holds both; the feed
-- drops AUTOINCREMENT and takes the rowid SQLite picks, one more than the
-- largest, so it no longer writes sqlite_sequence. An update now dirties
-- three pages.
--
-- Feed positions stay increasing without AUTOINCREMENT as long as the
-- newest entry is never deleted: a rowid is only reused after the largest
-- one is gone. Whatever removes old feed entries must keep the newest.

CREATE TABLE events_0006 (
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
) WITHOUT ROWID;
INSERT INTO events_0006 (type, id, version, time, kind, actor, client, changes)
    SELECT type, id, version, time, kind, actor, client, changes FROM events;
DROP TABLE events;
ALTER TABLE events_0006 RENAME TO events;

CREATE TABLE feed_0006 (
    pos     INTEGER PRIMARY KEY,
    type    TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    time    TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    client  TEXT    NOT NULL,
    changes TEXT
);
INSERT INTO feed_0006 (pos, type, id, version, time, kind, actor, client, changes)
    SELECT pos, type, id, version, time, kind, actor, client, changes FROM feed;
DROP TABLE feed;
ALTER TABLE feed_0006 RENAME TO feed;

-- Every event is also a feed entry; the trigger writes both with one
-- statement from the store. A deletion, which has no event row, writes its
-- feed entry itself.
CREATE TRIGGER events_feed AFTER INSERT ON events BEGIN
    INSERT INTO feed (type, id, version, time, kind, actor, client, changes)
    VALUES (NEW.type, NEW.id, NEW.version, NEW.time, NEW.kind, NEW.actor, NEW.client, NEW.changes);
END;
