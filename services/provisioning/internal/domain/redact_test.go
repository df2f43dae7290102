package domain

import (
	"fmt"
	"testing"
)

func TestWithoutValues(t *testing.T) {
	tests := []struct{ in, want string }{
		{`userName "ada@example.com" is already taken in this organisation`,
			`userName "…" is already taken in this organisation`},
		{fmt.Sprintf("emails holds %q twice", `D"@x.com`), `emails holds "…" twice`},
		{`a group named "x" already exists`, `a group named "…" already exists`},
		{`"a" and "b"`, `"…" and "…"`},
		{`no quotes at all`, `no quotes at all`},
		{`unterminated "secret`, `unterminated "…"`},
	}
	for _, tc := range tests {
		if got := WithoutValues(tc.in); got != tc.want {
			t.Errorf("WithoutValues(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
