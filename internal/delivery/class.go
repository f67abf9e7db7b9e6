package delivery

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// CreateClass opens a class of a published course version at an institute
// the caller manages classes for.
func (s *Service) CreateClass(ctx context.Context, in ClassInput) (Class, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Class{}, err
	}
	var v apperr.Validation
	v.Check(in.VersionID != uuid.Nil, "version_id", "wajib diisi", "is required")
	v.Check(in.OrgID != uuid.Nil, "org_id", "wajib diisi", "is required")
	if err := v.Err(); err != nil {
		return Class{}, err
	}
	path, err := s.directory.OrgPath(ctx, in.OrgID)
	if err := authz.Decide(err == nil && actor.Can(authz.ClassRead, path), err == nil && actor.Can(authz.ClassManage, path),
		apperr.Invalid("org_id", "lembaga tidak ditemukan", "institute not found")); err != nil {
		return Class{}, err
	}
	// A version of a course not shared with the institute is reported as
	// missing, so that private courses cannot be probed.
	unusable := apperr.Invalid("version_id", "versi kursus tidak ditemukan atau belum terbit",
		"the course version does not exist or is not published")
	version, err := s.catalogue.PublishedVersion(ctx, in.VersionID)
	if err != nil || version.Archived {
		return Class{}, unusable
	}
	shared, err := s.catalogue.SharedWith(ctx, []uuid.UUID{version.CourseID}, []string{path})
	if err != nil {
		return Class{}, err
	}
	if !shared[version.CourseID] {
		return Class{}, unusable
	}
	now := s.now()
	threshold := DefaultAttendanceThreshold
	if in.AttendanceThreshold != nil {
		threshold = *in.AttendanceThreshold
	}
	title := in.Title
	if title == "" {
		title = version.Title
	}
	c := Class{
		ID: uuid.Must(uuid.NewV7()), VersionID: version.VersionID, CourseID: version.CourseID, OrgID: in.OrgID,
		Code: in.Code, Title: title, StartsOn: asDate(in.StartsOn), EndsOn: asDate(in.EndsOn),
		EnrolOpensAt: utcPtr(in.EnrolOpensAt), EnrolClosesAt: utcPtr(in.EnrolClosesAt), Capacity: in.Capacity,
		Waitlist: in.Waitlist, Policy: in.Policy, RegionCode: in.RegionCode, AttendanceThreshold: threshold,
		JPCredit: version.JPCredit, Status: ClassScheduled, CreatedBy: &actor.UserID, CreatedAt: now, UpdatedAt: now,
	}
	if err := c.validate(); err != nil {
		return Class{}, err
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.createClass(ctx, c); err != nil {
			return err
		}
		return s.record(ctx, authz.ClassManage, access{actor: actor, class: c, path: path}, "class.create", "class", c.ID, nil, c)
	})
	return c, err
}

// Class returns a class the caller may see, with its seats taken.
func (s *Service) Class(ctx context.Context, id uuid.UUID) (Class, error) {
	c, err := s.SeenClassFacts(ctx, id)
	if err != nil {
		return Class{}, err
	}
	if c.SeatsTaken, err = s.store.seatsTaken(ctx, id); err != nil {
		return Class{}, err
	}
	return c, nil
}

// SeenClassFacts returns a class the caller may see, as Class does, but
// without counting its seats (SeatsTaken is 0): for the checks of the
// requests of its staff in other parts (opening a learner's quiz attempt,
// grading), where counting a national class's 20,000 enrolments each time
// took 6 ms of the database per request.
func (s *Service) SeenClassFacts(ctx context.Context, id uuid.UUID) (Class, error) {
	a, err := s.classAccess(ctx, id, needSee)
	return a.class, err
}

// Classes lists the classes the caller may see, earliest first: their own
// and their staff's; of courses shared where the caller is (their home or
// the units they assign), those open to enrolment, and every class for
// those who assign learners; and with an org_id whose classes the caller
// may read, all of that institute's classes.
func (s *Service) Classes(ctx context.Context, f ClassFilter, req page.Request) (page.Result[Class], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Class]{}, err
	}
	if err := f.Validate(); err != nil {
		return page.Result[Class]{}, err
	}
	if err := database.CheckCursor(req, database.KeyDate); err != nil {
		return page.Result[Class]{}, err
	}
	vis := classVisibility{all: actor.IsPlatformAdmin(), assigner: assigner(actor), userID: actor.UserID}
	if !vis.all {
		if f.OrgID != uuid.Nil {
			if path, err := s.directory.OrgPath(ctx, f.OrgID); err == nil && actor.Can(authz.ClassRead, path) {
				vis.readOrg = f.OrgID
			}
		}
		// The courses of the classes listed that are shared where the caller is.
		courses, err := s.store.classCourses(ctx, f)
		if err != nil {
			return page.Result[Class]{}, err
		}
		shared, err := s.catalogue.SharedWith(ctx, courses, reachPaths(actor))
		if err != nil {
			return page.Result[Class]{}, err
		}
		vis.sharedCourses = make([]uuid.UUID, 0, len(shared))
		for id, ok := range shared {
			if ok {
				vis.sharedCourses = append(vis.sharedCourses, id)
			}
		}
	}
	classes, err := s.store.listClasses(ctx, f, vis, req)
	if err != nil {
		return page.Result[Class]{}, err
	}
	return page.Build(classes, req.Limit, func(c Class) page.Position {
		return page.Position{Key: c.StartsOn.Format(time.DateOnly), ID: c.ID.String()}
	}), nil
}

// UpdateClass changes a class's fields. A larger capacity promotes the wait
// list at once; a capacity below the seats taken is refused.
func (s *Service) UpdateClass(ctx context.Context, id uuid.UUID, p ClassPatch) (Class, error) {
	var after Class
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.lockClass(ctx, id); err != nil {
			return err
		}
		a, err := s.classAccess(ctx, id, needManage)
		if err != nil {
			return err
		}
		before := a.class
		if !before.Status.Open() {
			return ErrClassFinished
		}
		after = applyClassPatch(before, p)
		after.UpdatedAt = s.now()
		if err := after.validate(); err != nil {
			return err
		}
		taken, err := s.store.seatsTaken(ctx, id)
		if err != nil {
			return err
		}
		if after.Capacity < taken {
			return ErrCapacityBelowSeats
		}
		if err := s.store.updateClass(ctx, after); err != nil {
			return err
		}
		a.class = after
		if _, err := s.promote(ctx, a); err != nil {
			return err
		}
		if err := s.record(ctx, authz.ClassManage, a, "class.update", "class", id, before, after); err != nil {
			return err
		}
		after, err = s.store.class(ctx, id)
		return err
	})
	return after, err
}

func applyClassPatch(c Class, p ClassPatch) Class {
	if p.Code != nil {
		c.Code = *p.Code
	}
	if p.Title != nil {
		c.Title = *p.Title
	}
	if p.StartsOn != nil {
		c.StartsOn = asDate(*p.StartsOn)
	}
	if p.EndsOn != nil {
		c.EndsOn = asDate(*p.EndsOn)
	}
	if p.EnrolOpensAt != nil {
		c.EnrolOpensAt = utcPtr(p.EnrolOpensAt)
	}
	if p.ClearEnrolOpensAt {
		c.EnrolOpensAt = nil
	}
	if p.EnrolClosesAt != nil {
		c.EnrolClosesAt = utcPtr(p.EnrolClosesAt)
	}
	if p.ClearEnrolClosesAt {
		c.EnrolClosesAt = nil
	}
	if p.Capacity != nil {
		c.Capacity = *p.Capacity
	}
	if p.Waitlist != nil {
		c.Waitlist = *p.Waitlist
	}
	if p.Policy != nil {
		c.Policy = *p.Policy
	}
	if p.RegionCode != nil {
		c.RegionCode = *p.RegionCode
	}
	if p.AttendanceThreshold != nil {
		c.AttendanceThreshold = *p.AttendanceThreshold
	}
	if p.Status != nil {
		c.Status = *p.Status
	}
	return c
}

// SetStaff replaces a class's instructors and mentors. A newcomer whose
// other sessions clash with this class's is refused with the clashes,
// unless force is set.
func (s *Service) SetStaff(ctx context.Context, classID uuid.UUID, staff []Staff, force bool) (Class, error) {
	if err := validateStaff(staff); err != nil {
		return Class{}, err
	}
	var after Class
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// The class lock makes two changes of its staff take turns: the
		// second would otherwise insert rows the first just inserted.
		if err := s.store.lockClass(ctx, classID); err != nil {
			return err
		}
		a, err := s.classAccess(ctx, classID, needManage)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(staff))
		for i, m := range staff {
			ids[i] = m.UserID
		}
		known, err := s.learners(ctx, ids)
		if err != nil {
			return err
		}
		var v apperr.Validation
		var newcomers []uuid.UUID
		for i, m := range staff {
			if _, ok := known[m.UserID]; !ok {
				v.Add("staff["+itoa(i)+"].user_id", "pengguna tidak ditemukan", "user not found")
			}
			if a.class.StaffRole(m.UserID) == "" {
				newcomers = append(newcomers, m.UserID)
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if !force {
			clashes, err := s.store.staffClashesForClass(ctx, classID, newcomers)
			if err != nil {
				return err
			}
			if len(clashes) > 0 {
				return newClashError(ErrScheduleClash, clashes)
			}
		}
		if err := s.store.replaceStaff(ctx, classID, staff); err != nil {
			return err
		}
		if err := s.record(ctx, authz.ClassManage, a, "class.staff", "class", classID,
			map[string]any{"staff": a.class.Staff}, map[string]any{"staff": staff}); err != nil {
			return err
		}
		after, err = s.store.class(ctx, classID)
		return err
	})
	return after, err
}
