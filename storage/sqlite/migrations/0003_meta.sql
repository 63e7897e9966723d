-- Named values about the store itself (storage.Meta), such as the
-- fingerprint of the key verification codes are hashed with.

CREATE TABLE meta (
    name    TEXT NOT NULL PRIMARY KEY,
    value   TEXT NOT NULL,
    updated TEXT NOT NULL
) WITHOUT ROWID;
