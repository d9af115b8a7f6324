package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/gateway"
	"github.com/authgo/authgo/internal/pages"
	"github.com/authgo/authgo/internal/urlx"
	"github.com/authgo/authgo/provider"
)

// gatewayOptions are serve's flags for running in front of an app (the
// "In front of an app" group of serveSettings).
type gatewayOptions struct {
	upstream          string
	public            listFlag
	passIdentity      bool
	passAccessToken   bool
	passAuthorization bool
	passSessionCookie bool
	allowEmails       listFlag
	allowDomains      listFlag
	allowAny          bool
	trustedProxies    prefixFlag
	redirectAllow     listFlag
	cookieDomain      string
}

// prefixFlag is a repeatable list of address ranges: 10.0.0.0/8, or an
// address alone for itself; one value may list several, comma-separated
// (as AUTH_TRUSTED_PROXIES does).
type prefixFlag []netip.Prefix

func (f *prefixFlag) String() string {
	var s []string
	for _, p := range *f {
		s = append(s, p.String())
	}
	return strings.Join(s, ",")
}

func (f *prefixFlag) Set(v string) error {
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return fmt.Errorf("%q is not an address range like 10.0.0.0/8 or an address like 127.0.0.1", part)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		*f = append(*f, p)
	}
	return nil
}

// redirectCallback lets a callbackUrl go to the --redirect-allow hosts as
// well as to the public origin (Auth.js's default rule).
func redirectCallback(hosts []string) func(ctx context.Context, u, baseURL string) (string, error) {
	// Hosts compare with ASCII case folded only: strings.ToLower and
	// EqualFold read "İ" as "i" and the Kelvin sign as "k", and a browser
	// does not, so https://LİNK.example.com would pass as link.example.com
	// and lead elsewhere.
	allowed := map[string]bool{}
	for _, h := range hosts {
		allowed[urlx.LowerASCII(h)] = true
	}
	return func(_ context.Context, u, baseURL string) (string, error) {
		if strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") && !strings.HasPrefix(u, "/\\") {
			return baseURL + u, nil
		}
		p, err := url.Parse(u)
		if err != nil || p.User != nil || p.Scheme != "http" && p.Scheme != "https" {
			return baseURL, nil
		}
		b, err := url.Parse(baseURL)
		if err == nil && p.Scheme == b.Scheme && urlx.LowerASCII(p.Host) == urlx.LowerASCII(b.Host) {
			return u, nil
		}
		if allowed[urlx.LowerASCII(p.Host)] && (p.Scheme == "https" || b != nil && b.Scheme == "http") {
			return u, nil
		}
		return baseURL, nil
	}
}

// checkRedirectAllow refuses a --redirect-allow value that is not a host.
func checkRedirectAllow(hosts []string) error {
	for _, h := range hosts {
		if h == "" || strings.ContainsAny(h, "/@?#\\ ") {
			return fmt.Errorf("--redirect-allow %q: want a host, like app.example.com (with a port when it has one)", h)
		}
	}
	return nil
}

// newGateway makes serve's gateway: forward-auth always, the upstream with
// --upstream. Under the database strategy, a session does not show the
// provider it signed in with, so users with a password in serve's own
// store are found through their credentials accounts row.
func newGateway(a *authgo.Auth, o *serveOptions, protect []string, db database, formID string, log *slog.Logger, s *site, rt http.RoundTripper) (*gateway.Gateway, error) {
	gw := &o.gw
	opts := gateway.Options{
		Upstream:                gw.upstream,
		Public:                  gw.public,
		Protect:                 protect,
		Allow:                   gateway.Allow{Emails: gw.allowEmails, Domains: gw.allowDomains, Any: gw.allowAny},
		PassIdentity:            gw.passIdentity,
		PassAccessToken:         gw.passAccessToken,
		PassAuthorizationHeader: gw.passAuthorization,
		PassSessionCookie:       gw.passSessionCookie,
		Logger:                  log,
		Forbidden:               http.HandlerFunc(s.forbidden),
		Transport:               rt,
		// A download or upload through the gateway lasts as long as it
		// moves, not only the server's 30 s.
		TransferIdleTimeout: writeTimeout,
	}
	if o.sessionStrategy == "database" {
		opts.Own = func(ctx context.Context, tok *authgo.Token) bool {
			acc, err := db.Account(ctx, formID, tok.Subject)
			if err != nil {
				log.Warn("gateway: the users store did not say whether the user is one of its own", "err", err)
				return false
			}
			return acc != nil && acc.UserID == tok.Subject
		}
	}
	g, err := gateway.New(a, opts)
	if err != nil {
		// Name the flag, not the Options field.
		msg := strings.NewReplacer("Public:", "--public:", "Protect:", "--protect:", "Upstream ", "--upstream ",
			"Allow.Emails entry", "--allow-email", "Allow.Domains entry", "--allow-email-domain",
			"(Allow.Any lets", "(--allow-any lets").Replace(strings.TrimPrefix(err.Error(), "gateway: "))
		return nil, errors.New(msg)
	}
	return g, nil
}

// warnAllowList says at startup which flag lets the users of public
// providers in, when none is set: without one they get 403 from the app.
func warnAllowList(o *gatewayOptions, providers []provider.Provider, log *slog.Logger) {
	if len(providers) == 0 || o.allowAny || len(o.allowEmails) > 0 || len(o.allowDomains) > 0 {
		return
	}
	var ids []string
	for _, p := range providers {
		ids = append(ids, p.ID())
	}
	slices.Sort(ids)
	log.Warn("users who sign in through "+strings.Join(ids, ", ")+" get 403 from the app (--upstream and forward-auth) until you say who may in: set --allow-email ADDR, --allow-email-domain DOMAIN or --allow-any",
		"providers", ids)
}

// forbidden is the page of a signed-in user whom the allow-list does not
// let in (403), in the site's style; JSON to a client that asks for it.
func (s *site) forbidden(w http.ResponseWriter, r *http.Request) {
	tok, _ := s.auth.Token(r)
	who := "this account"
	if tok != nil {
		who = cmp.Or(tok.Email, tok.Name, who)
	}
	acc := strings.ToLower(strings.Join(r.Header.Values("Accept"), ","))
	if strings.Contains(acc, "application/json") && !strings.Contains(acc, "text/html") {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "private, no-cache, no-store")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"error":"forbidden","message":"this account may not use this site"}`)
		return
	}
	d := pages.ForbiddenData{Brand: s.brand, Who: who, SignOutURL: s.auth.BasePath() + "/signout"}
	s.page(w, r, http.StatusForbidden, "the forbidden page", func(b *bytes.Buffer) error { return pages.Forbidden(b, d) })
}
