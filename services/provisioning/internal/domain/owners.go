package domain

// The rules that keep an organisation in the hands of its owners when a
// SCIM client provisions people who already hold a role in CRA Evidence.

// Privileged reports whether the member's role lets it manage the
// organisation.
func (m Member) Privileged() bool {
	return m.Role == RoleOwner || m.Role == RoleAdmin
}

// IsActiveOwner reports whether the member is an owner who may log in.
func (m Member) IsActiveOwner() bool {
	return m.Role == RoleOwner && m.Status == StatusActive
}

// CheckAdoption refuses to link an owner or admin that a create matched by
// email alone, with a userName other than the member's.
//
// Refusing is chosen over adopting without renaming: the link itself hands
// the member's profile and deactivation to the SCIM client, and keeping the
// userName would only delay the rename to the identity provider's next PUT.
// An email address is weaker evidence of identity than the userName the
// person logs in with, and a client that merely knows an owner's address
// must not take the owner over. An admin who wants the member managed by
// the identity provider gives it the userName the provider sends; members
// with other roles are still adopted by email, as DESIGN.md says.
func CheckAdoption(existing Member, u ProvisionedUser) error {
	if !existing.Privileged() || UserNameKey(existing.UserName) == UserNameKey(u.UserName) {
		return nil
	}
	return Errorf(KindAlreadyExists,
		"a member with this email already exists with another userName and a role that "+
			"manages the organisation; it is linked only when the userName is the same").
		WithReason(ReasonUniqueness)
}

// LastOwnerError is the refusal of a SCIM change that would deactivate or
// erase the organisation's last active owner.
func LastOwnerError() *Error {
	return Errorf(KindConflict,
		"the member is the organisation's last active owner and cannot be deactivated "+
			"or deleted through SCIM; make another member owner first").
		WithReason(ReasonMutability)
}
