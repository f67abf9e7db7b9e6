package delivery

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// Progress events lock their enrolment's row, so the events of one learner
// in one class are applied one at a time and completion, with its JP credit
// and outbox job, happens exactly once, in the transaction of the event that
// completes it.

// released reports whether an item is open to a learner at now, given the
// items they completed.
func released(item CourseItem, now time.Time, done map[uuid.UUID]time.Time) bool {
	if item.ReleaseAt != nil && now.Before(*item.ReleaseAt) {
		return false
	}
	if item.ReleaseAfterItemID != nil {
		if _, ok := done[*item.ReleaseAfterItemID]; !ok {
			return false
		}
	}
	return true
}

// version returns the published version a class runs; ErrCourseUnavailable
// when the catalogue no longer offers it.
func (s *Service) version(ctx context.Context, c Class) (CourseVersion, error) {
	v, err := s.catalogue.PublishedVersion(ctx, c.VersionID)
	switch apperr.KindOf(err) {
	case apperr.KindNotFound, apperr.KindInvalid, apperr.KindConflict:
		return CourseVersion{}, ErrCourseUnavailable.Wrap(err)
	}
	return v, err
}

// RecordProgress records an event the learner reports about an item of
// their class: viewed (completes text, document and link items) or
// video_watched with the share watched (completes a video from 0.9). An item
// not released yet is refused. Replaying an event changes nothing.
func (s *Service) RecordProgress(ctx context.Context, enrolmentID uuid.UUID, in ProgressInput) (Progress, error) {
	var p Progress
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		ea, err := s.loadEnrolment(ctx, enrolmentID, lockEnrolment)
		if err != nil {
			return err
		}
		if !ea.self() {
			return authz.ErrForbidden
		}
		if !ea.selfService() {
			return ErrSelfScope
		}
		version, err := s.version(ctx, ea.class)
		if err != nil {
			return err
		}
		item, err := in.validate(version)
		if err != nil {
			return err
		}
		value := 0.0
		if in.WatchedRatio != nil {
			value = *in.WatchedRatio
		}
		e, st, err := s.apply(ctx, ea, version, item, in.Event, value)
		if err != nil {
			return err
		}
		ea.enrolment = e
		p = progressOf(ea, version, st, s.now())
		return nil
	})
	return p, err
}

// RecordOutcome records what another domain decided about a learner and an
// item: a quiz passed, an assignment graded, a survey answered (completed).
// A quiz or assignment so completed shows as completed and releases the
// items that wait for it, but the completion rule reads the gradebook's
// result for it (see grades.go). It needs no caller and may run in a task.
// Replaying it changes nothing.
func (s *Service) RecordOutcome(ctx context.Context, enrolmentID, itemID uuid.UUID, kind ProgressKind) error {
	if kind != EventQuizPassed && kind != EventAssignmentGraded && kind != EventCompleted {
		return apperr.Invalid("kind", "harus quiz_passed, assignment_graded atau completed", "must be quiz_passed, assignment_graded or completed")
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		e, err := s.store.enrolment(ctx, enrolmentID, true)
		if err != nil {
			return err
		}
		actor, _ := authz.ActorFrom(ctx) // may be nobody: outcomes also arrive from tasks
		a, err := s.loadClass(ctx, e.ClassID, actor)
		if err != nil {
			return err
		}
		ea := enrolmentAccess{access: a, enrolment: e}
		version, err := s.version(ctx, a.class)
		if err != nil {
			return err
		}
		item, ok := version.Item(itemID)
		if !ok {
			return apperr.Invalid("item_id", "bukan materi dari kursus ini", "is not an item of this course")
		}
		if !completes(item, kind, 1) {
			return apperr.Invalid("kind", "jenis hasil tidak sesuai dengan jenis materi", "the outcome does not fit the item's kind")
		}
		_, _, err = s.apply(ctx, ea, version, item, kind, 1)
		return err
	})
}

// RevokeQuizPassed takes back the completion of a quiz item of an enrolment
// still in progress, when a regrade or a grader's new score took the
// learner's grade of the quiz below its pass mark: the item shows as not
// done, and the items released after it wait again. Whether the quiz counts
// for completion was the gradebook's to say, and it follows the same
// revision. An enrolment already completed keeps what it earned: its JP are
// credited and its certificate may be out in the world.
func (s *Service) RevokeQuizPassed(ctx context.Context, enrolmentID, itemID uuid.UUID) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		e, err := s.store.enrolment(ctx, enrolmentID, true)
		if err != nil {
			return err
		}
		if e.Status != EnrolmentActive {
			return nil
		}
		revoked, err := s.store.uncompleteItem(ctx, e.ID, itemID)
		if err != nil || !revoked {
			return err
		}
		return s.store.recordEvent(ctx, progressEventRow{ID: uuid.Must(uuid.NewV7()), EnrolmentID: e.ID, ItemID: itemID,
			Kind: string(EventQuizPassedRevoked), At: s.now()})
	})
}

// standing is what the completion rule reads of one enrolment: the items
// completed, with when, the attendance, and whether the gradebook passes
// the learner (see grades.go).
type standing struct {
	done map[uuid.UUID]time.Time
	tally
	gradePassed bool
}

// standingOf reads an enrolment's standing.
func (s *Service) standingOf(ctx context.Context, e Enrolment) (standing, error) {
	done, err := s.store.completedItems(ctx, e.ID)
	if err != nil {
		return standing{}, err
	}
	t, err := s.store.attendanceTally(ctx, e.ClassID, e.UserID)
	if err != nil {
		return standing{}, err
	}
	passed, err := s.store.gradePassed(ctx, []uuid.UUID{e.ID})
	return standing{done: done, tally: t, gradePassed: passed[e.ID]}, err
}

// apply records one event for a locked enrolment, completes the item when
// the event does, and evaluates the enrolment's completion; it returns the
// enrolment and its standing after the event.
func (s *Service) apply(ctx context.Context, ea enrolmentAccess, version CourseVersion, item CourseItem, kind ProgressKind, value float64) (Enrolment, standing, error) {
	e := ea.enrolment
	if !e.Status.Learning() {
		return Enrolment{}, standing{}, ErrEnrolmentNotActive
	}
	st, err := s.standingOf(ctx, e)
	if err != nil {
		return Enrolment{}, standing{}, err
	}
	now := s.now()
	if !released(item, now, st.done) {
		return Enrolment{}, standing{}, ErrItemNotReleased
	}
	row := progressEventRow{ID: uuid.Must(uuid.NewV7()), EnrolmentID: e.ID, ItemID: item.ID, Kind: string(kind), At: now}
	if kind == EventVideoWatched {
		row.Value = &value
	}
	if err := s.store.recordEvent(ctx, row); err != nil {
		return Enrolment{}, standing{}, err
	}
	if completes(item, kind, value) {
		if err := s.store.completeItem(ctx, e.ID, item.ID, now); err != nil {
			return Enrolment{}, standing{}, err
		}
		if _, ok := st.done[item.ID]; !ok { // an item completed before keeps its first time
			st.done[item.ID] = now.Truncate(time.Microsecond) // as the column keeps it
		}
	}
	e, err = s.evaluateWith(ctx, e, ea.access, version, st)
	return e, st, err
}

// evaluate applies a class's completion rule to a locked enrolment.
func (s *Service) evaluate(ctx context.Context, e Enrolment, a access) (Enrolment, error) {
	if !e.Status.Learning() {
		return e, nil
	}
	version, err := s.version(ctx, a.class)
	if errors.Is(err, ErrCourseUnavailable) {
		return e, nil // attendance is kept; completion waits for the course to be offered again
	}
	if err != nil {
		return Enrolment{}, err
	}
	st, err := s.standingOf(ctx, e)
	if err != nil {
		return Enrolment{}, err
	}
	return s.evaluateWith(ctx, e, a, version, st)
}

// evaluateWith applies the completion rule: every required item done (a
// quiz or assignment is done when the gradebook passes the learner, the
// others when completed) and, when the class has sessions taking
// attendance, the share attended (present or excused) at least the class's
// threshold. Meeting the threshold
// completes the version's live-session items. The enrolment that completes
// gets its completion date, credits the class's JP to the learner's ledger for
// the year once, records the outbox job for certificates and moves the
// learner's learning paths on, all in the caller's transaction.
//
// st is the enrolment's standing, read by the caller in the same
// transaction; the live-session items this completes are added to st.done.
func (s *Service) evaluateWith(ctx context.Context, e Enrolment, a access, version CourseVersion, st standing) (Enrolment, error) {
	if !e.Status.Learning() {
		return e, nil
	}
	now := s.now()
	attendanceMet := st.total == 0 || float64(st.attended) >= a.class.AttendanceThreshold*float64(st.total)-1e-9
	done := st.done
	if attendanceMet {
		for _, item := range version.Items {
			if _, ok := done[item.ID]; ok || item.Kind != ItemLiveSession {
				continue
			}
			if err := s.store.recordEvent(ctx, progressEventRow{ID: uuid.Must(uuid.NewV7()), EnrolmentID: e.ID,
				ItemID: item.ID, Kind: string(EventAttendanceMet), At: now}); err != nil {
				return Enrolment{}, err
			}
			if err := s.store.completeItem(ctx, e.ID, item.ID, now); err != nil {
				return Enrolment{}, err
			}
			done[item.ID] = now.Truncate(time.Microsecond)
		}
	}
	required, requiredDone := countRequired(version, st)
	progress := 1.0
	if required > 0 {
		// kept to the four decimals the column holds, so an unchanged
		// share is recognised as unchanged
		progress = math.Round(float64(requiredDone)/float64(required)*10000) / 10000
	}
	complete := requiredDone == required && attendanceMet
	before := e
	e.Progress = progress
	if e.Status == EnrolmentActive && complete {
		e.Status, e.CompletedAt = EnrolmentCompleted, &now
	}
	if e.Status == before.Status && e.Progress == before.Progress {
		return e, nil
	}
	e.UpdatedAt = now
	if err := s.store.updateEnrolment(ctx, e); err != nil {
		return Enrolment{}, err
	}
	if before.Status == EnrolmentActive && e.Status == EnrolmentCompleted {
		if err := s.completed(ctx, e, a); err != nil {
			return Enrolment{}, err
		}
	}
	return e, nil
}

// countRequired counts a version's required items and those done: a
// graded item (quiz, assignment) is done when the gradebook passes the
// learner, whatever it scored on its own; any other when completed.
func countRequired(version CourseVersion, st standing) (required, requiredDone int) {
	for _, item := range version.Items {
		if !item.Required {
			continue
		}
		required++
		if graded(item) {
			if st.gradePassed {
				requiredDone++
			}
			continue
		}
		if _, ok := st.done[item.ID]; ok {
			requiredDone++
		}
	}
	return required, requiredDone
}

// completed does what follows an enrolment's completion, in its transaction.
func (s *Service) completed(ctx context.Context, e Enrolment, a access) error {
	if _, err := s.store.creditJP(ctx, jpCreditRow{EnrolmentID: e.ID, UserID: e.UserID, ClassID: a.class.ID,
		VersionID: a.class.VersionID, Year: jpYear(*e.CompletedAt), JP: a.class.JPCredit, CreditedAt: *e.CompletedAt}); err != nil {
		return err
	}
	if _, err := s.outbox.Add(ctx, newEnrolmentCompletedJob(e, a.class)); err != nil {
		return err
	}
	if err := s.record(ctx, authz.ClassRead, a, "enrolment.complete", "enrolment", e.ID,
		map[string]any{"status": EnrolmentActive}, map[string]any{"status": e.Status, "completed_at": e.CompletedAt, "jp": a.class.JPCredit}); err != nil {
		return err
	}
	return s.advancePaths(ctx, e.UserID, a.class.CourseID)
}

// Progress returns a learner's state in their class: each item, released or
// not and when completed, and their attendance.
func (s *Service) Progress(ctx context.Context, enrolmentID uuid.UUID) (Progress, error) {
	ea, err := s.loadEnrolment(ctx, enrolmentID, lockNothing)
	if err != nil {
		return Progress{}, err
	}
	version, err := s.version(ctx, ea.class)
	if err != nil {
		return Progress{}, err
	}
	st, err := s.standingOf(ctx, ea.enrolment)
	if err != nil {
		return Progress{}, err
	}
	return progressOf(ea, version, st, s.now()), nil
}

// progressOf is a learner's state in their class at now, from their standing.
func progressOf(ea enrolmentAccess, version CourseVersion, st standing, now time.Time) Progress {
	p := Progress{Enrolment: ea.enrolment, SessionsTotal: st.total, SessionsAttended: st.attended, AttendanceRequired: ea.class.AttendanceThreshold}
	if st.total > 0 {
		p.AttendanceRatio = float64(st.attended) / float64(st.total)
	}
	p.RequiredTotal, p.RequiredDone = countRequired(version, st)
	for _, item := range version.Items {
		is := ItemState{ItemID: item.ID, Kind: item.Kind, Required: item.Required, Released: released(item, now, st.done)}
		if at, ok := st.done[item.ID]; ok {
			is.CompletedAt = &at
		}
		p.Items = append(p.Items, is)
	}
	return p
}

// CanLearn reports whether a user is active in or has completed a class of
// a version, for access to the version's media.
func (s *Service) CanLearn(ctx context.Context, userID, versionID uuid.UUID) (bool, error) {
	return s.store.learning(ctx, userID, versionID)
}

// MyJP returns the caller's JP ledger for a year (0 for the current year in
// Western Indonesian Time), with the credits that make it up.
func (s *Service) MyJP(ctx context.Context, year int) (JPLedger, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return JPLedger{}, err
	}
	if !actor.MaySelf(authz.SelfLearn) {
		return JPLedger{}, ErrSelfScope
	}
	if year == 0 {
		year = jpYear(s.now())
	}
	if year < 2000 || year > 2200 {
		return JPLedger{}, apperr.Invalid("year", "tahun tidak valid", "invalid year")
	}
	return s.store.ledger(ctx, actor.UserID, year)
}
