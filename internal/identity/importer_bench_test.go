package identity

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/upload"
)

// benchCSV returns an HR export of n people with valid NIPs spread over
// units in teams of ten; the first of each team supervises the nine after
// them (in their unit: a supervisor outside one's line is not kept).
func benchCSV(n int, units []string) []byte {
	var b bytes.Buffer
	b.WriteString("nip,nama,email,unit_code,jabatan,jenis_jabatan,golongan,no_hp,nip_atasan\n")
	born := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	nipOf := func(i int) string {
		birth := born.AddDate(0, 0, i%9000)                                             // 1960 to 1984
		appointed := time.Date(birth.Year()+22, birth.Month(), 1, 0, 0, 0, 0, time.UTC) // an adult, in the past
		return fmt.Sprintf("%s%s%d%03d", birth.Format("20060102"), appointed.Format("200601"), 1+i%2, 1+i/9000)
	}
	for i := range n {
		supervisor := ""
		if i%10 != 0 {
			supervisor = nipOf(i - i%10)
		}
		fmt.Fprintf(&b, "%s,Pegawai Nomor %d,pegawai%d@instansi.go.id,%s,Analis Kebijakan Ahli Muda,fungsional,III/%c,0812%08d,%s\n",
			nipOf(i), i, i, units[(i/10)%len(units)], 'a'+rune(i%4), i, supervisor)
	}
	return b.Bytes()
}

// BenchmarkImportUsers50k imports 50,000 new people from one file through
// the task handler, against real PostgreSQL and S3, and reports the rows
// per second and the peak heap in use while it ran.
func BenchmarkImportUsers50k(b *testing.B) { benchmarkImportUsers(b, 50_000) }

// BenchmarkImportUsers200k is the same with four times the rows: the
// difference of the two heap-growth figures is what the import keeps per row.
func BenchmarkImportUsers200k(b *testing.B) { benchmarkImportUsers(b, 200_000) }

func benchmarkImportUsers(b *testing.B, rows int) {
	f := newImpFixture(b)
	units := []string{"UNIT-A", "UNIT-B"}
	for i := range 4 {
		code := fmt.Sprintf("UNIT-%d", i)
		parent := f.orgs["AGENCY"].ID
		if _, err := f.svc.CreateOrg(f.platform, OrgInput{ParentID: &parent, Kind: KindWorkUnit, Code: code, Name: "Unit " + code}); err != nil {
			b.Fatal(err)
		}
		units = append(units, code)
	}
	body := benchCSV(rows, units)
	file := f.upload(b, f.admin, upload.PurposeUserImport, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()

	var elapsed, goCPU, pgCPU time.Duration
	var peak, base uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		j, err := f.im.Start(f.admin, ImportInput{FileID: file.ID, OrgID: f.orgs["AGENCY"].ID})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base = ms.HeapInuse
		stop, sampled := sampleHeap(10 * time.Millisecond)
		pgBefore := postgresCPU(b, f)
		goBefore := processCPU()
		start := time.Now()
		b.StartTimer()

		if err := f.im.Run(context.Background(), j.ID); err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		elapsed += time.Since(start)
		goCPU += processCPU() - goBefore
		pgCPU += postgresCPU(b, f) - pgBefore
		close(stop)
		peak = max(peak, <-sampled)
		got, res := f.finished(b, j.ID)
		if got.Status != "succeeded" || res.Rows != rows || res.Failed != 0 || (i == 0 && res.Created != rows) {
			b.Fatalf("import %d = %s %+v (%s), want all %d rows taken", i, got.Status, res, got.Error, rows)
		}
		if n := f.count(b, "SELECT count(*) FROM users WHERE supervisor_id IS NOT NULL"); n != int64(rows-rows/10) {
			b.Fatalf("people with a supervisor = %d, want %d", n, rows-rows/10)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
	// CPU per row, of this process and of PostgreSQL: on a shared machine
	// these move far less with the load than the rows per second do.
	b.ReportMetric(float64(goCPU.Microseconds())/float64(rows*b.N), "go-cpu-µs/row")
	b.ReportMetric(float64(pgCPU.Microseconds())/float64(rows*b.N), "pg-cpu-µs/row")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "peak-heap-growth-MB")
	b.ReportMetric(float64(peak-min(peak, base))/float64(rows), "peak-heap-growth-B/row")
}

// sampleHeap records the largest HeapInuse seen until stop is closed.
func sampleHeap(every time.Duration) (stop chan struct{}, peak <-chan uint64) {
	stop = make(chan struct{})
	out := make(chan uint64, 1)
	go func() {
		var top uint64
		var ms runtime.MemStats
		ticker := time.NewTicker(every)
		defer ticker.Stop()
		for {
			runtime.ReadMemStats(&ms)
			top = max(top, ms.HeapInuse)
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

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU is the CPU time the server processes of the fixture's
// database have used, read from /proc (PostgreSQL on this machine); 0 where
// /proc does not show them.
func postgresCPU(b *testing.B, f *impFixture) time.Duration {
	var pids []int
	if err := f.db.Conn(context.Background()).Raw(
		"SELECT pid FROM pg_stat_activity WHERE datname = current_database()").Scan(&pids).Error; err != nil {
		b.Fatal(err)
	}
	var ticks int64
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// The fields after the command's closing parenthesis; utime and
		// stime are the 12th and 13th of them, in clock ticks.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 12 {
			u, _ := strconv.ParseInt(fields[11], 10, 64)
			s, _ := strconv.ParseInt(fields[12], 10, 64)
			ticks += u + s
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}
