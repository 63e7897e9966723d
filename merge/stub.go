package merge

import "errors"

// This file holds placeholders while the package is written; it is deleted
// when the real implementations land.

var errTODO = errors.New("merge: not implemented yet")

func Merge(doc, patch any, opt Options) (any, []Change, error) { return nil, nil, errTODO }
func MergeAt(doc any, at string, patch any, opt Options) (any, []Change, error) {
	return nil, nil, errTODO
}
func Replace(doc any, at string, value any, keep []string) (any, []Change, error) {
	return nil, nil, errTODO
}
func Patch(doc any, ops []Operation) (any, []Change, error) { return nil, nil, errTODO }
func Equal(a, b any) bool                                   { return false }
func Clone(v any) any                                       { return v }
