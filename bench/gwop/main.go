// Command gwop is the identity side of bench/gateway.sh: it runs the real
// OpenID Provider of internal/testidp (zitadel's op) as a standalone process
// and signs a browser in at a relying party, so that authgo serve and
// oauth2-proxy are measured with sessions made by a real OIDC sign-in.
//
// It prints the issuer URL on the first line of stdout, then serves, on
// -ctl, GET /signin?kind=authgo|oauth2-proxy&rp=ORIGIN: a sign-in of alice
// (email alice@example.com, verified) with a fresh cookie jar, answered with
// the Cookie header value the relying party set (text/plain). The clients
// are registered up front: "authgo" with redirect URI
// <-authgo>/auth/callback/oidc and "oauth2-proxy" with
// <-oauth2-proxy>/oauth2/callback, both with secret "bench-client-secret".
//
// Tokens live 24 hours, so that no session expires during a run.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo/internal/testidp"
)

// ClientSecret is the secret of both registered clients.
const ClientSecret = "bench-client-secret"

// fatalTB lets the test fixture run in a program: its failures end the
// process, its cleanups never run (the process exits instead).
type fatalTB struct{ testing.TB }

func (fatalTB) Helper()                           {}
func (fatalTB) Fatal(args ...any)                 { log.Fatal(args...) }
func (fatalTB) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }
func (fatalTB) Cleanup(func())                    {}

func main() {
	ctl := flag.String("ctl", "127.0.0.1:3490", "listen address of the sign-in control endpoint")
	authgoOrigin := flag.String("authgo", "http://127.0.0.1:3401", "origin of authgo serve")
	o2pOrigin := flag.String("oauth2-proxy", "http://127.0.0.1:3402", "origin of oauth2-proxy")
	flag.Parse()

	idp := testidp.New(fatalTB{}, testidp.Options{
		AccessTokenLifetime:  24 * time.Hour,
		IDTokenLifetime:      24 * time.Hour,
		RefreshTokenLifetime: 48 * time.Hour,
		Users: []testidp.User{{
			ID: "alice-sub", Username: "alice", Password: "wonderland",
			Email: "alice@example.com", EmailVerified: true, Name: "Alice",
		}},
	})
	idp.AddClient(testidp.Client{ID: "authgo", Secret: ClientSecret,
		RedirectURIs: []string{*authgoOrigin + "/auth/callback/oidc"}})
	idp.AddClient(testidp.Client{ID: "oauth2-proxy", Secret: ClientSecret,
		RedirectURIs: []string{*o2pOrigin + "/oauth2/callback"}})
	fmt.Println(idp.Issuer())

	http.HandleFunc("GET /signin", func(w http.ResponseWriter, r *http.Request) {
		cookie, err := signIn(r.Context(), idp, r.URL.Query().Get("kind"), r.URL.Query().Get("rp"))
		if err != nil {
			log.Printf("gwop: sign-in: %v", err)
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		io.WriteString(w, cookie)
	})
	srv := &http.Server{Addr: *ctl, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// signIn walks a relying party's sign-in through the IdP and returns the
// Cookie header its session needs.
func signIn(ctx context.Context, idp *testidp.IDP, kind, rp string) (string, error) {
	rpURL, err := url.Parse(rp)
	if err != nil || rpURL.Scheme != "http" || rpURL.Host == "" {
		return "", fmt.Errorf("rp must be an http origin, got %q", rp)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var start *http.Response
	switch kind {
	case "oauth2-proxy":
		start, err = send(ctx, c, http.MethodGet, rp+"/oauth2/start?rd=%2F", nil)
	case "authgo":
		res, err := send(ctx, c, http.MethodGet, rp+"/auth/csrf", nil)
		if err != nil {
			return "", err
		}
		var csrf struct {
			CSRFToken string `json:"csrfToken"`
		}
		if err := json.NewDecoder(res.Body).Decode(&csrf); err != nil {
			return "", fmt.Errorf("authgo csrf: %w", err)
		}
		res.Body.Close()
		start, err = send(ctx, c, http.MethodPost, rp+"/auth/signin/oidc",
			url.Values{"csrfToken": {csrf.CSRFToken}, "callbackUrl": {rp + "/"}})
		if err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("kind must be authgo or oauth2-proxy, got %q", kind)
	}
	if err != nil {
		return "", err
	}
	start.Body.Close()
	authURL, err := start.Location()
	if err != nil {
		return "", fmt.Errorf("%s start answered %s, not a redirect", kind, start.Status)
	}
	callback, err := idp.Login(ctx, c, authURL.String(), "alice", "wonderland")
	if err != nil {
		return "", err
	}
	res, err := send(ctx, c, http.MethodGet, callback, nil)
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	res.Body.Close()
	if res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("%s callback answered %s: %s", kind, res.Status, body)
	}
	var parts []string
	for _, ck := range jar.Cookies(rpURL) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	if len(parts) == 0 {
		return "", errors.New(kind + " set no cookie")
	}
	return strings.Join(parts, "; "), nil
}

func send(ctx context.Context, c *http.Client, method, target string, form url.Values) (*http.Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.Do(req)
}
