package domain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// Names of the canonical encodings below. Each is hashed first, so a link
// of one encoding can never be read as a link of the other.
const (
	chainFormatV1 = "cra-provisioning-event-chain/v1"
	chainFormatV2 = "cra-provisioning-event-chain/v2"
)

// ChainedEvent is a provisioning event sealed into its organisation's hash
// chain.
type ChainedEvent struct {
	Event Event
	// Seq is the event's place in the chain, counted from 1.
	Seq int64
	// Hash is ChainLink of the previous event's hash and this event.
	Hash string
}

// ChainLink returns the hex SHA-256 that seals event, at place seq, into its
// organisation's hash chain: a hash over a canonical encoding of the fields
// the event was written with, its sequence number, and the hash of the
// organisation's previous event ("" for the first one).
//
// Each field is written as its length and its bytes, so no choice of values
// can make two different events encode alike. The time is written in UTC
// with microseconds, which both databases keep exactly.
//
// This is the chain's second encoding: it covers the identity provider and
// the compatibility rules too. Events sealed before it keep verifying under
// the first (see ChainWalker).
func ChainLink(previousHash string, seq int64, event Event) string {
	return chainLink(chainFormatV2, previousHash, seq, event)
}

// chainLinkV1 is the chain's first encoding, which predates the identity
// provider and the compatibility rules and does not cover them.
func chainLinkV1(previousHash string, seq int64, event Event) string {
	return chainLink(chainFormatV1, previousHash, seq, event)
}

func chainLink(format, previousHash string, seq int64, event Event) string {
	h := sha256.New()
	field := func(value string) {
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(value)))])
		h.Write([]byte(value))
	}
	field(format)
	field(previousHash)
	field(strconv.FormatInt(seq, 10))
	field(event.ID)
	field(event.OrganizationID)
	field(event.ClientID)
	field(string(event.Operation))
	field(string(event.Outcome))
	field(event.MemberID)
	field(event.GroupID)
	field(event.Actor)
	field(event.RequestID)
	writeList(field, event.ChangedAttributes)
	field(event.ErrorCode)
	field(event.ErrorDetail)
	field(event.OccurredAt.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z"))
	if format != chainFormatV1 {
		field(event.IdentityProvider)
		writeList(field, event.CompatibilityRules)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeList(field func(string), values []string) {
	field(strconv.Itoa(len(values)))
	for _, v := range values {
		field(v)
	}
}

// ChainReport is the outcome of verifying an organisation's hash chain.
type ChainReport struct {
	// Intact is true when every sealed event is as it was written and none
	// is missing or inserted.
	Intact bool
	// Checked counts the sealed events that were verified.
	Checked int64
	// Pending counts events not sealed yet; they are neither verified nor
	// counted as broken.
	Pending int64
	// FirstBrokenEventID names the first event at which the chain breaks.
	FirstBrokenEventID string
	// Problem says, for a person, what is wrong there.
	Problem string
}

// ChainWalker checks sealed events one at a time, in sequence order.
//
// A chain may start with events sealed under the first encoding, from before
// the second existed; once an event verifies under the second, every later
// one must too, so no event can fall back to the encoding that leaves its
// identity provider and compatibility rules uncovered.
type ChainWalker struct {
	nextSeq  int64
	previous string
	checked  int64
	v2       bool
}

// NewChainWalker starts a walk after the event with sequence startSeq and
// hash startHash: zero and "" for a chain that starts at its first event,
// or the checkpoint retention left when it removed the oldest events.
func NewChainWalker(startSeq int64, startHash string) *ChainWalker {
	return &ChainWalker{nextSeq: startSeq + 1, previous: startHash}
}

// Check verifies the next event of the walk and returns what is wrong with
// it, or "" when it is the expected next link.
func (w *ChainWalker) Check(c ChainedEvent) string {
	switch {
	case c.Seq > w.nextSeq:
		return fmt.Sprintf("events %d to %d of the chain are missing before event %s: "+
			"they were removed", w.nextSeq, c.Seq-1, c.Event.ID)
	case c.Seq < w.nextSeq:
		return fmt.Sprintf("event %s repeats sequence number %d: it was inserted into the chain",
			c.Event.ID, c.Seq)
	}
	switch {
	case c.Hash == ChainLink(w.previous, c.Seq, c.Event):
		w.v2 = true
	case !w.v2 && c.Hash == chainLinkV1(w.previous, c.Seq, c.Event):
	default:
		return fmt.Sprintf("event %s (sequence %d) does not match its chain hash: "+
			"it was changed after it was written, or inserted", c.Event.ID, c.Seq)
	}
	w.nextSeq++
	w.previous = c.Hash
	w.checked++
	return ""
}

// Checked returns how many events passed the check.
func (w *ChainWalker) Checked() int64 { return w.checked }
