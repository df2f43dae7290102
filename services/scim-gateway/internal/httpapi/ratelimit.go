package httpapi

import (
	"crypto/sha256"
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
	if perSecond < 0 {
		return nil
	}
	if perSecond == 0 {
		perSecond = DefaultRateLimit
	}
	if burst <= 0 {
		burst = max(DefaultRateBurst, perSecond)
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
	key := sha256.Sum256([]byte(token))
	now := l.now()

	l.mu.Lock()
	defer l.mu.Unlock()

	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.dropRefilled(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
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
