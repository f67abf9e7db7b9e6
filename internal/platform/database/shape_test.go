package database

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/corpu/corpu/internal/platform/config"
)

func placeholders(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		if i > from {
			b.WriteString(",")
		}
		b.WriteString("$" + strconv.Itoa(i))
	}
	return b.String()
}

func TestAStatementIsLoggedByItsShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, sql, want string
	}{
		{"a short statement stays as it is",
			"SELECT * FROM users WHERE id = $1 AND org_id IN ($2,$3)",
			"SELECT * FROM users WHERE id = $1 AND org_id IN ($2,$3)"},
		{"a long IN list keeps three items and its count",
			"SELECT * FROM users WHERE id IN (" + placeholders(1, 9000) + ") ORDER BY id",
			"SELECT * FROM users WHERE id IN ($1, $2, $3, … 9000 items) ORDER BY id"},
		{"an array of literals is collapsed the same way",
			"SELECT 1 WHERE x = ANY(ARRAY['a','b''c','d','e','f','g','h','i','j','k','l','m','n','o'])",
			"SELECT 1 WHERE x = ANY(ARRAY['a', 'b''c', 'd', … 14 items])"},
		{"a row of a dozen columns stays whole",
			"INSERT INTO t VALUES (" + placeholders(1, 12) + ")",
			"INSERT INTO t VALUES (" + placeholders(1, 12) + ")"},
		{"a multi-row VALUES keeps its first row and its count",
			`INSERT INTO "users" ("id","name") VALUES ($1,$2),($3,$4),($5,$6),($7,$8) ON CONFLICT DO NOTHING`,
			`INSERT INTO "users" ("id","name") VALUES ($1,$2), … 4 rows ON CONFLICT DO NOTHING`},
		{"rows wider than a dozen columns are collapsed too",
			`INSERT INTO t VALUES (` + placeholders(1, 13) + `),(` + placeholders(14, 26) + `),(` + placeholders(27, 39) + `)`,
			`INSERT INTO t VALUES ($1, $2, $3, … 13 items), … 3 rows`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := statementShape(tt.sql); got != tt.want {
				t.Errorf("shape =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestALoggedStatementIsCappedWithItsLength(t *testing.T) {
	t.Parallel()
	sql := "SELECT " + strings.Repeat("very_long_column_name, ", 1000) + "1"
	got := statementShape(sql)
	if len(got) > maxLoggedStatement+64 || !strings.HasPrefix(got, "SELECT very_long_column_name") ||
		!strings.HasSuffix(got, "("+strconv.Itoa(len(sql))+" bytes)") {
		t.Errorf("shape of a %d-byte statement = %d bytes ending %q, want at most %d with the length",
			len(sql), len(got), got[max(0, len(got)-40):], maxLoggedStatement)
	}
}

func TestASlowStatementWithTenThousandIDsLogsAShortLineWithItsDuration(t *testing.T) {
	t.Parallel()
	for _, logValues := range []bool{false, true} {
		var out syncBuffer
		log := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
		db, err := Open(context.Background(), config.Database{URL: testAdminURL(), MaxOpenConns: 2, MaxIdleConns: 1, LogValues: logValues}, log)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]int, 10_000)
		for i := range ids {
			ids[i] = 1_000_000 + i
		}
		err = db.Conn(context.Background()).Exec("SELECT pg_sleep(0.25) WHERE 1 NOT IN ?", ids).Error
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		var line struct {
			Trace struct {
				SQL      string `json:"sql"`
				Duration string `json:"duration"`
			} `json:"trace"`
		}
		if err := json.Unmarshal([]byte(out.String()), &line); err != nil {
			t.Fatalf("values %v: log = %.300s: %v", logValues, out.String(), err)
		}
		if len(out.String()) > 4096 || !strings.Contains(line.Trace.SQL, "10000 items") || line.Trace.Duration == "" {
			t.Errorf("values %v: logged %d bytes, sql %q, duration %q; want a short line with the list's count and the duration",
				logValues, len(out.String()), line.Trace.SQL, line.Trace.Duration)
		}
	}
}
