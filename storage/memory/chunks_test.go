package memory

import (
	"slices"
	"testing"
)

// TestChunksKeepOrderAcrossChunks checks every range of a sequence that
// spans several chunks against a plain slice holding the same entries.
func TestChunksKeepOrderAcrossChunks(t *testing.T) {
	var c chunks[int]
	var want []int
	for i := range 3*chunkSize + 7 {
		c.add(i)
		want = append(want, i)
	}
	if c.len() != len(want) {
		t.Fatalf("len %d, want %d", c.len(), len(want))
	}
	for _, r := range [][2]int{{0, 0}, {0, 1}, {0, len(want)}, {chunkSize - 1, chunkSize + 1},
		{5, 2*chunkSize + 3}, {chunkSize, 2 * chunkSize}, {len(want) - 1, len(want)}} {
		if got := c.appendRange(nil, r[0], r[1]); !slices.Equal(got, want[r[0]:r[1]]) {
			t.Fatalf("range %v: got %d entries, first %v", r, len(got), got[:min(3, len(got))])
		}
	}
	if got := c.appendRange([]int{-1}, 0, 2); !slices.Equal(got, []int{-1, 0, 1}) {
		t.Fatalf("appendRange did not append to dst: %v", got)
	}
}
