package certificate

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
)

// developmentMasterKey is the master key development runs with when none is
// configured, so that keys stored by one run still decrypt in the next;
// configuration validation refuses it in production.
var developmentMasterKey = sha256.Sum256([]byte("corpu development certificate master key"))

// DevelopmentMasterKey returns the fixed development master key.
func DevelopmentMasterKey() []byte { return developmentMasterKey[:] }

// signingKey is an institute's current key.
type signingKey struct {
	kid     string
	private ed25519.PrivateKey
	loaded  time.Time
}

// keyring keeps the institutes' Ed25519 keys: the private halves encrypted
// with AES-GCM under the master key, in certificate_keys. An institute gets a
// key when it first signs; rotation retires the current key, which keeps
// verifying what it signed.
type keyring struct {
	store   keyStore
	aead    cipher.AEAD
	now     func() time.Time
	files   keyFiles
	mu      sync.Mutex
	current map[uuid.UUID]signingKey // per institute, for currentTTL
}

// currentTTL is how long a process signs with the key it loaded before it
// looks again: a rotation in another process reaches it within this time,
// and the old key still verifies meanwhile.
const currentTTL = 30 * time.Second

func newKeyring(db *database.DB, masterKey []byte, files keyFiles, now func() time.Time) (*keyring, error) {
	if len(masterKey) != 32 {
		return nil, fmt.Errorf("certificate master key: want 32 bytes, got %d", len(masterKey))
	}
	block, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, fmt.Errorf("certificate master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("certificate master key: %w", err)
	}
	return &keyring{store: keyStore{db: db}, aead: aead, now: now, files: files, current: map[uuid.UUID]signingKey{}}, nil
}

// keyID names a public key: the base64url of the first 8 bytes of its
// SHA-256, as the API's own token keys are named.
func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// signer returns the institute's current key, creating the institute's first.
func (k *keyring) signer(ctx context.Context, orgID uuid.UUID) (signingKey, error) {
	k.mu.Lock()
	cached, ok := k.current[orgID]
	k.mu.Unlock()
	if ok && k.now().Sub(cached.loaded) < currentTTL {
		return cached, nil
	}
	key, fromFile, err := k.fileKey(ctx, orgID)
	if err != nil {
		return signingKey{}, err
	}
	if !fromFile {
		if key, err = k.storedKey(ctx, orgID); err != nil {
			return signingKey{}, err
		}
	}
	k.mu.Lock()
	k.current[orgID] = key
	k.mu.Unlock()
	return key, nil
}

// storedKey is the institute's current key kept encrypted in the
// database, created on first use.
func (k *keyring) storedKey(ctx context.Context, orgID uuid.UUID) (signingKey, error) {
	row, err := k.store.current(ctx, orgID)
	if errors.Is(err, errNoKey) {
		row, err = k.create(ctx, orgID)
	}
	if err != nil {
		return signingKey{}, err
	}
	return k.open(row)
}

// create stores a new current key for the institute; when another process
// created one first, that one is returned.
func (k *keyring) create(ctx context.Context, orgID uuid.UUID) (keyRow, error) {
	row, err := k.newRow(orgID)
	if err != nil {
		return keyRow{}, err
	}
	// Outside the caller's transaction: a key must exist before anything it
	// signs is stored, and stays even when that first issue rolls back.
	if err := k.store.insertIfNoCurrent(ctx, row, true); err != nil {
		return keyRow{}, err
	}
	return k.store.current(ctx, orgID)
}

func (k *keyring) newRow(orgID uuid.UUID) (keyRow, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return keyRow{}, fmt.Errorf("generate certificate key: %w", err)
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return keyRow{}, fmt.Errorf("certificate key nonce: %w", err)
	}
	kid := keyID(pub)
	// The key ID is the additional data: a ciphertext moved to another row
	// does not decrypt.
	sealed := k.aead.Seal(nonce, nonce, priv.Seed(), []byte(kid))
	return keyRow{ID: kid, OrgID: orgID, PublicKey: pub, PrivateKeyEnc: sealed, CreatedAt: k.now()}, nil
}

func (k *keyring) open(row keyRow) (signingKey, error) {
	n := k.aead.NonceSize()
	if len(row.PrivateKeyEnc) < n {
		return signingKey{}, fmt.Errorf("certificate key %s: ciphertext too short", row.ID)
	}
	seed, err := k.aead.Open(nil, row.PrivateKeyEnc[:n], row.PrivateKeyEnc[n:], []byte(row.ID))
	if err != nil {
		return signingKey{}, fmt.Errorf("certificate key %s does not decrypt with the configured master key: %w", row.ID, err)
	}
	return signingKey{kid: row.ID, private: ed25519.NewKeyFromSeed(seed), loaded: k.now()}, nil
}

// rotate retires the institute's current key and makes a new one current.
// A key read from a file is rotated by replacing the file.
func (k *keyring) rotate(ctx context.Context, orgID uuid.UUID) (string, error) {
	if _, fromFile, err := k.fileKey(ctx, orgID); err != nil {
		return "", err
	} else if fromFile {
		return "", ErrKeyIsAFile
	}
	row, err := k.newRow(orgID)
	if err != nil {
		return "", err
	}
	err = k.store.db.WithTx(ctx, func(ctx context.Context) error {
		if err := k.store.retire(ctx, orgID, k.now()); err != nil {
			return err
		}
		return k.store.insertIfNoCurrent(ctx, row, false)
	})
	if err != nil {
		return "", err
	}
	k.mu.Lock()
	delete(k.current, orgID)
	k.mu.Unlock()
	return row.ID, nil
}

// publicKey returns a key that verifies, current or retired.
func (k *keyring) publicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	row, err := k.store.byID(ctx, kid)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(row.PublicKey), nil
}

// jwk is a public key in a JSON Web Key Set (RFC 7517, OKP of RFC 8037).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// jwks is the institute's key set, newest first: every key that verifies its
// certificates and credentials.
func (k *keyring) jwks(ctx context.Context, orgID uuid.UUID) ([]byte, error) {
	rows, err := k.store.ofOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(rows))}
	for _, r := range rows {
		set.Keys = append(set.Keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(r.PublicKey),
			Kid: r.ID, Use: "sig", Alg: "EdDSA"})
	}
	return json.Marshal(set)
}
