package envconfig_test

import (
	"strings"
	"testing"
	"time"

	"github.com/craevidence/scim-provisioning/pkg/envconfig"
)

func TestReaderReturnsValuesAndFallbacks(t *testing.T) {
	r := envconfig.FromMap(map[string]string{
		"ADDR": "127.0.0.1:1", "COUNT": "7", "ON": "true", "WAIT": "2s", "EMPTY": "",
	})

	if got := r.String("ADDR", "x"); got != "127.0.0.1:1" {
		t.Errorf("String = %q", got)
	}
	if got := r.String("EMPTY", "fallback"); got != "fallback" {
		t.Errorf("an empty variable gave %q, want the fallback", got)
	}
	if got := r.Int("COUNT", 1); got != 7 {
		t.Errorf("Int = %d", got)
	}
	if got := r.Bool("ON", false); !got {
		t.Errorf("Bool = false")
	}
	if got := r.Duration("WAIT", time.Second); got != 2*time.Second {
		t.Errorf("Duration = %v", got)
	}
	if got := r.Int("MISSING", 42); got != 42 {
		t.Errorf("unset Int = %d, want the fallback", got)
	}
	if err := r.Err(); err != nil {
		t.Errorf("Err = %v", err)
	}
}

func TestReaderReportsEveryMalformedValue(t *testing.T) {
	r := envconfig.FromMap(map[string]string{"N": "seven", "B": "maybe", "D": "soon"})

	r.Int("N", 0)
	r.Bool("B", false)
	r.Duration("D", 0)

	err := r.Err()
	if err == nil {
		t.Fatal("malformed values were accepted")
	}
	for _, name := range []string{"N=", "B=", "D="} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}
