package zitadel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/messagepb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/objectpb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb/userpbconnect"
	"github.com/idupdate/idupdate/verify"
)

// RPCPath is the path prefix of ZITADEL's user service over gRPC, gRPC-web
// and Connect: each call is POST RPCPath + method name.
const RPCPath = "/" + userpbconnect.UserServiceName + "/"

// compressMinBytes is the smallest answer sent compressed to a client
// that accepts gzip: below it gzip saves little or nothing (its framing
// alone is 18 bytes) and costs more than the call. The protocols let a
// server send any message uncompressed.
const compressMinBytes = 1 << 10

// envelopeSlack is what the RPC framing may add to a message: a 5-byte
// envelope and the growth of incompressible data under gzip.
const envelopeSlack = 1 << 10

// newRPC builds the RPC handler of h: unary gRPC in its commonest shape
// through the fast path of rpc_fast.go, everything else through the
// generated connect-go service handler over rpcService, with strict
// codecs, bounded messages (after decompression) and a bounded request
// stream.
func (h *Handler) newRPC() http.Handler {
	limit := int(h.cfg.MaxBodyBytes)
	_, svc := userpbconnect.NewUserServiceHandler(rpcService{h: h},
		connect.WithCodec(protoCodec{}),
		connect.WithCodec(jsonCodec{}),
		connect.WithReadMaxBytes(limit),
		connect.WithSendMaxBytes(4*limit),
		connect.WithCompressMinBytes(compressMinBytes),
	)
	maxBytes := h.cfg.MaxBodyBytes + envelopeSlack
	viaConnect := func(w http.ResponseWriter, r *http.Request, body io.ReadCloser) {
		// One copy of the request carries both the exchange and the
		// bounded body (what http.MaxBytesHandler would copy it again for).
		x := &exchange{w: w}
		x.r = r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x))
		x.r.Body = http.MaxBytesReader(w, body, maxBytes)
		svc.ServeHTTP(w, x.r)
	}
	h.fast = &grpcFast{
		h: h, methods: fastMethods(), on: true,
		readMax: limit, sendMax: 4 * limit, bodyMax: maxBytes,
		fallback: viaConnect,
	}
	h.rpcRoutes = make(map[string]http.Handler, len(h.fast.methods))
	for path, call := range h.fast.methods {
		h.rpcRoutes[path] = h.fast.handler(call)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fast.serveHTTP(h.fast.methods[r.URL.Path], w, r)
	})
}

// exchange is the HTTP request an RPC came in and its response writer:
// the call's metadata, and where its request id goes. r is the request
// whose context holds the exchange, so a call without a deadline of its
// own runs on r as it is.
type exchange struct {
	w http.ResponseWriter
	r *http.Request
}

// exchangeKey keys the exchange in an RPC's context.
type exchangeKey struct{}

// rpcService serves the calls the REST adapter serves; the generated
// base answers every other method Unimplemented, naming it.
type rpcService struct {
	userpbconnect.UnimplementedUserServiceHandler
	h *Handler
}

// rpcMethod is one call of the service, whichever RPC path serves it
// (connect-go, or the gRPC fast path of rpc_fast.go): the operation its
// errors are mapped for, and the function that serves a decoded request.
type rpcMethod[Req, Res any] struct {
	op   Op
	call func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *Req) (*Res, error)
}

// serve authenticates the call from its "authorization" metadata, as the
// REST adapter does, runs the method on m and maps its error through the
// adapter's error table. w and r are the exchange the call came in; ctx
// is the call's context: r's, or one with the deadline of grpc-timeout or
// connect-timeout-ms.
func (m rpcMethod[Req, Res]) serve(h *Handler, w http.ResponseWriter, r *http.Request, ctx context.Context, msg *Req) (*Res, *connect.Error) {
	return serveRPC(h, w, r, ctx, m.op, func(r *http.Request, c Client) (*Res, error) {
		return m.call(h, w, r, c, msg)
	})
}

// serveRPC serves one call as rpcMethod.serve does, call running it for
// the authenticated client on the exchange's request with the call's
// context.
func serveRPC[Res any](h *Handler, w http.ResponseWriter, r *http.Request, ctx context.Context, op Op, call func(r *http.Request, c Client) (Res, error)) (Res, *connect.Error) {
	var none Res
	if ctx != r.Context() {
		r = r.WithContext(ctx)
	}
	if err := ctx.Err(); err != nil {
		return none, h.rpcError(w, r, err, op)
	}
	c, err := h.authenticate(r)
	if err != nil {
		return none, h.rpcError(w, r, err, OpRead)
	}
	out, err := call(r, c)
	if err != nil {
		return none, h.rpcError(w, r, err, op)
	}
	return out, nil
}

// connect serves the method for connect-go, which passes the exchange in
// ctx.
func (m rpcMethod[Req, Res]) connect(h *Handler, ctx context.Context, req *connect.Request[Req]) (*connect.Response[Res], error) {
	x, ok := ctx.Value(exchangeKey{}).(*exchange)
	if !ok {
		return nil, connect.NewError(connect.CodeInternal, errors.New("zitadel: RPC served outside its handler"))
	}
	if _, ok := ctx.Deadline(); !ok {
		// Without a deadline of the call's own, ctx is x.r's context
		// with connect-go's call information, which no call reads: serve
		// on x.r as it is rather than copy it.
		ctx = x.r.Context()
	}
	out, err := m.serve(h, x.w, x.r, ctx, req.Msg)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// rpcError turns err into a Connect error with the gRPC code, message and
// zitadel.v1.ErrorDetail of the REST answer. A call cut off by its
// deadline or by the client is answered DeadlineExceeded or Canceled.
func (h *Handler) rpcError(w http.ResponseWriter, r *http.Request, err error, op Op) *connect.Error {
	switch ctxErr := r.Context().Err(); {
	case errors.Is(ctxErr, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, ctxErr)
	case ctxErr != nil:
		return connect.NewError(connect.CodeCanceled, ctxErr)
	}
	_, body := h.encodeError(w, r, op, err)
	ce := connect.NewError(connect.Code(body.Code), errors.New(body.Message))
	for _, d := range body.Details {
		if detail, derr := connect.NewErrorDetail(&messagepb.ErrorDetail{Id: d.ID, Message: d.Message}); derr == nil {
			ce.AddDetail(detail)
		}
	}
	return ce
}

// The methods served, each once for both RPC paths.
var (
	addHumanUserRPC = rpcMethod[userpb.AddHumanUserRequest, userpb.AddHumanUserResponse]{OpCreate,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.AddHumanUserRequest) (*userpb.AddHumanUserResponse, error) {
			out, err := h.addUser(w, r, c, func() (*AddHumanUserRequest, error) { return decodeCreatePB(m) })
			if err != nil {
				return nil, err
			}
			return &userpb.AddHumanUserResponse{
				UserId: out.UserID, Details: detailsPB(out.Details),
				EmailCode: optional(out.EmailCode), PhoneCode: optional(out.PhoneCode),
			}, nil
		}}
	updateHumanUserRPC = rpcMethod[userpb.UpdateHumanUserRequest, userpb.UpdateHumanUserResponse]{OpUpdate,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.UpdateHumanUserRequest) (*userpb.UpdateHumanUserResponse, error) {
			ch, err := updateHumanUser(h, w, r, c, m.GetUserId(), updateBodyPB(m))
			if err != nil {
				return nil, err
			}
			return ch.updateHumanUserPB(), nil
		}}
	updateUserRPC = rpcMethod[userpb.UpdateUserRequest, userpb.UpdateUserResponse]{OpUpdate,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.UpdateUserRequest) (*userpb.UpdateUserResponse, error) {
			b, err := decodeUpdateUserPB(m)
			if err != nil {
				return nil, err
			}
			out, err := h.updateUserV2(w, r, c, m.GetUserId(), b)
			if err != nil {
				return nil, err
			}
			return &userpb.UpdateUserResponse{
				ChangeDate: timePB(out.ChangeDate),
				EmailCode:  optional(out.EmailCode), PhoneCode: optional(out.PhoneCode),
			}, nil
		}}
	getUserByIDRPC = rpcMethod[userpb.GetUserByIDRequest, userpb.GetUserByIDResponse]{OpRead,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.GetUserByIDRequest) (*userpb.GetUserByIDResponse, error) {
			out, err := h.readUser(r, c, m.GetUserId())
			if err != nil {
				return nil, err
			}
			return userPB(out), nil
		}}
	verifyEmailRPC = rpcMethod[userpb.VerifyEmailRequest, userpb.VerifyEmailResponse]{OpVerify,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.VerifyEmailRequest) (*userpb.VerifyEmailResponse, error) {
			out, err := h.verifyCode(r, c, m.GetUserId(), verify.Email, &VerifyCodeRequest{VerificationCode: m.GetVerificationCode()})
			if err != nil {
				return nil, err
			}
			return &userpb.VerifyEmailResponse{Details: detailsPB(out.Details)}, nil
		}}
	verifyPhoneRPC = rpcMethod[userpb.VerifyPhoneRequest, userpb.VerifyPhoneResponse]{OpVerify,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.VerifyPhoneRequest) (*userpb.VerifyPhoneResponse, error) {
			out, err := h.verifyCode(r, c, m.GetUserId(), verify.SMS, &VerifyCodeRequest{VerificationCode: m.GetVerificationCode()})
			if err != nil {
				return nil, err
			}
			return &userpb.VerifyPhoneResponse{Details: detailsPB(out.Details)}, nil
		}}
	resendEmailCodeRPC = rpcMethod[userpb.ResendEmailCodeRequest, userpb.ResendEmailCodeResponse]{OpResend,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.ResendEmailCodeRequest) (*userpb.ResendEmailCodeResponse, error) {
			b, err := decodeResendEmailPB(m)
			if err != nil {
				return nil, err
			}
			out, err := h.resendCode(w, r, c, m.GetUserId(), b.Request)
			if err != nil {
				return nil, err
			}
			return &userpb.ResendEmailCodeResponse{Details: detailsPB(out.Details), VerificationCode: optional(out.VerificationCode)}, nil
		}}
	resendPhoneCodeRPC = rpcMethod[userpb.ResendPhoneCodeRequest, userpb.ResendPhoneCodeResponse]{OpResend,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.ResendPhoneCodeRequest) (*userpb.ResendPhoneCodeResponse, error) {
			b, err := decodeResendPhonePB(m)
			if err != nil {
				return nil, err
			}
			out, err := h.resendCode(w, r, c, m.GetUserId(), b.Request)
			if err != nil {
				return nil, err
			}
			return &userpb.ResendPhoneCodeResponse{Details: detailsPB(out.Details), VerificationCode: optional(out.VerificationCode)}, nil
		}}
	removePhoneRPC = rpcMethod[userpb.RemovePhoneRequest, userpb.RemovePhoneResponse]{OpRemovePhone,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.RemovePhoneRequest) (*userpb.RemovePhoneResponse, error) {
			out, err := h.removeUserPhone(r, c, m.GetUserId())
			if err != nil {
				return nil, err
			}
			return &userpb.RemovePhoneResponse{Details: detailsPB(out.Details)}, nil
		}}
	setPasswordRPC = rpcMethod[userpb.SetPasswordRequest, userpb.SetPasswordResponse]{OpSetPassword,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.SetPasswordRequest) (*userpb.SetPasswordResponse, error) {
			b, err := decodeSetPasswordPB(m)
			if err != nil {
				return nil, err
			}
			out, err := h.setPassword(w, r, c, m.GetUserId(), b)
			if err != nil {
				return nil, err
			}
			return &userpb.SetPasswordResponse{Details: detailsPB(out.Details)}, nil
		}}
	passwordResetRPC = rpcMethod[userpb.PasswordResetRequest, userpb.PasswordResetResponse]{OpPasswordReset,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.PasswordResetRequest) (*userpb.PasswordResetResponse, error) {
			b, err := decodePasswordResetPB(m)
			if err != nil {
				return nil, err
			}
			out, err := h.resetPassword(w, r, c, m.GetUserId(), b)
			if err != nil {
				return nil, err
			}
			return &userpb.PasswordResetResponse{Details: detailsPB(out.Details), VerificationCode: optional(out.VerificationCode)}, nil
		}}
	listUsersRPC = rpcMethod[userpb.ListUsersRequest, userpb.ListUsersResponse]{OpList,
		func(h *Handler, w http.ResponseWriter, r *http.Request, c Client, m *userpb.ListUsersRequest) (*userpb.ListUsersResponse, error) {
			out, err := h.listUsers(r, c, m)
			if err != nil {
				return nil, err
			}
			total, _ := strconv.ParseUint(out.Details.TotalResult, 10, 64)
			res := &userpb.ListUsersResponse{
				Details:       &objectpb.ListDetails{TotalResult: total, Timestamp: timePB(out.Details.Timestamp)},
				SortingColumn: m.GetSortingColumn(),
			}
			for _, u := range out.Result {
				res.Result = append(res.Result, userPB(UserResponse{Details: u.Details, User: u}).GetUser())
			}
			return res, nil
		}}
)

// updateHumanUser serves UpdateHumanUser on its typed request, however
// the RPC path decoded it: updateHumanUserRPC's call, and the gRPC fast
// path's reader (rpc_decode_fast.go) run it.
func updateHumanUser(h *Handler, w http.ResponseWriter, r *http.Request, c Client, id string, b *UpdateHumanUserRequest) (change, error) {
	if err := b.Check(); err != nil {
		return change{}, err
	}
	return h.updateUserChange(w, r, c, id, b)
}

// AddHumanUser implements the RPC of POST /v2/users/human.
func (s rpcService) AddHumanUser(ctx context.Context, req *connect.Request[userpb.AddHumanUserRequest]) (*connect.Response[userpb.AddHumanUserResponse], error) {
	return addHumanUserRPC.connect(s.h, ctx, req)
}

// UpdateHumanUser implements the RPC of PUT /v2/users/human/{userId}.
func (s rpcService) UpdateHumanUser(ctx context.Context, req *connect.Request[userpb.UpdateHumanUserRequest]) (*connect.Response[userpb.UpdateHumanUserResponse], error) {
	return updateHumanUserRPC.connect(s.h, ctx, req)
}

// UpdateUser implements the RPC of PATCH /v2/users/{userId}.
func (s rpcService) UpdateUser(ctx context.Context, req *connect.Request[userpb.UpdateUserRequest]) (*connect.Response[userpb.UpdateUserResponse], error) {
	return updateUserRPC.connect(s.h, ctx, req)
}

// GetUserByID implements the RPC of GET /v2/users/{userId}.
func (s rpcService) GetUserByID(ctx context.Context, req *connect.Request[userpb.GetUserByIDRequest]) (*connect.Response[userpb.GetUserByIDResponse], error) {
	return getUserByIDRPC.connect(s.h, ctx, req)
}

// VerifyEmail implements the RPC of POST /v2/users/{userId}/email/verify.
func (s rpcService) VerifyEmail(ctx context.Context, req *connect.Request[userpb.VerifyEmailRequest]) (*connect.Response[userpb.VerifyEmailResponse], error) {
	return verifyEmailRPC.connect(s.h, ctx, req)
}

// VerifyPhone implements the RPC of POST /v2/users/{userId}/phone/verify.
func (s rpcService) VerifyPhone(ctx context.Context, req *connect.Request[userpb.VerifyPhoneRequest]) (*connect.Response[userpb.VerifyPhoneResponse], error) {
	return verifyPhoneRPC.connect(s.h, ctx, req)
}

// ResendEmailCode implements the RPC of POST /v2/users/{userId}/email/resend.
func (s rpcService) ResendEmailCode(ctx context.Context, req *connect.Request[userpb.ResendEmailCodeRequest]) (*connect.Response[userpb.ResendEmailCodeResponse], error) {
	return resendEmailCodeRPC.connect(s.h, ctx, req)
}

// ResendPhoneCode implements the RPC of POST /v2/users/{userId}/phone/resend.
func (s rpcService) ResendPhoneCode(ctx context.Context, req *connect.Request[userpb.ResendPhoneCodeRequest]) (*connect.Response[userpb.ResendPhoneCodeResponse], error) {
	return resendPhoneCodeRPC.connect(s.h, ctx, req)
}

// RemovePhone implements the RPC of DELETE /v2/users/{userId}/phone.
func (s rpcService) RemovePhone(ctx context.Context, req *connect.Request[userpb.RemovePhoneRequest]) (*connect.Response[userpb.RemovePhoneResponse], error) {
	return removePhoneRPC.connect(s.h, ctx, req)
}

// SetPassword implements the RPC of POST /v2/users/{userId}/password.
func (s rpcService) SetPassword(ctx context.Context, req *connect.Request[userpb.SetPasswordRequest]) (*connect.Response[userpb.SetPasswordResponse], error) {
	return setPasswordRPC.connect(s.h, ctx, req)
}

// PasswordReset implements the RPC of POST /v2/users/{userId}/password_reset.
func (s rpcService) PasswordReset(ctx context.Context, req *connect.Request[userpb.PasswordResetRequest]) (*connect.Response[userpb.PasswordResetResponse], error) {
	return passwordResetRPC.connect(s.h, ctx, req)
}

// ListUsers implements the RPC of POST /v2/users.
func (s rpcService) ListUsers(ctx context.Context, req *connect.Request[userpb.ListUsersRequest]) (*connect.Response[userpb.ListUsersResponse], error) {
	return listUsersRPC.connect(s.h, ctx, req)
}

// protoCodec is binary protobuf that refuses unknown fields, as the REST
// decoder refuses unknown members: a request the server would silently
// half-understand is refused whole. Connect answers its errors
// InvalidArgument.
type protoCodec struct{}

func (protoCodec) Name() string { return "proto" }

func (protoCodec) Marshal(m any) ([]byte, error) {
	pm, ok := m.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("%T is not a protobuf message", m)
	}
	return proto.Marshal(pm)
}

func (protoCodec) Unmarshal(b []byte, m any) error {
	pm, ok := m.(proto.Message)
	if !ok {
		return fmt.Errorf("%T is not a protobuf message", m)
	}
	if err := proto.Unmarshal(b, pm); err != nil {
		return err
	}
	return refuseUnknown(pm.ProtoReflect())
}

// jsonCodec is protojson that refuses unknown members.
type jsonCodec struct{}

func (jsonCodec) Name() string { return "json" }

func (jsonCodec) Marshal(m any) ([]byte, error) {
	pm, ok := m.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("%T is not a protobuf message", m)
	}
	return protojson.Marshal(pm)
}

func (jsonCodec) Unmarshal(b []byte, m any) error {
	pm, ok := m.(proto.Message)
	if !ok {
		return fmt.Errorf("%T is not a protobuf message", m)
	}
	if len(b) == 0 {
		return errors.New("an empty payload is not a JSON object")
	}
	return protojson.Unmarshal(b, pm)
}

// refuseUnknown reports the first unknown field in m or the messages it
// holds. It walks the descriptor's fields rather than m.Range, whose
// callback would be allocated on every call; only map fields need one.
func refuseUnknown(m protoreflect.Message) error {
	if len(m.GetUnknown()) > 0 {
		return fmt.Errorf("unknown field in %s", m.Descriptor().FullName())
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if !holdsMessages(fd) || !m.Has(fd) {
			continue
		}
		var err error
		switch v := m.Get(fd); {
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				err = refuseUnknown(mv.Message())
				return err == nil
			})
		case fd.IsList():
			l := v.List()
			for j := 0; j < l.Len() && err == nil; j++ {
				err = refuseUnknown(l.Get(j).Message())
			}
		default:
			err = refuseUnknown(v.Message())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// holdsMessages reports whether fd's values are, or hold, messages.
func holdsMessages(fd protoreflect.FieldDescriptor) bool {
	if fd.IsMap() {
		return fd.MapValue().Message() != nil
	}
	return fd.Message() != nil
}
