package fwd

import "strings"

// AuthgoCookie reports whether a cookie name is one of authgo's (Auth.js
// names, with or without the __Secure-/__Host- prefix, in any case:
// browsers compare the prefixes without case).
func AuthgoCookie(name string) bool {
	name = strings.ToLower(strings.TrimSpace(name))
	name = strings.TrimPrefix(name, "__secure-")
	name = strings.TrimPrefix(name, "__host-")
	return strings.HasPrefix(name, "authjs.")
}

// ForeignCookies returns the name=value pairs of Cookie header lines that
// are not authgo's.
func ForeignCookies(lines []string) []string {
	var out []string
	for _, line := range lines {
		for part := range strings.SplitSeq(line, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			name, _, _ := strings.Cut(part, "=")
			if !AuthgoCookie(name) {
				out = append(out, part)
			}
		}
	}
	return out
}

// ForeignSetCookies returns the Set-Cookie header lines that do not set
// one of authgo's cookies, in a new slice. A nameless cookie
// ("=authjs.session-token=x") is stored by browsers as one named by its
// value: it is dropped too.
func ForeignSetCookies(lines []string) []string {
	kept := lines[:0:0]
	for _, line := range lines {
		if name, _, _ := strings.Cut(line, "="); strings.TrimSpace(name) != "" && !AuthgoCookie(name) {
			kept = append(kept, line)
		}
	}
	return kept
}
