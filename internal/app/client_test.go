package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/corpu/corpu/internal/identity"
)

// apiClient calls a test server as one user.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

// login signs in as a seeded demo user.
func login(t *testing.T, srv *TestServer, email string) *apiClient {
	t.Helper()
	c := &apiClient{t: t, base: srv.URL}
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	status := c.do("POST", "/api/v1/auth/login", map[string]string{"login": email, "password": identity.DemoPassword}, &tokens)
	if status != http.StatusOK || tokens.AccessToken == "" {
		t.Fatalf("login %s = %d, want 200 with a token", email, status)
	}
	c.token = tokens.AccessToken
	return c
}

// anonymous returns a client that is not signed in.
func anonymous(t *testing.T, srv *TestServer) *apiClient {
	return &apiClient{t: t, base: srv.URL}
}

// do sends body as JSON and decodes a 2xx response into out; it returns the status.
func (c *apiClient) do(method, path string, body, out any) int {
	c.t.Helper()
	return c.doWith(nil, method, path, body, out)
}

// doWith is do with extra request headers.
func (c *apiClient) doWith(headers map[string]string, method, path string, body, out any) int {
	c.t.Helper()
	var reqBody []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		reqBody = b
	}
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(reqBody))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	checkContract(c.t, req, reqBody, resp, data)
	if resp.StatusCode >= 500 {
		c.t.Errorf("%s %s = %d %s: a 5xx is a bug", method, path, resp.StatusCode, data)
	}
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
		c.t.Errorf("%s %s = %d with Content-Type %q, want application/problem+json", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if out != nil && resp.StatusCode < 300 && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("decode %s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}
