package memory

// chunkSize is how many entries a full chunk of a chunks holds.
const chunkSize = 256

// chunks is an append-only sequence kept in chunks of at most chunkSize
// entries. A slice that doubles as it grows copies everything it holds
// each time, and the copying and the garbage it leaves grow with the
// store; here an append copies at most one chunk's worth, while a short
// sequence (most records' history) costs no more than a slice.
type chunks[T any] struct {
	parts [][]T
	n     int
}

// add appends v.
func (c *chunks[T]) add(v T) {
	last := len(c.parts) - 1
	if last < 0 || len(c.parts[last]) == chunkSize {
		var part []T
		if last >= 0 {
			part = make([]T, 0, chunkSize) // later chunks are full-sized at once
		}
		c.parts = append(c.parts, part)
		last++
	}
	c.parts[last] = append(c.parts[last], v)
	c.n++
}

// len is the number of entries.
func (c *chunks[T]) len() int { return c.n }

// appendRange appends entries [from, to) to dst.
func (c *chunks[T]) appendRange(dst []T, from, to int) []T {
	for from < to {
		part := c.parts[from/chunkSize]
		i := from % chunkSize
		j := min(len(part), i+to-from)
		dst = append(dst, part[i:j]...)
		from += j - i
	}
	return dst
}

// at returns entry i.
func (c *chunks[T]) at(i int) T { return c.parts[i/chunkSize][i%chunkSize] }

// ref returns the address of entry i, valid until the next add (which
// may move a short sequence's entries to a larger array).
func (c *chunks[T]) ref(i int) *T { return &c.parts[i/chunkSize][i%chunkSize] }
