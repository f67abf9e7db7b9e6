package web

import (
	"time"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/shed"
)

// ErrBusy answers a request the process has no place for: it is turned away
// at once, with a time to come back, rather than left to time out while it
// waits for a database connection behind hundreds of others.
var ErrBusy = apperr.New(apperr.KindUnavailable, "server.busy",
	"Server sedang melayani terlalu banyak permintaan; coba lagi sebentar lagi.",
	"The server is answering too many requests; try again in a moment.").WithRetryAfter(1)

// Admission bounds the requests the handlers behind it work on at once to
// maxInFlight. A request beyond waits up to wait for a place, then gets
// ErrBusy (503 with a Retry-After that grows with the crowd turned away;
// see shed). Under a burst (an exam's learners starting together) the
// requests admitted finish in time, and the rest come back spread out,
// instead of every request waiting for a database connection until its
// deadline passes and the work already done is thrown away.
func Admission(maxInFlight int, wait time.Duration) echo.MiddlewareFunc {
	gate := shed.New(maxInFlight, wait)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			release, retryAfter := gate.Enter(c.Request().Context())
			if release == nil {
				return ErrBusy.WithRetryAfter(retryAfter)
			}
			defer release()
			return next(c)
		}
	}
}
