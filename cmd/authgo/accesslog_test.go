package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// slogLine is the line serve's slog handler (newLogger) writes for f.
func slogLine(t testing.TB, json bool, at time.Time, level slog.Level, f *accessFields) string {
	format := "text"
	if json {
		format = "json"
	}
	var buf bytes.Buffer
	l, err := newLogger(&buf, format, slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	slogAccessLine(context.Background(), l.Handler(), at, level, f)
	return buf.String()
}

// oddStrings are values the line's string fields may hold: a client's
// method and path are the client's choice.
var oddStrings = []string{
	"", "GET", "/", "/dashboard", "/a b", "/a=b", `/a"b`, `/a\b`, `\`, `"`, "=",
	"/tab\there", "/nl\nhere", "/cr\rhere", "\x00", "\x01\x1f", "\x7f", "/del\x7f",
	"/é/ünïcödé", "/日本語", "/emoji🙂", "\u00a0", "/nbsp\u00a0x", "\u2028", "\u2029", "/ls\u2028ps\u2029",
	"\ufffd", "/bad\xff", "\xc3", "\xc3(", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	"\u200b", "\u202e/rtl", "\ufeff", "/<script>&amp;</script>", "/%2F%3F?x=1", "'single'",
	"192.0.2.7:51234", "2001:db8::1", "fe80::1%eth0", "HTTP/1.1", "HTTP/2.0",
	strings.Repeat("a", maxLoggedPath) + "…", strings.Repeat("é", 600)[:maxLoggedPath] + "…",
	"\U0010ffff", "\U000e0001", "/\u0085next", "/\u3000ideographic",
}

var oddDurations = []time.Duration{
	0, 1, 999, 1000, 1001, 1500, 999999, 1e6, 1234567, 999999999, 1e9, 1e9 + 1,
	1500 * time.Millisecond, 59 * time.Second, time.Minute, time.Minute + 1, time.Hour,
	time.Hour + time.Nanosecond, 25*time.Hour + 3*time.Minute + 4*time.Second + 5, -1, -1500,
	-time.Hour, math.MaxInt64, math.MinInt64, math.MinInt64 + 1,
}

// TestAccessLineMatchesSlog: the access log's own formatter writes,
// byte for byte, the line slog's text and JSON handlers write for the
// same request, for odd paths, methods, clients, times and durations.
func TestAccessLineMatchesSlog(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 5*3600+30*60), time.FixedZone("", -8*3600), time.FixedZone("", 30)}
	times := []time.Time{
		time.Now(), // with a monotonic reading
		time.Date(2026, 12, 7, 16, 47, 57, 0, time.UTC),
		time.Date(2026, 12, 7, 16, 47, 57, 1, time.UTC),
		time.Date(2026, 12, 7, 16, 47, 57, 999999999, time.UTC),
		time.Date(2026, 12, 7, 16, 47, 57, 120000000, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999900000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 5e6, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), // year 10000 east of UTC
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),                 // year -1 west of UTC
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	n := 0
	check := func(json bool, at time.Time, level slog.Level, f accessFields) {
		t.Helper()
		n++
		want := slogLine(t, json, at, level, &f)
		got := string(appendAccessLine(nil, json, at, level, &f))
		if got != want {
			t.Errorf("json=%v %+v at %v:\n got %q\nwant %q", json, f, at, got, want)
		}
	}
	base := accessFields{method: "GET", route: routePage, path: "/dashboard", status: 200, bytes: 1234,
		duration: 1500 * time.Microsecond, client: "192.0.2.7", proto: "HTTP/1.1"}
	for _, json := range []bool{false, true} {
		for _, s := range oddStrings {
			for i := range 5 {
				f := base
				switch i {
				case 0:
					f.method = s
				case 1:
					f.route = s
				case 2:
					f.path = s
				case 3:
					f.client = s
				case 4:
					f.proto = s
				}
				check(json, times[1], slog.LevelInfo, f)
			}
		}
		for _, d := range oddDurations {
			f := base
			f.duration = d
			check(json, times[1], slog.LevelInfo, f)
		}
		for _, v := range []int64{0, 1, -1, 404, math.MaxInt64, math.MinInt64} {
			f := base
			f.status, f.bytes = int(v), v
			check(json, times[1], slog.LevelInfo, f)
		}
		for _, at := range times {
			for _, z := range zones {
				for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
					check(json, at.In(z), level, base)
				}
			}
		}
	}
	if n < 500 {
		t.Fatalf("only %d lines compared", n)
	}
}

// TestAppendDuration: appendDuration is time.Duration.String, for every
// magnitude and some odd values.
func TestAppendDuration(t *testing.T) {
	ds := append([]time.Duration(nil), oddDurations...)
	for d := time.Duration(1); d > 0 && d < math.MaxInt64/7; d = d*7 + 3 {
		ds = append(ds, d, -d, d/10*10, d/1000*1000)
	}
	for _, d := range ds {
		if got := string(appendDuration(nil, d)); got != d.String() {
			t.Errorf("appendDuration(%d) = %q; want %q", int64(d), got, d.String())
		}
	}
}

// FuzzAccessLine: for any field values, the formatter's line is slog's.
func FuzzAccessLine(f *testing.F) {
	f.Add("GET", "/a b", "192.0.2.7", "HTTP/1.1", 200, int64(12), int64(1500000), int64(1796661000123456789), false, false)
	f.Add("P\"OST", "/\xff\u2028", "", "HTTP/2.0", 0, int64(-1), int64(-61e9), int64(0), true, true)
	f.Fuzz(func(t *testing.T, method, path, client, proto string, status int, n, d, unixNano int64, json, debug bool) {
		at := time.Unix(0, unixNano).In(time.FixedZone("", int(unixNano%(14*3600))))
		level := slog.LevelInfo
		if debug {
			level = slog.LevelDebug
		}
		fs := accessFields{method: method, route: routePage, path: path, status: status, bytes: n,
			duration: time.Duration(d), client: client, proto: proto}
		want := slogLine(t, json, at, level, &fs)
		got := string(appendAccessLine(nil, json, at, level, &fs))
		if got != want {
			t.Fatalf("\n got %q\nwant %q", got, want)
		}
		if !utf8.ValidString(got) || strings.Count(got, "\n") != 1 {
			t.Fatalf("not one line of UTF-8: %q", got)
		}
	})
}

var durationField = regexp.MustCompile(`"?duration"?[=:][^ ,]+`)

// TestAccessLogLevels: serve's access log writes health probes only with
// --debug, as the slog logger did, and every other line at info; never
// the query string.
func TestAccessLogLevels(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for _, c := range []struct {
		level      slog.Level
		wantHealth bool
	}{{slog.LevelInfo, false}, {slog.LevelDebug, true}} {
		for _, format := range []string{"text", "json"} {
			var fast, old bytes.Buffer
			l, _ := newLogger(&old, format, c.level)
			fo := &ops{base: "/auth", log: l, alog: newAccessLog(&fast, format, c.level), access: true}
			so := &ops{base: "/auth", log: l, access: true}
			for _, target := range []string{"/auth/healthz", "/dashboard?code=secret-code&state=s"} {
				for _, o := range []*ops{fo, so} {
					r := httptest.NewRequest("GET", "http://127.0.0.1:3000"+target, nil)
					o.wrap(h).ServeHTTP(httptest.NewRecorder(), r)
				}
			}
			// Same lines but for the time.
			strip := func(s string) []string {
				var out []string
				for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
					if i := strings.Index(l, "level"); i > 0 {
						l = l[i:]
					}
					l = durationField.ReplaceAllString(l, "duration=D")
					out = append(out, l)
				}
				return out
			}
			got, want := strip(fast.String()), strip(old.String())
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s %v: lines\n%q\nwant\n%q", format, c.level, got, want)
			}
			if n := len(got); (n == 2) != c.wantHealth || n < 1 {
				t.Errorf("%s %v: %d lines: %q", format, c.level, n, got)
			}
			if strings.Contains(fast.String(), "secret") || strings.Contains(fast.String(), "code=") {
				t.Errorf("%s: the query is logged: %q", format, fast.String())
			}
			if !strings.Contains(fast.String(), "/dashboard") {
				t.Errorf("%s: no page line: %q", format, fast.String())
			}
		}
	}
}

// BenchmarkAccessLine: one access-log line, through slog (as serve wrote
// it before) and with the formatter, per format:
//
//	go test ./cmd/authgo -run '^$' -bench AccessLine -benchmem
func BenchmarkAccessLine(b *testing.B) {
	f := accessFields{method: "GET", route: routeUpstream, path: "/app/page", status: 200, bytes: 5120,
		duration: 1234567 * time.Nanosecond, client: "192.0.2.7", proto: "HTTP/1.1"}
	at := time.Now()
	for _, format := range []string{"text", "json"} {
		l, _ := newLogger(io.Discard, format, slog.LevelInfo)
		b.Run("slog-"+format, func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				slogAccessLine(ctx, l.Handler(), at, slog.LevelInfo, &f)
			}
		})
		a := newAccessLog(io.Discard, format, slog.LevelInfo)
		b.Run("fast-"+format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.write(at, slog.LevelInfo, &f)
			}
		})
	}
}
