package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/csvio"
	"github.com/corpu/corpu/internal/platform/database"
)

// rowOutcome is what a batch decided for one row.
type rowOutcome int

const (
	outcomeFailed rowOutcome = iota
	outcomeCreated
	outcomeUpdated
	outcomeUnchanged
)

// batchRow is a row with what the batch needs to write it.
type batchRow struct {
	*importRow
	outcome    rowOutcome
	errs       []apperr.FieldError
	existing   *existingUser
	userID     uuid.UUID
	workUnitID *uuid.UUID
	// supervisorID is the supervisor written with the row; when the
	// supervisor's NIP is not known yet (deferred), it is the current one and
	// the link is made once every row is in.
	supervisorID *uuid.UUID
	deferred     bool
	// inLine is set when the supervisor is known to be in the person's line
	// (their organisation or above): one of the batch's own rows.
	inLine bool
}

// batchPerson is a person the batch writes, as a supervisor of its rows.
type batchPerson struct {
	id      uuid.UUID
	orgPath string
}

// maxBatchAttempts bounds the retries of a batch that lost a race for an
// e-mail address or a NIP with a concurrent change.
const maxBatchAttempts = 3

// flush resolves the batch's units, checks its rows against the people
// already in Corpu and writes it in one transaction.
func (r *importRun) flush(ctx context.Context, batch []importRow) error {
	if len(batch) == 0 {
		return nil
	}
	if err := r.claims.check(ctx, batch); err != nil {
		return err
	}
	if err := r.resolveUnits(ctx, batch); err != nil {
		return err
	}
	if err := r.findKnownSupervisors(ctx, batch); err != nil {
		return err
	}
	rows := make([]batchRow, len(batch))
	for i := range batch {
		rows[i] = batchRow{importRow: &batch[i]}
	}
	var err error
	for attempt := 1; attempt <= maxBatchAttempts; attempt++ {
		err = r.im.svc.db.WithTx(ctx, func(ctx context.Context) error {
			// The batch's commit need not wait for the disk: a crash loses at
			// most the last moments of batches, which the job's retry writes
			// again (it starts from the first row, and the upsert is by NIP);
			// the job's end is committed as usual, and so flushes them all.
			if err := r.im.svc.db.Conn(ctx).Exec("SET LOCAL synchronous_commit = off").Error; err != nil {
				return err
			}
			return r.writeBatch(ctx, rows)
		})
		if _, unique := database.UniqueViolation(err); !unique {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("import batch: %w", err)
	}
	for _, row := range rows {
		switch row.outcome {
		case outcomeFailed:
			r.rowFailed(row.line, row.rawNIP, row.errs)
			continue
		case outcomeCreated:
			r.res.Created++
		case outcomeUpdated:
			r.res.Updated++
		case outcomeUnchanged:
			r.res.Unchanged++
		}
	}
	if err := r.claims.recordAsync(ctx, rows); err != nil {
		return err
	}
	if err := r.claims.beat(ctx); err != nil {
		return err
	}
	// Progress is a commit of its own, waited for: once a second is enough
	// for a client polling the job, and for a cancel to be noticed.
	if now := time.Now(); r.lastProgress.IsZero() || now.Sub(r.lastProgress) >= progressEvery {
		r.lastProgress = now
		return r.im.jobs.Progress(ctx, r.job.ID, r.res.Rows, r.estimateTotal())
	}
	return nil
}

// progressEvery is how often a running import reports its progress (and
// finds out whether it was cancelled); the first batch always reports.
const progressEvery = time.Second

// estimateTotal guesses the number of rows from the bytes read so far.
func (r *importRun) estimateTotal() int {
	read := r.readBytes
	if read <= 0 || r.fileSize <= read {
		return r.res.Rows
	}
	return int(float64(r.res.Rows) * float64(r.fileSize) / float64(read))
}

// resolveUnits looks up the batch's unit codes not seen before, in one query.
func (r *importRun) resolveUnits(ctx context.Context, batch []importRow) error {
	var codes []string
	for _, row := range batch {
		if row.errs != nil {
			continue
		}
		if _, seen := r.units[row.unitCode]; !seen {
			r.units[row.unitCode] = nil
			codes = append(codes, row.unitCode)
		}
	}
	if len(codes) == 0 {
		return nil
	}
	found, err := r.im.svc.store.orgsByCode(ctx, codes)
	if err != nil {
		return err
	}
	for code, o := range found {
		r.units[code] = &o
	}
	return nil
}

// writeBatch decides each row against the people already in Corpu and,
// unless this is a dry run, writes the new and changed ones. It may run more
// than once for the same rows.
func (r *importRun) writeBatch(ctx context.Context, rows []batchRow) error {
	r.im.svc.store.actors.everyoneChanged(ctx) // transfers and profile changes reach signed-in callers
	nips := make([]string, 0, len(rows))
	emails := make([]string, 0, len(rows))
	for i := range rows {
		row := &rows[i]
		row.outcome, row.errs, row.workUnitID = outcomeFailed, row.importRow.errs, nil
		if row.errs != nil {
			continue
		}
		unit := r.units[row.unitCode]
		switch {
		case unit == nil:
			row.errs = fieldError("unit_code", "kode unit tidak dikenal: "+row.unitCode, "unknown unit code: "+row.unitCode)
		case !authz.Inside(unit.Path, r.root.Path):
			row.errs = fieldError("unit_code", "unit berada di luar organisasi tujuan impor", "the unit lies outside the organisation of the import")
		default:
			row.in.OrgID = unit.ID
			nips = append(nips, row.in.NIP)
			emails = append(emails, row.in.Email)
		}
	}
	if len(nips) == 0 {
		return nil
	}
	existing, err := r.im.svc.store.importExisting(ctx, nips, emails, !r.params.DryRun)
	if err != nil {
		return err
	}
	byNIP := make(map[string]*existingUser, len(existing))
	emailOwner := make(map[string]string, len(existing))
	for i := range existing {
		e := &existing[i]
		if e.NIP != nil {
			byNIP[*e.NIP] = e
		}
		emailOwner[strings.ToLower(e.Email)] = database.EmptyIfNull(e.NIP)
	}

	// First the rows that may be written, with their ids, so a supervisor
	// anywhere in the batch is known when the rows are written.
	inBatch := make(map[uint64]batchPerson, len(rows))
	for i := range rows {
		row := &rows[i]
		if row.errs != nil {
			continue
		}
		ex := byNIP[row.in.NIP]
		if ex != nil && !authz.Inside(ex.OrgPath, r.root.Path) {
			row.errs = fieldError("nip", "NIP terdaftar pada pegawai di luar organisasi tujuan impor",
				"the NIP belongs to a person outside the organisation of the import")
			continue
		}
		if owner, taken := emailOwner[row.in.Email]; taken && owner != row.in.NIP {
			row.errs = fieldError("email", ErrEmailTaken.Message.ID, ErrEmailTaken.Message.EN)
			continue
		}
		row.existing, row.userID = ex, uuid.Must(uuid.NewV7())
		if ex != nil {
			row.userID = ex.ID
		}
		inBatch[row.nip] = batchPerson{id: row.userID, orgPath: r.units[row.unitCode].Path}
	}

	now := r.im.svc.now()
	var writes []batchRow
	var transfers []Transfer
	for i := range rows {
		row := &rows[i]
		if row.errs != nil {
			continue
		}
		ex := row.existing
		r.resolveSupervisor(row, inBatch)
		if ex == nil {
			row.outcome = outcomeCreated
			writes = append(writes, *row)
			continue
		}
		// A work unit set by hand is kept while it still lies in the home
		// organisation the file names.
		if ex.WorkUnitPath != nil && authz.Inside(*ex.WorkUnitPath, r.units[row.unitCode].Path) {
			row.workUnitID = ex.WorkUnitID
		}
		if r.same(ex, row) {
			row.outcome = outcomeUnchanged
			continue
		}
		row.outcome = outcomeUpdated
		writes = append(writes, *row)
		if ex.OrgID != row.in.OrgID {
			t := Transfer{ID: uuid.Must(uuid.NewV7()), UserID: ex.ID, FromOrgID: ex.OrgID, ToOrgID: row.in.OrgID,
				FromWorkUnitID: ex.WorkUnitID, ToWorkUnitID: row.workUnitID, Reason: "HR import " + r.job.ID.String(),
				EffectiveAt: now, CreatedBy: &r.job.OwnerID, CreatedAt: now}
			transfers = append(transfers, t)
		}
	}
	if r.params.DryRun || len(writes) == 0 {
		return nil
	}
	if err := r.im.svc.store.writeImported(ctx, writes, &r.cols, r.root.Path, now); err != nil {
		return err
	}
	return r.afterWrite(ctx, writes, transfers)
}

// afterWrite does, in the batch's transaction, what follows writing people:
// links mailed to an address that changed stop working; a supervisor not in
// the person's line (their organisation or above) is not kept; transfers
// are recorded and end the old unit's grants; and the batch is announced.
func (r *importRun) afterWrite(ctx context.Context, writes []batchRow, transfers []Transfer) error {
	st := r.im.svc.store
	payload := UsersImportedPayload{JobID: r.job.ID, OrgID: r.root.ID, OrgPath: r.root.Path, Created: []uuid.UUID{}, Updated: []uuid.UUID{}}
	var readdressed, unchecked []uuid.UUID
	fromPaths := map[uuid.UUID]string{}
	for _, row := range writes {
		if row.supervisorID != nil && !row.inLine {
			unchecked = append(unchecked, row.userID)
		}
		if row.existing == nil {
			payload.Created = append(payload.Created, row.userID)
			continue
		}
		payload.Updated = append(payload.Updated, row.userID)
		fromPaths[row.userID] = row.existing.OrgPath
		if !strings.EqualFold(row.existing.Email, row.in.Email) {
			readdressed = append(readdressed, row.userID)
		}
	}
	if err := (authStore{db: r.im.svc.db}).voidMailedLinks(ctx, readdressed, r.im.svc.now()); err != nil {
		return err
	}
	if r.cols.has(colSupervisor) { // the file named supervisors: only those in each person's line stay
		if err := st.clearSupervisorsOutsideLine(ctx, unchecked); err != nil {
			return err
		}
	}
	if err := st.createTransfers(ctx, transfers); err != nil {
		return err
	}
	if _, err := r.im.svc.afterTransfers(ctx, transfers, fromPaths, "", r.job.OwnerID); err != nil {
		return err
	}
	_, err := r.im.svc.outbox.Add(ctx, event(EventUsersImported, payload))
	return err
}

// resolveSupervisor sets the supervisor to write with the row: the one the
// file names when they are in this batch or an earlier one, else (deferred)
// the one the person has now. A supervisor of this batch outside the
// person's line is not written (afterWrite checks the others in SQL).
func (r *importRun) resolveSupervisor(row *batchRow, inBatch map[uint64]batchPerson) {
	row.supervisorID, row.deferred, row.inLine = nil, false, false
	if row.existing != nil {
		row.supervisorID = row.existing.SupervisorID
	}
	if !r.cols.has(colSupervisor) {
		return
	}
	if row.supervisor == "" {
		row.supervisorID = nil
		return
	}
	n, _ := strconv.ParseUint(row.supervisor, 10, 64)
	if sup, ok := inBatch[n]; ok {
		if authz.Inside(r.units[row.unitCode].Path, sup.orgPath) {
			row.supervisorID, row.inLine = &sup.id, true
		}
		return
	}
	if id, ok := r.known[n]; ok {
		row.supervisorID = &id
		return
	}
	row.deferred = true
}

// findKnownSupervisors looks up, among the people earlier batches brought
// in, the supervisors the batch's rows name. A supervisor whose own row in
// this batch claims their NIP is not looked up: no earlier batch brought
// them in (resolveSupervisor finds them in the batch, or nowhere if their
// row is refused later, as before).
func (r *importRun) findKnownSupervisors(ctx context.Context, batch []importRow) error {
	r.known = nil
	if !r.cols.has(colSupervisor) {
		return nil
	}
	claimed := make(map[string]bool, len(batch))
	for _, row := range batch {
		if row.claims {
			claimed[row.in.NIP] = true
		}
	}
	var nips []uint64
	for _, row := range batch {
		if row.errs == nil && row.supervisor != "" && !claimed[row.supervisor] {
			n, _ := strconv.ParseUint(row.supervisor, 10, 64)
			nips = append(nips, n)
		}
	}
	var err error
	r.known, err = r.claims.people(ctx, nips)
	return err
}

// same reports whether the row would change nothing of ex. Columns the file
// does not have are not compared: the import leaves them as they are.
func (r *importRun) same(ex *existingUser, row *batchRow) bool {
	in := &row.in
	eq := func(col int, old *string, now string) bool {
		return !r.cols.has(col) || database.EmptyIfNull(old) == now
	}
	return ex.Name == in.Name && ex.Email == in.Email && ex.OrgID == in.OrgID && sameID(ex.WorkUnitID, row.workUnitID) &&
		sameID(ex.SupervisorID, row.supervisorID) &&
		eq(colPhone, ex.Phone, in.Phone) && eq(colPositionTitle, ex.PositionTitle, in.PositionTitle) &&
		eq(colPositionType, ex.PositionType, string(in.PositionType)) && eq(colFunctionalPost, ex.FunctionalPost, in.FunctionalPost) &&
		eq(colGrade, ex.Grade, in.Grade)
}

func sameID(a, b *uuid.UUID) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// supervisorLink is a supervisor who came after the row naming them,
// linked once every row is in.
type supervisorLink struct {
	line       int
	rawNIP     string
	userID     uuid.UUID
	supervisor string // NIP
	unchanged  bool   // the row was otherwise unchanged
}

// linkSupervisors sets the supervisors not known when their rows were
// written: later in the file, or people already in Corpu. A supervisor who is
// nowhere to be found is a warning: the person stays imported without the
// link (and keeps the one they had).
func (r *importRun) linkSupervisors(ctx context.Context) error {
	for after := 0; ; {
		if err := r.claims.beat(ctx); err != nil {
			return err
		}
		links, err := r.claims.deferredLinks(ctx, after, r.im.batchSize)
		if err != nil || len(links) == 0 {
			return err
		}
		after = links[len(links)-1].line
		// Most supervisors are in the file; look up only the others.
		named := make([]uint64, len(links))
		for i, l := range links {
			named[i], _ = strconv.ParseUint(l.supervisor, 10, 64)
		}
		inFile, err := r.claims.people(ctx, named)
		if err != nil {
			return err
		}
		var outside []string
		for i, l := range links {
			if _, ok := inFile[named[i]]; !ok {
				outside = append(outside, l.supervisor)
			}
		}
		ids, err := r.im.svc.store.userIDsByNIP(ctx, outside, r.actor)
		if err != nil {
			return err
		}
		var set []supervisorSet
		unchanged := map[uuid.UUID]bool{}
		for i, l := range links {
			id, ok := inFile[named[i]]
			if !ok {
				id, ok = ids[l.supervisor]
			}
			if !ok {
				r.res.Warnings++
				r.report.add(l.line, l.rawNIP, fieldError("supervisor_nip",
					"atasan tidak ditemukan; pegawai diimpor tanpa atasan", "supervisor not found; the person was imported without one"), r.fileColumn)
				continue
			}
			set = append(set, supervisorSet{user: l.userID, supervisor: id})
			unchanged[l.userID] = l.unchanged
		}
		if r.params.DryRun || len(set) == 0 {
			continue
		}
		changed, err := r.im.svc.store.setSupervisors(ctx, set, r.root.Path)
		if err != nil {
			return err
		}
		for _, id := range changed {
			if unchanged[id] { // only the supervisor changed
				r.res.Unchanged--
				r.res.Updated++
			}
		}
	}
}

// readBatch is a batch of rows as the reading goroutine hands it over.
type readBatch struct {
	rows  []importRow
	count int   // data rows read, the refused ones included
	bytes int64 // of the file read up to the batch's last row
}

// importBatches reads the file on a goroutine of its own, a batch ahead of
// the one being written: parsing and checking the rows (a third of the
// import's time in this process) then overlaps with PostgreSQL writing the
// batch before.
func (r *importRun) importBatches(ctx context.Context, cr *csvio.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan readBatch, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		readErr <- r.readBatches(ctx, cr, batches)
	}()
	var err error
	for b := range batches {
		if err != nil {
			continue // drain, so the reader ends before the file is closed
		}
		r.res.Rows += b.count
		r.readBytes = b.bytes
		if err = r.flush(ctx, b.rows); err != nil {
			cancel()
		}
	}
	// Every claim is in the table before anything else reads it or the
	// run removes it, however the batches ended.
	if werr := r.claims.waitRecorded(); err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	return <-readErr
}

// readBatches parses the file into batches of the importer's size and sends
// them on out, the last one possibly short.
func (r *importRun) readBatches(ctx context.Context, cr *csvio.Reader, out chan<- readBatch) error {
	size := r.im.batchSize
	b := readBatch{rows: make([]importRow, 0, size)}
	send := func() error {
		b.bytes = r.read.n
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		b = readBatch{rows: make([]importRow, 0, size)}
		return nil
	}
	for {
		rec, line, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var lineErr *csvio.LineError
		switch {
		case errors.As(err, &lineErr):
			b.count++
			b.rows = append(b.rows, importRow{line: lineErr.Line, errs: fieldError("",
				"baris CSV tidak dapat dibaca: "+lineErr.Err.Error(), "the CSV row cannot be read: "+lineErr.Err.Error())})
		case err != nil:
			return fmt.Errorf("read import file: %w", err)
		default:
			row, ok := r.parseRow(rec, line)
			if !ok {
				continue
			}
			b.count++
			b.rows = append(b.rows, row)
		}
		if len(b.rows) == size {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if b.count == 0 {
		return nil
	}
	return send()
}
