package app

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/course"
	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/identity"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/upload"
)

// The national data set: every civil servant of Indonesia in the shape of
// the real government, made through the product's own paths (organisations
// by the identity service, people by the HR import job, grants by the
// service, enrolments by assignment), so what it measures is what the
// product does. It is deterministic: person j of unit u always has the same
// NIP, so running it again, or for a larger size, reuses what exists and
// adds only what is missing.

// ScaleReport is what a run made and how long each part took.
type ScaleReport struct {
	OrgsCreated, OrgsReused        int
	ProvincesImported, Imported    int
	GrantsCreated, GrantsReused    int
	Assigned                       int
	Orgs, Import, Grants, Enrol    time.Duration
	OverseerNIPs, SupervisorNIPs   []string
	ProvinceIDs                    map[string]uuid.UUID
	UnitIDs                        map[string]uuid.UUID
	DemoVersionID, BPSDMNationalID uuid.UUID
}

// GenerateScale makes (or completes) the national data set.
func (a *App) GenerateScale(ctx context.Context, opt ScaleOptions) (ScaleReport, error) {
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := a.Seed(ctx); err != nil {
		return ScaleReport{}, fmt.Errorf("seed: %w", err)
	}
	admin, _, err := a.actingAs(ctx, "198001012005011001")
	if err != nil {
		return ScaleReport{}, err
	}
	units := ScaleUnits(opt.People)
	rep := ScaleReport{ProvinceIDs: map[string]uuid.UUID{}, UnitIDs: map[string]uuid.UUID{}}

	start := time.Now()
	if err := a.scaleOrgs(admin, units, opt.Workers, &rep, log); err != nil {
		return rep, err
	}
	rep.Orgs = time.Since(start)
	log.Info("organisations in place", "created", rep.OrgsCreated, "reused", rep.OrgsReused, "took", rep.Orgs)

	start = time.Now()
	byProvince := make([][]ScaleUnit, len(ScaleProvinces))
	for _, u := range units {
		byProvince[u.Province] = append(byProvince[u.Province], u)
	}
	if opt.OneFile {
		if err := a.scaleImportNational(admin, units, &rep, log); err != nil {
			return rep, err
		}
	}
	for p, us := range byProvince {
		if err := a.scaleImport(admin, p, us, &rep, log); err != nil {
			return rep, err
		}
	}
	rep.Import = time.Since(start)
	log.Info("people in place", "imported", rep.Imported, "provinces", rep.ProvincesImported, "took", rep.Import)

	start = time.Now()
	if err := a.scaleGrants(admin, byProvince, opt.Workers, &rep); err != nil {
		return rep, err
	}
	rep.Grants = time.Since(start)
	log.Info("supervisors in place", "created", rep.GrantsCreated, "reused", rep.GrantsReused, "took", rep.Grants)

	if opt.EnrolEvery > 0 {
		start = time.Now()
		if err := a.scaleEnrol(admin, byProvince, opt, &rep, log); err != nil {
			return rep, err
		}
		rep.Enrol = time.Since(start)
		log.Info("enrolments in place", "assigned", rep.Assigned, "took", rep.Enrol)
	}
	return rep, nil
}

// parallel runs fn(i) for i in [0, n) on workers goroutines; the first error stops it.
func parallel(n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// scaleOrgs creates the provinces (under the ministry of home affairs, as
// the demo tree has them), their regencies and units, reusing every
// organisation whose code exists.
func (a *App) scaleOrgs(admin context.Context, units []ScaleUnit, workers int, rep *ScaleReport, log *slog.Logger) error {
	ministry, err := a.scaleOrgByCode(admin, uuid.Nil, "KEMENDAGRI")
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var created, reused atomic.Int64
	ensure := func(existing map[string]uuid.UUID, in identity.OrgInput) (uuid.UUID, error) {
		mu.Lock()
		id, ok := existing[in.Code]
		mu.Unlock()
		if ok {
			reused.Add(1)
			return id, nil
		}
		o, err := a.identity.CreateOrg(admin, in)
		if err != nil {
			return uuid.Nil, fmt.Errorf("create %s: %w", in.Code, err)
		}
		created.Add(1)
		mu.Lock()
		existing[in.Code] = o.ID
		mu.Unlock()
		return o.ID, nil
	}
	top, err := a.scaleSubtree(admin, ministry, true)
	if err != nil {
		return err
	}
	for p, prov := range ScaleProvinces {
		id, err := ensure(top, identity.OrgInput{ParentID: &ministry, Kind: identity.KindProvince, Code: scaleProvinceCode(p),
			Name: "Pemerintah Provinsi " + prov.Name + " (skala)", RegionCode: prov.Code})
		if err != nil {
			return err
		}
		rep.ProvinceIDs[scaleProvinceCode(p)] = id
	}
	// Everything under each province, in one walk of its subtree.
	existing := map[string]uuid.UUID{}
	for p := range ScaleProvinces {
		sub, err := a.scaleSubtree(admin, rep.ProvinceIDs[scaleProvinceCode(p)], false)
		if err != nil {
			return err
		}
		for k, v := range sub {
			existing[k] = v
		}
	}
	type regency struct{ p, r int }
	var regencies []regency
	for p, prov := range ScaleProvinces {
		for r := 1; r <= prov.Regencies; r++ {
			regencies = append(regencies, regency{p, r})
		}
	}
	err = parallel(len(regencies), workers, func(i int) error {
		g := regencies[i]
		parent := rep.ProvinceIDs[scaleProvinceCode(g.p)]
		kind := "Kabupaten"
		if g.r%5 == 0 {
			kind = "Kota"
		}
		_, err := ensure(existing, identity.OrgInput{ParentID: &parent, Kind: identity.KindRegency, Code: scaleRegencyCode(g.p, g.r),
			Name:       fmt.Sprintf("Pemerintah %s %s %02d", kind, ScaleProvinces[g.p].Name, g.r),
			RegionCode: fmt.Sprintf("%s.%02d", ScaleProvinces[g.p].Code, g.r)})
		return err
	})
	if err != nil {
		return err
	}
	log.Info("regencies in place", "count", len(regencies))
	err = parallel(len(units), workers, func(i int) error {
		u := units[i]
		mu.Lock()
		parent := existing[scaleRegencyCode(u.Province, u.Regency)]
		mu.Unlock()
		_, err := ensure(existing, identity.OrgInput{ParentID: &parent, Kind: identity.KindWorkUnit, Code: u.Code(),
			Name:       fmt.Sprintf("%s %s %02d-%02d", scaleUnitNames[u.Unit%len(scaleUnitNames)], ScaleProvinces[u.Province].Name, u.Regency, u.Unit),
			RegionCode: fmt.Sprintf("%s.%02d", ScaleProvinces[u.Province].Code, u.Regency)})
		if i%2000 == 0 {
			log.Info("units", "done", i, "of", len(units))
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, u := range units {
		rep.UnitIDs[u.Code()] = existing[u.Code()]
	}
	rep.OrgsCreated, rep.OrgsReused = int(created.Load()), int(reused.Load())
	return nil
}

// scaleSubtree returns the codes and ids of an organisation's subtree (or
// only its children), through the paged organisations list.
func (a *App) scaleSubtree(admin context.Context, root uuid.UUID, childrenOnly bool) (map[string]uuid.UUID, error) {
	out := map[string]uuid.UUID{}
	f := identity.OrgFilter{RootID: root}
	if childrenOnly {
		f = identity.OrgFilter{ParentID: root}
	}
	req := page.Request{Limit: 200}
	for {
		res, err := a.identity.Orgs(admin, f, req)
		if err != nil {
			return nil, err
		}
		for _, o := range res.Items {
			out[o.Code] = o.ID
		}
		if res.NextCursor == "" {
			return out, nil
		}
		req.Cursor = res.NextCursor
	}
}

func (a *App) scaleOrgByCode(admin context.Context, _ uuid.UUID, code string) (uuid.UUID, error) {
	req := page.Request{Limit: 200}
	for {
		res, err := a.identity.Orgs(admin, identity.OrgFilter{}, req)
		if err != nil {
			return uuid.Nil, err
		}
		for _, o := range res.Items {
			if o.Code == code {
				return o.ID, nil
			}
		}
		if res.NextCursor == "" {
			return uuid.Nil, fmt.Errorf("organisation %s is missing", code)
		}
		req.Cursor = res.NextCursor
	}
}

// scaleImport brings a province's people in through the HR import: one CSV
// upload per province (the largest, Jawa Timur at 4.3 million people, is
// about 50 MB, under the upload limit), run as the worker would run it. A
// province whose last person exists is skipped.
func (a *App) scaleImport(admin context.Context, p int, units []ScaleUnit, rep *ScaleReport, log *slog.Logger) error {
	last := units[len(units)-1]
	probe := []string{ScaleNIP(units[0].Index, units[0].People-1), ScaleNIP(last.Index, last.People-1)}
	found, err := a.identity.PeopleByNIP(admin, probe)
	if err != nil {
		return err
	}
	if len(found) == len(probe) {
		return nil
	}
	body := scaleCSV(units)
	pending, err := a.uploads.Create(admin, upload.Input{Purpose: upload.PurposeUserImport, Filename: "pegawai-" + ScaleProvinces[p].Code + ".csv",
		ContentType: "text/csv", Size: int64(len(body)), OrgID: rep.ProvinceIDs[scaleProvinceCode(p)]})
	if err != nil {
		return fmt.Errorf("upload %s: %w", ScaleProvinces[p].Name, err)
	}
	req, err := http.NewRequestWithContext(admin, pending.Method, pending.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range pending.Headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT the %s file = %d", ScaleProvinces[p].Name, res.StatusCode)
	}
	file, err := a.uploads.Complete(admin, pending.UploadID, "")
	if err != nil {
		return fmt.Errorf("complete upload %s: %w", ScaleProvinces[p].Name, err)
	}
	j, err := a.importer.Start(admin, identity.ImportInput{FileID: file.ID, OrgID: rep.ProvinceIDs[scaleProvinceCode(p)], Lang: "en"})
	if err != nil {
		return fmt.Errorf("start import %s: %w", ScaleProvinces[p].Name, err)
	}
	start := time.Now()
	if err := a.importer.Run(context.WithoutCancel(admin), j.ID); err != nil {
		return fmt.Errorf("import %s: %w", ScaleProvinces[p].Name, err)
	}
	done, err := a.jobs.Get(admin, j.ID)
	if err != nil {
		return err
	}
	rows := 0
	for _, u := range units {
		rows += u.People
	}
	took := time.Since(start)
	log.Info("imported", "province", ScaleProvinces[p].Name, "rows", rows, "bytes", len(body), "took", took.Round(time.Millisecond),
		"rows_per_s", int(float64(rows)/took.Seconds()), "status", done.Status, "result", string(done.Result))
	rep.ProvincesImported++
	rep.Imported += rows
	return nil
}

// scaleGrants makes the head of every unit its supervisor (a grant of role
// supervisor on the unit) and the head of each province's first unit the
// province-wide overseer (the same role on the province).
func (a *App) scaleGrants(admin context.Context, byProvince [][]ScaleUnit, workers int, rep *ScaleReport) error {
	type grant struct {
		nip   string
		orgID uuid.UUID
	}
	var grants []grant
	for p, units := range byProvince {
		head := ScaleNIP(units[0].Index, 0)
		grants = append(grants, grant{head, rep.ProvinceIDs[scaleProvinceCode(p)]})
		rep.OverseerNIPs = append(rep.OverseerNIPs, head)
		for _, u := range units {
			grants = append(grants, grant{ScaleNIP(u.Index, 0), rep.UnitIDs[u.Code()]})
		}
		rep.SupervisorNIPs = append(rep.SupervisorNIPs, ScaleNIP(units[len(units)/2].Index, 0))
	}
	ids := map[string]uuid.UUID{}
	for i := 0; i < len(grants); i += 1000 {
		var nips []string
		for _, g := range grants[i:min(i+1000, len(grants))] {
			nips = append(nips, g.nip)
		}
		people, err := a.identity.PeopleByNIP(admin, nips)
		if err != nil {
			return err
		}
		for nip, u := range people {
			ids[nip] = u.ID
		}
	}
	var created, reused atomic.Int64
	err := parallel(len(grants), workers, func(i int) error {
		g := grants[i]
		id, ok := ids[g.nip]
		if !ok {
			return fmt.Errorf("head %s was not imported", g.nip)
		}
		_, err := a.identity.Grant(admin, id, authz.RoleSupervisor, g.orgID)
		switch {
		case errors.Is(err, identity.ErrGrantExists):
			reused.Add(1)
		case err != nil:
			return fmt.Errorf("grant supervisor to %s: %w", g.nip, err)
		default:
			created.Add(1)
		}
		return nil
	})
	rep.GrantsCreated, rep.GrantsReused = int(created.Load()), int(reused.Load())
	return err
}

// scaleEnrol opens one class of the national demo course per province at
// the national institute and assigns every n-th unit to it, a unit per call
// as a training officer would.
func (a *App) scaleEnrol(admin context.Context, byProvince [][]ScaleUnit, opt ScaleOptions, rep *ScaleReport, log *slog.Logger) error {
	courses, err := a.courses.Courses(admin, course.CourseFilter{Query: demoCourseCode}, page.Request{Limit: 1})
	if err != nil || len(courses.Items) == 0 || courses.Items[0].PublishedVersionID == nil {
		return fmt.Errorf("the demo course is missing: %v", err)
	}
	version := *courses.Items[0].PublishedVersionID
	institute, err := a.scaleOrgByCode(admin, uuid.Nil, "BPSDM-KEMENDAGRI")
	if err != nil {
		return err
	}
	rep.DemoVersionID, rep.BPSDMNationalID = version, institute
	classes := map[string]delivery.Class{}
	req := page.Request{Limit: 200}
	for {
		res, err := a.delivery.Classes(admin, delivery.ClassFilter{OrgID: institute}, req)
		if err != nil {
			return err
		}
		for _, c := range res.Items {
			classes[c.Code] = c
		}
		if res.NextCursor == "" {
			break
		}
		req.Cursor = res.NextCursor
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	classOf := make([]uuid.UUID, len(byProvince))
	var chosen []ScaleUnit
	for p, units := range byProvince {
		code := "SCALE-" + ScaleProvinces[p].Code
		c, ok := classes[code]
		if !ok {
			c, err = a.delivery.CreateClass(admin, delivery.ClassInput{VersionID: version, OrgID: institute, Code: code,
				Title: "Literasi Digital ASN " + ScaleProvinces[p].Name, StartsOn: today, EndsOn: today.AddDate(0, 6, 0),
				Capacity: 100000, Policy: delivery.PolicyAssigned, RegionCode: ScaleProvinces[p].Code})
			if err != nil {
				return fmt.Errorf("class %s: %w", code, err)
			}
		}
		classOf[p] = c.ID
		want := 0
		for _, u := range units {
			if u.Index%opt.EnrolEvery == 0 {
				want += u.People
			}
		}
		if c.SeatsTaken >= want {
			continue // assigned on an earlier run
		}
		for _, u := range units {
			if u.Index%opt.EnrolEvery == 0 {
				chosen = append(chosen, u)
			}
		}
	}
	// Enrolments come from the whole country at once, not a province after
	// another: the units are assigned in a stable shuffled order, so the
	// enrolments' ids (time-ordered) interleave the provinces as they would.
	// With EnrolByProvince the provinces come one after another instead.
	slices.SortFunc(chosen, func(x, y ScaleUnit) int {
		if opt.EnrolByProvince && x.Province != y.Province {
			return cmp.Compare(x.Province, y.Province)
		}
		return cmp.Compare(mix(uint64(x.Index)), mix(uint64(y.Index)))
	})
	var assigned atomic.Int64
	err = parallel(len(chosen), opt.Workers, func(i int) error {
		u := chosen[i]
		res, err := a.delivery.EnrolInBulk(admin, classOf[u.Province], delivery.BulkEnrolInput{OrgID: rep.UnitIDs[u.Code()]})
		if err != nil {
			return fmt.Errorf("assign %s: %w", u.Code(), err)
		}
		if n := assigned.Add(int64(len(res.Assigned))); i%500 == 0 {
			log.Info("assigned", "units", i, "of", len(chosen), "learners", n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep.Assigned = int(assigned.Load())
	return nil
}
