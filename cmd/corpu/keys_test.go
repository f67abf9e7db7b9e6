package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corpu/corpu/internal/identity/token"
)

func TestKeysCreatesThenRotatesADirectoryEveryProcessCanLoad(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	steps := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{"no subcommand", []string{"keys"}, "", "usage: corpu keys"},
		{"no directory", []string{"keys", "create", "--dir", ""}, "", "--dir is required"},
		{"rotate before create", []string{"keys", "rotate", "--dir", dir}, "", "no such file"},
		{"create", []string{"keys", "create", "--dir", dir}, "created signing key", ""},
		{"create again", []string{"keys", "create", "--dir", dir}, "", "keys rotate"},
		{"rotate", []string{"keys", "rotate", "--dir", dir}, "kept for verification", ""},
		{"rotate dropping old keys", []string{"keys", "rotate", "--dir", dir, "--retain", "1ns"}, "removed", ""},
	}
	for _, st := range steps {
		var out bytes.Buffer
		err := run(context.Background(), st.args, &out)
		if st.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), st.wantErr) {
				t.Errorf("%s: error = %v, want one containing %q", st.name, err, st.wantErr)
			}
			continue
		}
		if err != nil || !strings.Contains(out.String(), st.wantOut) {
			t.Errorf("%s: %q, %v; want output containing %q", st.name, out.String(), err, st.wantOut)
		}
	}
	if _, err := token.LoadKeyDir(dir); err != nil {
		t.Errorf("LoadKeyDir after create and rotate = %v", err)
	}
}
