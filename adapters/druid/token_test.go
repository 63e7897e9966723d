package druid

import (
	"encoding/base64"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/storage/memory"
	"github.com/idupdate/idupdate/update"
)

// TestHandlerTokenClient checks that the handler reads the client a token
// names as tokenClient does: configured names from its table, any other
// name, however encoded, by decoding it.
func TestHandlerTokenClient(t *testing.T) {
	cfg := DemoConfig()
	cfg.Clients = append(cfg.Clients, Client{ID: "app/ü?", Secret: "s", EntryPoints: []string{"e"}})
	h, err := New(cfg, memory.New())
	require.NoError(t, err)
	enc := base64.RawURLEncoding.EncodeToString
	toks := []string{"", ".", "x", "no-name-at-all", ".abc", "!!.abc", enc([]byte("unknown-app")) + ".abc"}
	for _, cl := range cfg.Clients {
		name := enc([]byte(cl.ID))
		toks = append(toks, name+".random", name+".", name, name+"..x")
		// The same bytes with other trailing bits: not the table's key.
		last := name[len(name)-1]
		toks = append(toks, name[:len(name)-1]+string(last+1)+".random")
	}
	for _, tok := range toks {
		wantClient, wantOK := tokenClient(tok)
		client, ok := h.tokenClient(tok)
		assert.Equal(t, wantOK, ok, "%q", tok)
		assert.Equal(t, wantClient, client, "%q", tok)
	}
	client, ok := h.tokenClient(enc([]byte(DemoClientID)) + ".x")
	assert.True(t, ok)
	assert.Equal(t, DemoClientID, client)
}

// TestTokenError: a spend refused for a reason DRUID names gets its
// answer wherever the *storage.SpendError sits in the chain, the engine's
// own answer passes as it is, and anything else is internal with its
// cause kept.
func TestTokenError(t *testing.T) {
	spend := func(err error) error { return &storage.SpendError{Err: fmt.Errorf("storage: token: %w", err)} }
	engine := &update.Error{Code: update.Conflict, Message: "version mismatch"}
	other := errors.New("disk on fire")
	for _, tc := range []struct {
		name string
		err  error
		code update.Code
		msg  string
	}{
		{"Spent", spend(storage.ErrTokenSpent), codeUnauthorized, "token already used"},
		{"Expired", spend(storage.ErrTokenExpired), codeUnauthorized, "token expired"},
		{"Unknown", spend(storage.ErrNotFound), codeUnauthorized, "invalid token"},
		{"SpendInsideEngineError", &update.Error{Code: update.Internal, Message: "x", Err: spend(storage.ErrTokenSpent)},
			codeUnauthorized, "token already used"},
		{"SpendForAnotherReason", spend(other), update.Internal, "cannot check the token now"},
		{"EngineAnswer", fmt.Errorf("apply: %w", engine), update.Conflict, "version mismatch"},
		{"Other", other, update.Internal, "cannot check the token now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tokenError(tc.err)
			var ue *update.Error
			require.ErrorAs(t, got, &ue)
			assert.Equal(t, tc.code, ue.Code)
			assert.Equal(t, tc.msg, ue.Message)
			switch tc.name {
			case "EngineAnswer":
				assert.Same(t, tc.err, got, "the engine's answer as it is")
			case "SpendForAnotherReason", "Other":
				assert.ErrorIs(t, got, other, "the cause is kept")
			}
		})
	}
}
