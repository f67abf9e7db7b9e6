package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// seatStatuses are the enrolment statuses that hold a seat.
var seatStatuses = []string{string(EnrolmentActive), string(EnrolmentCompleted)}

func (s store) classesWithSeats(ctx context.Context) *gorm.DB {
	return s.db.Conn(ctx).Table("classes").Select(`classes.*, (SELECT count(*) FROM enrolments e
		WHERE e.class_id = classes.id AND e.status IN ('active', 'completed')) AS seats_taken`)
}

func (s store) createClass(ctx context.Context, c Class) error {
	r := toClassRow(c)
	if err := s.db.Conn(ctx).Omit("SeatsTaken").Create(&r).Error; err != nil {
		return fmt.Errorf("create class: %w", translate(err))
	}
	return nil
}

func (s store) updateClass(ctx context.Context, c Class) error {
	r := toClassRow(c)
	err := s.db.Conn(ctx).Model(&classRow{}).Where("id = ?", c.ID).Updates(map[string]any{
		"code": r.Code, "title": r.Title, "starts_on": r.StartsOn, "ends_on": r.EndsOn,
		"enrol_opens_at": r.EnrolOpensAt, "enrol_closes_at": r.EnrolClosesAt, "capacity": r.Capacity,
		"waitlist": r.Waitlist, "policy": r.Policy, "region_code": r.RegionCode,
		"attendance_threshold": r.AttendanceThreshold, "status": r.Status, "updated_at": r.UpdatedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update class: %w", translate(err))
	}
	return nil
}

// class returns a class with its staff and seats taken.
func (s store) class(ctx context.Context, id uuid.UUID) (Class, error) {
	return s.classFrom(ctx, s.classesWithSeats(ctx), id)
}

// classWithoutSeats returns a class with its staff; SeatsTaken is 0.
func (s store) classWithoutSeats(ctx context.Context, id uuid.UUID) (Class, error) {
	return s.classFrom(ctx, s.db.Conn(ctx).Table("classes"), id)
}

func (s store) classFrom(ctx context.Context, q *gorm.DB, id uuid.UUID) (Class, error) {
	var r classRow
	if err := database.Take(q.Where("classes.id = ?", id), &r, ErrClassNotFound, "get class %s", id); err != nil {
		return Class{}, err
	}
	c := r.toClass()
	staff, err := s.staffOf(ctx, []uuid.UUID{id})
	if err != nil {
		return Class{}, err
	}
	c.Staff = staff[id]
	return c, nil
}

// lockClass takes the class row's lock until the transaction ends, so that
// seats are counted and given out one enrolment at a time.
func (s store) lockClass(ctx context.Context, id uuid.UUID) error {
	var ids []uuid.UUID
	err := s.db.Conn(ctx).Model(&classRow{}).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("id = ?", id).Pluck("id", &ids).Error
	if err != nil {
		return fmt.Errorf("lock class %s: %w", id, err)
	}
	if len(ids) == 0 {
		return ErrClassNotFound
	}
	return nil
}

// classVisibility is who is listing classes: an admin sees every class;
// others see, of the sharedCourses, the classes open to all (every class
// when they assign learners), their own and their staff's, and every class
// of readOrg when they may read it.
type classVisibility struct {
	all           bool
	assigner      bool
	sharedCourses []uuid.UUID
	userID        uuid.UUID
	readOrg       uuid.UUID
}

// filterClasses applies a class filter to q.
func filterClasses(q *gorm.DB, f ClassFilter) *gorm.DB {
	if f.VersionID != uuid.Nil {
		q = q.Where("classes.version_id = ?", f.VersionID)
	}
	if f.CourseID != uuid.Nil {
		q = q.Where("classes.course_id = ?", f.CourseID)
	}
	if f.OrgID != uuid.Nil {
		q = q.Where("classes.org_id = ?", f.OrgID)
	}
	if f.RegionCode != "" {
		q = q.Where("(classes.region_code = ? OR classes.region_code LIKE ?)", f.RegionCode, database.EscapeLike(f.RegionCode)+".%")
	}
	if f.Status != "" {
		q = q.Where("classes.status = ?", f.Status)
	}
	return q
}

// classCourses returns the courses of the classes a filter keeps.
func (s store) classCourses(ctx context.Context, f ClassFilter) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	if err := filterClasses(s.db.Conn(ctx).Table("classes"), f).Distinct("classes.course_id").Pluck("classes.course_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("list courses of classes: %w", err)
	}
	return ids, nil
}

func (s store) listClasses(ctx context.Context, f ClassFilter, vis classVisibility, req page.Request) ([]Class, error) {
	q := s.classesWithSeats(ctx)
	if !vis.all {
		shared := "classes.course_id = ANY(?::uuid[]) AND classes.policy <> 'assigned'"
		if vis.assigner {
			shared = "classes.course_id = ANY(?::uuid[])"
		}
		cond := s.db.Conn(ctx).Where(shared, database.UUIDArray(vis.sharedCourses)).
			Or("EXISTS (SELECT 1 FROM enrolments e WHERE e.class_id = classes.id AND e.user_id = ?)", vis.userID).
			Or("EXISTS (SELECT 1 FROM class_staff cs WHERE cs.class_id = classes.id AND cs.user_id = ?)", vis.userID)
		if vis.readOrg != uuid.Nil {
			cond = cond.Or("classes.org_id = ?", vis.readOrg)
		}
		q = q.Where(cond)
	}
	q, err := database.Keyset(filterClasses(q, f), "classes.starts_on", database.KeyDate, "classes.id", req)
	if err != nil {
		return nil, err
	}
	var rows []classRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list classes: %w", err)
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	staff, err := s.staffOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Class, len(rows))
	for i, r := range rows {
		out[i] = r.toClass()
		out[i].Staff = staff[r.ID]
	}
	return out, nil
}

// openClassesOfCourse returns the classes of a course a learner could join
// now by themselves, earliest first.
func (s store) openClassesOfCourse(ctx context.Context, courseID uuid.UUID, now time.Time) ([]Class, error) {
	var rows []classRow
	err := s.classesWithSeats(ctx).
		Where("classes.course_id = ? AND classes.status IN ('scheduled', 'running') AND classes.policy IN ('open', 'approval')", courseID).
		Where("(classes.enrol_opens_at IS NULL OR classes.enrol_opens_at <= ?) AND (classes.enrol_closes_at IS NULL OR classes.enrol_closes_at > ?)", now, now).
		Where(`(SELECT count(*) FROM enrolments e WHERE e.class_id = classes.id AND e.status IN ('active', 'completed')) < classes.capacity`).
		Order("classes.starts_on, classes.id").Limit(20).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("open classes of course: %w", err)
	}
	out := make([]Class, len(rows))
	for i, r := range rows {
		out[i] = r.toClass()
	}
	return out, nil
}

func (s store) staffOf(ctx context.Context, classIDs []uuid.UUID) (map[uuid.UUID][]Staff, error) {
	out := map[uuid.UUID][]Staff{}
	if len(classIDs) == 0 {
		return out, nil
	}
	var rows []staffRow
	if err := s.db.Conn(ctx).Where("class_id = ANY(?::uuid[])", database.UUIDArray(classIDs)).Order("role, user_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list class staff: %w", err)
	}
	for _, r := range rows {
		out[r.ClassID] = append(out[r.ClassID], Staff{UserID: r.UserID, Role: StaffRole(r.Role)})
	}
	return out, nil
}

func (s store) replaceStaff(ctx context.Context, classID uuid.UUID, staff []Staff) error {
	tx := s.db.Conn(ctx)
	if err := tx.Where("class_id = ?", classID).Delete(&staffRow{}).Error; err != nil {
		return fmt.Errorf("clear class staff: %w", err)
	}
	if len(staff) == 0 {
		return nil
	}
	rows := make([]staffRow, len(staff))
	for i, m := range staff {
		rows[i] = staffRow{ClassID: classID, UserID: m.UserID, Role: string(m.Role)}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("set class staff: %w", err)
	}
	return nil
}
