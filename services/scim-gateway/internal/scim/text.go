package scim

import "strings"

// Control characters (C0 and DEL) have no place in identifiers, and in free
// text only as tab and line breaks. NUL in particular is refused
// everywhere: Postgres cannot store it in text, so it would fail deep in
// the core instead of as the client's mistake.

// hasControl reports whether s holds a C0 control character or DEL, other
// than the tab and line breaks that free text may hold.
func hasControl(s string, freeText bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != 0x7f {
			continue
		}
		if freeText && (c == '\t' || c == '\n' || c == '\r') {
			continue
		}
		return true
	}
	return false
}

// checkIdentifier refuses an identifier that holds a control character.
// The error names the attribute, never the value.
func checkIdentifier(attribute, value string) error {
	if hasControl(value, false) {
		return errorf(ErrInvalidValue, "%s must not contain control characters", attribute)
	}
	return nil
}

// checkText refuses free text that holds a control character other than
// tab and line breaks.
func checkText(attribute, value string) error {
	if hasControl(value, true) {
		return errorf(ErrInvalidValue,
			"%s must not contain control characters other than tab and line breaks", attribute)
	}
	return nil
}

// CheckID refuses a resource id, as it arrives in a URL path, that holds a
// control character.
func CheckID(id string) error {
	return checkIdentifier("the id in the path", id)
}

// checkUserText refuses a user whose identifying attributes hold control
// characters: userName, externalId, displayName and the manager's id.
func checkUserText(u User) error {
	if err := checkIdentifier("userName", u.UserName); err != nil {
		return err
	}
	if err := checkIdentifier("externalId", u.ExternalID); err != nil {
		return err
	}
	if err := checkText("displayName", u.DisplayName); err != nil {
		return err
	}
	if u.Enterprise != nil && u.Enterprise.Manager != nil {
		return checkIdentifier("manager.value", u.Enterprise.Manager.Value)
	}
	return nil
}

// checkGroupText refuses a group whose displayName, externalId or member
// ids hold control characters.
func checkGroupText(g Group) error {
	if err := checkText("displayName", g.DisplayName); err != nil {
		return err
	}
	if err := checkIdentifier("externalId", g.ExternalID); err != nil {
		return err
	}
	for _, m := range g.Members {
		if err := checkIdentifier("members.value", m.Value); err != nil {
			return err
		}
	}
	return nil
}

// hasNUL reports whether s holds a NUL byte.
func hasNUL(s string) bool {
	return strings.IndexByte(s, 0) >= 0
}
