package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	sqlitedrv "modernc.org/sqlite"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/internal/jsonval"
)

var _ storage.Querier = (*Store)(nil)

// The filter's comparisons and the sort key are computed by Go functions
// registered with SQLite, over the JSON text that the -> operator extracts
// from the stored document (number text is kept as written, so numbers
// compare exactly; SQLite's own lower() folds ASCII only). The structure
// of the filter — and, or, not, the elements of an array through
// json_each, the key index — is SQL, and every value is a parameter.
func init() {
	sqlitedrv.MustRegisterDeterministicScalarFunction("idupdate_leaf", 5, leafFunc)
	sqlitedrv.MustRegisterDeterministicScalarFunction("idupdate_sortkey", 2, sortKeyFunc)
}

// Value kinds as leaf parameters.
const (
	kindNull   = "z"
	kindBool   = "b"
	kindNumber = "n"
	kindString = "s"
	kindTime   = "t"
)

// leafFunc is idupdate_leaf(json, op, kind, value, fold): 1 if the JSON
// value (NULL: absent) satisfies the comparison, else 0.
func leafFunc(_ *sqlitedrv.FunctionContext, args []driver.Value) (driver.Value, error) {
	f := storage.Filter{Op: storage.Op(asString(args[1])), Fold: asInt(args[4]) != 0}
	val := asString(args[3])
	switch asString(args[2]) {
	case kindBool:
		f.Value = val == "true"
	case kindNumber:
		f.Value = json.Number(val)
	case kindString:
		f.Value = val
	case kindTime:
		t, err := time.Parse(time.RFC3339Nano, val)
		if err != nil {
			return nil, err
		}
		f.Value = t
	}
	present := args[0] != nil
	var v any
	if present {
		var err error
		if v, err = jsonval.Decode(asString(args[0])); err != nil {
			return nil, err
		}
	}
	if f.Leaf(v, present) {
		return int64(1), nil
	}
	return int64(0), nil
}

// sortKeyFunc is idupdate_sortkey(json, fold): the jsonval.SortKey of the
// JSON value (NULL: absent) as a blob.
func sortKeyFunc(_ *sqlitedrv.FunctionContext, args []driver.Value) (driver.Value, error) {
	var v any
	if args[0] != nil {
		var err error
		if v, err = jsonval.Decode(asString(args[0])); err != nil {
			return nil, err
		}
	}
	return jsonval.SortKey(v, asInt(args[1]) != 0), nil
}

func asString(v driver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func asInt(v driver.Value) int64 {
	x, _ := v.(int64)
	return x
}

// sqlPath returns the SQLite JSON path of a pointer's segments relative to
// the current value: `."a"."b"` (segments hold no double quote; Validate
// refuses them).
func sqlPath(pointer string) string {
	var b strings.Builder
	for _, s := range storage.PointerSegments(pointer) {
		b.WriteString(`."`)
		b.WriteString(s)
		b.WriteByte('"')
	}
	return b.String()
}

// compiler turns a filter into SQL over records r with positional
// parameters.
type compiler struct {
	sql  strings.Builder
	args []any
	n    int          // json_each aliases used
	hint *storage.Key // the key hint where already restricts to
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "?"
}

// path writes the SQL expression of the JSON path of pointer under base
// (nil: the document root).
func (c *compiler) path(base, pointer string) string {
	if base == "" {
		return c.arg("$" + sqlPath(pointer))
	}
	if pointer == "" {
		return base
	}
	return "(" + base + " || " + c.arg(sqlPath(pointer)) + ")"
}

// filter writes f; base is the SQL expression of the path of the current
// element inside Any, or "" at the top.
func (c *compiler) filter(f *storage.Filter, base string) {
	switch f.Op {
	case storage.And, storage.Or:
		c.sql.WriteByte('(')
		for i := range f.Args {
			if i > 0 {
				c.sql.WriteString(" " + strings.ToUpper(string(f.Op)) + " ")
			}
			c.filter(&f.Args[i], base)
		}
		c.sql.WriteByte(')')
		return
	case storage.Not:
		c.sql.WriteString("(NOT ")
		c.filter(&f.Args[0], base)
		c.sql.WriteByte(')')
		return
	case storage.Any:
		c.n++
		e := fmt.Sprintf("e%d", c.n)
		p := c.path(base, f.Path)
		p2 := c.path(base, f.Path)
		fmt.Fprintf(&c.sql, "(json_type(r.doc, %s) = 'array' AND EXISTS (SELECT 1 FROM json_each(r.doc, %s) AS %s WHERE ", p, p2, e)
		c.filter(&f.Args[0], e+".fullkey")
		c.sql.WriteString("))")
		return
	}
	kind, val := kindNull, ""
	switch v := f.Value.(type) {
	case bool:
		kind, val = kindBool, fmt.Sprint(v)
	case json.Number:
		kind, val = kindNumber, string(v)
	case string:
		kind, val = kindString, v
	case time.Time:
		kind, val = kindTime, v.Format(time.RFC3339Nano)
	}
	fold := 0
	if f.Fold {
		fold = 1
	}
	// The key hint that where turned into the starting index range needs
	// no second look-up.
	useKey := base == "" && f.Op == storage.Eq && f.Key != nil && f.Key != c.hint
	if useKey {
		c.sql.WriteByte('(')
	}
	fmt.Fprintf(&c.sql, "idupdate_leaf(r.doc -> %s, %s, %s, %s, %s)", c.path(base, f.Path),
		c.arg(string(f.Op)), c.arg(kind), c.arg(val), c.arg(fold))
	if useKey {
		fmt.Fprintf(&c.sql, " AND EXISTS (SELECT 1 FROM keys k WHERE k.type = r.type AND k.name = %s AND k.value = %s AND k.id = r.id))",
			c.arg(f.Key.Name), c.arg(f.Key.Value))
	}
}

// where writes the conditions every listing and count shares.
func (c *compiler) where(typ string, f *storage.Filter) {
	c.sql.WriteString(" WHERE r.type = " + c.arg(typ))
	if k := f.KeyHint(); k != nil {
		c.hint = k
		fmt.Fprintf(&c.sql, " AND r.id IN (SELECT k.id FROM keys k WHERE k.type = %s AND k.name = %s AND k.value = %s)",
			c.arg(typ), c.arg(k.Name), c.arg(k.Value))
	}
	if t := f.TermHint(); t != nil {
		fmt.Fprintf(&c.sql, " AND r.id IN (SELECT t.id FROM terms t WHERE t.type = %s AND t.name = %s AND t.value = %s)",
			c.arg(typ), c.arg(t.Name), c.arg(t.Value))
	}
	if f != nil {
		c.sql.WriteString(" AND ")
		c.filter(f, "")
	}
}

// List implements storage.Querier. See the package documentation of
// storage.Filter for the semantics; the page and its total are read in
// one transaction, so they agree.
func (s *Store) List(ctx context.Context, q storage.Query) (*storage.Page, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	after, err := q.DecodeCursor()
	if err != nil {
		return nil, err
	}
	c, count := listQuery(&q, after)
	n := q.PageSize()

	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("storage/sqlite: list: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, c.sql.String(), c.args...)
	if err != nil {
		return nil, s.queryError(ctx, err)
	}
	page := &storage.Page{Total: -1}
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage/sqlite: list: %w", err)
		}
		page.Records = append(page.Records, rec)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, err)
	}
	if len(page.Records) > n {
		page.Records = page.Records[:n]
		page.Next = q.NextCursor(page.Records[n-1])
	}
	// Without filter or sort the page is every record between its first
	// and last ID, and so are their keys.
	if err := pageKeys(ctx, tx, q.Type, page.Records, q.Filter == nil && q.Sort == nil); err != nil {
		return nil, s.queryError(ctx, err)
	}
	if q.Total {
		if err := tx.QueryRowContext(ctx, count.sql.String(), count.args...).Scan(&page.Total); err != nil {
			return nil, s.queryError(ctx, err)
		}
	}
	return page, nil
}

// listQuery compiles the statement that reads a page of q (one record more
// than the page, to tell whether another follows) and, when q asks for
// the total, the statement that counts the matches.
func listQuery(q *storage.Query, after *storage.Cursor) (c, count compiler) {
	c.sql.WriteString("SELECT " + listColumns + " FROM records r")
	c.where(q.Type, q.Filter)
	if q.Total {
		count.sql.WriteString("SELECT count(*) FROM records r")
		count.where(q.Type, q.Filter)
	}
	dir, op := "", ">"
	if q.Sort != nil && q.Sort.Desc {
		dir, op = " DESC", "<"
	}
	var sortKey string
	if q.Sort != nil {
		fold := 0
		if q.Sort.Fold {
			fold = 1
		}
		// The expression appears twice with its own parameters each time.
		key := func() string {
			return fmt.Sprintf("idupdate_sortkey(r.doc -> %s, %s)", c.arg("$"+sqlPath(q.Sort.Path)), c.arg(fold))
		}
		if after != nil {
			fmt.Fprintf(&c.sql, " AND (%s, r.id) %s (%s, %s)", key(), op,
				c.arg(jsonval.SortKey(after.Value, q.Sort.Fold)), c.arg(after.ID))
		}
		sortKey = key() + dir + ", "
	} else if after != nil {
		fmt.Fprintf(&c.sql, " AND r.id > %s", c.arg(after.ID))
	}
	fmt.Fprintf(&c.sql, " ORDER BY %sr.id%s LIMIT %s OFFSET %s", sortKey, dir, c.arg(q.PageSize()+1), c.arg(q.Offset))
	return c, count
}

// Count implements storage.Querier.
func (s *Store) Count(ctx context.Context, typ string, f *storage.Filter) (int, error) {
	q := storage.Query{Type: typ, Filter: f}
	if err := q.Validate(); err != nil {
		return 0, err
	}
	var c compiler
	c.sql.WriteString("SELECT count(*) FROM records r")
	c.where(typ, f)
	var n int
	if err := s.reader.QueryRowContext(ctx, c.sql.String(), c.args...).Scan(&n); err != nil {
		return 0, s.queryError(ctx, err)
	}
	return n, nil
}

func (s *Store) queryError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return fmt.Errorf("storage/sqlite: query: %w", err)
}

// listColumns are recordColumns with NULL for the keys and terms, which
// List reads for the whole page at once (pageKeys): one range of each
// index instead of a lookup per record.
const listColumns = `r.type, r.id, r.version, r.created, r.updated, r.state, r.doc, r.secrets, r.pending, NULL, NULL`

// pageKeys fills in the keys and terms of recs, records of typ in ID
// order. When contiguous is set, recs are all the records between the first
// and last ID and their keys are read as one range; otherwise by their IDs.
func pageKeys(ctx context.Context, tx *sql.Tx, typ string, recs []*storage.Record, contiguous bool) error {
	if len(recs) == 0 {
		return nil
	}
	byID := make(map[string]*storage.Record, len(recs))
	for _, r := range recs {
		byID[r.ID] = r
	}
	var (
		cond string
		args []any
	)
	switch {
	case contiguous:
		cond = `type = ? AND id >= ? AND id <= ?`
		args = []any{typ, recs[0].ID, recs[len(recs)-1].ID}
	case len(recs) == 1:
		cond = `type = ? AND id = ?`
		args = []any{typ, recs[0].ID}
	default:
		cond = `type = ? AND id IN (SELECT value FROM json_each(?))`
		ids := make([]string, len(recs))
		for i, r := range recs {
			ids[i] = r.ID
		}
		b, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		args = []any{typ, string(b)}
	}
	query := `SELECT 0, id, name, value FROM keys WHERE ` + cond +
		` UNION ALL SELECT 1, id, name, value FROM terms WHERE ` + cond + ` ORDER BY 1, 2, 3, 4`
	rows, err := tx.QueryContext(ctx, query, append(args, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			term bool
			id   string
			k    storage.Key
		)
		if err := rows.Scan(&term, &id, &k.Name, &k.Value); err != nil {
			return err
		}
		if r, ok := byID[id]; ok {
			if term {
				r.Terms = append(r.Terms, k)
			} else {
				r.Keys = append(r.Keys, k)
			}
		}
	}
	return rows.Err()
}
