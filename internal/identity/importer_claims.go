package identity

import (
	"crypto/sha256"

	"github.com/google/uuid"
)

// fileClaims is what an import remembers of every row it has read: which
// line first claimed each NIP and e-mail address (a later row with either
// is refused), and the id of each person the file brought in (a supervisor
// named further down is linked to them). A national file has 4.3 million
// rows, so an entry is kept small and never holds the row's text: the CSV
// reader slices a record's fields out of one string, and a field kept as a
// map key kept the whole line alive (0.28 KiB a row, measured on the first
// national import).
type fileClaims struct {
	nips   map[uint64]nipClaim
	emails map[emailKey]int32 // → the line that claimed the address
}

// nipClaim is the line that claimed a NIP and, once its row is written (or
// would be, in a dry run), the person's id.
type nipClaim struct {
	line int32
	id   uuid.UUID // uuid.Nil until the row is in
}

// emailKey is the first 16 bytes of an address's SHA-256: two addresses
// share one with a chance of about 2⁻⁸⁰ in a file of 4.3 million.
type emailKey [16]byte

func newFileClaims() fileClaims {
	return fileClaims{nips: map[uint64]nipClaim{}, emails: map[emailKey]int32{}}
}

func keyOfEmail(email string) emailKey {
	sum := sha256.Sum256([]byte(email))
	return emailKey(sum[:16])
}

// claim records that line holds nip and email (normalized) unless an
// earlier line holds either: then it returns that line and which field.
func (c *fileClaims) claim(nip uint64, email string, line int) (field string, first int) {
	if earlier, dup := c.nips[nip]; dup {
		return "nip", int(earlier.line)
	}
	key := keyOfEmail(email)
	if earlier, dup := c.emails[key]; dup {
		return "email", int(earlier)
	}
	c.nips[nip] = nipClaim{line: int32(line)}
	c.emails[key] = int32(line)
	return "", 0
}

// brought records the id of the person the row holding nip brought in.
func (c *fileClaims) brought(nip uint64, id uuid.UUID) {
	claim := c.nips[nip]
	claim.id = id
	c.nips[nip] = claim
}

// person returns the id of the person with nip the file brought in.
func (c *fileClaims) person(nip uint64) (uuid.UUID, bool) {
	claim, ok := c.nips[nip]
	return claim.id, ok && claim.id != uuid.Nil
}
