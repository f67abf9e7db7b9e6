package identity

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/platform/web"
	"github.com/corpu/corpu/internal/upload"
)

// impFixture is an importer on a database and a bucket of the test's own,
// with this tree:
//
//	KEMENTERIAN
//	├── AGENCY          ← the imports go here; admin holds org_admin on it
//	│   ├── UNIT-A
//	│   └── UNIT-B
//	└── OTHER
//	    └── OTHER-UNIT
type impFixture struct {
	db       *database.DB
	svc      *Service
	uploads  *upload.Service
	jobs     *job.Service
	objects  *objectstore.Store
	outbox   *queue.Outbox
	im       *Importer
	platform context.Context
	orgs     map[string]Organization
	admin    context.Context
}

func newImpFixture(t testing.TB) *impFixture {
	t.Helper()
	db := database.NewTestDB(t)
	objects := objectstore.NewTestStore(t)
	svc := NewService(db, nil)
	svc.audit = audit.NewService(db, svc)
	f := &impFixture{
		db: db, svc: svc, objects: objects, outbox: queue.NewOutbox(db),
		uploads: upload.NewService(db, objects, svc), jobs: job.NewService(db, objects),
		platform: authz.WithActor(context.Background(), &authz.Actor{UserID: uuid.New(),
			Grants: []authz.Grant{{ID: uuid.New(), Role: authz.RolePlatformAdmin}}}),
		orgs: map[string]Organization{},
	}
	f.im = NewImporter(svc, f.uploads, f.jobs, objects, f.outbox)
	for _, o := range []struct {
		code, parent string
		kind         OrgKind
	}{
		{"KEMENTERIAN", "", KindMinistry}, {"AGENCY", "KEMENTERIAN", KindAgency}, {"UNIT-A", "AGENCY", KindWorkUnit},
		{"UNIT-B", "AGENCY", KindWorkUnit}, {"OTHER", "KEMENTERIAN", KindAgency}, {"OTHER-UNIT", "OTHER", KindWorkUnit},
	} {
		in := OrgInput{Kind: o.kind, Code: o.code, Name: "Organisasi " + o.code}
		if o.parent != "" {
			parent := f.orgs[o.parent].ID
			in.ParentID = &parent
		}
		org, err := svc.CreateOrg(f.platform, in)
		if err != nil {
			t.Fatalf("CreateOrg(%s): %v", o.code, err)
		}
		f.orgs[o.code] = org
	}
	// Grants name who granted them: the platform admin becomes a real user.
	root, err := svc.CreateUser(f.platform, UserInput{Name: "Admin Platform", Email: "admin@corpu.go.id", OrgID: f.orgs["KEMENTERIAN"].ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.store.createGrant(context.Background(), RoleGrant{ID: uuid.Must(uuid.NewV7()), UserID: root.ID,
		Role: authz.RolePlatformAdmin, OrgID: f.orgs["KEMENTERIAN"].ID, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	a, err := svc.Actor(context.Background(), root.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.platform = authz.WithActor(context.Background(), a)
	f.admin = f.person(t, "admin@agency.go.id", "AGENCY", authz.RoleOrgAdmin)
	return f
}

// person creates a user holding role at the organisation with code and
// returns a context acting as them, with the grants loaded as for a request.
func (f *impFixture) person(t testing.TB, email, code string, role authz.Role) context.Context {
	t.Helper()
	u, err := f.svc.CreateUser(f.platform, UserInput{Name: "Pegawai " + email, Email: email, OrgID: f.orgs[code].ID})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	if _, err := f.svc.Grant(f.platform, u.ID, role, f.orgs[code].ID); err != nil {
		t.Fatalf("Grant(%s): %v", email, err)
	}
	a, err := f.svc.Actor(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return authz.WithActor(context.Background(), a)
}

// upload sends body as a completed upload of the caller for purpose.
func (f *impFixture) upload(t testing.TB, ctx context.Context, purpose upload.Purpose, body []byte) upload.File {
	t.Helper()
	contentType := "text/csv"
	if purpose != upload.PurposeUserImport {
		contentType = "application/pdf"
	}
	p, err := f.uploads.Create(ctx, upload.Input{Purpose: purpose, Filename: "pegawai.csv", ContentType: contentType, Size: int64(len(body))})
	if err != nil {
		t.Fatalf("upload Create: %v", err)
	}
	req, _ := http.NewRequest(p.Method, p.URL, bytes.NewReader(body))
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT upload = %d", resp.StatusCode)
	}
	file, err := f.uploads.Complete(ctx, p.UploadID, "")
	if err != nil {
		t.Fatalf("upload Complete: %v", err)
	}
	return file
}

// importCSV uploads the CSV, starts the import as the admin and runs its
// task as a worker would; it returns the finished job and its result.
func (f *impFixture) importCSV(t testing.TB, body string, dryRun bool) (job.Job, ImportResult) {
	t.Helper()
	file := f.upload(t, f.admin, upload.PurposeUserImport, []byte(body))
	j, err := f.im.Start(f.admin, ImportInput{FileID: file.ID, OrgID: f.orgs["AGENCY"].ID, DryRun: dryRun, Lang: "en"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := f.im.Run(context.Background(), j.ID); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return f.finished(t, j.ID)
}

func (f *impFixture) finished(t testing.TB, id uuid.UUID) (job.Job, ImportResult) {
	t.Helper()
	j, err := f.jobs.Get(f.admin, id)
	if err != nil {
		t.Fatalf("job Get: %v", err)
	}
	var res ImportResult
	if j.Result != nil {
		if err := json.Unmarshal(j.Result, &res); err != nil {
			t.Fatalf("job result %s: %v", j.Result, err)
		}
	}
	return j, res
}

// errorReport reads a job's error report as "line field" strings.
func (f *impFixture) errorReport(t testing.TB, j job.Job) []string {
	t.Helper()
	if j.ErrorReportKey == "" {
		return nil
	}
	r, err := f.objects.Open(context.Background(), j.ErrorReportKey)
	if err != nil {
		t.Fatalf("open error report: %v", err)
	}
	defer r.Close()
	records, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatalf("read error report: %v", err)
	}
	if len(records) == 0 || strings.Join(records[0], ",") != "line,nip,column,field,pesan,message" {
		t.Fatalf("error report header = %v, want line,nip,column,field,pesan,message", records)
	}
	var out []string
	for _, rec := range records[1:] {
		if rec[4] == "" || rec[5] == "" || rec[4] == rec[5] {
			t.Errorf("error report line %v has not its message in Indonesian and English", rec)
		}
		out = append(out, rec[0]+" "+rec[3])
	}
	return out
}

// errorReportRows reads a job's error report whole, header included.
func (f *impFixture) errorReportRows(t testing.TB, j job.Job) [][]string {
	t.Helper()
	r, err := f.objects.Open(context.Background(), j.ErrorReportKey)
	if err != nil {
		t.Fatalf("open error report: %v", err)
	}
	defer r.Close()
	records, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatalf("read error report: %v", err)
	}
	return records
}

func TestTheErrorReportIsBilingualAndNamesTheColumnAsTheFileDid(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	body := "NIP Baru;Nama Pegawai;Surel;Kode Unit Kerja\r\n" +
		impNIP(1) + ";Ani Wulandari;ani@agency.go.id;UNIT-A\r\n" +
		impNIP(2) + ";Bayu Prasetyo;bayu@agency.go.id;NOPE\r\n" +
		"19851312 201001 1 003;Cici;cici@agency.go.id;UNIT-A\r\n"
	j, res := f.importCSV(t, body, false) // started in English
	if j.Status != job.StatusSucceeded || res.Created != 1 || res.Failed != 2 {
		t.Fatalf("job %s, result %+v; want succeeded with 1 created and 2 refused", j.Status, res)
	}
	rows := f.errorReportRows(t, j)
	if len(rows) != 3 {
		t.Fatalf("error report = %v, want a header and two rows", rows)
	}
	for i, want := range []struct{ line, column, field string }{{"3", "Kode Unit Kerja", "unit_code"}, {"4", "NIP Baru", "nip"}} {
		rec := rows[i+1]
		if rec[0] != want.line || rec[2] != want.column || rec[3] != want.field {
			t.Errorf("report row %v, want line %s, column %q, field %s", rec, want.line, want.column, want.field)
		}
		if rec[4] == "" || rec[5] == "" || rec[4] == rec[5] {
			t.Errorf("report row %v has not its reason in Indonesian (pesan) and English (message)", rec)
		}
	}
}

func (f *impFixture) count(t testing.TB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := f.db.Conn(context.Background()).Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *impFixture) userByNIP(t testing.TB, nip string) userRow {
	t.Helper()
	var r userRow
	if err := f.svc.store.usersWithPath(context.Background()).Where("users.nip = ?", nip).Take(&r).Error; err != nil {
		t.Fatalf("user %s: %v", nip, err)
	}
	return r
}

// impNIP returns a valid NIP: born 12 March 1985, appointed January 2010,
// male, serial n.
func impNIP(n int) string { return fmt.Sprintf("198503122010011%03d", n) }

func impWantKind(t testing.TB, call string, err error, kind apperr.Kind) {
	t.Helper()
	if got := apperr.KindOf(err); err == nil || got != kind {
		t.Fatalf("%s = %v (status %d), want status %d", call, err, got.Status(), kind.Status())
	}
}

// mixedCSV has good rows and one of each kind of bad row; the comment after
// each row is its line number in the file.
func mixedCSV() string {
	rows := []string{
		"Email,NIP,Name,unit_code,position_title,position_type,grade,phone,supervisor_nip",                                // 1
		"ani@agency.go.id," + impNIP(1) + ",Ani Wulandari,UNIT-A,Analis SDM,fungsional,III/c,0812 3456 7890," + impNIP(2), // 2: supervisor comes later
		"bayu@agency.go.id," + impNIP(2) + ",Bayu Prasetyo,UNIT-A,Kepala Bagian,structural,IV/a,,",                        // 3
		"cici@agency.go.id,19851312 201001 1 003,Cici,UNIT-A,,,,,",                                                        // 4: month 13
		"dodi@agency.go.id," + impNIP(4) + ",Dodi,NOPE,,,,,",                                                              // 5: unknown unit
		"eka@agency.go.id," + impNIP(5) + ",Eka,OTHER-UNIT,,,,,",                                                          // 6: outside the subtree
		"ANI@agency.go.id," + impNIP(6) + ",Ani Lain,UNIT-B,,,,,",                                                         // 7: e-mail of line 2
		"fajar@agency.go.id," + impNIP(7) + ",,UNIT-B,,,,,",                                                               // 8: no name
		"gita@agency.go.id,'" + impNIP(8) + ",Gita,UNIT-B,\"Analis\nKepegawaian, Ahli Muda\",executor,II/a,,",             // 9-10: quoted, two lines
		"taken@agency.go.id," + impNIP(9) + ",Hadi,UNIT-B,,,,,",                                                           // 11: e-mail of someone else
		"iwan@agency.go.id," + impNIP(10) + ",Iwan,UNIT-B,,,,,",                                                           // 12: NIP of someone outside
		",,,,,,,,", // 13: blank
		"joko@agency.go.id," + impNIP(11) + ",Joko,UNIT-B,,,,," + impNIP(999), // 14: supervisor nowhere
	}
	return strings.Join(rows, "\r\n") + "\r\n"
}

// seedOthers creates the people the mixed CSV collides with.
func (f *impFixture) seedOthers(t testing.TB) {
	t.Helper()
	for _, in := range []UserInput{
		{Name: "Pemilik Alamat", Email: "taken@agency.go.id", NIP: impNIP(50), OrgID: f.orgs["UNIT-A"].ID},
		{Name: "Pegawai Lain", Email: "iwan.lain@other.go.id", NIP: impNIP(10), OrgID: f.orgs["OTHER-UNIT"].ID},
	} {
		if _, err := f.svc.CreateUser(f.platform, in); err != nil {
			t.Fatalf("CreateUser(%s): %v", in.Email, err)
		}
	}
}

func TestImportUsersTakesGoodRowsAndReportsBadOnesByLine(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	f.seedOthers(t)
	before := f.count(t, "SELECT count(*) FROM users")

	j, res := f.importCSV(t, mixedCSV(), false)
	if j.Status != job.StatusSucceeded || j.Done != 11 || j.Total != 11 || j.FinishedAt == nil {
		t.Fatalf("job = %+v, want succeeded with 11/11 rows done", j)
	}
	want := ImportResult{Rows: 11, Created: 4, Failed: 7, Warnings: 1}
	if res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	wantReport := []string{"4 nip", "5 unit_code", "6 unit_code", "7 email", "8 name", "11 email", "12 nip", "14 supervisor_nip"}
	if got := f.errorReport(t, j); strings.Join(got, "|") != strings.Join(wantReport, "|") {
		t.Errorf("error report = %v, want %v", got, wantReport)
	}
	if got := f.count(t, "SELECT count(*) FROM users"); got != before+4 {
		t.Errorf("users = %d, want %d", got, before+4)
	}

	ani, bayu, gita := f.userByNIP(t, impNIP(1)), f.userByNIP(t, impNIP(2)), f.userByNIP(t, impNIP(8))
	if ani.Name != "Ani Wulandari" || ani.Email != "ani@agency.go.id" || ani.OrgID != f.orgs["UNIT-A"].ID ||
		database.EmptyIfNull(ani.PositionType) != "functional" || database.EmptyIfNull(ani.Grade) != "III/c" || database.EmptyIfNull(ani.Phone) != "081234567890" ||
		ani.SupervisorID == nil || *ani.SupervisorID != bayu.ID || ani.PasswordHash != nil || ani.Status != string(StatusActive) {
		t.Errorf("Ani = %+v, want her row imported with Bayu as supervisor and no password", ani)
	}
	if database.EmptyIfNull(gita.PositionTitle) != "Analis\nKepegawaian, Ahli Muda" || database.EmptyIfNull(gita.PositionType) != "executor" {
		t.Errorf("Gita = %+v, want the quoted two-line position title", gita)
	}
	if joko := f.userByNIP(t, impNIP(11)); joko.SupervisorID != nil {
		t.Errorf("Joko's supervisor = %v, want none (the supervisor's NIP is nowhere)", joko.SupervisorID)
	}
	if outsider := f.userByNIP(t, impNIP(10)); outsider.Name != "Pegawai Lain" || outsider.OrgID != f.orgs["OTHER-UNIT"].ID {
		t.Errorf("person outside the subtree = %+v, want untouched", outsider)
	}

	entries := f.count(t, "SELECT count(*) FROM audit_log WHERE action = 'user.import' AND entity_id = ?", j.ID.String())
	perRow := f.count(t, "SELECT count(*) FROM audit_log WHERE action = 'user.create' AND entity_id IN (?)", []string{ani.ID.String(), bayu.ID.String()})
	if entries != 1 || perRow != 0 {
		t.Errorf("audit: %d user.import entries and %d per-row entries, want 1 and 0", entries, perRow)
	}
	var after string
	_ = f.db.Conn(context.Background()).Raw("SELECT after::text FROM audit_log WHERE action = 'user.import'").Scan(&after)
	if !strings.Contains(after, `"created": 4`) {
		t.Errorf("audit entry = %s, want the counts", after)
	}

	// A task delivered again for the finished job changes nothing.
	if err := f.im.Run(context.Background(), j.ID); err != nil {
		t.Fatalf("Run(redelivered) = %v", err)
	}
	again, _ := f.finished(t, j.ID)
	if !again.FinishedAt.Equal(*j.FinishedAt) || string(again.Result) != string(j.Result) {
		t.Errorf("job after redelivery = %+v, want unchanged", again)
	}
	if n := f.count(t, "SELECT count(*) FROM audit_log WHERE action = 'user.import'"); n != 1 {
		t.Errorf("user.import entries after redelivery = %d, want 1", n)
	}
}

func TestImportUsersAgainChangesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	f.seedOthers(t)
	_, first := f.importCSV(t, mixedCSV(), false)
	users := f.count(t, "SELECT count(*) FROM users")
	ani := f.userByNIP(t, impNIP(1))

	_, res := f.importCSV(t, mixedCSV(), false)
	want := ImportResult{Rows: 11, Unchanged: 4, Failed: 7, Warnings: 1}
	if res != want {
		t.Errorf("result of the same file again = %+v, want %+v (first run: %+v)", res, want, first)
	}
	if got := f.count(t, "SELECT count(*) FROM users"); got != users {
		t.Errorf("users after the same file again = %d, want %d", got, users)
	}
	if again := f.userByNIP(t, impNIP(1)); !again.UpdatedAt.Equal(ani.UpdatedAt) {
		t.Errorf("Ani's updated_at moved from %v to %v, want untouched", ani.UpdatedAt, again.UpdatedAt)
	}

	// HR promotes Ani and moves Bayu to unit B; the file has fewer columns,
	// so the fields it lacks (grade, phone, supervisor) are left alone.
	changed := "nip;nama;email;kode_unit;jabatan\n" +
		impNIP(1) + ";Ani Wulandari;ani@agency.go.id;UNIT-A;Analis SDM Ahli Madya\n" +
		impNIP(2) + ";Bayu Prasetyo;bayu@agency.go.id;UNIT-B;Kepala Bagian\n" +
		impNIP(8) + ";Gita;gita@agency.go.id;UNIT-B;\"Analis\nKepegawaian, Ahli Muda\"\n"
	j, res := f.importCSV(t, "\xef\xbb\xbf"+changed, false)
	want = ImportResult{Rows: 3, Updated: 2, Unchanged: 1}
	if res != want || j.ErrorReportKey != "" {
		t.Errorf("result of the changed file = %+v (report %q), want %+v and no report", res, j.ErrorReportKey, want)
	}
	ani, bayu := f.userByNIP(t, impNIP(1)), f.userByNIP(t, impNIP(2))
	if database.EmptyIfNull(ani.PositionTitle) != "Analis SDM Ahli Madya" || database.EmptyIfNull(ani.Grade) != "III/c" || ani.SupervisorID == nil || *ani.SupervisorID != bayu.ID {
		t.Errorf("Ani = %+v, want the new title and her grade and supervisor kept", ani)
	}
	if bayu.OrgID != f.orgs["UNIT-B"].ID {
		t.Errorf("Bayu's org = %v, want UNIT-B", bayu.OrgID)
	}
	transfers, err := f.svc.store.transfers(context.Background(), bayu.ID)
	if err != nil || len(transfers) != 1 || transfers[0].FromOrgID != f.orgs["UNIT-A"].ID || transfers[0].ToOrgID != f.orgs["UNIT-B"].ID {
		t.Errorf("Bayu's transfers = %+v, %v; want one from UNIT-A to UNIT-B", transfers, err)
	}
	if got := f.count(t, "SELECT count(*) FROM users"); got != users {
		t.Errorf("users after the changed file = %d, want %d", got, users)
	}
}

func TestImportUsersLinksSupervisorsWhereverTheyAre(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	f.im.batchSize = 1 // every row its own batch: a supervisor later in the file is linked at the end
	boss, err := f.svc.CreateUser(f.platform, UserInput{Name: "Kepala", Email: "kepala@agency.go.id", NIP: impNIP(60), OrgID: f.orgs["UNIT-A"].ID})
	if err != nil {
		t.Fatal(err)
	}
	file := func(aSupervisor string) string {
		return "nip,name,email,unit_code,supervisor_nip\n" +
			impNIP(1) + ",A,a@agency.go.id,UNIT-A," + aSupervisor + "\n" + // later in the file
			impNIP(2) + ",B,b@agency.go.id,UNIT-A," + impNIP(60) + "\n" + // already in Corpu
			impNIP(3) + ",C,c@agency.go.id,UNIT-A," + impNIP(1) + "\n" + // earlier in the file
			impNIP(4) + ",D,d@agency.go.id,UNIT-A," + impNIP(99) + "\n" // nowhere
	}
	supervisorOf := func(nip string) *uuid.UUID { return f.userByNIP(t, nip).SupervisorID }
	check := func(run string, wantA uuid.UUID) {
		t.Helper()
		for _, c := range []struct {
			nip  string
			want *uuid.UUID
		}{{impNIP(1), &wantA}, {impNIP(2), &boss.ID}, {impNIP(3), ptr(f.userByNIP(t, impNIP(1)).ID)}, {impNIP(4), nil}} {
			if got := supervisorOf(c.nip); !sameID(got, c.want) {
				t.Errorf("%s: supervisor of %s = %v, want %v", run, c.nip, got, c.want)
			}
		}
	}

	j, res := f.importCSV(t, file(impNIP(2)), false)
	if want := (ImportResult{Rows: 4, Created: 4, Warnings: 1}); res != want {
		t.Errorf("first import = %+v, want %+v", res, want)
	}
	if got := f.errorReport(t, j); strings.Join(got, "|") != "5 supervisor_nip" {
		t.Errorf("error report = %v, want a warning for line 5", got)
	}
	check("first import", f.userByNIP(t, impNIP(2)).ID)

	if _, res = f.importCSV(t, file(impNIP(2)), false); res != (ImportResult{Rows: 4, Unchanged: 4, Warnings: 1}) {
		t.Errorf("same file again = %+v, want 4 unchanged", res)
	}
	// Only A's supervisor changes, to someone later in the file.
	if _, res = f.importCSV(t, file(impNIP(4)), false); res != (ImportResult{Rows: 4, Updated: 1, Unchanged: 3, Warnings: 1}) {
		t.Errorf("file with a new supervisor for A = %+v, want 1 updated", res)
	}
	check("new supervisor", f.userByNIP(t, impNIP(4)).ID)
}

func TestImportUsersDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	f.seedOthers(t)
	users := f.count(t, "SELECT count(*) FROM users")

	j, res := f.importCSV(t, mixedCSV(), true)
	want := ImportResult{Rows: 11, Created: 4, Failed: 7, Warnings: 1, DryRun: true}
	if j.Status != job.StatusSucceeded || res != want {
		t.Errorf("dry run = %s %+v, want succeeded %+v", j.Status, res, want)
	}
	// Joko's supervisor is in neither the file nor Corpu: still reported.
	wantReport := []string{"4 nip", "5 unit_code", "6 unit_code", "7 email", "8 name", "11 email", "12 nip", "14 supervisor_nip"}
	if got := f.errorReport(t, j); strings.Join(got, "|") != strings.Join(wantReport, "|") {
		t.Errorf("dry-run error report = %v, want %v", got, wantReport)
	}
	if got := f.count(t, "SELECT count(*) FROM users"); got != users {
		t.Errorf("users after a dry run = %d, want %d", got, users)
	}
	if n := f.count(t, "SELECT count(*) FROM audit_log WHERE action = 'user.import'"); n != 0 {
		t.Errorf("user.import audit entries after a dry run = %d, want 0", n)
	}
}

func TestImportUsersStartIsAuthorizedAndQueuesTheTask(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	csvBody := []byte("nip,name,email,unit_code\n" + impNIP(1) + ",Ani,ani@agency.go.id,UNIT-A\n")
	file := f.upload(t, f.admin, upload.PurposeUserImport, csvBody)
	agency := f.orgs["AGENCY"].ID

	learner := f.person(t, "learner@agency.go.id", "AGENCY", authz.RoleLearner)
	stranger := f.person(t, "admin@other.go.id", "OTHER", authz.RoleOrgAdmin)
	pdf := f.upload(t, f.admin, upload.PurposeAssignmentSubmission, []byte("%PDF-1.4\n%%EOF\n"))
	tests := []struct {
		name string
		ctx  context.Context
		in   ImportInput
		want apperr.Kind
	}{
		{"sees the org but may not import", learner, ImportInput{FileID: file.ID, OrgID: agency}, apperr.KindForbidden},
		{"does not see the org", stranger, ImportInput{FileID: file.ID, OrgID: agency}, apperr.KindNotFound},
		{"no such org", f.admin, ImportInput{FileID: file.ID, OrgID: uuid.New()}, apperr.KindNotFound},
		{"not signed in", context.Background(), ImportInput{FileID: file.ID, OrgID: agency}, apperr.KindUnauthorized},
		{"someone else's file", f.person(t, "admin2@agency.go.id", "AGENCY", authz.RoleOrgAdmin), ImportInput{FileID: file.ID, OrgID: agency}, apperr.KindInvalid},
		{"no such file", f.admin, ImportInput{FileID: uuid.New(), OrgID: agency}, apperr.KindInvalid},
		{"file of another purpose", f.admin, ImportInput{FileID: pdf.ID, OrgID: agency}, apperr.KindInvalid},
		{"nothing given", f.admin, ImportInput{}, apperr.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.im.Start(tt.ctx, tt.in)
			impWantKind(t, "Start", err, tt.want)
		})
	}
	if n := f.count(t, "SELECT count(*) FROM jobs"); n != 0 {
		t.Errorf("jobs after refused starts = %d, want 0", n)
	}

	j, err := f.im.Start(f.admin, ImportInput{FileID: file.ID, OrgID: agency})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if j.Status != job.StatusQueued || j.Kind != JobKindUserImport || j.OrgID != agency {
		t.Errorf("Start() = %+v, want a queued user_import job", j)
	}
	var row struct{ Payload []byte }
	if err := f.db.Conn(context.Background()).Raw("SELECT payload FROM outbox WHERE task_type = ?", TypeImportUsers).Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	var payload ImportPayload
	if err := json.Unmarshal(row.Payload, &payload); err != nil || payload.JobID != j.ID {
		t.Errorf("outbox payload = %s, want the job id", row.Payload)
	}
}

func TestImportUsersRunsThroughTheQueue(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	rdb, names := queue.NewTestRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	worker := queue.NewWorker(rdb, names, queue.WorkerOptions{Concurrency: 2, ShutdownTimeout: 5 * time.Second, Log: slog.New(slog.DiscardHandler)})
	worker.Handle(TypeImportUsers, f.im.HandleImportUsers)
	done := make(chan error, 1)
	go func() { done <- worker.Run(ctx) }()

	file := f.upload(t, f.admin, upload.PurposeUserImport, []byte("nip,name,email,unit_code\n"+impNIP(1)+",Ani,ani@agency.go.id,UNIT-A\n"))
	j, err := f.im.Start(f.admin, ImportInput{FileID: file.ID, OrgID: f.orgs["AGENCY"].ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := queue.NewRelay(f.db, rdb, names, slog.New(slog.DiscardHandler)).RelayOnce(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, res := f.finished(t, j.ID)
		if got.Status.Final() {
			if got.Status != job.StatusSucceeded || res.Created != 1 {
				t.Errorf("job = %+v %+v, want succeeded with one person created", got, res)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s after 20 s", got.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("worker Run = %v", err)
	}
}

func TestImportUsersFailsOnAFileWithoutTheRequiredColumns(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	j, _ := f.importCSV(t, "nip,nama,jabatan\n"+impNIP(1)+",Ani,Analis\n", false)
	if j.Status != job.StatusFailed || !strings.Contains(j.Error, "email, unit_code") {
		t.Errorf("job = %s %q, want failed naming the missing columns email and unit_code", j.Status, j.Error)
	}
}

func TestImportUsersReportsUnreadableRowsAndGoesOn(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	body := "nip,name,email,unit_code\n" +
		impNIP(1) + ",Abdul \"Dul\" Rahman,a@agency.go.id,UNIT-A\n" + // 2: a bare quote
		impNIP(2) + ",Sigit Pr\xe9tomo,b@agency.go.id,UNIT-A\n" + // 3: Latin-1, not UTF-8
		impNIP(3) + ",=SUM(A1),c@agency.go.id,UNIT-A\n" + // 4: fine, if odd
		"=1+1,D,d@agency.go.id,UNIT-A\n" // 5: a formula where the NIP should be
	j, res := f.importCSV(t, body, false)
	if want := (ImportResult{Rows: 4, Created: 1, Failed: 3}); j.Status != job.StatusSucceeded || res != want {
		t.Fatalf("import = %s %+v, want succeeded %+v", j.Status, res, want)
	}
	if got := f.errorReport(t, j); strings.Join(got, "|") != "2 |3 |5 nip" {
		t.Errorf("error report = %v, want lines 2 and 3 (whole row) and 5 (nip)", got)
	}
	r, err := f.objects.Open(context.Background(), j.ErrorReportKey)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	records, _ := csv.NewReader(r).ReadAll()
	if last := records[len(records)-1]; last[1] != "'=1+1" {
		t.Errorf("reported NIP = %q, want the formula defused as '=1+1", last[1])
	}
}

// cancellingJobs is the real job service, cancelled by its owner as soon as
// the import reports its first progress.
type cancellingJobs struct {
	*job.Service
	owner context.Context
}

func (c cancellingJobs) Progress(ctx context.Context, id uuid.UUID, done, total int) error {
	if _, err := c.Cancel(c.owner, id); err != nil {
		return err
	}
	return c.Service.Progress(ctx, id, done, total)
}

func TestCancelledImportStopsAfterTheBatchInFlight(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	f.im.jobs = cancellingJobs{Service: f.jobs, owner: f.admin}
	f.im.batchSize = 2
	var b strings.Builder
	b.WriteString("nip,name,email,unit_code\n")
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&b, "%s,Pegawai %d,p%d@agency.go.id,UNIT-A\n", impNIP(i), i, i)
	}
	users := f.count(t, "SELECT count(*) FROM users")
	j, _ := f.importCSV(t, b.String(), false)
	if j.Status != job.StatusCancelled {
		t.Errorf("job status = %s, want cancelled", j.Status)
	}
	if got := f.count(t, "SELECT count(*) FROM users"); got != users+2 {
		t.Errorf("users = %d, want %d: the first batch is kept, nothing after it", got, users+2)
	}
	if n := f.count(t, "SELECT count(*) FROM audit_log WHERE action = 'user.import'"); n != 1 {
		t.Errorf("user.import audit entries = %d, want 1 for the people written before the cancel", n)
	}
}

func TestUserImportEndpoint(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	file := f.upload(t, f.admin, upload.PurposeUserImport, []byte("nip,name,email,unit_code\n"+impNIP(1)+",Ani,ani@agency.go.id,UNIT-A\n"))
	actor, _ := authz.ActorFrom(f.admin)
	e := web.New(web.Options{
		Config: config.HTTP{BodyLimitBytes: 1 << 20, RequestTimeoutSeconds: 30},
		Log:    slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
	})
	api := e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.SetRequest(c.Request().WithContext(authz.WithActor(c.Request().Context(), actor)))
			return next(c)
		}
	})
	NewImportHandler(f.im).Mount(api)
	job.NewHandler(f.jobs).Mount(api)
	call := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", "en")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}

	rec := call("POST", "/api/v1/user-imports", `{"file_id":"`+file.ID.String()+`","org_id":"`+f.orgs["AGENCY"].ID.String()+`","dry_run":true}`)
	if rec.Code != http.StatusAccepted || !strings.HasPrefix(rec.Header().Get("Location"), "/api/v1/jobs/") {
		t.Fatalf("POST /user-imports = %d %s (Location %q), want 202 with the job's location", rec.Code, rec.Body, rec.Header().Get("Location"))
	}
	var started struct {
		ID     uuid.UUID `json:"id"`
		Status string    `json:"status"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &started)
	if started.Status != "queued" || job.Location(started.ID) != rec.Header().Get("Location") {
		t.Errorf("POST /user-imports body = %s, want the queued job", rec.Body)
	}
	if err := f.im.Run(context.Background(), started.ID); err != nil {
		t.Fatal(err)
	}
	rec = call("GET", rec.Header().Get("Location"), "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"succeeded"`) || !strings.Contains(rec.Body.String(), `"dry_run":true`) {
		t.Errorf("GET job = %d %s, want the succeeded dry run", rec.Code, rec.Body)
	}
	rec = call("POST", "/api/v1/user-imports", `{"file_id":"`+file.ID.String()+`","org_id":"`+f.orgs["OTHER"].ID.String()+`"}`)
	if rec.Code != http.StatusNotFound {
		t.Errorf("POST /user-imports (org not visible) = %d %s, want 404", rec.Code, rec.Body)
	}
}

func TestImportUsersVoidsOldLinksEndsOldGrantsAndAnnouncesItself(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	f.importCSV(t, "nip,name,email,unit_code\n"+impNIP(1)+",Ani Wulandari,ani@agency.go.id,UNIT-A\n", false)
	ani := f.userByNIP(t, impNIP(1))
	ctx := context.Background()
	now := time.Now().UTC()
	if err := (authStore{db: f.db}).createOneTime(ctx, oneTimeRow{ID: uuid.Must(uuid.NewV7()), UserID: ani.ID, Purpose: purposeResetPassword,
		TokenHash: []byte("reset-link-to-the-old-address"), ExpiresAt: now.Add(time.Hour), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Grant(f.platform, ani.ID, authz.RoleMentor, f.orgs["UNIT-A"].ID); err != nil {
		t.Fatal(err)
	}

	// HR gives Ani a new address and moves her to unit B.
	f.importCSV(t, "nip,name,email,unit_code\n"+impNIP(1)+",Ani Wulandari,ani.baru@agency.go.id,UNIT-B\n", false)
	if n := f.count(t, "SELECT count(*) FROM one_time_tokens WHERE user_id = ? AND used_at IS NULL", ani.ID); n != 0 {
		t.Errorf("usable links of Ani after her address changed = %d, want 0", n)
	}
	if n := f.count(t, "SELECT count(*) FROM role_grants WHERE user_id = ? AND role = 'mentor' AND ended_at IS NOT NULL", ani.ID); n != 1 {
		t.Errorf("Ani's mentor grant in unit A ended = %d, want 1", n)
	}
	if n := f.count(t, "SELECT count(*) FROM outbox WHERE task_type = ? AND convert_from(payload, 'UTF8')::jsonb->>'user_id' = ?", EventUserTransferred, ani.ID.String()); n != 1 {
		t.Errorf("%s events for Ani = %d, want 1", EventUserTransferred, n)
	}
	if n := f.count(t, "SELECT count(*) FROM outbox WHERE task_type = ?", EventUsersImported); n != 2 {
		t.Errorf("%s events = %d, want one per written batch (2)", EventUsersImported, n)
	}
}
