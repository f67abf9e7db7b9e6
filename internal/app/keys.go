package app

import (
	"errors"
	"io/fs"
	"log/slog"

	"github.com/corpu/corpu/internal/identity/token"
)

// loadKeyDir loads the signing keys every process shares from dir (see
// `corpu keys`). In development an empty directory gets its first key, so
// `docker compose up` needs no set-up step; in production creating keys is
// the operator's decision. Processes starting together may each create one:
// every key in the directory verifies, and all move to the newest within
// token.DirRefresh.
func loadKeyDir(dir, env string, log *slog.Logger) (*token.KeySet, error) {
	ks, err := token.LoadKeyDir(dir)
	empty := errors.Is(err, token.ErrNoKeys) || errors.Is(err, fs.ErrNotExist)
	if !empty || env != "development" {
		return ks, err
	}
	kid, err := token.CreateKeyDir(dir)
	if err != nil {
		// Another process may have created it meanwhile.
		if ks, loadErr := token.LoadKeyDir(dir); loadErr == nil {
			return ks, nil
		}
		return nil, err
	}
	log.Info("created the first signing key (development)", "dir", dir, "kid", kid)
	return token.LoadKeyDir(dir)
}
