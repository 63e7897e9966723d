-- Two pages per update. An update used to dirty three pages: the record,
-- its row in events (keyed by type, id and version) and the row the
-- events_feed trigger copied into feed. Now one table holds both the
-- history and the feed, a row per event appended at the end of its rowid
-- b-tree, and the record points at its newest event: an update dirties
-- the record's page and the last page of events.
--
-- events: pos, the rowid, is the feed position, handed out as the feed's
-- was (one more than the largest, never AUTOINCREMENT; see 0006). prev is
-- the position of the same record's previous event, NULL for a create
-- and for entries that are not history (deletions). A row whose feed
-- entry has been trimmed but that is still history of a live record
-- stays, with trimmed set; the feed skips it.
--
-- records.last is the position of the record's newest event, where its
-- history starts (walking prev); records.first divides the record's
-- current life from earlier ones: every event of the record since it was
-- last created is at or above it, every event of an earlier record of
-- the same type and id below it.
--
-- feed_floor.pos: no feed entry is at or below it, so the feed is read
-- from above it and trimmed history below it is never scanned.

CREATE TABLE events_0009 (
    pos     INTEGER PRIMARY KEY,
    type    TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    time    TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    client  TEXT    NOT NULL,
    changes TEXT,
    prev    INTEGER,
    trimmed INTEGER
);

CREATE TABLE feed_floor (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    pos INTEGER NOT NULL
);

ALTER TABLE records ADD COLUMN first INTEGER;
ALTER TABLE records ADD COLUMN last INTEGER;

-- Every feed entry keeps its position.
INSERT INTO events_0009 (pos, type, id, version, time, kind, actor, client, changes)
    SELECT pos, type, id, version, time, kind, actor, client, changes FROM feed;

-- Each history event takes the position of its feed entry: the newest
-- entry of the same record, version and content after the record's last
-- deletion. An event whose entry was trimmed (or cannot be told apart)
-- gets a position of its own at or below the floor, counting down, and
-- is marked trimmed.
CREATE INDEX feed_0009 ON feed (type, id, version);
CREATE TEMP TABLE deleted_0009 (
    type TEXT NOT NULL, id TEXT NOT NULL, pos INTEGER NOT NULL,
    PRIMARY KEY (type, id)
);
INSERT INTO deleted_0009 (type, id, pos)
    SELECT type, id, max(pos) FROM feed WHERE kind = 'delete' GROUP BY type, id;
CREATE TEMP TABLE history_0009 (
    type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
    pos INTEGER, trimmed INTEGER,
    PRIMARY KEY (type, id, version)
);
INSERT INTO history_0009 (type, id, version, pos)
    SELECT e.type, e.id, e.version, (
        SELECT max(f.pos) FROM feed f
        WHERE f.type = e.type AND f.id = e.id AND f.version = e.version
            AND f.time = e.time AND f.kind = e.kind AND f.actor = e.actor AND f.client = e.client
            AND f.changes IS e.changes
            AND f.pos > COALESCE((SELECT d.pos FROM deleted_0009 d WHERE d.type = e.type AND d.id = e.id), 0))
    FROM events e;
-- The floor: just below the oldest feed entry; with no entry at all, the
-- highest position a bookmark holds, so that new positions follow it.
INSERT INTO feed_floor (one, pos) VALUES (1, COALESCE(
    (SELECT min(pos) FROM feed) - 1, (SELECT max(pos) FROM bookmarks), 0));

UPDATE history_0009 SET pos = (SELECT pos FROM feed_floor) - n.k + 1, trimmed = 1
    FROM (SELECT type, id, version,
            row_number() OVER (ORDER BY type DESC, id DESC, version DESC) AS k
        FROM history_0009 WHERE pos IS NULL) AS n
    WHERE history_0009.type = n.type AND history_0009.id = n.id AND history_0009.version = n.version;

INSERT INTO events_0009 (pos, type, id, version, time, kind, actor, client, changes, trimmed)
    SELECT h.pos, e.type, e.id, e.version, e.time, e.kind, e.actor, e.client, e.changes, 1
    FROM history_0009 h JOIN events e ON e.type = h.type AND e.id = h.id AND e.version = h.version
    WHERE h.trimmed = 1;

UPDATE events_0009 SET prev = (
        SELECT p.pos FROM history_0009 p
        WHERE p.type = h.type AND p.id = h.id AND p.version < h.version
        ORDER BY p.version DESC LIMIT 1)
    FROM history_0009 h WHERE events_0009.pos = h.pos;

-- first: the oldest of the record's events still in the feed, or, when
-- none is, the next position to be handed out; either is above every
-- entry of an earlier record of the same type and id, and at or below
-- every event of this one still in the feed or to come.
UPDATE records SET
    last = (SELECT h.pos FROM history_0009 h WHERE h.type = records.type AND h.id = records.id
        ORDER BY h.version DESC LIMIT 1),
    first = COALESCE(
        (SELECT min(h.pos) FROM history_0009 h
            WHERE h.type = records.type AND h.id = records.id AND h.trimmed IS NULL),
        (SELECT max(pos) FROM events_0009) + 1,
        (SELECT pos FROM feed_floor) + 1);

DROP TABLE history_0009;
DROP TABLE deleted_0009;
DROP TABLE feed;
DROP TABLE events;
ALTER TABLE events_0009 RENAME TO events;
