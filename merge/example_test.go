package merge_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/idupdate/idupdate/merge"
)

func mustDecode(s string) any {
	v, err := merge.Decode([]byte(s), merge.DecodeLimits{MaxBytes: 1 << 16, MaxDepth: 32})
	if err != nil {
		panic(err)
	}
	return v
}

func printResult(doc any, changes []merge.Change) {
	b, _ := json.Marshal(doc)
	fmt.Println(string(b))
	for _, c := range changes {
		fmt.Println(c.Op, c.Path)
	}
}

func ExampleMerge() {
	stored := mustDecode(`{"givenName":"Ann","nick":"annie","address":{"city":"Uppsala","zip":"75320"}}`)
	patch := mustDecode(`{"nick":null,"address":{"city":"Lund"},"givenName":"Ann"}`)

	doc, changes, err := merge.Merge(stored, patch, merge.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	printResult(doc, changes)
	// Output:
	// {"address":{"city":"Lund","zip":"75320"},"givenName":"Ann"}
	// replace /address/city
	// remove /nick
}

func ExampleReplace() {
	stored := mustDecode(`{"id":"u1","created":"2024-03-11","givenName":"Ann","nick":"annie"}`)
	sent := mustDecode(`{"givenName":"Anna"}`)

	// What is not sent is removed, except the paths kept.
	doc, changes, err := merge.Replace(stored, "", sent, []string{"/id", "/created"})
	if err != nil {
		fmt.Println(err)
		return
	}
	printResult(doc, changes)
	// Output:
	// {"created":"2024-03-11","givenName":"Anna","id":"u1"}
	// replace /givenName
	// remove /nick
}

func ExampleMerge_upsert() {
	stored := mustDecode(`{"statuses":[{"id":5253,"status":"active"},{"id":5254,"status":"newsletter"}]}`)
	opt := merge.Options{Array: func(path string) merge.ArrayRule {
		if path != "/statuses" {
			return merge.ArrayRule{}
		}
		return merge.ArrayRule{
			Mode:          merge.ArrayUpsert,
			Key:           "id",
			MergeElements: true,
			NewKey: func(existing map[string]bool) any {
				k := 5253
				for existing[strconv.Itoa(k)] {
					k++
				}
				return k
			},
		}
	}}

	// "5253" finds 5253; the element without an id is appended with a new one.
	patch := mustDecode(`{"statuses":[{"id":"5253","status":"inactive"},{"status":"sms"}]}`)
	doc, changes, err := merge.Merge(stored, patch, opt)
	if err != nil {
		fmt.Println(err)
		return
	}
	printResult(doc, changes)

	// An id that is not stored is refused, naming the array and the key.
	_, _, err = merge.Merge(stored, mustDecode(`{"statuses":[{"id":9999,"status":"x"}]}`), opt)
	var me *merge.Error
	if errors.As(err, &me) && errors.Is(err, merge.ErrKeyNotFound) {
		fmt.Println("not found:", me.Path, me.Key)
	}
	// Output:
	// {"statuses":[{"id":5253,"status":"inactive"},{"id":5254,"status":"newsletter"},{"id":5255,"status":"sms"}]}
	// replace /statuses/0/status
	// add /statuses/2
	// not found: /statuses 9999
}
