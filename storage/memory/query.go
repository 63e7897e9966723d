package memory

import (
	"context"
	"slices"

	"github.com/idupdate/idupdate/storage"
)

var _ storage.Querier = (*Store)(nil)

// List implements storage.Querier. It evaluates the filter in Go with
// storage.Filter.Match, the reference semantics the SQL backends follow;
// an Eq term with a Key hint starts from the key index, and one with a
// Term hint from the term index, instead of every record of the type.
func (s *Store) List(ctx context.Context, q storage.Query) (*storage.Page, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	after, err := q.DecodeCursor()
	if err != nil {
		return nil, err
	}
	matches, err := s.matching(q.Type, q.Filter)
	if err != nil {
		return nil, err
	}
	page := &storage.Page{Total: -1}
	if q.Total {
		page.Total = len(matches)
	}
	slices.SortFunc(matches, q.Sort.CompareForSort)
	if after != nil {
		i, _ := slices.BinarySearchFunc(matches, after, func(rec *storage.Record, c *storage.Cursor) int {
			if q.IsAfter(rec, c) {
				return 1
			}
			return -1
		})
		matches = matches[i:]
	} else {
		matches = matches[min(q.Offset, len(matches)):]
	}
	n := q.PageSize()
	if len(matches) > n {
		matches = matches[:n]
		page.Next = q.NextCursor(matches[n-1])
	}
	page.Records = matches
	return page, nil
}

// Count implements storage.Querier.
func (s *Store) Count(ctx context.Context, typ string, f *storage.Filter) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	q := storage.Query{Type: typ, Filter: f}
	if err := q.Validate(); err != nil {
		return 0, err
	}
	matches, err := s.matching(typ, f)
	return len(matches), err
}

// matching returns views of the records of typ that f matches, in no
// particular order.
func (s *Store) matching(typ string, f *storage.Filter) ([]*storage.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	var out []*storage.Record
	if k := f.KeyHint(); k != nil {
		if id, ok := s.index[keyID{typ, k.Name, k.Value}]; ok {
			if rec := s.records[recordID{typ, id}].rec; f.Match(rec) {
				out = append(out, view(rec))
			}
		}
		return out, nil
	}
	if t := f.TermHint(); t != nil {
		for id := range s.terms[keyID{typ, t.Name, t.Value}] {
			if rec := s.records[recordID{typ, id}].rec; f.Match(rec) {
				out = append(out, view(rec))
			}
		}
		return out, nil
	}
	for rid, e := range s.records {
		if rid.typ == typ && f.Match(e.rec) {
			out = append(out, view(e.rec))
		}
	}
	return out, nil
}
