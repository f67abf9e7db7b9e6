package delivery

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/web"
)

// Handler serves classes, sessions, attendance, enrolments, progress, the JP
// ledger and learning-path enrolment under /api/v1.
type Handler struct{ svc *Service }

// NewHandler returns the delivery HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Mount registers the routes on the authenticated API group.
func (h *Handler) Mount(api *echo.Group) {
	api.POST("/classes", h.createClass)
	api.GET("/classes", h.listClasses)
	api.GET("/classes/:class_id", h.getClass)
	api.PATCH("/classes/:class_id", h.updateClass)
	api.PUT("/classes/:class_id/staff", h.setStaff)

	api.POST("/classes/:class_id/sessions", h.createSession)
	api.GET("/classes/:class_id/sessions", h.listSessions)
	api.GET("/sessions/:session_id", h.getSession)
	api.PATCH("/sessions/:session_id", h.updateSession)
	api.DELETE("/sessions/:session_id", h.deleteSession)
	api.GET("/sessions/:session_id/check-in-code", h.checkInCode)
	api.POST("/sessions/:session_id/check-in", h.checkIn)
	api.PUT("/sessions/:session_id/attendance", h.rollCall)
	api.GET("/sessions/:session_id/attendance", h.listAttendance)

	api.POST("/classes/:class_id/enrolments", h.enrol)
	api.GET("/classes/:class_id/enrolments", h.listClassEnrolments)
	api.POST("/classes/:class_id/enrolments/bulk", h.enrolInBulk)
	api.GET("/enrolments/:enrolment_id", h.getEnrolment)
	api.POST("/enrolments/:enrolment_id/withdraw", h.withdraw)
	api.POST("/enrolments/:enrolment_id/approve", h.approve)
	api.POST("/enrolments/:enrolment_id/reject", h.reject)
	api.GET("/me/enrolments", h.myEnrolments)
	api.GET("/team/enrolments", h.teamEnrolments)

	api.POST("/enrolments/:enrolment_id/progress", h.recordProgress)
	api.GET("/enrolments/:enrolment_id/progress", h.getProgress)
	api.GET("/me/jp", h.myJP)

	api.POST("/learning-paths/:path_id/enrolments", h.enrolInPath)
}

// --- requests and responses ---

const dateLayout = time.DateOnly

// optional is a JSON field that may be absent, null or set.
type optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

type classRequest struct {
	VersionID           uuid.UUID  `json:"version_id"`
	OrgID               uuid.UUID  `json:"org_id"`
	Code                string     `json:"code"`
	Title               string     `json:"title"`
	StartsOn            string     `json:"starts_on"`
	EndsOn              string     `json:"ends_on"`
	EnrolOpensAt        *time.Time `json:"enrol_opens_at"`
	EnrolClosesAt       *time.Time `json:"enrol_closes_at"`
	Capacity            int        `json:"capacity"`
	Waitlist            bool       `json:"waitlist"`
	Policy              Policy     `json:"policy"`
	RegionCode          string     `json:"region_code"`
	AttendanceThreshold *float64   `json:"attendance_threshold"`
}

func (r classRequest) toInput() (ClassInput, error) {
	var v apperr.Validation
	in := ClassInput{
		VersionID: r.VersionID, OrgID: r.OrgID, Code: r.Code, Title: r.Title,
		StartsOn: parseDate(&v, "starts_on", r.StartsOn), EndsOn: parseDate(&v, "ends_on", r.EndsOn),
		EnrolOpensAt: r.EnrolOpensAt, EnrolClosesAt: r.EnrolClosesAt, Capacity: r.Capacity, Waitlist: r.Waitlist,
		Policy: r.Policy, RegionCode: r.RegionCode, AttendanceThreshold: r.AttendanceThreshold,
	}
	return in, v.Err()
}

type classPatchRequest struct {
	Code                *string             `json:"code"`
	Title               *string             `json:"title"`
	StartsOn            *string             `json:"starts_on"`
	EndsOn              *string             `json:"ends_on"`
	EnrolOpensAt        optional[time.Time] `json:"enrol_opens_at"`
	EnrolClosesAt       optional[time.Time] `json:"enrol_closes_at"`
	Capacity            *int                `json:"capacity"`
	Waitlist            *bool               `json:"waitlist"`
	Policy              *Policy             `json:"policy"`
	RegionCode          *string             `json:"region_code"`
	AttendanceThreshold *float64            `json:"attendance_threshold"`
	Status              *ClassStatus        `json:"status"`
}

func (r classPatchRequest) toPatch() (ClassPatch, error) {
	var v apperr.Validation
	p := ClassPatch{Code: r.Code, Title: r.Title, Capacity: r.Capacity, Waitlist: r.Waitlist, Policy: r.Policy,
		RegionCode: r.RegionCode, AttendanceThreshold: r.AttendanceThreshold, Status: r.Status,
		ClearEnrolOpensAt: r.EnrolOpensAt.Null, ClearEnrolClosesAt: r.EnrolClosesAt.Null}
	if r.StartsOn != nil {
		d := parseDate(&v, "starts_on", *r.StartsOn)
		p.StartsOn = &d
	}
	if r.EndsOn != nil {
		d := parseDate(&v, "ends_on", *r.EndsOn)
		p.EndsOn = &d
	}
	if r.EnrolOpensAt.Set && !r.EnrolOpensAt.Null {
		p.EnrolOpensAt = &r.EnrolOpensAt.Value
	}
	if r.EnrolClosesAt.Set && !r.EnrolClosesAt.Null {
		p.EnrolClosesAt = &r.EnrolClosesAt.Value
	}
	return p, v.Err()
}

func parseDate(v *apperr.Validation, field, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	d, err := time.Parse(dateLayout, s)
	v.Check(err == nil, field, "harus berformat YYYY-MM-DD", "must be a date as YYYY-MM-DD")
	return d
}

type staffMember struct {
	UserID uuid.UUID `json:"user_id"`
	Role   StaffRole `json:"role"`
}

type classResponse struct {
	ID                  uuid.UUID     `json:"id"`
	VersionID           uuid.UUID     `json:"version_id"`
	CourseID            uuid.UUID     `json:"course_id"`
	OrgID               uuid.UUID     `json:"org_id"`
	Code                string        `json:"code"`
	Title               string        `json:"title"`
	StartsOn            string        `json:"starts_on"`
	EndsOn              string        `json:"ends_on"`
	EnrolOpensAt        *time.Time    `json:"enrol_opens_at"`
	EnrolClosesAt       *time.Time    `json:"enrol_closes_at"`
	Capacity            int           `json:"capacity"`
	SeatsTaken          int           `json:"seats_taken"`
	Waitlist            bool          `json:"waitlist"`
	Policy              Policy        `json:"policy"`
	RegionCode          string        `json:"region_code,omitempty"`
	AttendanceThreshold float64       `json:"attendance_threshold"`
	JPCredit            float64       `json:"jp_credit"`
	Status              ClassStatus   `json:"status"`
	Staff               []staffMember `json:"staff"`
	CreatedBy           *uuid.UUID    `json:"created_by"`
	CreatedAt           time.Time     `json:"created_at"`
	UpdatedAt           time.Time     `json:"updated_at"`
}

func toClassResponse(c Class) classResponse {
	staff := make([]staffMember, len(c.Staff))
	for i, m := range c.Staff {
		staff[i] = staffMember(m)
	}
	return classResponse{
		ID: c.ID, VersionID: c.VersionID, CourseID: c.CourseID, OrgID: c.OrgID, Code: c.Code, Title: c.Title,
		StartsOn: c.StartsOn.Format(dateLayout), EndsOn: c.EndsOn.Format(dateLayout),
		EnrolOpensAt: c.EnrolOpensAt, EnrolClosesAt: c.EnrolClosesAt, Capacity: c.Capacity, SeatsTaken: c.SeatsTaken,
		Waitlist: c.Waitlist, Policy: c.Policy, RegionCode: c.RegionCode, AttendanceThreshold: c.AttendanceThreshold,
		JPCredit: c.JPCredit, Status: c.Status, Staff: staff, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

type sessionRequest struct {
	Kind       *SessionKind `json:"kind"`
	Title      *string      `json:"title"`
	StartsAt   *time.Time   `json:"starts_at"`
	EndsAt     *time.Time   `json:"ends_at"`
	Venue      *string      `json:"venue"`
	Address    *string      `json:"address"`
	MeetingURL *string      `json:"meeting_url"`
}

func (r sessionRequest) toInput() SessionInput { return SessionInput(r) }

type sessionResponse struct {
	ID         uuid.UUID   `json:"id"`
	ClassID    uuid.UUID   `json:"class_id"`
	Kind       SessionKind `json:"kind"`
	Title      string      `json:"title"`
	StartsAt   time.Time   `json:"starts_at"`
	EndsAt     time.Time   `json:"ends_at"`
	Venue      string      `json:"venue,omitempty"`
	Address    string      `json:"address,omitempty"`
	MeetingURL string      `json:"meeting_url,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

func toSessionResponse(s Session) sessionResponse {
	return sessionResponse{ID: s.ID, ClassID: s.ClassID, Kind: s.Kind, Title: s.Title, StartsAt: s.StartsAt, EndsAt: s.EndsAt,
		Venue: s.Venue, Address: s.Address, MeetingURL: s.MeetingURL, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

type attendanceResponse struct {
	SessionID  uuid.UUID        `json:"session_id"`
	UserID     uuid.UUID        `json:"user_id"`
	Status     AttendanceStatus `json:"status"`
	Method     AttendanceMethod `json:"method"`
	RecordedBy *uuid.UUID       `json:"recorded_by"`
	RecordedAt time.Time        `json:"recorded_at"`
}

func toAttendanceResponse(a Attendance) attendanceResponse { return attendanceResponse(a) }

type checkInCodeResponse struct {
	Code        string    `json:"code"`
	ExpiresAt   time.Time `json:"expires_at"`
	QRPNGBase64 string    `json:"qr_png_base64"`
	QRText      string    `json:"qr_text"`
}

func toCheckInCodeResponse(c CheckInCode) checkInCodeResponse {
	return checkInCodeResponse{Code: c.Code, ExpiresAt: c.ExpiresAt, QRPNGBase64: base64.StdEncoding.EncodeToString(c.QRPNG), QRText: c.Payload}
}

type rollCallRequest struct {
	Records []struct {
		UserID uuid.UUID        `json:"user_id"`
		Status AttendanceStatus `json:"status"`
	} `json:"records"`
}

func (r rollCallRequest) toRecords() []RollCallRecord {
	out := make([]RollCallRecord, len(r.Records))
	for i, rec := range r.Records {
		out[i] = RollCallRecord{UserID: rec.UserID, Status: rec.Status}
	}
	return out
}

type learnerResponse struct {
	UserID uuid.UUID `json:"user_id"`
	Name   string    `json:"name"`
	NIP    string    `json:"nip,omitempty"`
	Email  string    `json:"email,omitempty"`
	OrgID  uuid.UUID `json:"org_id"`
}

type enrolmentResponse struct {
	ID              uuid.UUID        `json:"id"`
	ClassID         uuid.UUID        `json:"class_id"`
	ClassTitle      string           `json:"class_title"`
	VersionID       uuid.UUID        `json:"version_id"`
	CourseID        uuid.UUID        `json:"course_id"`
	UserID          uuid.UUID        `json:"user_id"`
	Status          EnrolmentStatus  `json:"status"`
	Source          Source           `json:"source"`
	AssignedBy      *uuid.UUID       `json:"assigned_by"`
	DecidedBy       *uuid.UUID       `json:"decided_by"`
	DecidedAt       *time.Time       `json:"decided_at"`
	PathEnrolmentID *uuid.UUID       `json:"path_enrolment_id"`
	Progress        float64          `json:"progress"`
	EnrolledAt      time.Time        `json:"enrolled_at"`
	ActivatedAt     *time.Time       `json:"activated_at"`
	CompletedAt     *time.Time       `json:"completed_at"`
	WithdrawnAt     *time.Time       `json:"withdrawn_at"`
	Learner         *learnerResponse `json:"learner,omitempty"`
}

func toEnrolmentResponse(e Enrolment) enrolmentResponse {
	r := enrolmentResponse{
		ID: e.ID, ClassID: e.ClassID, ClassTitle: e.ClassTitle, VersionID: e.VersionID, CourseID: e.CourseID, UserID: e.UserID,
		Status: e.Status, Source: e.Source, AssignedBy: e.AssignedBy, DecidedBy: e.DecidedBy, DecidedAt: e.DecidedAt,
		PathEnrolmentID: e.PathEnrolmentID, Progress: e.Progress, EnrolledAt: e.EnrolledAt, ActivatedAt: e.ActivatedAt,
		CompletedAt: e.CompletedAt, WithdrawnAt: e.WithdrawnAt,
	}
	if e.Learner != nil {
		r.Learner = &learnerResponse{UserID: e.Learner.UserID, Name: e.Learner.Name, NIP: e.Learner.NIP, Email: e.Learner.Email, OrgID: e.Learner.OrgID}
	}
	return r
}

type assignRequest struct {
	UserIDs []uuid.UUID `json:"user_ids"`
	OrgID   uuid.UUID   `json:"org_id"`
	NIPs    []string    `json:"nips"`
}

type assignedResponse struct {
	UserID    uuid.UUID         `json:"user_id"`
	NIP       string            `json:"nip,omitempty"`
	Enrolment enrolmentResponse `json:"enrolment"`
}

type skippedResponse struct {
	Row     int             `json:"row"`
	UserID  *uuid.UUID      `json:"user_id,omitempty"`
	NIP     string          `json:"nip,omitempty"`
	Reason  SkipReason      `json:"reason"`
	Message string          `json:"message"`
	Status  EnrolmentStatus `json:"status,omitempty"`
}

type bulkEnrolResponse struct {
	Assigned   []assignedResponse `json:"assigned"`
	Waitlisted []assignedResponse `json:"waitlisted"`
	Skipped    []skippedResponse  `json:"skipped"`
}

func toBulkEnrolResponse(r BulkEnrolResult, lang string) bulkEnrolResponse {
	out := bulkEnrolResponse{Assigned: []assignedResponse{}, Waitlisted: []assignedResponse{}, Skipped: []skippedResponse{}}
	for _, a := range r.Assigned {
		out.Assigned = append(out.Assigned, assignedResponse{UserID: a.UserID, NIP: a.NIP, Enrolment: toEnrolmentResponse(a.Enrolment)})
	}
	for _, a := range r.Waitlisted {
		out.Waitlisted = append(out.Waitlisted, assignedResponse{UserID: a.UserID, NIP: a.NIP, Enrolment: toEnrolmentResponse(a.Enrolment)})
	}
	for _, s := range r.Skipped {
		sr := skippedResponse{Row: s.Row, NIP: s.NIP, Reason: s.Reason, Message: s.Reason.Message().In(lang), Status: s.Status}
		if s.UserID != uuid.Nil {
			id := s.UserID
			sr.UserID = &id
		}
		out.Skipped = append(out.Skipped, sr)
	}
	return out
}

type progressRequest struct {
	ItemID       uuid.UUID    `json:"item_id"`
	Event        ProgressKind `json:"event"`
	WatchedRatio *float64     `json:"watched_ratio"`
}

type itemStateResponse struct {
	ItemID      uuid.UUID  `json:"item_id"`
	Kind        string     `json:"kind"`
	Required    bool       `json:"required"`
	Released    bool       `json:"released"`
	CompletedAt *time.Time `json:"completed_at"`
}

type progressResponse struct {
	Enrolment          enrolmentResponse   `json:"enrolment"`
	Items              []itemStateResponse `json:"items"`
	RequiredDone       int                 `json:"required_done"`
	RequiredTotal      int                 `json:"required_total"`
	SessionsTotal      int                 `json:"sessions_total"`
	SessionsAttended   int                 `json:"sessions_attended"`
	AttendanceRatio    float64             `json:"attendance_ratio"`
	AttendanceRequired float64             `json:"attendance_required"`
}

func toProgressResponse(p Progress) progressResponse {
	items := make([]itemStateResponse, len(p.Items))
	for i, it := range p.Items {
		items[i] = itemStateResponse(it)
	}
	return progressResponse{Enrolment: toEnrolmentResponse(p.Enrolment), Items: items, RequiredDone: p.RequiredDone,
		RequiredTotal: p.RequiredTotal, SessionsTotal: p.SessionsTotal, SessionsAttended: p.SessionsAttended,
		AttendanceRatio: p.AttendanceRatio, AttendanceRequired: p.AttendanceRequired}
}

type jpCreditResponse struct {
	EnrolmentID uuid.UUID `json:"enrolment_id"`
	ClassID     uuid.UUID `json:"class_id"`
	VersionID   uuid.UUID `json:"version_id"`
	JP          float64   `json:"jp"`
	CreditedAt  time.Time `json:"credited_at"`
}

type jpResponse struct {
	UserID  uuid.UUID          `json:"user_id"`
	Year    int                `json:"year"`
	JP      float64            `json:"jp"`
	Credits []jpCreditResponse `json:"credits"`
}

func toJPResponse(l JPLedger) jpResponse {
	credits := make([]jpCreditResponse, len(l.Credits))
	for i, c := range l.Credits {
		credits[i] = jpCreditResponse{EnrolmentID: c.EnrolmentID, ClassID: c.ClassID, VersionID: c.VersionID, JP: c.JP, CreditedAt: c.CreditedAt}
	}
	return jpResponse{UserID: l.UserID, Year: l.Year, JP: l.JP, Credits: credits}
}

type pathStepResponse struct {
	CourseID    uuid.UUID  `json:"course_id"`
	Position    int        `json:"position"`
	Status      StepStatus `json:"status"`
	EnrolmentID *uuid.UUID `json:"enrolment_id"`
	CompletedAt *time.Time `json:"completed_at"`
}

type pathEnrolmentResponse struct {
	ID              uuid.UUID          `json:"id"`
	PathID          uuid.UUID          `json:"path_id"`
	UserID          uuid.UUID          `json:"user_id"`
	Status          string             `json:"status"`
	CurrentPosition int                `json:"current_position"`
	Steps           []pathStepResponse `json:"steps"`
	CreatedAt       time.Time          `json:"created_at"`
	CompletedAt     *time.Time         `json:"completed_at"`
}

func toPathEnrolmentResponse(p PathEnrolment) pathEnrolmentResponse {
	steps := make([]pathStepResponse, len(p.Steps))
	for i, s := range p.Steps {
		steps[i] = pathStepResponse(s)
	}
	return pathEnrolmentResponse{ID: p.ID, PathID: p.PathID, UserID: p.UserID, Status: p.Status,
		CurrentPosition: p.CurrentPosition, Steps: steps, CreatedAt: p.CreatedAt, CompletedAt: p.CompletedAt}
}

type clashResponse struct {
	SessionID     uuid.UUID `json:"session_id"`
	ClassID       uuid.UUID `json:"class_id"`
	Title         string    `json:"title"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	UserID        uuid.UUID `json:"user_id"`
	WithSessionID uuid.UUID `json:"with_session_id"`
}

func toClashResponse(c Clash) clashResponse {
	return clashResponse{SessionID: c.SessionID, ClassID: c.ClassID, Title: c.Title, StartsAt: c.StartsAt, EndsAt: c.EndsAt,
		UserID: c.UserID, WithSessionID: c.WithID}
}

// withClashes adds the clashing sessions to the problem document of a
// schedule clash; any other error passes unchanged.
func withClashes(c echo.Context, err error) error {
	var ce *ClashError
	if !errors.As(err, &ce) {
		return err
	}
	clashes := make([]clashResponse, len(ce.Clashes))
	for i, cl := range ce.Clashes {
		clashes[i] = toClashResponse(cl)
	}
	return ce.Err.WithExtension("clashes", clashes)
}

// createdOrOK is the status of an idempotent create: 201 when it created, 200
// when it returned what was there.
func createdOrOK(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

func queryForce(c echo.Context) (bool, error) {
	raw := c.QueryParam("force")
	if raw == "" {
		return false, nil
	}
	force, err := strconv.ParseBool(raw)
	if err != nil {
		return false, apperr.Invalid("force", "harus true atau false", "must be true or false")
	}
	return force, nil
}

// pageRequest reads a page request whose default sort is def.
func pageRequest(c echo.Context, def string, sortable ...string) (page.Request, error) {
	req, err := web.PageRequest(c, sortable...)
	if err == nil && c.QueryParam("sort") == "" {
		req.Sort = def
	}
	return req, err
}

func enrolmentFilterFrom(c echo.Context) (EnrolmentFilter, error) {
	var v apperr.Validation
	f := EnrolmentFilter{Status: EnrolmentStatus(c.QueryParam("status")), UserID: web.QueryID(c, &v, "user_id")}
	if err := v.Err(); err != nil {
		return EnrolmentFilter{}, err
	}
	return f, f.Validate()
}
