package postgres

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idupdate/idupdate/storage"
)

// PoolOf exposes the store's pool to the external tests, so the raw
// baseline benchmark runs through the very same pool as the store.
func PoolOf(s *Store) *pgxpool.Pool { return s.pool }

// ListSQL returns the statement List runs for the first page of q and its
// parameters.
func ListSQL(q storage.Query) (string, []any) {
	c, err := listQuery(&q, nil)
	if err != nil {
		panic(err)
	}
	return c.sql.String(), c.args
}
