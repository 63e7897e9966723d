package httpx

import "github.com/idupdate/idupdate/internal/jsontext"

// Appender is an answer that appends its own JSON text: exactly the bytes
// json.Marshal writes for it, without reflection, or json.Marshal's error.
// AppendJSON, and so WriteJSON, use it when the value given is one.
type Appender interface {
	AppendJSON(dst []byte) ([]byte, error)
}

// answerJSON writes answers as json.Marshal does, HTML characters
// escaped, and lets Appenders write themselves.
var answerJSON = &jsontext.Encoder{EscapeHTML: true, Other: appendAppender}

func appendAppender(_ *jsontext.Encoder, dst []byte, v any) ([]byte, bool, error) {
	a, ok := v.(Appender)
	if !ok {
		return dst, false, nil
	}
	out, err := a.AppendJSON(dst)
	return out, true, err
}

// AppendJSON appends the JSON text of v to dst: exactly the bytes
// json.Marshal writes for it (HTML characters escaped, object keys
// sorted), and its error for a value it refuses. The values JSON
// documents are made of (map[string]any, []any, []string, string,
// json.Number, bool, nil, ints) and Appenders are written without
// reflection; anything else goes through encoding/json.
func AppendJSON(dst []byte, v any) ([]byte, error) { return answerJSON.Append(dst, v) }

// AppendString appends s as a JSON string exactly as json.Marshal writes
// it: quote and backslash escaped; \b \f \n \r \t, other control
// characters as \u00XX; <, > and & as \u003c, \u003e and \u0026; invalid
// UTF-8 as \ufffd; U+2028 and U+2029 escaped.
func AppendString(dst []byte, s string) []byte { return answerJSON.AppendString(dst, s) }

// AppendStrings appends ss as a JSON array of strings (AppendString).
func AppendStrings(dst []byte, ss []string) []byte { return answerJSON.AppendStrings(dst, ss) }
