package update

import (
	"encoding/json"
	"reflect"
	"testing"
	"unsafe"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
)

// TestToStorageReinterpretsInPlace checks what toStorage relies on: the
// two change types lay out alike, and the storage changes it returns are
// the merge changes, field for field, in the same memory.
func TestToStorageReinterpretsInPlace(t *testing.T) {
	mt, st := reflect.TypeFor[merge.Change](), reflect.TypeFor[storage.Change]()
	if mt.Size() != st.Size() || mt.Align() != st.Align() || mt.NumField() != st.NumField() {
		t.Fatalf("merge.Change is %d bytes in %d fields, storage.Change %d in %d", mt.Size(), mt.NumField(), st.Size(), st.NumField())
	}
	for i := range mt.NumField() {
		mf, sf := mt.Field(i), st.Field(i)
		if mf.Name != sf.Name || mf.Type != sf.Type || mf.Offset != sf.Offset {
			t.Fatalf("field %d: merge has %s %s at %d, storage %s %s at %d", i, mf.Name, mf.Type, mf.Offset, sf.Name, sf.Type, sf.Offset)
		}
	}
	cs := []merge.Change{
		{Path: "/givenName", Op: merge.OpReplace, Old: "Ada", New: "Augusta"},
		{Path: "/loginCount", Op: merge.OpAdd, New: json.Number("1730")},
		{Path: "/nickname", Op: merge.OpRemove, Old: map[string]any{"a": []any{true}}},
	}
	want := make([]storage.Change, len(cs))
	for i, c := range cs {
		want[i] = storage.Change(c)
	}
	got := toStorage(cs)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("toStorage = %#v, want %#v", got, want)
	}
	if unsafe.Pointer(&got[0]) != unsafe.Pointer(&cs[0]) {
		t.Fatal("toStorage copied the changes")
	}
	if got := toStorage(nil); got == nil || len(got) != 0 {
		t.Fatalf("toStorage(nil) = %#v, want an empty, non-nil slice", got)
	}
}
