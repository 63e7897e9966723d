// Package merge provides the JSON document operations behind identity
// updates: merge (RFC 7386 with per-path array rules), replace with kept
// paths, RFC 6902 patch, change lists, pointers and bounded decoding.
//
// # Values
//
// A document is decoded JSON: map[string]any, []any, string, json.Number,
// bool or nil (JSON null). Decode produces exactly these, with every
// number as json.Number so no precision is lost. Callers building values
// in Go may also use float64 and the integer types; Equal treats them as
// numbers. Other Go types are treated as opaque scalars.
//
// The operations recurse once per level of nesting, so documents and
// patches from outside should come through Decode with a MaxDepth.
//
// # Copy-on-write
//
// No function modifies its inputs: not the document, not the patch, not
// the operations. A result is built by copying only the objects and arrays
// on the paths that change; every other subtree of the result is the same
// map or slice as in the input. Values taken from a patch or an operation
// are placed in the result as they are, so they are shared too. Treat all
// of them as read-only, and Clone a result before modifying it in place.
// When nothing changes, the functions return the input document itself and
// an empty change list.
//
// # Merge
//
// Merge(doc, patch, opt) follows RFC 7386. If patch is not an object the
// result is patch (subject to the array rule below when it is an array).
// If it is an object, the target is doc when doc is an object, else {};
// then for each member of patch, in sorted name order:
//
//   - null removes the member from the target (nothing happens if absent);
//   - an object is merged into the target member by these same rules, the
//     member counting as {} when it is absent or not an object;
//   - an array is treated by the rule for its path (see below);
//   - any other value replaces the member.
//
// # Array rules
//
// For an array sent at path P (a concrete JSON Pointer such as "/statuses"
// or "/accounts/3/tags"), opt.Array(P) chooses the treatment; a nil
// opt.Array means ArrayReplace everywhere, which is plain RFC 7386.
//
//   - ArrayReplace: the array sent replaces the stored value.
//   - ArrayAppend: the elements sent are appended to the stored array in
//     order. With no stored array (absent or not an array) the array sent
//     becomes the value. When ArrayRule.NewKey and ArrayRule.Key are set,
//     each object sent without a key (member absent or null) is first
//     given NewKey(existing) as its key, existing holding the key forms of
//     the stored elements and of those sent; keys sent are kept as they
//     are.
//   - ArrayUpsert: elements are matched by the member named ArrayRule.Key
//     (an empty Key is ErrInvalid). The stored array is indexed once, so
//     the cost is linear in stored plus sent length. Each sent element, in
//     order, is handled as follows. An object whose key member is present
//     and not null must match a stored element, else the merge fails with
//     an *Error of kind ErrKeyNotFound whose Path is P and whose Key is the
//     key sent. The match replaces the stored element, or with
//     ArrayRule.MergeElements is merged into it by these same rules (its
//     arrays asking for "P/<index>/<member>"). An object without a key
//     (member absent or null) is appended; when ArrayRule.NewKey is set it
//     is first given NewKey(existing) as its key, where existing holds the
//     key forms already present, including keys given earlier in the same
//     merge. NewKey must return a new string, number or boolean, else the
//     merge fails with ErrInvalid. Anything that is not an object is
//     appended as it is. With no stored array, an empty one is assumed.
//
// Keys are compared by their key form, which makes 5253, 5253.0 and the
// string "5253" the same key: numbers in canonical decimal form, strings
// that spell an RFC 8259 number in that same form, other strings as they
// are, booleans as "true" and "false". Objects and arrays cannot be keys
// (ErrInvalid). A stored key is never respelled: when "5253" matches a
// stored 5253, the element keeps 5253. If two stored elements share a key,
// the first one is matched.
//
// # MergeAt and Replace
//
// MergeAt(doc, at, patch, opt) merges patch into the value at pointer at,
// as Merge would if that value were the whole document, and puts the result
// back; a null patch removes the member at at, as null does inside a merge
// patch. Replace(doc, at, value, keep) sets the value at at outright, then
// restores the kept paths that value lost, so "replace the record but never
// drop /id or /created" is one call. Both require every parent of at to
// exist (ErrPathNotFound); see their documentation for details.
//
// # Patch
//
// Patch applies RFC 6902 operations all or nothing, in memory and
// copy-on-write, with strict RFC 6901 indices. The tests check it against
// github.com/evanphx/json-patch/v5 (negative indices disabled) on random
// input. Patch departs from that library where the library departs from
// the RFCs: "test" compares numbers by value (1 equals 1.0) and handles
// null correctly; a path through a member named "" ("//x") is followed, not
// ignored; and moving a value into its own child is refused (ErrInvalid).
//
// # Key selectors
//
// A reference token of the form "[member=key]" is a key selector: it names
// the element of an array whose object has the member holding the key, so
// "/statuses/[id=5253]/status" is the status of the element with id 5253,
// wherever it sits. ResolveTokens and ResolvePointer replace selectors by
// the indices they select in a document; PatchKeyed resolves them in each
// operation's path and from, against the document as the operations
// before it left it. Patch, MergeAt and Replace themselves take plain
// RFC 6901 pointers only: resolve first.
//
// Syntax. Selectors live inside JSON Pointers, so RFC 6901 escaping comes
// first: "/" in a member or key is written "~1" and "~" is written "~0"
// ("/files/[path=a~1b]" selects path "a/b"). After unescaping, a token is
// a selector when it starts with "[" and ends with "]"; the member name
// runs to the first "=" and may not be empty, and the key is everything
// after that "=" up to the final "]", so "=" and "]" need no escaping in a
// key ("[id=a=b]" has key "a=b"). A member name cannot contain "=". A token
// that starts with "[" but is not a well-formed selector is ErrInvalid, so
// object members whose names start with "[" cannot be reached through a
// pointer that is resolved.
//
// Matching. The key is compared with each element's key member in key
// form, exactly as ArrayUpsert matches keys (see Array rules): a key that
// spells an RFC 8259 number matches a numeric member of the same value
// ("[id=5253]", "[id=5253.0]" and "[id=5.253e3]" all match 5253 and the
// string "5253"); any other key matches a string member with exactly that
// text ("[id=05253]" matches only the string "05253"); "true" and "false"
// match booleans. The first matching element is selected. A selector over
// an array with no match, or over an absent or null member, is
// ErrKeyNotFound (Path: the array, Key: the key); over any other value it
// is ErrInvalid.
//
// # Change lists
//
// Every operation returns the changes it made, in a deterministic order,
// each with the absolute JSON Pointer of the value changed:
//
//   - "add": a member or element that did not exist now does (Old nil);
//   - "replace": a value was replaced by one that is not Equal;
//   - "remove": a member that existed is gone (New nil).
//
// Merge reports at the deepest level it works at: changing one member of
// an object gives one change for that member, not for the object. A value
// that is Equal to the stored one, and removing a member that is absent,
// give no change, so an empty list means the document is unchanged. A new
// subtree built from nothing (an object patch merged into an absent or
// scalar member, an upsert into an absent array) is one change at its root.
// An append is one "add" per element at "P/<new index>"; an upsert that
// replaces is one "replace" at "P/<index>", and with MergeElements the
// changes inside the element. Replace and Patch report Diff of the old and
// new values. Old and New are shared with the documents, not copied.
//
// # Errors
//
// Every error is an *Error; its Kind is one of the Err* values, so use
// errors.Is, and errors.As to read the Path and Key.
//
// # Concurrency
//
// The package holds no state. All functions are safe for concurrent use,
// including on shared documents, as long as nobody modifies those
// documents and the callbacks in Options are themselves safe.
package merge
