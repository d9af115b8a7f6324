package pages

import (
	"net/http"
	"strings"
)

// WantsJSON reports whether r's Accept header names application/json and
// not text/html: whether an answer that would be a page goes as JSON. The
// root package and the gateway ask it alike.
func WantsJSON(r *http.Request) bool {
	acc := strings.ToLower(strings.Join(r.Header.Values("Accept"), ","))
	return strings.Contains(acc, "application/json") && !strings.Contains(acc, "text/html")
}
