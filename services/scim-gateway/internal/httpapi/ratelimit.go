package httpapi

import (
	"crypto/sha256"
	"net"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
)

// The default rate limit per bearer token: generous enough for Entra ID's
// gallery bar of 25 requests per second and Okta's imports, low enough that
// one runaway client cannot take the core from the others.
const (
	DefaultRateLimit = 50
	DefaultRateBurst = 100
)

// The default limit of requests per client address that the core refuses
// for their token: an identity provider with a revoked token retries a few
// times a second at most, while each guess of a token costs the core a
// lookup.
const (
	DefaultAuthFailureRate  = 20
	DefaultAuthFailureBurst = 50
)

// maxBuckets bounds the limiter's memory; past it, buckets that have
// refilled are dropped, which forgets nothing a full bucket would not give.
const maxBuckets = 10000

// rateLimiter is a token bucket per bearer token, kept in memory by each
// gateway replica: n replicas together admit up to n times the rate. Tokens
// are keyed by their SHA-256, so the limiter holds no secret.
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	now     func() time.Time
	buckets map[[sha256.Size]byte]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(perSecond, burst int, now func() time.Time) *rateLimiter {
	return newLimiter(perSecond, burst, DefaultRateLimit, DefaultRateBurst, now)
}

// newAuthFailureLimiter returns the limiter of requests per client address
// that the core refused for their token.
func newAuthFailureLimiter(perSecond, burst int, now func() time.Time) *rateLimiter {
	return newLimiter(perSecond, burst, DefaultAuthFailureRate, DefaultAuthFailureBurst, now)
}

// newLimiter returns a limiter of perSecond with bursts of burst, taking the
// defaults for 0, or nil (no limit) for a negative perSecond.
func newLimiter(perSecond, burst, defaultRate, defaultBurst int, now func() time.Time) *rateLimiter {
	if perSecond < 0 {
		return nil
	}
	if perSecond == 0 {
		perSecond = defaultRate
	}
	if burst <= 0 {
		burst = max(defaultBurst, perSecond)
	}
	return &rateLimiter{
		rate:    float64(perSecond),
		burst:   float64(burst),
		now:     now,
		buckets: map[[sha256.Size]byte]*bucket{},
	}
}

// allow takes one request from the token's bucket. When the bucket is
// empty it reports how long until the next request would be admitted.
func (l *rateLimiter) allow(token string) (bool, time.Duration) {
	return l.take(token, true)
}

// check reports, like allow, whether key's bucket would admit a request,
// but takes nothing from it: the address limiter counts a request only
// once the core has refused its token (see spend).
func (l *rateLimiter) check(key string) (bool, time.Duration) {
	return l.take(key, false)
}

// spend takes one request from key's bucket, which may leave it empty.
func (l *rateLimiter) spend(key string) {
	l.take(key, true)
}

func (l *rateLimiter) take(token string, spend bool) (bool, time.Duration) {
	key := sha256.Sum256([]byte(token))
	now := l.now()

	l.mu.Lock()
	defer l.mu.Unlock()

	b, ok := l.buckets[key]
	if !ok {
		if !spend {
			// A full bucket admits; there is nothing to remember.
			return true, 0
		}
		if len(l.buckets) >= maxBuckets {
			l.dropRefilled(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		if spend {
			b.tokens--
		}
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

func (l *rateLimiter) dropRefilled(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for key, b := range l.buckets {
		if now.Sub(b.at) >= full {
			delete(l.buckets, key)
		}
	}
}

// limitRate refuses a request over its token's rate with 429 and an
// integer Retry-After, which is all Okta honours. It runs after
// authenticate, before any call reaches the core.
func (a *api) limitRate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a.limiter == nil {
			return next(c)
		}
		ok, wait := a.limiter.allow(core.TokenFrom(c.Request().Context()))
		if !ok {
			return &core.Error{Kind: core.KindRateLimited, RetryAfter: wait,
				Message: "too many requests for this SCIM client, retry after the delay given"}
		}
		return next(c)
	}
}

// limitAuthFailures refuses, with 429 and an integer Retry-After, the
// requests of a client address whose tokens the core has refused too
// often, without asking the core: each unknown token costs it a lookup,
// so guessing tokens at full speed would load it for nothing. Only
// requests the core answered 401 count: a working client never empties the
// bucket, though it shares the refusal while another client at its address
// empties it. The address is the TCP peer's, never X-Forwarded-For, which
// the client writes itself.
func (a *api) limitAuthFailures(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a.authFailures == nil {
			return next(c)
		}
		addr := peerAddress(c.Request().RemoteAddr)
		if ok, wait := a.authFailures.check(addr); !ok {
			return &core.Error{Kind: core.KindRateLimited, RetryAfter: wait,
				Message: "too many requests with tokens that are not valid, retry after the delay given"}
		}

		err := next(c)
		if core.IsKind(err, core.KindUnauthenticated) {
			a.authFailures.spend(addr)
		}
		return err
	}
}

// peerAddress is the host of a request's RemoteAddr, without the port,
// which changes with every connection.
func peerAddress(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}
