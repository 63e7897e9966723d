-- Index terms: (name, value) pairs a record holds that, unlike keys, many
-- records may share (storage.Record.Terms). The primary key leads with
-- (type, name, value), so an eq filter with a term hint is one range of
-- its index; terms_record serves reading and replacing a record's terms
-- and the cascade from records.
CREATE TABLE terms (
	type  text NOT NULL,
	name  text NOT NULL,
	value text NOT NULL,
	id    text NOT NULL,
	PRIMARY KEY (type, name, value, id),
	FOREIGN KEY (type, id) REFERENCES records (type, id) ON DELETE CASCADE
);

CREATE INDEX terms_record ON terms (type, id);
