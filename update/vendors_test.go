package update_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/verify"
)

// The confirm semantics each vendor adapter needs, shown on the engine
// alone: a vendor-shaped policy and a sequence of steps, each with the
// outcome the adapter translates.

type step struct {
	name     string
	advance  time.Duration
	client   string
	doc      map[string]any
	delivery update.DeliveryKind
	confirm  string // confirm the path with the last code sent to this address
	// expectations
	code       update.Code
	unchanged  bool
	throttled  string // of the one pending challenge in the result; "-" for none
	dispatched bool
	returned   bool   // a code came back in the result
	value      any    // the established value after the step
	verified   any    // the verified flag after the step
	holder     string // NotUnique: the holder's state
}

func vendorPolicy(path, flag string, mode update.ConfirmMode, normalize update.Normalize, c update.Confirm) *update.Policy {
	c.Mode, c.VerifiedPath = mode, flag
	if c.Channel == "" {
		c.Channel = "email"
	}
	return &update.Policy{
		Types: map[string]*update.Schema{"user": {Fields: map[string]*update.Field{
			path: {Type: update.TypeString, Unique: true, Normalize: normalize, Region: "NO", Confirm: &c},
			flag: {Type: update.TypeBoolean},
		}}},
		Grants: map[string]update.Grant{
			"app":   {Write: true, Create: true, ReturnCode: true},
			"admin": {Write: true, Create: true, AssertVerified: true, ReturnCode: true},
			"self":  {Write: true},
		},
	}
}

func runSteps(t *testing.T, pol *update.Policy, path, flag, initial string, steps []step) {
	f := newFixture(t, nil, pol)
	_, err := f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "u1", Client: "admin",
		Doc: map[string]any{path[1:]: initial}, Verified: []string{path}})
	require.NoError(t, err)
	_, err = f.eng.Create(ctx, update.CreateRequest{Type: "user", ID: "sleeper", Client: "admin", State: storage.Inactive,
		Doc: map[string]any{}})
	require.NoError(t, err)
	for _, s := range steps {
		f.clock.Advance(s.advance)
		client := s.client
		if client == "" {
			client = "app"
		}
		var res *update.Result
		switch {
		case s.confirm != "":
			code, ok := f.sent.CodeFor(s.confirm)
			require.True(t, ok, "%s: a code went to %s", s.name, s.confirm)
			res, err = f.eng.Confirm(ctx, update.ConfirmRequest{Type: "user", Locator: update.ByID("u1"), Client: client, Path: path, Code: code})
		case s.doc != nil && s.doc["@sleeper"] != nil:
			d := map[string]any{path[1:]: s.doc["@sleeper"]}
			_, err = f.eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("sleeper"), Client: "admin", Doc: d,
				Delivery: map[string]update.Delivery{path: {Kind: update.AlreadyVerified}}})
			require.NoError(t, err, s.name)
			continue
		default:
			req := update.Request{Type: "user", Locator: update.ByID("u1"), Client: client, Doc: s.doc}
			if s.delivery != "" {
				req.Delivery = map[string]update.Delivery{path: {Kind: s.delivery}}
			}
			res, err = f.eng.Apply(ctx, req)
		}
		require.Equal(t, s.code, update.ErrorCode(err), "%s: %v", s.name, err)
		if s.holder != "" {
			require.NotNil(t, update.AsError(err).Holder, s.name)
			assert.Equal(t, storage.RecordState(s.holder), update.AsError(err).Holder.HolderState, s.name)
		}
		if err == nil {
			assert.Equal(t, s.unchanged, res.Unchanged, "%s: unchanged", s.name)
			if s.throttled != "" && s.throttled != "-" {
				require.Len(t, res.Pending, 1, s.name)
				assert.Equal(t, s.throttled, res.Pending[0].Throttled, "%s: throttled", s.name)
			}
			if s.throttled == "-" {
				assert.Empty(t, res.Pending, "%s: no challenge", s.name)
			}
			assert.Equal(t, s.dispatched, res.VerificationDispatched, "%s: dispatched", s.name)
			returned := len(res.Pending) > 0 && res.Pending[0].Code != ""
			assert.Equal(t, s.returned, returned, "%s: code returned", s.name)
		}
		v := f.get(t, "u1")
		assert.Equal(t, s.value, v.Doc[path[1:]], "%s: established value", s.name)
		assert.Equal(t, s.verified, v.Doc[flag[1:]], "%s: verified flag", s.name)
	}
}

// DRUID: ids are held until confirmed; the old value stays established and
// confirmed; a client allowed to assert confirmation sets a value at once.
func TestVendorDRUID(t *testing.T) {
	pol := vendorPolicy("/email", "/emailConfirmed", update.Hold, update.NormalizeEmail, update.Confirm{})
	runSteps(t, pol, "/email", "/emailConfirmed", "jane@example.com", []step{
		{name: "ChangeIsHeld", doc: map[string]any{"email": "jane.new@example.com"}, dispatched: true,
			value: "jane@example.com", verified: true},
		{name: "SameRequestAgainIsNothingNew", doc: map[string]any{"email": "jane.new@example.com"}, unchanged: true,
			throttled: "pending", value: "jane@example.com", verified: true},
		{name: "ConfirmEstablishes", confirm: "jane.new@example.com", value: "jane.new@example.com", verified: true},
		{name: "RestatingConfirmedIsNoOp", client: "self", doc: map[string]any{"email": "jane.new@example.com"},
			delivery: update.AlreadyVerified, unchanged: true, value: "jane.new@example.com", verified: true},
		{name: "AssertConfirmedNeedsGrant", client: "self", doc: map[string]any{"email": "j@example.com"},
			delivery: update.AlreadyVerified, code: update.Forbidden, value: "jane.new@example.com", verified: true},
		{name: "AssertConfirmedAppliesAtOnce", client: "admin", doc: map[string]any{"email": "j@example.com"},
			delivery: update.AlreadyVerified, throttled: "-", value: "j@example.com", verified: true},
	})
}

// Rubiq: held, with a two-minute cooldown (200.3), a window limit (200.2),
// a dispatched code (200.1), and uniqueness checked again at verify time
// against active and inactive holders (400.4 / 400.5).
func TestVendorRubiq(t *testing.T) {
	pol := vendorPolicy("/mobile", "/mobileVerified", update.Hold, update.NormalizePhone,
		update.Confirm{Channel: "sms", Cooldown: update.Duration(2 * time.Minute), MaxSends: 2,
			Window: update.Duration(time.Hour), Code: update.CodeSpec{Length: 4, Alphabet: verify.Digits}})
	runSteps(t, pol, "/mobile", "/mobileVerified", "+4790000001", []step{
		{name: "Dispatched_200.1", doc: map[string]any{"mobile": "+47 900 00 011"}, dispatched: true, throttled: "",
			value: "+4790000001", verified: true},
		{name: "SameValueStillProcessing_200.3", doc: map[string]any{"mobile": "90000011"}, unchanged: true,
			throttled: "pending", value: "+4790000001", verified: true},
		{name: "WithinTwoMinutes_200.3", advance: time.Minute, doc: map[string]any{"mobile": "+4790000012"},
			throttled: "cooldown", value: "+4790000001", verified: true},
		{name: "AfterCooldown_200.1", advance: 2 * time.Minute, doc: map[string]any{"mobile": "+4790000013"},
			dispatched: true, value: "+4790000001", verified: true},
		{name: "WindowLimit_200.2", advance: 3 * time.Minute, doc: map[string]any{"mobile": "+4790000014"},
			throttled: "window", value: "+4790000001", verified: true},
		{name: "WindowOver_200.1", advance: time.Hour, doc: map[string]any{"mobile": "+4790000015"},
			dispatched: true, value: "+4790000001", verified: true},
		{name: "TakenMeanwhileByInactive", doc: map[string]any{"@sleeper": "+4790000015"}, value: "+4790000001", verified: true},
		{name: "VerifyRechecks_400.5", confirm: "+4790000015", code: update.NotUnique, holder: "inactive",
			value: "+4790000001", verified: true},
	})
}

// ZITADEL: applied at once and marked unverified; the delivery oneof picks
// send (the default), return or already verified; the same address again
// changes nothing, or only the verified flag when verification is asserted.
func TestVendorZITADEL(t *testing.T) {
	pol := vendorPolicy("/email", "/isEmailVerified", update.ApplyUnverified, update.NormalizeEmail, update.Confirm{})
	runSteps(t, pol, "/email", "/isEmailVerified", "minnie@example.com", []step{
		{name: "DefaultSends", doc: map[string]any{"email": "minnie@mouse.example"}, dispatched: true,
			value: "minnie@mouse.example", verified: false},
		{name: "SameAddressIsNoOp", doc: map[string]any{"email": "minnie@MOUSE.example"}, unchanged: true,
			value: "minnie@mouse.example", verified: false},
		{name: "ReturnCode", doc: map[string]any{"email": "m2@example.com"}, delivery: update.ReturnCode, returned: true,
			value: "m2@example.com", verified: false},
		{name: "IsVerifiedForbiddenToSelf", client: "self", doc: map[string]any{"email": "m3@example.com"},
			delivery: update.AlreadyVerified, code: update.Forbidden, value: "m2@example.com", verified: false},
		{name: "IsVerifiedOnSameAddress", client: "admin", doc: map[string]any{"email": "m2@example.com"},
			delivery: update.AlreadyVerified, value: "m2@example.com", verified: true},
		{name: "IsVerifiedNewAddress", client: "admin", doc: map[string]any{"email": "m4@example.com"},
			delivery: update.AlreadyVerified, throttled: "-", value: "m4@example.com", verified: true},
	})
}
