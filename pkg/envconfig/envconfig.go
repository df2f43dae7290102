// Package envconfig reads configuration from environment variables once, at
// start-up, and reports every malformed value instead of guessing.
package envconfig

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Reader reads typed values and collects the errors, so a service can report
// all of its bad settings at once.
type Reader struct {
	lookup func(string) (string, bool)
	errs   []error
}

// New returns a Reader of the process environment.
func New() *Reader {
	return &Reader{lookup: os.LookupEnv}
}

// FromMap returns a Reader of a fixed set of variables, for tests.
func FromMap(vars map[string]string) *Reader {
	return &Reader{lookup: func(key string) (string, bool) {
		v, ok := vars[key]
		return v, ok
	}}
}

// String returns the variable, or fallback when it is unset or empty.
func (r *Reader) String(key, fallback string) string {
	if v, ok := r.lookup(key); ok && v != "" {
		return v
	}
	return fallback
}

// Int returns the variable as an integer, or fallback when it is unset.
func (r *Reader) Int(key string, fallback int) int {
	v, ok := r.lookup(key)
	if !ok || v == "" {
		return fallback
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want a whole number", key, v))
		return fallback
	}
	return n
}

// Bool returns the variable as a boolean, or fallback when it is unset.
func (r *Reader) Bool(key string, fallback bool) bool {
	v, ok := r.lookup(key)
	if !ok || v == "" {
		return fallback
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want true or false", key, v))
		return fallback
	}
	return b
}

// Duration returns the variable as a duration such as "30s", or fallback when
// it is unset.
func (r *Reader) Duration(key string, fallback time.Duration) time.Duration {
	v, ok := r.lookup(key)
	if !ok || v == "" {
		return fallback
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s=%q: want a duration such as 30s", key, v))
		return fallback
	}
	return d
}

// Err returns every error met so far, joined, or nil.
func (r *Reader) Err() error {
	return errors.Join(r.errs...)
}
