package zitadel

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/idupdate/idupdate/adapters/internal/httpx"
	"github.com/idupdate/idupdate/adapters/zitadel/internal/zitadelpb/userpb/userpbconnect"
)

// The gRPC fast path serves unary gRPC calls in their commonest shape
// without connect-go's per-call machinery: a POST of one identity or gzip
// message, Content-Type application/grpc or application/grpc+proto, no
// grpc-timeout or a well-formed one. It runs the same rpcMethod values
// (decode, engine call, error mapping) with the same codec as the
// connect-go path and writes the answer connect-go writes: the same
// headers, the same envelope, the same trailers (grpc-status,
// percent-encoded grpc-message, grpc-status-details-bin) in the same
// http.ResponseWriter calls. Every other request goes to connect-go as
// before; so does every request whose framing, compression or payload the
// fast path does not accept, replayed byte for byte before any call runs,
// so connect-go gives every protocol error its own answer. UpdateHumanUser
// reads its message and writes its answer without protobuf messages
// (fastUpdateHumanUser), running the same call and error mapping.

// grpcFast is the fast path of one Handler.
type grpcFast struct {
	h        *Handler
	methods  map[string]fastMethod // by request path
	readMax  int                   // bound of a message, after decompression
	sendMax  int                   // bound of an answer, after compression
	bodyMax  int64                 // bound of the request stream
	fallback func(w http.ResponseWriter, r *http.Request, body io.ReadCloser)
	on       bool // false serves every call through connect-go (tests compare both)
}

// fastMethod decodes payload (one uncompressed message), serves it and
// appends its answer, marshalled, to frame. It reports false, having run
// nothing, when payload does not decode.
type fastMethod func(h *Handler, w http.ResponseWriter, r *http.Request, ctx context.Context, payload, frame []byte) (ok bool, answer []byte, err *connect.Error)

// fast adapts m to the fast path, decoding with the codec connect-go uses.
func fast[Req, Res any, PReq interface {
	*Req
	proto.Message
}, PRes interface {
	*Res
	proto.Message
}](m rpcMethod[Req, Res]) fastMethod {
	return func(h *Handler, w http.ResponseWriter, r *http.Request, ctx context.Context, payload, frame []byte) (bool, []byte, *connect.Error) {
		msg := PReq(new(Req))
		// connect-go leaves an empty message at its zero value without
		// calling the codec.
		if len(payload) > 0 {
			if err := (protoCodec{}).Unmarshal(payload, msg); err != nil {
				return false, nil, nil
			}
		}
		out, err := m.serve(h, w, r, ctx, msg)
		if err != nil {
			return true, nil, err
		}
		frame, merr := proto.MarshalOptions{}.MarshalAppend(frame, PRes(out))
		if merr != nil {
			return true, nil, marshalError(merr)
		}
		return true, frame, nil
	}
}

// fastUpdateHumanUser serves UpdateHumanUser from the message
// readUpdatePB reads and writes its answer without building a message,
// running what updateHumanUserRPC runs; a message readUpdatePB does not
// take goes to checked, the path of every other method.
func fastUpdateHumanUser(checked fastMethod) fastMethod {
	return func(h *Handler, w http.ResponseWriter, r *http.Request, ctx context.Context, payload, frame []byte) (bool, []byte, *connect.Error) {
		id, b, ok := readUpdatePB(payload)
		if !ok {
			return checked(h, w, r, ctx, payload, frame)
		}
		ch, err := serveRPC(h, w, r, ctx, updateHumanUserRPC.op, func(r *http.Request, c Client) (change, error) {
			return updateHumanUser(h, w, r, c, id, b)
		})
		if err != nil {
			return true, nil, err
		}
		frame, merr := ch.appendUpdateHumanUserPB(frame)
		if merr != nil {
			return true, nil, marshalError(merr)
		}
		return true, frame, nil
	}
}

// marshalError is connect-go's error for an answer that does not
// marshal.
func marshalError(err error) *connect.Error {
	return connect.NewError(connect.CodeInternal, fmt.Errorf("marshal message: %w", err))
}

// fastMethods are the methods rpcService serves, by path.
func fastMethods() map[string]fastMethod {
	return map[string]fastMethod{
		userpbconnect.UserServiceAddHumanUserProcedure:    fast(addHumanUserRPC),
		userpbconnect.UserServiceUpdateHumanUserProcedure: fastUpdateHumanUser(fast(updateHumanUserRPC)),
		userpbconnect.UserServiceUpdateUserProcedure:      fast(updateUserRPC),
		userpbconnect.UserServiceGetUserByIDProcedure:     fast(getUserByIDRPC),
		userpbconnect.UserServiceVerifyEmailProcedure:     fast(verifyEmailRPC),
		userpbconnect.UserServiceVerifyPhoneProcedure:     fast(verifyPhoneRPC),
		userpbconnect.UserServiceResendEmailCodeProcedure: fast(resendEmailCodeRPC),
		userpbconnect.UserServiceResendPhoneCodeProcedure: fast(resendPhoneCodeRPC),
		userpbconnect.UserServiceRemovePhoneProcedure:     fast(removePhoneRPC),
		userpbconnect.UserServiceSetPasswordProcedure:     fast(setPasswordRPC),
		userpbconnect.UserServicePasswordResetProcedure:   fast(passwordResetRPC),
		userpbconnect.UserServiceListUsersProcedure:       fast(listUsersRPC),
	}
}

// handler serves the calls of one method's path: through the fast path
// when it takes them, else through connect-go.
func (f *grpcFast) handler(call fastMethod) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.serveHTTP(call, w, r) })
}

// serveHTTP serves r, a call of the method call serves (nil: none the
// fast path knows), through the fast path when it takes it, else through
// connect-go.
func (f *grpcFast) serveHTTP(call fastMethod, w http.ResponseWriter, r *http.Request) {
	if call != nil && f.on && f.serveCall(call, w, r) {
		return
	}
	f.fallback(w, r, r.Body)
}

// serveCall serves r, a call of the method call serves, as serve does.
func (f *grpcFast) serveCall(call fastMethod, w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	contentType := httpx.Header(r.Header, "Content-Type")
	if contentType != "application/grpc" && contentType != "application/grpc+proto" {
		return false
	}
	var gzipped bool
	switch httpx.Header(r.Header, "Grpc-Encoding") {
	case "", "identity":
	case "gzip":
		gzipped = true
	default:
		return false
	}
	timeout, ok := parseGRPCTimeout(httpx.Header(r.Header, "Grpc-Timeout"))
	if !ok {
		return false
	}
	ctx := r.Context()
	if timeout >= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}

	// One buffer holds the request body and, after it, the answer's
	// envelope.
	bp := bufPool.Get().(*[]byte)
	defer putBuf(bp)
	body, readErr := readBounded(r.Body, (*bp)[:0], f.bodyMax)
	*bp = body
	payload, flags, ok := f.message(body, gzipped, readErr)
	if ok && flags == 1 {
		zp := bufPool.Get().(*[]byte)
		defer putBuf(zp)
		*zp, ok = gunzip((*zp)[:0], payload, f.readMax)
		payload = *zp
	}
	var frame []byte
	var callErr *connect.Error
	if ok {
		ok, frame, callErr = call(f.h, w, r, ctx, payload, append(body[len(body):], 0, 0, 0, 0, 0))
		if cap(frame) > cap(body)-len(body) {
			*bp = frame // grown past the buffer: keep the larger one
		}
	}
	if !ok {
		// Nothing ran: connect-go reads the same bytes and answers.
		tail := io.Reader(r.Body)
		if readErr != nil {
			tail = errReader{readErr}
		}
		f.fallback(w, r, replayBody{io.MultiReader(bytes.NewReader(body), tail), r.Body})
		return true
	}

	respGzip := gzipped || acceptsGzip(r.Header["Grpc-Accept-Encoding"])
	header := w.Header()
	if contentType == "application/grpc" {
		header["Content-Type"] = grpcContentType
	} else {
		header["Content-Type"] = grpcProtoContentType
	}
	header["Grpc-Accept-Encoding"] = gzipValue
	if respGzip {
		header["Grpc-Encoding"] = gzipValue
	}
	if callErr == nil {
		callErr = f.send(w, frame, respGzip)
	}
	if callErr == nil && header[grpcStatusTrailer] == nil {
		header[grpcStatusTrailer] = statusOKValue
	} else {
		writeGRPCStatus(header, callErr)
	}
	flush(w)
	_ = r.Body.Close()
	return true
}

// message returns the one message of a request body, if body holds
// exactly one envelope of at most readMax bytes, with flags 0, or 1 when
// the request is gzipped, and was read whole.
func (f *grpcFast) message(body []byte, gzipped bool, readErr error) (payload []byte, flags byte, ok bool) {
	if readErr != nil || int64(len(body)) > f.bodyMax || len(body) < 5 {
		return nil, 0, false
	}
	flags = body[0]
	size := binary.BigEndian.Uint32(body[1:5])
	if int64(size) > int64(f.readMax) || int64(len(body)-5) != int64(size) {
		return nil, 0, false
	}
	if flags != 0 && (flags != 1 || !gzipped || size == 0) {
		return nil, 0, false
	}
	return body[5:], flags, true
}

// send writes frame, 5 bytes for the envelope's prefix and the
// marshalled answer, as one envelope, gzipped if asked and at least
// compressMinBytes long, as connect-go does: an answer over sendMax is an
// error.
func (f *grpcFast) send(w http.ResponseWriter, frame []byte, gzipped bool) *connect.Error {
	size := len(frame) - 5
	if gzipped && size >= compressMinBytes {
		zp := bufPool.Get().(*[]byte)
		defer putBuf(zp)
		*zp = gzipInto(append((*zp)[:0], 1, 0, 0, 0, 0), frame[5:])
		frame = *zp
		if size = len(frame) - 5; f.sendMax > 0 && size > f.sendMax {
			return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("compressed message size %d exceeds sendMaxBytes %d", size, f.sendMax))
		}
	} else if f.sendMax > 0 && size > f.sendMax {
		return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("message size %d exceeds sendMaxBytes %d", size, f.sendMax))
	}
	binary.BigEndian.PutUint32(frame[1:5], uint32(size))
	if _, err := w.Write(frame); err != nil {
		// The client is gone; the status trailer goes nowhere either.
		return connect.NewError(connect.CodeUnknown, fmt.Errorf("write envelope: %w", err))
	}
	flush(w)
	return nil
}

// The header values the fast path writes, shared by every answer as
// httpx shares its own: each slice is full (len == cap), so an append
// copies it, and nothing writes into a header's values in place.
var (
	grpcContentType      = []string{"application/grpc"}
	grpcProtoContentType = []string{"application/grpc+proto"}
	gzipValue            = []string{"gzip"}
	statusOKValue        = []string{"0"}
)

// grpcStatusTrailer is the header key that sends grpc-status as a
// trailer.
const grpcStatusTrailer = http.TrailerPrefix + "Grpc-Status"

// writeGRPCStatus adds the gRPC status of err (nil is OK) to header as
// trailers: grpc-status, the percent-encoded grpc-message and, when err
// has details, grpc-status-details-bin holding a google.rpc.Status.
func writeGRPCStatus(header http.Header, err *connect.Error) {
	const (
		status  = grpcStatusTrailer
		message = http.TrailerPrefix + "Grpc-Message"
		details = http.TrailerPrefix + "Grpc-Status-Details-Bin"
	)
	if err == nil {
		header[status] = append(header[status], "0")
		return
	}
	header[status] = append(header[status], strconv.Itoa(int(err.Code())))
	header[message] = append(header[message], grpcPercentEncode(err.Message()))
	if ds := err.Details(); len(ds) > 0 {
		header[details] = append(header[details], connect.EncodeBinaryHeader(statusBinary(err, ds)))
	}
}

// statusBinary encodes err as a google.rpc.Status {code, message,
// details}, each detail a google.protobuf.Any, fields in number order as
// the protobuf runtime writes them.
func statusBinary(err *connect.Error, ds []*connect.ErrorDetail) []byte {
	var b []byte
	if code := err.Code(); code != 0 {
		b = protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), uint64(code))
	}
	if msg := err.Message(); msg != "" {
		b = protowire.AppendString(protowire.AppendTag(b, 2, protowire.BytesType), msg)
	}
	for _, d := range ds {
		var a []byte
		a = protowire.AppendString(protowire.AppendTag(a, 1, protowire.BytesType), "type.googleapis.com/"+d.Type())
		if v := d.Bytes(); len(v) > 0 {
			a = protowire.AppendBytes(protowire.AppendTag(a, 2, protowire.BytesType), v)
		}
		b = protowire.AppendBytes(protowire.AppendTag(b, 3, protowire.BytesType), a)
	}
	return b
}

// grpcPercentEncode escapes msg for grpc-message: bytes outside printable
// ASCII, and '%', become %XX.
func grpcPercentEncode(msg string) string {
	escape := func(c byte) bool { return c < ' ' || c > '~' || c == '%' }
	n := 0
	for i := range len(msg) {
		if escape(msg[i]) {
			n++
		}
	}
	if n == 0 {
		return msg
	}
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(msg)+2*n)
	for i := range len(msg) {
		if c := msg[i]; escape(c) {
			out = append(out, '%', hex[c>>4], hex[c&15])
		} else {
			out = append(out, c)
		}
	}
	return string(out)
}

// parseGRPCTimeout reads a grpc-timeout value: 1 to 8 digits and a unit
// (n, u, m, S, M, H). "" is no timeout (-1). Anything else, or hours that
// overflow a time.Duration, reports false and is left to connect-go.
func parseGRPCTimeout(s string) (time.Duration, bool) {
	if s == "" {
		return -1, true
	}
	if len(s) < 2 || len(s) > 9 {
		return 0, false
	}
	u := strings.IndexByte("numSMH", s[len(s)-1])
	if u < 0 {
		return 0, false
	}
	unit := [...]time.Duration{time.Nanosecond, time.Microsecond, time.Millisecond, time.Second, time.Minute, time.Hour}[u]
	var n int64
	for i := range len(s) - 1 {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if n > int64(1<<63-1)/int64(unit) {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// acceptsGzip reports whether the first grpc-accept-encoding value lists
// gzip, the one compression served, as connect-go reads it.
func acceptsGzip(values []string) bool {
	if len(values) == 0 {
		return false
	}
	s := values[0]
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != ',' && s[i] != ' ' {
			i++
		}
		if s[:i] == "gzip" {
			return true
		}
		if i == len(s) {
			break
		}
		s = s[i+1:]
	}
	return false
}

// flush flushes w, if it can be flushed.
func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// readBounded appends body to buf until EOF or until it holds more than
// max bytes.
func readBounded(body io.Reader, buf []byte, max int64) ([]byte, error) {
	for int64(len(buf)) <= max {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):cap(buf)]
		if left := max + 1 - int64(len(buf)); int64(len(room)) > left {
			room = room[:left]
		}
		n, err := body.Read(room)
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// gunzip appends the decompressed payload to dst; false if it is not
// gzip or holds more than max bytes.
func gunzip(dst, payload []byte, max int) ([]byte, bool) {
	z := gzipReaders.Get().(*gzipReader)
	defer func() {
		z.src.Reset(nil)
		gzipReaders.Put(z)
	}()
	z.src.Reset(payload)
	if z.r.Reset(&z.src) != nil {
		return dst, false
	}
	dst, err := readBounded(&z.r, dst, int64(max))
	if err != nil || len(dst) > max || z.r.Close() != nil {
		return dst, false
	}
	return dst, true
}

// gzipInto appends data, gzipped as connect-go's default compressor does
// (default level, no header fields), to dst.
func gzipInto(dst, data []byte) []byte {
	z := gzipWriters.Get().(*gzipWriter)
	defer gzipWriters.Put(z)
	z.dst.b = dst
	z.w.Reset(&z.dst)
	_, _ = z.w.Write(data) // appending to a slice does not fail
	_ = z.w.Close()
	dst, z.dst.b = z.dst.b, nil
	return dst
}

type gzipReader struct {
	src bytes.Reader
	r   gzip.Reader
}

type gzipWriter struct {
	dst appendWriter
	w   *gzip.Writer
}

// appendWriter appends what is written to b.
type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

var (
	gzipReaders = sync.Pool{New: func() any { return new(gzipReader) }}
	gzipWriters = sync.Pool{New: func() any {
		z := new(gzipWriter)
		z.w = gzip.NewWriter(&z.dst)
		return z
	}}
	bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1<<10); return &b }}
)

// putBuf returns a buffer to bufPool, unless it grew past what is worth
// keeping.
func putBuf(b *[]byte) {
	if cap(*b) <= 1<<20 {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

// replayBody is a request body read again: the bytes already read, then
// what the original body still holds; closing it closes the original.
type replayBody struct {
	io.Reader
	io.Closer
}

// errReader fails every read with err, as the body it stands for did.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
