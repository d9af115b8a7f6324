package google_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/authgo/authgo/internal/testidp"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/google"
)

// TestGoogleAgainstTestIDP runs the preset against the in-process OP in
// Google's place.
func TestGoogleAgainstTestIDP(t *testing.T) {
	idp := testidp.New(t, testidp.Options{Users: []testidp.User{{
		ID: "1084", Username: "g", Password: "pw", Email: "g@gmail.example", EmailVerified: true,
		Name: "G User", Picture: "https://lh3.example/photo.jpg",
	}}})
	const redirect = "http://localhost:3000/auth/callback/google"
	idp.AddClient(testidp.Client{ID: "google-client", Secret: "gs", RedirectURIs: []string{redirect}})
	p, err := google.New(google.Options{ClientID: "google-client", ClientSecret: "gs", Issuer: idp.Issuer()})
	if err != nil {
		t.Fatal(err)
	}
	state, verifier, nonce := rand.Text(), rand.Text()+rand.Text(), rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	authURL, err := p.AuthCodeURL(t.Context(), provider.AuthCodeParams{
		State: state, CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:]), Nonce: nonce, RedirectURI: redirect,
	})
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	cb, err := idp.Login(t.Context(), &http.Client{Jar: jar}, authURL, "g", "pw")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(cb)
	res, err := p.Exchange(t.Context(), provider.ExchangeParams{
		Code: u.Query().Get("code"), CodeVerifier: verifier, Nonce: nonce, RedirectURI: redirect,
		Callback: httptest.NewRequest("GET", cb, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.User; got.ID != "1084" || got.Name != "G User" || got.Email != "g@gmail.example" || got.Image != "https://lh3.example/photo.jpg" {
		t.Errorf("user %+v", got)
	}
}

func TestDefaults(t *testing.T) {
	p, err := google.New(google.Options{ClientID: "id", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID() != "google" || p.Name() != "Google" || p.Type() != provider.TypeOIDC || p.Issuer() != "https://accounts.google.com" {
		t.Errorf("%s %s %s %s", p.ID(), p.Name(), p.Type(), p.Issuer())
	}
	if _, err := google.New(google.Options{ClientID: "id"}); err == nil {
		t.Error("New without a secret succeeded")
	}
}
