-- Named feed positions of durable consumers.
CREATE TABLE bookmarks (
	name text   PRIMARY KEY,
	pos  bigint NOT NULL
);
