package match_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authgo/authgo/internal/match"
)

func ExampleCompile() {
	m, err := match.Compile("/mypage/:path*", "/home/:stadiumId/review/:path*")
	if err != nil {
		panic(err)
	}
	for _, p := range []string{
		"/mypage", // :path* matches zero segments
		"/mypage/a/b",
		"/mypage/a.rsc", // Next's transport forms are covered
		"/home/42/review",
		"/%6Dypage/a",         // matched in its decoded form
		"/public/../mypage/a", // matched in its cleaned form
		"//mypage/a",
		"/mypage%2Fa",      // %2F can be read two ways: refused
		"/public/%2e%2e/x", // so is an encoded dot-segment
		"/MYPAGE/a",        // case-sensitive, as in Next.js
		"/mypagex",         // not the /mypage segment
	} {
		fmt.Printf("%-20s %v\n", p, m.MatchPath(p))
	}

	_, err = match.Compile("/api/*")
	fmt.Println(err)
	// Output:
	// /mypage              Match
	// /mypage/a/b          Match
	// /mypage/a.rsc        Match
	// /home/42/review      Match
	// /%6Dypage/a          Match
	// /public/../mypage/a  Match
	// //mypage/a           Match
	// /mypage%2Fa          Reject
	// /public/%2e%2e/x     Reject
	// /MYPAGE/a            NoMatch
	// /mypagex             NoMatch
	// match: invalid pattern "/api/*": Unexpected MODIFIER at 5, expected END
}

// A minimal middleware: 400 on Reject, a session check on Match, and the
// request passes through only on NoMatch.
func ExampleMatcher_Match() {
	m, err := match.Compile("/settings/:path*")
	if err != nil {
		panic(err)
	}
	signedIn := func(r *http.Request) bool { return false }
	protect := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch m.Match(r) {
			case match.NoMatch:
				next.ServeHTTP(w, r)
			case match.Match:
				if !signedIn(r) {
					http.Error(w, "sign in first", http.StatusUnauthorized)
					return
				}
				next.ServeHTTP(w, r)
			default: // Reject, or anything unexpected
				http.Error(w, "bad request", http.StatusBadRequest)
			}
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /settings/{rest...}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "settings")
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "home") })
	h := protect(mux)

	for _, target := range []string{"/", "/settings/profile", "/%73ettings/profile", "/settings%2Fprofile"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		fmt.Println(target, w.Code)
	}
	// Output:
	// / 200
	// /settings/profile 401
	// /%73ettings/profile 401
	// /settings%2Fprofile 400
}
