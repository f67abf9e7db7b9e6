package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/identity"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/upload"
)

// scaleImportNational imports every person of units from one national HR
// file, as SIASN exports the whole country: the file is written to disk a
// unit at a time, uploaded in parts straight to the object store and
// imported by one job. The log line says the rows per second and the peak
// heap and resident memory of the process while the import ran. Nothing is
// done when the first and the last person exist already.
func (a *App) scaleImportNational(admin context.Context, units []ScaleUnit, rep *ScaleReport, log *slog.Logger) error {
	last := units[len(units)-1]
	probe := []string{ScaleNIP(units[0].Index, 0), ScaleNIP(last.Index, last.People-1)}
	found, err := a.identity.PeopleByNIP(admin, probe)
	if err != nil {
		return err
	}
	if len(found) == len(probe) {
		return nil
	}
	ministry, err := a.scaleOrgByCode(admin, uuid.Nil, "KEMENDAGRI")
	if err != nil {
		return err
	}
	csvFile, err := os.CreateTemp("", "corpu-scale-national-*.csv")
	if err != nil {
		return err
	}
	defer os.Remove(csvFile.Name())
	defer csvFile.Close()
	if err := writeScaleCSV(csvFile, units); err != nil {
		return fmt.Errorf("write the national file: %w", err)
	}
	size, err := csvFile.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	start := time.Now()
	file, err := a.uploadInParts(admin, ministry, csvFile, size)
	if err != nil {
		return err
	}
	uploaded := time.Since(start)

	j, err := a.importer.Start(admin, identity.ImportInput{FileID: file.ID, OrgID: ministry, Lang: "en"})
	if err != nil {
		return fmt.Errorf("start the national import: %w", err)
	}
	stop, peaks := sampleMemory(250 * time.Millisecond)
	start = time.Now()
	err = a.importer.Run(context.WithoutCancel(admin), j.ID)
	took := time.Since(start)
	close(stop)
	peak := <-peaks
	if err != nil {
		return fmt.Errorf("the national import: %w", err)
	}
	done, err := a.jobs.Get(admin, j.ID)
	if err != nil {
		return err
	}
	rows := 0
	for _, u := range units {
		rows += u.People
	}
	log.Info("imported the national file", "rows", rows, "bytes", size, "parts", (size+upload.MiB*16-1)/(upload.MiB*16),
		"upload_took", uploaded.Round(time.Millisecond), "took", took.Round(time.Millisecond),
		"rows_per_s", int(float64(rows)/took.Seconds()), "peak_heap_mib", peak.heap>>20, "peak_rss_mib", peak.rss>>20,
		"status", done.Status, "result", string(done.Result))
	rep.ProvincesImported = len(ScaleProvinces)
	rep.Imported += rows
	return nil
}

// uploadInParts uploads size bytes of f for a user import through the
// upload service, as a client would: a part at a time to its presigned URL.
func (a *App) uploadInParts(admin context.Context, orgID uuid.UUID, f *os.File, size int64) (upload.File, error) {
	pending, err := a.uploads.Create(admin, upload.Input{Purpose: upload.PurposeUserImport, Filename: "pegawai-nasional.csv",
		ContentType: "text/csv", Size: size, OrgID: orgID})
	if err != nil {
		return upload.File{}, fmt.Errorf("upload the national file: %w", err)
	}
	if len(pending.Parts) == 0 { // a small data set fits one PUT
		pending.Parts = []upload.PartURL{{Number: 1, URL: pending.URL}}
		pending.PartSize = size
	}
	var parts []objectstore.Part
	for _, p := range pending.Parts {
		from := int64(p.Number-1) * pending.PartSize
		n := min(pending.PartSize, size-from)
		req, err := http.NewRequestWithContext(admin, http.MethodPut, p.URL, io.NewSectionReader(f, from, n))
		if err != nil {
			return upload.File{}, err
		}
		req.ContentLength = n
		for k, v := range pending.Headers {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return upload.File{}, fmt.Errorf("PUT part %d: %w", p.Number, err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return upload.File{}, fmt.Errorf("PUT part %d = %d", p.Number, res.StatusCode)
		}
		parts = append(parts, objectstore.Part{Number: p.Number, ETag: res.Header.Get("ETag")})
	}
	if pending.URL != "" {
		parts = nil // sent in one PUT
	}
	file, err := a.uploads.CompleteParts(admin, pending.UploadID, "", parts)
	if err != nil {
		return upload.File{}, fmt.Errorf("complete the national upload: %w", err)
	}
	return file, nil
}

// memoryPeak is the most heap in use and resident memory seen.
type memoryPeak struct{ heap, rss uint64 }

// sampleMemory records the peak heap in use and resident set size of the
// process until stop is closed.
func sampleMemory(every time.Duration) (stop chan struct{}, peak <-chan memoryPeak) {
	stop = make(chan struct{})
	out := make(chan memoryPeak, 1)
	go func() {
		var top memoryPeak
		var ms runtime.MemStats
		ticker := time.NewTicker(every)
		defer ticker.Stop()
		for {
			runtime.ReadMemStats(&ms)
			top.heap = max(top.heap, ms.HeapInuse)
			top.rss = max(top.rss, residentBytes())
			select {
			case <-stop:
				out <- top
				return
			case <-ticker.C:
			}
		}
	}()
	return stop, out
}

// residentBytes is the process's resident set size (VmRSS of Linux's
// /proc/self/status); 0 where that cannot be read.
func residentBytes() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kib, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib << 10
		}
	}
	return 0
}
