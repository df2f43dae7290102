package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestAdminTokensSignedWithAPublicKey starts the core with an ES256 public
// key besides the HS256 secret: tokens signed with the private key work, a
// token of another key does not, and HS256 tokens still do.
func TestAdminTokensSignedWithAPublicKey(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "admin-jwt.pem")
	err = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	if err != nil {
		t.Fatal(err)
	}

	for name, newDatabase := range databases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := StartSystemWithEnv(t, newDatabase(t), "ADMIN_JWT_PUBLIC_KEY_FILE="+keyFile)
			claims := map[string]any{
				"sub": "es256-admin", "org": s.Organization, "role": "admin",
				"exp": time.Now().Add(time.Hour).Unix(),
			}
			if status := s.AdminAs(signES256(t, key, claims), http.MethodGet, "/v1/scim-clients", nil, nil); status != http.StatusOK {
				t.Errorf("ES256 token of the configured key: status %d", status)
			}
			if status := s.AdminAs(signES256(t, other, claims), http.MethodGet, "/v1/scim-clients", nil, nil); status != http.StatusUnauthorized {
				t.Errorf("ES256 token of another key: status %d, want 401", status)
			}
			if status := s.Admin(http.MethodGet, "/v1/scim-clients", nil, nil); status != http.StatusOK {
				t.Errorf("HS256 token: status %d", status)
			}
		})
	}
}

func signES256(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	unsigned := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	digest := sha256.Sum256([]byte(unsigned))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	// JWS wants r and s as two 32-byte big-endian numbers (RFC 7518 §3.4).
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return unsigned + "." + enc.EncodeToString(sig)
}
