package domain

// Filter is a parsed SCIM filter (RFC 7644 §3.4.2.2): one of
// *AttributeFilter, *LogicalFilter, *NotFilter or *ValuePathFilter. The
// persistence adapters turn it into parameterised SQL and refuse with
// KindInvalid and ReasonInvalidFilter what they cannot evaluate exactly.
type Filter interface {
	isFilter()
}

// AttributePath names an attribute: "userName", "name.givenName",
// "emails.value", or one qualified by a schema URN.
type AttributePath struct {
	Schema       string
	Attribute    string
	SubAttribute string
}

// Comparison is a filter's attribute operator.
type Comparison string

// The attribute operators.
const (
	CompareEqual          Comparison = "eq"
	CompareNotEqual       Comparison = "ne"
	CompareContains       Comparison = "co"
	CompareStartsWith     Comparison = "sw"
	CompareEndsWith       Comparison = "ew"
	ComparePresent        Comparison = "pr"
	CompareGreaterThan    Comparison = "gt"
	CompareGreaterOrEqual Comparison = "ge"
	CompareLessThan       Comparison = "lt"
	CompareLessOrEqual    Comparison = "le"
)

// AttributeFilter compares an attribute with a value. Value is a string,
// bool, float64, or nil for JSON null; it is unused for ComparePresent.
type AttributeFilter struct {
	Path     AttributePath
	Operator Comparison
	Value    any
}

// LogicalFilter joins two filters; And is false for "or".
type LogicalFilter struct {
	And         bool
	Left, Right Filter
}

// NotFilter negates a filter.
type NotFilter struct {
	Filter Filter
}

// ValuePathFilter selects resources with at least one value of a
// multi-valued attribute that matches Filter, whose paths are sub-attributes.
type ValuePathFilter struct {
	Path   AttributePath
	Filter Filter
}

func (*AttributeFilter) isFilter() {}
func (*LogicalFilter) isFilter()   {}
func (*NotFilter) isFilter()       {}
func (*ValuePathFilter) isFilter() {}

// ListQuery selects and pages SCIM resources.
type ListQuery struct {
	// Filter is nil for every resource.
	Filter Filter
	// StartIndex is 1-based.
	StartIndex int
	// Count is the page size; 0 asks for the total only.
	Count          int
	SortBy         string
	SortDescending bool
}

// MaxListCount bounds a page of SCIM resources.
const MaxListCount = 200

// Normalize applies RFC 7644 §3.4.2.4: a startIndex below 1 counts as 1, and
// count is bounded.
func (q *ListQuery) Normalize() {
	if q.StartIndex < 1 {
		q.StartIndex = 1
	}
	if q.Count < 0 {
		q.Count = 0
	}
	if q.Count > MaxListCount {
		q.Count = MaxListCount
	}
}

// InvalidFilter returns the error for a filter the core cannot evaluate.
func InvalidFilter(format string, args ...any) *Error {
	return Errorf(KindInvalid, format, args...).WithReason(ReasonInvalidFilter)
}
