// Package logging builds the structured loggers both services use.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Options selects a logger's format and threshold.
type Options struct {
	// Format is "text" for people at a terminal or "json" for log collectors.
	Format string
	// Level is one of debug, info, warn or error.
	Level string
	// Service is added to every record, so mixed output stays readable.
	Service string
}

// New returns a logger writing to w. It fails on an unknown format or level
// rather than silently falling back, so a typo in configuration is noticed at
// start-up.
func New(w io.Writer, opts Options) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.Level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", opts.Level)
	}

	handlerOpts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler
	switch strings.ToLower(opts.Format) {
	case "text", "":
		handler = slog.NewTextHandler(w, handlerOpts)
	case "json":
		handler = slog.NewJSONHandler(w, handlerOpts)
	default:
		return nil, fmt.Errorf("log format %q: want text or json", opts.Format)
	}

	logger := slog.New(handler)
	if opts.Service != "" {
		logger = logger.With("service", opts.Service)
	}
	return logger, nil
}
