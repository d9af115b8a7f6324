// Package jsonw appends JSON values to byte slices the way JavaScript's
// JSON.stringify writes them, without the allocations of encoding/json for
// the values sessions hold (strings, numbers, booleans, null). It is the
// writer behind session tokens (package jwt) and the session JSON.
package jsonw

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
)

// String appends s as a JSON string, escaped as encoding/json escapes it
// but leaving <, > and & alone, as JSON.stringify does.
func String(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.Encode(s) // cannot fail for a string
			return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Value appends v as JSON: strings, float64, int64, bool and nil directly,
// anything else through encoding/json (with HTML escaping off).
func Value(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return String(b, v), nil
	case float64:
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			return Float(b, v), nil
		}
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case nil:
		return append(b, "null"...), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// Float appends f as encoding/json writes a float64: plain digits, an
// exponent only from 1e21 up or below 1e-6.
func Float(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// Extra appends, after the members already written (the names in
// written), each member of extra not among them, in key order.
// afterFirst says whether a member precedes them (a comma is needed).
func Extra(b []byte, afterFirst bool, written []string, extra map[string]any) ([]byte, error) {
	if len(extra) == 0 {
		return b, nil
	}
	var buf [16]string
	keys := buf[:0]
	for k := range extra {
		if !slices.Contains(written, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var err error
	for _, k := range keys {
		if afterFirst {
			b = append(b, ',')
		}
		afterFirst = true
		b = append(String(b, k), ':')
		if b, err = Value(b, extra[k]); err != nil {
			return nil, err
		}
	}
	return b, nil
}
