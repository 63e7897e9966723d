-- Token buckets (storage.Ephemeral.Take): each bucket's tokens as
-- counted at a time, in Unix nanoseconds, and when it is full again,
-- from which on it may be purged through the expiry index.

CREATE TABLE buckets (
	name    text             PRIMARY KEY,
	tokens  double precision NOT NULL,
	at      bigint           NOT NULL,
	expires bigint           NOT NULL
);
CREATE INDEX buckets_expires ON buckets (expires);
