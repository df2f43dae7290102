package gormstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/glebarez/go-sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// uniqueRule names a unique constraint by a column it covers and gives the
// detail an admin reads when a write breaks it.
type uniqueRule struct {
	column string
	detail string
}

// storeError turns a driver error into a domain error; it is the one place
// where database errors are classified. Domain errors pass through, so an
// error returned by a change function keeps its kind. A unique violation
// becomes KindAlreadyExists with the detail of the first rule whose column
// the violated constraint covers.
func storeError(op string, err error, rules ...uniqueRule) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Errorf(domain.KindNotFound, "%s: not found", op)
	}
	if what, ok := uniqueViolation(err); ok {
		for _, rule := range rules {
			if strings.Contains(what, rule.column) {
				return &domain.Error{
					Kind:   domain.KindAlreadyExists,
					Reason: domain.ReasonUniqueness,
					Detail: rule.detail,
					Err:    fmt.Errorf("%s: %w", op, err),
				}
			}
		}
		return &domain.Error{
			Kind:   domain.KindAlreadyExists,
			Reason: domain.ReasonUniqueness,
			Detail: "a resource with the same identifier already exists",
			Err:    fmt.Errorf("%s: %w", op, err),
		}
	}
	if foreignKeyViolation(err) {
		return &domain.Error{
			Kind:   domain.KindInvalid,
			Detail: "the organisation or SCIM client this refers to does not exist",
			Err:    fmt.Errorf("%s: %w", op, err),
		}
	}
	return domain.Internal(fmt.Errorf("%s: %w", op, err))
}

// uniqueViolation reports whether err breaks a unique constraint, and
// returns text that names the constraint's columns: the constraint name on
// Postgres, the message listing "table.column" on SQLite.
func uniqueViolation(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName, pgErr.Code == "23505"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		// SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY.
		code := liteErr.Code()
		return liteErr.Error(), code == 2067 || code == 1555
	}
	return "", false
}

func foreignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		// SQLITE_CONSTRAINT_FOREIGNKEY.
		return liteErr.Code() == 787
	}
	return false
}

func notFound(format string, args ...any) error {
	return domain.Errorf(domain.KindNotFound, format, args...)
}
