package gormstore

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

const (
	// defaultPageSize is the page of a keyset listing that asks for none.
	defaultPageSize = 50
	// maxPageSize bounds a page of a keyset listing.
	maxPageSize = 500
)

func pageSize(size int) int {
	switch {
	case size <= 0:
		return defaultPageSize
	case size > maxPageSize:
		return maxPageSize
	default:
		return size
	}
}

// pageKey is the sort key of the last row of a page, from which the next
// page continues.
type pageKey struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// encodePageToken makes a key opaque to callers: they pass it back, and
// nothing else should depend on its form.
func encodePageToken(k pageKey) string {
	b, _ := json.Marshal(k) // A time and a string always encode.
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageToken(token string) (*pageKey, error) {
	if token == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, invalidPageToken()
	}
	var k pageKey
	if err := json.Unmarshal(b, &k); err != nil || k.ID == "" {
		return nil, invalidPageToken()
	}
	return &k, nil
}

func invalidPageToken() error {
	return domain.Errorf(domain.KindInvalid,
		"the page token is not valid; start again from the first page")
}
