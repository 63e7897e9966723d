-- Short-lived state shared by every process on the database
-- (storage.Ephemeral): single-use tokens, kept by their hash only, and
-- quota windows. Times are Unix nanoseconds, compared exactly as the
-- callers' clocks give them. The expiry indexes let a purge delete a
-- bounded batch of what is due without reading the rest.

CREATE TABLE tokens (
	kind    text    NOT NULL,
	hash    bytea   NOT NULL,
	data    bytea   NOT NULL,
	expires bigint  NOT NULL,
	spent   boolean NOT NULL DEFAULT false,
	PRIMARY KEY (kind, hash)
);
CREATE INDEX tokens_expires ON tokens (expires);

CREATE TABLE quotas (
	name    text   PRIMARY KEY,
	start   bigint NOT NULL,
	prev    bigint NOT NULL,
	curr    bigint NOT NULL,
	expires bigint NOT NULL
);
CREATE INDEX quotas_expires ON quotas (expires);
