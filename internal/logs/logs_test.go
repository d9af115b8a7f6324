package logs

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// setDefault points slog.Default at a text handler over a buffer, at level,
// until the test ends.
func setDefault(t *testing.T, level slog.Level) *bytes.Buffer {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

func TestFallbackErrorsOnly(t *testing.T) {
	l := Fallback(slog.LevelError, false) // built before SetDefault: looked up late
	buf := setDefault(t, slog.LevelDebug)
	l.Debug("d")
	l.Info("i")
	l.Warn("w")
	l.Error("e", "k", "v")
	if got := buf.String(); !strings.Contains(got, "level=ERROR msg=e k=v") || strings.Count(got, "\n") != 1 {
		t.Fatalf("default logger got %q, want only the error", got)
	}
}

func TestFallbackHonoursDefaultLevel(t *testing.T) {
	buf := setDefault(t, slog.LevelError+4)
	Fallback(slog.LevelError, false).Error("e")
	if buf.Len() != 0 {
		t.Fatalf("default logger above Error got %q", buf)
	}
}

func TestFallbackForce(t *testing.T) {
	buf := setDefault(t, slog.LevelInfo)
	l := Fallback(slog.LevelDebug, true)
	l.With("a", 1).WithGroup("g").Debug("d", "k", "v")
	if got := buf.String(); !strings.Contains(got, "level=DEBUG msg=d a=1 g.k=v") {
		t.Fatalf("default logger got %q, want the forced debug line with attrs and group", got)
	}
}
