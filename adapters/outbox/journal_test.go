package outbox_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgo/authgo/adapters/outbox"
)

func openFile(t *testing.T, path string) *outbox.File {
	t.Helper()
	j, err := outbox.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func sessionRecord(id string) outbox.Record {
	return outbox.Record{Session: id, Until: time.UnixMilli(2e12)}
}

func ids(t *testing.T, j *outbox.File) []string {
	t.Helper()
	recs, err := j.Records(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Session+r.User)
	}
	return out
}

func TestFileReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox")
	j := openFile(t, path)
	at := time.Unix(1700000000, 0)
	want := []outbox.Record{sessionRecord("s1"), {User: "u1", At: at, Until: at.Add(time.Hour)}, sessionRecord("s2")}
	for _, r := range want {
		if err := j.Append(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	got, err := openFile(t, path).Records(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("reloaded %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Session != want[i].Session || got[i].User != want[i].User || !got[i].At.Equal(want[i].At) || !got[i].Until.Equal(want[i].Until) {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestFileTornLine: a crash in the middle of a write leaves part of a line
// at the end; it is ignored and cut off, and later appends start on a line
// of their own.
func TestFileTornLine(t *testing.T) {
	for name, tail := range map[string]string{
		"no newline":      `{"session":"s3","un`,
		"garbage line":    "{\"sess\x00\x00\n",
		"zeros":           "\x00\x00\x00\x00",
		"newline missing": `{"session":"s3","until":2000000000000}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outbox")
			j := openFile(t, path)
			for _, id := range []string{"s1", "s2"} {
				if err := j.Append(t.Context(), sessionRecord(id)); err != nil {
					t.Fatal(err)
				}
			}
			j.Close()
			good, _ := os.ReadFile(path)
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString(tail)
			f.Close()

			j = openFile(t, path)
			if got := ids(t, j); strings.Join(got, ",") != "s1,s2" {
				t.Fatalf("records after a torn line: %v", got)
			}
			if b, _ := os.ReadFile(path); string(b) != string(good) {
				t.Fatalf("the torn line was not cut off: %q", b)
			}
			if err := j.Append(t.Context(), sessionRecord("s4")); err != nil {
				t.Fatal(err)
			}
			j.Close()
			if got := ids(t, openFile(t, path)); strings.Join(got, ",") != "s1,s2,s4" {
				t.Fatalf("records after appending past a torn line: %v", got)
			}
		})
	}
}

// TestFileCorrupt: a bad line that is not the last is not a crash's doing;
// opening fails rather than dropping what follows.
func TestFileCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox")
	os.WriteFile(path, []byte("{\"session\":\"s1\",\"until\":1}\nnot json\n{\"session\":\"s2\",\"until\":1}\n"), 0o600)
	if _, err := outbox.OpenFile(path); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("OpenFile on a corrupt journal: %v", err)
	}
}

func TestFileConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox")
	j := openFile(t, path)
	var wg sync.WaitGroup
	const n = 64
	for i := range n {
		wg.Go(func() {
			if err := j.Append(t.Context(), sessionRecord(fmt.Sprint("s", i))); err != nil {
				t.Error(err)
			}
		})
		if i%8 == 0 {
			wg.Go(func() {
				if _, err := j.Records(t.Context()); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	j.Close()
	b, _ := os.ReadFile(path)
	if lines := strings.Count(string(b), "\n"); lines != n {
		t.Fatalf("%d lines, want %d", lines, n)
	}
	got := ids(t, openFile(t, path))
	seen := map[string]bool{}
	for _, id := range got {
		seen[id] = true
	}
	if len(got) != n || len(seen) != n {
		t.Fatalf("reloaded %d records (%d distinct), want %d", len(got), len(seen), n)
	}
}

// TestFileCompaction: removals are lines until nothing is left, then the
// file is emptied.
func TestFileCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox")
	j := openFile(t, path)
	recs := []outbox.Record{sessionRecord("s1"), sessionRecord("s2"), sessionRecord("s3")}
	for _, r := range recs {
		j.Append(t.Context(), r)
	}
	if err := j.Remove(t.Context(), recs[1:2]); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = openFile(t, path)
	if got := ids(t, j); strings.Join(got, ",") != "s1,s3" {
		t.Fatalf("after removing s2: %v", got)
	}
	// Removing what is not there writes nothing.
	st, _ := os.Stat(path)
	if err := j.Remove(t.Context(), recs[1:2]); err != nil {
		t.Fatal(err)
	}
	if st2, _ := os.Stat(path); st2.Size() != st.Size() {
		t.Fatalf("removing a missing record wrote %d bytes", st2.Size()-st.Size())
	}
	if err := j.Remove(t.Context(), []outbox.Record{recs[2], recs[0]}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Size() != 0 {
		t.Fatalf("a drained journal is %d bytes", st.Size())
	}
	j.Append(t.Context(), sessionRecord("s5"))
	j.Close()
	if got := ids(t, openFile(t, path)); strings.Join(got, ",") != "s5" {
		t.Fatalf("after draining and appending: %v", got)
	}
}

func TestFileLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox")
	j := openFile(t, path)
	if _, err := outbox.OpenFile(path); !errors.Is(err, outbox.ErrLocked) {
		t.Fatalf("a second OpenFile: %v, want ErrLocked", err)
	}
	j.Close()
	if err := j.Append(t.Context(), sessionRecord("s1")); err == nil {
		t.Fatal("Append after Close succeeded")
	}
	openFile(t, path)
}
