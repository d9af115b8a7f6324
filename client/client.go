// Package client holds authgo's browser client, client.js: a
// dependency-free ES module that authgo serves at <base>/client.js.
//
// The module gives plain pages what next-auth/react gives React pages, over
// the same wire protocol: getSession, getCsrfToken, getProviders, signIn,
// signOut and update, and a session store (status "loading",
// "unauthenticated" or "authenticated") that accepts the session the server
// rendered the page with, refetches on window focus and on an interval, and
// keeps tabs in sync over BroadcastChannel("next-auth"), the channel
// next-auth/react uses:
//
//	<script type="module">
//	  import { createAuthClient } from "/auth/client.js";
//	  const auth = createAuthClient({ basePath: "/auth", session: {{.SessionJSON}} });
//	  auth.subscribe(({ status, data }) => render(status, data));
//	</script>
//
// Unlike next-auth/react it shares one session fetch among concurrent
// readers, throttles focus refetches, broadcasts only after a sign-in,
// sign-out or update, and holds session reads while one of those is in
// flight. Its top-level functions (getSession, signIn, …) use a default
// client whose base path comes from <meta name="authgo-base-path">.
package client

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"
)

//go:embed client.js
var js []byte

var etag = func() string {
	sum := sha256.Sum256(js)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// JS returns the source of client.js. The slice is shared: do not modify it.
func JS() []byte { return js }

// ETag returns the strong entity tag Handler sends, a hash of JS.
func ETag() string { return etag }

// Handler serves client.js to GET and HEAD requests as JavaScript, with an
// ETag (answering a matching If-None-Match with 304) and Cache-Control
// "no-cache", so browsers revalidate and pick up a new version after an
// upgrade. Other methods get 405.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", etag)
		http.ServeContent(w, r, "client.js", time.Time{}, bytes.NewReader(js))
	})
}
