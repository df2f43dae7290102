package grpcserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/grpcserver"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

func publicPEM(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func signToken(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func adminClaims(org string) jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "user-1", "org": org, "role": "admin", "exp": time.Now().Add(time.Hour).Unix(),
	}
}

func TestKeyVerifierAcceptsOnlyItsAlgorithms(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaPEM, ecPEM := publicPEM(t, &rsaKey.PublicKey), publicPEM(t, &ecKey.PublicKey)

	rs256 := signToken(t, jwt.SigningMethodRS256, rsaKey, adminClaims("org-a"))
	es256 := signToken(t, jwt.SigningMethodES256, ecKey, adminClaims("org-a"))
	hs256 := signToken(t, jwt.SigningMethodHS256, []byte(testSecret), adminClaims("org-a"))
	foreignES := signToken(t, jwt.SigningMethodES256, otherEC, adminClaims("org-a"))
	// Algorithm confusion: the public key used as an HMAC secret.
	confused := signToken(t, jwt.SigningMethodHS256, rsaPEM, adminClaims("org-a"))
	none := signToken(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, adminClaims("org-a"))
	expiredClaims := adminClaims("org-a")
	expiredClaims["exp"] = time.Now().Add(-time.Hour).Unix()
	expired := signToken(t, jwt.SigningMethodES256, ecKey, expiredClaims)
	noOrg := adminClaims("")
	withoutOrg := signToken(t, jwt.SigningMethodRS256, rsaKey, noOrg)

	tests := []struct {
		name     string
		secret   string
		key      []byte
		accepted []string
		refused  []string
	}{
		{"RSA key", "", rsaPEM, []string{rs256}, []string{es256, hs256, confused, none, withoutOrg}},
		{"EC key", "", ecPEM, []string{es256}, []string{rs256, hs256, foreignES, none, expired}},
		{"secret and EC key", testSecret, ecPEM, []string{es256, hs256}, []string{rs256, confused, none}},
		{"secret only", testSecret, nil, []string{hs256}, []string{rs256, es256, none}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := grpcserver.NewKeyVerifier([]byte(tt.secret), tt.key)
			if err != nil {
				t.Fatal(err)
			}
			for i, token := range tt.accepted {
				admin, err := v.VerifyAdminToken(context.Background(), token)
				if err != nil || admin.OrganizationID != "org-a" || admin.Role != domain.RoleAdmin {
					t.Errorf("accepted[%d]: %+v, %v", i, admin, err)
				}
			}
			for i, token := range tt.refused {
				_, err := v.VerifyAdminToken(context.Background(), token)
				if !domain.IsKind(err, domain.KindUnauthenticated) {
					t.Errorf("refused[%d]: err = %v, want unauthenticated", i, err)
				}
			}
		})
	}
}

func TestKeyVerifierRefusesWeakOrUnknownKeys(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	cases := map[string]struct {
		secret string
		key    []byte
	}{
		"nothing":       {},
		"short secret":  {secret: "short"},
		"1024-bit RSA":  {key: publicPEM(t, &small.PublicKey)},
		"P-384":         {key: publicPEM(t, &p384.PublicKey)},
		"not PEM":       {key: []byte("not a key")},
		"a private key": {key: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})},
		"broken der":    {key: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2}})},
	}
	for name, c := range cases {
		if _, err := grpcserver.NewKeyVerifier([]byte(c.secret), c.key); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
