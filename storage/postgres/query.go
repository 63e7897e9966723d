package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/internal/jsonval"
)

var _ storage.Querier = (*Store)(nil)

// compiler turns a filter into SQL over the JSONB document of records r.
// Every value, path segment included, is a parameter.
//
// Each term is written so that it is true or false, never NULL, so that
// NOT means what it says. Strings compare under COLLATE "C" (code point
// order), case-folded by translate() with the table jsonval.FoldTable
// passes as two parameters; numbers compare as numeric (exact);
// date-times through idupdate_instant (migrations/0002).
type compiler struct {
	sql      strings.Builder
	args     []any
	n        int    // jsonb_array_elements aliases used
	from, to string // fold table parameters, once written
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// foldArgs returns the placeholders of the fold table, adding it once.
func (c *compiler) foldArgs() (string, string) {
	if c.from == "" {
		from, to := jsonval.FoldTable()
		c.from, c.to = c.arg(from), c.arg(to)
	}
	return c.from, c.to
}

// path returns the jsonb expression of pointer under base.
func (c *compiler) path(base, pointer string) string {
	expr := base
	for _, s := range storage.PointerSegments(pointer) {
		expr = "(" + expr + " -> " + c.arg(s) + "::text)"
	}
	return expr
}

// text returns the text of the JSON string x, folded when fold is set.
func (c *compiler) text(x string, fold bool) string {
	s := "(" + x + " #>> '{}')"
	if fold {
		from, to := c.foldArgs()
		s = "translate(" + s + ", " + from + ", " + to + ")"
	}
	return s + ` COLLATE "C"`
}

var sqlOps = map[storage.Op]string{storage.Eq: "=", storage.Gt: ">", storage.Ge: ">=", storage.Lt: "<", storage.Le: "<="}

func (c *compiler) filter(f *storage.Filter, base string) {
	w := &c.sql
	switch f.Op {
	case storage.And, storage.Or:
		w.WriteByte('(')
		for i := range f.Args {
			if i > 0 {
				w.WriteString(" " + strings.ToUpper(string(f.Op)) + " ")
			}
			c.filter(&f.Args[i], base)
		}
		w.WriteByte(')')
		return
	case storage.Not:
		w.WriteString("(NOT ")
		c.filter(&f.Args[0], base)
		w.WriteByte(')')
		return
	case storage.Any:
		c.n++
		e := fmt.Sprintf("e%d", c.n)
		x := c.path(base, f.Path)
		fmt.Fprintf(w, "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(%s) = 'array' THEN %s ELSE '[]'::jsonb END) AS %s(v) WHERE ", x, x, e)
		c.filter(&f.Args[0], e+".v")
		w.WriteByte(')')
		return
	case storage.Ne:
		eq := *f
		eq.Op = storage.Eq
		w.WriteString("(NOT ")
		c.filter(&eq, base)
		w.WriteByte(')')
		return
	}
	useKey := base == "r.doc" && f.Op == storage.Eq && f.Key != nil
	if useKey {
		w.WriteByte('(')
	}
	x := c.path(base, f.Path)
	switch v := f.Value.(type) {
	case nil:
		if f.Op == storage.Pr {
			fmt.Fprintf(w, `COALESCE(%s NOT IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb), false)`, x)
		} else {
			fmt.Fprintf(w, `COALESCE(%s = 'null'::jsonb, true)`, x)
		}
	case bool:
		fmt.Fprintf(w, "COALESCE(%s = to_jsonb(%s::boolean), false)", x, c.arg(v))
	case json.Number:
		fmt.Fprintf(w, "COALESCE(CASE WHEN jsonb_typeof(%s) = 'number' THEN (%s)::numeric %s %s::numeric ELSE false END, false)",
			x, x, sqlOps[f.Op], c.arg(string(v)))
	case time.Time:
		fmt.Fprintf(w, "COALESCE(CASE WHEN jsonb_typeof(%s) = 'string' THEN idupdate_instant(%s #>> '{}') %s (%s::numeric + %s::numeric / 1000000000) ELSE false END, false)",
			x, x, sqlOps[f.Op], c.arg(strconv.FormatInt(v.Unix(), 10)), c.arg(strconv.Itoa(v.Nanosecond())))
	case string:
		if f.Fold {
			v = jsonval.Fold(v)
		}
		s := c.text(x, f.Fold)
		var cond string
		switch f.Op {
		case storage.Co:
			cond = fmt.Sprintf("strpos(%s, %s::text) > 0", s, c.arg(v))
		case storage.Sw:
			cond = fmt.Sprintf("starts_with(%s, %s::text)", s, c.arg(v))
		case storage.Ew:
			cond = fmt.Sprintf("right(%s, %s::int) = %s::text", s, c.arg(utf8.RuneCountInString(v)), c.arg(v))
		default:
			cond = fmt.Sprintf(`%s %s %s::text COLLATE "C"`, s, sqlOps[f.Op], c.arg(v))
		}
		fmt.Fprintf(w, "COALESCE(jsonb_typeof(%s) = 'string' AND %s, false)", x, cond)
	}
	if useKey {
		fmt.Fprintf(w, " AND EXISTS (SELECT 1 FROM keys k WHERE k.type = r.type AND k.id = r.id AND k.name = %s AND k.value = %s))",
			c.arg(f.Key.Name), c.arg(f.Key.Value))
	}
}

func (c *compiler) where(typ string, f *storage.Filter) {
	c.sql.WriteString(" WHERE r.type = " + c.arg(typ))
	if k := f.KeyHint(); k != nil {
		fmt.Fprintf(&c.sql, " AND r.id IN (SELECT k.id FROM keys k WHERE k.type = %s AND k.name = %s AND k.value = %s)",
			c.arg(typ), c.arg(k.Name), c.arg(k.Value))
	}
	if t := f.TermHint(); t != nil {
		fmt.Fprintf(&c.sql, " AND r.id IN (SELECT t.id FROM terms t WHERE t.type = %s AND t.name = %s AND t.value = %s)",
			c.arg(typ), c.arg(t.Name), c.arg(t.Value))
	}
	if f != nil {
		c.sql.WriteString(" AND ")
		c.filter(f, "r.doc")
	}
}

// sortExprs returns the rank, number and text expressions by which s
// orders records (see storage.Sort).
func (c *compiler) sortExprs(s *storage.Sort) (rank, num, str string) {
	x := c.path("r.doc", s.Path)
	rank = fmt.Sprintf("(CASE jsonb_typeof(%s) WHEN 'boolean' THEN %d WHEN 'number' THEN %d WHEN 'string' THEN %d ELSE %d END)",
		x, jsonval.RankBool, jsonval.RankNumber, jsonval.RankString, jsonval.RankNone)
	num = fmt.Sprintf("(CASE jsonb_typeof(%s) WHEN 'number' THEN (%s)::numeric WHEN 'boolean' THEN CASE WHEN %s = 'true'::jsonb THEN 1 ELSE 0 END ELSE 0 END)", x, x, x)
	str = fmt.Sprintf(`(CASE WHEN jsonb_typeof(%s) = 'string' THEN %s ELSE '' END)`, x, c.text(x, s.Fold))
	return rank, num, str
}

// cursorParts returns what sortExprs gives for a cursor's value.
func cursorParts(v any, fold bool) (rank int, num, str string) {
	switch x := v.(type) {
	case bool:
		if x {
			return jsonval.RankBool, "1", ""
		}
		return jsonval.RankBool, "0", ""
	case string:
		if fold {
			x = jsonval.Fold(x)
		}
		return jsonval.RankString, "0", x
	case json.Number:
		return jsonval.RankNumber, string(x), ""
	}
	return jsonval.RankNone, "0", ""
}

// listQuery compiles the statement that reads a page of q, one record
// more than the page to tell whether another follows.
func listQuery(q *storage.Query, after *storage.Cursor) (*compiler, error) {
	c := &compiler{}
	c.sql.WriteString("SELECT " + recordColumns + "," + recordKeys + recordTerms + " FROM records r")
	c.where(q.Type, q.Filter)
	dir, op := "", ">"
	if q.Sort != nil && q.Sort.Desc {
		dir, op = " DESC", "<"
	}
	order := `r.id COLLATE "C"` + dir
	if q.Sort != nil {
		rank, num, str := c.sortExprs(q.Sort)
		if after != nil {
			r, n, st := cursorParts(after.Value, q.Sort.Fold)
			if s, ok := after.Value.(string); ok && !validText(s) {
				return nil, &storage.QueryError{Field: "cursor", Reason: "not a cursor of this listing"}
			}
			fmt.Fprintf(&c.sql, ` AND (%s, %s, %s, r.id COLLATE "C") %s (%s::int, %s::numeric, %s::text COLLATE "C", %s::text COLLATE "C")`,
				rank, num, str, op, c.arg(r), c.arg(n), c.arg(st), c.arg(after.ID))
		}
		order = fmt.Sprintf("%s%s, %s%s, %s%s, %s", rank, dir, num, dir, str, dir, order)
	} else if after != nil {
		fmt.Fprintf(&c.sql, ` AND r.id COLLATE "C" > %s::text COLLATE "C"`, c.arg(after.ID))
	}
	fmt.Fprintf(&c.sql, " ORDER BY %s LIMIT %s OFFSET %s", order, c.arg(q.PageSize()+1), c.arg(q.Offset))
	return c, nil
}

// List implements storage.Querier. The page and its total are read in one
// REPEATABLE READ transaction, so they agree.
func (s *Store) List(ctx context.Context, q storage.Query) (*storage.Page, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	after, err := q.DecodeCursor()
	if err != nil {
		return nil, err
	}
	if !validText(q.Type) || (after != nil && !validText(after.ID)) {
		return nil, &storage.QueryError{Field: "type", Reason: "must be UTF-8 without NUL"}
	}
	c, err := listQuery(&q, after)
	if err != nil {
		return nil, err
	}
	n := q.PageSize()

	page := &storage.Page{Total: -1}
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, c.sql.String(), c.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			rec, err := scanRecord(rows, true)
			if err != nil {
				return err
			}
			page.Records = append(page.Records, rec)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if q.Total {
			var cc compiler
			cc.sql.WriteString("SELECT count(*) FROM records r")
			cc.where(q.Type, q.Filter)
			return tx.QueryRow(ctx, cc.sql.String(), cc.args...).Scan(&page.Total)
		}
		return nil
	})
	if err != nil {
		return nil, queryError(ctx, "list", err)
	}
	if len(page.Records) > n {
		page.Records = page.Records[:n]
		page.Next = q.NextCursor(page.Records[n-1])
	}
	return page, nil
}

// Count implements storage.Querier.
func (s *Store) Count(ctx context.Context, typ string, f *storage.Filter) (int, error) {
	q := storage.Query{Type: typ, Filter: f}
	if err := q.Validate(); err != nil {
		return 0, err
	}
	if !validText(typ) {
		return 0, &storage.QueryError{Field: "type", Reason: "must be UTF-8 without NUL"}
	}
	var c compiler
	c.sql.WriteString("SELECT count(*) FROM records r")
	c.where(typ, f)
	var n int
	if err := s.pool.QueryRow(ctx, c.sql.String(), c.args...).Scan(&n); err != nil {
		return 0, queryError(ctx, "count", err)
	}
	return n, nil
}

func queryError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return fmt.Errorf("storage/postgres: %s: %w", op, err)
}
