package testkit

import (
	"net/http"
	"sync"
	"time"
)

// LoadClient is the HTTP client of a load test with workers concurrent
// requests: an idle connection kept per worker, a 10 s timeout, and
// redirects returned rather than followed.
func LoadClient(workers int) *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: workers},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Load runs work from workers goroutines until stop is closed: worker w
// calls work(w), work(w+1), … one after the other, so that work(i) can
// pick the i-th of a round-robin. Wait on the returned group after closing
// stop.
func Load(workers int, stop <-chan struct{}, work func(i int)) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				work(i)
			}
		})
	}
	return &wg
}
