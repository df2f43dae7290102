package scim

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxFilterLength bounds the filter text the parser accepts. Real identity
// providers send filters of a few dozen characters.
const MaxFilterLength = 4096

// maxFilterDepth bounds nesting of parentheses, "not" and value paths, so a
// hostile filter cannot exhaust the stack. A chain of terms joined by "and"
// or "or" is not nesting: "id eq a or id eq b or …" is one level however
// long, and is parsed into a balanced tree whose depth grows with the
// logarithm of its length (see joinBalanced), so the core, which bounds
// the depth of the tree it receives, accepts it too.
const maxFilterDepth = 32

// MaxFilterNodes bounds the size of a parsed filter: its comparisons,
// "and", "or" and "not" together, separately from its nesting. A filter of
// 100 alternatives ("id eq a or id eq b or …") has 199.
const MaxFilterNodes = 500

// Filter is a parsed SCIM filter expression (RFC 7644 §3.4.2.2): one of
// *Comparison, *Logical, *Not or *ValuePath.
type Filter interface {
	// String renders the filter back to SCIM filter syntax.
	String() string
	isFilter()
}

// AttrPath names an attribute: an optional schema URN, the attribute and an
// optional sub-attribute. Inside a value path, paths are relative to the
// multi-valued attribute.
type AttrPath struct {
	Schema       string
	Attribute    string
	SubAttribute string
}

// String renders the path in SCIM syntax.
func (p AttrPath) String() string {
	s := p.Attribute
	if p.SubAttribute != "" {
		s += "." + p.SubAttribute
	}
	if p.Schema != "" {
		s = p.Schema + ":" + s
	}
	return s
}

// Operator is a comparison operator of RFC 7644 §3.4.2.2, in lower case.
type Operator string

// The comparison operators.
const (
	OpEqual          Operator = "eq"
	OpNotEqual       Operator = "ne"
	OpContains       Operator = "co"
	OpStartsWith     Operator = "sw"
	OpEndsWith       Operator = "ew"
	OpPresent        Operator = "pr"
	OpGreater        Operator = "gt"
	OpGreaterOrEqual Operator = "ge"
	OpLess           Operator = "lt"
	OpLessOrEqual    Operator = "le"
)

var operators = map[string]Operator{
	"eq": OpEqual, "ne": OpNotEqual, "co": OpContains, "sw": OpStartsWith,
	"ew": OpEndsWith, "pr": OpPresent, "gt": OpGreater, "ge": OpGreaterOrEqual,
	"lt": OpLess, "le": OpLessOrEqual,
}

// ValueKind says which field of a Value is set.
type ValueKind int

// The kinds of comparison value.
const (
	ValueString ValueKind = iota
	ValueBool
	ValueNumber
	ValueNull
)

// Value is the comparison value of a Comparison.
type Value struct {
	Kind   ValueKind
	String string
	Bool   bool
	Number float64
}

func (v Value) text() string {
	switch v.Kind {
	case ValueBool:
		return strconv.FormatBool(v.Bool)
	case ValueNumber:
		return strconv.FormatFloat(v.Number, 'g', -1, 64)
	case ValueNull:
		return "null"
	default:
		b, _ := json.Marshal(v.String)
		return string(b)
	}
}

// Comparison compares an attribute with a value, or tests its presence.
type Comparison struct {
	Path     AttrPath
	Operator Operator
	// Value is unset for OpPresent.
	Value Value
}

// LogicalOperator is "and" or "or".
type LogicalOperator string

// The logical operators.
const (
	And LogicalOperator = "and"
	Or  LogicalOperator = "or"
)

// Logical joins two filters.
type Logical struct {
	Operator    LogicalOperator
	Left, Right Filter
}

// Not negates a filter.
type Not struct {
	Filter Filter
}

// ValuePath filters the values of a multi-valued attribute, as in
// emails[type eq "work"].
type ValuePath struct {
	Path   AttrPath
	Filter Filter
}

func (*Comparison) isFilter() {}
func (*Logical) isFilter()    {}
func (*Not) isFilter()        {}
func (*ValuePath) isFilter()  {}

// String renders the comparison in SCIM syntax.
func (c *Comparison) String() string {
	if c.Operator == OpPresent {
		return c.Path.String() + " pr"
	}
	return c.Path.String() + " " + string(c.Operator) + " " + c.Value.text()
}

// String renders the expression with explicit parentheses, so precedence is
// visible.
func (l *Logical) String() string {
	return "(" + l.Left.String() + " " + string(l.Operator) + " " + l.Right.String() + ")"
}

// String renders the negation.
func (n *Not) String() string { return "not (" + n.Filter.String() + ")" }

// String renders the value path.
func (v *ValuePath) String() string {
	return v.Path.String() + "[" + v.Filter.String() + "]"
}

// ParseFilter parses a SCIM filter. Attribute names, operators and keywords
// are case-insensitive; known attribute names and schema URNs come back in
// their schema spelling. A malformed filter gives an *Error with scimType
// invalidFilter.
func ParseFilter(text string) (Filter, error) {
	return ParseFilterNoting(text, nil)
}

// ParseFilterNoting is ParseFilter that records the compatibility rules it
// applied in notes.
func ParseFilterNoting(text string, notes *Notes) (Filter, error) {
	if len(text) > MaxFilterLength {
		return nil, errorf(ErrInvalidFilter, "filter is longer than %d characters", MaxFilterLength)
	}
	if !utf8.ValidString(text) {
		// The core compares and stores strings as UTF-8; invalid bytes
		// would be replaced silently and change what the filter means.
		return nil, errorf(ErrInvalidFilter, "filter is not valid UTF-8")
	}
	p := &parser{src: text, errType: ErrInvalidFilter, notes: notes}

	f, err := p.parseOr(false)
	if err != nil {
		return nil, err
	}

	p.skipSpace()
	if !p.eof() {
		return nil, p.fail("unexpected %q", p.rest())
	}
	return f, nil
}

// parser is a recursive-descent parser over filter text, shared by filters
// and PATCH paths.
type parser struct {
	src     string
	pos     int
	depth   int
	nodes   int
	errType string
	notes   *Notes
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) rest() string {
	r := p.src[p.pos:]
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return r
}

func (p *parser) fail(format string, args ...any) error {
	e := errorf(p.errType, format, args...)
	e.Detail = "malformed " + kindName(p.errType) + ": " + e.Detail
	return e
}

func kindName(errType string) string {
	if errType == ErrInvalidPath {
		return "path"
	}
	return "filter"
}

func (p *parser) skipSpace() {
	for !p.eof() && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' ||
		p.src[p.pos] == '\r') {
		p.pos++
	}
}

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '(', ')', '[', ']', '"':
		return true
	}
	return false
}

// word reads the characters up to the next space, bracket or quote.
func (p *parser) word() string {
	start := p.pos
	for !p.eof() && !isDelimiter(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// keyword consumes the word kw, case-insensitively, when it comes next.
func (p *parser) keyword(kw string) bool {
	save := p.pos
	p.skipSpace()
	if strings.EqualFold(p.word(), kw) {
		return true
	}
	p.pos = save
	return false
}

func (p *parser) expect(c byte) error {
	p.skipSpace()
	if p.peek() != c {
		if p.eof() {
			return p.fail("expected %q at the end", string(c))
		}
		return p.fail("expected %q before %q", string(c), p.rest())
	}
	p.pos++
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxFilterDepth {
		return p.fail("nested more than %d levels deep", maxFilterDepth)
	}
	return nil
}

// node counts one node of the filter and refuses a filter with more than
// MaxFilterNodes.
func (p *parser) node() error {
	p.nodes++
	if p.nodes > MaxFilterNodes {
		return p.fail("more than %d terms and operators", MaxFilterNodes)
	}
	return nil
}

// parseOr parses "a or b or c"; "and" binds tighter than "or".
func (p *parser) parseOr(inValuePath bool) (Filter, error) {
	first, err := p.parseAnd(inValuePath)
	if err != nil {
		return nil, err
	}
	terms := []Filter{first}
	for p.keyword("or") {
		if err := p.node(); err != nil {
			return nil, err
		}
		next, err := p.parseAnd(inValuePath)
		if err != nil {
			return nil, err
		}
		terms = append(terms, next)
	}
	return joinBalanced(Or, terms), nil
}

func (p *parser) parseAnd(inValuePath bool) (Filter, error) {
	first, err := p.parseUnary(inValuePath)
	if err != nil {
		return nil, err
	}
	terms := []Filter{first}
	for p.keyword("and") {
		if err := p.node(); err != nil {
			return nil, err
		}
		next, err := p.parseUnary(inValuePath)
		if err != nil {
			return nil, err
		}
		terms = append(terms, next)
	}
	return joinBalanced(And, terms), nil
}

// joinBalanced joins terms with op into a balanced tree. "and" and "or"
// are associative, so the shape does not change what the filter means, and
// a chain of n terms is about log2(n) deep instead of n. Up to three terms
// the tree is the left-leaning one a left-to-right reading gives.
func joinBalanced(op LogicalOperator, terms []Filter) Filter {
	if len(terms) == 1 {
		return terms[0]
	}
	mid := (len(terms) + 1) / 2
	return &Logical{Operator: op,
		Left:  joinBalanced(op, terms[:mid]),
		Right: joinBalanced(op, terms[mid:])}
}

// parseUnary parses "not (…)", a parenthesised group, or an attribute
// expression.
func (p *parser) parseUnary(inValuePath bool) (Filter, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()

	p.skipSpace()
	save := p.pos
	if strings.EqualFold(p.word(), "not") {
		p.skipSpace()
		if p.peek() == '(' {
			if err := p.node(); err != nil {
				return nil, err
			}
			p.pos++
			inner, err := p.parseOr(inValuePath)
			if err != nil {
				return nil, err
			}
			if err := p.expect(')'); err != nil {
				return nil, err
			}
			return &Not{Filter: inner}, nil
		}
	}
	p.pos = save

	if p.peek() == '(' {
		p.pos++
		inner, err := p.parseOr(inValuePath)
		if err != nil {
			return nil, err
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		return inner, nil
	}
	return p.parseAttributeExpression(inValuePath)
}

// parseAttributeExpression parses "attr op value", "attr pr" or a value path
// "attr[filter]". Entra ID also sends emails[type eq "work"].value eq "x",
// which is not in the RFC grammar; it is read as
// emails[type eq "work" and value eq "x"], which means the same.
func (p *parser) parseAttributeExpression(inValuePath bool) (Filter, error) {
	p.skipSpace()
	if p.eof() {
		return nil, p.fail("expected an attribute at the end")
	}
	name := p.word()
	if name == "" {
		return nil, p.fail("expected an attribute before %q", p.rest())
	}
	path, err := p.attrPath(name)
	if err != nil {
		return nil, err
	}

	if p.peek() == '[' {
		if inValuePath {
			return nil, p.fail("value paths cannot be nested")
		}
		return p.parseValuePath(path)
	}
	return p.parseComparison(path)
}

func (p *parser) parseValuePath(path AttrPath) (Filter, error) {
	if path.SubAttribute != "" {
		return nil, p.fail("a value path needs a multi-valued attribute, not %q", path)
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()

	p.pos++
	inner, err := p.parseOr(true)
	if err != nil {
		return nil, err
	}
	if err := p.expect(']'); err != nil {
		return nil, err
	}
	vp := &ValuePath{Path: path, Filter: inner}

	if p.peek() != '.' {
		return vp, nil
	}
	p.pos++
	sub := p.word()
	if !validName(sub) {
		return nil, p.fail("invalid sub-attribute %q", sub)
	}
	cmp, err := p.parseComparison(AttrPath{Attribute: canonicalName(sub)})
	if err != nil {
		return nil, err
	}
	vp.Filter = &Logical{Operator: And, Left: inner, Right: cmp}
	p.notes.Note(RuleEmailsValueFilter)
	return vp, nil
}

func (p *parser) parseComparison(path AttrPath) (Filter, error) {
	if err := p.node(); err != nil {
		return nil, err
	}
	p.skipSpace()
	opText := p.word()
	op, ok := operators[strings.ToLower(opText)]
	if !ok {
		if opText == "" {
			return nil, p.fail("expected an operator after %q", path)
		}
		return nil, p.fail("unknown operator %q", opText)
	}
	if op == OpPresent {
		return &Comparison{Path: path, Operator: op}, nil
	}

	value, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	ordering := op == OpGreater || op == OpGreaterOrEqual || op == OpLess || op == OpLessOrEqual
	if ordering && (value.Kind == ValueBool || value.Kind == ValueNull) {
		return nil, p.fail("%q cannot compare with %s", op, value.text())
	}
	return &Comparison{Path: path, Operator: op, Value: value}, nil
}

func (p *parser) parseValue() (Value, error) {
	p.skipSpace()
	if p.peek() == '"' {
		s, err := p.quoted()
		if err != nil {
			return Value{}, err
		}
		return Value{Kind: ValueString, String: s}, nil
	}

	w := p.word()
	switch strings.ToLower(w) {
	case "":
		return Value{}, p.fail("expected a value")
	case "true":
		return Value{Kind: ValueBool, Bool: true}, nil
	case "false":
		return Value{Kind: ValueBool, Bool: false}, nil
	case "null":
		return Value{Kind: ValueNull}, nil
	}
	if c := w[0]; c == '-' || ('0' <= c && c <= '9') {
		if n, err := strconv.ParseFloat(w, 64); err == nil {
			return Value{Kind: ValueNumber, Number: n}, nil
		}
	}
	return Value{}, p.fail("invalid value %q: strings must be in double quotes", w)
}

// quoted reads a JSON string literal, escapes included.
func (p *parser) quoted() (string, error) {
	start := p.pos
	p.pos++
	for !p.eof() {
		switch p.src[p.pos] {
		case '\\':
			p.pos += 2
			continue
		case '"':
			p.pos++
			var s string
			if err := json.Unmarshal([]byte(p.src[start:p.pos]), &s); err != nil {
				return "", p.fail("invalid string %s", p.src[start:p.pos])
			}
			if hasNUL(s) {
				// No stored value holds NUL, and Postgres cannot compare
				// with one.
				return "", p.fail("a string must not contain a NUL character")
			}
			return s, nil
		}
		p.pos++
	}
	return "", p.fail("unterminated string")
}

// attrPath splits "urn:…:User:name.givenName" into schema, attribute and
// sub-attribute, and checks each name.
func (p *parser) attrPath(text string) (AttrPath, error) {
	var path AttrPath
	rest := text
	if len(text) > 4 && strings.EqualFold(text[:4], "urn:") {
		i := strings.LastIndexByte(text, ':')
		path.Schema = text[:i]
		if c, ok := canonicalSchemas[strings.ToLower(path.Schema)]; ok {
			path.Schema = c
		}
		rest = text[i+1:]
	}

	attribute, sub, dotted := strings.Cut(rest, ".")
	if !validName(attribute) || (dotted && !validName(sub)) {
		return AttrPath{}, p.fail("invalid attribute path %q", text)
	}
	path.Attribute = canonicalName(attribute)
	if dotted {
		path.SubAttribute = canonicalName(sub)
	}
	return path, nil
}

// validName checks ATTRNAME of RFC 7644: a letter, then letters, digits, "-"
// and "_"; "$ref" is allowed too.
func validName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !('0' <= c && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// PatchPath is a parsed PATCH path (RFC 7644 §3.5.2): an attribute path,
// optionally narrowed by a value filter and followed by a sub-attribute, as in
// emails[type eq "work"].value.
type PatchPath struct {
	// Attr is the attribute; Attr.SubAttribute is set only without Filter.
	Attr AttrPath
	// Filter selects values of a multi-valued attribute; nil when absent.
	Filter Filter
	// SubAttribute follows the filter, as in emails[…].value.
	SubAttribute string
}

// String renders the path in SCIM syntax.
func (pp PatchPath) String() string {
	s := pp.Attr.String()
	if pp.Filter != nil {
		s += "[" + pp.Filter.String() + "]"
	}
	if pp.SubAttribute != "" {
		s += "." + pp.SubAttribute
	}
	return s
}

// ParsePatchPath parses a PATCH operation's path. A malformed path gives an
// *Error with scimType invalidPath.
func ParsePatchPath(text string) (PatchPath, error) {
	if len(text) > MaxFilterLength {
		return PatchPath{}, errorf(ErrInvalidPath, "path is longer than %d characters",
			MaxFilterLength)
	}
	if !utf8.ValidString(text) {
		return PatchPath{}, errorf(ErrInvalidPath, "path is not valid UTF-8")
	}
	p := &parser{src: text, errType: ErrInvalidPath}

	p.skipSpace()
	name := p.word()
	if name == "" {
		return PatchPath{}, p.fail("expected an attribute")
	}
	attrPath, err := p.attrPath(name)
	if err != nil {
		return PatchPath{}, err
	}
	pp := PatchPath{Attr: attrPath}

	if p.peek() == '[' {
		if attrPath.SubAttribute != "" {
			return PatchPath{}, p.fail("a filter needs a multi-valued attribute, not %q", attrPath)
		}
		p.pos++
		p.depth++
		f, err := p.parseOr(true)
		if err != nil {
			return PatchPath{}, err
		}
		if err := p.expect(']'); err != nil {
			return PatchPath{}, err
		}
		pp.Filter = f

		if p.peek() == '.' {
			p.pos++
			sub := p.word()
			if !validName(sub) {
				return PatchPath{}, p.fail("invalid sub-attribute %q", sub)
			}
			pp.SubAttribute = canonicalName(sub)
		}
	}

	p.skipSpace()
	if !p.eof() {
		return PatchPath{}, p.fail("unexpected %q", p.rest())
	}
	return pp, nil
}
