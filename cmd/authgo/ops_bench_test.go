package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkOpsWrap measures what the operations wrapper adds to one
// request (route class, status recording, metrics, an access-log line)
// over a handler that writes a short body, side by side:
//
//	go test ./cmd/authgo -run '^$' -bench OpsWrap -benchmem
func BenchmarkOpsWrap(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"user":{"name":"Alice"}}`)
	})
	text := slog.New(slog.NewTextHandler(io.Discard, nil))
	json := slog.New(slog.NewJSONHandler(io.Discard, nil))
	// To a file, as serve's stderr often is: one write per line, or the
	// lines gathered by logOut as serve writes them.
	f, err := os.Create(filepath.Join(b.TempDir(), "access.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := &logOut{w: f}
	defer out.Flush()
	fileEach := slog.New(slog.NewTextHandler(f, nil))
	fileBatched := slog.New(slog.NewTextHandler(out.Later(), nil))
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", h},
		{"wrap", (&ops{base: "/auth", log: text}).wrap(h)},
		{"metrics", (&ops{base: "/auth", log: text, metrics: newMetrics()}).wrap(h)},
		{"access-text", (&ops{base: "/auth", log: text, access: true}).wrap(h)},
		{"access-json", (&ops{base: "/auth", log: json, access: true}).wrap(h)},
		{"metrics+access-text", (&ops{base: "/auth", log: text, access: true, metrics: newMetrics()}).wrap(h)},
		{"access-text-file-each", (&ops{base: "/auth", log: fileEach, access: true}).wrap(h)},
		{"access-text-file-batched-slog", (&ops{base: "/auth", log: fileBatched, access: true}).wrap(h)},
		// As serve writes them: the access log's own formatter.
		{"access-text-fast", (&ops{base: "/auth", log: text, alog: newAccessLog(io.Discard, "text", slog.LevelInfo), access: true}).wrap(h)},
		{"access-json-fast", (&ops{base: "/auth", log: json, alog: newAccessLog(io.Discard, "json", slog.LevelInfo), access: true}).wrap(h)},
		{"access-text-file-batched", (&ops{base: "/auth", log: text, alog: newAccessLog(out.Later(), "text", slog.LevelInfo), access: true}).wrap(h)},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "http://127.0.0.1:3000/auth/session?x=1", nil)
			req.RemoteAddr = "192.0.2.7:51234"
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, req)
			}
		})
	}
}
