package grpcserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/metadata"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// minAdminSecretLength is the shortest HS256 secret accepted: 256 bits, the
// size of the hash, below which the key is the weakest part.
const minAdminSecretLength = 32

// clockSkew tolerates small clock differences between the token issuer and
// this process.
const clockSkew = 30 * time.Second

// AdminVerifier checks an admin bearer token and says who the admin is. It
// is an interface so a verifier of asymmetric keys (RS256 or EdDSA through a
// JWKS) can replace the shared-secret one without touching the handlers.
type AdminVerifier interface {
	VerifyAdminToken(ctx context.Context, token string) (app.Admin, error)
}

// AdminClaims are the claims of an admin token: sub, org, role and exp.
type AdminClaims struct {
	Organization string `json:"org"`
	Role         string `json:"role"`
	jwt.RegisteredClaims
}

// HS256Verifier verifies admin tokens signed with a shared secret. Only
// HS256 is accepted, so "none" and algorithm confusion are refused.
type HS256Verifier struct {
	secret []byte
	now    func() time.Time
}

// NewHS256Verifier returns a verifier of tokens signed with secret.
func NewHS256Verifier(secret []byte) (*HS256Verifier, error) {
	if len(secret) < minAdminSecretLength {
		return nil, errors.New("the admin JWT secret needs at least 32 bytes")
	}
	return &HS256Verifier{secret: secret, now: time.Now}, nil
}

// VerifyAdminToken checks the signature, the algorithm and the expiry, and
// returns the admin the claims describe.
func (v *HS256Verifier) VerifyAdminToken(_ context.Context, token string) (app.Admin, error) {
	invalid := domain.Errorf(domain.KindUnauthenticated, "the admin token is not valid")

	var claims AdminClaims
	_, err := jwt.ParseWithClaims(token, &claims,
		func(*jwt.Token) (any, error) { return v.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(v.now),
	)
	if err != nil {
		return app.Admin{}, invalid
	}
	if claims.Subject == "" || claims.Organization == "" {
		return app.Admin{}, invalid
	}
	role := domain.Role(claims.Role)
	if !role.Valid() {
		return app.Admin{}, invalid
	}
	return app.Admin{Subject: claims.Subject, OrganizationID: claims.Organization, Role: role}, nil
}

// IssueAdminToken signs an HS256 admin token. The core only verifies admin
// tokens; it issues one for the demo organisation and for tests.
func IssueAdminToken(secret []byte, admin app.Admin, ttl time.Duration, now time.Time) (string, error) {
	claims := AdminClaims{
		Organization: admin.OrganizationID,
		Role:         string(admin.Role),
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   admin.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		return "", err
	}
	return signed, nil
}

// bearerToken returns the token of the "authorization" metadata, or "".
func bearerToken(ctx context.Context) string {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return ""
	}
	values := md.Get("authorization")
	if len(values) != 1 {
		return ""
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// internalTokenChecker authenticates other CRA Evidence services with one
// shared token. Without a configured token it refuses every call.
type internalTokenChecker struct {
	hash [sha256.Size]byte
	set  bool
}

func newInternalTokenChecker(token string) internalTokenChecker {
	if token == "" {
		return internalTokenChecker{}
	}
	return internalTokenChecker{hash: sha256.Sum256([]byte(token)), set: true}
}

// check compares the caller's token with the configured one in constant
// time; comparing hashes keeps the token's length from leaking too.
func (c internalTokenChecker) check(ctx context.Context) error {
	if !c.set {
		return domain.Errorf(domain.KindUnauthenticated, "the directory service is not configured")
	}
	presented := sha256.Sum256([]byte(bearerToken(ctx)))
	if subtle.ConstantTimeCompare(presented[:], c.hash[:]) != 1 {
		return domain.Errorf(domain.KindUnauthenticated, "the internal service token is not valid")
	}
	return nil
}
