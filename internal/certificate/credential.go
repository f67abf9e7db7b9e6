package certificate

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// The Open Badges 3.0 contexts a credential names (W3C VC data model 2.0).
const (
	contextVC2 = "https://www.w3.org/ns/credentials/v2"
	contextOB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
)

// IssuerURL is the public address of an institute's issuer profile; its
// key set is at IssuerURL + "/jwks.json".
func (s *Service) IssuerURL(orgID uuid.UUID) string {
	return s.publicURL + "/api/v1/issuers/" + orgID.String()
}

// profile is an institute's Open Badges issuer profile.
func (s *Service) profile(p PartyFacts, orgID uuid.UUID) map[string]any {
	return map[string]any{"id": s.IssuerURL(orgID), "type": []string{"Profile"}, "name": p.Name,
		"otherIdentifier": []map[string]any{{"type": "IdentifierEntry", "identifier": p.Code, "identifierType": "identifier"}}}
}

// IssuerProfile is the public Open Badges profile of an institute that has
// signed certificates, with where its keys are published.
func (s *Service) IssuerProfile(ctx context.Context, orgID uuid.UUID) (map[string]any, error) {
	keys, err := s.keys.store.ofOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, ErrIssuerNotFound
	}
	org, err := s.dir.Organization(ctx, orgID)
	if err != nil {
		return nil, ErrIssuerNotFound
	}
	p := s.profile(PartyFacts{ID: org.ID.String(), Code: org.Code, Name: org.Name}, orgID)
	p["@context"] = []string{contextVC2, contextOB3}
	p["url"] = s.publicURL
	return p, nil
}

// openBadge is a certificate as an OpenBadgeCredential (Open Badges 3.0 on
// the W3C Verifiable Credentials data model 2.0): the course as the
// achievement, its competencies as alignments, the institute as issuer.
func (s *Service) openBadge(c Certificate, f Facts) map[string]any {
	alignments := make([]map[string]any, 0, len(f.Course.Competencies))
	for _, code := range f.Course.Competencies {
		alignments = append(alignments, map[string]any{"type": []string{"Alignment"}, "targetName": code, "targetCode": code,
			"targetType": "ceasn:Competency", "targetUrl": s.publicURL + "/api/v1/competencies/" + url.PathEscape(code)})
	}
	courseID, _ := uuid.Parse(f.Course.ID)
	ownerID, _ := uuid.Parse(f.CourseOwner.ID)
	achievement := map[string]any{
		"id":   s.publicURL + "/api/v1/catalogue/courses/" + courseID.String(),
		"type": []string{"Achievement"}, "achievementType": "Certificate", "name": f.Course.Title,
		"description": fmt.Sprintf("%s (%s JP), diselenggarakan oleh %s.", f.Course.Title, trimFloat(f.Course.JP), f.Institute.Name),
		"criteria": map[string]any{"narrative": "Menyelesaikan seluruh kegiatan wajib kelas " + f.Class.Title +
			" dan memenuhi syarat kehadiran serta kelulusan. / Completed every required activity of the class and met its attendance and pass requirements."},
		"creator":          s.profile(f.CourseOwner, ownerID),
		"creditsAvailable": f.Course.JP,
		"humanCode":        f.Class.Code,
		"inLanguage":       "id",
	}
	if len(alignments) > 0 {
		achievement["alignment"] = alignments
	}
	subject := map[string]any{"id": "urn:uuid:" + c.UserID.String(), "type": []string{"AchievementSubject"},
		"achievement": achievement, "creditsEarned": f.Course.JP, "activityEndDate": f.CompletedOn + "T00:00:00Z",
		"identifier": []map[string]any{{"type": "IdentityObject", "hashed": false, "identityHash": f.Learner.Name, "identityType": "name"}}}
	if f.Grade != nil {
		subject["result"] = []map[string]any{{"type": []string{"Result"}, "value": trimFloat(*f.Grade)}}
	}
	cred := map[string]any{
		"@context": []string{contextVC2, contextOB3}, "id": "urn:uuid:" + c.ID.String(),
		"type": []string{"VerifiableCredential", "OpenBadgeCredential"}, "name": f.Course.Title,
		"issuer": s.profile(f.Institute, c.OrgID), "validFrom": c.IssuedAt.Format(time.RFC3339),
		"credentialSubject": subject,
	}
	if c.ExpiresAt != nil {
		cred["validUntil"] = c.ExpiresAt.Format(time.RFC3339)
	}
	return cred
}

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// vcClaims are the claims of a VC-JWT: the credential itself as the
// payload (VC data model 2.0 secured with JOSE), with the registered claims
// that restate its issuer, id, subject and validity.
type vcClaims map[string]any

func (c vcClaims) GetExpirationTime() (*jwt.NumericDate, error) { return numeric(c["exp"]), nil }
func (c vcClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return numeric(c["iat"]), nil }
func (c vcClaims) GetNotBefore() (*jwt.NumericDate, error)      { return numeric(c["nbf"]), nil }
func (c vcClaims) GetIssuer() (string, error)                   { s, _ := c["iss"].(string); return s, nil }
func (c vcClaims) GetSubject() (string, error)                  { s, _ := c["sub"].(string); return s, nil }
func (c vcClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

func numeric(v any) *jwt.NumericDate {
	switch n := v.(type) {
	case int64:
		return jwt.NewNumericDate(time.Unix(n, 0))
	case float64:
		return jwt.NewNumericDate(time.Unix(int64(n), 0))
	}
	return nil
}

// Credential returns a certificate as a signed VC-JWT (EdDSA with the
// institute's current key, named by kid in the key set at IssuerURL/jwks.json),
// for its holder or its issuers. A revoked or superseded certificate has none.
func (s *Service) Credential(ctx context.Context, id uuid.UUID) (string, error) {
	c, err := s.see(ctx, id)
	if err != nil {
		return "", err
	}
	return s.credentialOf(ctx, c)
}

func (s *Service) credentialOf(ctx context.Context, c Certificate) (string, error) {
	switch c.StatusAt(s.now()) {
	case StatusRevoked:
		return "", ErrRevoked
	case StatusSuperseded:
		return "", ErrSuperseded
	}
	f, err := parseFacts(c.Facts)
	if err != nil {
		return "", err
	}
	claims := vcClaims(s.openBadge(c, f))
	claims["iss"] = s.IssuerURL(c.OrgID)
	claims["jti"] = "urn:uuid:" + c.ID.String()
	claims["sub"] = "urn:uuid:" + c.UserID.String()
	claims["nbf"] = c.IssuedAt.Unix()
	claims["iat"] = s.now().Unix()
	if c.ExpiresAt != nil {
		claims["exp"] = c.ExpiresAt.Unix()
	}
	key, err := s.keys.signer(ctx, c.OrgID)
	if err != nil {
		return "", err
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = key.kid
	t.Header["typ"] = "vc+jwt"
	signed, err := t.SignedString(key.private)
	if err != nil {
		return "", fmt.Errorf("sign credential of %s: %w", c.Serial, err)
	}
	return signed, nil
}
