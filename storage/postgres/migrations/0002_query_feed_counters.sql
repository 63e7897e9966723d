-- Listing, the change feed and counters.

-- Listings ordered by ID compare IDs by bytes (COLLATE "C") whatever the
-- database's collation; this index serves that order and its cursors.
CREATE INDEX records_type_id_c ON records (type, id COLLATE "C");

-- idupdate_instant returns the instant an RFC 3339 date-time denotes, as
-- seconds since 1970 with the exact fraction (up to nine digits), or NULL
-- for a string of any other form. The form is the one storage.Filter
-- accepts: the regular expression rejects what the cast would accept
-- beyond RFC 3339 (hour 24, words, missing parts), and a date the cast
-- refuses (February 30) is NULL as well.
CREATE FUNCTION idupdate_instant(s text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	m text[];
BEGIN
	m := regexp_match(s, '^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]((?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])(\.[0-9]{1,9})?([Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$');
	IF m IS NULL OR m[1] < '0001' THEN
		RETURN NULL;
	END IF;
	RETURN extract(epoch FROM (m[1] || ' ' || m[2] || CASE WHEN upper(m[4]) = 'Z' THEN '+00:00' ELSE m[4] END)::timestamptz)
		+ coalesce(('0' || m[3])::numeric, 0);
EXCEPTION WHEN others THEN
	RETURN NULL;
END
$$;

-- feed is every committed event of every record in commit order. pos is
-- handed out by feed_head under its row lock, which the writing transaction
-- holds until it commits: positions are dense, in commit order, and never
-- belong to a transaction that rolled back. Deleting a record keeps its
-- feed entries (no foreign key) and adds one of kind "delete".
CREATE TABLE feed (
	pos        bigint      PRIMARY KEY,
	type       text        NOT NULL,
	id         text        NOT NULL,
	version    bigint      NOT NULL,
	time       timestamptz NOT NULL,
	time_nanos smallint    NOT NULL CHECK (time_nanos BETWEEN 0 AND 999),
	kind       text        NOT NULL,
	actor      text        NOT NULL,
	client     text        NOT NULL,
	changes    jsonb
);

CREATE TABLE feed_head (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	pos bigint  NOT NULL
);
INSERT INTO feed_head (one, pos) VALUES (true, 0);

-- counters are named sequences that roll back with their transaction.
CREATE TABLE counters (
	name  text   PRIMARY KEY,
	value bigint NOT NULL
);
