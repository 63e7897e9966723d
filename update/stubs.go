package update

import (
	"context"
	"errors"

	"github.com/go-playground/validator/v10"

	"github.com/idupdate/idupdate/storage"
)

// Placeholders while the engine is written.

var errNoDispatcher = errors.New("update: no dispatcher configured")

var builtinValidators = map[string]validator.Func{}

type compiled struct{}

func compilePolicy(p *Policy, v *validator.Validate) (*compiled, error) { return &compiled{}, nil }

func (e *Engine) Create(ctx context.Context, req CreateRequest) (*Result, error) {
	return nil, Errorf(Internal, "not implemented")
}
func (e *Engine) Get(ctx context.Context, typ string, loc Locator) (*View, error) {
	return nil, Errorf(Internal, "not implemented")
}
func (e *Engine) Apply(ctx context.Context, req Request) (*Result, error) {
	return nil, Errorf(Internal, "not implemented")
}
func (e *Engine) Delete(ctx context.Context, req DeleteRequest) error {
	return Errorf(Internal, "not implemented")
}
func (e *Engine) History(ctx context.Context, typ string, loc Locator) ([]storage.Event, error) {
	return nil, Errorf(Internal, "not implemented")
}
func (e *Engine) Confirm(ctx context.Context, req ConfirmRequest) (*Result, error) {
	return nil, Errorf(Internal, "not implemented")
}
func (e *Engine) Resend(ctx context.Context, req ResendRequest) (*Result, error) {
	return nil, Errorf(Internal, "not implemented")
}
func (e *Engine) Cancel(ctx context.Context, req CancelRequest) (*Result, error) {
	return nil, Errorf(Internal, "not implemented")
}
