package authgo

import (
	"time"

	"github.com/authgo/authgo/internal/jsonw"
)

// SessionUser is the "user" object of a session. The default session has
// Name, Email and Image; a Session callback may fill ID and Extra. A
// Session's JSON writes the set fields, then Extra in key order; a
// SessionUser marshalled on its own leaves Extra out.
type SessionUser struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Image string `json:"image,omitempty"`
	// Extra members of the user object, written after the ones above.
	Extra map[string]any `json:"-"`
}

// appendJSON writes u as a Session's "user": the set fields, then Extra
// in key order.
func (u *SessionUser) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	var buf [4]string
	written := buf[:0]
	var err error
	for _, m := range [...]struct{ name, v string }{{"id", u.ID}, {"name", u.Name}, {"email", u.Email}, {"image", u.Image}} {
		if b, written, err = appendField(b, written, m.name, m.v, u.Extra); err != nil {
			return nil, err
		}
	}
	if b, err = jsonw.Extra(b, len(written) > 0, written, u.Extra); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendField appends a string member unless it is empty; an Extra value
// of the same name stands in for an empty one, in its place.
func appendField(b []byte, written []string, name, v string, extra map[string]any) ([]byte, []string, error) {
	x, fromExtra := extra[name]
	if v == "" && !fromExtra {
		return b, written, nil
	}
	if len(written) > 0 {
		b = append(b, ',')
	}
	b = append(jsonw.String(b, name), ':')
	if v != "" {
		return jsonw.String(b, v), append(written, name), nil
	}
	b, err := jsonw.Value(b, x)
	return b, append(written, name), err
}

// Session is what GET <base>/session returns and what [Auth.Session] gives
// server code: Auth.js's {"user":{…},"expires":"…"} plus whatever a Session
// callback adds in Extra.
type Session struct {
	User    *SessionUser
	Expires time.Time
	// Extra top-level members, e.g. {"accessToken": …} when a Session
	// callback chooses to expose one.
	Extra map[string]any
}

// MarshalJSON writes the session as Auth.js does; Expires in JavaScript's
// toISOString form. Extra members follow, in key order.
func (s Session) MarshalJSON() ([]byte, error) {
	return s.appendJSON(make([]byte, 0, 256))
}

func (s *Session) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	var buf [2]string
	written := buf[:0]
	var err error
	if s.User != nil {
		b = append(b, `"user":`...)
		if b, err = s.User.appendJSON(b); err != nil {
			return nil, err
		}
		written = append(written, "user")
	}
	if !s.Expires.IsZero() {
		if len(written) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"expires":"`...)
		b = append(s.Expires.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z"), '"')
		written = append(written, "expires")
	} else if b, written, err = appendField(b, written, "expires", "", s.Extra); err != nil {
		return nil, err
	}
	if b, err = jsonw.Extra(b, len(written) > 0, written, s.Extra); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}
