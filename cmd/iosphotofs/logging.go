package main

import (
	"context"
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/printable"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// lineHandler writes each log record as one line for a person reading
// stderr: "iosphotofs: message key=value ...", values quoted where they
// hold spaces.
type lineHandler struct {
	w     io.Writer
	mu    *sync.Mutex
	level slog.Level
	attrs []slog.Attr
}

// newLogger logs records at level and above to w.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(&lineHandler{w: w, mu: &sync.Mutex{}, level: level})
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("iosphotofs: ")
	b.WriteString(printable.Line(r.Message))
	add := func(a slog.Attr) bool {
		v := printable.Line(a.Value.Resolve().String())
		if strings.ContainsAny(v, " \t\n\"=") || v == "" {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, v)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(slices.Clip(h.attrs), attrs...)
	return &c
}

// WithGroup: no caller groups its attributes; a group's are shown as
// they are.
func (h *lineHandler) WithGroup(string) slog.Handler { return h }
