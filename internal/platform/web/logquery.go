package web

import (
	"net/url"
	"strings"
)

// loggedURI is uri as the access log writes it: the path, and the names of
// the query parameters without their values. Queries carry what people
// search for (e-mail addresses, NIPs) and the tokens of mailed links
// (/reset-password?token=…), none of which belongs in a log.
func loggedURI(uri string) string {
	path, query, found := strings.Cut(uri, "?")
	if !found || query == "" {
		return uri
	}
	var b strings.Builder
	b.WriteString(path)
	sep := "?"
	for _, pair := range strings.Split(query, "&") {
		if pair == "" {
			continue
		}
		name, _, hasValue := strings.Cut(pair, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = url.QueryEscape(n)
		}
		b.WriteString(sep + name)
		if hasValue {
			b.WriteString("=…")
		}
		sep = "&"
	}
	return b.String()
}
