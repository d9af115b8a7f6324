package clientip

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func TestAddr(t *testing.T) {
	trusted, err := Prefixes([]netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("2001:db8:ffff::/48"),
		netip.MustParsePrefix("::ffff:192.168.7.0/120"), // IPv4 written as IPv6
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no proxy", "203.0.113.9:5555", nil, "203.0.113.9"},
		{"untrusted peer's XFF ignored", "203.0.113.9:5555", []string{"198.51.100.1"}, "203.0.113.9"},
		{"untrusted peer spoofing a trusted chain", "203.0.113.9:5555", []string{"198.51.100.1, 10.0.0.2"}, "203.0.113.9"},
		{"trusted peer, no XFF", "10.0.0.1:80", nil, "10.0.0.1"},
		{"trusted peer", "10.0.0.1:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client's own XFF entries left of ours", "10.0.0.1:80", []string{"1.1.1.1, 2.2.2.2, 198.51.100.1"}, "198.51.100.1"},
		{"trusted chain", "10.0.0.1:80", []string{"1.1.1.1, 198.51.100.1, 10.9.9.9, 10.0.0.3"}, "198.51.100.1"},
		{"chain over several lines", "10.0.0.1:80", []string{"1.1.1.1, 198.51.100.1", "10.9.9.9", "10.0.0.3"}, "198.51.100.1"},
		{"all trusted: the left-most", "10.0.0.1:80", []string{"10.3.3.3, 10.2.2.2"}, "10.3.3.3"},
		{"garbage entry: the nearest trusted hop", "10.0.0.1:80", []string{"198.51.100.1, not-an-ip, 10.2.2.2"}, "10.2.2.2"},
		{"garbage right-most: the peer", "10.0.0.1:80", []string{"198.51.100.1, unknown"}, "10.0.0.1"},
		{"garbage left of the client is never reached", "10.0.0.1:80", []string{"<script>, 198.51.100.1"}, "198.51.100.1"},
		{"empty elements skipped", "10.0.0.1:80", []string{" , 198.51.100.1 ,, ", ""}, "198.51.100.1"},
		{"entries with ports", "10.0.0.1:80", []string{"198.51.100.1:4711, 10.2.2.2:80"}, "198.51.100.1"},
		{"IPv6 with brackets and port", "[2001:db8:ffff::1]:443", []string{"[2001:db8::7]:1234"}, "2001:db8::7"},
		{"IPv6 bracketed without port", "[2001:db8:ffff::1]:443", []string{"[2001:db8::7]"}, "2001:db8::7"},
		{"IPv6 bare", "[2001:db8:ffff::1]:443", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv4-mapped peer compared unmapped", "[::ffff:10.0.0.1]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv4-mapped client shown unmapped", "10.0.0.1:80", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"prefix written as IPv6", "192.168.7.5:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"outside the IPv6-written prefix", "192.168.8.5:80", []string{"198.51.100.1"}, "192.168.8.5"},
		{"zoned entry", "10.0.0.1:80", []string{"fe80::1%eth0"}, "fe80::1"},
		{"bare peer", "10.0.0.1", []string{"198.51.100.1"}, "198.51.100.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Addr(c.remote, c.xff, trusted)
			if !ok || got.String() != c.want {
				t.Fatalf("Addr(%q, %q) = %v, %v; want %s", c.remote, c.xff, got, ok, c.want)
			}
		})
	}
	if _, ok := Addr("@unix-socket", []string{"198.51.100.1"}, trusted); ok {
		t.Fatal("a peer that is not an IP address gave an address")
	}
	// Without trusted proxies, X-Forwarded-For is never read.
	if got, _ := Addr("10.0.0.1:80", []string{"198.51.100.1"}, nil); got.String() != "10.0.0.1" {
		t.Fatalf("no trusted proxies: %v", got)
	}
}

func TestPrefixes(t *testing.T) {
	if _, err := Prefixes([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), {}}); err == nil || !strings.Contains(err.Error(), "entry 1") {
		t.Fatalf("zero prefix: %v", err)
	}
	got, err := Prefixes([]netip.Prefix{netip.MustParsePrefix("10.1.2.3/8"), netip.MustParsePrefix("::ffff:10.0.0.0/104")})
	if err != nil || got[0].String() != "10.0.0.0/8" || got[1].String() != "10.0.0.0/8" {
		t.Fatalf("Prefixes = %v, %v", got, err)
	}
}

// FuzzAddr: any header never panics, and the answer is the peer or one
// of the header's entries; an untrusted entry only if every entry right of
// it is trusted.
func FuzzAddr(f *testing.F) {
	for _, s := range []string{"198.51.100.1, 10.0.0.2", ",,", "[::1]:80, x", "1.2.3.4:99999", "[", "]", "fe80::1%", "aa0::01"} {
		f.Add(s)
	}
	trusted, _ := Prefixes([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := Addr("10.0.0.1:80", []string{v}, trusted)
		if !ok || !got.IsValid() {
			t.Fatalf("%q: no address", v)
		}
		if got.String() == "10.0.0.1" {
			return
		}
		entries := strings.Split(v, ",")
		for i := len(entries) - 1; i >= 0; i-- {
			a, ok := parse(strings.Trim(entries[i], " \t"))
			if strings.Trim(entries[i], " \t") == "" {
				continue
			}
			if !ok {
				break // nothing left of garbage counts
			}
			if a == got {
				return
			}
			if !contains(trusted, a) {
				break
			}
		}
		t.Fatalf("%q gave %v, not an entry the trusted chain vouches for", v, got)
	})
}

func TestLastValue(t *testing.T) {
	h := http.Header{}
	if got := LastValue(h, "X-Forwarded-Proto"); got != "" {
		t.Errorf("no header: %q", got)
	}
	h.Add("X-Forwarded-Host", "evil.example, a.example")
	h.Add("X-Forwarded-Host", " b.example ,  c.example ")
	if got := LastValue(h, "X-Forwarded-Host"); got != "c.example" {
		t.Errorf("LastValue = %q, want the right-most entry of the last line", got)
	}
}
