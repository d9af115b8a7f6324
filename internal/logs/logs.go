// Package logs builds the logger that authgo's packages use when their
// Logger option is nil. Like net/http.Server with a nil ErrorLog, they do
// not go silent: errors still reach the process's default logger.
package logs

import (
	"context"
	"log/slog"
)

// Fallback returns a logger that drops records below min and hands the rest
// to slog.Default()'s handler. The default is looked up for every record,
// so a slog.SetDefault made after the logger was built is honoured. Without
// force the default handler's Enabled decides, as for any slog logger; with
// force a record at or above min is handed over even when that handler
// would not enable its level (the caller asked for debug output).
func Fallback(min slog.Level, force bool) *slog.Logger {
	return slog.New(&handler{min: min, force: force})
}

// handler is the slog.Handler behind Fallback.
type handler struct {
	min   slog.Level
	force bool
	ops   []op // WithAttrs and WithGroup calls, replayed on the default handler
}

// op is one WithGroup (group != "") or WithAttrs call.
type op struct {
	group string
	attrs []slog.Attr
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	if l < h.min {
		return false
	}
	return h.force || slog.Default().Handler().Enabled(ctx, l)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.min {
		return nil
	}
	d := slog.Default().Handler()
	for _, o := range h.ops {
		if o.group != "" {
			d = d.WithGroup(o.group)
		} else {
			d = d.WithAttrs(o.attrs)
		}
	}
	return d.Handle(ctx, r)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(op{attrs: attrs})
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(op{group: name})
}

func (h *handler) with(o op) *handler {
	ops := make([]op, len(h.ops), len(h.ops)+1)
	copy(ops, h.ops)
	return &handler{min: h.min, force: h.force, ops: append(ops, o)}
}
