package scim

import (
	"slices"
	"sync"
)

// The compatibility rules: each names one way the gateway reads a request
// that RFC 7643/7644 alone would refuse or read differently. The names are
// stable: they are sent to the core, stored with provisioning events and
// counted in a client's statistics, so an admin can see why a request was
// read as it was.
const (
	// RuleDoubledBearer: "Authorization: Bearer Bearer <token>", sent when
	// an admin pastes the token with its scheme into Entra ID.
	RuleDoubledBearer = "doubled-bearer-prefix"
	// RuleCapitalisedOp: a PATCH op not in lower case ("Replace"), as Entra
	// ID sends without the aadOptscim062020 flag.
	RuleCapitalisedOp = "entra-capitalised-op"
	// RuleStringBoolean: "True" or "False" where a boolean belongs.
	RuleStringBoolean = "entra-string-boolean"
	// RuleEmailsValueFilter: emails[type eq "work"].value read as a
	// filter, or a filtered PATCH path that matched no value and so added
	// one, as Entra ID sets a user's first work email.
	RuleEmailsValueFilter = "entra-emails-value-filter"
	// RulePathlessDottedKeys: a path-less PATCH value object whose keys
	// are dotted ("name.givenName") or URN-qualified attribute names.
	RulePathlessDottedKeys = "entra-pathless-dotted-keys"
	// RulePathlessActive: a path-less PATCH value object that sets active,
	// Okta's way of deactivating and reactivating.
	RulePathlessActive = "okta-pathless-active"
	// RuleBareStringReference: a bare id where a {"value": id} object
	// belongs, as the enterprise manager arrives from some SCIM SDKs.
	RuleBareStringReference = "manager-bare-string"
	// RuleReferenceList: a list of one object where a single complex value
	// belongs, as Entra ID sends the manager reference.
	RuleReferenceList = "manager-reference-list"
	// RuleUnqualifiedExtension: an enterprise extension attribute named in
	// a PATCH path without its schema URN ("manager").
	RuleUnqualifiedExtension = "unqualified-extension-path"
	// RuleRemoveWithValue: a remove operation listing the values to
	// remove in value instead of a filter in the path.
	RuleRemoveWithValue = "remove-with-value-array"
	// RuleGroupRenameWithID: a group rename whose value object carries the
	// group's own id, as Okta sends it.
	RuleGroupRenameWithID = "group-rename-with-id"
	// RuleNumberAsString: a JSON number where a string belongs, such as an
	// employee number.
	RuleNumberAsString = "number-as-string"
	// RuleSingleValueAsList: a lone value where a list belongs.
	RuleSingleValueAsList = "single-value-as-list"
)

// Notes collects the compatibility rules applied while one request was
// read. A nil *Notes records nothing, so the readers work without one. It is
// safe for concurrent use.
type Notes struct {
	mu    sync.Mutex
	rules []string
}

// Note records that rule was applied.
func (n *Notes) Note(rule string) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !slices.Contains(n.rules, rule) {
		n.rules = append(n.rules, rule)
	}
}

// Rules returns the rules applied so far, sorted.
func (n *Notes) Rules() []string {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	out := slices.Clone(n.rules)
	slices.Sort(out)
	return out
}
