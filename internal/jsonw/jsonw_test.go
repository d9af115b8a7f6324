package jsonw

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// TestMatchesEncodingJSON: every value is written as encoding/json (with
// HTML escaping off) writes it.
func TestMatchesEncodingJSON(t *testing.T) {
	values := []any{"", "plain", `quo"te\`, "tab\tnew\nline", "<&>", "ünï €", "\u2028", "\x00\x1f\x7f",
		0.0, math.Copysign(0, -1), 1.0, -1.5, 1796618041.0, 1e20, 1e21, 1.23e21, 1e-6, 9.99e-7, 3.14159e-10, -2.5e25, 0.1,
		math.MaxFloat64, math.SmallestNonzeroFloat64, int64(-42), true, false, nil,
		[]any{"a", 1.0, nil}, map[string]any{"z": 1.0, "a": "<b>"}}
	for _, v := range values {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		got, err := Value(nil, v)
		if err != nil || string(got)+"\n" != want.String() {
			t.Errorf("Value(%#v) = %s, %v; want %s", v, got, err, want.String())
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(-1), func() {}} {
		if _, err := Value(nil, v); err == nil {
			t.Errorf("Value(%v): no error", v)
		}
	}
}

func TestExtra(t *testing.T) {
	got, err := Extra([]byte(`{"a":1`), true, []string{"a"}, map[string]any{"a": "dup", "c": true, "b": nil})
	if err != nil || string(got) != `{"a":1,"b":null,"c":true` {
		t.Fatalf("Extra = %s, %v", got, err)
	}
	got, _ = Extra([]byte(`{`), false, nil, map[string]any{"x": "y"})
	if string(got) != `{"x":"y"` {
		t.Fatalf("Extra after nothing = %s", got)
	}
}

func FuzzString(f *testing.F) {
	f.Add("hello")
	f.Add("\u2028<\x00>")
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		if got := String(nil, s); string(got)+"\n" != want.String() {
			t.Fatalf("String(%q) = %s, want %s", s, got, want.String())
		}
	})
}
