package pages_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authgo/authgo/internal/pages"
)

func ExampleErrorStatus() {
	for _, code := range []string{"Configuration", "AccessDenied", "Verification", "Whatever"} {
		fmt.Println(code, pages.ErrorStatus(code))
	}
	// Output:
	// Configuration 500
	// AccessDenied 403
	// Verification 403
	// Whatever 200
}

// Serving the error page: set the headers, then the status, then the body.
func ExampleError() {
	rec := httptest.NewRecorder()
	var w http.ResponseWriter = rec
	code := "AccessDenied" // from ?error=; untrusted

	brand := pages.Brand{}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", pages.ContentSecurityPolicy(brand))
	w.WriteHeader(pages.ErrorStatus(code))
	if err := pages.Error(w, pages.ErrorData{Brand: brand, Code: code, SignInURL: "/auth/signin"}); err != nil {
		fmt.Println(err)
	}
	fmt.Println(rec.Code)
	// Output: 403
}
