package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lab runs policylab with the given files and returns its exit status,
// stdout and stderr.
func lab(tb testing.TB, policy, record, request string) (int, string, string) {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-policy", policy, "-record", record, "-request", request}, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestExperiments runs each experiment in testdata and compares its
// output with the expected one beside it.
func TestExperiments(t *testing.T) {
	tests := []struct {
		dir  string
		exit int
	}{
		{"plural-upsert", exitApplied},
		{"replace-keeps", exitApplied},
		{"email-hold", exitApplied},
		{"email-apply-unverified", exitApplied},
		{"unchanged", exitApplied},
		{"contract-refused", exitRefused},
		{"unique-held-mobile", exitRefused},
		{"invalid-fields", exitRefused},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.dir)
			want, err := os.ReadFile(filepath.Join(dir, "want.json"))
			require.NoError(t, err)
			code, out, errOut := lab(t, filepath.Join(dir, "policy.json"), filepath.Join(dir, "record.json"), filepath.Join(dir, "request.json"))
			assert.Equal(t, tc.exit, code, errOut)
			assert.JSONEq(t, string(want), out)
			assert.Empty(t, errOut)
		})
	}
}

// TestBadInputIsExit2 checks that files that cannot be used are reported
// on stderr with exit status 2 and nothing on stdout.
func TestBadInputIsExit2(t *testing.T) {
	good := filepath.Join("testdata", "unchanged")
	policy, record, request := filepath.Join(good, "policy.json"), filepath.Join(good, "record.json"), filepath.Join(good, "request.json")
	bad := func(name string) string { return filepath.Join("testdata", "bad", name) }
	tests := []struct {
		name                    string
		policy, record, request string
		stderr                  string
	}{
		{"MissingPolicyFile", bad("none.json"), record, request, "none.json"},
		{"PolicyWithUnknownType", bad("policy-bad-type.json"), record, request, "policy-bad-type.json"},
		{"PolicyWithUnknownMember", bad("policy-unknown-member.json"), record, request, "fieldz"},
		{"RecordThatBreaksThePolicy", policy, bad("record-invalid.json"), request, "does not fit the policy"},
		{"RecordWithUnknownMember", policy, bad("record-unknown-member.json"), request, "colour"},
		{"RecordWithTrailingData", policy, bad("record-trailing.json"), request, "record-trailing.json"},
		{"RequestWithUnknownMode", policy, record, bad("request-bad-mode.json"), "upsert"},
		{"RequestWithUnknownDelivery", policy, record, bad("request-bad-delivery.json"), "carrier-pigeon"},
		{"RequestAsTheSetupClient", policy, record, bad("request-reserved-client.json"), "reserved"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := lab(t, tc.policy, tc.record, tc.request)
			assert.Equal(t, exitBadInput, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.stderr)
		})
	}
	t.Run("MissingFlag", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"-policy", policy}, &stdout, &stderr)
		assert.Equal(t, exitBadInput, code)
		assert.Contains(t, stderr.String(), "usage")
	})
}
