package mail

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// linkPattern finds the links in a plain-text mail.
var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// MaskLinks returns text with the secret part of every link masked: each
// query value and the fragment keep only a readable kind prefix (such as
// "cpr_" of a password-reset token), so a log shows which link was mailed
// without handing out the link itself.
func MaskLinks(text string) string {
	return linkPattern.ReplaceAllStringFunc(text, maskLink)
}

func maskLink(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return "[link masked]"
	}
	if u.User != nil {
		u.User = url.User("***")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			for i, v := range vs {
				vs[i] = maskSecret(v)
			}
			q[k] = vs
		}
		// Encode would escape the mask's ellipsis; it reads better as is.
		u.RawQuery = strings.ReplaceAll(q.Encode(), "%E2%80%A6", "…")
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = "…", ""
	}
	return u.String()
}

// maskSecret keeps a short kind prefix ending in '_' and drops the rest.
func maskSecret(v string) string {
	if i := strings.IndexByte(v, '_'); i > 0 && i <= 6 {
		return v[:i+1] + "…"
	}
	return "…"
}

// MaskAddress shortens an e-mail address's mailbox to its first letter:
// "budi@diskominfo.bandung.go.id" becomes "b…@diskominfo.bandung.go.id".
func MaskAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "…"
	}
	first, _ := utf8.DecodeRuneInString(local)
	return string(first) + "…@" + domain
}
