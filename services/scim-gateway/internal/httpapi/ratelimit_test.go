package httpapi

import (
	"testing"
	"time"
)

func TestRateLimiterRefillsPerToken(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newRateLimiter(2, 3, func() time.Time { return now })

	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("fourth request: allowed %v, wait %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another token shares the bucket")
	}

	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("no request admitted after the refill")
	}
	if ok, _ := l.allow("a"); ok {
		t.Fatal("more than the refill admitted")
	}

	now = now.Add(time.Hour)
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("after an idle hour request %d refused: the bucket exceeded its burst?", i+1)
		}
	}
	if ok, _ := l.allow("a"); ok {
		t.Fatal("bucket refilled beyond its burst")
	}
}

func TestRateLimiterDefaultsAndOff(t *testing.T) {
	if l := newRateLimiter(-1, 0, time.Now); l != nil {
		t.Error("a negative rate did not turn the limit off")
	}
	l := newRateLimiter(0, 0, time.Now)
	if l.rate != DefaultRateLimit || l.burst != DefaultRateBurst {
		t.Errorf("defaults = %v/s burst %v", l.rate, l.burst)
	}
}

func TestRateLimiterBoundsMemory(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newRateLimiter(10, 10, func() time.Time { return now })
	for i := range maxBuckets {
		l.allow(string(rune(i)) + "token")
	}
	now = now.Add(2 * time.Second)
	l.allow("one more")
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets kept after every other one refilled", len(l.buckets))
	}
}

func TestCheckTakesNothingAndRemembersNothing(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newAuthFailureLimiter(1, 2, func() time.Time { return now })

	for range 5 {
		if ok, _ := l.check("198.51.100.7"); !ok {
			t.Fatal("check of a fresh address refused")
		}
	}
	if len(l.buckets) != 0 {
		t.Errorf("check kept %d buckets", len(l.buckets))
	}

	l.spend("198.51.100.7")
	l.spend("198.51.100.7")
	ok, wait := l.check("198.51.100.7")
	if ok || wait != time.Second {
		t.Errorf("after the burst: admitted %v, wait %v; want refused, 1s", ok, wait)
	}
	now = now.Add(time.Second)
	if ok, _ := l.check("198.51.100.7"); !ok {
		t.Error("not admitted after the refill")
	}
}

func TestAuthFailureLimiterDefaults(t *testing.T) {
	l := newAuthFailureLimiter(0, 0, time.Now)
	if l.rate != DefaultAuthFailureRate || l.burst != DefaultAuthFailureBurst {
		t.Errorf("defaults = %v/s burst %v", l.rate, l.burst)
	}
	if newAuthFailureLimiter(-1, 0, time.Now) != nil {
		t.Error("a negative rate did not turn the limit off")
	}
}
