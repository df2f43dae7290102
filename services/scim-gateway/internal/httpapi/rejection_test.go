package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/core/corefake"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/httpapi"
)

const someUUID = "0190f4c2-7a1b-7c3d-8e4f-5a6b7c8d9e0f"

func TestGatewayRefusalsAreReported(t *testing.T) {
	secret := "Countess-of-Lovelace"
	cases := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		want                     core.Rejection
	}{
		{
			name: "malformed PATCH", method: "PATCH", path: "/scim/v2/Users/" + someUUID,
			body:   `{"Operations":[{"op":"replace","path":"title","value":"` + secret + `"`,
			status: http.StatusBadRequest,
			want: core.Rejection{Operation: "user.update", ResourceID: someUUID, HTTPStatus: 400,
				ScimType: "invalidSyntax"},
		},
		{
			name: "bad PATCH op", method: "PATCH", path: "/scim/v2/Groups/" + someUUID,
			body:   `{"Operations":[{"op":"` + secret + `","path":"displayName","value":"x"}]}`,
			status: http.StatusBadRequest,
			want: core.Rejection{Operation: "group.update", ResourceID: someUUID, HTTPStatus: 400,
				ScimType: "invalidSyntax"},
		},
		{
			name: "invalid filter", method: "GET",
			path:   "/scim/v2/Users?filter=" + url.QueryEscape(`userName eq `+secret),
			status: http.StatusBadRequest,
			want:   core.Rejection{HTTPStatus: 400, ScimType: "invalidFilter"},
		},
		{
			name: "userName of spaces", method: "POST", path: "/scim/v2/Users",
			body:   `{"userName":"   ","displayName":"` + secret + `"}`,
			status: http.StatusBadRequest,
			want:   core.Rejection{Operation: "user.create", HTTPStatus: 400, ScimType: "invalidValue"},
		},
		{
			name: "id that is no id", method: "DELETE", path: "/scim/v2/Users/" + secret,
			headers: []string{"If-Match", `"not-ours"`},
			status:  http.StatusPreconditionFailed,
			want:    core.Rejection{Operation: "user.delete", HTTPStatus: 412},
		},
		{
			name: "content type", method: "POST", path: "/scim/v2/Groups", body: `{}`,
			headers: []string{"Content-Type", "text/plain"},
			status:  http.StatusUnsupportedMediaType,
			want:    core.Rejection{Operation: "group.create", HTTPStatus: 415},
		},
		{
			name: "method", method: "PATCH", path: "/scim/v2/Users", body: `{}`,
			status: http.StatusMethodNotAllowed,
			want:   core.Rejection{HTTPStatus: 405},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			r := h.do(tc.method, tc.path, tc.body, tc.headers...).expect(t, tc.status)

			got := h.core.Rejections()
			if len(got) != 1 {
				t.Fatalf("reports = %+v, want one", got)
			}
			if got[0].Detail == "" || strings.Contains(got[0].Detail, secret) ||
				strings.Contains(got[0].Detail, "Countess") {
				t.Errorf("detail %q is empty or carries a request value", got[0].Detail)
			}
			tc.want.Detail = got[0].Detail
			if got[0] != tc.want {
				t.Errorf("report = %+v, want %+v", got[0], tc.want)
			}
			if r.body["scimType"] != nil && r.body["scimType"] != tc.want.ScimType {
				t.Errorf("answer scimType %v differs from the report", r.body["scimType"])
			}
		})
	}
}

func TestRefusalsNotReported(t *testing.T) {
	h := newHarness(t)
	h.createAda()

	// A missing token, an unknown route, the core's own errors (it logs
	// them itself) and success.
	h.do("GET", "/scim/v2/Users?filter=bad", "", "Authorization", "").
		expectError(t, http.StatusUnauthorized, "")
	h.do("GET", "/scim/v2/Nothing", "").expect(t, http.StatusNotFound)
	h.do("POST", "/scim/v2/Users", adaBody).expectError(t, http.StatusConflict, "uniqueness")
	h.do("GET", "/scim/v2/Users/"+someUUID, "").expect(t, http.StatusNotFound)
	h.do("GET", "/scim/v2/Users", "").expect(t, http.StatusOK)

	if got := h.core.Rejections(); len(got) != 0 {
		t.Errorf("reports = %+v, want none", got)
	}
	if n := h.core.Calls("ReportRejection"); n != 0 {
		t.Errorf("ReportRejection called %d times", n)
	}
}

func TestUnknownTokenIsNotLogged(t *testing.T) {
	h := newHarness(t)
	h.do("PATCH", "/scim/v2/Users/"+someUUID, `{"Operations":`,
		"Authorization", "Bearer cras_unknown").
		expectError(t, http.StatusBadRequest, "invalidSyntax")
	if n := h.core.Calls("ReportRejection"); n != 1 {
		t.Errorf("ReportRejection called %d times, want 1 (the core checks the token)", n)
	}
	if got := h.core.Rejections(); len(got) != 0 {
		t.Errorf("reports = %+v, want none", got)
	}
}

// stuckCore never answers ReportRejection until its context ends.
type stuckCore struct {
	*corefake.Core
}

func (stuckCore) ReportRejection(ctx context.Context, _ core.Rejection) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestReportingNeverChangesTheAnswer(t *testing.T) {
	failing := corefake.New(token)
	failing.FailWith(func(method string) error {
		if method == "ReportRejection" {
			return &core.Error{Kind: core.KindUnavailable, Message: "core down"}
		}
		return nil
	})
	for name, c := range map[string]core.Provisioning{
		"failing": failing,
		"stuck":   stuckCore{corefake.New(token)},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(httpapi.New(httpapi.Options{Core: c}))
			t.Cleanup(srv.Close)
			h := &harness{t: t, srv: srv}

			start := time.Now()
			h.do("PATCH", "/scim/v2/Users/"+someUUID, `{"Operations":[{"op":"jump"}]}`).
				expectError(t, http.StatusBadRequest, "invalidSyntax")
			if took := time.Since(start); took > httpapi.ReportTimeout+time.Second {
				t.Errorf("answer took %s", took)
			}
		})
	}
}

// TestUpdatesOfUnknownUsersAreReported changes users that do not exist, as
// a client probing another client's ids would: the gateway's read finds
// nothing, and the 404 is reported because the core logs no reads. Writes
// that reach the core are logged there and not reported again.
func TestUpdatesOfUnknownUsersAreReported(t *testing.T) {
	patch := `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`
	cases := []struct {
		name, method, path, body string
		headers                  []string
		want                     []core.Rejection
	}{
		{
			name: "PATCH", method: "PATCH", path: "/scim/v2/Users/" + someUUID, body: patch,
			want: []core.Rejection{{Operation: "user.update", ResourceID: someUUID, HTTPStatus: 404}},
		},
		{
			name: "PATCH with If-Match", method: "PATCH", path: "/scim/v2/Users/" + someUUID,
			body: patch, headers: []string{"If-Match", `W/"3"`},
			want: []core.Rejection{{Operation: "user.update", ResourceID: someUUID, HTTPStatus: 404}},
		},
		{
			name: "PATCH of a name", method: "PATCH", path: "/scim/v2/Users/ada@example.com",
			body: patch,
			want: []core.Rejection{{Operation: "user.update", HTTPStatus: 404}},
		},
		{
			name: "PUT without active", method: "PUT", path: "/scim/v2/Users/" + someUUID,
			body: `{"userName":"ada@example.com"}`,
			want: []core.Rejection{{Operation: "user.update", ResourceID: someUUID, HTTPStatus: 404}},
		},
		{
			name: "PUT with active", method: "PUT", path: "/scim/v2/Users/" + someUUID,
			body: `{"userName":"ada@example.com","active":true}`,
		},
		{
			name: "DELETE", method: "DELETE", path: "/scim/v2/Users/" + someUUID,
		},
		{
			name: "group PUT", method: "PUT", path: "/scim/v2/Groups/" + someUUID,
			body: `{"displayName":"Staff"}`,
		},
		{
			name: "group PATCH", method: "PATCH", path: "/scim/v2/Groups/" + someUUID,
			body: `{"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.do(tc.method, tc.path, tc.body, tc.headers...).expectError(t, http.StatusNotFound, "")

			got := h.core.Rejections()
			if len(got) != len(tc.want) {
				t.Fatalf("reports = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i].Detail == "" || strings.Contains(got[i].Detail, "ada") {
					t.Errorf("detail %q is empty or carries a request value", got[i].Detail)
				}
				tc.want[i].Detail = got[i].Detail
				if got[i] != tc.want[i] {
					t.Errorf("report = %+v, want %+v", got[i], tc.want[i])
				}
			}
		})
	}
}
