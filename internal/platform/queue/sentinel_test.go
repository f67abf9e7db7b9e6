package queue

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/internal/platform/config"
)

// spareTCPPort returns a port nothing listens on at the moment.
func spareTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startRedisProcess runs redis-server with a configuration file of conf's
// lines (plus args) in a directory of its own, and waits until it answers.
func startRedisProcess(t *testing.T, name, conf string, args ...string) int {
	t.Helper()
	port := spareTCPPort(t)
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "redis.conf")
	conf = fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsave \"\"\nappendonly no\n%s", port, dir, conf)
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("redis-server", append([]string{file}, args...)...)
	logFile, err := os.Create(filepath.Join(dir, "out.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logFile.Close()
	})
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c.Ping(context.Background()).Err() == nil {
			return port
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logFile.Name())
			t.Fatalf("%s on port %d did not answer:\n%s", name, port, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestTheQueueClientEnqueuesThroughSentinelAndFollowsAFailover(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed, so CI cannot check Sentinel (.ci/services.sh installs it)")
		}
		t.Skip("redis-server is not installed")
	}
	const master = "corpu-test"
	primary := startRedisProcess(t, "primary", "")
	replica := startRedisProcess(t, "replica", fmt.Sprintf("replicaof 127.0.0.1 %d\n", primary))
	sentinel := startRedisProcess(t, "sentinel", fmt.Sprintf(
		"sentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 5000\n",
		master, primary, master, master), "--sentinel")

	// The configuration as an operator writes it, in the environment.
	cfg, err := config.Load("", []string{
		"CORPU_REDIS_ADDR=",
		"CORPU_REDIS_SENTINEL_MASTER_NAME=" + master,
		"CORPU_REDIS_SENTINEL_ADDRS=127.0.0.1:" + strconv.Itoa(sentinel),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rdb, err := OpenRedis(ctx, cfg.Redis)
	if err != nil {
		t.Fatalf("OpenRedis through Sentinel: %v", err)
	}
	defer rdb.Close()
	names := NewNames("sentinel")
	client := NewClient(rdb, names)

	pendingOn := func(port int) int {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
		defer c.Close()
		info, err := asynq.NewInspectorFromRedisClient(c).GetQueueInfo(names.Of(Default))
		if err != nil {
			return 0
		}
		return info.Pending
	}
	if err := client.Enqueue(ctx, "test:ping", map[string]int{"n": 1}, Default); err != nil {
		t.Fatalf("Enqueue through Sentinel: %v", err)
	}
	if n := pendingOn(primary); n != 1 {
		t.Fatalf("tasks pending on the master = %d, want 1", n)
	}

	// The replica must know the task before it is promoted.
	waitFor(t, "the replica to catch up", func() bool { return pendingOn(replica) == 1 })
	sc := redis.NewSentinelClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(sentinel)})
	defer sc.Close()
	if err := sc.Failover(ctx, master).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	waitFor(t, "Sentinel to promote the replica", func() bool {
		addr, err := sc.GetMasterAddrByName(ctx, master).Result()
		return err == nil && addr[1] == strconv.Itoa(replica)
	})
	waitFor(t, "the client to enqueue on the new master", func() bool {
		_ = client.Enqueue(ctx, "test:ping", map[string]int{"n": 2}, Default)
		return pendingOn(replica) >= 2
	})
}
