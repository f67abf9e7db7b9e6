package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/corpu/corpu/internal/identity/token"
)

const keysUsage = `usage: corpu keys create|rotate [--dir DIR] [--retain DURATION]

  create   make DIR and its first Ed25519 signing key
  rotate   add a new signing key; older keys keep verifying tokens until
           --retain has passed since they were replaced, then are removed

DIR defaults to CORPU_AUTH_SIGNING_KEY_DIR. Point every serve and worker
process at the same DIR (auth.signing_key_dir); they pick up a rotation
within a minute, without a restart.
`

// keys creates and rotates the signing keys of a key directory. It reads no
// configuration file and opens no service, so it runs before anything else.
func keys(args, environ []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "rotate") {
		return errors.New(strings.TrimSpace(keysUsage))
	}
	flags := flag.NewFlagSet("keys "+args[0], flag.ContinueOnError)
	flags.Usage = func() { fmt.Fprint(flags.Output(), keysUsage) }
	dir := flags.String("dir", lookupEnv(environ, "CORPU_AUTH_SIGNING_KEY_DIR"), "key directory")
	// Access tokens live 15 minutes by default; a day leaves room for
	// longer-lived ones and for processes slow to pick up a rotation.
	retain := flags.Duration("retain", 24*time.Hour, "how long a replaced key keeps verifying")
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("keys: --dir is required (or set CORPU_AUTH_SIGNING_KEY_DIR)")
	}
	switch args[0] {
	case "create":
		kid, err := token.CreateKeyDir(*dir)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "created signing key %s in %s\nset CORPU_AUTH_SIGNING_KEY_DIR=%s for every serve and worker process\n", kid, *dir, *dir)
		return err
	default:
		if *retain <= 0 {
			return errors.New("keys: --retain must be positive")
		}
		r, err := token.RotateKeyDir(*dir, *retain, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new signing key %s in %s; processes sign with it within %s\n", r.KeyID, *dir, token.DirRefresh)
		for _, k := range r.Kept {
			fmt.Fprintf(stdout, "kept for verification: %s\n", k)
		}
		for _, k := range r.Removed {
			fmt.Fprintf(stdout, "removed (replaced more than %s ago): %s\n", *retain, k)
		}
		return nil
	}
}

func lookupEnv(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}
