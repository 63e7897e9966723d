package update

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/idupdate/idupdate/storage"
)

// Quotas bound how often confirmation attempts and resends may be made,
// per client and per subject (the record they are for), so that one
// noisy client uses up its own quota and not its neighbours', and no
// subject can be flooded with codes or guesses from every client at once.
// They are counted in the store (storage.Ephemeral), so across every
// process that shares it. A zero Quota sets no limit. These come on top
// of each challenge's own attempt limit and send limiter.
type Quotas struct {
	ConfirmPerClient  storage.Quota
	ConfirmPerSubject storage.Quota
	ResendPerClient   storage.Quota
	ResendPerSubject  storage.Quota
}

// WithQuotas sets the engine's quotas. New fails when one is not usable
// (storage.CheckQuota) or when any is set and the store does not
// implement storage.Ephemeral. A call past a quota is Throttled with
// Reason ReasonQuota and changes nothing; it is not counted either.
func WithQuotas(q Quotas) Option { return func(o *options) { o.quotas = q } }

// checkQuotas reports quotas New cannot enforce over store.
func checkQuotas(q Quotas, store storage.Store) (storage.Ephemeral, error) {
	set := false
	for _, x := range []storage.Quota{q.ConfirmPerClient, q.ConfirmPerSubject, q.ResendPerClient, q.ResendPerSubject} {
		if x == (storage.Quota{}) {
			continue
		}
		set = true
		if err := storage.CheckQuota("quota", x); err != nil {
			return nil, fmt.Errorf("update: quotas: %w", err)
		}
	}
	if !set {
		return nil, nil
	}
	eph, ok := store.(storage.Ephemeral)
	if !ok {
		return nil, fmt.Errorf("update: quotas need a store that implements storage.Ephemeral")
	}
	return eph, nil
}

// takeQuota counts one call of action by client on the record typ/id
// against the client's and the subject's quota.
func (e *Engine) takeQuota(ctx context.Context, action string, perClient, perSubject storage.Quota, typ, client, id string) error {
	for _, c := range []struct {
		q     storage.Quota
		who   string
		whose string
	}{
		{perClient, "client/" + typ + "/" + client, "this client"},
		{perSubject, "subject/" + typ + "/" + id, "this user"},
	} {
		if c.q == (storage.Quota{}) {
			continue
		}
		ok, err := e.quotaStore.Hit(ctx, quotaName(action, c.who), c.q, e.now())
		if err != nil {
			return e.storeError(err)
		}
		if !ok {
			return &Error{Code: Throttled, Reason: ReasonQuota, Message: "too many " + action + " requests for " + c.whose + ", try again later"}
		}
	}
	return nil
}

// quotaName names a quota in the store; long names are hashed to fit.
func quotaName(action, who string) string {
	name := "update/" + action + "/" + who
	if len(name) <= storage.MaxQuotaName {
		return name
	}
	sum := sha256.Sum256([]byte(who))
	return "update/" + action + "/sha256/" + hex.EncodeToString(sum[:])
}
