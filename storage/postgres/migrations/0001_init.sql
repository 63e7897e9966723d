-- Records, their unique keys and their history.
--
-- Times are kept as a timestamptz (microseconds, readable in SQL) plus the
-- nanoseconds below the microsecond in a *_nanos column, so a time reads
-- back to the nanosecond it was written with.

CREATE TABLE records (
	type          text        NOT NULL,
	id            text        NOT NULL,
	version       bigint      NOT NULL CHECK (version > 0),
	created       timestamptz NOT NULL,
	created_nanos smallint    NOT NULL CHECK (created_nanos BETWEEN 0 AND 999),
	updated       timestamptz NOT NULL,
	updated_nanos smallint    NOT NULL CHECK (updated_nanos BETWEEN 0 AND 999),
	state         text        NOT NULL CHECK (state IN ('active', 'inactive')),
	doc           jsonb       NOT NULL CHECK (jsonb_typeof(doc) = 'object'),
	secrets       jsonb,
	-- json, not jsonb: challenges carry raw JSON values whose bytes must
	-- read back unchanged, and jsonb would re-space and re-order them.
	pending       json,
	PRIMARY KEY (type, id)
);

-- keys is the unique index over the values records hold. A (type, name,
-- value) belongs to one record at most; the primary key enforces that.
CREATE TABLE keys (
	type  text NOT NULL,
	name  text NOT NULL,
	value text NOT NULL,
	id    text NOT NULL,
	PRIMARY KEY (type, name, value),
	FOREIGN KEY (type, id) REFERENCES records (type, id) ON DELETE CASCADE
);

CREATE INDEX keys_record ON keys (type, id);

CREATE TABLE events (
	type       text        NOT NULL,
	id         text        NOT NULL,
	version    bigint      NOT NULL CHECK (version > 0),
	time       timestamptz NOT NULL,
	time_nanos smallint    NOT NULL CHECK (time_nanos BETWEEN 0 AND 999),
	kind       text        NOT NULL,
	actor      text        NOT NULL,
	client     text        NOT NULL,
	changes    jsonb,
	PRIMARY KEY (type, id, version),
	FOREIGN KEY (type, id) REFERENCES records (type, id) ON DELETE CASCADE
);
