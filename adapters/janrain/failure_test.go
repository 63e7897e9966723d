package janrain_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
)

// failingStore is a memory store whose Create and Update can be made to
// fail the way a broken disk or network would; its other capabilities
// (counters, listing) are the memory store's.
type failingStore struct {
	*memory.Store
	failCreate, failUpdate atomic.Bool
}

var errBroken = errors.New("disk on fire at /var/lib/store")

func (f *failingStore) Create(ctx context.Context, rec *storage.Record, ev storage.Event) error {
	if f.failCreate.Load() {
		return errBroken
	}
	return f.Store.Create(ctx, rec, ev)
}

func (f *failingStore) Update(ctx context.Context, typ, id string, fn storage.Updater) (*storage.Record, error) {
	if f.failUpdate.Load() {
		return nil, errBroken
	}
	return f.Store.Update(ctx, typ, id, fn)
}

func TestStoreFailures_AreCaptureErrorsWithoutDetails(t *testing.T) {
	store := &failingStore{Store: memory.New()}
	e := newEnvWith(t, store, testConfig())

	t.Run("CreateFailsWith300", func(t *testing.T) {
		store.failCreate.Store(true)
		defer store.failCreate.Store(false)
		r := e.post(t, "entity.create", form("type_name", "user", "value", `{"email":"new@example.com"}`))
		assert.Equal(t, 500, r.status)
		assert.Equal(t, json.Number("300"), r.body["code"])
		assert.Equal(t, "error_creating_record", r.body["error"])
		assert.NotContains(t, string(r.raw), "disk on fire")
	})
	t.Run("WriteFailsWith500", func(t *testing.T) {
		before := e.snapshot(t, janrain.DemoID)
		store.failUpdate.Store(true)
		r := e.post(t, "entity.update", form("type_name", "user", "id", janrain.DemoID, "attribute_name", "givenName", "value", `"X"`))
		store.failUpdate.Store(false)
		assert.Equal(t, 500, r.status)
		assert.Equal(t, json.Number("500"), r.body["code"])
		assert.Equal(t, "unexpected_error", r.body["error"])
		assert.Equal(t, "unexpected error", r.body["error_description"])
		assert.NotContains(t, string(r.raw), "disk on fire")
		require.Equal(t, before, e.snapshot(t, janrain.DemoID))
	})
}
