package password

import (
	"errors"
	"strings"
	"testing"
)

// Vectors made with the argon2 reference implementation's CLI (Debian
// package argon2, 0~20171227), e.g.
//
//	echo -n 'correct horse battery staple' | argon2 authgo-vector-salt -id -t 2 -k 19456 -p 1 -l 32 -e
var referenceVectors = []struct {
	name, password, encoded string
}{
	{
		name:     "owasp params",
		password: "correct horse battery staple",
		encoded:  "$argon2id$v=19$m=19456,t=2,p=1$YXV0aGdvLXZlY3Rvci1zYWx0$5KJn7q6DyTLUh+Ll11oVubCGPK5IcMZuTXD6Jj55U5M",
	},
	{
		name:     "utf8 password 4 lanes",
		password: "pässwörd",
		encoded:  "$argon2id$v=19$m=65536,t=3,p=4$c2l4dGVlbi1ieXRlLXNsdA$1BtUS83+T/9moMPfJ8B7/75FO6jRfpEQ2gpxTPnr7is",
	},
}

func TestHashVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{"a", "correct horse battery staple", "pässwörd 🔑", strings.Repeat("x", MaxLength)} {
		t.Run(pw[:min(len(pw), 12)], func(t *testing.T) {
			t.Parallel()
			h, err := Hash(pw)
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			if want := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(h, want) {
				t.Fatalf("Hash = %q, want prefix %q", h, want)
			}
			p, err := parse(h)
			if err != nil {
				t.Fatalf("parse(Hash()): %v", err)
			}
			if len(p.salt) != saltLen || len(p.key) != keyLen {
				t.Errorf("salt %d bytes, key %d bytes; want %d, %d", len(p.salt), len(p.key), saltLen, keyLen)
			}
			ok, err := Verify(pw, h)
			if err != nil || !ok {
				t.Errorf("Verify(right password) = %v, %v; want true, nil", ok, err)
			}
			wrong := pw[:len(pw)-1] + string(pw[len(pw)-1]^1) // same length, last byte changed
			ok, err = Verify(wrong, h)
			if err != nil || ok {
				t.Errorf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestHashSalted(t *testing.T) {
	t.Parallel()
	a, err := Hash("same")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Hash("same")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal: %q", a)
	}
}

func TestReferenceVectors(t *testing.T) {
	t.Parallel()
	for _, v := range referenceVectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			ok, err := Verify(v.password, v.encoded)
			if err != nil || !ok {
				t.Errorf("Verify = %v, %v; want true, nil", ok, err)
			}
			ok, err = Verify(v.password[1:], v.encoded)
			if err != nil || ok {
				t.Errorf("Verify(wrong) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestHashRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
		want     error
	}{
		{"empty", "", ErrEmpty},
		{"one over max", strings.Repeat("a", MaxLength+1), ErrTooLong},
		{"huge", strings.Repeat("a", 1<<20), ErrTooLong},
		{"multibyte over max", strings.Repeat("é", MaxLength/2+1), ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := Hash(tt.password)
			if !errors.Is(err, tt.want) || h != "" {
				t.Errorf("Hash = %q, %v; want \"\", %v", h, err, tt.want)
			}
		})
	}
}

func TestVerifyTooLong(t *testing.T) {
	t.Parallel()
	v := referenceVectors[0]
	ok, err := Verify(strings.Repeat("a", MaxLength+1), v.encoded)
	if !errors.Is(err, ErrTooLong) || ok {
		t.Errorf("Verify = %v, %v; want false, ErrTooLong", ok, err)
	}
	// A malformed hash is reported as such whatever the password.
	ok, err = Verify(strings.Repeat("a", MaxLength+1), "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5")
	if !errors.Is(err, ErrMalformedHash) || ok {
		t.Errorf("Verify = %v, %v; want false, ErrMalformedHash", ok, err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	const (
		salt = "YXV0aGdvLXZlY3Rvci1zYWx0"
		key  = "5KJn7q6DyTLUh+Ll11oVubCGPK5IcMZuTXD6Jj55U5M"
	)
	tests := []struct{ name, encoded string }{
		{"empty", ""},
		{"garbage", "not a hash"},
		{"bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"},
		{"scrypt", "$scrypt$ln=16,r=8,p=1$" + salt + "$" + key},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"upper case algorithm", "$ARGON2ID$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{"version missing", "$argon2id$m=19456,t=2,p=1$" + salt + "$" + key},
		{"version leading zero", "$argon2id$v=019$m=19456,t=2,p=1$" + salt + "$" + key},
		{"no leading dollar", "argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"trailing dollar", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$"},
		{"key missing", "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
		{"keyid field", "$argon2id$v=19$m=19456,t=2,p=1,keyid=abc$" + salt + "$" + key},
		{"params reordered", "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key},
		{"params with spaces", "$argon2id$v=19$m=19456, t=2, p=1$" + salt + "$" + key},
		{"param missing", "$argon2id$v=19$m=19456,t=2$" + salt + "$" + key},
		{"param leading zero", "$argon2id$v=19$m=019456,t=2,p=1$" + salt + "$" + key},
		{"param sign", "$argon2id$v=19$m=+19456,t=2,p=1$" + salt + "$" + key},
		{"param negative", "$argon2id$v=19$m=19456,t=-2,p=1$" + salt + "$" + key},
		{"param hex", "$argon2id$v=19$m=0x4c00,t=2,p=1$" + salt + "$" + key},
		{"param overflow", "$argon2id$v=19$m=99999999999999999999,t=2,p=1$" + salt + "$" + key},
		{"param uint32 wrap", "$argon2id$v=19$m=4294987752,t=2,p=1$" + salt + "$" + key},
		{"memory 257 MiB", "$argon2id$v=19$m=263168,t=2,p=1$" + salt + "$" + key},
		{"memory 4 GiB", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key},
		{"memory below 8 KiB per lane", "$argon2id$v=19$m=31,t=1,p=4$" + salt + "$" + key},
		{"memory zero", "$argon2id$v=19$m=0,t=2,p=1$" + salt + "$" + key},
		{"time zero", "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key},
		{"time 11", "$argon2id$v=19$m=19456,t=11,p=1$" + salt + "$" + key},
		{"time huge", "$argon2id$v=19$m=19456,t=4294967295,p=1$" + salt + "$" + key},
		{"parallelism zero", "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key},
		{"parallelism 17", "$argon2id$v=19$m=19456,t=2,p=17$" + salt + "$" + key},
		{"parallelism 256 wraps uint8", "$argon2id$v=19$m=19456,t=2,p=256$" + salt + "$" + key},
		{"salt empty", "$argon2id$v=19$m=19456,t=2,p=1$$" + key},
		{"salt 7 bytes", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbA$" + key},
		{"salt 65 bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + strings.Repeat("QUFB", 21) + "QUE$" + key},
		{"salt padded", "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbi1ieXRlLXNsdA==$" + key},
		{"salt url alphabet", "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbi1ieXRlLXNsd_-$" + key},
		{"salt newline", "$argon2id$v=19$m=19456,t=2,p=1$YXV0aGdvLXZl\nY3Rvci1zYWx0$" + key},
		{"salt non-zero trailing bits", "$argon2id$v=19$m=19456,t=2,p=1$c2l4dGVlbi1ieXRlLXNsdB$" + key},
		{"salt impossible length", "$argon2id$v=19$m=19456,t=2,p=1$YXV0aGdvLXZlY3Rvci1zYWx0Y$" + key},
		{"key empty", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$"},
		{"key 15 bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$a2V5a2V5a2V5a2V5a2V"},
		{"key 65 bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.Repeat("QUFB", 21) + "QUE"},
		{"too long", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + strings.Repeat("A", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := Verify("correct horse battery staple", tt.encoded)
			if !errors.Is(err, ErrMalformedHash) || ok {
				t.Errorf("Verify(%q) = %v, %v; want false, ErrMalformedHash", tt.encoded, ok, err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "password: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestVerifyTampered changes one part of a valid hash at a time, keeping it
// well-formed: the right password must no longer verify, and no error is
// reported.
func TestVerifyTampered(t *testing.T) {
	t.Parallel()
	v := referenceVectors[0]
	tests := []struct{ name, old, new string }{
		{"memory", "m=19456", "m=19457"},
		{"time", "t=2", "t=3"},
		{"parallelism", "m=19456,t=2,p=1", "m=19456,t=2,p=2"},
		{"salt", "$YXV0aGdv", "$YXV0aGdw"},
		{"key first byte", "$5KJn", "$6KJn"},
		{"key last byte", "U5M", "U5A"},
		{"key truncated", "$5KJn7q6DyTLUh+Ll11oVubCGPK5IcMZuTXD6Jj55U5M", "$5KJn7q6DyTLUh+Ll11oVubCGPK5IcMZuTXD6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc := strings.Replace(v.encoded, tt.old, tt.new, 1)
			if enc == v.encoded {
				t.Fatalf("replacement %q did not apply", tt.old)
			}
			ok, err := Verify(v.password, enc)
			if err != nil || ok {
				t.Errorf("Verify(%q) = %v, %v; want false, nil", enc, ok, err)
			}
		})
	}
}

func TestVerifyDummy(t *testing.T) {
	t.Parallel()
	// The dummy hash uses the same parameters as Hash, so it costs the same.
	p, err := parse(dummy())
	if err != nil {
		t.Fatalf("dummy hash does not parse: %v", err)
	}
	if p.memory != memoryKiB || p.passes != passes || p.lanes != lanes || len(p.salt) != saltLen || len(p.key) != keyLen {
		t.Errorf("dummy hash parameters %+v differ from Hash's", p)
	}
	if first, again := dummy(), dummy(); first != again {
		t.Error("dummy hash changes between calls")
	}
	VerifyDummy("anything")
	VerifyDummy(strings.Repeat("a", MaxLength+1))
}

func TestParseRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range referenceVectors {
		t.Run(v.name, func(t *testing.T) {
			p, err := parse(v.encoded)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.encode(); got != v.encoded {
				t.Errorf("encode(parse(x)) = %q, want %q", got, v.encoded)
			}
		})
	}
}

// FuzzVerify checks that Verify never panics and that every hash the parser
// accepts re-encodes to exactly the same string. Argon2 itself runs only for
// cheap parameters, so that the fuzzer is not stuck on 256 MiB hashes.
func FuzzVerify(f *testing.F) {
	for _, v := range referenceVectors {
		f.Add(v.password, v.encoded)
	}
	f.Add("pw", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw")
	f.Add("pw", "$argon2id$v=19$m=64,t=1,p=8$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw")
	f.Add("", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw")
	f.Add("x", "$$$$$")
	f.Add("x", "")
	f.Fuzz(func(t *testing.T, password, encoded string) {
		p, err := parse(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("parse error %v does not wrap ErrMalformedHash", err)
			}
			ok, verr := Verify(password, encoded)
			if ok || verr == nil {
				t.Fatalf("Verify of unparsable hash = %v, %v", ok, verr)
			}
			return
		}
		if got := p.encode(); got != encoded {
			t.Fatalf("encode(parse(%q)) = %q", encoded, got)
		}
		if uint64(p.memory)*uint64(p.passes) > 1024 {
			return
		}
		ok, err := Verify(password, encoded)
		if err != nil && !errors.Is(err, ErrTooLong) {
			t.Fatalf("Verify of parsable hash: %v", err)
		}
		_ = ok
	})
}

func BenchmarkHash(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h, err := Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := Verify("correct horse battery staple", h); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkVerifyDummy(b *testing.B) {
	dummy() // compute the dummy hash outside the timed loop
	b.ReportAllocs()
	for b.Loop() {
		VerifyDummy("correct horse battery staple")
	}
}
