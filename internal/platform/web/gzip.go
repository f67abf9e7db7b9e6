package web

import (
	"bufio"
	"compress/gzip"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// GzipConfig configures Gzip.
type GzipConfig struct {
	// MinLength is the smallest body worth compressing; a shorter one is
	// sent as it is. 1 KiB when zero.
	MinLength int
	// Level is the compress/flate level; gzip.BestSpeed when zero.
	Level int
	// Skipper leaves a request's response alone when it returns true.
	Skipper func(c echo.Context) bool
}

// Gzip compresses response bodies of at least MinLength bytes for clients
// that accept gzip. Unlike Echo's middleware it touches no compressor until
// the body has grown past MinLength: resetting a flate writer clears
// hundreds of kilobytes of tables, which cost a small JSON answer more than
// everything else it did (see docs/performance.md).
func Gzip(cfg GzipConfig) echo.MiddlewareFunc {
	if cfg.MinLength <= 0 {
		cfg.MinLength = 1024
	}
	if cfg.Level == 0 {
		cfg.Level = gzip.BestSpeed
	}
	pool := &sync.Pool{New: func() any {
		w, err := gzip.NewWriterLevel(nil, cfg.Level)
		if err != nil {
			panic("web: gzip level: " + err.Error()) // only an invalid level fails
		}
		return w
	}}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if (cfg.Skipper != nil && cfg.Skipper(c)) || c.Request().Method == http.MethodHead {
				return next(c)
			}
			res := c.Response()
			res.Header().Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
			if !acceptsGzip(c.Request().Header.Get(echo.HeaderAcceptEncoding)) {
				return next(c)
			}
			w := &gzipWriter{ResponseWriter: res.Writer, minLength: cfg.MinLength, pool: pool}
			res.Writer = w
			defer func() {
				res.Writer = w.ResponseWriter
				w.finish()
			}()
			return next(c)
		}
	}
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip (a
// q=0 refuses it).
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// gzipWriter holds the start of a body back until it knows whether the body
// is long enough to compress.
type gzipWriter struct {
	http.ResponseWriter
	minLength int
	pool      *sync.Pool

	status  int    // what the handler asked for; 0 until it does
	held    []byte // the body so far, while undecided
	decided bool   // the headers went out, plain or compressed
	gz      *gzip.Writer
}

func (w *gzipWriter) WriteHeader(code int) {
	if w.decided || w.status != 0 {
		return
	}
	w.status = code
	// Bodies that must be empty, and bodies already encoded, go as they are.
	if code < http.StatusOK || code == http.StatusNoContent || code == http.StatusNotModified ||
		w.Header().Get(echo.HeaderContentEncoding) != "" {
		w.sendPlain()
	}
}

func (w *gzipWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	switch {
	case w.gz != nil:
		return w.gz.Write(b)
	case w.decided:
		return w.ResponseWriter.Write(b)
	}
	if len(w.held)+len(b) < w.minLength {
		if w.held == nil {
			w.held = make([]byte, 0, w.minLength)
		}
		w.held = append(w.held, b...)
		return len(b), nil
	}
	if err := w.startGzip(); err != nil {
		return 0, err
	}
	return w.gz.Write(b)
}

// sendPlain sends the headers and what is held, uncompressed.
func (w *gzipWriter) sendPlain() {
	w.decided = true
	w.ResponseWriter.WriteHeader(w.status)
	if len(w.held) > 0 {
		_, _ = w.ResponseWriter.Write(w.held)
	}
	w.held = nil
}

// startGzip sends compressed headers and what is held through a compressor.
func (w *gzipWriter) startGzip() error {
	w.decided = true
	h := w.Header()
	h.Set(echo.HeaderContentEncoding, "gzip")
	h.Del(echo.HeaderContentLength)
	w.ResponseWriter.WriteHeader(w.status)
	w.gz = w.pool.Get().(*gzip.Writer)
	w.gz.Reset(w.ResponseWriter)
	held := w.held
	w.held = nil
	if len(held) > 0 {
		if _, err := w.gz.Write(held); err != nil {
			return err
		}
	}
	return nil
}

// finish sends what is still held and closes the compressor.
func (w *gzipWriter) finish() {
	switch {
	case w.gz != nil:
		_ = w.gz.Close()
		w.gz.Reset(nil)
		w.pool.Put(w.gz)
		w.gz = nil
	case !w.decided && w.status != 0:
		w.sendPlain()
	}
}

// Flush sends what is buffered: a streamed body is compressed from here on.
func (w *gzipWriter) Flush() {
	if !w.decided {
		if w.status == 0 {
			w.status = http.StatusOK
		}
		if err := w.startGzip(); err != nil {
			return
		}
	}
	if w.gz != nil {
		_ = w.gz.Flush()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over (websockets), which only works before
// anything was written.
func (w *gzipWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok && !w.decided && w.status == 0 {
		return h.Hijack()
	}
	return nil, nil, errors.New("web: gzip: cannot hijack this response")
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
