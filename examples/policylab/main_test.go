package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/bad/errors.golden")

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
	t.Run("MissingFlags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"-policy", policy, "-request", request}, "policylab: -record is missing: the record file (JSON) to experiment with\n"},
			{[]string{"-policy", policy, "-record", record}, "policylab: -request is missing: the request file (JSON) to experiment with\n"},
			{[]string{"-policy", policy}, "policylab: -record, -request are missing: every experiment needs a policy, a record and a request file\n"},
			{[]string{"-policy", policy, "-record", record, "-request", request, "extra"}, "policylab: unexpected argument \"extra\": the files are given with -policy, -record and -request\n"},
		} {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			assert.Equal(t, exitBadInput, code)
			assert.Empty(t, stdout.String())
			assert.Equal(t, tc.want+"usage: policylab -policy P.json -record R.json -request Q.json\n", stderr.String())
		}
	})
}

// TestBadInputMessages compares what policylab says about each bad file
// with testdata/bad/errors.golden: file, line, column, JSON path, what was
// expected and the closest valid name, as the shim server's config errors.
func TestBadInputMessages(t *testing.T) {
	var got strings.Builder
	for _, tc := range []struct{ policy, record, request string }{
		{"bad/policy-unknown-member.json", "unchanged/record.json", "unchanged/request.json"},
		{"bad/policy-bad-tag.json", "unchanged/record.json", "unchanged/request.json"},
		{"bad/policy-bad-ttl.json", "unchanged/record.json", "unchanged/request.json"},
		{"unchanged/policy.json", "bad/record-unknown-member.json", "unchanged/request.json"},
		{"unchanged/policy.json", "bad/record-trailing.json", "unchanged/request.json"},
	} {
		_, _, errOut := lab(t, filepath.Join("testdata", tc.policy), filepath.Join("testdata", tc.record), filepath.Join("testdata", tc.request))
		got.WriteString(errOut)
	}
	path := filepath.Join("testdata", "bad", "errors.golden")
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, []byte(got.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), got.String())
}
