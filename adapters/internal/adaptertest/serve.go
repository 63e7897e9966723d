package adaptertest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// serveBatch is how many requests one Prepare of a Serve step builds.
const serveBatch = 256

// Serve is a Step that hands h one request per iteration and checks the
// recorded answer with ok. The requests are made by build, with
// httptest.NewRequest as a client test would, a batch at a time in the
// step's Prepare, so building them is in none of the figures: a request
// is the handler's input, as the engine baseline's update.Request is
// decoded before its loop. What Run measures is the handler from request
// to recorded answer, the ResponseRecorder included.
//
// build is given the iteration's number, as Step.Run is, and may do what
// the request needs ahead of it (issue the token it spends). Building a
// request with httptest.NewRequest costs about as much as an engine
// Apply on the memory store (it reads the request line through a fresh
// 4 KiB bufio.Reader), which is why it is kept out: with it, a handler
// doing nothing would already measure twice its baseline.
func Serve(name string, h http.Handler, build func(tb testing.TB, i int) *http.Request, ok func(*httptest.ResponseRecorder) bool) Step {
	reqs := make([]*http.Request, serveBatch)
	return Step{
		Name:  name,
		Batch: serveBatch,
		Prepare: func(tb testing.TB, i int) {
			for k := range reqs {
				reqs[k] = build(tb, i+k)
			}
		},
		Run: func(tb testing.TB, i int) {
			k := i % serveBatch
			req := reqs[k]
			reqs[k] = nil // served once; let it go
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if !ok(rec) {
				tb.Fatalf("%s: status %d: %s", name, rec.Code, rec.Body)
			}
		},
	}
}

// Status200 is an ok for Serve: the answer's status is 200.
func Status200(rec *httptest.ResponseRecorder) bool { return rec.Code == http.StatusOK }
