package main

import (
	"errors"
	"testing"
)

func TestTrimPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"authgo: Config.Secret[0] (AUTH_SECRET) is 5 bytes": "Config.Secret[0] (AUTH_SECRET) is 5 bytes",
		"proxy: Prefix \"\" must look like /api":            "proxy: Prefix \"\" must look like /api",
		"authgo: authgo: twice":                             "authgo: twice",
	} {
		if got := trimPrefix(errors.New(in)); got != want {
			t.Errorf("trimPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}
