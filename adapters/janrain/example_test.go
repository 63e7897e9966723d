package janrain_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/idupdate/idupdate/adapters/janrain"
	"github.com/idupdate/idupdate/storage/memory"
)

// Example wires the adapter over a memory store with the demo clients and
// records, then updates plural element 5253 as the vendor's example 2
// does.
func Example() {
	cfg := janrain.DemoConfig()
	h, err := janrain.New(cfg, memory.New())
	if err != nil {
		panic(err)
	}
	if err := janrain.SeedDemo(context.Background(), h.Engine()); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	form := url.Values{
		"type_name":      {"user"},
		"id":             {"5252"},
		"attribute_name": {"/statuses#5253"},
		"value":          {`{"status":"active"}`},
		"include_record": {"true"},
	}
	req, _ := http.NewRequest("POST", srv.URL+"/entity.update", strings.NewReader(form.Encode()))
	req.SetBasicAuth("sgnyvus6pc4jm7khr2neq5gs89gbr2eq", "wt4c3un9wkkcfvyknqx44ync476afs68")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output: 200 {"result":{"id":5253,"status":"active"},"stat":"ok"}
}
