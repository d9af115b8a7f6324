package authgo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/authgo/authgo/internal/clientip"
	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/internal/csrf"
	"github.com/authgo/authgo/internal/urlx"
	"github.com/authgo/authgo/provider"
)

// maxBody caps a POST body. Sign-in forms are tiny; a larger body is
// refused with 413 before anything reads it.
const maxBody = 64 << 10

// actions Auth.js routes; a provider id may follow the ones marked true.
var actions = map[string]bool{
	"providers": false, "session": false, "csrf": false, "signin": true,
	"signout": false, "callback": true, "error": false,
	"verify-request": false, "webauthn-options": true,
}

// request is one parsed request to an endpoint.
type request struct {
	r          *http.Request
	action     string
	providerID string
	origin     origin
	names      cookie.Names
	jar        cookie.Jar
	body       body
	query      url.Values

	csrfToken    string
	csrfVerified bool
	callbackURL  string
	// cookies queued by init (CSRF, callback-url); dropped on the error path.
	initCookies cookie.Queue
}

func (rq *request) base() string { return rq.origin.String() }

// body is a parsed POST body: string members, raw JSON members, and the
// names whose value was ambiguous (posted twice, or not a JSON string).
type body struct {
	str map[string]string
	raw map[string]json.RawMessage
	bad map[string]bool
}

func (b body) get(name string) (string, bool) {
	if b.bad[name] {
		return "", false
	}
	s, ok := b.str[name]
	return s, ok
}

// debugStatus is the status res is sent with, for the debug log.
func (res *response) debugStatus(r *http.Request) int {
	switch {
	case res.location != "" && r.Header.Get("X-Auth-Return-Redirect") != "":
		return http.StatusOK
	case res.location != "":
		return http.StatusFound
	}
	return res.status
}

// response is what an action produced, before it is written.
type response struct {
	status   int
	location string // a redirect when set
	body     []byte
	ctype    string
	noStore  bool
	csp      string
	cookies  cookie.Queue
	// noReferrer: the request URL carried a secret (an OAuth code).
	noReferrer bool
	// retryAfter: a 503 that may pass; Retry-After is sent.
	retryAfter bool
	// retryAfterSecs, when positive, is the Retry-After sent (a 429).
	retryAfterSecs int
}

// ServeHTTP serves the endpoints under the base path. Mount it there, e.g.
// mux.Handle("/auth/", a). A request for another path gets 400, as in
// Auth.js. It also serves the browser client, an ES module, at
// <base>/client.js (see package github.com/authgo/authgo/client).
func (a *Auth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == a.clientPath {
		a.clientJS.ServeHTTP(w, r) // authgo's own addition: the browser client
		return
	}
	if a.passkeyPath != "" && r.URL.Path == a.passkeyPath {
		servePasskeyScript(w, r) // the sign-in page's passkey script
		return
	}
	rq, res, err := a.parse(w, r)
	if err == nil && res == nil {
		res, err = a.dispatch(rq)
	}
	if err != nil {
		a.writeError(w, rq, err)
		return
	}
	a.write(w, rq, res)
}

func badRequest() *response {
	return &response{status: http.StatusBadRequest, body: []byte(`"Bad request."`), ctype: "application/json"}
}

// parse routes r and runs Auth.js's per-request initialisation. A non-nil
// response or error means the request ends there.
func (a *Auth) parse(w http.ResponseWriter, r *http.Request) (*request, *response, error) {
	rq := &request{r: r}
	rest, ok := strings.CutPrefix(r.URL.Path, a.cfg.BasePath)
	if !ok || rest == "" {
		return rq, badRequest(), nil
	}
	var buf [3]string
	segs := buf[:0]
	for s := range strings.SplitSeq(rest, "/") {
		if s != "" {
			segs = append(segs, s)
		}
		if len(segs) > 2 {
			return rq, badRequest(), nil
		}
	}
	if len(segs) == 0 {
		return rq, badRequest(), nil
	}
	takesID, known := actions[segs[0]]
	if !known || (len(segs) == 2 && !takesID) {
		return rq, badRequest(), nil
	}
	rq.action = segs[0]
	if len(segs) == 2 && segs[1] != "undefined" {
		rq.providerID = segs[1]
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return rq, badRequest(), nil
	}

	o, err := a.requestOrigin(r)
	if err != nil {
		a.log.Warn("authgo: refused forwarded origin", "err", err)
		if a.cfg.Debug {
			a.log.DebugContext(r.Context(), "authgo: forwarded origin refused with 400", reqAttr(r))
		}
		return rq, badRequest(), nil
	}
	rq.origin = o
	rq.names = a.cookieNames(o.scheme == "https")
	rq.jar = cookie.Parse(r.Header)
	rq.query = r.URL.Query()

	_, oauthCallback := a.providers[rq.providerID].(provider.OAuthProvider)
	oauthCallback = oauthCallback && rq.action == "callback"
	if r.Method == http.MethodPost {
		// An OAuth response_mode=form_post callback arrives cross-site by
		// design; its state check protects it.
		if !oauthCallback && crossOrigin(r, o) {
			if a.cfg.Debug {
				a.log.DebugContext(r.Context(), "authgo: cross-origin POST refused with 403", reqAttr(r))
			}
			return rq, &response{status: http.StatusForbidden, ctype: "application/json",
				body: []byte(`{"error":"cross-origin request refused"}`)}, nil
		}
		b, res := readBody(w, r)
		if res != nil {
			return rq, res, nil
		}
		rq.body = b
	}

	// CSRF: trust the cookie if its hash checks out, else mint a new one.
	v, hasCSRF := rq.jar.Get(rq.names.CSRFToken)
	csrfOK, posted := false, ""
	if hasCSRF {
		rq.csrfToken, csrfOK = csrf.Verify(v, a.csrfSecret)
		if csrfOK && r.Method == http.MethodPost {
			posted, _ = rq.body.get("csrfToken")
			rq.csrfVerified = posted != "" && csrf.Equal(posted, rq.csrfToken)
		}
	}
	if a.cfg.Debug && r.Method == http.MethodPost && !oauthCallback {
		a.log.DebugContext(r.Context(), "authgo: CSRF check", reqAttr(r), "result", csrfState(hasCSRF, csrfOK, posted, rq.csrfVerified))
	}
	if rq.csrfToken == "" {
		tok, val := csrf.New(a.csrfSecret)
		rq.csrfToken = tok
		rq.initCookies.Set(cookie.New(rq.names.CSRFToken, val, rq.names, zeroTime))
	}

	// callbackUrl: body, then query, then the cookie.
	cookieCB, _ := rq.jar.Get(rq.names.CallbackURL)
	if q := rq.query.Get("callbackUrl"); q != "" && !isHTTPURL(q) {
		// Auth.js answers 500 here; it is the client's bad input.
		return rq, badRequest(), nil
	}
	if cookieCB != "" && cookieCB != rq.base() && !isHTTPURL(cookieCB) {
		cookieCB = "" // a stale or forged cookie must not lock the user out
	}
	candidate, ok := rq.body.get("callbackUrl")
	if !ok || candidate == "" {
		candidate = rq.query.Get("callbackUrl")
	}
	fromCookie := candidate == ""
	if fromCookie {
		candidate = cookieCB
	}
	cb := rq.base()
	if candidate != "" {
		cb, err = a.redirect(r, candidate, rq.base())
		if err != nil && fromCookie {
			// A remembered URL the Redirect callback now refuses must not
			// fail every request (the error page included) until the
			// cookie goes away: forget it.
			a.log.Warn("authgo: redirect callback refused the remembered callbackUrl", "err", err)
			cb, err = rq.base(), nil
		}
		if err != nil {
			return rq, nil, fail(CodeConfiguration, fmt.Errorf("redirect callback: %w", err))
		}
	}
	rq.callbackURL = cb
	if cb != cookieCB {
		rq.initCookies.Set(cookie.New(rq.names.CallbackURL, cb, rq.names, zeroTime))
	}
	return rq, nil, nil
}

// crossOrigin reports a browser request from another origin, as
// net/http's CrossOriginProtection decides it (Sec-Fetch-Site first, then
// Origin), but against the public origin rather than the Host header, so it
// holds behind a proxy that rewrites Host. Requests with neither header
// (curl, server-side callers) are not browser cross-site requests.
func crossOrigin(r *http.Request, o origin) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return false
	case "":
	default:
		return true
	}
	from := r.Header.Get("Origin")
	if from == "" {
		return false
	}
	u, err := url.Parse(from)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return true // "null" and other opaque origins
	}
	return u.Scheme+"://"+urlx.CanonicalHost(u.Scheme, u.Host) != o.String()
}

// readBody parses a POST body as Auth.js does: JSON when the Content-Type
// says so, a form when it says so, nothing otherwise.
func readBody(w http.ResponseWriter, r *http.Request) (body, *response) {
	b := body{str: map[string]string{}, raw: map[string]json.RawMessage{}, bad: map[string]bool{}}
	ct := r.Header.Get("Content-Type")
	isJSON := strings.Contains(ct, "application/json")
	isForm := strings.Contains(ct, "application/x-www-form-urlencoded")
	if !isJSON && !isForm {
		return b, nil
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return b, &response{status: http.StatusRequestEntityTooLarge, ctype: "application/json",
				body: []byte(`{"error":"request body too large"}`)}
		}
		return b, badRequest()
	}
	if isJSON {
		if len(bytes.TrimSpace(data)) == 0 {
			return b, nil
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil || m == nil {
			return b, badRequest()
		}
		for k, v := range m {
			b.raw[k] = v
			var s string
			if json.Unmarshal(v, &s) == nil {
				b.str[k] = s
			} else {
				b.bad[k] = true
			}
		}
		return b, nil
	}
	vals, _ := url.ParseQuery(string(data)) // lenient, as URLSearchParams is
	for k, vs := range vals {
		last := vs[len(vs)-1]
		b.str[k] = last
		enc, _ := json.Marshal(last)
		b.raw[k] = enc
		if len(vs) > 1 {
			b.bad[k] = true
		}
	}
	return b, nil
}

// isHTTPURL is Auth.js's check on a callbackUrl from the query or the
// cookie: a path, or an absolute http(s) URL.
func isHTTPURL(s string) bool {
	if strings.HasPrefix(s, "/") {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// requestOrigin is Config.URL's origin, or with TrustHost the one the
// forwarding headers of a trusted proxy (or the Host header and TLS state)
// describe.
func (a *Auth) requestOrigin(r *http.Request) (origin, error) {
	if a.fixed.host != "" {
		return a.fixed, nil
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	trusted := a.TrustedPeer(r)
	if p := clientip.LastValue(r.Header, "X-Forwarded-Proto"); p != "" && trusted {
		p = strings.ToLower(p)
		if p != "http" && p != "https" {
			return origin{}, fmt.Errorf("bad X-Forwarded-Proto %q", p)
		}
		scheme = p
	}
	host := r.Host
	if h := clientip.LastValue(r.Header, "X-Forwarded-Host"); h != "" && trusted {
		host = h
	}
	if !validHost(host) {
		return origin{}, fmt.Errorf("bad host %q", host)
	}
	return newOrigin(scheme, host), nil
}

// validHost accepts a DNS name, IPv4 or bracketed IPv6 literal with an
// optional port, and nothing that could end the authority early.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	name, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		name, port = h[:end+1], strings.TrimPrefix(h[end+1:], ":")
		if h[end+1:] != "" && !strings.HasPrefix(h[end+1:], ":") {
			return false
		}
		for _, c := range name[1 : len(name)-1] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.') {
				return false
			}
		}
	} else {
		if i := strings.LastIndexByte(h, ':'); i >= 0 {
			name, port = h[:i], h[i+1:]
			if port == "" {
				return false
			}
		}
		if name == "" {
			return false
		}
		for _, c := range name {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
				return false
			}
		}
	}
	if port != "" {
		if _, err := parsePort(port); err != nil {
			return false
		}
	}
	return true
}

// redirect runs the Redirect callback (or the default) on a callbackUrl.
func (a *Auth) redirect(r *http.Request, u, base string) (string, error) {
	if cb := a.cfg.Callbacks.Redirect; cb != nil {
		return cb(r.Context(), u, base)
	}
	return DefaultRedirect(u, base), nil
}

// DefaultRedirect is the Redirect callback authgo uses when none is set: a
// path is resolved against baseURL, an absolute URL on baseURL's origin is
// kept, and anything else (another origin, another scheme, user info,
// backslashes or control characters that browsers and Go parse
// differently) becomes baseURL.
func DefaultRedirect(u, baseURL string) string {
	if u == baseURL {
		return baseURL // the common case: no parse
	}
	for i := 0; i < len(u); i++ {
		if u[i] < 0x20 || u[i] == 0x7f {
			return baseURL
		}
	}
	if strings.HasPrefix(u, "/") {
		return baseURL + u
	}
	if strings.ContainsAny(u, "\\ ") {
		return baseURL
	}
	p, err := url.Parse(u)
	if err != nil || p.User != nil || p.Opaque != "" || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return baseURL
	}
	if p.Scheme+"://"+urlx.CanonicalHost(p.Scheme, p.Host) != baseURL {
		return baseURL
	}
	path := p.EscapedPath()
	if path == "" {
		if p.RawQuery == "" && !p.ForceQuery && p.Fragment == "" {
			return baseURL // the bare origin, as Auth.js keeps it
		}
		path = "/" // as a browser writes http://host?x
	}
	out := baseURL + path
	if p.RawQuery != "" || p.ForceQuery {
		out += "?" + p.RawQuery
	}
	if p.Fragment != "" {
		out += "#" + p.EscapedFragment()
	}
	return out
}

// write sends a successful response: init cookies, then the action's.
func (a *Auth) write(w http.ResponseWriter, rq *request, res *response) {
	h := w.Header()
	q := res.cookies
	if rq.initCookies.Len() > 0 {
		q = rq.initCookies
		for _, c := range res.cookies.Cookies() {
			q.Set(c)
		}
	}
	if err := q.Write(h); err != nil {
		// Only a bug can build an invalid cookie; refuse rather than let
		// net/http drop it silently.
		a.log.Error("authgo: invalid cookie", "err", err)
		writeJSON(w, http.StatusInternalServerError, []byte(`{"message":"There was a problem with the server configuration. Check the server logs for more information."}`))
		return
	}
	// Fixed values are shared one-element slices (a later Add copies
	// rather than appends into them): no allocation per header.
	if res.noStore || q.Len() > 0 || res.csp != "" {
		h["Cache-Control"] = hdrNoStore
		h["Expires"] = hdrZero
		h["Pragma"] = hdrNoCache
	}
	h["X-Content-Type-Options"] = hdrNosniff
	if res.csp != "" {
		h.Set("Content-Security-Policy", res.csp)
	}
	if res.csp != "" || res.noReferrer {
		h.Set("Referrer-Policy", "no-referrer")
	}
	if res.retryAfter {
		h.Set("Retry-After", "2")
	}
	if res.retryAfterSecs > 0 {
		h.Set("Retry-After", strconv.Itoa(res.retryAfterSecs))
	}
	if a.cfg.Debug {
		a.log.DebugContext(rq.r.Context(), "authgo: endpoint answered", reqAttr(rq.r), "action", rq.action, "provider", rq.providerID,
			"status", res.debugStatus(rq.r), "cookies_set", q.Len())
	}
	if res.location != "" {
		h.Set("Location", res.location)
		if rq.r.Header.Get("X-Auth-Return-Redirect") != "" {
			body, _ := json.Marshal(map[string]string{"url": res.location})
			writeJSON(w, http.StatusOK, body)
			return
		}
		w.WriteHeader(http.StatusFound)
		return
	}
	switch res.ctype {
	case "":
	case "application/json":
		h["Content-Type"] = hdrJSON
	default:
		h.Set("Content-Type", res.ctype)
	}
	w.WriteHeader(res.status)
	w.Write(res.body)
}

// signInRequest reports whether rq tries to sign in: a callback, or a POST
// to a provider's sign-in endpoint.
func signInRequest(rq *request) bool {
	return rq.action == "callback" || (rq.action == "signin" && rq.providerID != "" && rq.r.Method == http.MethodPost)
}

// writeError answers a failed action as Auth.js does: a redirect to the
// sign-in or error page with ?error=<code>, and none of the cookies the
// request would otherwise have set. The cause is logged, never shown.
func (a *Auth) writeError(w http.ResponseWriter, rq *request, err error) {
	var ae *authError
	if !errors.As(err, &ae) {
		ae = fail(CodeConfiguration, err)
	}
	if ae.code == CodeConfiguration {
		a.log.Error("authgo: request failed", "action", rq.action, "provider", rq.providerID, "err", ae.cause)
	} else if ae.cause != nil {
		a.log.Info("authgo: request refused", "action", rq.action, "provider", rq.providerID, "code", ae.code, "err", ae.cause)
	}
	if a.cfg.Debug {
		a.log.DebugContext(rq.r.Context(), "authgo: endpoint refused the request", reqAttr(rq.r), "action", rq.action, "provider", rq.providerID, "code", ae.code)
	}
	if ev := a.cfg.Events.SignInError; ev != nil && signInRequest(rq) {
		ctx := rq.r.Context()
		e := SignInErrorEvent{Code: string(ae.code), Err: ae.cause}
		if _, ok := a.providers[rq.providerID]; ok {
			e.Provider = rq.providerID
		}
		a.event(ctx, "SignInError", func() { ev(ctx, e) })
	}
	if rq.action == "session" && rq.r.Method == http.MethodPost {
		writeJSON(w, http.StatusBadRequest, []byte("null"))
		return
	}
	if ae.code == CodeUnavailable && a.cfg.Pages.Error == "" && rq.r.Header.Get("X-Auth-Return-Redirect") == "" {
		// A store did not answer: the built-in error page, 503 with
		// Retry-After, served at the URL that failed so that reloading it
		// tries again. A redirect (to Pages.Error, or as JSON) carries
		// Retry-After too.
		if res, err := a.errorPageFor(rq, CodeUnavailable); err == nil {
			for _, c := range ae.cookies {
				res.cookies.Set(c)
			}
			a.write(w, rq, res)
			return
		}
	}
	if ae.code == CodeUnavailable {
		w.Header().Set("Retry-After", "2")
	}
	page := a.cfg.BasePath + "/error"
	if a.cfg.Pages.Error != "" {
		page = a.cfg.Pages.Error
	}
	if ae.code.onSignInPage() {
		page = a.signInTarget()
	}
	loc := rq.base() + page + sep(page) + "error=" + url.QueryEscape(string(ae.code)) + ae.query
	if len(ae.cookies) > 0 {
		var q cookie.Queue
		for _, c := range ae.cookies {
			q.Set(c)
		}
		q.Write(w.Header())
		w.Header().Set("Cache-Control", "private, no-cache, no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
	}
	if rq.r.Header.Get("X-Auth-Return-Redirect") != "" {
		// Auth.js sends no Location here, unlike on success.
		body, _ := json.Marshal(map[string]string{"url": loc})
		writeJSON(w, http.StatusOK, body)
		return
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusFound)
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// Header values of every endpoint response; never written to.
var (
	hdrNoStore = []string{"private, no-cache, no-store"}
	hdrZero    = []string{"0"}
	hdrNoCache = []string{"no-cache"}
	hdrNosniff = []string{"nosniff"}
	hdrJSON    = []string{"application/json"}
)
