package interop_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/jwt"
)

const liveSecret = "interop-live-secret-0123456789abcdef0123456789abcdef"

// liveServers starts the real Auth.js and authgo with the same secrets.
// env is extra environment for server.mjs; mod adjusts authgo's config.
func liveServers(t *testing.T, secrets []string, env map[string]string, mod func(*authgo.Config)) (authjs, ag string) {
	t.Helper()
	e := map[string]string{"AUTH_SECRET": strings.Join(secrets, ",")}
	for k, v := range env {
		e[k] = v
	}
	return startAuthJS(t, e), startAuthgo(t, secrets, mod)
}

var (
	hex64Re = regexp.MustCompile(`[0-9a-f]{64}`)
	isoRe   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	isoAny  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)
)

// normText hides what legitimately differs between the two servers: the
// origin (plain and percent-encoded), CSRF tokens and hashes, and times.
func normText(base, s string) string {
	s = strings.ReplaceAll(s, base, "{O}")
	s = strings.ReplaceAll(s, url.QueryEscape(base), "{O}")
	s = hex64Re.ReplaceAllString(s, "{HEX}")
	return isoAny.ReplaceAllString(s, "{DATE}")
}

// observation is what a comparison looks at in one response.
type observation struct {
	Status      int
	Location    string
	ContentType string
	Body        any // parsed JSON, or text
	Cookies     []string
	Claims      string // of the session token set, with their JSON types
}

func observe(base string, r *reply, html bool) observation {
	o := observation{
		Status:      r.status,
		Location:    normText(base, r.header.Get("Location")),
		ContentType: r.header.Get("Content-Type"),
	}
	if html {
		o.ContentType, _, _ = strings.Cut(o.ContentType, ";")
		o.Body = "<html>"
	} else {
		var v any
		if json.Unmarshal([]byte(r.body), &v) == nil {
			o.Body = normJSON(base, v)
		} else {
			o.Body = normText(base, r.body)
		}
	}
	for _, c := range r.cookies {
		if strings.HasSuffix(c.Name, "authgo.signin-form") {
			// authgo's addition (README compatibility table): the
			// built-in form refilled after a failed sign-in; Auth.js
			// has no such cookie. signinform_test.go pins it.
			continue
		}
		o.Cookies = append(o.Cookies, describeCookie(base, c))
	}
	slices.Sort(o.Cookies)
	o.Claims = sessionClaims(r)
	return o
}

// sessionClaims decodes the session token r sets (its chunks joined) with
// liveSecret and lists its claims with their JSON types: both servers must
// write the same claims. authgo's additions (authgoClaims) are left out
// (README compatibility table).
// authgoClaims are the claims authgo adds to a sign-in's token: for
// revocation (session_id, auth_time) and the sign-in's identity, which
// package gateway reads (provider, email_verified, preferred_username).
var authgoClaims = []string{authgo.ClaimSessionID, authgo.ClaimAuthTime, authgo.ClaimProvider, authgo.ClaimEmailVerified, authgo.ClaimPreferredUsername}

func sessionClaims(r *reply) string {
	var name string
	chunks := map[int]string{}
	for _, c := range r.cookies {
		i := strings.Index(c.Name, "session-token")
		if i < 0 || c.MaxAge < 0 || c.Value == "" {
			continue
		}
		name = c.Name[:i+len("session-token")]
		n := 0
		if rest := c.Name[len(name):]; rest != "" {
			fmt.Sscanf(rest, ".%d", &n)
		}
		chunks[n] = c.Value
	}
	if len(chunks) == 0 {
		return ""
	}
	var raw strings.Builder
	for i := range len(chunks) {
		raw.WriteString(chunks[i])
	}
	tok, err := jwt.Decode(jwt.DecodeParams{Token: raw.String(), Secrets: []string{liveSecret}, Salt: name})
	if err != nil || tok == nil {
		return fmt.Sprintf("<undecodable: %v>", err)
	}
	b, _ := json.Marshal(tok)
	var m map[string]any
	json.Unmarshal(b, &m)
	// authgo's additions: for revocation, and the sign-in's identity
	// (package gateway); README compatibility table.
	for _, c := range authgoClaims {
		delete(m, c)
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, fmt.Sprintf("%s:%T", k, m[k]))
	}
	return strings.Join(out, " ")
}

func normJSON(base string, v any) any {
	switch x := v.(type) {
	case string:
		return normText(base, x)
	case map[string]any:
		for k, e := range x {
			x[k] = normJSON(base, e)
		}
	case []any:
		for i, e := range x {
			x[i] = normJSON(base, e)
		}
	}
	return v
}

// describeCookie renders a Set-Cookie with its value class and attributes.
func describeCookie(base string, c *http.Cookie) string {
	v := normText(base, c.Value)
	switch {
	case c.MaxAge < 0 || c.Value == "":
		v = "<deleted>"
	case strings.Contains(c.Name, "session-token"):
		v = "<token>" // its claims are compared apart (sessionClaims)
	}
	exp := "-"
	if !c.Expires.IsZero() {
		exp = "now+" + time.Until(c.Expires).Round(time.Hour).String()
	}
	same := map[http.SameSite]string{http.SameSiteLaxMode: "Lax", http.SameSiteStrictMode: "Strict", http.SameSiteNoneMode: "None"}[c.SameSite]
	return fmt.Sprintf("%s=%s; Max-Age=%d; Domain=%q; Path=%s; Expires=%s; HttpOnly=%v; Secure=%v; SameSite=%s",
		c.Name, v, c.MaxAge, c.Domain, c.Path, exp, c.HttpOnly, c.Secure, same)
}

// cmpCase is one request (after optional setup) sent to both servers.
type cmpCase struct {
	name   string
	run    func(b *browser) *reply
	status int  // what Auth.js must answer (a sanity anchor); 0: not checked
	html   bool // compare status and media type only
	// deliberate, when set, explains a known difference: it is logged
	// rather than failed.
	deliberate string
}

// withToken sends a session cookie Go minted for claims, with exp moved by
// expShift from the usual 30 days ahead (negative: already expired).
func withToken(claims map[string]any, expShift time.Duration) func(*browser) *reply {
	return func(b *browser) *reply {
		data, _ := json.Marshal(claims)
		tok := new(jwt.Token)
		if err := tok.UnmarshalJSON(data); err != nil {
			b.t.Fatal(err)
		}
		clock := func() time.Time { return time.Now().Add(expShift - jwt.DefaultMaxAge) }
		if expShift == 0 {
			clock = nil
		}
		s, err := jwt.Encode(jwt.EncodeParams{Token: tok, Secrets: []string{liveSecret}, Now: clock})
		if err != nil {
			b.t.Fatal(err)
		}
		return b.get("/auth/session", "Cookie", "authjs.session-token="+s)
	}
}

func signedIn(user, password string, extra ...string) func(*browser) {
	return func(b *browser) { b.signIn(user, password, extra...) }
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func cmpCases() []cmpCase {
	get := func(path string, hdr ...string) func(*browser) *reply {
		return func(b *browser) *reply { return b.get(path, hdr...) }
	}
	after := func(setup func(*browser), run func(*browser) *reply) func(*browser) *reply {
		return func(b *browser) *reply { setup(b); return run(b) }
	}
	method := func(m, path string) func(*browser) *reply {
		return func(b *browser) *reply { return b.do(m, path, nil) }
	}
	credentials := func(withCSRF bool, kv ...string) func(*browser) *reply {
		return func(b *browser) *reply {
			f := form(kv...)
			if withCSRF {
				f.Set("csrfToken", b.csrf())
			}
			return b.post("/auth/callback/credentials", f)
		}
	}
	redirectHdr := []string{"X-Auth-Return-Redirect", "1"}
	withHdr := func(run func(*browser, ...string) *reply) func(*browser) *reply {
		return func(b *browser) *reply { return run(b, redirectHdr...) }
	}
	alice := signedIn("alice", "wonderland")
	big := signedIn("big", "big")
	return []cmpCase{
		{name: "GET csrf", run: get("/auth/csrf"), status: 200},
		{name: "GET csrf with a valid cookie", status: 200, run: func(b *browser) *reply { b.csrf(); return b.get("/auth/csrf") }},
		{name: "GET csrf with a forged cookie", status: 200, run: get("/auth/csrf", "Cookie", "authjs.csrf-token=aaaa%7Cbbbb")},
		{name: "POST csrf", status: 302, run: func(b *browser) *reply { return b.post("/auth/csrf", form()) }},
		{name: "GET providers", run: get("/auth/providers"), status: 200},

		{name: "GET session signed out", run: get("/auth/session"), status: 200},
		{name: "GET session signed in", status: 200, run: after(alice, get("/auth/session"))},
		{name: "GET session trailing slash", status: 200, run: after(alice, get("/auth/session/"))},
		{name: "GET session double slash", status: 200, run: after(alice, get("/auth//session"))},
		{name: "GET session tampered", status: 200, run: after(alice, func(b *browser) *reply {
			v := b.Cookie("authjs.session-token")
			b.SetCookie("authjs.session-token", v[:len(v)/2]+"A"+v[len(v)/2+1:])
			if b.Cookie("authjs.session-token") == v {
				b.SetCookie("authjs.session-token", v[:len(v)/2]+"B"+v[len(v)/2+1:])
			}
			return b.get("/auth/session")
		})},
		{name: "GET session garbage cookie, no csrf cookie", status: 200, run: get("/auth/session", "Cookie", "authjs.session-token=garbage")},
		{name: "GET session https token over http", status: 200, run: func(b *browser) *reply {
			tok, err := jwt.Encode(jwt.EncodeParams{Token: &jwt.Token{Subject: "u", Name: "N"}, Secrets: []string{liveSecret}, Salt: saltHTTPS})
			if err != nil {
				b.t.Fatal(err)
			}
			return b.get("/auth/session", "Cookie", "authjs.session-token="+tok)
		}},
		{name: "GET session __Secure- cookie over http is ignored", status: 200, run: func(b *browser) *reply {
			tok, err := jwt.Encode(jwt.EncodeParams{Token: &jwt.Token{Subject: "u", Name: "N"}, Secrets: []string{liveSecret}, Salt: saltHTTPS})
			if err != nil {
				b.t.Fatal(err)
			}
			return b.get("/auth/session", "Cookie", "__Secure-authjs.session-token="+tok)
		}},
		{name: "GET session chunked", status: 200, run: after(big, get("/auth/session"))},
		{name: "GET session chunks in reverse order", status: 200, run: after(big, func(b *browser) *reply {
			return b.get("/auth/session", "Cookie", "authjs.session-token.1="+b.Cookie("authjs.session-token.1")+"; authjs.session-token.0="+b.Cookie("authjs.session-token.0"))
		})},
		{name: "GET session chunks plus a stale third chunk", status: 200, run: after(big, func(b *browser) *reply {
			b.SetCookie("authjs.session-token.2", "stale")
			return b.get("/auth/session")
		})},
		{name: "GET session duplicate cookie, valid first", status: 200, run: after(alice, func(b *browser) *reply {
			return b.get("/auth/session", "Cookie", "authjs.session-token="+b.Cookie("authjs.session-token")+"; authjs.session-token=garbage")
		})},
		{name: "GET session duplicate cookie, valid second", status: 200, run: after(alice, func(b *browser) *reply {
			return b.get("/auth/session", "Cookie", "authjs.session-token=garbage; authjs.session-token="+b.Cookie("authjs.session-token"))
		})},
		{name: "GET session token expired 5s ago (tolerated)", status: 200, run: withToken(map[string]any{"name": "N", "sub": "u"}, -5*time.Second)},
		{name: "GET session token expired 60s ago", status: 200, run: withToken(map[string]any{"name": "N", "sub": "u"}, -time.Minute)},
		{name: "GET session token not yet valid", status: 200, run: withToken(map[string]any{"name": "N", "sub": "u", "nbf": time.Now().Unix() + 300}, 0)},
		{name: "GET session token with extra claims", status: 200, run: withToken(map[string]any{"name": "N", "email": "e@x", "sub": "u", "role": "admin", "orgs": []any{1, 2}}, 0)},
		{name: "GET session token with only sub", status: 200, run: withToken(map[string]any{"sub": "u"}, 0)},
		{name: "GET session token without claims", status: 200, run: withToken(map[string]any{}, 0)},
		{name: "GET session token picture null (OAuth user without avatar)", status: 200, run: withToken(map[string]any{"name": "N", "email": "e@x", "picture": nil, "sub": "u"}, 0)},
		{name: "GET session token name and email null", status: 200, run: withToken(map[string]any{"name": nil, "email": nil, "sub": "u"}, 0)},
		{name: "GET session token empty strings", status: 200, run: withToken(map[string]any{"name": "", "email": "", "picture": "", "sub": "u"}, 0)},
		{name: "GET session token non-string name", status: 200, run: withToken(map[string]any{"name": 42, "email": true, "picture": map[string]any{"x": 1}, "sub": "u"}, 0)},
		{name: "GET session token unicode", status: 200, run: withToken(map[string]any{"name": "😀 Zoë \u2028 مرحبا", "email": "zoë@exämple.com", "picture": "https://example.com/a?b=1&c=<2>", "sub": "u"}, 0)},

		{name: "GET session stale bare cookie beside chunks", status: 200, run: after(big, func(b *browser) *reply {
			b.SetCookie("authjs.session-token", "stale")
			return b.get("/auth/session")
		})},
		{name: "POST session without csrf, signed in", status: 400, run: after(alice, func(b *browser) *reply {
			return b.postJSON("/auth/session", map[string]any{"data": map[string]any{"name": "Mallory"}})
		})},
		{name: "POST session without csrf, signed out", status: 400, run: func(b *browser) *reply {
			return b.postJSON("/auth/session", map[string]any{})
		}},
		{name: "POST session form without csrf", status: 400, run: after(alice, func(b *browser) *reply {
			return b.post("/auth/session", form("data", "x"))
		})},
		{name: "POST session with csrf (update)", status: 200, run: after(alice, func(b *browser) *reply {
			return b.postJSON("/auth/session", map[string]any{"csrfToken": b.csrf(), "data": map[string]any{"user": map[string]any{"name": "Bob"}}})
		})},
		{name: "POST session with csrf, signed out", status: 200, run: func(b *browser) *reply {
			return b.postJSON("/auth/session", map[string]any{"csrfToken": b.csrf()})
		}},

		{name: "sign-in", status: 302, run: credentials(true, "username", "alice", "password", "wonderland")},
		{name: "sign-in json body", status: 302, run: func(b *browser) *reply {
			return b.postJSON("/auth/callback/credentials", map[string]any{"csrfToken": b.csrf(), "username": "alice", "password": "wonderland"})
		}},
		{name: "sign-in callbackUrl path", status: 302, run: credentials(true, "username", "alice", "password", "wonderland", "callbackUrl", "/dashboard")},
		{name: "sign-in callbackUrl off-origin", status: 302, run: credentials(true, "username", "alice", "password", "wonderland", "callbackUrl", "https://evil.example/x")},
		{name: "sign-in callbackUrl protocol-relative", status: 302, run: credentials(true, "username", "alice", "password", "wonderland", "callbackUrl", "//evil.example/x")},
		{name: "sign-in X-Auth-Return-Redirect", status: 200, run: func(b *browser) *reply {
			f := form("csrfToken", b.csrf(), "username", "alice", "password", "wonderland", "callbackUrl", b.base+"/welcome?x=1")
			return b.post("/auth/callback/credentials", f, redirectHdr...)
		}},
		{name: "sign-in chunked", status: 302, run: credentials(true, "username", "big", "password", "big")},
		{name: "sign-in small while holding chunks", status: 302, run: after(big, credentials(true, "username", "alice", "password", "wonderland"))},
		{name: "sign-in chunked while holding a bare cookie", status: 302, run: after(alice, credentials(true, "username", "big", "password", "big"))},
		{name: "sign-in callbackUrl in query", status: 302, run: func(b *browser) *reply {
			return b.post("/auth/callback/credentials?callbackUrl=%2Fq", form("csrfToken", b.csrf(), "username", "alice", "password", "wonderland"))
		}},
		{name: "sign-in callbackUrl javascript:", status: 302, run: credentials(true, "username", "alice", "password", "wonderland", "callbackUrl", "javascript:alert(1)")},
		{name: "sign-in malformed JSON body", status: 400, run: func(b *browser) *reply {
			b.csrf()
			return b.send("POST", "/auth/callback/credentials", "application/json", `{"csrfToken":`)
		}},
		{name: "sign-in text/plain body", status: 302, run: func(b *browser) *reply {
			return b.send("POST", "/auth/callback/credentials", "text/plain", "csrfToken="+b.csrf()+"&username=alice&password=wonderland")
		}},
		{name: "sign-in no body", status: 302, run: func(b *browser) *reply {
			b.csrf()
			return b.send("POST", "/auth/callback/credentials", "", "")
		}},
		{name: "wrong password", status: 302, run: credentials(true, "username", "alice", "password", "nope")},
		{name: "unknown user", status: 302, run: credentials(true, "username", "mallory", "password", "x")},
		{name: "no credentials at all", status: 302, run: credentials(true)},
		{name: "wrong password X-Auth-Return-Redirect", status: 200, run: func(b *browser) *reply {
			return b.post("/auth/callback/credentials", form("csrfToken", b.csrf(), "username", "alice", "password", "nope"), redirectHdr...)
		}},
		{name: "missing csrf in body", status: 302, run: func(b *browser) *reply {
			b.csrf()
			return b.post("/auth/callback/credentials", form("username", "alice", "password", "wonderland"))
		}},
		{name: "missing csrf cookie", status: 302, run: credentials(false, "csrfToken", strings.Repeat("0", 64), "username", "alice", "password", "wonderland")},
		{name: "wrong csrf token", status: 302, run: func(b *browser) *reply {
			b.csrf()
			return b.post("/auth/callback/credentials", form("csrfToken", strings.Repeat("0", 64), "username", "alice", "password", "wonderland"))
		}},
		{name: "csrf token only in query", status: 302, run: func(b *browser) *reply {
			return b.post("/auth/callback/credentials?csrfToken="+b.csrf(), form("username", "alice", "password", "wonderland"))
		}},
		{name: "missing csrf X-Auth-Return-Redirect", status: 200, run: func(b *browser) *reply {
			return b.post("/auth/callback/credentials", form("username", "alice", "password", "wonderland"), redirectHdr...)
		}},
		{name: "GET callback credentials", status: 302, run: get("/auth/callback/credentials")},
		{name: "GET callback unknown provider", status: 302, run: get("/auth/callback/nope")},
		{name: "POST callback unknown provider", status: 302, run: func(b *browser) *reply {
			return b.post("/auth/callback/nope", form("csrfToken", b.csrf()))
		}},
		{name: "GET signin credentials", status: 302, run: get("/auth/signin/credentials")},
		{name: "POST signin credentials", status: 302, run: func(b *browser) *reply {
			return b.post("/auth/signin/credentials", form("csrfToken", b.csrf()))
		}},
		{name: "POST signin credentials without csrf", status: 302, run: func(b *browser) *reply {
			return b.post("/auth/signin/credentials", form())
		}},
		{name: "POST signin unknown provider", status: 302, run: func(b *browser) *reply {
			return b.post("/auth/signin/nope", form("csrfToken", b.csrf()))
		}},

		{name: "OPTIONS session", status: 400, run: method("OPTIONS", "/auth/session")},
		{name: "POST providers", status: 302, run: func(b *browser) *reply { return b.post("/auth/providers", form()) }},
		{name: "POST error", status: 302, run: func(b *browser) *reply { return b.post("/auth/error", form()) }},
		{name: "GET verify-request", status: 200, html: true, run: get("/auth/verify-request")},
		{name: "GET webauthn-options", status: 302, run: get("/auth/webauthn-options/credentials")},
		{name: "POST verify-request", status: 302, run: func(b *browser) *reply { return b.post("/auth/verify-request", form()) }},
		{name: "POST webauthn-options", status: 302, run: func(b *browser) *reply {
			return b.post("/auth/webauthn-options/credentials", form("csrfToken", b.csrf()))
		}},
		{name: "POST session update with form body", status: 200, run: after(alice, func(b *browser) *reply {
			return b.post("/auth/session", form("csrfToken", b.csrf(), "data", `{"name":"x"}`))
		})},
		{name: "POST session with csrf, tampered cookie", status: 200, run: after(alice, func(b *browser) *reply {
			b.SetCookie("authjs.session-token", "garbage")
			return b.postJSON("/auth/session", map[string]any{"csrfToken": b.csrf()})
		})},
		{name: "POST signin without provider", status: 302, run: func(b *browser) *reply {
			return b.post("/auth/signin", form("csrfToken", b.csrf()))
		}},
		{name: "POST signout json body", status: 302, run: after(alice, func(b *browser) *reply {
			return b.postJSON("/auth/signout", map[string]any{"csrfToken": b.csrf(), "callbackUrl": "/j"})
		})},
		{name: "sign-in while holding an invalid cookie", status: 302, run: func(b *browser) *reply {
			b.SetCookie("authjs.session-token", "garbage")
			return credentials(true, "username", "alice", "password", "wonderland")(b)
		}},
		{name: "PUT session", status: 400, run: method("PUT", "/auth/session")},
		{name: "DELETE session", status: 400, run: method("DELETE", "/auth/session")},
		{name: "PATCH signout", status: 400, run: method("PATCH", "/auth/signout")},
		{name: "GET unknown action", status: 400, run: get("/auth/nope")},
		{name: "GET base path", status: 400, run: get("/auth")},
		{name: "GET base path slash", status: 400, run: get("/auth/")},
		{name: "GET session with extra segment", status: 400, run: get("/auth/session/x")},
		{name: "GET upper-case action", status: 400, run: get("/auth/SESSION")},

		{name: "sign-out", status: 302, run: after(alice, func(b *browser) *reply {
			return b.post("/auth/signout", form("csrfToken", b.csrf(), "callbackUrl", "/bye"))
		})},
		{name: "sign-out to remembered callbackUrl", status: 302, run: after(signedIn("alice", "wonderland", "callbackUrl", "/after"), func(b *browser) *reply {
			return b.post("/auth/signout", form("csrfToken", b.csrf()))
		})},
		{name: "sign-out off-origin callbackUrl", status: 302, run: after(alice, func(b *browser) *reply {
			return b.post("/auth/signout", form("csrfToken", b.csrf(), "callbackUrl", "https://evil.example"))
		})},
		{name: "sign-out X-Auth-Return-Redirect", status: 200, run: after(alice, withHdr(func(b *browser, h ...string) *reply {
			return b.post("/auth/signout", form("csrfToken", b.csrf()), h...)
		}))},
		{name: "sign-out chunked", status: 302, run: after(big, func(b *browser) *reply {
			return b.post("/auth/signout", form("csrfToken", b.csrf()))
		})},
		{name: "sign-out signed out", status: 302, run: func(b *browser) *reply {
			return b.post("/auth/signout", form("csrfToken", b.csrf()))
		}},
		{name: "sign-out without csrf", status: 302, run: after(alice, func(b *browser) *reply {
			return b.post("/auth/signout", form())
		})},

		{name: "GET signin page", status: 200, html: true, run: get("/auth/signin")},
		{name: "GET signin page with callbackUrl", status: 200, html: true, run: get("/auth/signin?callbackUrl=%2Fdash&error=CredentialsSignin")},
		{name: "GET signin page off-origin callbackUrl", status: 200, html: true, run: get("/auth/signin?callbackUrl=https%3A%2F%2Fevil.example%2F")},
		{name: "GET signout page", status: 200, html: true, run: get("/auth/signout")},
		{name: "GET error page", status: 200, html: true, run: get("/auth/error")},
		{name: "GET error Configuration", status: 500, html: true, run: get("/auth/error?error=Configuration")},
		{name: "GET error AccessDenied", status: 403, html: true, run: get("/auth/error?error=AccessDenied")},
		{name: "GET error Verification", status: 403, html: true, run: get("/auth/error?error=Verification")},
		{name: "GET error unknown code", status: 200, html: true, run: get("/auth/error?error=Whatever")},

		// Differences authgo makes on purpose (its own tests or comments pin
		// them); logged, not failed.
		{name: "query callbackUrl not http", status: 500, html: true, run: get("/auth/signin?callbackUrl=javascript%3Aalert(1)"),
			deliberate: "authgo answers 400 where Auth.js answers 500"},
		{name: "callback-url cookie not http", status: 500, run: get("/auth/session", "Cookie", "authjs.callback-url=javascript%3Aalert(1)"),
			deliberate: "authgo ignores a non-http callback-url cookie (Auth.js: 500) so a stale cookie cannot lock users out"},
		{name: "csrf cookie with a third part", status: 200, run: func(b *browser) *reply {
			b.csrf()
			b.SetCookie("authjs.csrf-token", b.Cookie("authjs.csrf-token")+"%7Cextra")
			return b.get("/auth/csrf")
		}, deliberate: "authgo treats token|hash|extra as forged and mints a new cookie; Auth.js ignores the third part"},
		{name: "sign-in username posted twice", status: 302, run: func(b *browser) *reply {
			return b.post("/auth/callback/credentials", form("csrfToken", b.csrf(), "username", "mallory", "username", "alice", "password", "wonderland"))
		}, deliberate: "authgo refuses a field posted twice; Auth.js takes the last value and signs alice in"},
		{name: "sign-in callbackUrl not a URL", status: 302, run: credentials(true, "username", "alice", "password", "wonderland", "callbackUrl", "foo"),
			deliberate: "authgo's DefaultRedirect turns an unparseable callbackUrl into the origin and signs in; Auth.js's redirect callback throws → error=Configuration, no session"},
		{name: "sign-in callbackUrl upper-case origin", status: 302, run: func(b *browser) *reply {
			return b.post("/auth/callback/credentials", form("csrfToken", b.csrf(), "username", "alice", "password", "wonderland", "callbackUrl", "HTTP://"+strings.TrimPrefix(b.base, "http://")+"/Upper"))
		}, deliberate: "authgo rebuilds a same-origin URL on the canonical origin; Auth.js passes HTTP://HOST/Upper through verbatim"},
	}
}

// cacheHeaders must be the same wherever Auth.js sends them; authgo may
// send them on more responses.
var cacheHeaders = []string{"Cache-Control", "Expires", "Pragma"}

// TestLive runs the real Auth.js server and authgo side by side: session
// cookies minted by each must open in the other, and a table of requests
// must get the same answers.
func TestLive(t *testing.T) {
	nodeAvailable(t)
	t.Parallel()
	js, ag := liveServers(t, []string{liveSecret}, nil, nil)

	t.Run("compare", func(t *testing.T) {
		t.Parallel()
		for _, c := range cmpCases() {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				bj, bg := newBrowser(t, js), newBrowser(t, ag)
				rj, rg := c.run(bj), c.run(bg)
				oj, og := observe(js, rj, c.html), observe(ag, rg, c.html)
				t.Logf("Auth.js: %+v", oj)
				if c.status != 0 && rj.status != c.status {
					t.Errorf("Auth.js answered %d, the test expects %d (body %.200q)", rj.status, c.status, rj.body)
				}
				report := t.Errorf
				if c.deliberate != "" {
					report = t.Logf
					t.Logf("deliberate difference: %s", c.deliberate)
				}
				diff := func(what string, a, g any) {
					if !reflect.DeepEqual(a, g) {
						report("%s differs\nAuth.js: %v\n authgo: %v", what, a, g)
					}
				}
				diff("status", oj.Status, og.Status)
				diff("Location", oj.Location, og.Location)
				diff("Content-Type", oj.ContentType, og.ContentType)
				diff("body", js2(oj.Body), js2(og.Body))
				diff("Set-Cookie", strings.Join(oj.Cookies, "\n         "), strings.Join(og.Cookies, "\n         "))
				diff("session claims", oj.Claims, og.Claims)
				for _, h := range cacheHeaders {
					if v := rj.header.Get(h); v != "" && rg.header.Get(h) != v {
						report("%s: Auth.js %q, authgo %q", h, v, rg.header.Get(h))
					}
				}
			})
		}
	})

	// Session cookies cross over: sign in on one, read the session on both,
	// then hand each server's re-issued cookie to the other.
	servers := []struct{ name, base string }{{"Auth.js", js}, {"authgo", ag}}
	for _, user := range []string{"alice", "big"} {
		for i, from := range servers {
			to := servers[1-i]
			t.Run(fmt.Sprintf("cookie/%s/%s-to-%s", user, from.name, to.name), func(t *testing.T) {
				t.Parallel()
				crossSession(t, user, from.name, from.base, to.name, to.base, jwt.DefaultMaxAge)
			})
		}
	}

	t.Run("claims", func(t *testing.T) {
		t.Parallel()
		for _, user := range []string{"alice", "bob", "big"} {
			var claims [2]map[string]any
			var names [2][]string
			for i, s := range servers {
				b := newBrowser(t, s.base)
				b.signIn(user, users[user].password)
				sess := b.sessionCookies()
				names[i] = slices.Sorted(maps.Keys(sess))
				tok, err := jwt.Decode(jwt.DecodeParams{Token: joinChunks(sess), Secrets: []string{liveSecret}})
				if err != nil {
					t.Fatalf("%s: %s's sign-in token: %v", user, s.name, err)
				}
				if tok.ExpiresAt-tok.IssuedAt != int64(jwt.DefaultMaxAge/time.Second) {
					t.Errorf("%s: %s's token lives %ds", user, s.name, tok.ExpiresAt-tok.IssuedAt)
				}
				m := claimsOf(t, tok)
				delete(m, "iat")
				delete(m, "exp")
				delete(m, "jti")
				if id, _ := m[authgo.ClaimSessionID].(string); s.name == "authgo" && len(id) != 22 {
					t.Errorf("%s: authgo's token has no session id: %v", user, m[authgo.ClaimSessionID])
				}
				if at, _ := m[authgo.ClaimAuthTime].(float64); s.name == "authgo" && at == 0 {
					t.Errorf("%s: authgo's token has no auth_time", user)
				}
				if p, _ := m[authgo.ClaimProvider].(string); s.name == "authgo" && p != "credentials" {
					t.Errorf("%s: authgo's token names provider %v", user, m[authgo.ClaimProvider])
				}
				for _, c := range authgoClaims { // authgo's additions
					delete(m, c)
				}
				claims[i] = m
			}
			if !reflect.DeepEqual(claims[0], claims[1]) {
				t.Errorf("%s: sign-in claims differ\nAuth.js: %s\n authgo: %s", user, js2(claims[0]), js2(claims[1]))
			}
			if !slices.Equal(names[0], names[1]) {
				t.Errorf("%s: session cookie names differ: Auth.js %v, authgo %v", user, names[0], names[1])
			}
		}
	})

	t.Run("csrf cookie", func(t *testing.T) {
		t.Parallel()
		crossCSRF(t, js, ag, false)
	})
}

// TestLiveRotation runs both servers with secrets [new, old] and a one-hour
// session: a token made under the old secret opens in both and comes back
// under the new one, and CSRF cookies (hashed with "new,old") cross over.
func TestLiveRotation(t *testing.T) {
	nodeAvailable(t)
	t.Parallel()
	secrets := []string{secretNew, secretOld}
	js, ag := liveServers(t, secrets, map[string]string{"SESSION_MAX_AGE": "3600"},
		func(c *authgo.Config) { c.Session.MaxAge = time.Hour })

	old, err := jwt.Encode(jwt.EncodeParams{
		Token:   &jwt.Token{Name: "Old", Email: "old@example.com", Subject: "user-old"},
		Secrets: []string{secretOld},
	})
	if err != nil {
		t.Fatal(err)
	}
	newKid, err := jwt.Encode(jwt.EncodeParams{Token: &jwt.Token{Subject: "x"}, Secrets: []string{secretNew}})
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := segments(newKid)[0]
	var bodies []string
	for _, s := range []struct{ name, base string }{{"Auth.js", js}, {"authgo", ag}} {
		r := newBrowser(t, s.base).get("/auth/session", "Cookie", "authjs.session-token="+old)
		if r.status != 200 || !strings.Contains(r.body, "old@example.com") {
			t.Errorf("%s refuses an old-secret token: %d %s", s.name, r.status, r.body)
			continue
		}
		bodies = append(bodies, normExpires(t, s.name, r.body, time.Hour))
		re := r.cookie("authjs.session-token")
		if re == nil {
			t.Errorf("%s did not re-issue the cookie", s.name)
			continue
		}
		if h := segments(re.Value)[0]; h != wantHeader {
			t.Errorf("%s re-issued under header %s, want the new secret's %s", s.name, b64(h), b64(wantHeader))
		}
		if d := time.Until(re.Expires); d < 59*time.Minute || d > 61*time.Minute {
			t.Errorf("%s: re-issued cookie expires in %v, want 1h", s.name, d)
		}
		tok, err := jwt.Decode(jwt.DecodeParams{Token: re.Value, Secrets: []string{secretNew}})
		if err != nil || tok.ExpiresAt-tok.IssuedAt != 3600 {
			t.Errorf("%s: re-issued token %+v, %v; want exp = iat+3600", s.name, tok, err)
		}
	}
	if len(bodies) == 2 && bodies[0] != bodies[1] {
		t.Errorf("session bodies differ\nAuth.js: %s\n authgo: %s", bodies[0], bodies[1])
	}
	// Without the old secret, both refuse it.
	js1, ag1 := liveServers(t, []string{secretNew}, nil, nil)
	for _, s := range []struct{ name, base string }{{"Auth.js", js1}, {"authgo", ag1}} {
		r := newBrowser(t, s.base).get("/auth/session", "Cookie", "authjs.session-token="+old)
		if r.body != "null" {
			t.Errorf("%s (old secret removed) accepted the old token: %s", s.name, r.body)
		}
		if c := r.cookie("authjs.session-token"); c == nil || c.MaxAge >= 0 {
			t.Errorf("%s did not delete the refused cookie", s.name)
		}
	}

	for i, from := range []string{js, ag} {
		to := []string{ag, js}[i]
		fn, tn := []string{"Auth.js", "authgo"}[i], []string{"authgo", "Auth.js"}[i]
		crossSession(t, "alice", fn, from, tn, to, time.Hour)
	}
	crossCSRF(t, js, ag, true)
}

// crossSession signs user in on one server and checks both servers give
// the same session for that cookie, and for each other's re-issued cookie.
func crossSession(t *testing.T, user, fromName, from, toName, to string, maxAge time.Duration) {
	t.Helper()
	b := newBrowser(t, from)
	r := b.signIn(user, users[user].password)
	sess := b.sessionCookies()
	if user == "big" {
		c0 := r.cookie("authjs.session-token.0")
		if len(sess) != 2 || c0 == nil || len(c0.Value) != 3936 || r.cookie("authjs.session-token.1") == nil {
			t.Fatalf("%s: big's session is not in two chunks: %v", fromName, slices.Sorted(maps.Keys(sess)))
		}
	}
	cookieHdr := func(m map[string]string) string {
		var parts []string
		for _, n := range slices.Sorted(maps.Keys(m)) {
			parts = append(parts, n+"="+m[n])
		}
		return strings.Join(parts, "; ")
	}
	read := func(name, base string, m map[string]string) (body string, reissued map[string]string) {
		t.Helper()
		r := newBrowser(t, base).get("/auth/session", "Cookie", cookieHdr(m))
		if r.status != 200 || r.body == "null" {
			t.Fatalf("%s refuses the session cookie(s) %v: %d %.300s", name, slices.Sorted(maps.Keys(m)), r.status, r.body)
		}
		reissued = map[string]string{}
		for _, c := range r.cookies {
			if strings.HasPrefix(c.Name, "authjs.session-token") && c.MaxAge >= 0 && c.Value != "" {
				reissued[c.Name] = c.Value
				if d := time.Until(c.Expires); d < maxAge-time.Minute || d > maxAge+time.Minute {
					t.Errorf("%s: re-issued %s expires in %v, want %v", name, c.Name, d, maxAge)
				}
			}
		}
		if !slices.Equal(slices.Sorted(maps.Keys(reissued)), slices.Sorted(maps.Keys(m))) {
			t.Errorf("%s re-issued %v for %v", name, slices.Sorted(maps.Keys(reissued)), slices.Sorted(maps.Keys(m)))
		}
		return normExpires(t, name, r.body, maxAge), reissued
	}
	own, ownRe := read(fromName, from, sess)
	other, otherRe := read(toName, to, sess)
	if own != other {
		t.Errorf("sessions differ for %s's cookie\n%s: %.300s\n%s: %.300s", fromName, fromName, own, toName, other)
	}
	u := users[user].user
	want := map[string]any{"name": u.Name, "email": u.Email}
	if u.Image != "" {
		want["image"] = u.Image
	}
	var got struct{ User map[string]any }
	if err := json.Unmarshal([]byte(own), &got); err != nil || !reflect.DeepEqual(got.User, want) {
		t.Errorf("session user %.300s, want %v", own, want)
	}
	// Each server's re-issued cookie opens in the other.
	if b1, _ := read(toName, to, ownRe); b1 != own {
		t.Errorf("%s's re-issued cookie read by %s: %.300s", fromName, toName, b1)
	}
	if b2, _ := read(fromName, from, otherRe); b2 != own {
		t.Errorf("%s's re-issued cookie read by %s: %.300s", toName, fromName, b2)
	}
}

// normExpires checks a session body's "expires" (a JavaScript ISO time
// about maxAge ahead) and replaces it with a placeholder.
func normExpires(t *testing.T, who, body string, maxAge time.Duration) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: session body %.200q: %v", who, body, err)
	}
	var exp string
	json.Unmarshal(m["expires"], &exp)
	if !isoRe.MatchString(exp) {
		t.Errorf("%s: expires %q is not a JavaScript ISO time", who, exp)
	} else if at, err := time.Parse(time.RFC3339Nano, exp); err != nil {
		t.Errorf("%s: expires %q: %v", who, exp, err)
	} else if d := time.Until(at); d < maxAge-time.Minute || d > maxAge+time.Minute {
		t.Errorf("%s: expires %q is %v ahead, want %v", who, exp, d, maxAge)
	}
	return strings.Replace(body, `"expires":"`+exp+`"`, `"expires":"{DATE}"`, 1)
}

// crossCSRF checks that each server trusts the other's CSRF cookie (same
// secrets, same hash), and that a sign-in on one works with the double
// submit from the other.
func crossCSRF(t *testing.T, js, ag string, rotating bool) {
	t.Helper()
	for _, p := range [][2]string{{js, ag}, {ag, js}} {
		if rotating && p[0] == ag {
			// With several secrets authgo mints with the newest alone (so
			// that adding a secret breaks no outstanding token), while
			// @auth/core given an array hashes the comma-joined list: it
			// refuses authgo's cookie until the rotation is over (README,
			// compatibility table). authgo still trusts Auth.js's.
			src := newBrowser(t, ag)
			src.csrf()
			dst := newBrowser(t, js)
			dst.SetCookie("authjs.csrf-token", src.Cookie("authjs.csrf-token"))
			if r := dst.get("/auth/csrf"); r.cookie("authjs.csrf-token") == nil {
				t.Errorf("Auth.js with an array secret trusted authgo's newest-secret CSRF cookie: the documented difference is gone")
			}
			continue
		}
		src := newBrowser(t, p[0])
		tok := src.csrf()
		cookieVal := src.Cookie("authjs.csrf-token")
		dst := newBrowser(t, p[1])
		dst.SetCookie("authjs.csrf-token", cookieVal)
		r := dst.get("/auth/csrf")
		if !strings.Contains(r.body, tok) || r.cookie("authjs.csrf-token") != nil {
			t.Errorf("%s does not trust %s's CSRF cookie: %s, Set-Cookie %v", p[1], p[0], r.body, r.cookies)
		}
		r = dst.post("/auth/callback/credentials", form("csrfToken", tok, "username", "alice", "password", "wonderland"))
		if r.status != 302 || r.cookie("authjs.session-token") == nil {
			t.Errorf("%s: sign-in with %s's CSRF pair: %d %q", p[1], p[0], r.status, r.header.Get("Location"))
		}
	}
}

// joinChunks reassembles session cookies by their numeric suffix.
func joinChunks(m map[string]string) string {
	if v, ok := m["authjs.session-token"]; ok {
		return v
	}
	var sb strings.Builder
	for i := 0; ; i++ {
		v, ok := m[fmt.Sprintf("authjs.session-token.%d", i)]
		if !ok {
			return sb.String()
		}
		sb.WriteString(v)
	}
}

func js2(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
