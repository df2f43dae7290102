package domain

import "strings"

// RedactedValue replaces each quoted value in an event's error detail.
const RedactedValue = `"…"`

// WithoutValues returns detail with every double-quoted part replaced by
// RedactedValue, for the provisioning log.
//
// The core's error details quote every value a caller sent (a userName, an
// email, a group's displayName, an id) with %q, and the caller sees them as
// they are. Events are kept for ten years and hold no attribute values, so
// the log stores the same sentence with the values masked: one rule at the
// one place where details enter the log, rather than a second, value-free
// sentence that every error would have to remember to carry. A quoted part
// ends at the first quote that is not escaped, as %q writes them; an
// unterminated one is masked to the end.
func WithoutValues(detail string) string {
	var b strings.Builder
	for {
		start := strings.IndexByte(detail, '"')
		if start < 0 {
			b.WriteString(detail)
			return b.String()
		}
		b.WriteString(detail[:start])
		b.WriteString(RedactedValue)
		end := closingQuote(detail, start+1)
		if end < 0 {
			return b.String()
		}
		detail = detail[end+1:]
	}
}

// closingQuote returns the index of the first unescaped '"' of s at or after
// from, or -1.
func closingQuote(s string, from int) int {
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
