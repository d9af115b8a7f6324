// Package clientip decides which address a request came from when
// reverse proxies stand in front of the server: the rule of
// Config.TrustedProxies, in one place for every part of authgo that needs
// a client address (the sessions' ClientAddr today; the sign-in throttle
// and forward-auth may follow).
//
// X-Forwarded-For is a list each proxy appends its peer's address to. Only
// the entries appended by proxies we trust are worth anything: everything
// to their left came from the client, who can write what it likes. So the
// list is read from the right, and the client is the first address that
// is not a trusted proxy's. LastValue reads X-Forwarded-Proto and
// X-Forwarded-Host from the right the same way.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Prefixes checks and normalises trusted proxy prefixes: each must be
// valid (the zero netip.Prefix is not), and is returned masked, an IPv4
// prefix written in IPv6 form (::ffff:10.0.0.0/104) as plain IPv4, since
// addresses are compared unmapped.
func Prefixes(ps []netip.Prefix) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ps))
	for i, p := range ps {
		if !p.IsValid() {
			return nil, fmt.Errorf("entry %d is not a valid prefix (write netip.MustParsePrefix(\"10.0.0.0/8\"), or /32 for one address)", i)
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Addr returns the address of the client of a request that came from the
// TCP peer remoteAddr (http.Request.RemoteAddr: "host:port", or a bare
// host) carrying the X-Forwarded-For field lines xff, in order:
//
//   - the peer, unless it is in trusted: then X-Forwarded-For is ignored,
//     since anybody can send one;
//   - otherwise the right-most X-Forwarded-For address that is not in
//     trusted, each trusted hop vouching for the entry to its left;
//   - the left-most address when every entry is trusted;
//   - the right-most trusted address seen when an entry is not an IP
//     address: a trusted proxy never writes one, so nothing to its left
//     is vouched for.
//
// Empty list elements are skipped (RFC 9110 §5.6.1); an entry may carry a
// port ("192.0.2.1:443", "[2001:db8::1]:443"), which is dropped. ok is
// false when remoteAddr is not an IP address (a Unix socket, say).
// trusted must come from Prefixes.
func Addr(remoteAddr string, xff []string, trusted []netip.Prefix) (addr netip.Addr, ok bool) {
	peer, ok := parse(remoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if !contains(trusted, peer) {
		return peer, true
	}
	last := peer // the nearest trusted hop
	for i := len(xff) - 1; i >= 0; i-- {
		list := xff[i]
		for list != "" {
			entry := list
			if j := strings.LastIndexByte(list, ','); j >= 0 {
				entry, list = list[j+1:], list[:j]
			} else {
				list = ""
			}
			entry = strings.Trim(entry, " \t")
			if entry == "" {
				continue
			}
			a, ok := parse(entry)
			if !ok {
				return last, true
			}
			if !contains(trusted, a) {
				return a, true
			}
			last = a
		}
	}
	return last, true
}

// parse reads an address with or without a port, brackets around IPv6,
// and returns it unmapped and without a zone.
func parse(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		host, _, serr := net.SplitHostPort(s)
		if serr != nil {
			host = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
			if host == s {
				return netip.Addr{}, false
			}
		}
		if a, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, false
		}
	}
	return a.Unmap().WithZone(""), true
}

func contains(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Trusted reports whether the TCP peer remoteAddr is in trusted (from
// Prefixes). A peer that is not an IP address (a Unix socket) is not.
func Trusted(remoteAddr string, trusted []netip.Prefix) bool {
	if len(trusted) == 0 {
		return false
	}
	peer, ok := parse(remoteAddr)
	return ok && contains(trusted, peer)
}

// LastValue is the right-most entry of a comma-separated forwarding header
// (X-Forwarded-Proto, X-Forwarded-Host), across all its lines: the one the
// proxy nearest to us wrote, when a proxy appends (a value or a line)
// rather than overwrites. It is "" without the header.
func LastValue(hdr http.Header, name string) string {
	v := hdr.Values(name)
	if len(v) == 0 {
		return ""
	}
	h := v[len(v)-1]
	if i := strings.LastIndexByte(h, ','); i >= 0 {
		h = h[i+1:]
	}
	return strings.TrimSpace(h)
}
