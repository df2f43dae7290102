package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// document is a resource as a JSON object whose keys are canonical attribute
// names and whose values have the types the schema gives them. Extension
// attributes sit in an object under the extension's URN.
type document = map[string]any

// parseJSON decodes a request body into generic JSON values, keeping numbers
// exact.
func parseJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()

	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errorf(ErrInvalidSyntax, "request body is not valid JSON")
	}
	if dec.More() {
		return nil, errorf(ErrInvalidSyntax, "request body holds more than one JSON value")
	}
	return v, nil
}

// DecodeUser reads a User from a request body. It is lenient the way real
// identity providers need: attribute names in any case, "True"/"False"
// strings as booleans, nulls as absent, unknown attributes and schemas
// ignored, password accepted and dropped, read-only attributes ignored.
//
// The rules applied are recorded in notes, which may be nil.
func DecodeUser(body []byte, notes *Notes) (User, error) {
	doc, err := decodeResource(body, UserResource, notes)
	if err != nil {
		return User{}, err
	}
	u, err := userFromDocument(doc)
	if err != nil {
		return User{}, err
	}
	if err := checkUserText(u); err != nil {
		return User{}, err
	}
	return u, nil
}

// DecodeGroup reads a Group from a request body, as leniently as DecodeUser.
func DecodeGroup(body []byte, notes *Notes) (Group, error) {
	doc, err := decodeResource(body, GroupResource, notes)
	if err != nil {
		return Group{}, err
	}

	var g Group
	if err := convert(doc, &g); err != nil {
		return Group{}, err
	}
	if err := checkGroupText(g); err != nil {
		return Group{}, err
	}
	return g, nil
}

func decodeResource(body []byte, rs ResourceSchema, notes *Notes) (document, error) {
	raw, err := parseJSON(body)
	if err != nil {
		return nil, err
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, errorf(ErrInvalidSyntax, "request body must be a JSON object")
	}
	return normalizeResource(obj, rs, true, notes)
}

// normalizeResource turns a client's object into a document. With input
// set, read-only attributes are dropped: RFC 7643 §2.2 lets a service
// provider ignore them.
func normalizeResource(
	obj map[string]any,
	rs ResourceSchema,
	input bool,
	notes *Notes,
) (document, error) {
	doc := document{}
	for _, key := range sortedKeys(obj) {
		value := obj[key]
		if ext := rs.extension(key); ext != nil {
			extObj, ok := value.(map[string]any)
			if value == nil {
				continue
			}
			if !ok {
				return nil, errorf(ErrInvalidValue, "%s must be an object", ext.ID)
			}
			normalized, err := normalizeObject(extObj, ext.Attributes, input, notes)
			if err != nil {
				return nil, err
			}
			if len(normalized) > 0 {
				doc[ext.ID] = normalized
			}
			continue
		}

		def := rs.coreAttribute(key)
		if def == nil || (input && def.Mutability == ReadOnly) {
			continue
		}
		v, err := normalizeValue(def, value, input, notes)
		if err != nil {
			return nil, err
		}
		if v != nil {
			doc[def.Name] = v
		}
	}
	return doc, nil
}

func normalizeObject(
	obj map[string]any,
	attrs []*Attribute,
	input bool,
	notes *Notes,
) (document, error) {
	out := document{}
	for _, key := range sortedKeys(obj) {
		def := findAttribute(attrs, key)
		if def == nil || (input && def.Mutability == ReadOnly) {
			continue
		}
		v, err := normalizeValue(def, obj[key], input, notes)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out[def.Name] = v
		}
	}
	return out, nil
}

// normalizeValue coerces a client's value to the attribute's type. It
// returns nil for "no value".
func normalizeValue(def *Attribute, value any, input bool, notes *Notes) (any, error) {
	if value == nil {
		return nil, nil
	}
	if !def.MultiValued {
		return normalizeSingle(def, value, input, notes)
	}

	items, ok := value.([]any)
	if !ok {
		// A lone value where a list belongs is read as a list of one.
		items = []any{value}
		notes.Note(RuleSingleValueAsList)
	}
	if def.maxValues > 0 && len(items) > def.maxValues {
		return nil, errorf(ErrInvalidValue, "%s has more than %d values", def.Name, def.maxValues)
	}
	list := make([]any, 0, len(items))
	for _, item := range items {
		v, err := normalizeSingle(def, item, input, notes)
		if err != nil {
			return nil, err
		}
		if v != nil {
			list = append(list, v)
		}
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}

func normalizeSingle(def *Attribute, value any, input bool, notes *Notes) (any, error) {
	if value == nil {
		return nil, nil
	}
	switch def.Type {
	case TypeComplex:
		switch v := value.(type) {
		case map[string]any:
			obj, err := normalizeObject(v, def.SubAttributes, input, notes)
			if err != nil {
				return nil, err
			}
			if len(obj) == 0 {
				return nil, nil
			}
			return obj, nil
		case string:
			// Some clients send a bare id where a {"value": id} object
			// belongs, as SCIM SDKs do for the enterprise manager.
			if def.Sub("value") == nil {
				return nil, errorf(ErrInvalidValue, "%s must be an object", def.Name)
			}
			if v == "" {
				return nil, nil
			}
			notes.Note(RuleBareStringReference)
			return document{"value": v}, nil
		case []any:
			// A list of one where a single complex value belongs, as Entra ID
			// sends the manager reference.
			if len(v) == 0 {
				return nil, nil
			}
			if len(v) == 1 {
				notes.Note(RuleReferenceList)
				return normalizeSingle(def, v[0], input, notes)
			}
		}
		return nil, errorf(ErrInvalidValue, "%s must be an object", def.Name)

	case TypeBoolean:
		switch v := value.(type) {
		case bool:
			return v, nil
		case string:
			// Entra ID without the aadOptscim062020 flag sends "True" and
			// "False".
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true":
				notes.Note(RuleStringBoolean)
				return true, nil
			case "false":
				notes.Note(RuleStringBoolean)
				return false, nil
			}
		}
		return nil, errorf(ErrInvalidValue, "%s must be true or false", def.Name)

	default:
		switch v := value.(type) {
		case string:
			if hasNUL(v) {
				return nil, errorf(ErrInvalidValue, "%s must not contain a NUL character", def.Name)
			}
			return v, nil
		case json.Number:
			// Employee numbers and the like arrive as JSON numbers from
			// some mappings; they are strings in the schema.
			notes.Note(RuleNumberAsString)
			return v.String(), nil
		}
		return nil, errorf(ErrInvalidValue, "%s must be a string", def.Name)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// convert moves a document into a typed resource through JSON; the document
// already has canonical names and types, so failures are programming
// errors reported as invalidValue rather than a panic.
func convert(doc document, out any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return errorf(ErrInvalidValue, "resource cannot be encoded")
	}
	if err := json.Unmarshal(b, out); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return errorf(ErrInvalidValue, "%s has the wrong type", typeErr.Field)
		}
		return errorf(ErrInvalidValue, "resource cannot be decoded")
	}
	return nil
}

func userFromDocument(doc document) (User, error) {
	var u User
	if err := convert(doc, &u); err != nil {
		return User{}, err
	}
	return u, nil
}

// toDocument encodes a typed resource as a document.
func toDocument(v any) (document, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode resource: %w", err)
	}

	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc document
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode resource: %w", err)
	}
	return doc, nil
}
