package scim

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Matches reports whether a resource document, or one value of a
// multi-valued attribute, satisfies f. Strings compare case-insensitively,
// which is right for every attribute the PATCH engine filters on (type,
// value of emails, display); the core applies each attribute's exact rules
// when it filters stored resources.
func Matches(f Filter, doc map[string]any) bool {
	switch f := f.(type) {
	case *Logical:
		if f.Operator == And {
			return Matches(f.Left, doc) && Matches(f.Right, doc)
		}
		return Matches(f.Left, doc) || Matches(f.Right, doc)
	case *Not:
		return !Matches(f.Filter, doc)
	case *ValuePath:
		for _, item := range asList(lookup(doc, AttrPath{Schema: f.Path.Schema,
			Attribute: f.Path.Attribute})) {
			if obj, ok := item.(map[string]any); ok && Matches(f.Filter, obj) {
				return true
			}
		}
		return false
	case *Comparison:
		values := asList(lookup(doc, f.Path))
		if f.Operator == OpPresent {
			for _, v := range values {
				if present(v) {
					return true
				}
			}
			return false
		}
		if f.Operator == OpNotEqual {
			for _, v := range values {
				if compare(v, OpEqual, f.Value) {
					return false
				}
			}
			return true
		}
		for _, v := range values {
			if compare(v, f.Operator, f.Value) {
				return true
			}
		}
		return f.Operator == OpEqual && f.Value.Kind == ValueNull && len(values) == 0
	}
	return false
}

// lookup finds the value at path, with names compared case-insensitively.
// For a sub-attribute of a multi-valued attribute it gathers the
// sub-attribute of every value.
func lookup(doc map[string]any, path AttrPath) any {
	container := doc
	if path.Schema != "" {
		if ext, ok := getFold(doc, path.Schema).(map[string]any); ok {
			container = ext
		} else if !strings.EqualFold(path.Schema, UserSchemaURN) &&
			!strings.EqualFold(path.Schema, GroupSchemaURN) {
			return nil
		}
	}
	v := getFold(container, path.Attribute)
	if path.SubAttribute == "" {
		return v
	}
	var out []any
	for _, item := range asList(v) {
		if obj, ok := item.(map[string]any); ok {
			if sub := getFold(obj, path.SubAttribute); sub != nil {
				out = append(out, sub)
			}
		}
	}
	return out
}

func getFold(obj map[string]any, key string) any {
	if v, ok := obj[key]; ok {
		return v
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func asList(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		return []any{v}
	}
}

func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

func compare(actual any, op Operator, want Value) bool {
	switch a := actual.(type) {
	case string:
		if want.Kind != ValueString {
			return false
		}
		x, y := strings.ToLower(a), strings.ToLower(want.String)
		switch op {
		case OpEqual:
			return x == y
		case OpContains:
			return strings.Contains(x, y)
		case OpStartsWith:
			return strings.HasPrefix(x, y)
		case OpEndsWith:
			return strings.HasSuffix(x, y)
		case OpGreater:
			return x > y
		case OpGreaterOrEqual:
			return x >= y
		case OpLess:
			return x < y
		case OpLessOrEqual:
			return x <= y
		}
	case bool:
		return op == OpEqual && want.Kind == ValueBool && a == want.Bool
	case json.Number, float64:
		n, ok := number(a)
		if !ok || want.Kind != ValueNumber {
			return false
		}
		switch op {
		case OpEqual:
			return n == want.Number
		case OpGreater:
			return n > want.Number
		case OpGreaterOrEqual:
			return n >= want.Number
		case OpLess:
			return n < want.Number
		case OpLessOrEqual:
			return n <= want.Number
		}
	}
	return false
}

func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case json.Number:
		n, err := strconv.ParseFloat(v.String(), 64)
		return n, err == nil
	}
	return 0, false
}
