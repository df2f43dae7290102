package gormstore

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// dbTime stores an instant in UTC with microsecond precision, the precision
// of Postgres, so that a value read back equals the value written on both
// databases. On SQLite the driver writes it as fixed-zone text, whose
// lexical order is its time order, so range filters and keyset pages work.
type dbTime struct{ time.Time }

func newDBTime(t time.Time) dbTime { return dbTime{normalizeTime(t)} }

func normalizeTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// Value implements driver.Valuer.
func (t dbTime) Value() (driver.Value, error) { return normalizeTime(t.Time), nil }

// Scan implements sql.Scanner. SQLite returns text for computed columns such
// as MAX(occurred_at), so text in the driver's formats is accepted too.
func (t *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.Time = time.Time{}
	case time.Time:
		t.Time = normalizeTime(v)
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("scan time: unsupported type %T", src)
	}
	return nil
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

func (t *dbTime) parse(s string) error {
	for _, layout := range timeLayouts {
		if parsed, err := time.Parse(layout, s); err == nil {
			t.Time = normalizeTime(parsed)
			return nil
		}
	}
	return fmt.Errorf("scan time: unrecognised format %q", s)
}

// nullTime is a dbTime that may be NULL.
type nullTime struct {
	Time  time.Time
	Valid bool
}

func newNullTime(t *time.Time) nullTime {
	if t == nil {
		return nullTime{}
	}
	return nullTime{Time: normalizeTime(*t), Valid: true}
}

// Value implements driver.Valuer.
func (t nullTime) Value() (driver.Value, error) {
	if !t.Valid {
		return nil, nil
	}
	return normalizeTime(t.Time), nil
}

// Scan implements sql.Scanner.
func (t *nullTime) Scan(src any) error {
	if src == nil {
		*t = nullTime{}
		return nil
	}
	var d dbTime
	if err := d.Scan(src); err != nil {
		return err
	}
	*t = nullTime{Time: d.Time, Valid: true}
	return nil
}

func (t nullTime) ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}
