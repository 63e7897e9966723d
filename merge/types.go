package merge

// Change is one entry of a change list: what happened at one path. Old and
// New share memory with the documents involved; treat them as read-only.
type Change struct {
	Path string `json:"path"`          // JSON Pointer (RFC 6901)
	Op   string `json:"op"`            // "add", "replace" or "remove"
	Old  any    `json:"old,omitempty"` // absent for "add"
	New  any    `json:"new,omitempty"` // absent for "remove"
}

// The operations a Change can record.
const (
	OpAdd     = "add"
	OpReplace = "replace"
	OpRemove  = "remove"
)

// Operation is one RFC 6902 JSON Patch operation.
type Operation struct {
	Op   string `json:"op"`
	Path string `json:"path"`
	From string `json:"from,omitempty"`
	// Value has no omitempty: null is a value an add, replace or test
	// must carry.
	Value any `json:"value"`
}

// ArrayMode says how Merge treats an array sent for a member.
type ArrayMode int

// The array modes.
const (
	// ArrayReplace is RFC 7386: the array sent replaces the stored value.
	ArrayReplace ArrayMode = iota
	// ArrayAppend appends the elements sent to the stored array.
	ArrayAppend
	// ArrayUpsert matches elements by ArrayRule.Key: a sent element whose
	// key exists replaces (or, with MergeElements, is merged into) that
	// element; one without a key is appended, with a fresh key from
	// ArrayRule.NewKey when set; one whose key does not exist is an error
	// matching ErrKeyNotFound.
	ArrayUpsert
)

// ArrayRule is the treatment of one array.
type ArrayRule struct {
	Mode ArrayMode
	// Key is the member that identifies an element (ArrayUpsert).
	Key string
	// NewKey returns a fresh key for an appended element that has none;
	// existing holds the keys already in the array (after the change so
	// far), so a generator can avoid them. Nil leaves such elements keyless.
	NewKey func(existing map[string]bool) any
	// MergeElements merges an upserted element into the stored one
	// (RFC 7386) instead of replacing it.
	MergeElements bool
}

// Options tune Merge and MergeAt. The zero Options is plain RFC 7386.
type Options struct {
	// Array returns the rule for the array sent at path (a concrete JSON
	// Pointer, with element indices). Nil means ArrayReplace everywhere.
	// It is called once per array in the patch, from the calling goroutine.
	Array func(path string) ArrayRule
}
