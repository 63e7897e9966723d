package jsonfile

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Decode decodes data, the contents of file, into v (a pointer) strictly:
// every member must name a field of the struct it lands in (exactly, not
// ignoring case), every value must have its field's JSON type and pass its
// type's UnmarshalJSON, and nothing may follow the top-level value.
// Numbers decoded into interface values are json.Number, so none loses
// precision. The first error is returned as an *Error; v is then left
// unchanged.
func Decode(file string, data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("jsonfile: Decode needs a non-nil pointer, got %T", v)
	}
	w := &walker{file: file, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	w.dec.UseNumber()
	if err := w.checkSyntax(); err != nil {
		return err
	}
	if err := w.value(rv.Type().Elem(), nil); err != nil {
		return err
	}
	if off := skipSpace(data, int(w.dec.InputOffset())); off < len(data) {
		return w.errAt(off, nil, "unexpected data after the top-level value", "the end of the file", nil)
	}
	fresh := reflect.New(rv.Type().Elem())
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(fresh.Interface()); err != nil {
		// The walk accepted what encoding/json refused: report it at the top.
		return w.errAt(skipSpace(data, 0), nil, err.Error(), "", err)
	}
	rv.Elem().Set(fresh.Elem())
	return nil
}

// walker reads the token stream alongside the Go type it decodes into.
type walker struct {
	file string
	data []byte
	dec  *json.Decoder
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// next returns the offset where the next token begins.
func (w *walker) next() int { return skipSpace(w.data, int(w.dec.InputOffset())) }

func (w *walker) errAt(off int, path []any, problem, expected string, err error) *Error {
	line, col := Place(w.data, off)
	return &Error{File: w.file, Line: line, Column: col, Path: FormatPath(path), Problem: problem, Expected: expected, Err: err}
}

// checkSyntax reports the first syntax error of the whole file at the
// byte that is wrong, with the path of the value it is in.
func (w *walker) checkSyntax() error {
	var v any
	err := json.Unmarshal(w.data, &v)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return nil
	}
	off := int(se.Offset) - 1
	if off >= len(w.data)-1 && strings.Contains(se.Error(), "unexpected end") {
		return w.errAt(len(w.data), pathAt(w.data, len(w.data)), "the file ends in the middle of a value", "", err)
	}
	if strings.Contains(se.Error(), "after top-level value") {
		return w.errAt(off, nil, "unexpected data after the top-level value", "the end of the file", err)
	}
	return w.errAt(off, pathAt(w.data, off), "JSON syntax error: "+strings.TrimPrefix(se.Error(), "json: "), "", err)
}

// pathAt returns the path of the innermost value open at byte offset off.
func pathAt(data []byte, off int) []any {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		key    string
		index  int
		inKey  bool // an object frame waiting for its next key
	}
	var stack []frame
	for int(dec.InputOffset()) < off {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].inKey {
			if k, ok := tok.(string); ok {
				stack[n-1].key, stack[n-1].inKey = k, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, inKey: true, index: -1})
			continue
		case json.Delim('['):
			stack = append(stack, frame{index: -1})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].inKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	var path []any
	for _, f := range stack {
		if f.object {
			if !f.inKey {
				path = append(path, f.key)
			}
		} else {
			path = append(path, max(f.index+1, 0))
		}
	}
	return path
}

// syntax turns an error of the token stream, which checkSyntax has ruled
// out as a syntax error, into an Error at the next token.
func (w *walker) syntax(err error, path []any) error {
	return w.errAt(w.next(), path, err.Error(), "", err)
}

// value checks the next value against t.
func (w *walker) value(t reflect.Type, path []any) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	start := w.next()
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return w.custom(t, path, start)
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) && t.Kind() != reflect.Struct {
		return w.custom(t, path, start)
	}
	switch t.Kind() {
	case reflect.Struct:
		return w.object(t, path, start)
	case reflect.Map:
		return w.mapping(t, path, start)
	case reflect.Slice, reflect.Array:
		return w.list(t, path, start)
	case reflect.Interface:
		var skip json.RawMessage
		if err := w.dec.Decode(&skip); err != nil {
			return w.syntax(err, path)
		}
		return nil
	}
	tok, err := w.dec.Token()
	if err != nil {
		return w.syntax(err, path)
	}
	if tok == nil {
		return nil // null leaves the zero value, as encoding/json does
	}
	want, ok := scalarOK(t, tok)
	if !ok {
		return w.errAt(start, path, "got "+describeToken(tok), want, nil)
	}
	return nil
}

// scalarOK reports whether tok fits a field of kind t.Kind().
func scalarOK(t reflect.Type, tok json.Token) (string, bool) {
	switch t.Kind() {
	case reflect.String:
		_, ok := tok.(string)
		return "a string", ok
	case reflect.Bool:
		_, ok := tok.(bool)
		return "true or false", ok
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := tok.(json.Number)
		if !ok {
			return "a whole number", false
		}
		i, err := n.Int64()
		return "a whole number", err == nil && !reflect.New(t).Elem().OverflowInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := tok.(json.Number)
		if !ok {
			return "a whole number of 0 or more", false
		}
		i, err := n.Int64()
		return "a whole number of 0 or more", err == nil && i >= 0 && !reflect.New(t).Elem().OverflowUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		_, ok := tok.(json.Number)
		return "a number", ok
	}
	return "a value Go can hold in " + t.String(), false
}

func describeToken(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			return "an object"
		}
		return "a list"
	case string:
		return fmt.Sprintf("the string %q", tok)
	case json.Number:
		return "the number " + tok.String()
	case bool:
		return fmt.Sprintf("%t", tok)
	}
	return "null"
}

// custom hands the raw value to the type's own UnmarshalJSON (or
// UnmarshalText for a string) and places its error at the value.
func (w *walker) custom(t reflect.Type, path []any, start int) error {
	var raw json.RawMessage
	if err := w.dec.Decode(&raw); err != nil {
		return w.syntax(err, path)
	}
	if string(raw) == "null" {
		return nil
	}
	var err error
	p := reflect.New(t).Interface()
	if u, ok := p.(json.Unmarshaler); ok {
		err = u.UnmarshalJSON(raw)
	} else {
		var s string
		if jerr := json.Unmarshal(raw, &s); jerr != nil {
			return w.errAt(start, path, "got "+describeRaw(raw), "a string", nil)
		}
		err = p.(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
	}
	if err == nil {
		return nil
	}
	e := w.errAt(start, path, "", "", err)
	var ve *ValueError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &ve):
		e.Problem, e.Expected, e.Suggestion = ve.Problem, ve.Expected, ve.Suggestion
	case errors.As(err, &te):
		e.Problem, e.Expected = "got "+describeRaw(raw), "a value of type "+te.Type.String()
	default:
		e.Problem = err.Error()
	}
	return e
}

func describeRaw(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return "an unreadable value"
	}
	return describeToken(tok)
}

// fieldInfo is one JSON member of a struct.
type fieldInfo struct {
	name string
	typ  reflect.Type
}

// fields lists the JSON members of struct t as encoding/json names them,
// embedded structs' members included.
func fields(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, fields(ft)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, fieldInfo{name: name, typ: f.Type})
	}
	return out
}

func (w *walker) open(want json.Delim, path []any, start int) (bool, error) {
	tok, err := w.dec.Token()
	if err != nil {
		return false, w.syntax(err, path)
	}
	if tok == nil {
		return false, nil
	}
	if tok != want {
		expected := "an object"
		if want == '[' {
			expected = "a list"
		}
		return false, w.errAt(start, path, "got "+describeToken(tok), expected, nil)
	}
	return true, nil
}

func (w *walker) object(t reflect.Type, path []any, start int) error {
	ok, err := w.open('{', path, start)
	if !ok || err != nil {
		return err
	}
	fs := fields(t)
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	seen := map[string]bool{}
	for w.dec.More() {
		keyAt := w.next()
		tok, err := w.dec.Token()
		if err != nil {
			return w.syntax(err, path)
		}
		key := tok.(string)
		at := append(slices.Clip(path), key)
		i := slices.Index(names, key)
		if i < 0 {
			sorted := slices.Sorted(slices.Values(names))
			e := w.errAt(keyAt, at, fmt.Sprintf("unknown member %q", key), "one of "+strings.Join(sorted, ", "), nil)
			e.Suggestion = Closest(key, names)
			return e
		}
		if seen[key] {
			return w.errAt(keyAt, at, fmt.Sprintf("member %q appears twice", key), "each member once", nil)
		}
		seen[key] = true
		if err := w.value(fs[i].typ, at); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil {
		return w.syntax(err, path)
	}
	return nil
}

func (w *walker) mapping(t reflect.Type, path []any, start int) error {
	ok, err := w.open('{', path, start)
	if !ok || err != nil {
		return err
	}
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return w.syntax(err, path)
		}
		if err := w.value(t.Elem(), append(slices.Clip(path), tok.(string))); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil {
		return w.syntax(err, path)
	}
	return nil
}

func (w *walker) list(t reflect.Type, path []any, start int) error {
	if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
		// []byte is base64 text in encoding/json.
		return w.value(reflect.TypeFor[string](), path)
	}
	ok, err := w.open('[', path, start)
	if !ok || err != nil {
		return err
	}
	for i := 0; w.dec.More(); i++ {
		if t.Kind() == reflect.Array && i >= t.Len() {
			return w.errAt(w.next(), append(slices.Clip(path), i), "too many elements", fmt.Sprintf("at most %d", t.Len()), nil)
		}
		if err := w.value(t.Elem(), append(slices.Clip(path), i)); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil {
		return w.syntax(err, path)
	}
	return nil
}
