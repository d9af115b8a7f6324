package main

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// The access log's lines, written without log/slog: one line per request
// is the most frequent thing serve logs, and building a slog.Record and
// its attributes for it, then having the handler walk them, costs a few
// microseconds a request. accessLog appends the line's fields straight
// into a buffer instead, byte for byte as the slog handler newLogger gives
// for the same format would have written them (TestAccessLineMatchesSlog
// and FuzzAccessLine hold it to that).

// accessLog writes access-log lines in the --log-format of serve's logger.
type accessLog struct {
	json  bool       // --log-format json; else text
	level slog.Level // the least level written (--debug: slog.LevelDebug)
	w     io.Writer  // one Write per line
}

// newAccessLog is the access log for serve's logger settings (format
// checked by newLogger).
func newAccessLog(w io.Writer, format string, level slog.Level) *accessLog {
	return &accessLog{json: format == "json", level: level, w: w}
}

// accessFields are what one access-log line says, in its order. path
// never holds the query string.
type accessFields struct {
	method, route, path string
	status              int
	bytes               int64
	duration            time.Duration
	client, proto       string
}

// accessBufs holds line buffers for reuse.
var accessBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// write writes the line of f, logged at t with level, unless level is
// below the log's.
func (a *accessLog) write(t time.Time, level slog.Level, f *accessFields) {
	if level < a.level {
		return
	}
	bp := accessBufs.Get().(*[]byte)
	b := appendAccessLine((*bp)[:0], a.json, t, level, f)
	a.w.Write(b)
	if cap(b) <= 16<<10 {
		*bp = b
		accessBufs.Put(bp)
	}
}

// stamp is the formatted second of an access line's time: formatting a
// time is the largest part of a line's cost, and lines come many to a
// second, so the newest second is kept (lastStamp) and only its fraction
// is written per line.
type stamp struct {
	sec  int64
	loc  *time.Location
	date []byte // 2006-01-02T15:04:05
	zone []byte // Z07:00
}

var lastStamp atomic.Pointer[stamp]

// stampOf returns the stamp of t's second in t's location (a year of
// four digits).
func stampOf(t time.Time) *stamp {
	sec, loc := t.Unix(), t.Location()
	if s := lastStamp.Load(); s != nil && s.sec == sec && s.loc == loc {
		return s
	}
	s := &stamp{sec: sec, loc: loc, date: t.AppendFormat(nil, "2006-01-02T15:04:05"), zone: t.AppendFormat(nil, "Z07:00")}
	lastStamp.Store(s)
	return s
}

// appendMilli appends t as the layout 2006-01-02T15:04:05.000Z07:00 does:
// milliseconds, always three digits, cut and never rounded.
func (s *stamp) appendMilli(b []byte, t time.Time) []byte {
	ms := t.Nanosecond() / 1e6
	b = append(b, s.date...)
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(b, s.zone...)
}

// appendNano appends t as time.RFC3339Nano does: the fraction without
// its trailing zeros, and without a dot when it is zero.
func (s *stamp) appendNano(b []byte, t time.Time) []byte {
	b = append(b, s.date...)
	if ns := t.Nanosecond(); ns != 0 {
		var d [10]byte
		d[0] = '.'
		for i := 9; i >= 1; i-- {
			d[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for d[n-1] == '0' {
			n--
		}
		b = append(b, d[:n]...)
	}
	return append(b, s.zone...)
}

// slogAccessLine writes the line of f with slog handler h, as serve did
// before accessLog (and still does for an ops without one).
func slogAccessLine(ctx context.Context, h slog.Handler, t time.Time, level slog.Level, f *accessFields) {
	rec := slog.NewRecord(t, level, "request", 0)
	rec.AddAttrs(
		slog.String("method", f.method),
		slog.String("route", f.route),
		slog.String("path", f.path),
		slog.Int("status", f.status),
		slog.Int64("bytes", f.bytes),
		slog.Duration("duration", f.duration),
		slog.String("client", f.client),
		slog.String("proto", f.proto),
	)
	h.Handle(ctx, rec)
}

// appendAccessLine appends the line of f, ending in a newline, as
// slog.TextHandler (or with json slog.JSONHandler) without options other
// than a level writes it: time, level, msg=request, then the fields.
func appendAccessLine(b []byte, json bool, t time.Time, level slog.Level, f *accessFields) []byte {
	if json {
		b = append(b, `{"time":`...)
		if y := t.Year(); y < 0 || y > 9999 {
			// Not from a clock; but as slog.JSONHandler has it.
			b = append(b, `"!ERROR:time.Time year outside of range [0,9999]"`...)
		}
		b = append(b, '"')
		if y := t.Year(); y < 0 || y > 9999 {
			b = t.AppendFormat(b, time.RFC3339Nano)
		} else {
			b = stampOf(t).appendNano(b, t)
		}
		b = append(b, `","level":`...)
		b = appendJSONString(b, level.String())
		b = append(b, `,"msg":"request","method":`...)
		b = appendJSONString(b, f.method)
		b = append(b, `,"route":`...)
		b = appendJSONString(b, f.route)
		b = append(b, `,"path":`...)
		b = appendJSONString(b, f.path)
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(f.status), 10)
		b = append(b, `,"bytes":`...)
		b = strconv.AppendInt(b, f.bytes, 10)
		b = append(b, `,"duration":`...)
		b = strconv.AppendInt(b, int64(f.duration), 10) // nanoseconds
		b = append(b, `,"client":`...)
		b = appendJSONString(b, f.client)
		b = append(b, `,"proto":`...)
		b = appendJSONString(b, f.proto)
		return append(b, "}\n"...)
	}
	b = append(b, "time="...)
	if y := t.Year(); y < 0 || y > 9999 {
		// Not from a clock; but as slog.TextHandler has it, which cuts a
		// digit of RFC3339Nano at the place of a four-digit year's.
		const cut = len("2006-01-02T15:04:05.000")
		n := len(b)
		b = t.Truncate(time.Millisecond).Add(time.Millisecond/10).AppendFormat(b, time.RFC3339Nano)
		b = append(b[:n+cut], b[n+cut+1:]...)
	} else {
		b = stampOf(t).appendMilli(b, t)
	}
	b = append(b, " level="...)
	b = appendTextString(b, level.String())
	b = append(b, " msg=request method="...)
	b = appendTextString(b, f.method)
	b = append(b, " route="...)
	b = appendTextString(b, f.route)
	b = append(b, " path="...)
	b = appendTextString(b, f.path)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(f.status), 10)
	b = append(b, " bytes="...)
	b = strconv.AppendInt(b, f.bytes, 10)
	b = append(b, " duration="...)
	b = appendDuration(b, f.duration)
	b = append(b, " client="...)
	b = appendTextString(b, f.client)
	b = append(b, " proto="...)
	b = appendTextString(b, f.proto)
	return append(b, '\n')
}

// jsonSafe: an ASCII byte that stands for itself inside a JSON string
// (not a control character, quote or backslash).
func jsonSafe(c byte) bool { return c >= 0x20 && c != '"' && c != '\\' }

// appendTextString appends s as the text handler writes a string value:
// bare unless it is empty or holds a space, '=', a quote, an ASCII control
// character, invalid UTF-8, U+FFFD or a Unicode space or unprintable rune;
// then Go-quoted.
func appendTextString(b []byte, s string) []byte {
	if textNeedsQuotes(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func textNeedsQuotes(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == ' ' || c == '=' || (c != '\\' && !jsonSafe(c)) {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += n
	}
	return false
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as the JSON handler writes a string: quoted;
// \" \\ \n \r \t, other control characters as \u00XX, each byte of
// invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped; HTML characters
// left as they are.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe(c) {
				i++
				continue
			}
			b = append(b, s[done:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, s[done:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[done:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += n
			continue
		}
		i += n
		done = i
	}
	b = append(b, s[done:]...)
	return append(b, '"')
}

// appendDuration appends d.String() without making the string: "0s",
// below a second one unit (ns, µs, ms) with a fraction, else
// [Nh][Nm]N[.fff]s.
func appendDuration(b []byte, d time.Duration) []byte {
	if d == 0 {
		return append(b, "0s"...)
	}
	u := uint64(d)
	if d < 0 {
		b = append(b, '-')
		u = -u
	}
	switch {
	case u < 1e3:
		return append(strconv.AppendUint(b, u, 10), "ns"...)
	case u < 1e6:
		return append(appendDecimal(b, u, 1e3), "µs"...)
	case u < 1e9:
		return append(appendDecimal(b, u, 1e6), "ms"...)
	}
	secs := u / 1e9
	h, m := secs/3600, secs/60%60
	if h > 0 {
		b = append(strconv.AppendUint(b, h, 10), 'h')
	}
	if h > 0 || m > 0 {
		b = append(strconv.AppendUint(b, m, 10), 'm')
	}
	return append(appendDecimal(b, secs%60*1e9+u%1e9, 1e9), 's')
}

// appendDecimal appends v/unit (unit a power of ten) in decimal, with the
// fraction's trailing zeros (and a point with no digits after it) left
// out.
func appendDecimal(b []byte, v, unit uint64) []byte {
	b = strconv.AppendUint(b, v/unit, 10)
	f := v % unit
	if f == 0 {
		return b
	}
	b = append(b, '.')
	for unit /= 10; f > 0; unit /= 10 {
		b = append(b, byte('0'+f/unit))
		f %= unit
	}
	return b
}
