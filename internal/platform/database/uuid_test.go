package database

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/corpu/corpu/internal/platform/config"
)

// openForUUIDs opens a pool on the test server, in the query mode given
// ("" for pgx's default, the extended protocol with binary parameters).
func openForUUIDs(t *testing.T, mode string) *DB {
	t.Helper()
	u, err := url.Parse(testAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	if mode != "" {
		q := u.Query()
		q.Set("default_query_exec_mode", mode)
		u.RawQuery = q.Encode()
	}
	db, err := Open(context.Background(), config.Database{URL: u.String(), MaxOpenConns: 2, MaxIdleConns: 2},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A uuid.UUID parameter is sent as its sixteen bytes: no text form is made
// and parsed back on the way, which is what pgx does with a driver.Valuer.
// (Not parallel: testing.AllocsPerRun refuses to run in a parallel test.)
func TestAUUIDParameterIsEncodedWithoutAllocating(t *testing.T) {
	db := openForUUIDs(t, "")
	conn, err := db.SQL().Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	id := uuid.New()
	var value any = id
	err = conn.Raw(func(driverConn any) error {
		types := driverConn.(*stdlib.Conn).Conn().TypeMap()
		buf := make([]byte, 0, 64)
		encoded, err := types.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, value, buf)
		if err != nil {
			return err
		}
		if string(encoded) != string(id[:]) {
			t.Errorf("encoded %x, want the id's bytes %x", encoded, id[:])
		}
		allocs := testing.AllocsPerRun(100, func() {
			buf, err = types.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, value, buf[:0])
		})
		if allocs != 0 {
			t.Errorf("encoding a uuid.UUID allocates %.0f times, want none", allocs)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Ids reach the database and come back intact whatever the query mode: as
// values, pointers (nil is NULL), in arrays and through a text-format
// protocol (PgBouncer's simple protocol).
func TestUUIDsRoundTripInEveryQueryMode(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"", "exec", "simple_protocol"} {
		t.Run("mode "+mode, func(t *testing.T) {
			t.Parallel()
			db := openForUUIDs(t, mode)
			id, other := uuid.New(), uuid.New()
			var nilID *uuid.UUID
			var got struct {
				Same    bool
				Text    string
				IsNull  bool
				InArray bool
			}
			err := db.Conn(context.Background()).Raw(`SELECT CAST(? AS uuid) = CAST(? AS uuid) AS same,
					CAST(? AS uuid)::text AS text, CAST(? AS uuid) IS NULL AS is_null,
					CAST(? AS uuid) = ANY(CAST(? AS uuid[])) AS in_array`,
				id, &id, id, nilID, other, UUIDArray{id, other}).Scan(&got).Error
			if err != nil {
				t.Fatal(err)
			}
			if !got.Same || got.Text != id.String() || !got.IsNull || !got.InArray {
				t.Errorf("got %+v, want the id equal to itself, its text %s, NULL for a nil pointer, and found in the array",
					got, id)
			}
			var back uuid.UUID
			if err := db.SQL().QueryRow("SELECT CAST($1 AS uuid)", id).Scan(&back); err != nil {
				t.Fatal(err)
			}
			if back != id {
				t.Errorf("read back %s, want %s", back, id)
			}
		})
	}
}
