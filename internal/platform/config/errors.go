package config

import (
	"errors"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// KeyError is a bad configuration value. Env names the environment
// variable that set it, when one did, since that is what the user typed.
type KeyError struct {
	Key string // e.g. "http.addr"
	Env string // e.g. "CORPU_HTTP_ADDR", or empty
	Why string
}

func (e *KeyError) Error() string {
	if e.Env != "" {
		return "config: " + e.Env + " (" + e.Key + "): " + e.Why
	}
	return "config: " + e.Key + ": " + e.Why
}

// EnvName returns the variable that overrides key, e.g. CORPU_HTTP_ADDR for
// http.addr.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// nameVariables marks each KeyError in err whose key a variable of environ set.
func nameVariables(err error, environ []string) error {
	set := envNames(environ)
	var each []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		each = joined.Unwrap()
	} else {
		each = []error{err}
	}
	for _, e := range each {
		var ke *KeyError
		if errors.As(e, &ke) && set[EnvName(ke.Key)] {
			ke.Env = EnvName(ke.Key)
		}
	}
	return err
}

func envNames(environ []string) map[string]bool {
	set := map[string]bool{}
	for _, kv := range environ {
		if k, _, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			set[k] = true
		}
	}
	return set
}

// validListenAddr reports whether addr is something net.Listen("tcp", addr)
// can bind: an optional host and a port number.
func validListenAddr(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// UnknownEnv returns a warning for each CORPU_* variable of environ that
// sets no configuration key (a typo, or a key that was renamed), with the
// closest known name when one is near. CORPU_TEST_* variables belong to the
// tests and are left alone.
func UnknownEnv(environ []string) []string {
	known := map[string]bool{}
	var c Config
	_ = walk(reflect.ValueOf(&c).Elem(), EnvPrefix, func(name string, _ reflect.Value, _ reflect.StructField) error {
		known[name] = true
		return nil
	})
	var warnings []string
	for name := range envNames(environ) {
		if known[name] || strings.HasPrefix(name, EnvPrefix+"TEST_") {
			continue
		}
		w := name + " is not a Corpu setting and is ignored"
		if best := closest(name, known); best != "" {
			w += " (did you mean " + best + "?)"
		}
		warnings = append(warnings, w)
	}
	slices.Sort(warnings)
	return warnings
}

// closest returns the known name nearest to name by edit distance, when it
// is near enough to be a typo.
func closest(name string, known map[string]bool) string {
	best, bestDist := "", 0
	for k := range known {
		d := editDistance(name, k)
		if best == "" || d < bestDist || (d == bestDist && k < best) {
			best, bestDist = k, d
		}
	}
	if bestDist > 3 || bestDist*4 > len(name) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
