package service

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{
			ListenAddr:      "127.0.0.1:0",
			CoreAddr:        "127.0.0.1:1",
			ShutdownTimeout: 5 * time.Second,
			Listening:       func(a net.Addr) { addrs <- a },
		})
	}()

	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("Run ended early: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the gateway did not start")
	}

	resp, err := http.Get("http://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d", resp.StatusCode)
	}

	// Nothing listens on the core's address, so the gateway is not ready.
	resp, err = http.Get("http://" + addr.String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d, want 503", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not shut down")
	}
}

func TestReflectsHostWithoutPublicURLBeyondLoopback(t *testing.T) {
	tests := []struct {
		addr      net.Addr
		publicURL string
		want      bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "", false},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, "", false},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "", true},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "", true},
		{&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 8080}, "", true},
		{&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 8080}, "https://scim.example.com/scim/v2", false},
	}
	for _, tt := range tests {
		if got := reflectsHost(tt.addr, tt.publicURL); got != tt.want {
			t.Errorf("reflectsHost(%s, %q) = %v, want %v", tt.addr, tt.publicURL, got, tt.want)
		}
	}
}

func TestNoHostWarningOnLoopback(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		done <- Run(ctx, Options{ListenAddr: "127.0.0.1:0", CoreAddr: "127.0.0.1:1",
			Logger: logger, Listening: func(net.Addr) { close(started) }})
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("Run ended early: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "SCIM_PUBLIC_URL") {
		t.Errorf("warning on loopback: %s", logs.String())
	}
}

// syncWriter serialises writes of the logger's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
