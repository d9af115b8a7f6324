package authgo

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/authgo/authgo/internal/cookie"
	"github.com/authgo/authgo/internal/emailaddr"
	"github.com/authgo/authgo/internal/pages"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/store"
)

// CodeWebAuthnVerification is the error code of a passkey (WebAuthn)
// sign-in or registration that failed its checks: a wrong challenge,
// origin or signature, an unknown credential, a counter that did not go
// up. Auth.js's WebAuthnVerificationError.
const CodeWebAuthnVerification = "WebAuthnVerificationError"

// webauthnTimeout is how long the browser gives the user, as in Auth.js.
const webauthnTimeout = 5 * time.Minute

// accountTypeWebAuthn is the type of a passkey's accounts row.
const accountTypeWebAuthn = "webauthn"

// challengeState is what the challenge cookie holds, sealed and bound to
// the provider: the challenge sent, and for a registration who it is for
// (Auth.js's {challenge, registerData}).
type challengeState struct {
	Challenge string        `json:"challenge"`
	Register  *registerData `json:"registerData,omitempty"`
}

// registerData is the user a registration is for.
type registerData struct {
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
	// Handle is the user.id sent to the authenticator: 64 random hex
	// characters, as Auth.js makes it, not the users row id.
	Handle string `json:"handle"`
	// User is the signed-in user adding a passkey; "" for a sign-up.
	User string `json:"user,omitempty"`
}

// waUser is a user as go-webauthn sees one.
type waUser struct {
	id            []byte
	name, display string
	creds         []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return u.id }
func (u *waUser) WebAuthnName() string                       { return u.name }
func (u *waUser) WebAuthnDisplayName() string                { return u.display }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// relyingParty is the WebAuthn relying party of rq's origin: its id is the
// host name, its origin the origin, as Auth.js's defaults.
func (a *Auth) relyingParty(rq *request, wp provider.WebAuthnProvider) (*webauthn.WebAuthn, error) {
	if rp := a.relyingParties[wp.ID()]; rp != nil {
		return rp, nil // safe to share: go-webauthn reads its Config only
	}
	return relyingParty(rq.origin, wp)
}

func relyingParty(o origin, wp provider.WebAuthnProvider) (*webauthn.WebAuthn, error) {
	host := o.host
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(name, "[]")
	if net.ParseIP(name) != nil {
		return nil, fmt.Errorf("passkeys need a host name: %s is an IP address, which cannot be a WebAuthn relying party id", name)
	}
	req := wp.WebAuthn()
	sel := protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred}
	if req.ResidentKey {
		yes := true
		sel.ResidentKey, sel.RequireResidentKey = protocol.ResidentKeyRequirementRequired, &yes
	}
	if req.UserVerification {
		sel.UserVerification = protocol.VerificationRequired
	}
	t := webauthn.TimeoutConfig{Timeout: webauthnTimeout, TimeoutUVD: webauthnTimeout}
	return webauthn.New(&webauthn.Config{
		RPID:                   name,
		RPDisplayName:          host,
		RPOrigins:              []string{o.String()},
		AttestationPreference:  protocol.PreferNoAttestation,
		AuthenticatorSelection: sel,
		Timeouts:               webauthn.TimeoutsConfig{Login: t, Registration: t},
	})
}

// webauthnStores returns Config.Users as the two stores passkeys need;
// New made sure it is both.
func (a *Auth) webauthnStores() (store.UserStore, store.AuthenticatorStore) {
	as, _ := a.cfg.Users.(store.AuthenticatorStore)
	return a.cfg.Users, as
}

func jsonAnswer(status int, v any) *response {
	b, _ := json.Marshal(v)
	return &response{status: status, body: b, ctype: "application/json", noStore: true}
}

// webauthnInvalid is the 400 Auth.js answers a request it cannot decide.
func webauthnInvalid(msg string) *response {
	return jsonAnswer(http.StatusBadRequest, map[string]string{"error": msg})
}

// webauthnEmail tidies an address typed on the sign-in page, or reports
// it unusable: the email provider's normaliser, so the address a passkey
// signs up with is the identifier an email link for it would use.
func webauthnEmail(s string) (string, bool) {
	e, err := emailaddr.Normalize(s)
	return e, err == nil
}

// webauthnOptions is GET <base>/webauthn-options/<id>: it decides, by
// Auth.js's rules, whether the browser registers a new credential or
// signs in with one, and answers {"action", "options"} with the
// challenge in a sealed cookie bound to the provider.
//
//   - action=authenticate: sign in, with the credentials of the signed-in
//     user or of the user with ?email= as allowCredentials, else none (the
//     browser offers its discoverable credentials);
//   - action=register: the signed-in user adds a credential, or a new
//     user (an ?email= nobody has) signs up; otherwise 400 Invalid request;
//   - no action, signed out: an unknown ?email= registers, a known one or
//     none signs in; signed in: 400 Invalid request;
//   - another action: 400 Invalid action.
func (a *Auth) webauthnOptions(rq *request) (*response, error) {
	wp, ok := a.providers[rq.providerID].(provider.WebAuthnProvider)
	if !ok {
		// As Auth.js: the Configuration error page (it has no WebAuthn
		// provider there to ask).
		return nil, fail(CodeConfiguration, fmt.Errorf("webauthn-options: %q is not a WebAuthn provider", rq.providerID))
	}
	get := func(k string) string {
		if rq.r.Method == http.MethodPost {
			v, _ := rq.body.get(k)
			return v
		}
		return rq.query.Get(k)
	}
	action := rq.query.Get("action") // from the query even on POST, as Auth.js
	if action != "" && action != "register" && action != "authenticate" {
		return webauthnInvalid("Invalid action"), nil
	}
	ctx := rq.r.Context()
	us, as := a.webauthnStores()
	unavailable := func(err error) (*response, error) {
		a.log.Warn("authgo: webauthn options: the users store did not answer", "err", err)
		res := jsonAnswer(http.StatusServiceUnavailable, map[string]string{"error": "Unavailable"})
		res.retryAfter = true
		return res, nil
	}
	var user *store.User
	loggedIn, exists := false, false
	if id := a.signedInUser(ctx, rq); id != "" {
		row, err := us.User(ctx, id)
		if err != nil {
			return unavailable(err)
		}
		if row != nil {
			user, loggedIn, exists = row, true, true
		}
	}
	if !loggedIn {
		if raw := get("email"); raw != "" {
			email, ok := webauthnEmail(raw)
			if !ok {
				return webauthnInvalid("Invalid request"), nil
			}
			row, err := us.UserByEmail(ctx, email)
			if err != nil {
				return unavailable(err)
			}
			if row != nil {
				user, exists = row, true
			} else {
				user = &store.User{Email: email}
			}
		}
	}
	decision := ""
	switch action {
	case "authenticate":
		decision = "authenticate"
	case "register":
		if user != nil && loggedIn == exists {
			decision = "register"
		}
	case "":
		if !loggedIn {
			decision = "authenticate"
			if user != nil && !exists {
				decision = "register"
			}
		}
	}
	if decision == "" {
		return webauthnInvalid("Invalid request"), nil
	}
	wa, err := a.relyingParty(rq, wp)
	if err != nil {
		// Only a request's own Host (TrustHost) gets here: New refuses
		// an IP address in Config.URL.
		a.log.Info("authgo: webauthn options refused", "provider", wp.ID(), "err", err)
		return webauthnInvalid("Invalid request"), nil
	}
	var creds []store.Authenticator
	if exists {
		if creds, err = as.UserAuthenticators(ctx, user.ID); err != nil {
			return unavailable(err)
		}
	}
	descs := make([]protocol.CredentialDescriptor, 0, len(creds))
	for _, c := range creds {
		id, err := base64.StdEncoding.DecodeString(c.CredentialID)
		if err != nil {
			continue // not a credential id Auth.js or authgo wrote
		}
		d := protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType, CredentialID: id}
		for t := range strings.SplitSeq(c.Transports, ",") {
			if t != "" {
				d.Transport = append(d.Transport, protocol.AuthenticatorTransport(t))
			}
		}
		descs = append(descs, d)
	}
	st := challengeState{}
	var options any
	if decision == "register" {
		var h [32]byte
		rand.Read(h[:])
		rd := &registerData{Email: user.Email, Name: user.Name, Handle: hex.EncodeToString(h[:])}
		if loggedIn {
			rd.User = user.ID
		}
		name := user.Email
		if name == "" {
			name = user.Name
		}
		if name == "" {
			name = user.ID
		}
		display := user.Name
		if display == "" {
			display = name
		}
		creation, sess, err := wa.BeginRegistration(&waUser{id: []byte(rd.Handle), name: name, display: display},
			webauthn.WithExclusions(descs))
		if err != nil {
			return nil, fail(CodeConfiguration, fmt.Errorf("webauthn registration options: %w", err))
		}
		st.Challenge, st.Register, options = sess.Challenge, rd, creation.Response
	} else {
		assertion, sess, err := wa.BeginDiscoverableLogin(webauthn.WithAllowedCredentials(descs))
		if err != nil {
			return nil, fail(CodeConfiguration, fmt.Errorf("webauthn authentication options: %w", err))
		}
		st.Challenge, options = sess.Challenge, assertion.Response
	}
	value, _ := json.Marshal(st)
	c, err := a.sealFlowCookie(rq.names, rq.names.Challenge, wp.ID(), string(value))
	if err != nil {
		return nil, fail(CodeConfiguration, err)
	}
	res := jsonAnswer(http.StatusOK, map[string]any{"action": decision, "options": options})
	res.cookies.Set(c)
	if a.cfg.Debug {
		a.log.DebugContext(ctx, "authgo: webauthn options", "provider", wp.ID(), "action", decision, "signed_in", loggedIn, "credentials", len(descs))
	}
	return res, nil
}

// webauthnCallback is POST <base>/callback/<id> of a WebAuthn provider:
// the form's action (register or authenticate) and data (the browser's
// credential as JSON) are checked against the challenge cookie, which is
// cleared. Unlike Auth.js it needs the CSRF token (and, as every POST, a
// same-origin request).
func (a *Auth) webauthnCallback(rq *request, wp provider.WebAuthnProvider) (*response, error) {
	ctx := rq.r.Context()
	var clear []*http.Cookie
	if _, ok := rq.jar.Get(rq.names.Challenge); ok {
		clear = append(clear, cookie.Expired(rq.names.Challenge, rq.names))
	}
	failWith := func(code errorCode, cause error) error {
		return &authError{code: code, cause: cause, cookies: clear}
	}
	refuse := func(format string, args ...any) error {
		return failWith(CodeWebAuthnVerification, fmt.Errorf("%s: "+format, append([]any{wp.ID()}, args...)...))
	}
	if rq.r.Method != http.MethodPost {
		return nil, refuse("callback called with %s", rq.r.Method)
	}
	if !rq.csrfVerified {
		return nil, failWith(CodeMissingCSRF, nil)
	}
	action, _ := rq.body.get("action")
	if action != "register" && action != "authenticate" {
		return nil, refuse("invalid action parameter")
	}
	data, ok := rq.body.get("data")
	if !ok || data == "" {
		return nil, refuse("no data")
	}
	raw, err := a.openFlowCookie(rq, rq.names.Challenge, wp.ID())
	if err != nil {
		return nil, refuse("%w", err)
	}
	var st challengeState
	if err := json.Unmarshal([]byte(raw), &st); err != nil || st.Challenge == "" {
		return nil, refuse("challenge cookie holds no challenge")
	}
	wa, err := a.relyingParty(rq, wp)
	if err != nil {
		return nil, refuse("%w", err) // a request's own Host (TrustHost) that is an IP address
	}
	// The challenge is used once, as an OAuth state is: a callback
	// replayed with the cookie from before it is refused even for an
	// authenticator whose counter stays 0 (Auth.js accepts such a replay
	// for the cookie's 15 minutes).
	first, err := a.usedStates.UseOnce(ctx, usedKey(usedWebAuthnChallenge, st.Challenge), a.now().Add(checkMaxAge+usedStateMargin))
	if err != nil {
		a.warnSometimes(&a.usedStatesWarn, "authgo: the store of used OAuth states did not answer; passkey callbacks are refused until it does", "err", err)
		return nil, fail(CodeUnavailable, fmt.Errorf("%s: record the challenge: %w", wp.ID(), err))
	}
	if !first {
		return nil, refuse("the challenge was used already (a replayed callback)")
	}
	var res *response
	if action == "register" {
		res, err = a.webauthnRegister(rq, wp, wa, st, data, refuse)
	} else {
		res, err = a.webauthnAuthenticate(rq, wp, wa, st, data, refuse)
	}
	if err != nil {
		var ae *authError
		if errors.As(err, &ae) && ae.cookies == nil {
			ae.cookies = clear
		}
		return nil, err
	}
	for _, c := range clear {
		res.cookies.Set(c)
	}
	if a.cfg.Debug {
		a.log.DebugContext(ctx, "authgo: webauthn verified", "provider", wp.ID(), "action", action)
	}
	return res, nil
}

func uvRequirement(wp provider.WebAuthnProvider) protocol.UserVerificationRequirement {
	if wp.WebAuthn().UserVerification {
		return protocol.VerificationRequired
	}
	return protocol.VerificationPreferred
}

// webauthnRegister checks a new credential, signs its user in (a new user
// from the registration's address, or the signed-in user it was started
// for) with an accounts row {provider, type webauthn, providerAccountId:
// the credential id}, and stores the credential.
func (a *Auth) webauthnRegister(rq *request, wp provider.WebAuthnProvider, wa *webauthn.WebAuthn, st challengeState, data string, refuse func(string, ...any) error) (*response, error) {
	ctx := rq.r.Context()
	rd := st.Register
	if rd == nil || rd.Handle == "" {
		return nil, refuse("the challenge was made for a sign-in, not a registration")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(data))
	if err != nil {
		return nil, refuse("registration data: %w", err)
	}
	user := &waUser{id: []byte(rd.Handle)}
	sess := webauthn.SessionData{
		Challenge: st.Challenge, RelyingPartyID: wa.Config.RPID, UserID: user.id,
		UserVerification: uvRequirement(wp), CredParams: webauthn.CredentialParametersDefault(),
	}
	cred, err := wa.CreateCredential(user, sess, parsed)
	if err != nil {
		return nil, refuse("registration: %w", err)
	}
	if current := a.signedInUser(ctx, rq); current != rd.User {
		return nil, refuse("the session changed since the registration began")
	}
	if rd.User == "" && rd.Email == "" {
		return nil, refuse("a sign-up without an address")
	}
	us, as := a.webauthnStores()
	credID := base64.StdEncoding.EncodeToString(cred.ID)
	if got, err := as.Authenticator(ctx, credID); err != nil {
		return nil, fail(CodeUnavailable, fmt.Errorf("authenticators store: %w", err))
	} else if got != nil {
		return nil, refuse("the credential is registered already")
	}
	account := &Account{Provider: wp.ID(), Type: accountTypeWebAuthn, ProviderAccountID: credID}
	// User.ID is the signed-in user adding a passkey, "" for a sign-up:
	// the SignIn callback tells them apart by it.
	res, err := a.finishSignIn(rq, &User{ID: rd.User, Email: rd.Email, Name: rd.Name}, account, nil, nil)
	if err != nil {
		return nil, err
	}
	row, err := us.UserByAccount(ctx, wp.ID(), credID)
	if err != nil {
		return nil, fail(CodeUnavailable, fmt.Errorf("users store: %w", err))
	}
	if row == nil {
		return res, nil // the SignIn callback sent the user elsewhere: nothing linked, nothing stored
	}
	transports := make([]string, 0, len(cred.Transport))
	for _, t := range cred.Transport {
		transports = append(transports, string(t))
	}
	deviceType := "singleDevice"
	if cred.Flags.BackupEligible {
		deviceType = "multiDevice"
	}
	err = as.CreateAuthenticator(ctx, store.Authenticator{
		CredentialID: credID, UserID: row.ID, ProviderAccountID: credID,
		CredentialPublicKey:  base64.StdEncoding.EncodeToString(cred.PublicKey),
		Counter:              int64(cred.Authenticator.SignCount),
		CredentialDeviceType: deviceType, CredentialBackedUp: cred.Flags.BackupState,
		Transports: strings.Join(transports, ","),
	})
	if err != nil {
		// No session for an account that cannot sign in again.
		if uerr := us.UnlinkAccount(ctx, wp.ID(), credID); uerr != nil {
			a.log.Warn("authgo: the accounts row of a passkey that could not be stored is left", "provider", wp.ID(), "err", uerr)
		}
		if errors.Is(err, store.ErrAuthenticatorExists) {
			return nil, refuse("the credential is registered already")
		}
		return nil, fail(CodeUnavailable, fmt.Errorf("authenticators store: %w", err))
	}
	return res, nil
}

// webauthnAuthenticate checks a signature by a stored credential, raises
// its counter (refusing one that does not go up: a cloned credential) and
// signs its user in.
func (a *Auth) webauthnAuthenticate(rq *request, wp provider.WebAuthnProvider, wa *webauthn.WebAuthn, st challengeState, data string, refuse func(string, ...any) error) (*response, error) {
	ctx := rq.r.Context()
	if st.Register != nil {
		return nil, refuse("the challenge was made for a registration, not a sign-in")
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(data))
	if err != nil {
		return nil, refuse("authentication data: %w", err)
	}
	us, as := a.webauthnStores()
	credID := base64.StdEncoding.EncodeToString(parsed.RawID)
	stored, err := as.Authenticator(ctx, credID)
	if err != nil {
		return nil, fail(CodeUnavailable, fmt.Errorf("authenticators store: %w", err))
	}
	if stored == nil {
		return nil, refuse("unknown credential")
	}
	cred, err := verifyAssertion(wa, wp, st.Challenge, stored, parsed)
	if err != nil {
		return nil, refuse("%w", err)
	}
	ok, err := as.UpdateAuthenticatorCounter(ctx, credID, int64(cred.Authenticator.SignCount))
	if err != nil {
		return nil, fail(CodeUnavailable, fmt.Errorf("authenticators store: %w", err))
	}
	if !ok {
		return nil, refuse("the signature counter did not go up (a cloned credential, or a replay racing the original)")
	}
	row, err := us.UserByAccount(ctx, wp.ID(), credID)
	if err != nil {
		return nil, fail(CodeUnavailable, fmt.Errorf("users store: %w", err))
	}
	if row == nil {
		return nil, refuse("no user for the credential (no account row, or its user is gone)")
	}
	u := &User{ID: row.ID, Name: row.Name, Email: row.Email, Image: row.Image}
	if !row.EmailVerified.IsZero() {
		// Verified before (an email link, a provider): the session says
		// so, as that sign-in's did. A passkey sign-up's address is not.
		u.Extra = map[string]any{ClaimEmailVerified: true}
	}
	return a.finishSignIn(rq, u, &Account{Provider: wp.ID(), Type: accountTypeWebAuthn, ProviderAccountID: credID}, nil, nil)
}

// verifyAssertion checks an assertion against the stored credential: the
// challenge, origin, RP id, flags (user verification when required) and
// signature, and that the counter went up. It returns the credential with
// the new counter.
func verifyAssertion(wa *webauthn.WebAuthn, wp provider.WebAuthnProvider, challenge string, stored *store.Authenticator, parsed *protocol.ParsedCredentialAssertionData) (*webauthn.Credential, error) {
	pub, err := base64.StdEncoding.DecodeString(stored.CredentialPublicKey)
	if err != nil {
		return nil, fmt.Errorf("stored public key: %w", err)
	}
	cred := webauthn.Credential{
		ID: parsed.RawID, PublicKey: pub,
		Flags:         webauthn.CredentialFlags{BackupEligible: stored.CredentialDeviceType == "multiDevice", BackupState: stored.CredentialBackedUp},
		Authenticator: webauthn.Authenticator{SignCount: uint32(stored.Counter)},
	}
	// The user handle is not stored (Auth.js does not keep it): the
	// credential id alone names the user, so the handle the browser sent
	// stands for the user here.
	handle := parsed.Response.UserHandle
	user := &waUser{id: handle, creds: []webauthn.Credential{cred}}
	sess := webauthn.SessionData{Challenge: challenge, RelyingPartyID: wa.Config.RPID, UserID: handle, UserVerification: uvRequirement(wp)}
	got, err := wa.ValidateLogin(user, sess, parsed)
	if err != nil {
		return nil, err
	}
	if got.Authenticator.CloneWarning {
		return nil, fmt.Errorf("the signature counter went from %d to %d: a cloned credential", stored.Counter, parsed.Response.AuthenticatorData.Counter)
	}
	return got, nil
}

var passkeyETag = func() string {
	sum := sha256.Sum256(pages.PasskeyScript())
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// servePasskeyScript serves <base>/passkey.js, the sign-in page's passkey
// script, as client.js is served: revalidated by its ETag.
func servePasskeyScript(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", passkeyETag)
	http.ServeContent(w, r, "passkey.js", time.Time{}, bytes.NewReader(pages.PasskeyScript()))
}

// passkeyForm is the passkey section of the built-in sign-in page for
// the first WebAuthn provider, or nil; signedIn makes it the button that
// adds a passkey to the account.
func (a *Auth) passkeyForm(rq *request) *pages.PasskeyForm {
	for _, p := range a.cfg.Providers {
		if _, ok := p.(provider.WebAuthnProvider); ok {
			return &pages.PasskeyForm{
				ProviderName: p.Name(),
				ActionURL:    a.endpoint(rq, "callback/"+p.ID()),
				OptionsURL:   a.endpoint(rq, "webauthn-options/"+p.ID()),
				ScriptURL:    rq.base() + a.passkeyPath,
				Add:          a.signedInUser(rq.r.Context(), rq) != "",
			}
		}
	}
	return nil
}
