package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Record is one revocation the shared store did not take: a session
// (Session set), or every session of a user that began at or before At
// (User set). Until is when it may be forgotten.
type Record struct {
	Session string
	User    string
	At      time.Time // RevokeUser's cutoff; zero for a session
	Until   time.Time
}

// key identifies r at the resolution a File keeps: seconds for At,
// milliseconds for Until.
func (r Record) key() line {
	l := line{Session: r.Session, User: r.User, Until: r.Until.UnixMilli()}
	if r.User != "" {
		l.At = r.At.Unix()
	}
	return l
}

// Journal keeps Records on this instance, in a place that does not fail
// with the shared store: the outbox of a [*Store]. Implementations must be
// safe for concurrent use.
type Journal interface {
	// Append keeps r; when it returns nil, r survives a crash.
	Append(ctx context.Context, r Record) error
	// Records returns the records appended and not removed, oldest first.
	Records(ctx context.Context) ([]Record, error)
	// Remove forgets rs (delivered, or past their Until); one stored
	// record for each. A record Remove did not forget is delivered again
	// later, which is harmless.
	Remove(ctx context.Context, rs []Record) error
}

// ErrLocked is returned by OpenFile when another process has the journal
// open.
var ErrLocked = errors.New("outbox: the journal is open in another process")

// line is a record, or a removal, as one JSON line of a File.
type line struct {
	Del     bool   `json:"del,omitempty"`
	Session string `json:"session,omitempty"`
	User    string `json:"user,omitempty"`
	At      int64  `json:"at,omitempty"` // Unix seconds
	Until   int64  `json:"until"`        // Unix milliseconds
}

func (l line) record() Record {
	r := Record{Session: l.Session, User: l.User, Until: time.UnixMilli(l.Until)}
	if l.User != "" {
		r.At = time.Unix(l.At, 0)
	}
	return r
}

// File is a Journal in an append-only file: one JSON line per record, and
// one per removal, each written and fsync'd before the call returns. When
// every record has been removed, the file is truncated to nothing. A last
// line cut short by a crash (the write that was under way) is ignored and
// cut off when the file is opened. The file is locked while open (flock, on
// Unix), so two processes never share one. A File is safe for concurrent
// use by multiple goroutines.
type File struct {
	mu   sync.Mutex
	f    *os.File
	size int64    // bytes of whole lines
	recs []Record // live records, oldest first
}

var _ Journal = (*File)(nil)

// OpenFile opens the journal at path, creating it (mode 0600) when
// missing, and reads its records. It returns ErrLocked when another
// process has it open, and an error when a line other than the last is not
// a record.
func OpenFile(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	if err := lock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("outbox: %s: %w", path, err)
	}
	j := &File{f: f}
	if err := j.load(); err != nil {
		f.Close()
		return nil, fmt.Errorf("outbox: %s: %w", path, err)
	}
	return j, nil
}

// load reads the file, cutting off a torn last line.
func (j *File) load() error {
	b, err := io.ReadAll(j.f)
	if err != nil {
		return err
	}
	for n := 1; len(b) > 0; n++ {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break // torn: the crash came before the newline
		}
		var l line
		if err := json.Unmarshal(b[:i], &l); err != nil || l.Session == "" && l.User == "" {
			if i == len(b)-1 {
				break // the last line, written in part before a crash
			}
			return fmt.Errorf("line %d is not a record", n)
		}
		j.apply(l)
		j.size += int64(i + 1)
		b = b[i+1:]
	}
	if len(b) > 0 {
		if err := j.f.Truncate(j.size); err != nil {
			return err
		}
		if err := j.f.Sync(); err != nil {
			return err
		}
	}
	return nil
}

// apply adds or removes a record in memory.
func (j *File) apply(l line) {
	if !l.Del {
		j.recs = append(j.recs, l.record())
		return
	}
	l.Del = false
	for i, r := range j.recs {
		if r.key() == l {
			j.recs = append(j.recs[:i], j.recs[i+1:]...)
			break
		}
	}
}

// write appends lines and syncs; on failure it cuts the file back, so a
// later append does not follow a partial line.
func (j *File) write(ls []line) error {
	if j.f == nil {
		return errors.New("outbox: the journal is closed")
	}
	var b []byte
	for _, l := range ls {
		lb, err := json.Marshal(l)
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		b = append(append(b, lb...), '\n')
	}
	_, err := j.f.Write(b)
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		j.f.Truncate(j.size)
		return fmt.Errorf("outbox: writing the journal: %w", err)
	}
	j.size += int64(len(b))
	return nil
}

// Append writes r and syncs the file. ctx is not used: once the write has
// begun, it is finished.
func (j *File) Append(_ context.Context, r Record) error {
	if r.Session == "" && r.User == "" {
		return errors.New("outbox: a record needs a session or a user")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	l := r.key()
	if err := j.write([]line{l}); err != nil {
		return err
	}
	j.apply(l)
	return nil
}

// Records returns a copy of the live records.
func (j *File) Records(context.Context) ([]Record, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Record(nil), j.recs...), nil
}

// Remove writes a removal line for each of rs that is in the journal, or,
// when none would be left, truncates the file.
func (j *File) Remove(_ context.Context, rs []Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return errors.New("outbox: the journal is closed")
	}
	left := append([]Record(nil), j.recs...)
	var dels []line
	for _, r := range rs {
		k := r.key()
		for i, have := range left {
			if have.key() == k {
				left = append(left[:i], left[i+1:]...)
				k.Del = true
				dels = append(dels, k)
				break
			}
		}
	}
	if len(dels) == 0 {
		return nil
	}
	if len(left) == 0 {
		// Drained: compact to nothing.
		if err := j.f.Truncate(0); err != nil {
			return fmt.Errorf("outbox: truncating the journal: %w", err)
		}
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("outbox: truncating the journal: %w", err)
		}
		j.size, j.recs = 0, nil
		return nil
	}
	if err := j.write(dels); err != nil {
		return err
	}
	for _, l := range dels {
		j.apply(l)
	}
	return nil
}

// Close unlocks and closes the file.
func (j *File) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close() // closing releases the lock
	j.f = nil
	return err
}
