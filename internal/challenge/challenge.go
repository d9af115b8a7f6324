// Package challenge reads the WWW-Authenticate challenges of an API's
// answers: whether a 401 refuses the bearer token it was sent. The root's
// Client and package proxy (which exports it as IsInvalidTokenResponse)
// share it.
package challenge

import (
	"net/http"
	"strings"
)

// InvalidToken reports whether res is an API's refusal of the bearer
// token it was sent: status 401 with a Bearer challenge whose error is
// "invalid_token" (RFC 6750 §3.1: expired, revoked or malformed). A 401
// without that challenge, or a 403 insufficient_scope, is not.
func InvalidToken(res *http.Response) bool {
	return res != nil && res.StatusCode == http.StatusUnauthorized &&
		bearerError(res.Header.Values("WWW-Authenticate")) == "invalid_token"
}

// bearerError returns the error parameter of the Bearer challenge in a
// WWW-Authenticate field's values (RFC 9110 §11.6.1 grammar: challenges
// and their parameters share one comma-separated list), or "".
func bearerError(values []string) string {
	for _, v := range values {
		scheme := ""
		for i := 0; i < len(v); {
			c := v[i]
			if c == ' ' || c == '\t' || c == ',' {
				i++
				continue
			}
			j := i
			for j < len(v) && isTokenChar(v[j]) {
				j++
			}
			if j == i {
				i++ // not a token: skip the byte
				continue
			}
			name := v[i:j]
			k := j
			for k < len(v) && (v[k] == ' ' || v[k] == '\t') {
				k++
			}
			if k >= len(v) || v[k] != '=' {
				// A scheme: "Bearer", or "Bearer realm=…".
				scheme = name
				i = k
				continue
			}
			value, next := paramValue(v, k+1)
			if strings.EqualFold(scheme, "Bearer") && strings.EqualFold(name, "error") {
				return value
			}
			i = next
		}
	}
	return ""
}

// paramValue reads a token or a quoted string starting at i (after "="),
// returning it and the index after it.
func paramValue(v string, i int) (string, int) {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	if i < len(v) && v[i] == '"' {
		var b strings.Builder
		for i++; i < len(v); i++ {
			switch v[i] {
			case '\\':
				if i+1 < len(v) {
					i++
					b.WriteByte(v[i])
				}
			case '"':
				return b.String(), i + 1
			default:
				b.WriteByte(v[i])
			}
		}
		return b.String(), i
	}
	j := i
	for j < len(v) && (isTokenChar(v[j]) || v[j] == '/' || v[j] == '=') {
		j++ // token68 characters too, for a scheme's bare credentials
	}
	return v[i:j], j
}

// isTokenChar reports whether c is an RFC 9110 tchar.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
