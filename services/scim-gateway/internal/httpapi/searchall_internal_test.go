package httpapi

import "testing"

// TestGroupsHave checks which sortBy attributes a root search passes on to
// the Groups listing: a User-only attribute would make the core refuse it.
func TestGroupsHave(t *testing.T) {
	for sortBy, want := range map[string]bool{
		"":                  true,
		"displayName":       true,
		"DISPLAYNAME":       true,
		"id":                true,
		"externalId":        true,
		"meta.lastModified": true,
		"urn:ietf:params:scim:schemas:core:2.0:Group:displayName": true,
		"userName":       false,
		"name.givenName": false,
		"urn:ietf:params:scim:schemas:core:2.0:User:userName":                       false,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": false,
	} {
		if got := groupsHave(sortBy); got != want {
			t.Errorf("groupsHave(%q) = %v, want %v", sortBy, got, want)
		}
	}
}
