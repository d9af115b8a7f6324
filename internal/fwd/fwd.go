// Package fwd holds what authgo's reverse proxies share: the BFF proxy
// (package proxy) and the gateway in front of an app (package gateway).
// Which request headers a client may not send on, the upstream transport
// and the copy buffers.
package fwd

import (
	"net/http"
	"sync"
	"time"
)

// strippedNames are request headers the upstream never gets from the
// client, compared lowercased with "_" read as "-" (GHSA-vjrc-mh2v-45x6:
// an upstream that maps "-" to "_", as CGI and WSGI do, reads
// X_Forwarded_User as X-Forwarded-User). Cookie is handled apart.
var strippedNames = map[string]bool{
	"authorization":                   true, // replaced by ours
	"proxy-authorization":             true,
	"x-csrf":                          true, // meant for us
	"dpop":                            true, // a proof for another token
	"expect":                          true, // the 100-continue handshake is ours with the client
	"forwarded":                       true,
	"x-real-ip":                       true,
	"x-client-ip":                     true,
	"true-client-ip":                  true,
	"cf-connecting-ip":                true,
	"fastly-client-ip":                true,
	"x-cluster-client-ip":             true,
	"x-original-url":                  true,
	"x-original-uri":                  true,
	"x-rewrite-url":                   true,
	"x-original-method":               true,
	"x-http-method-override":          true, // would turn an exempt GET into a DELETE
	"x-http-method":                   true,
	"x-method-override":               true,
	"x-middleware-subrequest":         true, // CVE-2025-29927
	"x-auth-checked":                  true,
	"x-remote-user":                   true,
	"remote-user":                     true,
	"x-remote-email":                  true,
	"x-remote-groups":                 true,
	"x-user":                          true,
	"x-user-id":                       true,
	"x-email":                         true,
	"x-authenticated-user":            true,
	"x-authenticated-userid":          true,
	"x-authenticated-groups":          true,
	"x-userinfo":                      true,
	"x-id-token":                      true,
	"x-access-token":                  true,
	"x-goog-iap-jwt-assertion":        true,
	"x-goog-authenticated-user-id":    true,
	"x-goog-authenticated-user-email": true,
	"x-auth-user":                     true,
	"x-auth-email":                    true,
	"x-auth-groups":                   true,
	"x-auth-name":                     true,
}

// strippedPrefixes are header-name prefixes stripped the same way.
var strippedPrefixes = []string{
	"x-forwarded-",    // X-Forwarded-User, -Email, -Groups, -Access-Token, -For, -Host, …
	"x-auth-request-", // oauth2-proxy's identity headers
	"x-amzn-oidc-",    // AWS ALB
	"x-ms-client-principal",
	"x-ms-token-",
	"remote-",      // Authelia, Authentik: Remote-User, -Email, -Groups, -Name
	"x-webauth-",   // Grafana's auth proxy
	"x-authentik-", // Authentik
	"x-pomerium-",  // Pomerium
	"cf-access-",   // Cloudflare Access
	"x-vouch-",     // Vouch Proxy
}

// normName writes name lowercased, with "_" as "-", into buf; ok is false
// when it does not fit (then buf holds its start).
func normName(name string, buf *[64]byte) (n []byte, ok bool) {
	m := min(len(name), len(buf))
	for i := range m {
		c := name[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '_':
			c = '-'
		}
		buf[i] = c
	}
	return buf[:m], m == len(name)
}

// Stripped reports whether the request header name must not reach an
// upstream from the client: a header a client could use to claim an
// identity or an address, or one meant for the proxy itself.
func Stripped(name string) bool {
	var buf [64]byte
	n, whole := normName(name, &buf)
	if whole && strippedNames[string(n)] {
		return true
	}
	for _, pre := range strippedPrefixes {
		if len(n) >= len(pre) && string(n[:len(pre)]) == pre {
			return true
		}
	}
	return false
}

// UpstreamSilence is how long DefaultTransport waits for an answer's
// header block after a request (its last byte, while no answer has
// begun), as http.Transport's ResponseHeaderTimeout and nginx's
// proxy_read_timeout do: past it the request fails with a timeout error.
const UpstreamSilence = 60 * time.Second

// DefaultTransport is the transport to an upstream when none is
// configured: no proxy from the environment, a 10 s dial and TLS-handshake
// timeout, HTTP/1.1 (as nginx speaks to upstreams; TLSClientConfig, when
// a caller sets one, is used as it is, but for NextProtos), up to 256 idle
// connections per host, and a timeout error when the upstream's answer
// headers have not come UpstreamSilence after a request (a watchdog,
// which costs no timer per request; a WebSocket's upstream may stay
// silent).
func DefaultTransport() *http.Transport { return SilenceTransport(UpstreamSilence) }

// SilenceTransport is DefaultTransport with silence allowed instead of
// UpstreamSilence.
func SilenceTransport(silence time.Duration) *http.Transport {
	return newTransport(newWatchdog(silence))
}

func newTransport(w *watchdog) *http.Transport {
	w.tr = &http.Transport{
		Proxy:               nil, // an internal upstream is never reached through HTTP_PROXY
		DialContext:         w.dial,
		DialTLSContext:      w.dialTLS,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	return w.tr
}

// BufferPool recycles the 32 KiB buffers response bodies are copied
// through (an httputil.BufferPool).
type BufferPool struct{}

var buffers = sync.Pool{New: func() any { return new([32 << 10]byte) }}

func (BufferPool) Get() []byte { return buffers.Get().(*[32 << 10]byte)[:] }
func (BufferPool) Put(b []byte) {
	if cap(b) == 32<<10 {
		buffers.Put((*[32 << 10]byte)(b[:32<<10]))
	}
}

// Normalize returns a header name lowercased, with "_" read as "-", as
// Stripped compares names.
func Normalize(name string) string {
	b := []byte(name)
	for i, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c == '_':
			b[i] = '-'
		}
	}
	return string(b)
}
