package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// shellBlocks returns the ```sh blocks of a Markdown file, in order, with
// the line each begins on.
func shellBlocks(t *testing.T, path string) []docBlock {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []docBlock
	var cur *docBlock
	for i, line := range strings.Split(string(text), "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```sh":
			cur = &docBlock{file: filepath.Base(path), line: i + 2}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("%s: the block from line %d is not closed", path, cur.line)
	}
	return blocks
}

type docBlock struct {
	file string
	line int
	text string
}

var blockMarker = regexp.MustCompile(`(?m)^@@@ block (\d+)$`)

// runBlocks runs the blocks in one bash, in order, stopping at the first
// command that fails; on failure it reports the block and what it printed.
func runBlocks(t *testing.T, env []string, blocks []docBlock) string {
	t.Helper()
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for i, b := range blocks {
		fmt.Fprintf(&script, "printf '\\n@@@ block %d\\n'\n%s", i, b.text)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err == nil {
		return out.String()
	}
	text := out.String()
	failed, from := -1, 0
	for _, m := range blockMarker.FindAllStringSubmatchIndex(text, -1) {
		fmt.Sscanf(text[m[2]:m[3]], "%d", &failed)
		from = m[1]
	}
	if failed < 0 {
		t.Fatalf("bash failed before the first block: %v\n%s", err, text)
	}
	b := blocks[failed]
	t.Fatalf("the block of %s at line %d failed (%v):\n%s\n--- it printed:\n%s", b.file, b.line, err, b.text, strings.TrimLeft(text[from:], "\n"))
	return ""
}

// TestTheDocumentationRunsAsWritten runs the shell blocks of docs/api.md and
// the README's sign-in example against a fresh server with the demo data and
// a worker, as a reader would paste them: the walkthrough twice, since a
// second run must work as well as the first.
func TestTheDocumentationRunsAsWritten(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed, so CI cannot check the documentation (.ci/services.sh installs it)", tool)
			}
			t.Skipf("%s is not installed (.ci/services.sh installs it)", tool)
		}
	}
	t.Parallel()
	srv := NewTestServer(t)
	ctx := context.Background()
	if err := srv.App.Seed(ctx); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	workerCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = srv.App.RunWorker(workerCtx) }()
	t.Cleanup(func() { stop(); <-stopped }) // before Redis closes
	env := []string{"BASE=" + srv.URL}

	readme := shellBlocks(t, "../../README.md")
	var signIn []docBlock
	for _, b := range readme {
		if strings.Contains(b.text, "curl") {
			b.text = strings.ReplaceAll(b.text, "http://localhost:8080", srv.URL)
			signIn = append(signIn, b)
		}
	}
	if len(signIn) == 0 {
		t.Fatal("README.md has no sign-in example")
	}
	if out := runBlocks(t, env, signIn); !strings.Contains(out, `"email": "admin.jabar@jabarprov.go.id"`) && !strings.Contains(out, `"email":"admin.jabar@jabarprov.go.id"`) {
		t.Errorf("the README's sign-in example printed no profile of the signed-in user:\n%s", out)
	}

	walk := shellBlocks(t, "../../docs/api.md")
	if len(walk) < 6 {
		t.Fatalf("docs/api.md has %d shell blocks, want the set-up and five steps", len(walk))
	}
	for run := 1; run <= 2; run++ {
		out := runBlocks(t, env, walk)
		imported := `"created": 2`
		if run == 2 {
			imported = `"unchanged": 2` // the same file again changes nothing
		}
		for _, want := range []string{`"jp": ` + fmt.Sprint(8*run), `"status": "succeeded"`, imported} {
			if !strings.Contains(out, want) {
				t.Errorf("run %d of the walkthrough printed no %s:\n%s", run, want, out)
			}
		}
	}
}
