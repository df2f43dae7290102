// Package httpapi serves SCIM 2.0 over HTTP with echo: routes, paging,
// entity tags and the one SCIM error handler. It reaches the provisioning
// core only through the core.Provisioning port.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/craevidence/scim-provisioning/pkg/requestid"
	"github.com/craevidence/scim-provisioning/pkg/telemetry"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// ContentType is the media type of every SCIM response.
const ContentType = "application/scim+json"

// BasePath is where the SCIM endpoints live.
const BasePath = "/scim/v2"

// DefaultMaxBodyBytes bounds request bodies when Options leaves it unset. A
// group PATCH with a thousand member operations fits well inside.
const DefaultMaxBodyBytes = 1 << 20

const scimTypeKey = "scimType"

// Options configures the SCIM HTTP API.
type Options struct {
	Core   core.Provisioning
	Logger *slog.Logger
	// PublicURL is the SCIM base URL as clients see it, such as
	// https://scim.example.com/scim/v2, used in meta.location and the
	// Location header. When empty it is derived from each request.
	PublicURL    string
	MaxBodyBytes int64
	// RateLimit is how many requests per second one bearer token may send
	// to this replica, with bursts of RateBurst; 0 takes DefaultRateLimit
	// and DefaultRateBurst, a negative RateLimit turns the limit off.
	RateLimit int
	RateBurst int
	// AuthFailureRate is how many requests per second one client address
	// may send that the core refuses for their token, with bursts of
	// AuthFailureBurst; 0 takes DefaultAuthFailureRate and
	// DefaultAuthFailureBurst, a negative AuthFailureRate turns the limit
	// off.
	AuthFailureRate  int
	AuthFailureBurst int
	// Metrics counts and times the answered requests; nil counts nothing.
	Metrics *telemetry.HTTPMetrics
}

type api struct {
	core      core.Provisioning
	log       *slog.Logger
	publicURL string
	maxBody   int64
	limiter   *rateLimiter
	// authFailures limits, per client address, the requests the core
	// refused for their token.
	authFailures *rateLimiter
	metrics      *telemetry.HTTPMetrics
}

// New returns the HTTP handler of the gateway: /scim/v2, /healthz and
// /readyz.
func New(opts Options) *echo.Echo {
	a := &api{
		core:      opts.Core,
		log:       opts.Logger,
		publicURL: strings.TrimRight(opts.PublicURL, "/"),
		maxBody:   opts.MaxBodyBytes,
		limiter:   newRateLimiter(opts.RateLimit, opts.RateBurst, time.Now),
		authFailures: newAuthFailureLimiter(opts.AuthFailureRate, opts.AuthFailureBurst,
			time.Now),
		metrics: opts.Metrics,
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.handleError
	e.Use(a.requestContext)
	e.Use(middleware.Recover())

	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)

	g := e.Group(BasePath, a.limitBody, a.checkContentType, a.recordSource, a.authenticate,
		a.limitAuthFailures, a.limitRate, a.checkPathID)
	g.GET("/Users", a.listUsers)
	g.POST("/Users", a.createUser)
	g.POST("/Users/.search", a.searchUsers)
	g.GET("/Users/:id", a.getUser)
	g.PUT("/Users/:id", a.replaceUser)
	g.PATCH("/Users/:id", a.patchUser)
	g.DELETE("/Users/:id", a.deleteUser)

	g.GET("/Groups", a.listGroups)
	g.POST("/Groups", a.createGroup)
	g.POST("/Groups/.search", a.searchGroups)
	g.GET("/Groups/:id", a.getGroup)
	g.PUT("/Groups/:id", a.replaceGroup)
	g.PATCH("/Groups/:id", a.patchGroup)
	g.DELETE("/Groups/:id", a.deleteGroup)

	g.POST("/.search", a.searchAll)

	g.GET("/ServiceProviderConfig", a.serviceProviderConfig)
	g.GET("/ResourceTypes", a.resourceTypes)
	g.GET("/ResourceTypes/:name", a.resourceType)
	g.GET("/Schemas", a.schemas)
	g.GET("/Schemas/:id", a.schema)

	// RFC 7644 §3.11 and §3.7: a service provider without /Me or bulk
	// support answers 501.
	g.Any("/Me", a.notImplemented)
	g.Any("/Me/*", a.notImplemented)
	g.Any("/Bulk", a.notImplemented)

	// The group's catch-all answers 404 for every unregistered method, so
	// the methods a known path does not support are answered 405 here.
	refuse := map[string][]string{
		"/Users":                 {http.MethodGet, http.MethodPost},
		"/Users/.search":         {http.MethodPost},
		"/Users/:id":             {http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete},
		"/Groups":                {http.MethodGet, http.MethodPost},
		"/Groups/.search":        {http.MethodPost},
		"/Groups/:id":            {http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete},
		"/.search":               {http.MethodPost},
		"/ServiceProviderConfig": {http.MethodGet},
		"/ResourceTypes":         {http.MethodGet},
		"/ResourceTypes/:name":   {http.MethodGet},
		"/Schemas":               {http.MethodGet},
		"/Schemas/:id":           {http.MethodGet},
	}
	for path, allowed := range refuse {
		var others []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut,
			http.MethodPatch, http.MethodDelete} {
			if !slices.Contains(allowed, m) {
				others = append(others, m)
			}
		}
		g.Match(others, path, methodNotAllowed(strings.Join(allowed, ", ")))
	}
	return e
}

func methodNotAllowed(allow string) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderAllow, allow)
		return echo.ErrMethodNotAllowed
	}
}

// requestContext gives every request an id (the client's when sane), puts it
// in the response and the context, and logs one line per request without
// its query or body, which may hold personal data. Every answer, errors
// included, carries personal data or could: no cache may keep it, and no
// browser may read it as anything but its declared type.
func (a *api) requestContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := requestid.Sanitize(c.Request().Header.Get(requestid.HeaderName))
		h := c.Response().Header()
		h.Set(requestid.HeaderName, id)
		h.Set(echo.HeaderCacheControl, "no-store")
		h.Set(echo.HeaderXContentTypeOptions, "nosniff")
		// The route pattern, not the path, names the span and the metrics,
		// so ids and hostile paths cannot multiply series.
		route := c.Path()
		ctx, endSpan := telemetry.StartHTTPSpan(c.Request(), route)
		ctx = requestid.WithID(ctx, id)
		c.SetRequest(c.Request().WithContext(ctx))
		start := time.Now()

		if err := next(c); err != nil {
			c.Error(err)
		}

		status := c.Response().Status
		elapsed := time.Since(start)
		endSpan(status)
		if a.metrics != nil {
			a.metrics.Observe(route, c.Request().Method, status, elapsed)
		}
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case status >= 400:
			level = slog.LevelWarn
		case route == "/healthz" || route == "/readyz":
			// Probes arrive every few seconds; at Info they would drown
			// the requests of identity providers.
			level = slog.LevelDebug
		}
		attrs := []slog.Attr{
			slog.String("request_id", id),
			slog.String("method", c.Request().Method),
			slog.String("route", c.Path()),
			slog.Int("status", status),
			slog.Int64("duration_ms", elapsed.Milliseconds()),
		}
		if t, _ := c.Get(scimTypeKey).(string); t != "" {
			attrs = append(attrs, slog.String("scim_type", t))
		}
		a.log.LogAttrs(ctx, level, "scim request served", attrs...)
		return nil
	}
}

func requestIDOf(c echo.Context) string {
	return requestid.FromContext(c.Request().Context())
}

// limitBody bounds the request body, so a client cannot make the gateway
// buffer arbitrary amounts of JSON.
func (a *api) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > a.maxBody {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		req.Body = http.MaxBytesReader(c.Response(), req.Body, a.maxBody)
		return next(c)
	}
}

// checkContentType accepts SCIM and plain JSON bodies, and bodies without a
// content type, which some clients omit.
func (a *api) checkContentType(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
		default:
			return next(c)
		}
		ct := c.Request().Header.Get(echo.HeaderContentType)
		if ct == "" {
			return next(c)
		}
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != ContentType && mt != echo.MIMEApplicationJSON) {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType)
		}
		return next(c)
	}
}

// authenticate takes the bearer token from the Authorization header and
// puts it in the context for the core, which checks it on every call. A
// missing or malformed token is refused here without asking the core.
func (a *api) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		header := c.Request().Header.Get(echo.HeaderAuthorization)
		token, doubled, ok := bearerToken(header)
		if !ok && trimBlanks(header) == "" {
			return &core.Error{Kind: core.KindUnauthenticated,
				Message: "a bearer token is required in the Authorization header"}
		}
		if !ok {
			return &core.Error{Kind: core.KindUnauthenticated,
				Message: "the Authorization header does not hold a well-formed bearer token"}
		}
		if doubled {
			notesOf(c).Note(scim.RuleDoubledBearer)
		}
		c.SetRequest(c.Request().WithContext(core.WithToken(c.Request().Context(), token)))
		return next(c)
	}
}

// BearerToken reads the token of an Authorization header. The scheme is
// case-insensitive, and Entra ID's doubled "Bearer Bearer <token>" is
// accepted. A token is printable ASCII (RFC 6750 allows even less): any
// other byte could never match, and gRPC refuses to carry it as metadata.
func BearerToken(header string) (string, bool) {
	token, _, ok := bearerToken(header)
	return token, ok
}

// bearerToken is BearerToken that also reports a doubled prefix.
func bearerToken(header string) (token string, doubled, ok bool) {
	rest, ok := cutScheme(trimBlanks(header))
	if !ok {
		return "", false, false
	}
	if again, ok := cutScheme(rest); ok {
		rest, doubled = again, true
	}
	if rest == "" || !printableASCII(rest) {
		return "", false, false
	}
	return rest, doubled, true
}

// printableASCII reports whether s holds only visible ASCII characters,
// without spaces.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// checkPathID refuses an id in the URL path that holds a control character
// (a NUL from %00, say) before it reaches the core. Echo leaves a path
// parameter escaped when the request escaped it in a way Go would not
// (%1f rather than %1F), so the id is unescaped here, the same whatever
// the case of its escapes. An id that is not valid UTF-8 is answered 404
// here; see unknownPathID.
func (a *api) checkPathID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Param("id")
		if id == "" {
			return next(c)
		}
		if strings.Contains(id, "%") {
			unescaped, err := url.PathUnescape(id)
			if err != nil {
				return &scim.Error{ScimType: scim.ErrInvalidValue,
					Detail: "the id in the path is not well-formed"}
			}
			id = unescaped
			setParam(c, "id", id)
		}
		if !utf8.ValidString(id) {
			return unknownPathID(c.Request().Method)
		}
		if err := scim.CheckID(id); err != nil {
			return err
		}
		return next(c)
	}
}

// unknownPathID is the 404 for an id in the path that is not valid UTF-8.
// The core's ids are UTF-8, so such an id names no resource; asking the
// core would only fail in protobuf, which carries nothing but UTF-8 in a
// string. A refused write is reported like the core reports its own 404s,
// so the provisioning log shows the attempt; a read is not, as the core
// logs no reads.
func unknownPathID(method string) error {
	notFound := &core.Error{Kind: core.KindNotFound,
		Message: "no resource has the id given in the path"}
	if method == http.MethodGet {
		return notFound
	}
	return refusedHere(notFound)
}

// setParam replaces the value of one path parameter.
func setParam(c echo.Context, name, value string) {
	values := slices.Clone(c.ParamValues())
	for i, n := range c.ParamNames() {
		if n == name && i < len(values) {
			values[i] = value
		}
	}
	c.SetParamValues(values...)
}

// recordSource starts the request's source: its User-Agent and an empty
// set of compatibility rules that the handlers fill as they read the
// request, for the core's provisioning log.
func (a *api) recordSource(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		src := &core.Source{
			UserAgent: c.Request().UserAgent(),
			Notes:     &scim.Notes{},
		}
		c.SetRequest(c.Request().WithContext(core.WithSource(c.Request().Context(), src)))
		return next(c)
	}
}

// notesOf returns the request's compatibility notes, or nil outside the
// SCIM routes, which records nothing.
func notesOf(c echo.Context) *scim.Notes {
	if src := core.SourceFrom(c.Request().Context()); src != nil {
		return src.Notes
	}
	return nil
}

func cutScheme(s string) (string, bool) {
	const scheme = "bearer "
	if len(s) < len(scheme) || !strings.EqualFold(s[:len(scheme)], scheme) {
		return "", false
	}
	return trimBlanks(s[len(scheme):]), true
}

// trimBlanks trims the spaces and tabs HTTP allows around a header value,
// and nothing else: a non-ASCII space belongs to the token and spoils it.
func trimBlanks(s string) string {
	return strings.Trim(s, " \t")
}

func (a *api) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz reports ready when the core answers, so a load balancer sends no
// traffic to a gateway that could only fail it.
func (a *api) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()

	if err := a.core.Ping(ctx); err != nil {
		a.log.Warn("readiness check failed", slog.String("error", err.Error()))
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (a *api) notImplemented(c echo.Context) error {
	return &core.Error{Kind: core.KindUnimplemented,
		Message: "this service provider does not support " + c.Path()}
}

// readBody reads the (bounded) request body.
func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return nil, echo.NewHTTPError(http.StatusBadRequest)
	}
	return body, nil
}

// writeJSON renders v as application/scim+json.
func writeJSON(c echo.Context, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return c.Blob(status, ContentType, buf.Bytes())
}

// baseURL is the SCIM base URL for meta.location.
func (a *api) baseURL(c echo.Context) string {
	if a.publicURL != "" {
		return a.publicURL
	}
	return c.Scheme() + "://" + c.Request().Host + BasePath
}

const headerETag = "ETag"
