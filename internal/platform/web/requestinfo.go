package web

import (
	"context"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// requestInfo is what services may want to know about the request they serve
// (the audit log records it) without depending on HTTP.
type requestInfo struct {
	ID string
	IP string
}

type requestInfoKey struct{}

func withRequestID(ctx context.Context, id string) context.Context {
	info, _ := ctx.Value(requestInfoKey{}).(requestInfo)
	info.ID = id
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// clientIP records the caller's address in the request's context.
func clientIP(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		info, _ := ctx.Value(requestInfoKey{}).(requestInfo)
		info.IP = c.RealIP()
		c.SetRequest(c.Request().WithContext(context.WithValue(ctx, requestInfoKey{}, info)))
		return next(c)
	}
}

// RequestID returns the id of the request ctx belongs to, for logs and audit.
func RequestID(ctx context.Context) string {
	info, _ := ctx.Value(requestInfoKey{}).(requestInfo)
	return info.ID
}

// ClientIP returns the address of the caller of the request ctx belongs to.
func ClientIP(ctx context.Context) string {
	info, _ := ctx.Value(requestInfoKey{}).(requestInfo)
	return info.IP
}

func newRequestID() string { return uuid.Must(uuid.NewV7()).String() }
