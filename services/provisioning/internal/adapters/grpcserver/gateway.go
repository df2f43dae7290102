package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/api/openapi"
	"github.com/craevidence/scim-provisioning/pkg/requestid"
)

// readinessTimeout bounds the database ping of /readyz.
const readinessTimeout = 2 * time.Second

// MaxAdminRequestBytes bounds the body of an admin API request. The largest
// legitimate body, a client's settings, is well under a kilobyte.
const MaxAdminRequestBytes = 1 << 20

// AdminHTTPOption changes a default of the admin REST API.
type AdminHTTPOption func(*adminHTTPConfig)

type adminHTTPConfig struct {
	logger *slog.Logger
}

// WithAdminHTTPLogger records, on logger, exports of the provisioning log
// that fail half-way. Without it they are not logged.
func WithAdminHTTPLogger(logger *slog.Logger) AdminHTTPOption {
	return func(c *adminHTTPConfig) { c.logger = logger }
}

// NewAdminHTTPHandler returns the admin REST API: grpc-gateway forwarding to
// AdminService over conn, which is a client connection to this process's own
// gRPC server, so REST calls pass the same authentication, validation and
// interceptors as gRPC calls. Besides the gateway's routes it serves the
// export of the provisioning log (GET /v1/provisioning-events:export), which
// pages through AdminService over the same connection, /healthz (the process
// runs) and /readyz (ready answers nil).
//
// The gateway forwards the Authorization header as "authorization" metadata,
// and X-Request-Id as the request id. Requests under /v1/ without a bearer
// token are refused before their body is read, and bodies are capped at
// MaxAdminRequestBytes, because grpc-gateway decodes a body before the gRPC
// server can authenticate the call.
func NewAdminHTTPHandler(
	ctx context.Context,
	conn grpc.ClientConnInterface,
	ready func(context.Context) error,
	opts ...AdminHTTPOption,
) (http.Handler, error) {
	config := adminHTTPConfig{logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&config)
	}
	mux := runtime.NewServeMux(
		// Unknown fields and enum names are refused rather than dropped, so a
		// misspelt setting ("enabledd": false) is a 400 and not a silent
		// success that changed nothing.
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}),
		runtime.WithIncomingHeaderMatcher(adminHeaderMatcher),
		runtime.WithErrorHandler(adminErrorHandler),
		runtime.WithRoutingErrorHandler(adminRoutingErrorHandler),
	)
	client := provisioningv1.NewAdminServiceClient(forwardingConn{conn})
	if err := provisioningv1.RegisterAdminServiceHandlerClient(ctx, mux, client); err != nil {
		return nil, fmt.Errorf("register admin gateway: %w", err)
	}
	export := &eventExport{mux: mux, client: client, logger: config.logger}

	root := http.NewServeMux()
	root.Handle("/v1/", guardAdminRequest(mux, mux))
	root.Handle("GET /v1/provisioning-events:export", guardAdminRequest(mux, export))
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writePlain(w, http.StatusOK, "ok")
	})
	root.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		pingCtx, cancel := context.WithTimeout(r.Context(), readinessTimeout)
		defer cancel()
		if err := ready(pingCtx); err != nil {
			writePlain(w, http.StatusServiceUnavailable, "not ready")
			return
		}
		writePlain(w, http.StatusOK, "ready")
	})
	// The API's description is public, like the routes it describes.
	root.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.Admin)
	})
	// Any other path answers the JSON error the API's own unknown routes
	// answer, so a client reads one error shape whatever it asked for.
	root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAdminError(mux, w, r, http.StatusNotFound,
			status.New(codes.NotFound, http.StatusText(http.StatusNotFound)))
	})
	return withSecurityHeaders(root), nil
}

// withSecurityHeaders marks every answer as not to be cached, since create
// and rotate answers carry a SCIM token, and as not to be sniffed into
// another content type.
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// gatewayState follows one admin request through grpc-gateway, so the error
// handler can tell the gateway's own failures from the gRPC server's
// answers.
type gatewayState struct {
	// forwarded is set once the gateway has called the gRPC server: an
	// error before that is the gateway's (a body or parameter it could not
	// parse).
	forwarded atomic.Bool
	// bodyTooLarge is set when the body passed MaxAdminRequestBytes.
	bodyTooLarge atomic.Bool
}

type gatewayStateKey struct{}

func gatewayStateFrom(ctx context.Context) *gatewayState {
	st, _ := ctx.Value(gatewayStateKey{}).(*gatewayState)
	return st
}

// forwardingConn notes on the request's gatewayState that the call reached
// the gRPC connection.
type forwardingConn struct{ grpc.ClientConnInterface }

func (c forwardingConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	if st := gatewayStateFrom(ctx); st != nil {
		st.forwarded.Store(true)
	}
	return c.ClientConnInterface.Invoke(ctx, method, args, reply, opts...)
}

// guardAdminRequest refuses a request without a bearer token before its
// body is read, and caps the body of the others. The token itself is
// checked by the gRPC server, the one place that authenticates admins.
func guardAdminRequest(mux *runtime.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &gatewayState{}
		r = r.WithContext(context.WithValue(r.Context(), gatewayStateKey{}, st))

		if !hasBearerToken(r.Header.Get("Authorization")) {
			writeAdminError(mux, w, r, http.StatusUnauthorized,
				status.New(codes.Unauthenticated, "an admin bearer token is required"))
			return
		}
		if !validUTF8URL(r.URL) {
			writeAdminError(mux, w, r, http.StatusBadRequest, status.New(codes.InvalidArgument,
				"the request is not valid: the URL is not valid UTF-8"))
			return
		}
		if r.ContentLength > MaxAdminRequestBytes {
			st.bodyTooLarge.Store(true)
			writeAdminError(mux, w, r, http.StatusRequestEntityTooLarge, bodyTooLargeStatus())
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &cappedBody{body: http.MaxBytesReader(w, r.Body, MaxAdminRequestBytes), state: st}
		}
		next.ServeHTTP(w, r)
	})
}

// validUTF8URL reports whether the unescaped path and every query name and
// value are valid UTF-8. grpc-gateway would copy them into protobuf string
// fields, which must be UTF-8, and fail the call with a marshalling error
// (a 500) instead of telling the caller what was wrong. A query string that
// does not parse is left to grpc-gateway, which answers it with a 400.
func validUTF8URL(u *url.URL) bool {
	if !utf8.ValidString(u.Path) {
		return false
	}
	query, _ := url.ParseQuery(u.RawQuery)
	for name, values := range query {
		if !utf8.ValidString(name) {
			return false
		}
		for _, v := range values {
			if !utf8.ValidString(v) {
				return false
			}
		}
	}
	return true
}

func hasBearerToken(header string) bool {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != ""
}

// cappedBody notes on the request's state when the body passed its cap,
// since grpc-gateway turns the reader's error into a message and loses it.
type cappedBody struct {
	body  io.ReadCloser
	state *gatewayState
}

func (b *cappedBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.state.bodyTooLarge.Store(true)
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.body.Close() }

func bodyTooLargeStatus() *status.Status {
	return status.Newf(codes.InvalidArgument, "the request body is larger than %d bytes",
		MaxAdminRequestBytes)
}

// adminErrorHandler renders every error of the admin REST API. Answers of
// the gRPC server keep their status and message, which the server made for
// people. The gateway's own failures to parse a body or a parameter carry
// Go internals ("strconv.ParseInt", "proto: (line 1:9)"); they become a
// plain 400 that names the field when it can.
func adminErrorHandler(
	ctx context.Context,
	mux *runtime.ServeMux,
	_ runtime.Marshaler,
	w http.ResponseWriter,
	r *http.Request,
	err error,
) {
	st := gatewayStateFrom(ctx)
	switch {
	case st != nil && st.bodyTooLarge.Load():
		writeAdminError(mux, w, r, http.StatusRequestEntityTooLarge, bodyTooLargeStatus())
	case st != nil && !st.forwarded.Load():
		writeAdminError(mux, w, r, http.StatusBadRequest, status.New(codes.InvalidArgument,
			"the request is not valid: "+invalidPart(status.Convert(err).Message())))
	default:
		s := status.Convert(err)
		writeAdminError(mux, w, r, runtime.HTTPStatusFromCode(s.Code()), s)
	}
}

// adminRoutingErrorHandler answers a path or method the API does not have
// with its HTTP status and text ("Not Found", "Method Not Allowed").
func adminRoutingErrorHandler(
	_ context.Context,
	mux *runtime.ServeMux,
	_ runtime.Marshaler,
	w http.ResponseWriter,
	r *http.Request,
	httpStatus int,
) {
	code := codes.InvalidArgument
	switch httpStatus {
	case http.StatusNotFound:
		code = codes.NotFound
	case http.StatusMethodNotAllowed:
		code = codes.Unimplemented
	}
	writeAdminError(mux, w, r, httpStatus, status.New(code, http.StatusText(httpStatus)))
}

// Patterns of grpc-gateway's and protojson's parse errors that name the
// offending field or parameter.
var (
	queryFieldPattern = regexp.MustCompile(`parsing field "([A-Za-z0-9_.]+)"`)
	pathParamPattern  = regexp.MustCompile(`parameter:? ([A-Za-z0-9_.]+)`)
	bodyFieldPattern  = regexp.MustCompile(`field ([A-Za-z0-9_.]+)`)
)

// invalidPart says which part of a request grpc-gateway could not parse:
// a field in the REST API's camelCase when its message names one.
func invalidPart(message string) string {
	for _, p := range []*regexp.Regexp{queryFieldPattern, pathParamPattern, bodyFieldPattern} {
		if m := p.FindStringSubmatch(message); m != nil {
			return lowerCamel(m[1])
		}
	}
	switch {
	case strings.Contains(message, "unknown field"):
		// The name is the caller's text, so it is not echoed back.
		return "the body has a field this call does not have"
	case strings.HasPrefix(message, "proto:"), strings.Contains(message, "request body"),
		strings.Contains(message, "EOF"):
		return "the body is not a JSON object of this call"
	case strings.Contains(message, "URL"), strings.Contains(message, "query"):
		return "the query string"
	}
	return "it could not be read"
}

// lowerCamel turns a protobuf field name (page_size) into its JSON name
// (pageSize); a name already in camelCase is kept.
func lowerCamel(name string) string {
	var b strings.Builder
	upper := false
	for _, r := range name {
		if r == '_' {
			upper = true
			continue
		}
		if upper {
			b.WriteString(strings.ToUpper(string(r)))
			upper = false
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// writeAdminError writes s as grpc-gateway writes errors, a JSON object with
// code, message and details, with httpStatus.
func writeAdminError(
	mux *runtime.ServeMux,
	w http.ResponseWriter,
	r *http.Request,
	httpStatus int,
	s *status.Status,
) {
	_, marshaler := runtime.MarshalerForRequest(mux, r)
	body, err := marshaler.Marshal(s.Proto())
	if err != nil {
		body = []byte(`{"code":13,"message":"internal error","details":[]}`)
		httpStatus = http.StatusInternalServerError
	}

	h := w.Header()
	h.Del("Trailer")
	h.Del("Transfer-Encoding")
	h.Set("Content-Type", "application/json")
	if httpStatus == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="cra-evidence-admin"`)
	}
	if httpStatus == http.StatusRequestEntityTooLarge {
		// The rest of the body is not read; the connection cannot be reused.
		h.Set("Connection", "close")
	}
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}

// adminHeaderMatcher forwards the request id header besides grpc-gateway's
// defaults (which already pass Authorization on as "authorization").
func adminHeaderMatcher(key string) (string, bool) {
	if http.CanonicalHeaderKey(key) == requestid.HeaderName {
		return requestid.MetadataKey, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

func writePlain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body + "\n"))
}
