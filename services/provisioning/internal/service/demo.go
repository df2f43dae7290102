package service

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/adapters/grpcserver"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/ports"
)

// DemoOptions turn on demo mode: a demo Enterprise organisation with one
// SCIM client, whose credentials are printed so a person can try the
// service at once.
type DemoOptions struct {
	Enabled bool
	// DataDir holds demo.env, which keeps the plain demo token and JWT
	// secret across restarts, since the database has only the token's hash.
	DataDir string
	// Stdout receives the credential lines; nil means os.Stdout.
	Stdout io.Writer
}

// demoFileName is the file in the data directory that keeps the demo
// credentials; the data directory is ignored by git.
const demoFileName = "demo.env"

// demoAdminTokenTTL is how long the printed admin token is valid.
const demoAdminTokenTTL = 30 * 24 * time.Hour

// demoAdminSubject names the demo owner in tokens and events.
const demoAdminSubject = "demo-owner"

// demoCredentials are what demo mode prints and keeps in demo.env.
type demoCredentials struct {
	OrganizationID string
	ClientID       string
	ScimToken      string
	JWTSecret      string
	AdminToken     string
}

// seedDemo makes sure the demo organisation and its SCIM client exist and
// returns their credentials. A restart on the same data directory finds the
// same organisation, client and token; a token that no longer matches (it
// was rotated) or a client that was deleted is replaced.
func seedDemo(
	ctx context.Context,
	store ports.Store,
	clients *app.ScimClients,
	opts Options,
) (demoCredentials, error) {
	path := filepath.Join(opts.Demo.DataDir, demoFileName)
	saved, err := readDemoFile(path)
	if err != nil {
		return demoCredentials{}, err
	}

	creds := demoCredentials{OrganizationID: saved["ORGANIZATION_ID"]}
	if creds.OrganizationID == "" {
		creds.OrganizationID = app.NewID()
	}
	now := app.SystemClock()
	org := domain.Organization{
		ID:        creds.OrganizationID,
		Name:      "Demo organisation",
		Plan:      domain.PlanEnterprise,
		CreatedAt: now,
		UpdatedAt: now,
	}
	if err := store.Organizations().UpsertOrganization(ctx, org); err != nil {
		return demoCredentials{}, fmt.Errorf("upsert demo organisation: %w", err)
	}

	owner := app.Admin{Subject: demoAdminSubject, OrganizationID: org.ID, Role: domain.RoleOwner}
	creds.ClientID, creds.ScimToken, err = demoClient(ctx, clients, owner, saved)
	if err != nil {
		return demoCredentials{}, err
	}

	creds.JWTSecret = opts.AdminJWTSecret
	if creds.JWTSecret == "" {
		creds.JWTSecret = saved["ADMIN_JWT_SECRET"]
	}
	if creds.JWTSecret == "" {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return demoCredentials{}, fmt.Errorf("make admin jwt secret: %w", err)
		}
		creds.JWTSecret = hex.EncodeToString(b[:])
	}
	creds.AdminToken, err = grpcserver.IssueAdminToken([]byte(creds.JWTSecret), owner,
		demoAdminTokenTTL, time.Now())
	if err != nil {
		return demoCredentials{}, fmt.Errorf("sign demo admin token: %w", err)
	}

	// A configured secret stays in the configuration; only one made up here
	// is kept, so the next start signs with the same key.
	keep := map[string]string{
		"ORGANIZATION_ID": creds.OrganizationID,
		"SCIM_CLIENT_ID":  creds.ClientID,
		"SCIM_TOKEN":      creds.ScimToken,
	}
	if opts.AdminJWTSecret == "" {
		keep["ADMIN_JWT_SECRET"] = creds.JWTSecret
	}
	if err := writeDemoFile(path, keep); err != nil {
		return demoCredentials{}, err
	}
	opts.Logger.Info("demo organisation ready", "org_id", creds.OrganizationID, "client_id", creds.ClientID)
	return creds, nil
}

// demoClient returns the demo SCIM client's id and plain token, creating the
// client or rotating its token when the saved ones no longer work.
func demoClient(
	ctx context.Context,
	clients *app.ScimClients,
	owner app.Admin,
	saved map[string]string,
) (string, string, error) {
	if id := saved["SCIM_CLIENT_ID"]; id != "" {
		client, err := clients.Get(ctx, owner, id)
		switch {
		case err == nil && domain.TokenMatches(saved["SCIM_TOKEN"], client.TokenHash):
			return client.ID, saved["SCIM_TOKEN"], nil
		case err == nil:
			rotated, token, err := clients.RotateToken(ctx, owner, id)
			if err != nil {
				return "", "", fmt.Errorf("rotate demo client token: %w", err)
			}
			return rotated.ID, token, nil
		case !domain.IsKind(err, domain.KindNotFound):
			return "", "", fmt.Errorf("load demo client: %w", err)
		}
	}

	client, token, err := clients.Create(ctx, owner, domain.ClientSettings{
		Name:           "Demo identity provider",
		DefaultRole:    domain.RoleMember,
		AutoActivate:   true,
		SyncAttributes: true,
		AllowDeletion:  false,
	})
	if err != nil {
		return "", "", fmt.Errorf("create demo client: %w", err)
	}
	return client.ID, token, nil
}

// print writes the credential lines. This is the only place the core ever
// prints a token.
func (c demoCredentials) print(w io.Writer) error {
	_, err := fmt.Fprintf(w, "SCIM_TOKEN=%s\nADMIN_TOKEN=%s\nORGANIZATION_ID=%s\n",
		c.ScimToken, c.AdminToken, c.OrganizationID)
	return err
}

// readDemoFile reads KEY=value lines; a missing file is empty.
func readDemoFile(path string) (map[string]string, error) {
	values := map[string]string{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return values, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()

	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if key, value, ok := strings.Cut(line, "="); ok {
			values[strings.TrimSpace(key)] = strings.TrimSpace(value)
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return values, nil
}

// writeDemoFile replaces the file with the values, readable by its owner
// only since it holds secrets.
func writeDemoFile(path string, values map[string]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	var b strings.Builder
	b.WriteString("# Demo credentials of the provisioning core. Secret: do not share or commit.\n")
	for _, key := range []string{"ORGANIZATION_ID", "SCIM_CLIENT_ID", "SCIM_TOKEN", "ADMIN_JWT_SECRET"} {
		if v, ok := values[key]; ok {
			fmt.Fprintf(&b, "%s=%s\n", key, v)
		}
	}

	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fmt.Errorf("restrict %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}
