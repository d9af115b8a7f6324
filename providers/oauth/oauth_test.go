package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/oauth"
)

// server is an authorization server fixture: it plays the provider's part
// at its token, userinfo and revocation endpoints and records what it got.
type server struct {
	*httptest.Server
	t *testing.T

	token    http.HandlerFunc // default: tokenOK
	userinfo http.HandlerFunc // default: a profile with id 4242
	revoke   http.HandlerFunc // default: 200

	lastToken  *http.Request
	tokenForm  url.Values
	lastRevoke url.Values
	revokeAuth string
	userAuth   string
	hits       atomic.Int32
}

func newServer(t *testing.T) *server {
	s := &server{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		r.ParseForm()
		s.lastToken, s.tokenForm = r, r.PostForm
		if s.token != nil {
			s.token(w, r)
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": "at-123", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-1", "scope": "read user"})
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.userAuth = r.Header.Get("Authorization")
		if s.userinfo != nil {
			s.userinfo(w, r)
			return
		}
		io.WriteString(w, `{"id": 4242, "login": "octo", "email": "octo@example.com", "avatar_url": "https://example.com/o.png"}`)
	})
	mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		r.ParseForm()
		s.lastRevoke, s.revokeAuth = r.PostForm, r.Header.Get("Authorization")
		if s.revoke != nil {
			s.revoke(w, r)
		}
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

var clock = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func (s *server) options() oauth.Options {
	return oauth.Options{
		ID:            "mock",
		Name:          "Mock",
		ClientID:      "client id+1",
		ClientSecret:  "s3cr3t/+",
		AuthURL:       s.URL + "/authorize",
		TokenURL:      s.URL + "/token",
		UserinfoURL:   s.URL + "/userinfo",
		RevocationURL: s.URL + "/revoke",
		Scopes:        []string{"read", "user"},
		HTTPClient:    s.Client(),
		Now:           func() time.Time { return clock },
	}
}

func (s *server) provider(o oauth.Options) *oauth.Provider {
	s.t.Helper()
	p, err := oauth.New(o)
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

func exchange(t *testing.T, p *oauth.Provider) (*provider.OAuthResult, error) {
	t.Helper()
	return p.Exchange(t.Context(), provider.ExchangeParams{
		Code: "the-code", CodeVerifier: verifier,
		RedirectURI: "http://localhost:3000/auth/callback/mock",
		Callback:    httptest.NewRequest("GET", "http://localhost:3000/auth/callback/mock?code=the-code&state=s", nil),
	})
}

func TestAuthCodeURLOrderAsAuthJS(t *testing.T) {
	p, err := oauth.New(oauth.Options{
		ID: "mock", ClientID: "client id+1", ClientSecret: "s3cr3t/+",
		AuthURL: "http://127.0.0.1:3990/authorize", TokenURL: "http://127.0.0.1:3990/token",
		UserinfoURL: "http://127.0.0.1:3990/userinfo", Scopes: []string{"read", "user"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.AuthCodeURL(t.Context(), provider.AuthCodeParams{
		State: "the-state", CodeChallenge: "the-challenge",
		RedirectURI: "http://localhost:3000/auth/callback/mock",
		Extra:       url.Values{"prompt": {"consent"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// spec §7.1, observed from Auth.js.
	want := "http://127.0.0.1:3990/authorize?scope=read+user&response_type=code&client_id=client+id%2B1&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauth%2Fcallback%2Fmock&prompt=consent&state=the-state&code_challenge=the-challenge&code_challenge_method=S256"
	if got != want {
		t.Errorf("AuthCodeURL\n got %s\nwant %s", got, want)
	}
}

func TestAuthCodeURLReservedParams(t *testing.T) {
	s := newServer(t)
	o := s.options()
	o.AuthURL = s.URL + "/authorize?audience=api"
	o.AuthParams = url.Values{"access_type": {"offline"}, "prompt": {"consent"}}
	p := s.provider(o)
	extra := url.Values{"prompt": {"login"}, "login_hint": {"a@example.com"}, "scope": {"openid"}}
	for k := range map[string]bool{"state": true, "code_challenge": true, "code_challenge_method": true, "nonce": true,
		"redirect_uri": true, "client_id": true, "response_type": true, "response_mode": true, "request": true, "request_uri": true} {
		extra.Set(k, "evil")
	}
	raw, err := p.AuthCodeURL(t.Context(), provider.AuthCodeParams{
		State: "st", CodeChallenge: "ch", Nonce: "ignored", RedirectURI: "https://app.example/cb", Extra: extra,
	})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	want := map[string]string{
		"audience": "api", "access_type": "offline", "prompt": "login", "login_hint": "a@example.com",
		"scope": "openid", "response_type": "code", "client_id": "client id+1", "redirect_uri": "https://app.example/cb",
		"state": "st", "code_challenge": "ch", "code_challenge_method": "S256",
	}
	for k, v := range want {
		if q[k] == nil || len(q[k]) != 1 || q[k][0] != v {
			t.Errorf("%s = %q, want [%q]", k, q[k], v)
		}
	}
	for k := range q {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected parameter %s=%q", k, q[k])
		}
	}
	if !strings.HasPrefix(raw, s.URL+"/authorize?audience=api&") {
		t.Errorf("the endpoint's own query should come first: %s", raw)
	}

	for _, c := range []provider.AuthCodeParams{
		{CodeChallenge: "ch", RedirectURI: "https://app.example/cb"},
		{State: "st", RedirectURI: "https://app.example/cb"},
		{State: "st", CodeChallenge: "ch"},
	} {
		if _, err := p.AuthCodeURL(t.Context(), c); err == nil {
			t.Errorf("AuthCodeURL(%+v) should fail", c)
		}
	}
}

func TestExchangeClientSecretBasic(t *testing.T) {
	s := newServer(t)
	p := s.provider(s.options())
	res, err := exchange(t, p)
	if err != nil {
		t.Fatal(err)
	}
	r := s.lastToken
	// spec §7.2: the header Auth.js sent for this id and secret.
	if got, want := r.Header.Get("Authorization"), "Basic Y2xpZW50K2lkJTJCMTpzM2NyM3QlMkYlMkI="; got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		t.Errorf("Content-Type = %q", ct)
	}
	f := s.tokenForm
	for k, v := range map[string]string{
		"grant_type": "authorization_code", "code": "the-code", "code_verifier": verifier,
		"redirect_uri": "http://localhost:3000/auth/callback/mock",
	} {
		if f.Get(k) != v {
			t.Errorf("token form %s = %q, want %q", k, f.Get(k), v)
		}
	}
	if f.Has("client_id") || f.Has("client_secret") {
		t.Errorf("client_secret_basic sent credentials in the body: %v", f)
	}
	if s.userAuth != "Bearer at-123" {
		t.Errorf("userinfo Authorization = %q", s.userAuth)
	}
	u := res.User
	if u.ID != "4242" || u.Name != "octo" || u.Email != "octo@example.com" || u.Image != "https://example.com/o.png" {
		t.Errorf("user = %+v", u)
	}
	ts := res.Tokens
	if ts.AccessToken != "at-123" || ts.RefreshToken != "rt-1" || ts.TokenType != "Bearer" || ts.Scope != "read user" ||
		!ts.Expiry.Equal(clock.Add(time.Hour)) {
		t.Errorf("tokens = %+v", ts)
	}
	if _, ok := res.Profile["id"].(json.Number); !ok {
		t.Errorf("profile numbers should be json.Number: %#v", res.Profile["id"])
	}
}

func TestExchangeClientSecretPost(t *testing.T) {
	s := newServer(t)
	o := s.options()
	o.AuthStyle = oauth.AuthStylePost
	if _, err := exchange(t, s.provider(o)); err != nil {
		t.Fatal(err)
	}
	if h := s.lastToken.Header.Get("Authorization"); h != "" {
		t.Errorf("client_secret_post sent Authorization %q", h)
	}
	if s.tokenForm.Get("client_id") != "client id+1" || s.tokenForm.Get("client_secret") != "s3cr3t/+" {
		t.Errorf("token form = %v", s.tokenForm)
	}
}

func TestExchangePublicClient(t *testing.T) {
	s := newServer(t)
	o := s.options()
	o.AuthStyle, o.ClientSecret = oauth.AuthStyleNone, ""
	if _, err := exchange(t, s.provider(o)); err != nil {
		t.Fatal(err)
	}
	if h := s.lastToken.Header.Get("Authorization"); h != "" || s.tokenForm.Get("client_id") != "client id+1" || s.tokenForm.Has("client_secret") {
		t.Errorf("Authorization %q, form %v", h, s.tokenForm)
	}
}

func TestExpiresIn(t *testing.T) {
	for _, c := range []struct {
		name string
		body string
		ct   string
		want time.Time
	}{
		{"number", `{"access_token":"a","expires_in":60}`, "application/json", clock.Add(time.Minute)},
		{"string", `{"access_token":"a","expires_in":"3600"}`, "application/json", clock.Add(time.Hour)},
		{"absent", `{"access_token":"a"}`, "application/json", time.Time{}},
		{"null", `{"access_token":"a","expires_in":null}`, "application/json", time.Time{}},
		// tokens-bff.md E7: zero and negative lifetimes mean unknown, not
		// expired on arrival.
		{"zero", `{"access_token":"a","expires_in":0}`, "application/json", time.Time{}},
		{"negative", `{"access_token":"a","expires_in":-5}`, "application/json", time.Time{}},
		{"negative string", `{"access_token":"a","expires_in":"-5"}`, "application/json", time.Time{}},
		{"form", `access_token=a&expires_in=120`, "application/x-www-form-urlencoded", clock.Add(2 * time.Minute)},
		{"form negative", `access_token=a&expires_in=-5`, "application/x-www-form-urlencoded", time.Time{}},
		{"form garbage", `access_token=a&expires_in=soon`, "application/x-www-form-urlencoded", time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t)
			s.token = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.ct)
				io.WriteString(w, c.body)
			}
			res, err := exchange(t, s.provider(s.options()))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Tokens.Expiry.Equal(c.want) {
				t.Errorf("Expiry = %v, want %v", res.Tokens.Expiry, c.want)
			}
		})
	}
}

func TestTokenErrorKeepsRetrieveError(t *testing.T) {
	s := newServer(t)
	s.token = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "code already used"})
	}
	p := s.provider(s.options())
	_, err := exchange(t, p)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("err = %v, want a RetrieveError invalid_grant", err)
	}
	if !strings.HasPrefix(err.Error(), "oauth: token request: ") {
		t.Errorf("error %q should start with the package and provider", err)
	}
	if s.userAuth != "" {
		t.Error("userinfo was fetched after a failed token request")
	}
	_, err = p.Refresh(t.Context(), "rt-dead")
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("Refresh err = %v, want a RetrieveError invalid_grant", err)
	}
}

func TestExchangeNeedsCodeAndVerifier(t *testing.T) {
	s := newServer(t)
	p := s.provider(s.options())
	for _, e := range []provider.ExchangeParams{{Code: "c"}, {CodeVerifier: verifier}} {
		if _, err := p.Exchange(t.Context(), e); err == nil || !strings.Contains(err.Error(), "no code or no PKCE verifier") {
			t.Errorf("Exchange(%+v) = %v, want no code or no PKCE verifier", e, err)
		}
	}
	if n := s.hits.Load(); n != 0 {
		t.Errorf("%d requests made without a code and a verifier", n)
	}
}

func TestUserinfoFailures(t *testing.T) {
	for _, c := range []struct {
		name string
		h    http.HandlerFunc
		want string // what the error says: which check refused
	}{
		{"status", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }, "oauth: userinfo: GET * status 401"},
		{"not an object", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `[1,2]`) }, "oauth: userinfo: json: cannot unmarshal array"},
		{"null", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `null`) }, "oauth: userinfo: the response is not a JSON object"},
		{"no id", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"email":"a@example.com"}`) }, `oauth: profile: the profile has no "sub" or "id"`},
		{"html", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `<html>sign in</html>`) }, "oauth: userinfo: invalid character '<'"},
		{"trailing", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"id":1}{"id":2}`) }, "oauth: userinfo: trailing data after JSON value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t)
			s.userinfo = c.h
			res, err := exchange(t, s.provider(s.options()))
			if err == nil {
				t.Fatalf("Exchange succeeded: %+v", res.User)
			}
			if !says(err, c.want) {
				t.Fatalf("Exchange: %v, want %q", err, c.want)
			}
		})
	}
}

// T60: slow, huge and redirecting endpoints fail quickly and cleanly.
func TestOutboundLimits(t *testing.T) {
	big := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"a","id":1,"pad":"`)
		chunk := strings.Repeat("x", 64<<10)
		for range 50 << 20 / len(chunk) {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
		io.WriteString(w, `"}`)
	}
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
	for _, c := range []struct {
		name             string
		token, userinfo  http.HandlerFunc
		redirectToTarget bool
		want             string // what the error says; "timeout" for a net.Error timeout
	}{
		{name: "token never answers", token: slow, want: "oauth: token request: timeout"},
		{name: "userinfo never answers", userinfo: slow, want: "oauth: userinfo: timeout"},
		// x/oauth2 reads 1 MiB of a token response and fails to parse it.
		{name: "token sends 50 MB", token: big, want: "oauth: token request: oauth2: cannot parse json"},
		{name: "userinfo sends 50 MB", userinfo: big, want: "oauth: userinfo: response body larger than 1 MiB"},
		{name: "token redirects", redirectToTarget: true, want: "oauth: token request: oauth2: cannot fetch token: 302"},
		{name: "userinfo redirects", redirectToTarget: true, want: "oauth: userinfo: GET * status 302"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var targetHits atomic.Int32
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				targetHits.Add(1)
				io.WriteString(w, `{"access_token":"stolen","id":"evil"}`)
			}))
			defer target.Close()
			s := newServer(t)
			s.token, s.userinfo = c.token, c.userinfo
			if c.redirectToTarget {
				redirect := func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, target.URL+"/latest/meta-data", http.StatusFound)
				}
				if strings.HasPrefix(c.name, "token") {
					s.token = redirect
				} else {
					s.userinfo = redirect
				}
			}
			o := s.options()
			o.Timeout = 300 * time.Millisecond
			start := time.Now()
			res, err := exchange(t, s.provider(o))
			if err == nil {
				t.Fatalf("Exchange succeeded: %+v", res.User)
			}
			if stage, ok := strings.CutSuffix(c.want, "timeout"); ok {
				var ne net.Error
				if !says(err, stage) || !errors.As(err, &ne) || !ne.Timeout() {
					t.Errorf("Exchange: %v, want a timeout in %q", err, stage)
				}
			} else if !says(err, c.want) {
				t.Errorf("Exchange: %v, want %q", err, c.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
			if targetHits.Load() != 0 {
				t.Error("a redirect was followed")
			}
		})
	}
}

func TestRefresh(t *testing.T) {
	s := newServer(t)
	n := 0
	s.token = func(w http.ResponseWriter, r *http.Request) {
		n++
		m := map[string]any{"access_token": "at-new", "token_type": "Bearer", "expires_in": "120"}
		if n == 1 {
			m["refresh_token"] = "rt-2"
		}
		writeJSON(w, 200, m)
	}
	p := s.provider(s.options())
	ts, err := p.Refresh(t.Context(), "rt-1")
	if err != nil {
		t.Fatal(err)
	}
	if s.tokenForm.Get("grant_type") != "refresh_token" || s.tokenForm.Get("refresh_token") != "rt-1" {
		t.Errorf("form = %v", s.tokenForm)
	}
	if s.lastToken.Header.Get("Authorization") != "Basic Y2xpZW50K2lkJTJCMTpzM2NyM3QlMkYlMkI=" {
		t.Errorf("refresh without client authentication")
	}
	if ts.AccessToken != "at-new" || ts.RefreshToken != "rt-2" || !ts.Expiry.Equal(clock.Add(2*time.Minute)) {
		t.Errorf("tokens = %+v", ts)
	}
	ts, err = p.Refresh(t.Context(), "rt-2")
	if err != nil {
		t.Fatal(err)
	}
	if ts.RefreshToken != "rt-2" {
		t.Errorf("a response without refresh_token should keep the old one, got %q", ts.RefreshToken)
	}
	if _, err := p.Refresh(t.Context(), ""); err == nil {
		t.Error("Refresh of an empty token should fail")
	}
}

func TestRevoke(t *testing.T) {
	s := newServer(t)
	p := s.provider(s.options())
	if err := p.Revoke(t.Context(), "rt-1", "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if s.lastRevoke.Get("token") != "rt-1" || s.lastRevoke.Get("token_type_hint") != "refresh_token" ||
		s.revokeAuth != "Basic Y2xpZW50K2lkJTJCMTpzM2NyM3QlMkYlMkI=" {
		t.Errorf("revocation request: form %v, Authorization %q", s.lastRevoke, s.revokeAuth)
	}
	s.revoke = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, map[string]string{"error": "unsupported_token_type"})
	}
	err := p.Revoke(t.Context(), "rt-1", "refresh_token")
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "unsupported_token_type" {
		t.Errorf("err = %v", err)
	}

	o := s.options()
	o.RevocationURL = ""
	before := s.hits.Load()
	if err := s.provider(o).Revoke(t.Context(), "rt-1", ""); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Revoke without an endpoint: %v, want errors.ErrUnsupported", err)
	}
	if s.hits.Load() != before {
		t.Error("a request was made")
	}
}

func TestIssuerParameter(t *testing.T) {
	s := newServer(t)
	o := s.options()
	o.Issuer = "https://as.example"
	p := s.provider(o)
	call := func(query string) error {
		_, err := p.Exchange(t.Context(), provider.ExchangeParams{
			Code: "c", CodeVerifier: verifier, RedirectURI: "http://localhost/cb",
			Callback: httptest.NewRequest("GET", "http://localhost/cb?code=c&state=s"+query, nil),
		})
		return err
	}
	if err := call("&iss=https%3A%2F%2Fas.example"); err != nil {
		t.Errorf("matching iss: %v", err)
	}
	if err := call(""); err != nil {
		t.Errorf("no iss: %v", err)
	}
	before := s.hits.Load()
	if err := call("&iss=https%3A%2F%2Fevil.example"); err == nil {
		t.Error("another issuer's response was accepted")
	} else if want := `came from issuer "https://evil.example", not "https://as.example"`; !strings.Contains(err.Error(), want) {
		t.Errorf("another issuer's response: %v, want %q", err, want)
	}
	if s.hits.Load() != before {
		t.Error("the code was redeemed for a response from another issuer")
	}
}

func TestProfile(t *testing.T) {
	for _, c := range []struct {
		body string
		want authgo.User
	}{
		{`{"sub":"abc","id":7,"name":"N","picture":"https://p"}`, authgo.User{ID: "abc", Name: "N", Image: "https://p"}},
		{`{"id":12345678901234567890,"nickname":"nick"}`, authgo.User{ID: "12345678901234567890", Name: "nick"}},
		{`{"id":1e3,"preferred_username":"pu","image":"https://i"}`, authgo.User{ID: "1000", Name: "pu", Image: "https://i"}},
		{`{"id":"x","login":"l","avatar_url":"https://a","email":"e@example.com"}`, authgo.User{ID: "x", Name: "l", Image: "https://a", Email: "e@example.com"}},
	} {
		s := newServer(t)
		s.userinfo = func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, c.body) }
		res, err := exchange(t, s.provider(s.options()))
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		if !reflect.DeepEqual(*res.User, c.want) {
			t.Errorf("%s: user %+v, want %+v", c.body, *res.User, c.want)
		}
	}

	s := newServer(t)
	o := s.options()
	o.Profile = func(ctx context.Context, raw map[string]any, tokens provider.TokenSet) (*authgo.User, error) {
		return &authgo.User{ID: "custom-" + tokens.AccessToken, Extra: map[string]any{"login": raw["login"]}}, nil
	}
	res, err := exchange(t, s.provider(o))
	if err != nil || res.User.ID != "custom-at-123" || res.User.Extra["login"] != "octo" {
		t.Errorf("custom profile: %+v, %v", res, err)
	}
	o.Profile = func(context.Context, map[string]any, provider.TokenSet) (*authgo.User, error) {
		return &authgo.User{}, nil
	}
	if _, err := exchange(t, s.provider(o)); err == nil || err.Error() != "oauth: profile: no user id" {
		t.Errorf("a profile without an id: %v, want oauth: profile: no user id", err)
	}
}

func TestUserinfoOverride(t *testing.T) {
	s := newServer(t)
	o := s.options()
	o.UserinfoURL = ""
	o.Userinfo = func(ctx context.Context, c *http.Client, tokens provider.TokenSet) (map[string]any, error) {
		if c.CheckRedirect == nil || c.Timeout == 0 {
			t.Error("the client given to Userinfo lacks the provider's limits")
		}
		return map[string]any{"id": "from-override", "name": tokens.AccessToken}, nil
	}
	res, err := exchange(t, s.provider(o))
	if err != nil || res.User.ID != "from-override" || res.User.Name != "at-123" {
		t.Fatalf("%+v, %v", res, err)
	}
}

func TestNewValidates(t *testing.T) {
	ok := oauth.Options{
		ID: "x", ClientID: "id", ClientSecret: "s",
		AuthURL: "https://as.example/a", TokenURL: "https://as.example/t", UserinfoURL: "https://api.example/u",
	}
	if _, err := oauth.New(ok); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*oauth.Options){
		"no id":               func(o *oauth.Options) { o.ID = "" },
		"bad id":              func(o *oauth.Options) { o.ID = "Git Hub" },
		"id with slash":       func(o *oauth.Options) { o.ID = "a/b" },
		"no client id":        func(o *oauth.Options) { o.ClientID = "" },
		"no secret":           func(o *oauth.Options) { o.ClientSecret = "" },
		"none with a secret":  func(o *oauth.Options) { o.AuthStyle = oauth.AuthStyleNone },
		"unknown style":       func(o *oauth.Options) { o.AuthStyle = 9 },
		"no auth url":         func(o *oauth.Options) { o.AuthURL = "" },
		"no token url":        func(o *oauth.Options) { o.TokenURL = "" },
		"no userinfo":         func(o *oauth.Options) { o.UserinfoURL = "" },
		"http token url":      func(o *oauth.Options) { o.TokenURL = "http://as.example/t" },
		"relative url":        func(o *oauth.Options) { o.AuthURL = "/authorize" },
		"javascript url":      func(o *oauth.Options) { o.AuthURL = "javascript:alert(1)" },
		"url with userinfo":   func(o *oauth.Options) { o.TokenURL = "https://u:p@as.example/t" },
		"url with fragment":   func(o *oauth.Options) { o.UserinfoURL = "https://as.example/u#x" },
		"http revocation url": func(o *oauth.Options) { o.RevocationURL = "http://as.example/r" },
		"reserved param":      func(o *oauth.Options) { o.AuthParams = url.Values{"redirect_uri": {"https://evil"}} },
		"reserved state":      func(o *oauth.Options) { o.AuthParams = url.Values{"state": {"fixed"}} },
		"reserved in url":     func(o *oauth.Options) { o.AuthURL = "https://as.example/a?client_id=other" },
	} {
		o := ok
		mod(&o)
		if _, err := oauth.New(o); err == nil {
			t.Errorf("%s: New succeeded", name)
		} else if !strings.HasPrefix(err.Error(), "oauth: ") {
			t.Errorf("%s: error %q lacks the prefix", name, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8080/t", "http://[::1]/t", "http://localhost:9/t"} {
		o := ok
		o.TokenURL = u
		if _, err := oauth.New(o); err != nil {
			t.Errorf("loopback %s: %v", u, err)
		}
	}
}

// says reports whether err's text starts with want, where each "*" in
// want stands for any run of characters: the error names the step and the
// check that refused.
func says(err error, want string) bool {
	return err != nil && regexp.MustCompile("^"+strings.ReplaceAll(regexp.QuoteMeta(want), `\*`, ".*")).MatchString(err.Error())
}
