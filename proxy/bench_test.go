package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/authgo/authgo/proxy"
)

// BenchmarkProxy compares the BFF proxy with a bare httputil.ReverseProxy
// in front of the same upstream (tokens-bff.md P15: overhead ≤ 20 %).
// "http" goes through loopback servers with parallel clients, as a load
// generator would; "handler" calls ServeHTTP directly; "stub" also
// replaces the network to the upstream with a canned response, which
// leaves only the two proxies' own costs.
func BenchmarkProxy(b *testing.B) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"orders":[{"id":1,"total":"9.99"},{"id":2,"total":"19.99"}]}`)
	}))
	defer api.Close()
	target, _ := url.Parse(api.URL + "/v1")
	transport := func() *http.Transport {
		return &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, ForceAttemptHTTP2: true}
	}
	bare := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = "/v1" + pr.In.URL.Path[len("/api"):]
			pr.SetXForwarded()
		},
		Transport: transport(),
	}
	s := newSite(b, siteOptions{proxy: func(o *proxy.Options) {
		o.Upstream = api.URL + "/v1"
		o.Transport = transport()
	}})
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"authgo", s.h}} {
		b.Run("http/"+tc.name, func(b *testing.B) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			client := &http.Client{Transport: transport()}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", srv.URL+"/api/orders?page=2", nil)
					req.Header.Set("Cookie", s.cookie)
					req.Header.Set("X-CSRF", "1")
					res, err := client.Do(req)
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
		b.Run("handler/"+tc.name, func(b *testing.B) { benchHandler(b, tc.h, s.cookie) })
	}
	stub := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: r, ContentLength: 2,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader("{}")),
		}, nil
	})
	bare.Transport = stub
	s = newSite(b, siteOptions{proxy: func(o *proxy.Options) { o.Upstream = api.URL + "/v1"; o.Transport = stub }})
	b.Run("stub/bare", func(b *testing.B) { benchHandler(b, bare, s.cookie) })
	// The proxy recycles its copy buffers; so does this one, to compare
	// only what the BFF adds (session, token, checks, header filtering).
	pooled := *bare
	pooled.BufferPool = &pool{}
	b.Run("stub/bare-pooled", func(b *testing.B) { benchHandler(b, &pooled, s.cookie) })
	b.Run("stub/authgo", func(b *testing.B) { benchHandler(b, s.h, s.cookie) })
}

type pool struct{ sync.Pool }

func (p *pool) Get() []byte {
	if b, ok := p.Pool.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}
func (p *pool) Put(b []byte) { p.Pool.Put(&b) }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func benchHandler(b *testing.B, h http.Handler, cookie string) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/api/orders?page=2", nil)
			req.Header.Set("Cookie", cookie)
			req.Header.Set("X-CSRF", "1")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatal(rec.Code, rec.Body.String())
			}
		}
	})
}
