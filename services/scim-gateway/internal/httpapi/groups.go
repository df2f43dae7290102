package httpapi

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

func (a *api) listGroups(c echo.Context) error {
	lr, err := listFromQuery(c)
	if err != nil {
		return err
	}
	return a.respondGroupList(c, lr)
}

func (a *api) searchGroups(c echo.Context) error {
	lr, err := listFromSearch(c)
	if err != nil {
		return err
	}
	return a.respondGroupList(c, lr)
}

func (a *api) respondGroupList(c echo.Context, lr listRequest) error {
	// Entra ID reads with excludedAttributes=members; the core then need not
	// load member lists at all.
	lr.query.ExcludeMembers = !lr.projection.Returns("members")
	page, err := a.core.ListGroups(c.Request().Context(), lr.query)
	if err != nil {
		return err
	}

	docs := make([]map[string]any, 0, len(page.Groups))
	for _, g := range page.Groups {
		doc, err := a.groupDocument(c, g, lr.projection)
		if err != nil {
			return err
		}
		docs = append(docs, doc)
	}
	return writeJSON(c, http.StatusOK, listResponse(page.Total, lr.query.StartIndex, docs))
}

func (a *api) createGroup(c echo.Context) error {
	proj, err := projectionOf(c)
	if err != nil {
		return err
	}
	g, err := decodeGroupBody(c)
	if err != nil {
		return err
	}

	created, err := a.core.CreateGroup(c.Request().Context(), g)
	if err != nil {
		return err
	}

	c.Response().Header().Set(echo.HeaderLocation, a.baseURL(c)+"/Groups/"+created.ID)
	return a.respondGroup(c, http.StatusCreated, created, proj)
}

func (a *api) getGroup(c echo.Context) error {
	proj, err := projectionOf(c)
	if err != nil {
		return err
	}

	g, err := a.core.GetGroup(c.Request().Context(), c.Param("id"), !proj.Returns("members"))
	if err != nil {
		return err
	}

	if notModified(c, g.Meta) {
		return c.NoContent(http.StatusNotModified)
	}
	return a.respondGroup(c, http.StatusOK, g, proj)
}

func (a *api) replaceGroup(c echo.Context) error {
	proj, err := projectionOf(c)
	if err != nil {
		return err
	}
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	g, err := decodeGroupBody(c)
	if err != nil {
		return err
	}
	g.ID = c.Param("id")

	updated, err := a.core.ReplaceGroup(c.Request().Context(), g, expected)
	if err != nil {
		return err
	}
	return a.respondGroup(c, http.StatusOK, updated, proj)
}

// patchGroup turns the operations into one ModifyGroup call of set
// operations, so a large group is never read and rewritten.
//
// Response rule: 204 No Content, which Entra ID prefers and RFC 7644 §3.5.2
// allows, unless the request asks for the resource back with an attributes
// or excludedAttributes parameter; then 200 with the group, projected.
func (a *api) patchGroup(c echo.Context) error {
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
	change, err := scim.PlanGroupPatch(c.Param("id"), ops, notesOf(c))
	if err != nil {
		return err
	}

	wantBody := c.QueryParam("attributes") != "" || c.QueryParam("excludedAttributes") != ""
	g, err := a.core.ModifyGroup(c.Request().Context(), core.GroupModification{
		ID:              c.Param("id"),
		ExpectedVersion: expected,
		Change:          change,
		ExcludeMembers:  !wantBody || !proj.Returns("members"),
	})
	if err != nil {
		return err
	}

	if !wantBody {
		setETag(c, g.Meta)
		return c.NoContent(http.StatusNoContent)
	}
	return a.respondGroup(c, http.StatusOK, g, proj)
}

func (a *api) deleteGroup(c echo.Context) error {
	expected, err := ifMatch(c)
	if err != nil {
		return err
	}
	if err := a.core.DeleteGroup(c.Request().Context(), c.Param("id"), expected); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func decodeGroupBody(c echo.Context) (scim.Group, error) {
	body, err := readBody(c)
	if err != nil {
		return scim.Group{}, err
	}
	g, err := scim.DecodeGroup(body, notesOf(c))
	if err != nil {
		return scim.Group{}, err
	}
	if strings.TrimSpace(g.DisplayName) == "" {
		return scim.Group{}, &scim.Error{ScimType: scim.ErrInvalidValue,
			Detail: "displayName is required"}
	}
	return g, nil
}

func (a *api) respondGroup(c echo.Context, status int, g scim.Group, proj scim.Projection) error {
	doc, err := a.groupDocument(c, g, proj)
	if err != nil {
		return err
	}
	setETag(c, g.Meta)
	return writeJSON(c, status, doc)
}

func (a *api) groupDocument(c echo.Context, g scim.Group, proj scim.Projection) (map[string]any, error) {
	base := a.baseURL(c)
	if g.Meta == nil {
		g.Meta = &scim.Meta{}
	}
	meta := *g.Meta
	meta.Location = base + "/Groups/" + g.ID
	g.Meta = &meta

	members := make([]scim.Reference, len(g.Members))
	for i, m := range g.Members {
		kind := "Users"
		if m.Type == "Group" {
			kind = "Groups"
		}
		m.Ref = base + "/" + kind + "/" + m.Value
		members[i] = m
	}
	g.Members = members

	doc, err := scim.EncodeGroup(g)
	if err != nil {
		return nil, err
	}
	return proj.Apply(doc), nil
}
