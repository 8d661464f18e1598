package themes

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
)

// sgrParams returns the parameters of every SGR sequence (ESC [ ... m) in s.
// lipgloss v2's Style.Render always emits full SGR sequences (24-bit colours
// as 38;2;r;g;b); downsampling happens later, when Bubble Tea writes to the
// terminal, so the rendered string shows exactly what a style asks for.
func sgrParams(s string) [][]string {
	var out [][]string
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return out
		}
		s = s[i+2:]
		j := strings.IndexByte(s, 'm')
		if j < 0 {
			return out
		}
		out = append(out, strings.FieldsFunc(s[:j], func(r rune) bool { return r == ';' || r == ':' }))
		s = s[j+1:]
	}
}

// hasColourSGR reports whether s sets a foreground, background or underline
// colour: SGR 30-49 (incl. 38/48 extended), 58/59 and the bright 90-107.
func hasColourSGR(s string) bool {
	for _, params := range sgrParams(s) {
		for _, p := range params {
			n, err := strconv.Atoi(p)
			if err != nil {
				continue
			}
			switch {
			case n >= 30 && n <= 49, n == 58, n == 59, n >= 90 && n <= 107:
				return true
			}
		}
	}
	return false
}

func hasSGR(s string, code string) bool {
	for _, params := range sgrParams(s) {
		for _, p := range params {
			if p == code {
				return true
			}
		}
	}
	return false
}

// allStyles lists every lipgloss.Style in Styles, including the nested
// status styles, by field path, so that a new field is covered automatically.
func allStyles(s Styles) map[string]lipgloss.Style {
	out := map[string]lipgloss.Style{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			name := prefix + v.Type().Field(i).Name
			switch f := v.Field(i).Interface().(type) {
			case lipgloss.Style:
				out[name] = f
			case StatusStyles:
				walk(name+".", v.Field(i))
			}
		}
	}
	walk("", reflect.ValueOf(s))
	return out
}

func TestHasColourSGR(t *testing.T) {
	// The checker itself must see colours where there are some.
	colour := lipgloss.NewStyle().Foreground(mustHex("#ff0000")).Render("x")
	if !hasColourSGR(colour) {
		t.Fatalf("hasColourSGR(%q) = false", colour)
	}
	basic := lipgloss.NewStyle().Background(lipgloss.Red).Render("x")
	if !hasColourSGR(basic) {
		t.Fatalf("hasColourSGR(%q) = false", basic)
	}
	if plain := lipgloss.NewStyle().Bold(true).Reverse(true).Render("x"); hasColourSGR(plain) {
		t.Fatalf("hasColourSGR(%q) = true", plain)
	}
}

func TestNoColorStylesHaveNoColour(t *testing.T) {
	s := NoColorStyles()
	styles := allStyles(s)
	if len(styles) < 25 {
		t.Fatalf("found only %d styles; is allStyles walking Styles?", len(styles))
	}
	for name, st := range styles {
		if out := st.Render("text"); hasColourSGR(out) {
			t.Errorf("plain %s renders colour: %q", name, out)
		}
	}
	for _, status := range []string{"in sync", "drifted", "missing", "unmanaged", "error"} {
		if out := s.SelectedStatusStyle(status).Render("x"); hasColourSGR(out) {
			t.Errorf("plain SelectedStatusStyle(%q) renders colour: %q", status, out)
		}
	}
	// The cursor must stay visible without colour.
	if out := s.SelectedRow.Render("row"); !hasSGR(out, "7") {
		t.Errorf("plain SelectedRow %q is not reverse video", out)
	}
	// NO_COLOR through Resolve gives the same styles.
	th := mustResolve(t, Options{Name: "dracula", Getenv: env(map[string]string{"NO_COLOR": "yes"})})
	if got, want := th.Styles().SelectedRow.Render("x"), s.SelectedRow.Render("x"); got != want {
		t.Errorf("NO_COLOR styles differ from NoColorStyles: %q vs %q", got, want)
	}
}

// TestBuiltinStylesAreColoured catches a Styles field that Theme.Styles
// forgets to colour.
func TestBuiltinStylesAreColoured(t *testing.T) {
	for _, name := range Names() {
		th, _ := Builtin(name)
		for field, st := range allStyles(th.Styles()) {
			if out := st.Render("text"); !hasColourSGR(out) {
				t.Errorf("%s: %s renders without colour: %q", name, field, out)
			}
		}
	}
}

func TestBackgroundIsPaintedEverywhere(t *testing.T) {
	th := dark()
	th.Background = mustHex("#1e1e2e")
	const bg = "48;2;30;30;46"
	for field, st := range allStyles(th.Styles()) {
		if field == "SelectedRow" {
			continue // has the selection background instead
		}
		if out := st.Render("text"); !strings.Contains(out, bg) {
			t.Errorf("%s does not paint the background: %q", field, out)
		}
	}
}

func TestStatusStyle(t *testing.T) {
	s := dark().Styles()
	cases := map[string]lipgloss.Style{
		"in sync":   s.Status.InSync,
		"InSync":    s.Status.InSync,
		"in-sync":   s.Status.InSync,
		"drifted":   s.Status.Drifted,
		"Drifted":   s.Status.Drifted,
		"missing":   s.Status.Missing,
		"unmanaged": s.Status.Unmanaged,
		"error":     s.Status.Error,
		"ERROR":     s.Status.Error,
		"whatever":  s.Row,
	}
	for name, want := range cases {
		if got := s.StatusStyle(name).Render("x"); got != want.Render("x") {
			t.Errorf("StatusStyle(%q) renders %q, want %q", name, got, want.Render("x"))
		}
	}
	// The five statuses look different from each other in a coloured theme.
	seen := map[string]string{}
	for _, name := range []string{"in sync", "drifted", "missing", "unmanaged", "error"} {
		out := s.StatusStyle(name).Render("x")
		if prev, dup := seen[out]; dup {
			t.Errorf("statuses %q and %q render the same", prev, name)
		}
		seen[out] = name
	}
}

func TestSelectedStatusStyleKeepsSelectionBackground(t *testing.T) {
	s := dark().Styles()
	out := s.SelectedStatusStyle("drifted").Render("x")
	if !strings.Contains(out, "48;2;38;79;120") { // dark Selection #264f78
		t.Errorf("selected status %q lacks the selection background", out)
	}
	if !strings.Contains(out, "38;2;210;153;34") { // dark Drifted #d29922
		t.Errorf("selected status %q lost the status colour", out)
	}
}
