package gormstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// The SCIM schemas whose attributes the filters know.
const (
	userSchema  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
)

// valueKind says how a column compares.
type valueKind int

const (
	kindString valueKind = iota
	kindBool
	kindTime
)

// column is a filterable attribute stored in one SQL column.
type column struct {
	expr string
	kind valueKind
	// lower says the column holds the value lowercased, for an attribute that
	// SCIM compares case-insensitively; filter values are lowercased to match.
	lower bool
}

// multiValued is a multi-valued attribute kept in a table of its own. A
// filter on it holds when at least one of the resource's values matches,
// which is an EXISTS over that table.
type multiValued struct {
	// exists opens the correlated subquery, up to the point where the
	// condition on the value is appended with AND.
	exists string
	// subAttributes maps lowercased sub-attribute names to their columns.
	subAttributes map[string]column
	// defaultSub is the sub-attribute a bare "emails eq …" compares.
	defaultSub string
}

// filterSchema describes what the filters of one resource type can reach.
type filterSchema struct {
	schemaURN string
	// columns maps lowercased paths ("username", "name.givenname") to columns.
	columns map[string]column
	// multi maps lowercased attribute names ("emails") to their tables.
	multi map[string]multiValued
}

var memberFilterSchema = filterSchema{
	schemaURN: userSchema,
	columns: map[string]column{
		"id":                {expr: "m.id"},
		"username":          {expr: "m.user_name_key", lower: true},
		"externalid":        {expr: "m.external_id"},
		"displayname":       {expr: "m.display_name_key", lower: true},
		"name.givenname":    {expr: "m.given_name_key", lower: true},
		"name.familyname":   {expr: "m.family_name_key", lower: true},
		"active":            {expr: "m.scim_active", kind: kindBool},
		"meta.created":      {expr: "m.created_at", kind: kindTime},
		"meta.lastmodified": {expr: "m.updated_at", kind: kindTime},
	},
	multi: map[string]multiValued{
		"emails": {
			exists: "EXISTS (SELECT 1 FROM member_emails e WHERE e.member_id = m.id",
			subAttributes: map[string]column{
				"value":   {expr: "e.value_key", lower: true},
				"type":    {expr: "e.type_key", lower: true},
				"primary": {expr: "e.is_primary", kind: kindBool},
			},
			defaultSub: "value",
		},
	},
}

var groupFilterSchema = filterSchema{
	schemaURN: groupSchema,
	columns: map[string]column{
		"id":                {expr: "g.id"},
		"displayname":       {expr: "g.display_name_key", lower: true},
		"externalid":        {expr: "g.external_id"},
		"meta.created":      {expr: "g.created_at", kind: kindTime},
		"meta.lastmodified": {expr: "g.updated_at", kind: kindTime},
	},
	multi: map[string]multiValued{
		"members": {
			exists: "EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id",
			subAttributes: map[string]column{
				"value": {expr: "gm.member_id"},
			},
			defaultSub: "value",
		},
	},
}

// memberFilterSQL turns a filter on Users into a parameterised condition on
// members aliased m; a nil filter is always true.
func memberFilterSQL(f domain.Filter) (string, []any, error) {
	return memberFilterSchema.condition(f)
}

// groupFilterSQL turns a filter on Groups into a parameterised condition on
// groups aliased g.
func groupFilterSQL(f domain.Filter) (string, []any, error) {
	return groupFilterSchema.condition(f)
}

func (s filterSchema) condition(f domain.Filter) (string, []any, error) {
	if f == nil {
		return "1 = 1", nil, nil
	}
	c := &filterCompiler{schema: s}
	sql, err := c.compile(f, nil)
	if err != nil {
		return "", nil, err
	}
	return sql, c.args, nil
}

type filterCompiler struct {
	schema filterSchema
	args   []any
}

// compile writes the condition of f. Inside a value path ("emails[…]"),
// within names the multi-valued attribute whose sub-attributes the paths
// refer to.
func (c *filterCompiler) compile(f domain.Filter, within *multiValued) (string, error) {
	switch f := f.(type) {
	case *domain.LogicalFilter:
		if f == nil || f.Left == nil || f.Right == nil {
			return "", domain.InvalidFilter("a logical filter needs two operands")
		}
		left, err := c.compile(f.Left, within)
		if err != nil {
			return "", err
		}
		right, err := c.compile(f.Right, within)
		if err != nil {
			return "", err
		}
		op := " OR "
		if f.And {
			op = " AND "
		}
		return "(" + left + op + right + ")", nil

	case *domain.NotFilter:
		if f == nil || f.Filter == nil {
			return "", domain.InvalidFilter("a not filter needs an operand")
		}
		inner, err := c.compile(f.Filter, within)
		if err != nil {
			return "", err
		}
		return "NOT (" + inner + ")", nil

	case *domain.ValuePathFilter:
		if f == nil || f.Filter == nil {
			return "", domain.InvalidFilter("a value filter needs a condition")
		}
		if within != nil {
			return "", domain.InvalidFilter("value filters cannot be nested")
		}
		name, sub, err := c.pathName(f.Path)
		if err != nil {
			return "", err
		}
		mv, ok := c.schema.multi[name]
		if !ok || sub != "" {
			return "", domain.InvalidFilter(
				"filtering on %s with a value filter is not supported", pathString(f.Path))
		}
		inner, err := c.compile(f.Filter, &mv)
		if err != nil {
			return "", err
		}
		return mv.exists + " AND " + inner + ")", nil

	case *domain.AttributeFilter:
		if f == nil {
			return "", domain.InvalidFilter("empty attribute filter")
		}
		return c.attribute(f, within)

	default:
		return "", domain.InvalidFilter("unsupported filter expression %T", f)
	}
}

// attribute writes the condition of one comparison.
func (c *filterCompiler) attribute(f *domain.AttributeFilter, within *multiValued) (string, error) {
	if within != nil {
		col, err := c.subAttribute(f.Path, within)
		if err != nil {
			return "", err
		}
		return c.compare(col, f, pathString(f.Path))
	}

	name, sub, err := c.pathName(f.Path)
	if err != nil {
		return "", err
	}
	if mv, ok := c.schema.multi[name]; ok {
		if sub == "" {
			// "emails pr" asks for any value at all; "emails eq x" compares
			// the default sub-attribute.
			if f.Operator == domain.ComparePresent {
				return mv.exists + ")", nil
			}
			sub = mv.defaultSub
		}
		col, ok := mv.subAttributes[sub]
		if !ok {
			return "", domain.InvalidFilter(
				"filtering on %s is not supported", pathString(f.Path))
		}
		cond, err := c.compare(col, f, pathString(f.Path))
		if err != nil {
			return "", err
		}
		return mv.exists + " AND " + cond + ")", nil
	}

	key := name
	if sub != "" {
		key += "." + sub
	}
	col, ok := c.schema.columns[key]
	if !ok {
		return "", domain.InvalidFilter("filtering on %s is not supported", pathString(f.Path))
	}
	return c.compare(col, f, pathString(f.Path))
}

// pathName returns the lowercased attribute and sub-attribute of a path,
// refusing schemas other than the resource's core schema.
func (c *filterCompiler) pathName(p domain.AttributePath) (string, string, error) {
	if p.Schema != "" && !strings.EqualFold(p.Schema, c.schema.schemaURN) {
		return "", "", domain.InvalidFilter(
			"filtering on attributes of %s is not supported", p.Schema)
	}
	attr, sub := strings.ToLower(p.Attribute), strings.ToLower(p.SubAttribute)
	if sub == "" {
		if i := strings.IndexByte(attr, '.'); i >= 0 {
			attr, sub = attr[:i], attr[i+1:]
		}
	}
	if attr == "" {
		return "", "", domain.InvalidFilter("a filter names no attribute")
	}
	return attr, sub, nil
}

// subAttribute resolves a path inside a value filter: "type" in
// emails[type eq "work"], or the same written in full as "emails.type".
func (c *filterCompiler) subAttribute(p domain.AttributePath, mv *multiValued) (column, error) {
	attr, sub, err := c.pathName(p)
	if err != nil {
		return column{}, err
	}
	name := attr
	if sub != "" {
		if _, ok := c.schema.multi[attr]; !ok {
			return column{}, domain.InvalidFilter(
				"filtering on %s inside a value filter is not supported", pathString(p))
		}
		name = sub
	}
	col, ok := mv.subAttributes[name]
	if !ok {
		return column{}, domain.InvalidFilter(
			"filtering on %s inside a value filter is not supported", pathString(p))
	}
	return col, nil
}

// compare writes "column operator value" with the value as a parameter.
func (c *filterCompiler) compare(
	col column,
	f *domain.AttributeFilter,
	name string,
) (string, error) {
	if f.Operator == domain.ComparePresent {
		switch col.kind {
		case kindString:
			return col.expr + " <> ''", nil
		default:
			return col.expr + " IS NOT NULL", nil
		}
	}
	if f.Value == nil {
		return "", domain.InvalidFilter(
			"comparing %s with null is not supported; use \"not (%s pr)\"", name, name)
	}

	switch col.kind {
	case kindBool:
		v, ok := f.Value.(bool)
		if !ok {
			return "", domain.InvalidFilter("%s is compared with true or false", name)
		}
		switch f.Operator {
		case domain.CompareEqual:
			return c.param(col.expr+" = ?", v), nil
		case domain.CompareNotEqual:
			return c.param(col.expr+" <> ?", v), nil
		}
		return "", unsupportedOperator(name, f.Operator)

	case kindTime:
		s, ok := f.Value.(string)
		if !ok {
			return "", domain.InvalidFilter("%s is compared with a date-time string", name)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "", domain.InvalidFilter("%s is compared with an RFC 3339 date-time, not %q", name, s)
		}
		op, ok := orderingOperators[f.Operator]
		if !ok {
			return "", unsupportedOperator(name, f.Operator)
		}
		return c.param(col.expr+" "+op+" ?", newDBTime(t)), nil

	default:
		s, ok := f.Value.(string)
		if !ok {
			return "", domain.InvalidFilter("%s is compared with a string", name)
		}
		if col.lower {
			s = strings.ToLower(s)
		}
		switch f.Operator {
		case domain.CompareContains:
			return c.param(col.expr+" LIKE ? ESCAPE '!'", "%"+escapeLike(s)+"%"), nil
		case domain.CompareStartsWith:
			return c.param(col.expr+" LIKE ? ESCAPE '!'", escapeLike(s)+"%"), nil
		case domain.CompareEndsWith:
			return c.param(col.expr+" LIKE ? ESCAPE '!'", "%"+escapeLike(s)), nil
		}
		op, ok := orderingOperators[f.Operator]
		if !ok {
			return "", unsupportedOperator(name, f.Operator)
		}
		return c.param(col.expr+" "+op+" ?", s), nil
	}
}

// orderingOperators are the SQL forms of the comparisons every kind of
// value but a boolean supports.
var orderingOperators = map[domain.Comparison]string{
	domain.CompareEqual:          "=",
	domain.CompareNotEqual:       "<>",
	domain.CompareGreaterThan:    ">",
	domain.CompareGreaterOrEqual: ">=",
	domain.CompareLessThan:       "<",
	domain.CompareLessOrEqual:    "<=",
}

func (c *filterCompiler) param(sql string, arg any) string {
	c.args = append(c.args, arg)
	return sql
}

func unsupportedOperator(name string, op domain.Comparison) error {
	return domain.InvalidFilter("the operator %q is not supported for %s", string(op), name)
}

// escapeLike makes the LIKE wildcards of a value match themselves, with '!'
// as the escape character, which needs no quoting in either dialect.
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

func pathString(p domain.AttributePath) string {
	s := p.Attribute
	if p.SubAttribute != "" {
		s += "." + p.SubAttribute
	}
	if p.Schema != "" {
		s = p.Schema + ":" + s
	}
	return s
}

// sortColumns map the sortBy attributes of each resource type to columns.
var (
	memberSortColumns = map[string]string{
		"username":          "m.user_name_key",
		"displayname":       "m.display_name_key",
		"externalid":        "m.external_id",
		"meta.created":      "m.created_at",
		"meta.lastmodified": "m.updated_at",
	}
	groupSortColumns = map[string]string{
		"displayname":       "g.display_name_key",
		"externalid":        "g.external_id",
		"meta.created":      "g.created_at",
		"meta.lastmodified": "g.updated_at",
	}
)

func memberOrder(sortBy string, descending bool) (string, error) {
	return orderBy("m", memberSortColumns, userSchema, sortBy, descending)
}

func groupOrder(sortBy string, descending bool) (string, error) {
	return orderBy("g", groupSortColumns, groupSchema, sortBy, descending)
}

// orderBy returns an ORDER BY list that is total: the id breaks ties, so
// that pages by startIndex never repeat or skip a resource.
func orderBy(
	alias string,
	columns map[string]string,
	schemaURN, sortBy string,
	descending bool,
) (string, error) {
	dir := " ASC"
	if descending {
		dir = " DESC"
	}
	if sortBy == "" {
		return fmt.Sprintf("%[1]s.created_at%[2]s, %[1]s.id%[2]s", alias, dir), nil
	}
	key := strings.ToLower(sortBy)
	if prefix := strings.ToLower(schemaURN) + ":"; strings.HasPrefix(key, prefix) {
		key = strings.TrimPrefix(key, prefix)
	}
	col, ok := columns[key]
	if !ok {
		return "", domain.Errorf(domain.KindInvalid, "sorting by %s is not supported", sortBy).
			WithReason(domain.ReasonInvalidValue)
	}
	return col + dir + ", " + alias + ".id" + dir, nil
}
