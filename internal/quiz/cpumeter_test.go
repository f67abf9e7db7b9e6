package quiz

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/platform/database"
)

// cpuMeter measures the CPU time a benchmark spends in its own process and
// in the Postgres backends serving its database, which Postgres on the same
// machine lets a benchmark read from /proc. On a machine shared with other
// work, CPU per operation moves far less than wall time, so it is the figure
// to compare before and after a change.
type cpuMeter struct {
	db       *database.DB
	goStart  time.Duration
	pgStart  map[int]time.Duration
	clockTck float64
}

func startCPUMeter(tb testing.TB, db *database.DB) *cpuMeter {
	tb.Helper()
	m := &cpuMeter{db: db, clockTck: 100} // USER_HZ is 100 on Linux
	m.goStart = processCPU(tb)
	m.pgStart = m.backendCPU(tb)
	return m
}

// report adds go-cpu-us/op and pg-cpu-us/op to the benchmark's figures.
// Backends that ended during the run are not counted, so the pool must keep
// its connections (enough idle ones) for the figure to hold.
func (m *cpuMeter) report(b *testing.B, ops int) {
	b.Helper()
	goCPU := processCPU(b) - m.goStart
	var pgCPU time.Duration
	for pid, t := range m.backendCPU(b) {
		pgCPU += t - m.pgStart[pid]
	}
	b.ReportMetric(float64(goCPU.Microseconds())/float64(ops), "go-cpu-us/op")
	b.ReportMetric(float64(pgCPU.Microseconds())/float64(ops), "pg-cpu-us/op")
}

func processCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU reads the CPU time of every backend connected to the
// benchmark's database, by process id.
func (m *cpuMeter) backendCPU(tb testing.TB) map[int]time.Duration {
	tb.Helper()
	var pids []int
	err := m.db.Conn(context.Background()).Raw("SELECT pid FROM pg_stat_activity WHERE datname = current_database()").Scan(&pids).Error
	if err != nil {
		tb.Fatal(err)
	}
	out := map[int]time.Duration{}
	for _, pid := range pids {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			tb.Fatalf("read backend CPU (Postgres must run on this machine): %v", err)
		}
		// Fields after the command name, which ends with the last ')'.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		utime, _ := strconv.ParseFloat(fields[11], 64)
		stime, _ := strconv.ParseFloat(fields[12], 64)
		out[pid] = time.Duration((utime + stime) / m.clockTck * float64(time.Second))
	}
	return out
}
