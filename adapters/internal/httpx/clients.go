package httpx

import "fmt"

// ClientList is an adapter's configured clients, as CheckClients sees
// them.
type ClientList[T any] struct {
	Clients []T
	// ID and Secret return a client's id and its secret (a token, or a
	// password checked against the id).
	ID, Secret func(T) string
	// Noun names a client in errors ("client", "app"), SecretNoun its
	// secret ("token", "secret").
	Noun, SecretNoun string
	// Reserved, when set, returns why an id no client may have is
	// refused ("is reserved"), and "" for an id that is fine.
	Reserved func(id string) string
	// UniqueSecrets refuses a secret two clients share: where the secret
	// alone names the client (a bearer token), a shared one names neither.
	UniqueSecrets bool
}

// Check returns the first problem of the list, or nil: a client without
// an id, an id Reserved refuses, an id given twice, a client without a
// secret, or with UniqueSecrets a secret given twice. The errors name
// clients by id and never repeat a secret.
func (l ClientList[T]) Check() error {
	ids, secrets := make(map[string]bool, len(l.Clients)), make(map[string]bool, len(l.Clients))
	for i, c := range l.Clients {
		id, secret := l.ID(c), l.Secret(c)
		switch {
		case id == "":
			return fmt.Errorf("%s %d has no id", l.Noun, i)
		case l.Reserved != nil && l.Reserved(id) != "":
			return fmt.Errorf("%s %q: the id %s", l.Noun, id, l.Reserved(id))
		case ids[id]:
			return fmt.Errorf("%s %q appears twice", l.Noun, id)
		case secret == "":
			return fmt.Errorf("%s %q has no %s", l.Noun, id, l.SecretNoun)
		case l.UniqueSecrets && secrets[secret]:
			return fmt.Errorf("%s %q shares its %s with another %s", l.Noun, id, l.SecretNoun, l.Noun)
		}
		ids[id], secrets[secret] = true, true
	}
	return nil
}

// ReservedID is a ClientList.Reserved for ids kept for the adapter's own
// use: it refuses reserved itself.
func ReservedID(id, reserved string) string {
	if id == reserved {
		return "is reserved"
	}
	return ""
}
