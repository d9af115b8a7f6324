package pages

import (
	"net/http"
	"testing"
)

func TestWantsJSON(t *testing.T) {
	for _, tc := range []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"application/json"}, true},
		{[]string{"Application/JSON; q=1"}, true},
		{[]string{"text/html,application/json"}, false},
		{[]string{"application/json", "text/html"}, false}, // two header lines
		{[]string{"*/*"}, false},
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		for _, v := range tc.accept {
			r.Header.Add("Accept", v)
		}
		if got := WantsJSON(r); got != tc.want {
			t.Errorf("Accept %q: WantsJSON = %v, want %v", tc.accept, got, tc.want)
		}
	}
}
