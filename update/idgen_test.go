package update_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

func counterPolicy() *update.Policy {
	return &update.Policy{
		Types: map[string]*update.Schema{"user": {Fields: map[string]*update.Field{
			"/num":  {Type: update.TypeInteger, Mutability: update.ReadOnly},
			"/name": {Type: update.TypeString, Unique: true},
		}}},
		Grants: map[string]update.Grant{"c": {Write: true, Create: true}},
	}
}

// TestIDCounter numbers creates without an ID from the store's counter,
// writes the id into the field as a number and leaves an explicit ID
// alone. A create refused after the draw leaves a gap; one refused by
// the request checks before it (no client grant) draws nothing.
func TestIDCounter(t *testing.T) {
	ctx := context.Background()
	eng, err := update.New(memory.New(), counterPolicy(), update.WithIDCounter("user", update.IDCounter{Counter: "user.id", Field: "num"}))
	require.NoError(t, err)
	create := func(id, name string) (*update.Result, error) {
		return eng.Create(ctx, update.CreateRequest{Type: "user", ID: id, Client: "c", Doc: map[string]any{"name": name}})
	}
	for i, want := range []string{"1", "2"} {
		res, err := create("", []string{"a", "b"}[i])
		require.NoError(t, err)
		assert.Equal(t, want, res.ID)
		v, err := eng.Get(ctx, "user", update.ByID(res.ID))
		require.NoError(t, err)
		assert.Equal(t, json.Number(want), v.Doc["num"])
	}
	_, err = create("", "a") // a unique clash after the draw leaves a gap
	require.Equal(t, update.NotUnique, update.ErrorCode(err))
	_, err = eng.Create(ctx, update.CreateRequest{Type: "user", Client: "stranger", Doc: map[string]any{"name": "z"}})
	require.Equal(t, update.Forbidden, update.ErrorCode(err))
	res, err := create("", "c")
	require.NoError(t, err)
	assert.Equal(t, "4", res.ID)
	res, err = create("x", "d")
	require.NoError(t, err)
	assert.Equal(t, "x", res.ID)
}

type noCounters struct{ storage.Store }

func TestIDCounter_NewRefusesWhatItCannotUse(t *testing.T) {
	for name, tc := range map[string]struct {
		store storage.Store
		c     update.IDCounter
		typ   string
	}{
		"StoreWithoutCounters": {noCounters{memory.New()}, update.IDCounter{Counter: "n"}, "user"},
		"EmptyCounterName":     {memory.New(), update.IDCounter{}, "user"},
		"UnknownType":          {memory.New(), update.IDCounter{Counter: "n"}, "group"},
		"FieldNotReadOnly":     {memory.New(), update.IDCounter{Counter: "n", Field: "name"}, "user"},
		"FieldUndeclared":      {memory.New(), update.IDCounter{Counter: "n", Field: "nope"}, "user"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := update.New(tc.store, counterPolicy(), update.WithIDCounter(tc.typ, tc.c))
			assert.Error(t, err)
		})
	}
}
