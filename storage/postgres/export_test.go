package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// PoolOf exposes the store's pool to the external tests, so the raw
// baseline benchmark runs through the very same pool as the store.
func PoolOf(s *Store) *pgxpool.Pool { return s.pool }
