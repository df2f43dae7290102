package service

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// TestAdminHTTPServerHasTimeouts pins the admin HTTP server's bounds: a
// client that sends or reads slowly, or idles, cannot hold a connection
// open for ever. The export's longer life is tested over real HTTP in
// grpcserver (TestExportStreamsPagesPastTheServerTimeouts).
func TestAdminHTTPServerHasTimeouts(t *testing.T) {
	server := newAdminHTTPServer(http.NotFoundHandler(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	bounds := map[string]time.Duration{
		"ReadHeaderTimeout": server.ReadHeaderTimeout,
		"ReadTimeout":       server.ReadTimeout,
		"WriteTimeout":      server.WriteTimeout,
		"IdleTimeout":       server.IdleTimeout,
	}
	for name, d := range bounds {
		if d <= 0 || d > 5*time.Minute {
			t.Errorf("%s = %v, want a bound of at most five minutes", name, d)
		}
	}
	if server.ReadTimeout < server.ReadHeaderTimeout {
		t.Errorf("ReadTimeout %v is shorter than ReadHeaderTimeout %v", server.ReadTimeout, server.ReadHeaderTimeout)
	}
	if server.MaxHeaderBytes <= 0 || server.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes = %d", server.MaxHeaderBytes)
	}
}
