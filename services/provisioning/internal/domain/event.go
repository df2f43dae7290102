package domain

import "time"

// Operation names what a provisioning event records. The names are stable:
// they are stored, filtered on and exported.
type Operation string

// The operations of the provisioning log.
const (
	OpUserCreate       Operation = "user.create"
	OpUserUpdate       Operation = "user.update"
	OpUserDeactivate   Operation = "user.deactivate"
	OpUserReactivate   Operation = "user.reactivate"
	OpUserDelete       Operation = "user.delete"
	OpUserErase        Operation = "user.erase"
	OpGroupCreate      Operation = "group.create"
	OpGroupUpdate      Operation = "group.update"
	OpGroupDelete      Operation = "group.delete"
	OpMemberAdd        Operation = "member.add"
	OpMemberApprove    Operation = "member.approve"
	OpMemberDeactivate Operation = "member.deactivate"
	OpMemberReactivate Operation = "member.reactivate"
	OpClientCreate     Operation = "client.create"
	OpClientUpdate     Operation = "client.update"
	OpClientEnable     Operation = "client.enable"
	OpClientDisable    Operation = "client.disable"
	OpClientRotate     Operation = "client.token_rotated"
	OpClientDelete     Operation = "client.delete"
	OpRequestRefused   Operation = "request.refused"
)

// Outcome says how an operation ended.
type Outcome string

// The outcomes.
const (
	OutcomeSucceeded Outcome = "succeeded"
	// OutcomeFailed is a valid request that could not be carried out.
	OutcomeFailed Outcome = "failed"
	// OutcomeRefused is a request that was not accepted at all, such as one
	// from a disabled client.
	OutcomeRefused Outcome = "refused"
)

// Event is one entry of the provisioning log. Events are append-only and
// hold identifiers and attribute names, never tokens or attribute values.
type Event struct {
	ID             string
	OrganizationID string
	ClientID       string
	Operation      Operation
	Outcome        Outcome
	MemberID       string
	GroupID        string
	// Actor is "scim:<client id>", "admin:<subject>" or "service:directory".
	Actor             string
	RequestID         string
	ChangedAttributes []string
	ErrorCode         string
	ErrorDetail       string
	OccurredAt        time.Time
	// IdentityProvider is the identity provider the SCIM gateway recognised
	// on the request, such as "okta"; empty when unknown.
	IdentityProvider string
	// CompatibilityRules name the rules the gateway applied to read the
	// request, such as "entra-string-boolean".
	CompatibilityRules []string
	// ChainHash is the event's link in its organisation's hash chain (see
	// ChainLink); empty until the sealer has reached the event. The store
	// sets it; it is never written with the event.
	ChainHash string
}

// ClientStatistics counts what a SCIM client has done.
type ClientStatistics struct {
	UsersCreated     int64
	UsersUpdated     int64
	UsersDeactivated int64
	UsersReactivated int64
	UsersDeleted     int64
	RequestsFailed   int64
	RequestsRefused  int64
	// LastSyncAt is the time of the last successful change; zero when none.
	LastSyncAt time.Time
	// IdentityProvider is the one recorded on the client's latest event
	// that names one; empty when none does.
	IdentityProvider string
	// CompatibilityRules count the events each rule was applied to, by
	// rule name.
	CompatibilityRules []RuleCount
}

// RuleCount is how many of a client's events a compatibility rule was
// applied to.
type RuleCount struct {
	Rule   string
	Events int64
}

// DefaultEventRetention is how long provisioning events are kept.
const DefaultEventRetention = 10 * 365 * 24 * time.Hour
