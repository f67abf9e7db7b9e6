package moodleformat

import "strings"

// gtext is GIFT text after escape processing: each rune knows whether it was escaped,
// so that the syntax only sees unescaped characters.
type gtext struct {
	r   []rune
	esc []bool
}

func unescapeGIFT(s string) gtext {
	in := []rune(s)
	g := gtext{r: make([]rune, 0, len(in)), esc: make([]bool, 0, len(in))}
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c == '\\' && i+1 < len(in) {
			switch n := in[i+1]; n {
			case '\\', ':', '#', '=', '~', '{', '}':
				g.r, g.esc = append(g.r, n), append(g.esc, true)
				i++
				continue
			case 'n':
				g.r, g.esc = append(g.r, '\n'), append(g.esc, true)
				i++
				continue
			}
		}
		g.r, g.esc = append(g.r, c), append(g.esc, false)
	}
	return g
}

func (g gtext) String() string { return string(g.r) }

func (g gtext) slice(i, j int) gtext { return gtext{r: g.r[i:j], esc: g.esc[i:j]} }

func (g gtext) from(i int) gtext { return g.slice(i, len(g.r)) }

// index finds the first unescaped occurrence of s at or after from, or -1.
func (g gtext) index(s string, from int) int {
	pat := []rune(s)
	for i := max(from, 0); i+len(pat) <= len(g.r); i++ {
		ok := true
		for k, p := range pat {
			if g.r[i+k] != p || g.esc[i+k] {
				ok = false
				break
			}
		}
		if ok {
			return i
		}
	}
	return -1
}

// lastIndex finds the last unescaped occurrence of s, or -1.
func (g gtext) lastIndex(s string) int {
	last := -1
	for i := g.index(s, 0); i >= 0; i = g.index(s, i+1) {
		last = i
	}
	return last
}

func (g gtext) hasPrefix(s string) bool { return g.index(s, 0) == 0 && len(g.r) >= len([]rune(s)) }

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

func (g gtext) trim() gtext {
	i, j := 0, len(g.r)
	for i < j && isSpace(g.r[i]) {
		i++
	}
	for j > i && isSpace(g.r[j-1]) {
		j--
	}
	return g.slice(i, j)
}

// split cuts at every unescaped sep.
func (g gtext) split(sep string) []gtext {
	var out []gtext
	start := 0
	for {
		i := g.index(sep, start)
		if i < 0 {
			return append(out, g.from(start))
		}
		out = append(out, g.slice(start, i))
		start = i + len([]rune(sep))
	}
}

// cut splits at the first unescaped sep.
func (g gtext) cut(sep string) (before, after gtext, found bool) {
	i := g.index(sep, 0)
	if i < 0 {
		return g, gtext{}, false
	}
	return g.slice(0, i), g.from(i + len([]rune(sep))), true
}

// escapeGIFT escapes GIFT's special characters (Moodle's repchar): \ # = ~ { } : and
// newlines; carriage returns are dropped.
func escapeGIFT(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '#', '=', '~', '{', '}', ':':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
