package httpapi

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// Discovery endpoints (RFC 7644 §4) describe exactly what this gateway does:
// PATCH, filters up to MaxCount results, sorting and ETags yes; bulk and
// password change no. They require a valid token like every endpoint, so
// an unauthenticated caller learns nothing about the deployment.

func (a *api) serviceProviderConfig(c echo.Context) error {
	if _, err := a.core.Authenticate(c.Request().Context()); err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": "https://craevidence.eu/docs/scim",
		"patch":            map[string]any{"supported": true},
		"bulk": map[string]any{"supported": false, "maxOperations": 0,
			"maxPayloadSize": 0},
		"filter":         map[string]any{"supported": true, "maxResults": MaxCount},
		"changePassword": map[string]any{"supported": false},
		"sort":           map[string]any{"supported": true},
		"etag":           map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken",
			"name": "Bearer token",
			"description": "The SCIM client's token from Settings > SCIM Provisioning, " +
				"sent as Authorization: Bearer <token>.",
			"primary": true,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     a.baseURL(c) + "/ServiceProviderConfig",
		},
	})
}

func (a *api) resourceTypeDocs(c echo.Context) []map[string]any {
	base := a.baseURL(c)
	return []map[string]any{
		{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
			"id":          "User",
			"name":        "User",
			"endpoint":    "/Users",
			"description": "Members of the organisation",
			"schema":      scim.UserSchemaURN,
			"schemaExtensions": []map[string]any{
				{"schema": scim.EnterpriseSchemaURN, "required": false},
			},
			"meta": map[string]any{"resourceType": "ResourceType",
				"location": base + "/ResourceTypes/User"},
		},
		{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
			"id":          "Group",
			"name":        "Group",
			"endpoint":    "/Groups",
			"description": "Groups of the organisation",
			"schema":      scim.GroupSchemaURN,
			"meta": map[string]any{"resourceType": "ResourceType",
				"location": base + "/ResourceTypes/Group"},
		},
	}
}

func (a *api) resourceTypes(c echo.Context) error {
	if _, err := a.core.Authenticate(c.Request().Context()); err != nil {
		return err
	}
	docs := a.resourceTypeDocs(c)
	return writeJSON(c, http.StatusOK, listResponse(int64(len(docs)), 1, docs))
}

func (a *api) resourceType(c echo.Context) error {
	if _, err := a.core.Authenticate(c.Request().Context()); err != nil {
		return err
	}
	for _, doc := range a.resourceTypeDocs(c) {
		if strings.EqualFold(doc["id"].(string), c.Param("name")) {
			return writeJSON(c, http.StatusOK, doc)
		}
	}
	return &core.Error{Kind: core.KindNotFound, Message: "unknown resource type"}
}

func (a *api) schemaDocs(c echo.Context) []map[string]any {
	var docs []map[string]any
	for _, s := range []*scim.Schema{scim.UserSchema, scim.EnterpriseSchema, scim.GroupSchema} {
		docs = append(docs, map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"},
			"id":          s.ID,
			"name":        s.Name,
			"description": s.Description,
			"attributes":  s.Attributes,
			"meta": map[string]any{"resourceType": "Schema",
				"location": a.baseURL(c) + "/Schemas/" + s.ID},
		})
	}
	return docs
}

func (a *api) schemas(c echo.Context) error {
	if _, err := a.core.Authenticate(c.Request().Context()); err != nil {
		return err
	}
	docs := a.schemaDocs(c)
	return writeJSON(c, http.StatusOK, listResponse(int64(len(docs)), 1, docs))
}

func (a *api) schema(c echo.Context) error {
	if _, err := a.core.Authenticate(c.Request().Context()); err != nil {
		return err
	}
	for _, doc := range a.schemaDocs(c) {
		if strings.EqualFold(doc["id"].(string), c.Param("id")) {
			return writeJSON(c, http.StatusOK, doc)
		}
	}
	return &core.Error{Kind: core.KindNotFound, Message: "unknown schema"}
}

// searchAll is POST /.search at the root (RFC 7644 §3.4.3): users first,
// then groups, paged as one list. The filter goes to both; a filter on an
// attribute only one type has is refused by the core for the other.
func (a *api) searchAll(c echo.Context) error {
	ctx := c.Request().Context()
	lr, err := listFromSearch(c)
	if err != nil {
		return err
	}

	users, err := a.core.ListUsers(ctx, lr.query)
	if err != nil {
		return err
	}
	docs := make([]map[string]any, 0, lr.query.Count)
	for _, u := range users.Users {
		doc, err := a.userDocument(c, u, lr.projection)
		if err != nil {
			return err
		}
		docs = append(docs, doc)
	}

	gq := lr.query
	gq.StartIndex = max(1, lr.query.StartIndex-int(users.Total))
	gq.Count = lr.query.Count - len(docs)
	gq.ExcludeMembers = !lr.projection.Returns("members")
	if !groupsHave(gq.SortBy) {
		// Groups have no value of a User attribute such as userName: they
		// tie, and follow the sorted users.
		gq.SortBy, gq.SortDescending = "", false
	}
	groups, err := a.core.ListGroups(ctx, gq)
	if err != nil {
		return err
	}
	for _, g := range groups.Groups {
		doc, err := a.groupDocument(c, g, lr.projection)
		if err != nil {
			return err
		}
		docs = append(docs, doc)
	}

	total := users.Total + groups.Total
	return writeJSON(c, http.StatusOK, listResponse(total, lr.query.StartIndex, docs))
}

// groupsHave reports whether Groups have the attribute a sortBy names: one
// of the Group schema or a common attribute (id, externalId, meta).
func groupsHave(sortBy string) bool {
	name := strings.ToLower(sortBy)
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		if !strings.EqualFold(name[:i], scim.GroupSchemaURN) {
			return false
		}
		name = name[i+1:]
	}
	name, _, _ = strings.Cut(name, ".")
	switch name {
	case "", "id", "externalid", "meta":
		return true
	}
	return scim.GroupSchema.Attribute(name) != nil
}
