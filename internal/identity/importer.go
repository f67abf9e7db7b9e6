package identity

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/identity/nip"
	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/csvio"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/upload"
)

// TypeImportUsers is the task that runs one HR import of users.
const TypeImportUsers = "identity:import-users"

// JobKindUserImport is the kind of the job a client polls during an import.
const JobKindUserImport = "user_import"

// ImportFiles gives the importer the uploaded CSV; the upload service provides it.
type ImportFiles interface {
	File(ctx context.Context, id uuid.UUID) (upload.File, error)
}

// ImportJobs records the import's job; the job service provides it.
type ImportJobs interface {
	Create(ctx context.Context, kind string, perm authz.Permission, orgID uuid.UUID, params any) (job.Job, error)
	Start(ctx context.Context, id uuid.UUID) (job.Job, error)
	Progress(ctx context.Context, id uuid.UUID, done, total int) error
	Succeed(ctx context.Context, id uuid.UUID, result any, resultKey, errorReportKey string) error
	Fail(ctx context.Context, id uuid.UUID, msg string) error
}

// Importer brings civil servants in from the CSV files HR systems export:
// it validates every row as CreateUser does, creates or updates the person
// by NIP in batches, and reports the rows it could not take, with their line
// numbers, in a CSV linked from the job.
type Importer struct {
	svc       *Service
	files     ImportFiles
	jobs      ImportJobs
	objects   *objectstore.Store
	outbox    *queue.Outbox
	batchSize int
}

// NewImporter returns the importer over the identity service.
func NewImporter(svc *Service, files ImportFiles, jobs ImportJobs, objects *objectstore.Store, outbox *queue.Outbox) *Importer {
	return &Importer{svc: svc, files: files, jobs: jobs, objects: objects, outbox: outbox, batchSize: 1000}
}

// ImportInput starts an import.
type ImportInput struct {
	FileID uuid.UUID // a completed upload of purpose user_import, by the caller
	OrgID  uuid.UUID // every unit in the file must lie in this organisation's subtree
	DryRun bool      // validate everything, write no user
	Lang   string    // "id" or "en": the language of the error report
}

// ImportResult is the summary the job holds when the import is over.
type ImportResult struct {
	Rows      int  `json:"rows"`      // data rows read
	Created   int  `json:"created"`   // people new to Corpu
	Updated   int  `json:"updated"`   // people whose record changed
	Unchanged int  `json:"unchanged"` // people already as in the file
	Failed    int  `json:"failed"`    // rows refused; the error report says why
	Warnings  int  `json:"warnings"`  // rows imported without their supervisor link
	DryRun    bool `json:"dry_run"`
}

type importParams struct {
	FileID uuid.UUID `json:"file_id"`
	OrgID  uuid.UUID `json:"org_id"`
	DryRun bool      `json:"dry_run"`
	Lang   string    `json:"lang"`
}

// ImportPayload is the payload of TypeImportUsers.
type ImportPayload struct {
	JobID uuid.UUID `json:"job_id"`
}

// importMaxRetry bounds the retries of an import that failed for a passing
// reason (a database restart); the upsert makes each retry safe.
const importMaxRetry = 10

var errImportFileNotFound = apperr.Invalid("file_id", "berkas unggahan tidak ditemukan", "uploaded file not found")

// Start checks that the caller may import users into the organisation and
// that the file is their completed CSV upload, then creates the job and the
// task that runs it in one transaction. The caller polls the job.
func (im *Importer) Start(ctx context.Context, in ImportInput) (job.Job, error) {
	if _, err := authz.ActorFrom(ctx); err != nil {
		return job.Job{}, err
	}
	var v apperr.Validation
	v.Check(in.FileID != uuid.Nil, "file_id", "wajib diisi", "is required")
	v.Check(in.OrgID != uuid.Nil, "org_id", "wajib diisi", "is required")
	if err := v.Err(); err != nil {
		return job.Job{}, err
	}
	org, err := im.svc.store.org(ctx, in.OrgID)
	if err != nil {
		return job.Job{}, err
	}
	actor, err := authorize(ctx, authz.UserImport, authz.OrgRead, org.Path, ErrOrgNotFound)
	if err != nil {
		return job.Job{}, err
	}
	file, err := im.files.File(ctx, in.FileID)
	if apperr.KindOf(err) == apperr.KindNotFound || (err == nil && file.OwnerID != actor.UserID) {
		return job.Job{}, errImportFileNotFound
	}
	if err != nil {
		return job.Job{}, err
	}
	if file.Purpose != upload.PurposeUserImport {
		return job.Job{}, apperr.Invalid("file_id", "berkas tidak diunggah untuk impor pengguna (purpose user_import)",
			"the file was not uploaded for a user import (purpose user_import)")
	}
	if in.Lang != "en" {
		in.Lang = "id"
	}
	var j job.Job
	err = im.svc.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		j, err = im.jobs.Create(ctx, JobKindUserImport, authz.UserImport, org.ID, importParams{FileID: file.ID, OrgID: org.ID, DryRun: in.DryRun, Lang: in.Lang})
		if err != nil {
			return err
		}
		_, err = im.outbox.Add(ctx, queue.Job{Type: TypeImportUsers, Payload: ImportPayload{JobID: j.ID}, Queue: queue.Default, MaxRetry: importMaxRetry})
		return err
	})
	return j, err
}

// HandleImportUsers is the task handler of TypeImportUsers. A task delivered
// again for a job that is over does nothing.
func (im *Importer) HandleImportUsers(ctx context.Context, t *asynq.Task) error {
	var p ImportPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	return im.Run(ctx, p.JobID)
}

// importFailure is a reason an import cannot go on that no retry will fix:
// the job fails with its message.
type importFailure struct{ msg apperr.Text }

func (e *importFailure) Error() string { return e.msg.EN }

func failure(id, en string) error { return &importFailure{msg: apperr.Text{ID: id, EN: en}} }

// Run runs the import job with id: the task handler calls it.
func (im *Importer) Run(ctx context.Context, jobID uuid.UUID) error {
	j, err := im.jobs.Start(ctx, jobID)
	if errors.Is(err, job.ErrFinished) {
		return nil
	}
	if errors.Is(err, job.ErrNotFound) {
		return fmt.Errorf("%s: job %s: %w: %w", TypeImportUsers, jobID, err, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	var params importParams
	if err := json.Unmarshal(j.Params, &params); err != nil {
		return im.jobs.Fail(ctx, j.ID, "invalid job parameters")
	}
	run := &importRun{im: im, job: j, params: params, res: ImportResult{DryRun: params.DryRun}}
	defer func() { run.report.discard() }()
	err = run.execute(ctx)

	var fail *importFailure
	switch {
	case err == nil:
		err = im.svc.db.WithTx(run.ctx(ctx), func(ctx context.Context) error {
			if err := im.jobs.Succeed(ctx, j.ID, run.res, "", run.reportKey); err != nil {
				return err
			}
			return run.audit(ctx)
		})
		if errors.Is(err, job.ErrCancelled) {
			return run.auditPartial(ctx)
		}
		return err
	case errors.Is(err, job.ErrCancelled):
		return run.auditPartial(ctx)
	case errors.As(err, &fail):
		if err := im.jobs.Fail(ctx, j.ID, fail.msg.In(params.Lang)); err != nil {
			return err
		}
		return run.auditPartial(ctx)
	default:
		if lastAttempt(ctx) {
			if ferr := im.jobs.Fail(ctx, j.ID, msgInternal.In(params.Lang)); ferr != nil {
				return errors.Join(err, ferr)
			}
			_ = run.auditPartial(ctx)
		}
		return err
	}
}

var msgInternal = apperr.Text{ID: "Impor gagal karena kesalahan internal; silakan coba lagi.",
	EN: "The import failed because of an internal error; please try again."}

// lastAttempt reports whether Asynq will not retry the running task again.
func lastAttempt(ctx context.Context) bool {
	retried, ok1 := asynq.GetRetryCount(ctx)
	maxRetry, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && retried >= maxRetry
}

// importRun is one execution of an import job.
type importRun struct {
	im        *Importer
	job       job.Job
	params    importParams
	actor     *authz.Actor
	root      Organization
	res       ImportResult
	report    *errorReport
	reportKey string

	cols        columns
	units       map[string]*Organization // by code; nil for a code that names nothing
	nips        map[uint64]int           // NIP → the line that claimed it
	emails      map[string]int           // e-mail → the line that claimed it
	imported    map[uint64]uuid.UUID     // NIP → id of each person the file brought in (would bring, in a dry run)
	supervisors []supervisorLink
	fileSize    int64
	read        *countingReader
}

func (r *importRun) ctx(ctx context.Context) context.Context {
	if r.actor == nil {
		return ctx
	}
	return authz.WithActor(ctx, r.actor)
}

func (r *importRun) lang() string { return r.params.Lang }

// execute reads the file and imports it batch by batch.
func (r *importRun) execute(ctx context.Context) error {
	im := r.im
	if _, err := im.svc.store.user(ctx, r.job.OwnerID); err != nil && !errors.Is(err, ErrUserNotFound) {
		return err // the database, not the user, is the problem: retry
	}
	actor, err := im.svc.Actor(ctx, r.job.OwnerID)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindUnauthorized {
			return failure("Pengguna yang memulai impor tidak lagi aktif.", "The user who started the import is no longer active.")
		}
		return err
	}
	root, err := im.svc.store.org(ctx, r.params.OrgID)
	if errors.Is(err, ErrOrgNotFound) || (err == nil && !actor.Can(authz.UserImport, root.Path)) {
		return failure("Anda tidak lagi berwenang mengimpor pengguna ke organisasi ini.", "You may no longer import users into this organisation.")
	}
	if err != nil {
		return err
	}
	r.actor, r.root = actor, root
	ctx = r.ctx(ctx)

	file, err := im.files.File(ctx, r.params.FileID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return failure("Berkas impor tidak ditemukan.", "The import file was not found.")
	}
	if err != nil {
		return err
	}
	body, err := im.objects.Open(ctx, file.ObjectKey)
	if errors.Is(err, objectstore.ErrObjectMissing) {
		return failure("Berkas impor tidak ditemukan.", "The import file was not found.")
	}
	if err != nil {
		return err
	}
	defer body.Close()
	r.fileSize = file.Size
	r.read = &countingReader{r: body}

	if r.report, err = newErrorReport(); err != nil {
		return err
	}
	r.units = map[string]*Organization{}
	r.nips, r.emails, r.imported = map[uint64]int{}, map[string]int{}, map[uint64]uuid.UUID{}

	cr, err := r.openCSV(r.read)
	if err != nil {
		return err
	}
	batch := make([]importRow, 0, im.batchSize)
	for {
		rec, line, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var lineErr *csvio.LineError
		switch {
		case errors.As(err, &lineErr):
			r.res.Rows++
			batch = append(batch, importRow{line: lineErr.Line, errs: fieldError("",
				"baris CSV tidak dapat dibaca: "+lineErr.Err.Error(), "the CSV row cannot be read: "+lineErr.Err.Error())})
		case err != nil:
			return fmt.Errorf("read import file: %w", err)
		default:
			row, ok := r.parseRow(rec, line)
			if !ok {
				continue
			}
			batch = append(batch, row)
		}
		if len(batch) == im.batchSize {
			if err := r.flush(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := r.flush(ctx, batch); err != nil {
		return err
	}
	if err := r.linkSupervisors(ctx); err != nil {
		return err
	}
	done := r.res.Rows
	if err := im.jobs.Progress(ctx, r.job.ID, done, done); err != nil {
		return err
	}
	return r.uploadReport(ctx)
}

// --- reading the CSV ---

// The columns an HR export may have, by their canonical name; aliases are
// the names Indonesian HR systems (SIASN, SIMPEG) commonly use.
const (
	colNIP = iota
	colName
	colEmail
	colUnit
	colPositionTitle
	colPositionType
	colFunctionalPost
	colGrade
	colPhone
	colSupervisor
	numColumns
)

var columnNames = [numColumns]string{"nip", "name", "email", "unit_code", "position_title", "position_type",
	"functional_post", "grade", "phone", "supervisor_nip"}

var columnAliases = map[string]int{
	"nip": colNIP, "nip_baru": colNIP,
	"name": colName, "nama": colName, "nama_lengkap": colName, "nama_pegawai": colName,
	"email": colEmail, "e_mail": colEmail, "surel": colEmail, "alamat_email": colEmail,
	"unit_code": colUnit, "kode_unit": colUnit, "kode_unit_kerja": colUnit, "kode_satker": colUnit,
	"position_title": colPositionTitle, "jabatan": colPositionTitle, "nama_jabatan": colPositionTitle,
	"position_type": colPositionType, "jenis_jabatan": colPositionType,
	"functional_post": colFunctionalPost, "jabatan_fungsional": colFunctionalPost,
	"grade": colGrade, "golongan": colGrade, "gol": colGrade, "pangkat_golongan": colGrade,
	"phone": colPhone, "telepon": colPhone, "no_hp": colPhone, "nomor_hp": colPhone, "telp": colPhone,
	"supervisor_nip": colSupervisor, "nip_atasan": colSupervisor, "atasan_nip": colSupervisor,
}

var requiredColumns = []int{colNIP, colName, colEmail, colUnit}

// columns maps each known column to its index in a record, -1 when absent.
// A column that is absent leaves that field of existing people as it is; a
// column that is present is authoritative, an empty cell clears the field.
type columns [numColumns]int

func (c *columns) has(col int) bool { return c[col] >= 0 }

func (c *columns) get(rec []string, col int) string {
	i := c[col]
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// openCSV reads the header row (csvio finds the delimiter: a comma, the
// semicolon of spreadsheets in Indonesian locale, or a tab).
func (r *importRun) openCSV(body io.Reader) (*csvio.Reader, error) {
	cr, err := csvio.NewReader(body)
	switch {
	case errors.Is(err, csvio.ErrEmpty):
		return nil, failure("Berkas impor kosong.", "The import file is empty.")
	case errors.Is(err, csv.ErrBareQuote), errors.Is(err, csv.ErrQuote), errors.Is(err, csv.ErrFieldCount):
		return nil, failure("Baris judul berkas impor tidak dapat dibaca.", "The header row of the import file cannot be read.")
	case err != nil:
		return nil, fmt.Errorf("read import file: %w", err)
	}
	header := cr.Header()
	for i := range r.cols {
		r.cols[i] = -1
	}
	for i, name := range header {
		col, ok := columnAliases[csvio.NormalizeName(name)]
		if !ok {
			continue // HR exports carry many more columns; they are ignored
		}
		if r.cols[col] >= 0 {
			return nil, failure("Kolom "+columnNames[col]+" muncul lebih dari sekali.", "The column "+columnNames[col]+" appears more than once.")
		}
		r.cols[col] = i
	}
	var missing []string
	for _, col := range requiredColumns {
		if !r.cols.has(col) {
			missing = append(missing, columnNames[col])
		}
	}
	if len(missing) > 0 {
		list := strings.Join(missing, ", ")
		return nil, failure("Kolom wajib tidak ada: "+list+".", "Required columns are missing: "+list+".")
	}
	return cr, nil
}

// importRow is a row read from the file; errs holds what the checks that
// need no database found wrong with it.
type importRow struct {
	line       int
	rawNIP     string
	in         UserInput
	nip        uint64
	unitCode   string
	supervisor string // normalized NIP; "" for none
	errs       []apperr.FieldError
}

var positionTypeAliases = map[string]PositionType{
	"structural": PositionStructural, "struktural": PositionStructural,
	"functional": PositionFunctional, "fungsional": PositionFunctional,
	"executor": PositionExecutor, "pelaksana": PositionExecutor,
}

// parseRow validates a record as CreateUser does, without the database, and
// claims its NIP and e-mail; ok is false for a blank row. A refused row
// stays in its batch so the report keeps the order of the file.
func (r *importRun) parseRow(rec []string, line int) (importRow, bool) {
	c := &r.cols
	blank := true
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			blank = false
			break
		}
	}
	if blank {
		return importRow{}, false // spreadsheets export empty rows as ",,,"
	}
	r.res.Rows++
	for _, f := range rec {
		if !utf8.ValidString(f) || strings.ContainsRune(f, 0) {
			return importRow{line: line, rawNIP: strings.ToValidUTF8(c.get(rec, colNIP), "?"), errs: fieldError("",
				"baris ini bukan teks UTF-8; simpan berkas sebagai \"CSV UTF-8\"",
				"the row is not UTF-8 text; save the file as \"CSV UTF-8\"")}, true
		}
	}
	row := importRow{line: line, rawNIP: c.get(rec, colNIP), unitCode: c.get(rec, colUnit)}
	positionType := c.get(rec, colPositionType)
	if pt, ok := positionTypeAliases[strings.ToLower(positionType)]; ok {
		positionType = string(pt)
	}
	row.in = UserInput{
		NIP: row.rawNIP, Name: c.get(rec, colName), Email: c.get(rec, colEmail), Phone: c.get(rec, colPhone),
		PositionTitle: c.get(rec, colPositionTitle), PositionType: PositionType(positionType),
		FunctionalPost: c.get(rec, colFunctionalPost), Grade: c.get(rec, colGrade), OrgID: r.root.ID,
	}

	var v apperr.Validation
	row.in.normalize(&v)
	r.checkNIP(&row.in, &v)
	v.Check(row.unitCode != "", "unit_code", "wajib diisi", "is required")
	if sup := c.get(rec, colSupervisor); sup != "" {
		row.supervisor = nip.Normalize(sup)
		if _, err := nip.Parse(row.supervisor, r.im.svc.now()); err != nil {
			v.Add("supervisor_nip", "NIP atasan tidak valid", "the supervisor's NIP is not valid")
		} else if row.supervisor == row.in.NIP {
			v.Add("supervisor_nip", "pengguna tidak dapat menjadi atasan dirinya sendiri", "a user cannot supervise themselves")
		}
	}
	if err := v.Err(); err != nil {
		row.errs = apperr.As(err).Fields
		return row, true
	}
	row.nip, _ = strconv.ParseUint(row.in.NIP, 10, 64)
	if first, dup := r.nips[row.nip]; dup {
		row.errs = fieldError("nip",
			fmt.Sprintf("NIP ini sudah ada di baris %d berkas yang sama", first),
			fmt.Sprintf("this NIP already appears on line %d of the file", first))
		return row, true
	}
	if first, dup := r.emails[row.in.Email]; dup {
		row.errs = fieldError("email",
			fmt.Sprintf("alamat e-mail ini sudah dipakai di baris %d berkas yang sama", first),
			fmt.Sprintf("this e-mail address is already used on line %d of the file", first))
		return row, true
	}
	r.nips[row.nip], r.emails[row.in.Email] = line, line
	return row, true
}

// checkNIP accepts every NIP CreateUser accepts (it keeps only the digits)
// and reports a refused one with what is wrong with it as written.
func (r *importRun) checkNIP(in *UserInput, v *apperr.Validation) {
	raw := strings.TrimPrefix(in.NIP, "'") // a spreadsheet's mark for a number kept as text
	in.NIP = nip.Normalize(raw)
	now := r.im.svc.now()
	_, err := nip.Parse(in.NIP, now)
	if err == nil {
		return
	}
	if _, rawErr := nip.Parse(raw, now); rawErr != nil {
		err = rawErr
	}
	for _, f := range apperr.As(err).Fields {
		v.Add(f.Field, f.Message.ID, f.Message.EN)
	}
}

func fieldError(field, id, en string) []apperr.FieldError {
	return []apperr.FieldError{{Field: field, Message: apperr.Text{ID: id, EN: en}}}
}

func (r *importRun) rowFailed(line int, rawNIP string, fields []apperr.FieldError) {
	r.res.Failed++
	r.report.add(line, rawNIP, fields, r.lang())
}

// --- writing a batch ---

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
	if err := r.resolveUnits(ctx, batch); err != nil {
		return err
	}
	rows := make([]batchRow, len(batch))
	for i := range batch {
		rows[i] = batchRow{importRow: &batch[i]}
	}
	var err error
	for attempt := 1; attempt <= maxBatchAttempts; attempt++ {
		err = r.im.svc.db.WithTx(ctx, func(ctx context.Context) error { return r.writeBatch(ctx, rows) })
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
		r.imported[row.nip] = row.userID
		if row.deferred {
			r.supervisors = append(r.supervisors, supervisorLink{line: row.line, rawNIP: row.rawNIP, userID: row.userID,
				supervisor: row.supervisor, unchanged: row.outcome == outcomeUnchanged})
		}
	}
	return r.im.jobs.Progress(ctx, r.job.ID, r.res.Rows, r.estimateTotal())
}

// estimateTotal guesses the number of rows from the bytes read so far.
func (r *importRun) estimateTotal() int {
	read := r.read.n
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
	inBatch := make(map[uint64]uuid.UUID, len(rows))
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
		inBatch[row.nip] = row.userID
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
	if err := r.im.svc.store.upsertImported(ctx, writes, &r.cols, r.root.Path, now); err != nil {
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
	var readdressed, ids []uuid.UUID
	fromPaths := map[uuid.UUID]string{}
	for _, row := range writes {
		ids = append(ids, row.userID)
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
		if err := st.clearSupervisorsOutsideLine(ctx, ids); err != nil {
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
// the one the person has now.
func (r *importRun) resolveSupervisor(row *batchRow, inBatch map[uint64]uuid.UUID) {
	row.supervisorID, row.deferred = nil, false
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
	if id, ok := inBatch[n]; ok {
		row.supervisorID = &id
		return
	}
	if id, ok := r.imported[n]; ok {
		row.supervisorID = &id
		return
	}
	row.deferred = true
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

// --- supervisors ---

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
	for start := 0; start < len(r.supervisors); start += r.im.batchSize {
		links := r.supervisors[start:min(start+r.im.batchSize, len(r.supervisors))]
		// Most supervisors are in the file; look up only the others.
		var outside []string
		for _, l := range links {
			n, _ := strconv.ParseUint(l.supervisor, 10, 64)
			if _, inFile := r.imported[n]; !inFile {
				outside = append(outside, l.supervisor)
			}
		}
		ids, err := r.im.svc.store.userIDsByNIP(ctx, outside, r.actor)
		if err != nil {
			return err
		}
		var set []supervisorSet
		unchanged := map[uuid.UUID]bool{}
		for _, l := range links {
			n, _ := strconv.ParseUint(l.supervisor, 10, 64)
			id, ok := r.imported[n]
			if !ok {
				id, ok = ids[l.supervisor]
			}
			if !ok {
				r.res.Warnings++
				r.report.add(l.line, l.rawNIP, fieldError("supervisor_nip",
					"atasan tidak ditemukan; pegawai diimpor tanpa atasan", "supervisor not found; the person was imported without one"), r.lang())
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
	return nil
}

// --- the error report ---

// errorReport collects the refused rows in a CSV on local disk, so memory
// stays flat however many rows fail.
type errorReport struct {
	f     *os.File
	w     *csvio.Writer
	lines int
}

func newErrorReport() (*errorReport, error) {
	f, err := os.CreateTemp("", "corpu-import-errors-*.csv")
	if err != nil {
		return nil, fmt.Errorf("create error report: %w", err)
	}
	w := csvio.NewWriter(f)
	_ = w.Write("line", "nip", "field", "message")
	return &errorReport{f: f, w: w}, nil
}

func (e *errorReport) add(line int, rawNIP string, fields []apperr.FieldError, lang string) {
	for _, f := range fields {
		_ = e.w.Write(strconv.Itoa(line), rawNIP, f.Field, f.Message.In(lang))
		e.lines++
	}
}

func (e *errorReport) discard() {
	if e == nil {
		return
	}
	_ = e.f.Close()
	_ = os.Remove(e.f.Name())
}

// uploadReport stores the error report next to the job, when there is one.
func (r *importRun) uploadReport(ctx context.Context) error {
	if r.report.lines == 0 {
		return nil
	}
	r.report.w.Flush()
	if err := r.report.w.Error(); err != nil {
		return fmt.Errorf("write error report: %w", err)
	}
	size, err := r.report.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("write error report: %w", err)
	}
	if _, err := r.report.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("write error report: %w", err)
	}
	key := "jobs/" + r.job.ID.String() + "/errors.csv"
	if err := r.im.objects.Put(ctx, key, r.report.f, size, "text/csv; charset=utf-8"); err != nil {
		return err
	}
	r.reportKey = key
	return nil
}

// --- audit ---

// audit records the import as one entry, with its counts.
func (r *importRun) audit(ctx context.Context) error {
	if r.params.DryRun || r.actor == nil {
		return nil
	}
	return r.im.svc.audit.Record(ctx, authz.UserImport, audit.Change{Action: "user.import", EntityType: "job",
		EntityID: r.job.ID.String(), OrgID: r.root.ID, OrgPath: r.root.Path,
		After: map[string]any{"file_id": r.params.FileID, "counts": r.res, "status": "succeeded"}})
}

// auditPartial records an import that stopped after writing some people.
func (r *importRun) auditPartial(ctx context.Context) error {
	if r.params.DryRun || r.actor == nil || r.res.Created+r.res.Updated == 0 {
		return nil
	}
	return r.im.svc.db.WithTx(r.ctx(ctx), func(ctx context.Context) error {
		return r.im.svc.audit.Record(ctx, authz.UserImport, audit.Change{Action: "user.import", EntityType: "job",
			EntityID: r.job.ID.String(), OrgID: r.root.ID, OrgPath: r.root.Path,
			After: map[string]any{"file_id": r.params.FileID, "counts": r.res, "status": "stopped"}})
	})
}

// countingReader counts the bytes read through it, to estimate progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// --- store ---

// Lists travel as one array parameter each (database.Array), so a
// statement over a batch of rows has a handful of parameters however large
// the batch. Ids are sent as text and cast: ?::uuid[].

// idText is an id as array text, or nil (NULL).
func idText(id *uuid.UUID) *string {
	if id == nil {
		return nil
	}
	s := id.String()
	return &s
}

// existingUser is what an import compares a row with.
type existingUser struct {
	ID             uuid.UUID
	NIP            *string `gorm:"column:nip"`
	Name           string
	Email          string
	Phone          *string
	PositionTitle  *string
	PositionType   *string
	FunctionalPost *string
	Grade          *string
	OrgID          uuid.UUID
	WorkUnitID     *uuid.UUID
	SupervisorID   *uuid.UUID
	OrgPath        string
	WorkUnitPath   *string
}

// importExisting returns the people who hold any of nips or emails, locked
// for the rest of the transaction when lock is set. The lists are joined
// rather than tested with = ANY, so the cost stays linear whatever plan the
// statistics of a table that is still filling up suggest.
func (s store) importExisting(ctx context.Context, nips, emails []string, lock bool) ([]existingUser, error) {
	q := `SELECT u.id, u.nip, u.name, u.email, u.phone, u.position_title, u.position_type, u.functional_post, u.grade,
			u.org_id, u.work_unit_id, u.supervisor_id, o.path AS org_path, w.path AS work_unit_path
		FROM users u
		JOIN organizations o ON o.id = u.org_id
		LEFT JOIN organizations w ON w.id = u.work_unit_id
		WHERE u.id IN (
			SELECT n.id FROM users n JOIN unnest(?::text[]) AS k(nip) ON n.nip = k.nip
			UNION
			SELECT e.id FROM users e JOIN unnest(?::text[]) AS k(email) ON lower(e.email) = k.email)
		ORDER BY u.id`
	if lock {
		q += " FOR UPDATE OF u" // in id order, so two imports of the same people wait rather than deadlock
	}
	var rows []existingUser
	if err := s.db.Conn(ctx).Raw(q, database.TextArray(nips), database.TextArray(emails)).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find people of an import batch: %w", err)
	}
	return rows, nil
}

// importUpdatable are the columns an import may set; the optional ones only
// when the file has them.
var importUpdatable = [numColumns]string{
	colName: "name", colEmail: "email", colPhone: "phone", colPositionTitle: "position_title",
	colPositionType: "position_type", colFunctionalPost: "functional_post", colGrade: "grade",
}

// upsertImported creates or updates people by NIP in one statement. An
// update never reaches a person outside the subtree at root, and changes
// nothing when nothing differs.
func (s store) upsertImported(ctx context.Context, rows []batchRow, cols *columns, root string, now time.Time) error {
	// Each column travels as one array parameter, so a batch of a thousand
	// people is a dozen parameters, not twelve thousand.
	n := len(rows)
	ids, nips, names, emails := make(database.TextArray, n), make(database.TextArray, n), make(database.TextArray, n), make(database.TextArray, n)
	phones, titles, types := make(database.Array[*string], n), make(database.Array[*string], n), make(database.Array[*string], n)
	posts, grades := make(database.Array[*string], n), make(database.Array[*string], n)
	orgs, units, sups := make(database.TextArray, n), make(database.Array[*string], n), make(database.Array[*string], n)
	for i, row := range rows {
		in := &row.in
		ids[i], nips[i], names[i], emails[i] = row.userID.String(), in.NIP, in.Name, in.Email
		phones[i], titles[i], types[i] = database.NullIfEmpty(in.Phone), database.NullIfEmpty(in.PositionTitle), database.NullIfEmpty(string(in.PositionType))
		posts[i], grades[i] = database.NullIfEmpty(in.FunctionalPost), database.NullIfEmpty(in.Grade)
		orgs[i], units[i], sups[i] = in.OrgID.String(), idText(row.workUnitID), idText(row.supervisorID)
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO users (id, nip, name, email, phone, position_title, position_type, functional_post, grade,
			org_id, work_unit_id, supervisor_id, status, created_at, updated_at)
		SELECT id, nip, name, email, phone, position_title, position_type, functional_post, grade, org_id, work_unit_id, supervisor_id,
			?::text, ?::timestamptz, ?::timestamptz
		FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
			?::text[], ?::text[], ?::text[], ?::uuid[], ?::uuid[], ?::uuid[])
			AS v(id, nip, name, email, phone, position_title, position_type, functional_post, grade, org_id, work_unit_id, supervisor_id)`)
	args := []any{string(StatusActive), now, now, ids, nips, names, emails, phones, titles, types, posts, grades, orgs, units, sups}
	set := []string{"org_id", "work_unit_id"}
	if cols.has(colSupervisor) {
		set = append(set, "supervisor_id")
	}
	for col, name := range importUpdatable {
		if name != "" && cols.has(col) {
			set = append(set, name)
		}
	}
	b.WriteString(" ON CONFLICT (nip) DO UPDATE SET ")
	var old, next strings.Builder
	for i, name := range set {
		if i > 0 {
			b.WriteString(", ")
			old.WriteString(", ")
			next.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = EXCLUDED.%s", name, name)
		fmt.Fprintf(&old, "users.%s", name)
		fmt.Fprintf(&next, "EXCLUDED.%s", name)
	}
	// A new address must be verified again.
	b.WriteString(`, email_verified_at = CASE WHEN lower(users.email) = lower(EXCLUDED.email) THEN users.email_verified_at END`)
	b.WriteString(", updated_at = EXCLUDED.updated_at WHERE (")
	b.WriteString(old.String())
	b.WriteString(") IS DISTINCT FROM (")
	b.WriteString(next.String())
	b.WriteString(`) AND EXISTS (SELECT 1 FROM organizations o WHERE o.id = users.org_id AND o.path LIKE ?)`)
	args = append(args, database.EscapeLike(root)+"%")
	if err := s.db.Conn(ctx).Exec(b.String(), args...).Error; err != nil {
		return fmt.Errorf("upsert imported people: %w", err)
	}
	return nil
}

func (s store) createTransfers(ctx context.Context, ts []Transfer) error {
	if len(ts) == 0 {
		return nil
	}
	rows := make([]transferRow, len(ts))
	for i, t := range ts {
		rows[i] = transferRow(t)
	}
	if err := s.db.Conn(ctx).Create(&rows).Error; err != nil {
		return fmt.Errorf("record transfers: %w", err)
	}
	return nil
}

// userIDsByNIP finds the people with nips whom actor may see (where they
// may read users), so an import cannot tell whether a NIP exists elsewhere.
func (s store) userIDsByNIP(ctx context.Context, nips []string, actor *authz.Actor) (map[string]uuid.UUID, error) {
	out := make(map[string]uuid.UUID, len(nips))
	roots, all := actor.Roots(authz.UserRead)
	if len(nips) == 0 || (!all && len(roots) == 0) {
		return out, nil
	}
	var rows []struct {
		ID  uuid.UUID
		NIP string `gorm:"column:nip"`
	}
	q, args := `SELECT u.id, u.nip FROM users u JOIN unnest(?::text[]) AS k(nip) ON u.nip = k.nip
		JOIN organizations o ON o.id = u.org_id`, []any{database.TextArray(nips)}
	if !all {
		likes := make([]string, len(roots))
		for i, root := range roots {
			likes[i] = "o.path LIKE ?"
			args = append(args, database.EscapeLike(root)+"%")
		}
		q += " WHERE " + strings.Join(likes, " OR ")
	}
	if err := s.db.Conn(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find supervisors: %w", err)
	}
	for _, r := range rows {
		out[r.NIP] = r.ID
	}
	return out, nil
}

// clearSupervisorsOutsideLine clears the supervisor of each of the users
// whose supervisor is not in their line: their organisation or above it.
func (s store) clearSupervisorsOutsideLine(ctx context.Context, userIDs []uuid.UUID) error {
	if len(userIDs) == 0 {
		return nil
	}
	ids := make(database.TextArray, len(userIDs))
	for i, id := range userIDs {
		ids[i] = id.String()
	}
	err := s.db.Conn(ctx).Exec(`UPDATE users u SET supervisor_id = NULL
		FROM organizations o, users sup JOIN organizations so ON so.id = sup.org_id
		WHERE u.id = ANY(?::uuid[]) AND o.id = u.org_id AND sup.id = u.supervisor_id AND NOT starts_with(o.path, so.path)`, ids).Error
	if err != nil {
		return fmt.Errorf("clear supervisors outside the line: %w", err)
	}
	return nil
}

// supervisorSet links a person to a supervisor.
type supervisorSet struct {
	user, supervisor uuid.UUID
}

// setSupervisors applies links to people inside the subtree at root in one
// statement and returns the people whose supervisor changed.
func (s store) setSupervisors(ctx context.Context, links []supervisorSet, root string) ([]uuid.UUID, error) {
	users, sups := make(database.TextArray, len(links)), make(database.TextArray, len(links))
	for i, l := range links {
		users[i], sups[i] = l.user.String(), l.supervisor.String()
	}
	var changed []uuid.UUID
	err := s.db.Conn(ctx).Raw(`UPDATE users u SET supervisor_id = v.sup, updated_at = now()
		FROM unnest(?::uuid[], ?::uuid[]) AS v(id, sup)
		WHERE u.id = v.id AND u.supervisor_id IS DISTINCT FROM v.sup AND u.id <> v.sup
		AND EXISTS (SELECT 1 FROM organizations o WHERE o.id = u.org_id AND o.path LIKE ?
			AND EXISTS (SELECT 1 FROM users s JOIN organizations so ON so.id = s.org_id
				WHERE s.id = v.sup AND starts_with(o.path, so.path)))
		RETURNING u.id`, users, sups, database.EscapeLike(root)+"%").Scan(&changed).Error
	if err != nil {
		return nil, fmt.Errorf("link supervisors: %w", err)
	}
	return changed, nil
}
