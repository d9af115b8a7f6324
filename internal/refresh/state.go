package refresh

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	prov "github.com/authgo/authgo/provider"
)

// Set is a token endpoint's answer: the provider package's TokenSet, so a
// shared outcome is the same JSON whichever side wrote it.
type Set = prov.TokenSet

// State is the access-token state a session carries, as its claims hold
// it. The root package reads it from the session token; the engine never
// sees claim names.
type State struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    int64 // Unix seconds; 0 when unknown
	ObtainedAt   int64 // Unix seconds; 0 when unknown
	Failed       bool  // a terminal failure is recorded (the error claim)
}

// Valid reports whether st's access token has not expired (without skew).
func Valid(st State, now time.Time) bool {
	return st.AccessToken != "" && (st.ExpiresAt == 0 || now.Unix() < st.ExpiresAt)
}

// Expiry is the earliest expiry set tells: its Expiry (from expires_in)
// and the access token's own exp when it is a JWT. The exp is read
// without verifying: it only schedules a refresh.
func Expiry(set Set) time.Time {
	exp := set.Expiry
	if e := jwtExp(set.AccessToken); !e.IsZero() && (exp.IsZero() || e.Before(exp)) {
		exp = e
	}
	return exp
}

// apply returns st after the refresh that answered set at obtained, as the
// root package's claims will hold it: a refresh token the answer lacks is
// kept, and a previous failure is cleared.
func (st State) apply(set Set, obtained time.Time) State {
	st.AccessToken = set.AccessToken
	if set.RefreshToken != "" {
		st.RefreshToken = set.RefreshToken
	}
	st.ExpiresAt = 0
	if exp := Expiry(set); !exp.IsZero() {
		st.ExpiresAt = exp.Unix()
	}
	st.ObtainedAt = obtained.Unix()
	st.Failed = false
	return st
}

// jwtExp returns the exp of a JWS compact token, or zero.
func jwtExp(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(parts[1]) > 8192 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var c struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(b, &c) != nil {
		return time.Time{}
	}
	n, err := c.Exp.Int64()
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}
