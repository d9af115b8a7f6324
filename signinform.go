package authgo

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/provider"
)

// After a failed credentials sign-in the built-in sign-in page shows the
// form again with what was typed in its non-secret fields (the username),
// so only the password is typed again. Those values travel in a cookie,
// never in the URL (which ends up in logs and history): encrypted like the
// check cookies, HttpOnly, SameSite=Lax, limited to the base path, living
// signInFormMaxAge, and deleted by the page that reads it and by a
// successful sign-in. Secret fields are never kept. Nothing is kept when an
// application's own sign-in page (Pages.SignIn) or a script
// (X-Auth-Return-Redirect) handles the failure, and the redirect stays
// Auth.js's ?error=CredentialsSignin&code=….
const (
	signInFormMaxAge = 5 * time.Minute
	// maxKeptValue caps one kept value, in bytes; a longer one is dropped.
	maxKeptValue = 256
)

// secretField reports whether f holds a secret, which is never kept: a
// password, or a one-time code.
func secretField(f provider.Field) bool {
	switch strings.ToLower(f.Autocomplete) {
	case "current-password", "new-password", "one-time-code":
		return true
	}
	return strings.EqualFold(f.Type, "password")
}

// keepForm returns the cookie keeping the non-secret fields of a failed
// sign-in with cp, or nil when there is nothing to keep or no built-in page
// to show it.
func (a *Auth) keepForm(rq *request, cp provider.CredentialsProvider) *http.Cookie {
	if a.cfg.Pages.SignIn != "" || rq.r.Header.Get("X-Auth-Return-Redirect") != "" {
		return nil
	}
	kept := map[string]any{}
	for _, f := range cp.Fields() {
		if secretField(f) {
			continue
		}
		if v, ok := rq.body.get(f.Name); ok && v != "" && len(v) <= maxKeptValue && utf8.ValidString(v) {
			kept[f.Name] = v
		}
	}
	if len(kept) == 0 {
		return nil
	}
	name := rq.names.SignInForm
	enc, err := a.codec.Encode(name, &Token{Extra: map[string]any{"provider": cp.ID(), "fields": kept}}, signInFormMaxAge)
	if err != nil || len(enc) > cookie.ChunkSize {
		a.log.Warn("authgo: the sign-in form's values are not kept", "provider", cp.ID(), "err", err, "len", len(enc))
		return nil
	}
	c := cookie.New(name, enc, rq.names, a.now().Add(signInFormMaxAge))
	c.Path = a.formPath()
	c.MaxAge = int(signInFormMaxAge / time.Second)
	return c
}

// formPath is the Path of the kept-form cookie: the base path, where the
// sign-in page is, unless a ";" in it would end the attribute.
func (a *Auth) formPath() string {
	if strings.Contains(a.cfg.BasePath, ";") {
		return "/"
	}
	return a.cfg.BasePath
}

// keptForm opens the cookie keepForm set and returns the provider it was
// made for and its values by field name; ("", nil) when there is none or it
// does not open.
func (a *Auth) keptForm(rq *request) (provider string, values map[string]string) {
	raw, ok := rq.jar.Get(rq.names.SignInForm)
	if !ok || raw == "" {
		return "", nil
	}
	tok, err := a.codec.Decode(rq.names.SignInForm, raw)
	if err != nil || tok == nil {
		return "", nil
	}
	provider, _ = tok.Extra["provider"].(string)
	fields, _ := tok.Extra["fields"].(map[string]any)
	values = make(map[string]string, len(fields))
	for k, v := range fields {
		if s, ok := v.(string); ok {
			values[k] = s
		}
	}
	return provider, values
}

// dropForm returns the deletion of the kept-form cookie, or nil when the
// request carried none.
func (a *Auth) dropForm(rq *request) *http.Cookie {
	if _, ok := rq.jar.Get(rq.names.SignInForm); !ok {
		return nil
	}
	c := cookie.Expired(rq.names.SignInForm, rq.names)
	c.Path = a.formPath()
	return c
}
