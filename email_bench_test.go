package authgo_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgo/authgo"
	"github.com/authgo/authgo/adapters/postgres"
	"github.com/authgo/authgo/adapters/sqlite"
	"github.com/authgo/authgo/internal/smtptest"
	"github.com/authgo/authgo/internal/testkit"
	"github.com/authgo/authgo/internal/testkit/sqlitetest"
	"github.com/authgo/authgo/provider"
	"github.com/authgo/authgo/providers/email"
	"github.com/authgo/authgo/store"
)

// BenchmarkEmailSignInToMail is the time from POST <base>/signin/nodemailer
// to the mail accepted by the SMTP server (an in-process go-smtp server
// on loopback, plain SMTP with AUTH PLAIN; users and tokens in SQLite, as
// authgo serve keeps them by default, or in PostgreSQL), for 50
// concurrent requests for distinct addresses, the limits off. One
// iteration is one wave of 50; p50 and p99 are over every request of the
// run. "sqlite" is sqlite.DSN's pool with database/sql's defaults,
// "sqlite-idle8" the pool as serve opens it (eight idle connections),
// "sqlite-one-conn" one connection, "sqlite-sync-normal" the default pool
// with PRAGMA synchronous=NORMAL.
func BenchmarkEmailSignInToMail(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		s, _ := sqlitetest.New(b)
		benchEmail(b, s)
	})
	b.Run("sqlite-idle8", func(b *testing.B) {
		s, db := sqlitetest.New(b)
		db.SetMaxIdleConns(8) // as authgo serve opens it
		benchEmail(b, s)
	})
	b.Run("sqlite-one-conn", func(b *testing.B) {
		s, db := sqlitetest.New(b)
		db.SetMaxOpenConns(1)
		benchEmail(b, s)
	})
	b.Run("sqlite-sync-normal", func(b *testing.B) {
		s, _ := sqlitetest.OpenDSN(b, sqlite.DSN(filepath.Join(b.TempDir(), "authgo.db"))+"&_pragma=synchronous(NORMAL)")
		benchEmail(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		pool, err := pgxpool.New(b.Context(), testkit.FreshPostgres(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pool.Close)
		if _, err := postgres.Migrate(b.Context(), pool); err != nil {
			b.Fatal(err)
		}
		s, err := postgres.New(pool)
		if err != nil {
			b.Fatal(err)
		}
		benchEmail(b, s)
	})
}

func benchEmail(b *testing.B, s store.UserStore) {
	const wave = 50
	smtpd := smtptest.Start(b, smtptest.Options{Mode: smtptest.Plain, User: "mailer", Pass: "pw"})
	p, err := email.New(email.Config{Server: "smtp://mailer:pw@" + smtpd.Addr, From: "Bench <no-reply@bench.test>"})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	origin := "http://" + srv.Listener.Addr().String()
	a, err := authgo.New(authgo.Config{
		Secret: []string{testSecret}, URL: origin, Users: s,
		Providers: []provider.Provider{p},
		Email:     authgo.EmailConfig{PerAddress: -1, PerClient: -1},
	})
	if err != nil {
		b.Fatal(err)
	}
	srv.Config.Handler = a
	srv.Start()
	defer srv.Close()
	c := newClient(b, a)
	tok := c.csrf(origin)
	cookie := c.CookieHeader()
	client := &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: wave},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	var mu sync.Mutex
	started := map[string]time.Time{}
	sent := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		var wg sync.WaitGroup
		for j := range wave {
			addr := fmt.Sprintf("user%d-%d@bench.test", i, j)
			wg.Go(func() {
				form := url.Values{"csrfToken": {tok}, "email": {addr}}
				req, _ := http.NewRequest("POST", origin+"/auth/signin/nodemailer", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Cookie", cookie)
				mu.Lock()
				started[addr] = time.Now()
				mu.Unlock()
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusFound || strings.Contains(res.Header.Get("Location"), "error") {
					b.Errorf("%s: %d %s", addr, res.StatusCode, res.Header.Get("Location"))
				}
			})
		}
		wg.Wait()
		sent += wave
		smtpd.Wait(b, sent, 30*time.Second)
	}
	b.StopTimer()
	var lat []time.Duration
	for _, m := range smtpd.Mails() {
		if t0, ok := started[m.To[0]]; ok {
			lat = append(lat, m.Accepted.Sub(t0))
		}
	}
	if len(lat) != sent {
		b.Fatalf("%d mails for %d requests", len(lat), sent)
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "mails/s")
}
