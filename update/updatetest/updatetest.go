// Package updatetest provides the fixtures the engine's benchmarks share,
// so figures measured on different backends compare: one policy and two
// alternating 3-field patches for storagetest.UserDoc2K.
package updatetest

import "github.com/idupdate/idupdate/update"

// BenchPolicy declares, with rules, the fields BenchPatches touch and a
// unique email, and allows the rest of the document as it is. The type is
// "user"; every client may write and create.
func BenchPolicy() *update.Policy {
	return &update.Policy{
		Types: map[string]*update.Schema{"user": {
			Unknown: update.Allow,
			Fields: map[string]*update.Field{
				"/givenName":   {Type: update.TypeString, Rules: "max=100"},
				"/displayName": {Type: update.TypeString, Rules: "max=100"},
				"/loginCount":  {Type: update.TypeInteger, Rules: "gte=0"},
				"/email":       {Type: update.TypeString, Rules: "email", Unique: true, Normalize: update.NormalizeEmail},
				"/statuses": {Type: update.TypeArray,
					Plural: &update.Plural{Mode: update.PluralUpsert, Key: "id", KeyGen: update.KeyGenInt}},
			},
		}},
		DefaultGrant: &update.Grant{Write: true, Create: true, ReturnCode: true},
	}
}

// BenchPatches are two merge patches of three fields; applied in turn,
// each really changes the document, so no Apply is a no-op.
var BenchPatches = [2][]byte{
	[]byte(`{"givenName":"Augusta","displayName":"A. Lovelace","loginCount":1730}`),
	[]byte(`{"givenName":"Ada","displayName":"Ada Lovelace","loginCount":1729}`),
}
