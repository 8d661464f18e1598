package themes

import (
	"errors"
	"fmt"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// ErrUnknownTheme is wrapped by the error [Resolve] returns when a name is
// neither a built-in theme nor a user theme file, so that callers can tell a
// typo on the command line from a broken theme file.
var ErrUnknownTheme = errors.New("unknown theme")

// AutoName is the theme name that, like the empty name, picks "dark" or
// "light" from the terminal background. It lets a --theme flag have a
// visible default.
const AutoName = "auto"

// Options says which theme [Resolve] should pick and where to look. The zero
// value picks "dark" or "light" automatically (assuming a dark terminal),
// honours NO_COLOR from the process environment and reads user themes from
// the XDG config directory.
type Options struct {
	// Name is the --theme flag: a built-in name, a user theme name,
	// [PlainName], or "" / [AutoName] for automatic.
	Name string
	// ConfigDir is kubedrift's configuration directory; user themes are read
	// from its themes/ subdirectory. "" means [DefaultConfigDir].
	ConfigDir string
	// Getenv reads environment variables (NO_COLOR, XDG_CONFIG_HOME, HOME).
	// nil means os.Getenv; tests pass a map lookup to stay hermetic.
	Getenv func(string) string
	// HasDarkBackground reports whether the terminal background is dark; the
	// ui passes lipgloss's background detection. nil means "assume dark",
	// the common case, so that nothing is queried in tests or pipes.
	HasDarkBackground func() bool
}

func (o Options) getenv(key string) string {
	if o.Getenv == nil {
		return os.Getenv(key)
	}
	return o.Getenv(key)
}

// auto returns the built-in theme matching the terminal background.
func (o Options) auto() Theme {
	if o.HasDarkBackground == nil || o.HasDarkBackground() {
		return dark()
	}
	return light()
}

// Resolve returns the theme chosen by opts, following the rules in the
// package documentation: NO_COLOR, then automatic, then [PlainName], then
// built-in names, then user theme files.
//
// NO_COLOR wins even over an explicit name so that one environment variable
// reliably turns colour off everywhere (CI logs, screen readers, scripts).
//
// Errors name the theme file involved and, for a bad entry, the role and the
// value; an unknown name lists the built-in themes and the directory searched.
func Resolve(opts Options) (Theme, error) {
	if opts.getenv("NO_COLOR") != "" {
		return Plain(), nil
	}
	name := strings.TrimSpace(opts.Name)
	switch strings.ToLower(name) {
	case "", AutoName:
		return opts.auto(), nil
	case PlainName:
		return Plain(), nil
	}
	if t, ok := Builtin(name); ok {
		return t, nil
	}
	return loadUserTheme(name, opts)
}

// DefaultConfigDir returns kubedrift's configuration directory:
// $XDG_CONFIG_HOME/kubedrift when XDG_CONFIG_HOME is an absolute path (the
// XDG spec says to ignore relative ones), else ~/.config/kubedrift. It uses
// ~/.config on every platform, like kubectl plugins and k9s, rather than
// os.UserConfigDir's per-OS locations, so documentation can give one path.
// getenv nil means os.Getenv.
func DefaultConfigDir(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if xdg := getenv("XDG_CONFIG_HOME"); xdg != "" && filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "kubedrift"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the kubedrift config directory: %w", err)
		}
		home = h
	}
	return filepath.Join(home, ".config", "kubedrift"), nil
}

// themeFileExts are tried in order; .yaml is the documented one, .yml is
// accepted because people write it by habit.
var themeFileExts = []string{".yaml", ".yml"}

// loadUserTheme finds <config dir>/themes/<name>.yaml and parses it.
func loadUserTheme(name string, opts Options) (Theme, error) {
	if !validThemeName(name) {
		return Theme{}, fmt.Errorf("%w %q: a theme name may contain only letters, digits, '-', '_' and '.', and may not start with '.'; built-in themes: %s",
			ErrUnknownTheme, name, strings.Join(Names(), ", "))
	}
	dir := opts.ConfigDir
	if dir == "" {
		d, err := DefaultConfigDir(opts.getenv)
		if err != nil {
			return Theme{}, fmt.Errorf("%w %q: not a built-in theme (%s), and %v",
				ErrUnknownTheme, name, strings.Join(Names(), ", "), err)
		}
		dir = d
	}
	themesDir := filepath.Join(dir, "themes")
	for _, ext := range themeFileExts {
		path := filepath.Join(themesDir, name+ext)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Theme{}, fmt.Errorf("theme file %s: %w", path, err)
		}
		return parseThemeFile(path, data, name, opts.auto())
	}
	return Theme{}, fmt.Errorf("%w %q: not a built-in theme (%s) and no file %s.yaml in %s",
		ErrUnknownTheme, name, strings.Join(Names(), ", "), name, themesDir)
}

// validThemeName keeps a theme name a plain file name, so that --theme cannot
// be used to read files outside the themes directory by accident ("../x").
func validThemeName(name string) bool {
	if name == "" || name[0] == '.' {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// themeFileFields are the top-level keys of a theme file.
var themeFileFields = []string{"name", "base", "colors"}

// parseThemeFile builds a theme from the contents of a theme file. path is
// used only in error messages; fallbackName is used when the file has no
// name:; autoBase is the base when the file has no base:.
//
// The file is decoded into generic values rather than a struct so that every
// mistake can be reported in the user's terms (role and value) instead of as
// a JSON type error, and so that all mistakes are reported at once.
func parseThemeFile(path string, data []byte, fallbackName string, autoBase Theme) (Theme, error) {
	fail := func(format string, args ...any) (Theme, error) {
		return Theme{}, fmt.Errorf("theme file %s: "+format, append([]any{path}, args...)...)
	}

	var doc any
	// Strict rejects duplicate keys, which would otherwise silently win.
	if err := yaml.UnmarshalStrict(data, &doc); err != nil {
		// sigs.k8s.io/yaml goes through JSON; that detail only confuses here.
		return fail("%s", strings.TrimPrefix(err.Error(), "error converting YAML to JSON: "))
	}
	if doc == nil { // empty file: the base theme under the file's name
		doc = map[string]any{}
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return fail("want a YAML mapping with %s, got %s", strings.Join(themeFileFields, ", "), describe(doc))
	}
	for _, k := range sortedKeys(top) {
		if !slices.Contains(themeFileFields, k) {
			return fail("unknown field %q (want %s)", k, strings.Join(themeFileFields, ", "))
		}
	}

	name := fallbackName
	if v, ok := top["name"]; ok {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return fail("name: want a non-empty string, got %s", describe(v))
		}
		name = strings.TrimSpace(s)
	}

	t := autoBase
	if v, ok := top["base"]; ok {
		s, _ := v.(string)
		if !strings.EqualFold(strings.TrimSpace(s), AutoName) {
			base, ok := Builtin(s)
			if !ok {
				return fail("base: %s is not a built-in theme (want %s or one of %s)",
					describe(v), AutoName, strings.Join(Names(), ", "))
			}
			t = base
		}
	}
	t.Name = name

	colors := map[string]any{}
	if v, ok := top["colors"]; ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return fail("colors: want a mapping of role to colour, got %s", describe(v))
		}
		colors = m
	}

	var problems []string
	seen := map[string]string{} // role name -> key as written, to catch "inSync" and "in-sync" together
	for _, key := range sortedKeys(colors) {
		value := colors[key]
		r, ok := lookupRole(key)
		if !ok {
			problems = append(problems, fmt.Sprintf("unknown role %q (value %s); known roles: %s",
				key, describe(value), strings.Join(RoleNames(), ", ")))
			continue
		}
		if prev, dup := seen[r.name]; dup {
			problems = append(problems, fmt.Sprintf("role %q is set twice, as %q and %q", r.name, prev, key))
			continue
		}
		seen[r.name] = key
		c, err := parseRoleColour(r.name, value)
		if err != nil {
			problems = append(problems, fmt.Sprintf("role %q: %v", key, err))
			continue
		}
		*r.field(&t) = c
	}
	if len(problems) > 0 {
		return fail("%s", strings.Join(problems, "; "))
	}
	return t, nil
}

// parseRoleColour turns one value from the colors: map into a colour. Only
// the background role may be "none" (nil): every other role must stay set so
// that the styles never lose a distinction the theme author did not intend to
// remove.
func parseRoleColour(roleName string, value any) (color.Color, error) {
	switch v := value.(type) {
	case nil:
		// The usual cause is `accent: #ff0000`, which YAML reads as an empty
		// value followed by a comment.
		return nil, errors.New(`no colour given; write it in quotes, e.g. "#ff8800", because an unquoted # starts a YAML comment`)
	case string:
		s := strings.TrimSpace(v)
		if strings.EqualFold(s, "none") {
			if roleName == backgroundRole {
				return nil, nil
			}
			return nil, fmt.Errorf(`invalid colour "none": only %s may be "none"`, backgroundRole)
		}
		c, err := parseHex(s)
		if err != nil {
			return nil, fmt.Errorf(`invalid colour %q: want "#rrggbb" or "#rgb"`, v)
		}
		return c, nil
	default:
		return nil, fmt.Errorf(`invalid colour %s: want a quoted "#rrggbb" or "#rgb"`, describe(v))
	}
}

// errBadHex is returned by parseHex; callers add the offending value.
var errBadHex = errors.New(`want "#rrggbb" or "#rgb"`)

// parseHex parses "#rrggbb" or "#rgb" (either case). Unlike lipgloss.Color,
// which silently returns "no colour" for bad input, it reports the mistake so
// that a typo in a theme file is an error rather than a missing colour.
func parseHex(s string) (color.Color, error) {
	if len(s) == 0 || s[0] != '#' {
		return nil, errBadHex
	}
	digits := s[1:]
	var v [6]byte
	switch len(digits) {
	case 3:
		for i := range 3 {
			d, ok := hexDigit(digits[i])
			if !ok {
				return nil, errBadHex
			}
			v[2*i], v[2*i+1] = d, d
		}
	case 6:
		for i := range 6 {
			d, ok := hexDigit(digits[i])
			if !ok {
				return nil, errBadHex
			}
			v[i] = d
		}
	default:
		return nil, errBadHex
	}
	return color.RGBA{R: v[0]<<4 | v[1], G: v[2]<<4 | v[3], B: v[4]<<4 | v[5], A: 0xff}, nil
}

func hexDigit(b byte) (byte, bool) {
	switch {
	case b >= '0' && b <= '9':
		return b - '0', true
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10, true
	case b >= 'A' && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}

// describe renders a decoded YAML value for an error message: strings quoted,
// other values with their kind, so "123456" and 123456 read differently.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "an empty value"
	case string:
		return fmt.Sprintf("%q", v)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case float64:
		return fmt.Sprintf("%v (a number)", v)
	case bool:
		return fmt.Sprintf("%v (a boolean)", v)
	default:
		return fmt.Sprintf("%v (%T)", v, v)
	}
}

// sortedKeys makes error messages deterministic despite map iteration order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
