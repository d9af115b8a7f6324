package authgo_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/authgo/authgo"
)

// eventLog records SignInError and Refresh events.
type eventLog struct {
	mu        sync.Mutex
	signInErr []authgo.SignInErrorEvent
	refresh   []authgo.RefreshEvent
}

func (e *eventLog) install(c *authgo.Config) {
	c.Events.SignInError = func(_ context.Context, ev authgo.SignInErrorEvent) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.signInErr = append(e.signInErr, ev)
	}
	c.Events.Refresh = func(_ context.Context, ev authgo.RefreshEvent) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.refresh = append(e.refresh, ev)
	}
}

// TestEventSignInError: a wrong password, a missing CSRF token and an
// unknown provider are each told once with their Auth.js code (the
// unknown provider without its id, which the request chose); a
// successful sign-in tells nothing.
func TestEventSignInError(t *testing.T) {
	var ev eventLog
	a := newAuth(t, ev.install)
	c := newClient(t, a)
	c.signIn(O, "alice", "wrong")
	c.postForm(O+"/auth/callback/credentials", map[string][]string{"username": {"alice"}, "password": {"wonderland"}})
	c.postForm(O+"/auth/callback/no-such-provider", map[string][]string{"csrfToken": {c.csrf(O)}})
	want := []authgo.SignInErrorEvent{
		{Provider: "credentials", Code: authgo.CodeCredentialsSignin},
		{Provider: "credentials", Code: authgo.CodeMissingCSRF},
		{Provider: "", Code: authgo.CodeConfiguration},
	}
	if len(ev.signInErr) != len(want) {
		t.Fatalf("SignInError events = %+v; want %+v", ev.signInErr, want)
	}
	for i, w := range want {
		if g := ev.signInErr[i]; g.Provider != w.Provider || g.Code != w.Code {
			t.Errorf("event %d = %+v; want %+v", i, g, w)
		}
	}
	if ev.signInErr[2].Err == nil {
		t.Error("the unknown provider's event has no cause")
	}
	ev.signInErr = nil
	if r := c.signIn(O, "alice", "wonderland"); r.StatusCode != http.StatusFound || r.setCook["authjs.session-token"] == nil {
		t.Fatalf("sign-in: %d", r.StatusCode)
	}
	if len(ev.signInErr) != 0 {
		t.Fatalf("a sign-in that worked told %+v", ev.signInErr)
	}
}

// TestEventRefresh: a refresh that works, one that fails for now (503)
// and one refused for good are each told once, with the provider and
// whether the failure is terminal.
func TestEventRefresh(t *testing.T) {
	clk := newClock()
	b := newBackend(t, 5*time.Minute, clk.Now)
	var ev eventLog
	_, h := tokenSite(t, b, clk, ev.install)
	c := newClient(t, h)
	signInBackend(t, c)

	clk.Add(10 * time.Minute)
	if r := c.get(O + "/api/x"); r.StatusCode != 200 {
		t.Fatalf("refresh: %d %s", r.StatusCode, r.body)
	}
	clk.Add(10 * time.Minute)
	b.Fail.Store(503)
	if r := c.get(O + "/api/x"); r.StatusCode != 503 {
		t.Fatalf("failing refresh: %d %s", r.StatusCode, r.body)
	}
	b.Fail.Store(0)
	b.Forget()
	if r := c.get(O + "/api/x"); r.StatusCode != 409 {
		t.Fatalf("refused refresh: %d %s", r.StatusCode, r.body)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.refresh) != 3 {
		t.Fatalf("Refresh events = %+v; want 3", ev.refresh)
	}
	for i, e := range ev.refresh {
		if e.Provider != "backend" {
			t.Errorf("event %d: provider %q", i, e.Provider)
		}
	}
	if e := ev.refresh[0]; e.Err != nil || e.Terminal {
		t.Errorf("success told as %+v", e)
	}
	if e := ev.refresh[1]; e.Err == nil || e.Terminal {
		t.Errorf("transient failure told as %+v", e)
	}
	if e := ev.refresh[2]; e.Err == nil || !e.Terminal {
		t.Errorf("terminal failure told as %+v", e)
	}
}
