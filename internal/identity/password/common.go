package password

import (
	_ "embed"
	"strings"
	"sync"
)

// commonList is the shipped list of common and breached passwords, lower-cased,
// one a line. Attackers try these first, so Check refuses them outright.
//
//go:embed common-passwords.txt
var commonList string

// commonSet is built on first use, not at start-up, so programs that never
// check a password do not pay for it.
var commonSet = sync.OnceValue(func() map[string]struct{} {
	lines := strings.Split(commonList, "\n")
	set := make(map[string]struct{}, len(lines))
	for _, line := range lines {
		if line = strings.TrimSpace(line); line != "" {
			set[line] = struct{}{}
		}
	}
	return set
})

// isCommon reports whether plain, ignoring case, is on the common list.
func isCommon(plain string) bool {
	_, ok := commonSet()[strings.ToLower(plain)]
	return ok
}
