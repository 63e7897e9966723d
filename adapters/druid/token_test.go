package druid

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage/memory"
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
