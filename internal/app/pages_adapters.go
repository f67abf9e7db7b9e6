package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/certificate"
	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/platform/page"
)

// certificateClasses gives the institute's certificate pages its classes.
type certificateClasses struct{ delivery *delivery.Service }

// InstituteClasses lists the institute's classes the caller may read.
func (a certificateClasses) InstituteClasses(ctx context.Context, orgID uuid.UUID) ([]certificate.ClassRef, error) {
	res, err := a.delivery.Classes(ctx, delivery.ClassFilter{OrgID: orgID}, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return nil, err
	}
	out := make([]certificate.ClassRef, 0, len(res.Items))
	for _, c := range res.Items {
		if c.OrgID == orgID {
			out = append(out, certificate.ClassRef{ID: c.ID, Code: c.Code, Title: c.Title, StartsOn: c.StartsOn})
		}
	}
	return out, nil
}

// Class names a class the certificate service has authorized.
func (a certificateClasses) Class(ctx context.Context, classID uuid.UUID) (certificate.ClassRef, error) {
	c, err := a.delivery.ClassFacts(ctx, classID)
	if errors.Is(err, delivery.ErrClassNotFound) {
		return certificate.ClassRef{}, certificate.ErrClassNotFound
	}
	return certificate.ClassRef{ID: c.ID, Code: c.Code, Title: c.Title, StartsOn: c.StartsOn}, err
}
