package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// MaxRejectionDetailLength bounds, in characters, the description of a
// refused request that the provisioning log keeps.
const MaxRejectionDetailLength = 200

// Rejection is a SCIM request that the gateway refused itself, so the core
// never saw it, as the gateway describes it: no value of the request, only
// what kind of request it was and what kind of mistake it made.
type Rejection struct {
	// Operation is what the request attempted, such as "user.update".
	Operation string
	// ResourceID is the user or group the request named, or "".
	ResourceID string
	// HTTPStatus is the status the gateway answered, 400 to 499.
	HTTPStatus int
	// ScimType is the SCIM error type the gateway answered, or "".
	ScimType string
	// Detail says what was wrong, in the gateway's fixed words.
	Detail string
}

// rejectableOperations are the operations a refused request may be logged
// under; anything else is logged as a refused request of no known kind.
var rejectableOperations = map[domain.Operation]bool{
	domain.OpUserCreate:     true,
	domain.OpUserUpdate:     true,
	domain.OpUserDeactivate: true,
	domain.OpUserReactivate: true,
	domain.OpUserDelete:     true,
	domain.OpUserErase:      true,
	domain.OpGroupCreate:    true,
	domain.OpGroupUpdate:    true,
	domain.OpGroupDelete:    true,
}

// scimErrorTypes are the scimType values of RFC 7644 §3.12.
var scimErrorTypes = map[string]bool{
	"invalidFilter": true, "tooMany": true, "uniqueness": true, "mutability": true,
	"invalidSyntax": true, "invalidPath": true, "noTarget": true, "invalidValue": true,
	"invalidVers": true, "sensitive": true,
}

// ReportRejection writes one failed provisioning event for a request the
// SCIM gateway refused before it reached the core, so the log shows every
// failed SCIM operation, as the design requires.
//
// The report comes from the gateway but is authenticated with the SCIM
// client's token, so it is not trusted further than that client: the
// operation must be a known user or group operation, the resource id must
// look like one of ours, and the detail is bounded and stripped of control
// characters. It can write only into the caller's own log.
func (p *Provisioning) ReportRejection(ctx context.Context, caller ScimCaller, r Rejection) error {
	if r.HTTPStatus < 400 || r.HTTPStatus > 499 {
		return domain.Errorf(domain.KindInvalid, "http_status must be a client error (400 to 499)")
	}

	op := domain.Operation(r.Operation)
	if !rejectableOperations[op] {
		op = domain.OpRequestRefused
	}
	event := p.events.event(ctx, caller.Organization.ID, caller.Client.ID, caller.actor(), op)
	if wellFormedID(r.ResourceID) {
		if strings.HasPrefix(string(op), "group.") {
			event.GroupID = r.ResourceID
		} else {
			event.MemberID = r.ResourceID
		}
	}

	p.events.failed(ctx, event, domain.OutcomeFailed,
		domain.Errorf(rejectionKind(r.HTTPStatus), "%s", rejectionDetail(r)))
	return nil
}

// wellFormedID reports whether id is a resource id as the core makes them:
// a UUID in its canonical lower-case form.
func wellFormedID(id string) bool {
	parsed, err := uuid.Parse(id)
	return err == nil && parsed.String() == id
}

// rejectionKind names the error kind of a refusal by its HTTP status, the
// way the gateway reads the kinds the other way round.
func rejectionKind(status int) domain.Kind {
	switch status {
	case http.StatusUnauthorized:
		return domain.KindUnauthenticated
	case http.StatusForbidden:
		return domain.KindPermissionDenied
	case http.StatusNotFound:
		return domain.KindNotFound
	case http.StatusConflict:
		return domain.KindConflict
	case http.StatusPreconditionFailed:
		return domain.KindPreconditionFailed
	default:
		return domain.KindInvalid
	}
}

// rejectionDetail renders what the log keeps: "HTTP 400 invalidPath: …".
func rejectionDetail(r Rejection) string {
	detail := cleanDetail(r.Detail)
	if detail == "" {
		detail = http.StatusText(r.HTTPStatus)
	}
	prefix := fmt.Sprintf("HTTP %d", r.HTTPStatus)
	if scimErrorTypes[r.ScimType] {
		prefix += " " + r.ScimType
	}
	return prefix + ": " + detail
}

// cleanDetail keeps at most MaxRejectionDetailLength printable characters
// of valid UTF-8, with control characters turned into spaces.
func cleanDetail(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if n == MaxRejectionDetailLength {
			b.WriteString("…")
			break
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}
