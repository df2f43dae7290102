package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchURN      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// fullUser is a User with every core attribute a client may write and
// every Enterprise extension attribute.
func fullUser(userName string) map[string]any {
	return map[string]any{
		"schemas":    []string{userURN, enterpriseURN},
		"userName":   userName,
		"externalId": "ext-" + userName,
		"name": map[string]any{
			"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen",
			"givenName": "Barbara", "middleName": "Jane", "honorificPrefix": "Ms.",
			"honorificSuffix": "III",
		},
		"displayName":       "Babs Jensen",
		"nickName":          "Babs",
		"profileUrl":        "https://login.example.com/bjensen",
		"title":             "Tour Guide",
		"userType":          "Employee",
		"preferredLanguage": "en-US",
		"locale":            "en-US",
		"timezone":          "America/Los_Angeles",
		"active":            true,
		"emails": []any{
			map[string]any{"value": userName, "type": "work", "primary": true},
			map[string]any{"value": "babs@jensen.org", "type": "home"},
		},
		"phoneNumbers": []any{
			map[string]any{"value": "555-555-5555", "type": "work"},
			map[string]any{"value": "555-555-4444", "type": "mobile"},
		},
		"ims":    []any{map[string]any{"value": "someaimhandle", "type": "aim"}},
		"photos": []any{map[string]any{"value": "https://photos.example.com/profilephoto.jpg", "type": "photo"}},
		"addresses": []any{map[string]any{
			"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
			"region": "CA", "postalCode": "91608", "country": "USA",
			"formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA", "primary": true,
		}},
		"x509Certificates": []any{map[string]any{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJ"}},
		enterpriseURN: map[string]any{
			"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
			"division": "Theme Park", "department": "Tour Operations",
			"manager": map[string]any{"value": "26118915-6090-4610-87e4-49d8ca9f808d"},
		},
	}
}

// scimWith sends a SCIM request with extra headers and returns the decoded
// answer.
func (s *System) scimWith(method, path string, body any, headers map[string]string) *Response {
	s.t.Helper()
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.ScimBaseURL+path, reader)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.ScimToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			s.t.Fatalf("%s %s: answer is not JSON: %s", method, path, raw)
		}
	}
	return r
}

func patchOps(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{patchURN}, "Operations": ops}
}

func filterPath(resource, filter string, extra ...string) string {
	q := url.Values{"filter": {filter}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return "/" + resource + "?" + q.Encode()
}

func listUserNames(t *testing.T, r *Response) []string {
	t.Helper()
	resources, _ := r.Field("Resources").([]any)
	var names []string
	for _, res := range resources {
		m, _ := res.(map[string]any)
		name, _ := m["userName"].(string)
		names = append(names, name)
	}
	return names
}

// TestRFC7644Users drives the User examples of RFC 7644 §3.3–3.7 through
// the real gateway and core.
func TestRFC7644Users(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		// §3.3 create: 201, Location, ETag, meta; what the client stores it
		// reads back.
		sent := fullUser("bjensen@example.com")
		created := s.SCIM(http.MethodPost, "/Users", sent)
		expectStatus(t, created, http.StatusCreated)
		id := created.String("id")
		if loc := created.Header.Get("Location"); loc != created.String("meta.location") ||
			!strings.HasSuffix(loc, "/Users/"+id) {
			t.Errorf("Location %q, meta.location %q", loc, created.String("meta.location"))
		}
		if etag := created.Header.Get("ETag"); etag == "" || etag != created.String("meta.version") {
			t.Errorf("ETag %q, meta.version %q", etag, created.String("meta.version"))
		}
		for _, f := range []string{"meta.created", "meta.lastModified"} {
			if created.String(f) == "" {
				t.Errorf("%s missing: %s", f, created.Raw)
			}
		}
		if created.String("meta.resourceType") != "User" {
			t.Errorf("meta.resourceType = %q", created.String("meta.resourceType"))
		}
		got := s.SCIM(http.MethodGet, "/Users/"+id, nil)
		expectStatus(t, got, http.StatusOK)
		for key, want := range sent {
			if key == "schemas" {
				continue
			}
			if key == enterpriseURN {
				// The server adds the manager's $ref.
				ent, _ := got.Body[key].(map[string]any)
				if mgr, _ := ent["manager"].(map[string]any); mgr != nil {
					delete(mgr, "$ref")
				}
			}
			if !jsonEqual(got.Body[key], want) {
				t.Errorf("%s reads back as %v, want %v", key, got.Body[key], want)
			}
		}

		others := []map[string]any{
			{"userName": "adams@example.com", "name": map[string]any{"familyName": "Adams"},
				"title": "Engineer", "emails": []any{map[string]any{"value": "adams@example.com", "type": "work"}},
				enterpriseURN: map[string]any{"employeeNumber": "42"}},
			{"userName": "carter@example.org", "name": map[string]any{"familyName": "carter"},
				"phoneNumbers": []any{map[string]any{"value": "555-555-0000", "type": "mobile"}}},
		}
		for _, u := range others {
			u["schemas"] = []string{userURN}
			expectStatus(t, s.SCIM(http.MethodPost, "/Users", u), http.StatusCreated)
		}

		// §3.4.2.2 filters: every operator, logic, grouping, value paths,
		// URN-qualified and extension attributes.
		filters := []struct {
			filter string
			want   []string
		}{
			{`userName eq "BJENSEN@example.com"`, []string{"bjensen@example.com"}},
			{`userName ne "bjensen@example.com"`, []string{"adams@example.com", "carter@example.org"}},
			{`userName co "ens"`, []string{"bjensen@example.com"}},
			{`userName sw "A"`, []string{"adams@example.com"}},
			{`userName ew ".org"`, []string{"carter@example.org"}},
			{`title pr`, []string{"bjensen@example.com", "adams@example.com"}},
			{`userName gt "b"`, []string{"bjensen@example.com", "carter@example.org"}},
			{`userName ge "carter@example.org"`, []string{"carter@example.org"}},
			{`userName lt "b"`, []string{"adams@example.com"}},
			{`userName le "adams@example.com"`, []string{"adams@example.com"}},
			{`title eq "tour guide" and userType eq "Employee"`, []string{"bjensen@example.com"}},
			{`title eq "engineer" or nickName eq "babs"`, []string{"bjensen@example.com", "adams@example.com"}},
			{`not (title pr)`, []string{"carter@example.org"}},
			{`userType eq "Employee" and (emails.type eq "work" or phoneNumbers.type eq "mobile")`,
				[]string{"bjensen@example.com"}},
			{`emails[type eq "work" and value co "@example.com"]`,
				[]string{"bjensen@example.com", "adams@example.com"}},
			{`phoneNumbers[type eq "mobile"]`, []string{"bjensen@example.com", "carter@example.org"}},
			{`addresses[locality eq "hollywood"]`, []string{"bjensen@example.com"}},
			{`name.familyName eq "CARTER"`, []string{"carter@example.org"}},
			{userURN + `:name.givenName sw "barb"`, []string{"bjensen@example.com"}},
			{enterpriseURN + `:employeeNumber eq "42"`, []string{"adams@example.com"}},
			{enterpriseURN + `:manager.value pr`, []string{"bjensen@example.com"}},
			{`externalId eq "ext-bjensen@example.com"`, []string{"bjensen@example.com"}},
			{`externalId eq "EXT-bjensen@example.com"`, nil},
			{`meta.created gt "2000-01-01T00:00:00Z"`, []string{"bjensen@example.com", "adams@example.com", "carter@example.org"}},
			{`id eq "` + id + `"`, []string{"bjensen@example.com"}},
		}
		for _, tc := range filters {
			r := s.SCIM(http.MethodGet, filterPath("Users", tc.filter), nil)
			expectStatus(t, r, http.StatusOK)
			if got := listUserNames(t, r); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("filter %s: got %v, want %v", tc.filter, got, tc.want)
			}
		}
		for _, bad := range []string{`userName eq`, `shoeSize eq "x"`, `title co 3`,
			`emails[type eq "work"`, `urn:example:custom:1.0:User:x eq "y"`} {
			expectSCIMError(t, s.SCIM(http.MethodGet, filterPath("Users", bad), nil),
				http.StatusBadRequest, "invalidFilter")
		}

		// §3.4.2.3 sorting.
		sorted := s.SCIM(http.MethodGet, "/Users?sortBy=name.familyName&sortOrder=descending", nil)
		expectStatus(t, sorted, http.StatusOK)
		if got := listUserNames(t, sorted); !reflect.DeepEqual(got,
			[]string{"bjensen@example.com", "carter@example.org", "adams@example.com"}) {
			t.Errorf("sorted descending by familyName: %v", got)
		}
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Users?sortBy=shoeSize", nil),
			http.StatusBadRequest, "invalidValue")

		// §3.4.2.4 paging.
		page := s.SCIM(http.MethodGet, "/Users?sortBy=userName&startIndex=0&count=2", nil)
		if page.Field("startIndex") != 1.0 || page.Field("itemsPerPage") != 2.0 ||
			page.Field("totalResults") != 3.0 {
			t.Errorf("startIndex 0: %s", page.Raw)
		}
		second := s.SCIM(http.MethodGet, "/Users?sortBy=userName&startIndex=3&count=2", nil)
		if got := listUserNames(t, second); !reflect.DeepEqual(got, []string{"carter@example.org"}) {
			t.Errorf("second page: %v", got)
		}
		zero := s.SCIM(http.MethodGet, "/Users?count=0", nil)
		if zero.Field("totalResults") != 3.0 || zero.Field("itemsPerPage") != 0.0 {
			t.Errorf("count=0: %s", zero.Raw)
		}
		huge := s.SCIM(http.MethodGet, "/Users?count=100000", nil)
		expectStatus(t, huge, http.StatusOK)
		if huge.Field("itemsPerPage") != 3.0 {
			t.Errorf("count above the maximum: %s", huge.Raw)
		}
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Users?count=many", nil),
			http.StatusBadRequest, "invalidValue")

		// §3.4.2.5 attributes and excludedAttributes.
		only := s.SCIM(http.MethodGet, "/Users/"+id+"?attributes=userName,name.familyName", nil)
		if only.String("userName") == "" || only.String("name.familyName") != "Jensen" ||
			only.Field("title") != nil || only.Field("name.givenName") != nil || only.String("id") != id {
			t.Errorf("attributes: %s", only.Raw)
		}
		without := s.SCIM(http.MethodGet, "/Users/"+id+"?excludedAttributes=emails,"+enterpriseURN, nil)
		if without.Field("emails") != nil || without.Field(enterpriseURN) != nil ||
			without.String("title") == "" {
			t.Errorf("excludedAttributes: %s", without.Raw)
		}

		// §3.4.3 POST .search on the type and on the root.
		search := s.SCIM(http.MethodPost, "/Users/.search", map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"attributes": []string{"userName"}, "filter": `userName sw "b"`,
			"startIndex": 1, "count": 10,
		})
		expectStatus(t, search, http.StatusOK)
		if got := listUserNames(t, search); !reflect.DeepEqual(got, []string{"bjensen@example.com"}) {
			t.Errorf(".search: %v", got)
		}
		root := s.SCIM(http.MethodPost, "/.search", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"filter":  `id eq "` + id + `"`,
		})
		expectStatus(t, root, http.StatusOK)
		if root.Field("totalResults") != 1.0 {
			t.Errorf("root .search: %s", root.Raw)
		}
		// Sorting by a User attribute on the root leaves groups after users.
		expectStatus(t, s.SCIM(http.MethodPost, "/Groups", map[string]any{
			"displayName": "Root search group"}), http.StatusCreated)
		rootSorted := s.SCIM(http.MethodPost, "/.search", map[string]any{
			"sortBy": "userName", "sortOrder": "descending"})
		expectStatus(t, rootSorted, http.StatusOK)
		if got := listUserNames(t, rootSorted); !reflect.DeepEqual(got, []string{
			"carter@example.org", "bjensen@example.com", "adams@example.com", ""}) {
			t.Errorf("root .search sorted by userName: %v", got)
		}

		// §3.5.1 PUT replaces: read-only attributes sent are ignored, and
		// what is left out is cleared.
		put := fullUser("bjensen@example.com")
		delete(put, "nickName")
		put["id"] = "not-the-id"
		put["meta"] = map[string]any{"created": "1999-01-01T00:00:00Z"}
		put["title"] = "Senior Tour Guide"
		replaced := s.SCIM(http.MethodPut, "/Users/"+id, put)
		expectStatus(t, replaced, http.StatusOK)
		if replaced.String("id") != id || replaced.String("title") != "Senior Tour Guide" ||
			replaced.Field("nickName") != nil || replaced.String("meta.created") != created.String("meta.created") {
			t.Errorf("PUT: %s", replaced.Raw)
		}

		// §3.5.2 PATCH on every path form.
		patched := s.SCIM(http.MethodPatch, "/Users/"+id, patchOps(
			map[string]any{"op": "add", "path": "phoneNumbers",
				"value": []any{map[string]any{"value": "555-555-1111", "type": "home"}}},
			map[string]any{"op": "replace", "path": `emails[type eq "work"].value`,
				"value": "babs@example.com"},
			map[string]any{"op": "remove", "path": `phoneNumbers[type eq "mobile"]`},
			map[string]any{"op": "remove", "path": "title"},
			map[string]any{"op": "replace", "path": "name.givenName", "value": "Barb"},
			map[string]any{"op": "replace", "path": enterpriseURN + ":department", "value": "Rides"},
			map[string]any{"op": "add", "value": map[string]any{
				"nickName": "B", "name.familyName": "Jensen-Smith",
				enterpriseURN + ":employeeNumber": "9"}},
		))
		expectStatus(t, patched, http.StatusOK)
		ent, _ := patched.Body[enterpriseURN].(map[string]any)
		phones, _ := patched.Field("phoneNumbers").([]any)
		if patched.Field("title") != nil || patched.String("name.givenName") != "Barb" ||
			patched.String("name.familyName") != "Jensen-Smith" || patched.String("nickName") != "B" ||
			ent["department"] != "Rides" || ent["employeeNumber"] != "9" || len(phones) != 2 {
			t.Errorf("PATCH: %s", patched.Raw)
		}
		byNewEmail := s.SCIM(http.MethodGet, filterPath("Users", `emails[type eq "work"].value eq "babs@example.com"`), nil)
		if byNewEmail.Field("totalResults") != 1.0 {
			t.Errorf("emails after PATCH: %s", byNewEmail.Raw)
		}
		// Multi-valued rules: one primary at most.
		primary := s.SCIM(http.MethodPatch, "/Users/"+id, patchOps(map[string]any{
			"op": "add", "path": "emails",
			"value": []any{map[string]any{"value": "new@example.com", "type": "other", "primary": true}}}))
		expectStatus(t, primary, http.StatusOK)
		primaries := 0
		emails, _ := primary.Field("emails").([]any)
		for _, e := range emails {
			if m, _ := e.(map[string]any); m["primary"] == true {
				primaries++
			}
		}
		if primaries != 1 {
			t.Errorf("%d primary emails after adding a primary one: %s", primaries, primary.Raw)
		}
		patchErrors := []struct {
			op       map[string]any
			scimType string
		}{
			{map[string]any{"op": "remove"}, "noTarget"},
			// An equality filter that matches nothing creates the value (Entra
			// ID relies on it); any other filter that matches nothing is
			// noTarget.
			{map[string]any{"op": "replace", "path": `emails[type co "fa"].value`,
				"value": "x"}, "noTarget"},
			{map[string]any{"op": "replace", "path": "shoeSize", "value": "9"}, "invalidPath"},
			{map[string]any{"op": "replace", "path": "emails[type eq", "value": "x"}, "invalidPath"},
			{map[string]any{"op": "replace", "path": "id", "value": "x"}, "mutability"},
			{map[string]any{"op": "jump", "path": "title", "value": "x"}, "invalidSyntax"},
		}
		for _, pe := range patchErrors {
			r := s.SCIM(http.MethodPatch, "/Users/"+id, patchOps(pe.op))
			if r.Status != http.StatusBadRequest || r.String("scimType") != pe.scimType {
				t.Errorf("PATCH %v: status %d scimType %q, want 400 %s", pe.op, r.Status,
					r.String("scimType"), pe.scimType)
				continue
			}
			expectSCIMError(t, r, http.StatusBadRequest, pe.scimType)
		}

		// Removing what is not there changes nothing and is no error, the same
		// rule as for group members.
		before := s.SCIM(http.MethodGet, "/Users/"+id, nil)
		noop := s.SCIM(http.MethodPatch, "/Users/"+id, patchOps(map[string]any{
			"op": "remove", "path": `emails[type eq "fax"]`}))
		expectStatus(t, noop, http.StatusOK)
		if !jsonEqual(noop.Body["emails"], before.Body["emails"]) {
			t.Errorf("removing an absent value changed emails: %s", noop.Raw)
		}

		// §3.14 ETags.
		current := s.SCIM(http.MethodGet, "/Users/"+id, nil)
		etag := current.Header.Get("ETag")
		notModified := s.scimWith(http.MethodGet, "/Users/"+id, nil, map[string]string{"If-None-Match": etag})
		if notModified.Status != http.StatusNotModified {
			t.Errorf("If-None-Match current: %d", notModified.Status)
		}
		stale := s.scimWith(http.MethodPatch, "/Users/"+id,
			patchOps(map[string]any{"op": "replace", "path": "title", "value": "x"}),
			map[string]string{"If-Match": `W/"1"`})
		expectSCIMError(t, stale, http.StatusPreconditionFailed, "")
		fresh := s.scimWith(http.MethodPatch, "/Users/"+id,
			patchOps(map[string]any{"op": "replace", "path": "title", "value": "x"}),
			map[string]string{"If-Match": etag})
		expectStatus(t, fresh, http.StatusOK)
		if fresh.Header.Get("ETag") == etag {
			t.Errorf("ETag unchanged after a change: %s", etag)
		}

		// §3.6 DELETE.
		expectStatus(t, s.SCIM(http.MethodDelete, "/Users/"+id, nil), http.StatusNoContent)
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Users/"+id, nil), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodDelete, "/Users/"+id, nil), http.StatusNotFound, "")
	})
}

// TestRFC7644Groups covers Groups: displayName uniqueness, members left
// out, membership PATCH and its set semantics.
func TestRFC7644Groups(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		var ids []string
		for _, name := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			r := s.SCIM(http.MethodPost, "/Users", map[string]any{"schemas": []string{userURN},
				"userName": name, "displayName": strings.ToUpper(name[:1])})
			expectStatus(t, r, http.StatusCreated)
			ids = append(ids, r.String("id"))
		}
		group := s.SCIM(http.MethodPost, "/Groups", map[string]any{
			"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
			"displayName": "Tour Guides", "externalId": "g-1",
			"members": []any{map[string]any{"value": ids[0]}},
		})
		expectStatus(t, group, http.StatusCreated)
		gid := group.String("id")
		expectSCIMError(t, s.SCIM(http.MethodPost, "/Groups", map[string]any{
			"displayName": "TOUR guides"}), http.StatusConflict, "uniqueness")

		lean := s.SCIM(http.MethodGet, "/Groups/"+gid+"?excludedAttributes=members", nil)
		if lean.Field("members") != nil || lean.String("displayName") != "Tour Guides" {
			t.Errorf("excludedAttributes=members: %s", lean.Raw)
		}
		listed := s.SCIM(http.MethodGet, filterPath("Groups", `displayName eq "tour guides"`,
			"excludedAttributes", "members"), nil)
		if listed.Field("totalResults") != 1.0 {
			t.Errorf("group filter: %s", listed.Raw)
		}

		// Membership PATCH answers 204; removing ids that are not members,
		// or name no user at all, is no error.
		add := s.SCIM(http.MethodPatch, "/Groups/"+gid, patchOps(
			map[string]any{"op": "add", "path": "members",
				"value": []any{map[string]any{"value": ids[1]}, map[string]any{"value": ids[2]}}},
			map[string]any{"op": "remove", "path": `members[value eq "` + ids[0] + `"]`},
		))
		expectStatus(t, add, http.StatusNoContent)
		for _, remove := range []map[string]any{
			{"op": "remove", "path": `members[value eq "no-such-user"]`},
			{"op": "remove", "path": "members", "value": []any{map[string]any{"value": ids[0]}}},
		} {
			expectStatus(t, s.SCIM(http.MethodPatch, "/Groups/"+gid, patchOps(remove)),
				http.StatusNoContent)
		}
		expectSCIMError(t, s.SCIM(http.MethodPatch, "/Groups/"+gid, patchOps(map[string]any{
			"op": "add", "path": "members", "value": []any{map[string]any{"value": "no-such-user"}}})),
			http.StatusBadRequest, "invalidValue")

		full := s.SCIM(http.MethodGet, "/Groups/"+gid, nil)
		members, _ := full.Field("members").([]any)
		var got []string
		for _, m := range members {
			mm, _ := m.(map[string]any)
			got = append(got, mm["value"].(string))
		}
		if !sameStrings(got, ids[1:]) {
			t.Errorf("members = %v, want %v", got, ids[1:])
		}
		byMember := s.SCIM(http.MethodGet, filterPath("Groups", `members[value eq "`+ids[2]+`"]`), nil)
		if byMember.Field("totalResults") != 1.0 {
			t.Errorf("filter by member: %s", byMember.Raw)
		}
		user := s.SCIM(http.MethodGet, "/Users/"+ids[1], nil)
		groups, _ := user.Field("groups").([]any)
		if len(groups) != 1 {
			t.Errorf("user's groups: %s", user.Raw)
		}

		searched := s.SCIM(http.MethodPost, "/Groups/.search", map[string]any{
			"filter": `externalId eq "g-1"`, "excludedAttributes": []string{"members"}})
		if searched.Field("totalResults") != 1.0 {
			t.Errorf("Groups/.search: %s", searched.Raw)
		}
		sorted := s.SCIM(http.MethodGet, "/Groups?sortBy=displayName&sortOrder=descending", nil)
		expectStatus(t, sorted, http.StatusOK)

		// PUT replaces the member list.
		put := s.SCIM(http.MethodPut, "/Groups/"+gid, map[string]any{
			"displayName": "Guides", "members": []any{map[string]any{"value": ids[0]}}})
		expectStatus(t, put, http.StatusOK)
		if m, _ := put.Field("members").([]any); len(m) != 1 || put.String("displayName") != "Guides" {
			t.Errorf("group PUT: %s", put.Raw)
		}
		expectStatus(t, s.SCIM(http.MethodDelete, "/Groups/"+gid, nil), http.StatusNoContent)
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Groups/"+gid, nil), http.StatusNotFound, "")
	})
}

// TestRFC7644Errors covers the protocol errors: 405 with a SCIM body, /Me
// and /Bulk answered as unsupported, unknown resources 404.
func TestRFC7644Errors(t *testing.T) {
	forEachDatabase(t, func(t *testing.T, s *System) {
		expectSCIMError(t, s.SCIM(http.MethodPut, "/Users", map[string]any{}),
			http.StatusMethodNotAllowed, "")
		expectSCIMError(t, s.SCIM(http.MethodDelete, "/ServiceProviderConfig", nil),
			http.StatusMethodNotAllowed, "")
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Me", nil), http.StatusNotImplemented, "")
		expectSCIMError(t, s.SCIM(http.MethodPost, "/Bulk", map[string]any{}),
			http.StatusNotImplemented, "")
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Widgets", nil), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodGet, "/Users/no-such-id", nil), http.StatusNotFound, "")
		expectSCIMError(t, s.SCIM(http.MethodPost, "/Users", "{not json"),
			http.StatusBadRequest, "invalidSyntax")

		spc := s.SCIM(http.MethodGet, "/ServiceProviderConfig", nil)
		for feature, want := range map[string]bool{"patch": true, "filter": true, "sort": true,
			"etag": true, "bulk": false, "changePassword": false} {
			if got, _ := spc.Field(feature + ".supported").(bool); got != want {
				t.Errorf("ServiceProviderConfig %s.supported = %v, want %v", feature, got, want)
			}
		}
	})
}

func jsonEqual(a, b any) bool {
	ra, _ := json.Marshal(a)
	rb, _ := json.Marshal(b)
	var na, nb any
	_ = json.Unmarshal(ra, &na)
	_ = json.Unmarshal(rb, &nb)
	return reflect.DeepEqual(na, nb)
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}
