package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// ReportTimeout bounds how long an error answer waits for the core to log
// the refusal. Reporting is best-effort: a report that fails or times out is
// logged here and the answer goes out unchanged.
const ReportTimeout = 500 * time.Millisecond

// refusal marks an error the gateway made itself in the core's terms (a
// stale If-Match), so the error handler tells it from the core's own
// errors, which the core has logged already. A report carries detail when
// it is set, otherwise the fixed description of the answer.
type refusal struct {
	err    *core.Error
	detail string
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// refusedHere wraps a gateway-made core error; see refusal.
func refusedHere(e *core.Error) error { return &refusal{err: e} }

// The fixed descriptions a report carries: never the error's own detail,
// which may quote a value of the request.
var (
	scimTypeDescriptions = map[string]string{
		scim.ErrInvalidFilter: "the filter is malformed or names an unknown attribute",
		scim.ErrTooMany:       "the request holds too many operations or values",
		scim.ErrUniqueness:    "the request repeats a value that must be unique",
		scim.ErrMutability:    "the request changes an attribute that cannot be changed",
		scim.ErrInvalidSyntax: "the request body is not a well-formed SCIM message",
		scim.ErrInvalidPath:   "a PATCH path is malformed or names an unknown attribute",
		scim.ErrNoTarget:      "a PATCH operation has no target",
		scim.ErrInvalidValue:  "an attribute value is missing, has the wrong type or is not allowed",
		scim.ErrInvalidVers:   "the request names an unsupported SCIM version",
	}
	statusDescriptions = map[int]string{
		http.StatusBadRequest:            "the request is malformed",
		http.StatusNotFound:              "the resource does not exist or belongs to another SCIM client",
		http.StatusMethodNotAllowed:      "the method is not allowed on this endpoint",
		http.StatusPreconditionFailed:    "the resource does not have the version given in If-Match",
		http.StatusRequestEntityTooLarge: "the request body is too large",
		http.StatusUnsupportedMediaType:  "the request body has an unsupported content type",
	}
)

// reportRejection tells the core about a request the gateway refused
// itself, so the provisioning log shows every failed SCIM operation. What
// is reported:
//
//   - 4xx answers made by the gateway: malformed bodies, filters, PATCH
//     operations and paths, wrong types, bad values, a stale If-Match, a
//     method a known endpoint does not allow, and bodies refused before
//     parsing for their size (413) or content type (415), which are the
//     misconfigurations an admin most needs to see;
//   - 404 for a write whose id in the path is not valid UTF-8, reported
//     without the id, which can name no resource, and 404 for a user that a
//     PUT or PATCH read first and did not find (the core logs no reads);
//   - only with a well-formed bearer token, which the core checks: an
//     unknown token leaves no event.
//
// Not reported: 401 for a missing or malformed token (there is no client
// to log it for), 404 for an unknown route (no SCIM operation was meant),
// 429 from the rate limiter (reporting each would pass the flood on to the
// core) and errors of the core itself, which the core has logged.
func (a *api) reportRejection(c echo.Context, err error, p problem) {
	if !reportable(err, p.status) {
		return
	}
	token, _, ok := bearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
	if !ok {
		return
	}

	rejection := core.Rejection{
		Operation:  operationOf(c.Request().Method, c.Path()),
		HTTPStatus: p.status,
		ScimType:   p.scimType,
		Detail:     describe(p),
	}
	var own *refusal
	if errors.As(err, &own) && own.detail != "" {
		rejection.Detail = own.detail
	}
	if strings.HasSuffix(c.Path(), "/:id") && looksLikeID(c.Param("id")) {
		rejection.ResourceID = c.Param("id")
	}

	// The report outlives a client that hung up, but not the timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), ReportTimeout)
	defer cancel()
	ctx = core.WithToken(ctx, token)

	if err := a.core.ReportRejection(ctx, rejection); err != nil {
		level := slog.LevelWarn
		if core.IsKind(err, core.KindUnauthenticated) || core.IsKind(err, core.KindPermissionDenied) {
			// The core refused the token: there is no client to log for.
			level = slog.LevelDebug
		}
		a.log.LogAttrs(ctx, level, "scim rejection not reported to the provisioning log",
			slog.String("request_id", requestIDOf(c)), slog.String("route", c.Path()),
			slog.Int("status", p.status), slog.String("error", err.Error()))
	}
}

// reportable reports whether err is a refusal of the gateway's own that
// the provisioning log should show; see reportRejection.
func reportable(err error, status int) bool {
	if status < 400 || status > 499 {
		return false
	}
	var scimErr *scim.Error
	var own *refusal
	var httpErr *echo.HTTPError
	switch status {
	case http.StatusUnauthorized, http.StatusTooManyRequests:
		return false
	case http.StatusNotFound:
		// Only a 404 the gateway decided on for a resource; an unknown
		// route is no SCIM operation, and the core logs its own.
		return errors.As(err, &own)
	}
	return errors.As(err, &scimErr) || errors.As(err, &own) || errors.As(err, &httpErr)
}

// operationOf names the provisioning log operation a request attempted,
// or "" for reads, searches and anything else that changes nothing.
func operationOf(method, route string) string {
	resource := strings.TrimPrefix(route, BasePath+"/")
	var kind string
	switch {
	case resource == "Users" || resource == "Users/:id":
		kind = "user"
	case resource == "Groups" || resource == "Groups/:id":
		kind = "group"
	default:
		return ""
	}

	byID := strings.HasSuffix(resource, "/:id")
	switch {
	case method == http.MethodPost && !byID:
		return kind + ".create"
	case (method == http.MethodPut || method == http.MethodPatch) && byID:
		return kind + ".update"
	case method == http.MethodDelete && byID:
		return kind + ".delete"
	}
	return ""
}

// describe returns the fixed description of a problem.
func describe(p problem) string {
	if d, ok := scimTypeDescriptions[p.scimType]; ok {
		return d
	}
	if d, ok := statusDescriptions[p.status]; ok {
		return d
	}
	return http.StatusText(p.status)
}

// looksLikeID reports whether s has the shape of the core's ids, UUIDs in
// their canonical form, so a path that carries anything else (a userName,
// say) is not sent on.
func looksLikeID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9') && !('a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}
