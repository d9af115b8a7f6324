package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/authgo/authgo"
	authredis "github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/gateway"
	"github.com/authgo/authgo/internal/fwd"
	"github.com/authgo/authgo/jwt"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/credentials"
	"github.com/authgo/authgo/providers/oauth"
)

const (
	secret = "gateway-test-secret-0123456789abcdef0123"
	origin = "http://app.example"
)

// newAuth is an Auth on origin with a credentials provider ("credentials")
// and an OAuth one ("github").
func newAuth(t *testing.T, mod func(*authgo.Config)) *authgo.Auth {
	t.Helper()
	cp, err := credentials.New(credentials.Options{Authorize: func(context.Context, provider.Credentials, *http.Request) (*authgo.User, error) {
		return nil, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	op, err := oauth.New(oauth.Options{ID: "github", Name: "GitHub", ClientID: "id", ClientSecret: "s",
		AuthURL: "https://idp.example/authorize", TokenURL: "https://idp.example/token", UserinfoURL: "https://idp.example/user"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := authgo.Config{Secret: []string{secret}, URL: origin + "/auth", Providers: []provider.Provider{cp, op},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	if mod != nil {
		mod(&cfg)
	}
	a, err := authgo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// cookie is a session cookie for tok.
func cookie(t *testing.T, tok *jwt.Token) string {
	t.Helper()
	if tok.Extra == nil {
		tok.Extra = map[string]any{}
	}
	if _, ok := tok.Extra["auth_time"]; !ok {
		tok.Extra["auth_time"] = float64(time.Now().Unix())
	}
	enc, err := jwt.Encode(jwt.EncodeParams{Token: tok, Secrets: []string{secret}, MaxAge: 72 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) > 3900 {
		// Chunked as authgo writes it.
		var parts []string
		for i := 0; len(enc) > 0; i++ {
			n := min(len(enc), 3936)
			parts = append(parts, "authjs.session-token."+string(rune('0'+i))+"="+enc[:n])
			enc = enc[n:]
		}
		return strings.Join(parts, "; ")
	}
	return "authjs.session-token=" + enc
}

func TestProtected(t *testing.T) {
	a := newAuth(t, nil)
	for _, tc := range []struct {
		name            string
		public, protect []string
		path            string
		protected, bad  bool
	}{
		{"default protects everything", nil, nil, "/x", true, false},
		{"public root", []string{"/"}, nil, "/", false, false},
		{"public root only", []string{"/"}, nil, "/x", true, false},
		{"public prefix", []string{"/_next/:path*"}, nil, "/_next/static/a.js", false, false},
		{"query ignored", []string{"/docs/:path*"}, nil, "/docs/a?next=/admin", false, false},
		{"protect inside public", []string{"/:path*"}, []string{"/mypage/:path*"}, "/mypage/a", true, false},
		{"outside protect", []string{"/:path*"}, []string{"/mypage/:path*"}, "/other", false, false},
		{"protect by decoded form", []string{"/:path*"}, []string{"/mypage/:path*"}, "/%6Dypage/a", true, false},
		{"public needs the decoded form too", []string{"/((?!admin).*)"}, nil, "/%61dmin", true, false},
		{"public, decoded the same", []string{"/((?!admin).*)"}, nil, "/%62log", false, false},
		{"case sensitive", []string{"/:path*"}, []string{"/mypage/:path*"}, "/MYPAGE/a", false, false},
		{"dot-segment", []string{"/pub/:path*"}, nil, "/pub/../admin", true, true},
		{"encoded dot-segment", []string{"/pub/:path*"}, nil, "/pub/%2e%2e/admin", true, true},
		{"empty segment", []string{"/pub/:path*"}, nil, "/pub//admin", true, true},
		{"encoded slash", []string{"/pub/:path*"}, nil, "/pub%2Fx", true, true},
		{"backslash", []string{"/pub/:path*"}, nil, `/pub\x`, true, true},
		{"not a path", []string{"/:path*"}, nil, "https://evil.example/", true, true},
		{"empty", []string{"/:path*"}, nil, "", true, true},
		{"Next data form of a protected page", []string{"/:path*"}, []string{"/mypage"}, "/_next/data/build/mypage.json", true, false},
		// (a|aa)+ backtracks exponentially before the missing b: the
		// match runs out of time, and a public pattern out of time opens
		// nothing.
		{"public pattern out of time", []string{"/:p((?!z)(?:a|aa)+b)"}, nil, "/" + strings.Repeat("a", 40) + "c", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := gateway.New(a, gateway.Options{Public: tc.public, Protect: tc.protect})
			if err != nil {
				t.Fatal(err)
			}
			p, bad := g.Protected(tc.path)
			if p != tc.protected || bad != tc.bad {
				t.Errorf("Protected(%q) = %v, %v; want %v, %v", tc.path, p, bad, tc.protected, tc.bad)
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	a := newAuth(t, nil)
	tok := func(provider, email string, verified any) *jwt.Token {
		t := &jwt.Token{Subject: "u", Email: email, Extra: map[string]any{"provider": provider}}
		if verified != nil {
			t.Extra["email_verified"] = verified
		}
		return t
	}
	allow := gateway.Allow{Emails: []string{"Ann@Example.com"}, Domains: []string{"corp.example"}}
	for _, tc := range []struct {
		name  string
		allow gateway.Allow
		own   bool
		tok   *jwt.Token
		want  bool
	}{
		{"signed out", allow, false, nil, false},
		{"credentials user, no allow-list", gateway.Allow{}, false, tok("credentials", "", nil), true},
		{"oauth user, no allow-list", gateway.Allow{}, false, tok("github", "ann@example.com", true), false},
		{"listed verified address", allow, false, tok("github", "ann@example.com", true), true},
		{"listed address, unverified", allow, false, tok("github", "ann@example.com", false), false},
		{"listed address, verification unknown", allow, false, tok("github", "ann@example.com", nil), false},
		{"verified as a string is not enough", allow, false, tok("github", "ann@example.com", "true"), false},
		{"domain", allow, false, tok("github", "bob@CORP.example", true), true},
		{"subdomain is not the domain", allow, false, tok("github", "bob@x.corp.example", true), false},
		{"domain as a suffix", allow, false, tok("github", "bob@evilcorp.example", true), false},
		{"verified, no email", allow, false, tok("github", "", true), false},
		{"verified, only a domain part", allow, false, tok("github", "@corp.example", true), false},
		{"another address", allow, false, tok("github", "eve@example.com", true), false},
		{"any", gateway.Allow{Any: true}, false, tok("github", "", nil), true},
		{"own", gateway.Allow{}, true, tok("github", "", nil), true},
		{"unknown provider", allow, false, tok("gone", "ann@example.com", true), true},
		{"token minted elsewhere, no provider", gateway.Allow{}, false, tok("", "ann@example.com", true), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := gateway.Options{Allow: tc.allow}
			if tc.own {
				o.Own = func(context.Context, *authgo.Token) bool { return true }
			}
			g, err := gateway.New(a, o)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.Allowed(t.Context(), tc.tok); got != tc.want {
				t.Errorf("Allowed = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAllowedOwnAskedLast: Own, which may ask a store, is not asked for a
// user the allow-list already lets in.
func TestAllowedOwnAskedLast(t *testing.T) {
	a := newAuth(t, nil)
	asked := 0
	own := func(context.Context, *authgo.Token) bool { asked++; return false }
	ann := &jwt.Token{Subject: "u", Email: "ann@example.com", Extra: map[string]any{"provider": "github", "email_verified": true}}
	for _, allow := range []gateway.Allow{{Any: true}, {Emails: []string{"ann@example.com"}}, {Domains: []string{"example.com"}}} {
		g, err := gateway.New(a, gateway.Options{Allow: allow, Own: own})
		if err != nil {
			t.Fatal(err)
		}
		if !g.Allowed(t.Context(), ann) || asked != 0 {
			t.Errorf("Allow %+v: Allowed = false or Own asked %d times", allow, asked)
		}
	}
	g, _ := gateway.New(a, gateway.Options{Allow: gateway.Allow{Domains: []string{"corp.example"}}, Own: own})
	if g.Allowed(t.Context(), ann) || asked != 1 {
		t.Errorf("unlisted user: Own asked %d times, want 1", asked)
	}
}

func TestNewRefuses(t *testing.T) {
	a := newAuth(t, nil)
	for _, o := range []gateway.Options{
		{Upstream: "ftp://x"},
		{Upstream: "http://app:8080/base"},
		{Upstream: "http://user@app"},
		{Upstream: "app:8080"},
		{Public: []string{"/api/*"}},
		{Protect: []string{"no-slash"}},
		{Allow: gateway.Allow{Emails: []string{"example.com"}}},
		{Allow: gateway.Allow{Domains: []string{"a@example.com"}}},
		{Allow: gateway.Allow{Domains: []string{"*"}}},
		// An empty entry (--allow-email "") must not let in a user
		// whose session has no email.
		{Allow: gateway.Allow{Emails: []string{""}}},
		{Allow: gateway.Allow{Emails: []string{" "}}},
		{Allow: gateway.Allow{Domains: []string{""}}},
		{Allow: gateway.Allow{Domains: []string{"@"}}},
	} {
		if _, err := gateway.New(a, o); err == nil || !strings.HasPrefix(err.Error(), "gateway: ") {
			t.Errorf("New(%+v) = %v, want a gateway: error", o, err)
		}
	}
	if _, err := gateway.New(nil, gateway.Options{}); err == nil {
		t.Error("New(nil) succeeded")
	}
}

// forwardAuth asks g's forward-auth endpoint from peer with the headers.
func forwardAuth(g http.Handler, path, peer string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", origin+path, nil)
	r.RemoteAddr = peer
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	return w
}

func TestForwardAuth(t *testing.T) {
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Public: []string{"/", "/pub/:path*"}, PassIdentity: true, Allow: gateway.Allow{Domains: []string{"example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	const proxy, client = "10.0.0.1:4000", "192.0.2.9:5000"
	ann := cookie(t, &jwt.Token{Subject: "u-ann", Email: "ann@example.com", Extra: map[string]any{"provider": "github", "email_verified": true, "preferred_username": "ann"}})
	eve := cookie(t, &jwt.Token{Subject: "u-eve", Email: "eve@example.com", Extra: map[string]any{"provider": "github", "email_verified": false}})

	for _, tc := range []struct {
		name   string
		path   string
		peer   string
		hdr    []string
		status int
		user   string
	}{
		{"public, signed out", "/auth/forward-auth", proxy, []string{"X-Forwarded-Uri", "/pub/a"}, 200, ""},
		{"public, signed in", "/auth/forward-auth", proxy, []string{"X-Forwarded-Uri", "/pub/a", "Cookie", ann}, 200, "u-ann"},
		{"protected, signed out", "/auth/forward-auth", proxy, []string{"X-Forwarded-Uri", "/admin"}, 401, ""},
		{"protected, signed in", "/auth/forward-auth", proxy, []string{"X-Original-URI", "/admin", "Cookie", ann}, 200, "u-ann"},
		{"protected, not allowed", "/auth/forward-auth", proxy, []string{"X-Original-URI", "/admin", "Cookie", eve}, 403, ""},
		{"public, not allowed: no identity", "/auth/forward-auth", proxy, []string{"X-Original-URI", "/pub/a", "Cookie", eve}, 200, ""},
		{"both headers, one protected", "/auth/forward-auth", proxy, []string{"X-Forwarded-Uri", "/pub/a", "X-Original-URI", "/admin"}, 401, ""},
		{"two lines, one protected", "/auth/forward-auth", proxy, []string{"X-Forwarded-Uri", "/pub/a", "X-Forwarded-Uri", "/admin"}, 401, ""},
		{"no original URI", "/auth/forward-auth", proxy, nil, 401, ""},
		{"ambiguous original URI", "/auth/forward-auth", proxy, []string{"X-Forwarded-Uri", "/pub/%2e%2e/admin"}, 401, ""},
		{"untrusted peer, spoofed public URI", "/auth/forward-auth", client, []string{"X-Forwarded-Uri", "/pub/a"}, 401, ""},
		{"untrusted peer, signed in", "/auth/forward-auth", client, []string{"X-Forwarded-Uri", "/pub/a", "Cookie", ann}, 200, "u-ann"},
		{"spoofed identity", "/auth/forward-auth", proxy, []string{"X-Forwarded-Uri", "/pub/a", "X-Auth-Request-User", "admin"}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := forwardAuth(g, tc.path, tc.peer, tc.hdr...)
			if w.Code != tc.status || w.Header().Get("Location") != "" {
				t.Fatalf("status %d Location %q, want %d", w.Code, w.Header().Get("Location"), tc.status)
			}
			if got := w.Header().Get(gateway.HeaderUser); got != tc.user {
				t.Errorf("%s = %q, want %q", gateway.HeaderUser, got, tc.user)
			}
			if tc.user == "u-ann" && (w.Header().Get(gateway.HeaderEmail) != "ann@example.com" || w.Header().Get(gateway.HeaderPreferredUsername) != "ann") {
				t.Errorf("identity headers %v", w.Header())
			}
		})
	}

	t.Run("redirect", func(t *testing.T) {
		w := forwardAuth(g, "/auth/forward-auth/redirect", proxy, "X-Forwarded-Uri", "/admin?x=1", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "shop.example")
		want := origin + "/auth/signin?callbackUrl=" + url.QueryEscape("https://shop.example/admin?x=1")
		if w.Code != http.StatusFound || w.Header().Get("Location") != want {
			t.Errorf("redirect = %d %q, want %q", w.Code, w.Header().Get("Location"), want)
		}
		// From an untrusted peer, the forwarded host is not believed.
		w = forwardAuth(g, "/auth/forward-auth/redirect", client, "X-Forwarded-Uri", "/admin", "X-Forwarded-Host", "evil.example")
		if w.Code != http.StatusFound || w.Header().Get("Location") != origin+"/auth/signin?callbackUrl="+url.QueryEscape(origin+"/") {
			t.Errorf("redirect from an untrusted peer = %d %q", w.Code, w.Header().Get("Location"))
		}
		if w := forwardAuth(g, "/auth/forward-auth/redirect", proxy, "X-Forwarded-Uri", "/admin", "Cookie", eve); w.Code != 403 {
			t.Errorf("redirect, not allowed = %d", w.Code)
		}
	})

	t.Run("method", func(t *testing.T) {
		r := httptest.NewRequest("POST", origin+"/auth/forward-auth", nil)
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST = %d", w.Code)
		}
	})

	t.Run("re-issued cookie only when it is one", func(t *testing.T) {
		old := float64(time.Now().Add(-48 * time.Hour).Unix())
		small := cookie(t, &jwt.Token{Subject: "u-own", Extra: map[string]any{"provider": "credentials", "auth_time": old}})
		big := cookie(t, &jwt.Token{Subject: "u-own", Name: strings.Repeat("x", 6000), Extra: map[string]any{"provider": "credentials", "auth_time": old}})
		if !strings.Contains(big, "session-token.1=") {
			t.Fatal("the big token is not chunked")
		}
		// iat is now in both: make them older than UpdateAge by the
		// clock of an Auth that lives 25 hours later.
		later := newAuth(t, func(c *authgo.Config) { c.Now = func() time.Time { return time.Now().Add(25 * time.Hour) } })
		lg, _ := gateway.New(later, gateway.Options{})
		w := forwardAuth(lg, "/auth/forward-auth", proxy, "X-Forwarded-Uri", "/x", "Cookie", small)
		if w.Code != 200 || len(w.Header().Values("Set-Cookie")) != 1 {
			t.Errorf("small: %d, Set-Cookie %q", w.Code, w.Header().Values("Set-Cookie"))
		}
		w = forwardAuth(lg, "/auth/forward-auth", proxy, "X-Forwarded-Uri", "/x", "Cookie", big)
		if w.Code != 200 || len(w.Header().Values("Set-Cookie")) != 0 {
			t.Errorf("big: %d, Set-Cookie %q", w.Code, w.Header().Values("Set-Cookie"))
		}
	})
}

// TestOwnGetsACopy: the gateway reads each request's token without a copy
// (the decode cache's own, shared by every request with that cookie), so
// Options.Own, the application's code, gets a copy: what it changes never
// reaches the next request.
func TestOwnGetsACopy(t *testing.T) {
	var seen []string
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get(gateway.HeaderEmail))
	}))
	defer app.Close()
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Upstream: app.URL, PassIdentity: true, Own: func(_ context.Context, tok *authgo.Token) bool {
		ok := tok.Email == "bob@corp.example"
		tok.Email = "mallory@corp.example"
		tok.Set(authgo.ClaimProvider, "credentials")
		return ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	ck := cookie(t, &jwt.Token{Subject: "u-bob", Email: "bob@corp.example", Extra: map[string]any{"provider": "github"}})
	for range 3 {
		r := httptest.NewRequest("GET", origin+"/page", nil)
		r.Header.Set("Cookie", ck)
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	if fmt.Sprint(seen) != "[bob@corp.example bob@corp.example bob@corp.example]" {
		t.Fatalf("the upstream saw %v", seen)
	}
}

func TestUpstreamHeaders(t *testing.T) {
	var got http.Header
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		json.NewEncoder(w).Encode(r.URL.RequestURI())
	}))
	defer app.Close()
	a := newAuth(t, nil)
	own := cookie(t, &jwt.Token{Subject: "u-own", Email: "own@example.com", Extra: map[string]any{"provider": "credentials"}})
	for _, tc := range []struct {
		name   string
		o      gateway.Options
		cookie string
		auth   string // the Authorization the app must get
		user   string
	}{
		{"signed out, client Authorization kept", gateway.Options{PassIdentity: true}, "", "Basic x", ""},
		{"signed out, Authorization ours", gateway.Options{PassAuthorizationHeader: true}, "", "", ""},
		{"signed in, identity", gateway.Options{PassIdentity: true}, own, "Basic x", "u-own"},
		{"signed in, no identity asked", gateway.Options{}, own, "Basic x", ""},
		{"signed in, no access token", gateway.Options{PassAuthorizationHeader: true, PassIdentity: true}, own, "", "u-own"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.Upstream, o.Public = app.URL, []string{"/:path*"}
			g, err := gateway.New(a, o)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", origin+"/page?q=1", nil)
			r.Header["Authorization"] = []string{"Basic x"}
			r.Header["X_Auth_Request_User"] = []string{"admin"}
			r.Header["X-Auth-Request-User"] = []string{"admin", "root"}
			r.Header["x-auth-request-email"] = []string{"boss@example.com"}
			r.Header["X-Forwarded-Access-Token"] = []string{"forged"}
			r.Header["X-Forwarded-For"] = []string{"6.6.6.6"}
			if tc.cookie != "" {
				r.Header.Set("Cookie", tc.cookie+"; theme=dark")
			}
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `"/page?q=1"` {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if v := got.Get("Authorization"); v != tc.auth {
				t.Errorf("Authorization at the app = %q, want %q", v, tc.auth)
			}
			var users []string
			for k, v := range got {
				n := strings.ToLower(strings.ReplaceAll(k, "_", "-"))
				switch n {
				case "x-auth-request-user":
					users = append(users, v...)
				case "x-auth-request-email", "x-forwarded-access-token":
					if tc.user == "" || n == "x-forwarded-access-token" {
						t.Errorf("%s reached the app: %q", k, v)
					}
				}
			}
			if strings.Join(users, ",") != tc.user {
				t.Errorf("X-Auth-Request-User at the app = %q, want %q", users, tc.user)
			}
			if v := got.Values("X-Forwarded-For"); len(v) != 1 || v[0] != "192.0.2.1" {
				t.Errorf("X-Forwarded-For = %q", v)
			}
			if c := got.Get("Cookie"); strings.Contains(c, "authjs") || (tc.cookie != "" && c != "theme=dark") {
				t.Errorf("Cookie at the app = %q", c)
			}
		})
	}
}

// FuzzProtected: no target panics Protected; a target it calls public is
// clean (no dot-segment or empty segment in any spelling) and matches the
// public pattern decoded; a bad one is always protected.
func FuzzProtected(f *testing.F) {
	for _, s := range []string{"/", "/pub/x", "/pub/../admin", "/pub/%2e%2e/admin", "/%70ub/x", "/pub/x?y", "//pub", "/pub%2Fx", "/pub/\\x", "/pub/%zz"} {
		f.Add(s)
	}
	a := newAuth(&testing.T{}, nil)
	g, err := gateway.New(a, gateway.Options{Public: []string{"/", "/pub/:path*"}, Protect: []string{"/pub/secret/:path*"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, target string) {
		protected, bad := g.Protected(target)
		if bad && !protected {
			t.Fatalf("%q: bad but not protected", target)
		}
		if protected {
			return
		}
		esc, _, _ := strings.Cut(target, "?")
		dec, err := url.PathUnescape(esc)
		if err != nil {
			t.Fatalf("%q: public but does not decode", target)
		}
		if dec != "/" && !strings.HasPrefix(dec, "/pub/") && dec != "/pub" && !strings.HasPrefix(dec, "/_next/data/") && !strings.HasPrefix(dec, "/index") && !strings.HasPrefix(dec, "/pub.") {
			t.Fatalf("%q (decoded %q) is public", target, dec)
		}
		if strings.Contains(dec, "/../") || strings.Contains(dec, "/./") || strings.Contains(dec, "//") || strings.HasPrefix(dec, "/pub/secret") {
			t.Fatalf("%q (decoded %q) is public", target, dec)
		}
	})
}

// TestSilentUpstream504: an app that takes the request and sends nothing
// gets the client a 504 after the transport's silence (the watchdog of
// the default transport, shortened here), and the next request on a
// fresh connection works.
func TestSilentUpstream504(t *testing.T) {
	var calls atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-r.Context().Done() // silent until the gateway gives up
			return
		}
		io.WriteString(w, "ok")
	}))
	defer app.Close()
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Upstream: app.URL, Public: []string{"/:path*"}, Transport: fwd.SilenceTransport(300 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(g)
	defer front.Close()
	start := time.Now()
	res, err := http.Get(front.URL + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("silent app: status %d, want 504", res.StatusCode)
	}
	if took := time.Since(start); took < 300*time.Millisecond || took > 3*time.Second {
		t.Errorf("504 after %v, want a little over 300ms", took)
	}
	res, err = http.Get(front.URL + "/next")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("after the timeout: %d %q", res.StatusCode, b)
	}
}

// TestTransferIdleTimeout: behind a server whose WriteTimeout is shorter
// than a slow download, the download completes with TransferIdleTimeout
// (each write moves the deadline) and is cut without it.
func TestTransferIdleTimeout(t *testing.T) {
	const chunks = 6
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(chunks))
		for range chunks {
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	}))
	defer app.Close()
	a := newAuth(t, nil)
	for _, tc := range []struct {
		idle, write time.Duration // TransferIdleTimeout, the server's WriteTimeout
		full        bool
	}{
		{0, 250 * time.Millisecond, false},
		{time.Second, 250 * time.Millisecond, true},
		{300 * time.Millisecond, 300 * time.Millisecond, true},
	} {
		g, err := gateway.New(a, gateway.Options{Upstream: app.URL, Public: []string{"/:path*"}, TransferIdleTimeout: tc.idle})
		if err != nil {
			t.Fatal(err)
		}
		front := httptest.NewUnstartedServer(g)
		front.Config.WriteTimeout = tc.write
		front.Start()
		res, err := http.Get(front.URL + "/file")
		var body []byte
		if err == nil {
			body, err = io.ReadAll(res.Body)
			res.Body.Close()
		}
		front.Close()
		if got := err == nil && len(body) == chunks; got != tc.full {
			t.Errorf("TransferIdleTimeout %v: %d bytes, err %v; want the whole body: %v", tc.idle, len(body), err, tc.full)
		}
	}
}

// TestForwardAuthStoreDown: with the revocation store down (a real Redis
// client whose server does not answer), forward-auth for a protected path
// answers 503 with Retry-After, never 200 (let in without the revocation
// check) nor 401 (which sends a signed-in user to sign in again); a public
// path stays open, without identity.
func TestForwardAuthStoreDown(t *testing.T) {
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	a := newAuth(t, func(c *authgo.Config) {
		c.Session.Revocations = authredis.NewRevocations(rdb, authredis.RevocationsOptions{})
	})
	g, err := gateway.New(a, gateway.Options{Public: []string{"/pub/:path*"}, PassIdentity: true, Allow: gateway.Allow{Any: true}})
	if err != nil {
		t.Fatal(err)
	}
	ann := cookie(t, &jwt.Token{Subject: "u-ann", Email: "ann@example.com", Extra: map[string]any{"provider": "github", "email_verified": true}})
	const proxy = "10.0.0.1:4000"
	for _, path := range []string{"/auth/forward-auth", "/auth/forward-auth/redirect"} {
		w := forwardAuth(g, path, proxy, "X-Forwarded-Uri", "/admin", "Cookie", ann)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || w.Header().Get("Location") != "" {
			t.Errorf("%s, protected, store down: %d %v, want 503 with Retry-After", path, w.Code, w.Header())
		}
		if w.Header().Get(gateway.HeaderUser) != "" {
			t.Errorf("%s, protected, store down: identity sent: %v", path, w.Header())
		}
		// An empty X-Forwarded-Uri is no path: it needs a session, which
		// cannot be checked now.
		if w := forwardAuth(g, path, proxy, "X-Forwarded-Uri", "", "Cookie", ann); w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s, empty X-Forwarded-Uri, store down: %d, want 503", path, w.Code)
		}
	}
	w := forwardAuth(g, "/auth/forward-auth", proxy, "X-Forwarded-Uri", "/pub/a", "Cookie", ann)
	if w.Code != http.StatusOK || w.Header().Get(gateway.HeaderUser) != "" {
		t.Errorf("public, store down: %d %q, want 200 without identity", w.Code, w.Header().Get(gateway.HeaderUser))
	}
}

// TestUpstreamKeepsConnections: under as many concurrent requests as the
// load benchmark's 256 connections, the default transport keeps its
// upstream connections for the next requests instead of closing all but
// a few (net/http's default keeps 2 per host) and dialing anew, which
// churns through ports (TIME_WAIT) at that load.
func TestUpstreamKeepsConnections(t *testing.T) {
	const conc, rounds = 256, 4
	var dialed atomic.Int32
	app := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	app.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialed.Add(1)
		}
	}
	app.Start()
	defer app.Close()
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Upstream: app.URL, Public: []string{"/:path*"}})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(g)
	defer front.Close()
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	defer c.CloseIdleConnections()
	for range rounds {
		var wg sync.WaitGroup
		for range conc {
			wg.Go(func() {
				res, err := c.Get(front.URL + "/page")
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					t.Errorf("status %d", res.StatusCode)
				}
			})
		}
		wg.Wait()
	}
	// At most one connection per concurrent request, plus the few that
	// a dial racing a freed connection adds; a pool of 2 dials about
	// conc*rounds.
	if n := dialed.Load(); n > conc*3/2 {
		t.Fatalf("%d upstream connections for %d rounds of %d concurrent requests", n, rounds, conc)
	}
	t.Logf("%d upstream connections for %d requests", dialed.Load(), conc*rounds)
}

// countingRevocations is a revocation store that counts its Check calls:
// one per session read.
type countingRevocations struct{ checks atomic.Int32 }

func (*countingRevocations) RevokeSession(context.Context, string, time.Time) error { return nil }
func (*countingRevocations) RevokeUser(context.Context, string, time.Time, time.Time) error {
	return nil
}
func (c *countingRevocations) Check(context.Context, string, string) (bool, time.Time, error) {
	c.checks.Add(1)
	return false, time.Time{}, nil
}

// TestPublicAccessTokenOneRead: on a public path with PassAccessToken the
// gateway reads the session cookie once (one revocation check), for the
// identity and the access token both; a protected path too.
func TestPublicAccessTokenOneRead(t *testing.T) {
	var got http.Header
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer app.Close()
	rs := &countingRevocations{}
	a := newAuth(t, func(c *authgo.Config) { c.Session.Revocations, c.Session.RevocationCache = rs, -1 })
	g, err := gateway.New(a, gateway.Options{Upstream: app.URL, Public: []string{"/pub/:path*"}, PassAccessToken: true, PassIdentity: true,
		Allow: gateway.Allow{Any: true}})
	if err != nil {
		t.Fatal(err)
	}
	ck := cookie(t, &jwt.Token{Subject: "u-1", Email: "ann@example.com", Extra: map[string]any{"provider": "github",
		"access_token": "at-1", "expires_at": float64(time.Now().Add(time.Hour).Unix())}})
	for _, path := range []string{"/pub/x", "/private"} {
		rs.checks.Store(0)
		r := httptest.NewRequest("GET", origin+path, nil)
		r.Header.Set("Cookie", ck)
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code != 200 || got.Get(gateway.HeaderAccessToken) != "at-1" || got.Get(gateway.HeaderUser) != "u-1" {
			t.Fatalf("%s: %d, upstream headers %v", path, w.Code, got)
		}
		if n := rs.checks.Load(); n != 1 {
			t.Errorf("%s: the session was read %d times", path, n)
		}
	}
}

// AllowsEmail (before a sign-in link is sent) and Allowed (for a verified
// session) compare addresses alike.
func TestAllowsEmail(t *testing.T) {
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Allow: gateway.Allow{Emails: []string{"Alice@Example.org"}, Domains: []string{"corp.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"alice@example.org":           true,
		"ALICE@EXAMPLE.ORG":           true,
		"bob@example.org":             false,
		"bob@corp.example":            true,
		"bob@sub.corp.example":        false,
		"bob@corp.example.":           false,
		"a@evil.example@corp.example": false, // one '@' only
		"bob@corp.exa\u212Ample":      false, // the Kelvin sign is not a "k"
		"":                            false,
	} {
		if got := g.AllowsEmail(addr); got != want {
			t.Errorf("AllowsEmail(%q) = %v, want %v", addr, got, want)
		}
		tok := &authgo.Token{Email: addr, Extra: map[string]any{authgo.ClaimEmailVerified: true}}
		if got := g.Allowed(t.Context(), tok); got != want {
			t.Errorf("Allowed(verified %q) = %v, want %v", addr, got, want)
		}
	}
	all, err := gateway.New(a, gateway.Options{Allow: gateway.Allow{Any: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !all.AllowsEmail("someone@anywhere.example") {
		t.Error("Allow.Any: AllowsEmail = false")
	}
}
