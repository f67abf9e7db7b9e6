package compose

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// repoRoot is where docker-compose.yml and the Dockerfile live, relative to
// this package's directory (go test runs in it).
const repoRoot = "../../.."

var (
	backingServices = []string{"minio", "postgres", "redis"}
	appServices     = []string{"api", "worker"}
	corpuEnv        = []string{"CORPU_DATABASE_URL", "CORPU_REDIS_ADDR", "CORPU_OBJECTSTORE_ENDPOINT"}
)

// loadProject parses, validates, interpolates and normalises the compose file
// as `docker compose` would, without reading the caller's environment or any
// .env file so the result is the same on every machine.
func loadProject(t *testing.T) *types.Project {
	t.Helper()
	file := filepath.Join(repoRoot, "docker-compose.yml")
	opts, err := cli.NewProjectOptions(
		[]string{file},
		cli.WithName("corpu"),
		cli.WithWorkingDirectory(repoRoot),
		cli.WithEnv(nil),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
	)
	if err != nil {
		t.Fatalf("project options for %s: %v", file, err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	return project
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("service %s: %v", name, err)
	}
	return s
}

func TestComposeFile(t *testing.T) {
	t.Parallel()
	project := loadProject(t)

	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"six services", func(t *testing.T) {
			got := project.ServiceNames()
			slices.Sort(got)
			want := []string{"api", "minio", "postgres", "redis", "setup", "worker"}
			if !slices.Equal(got, want) {
				t.Errorf("services = %v, want %v", got, want)
			}
		}},
		{"backing services have healthchecks", func(t *testing.T) {
			for _, name := range backingServices {
				hc := service(t, project, name).HealthCheck
				if hc == nil || hc.Disable || len(hc.Test) == 0 {
					t.Errorf("%s healthcheck = %+v, want a test command", name, hc)
				}
			}
		}},
		{"app services wait for healthy backing services", func(t *testing.T) {
			for _, app := range appServices {
				deps := service(t, project, app).DependsOn
				for _, dep := range backingServices {
					d, ok := deps[dep]
					if !ok {
						t.Errorf("%s depends_on %s = missing, want condition %s", app, dep, types.ServiceConditionHealthy)
						continue
					}
					if d.Condition != types.ServiceConditionHealthy {
						t.Errorf("%s depends_on %s condition = %q, want %q", app, dep, d.Condition, types.ServiceConditionHealthy)
					}
				}
			}
		}},
		{"setup migrates and seeds once, before the app services start", func(t *testing.T) {
			setup := service(t, project, "setup")
			if !slices.Equal(setup.Command, types.ShellCommand{"seed", "--migrate"}) {
				t.Errorf("setup command = %v, want [seed --migrate]", setup.Command)
			}
			if setup.Restart != "no" {
				t.Errorf("setup restart = %q, want no (a one-shot)", setup.Restart)
			}
			for _, app := range appServices {
				d, ok := service(t, project, app).DependsOn["setup"]
				if !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
					t.Errorf("%s depends_on setup = %+v, want condition %s", app, d, types.ServiceConditionCompletedSuccessfully)
				}
			}
			if api := service(t, project, "api"); slices.Contains(api.Command, "--migrate") {
				t.Errorf("api command = %v, want no --migrate (setup migrates)", api.Command)
			}
		}},
		{"api builds from the repository Dockerfile", func(t *testing.T) {
			b := service(t, project, "api").Build
			if b == nil {
				t.Fatal("api build = nil, want context .")
			}
			wantCtx, err := filepath.Abs(repoRoot)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Clean(b.Context) != wantCtx {
				t.Errorf("api build context = %s, want %s", b.Context, wantCtx)
			}
			dockerfile := b.Dockerfile
			if !filepath.IsAbs(dockerfile) {
				dockerfile = filepath.Join(b.Context, dockerfile)
			}
			if fi, err := os.Stat(dockerfile); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("api Dockerfile %s: stat err = %v, want a regular file", dockerfile, err)
			}
		}},
		{"api publishes 8080", func(t *testing.T) {
			var got []string
			for _, p := range service(t, project, "api").Ports {
				if p.Target == 8080 && p.Published == "8080" {
					return
				}
				got = append(got, p.Published+":"+strconv.FormatUint(uint64(p.Target), 10))
			}
			t.Errorf("api ports = %v, want 8080:8080", got)
		}},
		{"redis keeps its data across a restart", func(t *testing.T) {
			r := service(t, project, "redis")
			if !slices.Contains(r.Command, "--appendonly") || r.Command[slices.Index(r.Command, "--appendonly")+1] != "yes" {
				t.Errorf("redis command = %v, want --appendonly yes", r.Command)
			}
			if len(r.Volumes) == 0 || r.Volumes[0].Target != "/data" {
				t.Errorf("redis volumes = %+v, want a volume on /data", r.Volumes)
			}
		}},
		{"worker health check asks its metrics address", func(t *testing.T) {
			hc := service(t, project, "worker").HealthCheck
			if hc == nil || hc.Disable || !slices.Contains(hc.Test, "http://127.0.0.1:9090/healthz") {
				t.Errorf("worker healthcheck = %+v, want the binary asking http://127.0.0.1:9090/healthz", hc)
			}
		}},
		{"app services configure corpu", func(t *testing.T) {
			for _, app := range appServices {
				env := service(t, project, app).Environment
				for _, key := range corpuEnv {
					v, ok := env[key]
					if !ok || v == nil || *v == "" {
						t.Errorf("%s environment %s = unset, want a value", app, key)
					}
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t)
		})
	}
}
