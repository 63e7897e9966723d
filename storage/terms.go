package storage

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/idupdate/idupdate/storage/internal/jsonval"
)

// IndexTerm returns the form in which a term index holds the JSON value v
// (see Record.Terms and Filter.Term): a string as it is, or case-folded
// (simple folding, as Filter.Fold compares) when fold is set; a number in
// one canonical exact form, so 1.5 and 1.50 give the same term; true and
// false as words. ok is false for other values and for a term longer than
// the 1024 bytes a store indexes: such values are not indexed, and an Eq
// term comparing with them must carry no Term hint.
func IndexTerm(v any, fold bool) (term string, ok bool) {
	switch x := v.(type) {
	case string:
		if fold {
			x = jsonval.Fold(x)
		}
		term = "s" + x
	case bool:
		term = "b" + strconv.FormatBool(x)
	case json.Number, float64, int, int64:
		d, isNum := jsonval.Number(x)
		if !isNum {
			return "", false
		}
		term = "n"
		if d.Neg {
			term += "-"
		}
		term += d.Digits + "e" + strconv.FormatInt(d.Exp, 10)
	default:
		return "", false
	}
	if len(term) > maxValueLen {
		return "", false
	}
	return term, true
}

// TermHint returns the Term hint of f that every match must hold, or nil:
// that of f itself when it is an Eq term, of a direct operand of f when f
// is an And, or — recursively, with the same rule — of the sub-filter of
// an Any term in one of those places. A hint anywhere else is ignored.
// Backends use it to start from the term index.
func (f *Filter) TermHint() *Key {
	if f == nil {
		return nil
	}
	return f.termHint(true)
}

func (f *Filter) termHint(andOK bool) *Key {
	switch f.Op {
	case Eq:
		return f.Term
	case Any:
		return f.Args[0].termHint(true)
	case And:
		if andOK {
			for i := range f.Args {
				if h := f.Args[i].termHint(false); h != nil {
					return h
				}
			}
		}
	}
	return nil
}

// holdsTermHint reports whether rec holds f's TermHint, if it has one.
func (f *Filter) holdsTermHint(rec *Record) bool {
	h := f.TermHint()
	return h == nil || slices.Contains(rec.Terms, *h)
}
