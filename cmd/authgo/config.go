package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// The configuration file (--config FILE, AUTH_CONFIG) is TOML with one
// key per flag and per variable, all at the top level. The keys come from
// serveSettings by one rule (fileKey): a flag's name, and for a variable
// only the environment sets, its name without AUTH_, in lower case, with
// "-" for "_" (AUTH_GITHUB_ID: github-id). A flag beats its variable,
// which beats the file, which beats the default.

// configSetting is the flag that names the configuration file; it has no
// key in the file (a file does not name another one).
const configSetting = "config"

// maxConfigSize bounds the configuration file read.
const maxConfigSize = 1 << 20

// fileKey is one key of the configuration file: a flag (flag != "",
// env its variable if it has exactly one) or a variable only the
// environment sets (flag == "").
type fileKey struct {
	key  string
	flag string
	env  string
	s    setting
}

// envKey is the file's key for a variable: AUTH_GITHUB_ID is github-id.
func envKey(name string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, "AUTH_")), "_", "-")
}

// fileKeys lists the keys of the configuration file, in the table's order.
func fileKeys() []fileKey {
	var keys []fileKey
	for _, s := range serveSettings {
		if s.flag == configSetting {
			continue
		}
		envs := s.env
		if s.flag != "" {
			k := fileKey{key: s.flag, flag: s.flag, s: s}
			if len(s.env) == 1 {
				// applyEnv gives the flag its variable's value.
				k.env, envs = s.env[0], nil
			}
			keys = append(keys, k)
		}
		for _, e := range envs {
			keys = append(keys, fileKey{key: envKey(e), env: e, s: s})
		}
	}
	return keys
}

// settingKeys are the file keys of s, as the README shows them.
func settingKeys(s setting) []string {
	var out []string
	for _, k := range fileKeys() {
		if k.s.flag == s.flag && slices.Equal(k.s.env, s.env) {
			out = append(out, k.key)
		}
	}
	return out
}

// secretName reports whether a flag or variable holds a secret that
// config check masks: its name says SECRET or PASSWORD.
func secretName(name string) bool {
	n := strings.ToUpper(name)
	return strings.Contains(n, "SECRET") || strings.Contains(n, "PASSWORD")
}

// showValue is v as config check and error messages show it: a secret
// masked, a URL without its password.
func showValue(k fileKey, v string) string {
	if v == "" {
		return v
	}
	if secretName(k.key) || secretName(k.env) {
		return "********"
	}
	if strings.Contains(v, "://") {
		if shown, secrets := redactURL(v); len(secrets) > 0 {
			return shown
		}
	}
	// A key=value connection string, which --db refuses, but shown first.
	return keywordPassword.ReplaceAllString(v, "${1}xxxxx")
}

// keywordPassword is the password of a key=value connection string.
var keywordPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// fileValue is a key's value as read from the file: the text a flag's
// Set or a variable takes (one per element for an array).
type fileValue struct {
	line  int
	items []string
}

// configFile is a parsed configuration file.
type configFile struct {
	path    string
	values  map[string]fileValue // by key
	secrets bool                 // whether it sets a secret
}

// defaultValue is the default of k as the table shows it: a setting's
// default, split between its variables when it lists one per variable
// ("accessToken, refreshToken, expiresIn"); false for a boolean flag.
func (k fileKey) defaultValue() string {
	def := k.s.def
	if k.flag == "" && len(k.s.env) > 1 {
		parts := strings.Split(def, ", ")
		if len(parts) != len(k.s.env) {
			if k.env != k.s.env[0] {
				return ""
			}
			return def
		}
		return parts[slices.Index(k.s.env, k.env)]
	}
	if def == "" && k.kind() == kindBool {
		return "false"
	}
	return def
}

// valueKind says what TOML type a key takes.
type valueKind int

const (
	kindString   valueKind = iota // a string
	kindBool                      // true or false
	kindList                      // an array of strings (a repeatable flag)
	kindDuration                  // seconds or a duration string
	kindText                      // a string, number or boolean, as the variable holds it
)

func (k fileKey) kind() valueKind {
	if k.flag == "" {
		return kindText
	}
	if k.s.repeat {
		return kindList
	}
	var o serveOptions
	switch p := k.s.value(&o).(type) {
	case *string:
		return kindString
	case *bool:
		return kindBool
	case *durationFlag:
		return kindDuration
	case interface{ IsBoolFlag() bool }:
		if p.IsBoolFlag() {
			return kindBool
		}
	}
	return kindText
}

// readConfigFile reads and checks the TOML file at path: every key known,
// every value of its key's type. Errors name the file and line.
func readConfigFile(path string) (*configFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("--config %s: %w", path, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("--config %s: larger than %d KiB", path, maxConfigSize>>10)
	}

	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, fmt.Errorf("%s:%d:%d: %s", path, line, col, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lines := topLevelLines(data)

	known := map[string]fileKey{}
	var names []string
	for _, k := range fileKeys() {
		known[k.key] = k
		names = append(names, k.key)
	}
	cf := &configFile{path: path, values: map[string]fileValue{}}
	type lineErr struct {
		line int
		err  error
	}
	var errs []lineErr
	for name, v := range doc {
		line := lines[name]
		k, ok := known[name]
		if !ok {
			msg := fmt.Sprintf("%s:%d: unknown key %q", path, line, name)
			if near := nearest(name, names); near != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", near)
			}
			if _, isTable := v.(map[string]any); isTable {
				msg += ": every key is at the top level, no [table] holds them"
			}
			errs = append(errs, lineErr{line, errors.New(msg)})
			continue
		}
		items, err := k.text(v)
		if err != nil {
			errs = append(errs, lineErr{line, fmt.Errorf("%s:%d: %s: %v", path, line, name, err)})
			continue
		}
		if k.kind() != kindList && len(items) == 1 && items[0] == "" {
			// An empty string is unset, as an empty variable is (applyEnv):
			// brand = "" keeps the default, secret = "" leaves the
			// environment's, and neither counts as set by the file.
			continue
		}
		cf.values[name] = fileValue{line: line, items: items}
		if secretName(k.key) || secretName(k.env) {
			cf.secrets = true
		}
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b lineErr) int { return a.line - b.line })
		var all []error
		for _, e := range errs {
			all = append(all, e.err)
		}
		return nil, errors.Join(all...)
	}
	return cf, nil
}

// topLevelLines maps each top-level name of the document (the first part
// of a dotted key, or a table's name) to the line it first appears on.
func topLevelLines(data []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	inTable := false
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			inTable = true
		case unstable.KeyValue:
			if inTable {
				continue
			}
		default:
			continue
		}
		it := e.Key()
		if !it.Next() {
			continue
		}
		k := it.Node()
		name := string(k.Data)
		if _, seen := lines[name]; !seen {
			lines[name] = p.Shape(k.Raw).Start.Line
		}
	}
	return lines
}

// text checks v's TOML type against k's and returns the text (one per
// element of an array) the flag or variable takes.
func (k fileKey) text(v any) ([]string, error) {
	kind := k.kind()
	switch kind {
	case kindList:
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("want an array of strings, got %s (%s = [\"…\"])", tomlType(v), k.key)
		}
		var out []string
		for i, e := range arr {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %d: want a string, got %s", i+1, tomlType(e))
			}
			out = append(out, s)
		}
		return out, nil
	case kindBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want true or false, got %s", tomlType(v))
		}
		return []string{strconv.FormatBool(b)}, nil
	case kindDuration:
		switch d := v.(type) {
		case int64:
			return []string{strconv.FormatInt(d, 10)}, nil
		case string:
			return []string{d}, nil
		}
		return nil, fmt.Errorf("want seconds (2592000) or a duration string (\"720h\"), got %s", tomlType(v))
	case kindString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s (%s = \"…\")", tomlType(v), k.key)
		}
		return []string{s}, nil
	}
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case bool:
		return []string{strconv.FormatBool(t)}, nil
	case int64:
		return []string{strconv.FormatInt(t, 10)}, nil
	case float64:
		return []string{strconv.FormatFloat(t, 'f', -1, 64)}, nil
	}
	return nil, fmt.Errorf("want a string, got %s (%s = \"…\")", tomlType(v), k.key)
}

// tomlType names the TOML type of a decoded value.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date-time"
	}
	return "a date or time"
}

// nearest is the name in names closest to s, if it is close enough to be
// a likely typo, or the key of a variable's name (AUTH_URL: url).
func nearest(s string, names []string) string {
	if strings.HasPrefix(strings.ToUpper(s), "AUTH_") {
		if k := envKey(strings.ToUpper(s)); slices.Contains(names, k) {
			return k
		}
	}
	s = strings.ReplaceAll(strings.ToLower(s), "_", "-")
	best, bestD := "", len(s)/3+2
	for _, n := range names {
		if d := editDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// origin is where a setting's value came from.
type origin struct {
	from string // "flag", "env", "file" or "default"
	name string // the flag, variable or file:line
}

func (o origin) String() string {
	if o.name == "" {
		return o.from
	}
	return o.from + " " + o.name
}

// loaded is serve's configuration after the flags, the environment and
// the file: where each key's value came from, and the environment as
// serve reads it (a variable, else the file's value for it).
type loaded struct {
	file    *configFile
	fs      *flag.FlagSet
	envFn   func(string) string
	fileEnv map[string]string // variables the file sets
	origins map[string]origin // by key
}

// getenv is the environment serve reads: the real variable, or when it is
// unset or empty, the file's value for it.
func (l *loaded) getenv(name string) string {
	if v := l.envFn(name); v != "" {
		return v
	}
	return l.fileEnv[name]
}

// loadSettings applies the environment and then the configuration file
// (--config, or AUTH_CONFIG) to fs, whose command line is parsed: a flag
// beats its variable, which beats the file.
func loadSettings(fs *flag.FlagSet, getenv func(string) string) (*loaded, error) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if err := applyEnv(fs, getenv); err != nil {
		return nil, err
	}
	fromEnv := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { fromEnv[f.Name] = !given[f.Name] })

	l := &loaded{fs: fs, envFn: getenv, fileEnv: map[string]string{}, origins: map[string]origin{}}
	if f := fs.Lookup(configSetting); f != nil && f.Value.String() != "" {
		cf, err := readConfigFile(f.Value.String())
		if err != nil {
			return nil, err
		}
		l.file = cf
	}
	for _, k := range fileKeys() {
		switch {
		case k.flag != "" && given[k.flag]:
			l.origins[k.key] = origin{"flag", "--" + k.flag}
			continue
		case k.flag != "" && fromEnv[k.flag]:
			l.origins[k.key] = origin{"env", k.env}
			continue
		case k.flag == "" && getenv(k.env) != "":
			l.origins[k.key] = origin{"env", k.env}
			continue
		}
		fv, ok := fileValue{}, false
		if l.file != nil {
			fv, ok = l.file.values[k.key]
		}
		if !ok {
			if k.defaultValue() != "" {
				l.origins[k.key] = origin{from: "default"}
			}
			continue
		}
		where := fmt.Sprintf("%s:%d", l.file.path, fv.line)
		l.origins[k.key] = origin{"file", where}
		if k.flag == "" {
			l.fileEnv[k.env] = fv.items[0]
			continue
		}
		for _, v := range fv.items {
			if err := fs.Set(k.flag, v); err != nil {
				return nil, fmt.Errorf("%s: %s = %q: %v", where, k.key, showValue(k, v), err)
			}
		}
	}
	return l, nil
}

// annotate adds to an error message that names a flag or variable where
// its value came from, when that is not the command line: the variable
// for a flag, the file's line for a key.
func (l *loaded) annotate(msg string) string {
	var notes []string
	for _, k := range fileKeys() {
		o, ok := l.origins[k.key]
		if !ok || o.from == "flag" || o.from == "default" || (o.from == "env" && k.flag == "") {
			continue
		}
		name := k.env
		if k.flag != "" {
			name = "--" + k.flag
		}
		if !mentions(msg, name) {
			continue
		}
		by := o.name
		if o.from == "file" {
			by = k.key + " at " + o.name
		}
		notes = append(notes, name+" set by "+by)
	}
	if len(notes) == 0 {
		return msg
	}
	if len(notes) == 1 {
		_, by, _ := strings.Cut(notes[0], " set by ")
		return msg + " (set by " + by + ")"
	}
	return msg + " (" + strings.Join(notes, "; ") + ")"
}

// mentions reports whether msg names name as a whole word.
func mentions(msg, name string) bool {
	for i := 0; ; {
		j := strings.Index(msg[i:], name)
		if j < 0 {
			return false
		}
		end := i + j + len(name)
		if end == len(msg) || !isNameByte(msg[end]) {
			if start := i + j; start == 0 || !isNameByte(msg[start-1]) || strings.HasPrefix(name, "--") {
				return true
			}
		}
		i = end
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// cli returns a copy of c that reads the environment through l (the file
// fills in unset variables) and says in error messages where a setting
// came from.
func (l *loaded) cli(c *cli) *cli {
	cc := *c
	cc.getenv = l.getenv
	cc.annotate = l.annotate
	return &cc
}

// useConfigFile gives a command other than serve (migrate, user …) serve's
// configuration file, from --config or AUTH_CONFIG, so that it works on
// the database serve uses: the file's data and db apply under the
// command's flags and AUTH_DATABASE_URL, and its other keys stand for
// their variables (redis-url for AUTH_REDIS_URL, session-store for
// AUTH_SESSION_STORE) under the environment. c reads them from then on.
func (c *cli) useConfigFile(d *dataFlags) error {
	if !d.command || d.configRead {
		return nil
	}
	d.configRead = true
	path := d.config
	if path == "" {
		path = c.getenv("AUTH_CONFIG")
	}
	if path == "" {
		return nil
	}
	cf, err := readConfigFile(path)
	if err != nil {
		return err
	}
	if v, ok := cf.values["data"]; ok && !d.dirGiven {
		d.dir = v.items[0]
	}
	if v, ok := cf.values["db"]; ok && d.db == "" && c.getenv("AUTH_DATABASE_URL") == "" {
		d.db = v.items[0]
	}
	fileEnv := map[string]string{}
	for _, k := range fileKeys() {
		if v, ok := cf.values[k.key]; ok && k.env != "" && len(v.items) == 1 {
			fileEnv[k.env] = v.items[0]
		}
	}
	// The environment as serve reads it (loaded.getenv): a variable, else
	// the file's value for it.
	c.getenv = (&loaded{envFn: c.getenv, fileEnv: fileEnv}).getenv
	return nil
}
