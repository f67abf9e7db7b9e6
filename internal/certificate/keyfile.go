package certificate

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/identity/token"
	"github.com/corpu/corpu/internal/platform/apperr"
)

// ErrKeyIsAFile: the institute signs with a key file, which an operator
// rotates by replacing the file.
var ErrKeyIsAFile = apperr.New(apperr.KindConflict, "certificate.key_is_a_file",
	"Kunci lembaga ini berupa berkas; ganti berkasnya untuk merotasi.",
	"This institute's key is a file; replace the file to rotate it.")

// keyFiles finds institutes' private keys given as files: <dir>/<CODE>.pem,
// PKCS#8 Ed25519 (as `corpu keys create` writes them), named by the
// institute's code. An institute without a file uses a key kept encrypted
// in the database.
type keyFiles struct {
	dir  string
	code func(ctx context.Context, orgID uuid.UUID) (string, error)
}

// fileKey returns the institute's key file, when there is one, and makes
// its public half the institute's current key in the database (retiring
// the one before), so that verification and the key set find it.
func (k *keyring) fileKey(ctx context.Context, orgID uuid.UUID) (signingKey, bool, error) {
	if k.files.dir == "" {
		return signingKey{}, false, nil
	}
	code, err := k.files.code(ctx, orgID)
	if err != nil {
		return signingKey{}, false, fmt.Errorf("code of institute %s: %w", orgID, err)
	}
	path := filepath.Join(k.files.dir, code+".pem")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return signingKey{}, false, nil
	}
	private, err := token.ReadPrivateKey(path)
	if err != nil {
		return signingKey{}, false, fmt.Errorf("certificate key file: %w", err)
	}
	pub, _ := private.Public().(ed25519.PublicKey) // an Ed25519 private key's public half
	kid := keyID(pub)
	if err := k.store.adopt(ctx, keyRow{ID: kid, OrgID: orgID, PublicKey: pub, CreatedAt: k.now()}); err != nil {
		return signingKey{}, false, err
	}
	return signingKey{kid: kid, private: private, loaded: k.now()}, true, nil
}
