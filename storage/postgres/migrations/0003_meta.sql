-- Named values about the store itself (storage.Meta), such as the
-- fingerprint of the key verification codes are hashed with.

CREATE TABLE meta (
	name    text        PRIMARY KEY,
	value   text        NOT NULL,
	updated timestamptz NOT NULL DEFAULT now()
);
