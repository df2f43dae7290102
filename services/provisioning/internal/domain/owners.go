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

// CheckAdoption refuses to link an owner or admin unless both the userName
// and one of the emails the create sent are the member's.
//
// Refusing is chosen over adopting without renaming: the link itself hands
// the member's profile and deactivation to the SCIM client, and keeping the
// userName would only delay the rename to the identity provider's next PUT.
// Neither identifier alone is enough evidence that the identity provider's
// user is the person who manages the organisation: a client that merely
// knows an owner's address, or merely sends the same userName, must not take
// the owner over. An admin who wants the member managed by the identity
// provider makes the provider send the member's userName and email; members
// with other roles are still adopted by either, as DESIGN.md says.
func CheckAdoption(existing Member, u ProvisionedUser) error {
	if !existing.Privileged() {
		return nil
	}
	if UserNameKey(existing.UserName) != UserNameKey(u.UserName) {
		return Errorf(KindAlreadyExists,
			"a member with this email already exists with another userName and a role that "+
				"manages the organisation; it is linked only when the userName and an email "+
				"are both the member's").
			WithReason(ReasonUniqueness)
	}
	if !sharesEmail(existing.Profile, u.Profile) {
		return Errorf(KindAlreadyExists,
			"a member with this userName already exists with a role that manages the "+
				"organisation, and none of the emails sent is the member's; it is linked only "+
				"when the userName and an email are both the member's").
			WithReason(ReasonUniqueness)
	}
	return nil
}

// sharesEmail reports whether the two profiles have an email in common.
func sharesEmail(a, b Profile) bool {
	have := map[string]bool{}
	for _, e := range a.EmailValues() {
		have[EmailKey(e)] = true
	}
	for _, e := range b.EmailValues() {
		if have[EmailKey(e)] {
			return true
		}
	}
	return false
}

// LastOwnerError is the refusal of a SCIM change that would deactivate or
// erase the organisation's last active owner.
func LastOwnerError() *Error {
	return Errorf(KindConflict,
		"the member is the organisation's last active owner and cannot be deactivated "+
			"or deleted through SCIM; make another member owner first").
		WithReason(ReasonMutability)
}

// CheckDeactivationByAdmin refuses an admin's deactivation of an owner by
// someone who is not an owner: an admin manages the organisation under its
// owners and must not be able to remove them. Whether the member is the last
// active owner is checked apart, against the stored owners.
func CheckDeactivationByAdmin(by Role, m Member) error {
	if m.Role != RoleOwner || by == RoleOwner {
		return nil
	}
	return Errorf(KindPermissionDenied, "only an owner may deactivate an owner")
}

// LastOwnerDeactivationError is the refusal of an admin's deactivation of
// the organisation's last active owner, which would leave it without anyone
// who may manage its owners.
func LastOwnerDeactivationError() *Error {
	return Errorf(KindConflict,
		"the member is the organisation's last active owner and cannot be deactivated; "+
			"make another member owner first")
}
