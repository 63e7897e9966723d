package keyset

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/idupdate/idupdate/storage"
)

func TestDiff(t *testing.T) {
	a, b, c := storage.Key{Name: "/a", Value: "1"}, storage.Key{Name: "/b", Value: "2"}, storage.Key{Name: "/a", Value: "3"}
	for _, tc := range []struct {
		name           string
		old, next      []storage.Key
		added, removed []storage.Key
	}{
		{"BothEmpty", nil, nil, nil, nil},
		{"Equal", []storage.Key{a, b}, []storage.Key{a, b}, nil, nil},
		{"AllNew", nil, []storage.Key{a, b}, []storage.Key{a, b}, nil},
		{"AllGone", []storage.Key{a, b}, []storage.Key{}, nil, []storage.Key{a, b}},
		{"OtherOrder", []storage.Key{b, a}, []storage.Key{a, b}, nil, nil},
		{"OneValueChanged", []storage.Key{a, b}, []storage.Key{c, b}, []storage.Key{c}, []storage.Key{a}},
		{"SomeOfEach", []storage.Key{a, b}, []storage.Key{b, c}, []storage.Key{c}, []storage.Key{a}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			added, removed := Diff(tc.old, tc.next)
			assert.Equal(t, tc.added, added, "added")
			assert.Equal(t, tc.removed, removed, "removed")
		})
	}
}
