package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

func (s store) createSession(ctx context.Context, r sessionRow) error {
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

func (s store) updateSession(ctx context.Context, sess Session) error {
	r := toSessionRow(sess, nil)
	err := s.db.Conn(ctx).Model(&sessionRow{}).Where("id = ?", sess.ID).Updates(map[string]any{
		"kind": r.Kind, "title": r.Title, "starts_at": r.StartsAt, "ends_at": r.EndsAt,
		"venue": r.Venue, "address": r.Address, "meeting_url": r.MeetingURL, "updated_at": r.UpdatedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	return nil
}

func (s store) deleteSession(ctx context.Context, id uuid.UUID) error {
	if err := s.db.Conn(ctx).Delete(&sessionRow{}, "id = ?", id).Error; err != nil {
		if _, ok := database.ForeignKeyViolation(err); ok {
			return ErrSessionHasAttendance
		}
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// session returns a session with its check-in secret.
func (s store) session(ctx context.Context, id uuid.UUID) (sessionRow, error) {
	var r sessionRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ?", id), &r, ErrSessionNotFound, "get session %s", id); err != nil {
		return sessionRow{}, err
	}
	return r, nil
}

func (s store) sessionsOf(ctx context.Context, classID uuid.UUID, req page.Request) ([]Session, error) {
	q, err := database.Keyset(s.db.Conn(ctx).Model(&sessionRow{}).Where("class_id = ?", classID), "starts_at", database.KeyTime, "id", req)
	if err != nil {
		return nil, err
	}
	var rows []sessionRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]Session, len(rows))
	for i, r := range rows {
		out[i] = r.toSession()
	}
	return out, nil
}

type clashRow struct {
	ID       uuid.UUID
	ClassID  uuid.UUID
	Title    string
	StartsAt time.Time
	EndsAt   time.Time
	UserID   uuid.UUID
	WithID   uuid.UUID
}

func (r clashRow) toClash() Clash {
	return Clash{SessionID: r.ID, ClassID: r.ClassID, Title: r.Title, StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), UserID: r.UserID, WithID: r.WithID}
}

func toClashes(rows []clashRow) []Clash {
	out := make([]Clash, len(rows))
	for i, r := range rows {
		out[i] = r.toClash()
	}
	return out
}

// staffClashes returns the sessions taking attendance that staff members
// teach and that overlap [start, end), other than the session except.
func (s store) staffClashes(ctx context.Context, userIDs []uuid.UUID, start, end time.Time, except, with uuid.UUID) ([]Clash, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	var rows []clashRow
	err := s.db.Conn(ctx).Raw(`SELECT s.id, s.class_id, s.title, s.starts_at, s.ends_at, cs.user_id, ?::uuid AS with_id
		FROM sessions s
		JOIN class_staff cs ON cs.class_id = s.class_id
		JOIN classes c ON c.id = s.class_id
		WHERE cs.user_id = ANY(?::uuid[]) AND s.id <> ? AND s.kind <> 'self_paced' AND c.status <> 'cancelled'
		  AND tstzrange(s.starts_at, s.ends_at) && tstzrange(?, ?)
		ORDER BY s.starts_at, s.id, cs.user_id`, with, database.UUIDArray(userIDs), except, start, end).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find staff clashes: %w", err)
	}
	return toClashes(rows), nil
}

// staffClashesForClass returns, for new staff members of a class, the other
// sessions they teach that overlap the class's sessions.
func (s store) staffClashesForClass(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) ([]Clash, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	var rows []clashRow
	err := s.db.Conn(ctx).Raw(`SELECT other.id, other.class_id, other.title, other.starts_at, other.ends_at, cs.user_id, mine.id AS with_id
		FROM sessions mine
		JOIN sessions other ON other.class_id <> mine.class_id AND other.kind <> 'self_paced'
		  AND tstzrange(other.starts_at, other.ends_at) && tstzrange(mine.starts_at, mine.ends_at)
		JOIN class_staff cs ON cs.class_id = other.class_id AND cs.user_id = ANY(?::uuid[])
		JOIN classes c ON c.id = other.class_id AND c.status <> 'cancelled'
		WHERE mine.class_id = ? AND mine.kind <> 'self_paced'
		ORDER BY other.starts_at, other.id, cs.user_id`, database.UUIDArray(userIDs), classID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find staff clashes: %w", err)
	}
	return toClashes(rows), nil
}

// learnerClashes returns the sessions of the learner's active classes that
// overlap sessions of the class they are joining.
func (s store) learnerClashes(ctx context.Context, userID, classID uuid.UUID) ([]Clash, error) {
	var rows []clashRow
	err := s.db.Conn(ctx).Raw(`SELECT mine.id, mine.class_id, mine.title, mine.starts_at, mine.ends_at, e.user_id, target.id AS with_id
		FROM enrolments e
		JOIN sessions mine ON mine.class_id = e.class_id AND mine.kind <> 'self_paced'
		JOIN sessions target ON target.class_id = ? AND target.kind <> 'self_paced'
		  AND tstzrange(mine.starts_at, mine.ends_at) && tstzrange(target.starts_at, target.ends_at)
		WHERE e.user_id = ? AND e.status = 'active' AND e.class_id <> ?
		ORDER BY mine.starts_at, mine.id`, classID, userID, classID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find learner clashes: %w", err)
	}
	return toClashes(rows), nil
}

// checkIn records a check-in unless the learner already has a record for
// the session; it reports whether it recorded one.
func (s store) checkIn(ctx context.Context, r attendanceRow) (bool, error) {
	res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
	if res.Error != nil {
		return false, fmt.Errorf("record check-in: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s store) attendance(ctx context.Context, sessionID, userID uuid.UUID) (Attendance, error) {
	var r attendanceRow
	if err := s.db.Conn(ctx).Where("session_id = ? AND user_id = ?", sessionID, userID).Take(&r).Error; err != nil {
		return Attendance{}, fmt.Errorf("get attendance: %w", err)
	}
	return r.toAttendance(), nil
}

func (s store) recordRollCall(ctx context.Context, rows []attendanceRow) error {
	if len(rows) == 0 {
		return nil
	}
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "session_id"}, {Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"status", "method", "recorded_by", "recorded_at"}),
	}).Create(&rows).Error
	if err != nil {
		return fmt.Errorf("record roll call: %w", err)
	}
	return nil
}

func (s store) attendanceOf(ctx context.Context, sessionID uuid.UUID) ([]Attendance, error) {
	var rows []attendanceRow
	if err := s.db.Conn(ctx).Where("session_id = ?", sessionID).Order("user_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list attendance: %w", err)
	}
	out := make([]Attendance, len(rows))
	for i, r := range rows {
		out[i] = r.toAttendance()
	}
	return out, nil
}

// attendancePage returns one page of a session's attendance, by learner.
func (s store) attendancePage(ctx context.Context, sessionID uuid.UUID, req page.Request) ([]Attendance, error) {
	q, err := database.Keyset(s.db.Conn(ctx).Where("session_id = ?", sessionID), "", database.KeyNone, "user_id", req)
	if err != nil {
		return nil, err
	}
	var rows []attendanceRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list attendance: %w", err)
	}
	out := make([]Attendance, len(rows))
	for i, r := range rows {
		out[i] = r.toAttendance()
	}
	return out, nil
}

func (s store) hasAttendance(ctx context.Context, sessionID uuid.UUID) (bool, error) {
	var found bool
	err := s.db.Conn(ctx).Raw("SELECT EXISTS (SELECT 1 FROM attendance WHERE session_id = ?)", sessionID).Scan(&found).Error
	return found, err
}

// tally is a learner's attendance in a class: the sessions that take
// attendance and those of them attended (present or excused).
type tally struct{ total, attended int }

// attendanceTally tallies one learner's attendance in a class.
func (s store) attendanceTally(ctx context.Context, classID, userID uuid.UUID) (tally, error) {
	t, err := s.attendanceTallies(ctx, classID, []uuid.UUID{userID})
	return t[userID], err
}

// attendanceTallies tallies the attendance of learners in a class, by user,
// in one query.
func (s store) attendanceTallies(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) (map[uuid.UUID]tally, error) {
	out := make(map[uuid.UUID]tally, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		UserID   uuid.UUID
		Total    int
		Attended int
	}
	err := s.db.Conn(ctx).Raw(`SELECT u.user_id, count(s.id) AS total,
		count(*) FILTER (WHERE a.status IN ('present', 'excused')) AS attended
		FROM unnest(?::uuid[]) AS u(user_id)
		LEFT JOIN sessions s ON s.class_id = ? AND s.kind <> 'self_paced'
		LEFT JOIN attendance a ON a.session_id = s.id AND a.user_id = u.user_id
		GROUP BY u.user_id`, database.UUIDArray(userIDs), classID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("tally attendance: %w", err)
	}
	for _, r := range rows {
		out[r.UserID] = tally{total: r.Total, attended: r.Attended}
	}
	return out, nil
}

// countCheckInAttempt counts one check-in attempt at a session by a person
// (the nil uuid: by anyone) in the window that started last, or in a new
// window starting at now once that one has ended. It returns the attempts
// in the window and when the window started.
func (s store) countCheckInAttempt(ctx context.Context, sessionID, userID uuid.UUID, now time.Time, window time.Duration) (int, time.Time, error) {
	var r struct {
		Attempts    int
		WindowStart time.Time
	}
	cutoff := now.Add(-window)
	err := s.db.Conn(ctx).Raw(`INSERT INTO check_in_throttle AS t (session_id, user_id, window_start, attempts) VALUES (?, ?, ?, 1)
		ON CONFLICT (session_id, user_id) DO UPDATE SET
		  attempts = CASE WHEN t.window_start <= ? THEN 1 ELSE t.attempts + 1 END,
		  window_start = CASE WHEN t.window_start <= ? THEN excluded.window_start ELSE t.window_start END
		RETURNING attempts, window_start`, sessionID, userID, now, cutoff, cutoff).Scan(&r).Error
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count check-in attempt: %w", err)
	}
	return r.Attempts, r.WindowStart, nil
}

// uncountCheckInAttempt takes back an attempt that was not a wrong code,
// the person's and the session's.
func (s store) uncountCheckInAttempt(ctx context.Context, sessionID, userID uuid.UUID) error {
	err := s.db.Conn(ctx).Exec(`UPDATE check_in_throttle SET attempts = attempts - 1
		WHERE session_id = ? AND user_id IN (?, ?) AND attempts > 0`, sessionID, userID, uuid.Nil).Error
	if err != nil {
		return fmt.Errorf("take back check-in attempt: %w", err)
	}
	return nil
}
