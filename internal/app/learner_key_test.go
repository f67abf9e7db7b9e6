package app

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/identity"
)

// The learner key: every enrolment carries its learner's unit path
// (enrolments.learner_path), which the team view selects by, and delivery
// keeps it as people transfer and organisations move.

// learnerPaths returns the learner path of each of a user's enrolments.
func learnerPaths(t *testing.T, f *fixture, email string) []string {
	t.Helper()
	var paths []string
	if err := f.srv.Deps.DB.Conn(context.Background()).Raw("SELECT learner_path FROM enrolments WHERE user_id = ? ORDER BY id",
		f.user[email]).Scan(&paths).Error; err != nil {
		t.Fatal(err)
	}
	return paths
}

// orgPath returns an organisation's path as identity has it now.
func orgPath(t *testing.T, f *fixture, code string) string {
	t.Helper()
	p, err := f.srv.App.identity.OrgPath(context.Background(), uuid.MustParse(f.org[code]))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sees reports whether caller's team view of class holds an enrolment of
// the user with the e-mail address.
func sees(t *testing.T, f *fixture, caller, class, email string) bool {
	t.Helper()
	users, _ := walkTeam(t, f.clients[caller], "200", class)
	return slices.Contains(users, f.user[email])
}

func TestAnEnrolmentCarriesItsLearnersUnitPath(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	class := approvalClass(t, f, "KEY-NEW")
	rina, fajar := callers["bandung learner colleague"], callers["sidoarjo learner (jatim)"]
	// By themselves, and by assignment of their unit.
	if s := f.clients["bandung learner colleague"].do("POST", "/api/v1/classes/"+class+"/enrolments", nil, nil); s != http.StatusCreated {
		t.Fatalf("Rina requests a seat = %d", s)
	}
	var res struct {
		Assigned []json.RawMessage `json:"assigned"`
	}
	if s := f.clients["platform admin"].do("POST", "/api/v1/classes/"+class+"/enrolments/bulk",
		map[string]any{"org_id": f.org["BAPPEDA-SIDOARJO"]}, &res); s != http.StatusOK || len(res.Assigned) != 1 {
		t.Fatalf("assign Bappeda Sidoarjo = %d, %d assigned; want 200, 1", s, len(res.Assigned))
	}
	for email, unit := range map[string]string{rina: "DISKOMINFO-BANDUNG", fajar: "BAPPEDA-SIDOARJO"} {
		if got, want := learnerPaths(t, f, email), []string{orgPath(t, f, unit)}; !slices.Equal(got, want) {
			t.Errorf("learner paths of %s = %v, want %v (%s)", email, got, want, unit)
		}
	}
}

func TestATransferMovesTheLearnersEnrolmentsToTheNewSupervisor(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	class := approvalClass(t, f, "KEY-TRANSFER")
	rina, fajar := callers["bandung learner colleague"], callers["sidoarjo learner (jatim)"]
	for _, who := range []string{"bandung learner colleague", "sidoarjo learner (jatim)"} {
		if s := f.clients[who].do("POST", "/api/v1/classes/"+class+"/enrolments", nil, nil); s != http.StatusCreated {
			t.Fatalf("%s requests a seat = %d", who, s)
		}
	}
	// Jawa Timur gets an overseer of its own: Fajar supervises his province.
	admin := f.clients["platform admin"]
	if s := admin.do("POST", "/api/v1/users/"+f.user[fajar]+"/grants",
		map[string]any{"role": "supervisor", "org_id": f.org["PROV-JATIM"]}, nil); s != http.StatusCreated {
		t.Fatalf("grant Fajar supervisor of Jawa Timur = %d", s)
	}
	f.clients["sidoarjo learner (jatim)"] = login(t, f.srv, fajar)
	if !sees(t, f, "bandung supervisor", class, rina) || sees(t, f, "sidoarjo learner (jatim)", class, rina) {
		t.Fatal("before the transfer Rina's enrolment should be Bandung's to see, not Jawa Timur's")
	}
	// A supervisor of one unit never sees another's.
	if sees(t, f, "bandung supervisor", class, fajar) {
		t.Error("the Bandung supervisor sees Fajar of Sidoarjo")
	}

	if s := admin.do("POST", "/api/v1/users/"+f.user[rina]+"/transfer",
		map[string]any{"to_org_id": f.org["BAPPEDA-SIDOARJO"], "reason": "mutasi"}, nil); s != http.StatusOK {
		t.Fatalf("transfer Rina to Sidoarjo = %d", s)
	}
	// Before delivery hears of it the old supervisor already does not see
	// her (identity confirms the team), and the new one not yet.
	if sees(t, f, "bandung supervisor", class, rina) || sees(t, f, "sidoarjo learner (jatim)", class, rina) {
		t.Error("before the event is handled, Rina's enrolment should be hidden from both")
	}
	runWorker(t, f.srv)
	sidoarjo := orgPath(t, f, "BAPPEDA-SIDOARJO")
	eventually(t, "Rina's enrolment has Sidoarjo's path", func() bool {
		return slices.Equal(learnerPaths(t, f, rina), []string{sidoarjo})
	})
	if sees(t, f, "bandung supervisor", class, rina) {
		t.Error("after the transfer the Bandung supervisor still sees Rina")
	}
	if !sees(t, f, "sidoarjo learner (jatim)", class, rina) {
		t.Error("after the transfer Jawa Timur's overseer does not see Rina")
	}
	if sees(t, f, "sidoarjo learner (jatim)", class, fajar) {
		t.Error("the overseer sees their own enrolment in their team")
	}
}

func TestAMovedOrganisationCarriesItsPeoplesEnrolmentsAlong(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	class := approvalClass(t, f, "KEY-MOVE")
	fajar := callers["sidoarjo learner (jatim)"]
	if s := f.clients["sidoarjo learner (jatim)"].do("POST", "/api/v1/classes/"+class+"/enrolments", nil, nil); s != http.StatusCreated {
		t.Fatalf("Fajar requests a seat = %d", s)
	}
	if sees(t, f, "jabar org admin", class, fajar) {
		t.Fatal("Jawa Barat's administrator sees Fajar of Jawa Timur")
	}
	// Kabupaten Sidoarjo (with Bappeda and Fajar) moves to Jawa Barat.
	if s := f.clients["platform admin"].do("POST", "/api/v1/organizations/"+f.org["KAB-SIDOARJO"]+"/move",
		map[string]any{"parent_id": f.org["PROV-JABAR"]}, nil); s != http.StatusOK {
		t.Fatalf("move Kabupaten Sidoarjo under Jawa Barat = %d", s)
	}
	runWorker(t, f.srv)
	moved := orgPath(t, f, "BAPPEDA-SIDOARJO")
	eventually(t, "Fajar's enrolment has Bappeda's new path", func() bool {
		return slices.Equal(learnerPaths(t, f, fajar), []string{moved})
	})
	if !sees(t, f, "jabar org admin", class, fajar) {
		t.Error("after the move Jawa Barat's administrator does not see Fajar")
	}
	if sees(t, f, "bandung supervisor", class, fajar) {
		t.Error("the Bandung supervisor sees Fajar, now of Jawa Barat but not of Bandung")
	}
}

func TestIdentitysEventsHandledTwiceOrLateChangeNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	class := approvalClass(t, f, "KEY-TWICE")
	rina, fajar := callers["bandung learner colleague"], callers["sidoarjo learner (jatim)"]
	for _, who := range []string{"bandung learner colleague", "sidoarjo learner (jatim)", "bandung learner"} {
		if s := f.clients[who].do("POST", "/api/v1/classes/"+class+"/enrolments", nil, nil); s != http.StatusCreated {
			t.Fatalf("%s requests a seat = %d", who, s)
		}
	}
	admin := f.clients["platform admin"]
	// Rina goes to Sidoarjo and back; Kota Bandung moves under Jawa Timur
	// and back. Every event is then handled in a wrong order, and twice.
	var events []identityEvent
	for _, step := range []struct{ path, field, to string }{
		{"/api/v1/users/" + f.user[rina] + "/transfer", "to_org_id", "BAPPEDA-SIDOARJO"},
		{"/api/v1/users/" + f.user[rina] + "/transfer", "to_org_id", "DISKOMINFO-BANDUNG"},
		{"/api/v1/organizations/" + f.org["KOTA-BANDUNG"] + "/move", "parent_id", "PROV-JATIM"},
		{"/api/v1/organizations/" + f.org["KOTA-BANDUNG"] + "/move", "parent_id", "PROV-JABAR"},
	} {
		if s := admin.do("POST", step.path, map[string]any{step.field: f.org[step.to]}, nil); s != http.StatusOK {
			t.Fatalf("POST %s to %s = %d", step.path, step.to, s)
		}
	}
	if err := f.srv.Deps.DB.Conn(context.Background()).Raw(`SELECT task_type, payload FROM outbox
		WHERE task_type IN (?, ?) ORDER BY id DESC`, identity.EventUserTransferred, identity.EventOrganizationMoved).
		Scan(&events).Error; err != nil || len(events) != 4 {
		t.Fatalf("identity's events = %d, %v; want 4", len(events), err)
	}
	// Before: the paths as the enrolments were made (Bandung's, Sidoarjo's).
	want := map[string][]string{rina: learnerPaths(t, f, rina), fajar: learnerPaths(t, f, fajar),
		callers["bandung learner"]: learnerPaths(t, f, callers["bandung learner"])}
	for round := 0; round < 2; round++ {
		for _, e := range events { // newest first
			handle := f.srv.App.delivery.HandleUserTransferred
			if e.TaskType == identity.EventOrganizationMoved {
				handle = f.srv.App.delivery.HandleOrganizationMoved
			}
			if err := handle(context.Background(), asynq.NewTask(e.TaskType, e.Payload)); err != nil {
				t.Fatalf("handle %s: %v", e.TaskType, err)
			}
		}
	}
	for email, paths := range want {
		if got := learnerPaths(t, f, email); !slices.Equal(got, paths) {
			t.Errorf("learner paths of %s = %v, want %v as before", email, got, paths)
		}
	}
	if bandung := orgPath(t, f, "DISKOMINFO-BANDUNG"); !slices.Equal(want[rina], []string{bandung}) {
		t.Errorf("Rina's path %v, want Bandung's %s", want[rina], bandung)
	}
	if !sees(t, f, "bandung supervisor", class, rina) || sees(t, f, "bandung supervisor", class, fajar) {
		t.Error("the Bandung supervisor's team changed")
	}
}

// identityEvent is an identity event as the outbox holds it.
type identityEvent struct {
	TaskType string
	Payload  []byte
}

func TestDeliveryNamesIdentitysEventsAsIdentityAnnouncesThem(t *testing.T) {
	t.Parallel()
	if delivery.EventUserTransferred != identity.EventUserTransferred || delivery.EventOrganizationMoved != identity.EventOrganizationMoved {
		t.Errorf("delivery consumes %q and %q, identity announces %q and %q", delivery.EventUserTransferred,
			delivery.EventOrganizationMoved, identity.EventUserTransferred, identity.EventOrganizationMoved)
	}
}

func TestASuspendedLearnerLeavesTheTeamViewAtOnceAndThePageStaysFull(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	class := approvalClass(t, f, "KEY-SUSPEND")
	budi, rina := callers["bandung learner"], callers["bandung learner colleague"]
	// Rina enrols last, so she is the newest: her row is read first and
	// dropped, and the page reads on to Budi's.
	for _, who := range []string{"bandung learner", "bandung learner colleague"} {
		if s := f.clients[who].do("POST", "/api/v1/classes/"+class+"/enrolments", nil, nil); s != http.StatusCreated {
			t.Fatalf("%s requests a seat = %d", who, s)
		}
	}
	if s := f.clients["platform admin"].do("POST", "/api/v1/users/"+f.user[rina]+"/status",
		map[string]any{"status": "suspended"}, nil); s != http.StatusOK {
		t.Fatalf("suspend Rina = %d", s)
	}
	for _, limit := range []string{"1", "200"} {
		got, _ := walkTeam(t, f.clients["bandung supervisor"], limit, class)
		if want := []string{f.user[budi]}; !slices.Equal(got, want) {
			t.Errorf("limit %s: the Bandung supervisor's team = %v, want only Budi %v", limit, got, want)
		}
	}
	var p teamPage
	if s := f.clients["bandung supervisor"].do("GET", "/api/v1/team/enrolments?limit=1&class_id="+class, nil, &p); s != http.StatusOK ||
		len(p.Items) != 1 || p.Items[0].UserID != f.user[budi] || p.NextCursor != "" {
		t.Errorf("first page of 1 = %d %+v, want Budi's enrolment and no next page", s, p)
	}
}
