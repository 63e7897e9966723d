package janrain

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/update"
)

// maxAuthHeader bounds the credential of the Authorization header before
// it is decoded.
const maxAuthHeader = httpx.MaxCredential

// ParseBasic reads an HTTP Basic Authorization header value. Surplus '='
// padding is tolerated, because the vendor's own example 1 sends a
// credential ending in "==" where standard base64 has one '='.
func ParseBasic(header string) (id, secret string, ok bool) {
	scheme, cred, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Basic") || len(cred) > maxAuthHeader {
		return "", "", false
	}
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(cred), "="))
	if err != nil {
		return "", "", false
	}
	id, secret, found = strings.Cut(string(raw), ":")
	if !found || id == "" {
		return "", "", false
	}
	return id, secret, true
}

// clientEntry is a configured client as the handler keeps it.
type clientEntry struct {
	secret httpx.SecretHash
	class  Class
	// bucket is the key of the client's rate-limit bucket (Handler.limit):
	// a hash of the id, so ids of any length and alphabet make keys of one
	// shape.
	bucket string
}

// clients checks Basic credentials against the configured clients.
type clients map[string]clientEntry

func newClients(cs []Client) clients {
	m := make(clients, len(cs))
	for _, c := range cs {
		sum := sha256.Sum256([]byte(c.ID))
		m[c.ID] = clientEntry{secret: httpx.HashSecret(c.Secret), class: c.Class, bucket: "janrain/rate/" + hex.EncodeToString(sum[:])}
	}
	return m
}

// authenticate returns the client id and entry of the credentials in an
// Authorization header. The secret comparison runs in constant time and
// also for unknown ids, so timing does not tell which ids exist.
func (cs clients) authenticate(header string) (string, clientEntry, error) {
	id, secret, ok := ParseBasic(header)
	if !ok {
		return "", clientEntry{}, newArgError(update.Forbidden, ruleCredentials, "", "send the client_id and client_secret with HTTP Basic authentication")
	}
	// An unknown id's zero entry matches no secret, after the same work.
	e, known := cs[id]
	if !e.secret.Equal(secret) || !known {
		return "", clientEntry{}, newArgError(update.Forbidden, ruleCredentials, "", "invalid client credentials")
	}
	return id, e, nil
}
