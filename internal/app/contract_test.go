package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/corpu/corpu/assets"
)

// The contract check: every request the app tests send to a test server, and
// every answer, is held against assets/openapi.yaml, so the document cannot
// drift from the code.
//
//   - The answer's status must be declared by the operation, except 401 on an
//     operation that requires a bearer token (the security requirement says so).
//   - The answer's Content-Type must be one the status declares, its body must
//     match the declared schema, and its declared headers their schemas; a
//     status declared without content must come without a body.
//   - A request the document rejects (parameters, body) must be answered 4xx:
//     if the server accepts what the document says is invalid, one of them is
//     wrong. Tests send invalid requests on purpose, so a 4xx is not checked.
//   - A request to a path or method the document does not describe fails.

// contract is the parsed document and its router, built once per test binary.
var contract = sync.OnceValues(func() (*contractDoc, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(assets.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	doc.Servers = nil // any host: the test server listens on a random port
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route openapi.yaml: %w", err)
	}
	return &contractDoc{doc: doc, router: router}, nil
})

type contractDoc struct {
	doc    *openapi3.T
	router routers.Router
}

// checkContract reports, on t, every way the exchange departs from the document.
// reqBody and respBody are the bodies already read; the request and response
// bodies are not used.
func checkContract(t testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	c, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range c.check(req, reqBody, resp, respBody) {
		t.Error(problem)
	}
}

// check returns the departures from the document, each a sentence naming the
// operation, the status and the field.
func (c *contractDoc) check(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) []string {
	ctx := context.Background()
	call := req.Method + " " + req.URL.RequestURI()
	// The router matches on the request's URL; give it one without the test host.
	routed := req.Clone(ctx)
	routed.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, pathParams, err := c.router.FindRoute(routed)
	if err != nil {
		return []string{fmt.Sprintf("openapi.yaml: %s (answered %d) matches no operation of the document: %v", call, resp.StatusCode, err)}
	}
	op := route.Operation.OperationID
	if op == "" {
		op = route.Method + " " + route.Path
	}
	where := fmt.Sprintf("openapi.yaml: operation %s (%s %s), called as %s, answered %d", op, route.Method, route.Path, call, resp.StatusCode)

	var problems []string
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: routed, PathParams: pathParams, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && resp.StatusCode < 400 {
		problems = append(problems, fmt.Sprintf("%s although the document rejects the request: %s", where, describe(err)))
	}

	if resp.StatusCode == http.StatusUnauthorized && requiresBearer(c.doc, route.Operation) {
		// Implied by the security requirement; the body is still a problem.
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			problems = append(problems, fmt.Sprintf("%s with Content-Type %q, want application/problem+json", where, ct))
		}
		return problems
	}
	if ref := route.Operation.Responses.Status(resp.StatusCode); ref == nil && route.Operation.Responses.Default() == nil {
		return append(problems, fmt.Sprintf("%s, a status the operation does not declare (it declares %s)", where, declared(route.Operation)))
	} else if ref == nil {
		ref = route.Operation.Responses.Default()
		if ref != nil && ref.Value != nil && len(ref.Value.Content) == 0 && len(respBody) > 0 {
			problems = append(problems, fmt.Sprintf("%s with a body (%.120s), but the status is declared without content", where, respBody))
		}
	} else if ref.Value != nil && len(ref.Value.Content) == 0 && len(respBody) > 0 {
		problems = append(problems, fmt.Sprintf("%s with a body (%.120s), but the status is declared without content", where, respBody))
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(respBody)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		problems = append(problems, fmt.Sprintf("%s, which the document does not describe: %s\nbody: %.600s", where, describe(err), respBody))
	}
	return problems
}

// requiresBearer reports whether the operation (or the document, when the
// operation says nothing) requires the bearer scheme.
func requiresBearer(doc *openapi3.T, op *openapi3.Operation) bool {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	for _, r := range reqs {
		if _, ok := r["bearer"]; ok {
			return true
		}
	}
	return false
}

func declared(op *openapi3.Operation) string {
	var codes []string
	for code := range op.Responses.Map() {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	return strings.Join(codes, ", ")
}

// describe turns kin-openapi's nested errors into lines naming the field.
func describe(err error) string {
	var lines []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner)
			}
		case *openapi3filter.RequestError:
			prefix := "request"
			if e.Parameter != nil {
				prefix = fmt.Sprintf("%s parameter %q", e.Parameter.In, e.Parameter.Name)
			} else if e.RequestBody != nil {
				prefix = "request body"
			}
			if e.Err == nil {
				lines = append(lines, prefix+": "+e.Reason)
				return
			}
			saved := lines
			lines = nil
			walk(e.Err)
			inner := lines
			lines = saved
			for _, l := range inner {
				lines = append(lines, prefix+" "+l)
			}
		case *openapi3filter.ResponseError:
			if e.Err == nil {
				lines = append(lines, e.Reason)
				return
			}
			walk(e.Err)
		case *openapi3.SchemaError:
			// The JSON Schema 2020 validator lists its findings as lines
			// "- at '/pointer': reason" under a header; the other one gives one reason.
			found := false
			for _, l := range strings.Split(e.Reason, "\n") {
				l = strings.TrimSpace(l)
				if rest, ok := strings.CutPrefix(l, "- at '"); ok {
					if field, reason, ok := strings.Cut(rest, "': "); ok {
						if field == "" {
							field = "/"
						}
						lines = append(lines, fmt.Sprintf("field %s: %s", field, reason))
						found = true
					}
				}
			}
			if !found {
				field := "/" + strings.Join(e.JSONPointer(), "/")
				reason := strings.TrimPrefix(e.Reason, fmt.Sprintf("error at %q: ", field))
				lines = append(lines, fmt.Sprintf("field %s: %s", field, reason))
			}
		default:
			if u, ok := err.(interface{ Unwrap() error }); ok && u.Unwrap() != nil {
				walk(u.Unwrap())
				return
			}
			lines = append(lines, err.Error())
		}
	}
	walk(err)
	return strings.Join(lines, "; ")
}

// checkedGet is http.Get for a test server's path, held against the document
// like every call of apiClient; the returned body can still be read.
func checkedGet(t testing.TB, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	checkContract(t, req, nil, resp, data)
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, nil
}

func TestTheContractCheckNamesTheOperationStatusAndField(t *testing.T) {
	t.Parallel()
	c, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	const org = "/api/v1/organizations/01a22fc0-b3ba-7e3c-ac34-903988760b1c"
	json, problem := "application/json", "application/problem+json"
	tests := []struct {
		name        string
		method      string
		path        string
		reqBody     string
		status      int
		contentType string
		respBody    string
		want        []string // each problem must contain these; none means no problem
	}{
		{"a declared answer", "GET", org, "", 200, json, `{"id":"01a22fc0-b3ba-7e3c-ac34-903988760b1c","name":"Kota Bandung"}`, nil},
		{"an undeclared status", "GET", org, "", 418, problem, `{"type":"x","title":"x","status":418}`,
			[]string{"operation getOrganization", "answered 418", "does not declare"}},
		{"a field of the wrong type", "GET", org, "", 200, json, `{"id":"01a22fc0-b3ba-7e3c-ac34-903988760b1c","depth":"deep"}`,
			[]string{"operation getOrganization", "answered 200", "field /depth: got string, want integer"}},
		{"another content type", "GET", org, "", 200, "text/plain", `hello`,
			[]string{"operation getOrganization", "text/plain"}},
		{"an invalid request accepted", "PATCH", org, `{"kind":"planet","code":"X","name":"X"}`, 200, json, `{}`,
			[]string{"operation updateOrganization", "answered 200", "rejects the request", "request body field /kind: value must be one of"}},
		{"an invalid request refused", "PATCH", org, `{"kind":"planet","code":"X","name":"X"}`, 422, problem, `{"type":"x","title":"x","status":422}`, nil},
		{"a body where none is declared", "DELETE", org, "", 204, json, `{"deleted":true}`,
			[]string{"operation deleteOrganization", "declared without content"}},
		{"401 on an operation that needs a token", "GET", org, "", 401, problem, `{"type":"x","title":"x","status":401}`, nil},
		{"401 on a public operation", "GET", "/healthz", "", 401, problem, `{"type":"x","title":"x","status":401}`,
			[]string{"operation healthz", "does not declare"}},
		{"a path the document lacks", "GET", "/api/v1/nowhere", "", 404, problem, `{}`,
			[]string{"GET /api/v1/nowhere", "matches no operation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, "http://127.0.0.1:1"+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.reqBody != "" {
				req.Header.Set("Content-Type", json)
			}
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{"Content-Type": {tt.contentType}}}
			got := c.check(req, []byte(tt.reqBody), resp, []byte(tt.respBody))
			if len(tt.want) == 0 {
				if len(got) != 0 {
					t.Errorf("check = %q, want no problem", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("check = %q, want one problem", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got[0], w) {
					t.Errorf("check = %q, want it to contain %q", got[0], w)
				}
			}
		})
	}
}
