package memory_test

import (
	"testing"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(tb testing.TB) storage.Store {
		s := memory.New()
		tb.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestQuery(t *testing.T) {
	storagetest.RunQuery(t, func(tb testing.TB) storage.Store {
		s := memory.New()
		tb.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestFeed(t *testing.T) {
	storagetest.RunFeed(t, func(tb testing.TB) storage.Store {
		s := memory.New()
		tb.Cleanup(func() { _ = s.Close() })
		return s
	})
}
