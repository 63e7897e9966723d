package storagetest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed testdata/user2k.json
var user2K []byte

// UserDoc2K returns a fresh copy of a realistic user document of about 2 KB
// of compact JSON: profile fields, a nested address and consents, and a
// plural "statuses" of 10 {"id": N, "status": "..."} objects. Numbers are
// json.Number, as a store returns them. Benchmarks share it so their figures
// compare.
func UserDoc2K() map[string]any {
	dec := json.NewDecoder(bytes.NewReader(user2K))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		// The fixture is embedded at build time; a decode failure is a broken
		// build, not a runtime condition.
		panic(fmt.Sprintf("storagetest: embedded user2k.json: %v", err))
	}
	return doc
}
