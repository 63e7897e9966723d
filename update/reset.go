package update

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// RuleCode names a reset code that failed (SecretValue.Code).
const RuleCode = "code"

// Reset configures the reset codes of a Secret field ("forgot password"):
// Engine.Reset issues a code, and a SecretValue carrying it (Code) sets a
// new secret without the current one. Reset codes follow the rules of
// verification codes: drawn from crypto/rand, stored only as keyed hashes,
// compared in constant time, valid for Code.TTL, locked after MaxAttempts
// wrong tries and rate limited by Cooldown and MaxSends per Window.
type Reset struct {
	// Channel is how the code is sent: "email" or "sms".
	Channel string `json:"channel"`
	// To is the JSON Pointer of the address the code is sent to, e.g.
	// "/email/email". A code returned to the caller needs none.
	To string `json:"to,omitempty"`
	// Code is the code's form and life. Zero fields: 6 characters of
	// A–Z0–9, valid one hour.
	Code CodeSpec `json:"code,omitempty"`
	// MaxAttempts wrong codes lock the reset. Default 5.
	MaxAttempts int `json:"maxAttempts,omitempty"`
	// Cooldown is the least time between two codes. Default none.
	Cooldown Duration `json:"cooldown,omitempty"`
	// MaxSends codes within Window; zero means no window limit.
	MaxSends int      `json:"maxSends,omitempty"`
	Window   Duration `json:"window,omitempty"`
}

// ResetRequest asks for a reset code for the secret at Path. Delivery is
// Send (to the address at the field's Reset.To, with a link rendered from
// LinkTemplate when one is given) or ReturnCode.
type ResetRequest struct {
	Type     string
	Locator  Locator
	Path     string
	Client   string
	Actor    string
	Delivery Delivery
}

// compileReset compiles a secret's reset codes into r, with the checks of
// a confirmable field's codes.
func (r *rule) compileReset(rs *Reset) error {
	return r.compileConfirm(&Confirm{
		Channel: rs.Channel, Mode: Hold, Code: rs.Code, MaxAttempts: rs.MaxAttempts,
		Cooldown: rs.Cooldown, MaxSends: rs.MaxSends, Window: rs.Window,
	})
}

// resetRule returns the secret rule at path if it has reset codes.
func (s *schema) resetRule(path string) *rule {
	if r := s.secrets[path]; r != nil && r.f.Secret.Reset != nil {
		return r
	}
	return nil
}

// Reset issues a reset code for the secret at req.Path: a new challenge
// replaces any earlier one at that path (its code stops working, its
// attempts are forgotten), while the send history carries over, so the
// limits hold across resets. A refused reset is Throttled with Reason
// "cooldown" or "window" and writes nothing. The code is sent through
// the Dispatcher after the commit, or returned in the Result's Pending
// (Delivery ReturnCode).
//
// The client needs Grant.Write, the path inside Grant.Paths and the record
// inside Grant.Subject.
//
// Returns Throttled, NothingPending (Reason "none": no address to send
// the code to), NotFound, Forbidden or Malformed.
func (e *Engine) Reset(ctx context.Context, req ResetRequest) (*Result, error) {
	ctx, span := e.tel.begin(ctx, "reset", req.Type)
	res, err := e.resetCall(ctx, req)
	e.tel.end(ctx, span, "reset", req.Type, res, err)
	return res, err
}

// resetCall is Reset without its telemetry.
func (e *Engine) resetCall(ctx context.Context, req ResetRequest) (*Result, error) {
	s, g, err := e.authorize(req.Type, req.Client, func(g Grant) bool { return g.Write })
	if err != nil {
		return nil, err
	}
	if err := checkRequestText("actor or client", req.Actor, req.Client); err != nil {
		return nil, err
	}
	r := s.resetRule(req.Path)
	if r == nil {
		return nil, &Error{Code: Malformed, Message: req.Path + " is not a secret with reset codes",
			Fields: []FieldError{{Path: req.Path, Rule: RuleUnknown, Message: "is not a secret with reset codes"}}}
	}
	if err := g.mayWrite(req.Path); err != nil {
		return nil, err
	}
	d := prepDelivery{kind: req.Delivery.Kind, orgID: req.Delivery.OrgID}
	switch req.Delivery.Kind {
	case "", Send:
		d.kind = Send
		if req.Delivery.LinkTemplate != "" {
			t, err := verify.ParseLinkTemplate(req.Delivery.LinkTemplate)
			if err != nil {
				return nil, &Error{Code: Malformed, Message: "invalid delivery",
					Fields: []FieldError{{Path: req.Path, Rule: RuleTemplate, Message: linkTemplateMessage(err)}}}
			}
			d.link = t
		}
	case ReturnCode:
		if !g.ReturnCode {
			return nil, errReturnCode([]FieldError{returnCodeDenied(req.Path)})
		}
	default:
		return nil, &Error{Code: Malformed, Message: "a reset code is sent or returned",
			Fields: []FieldError{{Path: req.Path, Rule: RuleType, Message: "delivery " + string(req.Delivery.Kind) + " is not send or return"}}}
	}
	call := ownedCall{action: "resend", perClient: e.quotas.ResendPerClient, perSubject: e.quotas.ResendPerSubject,
		typ: req.Type, client: req.Client, loc: req.Locator}
	rec, o, err := e.updateOwned(ctx, s, g, call, func(rec *storage.Record) (*outcome, error) {
		return e.reset(r, d, &req, rec)
	})
	if err != nil {
		return nil, err
	}
	return e.finish(ctx, s, rec, o, &Request{}), nil
}

// reset runs inside the store transaction: it opens a new reset challenge
// at the secret's path, if the limiter lets a code go out now.
func (e *Engine) reset(r *rule, d prepDelivery, req *ResetRequest, rec *storage.Record) (*outcome, error) {
	now := e.now()
	rs := r.f.Secret.Reset
	to := ""
	if rs.To != "" {
		if v, ok := getPath(rec.Doc, mustSegs(rs.To)); ok {
			to, _ = v.(string)
		}
	}
	if to == "" && d.kind == Send {
		return nil, &Error{Code: NothingPending, Message: "there is no address to send a reset code to", Reason: ReasonNone}
	}
	kept := -1
	var sends []time.Time
	for i, ch := range rec.Pending {
		if ch.Path == r.path {
			kept, sends = i, ch.Sends
		}
	}
	sends = r.limiter.Prune(append([]time.Time(nil), sends...), now)
	if dec := r.limiter.Decide(sends, now); dec != verify.Allowed {
		return nil, &Error{Code: Throttled, Message: throttleMessage(dec), Reason: string(dec)}
	}
	value, err := json.Marshal(to)
	if err != nil {
		return nil, &Error{Code: Internal, Message: "internal error", Err: err}
	}
	ch := verify.Challenge{
		ID: e.newID(), Path: r.path, Channel: verify.Channel(rs.Channel), Value: value,
		Created: now, State: verify.Pending, Sends: sends,
	}
	is, err := e.issue(&ch, r, d, now)
	if err != nil {
		return nil, err
	}
	is.to, is.ch = to, ch
	pending := append([]verify.Challenge(nil), rec.Pending...)
	if kept >= 0 {
		pending[kept] = ch
	} else {
		pending = append(pending, ch)
	}
	rec.Pending = pending
	return &outcome{issued: []issued{is},
		event: &storage.Event{Time: now, Kind: "reset", Actor: req.Actor, Client: req.Client}}, nil
}

// useResetCodes runs inside an update's transaction, before the change is
// planned. Each secret sent with a reset code must match the open reset
// challenge at its path: the right code closes it (Confirmed); a wrong one
// is counted, and then fail is the outcome to commit (the attempt, nothing
// else) and report. A secret written without a code supersedes an open
// reset challenge at its path. pending is the new pending list, changed
// reports whether it differs from rec.Pending.
func (e *Engine) useResetCodes(s *schema, p *prepared, rec *storage.Record, now time.Time, actor, client string) (pending []verify.Challenge, changed bool, fail *outcome) {
	pending = rec.Pending
	own := func() {
		if !changed {
			pending = append([]verify.Challenge(nil), rec.Pending...)
			changed = true
		}
	}
	for path, ps := range p.secrets {
		r := s.resetRule(path)
		if r == nil {
			continue
		}
		i := -1
		for j, ch := range pending {
			if ch.Path == path {
				i = j
			}
		}
		if ps.code == "" {
			if i >= 0 && pending[i].State == verify.Pending {
				own()
				ch := pending[i].Clone()
				ch.Close(verify.Superseded)
				pending[i] = ch
			}
			continue
		}
		if i < 0 {
			return nil, false, &outcome{err: refuseResetCodes(&prepared{secrets: map[string]preparedSecret{path: ps}})}
		}
		if pending[i].State != verify.Pending {
			return nil, false, &outcome{err: withField(closedError(pending, []int{i}), path)}
		}
		ch := pending[i].Clone()
		err := ch.Check(e.codes, verify.Normalize(ps.code, r.code), now, r.attempts)
		own()
		pending[i] = ch
		if err != nil {
			failure := withField(checkError(err), path)
			if errors.Is(err, verify.ErrNoCode) {
				return nil, false, &outcome{err: failure}
			}
			rec.Pending = pending
			return nil, false, &outcome{err: failure,
				event: &storage.Event{Time: now, Kind: "verify_failed", Actor: actor, Client: client}}
		}
	}
	return pending, changed, nil
}

// withField names the secret path a reset-code error is about, so a
// caller can tell it from a verification code's.
func withField(err error, path string) error {
	e := AsError(err)
	cp := *e
	cp.Fields = append([]FieldError{{Path: path, Rule: RuleCode, Message: e.Message}}, e.Fields...)
	return &cp
}

// refuseResetCodes refuses reset codes sent with a new record, which has
// no reset challenge yet.
func refuseResetCodes(p *prepared) error {
	for path, ps := range p.secrets {
		if ps.code != "" {
			return &Error{Code: NothingPending, Message: "no reset code was issued", Reason: ReasonNone,
				Fields: []FieldError{{Path: path, Rule: RuleCode, Message: "no reset code was issued"}}}
		}
	}
	return nil
}
