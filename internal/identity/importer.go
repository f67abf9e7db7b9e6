package identity

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/identity/nip"
	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/csvio"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/upload"
)

// TypeImportUsers is the task that runs one HR import of users.
const TypeImportUsers = "identity:import-users"

// ImportTimeout is how long one run of an import may take: a national file
// of 4.3 million rows took 7 to 21 minutes on a 2-core server, too close to
// Asynq's default of 30, which would cut it off and start it again forever.
const ImportTimeout = 6 * time.Hour

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
	Get(ctx context.Context, id uuid.UUID) (job.Job, error) // a job of the caller's, for the import pages
	// Over names those of ids whose job ended before the time, or is gone.
	Over(ctx context.Context, ids []uuid.UUID, before time.Time) ([]uuid.UUID, error)
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
	// analyzeAfter is how many new people make an import refresh the
	// planner's statistics of users when it ends (see Run).
	analyzeAfter int
}

// NewImporter returns the importer over the identity service.
func NewImporter(svc *Service, files ImportFiles, jobs ImportJobs, objects *objectstore.Store, outbox *queue.Outbox) *Importer {
	return &Importer{svc: svc, files: files, jobs: jobs, objects: objects, outbox: outbox, batchSize: 1000, analyzeAfter: 10_000}
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
	j, ok, err := job.BeginTask(ctx, im.jobs, TypeImportUsers, jobID)
	if !ok {
		return err
	}
	var params importParams
	if err := json.Unmarshal(j.Params, &params); err != nil {
		return im.jobs.Fail(ctx, j.ID, "invalid job parameters")
	}
	run := &importRun{im: im, job: j, params: params, res: ImportResult{DryRun: params.DryRun}}
	defer func() {
		run.report.discard()
		if run.claims.db != nil {
			if err := run.claims.end(context.WithoutCancel(ctx)); err != nil {
				slog.WarnContext(ctx, "import: forget the claims", "job", jobID, "error", err)
			}
		}
	}()
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
		if err == nil && !params.DryRun && run.res.Created >= im.analyzeAfter {
			// A national file adds hundreds of thousands of people at once,
			// long before autovacuum's analyze notices: until then the planner
			// believes the table small and scans it whole for every unit's
			// people (seconds per assignment, measured on 1M people).
			if err := im.svc.store.analyzeUsers(context.WithoutCancel(ctx)); err != nil {
				slog.WarnContext(ctx, "import: refresh the statistics of users", "job", j.ID, "error", err)
			}
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
	header    []string // the file's header row, as written
	reportKey string

	cols   columns
	units  map[string]*Organization // by code; nil for a code that names nothing
	claims fileClaims
	// known are the people of the file the current batch's supervisors
	// name, found among the earlier batches' rows.
	known    map[uint64]uuid.UUID
	fileSize int64
	read     *countingReader
	// readBytes is how much of the file the batches written so far came
	// from (the reading goroutine is ahead of them).
	readBytes    int64
	lastProgress time.Time
}

func (r *importRun) ctx(ctx context.Context) context.Context {
	if r.actor == nil {
		return ctx
	}
	return authz.WithActor(ctx, r.actor)
}

func (r *importRun) lang() string { return r.params.Lang }

// fileColumn returns the header the file gave the column of an API field
// ("unit_code" may be "Kode Unit Kerja"), or "" when no column holds it.
func (r *importRun) fileColumn(field string) string {
	for col, name := range columnNames {
		if name == field && r.cols.has(col) && r.cols[col] < len(r.header) {
			return r.header[r.cols[col]]
		}
	}
	return ""
}

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
	r.claims = fileClaims{db: im.svc.db, jobID: r.job.ID, analyzeAt: firstAnalyze, now: im.svc.now}
	if err := r.claims.beat(ctx); err != nil { // before any claim: the sweep leaves a live attempt alone
		return err
	}
	if err := r.claims.forget(ctx); err != nil { // what an earlier attempt claimed
		return err
	}

	cr, err := r.openCSV(r.read)
	if err != nil {
		return err
	}
	if err := r.importBatches(ctx, cr); err != nil {
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
	r.header = header
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
	claims     bool // the row holds its NIP and e-mail address for the rest of the file
}

var positionTypeAliases = map[string]PositionType{
	"structural": PositionStructural, "struktural": PositionStructural,
	"functional": PositionFunctional, "fungsional": PositionFunctional,
	"executor": PositionExecutor, "pelaksana": PositionExecutor,
}

// parseRow validates a record as CreateUser does, without the database (its
// batch claims its NIP and e-mail address, see fileClaims); ok is false for a
// blank row. A refused row stays in its batch so the report keeps the order
// of the file. It runs on the reading goroutine (see importBatches): it
// reads the run's settings and writes nothing of it.
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
	r.report.add(line, rawNIP, fields, r.fileColumn)
}
