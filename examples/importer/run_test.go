package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/examples/internal/storeopen"
	"github.com/idupdate/idupdate/storage"
)

// janrainOwner is an owner client of the shim server's demo configuration.
const janrainOwner = "sgnyvus6pc4jm7khr2neq5gs89gbr2eq"

// runImporter runs the command in process and returns its stdout and
// stderr.
func runImporter(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return out.String(), errOut.String(), err
}

// writeFile writes lines to dir/name and returns its path.
func writeFile(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	return path
}

func TestCommandLineRefused(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "u.jsonl", `{"email": "a@example.com"}`)
	pol := writePolicy(t, dir, "user")
	base := []string{"-store", "memory", "-policy", pol, "-type", "user", "-client", "importer"}
	for name, args := range map[string][]string{
		"UnknownFlag":      append(append([]string{"-bogus"}, base...), in),
		"NoInput":          base,
		"TwoInputs":        append(append([]string{}, base...), in, in),
		"NoClient":         {"-store", "memory", "-policy", pol, "-type", "user", in},
		"NoProfile":        {"-store", "memory", "-client", "x", in},
		"VendorAndPolicy":  {"-store", "memory", "-vendor", "janrain", "-policy", pol, "-type", "user", "-client", "x", in},
		"UnknownVendor":    {"-store", "memory", "-vendor", "okta", "-client", "x", in},
		"PolicyNoType":     {"-store", "memory", "-policy", pol, "-client", "x", in},
		"ZeroWorkers":      append(append([]string{"-workers", "0"}, base...), in),
		"HugeMaxLine":      append(append([]string{"-max-line", "1000000000"}, base...), in),
		"BadProgress":      append(append([]string{"-progress", "fancy"}, base...), in),
		"BadStore":         {"-store", "redis:x", "-policy", pol, "-type", "user", "-client", "x", in},
		"ReportIsInput":    append(append([]string{"-errors", in}, base...), in),
		"ClientCannotMake": {"-store", "memory", "-vendor", "janrain", "-client", "demo_reader", in},
		"UnknownType":      {"-store", "memory", "-policy", pol, "-type", "group", "-client", "x", in},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := runImporter(t, args...)
			require.ErrorIs(t, err, errUsage)
		})
	}
	_, _, err := runImporter(t, append(append([]string{}, base...), filepath.Join(dir, "missing.jsonl"))...)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestDryRun checks every line, reports the bad ones, and writes nothing:
// not even the SQLite file the -store names.
func TestDryRun(t *testing.T) {
	dir := t.TempDir()
	p := writeUsers(t, dir, 700, "dry")
	db := filepath.Join(dir, "never.db")
	out, _, err := runImporter(t, "-dry-run", "-store", "sqlite:"+db, "-policy", writePolicy(t, dir, "user"), "-type", "user",
		"-client", "importer", "-max-line", "4096", "-progress", "off", p.path)
	require.Error(t, err)
	assert.Contains(t, out, "dry run, nothing written")
	assert.NoFileExists(t, db)
	// A dry run cannot see that line 5*step repeats line 1's email.
	bad := map[int]string{}
	for n, c := range p.bad {
		if c != "not_unique" {
			bad[n] = c
		}
	}
	checkReport(t, p.path+".errors.jsonl", bad)
}

// TestLongLine refuses a 10 MB line without holding it, and imports the
// lines around it.
func TestLongLine(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "u.jsonl")
	f, err := os.Create(in)
	require.NoError(t, err)
	_, err = f.WriteString(`{"email": "a@example.com"}` + "\n" + `{"email": "b@example.com", "givenName": "`)
	require.NoError(t, err)
	chunk := []byte(strings.Repeat("y", 1<<20))
	for range 10 {
		_, err = f.Write(chunk)
		require.NoError(t, err)
	}
	_, err = f.WriteString(`"}` + "\n" + `{"email": "c@example.com"}`) // no final newline
	require.NoError(t, err)
	require.NoError(t, f.Close())

	db := "sqlite:" + filepath.Join(dir, "u.db")
	out, _, err := runImporter(t, "-store", db, "-policy", writePolicy(t, dir, "user"), "-type", "user",
		"-client", "importer", "-progress", "off", in)
	require.ErrorContains(t, err, "1 lines were not imported")
	assert.Contains(t, out, "imported 2 users")
	checkReport(t, in+".errors.jsonl", map[int]string{2: "too_large"})
}

// TestJanrainProfile imports under the Janrain profile: each record is
// what entity.create would have written, with a uuid key and the
// counter's id, and a second run finds every line imported.
func TestJanrainProfile(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "u.jsonl",
		`{"email": "ann@example.com", "givenName": "Ann", "primaryAddress": {"city": "Oslo"}}`,
		`{"email": "bob@example.com", "statuses": [{"status": "active"}]}`,
		`{"email": "bob@example.com"}`,
		`{"email": "cy@example.com", "uuid": "mine"}`)
	db := "sqlite:" + filepath.Join(dir, "u.db")
	// One worker: lines 2 and 3 hold the same email, and of two such
	// lines in flight at once either may win.
	args := []string{"-store", db, "-vendor", "janrain", "-client", janrainOwner, "-workers", "1", "-progress", "off", in}
	out, _, err := runImporter(t, args...)
	require.ErrorContains(t, err, "2 lines were not imported")
	assert.Contains(t, out, "imported 2 users")
	checkReport(t, in+".errors.jsonl", map[int]string{3: "not_unique", 4: "immutable"})

	out, stderr, err := runImporter(t, args...)
	require.Error(t, err)
	assert.Contains(t, out, "imported 0 users, 2 already there")
	assert.Contains(t, stderr, "resuming after line 4")
	checkReport(t, in+".errors.jsonl", map[int]string{3: "not_unique", 4: "immutable"})

	spec, err := storeopen.ParseSpec(db, "")
	require.NoError(t, err)
	st, err := spec.Open(context.Background())
	require.NoError(t, err)
	defer st.Close()
	page, err := st.(storage.Querier).List(context.Background(), storage.Query{Type: janrain.EntityType})
	require.NoError(t, err)
	require.Len(t, page.Records, 2)
	for i, r := range page.Records {
		names := map[string]bool{}
		for _, k := range r.Keys {
			names[k.Name] = true
		}
		assert.True(t, names["ext:uuid"], "uuid key of %s", r.ID)
		assert.True(t, names[importKey], "import key of %s", r.ID)
		assert.Equal(t, r.ID, string(r.Doc["id"].(interface{ String() string }).String()), "the id in the document")
		assert.NotEmpty(t, r.ID, "record %d", i)
	}
}
