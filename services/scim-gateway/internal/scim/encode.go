package scim

import (
	"fmt"
	"strings"
)

// EncodeUser renders a user as a response document: schemas listed, meta
// with resourceType and version, the enterprise extension only when set.
// There is no password field, so a password is never returned.
func EncodeUser(u User) (map[string]any, error) {
	u.Schemas = []string{UserSchemaURN}
	if u.Enterprise.IsZero() {
		u.Enterprise = nil
	} else {
		u.Schemas = append(u.Schemas, EnterpriseSchemaURN)
	}
	u.Meta = renderMeta(u.Meta, "User")

	doc, err := toDocument(u)
	if err != nil {
		return nil, fmt.Errorf("encode user: %w", err)
	}
	if u.Active != nil {
		// omitempty drops false, but active is always answered.
		doc["active"] = *u.Active
	}
	return doc, nil
}

// EncodeGroup renders a group as a response document.
func EncodeGroup(g Group) (map[string]any, error) {
	g.Schemas = []string{GroupSchemaURN}
	g.Meta = renderMeta(g.Meta, "Group")

	doc, err := toDocument(g)
	if err != nil {
		return nil, fmt.Errorf("encode group: %w", err)
	}
	return doc, nil
}

func renderMeta(m *Meta, resourceType string) *Meta {
	out := Meta{ResourceType: resourceType}
	if m != nil {
		out = *m
		out.ResourceType = resourceType
		if m.Version > 0 {
			out.ETag = FormatETag(m.Version)
		}
	}
	return &out
}

// Projection is the attributes or excludedAttributes selection of RFC 7644
// §3.4.2.5. The zero value returns every attribute.
type Projection struct {
	include []AttrPath
	exclude []AttrPath
}

// ParseProjection reads the comma-separated attributes and
// excludedAttributes parameters; when both are given, attributes wins.
func ParseProjection(attributes, excludedAttributes string) (Projection, error) {
	include, err := parsePathList(attributes)
	if err != nil {
		return Projection{}, err
	}
	exclude, err := parsePathList(excludedAttributes)
	if err != nil {
		return Projection{}, err
	}
	if len(include) > 0 {
		exclude = nil
	}
	return Projection{include: include, exclude: exclude}, nil
}

func parsePathList(text string) ([]AttrPath, error) {
	var paths []AttrPath
	for _, part := range strings.Split(text, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p := &parser{src: part, errType: ErrInvalidValue}
		path, err := p.attrPath(part)
		if err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// Returns reports whether the top-level attribute would be returned, so the
// handlers can spare the core from loading members nobody asked for.
func (p Projection) Returns(attribute string) bool {
	if len(p.include) > 0 {
		for _, path := range p.include {
			if strings.EqualFold(path.Attribute, attribute) {
				return true
			}
		}
		return false
	}
	for _, path := range p.exclude {
		if strings.EqualFold(path.Attribute, attribute) && path.SubAttribute == "" {
			return false
		}
	}
	return true
}

// Apply returns doc narrowed to the projection. id and schemas are always
// returned (RFC 7643 §7, returned "always").
func (p Projection) Apply(doc map[string]any) map[string]any {
	if len(p.include) > 0 {
		out := map[string]any{}
		for _, key := range []string{"schemas", "id"} {
			if v, ok := doc[key]; ok {
				out[key] = v
			}
		}
		for _, path := range p.include {
			copyPath(doc, out, path)
		}
		return out
	}
	for _, path := range p.exclude {
		removePath(doc, path)
	}
	return doc
}

// locate finds the object holding path's attribute: the document, or an
// extension object for qualified or unqualified extension attributes.
func locate(doc map[string]any, path AttrPath) (map[string]any, string) {
	if path.Schema != "" && !strings.EqualFold(path.Schema, UserSchemaURN) &&
		!strings.EqualFold(path.Schema, GroupSchemaURN) {
		for key, v := range doc {
			if strings.EqualFold(key, path.Schema) {
				obj, _ := v.(map[string]any)
				return obj, key
			}
		}
		return nil, ""
	}
	if getFold(doc, path.Attribute) == nil && path.Schema == "" {
		for key, v := range doc {
			if obj, ok := v.(map[string]any); ok && strings.HasPrefix(key, "urn:") &&
				getFold(obj, path.Attribute) != nil {
				return obj, key
			}
		}
	}
	return doc, ""
}

func copyPath(doc, out map[string]any, path AttrPath) {
	if strings.EqualFold(path.Attribute, "id") || strings.EqualFold(path.Attribute, "schemas") {
		return
	}
	src, extKey := locate(doc, path)
	if src == nil {
		return
	}
	key, value := findFold(src, path.Attribute)
	if value == nil {
		return
	}

	dst := out
	if extKey != "" {
		ext, _ := out[extKey].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			out[extKey] = ext
		}
		dst = ext
	}

	if path.SubAttribute == "" {
		dst[key] = value
		return
	}
	switch v := value.(type) {
	case map[string]any:
		subKey, sub := findFold(v, path.SubAttribute)
		if sub == nil {
			return
		}
		obj, _ := dst[key].(map[string]any)
		if obj == nil {
			obj = map[string]any{}
			dst[key] = obj
		}
		obj[subKey] = sub
	case []any:
		// Narrowing a multi-valued attribute keeps one object per value,
		// each with only the selected sub-attribute.
		var items []any
		for _, item := range v {
			if obj, ok := item.(map[string]any); ok {
				if subKey, sub := findFold(obj, path.SubAttribute); sub != nil {
					items = append(items, map[string]any{subKey: sub})
				}
			}
		}
		if len(items) > 0 {
			dst[key] = items
		}
	}
}

func removePath(doc map[string]any, path AttrPath) {
	if strings.EqualFold(path.Attribute, "id") || strings.EqualFold(path.Attribute, "schemas") {
		return
	}
	src, _ := locate(doc, path)
	if src == nil {
		return
	}
	key, value := findFold(src, path.Attribute)
	if value == nil {
		return
	}
	if path.SubAttribute == "" {
		delete(src, key)
		return
	}
	for _, item := range asList(value) {
		if obj, ok := item.(map[string]any); ok {
			if subKey, _ := findFold(obj, path.SubAttribute); subKey != "" {
				delete(obj, subKey)
			}
		}
	}
}

func findFold(obj map[string]any, name string) (string, any) {
	if v, ok := obj[name]; ok {
		return name, v
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return k, v
		}
	}
	return "", nil
}
