package janrain_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestErrorCodes_EveryApplicableVendorCodeIsProduced checks that the
// requests of testdata/refused.json, together with the store failures of
// TestStoreFailures (300 and 500), produce every code of the vendor's
// table that applies to the entity operations (testdata/codes.json marks
// 510 as not applicable: the adapter has no rate limit).
func TestErrorCodes_EveryApplicableVendorCodeIsProduced(t *testing.T) {
	produced := map[int]bool{300: true, 500: true}
	for _, c := range loadRefused(t) {
		produced[c.Code] = true
	}
	codes := captureCodes(t)
	applicable := applicableCodes(t)
	for code := range codes {
		if applicable[code] {
			assert.True(t, produced[code], "no test request produces %d %s", code, codes[code])
		}
	}
}
