package janrain_test

import (
	"os"
	"testing"
)

// TestMain removes the stores BenchmarkEntityFind loaded once the tests
// and benchmarks are done.
func TestMain(m *testing.M) {
	code := m.Run()
	closeFixtures()
	os.Exit(code)
}
