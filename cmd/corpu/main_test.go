package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunAnswersVersionAndRefusesUnknownCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{"version", []string{"version"}, "corpu ", ""},
		{"no command", nil, "", "no command given"},
		{"unknown command", []string{"--config", "", "teach"}, "", `unknown command "teach"`},
		{"migrate without a direction", []string{"--config", "", "migrate"}, "", "usage: corpu migrate"},
		{"bad configuration", []string{"--config", "/nonexistent/corpu.yaml", "serve"}, "", "read config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out)
			if tt.wantErr == "" {
				if err != nil || !strings.Contains(out.String(), tt.wantOut) {
					t.Errorf("run(%v) = %q, %v; want output containing %q", tt.args, out.String(), err, tt.wantOut)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run(%v) error = %v, want one containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}
