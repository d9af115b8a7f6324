//go:build loadtest

package refresh

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authgo/authgo/jwt"
)

// lenResults and lenStale count the successor cache (with its tombstones)
// and the rejected-token marks.
func (m *Manager) lenResults() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.results)
}

func (m *Manager) lenStale() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.stale)
}

// floodKeys is how many distinct keys a flood test sends into one cache.
const floodKeys = 20000

// TestFloodRefresh: 20,000 distinct refresh tokens refreshed (successes,
// then terminal refusals) and 20,000 distinct access tokens refused by an
// API, all within the successor TTL, leave the successor cache, its
// tombstones and the marks at or under their bounds; the newest successor
// still serves a late request.
func TestFloodRefresh(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	now := e.clk.Now()
	flood := func(what string) {
		for i := range floodKeys {
			rt := fmt.Sprintf("%s-%d", what, i)
			st := State{AccessToken: "at-" + rt, RefreshToken: rt, ExpiresAt: now.Add(-time.Minute).Unix(), ObtainedAt: now.Add(-6 * time.Minute).Unix()}
			tok := &jwt.Token{Subject: "u", Extra: map[string]any{"refresh_token": rt}}
			res := e.m.Refresh(ctx, tok, st)
			if res.Err != nil {
				t.Fatalf("%s %d: %v", what, i, res.Err)
			}
			if n := e.m.lenResults(); n > maxResults {
				t.Fatalf("%s %d: %d entries in the successor cache, bound %d", what, i, n, maxResults)
			}
		}
	}
	flood("ok")
	last := fmt.Sprintf("ok-%d", floodKeys-1)
	if e.m.cached(Key(last)) == nil {
		t.Error("the newest successor was evicted")
	}
	e.p.behave = func(ctx context.Context, tok *jwt.Token) (*Set, error) { return nil, &refused{"invalid_grant"} }
	flood("refused")
	if e.m.cached(Key(last)) == nil {
		t.Error("tombstones evicted a successor before older tombstones")
	}
	for i := range floodKeys {
		e.m.Rejected(State{AccessToken: fmt.Sprintf("rejected-%d", i), ExpiresAt: now.Add(time.Hour).Unix(), ObtainedAt: now.Add(-time.Hour).Unix()})
		if n := e.m.lenStale(); n > maxStale {
			t.Fatalf("mark %d: %d marks, bound %d", i, n, maxStale)
		}
	}
	t.Logf("after the flood: %d successors and tombstones (bound %d), %d marks (bound %d)", e.m.lenResults(), maxResults, e.m.lenStale(), maxStale)
}
