package certificate

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ob3Schema is the official Open Badges 3.0 AchievementCredential schema (testdata/README.md).
func ob3Schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/achievementcredential.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("achievementcredential.json", doc); err != nil {
		t.Fatal(err)
	}
	return c.MustCompile("achievementcredential.json")
}

func TestTheOpenBadgeCredentialIsASignedVCJWTThatMeetsTheOB3Schema(t *testing.T) {
	f := newFixture(t)
	comp := f.completed(t, "Budi Santoso", true)
	c := f.issueOnCompletion(t, comp)
	signed, err := f.svc.Credential(asLearner(comp.UserID), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	b, _ := f.svc.JWKS(context.Background(), f.institute.ID)
	if err := json.Unmarshal(b, &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS = %s, %v", b, err)
	}
	token, err := jwt.Parse(signed, func(tok *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == tok.Header["kid"] {
				x, err := base64.RawURLEncoding.DecodeString(k.X)
				return ed25519.PublicKey(x), err
			}
		}
		return nil, errors.New("unknown kid")
	}, jwt.WithValidMethods([]string{"EdDSA"}))
	if err != nil || token.Header["typ"] != "vc+jwt" {
		t.Fatalf("the VC-JWT does not verify with the published keys: %v (header %v)", err, token.Header)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(signed, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(payload)))
	if err != nil {
		t.Fatal(err)
	}
	if err := ob3Schema(t).Validate(doc); err != nil {
		t.Errorf("the credential does not meet the Open Badges 3.0 schema: %v\n%s", err, payload)
	}
	var cred map[string]any
	_ = json.Unmarshal(payload, &cred)
	subject, _ := cred["credentialSubject"].(map[string]any)
	achievement, _ := subject["achievement"].(map[string]any)
	if alignments, _ := achievement["alignment"].([]any); len(alignments) != 1 {
		t.Errorf("alignments = %v, want the course's one competency", achievement["alignment"])
	}
	if _, err := f.svc.Revoke(f.registrar(), c.ID, "salah"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Credential(asLearner(comp.UserID), c.ID); !errors.Is(err, ErrRevoked) {
		t.Errorf("Credential(revoked) = %v, want ErrRevoked", err)
	}
}

func TestOnlyTheHolderAndTheIssuersReadACertificate(t *testing.T) {
	f := newFixture(t)
	comp := f.completed(t, "Budi", true)
	c := f.issueOnCompletion(t, comp)
	other := f.completed(t, "Rina", true)
	if _, err := f.svc.Certificate(asLearner(other.UserID), c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Certificate as another learner = %v, want ErrNotFound", err)
	}
	for name, ctx := range map[string]context.Context{"holder": asLearner(comp.UserID), "registrar": f.registrar()} {
		if _, err := f.svc.Download(ctx, c.ID); err != nil {
			t.Errorf("Download as the %s = %v", name, err)
		}
	}
}
