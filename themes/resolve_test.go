package themes

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env returns a Getenv that sees only vars, so tests do not depend on the
// environment they run in (NO_COLOR in particular).
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func isDark() bool  { return true }
func isLight() bool { return false }

// writeTheme writes a user theme file under dir/themes and returns its path.
func writeTheme(t *testing.T, dir, file, content string) string {
	t.Helper()
	path := filepath.Join(dir, "themes", file)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustResolve(t *testing.T, opts Options) Theme {
	t.Helper()
	th, err := Resolve(opts)
	if err != nil {
		t.Fatalf("Resolve(%+v): %v", opts, err)
	}
	return th
}

func TestResolveNoColorWins(t *testing.T) {
	dir := t.TempDir()
	writeTheme(t, dir, "mine.yaml", "colors: {accent: \"#f00\"}\n")
	for _, name := range []string{"", "auto", "dark", "dracula", "mine", "does-not-exist", "../bad"} {
		th, err := Resolve(Options{
			Name:      name,
			ConfigDir: dir,
			Getenv:    env(map[string]string{"NO_COLOR": "1"}),
		})
		if err != nil {
			t.Errorf("NO_COLOR with name %q: %v", name, err)
			continue
		}
		if th != Plain() {
			t.Errorf("NO_COLOR with name %q gave %q, want plain", name, th.Name)
		}
	}
	// Present but empty does not count (no-color.org).
	th := mustResolve(t, Options{Getenv: env(map[string]string{"NO_COLOR": ""})})
	if th.Name != "dark" {
		t.Errorf("empty NO_COLOR gave %q, want dark", th.Name)
	}
}

func TestResolveAutoAndBuiltins(t *testing.T) {
	noEnv := env(nil)
	cases := []struct {
		opts Options
		want string
	}{
		{Options{Getenv: noEnv}, "dark"}, // nil HasDarkBackground: assume dark
		{Options{Getenv: noEnv, HasDarkBackground: isDark}, "dark"},
		{Options{Getenv: noEnv, HasDarkBackground: isLight}, "light"},
		{Options{Name: "auto", Getenv: noEnv, HasDarkBackground: isLight}, "light"},
		{Options{Name: "dracula", Getenv: noEnv, HasDarkBackground: isLight}, "dracula"},
		{Options{Name: " Catppuccin-Mocha ", Getenv: noEnv}, "catppuccin-mocha"},
		{Options{Name: "high-contrast", Getenv: noEnv}, "high-contrast"},
		{Options{Name: "none", Getenv: noEnv}, PlainName},
	}
	for _, c := range cases {
		if got := mustResolve(t, c.opts).Name; got != c.want {
			t.Errorf("Resolve(name %q) = %q, want %q", c.opts.Name, got, c.want)
		}
	}
}

func TestResolveUserThemeWithBaseAndOverrides(t *testing.T) {
	dir := t.TempDir()
	writeTheme(t, dir, "mine.yaml", `
# a comment
name: My Theme
base: light
colors:
  accent: "#f80"
  in-sync: "#00FF00"
  diffAdd: '#123456'
  background: none
`)
	th := mustResolve(t, Options{Name: "mine", ConfigDir: dir, Getenv: env(nil), HasDarkBackground: isDark})
	light, _ := Builtin("light")

	if th.Name != "My Theme" {
		t.Errorf("Name = %q, want the file's name:", th.Name)
	}
	if want := mustHex("#ff8800"); th.Accent != want {
		t.Errorf("Accent = %v, want %v", th.Accent, want)
	}
	if want := mustHex("#00ff00"); th.InSync != want {
		t.Errorf("InSync = %v, want %v", th.InSync, want)
	}
	if want := mustHex("#123456"); th.DiffAdd != want {
		t.Errorf("DiffAdd = %v, want %v", th.DiffAdd, want)
	}
	if th.Background != nil {
		t.Errorf("Background = %v, want nil (none)", th.Background)
	}
	// Everything not overridden comes from the base, not from auto (dark).
	if th.Drifted != light.Drifted || th.Foreground != light.Foreground {
		t.Errorf("roles not overridden should come from base light")
	}
}

func TestResolveUserThemeDefaults(t *testing.T) {
	dir := t.TempDir()
	writeTheme(t, dir, "partial.yml", "colors:\n  background: \"#1e1e2e\"\n")
	th := mustResolve(t, Options{Name: "partial", ConfigDir: dir, Getenv: env(nil), HasDarkBackground: isLight})
	light, _ := Builtin("light")
	if th.Name != "partial" {
		t.Errorf("Name = %q, want the file name when name: is absent", th.Name)
	}
	if th.Foreground != light.Foreground {
		t.Error("without base:, roles should come from the automatic choice (light here)")
	}
	if th.Background != mustHex("#1e1e2e") {
		t.Errorf("Background = %v", th.Background)
	}

	// An empty file is the automatic base under the file's name.
	writeTheme(t, dir, "empty.yaml", "")
	th = mustResolve(t, Options{Name: "empty", ConfigDir: dir, Getenv: env(nil)})
	if th.Name != "empty" || th.Foreground != dark().Foreground {
		t.Errorf("empty file gave %q with foreground %v", th.Name, th.Foreground)
	}
}

func TestResolveDefaultConfigDir(t *testing.T) {
	xdg := t.TempDir()
	writeTheme(t, filepath.Join(xdg, "kubedrift"), "x.yaml", "base: dracula\n")
	th := mustResolve(t, Options{Name: "x", Getenv: env(map[string]string{"XDG_CONFIG_HOME": xdg})})
	if th.Accent != mustHex("#bd93f9") {
		t.Errorf("theme from $XDG_CONFIG_HOME not loaded: %+v", th)
	}

	home := t.TempDir()
	writeTheme(t, filepath.Join(home, ".config", "kubedrift"), "y.yaml", "base: light\n")
	th = mustResolve(t, Options{Name: "y", Getenv: env(map[string]string{"HOME": home})})
	if th.Foreground != light().Foreground {
		t.Errorf("theme from ~/.config not loaded: %+v", th)
	}
}

func TestDefaultConfigDir(t *testing.T) {
	cases := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"XDG_CONFIG_HOME": "/xdg", "HOME": "/home/u"}, filepath.Join("/xdg", "kubedrift")},
		{map[string]string{"XDG_CONFIG_HOME": "relative", "HOME": "/home/u"}, filepath.Join("/home/u", ".config", "kubedrift")},
		{map[string]string{"HOME": "/home/u"}, filepath.Join("/home/u", ".config", "kubedrift")},
	}
	for _, c := range cases {
		got, err := DefaultConfigDir(env(c.vars))
		if err != nil || got != c.want {
			t.Errorf("DefaultConfigDir(%v) = %q, %v; want %q", c.vars, got, err, c.want)
		}
	}
}

func TestResolveUnknownTheme(t *testing.T) {
	dir := t.TempDir()
	_, err := Resolve(Options{Name: "nope", ConfigDir: dir, Getenv: env(nil)})
	if err == nil {
		t.Fatal("want an error for an unknown theme")
	}
	if !errors.Is(err, ErrUnknownTheme) {
		t.Errorf("error does not wrap ErrUnknownTheme: %v", err)
	}
	msg := err.Error()
	for _, want := range append(Names(), `"nope"`, filepath.Join(dir, "themes"), "nope.yaml") {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}

	// Names that are not plain file names are refused before touching disk.
	for _, bad := range []string{"../nope", "a/b", ".hidden", `a\b`} {
		_, err := Resolve(Options{Name: bad, ConfigDir: dir, Getenv: env(nil)})
		if !errors.Is(err, ErrUnknownTheme) || !strings.Contains(err.Error(), "dark") {
			t.Errorf("Resolve(%q) = %v, want ErrUnknownTheme listing built-ins", bad, err)
		}
	}
}

func TestResolveBadThemeFiles(t *testing.T) {
	cases := []struct {
		name    string
		content string
		want    []string // substrings the error must contain, besides the path
	}{
		{"bad hex", "colors:\n  accent: \"#12345\"\n", []string{`role "accent"`, `"#12345"`, "#rrggbb"}},
		{"not hex", "colors:\n  drifted: orange\n", []string{`role "drifted"`, `"orange"`}},
		{"unknown role", "colors:\n  drifed: \"#fff\"\n", []string{`unknown role "drifed"`, `"#fff"`, "drifted"}},
		{"unquoted hash", "colors:\n  accent: #ff0000\n", []string{`role "accent"`, "quotes"}},
		{"number", "colors:\n  accent: 123456\n", []string{`role "accent"`, "123456 (a number)"}},
		{"none for a role other than background", "colors:\n  accent: none\n", []string{`role "accent"`, `"none"`, "background"}},
		{"two problems at once", "colors:\n  accent: \"#xyz\"\n  bogus: \"#fff\"\n", []string{`role "accent"`, `"#xyz"`, `unknown role "bogus"`}},
		{"same role twice", "colors:\n  inSync: \"#fff\"\n  in-sync: \"#000\"\n", []string{`"inSync"`, `"in-sync"`, "twice"}},
		{"unknown base", "base: solarized\n", []string{"base", `"solarized"`, "dracula"}},
		{"unknown field", "colours:\n  accent: \"#fff\"\n", []string{`unknown field "colours"`, "colors"}},
		{"colors not a map", "colors: [\"#fff\"]\n", []string{"colors", "a list"}},
		{"name not a string", "name: [a]\n", []string{"name", "a list"}},
		{"not a mapping", "- a\n- b\n", []string{"mapping"}},
		{"bad YAML", "colors: {accent: \"#fff\"\n", nil},
		{"duplicate key", "colors:\n  accent: \"#fff\"\n  accent: \"#000\"\n", []string{"accent"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeTheme(t, dir, "broken.yaml", c.content)
			th, err := Resolve(Options{Name: "broken", ConfigDir: dir, Getenv: env(nil)})
			if err == nil {
				t.Fatalf("want an error, got theme %+v", th)
			}
			if errors.Is(err, ErrUnknownTheme) {
				t.Errorf("a broken file is not an unknown theme: %v", err)
			}
			msg := err.Error()
			for _, want := range append([]string{path}, c.want...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func TestResolveUnreadableThemeFile(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be: reading fails with something
	// other than "not exist", and the error must name the path.
	path := filepath.Join(dir, "themes", "odd.yaml")
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(Options{Name: "odd", ConfigDir: dir, Getenv: env(nil)})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Resolve = %v, want an error naming %s", err, path)
	}
}

// TestPackageDocExample keeps the example in the package documentation valid.
func TestPackageDocExample(t *testing.T) {
	dir := t.TempDir()
	writeTheme(t, dir, "mine.yaml", `
# ~/.config/kubedrift/themes/mine.yaml
name: mine
base: dracula            # optional; default: dark or light, like "auto"
colors:
  accent: "#ff79c6"      # quote colours: an unquoted # starts a YAML comment
  drifted: "#fa0"
  background: none       # only background may be "none" (terminal default)
`)
	th := mustResolve(t, Options{Name: "mine", ConfigDir: dir, Getenv: env(nil)})
	if th.Name != "mine" || th.Accent != mustHex("#ff79c6") || th.Drifted != mustHex("#ffaa00") || th.InSync != dracula().InSync {
		t.Errorf("doc example gave %+v", th)
	}
}
