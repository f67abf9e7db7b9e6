package app

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/corpu/corpu/assets"
	"github.com/corpu/corpu/internal/platform/webpage"
)

func TestTheOpenAPIDocumentDescribesExactlyTheRegisteredRoutes(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(assets.OpenAPI, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	registered := map[string]bool{}
	for _, r := range srv.App.HTTP().Routes() {
		if r.Method == "echo_route_not_found" || strings.HasPrefix(r.Name, webpage.RouteNamePrefix) {
			continue
		}
		path := param.ReplaceAllString(r.Path, "{$1}")
		method := strings.ToLower(r.Method)
		registered[method+" "+path] = true
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("route %s %s is not in openapi.yaml", r.Method, path)
		}
	}
	if len(registered) < 4 {
		t.Fatalf("only %d routes registered", len(registered))
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" && !registered[method+" "+path] {
				t.Errorf("openapi.yaml describes %s %s, which is not served", method, path)
			}
		}
	}
}

func TestEveryReferenceInTheOpenAPIDocumentResolves(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := yaml.Unmarshal(assets.OpenAPI, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	for _, m := range regexp.MustCompile(`\$ref: "#/([^"]+)"`).FindAllStringSubmatch(string(assets.OpenAPI), -1) {
		var node any = doc
		for _, part := range strings.Split(m[1], "/") {
			obj, ok := node.(map[string]any)
			if !ok {
				node = nil
				break
			}
			node = obj[part]
		}
		if node == nil {
			t.Errorf("$ref #/%s does not resolve", m[1])
		}
	}
}

func TestOperationalEndpointsAnswer(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	tests := []struct {
		path        string
		wantStatus  int
		wantContent string
	}{
		{"/healthz", http.StatusOK, `"status":"ok"`},
		{"/readyz", http.StatusOK, `"objectstore":"ok"`},
		{"/metrics", http.StatusOK, "corpu_outbox_backlog"},
		{"/openapi.yaml", http.StatusOK, "openapi: 3.1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := checkedGet(t, srv.URL+tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantContent) {
				t.Errorf("GET %s = %d %.200s, want %d containing %q", tt.path, resp.StatusCode, body, tt.wantStatus, tt.wantContent)
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Errorf("GET %s has no X-Request-Id", tt.path)
			}
		})
	}
	t.Run("metrics record the route of earlier requests", func(t *testing.T) {
		resp, err := checkedGet(t, srv.URL+"/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), `corpu_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}`) {
			t.Errorf("/metrics lacks the /healthz latency histogram")
		}
	})
}

func TestReadinessNamesTheServiceThatIsDown(t *testing.T) {
	t.Parallel()
	srv := NewTestServer(t)
	if err := srv.Deps.Redis.Close(); err != nil { // Redis "goes down" for this server
		t.Fatal(err)
	}
	resp, err := checkedGet(t, srv.URL+"/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("GET /readyz with Redis down = %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.HasPrefix(body.Checks["redis"], "down") || body.Checks["postgres"] != "ok" {
		t.Errorf("checks = %v, want redis down and postgres ok", body.Checks)
	}
}
