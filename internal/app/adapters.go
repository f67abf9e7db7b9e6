package app

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/corpu/corpu/internal/assignment"
	"github.com/corpu/corpu/internal/course"
	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/gradebook"
	"github.com/corpu/corpu/internal/identity"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/memo"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/quiz"
)

// Domains declare the small interfaces they need of each other; these
// adapters translate between the types of one and the other, so neither
// domain imports the other.

// deliveryCatalogue gives delivery the published course versions and
// learning paths of the course domain.
type deliveryCatalogue struct{ courses *course.Service }

func (c deliveryCatalogue) PublishedVersion(ctx context.Context, versionID uuid.UUID) (delivery.CourseVersion, error) {
	v, err := c.courses.PublishedVersion(ctx, versionID)
	if err != nil {
		return delivery.CourseVersion{}, err
	}
	items := make([]delivery.CourseItem, len(v.Items))
	for i, it := range v.Items {
		items[i] = delivery.CourseItem{ID: it.ID, Kind: it.Kind, Required: it.Required,
			ReleaseAt: it.ReleaseAt, ReleaseAfterItemID: it.ReleaseAfterItemID}
	}
	return delivery.CourseVersion{VersionID: v.VersionID, CourseID: v.CourseID, OrgID: v.OrgID, Title: v.Title,
		JPCredit: v.JPCredit, DeliveryMode: v.DeliveryMode, Archived: v.Status != "published", Items: items}, nil
}

func (c deliveryCatalogue) SeePath(ctx context.Context, pathID uuid.UUID) error {
	_, err := c.courses.Path(ctx, pathID)
	return err
}

func (c deliveryCatalogue) PathSteps(ctx context.Context, pathID uuid.UUID) ([]delivery.PathStep, error) {
	steps, err := c.courses.PathCourses(ctx, pathID)
	if err != nil {
		return nil, err
	}
	out := make([]delivery.PathStep, len(steps))
	for i, s := range steps {
		out[i] = delivery.PathStep{CourseID: s.CourseID, Position: s.Position, Prerequisites: s.PrerequisiteCourseIDs}
	}
	return out, nil
}

func (c deliveryCatalogue) SharedWith(ctx context.Context, courseIDs []uuid.UUID, orgPaths []string) (map[uuid.UUID]bool, error) {
	return c.courses.SharedWith(ctx, courseIDs, orgPaths)
}

// deliveryDirectory gives delivery the people and units of identity.
type deliveryDirectory struct{ people *identity.Service }

func toLearner(u identity.User) delivery.Learner {
	return delivery.Learner{UserID: u.ID, OrgID: u.OrgID, OrgPath: u.OrgPath, SupervisorID: u.SupervisorID,
		Name: u.Name, Email: u.Email, NIP: u.NIP}
}

func toLearners(users []identity.User) []delivery.Learner {
	out := make([]delivery.Learner, len(users))
	for i, u := range users {
		out[i] = toLearner(u)
	}
	return out
}

func (d deliveryDirectory) OrgPath(ctx context.Context, orgID uuid.UUID) (string, error) {
	return d.people.OrgPath(ctx, orgID)
}

func (d deliveryDirectory) Learner(ctx context.Context, userID uuid.UUID) (delivery.Learner, error) {
	u, err := d.people.Person(ctx, userID)
	return toLearner(u), err
}

func (d deliveryDirectory) LearnersInOrg(ctx context.Context, orgID uuid.UUID) ([]delivery.Learner, error) {
	users, err := d.people.ActivePeopleIn(ctx, orgID)
	return toLearners(users), err
}

func (d deliveryDirectory) LearnersByNIP(ctx context.Context, nips []string) (map[string]delivery.Learner, error) {
	users, err := d.people.PeopleByNIP(ctx, nips)
	if err != nil {
		return nil, err
	}
	out := make(map[string]delivery.Learner, len(users))
	for nip, u := range users {
		out[nip] = toLearner(u)
	}
	return out, nil
}

func (d deliveryDirectory) DirectReports(ctx context.Context, supervisorID uuid.UUID) ([]delivery.Learner, error) {
	users, err := d.people.DirectReports(ctx, supervisorID)
	return toLearners(users), err
}

func (d deliveryDirectory) TeamQuery(ctx context.Context, roots []string, exclude uuid.UUID) *gorm.DB {
	return d.people.PeopleUnderQuery(ctx, roots, exclude)
}

func (d deliveryDirectory) Learners(ctx context.Context, userIDs []uuid.UUID) (map[uuid.UUID]delivery.Learner, error) {
	users, err := d.people.PeopleByID(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]delivery.Learner, len(users))
	for id, u := range users {
		out[id] = toLearner(u)
	}
	return out, nil
}

// quizCourses gives the quiz package the course items quizzes are kept by.
type quizCourses struct{ courses *course.Service }

func (c quizCourses) CourseItem(ctx context.Context, itemID uuid.UUID) (quiz.CourseItem, error) {
	it, err := c.courses.ItemOwnerOf(ctx, itemID)
	if err != nil {
		return quiz.CourseItem{}, err
	}
	return quiz.CourseItem{ItemID: it.ItemID, VersionID: it.VersionID, CourseID: it.CourseID, OrgID: it.OrgID,
		IsQuiz: it.Kind == course.KindQuiz, Editable: it.Status.Editable()}, nil
}

// quizClasses gives the quiz package the caller's standing in a class of
// delivery: who may see it (delivery decides), who teaches or manages it,
// who learns in it.
type quizClasses struct {
	delivery *delivery.Service
	orgs     *identity.Service
	// facts are the classes' facts their learners' requests read, for a
	// second: an exam's start burst reads its class once a second rather
	// than once per learner; a change of staff reaches them a second late.
	facts *memo.Fresh[uuid.UUID, delivery.Class]
}

// classFactsFreshness is how long a learner's request may use the facts of
// their class as another request read them.
const classFactsFreshness = time.Second

func newQuizClasses(d *delivery.Service, orgs *identity.Service) quizClasses {
	return quizClasses{delivery: d, orgs: orgs, facts: memo.NewFresh[uuid.UUID, delivery.Class](10_000, classFactsFreshness)}
}

func (c quizClasses) ClassAccess(ctx context.Context, classID uuid.UUID) (quiz.ClassAccess, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return quiz.ClassAccess{}, err
	}
	if out, ok, err := c.learnerAccess(ctx, actor, classID); ok || err != nil {
		return out, err
	}
	class, err := c.delivery.SeenClassFacts(ctx, classID)
	if err != nil {
		return quiz.ClassAccess{}, err
	}
	out, err := c.standing(ctx, actor, class)
	if err != nil {
		return quiz.ClassAccess{}, err
	}
	if actor.MaySelf(authz.SelfLearn) {
		mine, err := c.delivery.MyEnrolments(ctx, delivery.EnrolmentFilter{ClassID: classID}, page.Request{Limit: 10})
		if err != nil {
			return quiz.ClassAccess{}, err
		}
		for _, e := range mine.Items {
			if e.Status == delivery.EnrolmentActive || e.Status == delivery.EnrolmentCompleted {
				out.Learner = true
			}
		}
	}
	return out, nil
}

// learnerAccess answers for a learner of the class, the case of every
// start and page of an exam, in one to three statements: the caller's
// enrolment, the class (unless read within the last second) and, only for
// those who hold a staff role somewhere, the institute's path. Anyone
// enrolled may see their class, so delivery's visibility walk is not
// needed; ok is false for everyone else, who take that walk.
func (c quizClasses) learnerAccess(ctx context.Context, actor *authz.Actor, classID uuid.UUID) (quiz.ClassAccess, bool, error) {
	if !actor.MaySelf(authz.SelfLearn) {
		return quiz.ClassAccess{}, false, nil
	}
	// The enrolment first: staff and strangers then cost one query before
	// the walk, and a class that does not exist has no enrolment.
	learns, err := c.delivery.Learns(ctx, classID, actor.UserID)
	if err != nil || !learns {
		return quiz.ClassAccess{}, false, err
	}
	class, ok := c.facts.Get(classID)
	if !ok {
		if class, err = c.delivery.ClassFacts(ctx, classID); err != nil {
			return quiz.ClassAccess{}, false, err
		}
		c.facts.Put(classID, class)
	}
	out, err := c.standing(ctx, actor, class)
	out.Learner = true
	return out, err == nil, err
}

// standing is what the quiz needs of a class the caller may see, and
// whether they are its staff: named on it, or teaching or managing where
// its institute is.
func (c quizClasses) standing(ctx context.Context, actor *authz.Actor, class delivery.Class) (quiz.ClassAccess, error) {
	out := quiz.ClassAccess{ClassID: class.ID, VersionID: class.VersionID, OrgID: class.OrgID,
		Staff: class.StaffRole(actor.UserID) != "" && actor.Scopes == nil}
	teach, allTeach := actor.Roots(authz.ClassTeach)
	manage, allManage := actor.Roots(authz.ClassManage)
	if out.Staff || len(teach)+len(manage) == 0 && !allTeach && !allManage {
		return out, nil // the path would change nothing
	}
	path, err := c.orgs.OrgPath(ctx, class.OrgID)
	if err != nil {
		return quiz.ClassAccess{}, err
	}
	out.Staff = actor.Can(authz.ClassTeach, path) || actor.Can(authz.ClassManage, path)
	return out, nil
}

// gradebookClasses gives the gradebook the classes of delivery, their graded
// items from the course's curriculum, and the caller's standing in them (as
// the quiz package meets it), and names learners from identity.
type gradebookClasses struct {
	delivery *delivery.Service
	courses  *course.Service
	people   *identity.Service
	access   quizClasses
	// the graded items of published versions, which never change: an
	// exam's graded attempts recompute thousands of rows of one version
	items *memo.Memo[uuid.UUID, []gradebook.Item]
}

func newGradebookClasses(d *delivery.Service, courses *course.Service, people *identity.Service, access quizClasses) gradebookClasses {
	return gradebookClasses{delivery: d, courses: courses, people: people, access: access,
		items: memo.New[uuid.UUID, []gradebook.Item](1_000)}
}

func (g gradebookClasses) ClassAccess(ctx context.Context, classID uuid.UUID) (gradebook.Class, error) {
	a, err := g.access.ClassAccess(ctx, classID)
	if err != nil {
		return gradebook.Class{}, err
	}
	c, err := g.class(ctx, a.ClassID, a.OrgID, a.VersionID)
	c.Staff, c.Learner = a.Staff, a.Learner
	return c, err
}

func (g gradebookClasses) GradedClass(ctx context.Context, classID uuid.UUID) (gradebook.Class, error) {
	c, err := g.delivery.ClassFacts(ctx, classID)
	if err != nil {
		return gradebook.Class{}, err
	}
	return g.class(ctx, c.ID, c.OrgID, c.VersionID)
}

// class is a class with the graded items of its version.
func (g gradebookClasses) class(ctx context.Context, classID, orgID, versionID uuid.UUID) (gradebook.Class, error) {
	path, err := g.people.OrgPath(ctx, orgID)
	if err != nil {
		return gradebook.Class{}, err
	}
	items, err := g.gradedItems(ctx, versionID)
	if err != nil {
		return gradebook.Class{}, err
	}
	return gradebook.Class{ClassID: classID, OrgID: orgID, VersionID: versionID, OrgPath: path, Items: items}, nil
}

// gradedItems lists the graded items of a published version in curriculum
// order: its quizzes and assignments, then its attendance when it has live
// sessions.
func (g gradebookClasses) gradedItems(ctx context.Context, versionID uuid.UUID) ([]gradebook.Item, error) {
	if items, ok := g.items.Get(versionID); ok {
		return items, nil
	}
	v, err := g.courses.PublishedVersion(ctx, versionID)
	if err != nil {
		return nil, err
	}
	items := []gradebook.Item{}
	live := false
	for _, it := range v.Items {
		switch it.Kind {
		case string(course.KindQuiz):
			items = append(items, gradebook.Item{Key: it.ID.String(), Kind: gradebook.KindQuiz})
		case string(course.KindAssignment):
			items = append(items, gradebook.Item{Key: it.ID.String(), Kind: gradebook.KindAssignment})
		case string(course.KindLiveSession):
			live = true
		}
	}
	if live {
		items = append(items, gradebook.Item{Key: gradebook.AttendanceItem, Kind: gradebook.KindAttendance})
	}
	g.items.Put(versionID, items)
	return items, nil
}

func (g gradebookClasses) Enrolled(ctx context.Context, classID, userID uuid.UUID) (bool, error) {
	return g.delivery.Learns(ctx, classID, userID)
}

func (g gradebookClasses) Learners(ctx context.Context, userIDs []uuid.UUID) (map[uuid.UUID]gradebook.Learner, error) {
	users, err := g.people.PeopleByID(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]gradebook.Learner, len(users))
	for id, u := range users {
		out[id] = gradebook.Learner{Name: u.Name, NIP: u.NIP}
	}
	return out, nil
}

// itemCopiers copies into a new draft what each domain keeps by a content
// item (quizzes, assignments), in the draft's transaction.
type itemCopiers []course.ItemCopier

func (cs itemCopiers) CopyItems(ctx context.Context, versionID uuid.UUID, newIDs map[uuid.UUID]uuid.UUID) error {
	for _, c := range cs {
		if err := c.CopyItems(ctx, versionID, newIDs); err != nil {
			return err
		}
	}
	return nil
}

// assignmentCourses gives the assignment package the course items
// assignments are kept by.
type assignmentCourses struct{ courses *course.Service }

func (c assignmentCourses) CourseItem(ctx context.Context, itemID uuid.UUID) (assignment.CourseItem, error) {
	it, err := c.courses.ItemOwnerOf(ctx, itemID)
	if err != nil {
		return assignment.CourseItem{}, err
	}
	return assignment.CourseItem{ItemID: it.ItemID, VersionID: it.VersionID, CourseID: it.CourseID, OrgID: it.OrgID,
		IsAssignment: it.Kind == course.KindAssignment, Editable: it.Status.Editable()}, nil
}

// assignmentClasses gives the assignment package the caller's standing in a
// class (as quizzes see it) and the class's learners.
type assignmentClasses struct{ quizClasses }

func (c assignmentClasses) ClassAccess(ctx context.Context, classID uuid.UUID) (assignment.ClassAccess, error) {
	ca, err := c.quizClasses.ClassAccess(ctx, classID)
	return assignment.ClassAccess(ca), err
}

func (c assignmentClasses) Learners(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) ([]uuid.UUID, error) {
	return c.delivery.LearnersOf(ctx, classID, userIDs)
}

// staffMail mails a class's staff through identity's mail outbox, in the
// caller's transaction.
type staffMail struct {
	delivery *delivery.Service
	people   *identity.Service
	outbox   *queue.Outbox
}

func (m staffMail) NotifyStaff(ctx context.Context, classID uuid.UUID, subject, text string) error {
	ids, err := m.delivery.StaffOf(ctx, classID)
	if err != nil || len(ids) == 0 {
		return err
	}
	people, err := m.people.PeopleByID(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if p, ok := people[id]; ok && p.Email != "" {
			if _, err := m.outbox.Add(ctx, queue.Job{Type: identity.TypeSendMail, Queue: queue.Default,
				Payload: identity.SendMailPayload{To: p.Email, Subject: subject, Text: text}}); err != nil {
				return err
			}
		}
	}
	return nil
}
