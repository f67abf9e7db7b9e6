package certificate

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Facts are what a certificate states, in the canonical form that is signed:
// JSON of this struct, whose field order is fixed, so the same facts always
// give the same bytes. The bytes are stored as signed; a verifier checks the
// signature over them and reads the facts from them.
type Facts struct {
	Serial      string       `json:"serial"`
	Institute   PartyFacts   `json:"institute"`    // issues and signs
	CourseOwner PartyFacts   `json:"course_owner"` // owns the programme
	Learner     LearnerFacts `json:"learner"`
	Course      CourseFacts  `json:"course"`
	Class       ClassFacts   `json:"class"`
	Grade       *float64     `json:"grade,omitempty"` // percent, when the class has a gradebook grade
	CompletedOn string       `json:"completed_on"`    // YYYY-MM-DD
	IssuedAt    time.Time    `json:"issued_at"`
	ExpiresAt   *time.Time   `json:"expires_at,omitempty"`
	Replaces    string       `json:"replaces,omitempty"` // the serial of the certificate this one corrects
	Signatories []Signatory  `json:"signatories"`
	Extra       *RecertFacts `json:"recertification,omitempty"`
}

// PartyFacts names an organisation on a certificate.
type PartyFacts struct {
	ID   string `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
}

// LearnerFacts names the learner.
type LearnerFacts struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	NIP  string `json:"nip,omitempty"`
}

// CourseFacts describe the course completed.
type CourseFacts struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	JP           float64  `json:"jp"`
	Competencies []string `json:"competencies"`
}

// ClassFacts describe the class attended.
type ClassFacts struct {
	ID    string `json:"id"`
	Code  string `json:"code"`
	Title string `json:"title"`
}

// Signatory signs a certificate by name and title (printed on it), over
// an image of their signature when the template has one.
type Signatory struct {
	Name            string     `json:"name"`
	Title           string     `json:"title"`
	SignatureFileID *uuid.UUID `json:"signature_file_id,omitempty"`
}

// RecertFacts point to where the learner recertifies.
type RecertFacts struct {
	URL string `json:"url"`
}

// canonical is the signed form of the facts.
func (f Facts) canonical() ([]byte, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode certificate facts: %w", err)
	}
	return b, nil
}

// sign returns the base64url Ed25519 signature of data.
func sign(key ed25519.PrivateKey, data []byte) string {
	return base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, data))
}

// verifySignature reports whether sig is pub's signature of data.
func verifySignature(pub ed25519.PublicKey, data []byte, sig string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(pub, data, raw)
}

// parseFacts reads signed facts back.
func parseFacts(b []byte) (Facts, error) {
	var f Facts
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("decode certificate facts: %w", err)
	}
	return f, nil
}
