package janrain

import (
	"bytes"
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
	var buf [basicBuffer]byte
	rawID, rawSecret, ok := parseBasic(header, buf[:])
	return string(rawID), string(rawSecret), ok
}

// basicBuffer is the size of the buffer a credential is decoded in
// without a heap allocation: room for a credential of two 128-byte
// values, and its decoding. A longer one (up to maxAuthHeader) is decoded
// into a buffer of its own.
const basicBuffer = 640

// parseBasic is ParseBasic, decoding into buf when it is large enough.
// id and secret are slices of the decoded credential.
func parseBasic(header string, buf []byte) (id, secret []byte, ok bool) {
	scheme, cred, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Basic") || len(cred) > maxAuthHeader {
		return nil, nil, false
	}
	cred = strings.TrimRight(strings.TrimSpace(cred), "=")
	// The encoded credential is copied beside the room for its decoding,
	// because the decoder reads bytes, and a conversion would copy it to
	// the heap.
	enc := base64.RawStdEncoding
	if n := len(cred) + enc.DecodedLen(len(cred)); n > len(buf) {
		buf = make([]byte, n)
	}
	src := buf[:copy(buf, cred)]
	dst := buf[len(src):]
	n, err := enc.Decode(dst, src)
	if err != nil {
		return nil, nil, false
	}
	id, secret, found = bytes.Cut(dst[:n], []byte{':'})
	if !found || len(id) == 0 {
		return nil, nil, false
	}
	return id, secret, true
}

// clientEntry is a configured client as the handler keeps it.
type clientEntry struct {
	id     string
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
		m[c.ID] = clientEntry{id: c.ID, secret: httpx.HashSecret(c.Secret), class: c.Class, bucket: "janrain/rate/" + hex.EncodeToString(sum[:])}
	}
	return m
}

// authenticate returns the entry of the client whose credentials are in
// an Authorization header. The secret comparison runs in constant time and
// also for unknown ids, so timing does not tell which ids exist.
func (cs clients) authenticate(header string) (clientEntry, error) {
	var buf [basicBuffer]byte
	id, secret, ok := parseBasic(header, buf[:])
	if !ok {
		return clientEntry{}, newArgError(update.Forbidden, ruleCredentials, "", "send the client_id and client_secret with HTTP Basic authentication")
	}
	// An unknown id's zero entry matches no secret, after the same work.
	e, known := cs[string(id)]
	if !e.secret.EqualBytes(secret) || !known {
		return clientEntry{}, newArgError(update.Forbidden, ruleCredentials, "", "invalid client credentials")
	}
	return e, nil
}
