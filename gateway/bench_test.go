package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgo/authgo/gateway"
	"github.com/authgo/authgo/internal/fwd"
	"github.com/authgo/authgo/jwt"
)

// BenchmarkForwardAuth: GET <base>/forward-auth from a trusted proxy with a
// valid session cookie, for a protected path, next to the same session
// read through Auth.Token (the decode it cannot avoid).
func BenchmarkForwardAuth(b *testing.B) {
	t := &testing.T{}
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Public: []string{"/", "/_next/static/:path*"}, PassIdentity: true})
	if err != nil {
		b.Fatal(err)
	}
	ck := cookie(t, &jwt.Token{Subject: "u-1", Email: "own@example.com", Extra: map[string]any{"provider": "credentials"}})
	req := func() *http.Request {
		r := httptest.NewRequest("GET", origin+"/auth/forward-auth", nil)
		r.RemoteAddr = "10.0.0.1:4000"
		r.Header.Set("Cookie", ck)
		r.Header.Set("X-Original-URI", "/orders/7?x=1")
		return r
	}
	b.Run("forward-auth", func(b *testing.B) {
		r := req()
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
	b.Run("token-only", func(b *testing.B) {
		r := req()
		b.ReportAllocs()
		for b.Loop() {
			if tok, err := a.Token(r); err != nil || tok == nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpstream: a signed-in page proxied through the gateway, next to
// a bare httputil.ReverseProxy to the same upstream.
func BenchmarkUpstream(b *testing.B) {
	t := &testing.T{}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	defer app.Close()
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Upstream: app.URL, PassIdentity: true})
	if err != nil {
		b.Fatal(err)
	}
	front := httptest.NewServer(g)
	defer front.Close()
	u, _ := url.Parse(app.URL)
	bare := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }})
	defer bare.Close()
	ck := cookie(t, &jwt.Token{Subject: "u-1", Extra: map[string]any{"provider": "credentials"}})
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, tc := range []struct{ name, url string }{{"gateway", front.URL}, {"bare-reverseproxy", bare.URL}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", tc.url+"/page", nil)
					req.Header.Set("Cookie", ck)
					res, err := c.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Fatal(res.StatusCode)
					}
				}
			})
		})
	}
}

// cannedTransport answers every request at once with a small 200, so that
// BenchmarkPage measures the proxies and not an upstream.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Content-Length": {"25"}},
		Body:          io.NopCloser(strings.NewReader(`{"user":{"name":"Alice"}}`)),
		ContentLength: 25, Request: r}, nil
}

// BenchmarkPage: a page for a signed-in user of an OIDC provider (a
// cookie of about 1.4 KB with access, refresh and ID tokens, as the
// bench/gateway.sh sign-in makes) through the gateway's handler, next to a
// bare httputil.ReverseProxy with pooled buffers given the same request,
// both to a canned upstream: the difference is the gateway's own work per
// proxied page.
func BenchmarkPage(b *testing.B) {
	t := &testing.T{}
	a := newAuth(t, nil)
	g, err := gateway.New(a, gateway.Options{Upstream: "http://upstream.example", Transport: cannedTransport{},
		PassIdentity: true, Allow: gateway.Allow{Domains: []string{"example.com"}}})
	if err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse("http://upstream.example")
	bare := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u); pr.SetXForwarded() },
		Transport: cannedTransport{}, BufferPool: fwd.BufferPool{}}
	ck := cookie(t, &jwt.Token{Subject: "5f1c0e8a-3c4b-4f61-9d1e-7c2b9a0d4e11", Name: "Alice", Email: "alice@example.com",
		Picture: "https://idp.example/avatar/alice.png",
		Extra: map[string]any{"provider": "github", "email_verified": true,
			"access_token":  strings.Repeat("a", 200),
			"refresh_token": strings.Repeat("r", 100),
			"id_token":      strings.Repeat("i", 400),
			"expires_at":    float64(time.Now().Add(24 * time.Hour).Unix()),
			"session_id":    "Xds8rMJ7zFYxGDP1cg6p0g"}})
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"gateway", g}, {"bare-reverseproxy", bare}} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", origin+"/page", nil)
			r.RemoteAddr = "127.0.0.1:4000"
			r.Header.Set("Cookie", ck)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				tc.h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}
