package proxy

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/authgo/authgo/internal/challenge"
	"github.com/authgo/authgo/internal/fwd"
)

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
				cookies = fwd.ForeignCookies(v)
			}
			delete(h, k)
			continue
		}
		if fwd.Stripped(k) {
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

// modifyResponse cleans the upstream's response headers (package
// documentation: "What the browser sees").
func (p *Proxy) modifyResponse(res *http.Response) error {
	h := res.Header
	if sc, ok := h["Set-Cookie"]; ok {
		if p.o.PassCookies {
			kept := fwd.ForeignSetCookies(sc)
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
