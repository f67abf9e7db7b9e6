package delivery

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
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
	api.POST("/classes/:class_id/assignments", h.assign)
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

type assignResponse struct {
	Assigned   []assignedResponse `json:"assigned"`
	Waitlisted []assignedResponse `json:"waitlisted"`
	Skipped    []skippedResponse  `json:"skipped"`
}

func toAssignResponse(r AssignResult, lang string) assignResponse {
	out := assignResponse{Assigned: []assignedResponse{}, Waitlisted: []assignedResponse{}, Skipped: []skippedResponse{}}
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

// --- classes ---

func (h *Handler) createClass(c echo.Context) error {
	var req classRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	in, err := req.toInput()
	if err != nil {
		return err
	}
	cl, err := h.svc.CreateClass(c.Request().Context(), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/classes/"+cl.ID.String())
	return c.JSON(http.StatusCreated, toClassResponse(cl))
}

func (h *Handler) listClasses(c echo.Context) error {
	var v apperr.Validation
	f := ClassFilter{
		VersionID: web.QueryID(c, &v, "version_id"), CourseID: web.QueryID(c, &v, "course_id"), OrgID: web.QueryID(c, &v, "org_id"),
		RegionCode: c.QueryParam("region_code"), Status: ClassStatus(c.QueryParam("status")),
	}
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "starts_on")
	if err != nil {
		return err
	}
	res, err := h.svc.Classes(c.Request().Context(), f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toClassResponse))
}

func (h *Handler) getClass(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	cl, err := h.svc.Class(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toClassResponse(cl))
}

func (h *Handler) updateClass(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	var req classPatchRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	p, err := req.toPatch()
	if err != nil {
		return err
	}
	cl, err := h.svc.UpdateClass(c.Request().Context(), id, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toClassResponse(cl))
}

func (h *Handler) setStaff(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	force, err := queryForce(c)
	if err != nil {
		return err
	}
	var req struct {
		Staff []staffMember `json:"staff"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	staff := make([]Staff, len(req.Staff))
	for i, m := range req.Staff {
		staff[i] = Staff(m)
	}
	cl, err := h.svc.SetStaff(c.Request().Context(), id, staff, force)
	if err != nil {
		return withClashes(c, err)
	}
	return c.JSON(http.StatusOK, toClassResponse(cl))
}

// --- sessions ---

func (h *Handler) createSession(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	force, err := queryForce(c)
	if err != nil {
		return err
	}
	var req sessionRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	s, err := h.svc.CreateSession(c.Request().Context(), id, req.toInput(), force)
	if err != nil {
		return withClashes(c, err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/sessions/"+s.ID.String())
	return c.JSON(http.StatusCreated, toSessionResponse(s))
}

func (h *Handler) listSessions(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c, "starts_at")
	if err != nil {
		return err
	}
	res, err := h.svc.Sessions(c.Request().Context(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toSessionResponse))
}

func (h *Handler) getSession(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	s, err := h.svc.Session(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toSessionResponse(s))
}

func (h *Handler) updateSession(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	force, err := queryForce(c)
	if err != nil {
		return err
	}
	var req sessionRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	s, err := h.svc.UpdateSession(c.Request().Context(), id, req.toInput(), force)
	if err != nil {
		return withClashes(c, err)
	}
	return c.JSON(http.StatusOK, toSessionResponse(s))
}

func (h *Handler) deleteSession(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteSession(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) checkInCode(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	code, err := h.svc.CheckInCode(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, toCheckInCodeResponse(code))
}

func (h *Handler) checkIn(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	a, created, err := h.svc.CheckIn(c.Request().Context(), id, strings.TrimSpace(req.Code))
	if err != nil {
		return err
	}
	return c.JSON(createdOrOK(created), toAttendanceResponse(a))
}

func (h *Handler) rollCall(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	var req rollCallRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	records, err := h.svc.RollCall(c.Request().Context(), id, req.toRecords())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": web.ConvertAll(records, toAttendanceResponse)})
}

func (h *Handler) listAttendance(c echo.Context) error {
	id, err := web.PathID(c, "session_id", ErrSessionNotFound)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c, "user_id")
	if err != nil {
		return err
	}
	res, err := h.svc.Attendance(c.Request().Context(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toAttendanceResponse))
}

// --- enrolments ---

func (h *Handler) enrol(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	e, created, err := h.svc.Enrol(c.Request().Context(), id)
	if err != nil {
		return withClashes(c, err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/enrolments/"+e.ID.String())
	return c.JSON(createdOrOK(created), toEnrolmentResponse(e))
}

func (h *Handler) listClassEnrolments(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	f, err := enrolmentFilterFrom(c)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c, "enrolled_at")
	if err != nil {
		return err
	}
	res, err := h.svc.ClassEnrolments(c.Request().Context(), id, f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toEnrolmentResponse))
}

// maxCSVRows bounds the lines read from a CSV assignment.
const maxCSVRows = MaxAssignment + 1

func (h *Handler) assign(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	var in AssignInput
	mediaType, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mediaType == "text/csv" {
		if in.NIPs, err = readNIPs(c.Request().Body); err != nil {
			return err
		}
		if len(in.NIPs) == 0 {
			return apperr.Invalid("nip", "daftar NIP kosong", "the list of NIPs is empty")
		}
	} else {
		var req assignRequest
		if err := web.Bind(c, &req); err != nil {
			return err
		}
		in = AssignInput(req)
	}
	res, err := h.svc.Assign(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAssignResponse(res, web.Language(c.Request())))
}

// readNIPs reads a CSV list of NIPs: one per line, or a column headed "nip"
// among others. A semicolon-separated file (as spreadsheets in Indonesian
// locales save) is read as well as a comma-separated one.
func readNIPs(body io.Reader) ([]string, error) {
	data, err := web.ReadBody(body)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord, r.TrimLeadingSpace, r.ReuseRecord = -1, true, true
	if first, _, _ := bufio.NewReader(bytes.NewReader(data)).ReadLine(); bytes.Contains(first, []byte(";")) && !bytes.Contains(first, []byte(",")) {
		r.Comma = ';'
	}
	var nips []string
	col, header := 0, true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nips, nil
		}
		if err != nil {
			return nil, apperr.New(apperr.KindMalformed, "malformed", "Berkas CSV tidak valid.", "The CSV file is not valid.").Wrap(err)
		}
		if header {
			header = false
			found := false
			for i, cell := range rec {
				if strings.EqualFold(strings.TrimSpace(cell), "nip") {
					col, found = i, true
					break
				}
			}
			if found {
				continue
			}
		}
		if col >= len(rec) || len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if nips = append(nips, rec[col]); len(nips) > MaxAssignment {
			return nil, apperr.Invalid("nip", "paling banyak 2000 NIP per berkas", "at most 2000 NIPs per file")
		}
	}
}

func (h *Handler) getEnrolment(c echo.Context) error {
	id, err := web.PathID(c, "enrolment_id", ErrEnrolmentNotFound)
	if err != nil {
		return err
	}
	e, err := h.svc.Enrolment(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toEnrolmentResponse(e))
}

func (h *Handler) withdraw(c echo.Context) error {
	return h.enrolmentAction(c, h.svc.Withdraw)
}

func (h *Handler) approve(c echo.Context) error {
	return h.enrolmentAction(c, h.svc.Approve)
}

func (h *Handler) reject(c echo.Context) error {
	return h.enrolmentAction(c, h.svc.Reject)
}

func (h *Handler) enrolmentAction(c echo.Context, action func(ctx context.Context, id uuid.UUID) (Enrolment, error)) error {
	id, err := web.PathID(c, "enrolment_id", ErrEnrolmentNotFound)
	if err != nil {
		return err
	}
	e, err := action(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toEnrolmentResponse(e))
}

func (h *Handler) myEnrolments(c echo.Context) error {
	return enrolmentList(c, h.svc.MyEnrolments)
}

func (h *Handler) teamEnrolments(c echo.Context) error {
	return enrolmentList(c, h.svc.TeamEnrolments)
}

// enrolmentList serves a list of enrolments that is not a class's, newest first.
func enrolmentList(c echo.Context, list func(context.Context, EnrolmentFilter, page.Request) (page.Result[Enrolment], error)) error {
	f, err := enrolmentFilterFrom(c)
	if err != nil {
		return err
	}
	req, err := pageRequest(c, "-enrolled_at", "enrolled_at")
	if err != nil {
		return err
	}
	res, err := list(c.Request().Context(), f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toEnrolmentResponse))
}

// --- progress ---

func (h *Handler) recordProgress(c echo.Context) error {
	id, err := web.PathID(c, "enrolment_id", ErrEnrolmentNotFound)
	if err != nil {
		return err
	}
	var req progressRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	p, err := h.svc.RecordProgress(c.Request().Context(), id, ProgressInput(req))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toProgressResponse(p))
}

func (h *Handler) getProgress(c echo.Context) error {
	id, err := web.PathID(c, "enrolment_id", ErrEnrolmentNotFound)
	if err != nil {
		return err
	}
	p, err := h.svc.Progress(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toProgressResponse(p))
}

func (h *Handler) myJP(c echo.Context) error {
	year := 0
	if raw := c.QueryParam("year"); raw != "" {
		y, err := strconv.Atoi(raw)
		if err != nil {
			return apperr.Invalid("year", "harus berupa tahun, mis. 2026", "must be a year such as 2026")
		}
		year = y
	}
	l, err := h.svc.MyJP(c.Request().Context(), year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJPResponse(l))
}

// --- learning paths ---

func (h *Handler) enrolInPath(c echo.Context) error {
	id, err := web.PathID(c, "path_id", ErrPathNotFound)
	if err != nil {
		return err
	}
	pe, created, err := h.svc.EnrolInPath(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(createdOrOK(created), toPathEnrolmentResponse(pe))
}
