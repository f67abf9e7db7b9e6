package identity

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/database"
)

// fileClaims is what an import remembers of the rows it has read: which
// line first claimed each NIP and e-mail address (a later row with either
// is refused), the id of each person the file brought in (a supervisor
// named further down is linked to them), and the supervisor links to make
// once every row is in. It lives in the unlogged table import_claims, not
// in the process: a national file has 4.3 million rows, and kept in maps it
// cost the import 0.1–0.3 KiB of memory a row. Each batch costs a few
// statements of a thousand rows instead.
type fileClaims struct {
	db    *database.DB
	jobID uuid.UUID
	// held counts the claims recorded; at analyzeAt the table's statistics
	// are refreshed (see record).
	held, analyzeAt int
	now             func() time.Time
	lastBeat        time.Time
	// recorded is the batch whose claims are being recorded on a
	// connection of their own while the next batch is written (see
	// recordAsync); nil when none is.
	recorded *recordedBatch
}

// recordedBatch is what a batch claimed, kept in memory until the
// statement that records it in import_claims is over, so the next batch's
// checks see it whether that statement has finished or not.
type recordedBatch struct {
	nipLine   map[uint64]int
	emailLine map[string]int
	people    map[uint64]uuid.UUID
	done      chan error
}

// firstAnalyze is how many claims make the first refresh of the table's
// statistics; each later one waits for four times as many.
const firstAnalyze = 2_000

// forget removes what the job remembered when it starts: a retry begins
// again from the first row.
func (c *fileClaims) forget(ctx context.Context) error {
	if err := c.db.Conn(ctx).Exec(`DELETE FROM import_claims WHERE job_id = ?`, c.jobID).Error; err != nil {
		return fmt.Errorf("forget the claims of import %s: %w", c.jobID, err)
	}
	return nil
}

// end removes what the job remembered, and its sign of life, when the
// attempt ends however it ends. A process that dies first leaves them to
// the sweep (SweepClaims).
func (c *fileClaims) end(ctx context.Context) error {
	return c.db.WithTx(ctx, func(ctx context.Context) error {
		if err := c.forget(ctx); err != nil {
			return err
		}
		if err := c.db.Conn(ctx).Exec(`DELETE FROM import_runs WHERE job_id = ?`, c.jobID).Error; err != nil {
			return fmt.Errorf("end import %s: %w", c.jobID, err)
		}
		return nil
	})
}

// heartbeatEvery is how often a running attempt renews its sign of life;
// the sweep waits for claimsGrace of silence, far longer.
const heartbeatEvery = time.Minute

// beat records that the attempt is alive, at most every heartbeatEvery.
func (c *fileClaims) beat(ctx context.Context) error {
	now := c.now()
	if !c.lastBeat.IsZero() && now.Sub(c.lastBeat) < heartbeatEvery {
		return nil
	}
	err := c.db.Conn(ctx).Exec(`INSERT INTO import_runs (job_id, heartbeat_at) VALUES (?, ?)
		ON CONFLICT (job_id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at`, c.jobID, now).Error
	if err != nil {
		return fmt.Errorf("record that import %s runs: %w", c.jobID, err)
	}
	c.lastBeat = now
	return nil
}

// check refuses each row of the batch that names a NIP or an e-mail
// address an earlier line claimed (the NIP is checked first) and marks the
// others as claiming theirs; record keeps the claims once the batch is
// written. Rows refused already are left alone.
func (c *fileClaims) check(ctx context.Context, batch []importRow) error {
	nipLine := make(map[uint64]int, len(batch))
	emailLine := make(map[string]int, len(batch))
	var candidates []*importRow
	var nips database.Array[int64]
	var emails database.TextArray
	for i := range batch {
		row := &batch[i]
		if row.errs != nil {
			continue
		}
		if first, dup := nipLine[row.nip]; dup {
			row.errs = errNIPInFile(first)
			continue
		}
		if first, dup := emailLine[row.in.Email]; dup {
			row.errs = errEmailInFile(first)
			continue
		}
		nipLine[row.nip], emailLine[row.in.Email] = row.line, row.line
		candidates = append(candidates, row)
		nips, emails = append(nips, int64(row.nip)), append(emails, row.in.Email)
	}
	if len(candidates) == 0 {
		return nil
	}
	var held []struct {
		NIP   int64 `gorm:"column:nip"`
		Email string
		Line  int
	}
	err := c.db.Conn(ctx).Raw(`SELECT c.nip, c.email, c.line FROM import_claims c
			JOIN unnest(?::bigint[]) AS k(nip) ON c.nip = k.nip WHERE c.job_id = ?
		UNION ALL
		SELECT c.nip, c.email, c.line FROM import_claims c
			JOIN unnest(?::text[]) AS k(email) ON c.email = k.email WHERE c.job_id = ?`,
		nips, c.jobID, emails, c.jobID).Scan(&held).Error
	if err != nil {
		return fmt.Errorf("read the claims of an import batch: %w", err)
	}
	byNIP := make(map[int64]int, len(held))
	byEmail := make(map[string]int, len(held))
	for _, h := range held {
		byNIP[h.NIP], byEmail[h.Email] = h.Line, h.Line
	}
	recorded := c.recorded // its rows may not be in the table yet
	if recorded == nil {
		recorded = &recordedBatch{}
	}
	for _, row := range candidates {
		nipFirst, nipDup := byNIP[int64(row.nip)]
		if !nipDup {
			nipFirst, nipDup = recorded.nipLine[row.nip]
		}
		emailFirst, emailDup := byEmail[row.in.Email]
		if !emailDup {
			emailFirst, emailDup = recorded.emailLine[row.in.Email]
		}
		switch {
		case nipDup:
			row.errs = errNIPInFile(nipFirst)
		case emailDup:
			row.errs = errEmailInFile(emailFirst)
		default:
			row.claims = true
		}
	}
	return nil
}

func errNIPInFile(first int) []apperr.FieldError {
	return fieldError("nip",
		fmt.Sprintf("NIP ini sudah ada di baris %d berkas yang sama", first),
		fmt.Sprintf("this NIP already appears on line %d of the file", first))
}

func errEmailInFile(first int) []apperr.FieldError {
	return fieldError("email",
		fmt.Sprintf("alamat e-mail ini sudah dipakai di baris %d berkas yang sama", first),
		fmt.Sprintf("this e-mail address is already used on line %d of the file", first))
}

// recordAsync records the claims of the batch's rows (see record) on a
// connection of its own, while the caller goes on with the next batch: the
// statement costs PostgreSQL a tenth of a batch, which then runs on the
// second core instead of in line with the people's writes. It first waits
// for the batch recorded before, so at most one is in flight, and keeps
// what this one claims in memory for check and people until it is in the
// table. The caller must not change rows afterwards, and must call
// waitRecorded before reading import_claims in any other way.
func (c *fileClaims) recordAsync(ctx context.Context, rows []batchRow) error {
	if err := c.waitRecorded(); err != nil {
		return err
	}
	b := &recordedBatch{nipLine: map[uint64]int{}, emailLine: map[string]int{}, people: map[uint64]uuid.UUID{}, done: make(chan error, 1)}
	for _, row := range rows {
		if !row.claims {
			continue
		}
		b.nipLine[row.nip], b.emailLine[row.in.Email] = row.line, row.line
		if row.outcome != outcomeFailed {
			b.people[row.nip] = row.userID
		}
	}
	c.recorded = b
	go func() { b.done <- c.record(ctx, rows) }()
	return nil
}

// waitRecorded waits for the batch being recorded, if any, and returns
// what its statement returned.
func (c *fileClaims) waitRecorded() error {
	if c.recorded == nil {
		return nil
	}
	err := <-c.recorded.done
	c.recorded = nil
	return err
}

// record keeps the claims of the batch's rows once it is written: the
// person each written row brought in (or would bring, in a dry run), and
// the supervisor links to make at the end. A row refused later than check
// (an unknown unit) still holds its NIP and e-mail address.
func (c *fileClaims) record(ctx context.Context, rows []batchRow) error {
	// Plain arrays encode far cheaper than arrays of pointers: "" and 0
	// stand for NULL and are turned back into it in the statement.
	var nips, lines, supervisors database.Array[int64]
	var emails, raws database.TextArray
	var ids database.Array[pgtype.UUID]
	var unchanged database.Array[bool]
	for _, row := range rows {
		if !row.claims {
			continue
		}
		var id pgtype.UUID
		var raw string
		var sup int64
		if row.outcome != outcomeFailed {
			id = pgtype.UUID{Bytes: row.userID, Valid: true}
			if row.deferred {
				sup, _ = strconv.ParseInt(row.supervisor, 10, 64)
				raw = row.rawNIP
			}
		}
		nips, emails, lines = append(nips, int64(row.nip)), append(emails, row.in.Email), append(lines, int64(row.line))
		ids, supervisors, raws = append(ids, id), append(supervisors, sup), append(raws, raw)
		unchanged = append(unchanged, row.outcome == outcomeUnchanged)
	}
	if len(nips) == 0 {
		return nil
	}
	// No ON CONFLICT: check let through only rows whose NIP and address no
	// line holds, each once, and the conflict check made the statement a third
	// dearer. A conflict would be a second attempt of the job running at the
	// same time: it fails this one, whose retry starts again.
	err := c.db.Conn(ctx).Exec(`INSERT INTO import_claims (job_id, nip, email, line, user_id, supervisor_nip, raw_nip, unchanged)
		SELECT ?, nip, email, line, id, NULLIF(supervisor_nip, 0), NULLIF(raw_nip, ''), unchanged
		FROM unnest(?::bigint[], ?::text[], ?::int[], ?::uuid[], ?::bigint[], ?::text[], ?::boolean[])
			AS v(nip, email, line, id, supervisor_nip, raw_nip, unchanged)`,
		c.jobID, nips, emails, lines, ids, supervisors, raws, unchanged).Error
	if err != nil {
		return fmt.Errorf("record the claims of an import batch: %w", err)
	}
	// The table fills up far faster than autovacuum analyzes it, and the
	// plans of the batch's statements, prepared while it was small, read
	// the whole table for every batch: 1,500 rows/s at 600,000 claims,
	// 9,000–12,000 once analyzed (measured on a national file).
	c.held += len(nips)
	if c.held < c.analyzeAt {
		return nil
	}
	c.analyzeAt *= 4
	if err := c.db.Conn(ctx).Exec(`ANALYZE import_claims`).Error; err != nil {
		return fmt.Errorf("refresh the statistics of import claims: %w", err)
	}
	return nil
}

// people returns the ids of the people with nips the file brought in.
func (c *fileClaims) people(ctx context.Context, nips []uint64) (map[uint64]uuid.UUID, error) {
	found := map[uint64]uuid.UUID{}
	if len(nips) == 0 {
		return found, nil
	}
	list := make(database.Array[int64], len(nips))
	for i, n := range nips {
		list[i] = int64(n)
	}
	var rows []struct {
		NIP    int64 `gorm:"column:nip"`
		UserID uuid.UUID
	}
	err := c.db.Conn(ctx).Raw(`SELECT c.nip, c.user_id FROM import_claims c JOIN unnest(?::bigint[]) AS k(nip) ON c.nip = k.nip
		WHERE c.job_id = ? AND c.user_id IS NOT NULL`, list, c.jobID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find the people an import brought in: %w", err)
	}
	for _, r := range rows {
		found[uint64(r.NIP)] = r.UserID
	}
	if b := c.recorded; b != nil { // its rows may not be in the table yet
		for _, n := range nips {
			if id, ok := b.people[n]; ok {
				found[n] = id
			}
		}
	}
	return found, nil
}

// deferredLinks returns up to limit supervisor links to make, of the rows
// after line afterLine, in the file's order.
func (c *fileClaims) deferredLinks(ctx context.Context, afterLine, limit int) ([]supervisorLink, error) {
	var rows []struct {
		Line          int
		RawNIP        string `gorm:"column:raw_nip"`
		UserID        uuid.UUID
		SupervisorNIP int64 `gorm:"column:supervisor_nip"`
		Unchanged     bool
	}
	err := c.db.Conn(ctx).Raw(`SELECT line, raw_nip, user_id, supervisor_nip, unchanged FROM import_claims
		WHERE job_id = ? AND supervisor_nip IS NOT NULL AND line > ? ORDER BY line LIMIT ?`, c.jobID, afterLine, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read the supervisor links of an import: %w", err)
	}
	links := make([]supervisorLink, len(rows))
	for i, r := range rows {
		links[i] = supervisorLink{line: r.Line, rawNIP: r.RawNIP, userID: r.UserID,
			supervisor: fmt.Sprintf("%018d", r.SupervisorNIP), unchanged: r.Unchanged}
	}
	return links, nil
}
