package postgres_test

import (
	"testing"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/storagetest"
)

func TestConformance(t *testing.T) {
	testDSN(t)
	storagetest.Run(t, func(tb testing.TB) storage.Store {
		s, _ := openStore(tb)
		return s
	})
}

func TestQuery(t *testing.T) {
	testDSN(t)
	storagetest.RunQuery(t, func(tb testing.TB) storage.Store {
		s, _ := openStore(tb)
		return s
	})
}

func TestFeed(t *testing.T) {
	testDSN(t)
	storagetest.RunFeed(t, func(tb testing.TB) storage.Store {
		s, _ := openStore(tb)
		return s
	})
}
