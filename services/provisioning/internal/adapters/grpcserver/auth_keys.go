package grpcserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// minRSAKeyBits is the smallest RSA key accepted for RS256 admin tokens.
const minRSAKeyBits = 2048

// KeyVerifier verifies admin tokens signed with a shared secret (HS256), a
// public key (RS256 for an RSA key, ES256 for a P-256 key), or either. It
// accepts only the algorithms of the keys it was given, and checks each
// token with the key of its own algorithm, so a token cannot pass off a
// public key as an HMAC secret, nor name "none".
type KeyVerifier struct {
	secret    []byte
	publicKey any
	methods   []string
	now       func() time.Time
}

// NewKeyVerifier returns a verifier of the configured keys: an HS256
// secret of at least 32 bytes, a PEM public key (PKIX "PUBLIC KEY", PKCS #1
// "RSA PUBLIC KEY" or an X.509 certificate), or both. At least one is
// needed.
func NewKeyVerifier(secret, publicKeyPEM []byte) (*KeyVerifier, error) {
	v := &KeyVerifier{now: time.Now}
	if len(secret) > 0 {
		if len(secret) < minAdminSecretLength {
			return nil, errors.New("the admin JWT secret needs at least 32 bytes")
		}
		v.secret = secret
		v.methods = append(v.methods, jwt.SigningMethodHS256.Alg())
	}
	if len(publicKeyPEM) > 0 {
		key, method, err := parsePublicKey(publicKeyPEM)
		if err != nil {
			return nil, err
		}
		v.publicKey = key
		v.methods = append(v.methods, method)
	}
	if len(v.methods) == 0 {
		return nil, errors.New("no admin JWT secret or public key is configured")
	}
	return v, nil
}

// parsePublicKey reads a PEM public key and returns it with the one
// algorithm it may verify.
func parsePublicKey(data []byte) (any, string, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, "", errors.New("the admin JWT public key is not PEM")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, "", fmt.Errorf("the admin JWT public key is a PEM %q block, not a public key", block.Type)
	}
	if err != nil {
		return nil, "", fmt.Errorf("parse the admin JWT public key: %w", err)
	}

	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSAKeyBits {
			return nil, "", fmt.Errorf("the admin JWT RSA key has %d bits; at least %d are needed",
				k.N.BitLen(), minRSAKeyBits)
		}
		return k, jwt.SigningMethodRS256.Alg(), nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, "", errors.New("the admin JWT EC key must be on curve P-256 (ES256)")
		}
		return k, jwt.SigningMethodES256.Alg(), nil
	default:
		return nil, "", fmt.Errorf("the admin JWT public key is a %T; RSA or P-256 EC is needed", key)
	}
}

// Algorithms returns the JWT algorithms the verifier accepts.
func (v *KeyVerifier) Algorithms() []string { return append([]string(nil), v.methods...) }

// VerifyAdminToken checks the algorithm, the signature with the key of that
// algorithm and the expiry, and returns the admin the claims describe.
func (v *KeyVerifier) VerifyAdminToken(_ context.Context, token string) (app.Admin, error) {
	var claims AdminClaims
	_, err := jwt.ParseWithClaims(token, &claims, v.key,
		jwt.WithValidMethods(v.methods),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(v.now),
	)
	if err != nil {
		return app.Admin{}, domain.Errorf(domain.KindUnauthenticated, "the admin token is not valid")
	}
	return adminFromClaims(claims)
}

func (v *KeyVerifier) key(token *jwt.Token) (any, error) {
	switch token.Method.(type) {
	case *jwt.SigningMethodHMAC:
		if v.secret != nil {
			return v.secret, nil
		}
	case *jwt.SigningMethodRSA, *jwt.SigningMethodECDSA:
		if v.publicKey != nil {
			return v.publicKey, nil
		}
	}
	return nil, errors.New("no key for the token's algorithm")
}

// adminFromClaims checks the claims every admin token must carry.
func adminFromClaims(claims AdminClaims) (app.Admin, error) {
	invalid := domain.Errorf(domain.KindUnauthenticated, "the admin token is not valid")
	if claims.Subject == "" || claims.Organization == "" {
		return app.Admin{}, invalid
	}
	role := domain.Role(claims.Role)
	if !role.Valid() {
		return app.Admin{}, invalid
	}
	return app.Admin{Subject: claims.Subject, OrganizationID: claims.Organization, Role: role}, nil
}
