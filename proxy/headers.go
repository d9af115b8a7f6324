package proxy

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/authgo/authgo/internal/challenge"
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

// strippedHeader reports whether the request header name must not reach
// the upstream.
func strippedHeader(name string) bool {
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

// authgoCookie reports whether a cookie name is one of authgo's (Auth.js
// names, with or without the __Secure-/__Host- prefix, in any case:
// browsers compare the prefixes without case).
func authgoCookie(name string) bool {
	name = strings.ToLower(strings.TrimSpace(name))
	name = strings.TrimPrefix(name, "__secure-")
	name = strings.TrimPrefix(name, "__host-")
	return strings.HasPrefix(name, "authjs.")
}

// rewrite builds the upstream request (package documentation: "What the
// upstream sees"). ReverseProxy has already removed the hop-by-hop
// headers, those named in Connection, and Forwarded / X-Forwarded-*.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	x := pr.In.Context().Value(exchangeKey{}).(*exchange)
	out := pr.Out
	out.URL = &url.URL{
		Scheme:   p.up.Scheme,
		Host:     p.up.Host,
		Path:     x.path,
		RawPath:  x.rawPath,
		RawQuery: out.URL.RawQuery,
	}
	out.Host = "" // the upstream's host
	h := out.Header
	var cookies []string
	for k, v := range h {
		if k == "Cookie" {
			if p.o.PassCookies {
				cookies = foreignCookies(v)
			}
			delete(h, k)
			continue
		}
		if strippedHeader(k) {
			delete(h, k)
		}
	}
	if len(cookies) > 0 {
		h["Cookie"] = []string{strings.Join(cookies, "; ")}
	}
	h["Authorization"] = []string{"Bearer " + x.token}
	pr.SetXForwarded()
	if p.origin != nil {
		h.Set("X-Forwarded-Host", p.origin.Host)
		h.Set("X-Forwarded-Proto", p.origin.Scheme)
	}
}

// foreignCookies returns the name=value pairs of Cookie header lines that
// are not authgo's.
func foreignCookies(lines []string) []string {
	var out []string
	for _, line := range lines {
		for part := range strings.SplitSeq(line, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			name, _, _ := strings.Cut(part, "=")
			if !authgoCookie(name) {
				out = append(out, part)
			}
		}
	}
	return out
}

// modifyResponse cleans the upstream's response headers (package
// documentation: "What the browser sees").
func (p *Proxy) modifyResponse(res *http.Response) error {
	h := res.Header
	if sc, ok := h["Set-Cookie"]; ok {
		if p.o.PassCookies {
			kept := sc[:0:0]
			for _, line := range sc {
				// A nameless cookie ("=authjs.session-token=x") is stored by
				// browsers as one named by its value: dropped too.
				if name, _, _ := strings.Cut(line, "="); strings.TrimSpace(name) != "" && !authgoCookie(strings.TrimSpace(name)) {
					kept = append(kept, line)
				}
			}
			h["Set-Cookie"] = kept
			if len(kept) == 0 {
				delete(h, "Set-Cookie")
			}
		} else {
			delete(h, "Set-Cookie")
		}
	}
	var token string
	if res.Request != nil {
		if x, ok := res.Request.Context().Value(exchangeKey{}).(*exchange); ok {
			token = x.token
			if ct, _, _ := strings.Cut(h.Get("Content-Type"), ";"); strings.EqualFold(strings.TrimSpace(ct), "text/event-stream") {
				// An event stream lasts as long as the page: the server's
				// write timeout (authgo serve: 30 s) must not cut it.
				http.NewResponseController(x.w).SetWriteDeadline(time.Time{})
			}
		}
	}
	if token != "" && challenge.InvalidToken(res) {
		// Passed through as it is; the session's next request refreshes.
		p.a.MarkAccessTokenRejected(res.Request, token)
	}
	for k, vs := range h {
		if len(k) > len("Access-Control-") && strings.EqualFold(k[:len("Access-Control-")], "Access-Control-") || strings.EqualFold(k, "Authgo-Error") {
			delete(h, k)
			continue
		}
		if token == "" {
			continue
		}
		for _, v := range vs {
			if strings.Contains(v, token) {
				p.log.Warn("proxy: the upstream's response carried the access token in a header; dropped", "header", k)
				delete(h, k)
				break
			}
		}
	}
	return nil
}
