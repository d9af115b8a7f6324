package authgo

import (
	"net/http"
	"net/netip"

	"github.com/authgo/authgo/internal/clientip"
	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/provider"
)

// TrustedPeer reports whether r came straight from one of
// Config.TrustedProxies, whose forwarding headers (X-Forwarded-For,
// -Host, -Proto, -Uri) are then believed. A peer that is not an IP
// address (a Unix socket) is not trusted.
func (a *Auth) TrustedPeer(r *http.Request) bool {
	return clientip.Trusted(r.RemoteAddr, a.cfg.TrustedProxies)
}

// ClientAddr returns the address r came from by the rule of
// Config.TrustedProxies: the TCP peer, or behind trusted proxies the
// right-most X-Forwarded-For address that is not theirs. ok is false when
// the peer is not an IP address.
func (a *Auth) ClientAddr(r *http.Request) (addr netip.Addr, ok bool) {
	return clientip.Addr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), a.cfg.TrustedProxies)
}

// Origin returns the public origin r was sent to ("https://app.example.com"):
// Config.URL's, or with TrustHost the one a trusted proxy's X-Forwarded-Host
// and X-Forwarded-Proto name (else the Host header and the connection's
// TLS state). It fails for a malformed host or protocol.
func (a *Auth) Origin(r *http.Request) (string, error) {
	o, err := a.requestOrigin(r)
	if err != nil {
		return "", err
	}
	return o.String(), nil
}

// SignInURL returns the sign-in page (Pages.SignIn, or <base>/signin) on
// origin ("" for a path), with callbackURL as its callbackUrl: where
// Middleware sends a signed-out browser.
func (a *Auth) SignInURL(origin, callbackURL string) string {
	return a.signInURL(origin, callbackURL)
}

// ProviderType returns the type of the configured provider id, "" when
// there is none.
func (a *Auth) ProviderType(id string) provider.Type {
	if p, ok := a.providers[id]; ok {
		return p.Type()
	}
	return ""
}

// cookieNames are the cookie names and scope for a request over https
// (secure) or http, with Config.CookieDomain.
func (a *Auth) cookieNames(secure bool) cookie.Names { return *a.namesRef(secure) }

// namesRef is cookieNames, shared: never to be changed.
func (a *Auth) namesRef(secure bool) *cookie.Names {
	if secure {
		return &a.names[1]
	}
	return &a.names[0]
}
