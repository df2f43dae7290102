package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// A PATCH without If-Match is re-applied when another writer changed the
// user between its read and its write. Identity providers send bursts of
// PATCHes to one user (Entra ID's attribute sync, say), so a lost race is
// retried up to patchAttempts times, after a jittered pause that grows
// from patchBackoffBase up to patchBackoffMax, and never beyond
// patchRetryBudget in all: the writers spread out instead of colliding
// again, and a client waits a bounded time.
const (
	patchAttempts    = 10
	patchBackoffBase = 5 * time.Millisecond
	patchBackoffMax  = 200 * time.Millisecond
	patchRetryBudget = 3 * time.Second
)

// lostRacesDetail is what the provisioning log says of a PATCH without
// If-Match that lost every race it was retried in.
const lostRacesDetail = "the user kept changing while the PATCH was retried; " +
	"no attempt could be applied"

func (a *api) listUsers(c echo.Context) error {
	lr, err := listFromQuery(c)
	if err != nil {
		return err
	}
	return a.respondUserList(c, lr)
}

func (a *api) searchUsers(c echo.Context) error {
	lr, err := listFromSearch(c)
	if err != nil {
		return err
	}
	return a.respondUserList(c, lr)
}

func (a *api) respondUserList(c echo.Context, lr listRequest) error {
	page, err := a.core.ListUsers(c.Request().Context(), lr.query)
	if err != nil {
		return err
	}

	docs := make([]map[string]any, 0, len(page.Users))
	for _, u := range page.Users {
		doc, err := a.userDocument(c, u, lr.projection)
		if err != nil {
			return err
		}
		docs = append(docs, doc)
	}
	return writeJSON(c, http.StatusOK, listResponse(page.Total, lr.query.StartIndex, docs))
}

func (a *api) createUser(c echo.Context) error {
	proj, err := projectionOf(c)
	if err != nil {
		return err
	}
	u, err := decodeUserBody(c)
	if err != nil {
		return err
	}

	created, err := a.core.CreateUser(c.Request().Context(), u)
	if err != nil {
		return err
	}

	c.Response().Header().Set(echo.HeaderLocation, a.baseURL(c)+"/Users/"+created.ID)
	return a.respondUser(c, http.StatusCreated, created, proj)
}

func (a *api) getUser(c echo.Context) error {
	proj, err := projectionOf(c)
	if err != nil {
		return err
	}

	u, err := a.core.GetUser(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}

	if notModified(c, u.Meta) {
		return c.NoContent(http.StatusNotModified)
	}
	return a.respondUser(c, http.StatusOK, u, proj)
}

// replaceUser handles PUT. A body without active keeps the stored value:
// leaving it out does not mean deprovisioning, and must not reactivate.
func (a *api) replaceUser(c echo.Context) error {
	ctx := c.Request().Context()
	proj, err := projectionOf(c)
	if err != nil {
		return err
	}
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	u, err := decodeUserBody(c)
	if err != nil {
		return err
	}
	u.ID = c.Param("id")

	if u.Active == nil {
		current, err := a.readForUpdate(ctx, u.ID)
		if err != nil {
			return err
		}
		u.Active = current.Active
	}

	updated, err := a.core.UpdateUser(ctx, u, expected, core.UpdateReplace)
	if err != nil {
		return err
	}
	return a.respondUser(c, http.StatusOK, updated, proj)
}

// patchUser reads the user, applies the operations in memory and writes the
// result back with the version it read, so a concurrent change is never
// overwritten. With If-Match the client's version must be the one read;
// without it a lost race is retried (see patchAttempts). Users PATCH
// answers 200 with the user, which both Okta and Entra ID accept.
func (a *api) patchUser(c echo.Context) error {
	ctx := c.Request().Context()
	proj, err := projectionOf(c)
	if err != nil {
		return err
	}
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	ops, err := scim.DecodePatch(body, notesOf(c))
	if err != nil {
		return err
	}

	retryUntil := time.Now().Add(patchRetryBudget)
	for attempt := 1; ; attempt++ {
		current, err := a.readForUpdate(ctx, c.Param("id"))
		if err != nil {
			return err
		}
		version := versionOf(current.Meta)
		if expected != 0 && expected != version {
			return staleVersion()
		}

		changed, err := scim.ApplyUserPatch(current, ops, notesOf(c))
		if err != nil {
			return err
		}

		// Without If-Match a stale version is the gateway's to retry or
		// report, so the core is told not to log it (see
		// core.WithOptimisticAttempt).
		writeCtx := ctx
		if expected == 0 {
			writeCtx = core.WithOptimisticAttempt(ctx)
		}
		updated, err := a.core.UpdateUser(writeCtx, changed, version, core.UpdatePatch)
		var coreErr *core.Error
		if expected == 0 && errors.As(err, &coreErr) && coreErr.Kind == core.KindPreconditionFailed {
			if attempt < patchAttempts && pauseBeforeRetry(ctx, attempt, retryUntil) {
				continue
			}
			return &refusal{err: coreErr, detail: lostRacesDetail}
		}
		if err != nil {
			return err
		}
		return a.respondUser(c, http.StatusOK, updated, proj)
	}
}

// readForUpdate reads the user that a PUT or PATCH is about to change. The
// core logs no reads, so when the user does not exist or belongs to another
// SCIM client the 404 is the gateway's own refusal, reported to the
// provisioning log: attempts to change another client's users leave a
// trace.
func (a *api) readForUpdate(ctx context.Context, id string) (scim.User, error) {
	u, err := a.core.GetUser(ctx, id)
	var coreErr *core.Error
	if errors.As(err, &coreErr) && coreErr.Kind == core.KindNotFound {
		return scim.User{}, refusedHere(coreErr)
	}
	return u, err
}

// pauseBeforeRetry waits a random time of up to patchBackoffBase doubled
// for each attempt made, at most patchBackoffMax. It reports false, at
// once, when the pause would end after retryUntil or the request ends
// first.
func pauseBeforeRetry(ctx context.Context, attempt int, retryUntil time.Time) bool {
	ceiling := min(patchBackoffBase<<min(attempt-1, 16), patchBackoffMax)
	pause := rand.N(ceiling) + time.Millisecond
	if time.Now().Add(pause).After(retryUntil) {
		return false
	}

	timer := time.NewTimer(pause)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (a *api) deleteUser(c echo.Context) error {
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	if err := a.core.DeleteUser(c.Request().Context(), c.Param("id"), expected); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func decodeUserBody(c echo.Context) (scim.User, error) {
	body, err := readBody(c)
	if err != nil {
		return scim.User{}, err
	}
	u, err := scim.DecodeUser(body, notesOf(c))
	if err != nil {
		return scim.User{}, err
	}
	if strings.TrimSpace(u.UserName) == "" {
		return scim.User{}, &scim.Error{ScimType: scim.ErrInvalidValue,
			Detail: "userName is required"}
	}
	return u, nil
}

func (a *api) respondUser(c echo.Context, status int, u scim.User, proj scim.Projection) error {
	doc, err := a.userDocument(c, u, proj)
	if err != nil {
		return err
	}
	setETag(c, u.Meta)
	return writeJSON(c, status, doc)
}

// userDocument renders a user with the request's locations filled in.
func (a *api) userDocument(c echo.Context, u scim.User, proj scim.Projection) (map[string]any, error) {
	base := a.baseURL(c)
	if u.Meta == nil {
		u.Meta = &scim.Meta{}
	}
	meta := *u.Meta
	meta.Location = base + "/Users/" + u.ID
	u.Meta = &meta

	if u.Enterprise != nil && u.Enterprise.Manager != nil && u.Enterprise.Manager.Value != "" {
		ent, mgr := *u.Enterprise, *u.Enterprise.Manager
		mgr.Ref = base + "/Users/" + mgr.Value
		ent.Manager = &mgr
		u.Enterprise = &ent
	}
	groups := make([]scim.Reference, len(u.Groups))
	for i, g := range u.Groups {
		g.Ref = base + "/Groups/" + g.Value
		groups[i] = g
	}
	u.Groups = groups

	doc, err := scim.EncodeUser(u)
	if err != nil {
		return nil, err
	}
	return proj.Apply(doc), nil
}

func projectionOf(c echo.Context) (scim.Projection, error) {
	return scim.ParseProjection(c.QueryParam("attributes"), c.QueryParam("excludedAttributes"))
}

// ifMatch returns the version an If-Match header demands, or 0 when there
// is none or it is "*". A tag that is not one of ours can never match.
func ifMatch(c echo.Context) (int64, error) {
	header := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if header == "" || header == "*" {
		return 0, nil
	}
	for _, tag := range strings.Split(header, ",") {
		if v, ok := scim.ParseETag(tag); ok && v > 0 {
			return v, nil
		}
	}
	return 0, staleVersion()
}

// notModified reports whether If-None-Match names the current version.
func notModified(c echo.Context, meta *scim.Meta) bool {
	header := strings.TrimSpace(c.Request().Header.Get("If-None-Match"))
	if header == "" || meta == nil || meta.Version == 0 {
		return false
	}
	if header == "*" {
		return true
	}
	for _, tag := range strings.Split(header, ",") {
		if v, ok := scim.ParseETag(tag); ok && v == meta.Version {
			c.Response().Header().Set(headerETag, scim.FormatETag(v))
			return true
		}
	}
	return false
}

// setETag sends the resource's version, when it has one, as its ETag.
func setETag(c echo.Context, meta *scim.Meta) {
	if v := versionOf(meta); v > 0 {
		c.Response().Header().Set(headerETag, scim.FormatETag(v))
	}
}

func versionOf(meta *scim.Meta) int64 {
	if meta == nil {
		return 0
	}
	return meta.Version
}

// staleVersion is the gateway's own 412, for an If-Match that cannot match
// the version it read.
func staleVersion() error {
	return refusedHere(&core.Error{Kind: core.KindPreconditionFailed,
		Message: "the resource does not have the version given in If-Match"})
}

// decodeStrict decodes a gateway message (not a resource) such as a
// SearchRequest; a malformed one is invalidSyntax, a wrong type
// invalidValue.
func decodeStrict(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return &scim.Error{ScimType: scim.ErrInvalidValue,
				Detail: typeErr.Field + " has the wrong type"}
		}
		return &scim.Error{ScimType: scim.ErrInvalidSyntax, Detail: "request body is not valid JSON"}
	}
	return nil
}
