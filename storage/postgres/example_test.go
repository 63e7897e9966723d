package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/postgres"
)

// The DSN is a postgres:// URL or a key=value string; a server on a unix
// socket is named by its directory, as in
// postgres://app@/idupdate?host=/run/postgresql&sslmode=disable.
func ExampleOpen() {
	ctx := context.Background()
	s, err := postgres.Open(ctx, os.Getenv("IDUPDATE_POSTGRES_DSN"),
		postgres.WithSchema("identity"),
		postgres.WithMaxConns(16),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	now := time.Now()
	rec := &storage.Record{
		Type: "user", ID: "u1", State: storage.Active,
		Doc:  map[string]any{"email": "ada@example.com"},
		Keys: []storage.Key{{Name: "/email", Value: "ada@example.com"}},
	}
	if err := s.Create(ctx, rec, storage.Event{Time: now, Kind: "create"}); err != nil {
		log.Fatal(err)
	}
	found, err := s.Find(ctx, "user", storage.Key{Name: "/email", Value: "ada@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(found.ID, found.Version)
}
