package postgres

// The statements, in one place so the schema they assume is easy to check
// against migrations/.

// recordColumns are the columns scanRecord reads, in its order.
const recordColumns = `r.type, r.id, r.version, r.created, r.created_nanos, r.updated, r.updated_nanos,
	r.state, r.doc, r.secrets, r.pending`

// recordKeys reads a record's keys as two parallel arrays, sorted by bytes
// (COLLATE "C", whatever the database's collation) so that a record reads
// back the same way every time and in the order sortedKeys produces.
const recordKeys = `
	ARRAY(SELECT k.name FROM keys k WHERE k.type = r.type AND k.id = r.id ORDER BY k.name COLLATE "C", k.value COLLATE "C"),
	ARRAY(SELECT k.value FROM keys k WHERE k.type = r.type AND k.id = r.id ORDER BY k.name COLLATE "C", k.value COLLATE "C")`

// recordTerms reads a record's index terms the same way.
const recordTerms = `,
	ARRAY(SELECT t.name FROM terms t WHERE t.type = r.type AND t.id = r.id ORDER BY t.name COLLATE "C", t.value COLLATE "C"),
	ARRAY(SELECT t.value FROM terms t WHERE t.type = r.type AND t.id = r.id ORDER BY t.name COLLATE "C", t.value COLLATE "C")`

const (
	// The store names the isolation level rather than trust the server's
	// default: the locking model in the package documentation assumes it.
	sqlBegin  = `BEGIN ISOLATION LEVEL READ COMMITTED`
	sqlCommit = `COMMIT`

	sqlGet = `SELECT ` + recordColumns + `,` + recordKeys + recordTerms + `
	FROM records r WHERE r.type = $1 AND r.id = $2`

	sqlFind = `SELECT ` + recordColumns + `,` + recordKeys + recordTerms + `
	FROM keys f JOIN records r ON r.type = f.type AND r.id = f.id
	WHERE f.type = $1 AND f.name = $2 AND f.value = $3`

	// sqlLock reads the record without its keys: under READ COMMITTED a
	// statement that waited for the row lock sees the row's newest version
	// but keeps its old snapshot for everything else, so keys read in the
	// same statement could predate the update we waited for. sqlKeys,
	// a statement of its own, runs after the lock is held and sees them
	// as committed.
	sqlLock = `SELECT ` + recordColumns + `
	FROM records r WHERE r.type = $1 AND r.id = $2 FOR UPDATE`

	sqlKeys = `SELECT name, value FROM keys WHERE type = $1 AND id = $2 ORDER BY name COLLATE "C", value COLLATE "C"`

	sqlTerms = `SELECT name, value FROM terms WHERE type = $1 AND id = $2 ORDER BY name COLLATE "C", value COLLATE "C"`

	sqlExists = `SELECT EXISTS (SELECT 1 FROM records WHERE type = $1 AND id = $2)`

	sqlInsertRecord = `INSERT INTO records
	(type, id, version, created, created_nanos, updated, updated_nanos, state, doc, secrets, pending)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

	sqlUpdateRecord = `UPDATE records SET
	version = $3, updated = $4, updated_nanos = $5, state = $6, doc = $7, secrets = $8, pending = $9
	WHERE type = $1 AND id = $2`

	sqlInsertKeys = `INSERT INTO keys (type, name, value, id)
	SELECT $1, u.name, u.value, $2 FROM unnest($3::text[], $4::text[]) AS u(name, value)`

	sqlDeleteKeys = `DELETE FROM keys
	WHERE type = $1 AND id = $2 AND (name, value) IN (SELECT * FROM unnest($3::text[], $4::text[]))`

	sqlInsertTerms = `INSERT INTO terms (type, name, value, id)
	SELECT $1, u.name, u.value, $2 FROM unnest($3::text[], $4::text[]) AS u(name, value)`

	sqlDeleteTerms = `DELETE FROM terms
	WHERE type = $1 AND id = $2 AND (name, value) IN (SELECT * FROM unnest($3::text[], $4::text[]))`

	sqlInsertEvent = `INSERT INTO events
	(type, id, version, time, time_nanos, kind, actor, client, changes)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

	sqlHistory = `SELECT version, time, time_nanos, kind, actor, client, changes
	FROM events WHERE type = $1 AND id = $2 ORDER BY version`

	// sqlHolders names the records other than $2 that hold any of the
	// given keys, for the error after a unique violation.
	sqlHolders = `SELECT k.name, k.value, k.id, r.state
	FROM keys k JOIN records r ON r.type = k.type AND r.id = k.id
	WHERE k.type = $1 AND k.id <> $2
	AND (k.name, k.value) IN (SELECT * FROM unnest($3::text[], $4::text[]))`
)
