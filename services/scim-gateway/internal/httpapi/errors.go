package httpapi

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// kindStatus is the one table from the core's error kinds to HTTP status
// codes. The gRPC adapter maps status codes to kinds one to one, so this is
// also where InvalidArgument becomes 400, FailedPrecondition 412 and so on.
var kindStatus = map[core.Kind]int{
	core.KindInvalid:            http.StatusBadRequest,
	core.KindUnauthenticated:    http.StatusUnauthorized,
	core.KindPermissionDenied:   http.StatusForbidden,
	core.KindNotFound:           http.StatusNotFound,
	core.KindAlreadyExists:      http.StatusConflict,
	core.KindConflict:           http.StatusConflict,
	core.KindPreconditionFailed: http.StatusPreconditionFailed,
	core.KindRateLimited:        http.StatusTooManyRequests,
	core.KindUnimplemented:      http.StatusNotImplemented,
	core.KindUnavailable:        http.StatusServiceUnavailable,
	core.KindInternal:           http.StatusInternalServerError,
}

// problem is what a SCIM error response says.
type problem struct {
	status     int
	scimType   string
	detail     string
	retryAfter int
}

// problemFor classifies any error a handler returns. Details of 500 and 503
// answers are generic: they may come from the transport or the core's
// internals, which a client must not see.
func problemFor(err error) problem {
	var scimErr *scim.Error
	var coreErr *core.Error
	var httpErr *echo.HTTPError

	switch {
	case errors.As(err, &scimErr):
		return problem{status: http.StatusBadRequest, scimType: scimErr.ScimType,
			detail: scimErr.Detail}

	case errors.As(err, &coreErr):
		p := problem{status: http.StatusInternalServerError, scimType: coreErr.ScimType,
			detail: coreErr.Message}
		if s, ok := kindStatus[coreErr.Kind]; ok {
			p.status = s
		}
		switch p.status {
		case http.StatusConflict:
			if p.scimType == "" && coreErr.Kind == core.KindAlreadyExists {
				p.scimType = scim.ErrUniqueness
			}
		case http.StatusTooManyRequests:
			// Okta honours only whole seconds.
			p.retryAfter = max(1, int(math.Ceil(coreErr.RetryAfter.Seconds())))
		case http.StatusServiceUnavailable:
			p.detail = "the provisioning service is unavailable, try again later"
			p.scimType = ""
		case http.StatusInternalServerError:
			p.detail = "internal error"
			p.scimType = ""
		}
		if p.detail == "" {
			p.detail = http.StatusText(p.status)
		}
		return p

	case errors.As(err, &httpErr):
		p := problem{status: httpErr.Code, detail: http.StatusText(httpErr.Code)}
		if p.status == http.StatusRequestEntityTooLarge {
			p.detail = "request body is too large"
		}
		if p.status >= 500 {
			p.detail = "internal error"
		}
		return p
	}
	return problem{status: http.StatusInternalServerError, detail: "internal error"}
}

// handleError is the echo error handler: every error answer of the gateway
// is rendered here, as a SCIM error body.
func (a *api) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := problemFor(err)
	c.Set(scimTypeKey, p.scimType)

	if p.status >= 500 {
		// The error text is for operators; it carries no token or body.
		a.log.LogAttrs(c.Request().Context(), slog.LevelError, "scim request failed",
			slog.String("request_id", requestIDOf(c)), slog.String("route", c.Path()),
			slog.Int("status", p.status), slog.String("error", err.Error()))
	}
	a.reportRejection(c, err, p)

	h := c.Response().Header()
	if p.status == http.StatusUnauthorized {
		h.Set(echo.HeaderWWWAuthenticate, `Bearer realm="scim"`)
	}
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.retryAfter))
	}

	body := map[string]any{
		"schemas": []string{scim.ErrorURN},
		"status":  strconv.Itoa(p.status),
		"detail":  p.detail,
	}
	if p.scimType != "" {
		body["scimType"] = p.scimType
	}
	if err := writeJSON(c, p.status, body); err != nil {
		a.log.Error("scim error response not written", slog.String("error", err.Error()))
	}
}
