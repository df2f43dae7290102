package gormstore

import (
	"fmt"
	"slices"
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
	// kindBinary is a case-exact string that has no order (RFC 7644
	// §3.4.2.2 refuses gt, ge, lt and le on binary attributes).
	kindBinary
)

// column is a filterable value: an SQL column, or an expression over the
// profile JSON that never yields NULL, so that "not" stays two-valued.
type column struct {
	expr string
	kind valueKind
	// lower says the column holds the value lowercased, for an attribute that
	// SCIM compares case-insensitively; filter values are lowercased to match.
	lower bool
}

// valueSet is a multi-valued attribute. A filter on it holds when at least
// one of the resource's values matches, which is an EXISTS over the values.
type valueSet interface {
	// open starts the EXISTS, up to the point where a condition on the value
	// is appended with AND; the caller closes it with ")".
	open() string
	// sub returns the column of a lowercased sub-attribute name.
	sub(name string) (column, bool)
	// defaultSub is the sub-attribute a bare "emails eq …" compares.
	defaultSub() string
}

// multiValued is a multi-valued attribute kept in a table of its own.
type multiValued struct {
	exists        string
	subAttributes map[string]column
	def           string
}

func (mv multiValued) open() string                   { return mv.exists }
func (mv multiValued) defaultSub() string             { return mv.def }
func (mv multiValued) sub(name string) (column, bool) { c, ok := mv.subAttributes[name]; return c, ok }

// jsonSub is a sub-attribute of the values of a multi-valued attribute
// kept in the profile JSON.
type jsonSub struct {
	key       string
	kind      valueKind
	caseExact bool
}

// jsonMultiValued is a multi-valued attribute kept as a list in the profile
// JSON (see storedProfile), searched through the lowercased key document.
type jsonMultiValued struct {
	dialect dialect
	key     string
	subs    map[string]jsonSub
	def     string
}

func (mv jsonMultiValued) defaultSub() string { return mv.def }

func (mv jsonMultiValued) open() string {
	if mv.dialect == dialectPostgres {
		return "EXISTS (SELECT 1 FROM jsonb_array_elements((m.profile_key::jsonb) -> '" +
			mv.key + "') WITH ORDINALITY AS j(value, ord) WHERE 1 = 1"
	}
	return "EXISTS (SELECT 1 FROM json_each(m.profile_key, '$." + mv.key + "') j WHERE 1 = 1"
}

// sub reads a case-insensitive sub-attribute from the element of the key
// document, and a case-exact one from the element of the profile at the
// same index.
func (mv jsonMultiValued) sub(name string) (column, bool) {
	s, ok := mv.subs[name]
	if !ok {
		return column{}, false
	}
	var raw string
	switch {
	case mv.dialect == dialectPostgres && s.caseExact:
		raw = "((m.profile::jsonb) -> '" + mv.key + "' -> (j.ord::int - 1) ->> '" + s.key + "')"
	case mv.dialect == dialectPostgres:
		raw = "(j.value ->> '" + s.key + "')"
	case s.caseExact:
		raw = "json_extract(m.profile, '$." + mv.key + "[' || j.key || '].' || '" + s.key + "')"
	default:
		raw = "json_extract(j.value, '$." + s.key + "')"
	}
	return jsonColumn(mv.dialect, raw, s.kind, !s.caseExact), true
}

// jsonAttribute is a singular attribute kept in the profile JSON, at the
// path keys from its root.
type jsonAttribute struct {
	keys      []string
	caseExact bool
}

// column returns the expression of a singular JSON attribute.
func (a jsonAttribute) column(d dialect) column {
	doc := "m.profile_key"
	if a.caseExact {
		doc = "m.profile"
	}
	var raw string
	if d == dialectPostgres {
		raw = "((" + doc + "::jsonb) #>> '{" + strings.Join(a.keys, ",") + "}')"
	} else {
		raw = "json_extract(" + doc + ", '$." + strings.Join(a.keys, ".") + "')"
	}
	return jsonColumn(d, raw, kindString, !a.caseExact)
}

// jsonColumn wraps a JSON lookup that yields NULL for a missing value. On
// Postgres strings compare in the "C" collation, bytewise like SQLite.
func jsonColumn(d dialect, raw string, kind valueKind, lower bool) column {
	switch {
	case kind == kindBool && d == dialectPostgres:
		return column{expr: "COALESCE(" + raw + "::boolean, false)", kind: kind}
	case kind == kindBool:
		return column{expr: "COALESCE(" + raw + ", 0)", kind: kind}
	case d == dialectPostgres:
		return column{expr: "COALESCE(" + raw + ", '') COLLATE \"C\"", kind: kind, lower: lower}
	default:
		return column{expr: "COALESCE(" + raw + ", '')", kind: kind, lower: lower}
	}
}

// filterSchema describes what the filters of one resource type can reach.
type filterSchema struct {
	schemaURN string
	// extensionURN is the schema extension whose attributes are reachable,
	// keyed in columns and json as "extension:attribute".
	extensionURN string
	// columns maps lowercased paths ("username", "name.givenname") to columns.
	columns map[string]column
	// multi maps lowercased attribute names ("emails") to their tables.
	multi map[string]multiValued
	// json maps lowercased paths of singular attributes to the profile JSON.
	json map[string]jsonAttribute
	// jsonMulti maps lowercased names of multi-valued attributes to lists in
	// the profile JSON; an attribute in multi too is searched here only for
	// the sub-attributes its table lacks.
	jsonMulti map[string]map[string]jsonSub
}

// extensionPrefix marks the keys of the extension's attributes.
const extensionPrefix = "extension:"

// multiValueSubs are the sub-attributes of the plain multi-valued
// attributes of RFC 7643 §4.1.2.
func multiValueSubs(valueCaseExact bool, valueKind valueKind) map[string]jsonSub {
	return map[string]jsonSub{
		"value":   {key: "value", kind: valueKind, caseExact: valueCaseExact},
		"type":    {key: "type"},
		"display": {key: "display"},
		"primary": {key: "primary", kind: kindBool},
	}
}

var memberFilterSchema = filterSchema{
	schemaURN:    userSchema,
	extensionURN: domain.EnterpriseUserSchema,
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
			def: "value",
		},
		"groups": {
			exists: "EXISTS (SELECT 1 FROM group_members ug JOIN groups ugg " +
				"ON ugg.id = ug.group_id WHERE ug.member_id = m.id",
			subAttributes: map[string]column{
				"value":   {expr: "ug.group_id"},
				"display": {expr: "ugg.display_name_key", lower: true},
			},
			def: "value",
		},
	},
	json: map[string]jsonAttribute{
		"name.formatted":       {keys: []string{"name", "formatted"}},
		"name.middlename":      {keys: []string{"name", "middleName"}},
		"name.honorificprefix": {keys: []string{"name", "honorificPrefix"}},
		"name.honorificsuffix": {keys: []string{"name", "honorificSuffix"}},
		"nickname":             {keys: []string{"nickName"}},
		"profileurl":           {keys: []string{"profileUrl"}},
		"title":                {keys: []string{"title"}},
		"usertype":             {keys: []string{"userType"}},
		"preferredlanguage":    {keys: []string{"preferredLanguage"}},
		"locale":               {keys: []string{"locale"}},
		"timezone":             {keys: []string{"timezone"}},

		extensionPrefix + "employeenumber": {keys: []string{"enterprise", "employeeNumber"}},
		extensionPrefix + "costcenter":     {keys: []string{"enterprise", "costCenter"}},
		extensionPrefix + "organization":   {keys: []string{"enterprise", "organization"}},
		extensionPrefix + "division":       {keys: []string{"enterprise", "division"}},
		extensionPrefix + "department":     {keys: []string{"enterprise", "department"}},
		extensionPrefix + "manager.value":  {keys: []string{"enterprise", "managerId"}},
	},
	jsonMulti: map[string]map[string]jsonSub{
		"emails":       multiValueSubs(false, kindString),
		"phonenumbers": multiValueSubs(false, kindString),
		"ims":          multiValueSubs(false, kindString),
		"photos":       multiValueSubs(false, kindString),
		"entitlements": multiValueSubs(false, kindString),
		"roles":        multiValueSubs(false, kindString),
		// Certificates are binary: compared exactly and never ordered.
		"x509certificates": multiValueSubs(true, kindBinary),
		"addresses": {
			"formatted":     {key: "formatted"},
			"streetaddress": {key: "streetAddress"},
			"locality":      {key: "locality"},
			"region":        {key: "region"},
			"postalcode":    {key: "postalCode"},
			"country":       {key: "country"},
			"type":          {key: "type"},
			"primary":       {key: "primary", kind: kindBool},
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
			exists: "EXISTS (SELECT 1 FROM group_members gm JOIN members gmm " +
				"ON gmm.id = gm.member_id WHERE gm.group_id = g.id",
			subAttributes: map[string]column{
				"value": {expr: "gm.member_id"},
				// A member is shown by its displayName, else its userName.
				"display": {expr: "CASE WHEN gmm.display_name_key <> '' " +
					"THEN gmm.display_name_key ELSE gmm.user_name_key END", lower: true},
				"type": {expr: "'user'", lower: true},
			},
			def: "value",
		},
	},
}

// memberFilterSQL turns a filter on Users into a parameterised condition on
// members aliased m; a nil filter is always true.
func memberFilterSQL(d dialect, f domain.Filter) (string, []any, error) {
	return memberFilterSchema.condition(d, f)
}

// groupFilterSQL turns a filter on Groups into a parameterised condition on
// groups aliased g.
func groupFilterSQL(d dialect, f domain.Filter) (string, []any, error) {
	return groupFilterSchema.condition(d, f)
}

func (s filterSchema) condition(d dialect, f domain.Filter) (string, []any, error) {
	if f == nil {
		return "1 = 1", nil, nil
	}
	c := &filterCompiler{schema: s, dialect: d}
	sql, err := c.compile(f, nil)
	if err != nil {
		return "", nil, err
	}
	return sql, c.args, nil
}

type filterCompiler struct {
	schema  filterSchema
	dialect dialect
	args    []any
}

// valueSet returns the multi-valued attribute name (lowercased) for a
// filter that reads the sub-attributes subs: its table when the table has
// them all, else its list in the profile JSON.
func (c *filterCompiler) valueSet(name string, subs []string) (valueSet, bool) {
	mv, table := c.schema.multi[name]
	if table {
		all := true
		for _, s := range subs {
			if _, ok := mv.subAttributes[s]; !ok {
				all = false
			}
		}
		if all {
			return mv, true
		}
	}
	if js, ok := c.schema.jsonMulti[name]; ok {
		set := jsonMultiValued{dialect: c.dialect, key: jsonListKeys[name], subs: js}
		if _, ok := js["value"]; ok {
			set.def = "value"
		}
		return set, true
	}
	return mv, table
}

// jsonListKeys are the JSON names of the lists of storedProfile, by
// lowercased attribute name.
var jsonListKeys = map[string]string{
	"emails": "emails", "phonenumbers": "phoneNumbers", "ims": "ims", "photos": "photos",
	"entitlements": "entitlements", "roles": "roles", "x509certificates": "x509Certificates",
	"addresses": "addresses",
}

// isMulti reports whether a lowercased attribute name is multi-valued.
func (c *filterCompiler) isMulti(name string) bool {
	_, table := c.schema.multi[name]
	_, list := c.schema.jsonMulti[name]
	return table || list
}

// subsOf lists the lowercased sub-attributes a filter inside a value path
// reads.
func subsOf(f domain.Filter) []string {
	switch f := f.(type) {
	case *domain.LogicalFilter:
		if f == nil {
			return nil
		}
		return append(subsOf(f.Left), subsOf(f.Right)...)
	case *domain.NotFilter:
		if f == nil {
			return nil
		}
		return subsOf(f.Filter)
	case *domain.AttributeFilter:
		if f == nil {
			return nil
		}
		name := strings.ToLower(f.Path.Attribute)
		if f.Path.SubAttribute != "" {
			name = strings.ToLower(f.Path.SubAttribute)
		} else if i := strings.IndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		return []string{name}
	}
	return nil
}

// compile writes the condition of f. Inside a value path ("emails[…]"),
// within is the multi-valued attribute whose sub-attributes the paths
// refer to.
func (c *filterCompiler) compile(f domain.Filter, within valueSet) (string, error) {
	switch f := f.(type) {
	case *domain.LogicalFilter:
		if f == nil || f.Left == nil || f.Right == nil {
			return "", domain.InvalidFilter("a logical filter needs two operands")
		}
		// A chain of one operator ("a or b or c …", which the gateway
		// builds left-deep) is written flat: nested parentheses would
		// overflow SQLite's parser stack after about a hundred terms.
		operands, err := chainOperands(f)
		if err != nil {
			return "", err
		}
		parts := make([]string, len(operands))
		for i, operand := range operands {
			if parts[i], err = c.compile(operand, within); err != nil {
				return "", err
			}
		}
		op := " OR "
		if f.And {
			op = " AND "
		}
		return "(" + strings.Join(parts, op) + ")", nil

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
		set, ok := c.valueSet(name, subsOf(f.Filter))
		if !ok || sub != "" {
			return "", domain.InvalidFilter(
				"filtering on %s with a value filter is not supported", pathString(f.Path))
		}
		inner, err := c.compile(f.Filter, set)
		if err != nil {
			return "", err
		}
		return set.open() + " AND " + inner + ")", nil

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
func (c *filterCompiler) attribute(f *domain.AttributeFilter, within valueSet) (string, error) {
	name := pathString(f.Path)
	if within != nil {
		col, err := c.subAttribute(f.Path, within)
		if err != nil {
			return "", err
		}
		return c.compare(col, f, name)
	}

	attr, sub, err := c.pathName(f.Path)
	if err != nil {
		return "", err
	}
	if c.isMulti(attr) {
		if sub == "" && f.Operator == domain.ComparePresent {
			// "emails pr" asks for any value at all.
			set, _ := c.valueSet(attr, nil)
			return set.open() + ")", nil
		}
		set, _ := c.valueSet(attr, []string{sub})
		if sub == "" {
			sub = set.defaultSub()
		}
		col, ok := set.sub(sub)
		if !ok {
			return "", domain.InvalidFilter("filtering on %s is not supported", name)
		}
		cond, err := c.compare(col, f, name)
		if err != nil {
			return "", err
		}
		return set.open() + " AND " + cond + ")", nil
	}

	key := attr
	if sub != "" {
		key += "." + sub
	}
	col, ok := c.singular(key)
	if !ok {
		if sub == "" && f.Operator == domain.ComparePresent {
			if cond, ok := c.complexPresent(attr); ok {
				return cond, nil
			}
		}
		return "", domain.InvalidFilter("filtering on %s is not supported", name)
	}
	if f.Operator != domain.ComparePresent && f.Value == nil {
		// RFC 7643 §2.5: null means unassigned, so "eq null" asks for an
		// absent value and "ne null" for a present one.
		switch f.Operator {
		case domain.CompareEqual:
			return "NOT (" + present(col) + ")", nil
		case domain.CompareNotEqual:
			return present(col), nil
		}
		return "", domain.InvalidFilter("%s can be compared with null by eq and ne only", name)
	}
	return c.compare(col, f, name)
}

// singular returns the column of a lowercased path of a singular
// attribute.
func (c *filterCompiler) singular(key string) (column, bool) {
	if col, ok := c.schema.columns[key]; ok {
		return col, true
	}
	if a, ok := c.schema.json[key]; ok {
		return a.column(c.dialect), true
	}
	return column{}, false
}

// complexPresent is "name pr" for a complex singular attribute: any of its
// sub-attributes has a value.
func (c *filterCompiler) complexPresent(attr string) (string, bool) {
	var keys []string
	for key := range c.schema.columns {
		if strings.HasPrefix(key, attr+".") {
			keys = append(keys, key)
		}
	}
	for key := range c.schema.json {
		if strings.HasPrefix(key, attr+".") {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return "", false
	}
	slices.Sort(keys)
	conds := make([]string, len(keys))
	for i, key := range keys {
		col, _ := c.singular(key)
		conds[i] = present(col)
	}
	return "(" + strings.Join(conds, " OR ") + ")", true
}

// present is the condition that a column has a value.
func present(col column) string {
	switch col.kind {
	case kindString, kindBinary:
		return col.expr + " <> ''"
	default:
		return col.expr + " IS NOT NULL"
	}
}

// pathName returns the lowercased attribute and sub-attribute of a path.
// Attributes of the schema extension are named extensionPrefix+attribute;
// they are found by their URN-qualified name, and, leniently, by their bare
// name where the core schema has no attribute of that name.
func (c *filterCompiler) pathName(p domain.AttributePath) (string, string, error) {
	extension := false
	if p.Schema != "" {
		switch {
		case strings.EqualFold(p.Schema, c.schema.schemaURN):
		case c.schema.extensionURN != "" && strings.EqualFold(p.Schema, c.schema.extensionURN):
			extension = true
		default:
			return "", "", domain.InvalidFilter(
				"filtering on attributes of %s is not supported", p.Schema)
		}
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
	if !extension && p.Schema == "" && !c.knows(attr) && c.knows(extensionPrefix+attr) {
		extension = true
	}
	if extension {
		attr = extensionPrefix + attr
	}
	return attr, sub, nil
}

// knows reports whether the schema has an attribute of a lowercased name.
func (c *filterCompiler) knows(attr string) bool {
	if c.isMulti(attr) {
		return true
	}
	for _, keys := range []map[string]column{c.schema.columns} {
		for key := range keys {
			if key == attr || strings.HasPrefix(key, attr+".") {
				return true
			}
		}
	}
	for key := range c.schema.json {
		if key == attr || strings.HasPrefix(key, attr+".") {
			return true
		}
	}
	return false
}

// subAttribute resolves a path inside a value filter: "type" in
// emails[type eq "work"], or the same written in full as "emails.type".
func (c *filterCompiler) subAttribute(p domain.AttributePath, set valueSet) (column, error) {
	attr, sub, err := c.pathName(p)
	if err != nil {
		return column{}, err
	}
	name := attr
	if sub != "" {
		if !c.isMulti(attr) {
			return column{}, domain.InvalidFilter(
				"filtering on %s inside a value filter is not supported", pathString(p))
		}
		name = sub
	}
	col, ok := set.sub(strings.TrimPrefix(name, extensionPrefix))
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
		return present(col), nil
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
		case domain.CompareGreaterThan, domain.CompareGreaterOrEqual,
			domain.CompareLessThan, domain.CompareLessOrEqual:
			if col.kind == kindBinary {
				return "", unsupportedOperator(name, f.Operator)
			}
		}
		op, ok := orderingOperators[f.Operator]
		if !ok {
			return "", unsupportedOperator(name, f.Operator)
		}
		if f.Operator == domain.CompareLessThan || f.Operator == domain.CompareLessOrEqual {
			// An unassigned value is stored as "", which orders first; it is
			// no value at all, so it is never less than another.
			return c.param("("+col.expr+" <> '' AND "+col.expr+" "+op+" ?)", s), nil
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
// Strings sort by their lowercased *_key column where SCIM compares them
// case-insensitively, and by the column itself where it is case-exact.
var (
	memberSortColumns = map[string]sortColumn{
		"id":                {expr: "m.id"},
		"username":          {expr: "m.user_name_key", text: true},
		"displayname":       {expr: "m.display_name_key", text: true},
		"externalid":        {expr: "m.external_id", text: true},
		"name.givenname":    {expr: "m.given_name_key", text: true},
		"name.familyname":   {expr: "m.family_name_key", text: true},
		"meta.created":      {expr: "m.created_at"},
		"meta.lastmodified": {expr: "m.updated_at"},
	}
	groupSortColumns = map[string]sortColumn{
		"id":                {expr: "g.id"},
		"displayname":       {expr: "g.display_name_key", text: true},
		"externalid":        {expr: "g.external_id", text: true},
		"meta.created":      {expr: "g.created_at"},
		"meta.lastmodified": {expr: "g.updated_at"},
	}
)

// sortColumn is a column a listing can be sorted by. A text column holds ""
// for an unassigned value.
type sortColumn struct {
	expr string
	text bool
}

func memberOrder(sortBy string, descending bool) (string, error) {
	return orderBy("m", memberSortColumns, userSchema, sortBy, descending)
}

func groupOrder(sortBy string, descending bool) (string, error) {
	return orderBy("g", groupSortColumns, groupSchema, sortBy, descending)
}

// orderBy returns an ORDER BY list that is total: the id breaks ties, so
// that pages by startIndex never repeat or skip a resource. Resources
// without a value sort last in ascending order and first in descending
// order (RFC 7644 §3.4.2.3).
func orderBy(
	alias string,
	columns map[string]sortColumn,
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
	key := strings.ToLower(strings.TrimSpace(sortBy))
	if prefix := strings.ToLower(schemaURN) + ":"; strings.HasPrefix(key, prefix) {
		key = strings.TrimPrefix(key, prefix)
	}
	col, ok := columns[key]
	if !ok {
		return "", domain.Errorf(domain.KindInvalid, "sorting by %s is not supported; "+
			"sort by one of %s", sortBy, sortableNames(columns)).
			WithReason(domain.ReasonInvalidValue)
	}
	order := col.expr + dir + ", " + alias + ".id" + dir
	if col.text {
		// false orders before true on both databases.
		order = "(" + col.expr + " = '')" + dir + ", " + order
	}
	return order, nil
}

// sortableNames lists the attributes a listing sorts by, for an error an
// admin can act on.
func sortableNames(columns map[string]sortColumn) string {
	names := map[string]string{
		"id": "id", "username": "userName", "displayname": "displayName",
		"externalid": "externalId", "name.givenname": "name.givenName",
		"name.familyname": "name.familyName", "meta.created": "meta.created",
		"meta.lastmodified": "meta.lastModified",
	}
	var list []string
	for key := range columns {
		list = append(list, names[key])
	}
	slices.Sort(list)
	return strings.Join(list, ", ")
}

// chainOperands returns, in order, the operands of the chain of logical
// filters with f's operator that f heads, walking without recursion so a
// long chain costs no stack.
func chainOperands(f *domain.LogicalFilter) ([]domain.Filter, error) {
	var operands []domain.Filter
	stack := []domain.Filter{f}
	for len(stack) > 0 {
		next := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		l, ok := next.(*domain.LogicalFilter)
		if !ok || l == nil || l.And != f.And {
			operands = append(operands, next)
			continue
		}
		if l.Left == nil || l.Right == nil {
			return nil, domain.InvalidFilter("a logical filter needs two operands")
		}
		stack = append(stack, l.Right, l.Left)
	}
	return operands, nil
}
