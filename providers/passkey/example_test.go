package passkey_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/passkey"
)

// Passkeys need a users store that keeps credentials (adapters/sqlite,
// adapters/postgres) and a URL whose host name is the relying party id.
// The built-in sign-in page then has a passkey button and passkey
// autofill; a browser (or next-auth's webauthn client) asks
// <base>/webauthn-options/passkey what to do.
func Example() {
	dir, err := os.MkdirTemp("", "authgo-passkey")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(dir, "authgo.db")))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	users, err := sqlite.New(context.Background(), db)
	if err != nil {
		log.Fatal(err)
	}

	a, err := authgo.New(authgo.Config{
		Secret:    []string{"an example secret of at least 32 bytes"},
		URL:       "https://auth.example.com/auth",
		Users:     users,
		Providers: []provider.Provider{passkey.New()},
	})
	if err != nil {
		log.Fatal(err)
	}

	// A new address signs up: the options are for a registration.
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest("GET", "https://auth.example.com/auth/webauthn-options/passkey?email=ada@example.com", nil))
	var res struct {
		Action  string `json:"action"`
		Options struct {
			RP struct {
				ID string `json:"id"`
			} `json:"rp"`
			Selection struct {
				ResidentKey      string `json:"residentKey"`
				UserVerification string `json:"userVerification"`
			} `json:"authenticatorSelection"`
		} `json:"options"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		log.Fatal(err)
	}
	fmt.Println(w.Code, res.Action, res.Options.RP.ID, res.Options.Selection.ResidentKey, res.Options.Selection.UserVerification)
	for _, c := range w.Result().Cookies() {
		if c.Name == "__Secure-authjs.challenge" {
			fmt.Println(c.Name, c.MaxAge, c.HttpOnly) // sealed, bound to the provider
		}
	}
	// Output:
	// 200 register auth.example.com required required
	// __Secure-authjs.challenge 900 true
}
