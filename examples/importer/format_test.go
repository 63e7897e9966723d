package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/adapters/zitadel"
	"github.com/idupdate/idupdate/examples/internal/shimconfig"
	"github.com/idupdate/idupdate/examples/internal/storeopen"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// janrainOwnerSecret is the secret of janrainOwner in the demo
// configuration.
const janrainOwnerSecret = "wt4c3un9wkkcfvyknqx44ync476afs68"

// plantedPassword is the password of the vendor-shaped testdata lines,
// good and bad; the error report must never repeat it.
const plantedPassword = "Pl4nted-Passw0rd!Zq"

// vendorFormat is one -format's testdata: each good line is sent to the
// vendor's own create call too, and the records compared.
type vendorFormat struct {
	client string
	file   string
	// bad are the bad lines with the code the report gives each.
	bad map[int]string
	// post sends one body to the vendor's create call as client and
	// returns the new record's id.
	post func(t *testing.T, srv *httptest.Server, body string) string
	// name returns the username a document is found by.
	name func(doc map[string]any) string
}

var formatCases = map[string]vendorFormat{
	"janrain": {
		client: janrainOwner, file: "testdata/janrain.jsonl",
		bad: map[int]string{3: "malformed", 4: "invalid", 6: "invalid", 7: "malformed", 8: "invalid"},
		post: func(t *testing.T, srv *httptest.Server, body string) string {
			var out struct{ ID json.Number }
			form := url.Values{"type_name": {"user"}, "attributes": {body}}
			postJSON(t, srv.URL+"/entity.create", "Basic "+base64.StdEncoding.EncodeToString([]byte(janrainOwner+":"+janrainOwnerSecret)),
				"application/x-www-form-urlencoded", http.StatusOK, form.Encode(), &out)
			return out.ID.String()
		},
		name: func(doc map[string]any) string { s, _ := doc["email"].(string); return s },
	},
	"zitadel": {
		client: "zitadel-admin", file: "testdata/zitadel.jsonl",
		bad: map[int]string{3: "malformed", 5: "malformed", 6: "invalid", 7: "malformed", 8: "invalid"},
		post: func(t *testing.T, srv *httptest.Server, body string) string {
			var out struct{ UserID string }
			postJSON(t, srv.URL+"/v2/users/human", "Bearer "+zitadel.DemoAdminToken, "application/json", http.StatusCreated, body, &out)
			return out.UserID
		},
		name: func(doc map[string]any) string { s, _ := doc["username"].(string); return s },
	},
	"scim": {
		client: "scim:demo-admin", file: "testdata/scim.jsonl",
		bad: map[int]string{3: "scim.invalidSyntax", 4: "invalid", 6: "invalid", 7: "scim.invalidSyntax", 8: "scim.invalidSyntax"},
		post: func(t *testing.T, srv *httptest.Server, body string) string {
			var out struct{ ID string }
			postJSON(t, srv.URL+"/scim/v2/Users", "Bearer demo-scim-admin", "application/scim+json", http.StatusCreated, body, &out)
			return out.ID
		},
		name: func(doc map[string]any) string { s, _ := doc["userName"].(string); return s },
	},
}

// postJSON posts body with the Authorization header auth and decodes the
// answer, which must have the status, into out.
func postJSON(t *testing.T, url, auth, ctype string, status int, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", ctype)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, status, res.StatusCode, "%s", b)
	require.NoError(t, json.Unmarshal(b, out))
}

// adapters builds the shim server's demo adapters over store, as the
// importer builds them.
func adapters(t *testing.T, store storage.Store) []shimconfig.Adapter {
	t.Helper()
	cfg, err := shimconfig.Load("")
	require.NoError(t, err)
	opts := []update.Option{update.WithDispatcher(discard), update.WithCodeKey(bytes.Repeat([]byte{7}, 32))}
	as, err := shimconfig.Build(store, cfg, slog.New(slog.DiscardHandler), func(string) []update.Option { return opts })
	require.NoError(t, err)
	return as
}

func engineOf(t *testing.T, as []shimconfig.Adapter, vendor string) *update.Engine {
	t.Helper()
	for _, a := range as {
		if a.Name == vendor {
			return a.Engine
		}
	}
	t.Fatalf("no adapter %s", vendor)
	return nil
}

// comparable returns what of a view the importer and the vendor's call
// must agree on: all but ids, times and keys (the importer adds its own).
// SCIM's record times are written into the document too (meta).
func comparable(t *testing.T, v *update.View) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"id", "created", "updated", "keys"} {
		delete(m, k)
	}
	if doc, ok := m["doc"].(map[string]any); ok {
		delete(doc, "id")
		if meta, ok := doc["meta"].(map[string]any); ok {
			delete(meta, "created")
			delete(meta, "lastModified")
		}
	}
	if ps, ok := m["pending"].([]any); ok {
		for _, p := range ps {
			delete(p.(map[string]any), "id")
			delete(p.(map[string]any), "expires")
		}
	}
	return m
}

// TestVendorFormats imports each format's testdata, checks the report
// lists exactly the bad lines without the planted password, and checks
// every imported user equals the user the vendor's own create call makes
// from the same body. A dry run reports the same lines and writes
// nothing.
func TestVendorFormats(t *testing.T) {
	for format, vf := range formatCases {
		t.Run(format, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			data, err := os.ReadFile(vf.file)
			require.NoError(t, err)
			in := filepath.Join(dir, format+".jsonl")
			require.NoError(t, os.WriteFile(in, data, 0o644))
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")

			dryDB := filepath.Join(dir, "dry.db")
			dryReport := filepath.Join(dir, "dry.errors.jsonl")
			args := []string{"-vendor", format, "-format", format, "-client", vf.client, "-progress", "off"}
			_, _, err = runImporter(t, append(append([]string{}, args...), "-dry-run", "-store", "sqlite:"+dryDB, "-errors", dryReport, in)...)
			require.Error(t, err, "bad lines make the run fail")
			assert.NoFileExists(t, dryDB)
			checkFormatReport(t, dryReport, vf.bad)

			db := filepath.Join(dir, "import.db")
			report := filepath.Join(dir, "import.errors.jsonl")
			_, _, err = runImporter(t, append(append([]string{}, args...), "-store", "sqlite:"+db, "-errors", report, in)...)
			require.Error(t, err)
			checkFormatReport(t, report, vf.bad)

			spec, err := storeopen.ParseSpec("sqlite:"+db, "")
			require.NoError(t, err)
			st, err := spec.Open(ctx)
			require.NoError(t, err)
			defer st.Close()
			imported := engineOf(t, adapters(t, st), format)
			typ := vendorType(format)
			page, err := st.(storage.Querier).List(ctx, storage.Query{Type: typ, Limit: storage.MaxLimit})
			require.NoError(t, err)
			byName := map[string]string{}
			for _, r := range page.Records {
				byName[vf.name(r.Doc)] = r.ID
			}

			mem := memory.New()
			as := adapters(t, mem)
			mux := http.NewServeMux()
			for _, a := range as {
				a.Register(mux)
			}
			srv := httptest.NewServer(mux)
			defer srv.Close()
			vendor := engineOf(t, as, format)

			good := 0
			for i, l := range lines {
				if _, bad := vf.bad[i+1]; bad || strings.TrimSpace(l) == "" {
					continue
				}
				good++
				want, err := vendor.Get(ctx, typ, update.ByID(vf.post(t, srv, l)))
				require.NoError(t, err)
				id, ok := byName[vf.name(want.Doc)]
				require.True(t, ok, "line %d was not imported", i+1)
				got, err := imported.Get(ctx, typ, update.ByID(id))
				require.NoError(t, err)
				assert.Equal(t, comparable(t, want), comparable(t, got), "line %d", i+1)
			}
			assert.Len(t, page.Records, good, "records imported")
		})
	}
}

// checkFormatReport checks that the report lists exactly the bad lines,
// in order, with their codes, and never the planted password.
func checkFormatReport(t *testing.T, path string, bad map[int]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(b), plantedPassword)
	got := map[int]string{}
	var order []int
	for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var e entry
		require.NoError(t, json.Unmarshal([]byte(l), &e), l)
		got[e.Line] = string(e.Code)
		order = append(order, e.Line)
		assert.NotEmpty(t, e.Message)
	}
	assert.Equal(t, bad, got, "report")
	assert.IsIncreasing(t, order, "report order")
}

// TestFormatRefused: a -format must match -vendor.
func TestFormatRefused(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "u.jsonl", `{"email": "a@example.com"}`)
	pol := writePolicy(t, dir, "user")
	for name, args := range map[string][]string{
		"UnknownFormat":     {"-vendor", "zitadel", "-format", "okta", "-client", "zitadel-admin"},
		"FormatOfOther":     {"-vendor", "druid", "-format", "zitadel", "-client", "x"},
		"FormatWithPolicy":  {"-policy", pol, "-type", "user", "-format", "scim", "-client", "x"},
		"SCIMEngineShaped":  {"-vendor", "scim", "-client", "scim:demo-admin"},
		"ZitadelSelfToken":  {"-vendor", "zitadel", "-format", "zitadel", "-client", "zitadel-self"},
		"SCIMReadOnly":      {"-vendor", "scim", "-format", "scim", "-client", "scim:demo-readonly"},
		"JanrainReader":     {"-vendor", "janrain", "-format", "janrain", "-client", "demo_reader"},
		"SCIMUnknownClient": {"-vendor", "scim", "-format", "scim", "-client", "nobody"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := runImporter(t, append(append([]string{"-store", "memory", "-progress", "off"}, args...), in)...)
			require.ErrorIs(t, err, errUsage)
		})
	}
}
