package httpapi

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// Paging limits, declared in ServiceProviderConfig as filter.maxResults.
const (
	DefaultCount = 100
	MaxCount     = 200
)

// listRequest is a list or .search request, parsed.
type listRequest struct {
	query      core.ListQuery
	projection scim.Projection
}

// searchBody is the SearchRequest message of RFC 7644 §3.4.3. startIndex and
// count are json.Number-free ints: a string there is a client error.
type searchBody struct {
	Attributes         []string `json:"attributes"`
	ExcludedAttributes []string `json:"excludedAttributes"`
	Filter             string   `json:"filter"`
	StartIndex         *int     `json:"startIndex"`
	Count              *int     `json:"count"`
	SortBy             string   `json:"sortBy"`
	SortOrder          string   `json:"sortOrder"`
}

func listFromQuery(c echo.Context) (listRequest, error) {
	start, err := intParam(c.QueryParam("startIndex"), "startIndex", 1)
	if err != nil {
		return listRequest{}, err
	}
	count, err := intParam(c.QueryParam("count"), "count", DefaultCount)
	if err != nil {
		return listRequest{}, err
	}
	lr, err := newListRequest(c.QueryParam("filter"), start, count,
		c.QueryParam("attributes"), c.QueryParam("excludedAttributes"), notesOf(c))
	if err != nil {
		return listRequest{}, err
	}
	return lr.sorted(c.QueryParam("sortBy"), c.QueryParam("sortOrder"))
}

func listFromSearch(c echo.Context) (listRequest, error) {
	body, err := readBody(c)
	if err != nil {
		return listRequest{}, err
	}
	var s searchBody
	if err := decodeStrict(body, &s); err != nil {
		return listRequest{}, err
	}

	start, count := 1, DefaultCount
	if s.StartIndex != nil {
		start = *s.StartIndex
	}
	if s.Count != nil {
		count = *s.Count
	}
	lr, err := newListRequest(s.Filter, start, count, strings.Join(s.Attributes, ","),
		strings.Join(s.ExcludedAttributes, ","), notesOf(c))
	if err != nil {
		return listRequest{}, err
	}
	return lr.sorted(s.SortBy, s.SortOrder)
}

// sorted applies sortBy and sortOrder (RFC 7644 §3.4.2.3). sortOrder
// defaults to ascending and means nothing without sortBy; its value is
// compared case-insensitively. Which attributes can be sorted by is the
// core's to say: it refuses others with invalidValue.
func (lr listRequest) sorted(sortBy, sortOrder string) (listRequest, error) {
	sortBy = strings.TrimSpace(sortBy)
	if sortBy == "" {
		return lr, nil
	}
	// The attribute names of the schemas are ASCII; anything else,
	// invalid UTF-8 above all, which protobuf cannot carry, names none.
	if strings.ContainsAny(sortBy, " ,[]()\"") || !printableASCII(sortBy) {
		return listRequest{}, &scim.Error{ScimType: scim.ErrInvalidValue,
			Detail: "sortBy must name one attribute, such as userName or name.familyName"}
	}
	switch strings.ToLower(strings.TrimSpace(sortOrder)) {
	case "", "ascending":
	case "descending":
		lr.query.SortDescending = true
	default:
		return listRequest{}, &scim.Error{ScimType: scim.ErrInvalidValue,
			Detail: "sortOrder must be \"ascending\" or \"descending\""}
	}
	lr.query.SortBy = sortBy
	return lr, nil
}

// MaxStartIndex is the largest startIndex the core can be asked for (its
// field is an int32). A larger one is read as this one: no organisation
// holds that many resources, so both give the same empty page, and the
// answer's startIndex is the one the page was read from.
const MaxStartIndex = math.MaxInt32

// newListRequest applies the paging rules of RFC 7644 §3.4.2.4: a
// startIndex below 1 counts as 1, a negative count as 0, and count is capped
// at MaxCount; startIndex is capped at MaxStartIndex.
func newListRequest(
	filter string,
	start, count int,
	attrs, excluded string,
	notes *scim.Notes,
) (listRequest, error) {
	var lr listRequest
	if strings.TrimSpace(filter) != "" {
		f, err := scim.ParseFilterNoting(filter, notes)
		if err != nil {
			return listRequest{}, err
		}
		lr.query.Filter = f
	}
	lr.query.StartIndex = min(max(start, 1), MaxStartIndex)
	lr.query.Count = min(max(count, 0), MaxCount)

	p, err := scim.ParseProjection(attrs, excluded)
	if err != nil {
		return listRequest{}, err
	}
	lr.projection = p
	return lr, nil
}

// intParam reads an integer query parameter. An integer too large for an
// int is read as the largest one (and a too negative one as the smallest),
// since paging clamps it anyway; only what is no integer is refused.
func intParam(text, name string, fallback int) (int, error) {
	if text == "" {
		return fallback, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 0)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, &scim.Error{ScimType: scim.ErrInvalidValue, Detail: name + " must be an integer"}
	}
	return int(n), nil
}

// listResponse renders a ListResponse; the paging fields are integers, as
// Okta requires.
func listResponse(total int64, start int, resources []map[string]any) map[string]any {
	if resources == nil {
		resources = []map[string]any{}
	}
	return map[string]any{
		"schemas":      []string{scim.ListResponseURN},
		"totalResults": total,
		"startIndex":   start,
		"itemsPerPage": len(resources),
		"Resources":    resources,
	}
}
