// Package themes names the colours of the kubedrift terminal UI by the role
// they play (in-sync status, added diff line, YAML key, ...) rather than by
// hue, ships a handful of built-in themes, loads user themes from YAML files,
// and turns a theme into ready-made lipgloss styles.
//
// Naming colours by role keeps the ui package free of colour decisions: the
// ui asks for "the drifted style", never for "yellow", so a theme (or the
// NO_COLOR convention) can change every colour in one place without touching
// rendering code.
//
// Colours are plain [color.Color] values, which is what lipgloss v2 takes.
// Built-in themes are written in 24-bit hex; Bubble Tea v2 downsamples them
// to whatever the terminal supports (256, 16 colours or none) when it writes
// its output, so this package never needs to know the terminal's profile.
//
// # Choosing a theme
//
// [Resolve] applies these rules, in order:
//
//  1. NO_COLOR set to any non-empty value (https://no-color.org): [Plain].
//  2. An empty name or "auto": "dark" or "light", following the terminal
//     background reported by [Options.HasDarkBackground].
//  3. "none": [Plain].
//  4. The name of a built-in theme (see [Names]): that theme.
//  5. Otherwise the user theme file <config dir>/themes/<name>.yaml (or .yml).
//
// # User theme files
//
// A user theme starts from a built-in theme (its base) and overrides some
// roles with hex colours:
//
//	# ~/.config/kubedrift/themes/mine.yaml
//	name: mine
//	base: dracula            # optional; default: dark or light, like "auto"
//	colors:
//	  accent: "#ff79c6"      # quote colours: an unquoted # starts a YAML comment
//	  drifted: "#fa0"
//	  background: none       # only background may be "none" (terminal default)
//
// Role names are those returned by [RoleNames]; they are matched ignoring
// case, '-' and '_', so "inSync", "in-sync" and "in_sync" are the same role.
package themes

import (
	"image/color"
	"slices"
	"strings"
)

// Theme is a set of colours, one per role the UI draws. Every role except
// Background is set in the built-in themes; Background is nil in all of them
// so the terminal's own background shows through (see Background).
//
// A nil colour means "no colour": styles built from the theme leave that
// attribute to the terminal. [Plain] is the theme where every colour is nil.
type Theme struct {
	// Name is how the theme is chosen on the command line and shown in the
	// UI, e.g. "dark" or the name: field of a user theme file.
	Name string

	// Foreground is ordinary text: object names, table cells.
	Foreground color.Color
	// Muted is secondary text: namespaces, ages, help descriptions, hints.
	Muted color.Color
	// Background is painted behind every style when set. It is nil (use the
	// terminal's background) in every built-in theme because a partly painted
	// screen looks worse than an unpainted one; a user theme can set it.
	Background color.Color
	// Accent draws the eye to where the user is: the cursor marker, the
	// title, help keys and the focused pane's border.
	Accent color.Color
	// Selection is the background of the selected row.
	Selection color.Color
	// SelectionForeground is the text colour on top of Selection.
	SelectionForeground color.Color
	// Border is the colour of pane borders and separators.
	Border color.Color
	// Header is the colour of table column headers and section headings.
	Header color.Color

	// InSync marks objects whose live state matches the desired state.
	InSync color.Color
	// Drifted marks objects whose live state differs from the desired state.
	Drifted color.Color
	// Missing marks objects that are desired but absent from the cluster.
	Missing color.Color
	// Unmanaged marks live objects that carry our selector but are not desired.
	Unmanaged color.Color
	// Error marks objects that could not be compared, and error messages.
	Error color.Color
	// Warning marks messages that need attention but are not failures.
	Warning color.Color

	// DiffAdd colours diff lines present only in the new (desired) side.
	DiffAdd color.Color
	// DiffRemove colours diff lines present only in the old (live) side.
	DiffRemove color.Color
	// DiffHunk colours hunk headers ("@@ -1,4 +1,5 @@").
	DiffHunk color.Color
	// DiffContext colours unchanged diff lines shown for context.
	DiffContext color.Color

	// YAMLKey colours mapping keys in YAML views.
	YAMLKey color.Color
	// YAMLString colours string scalars.
	YAMLString color.Color
	// YAMLNumber colours the other scalars: numbers, booleans and null.
	YAMLNumber color.Color
	// YAMLComment colours comments.
	YAMLComment color.Color
	// YAMLPunctuation colours ':', '-', '---', brackets and braces.
	YAMLPunctuation color.Color
}

// role ties the name used in user theme files to a Theme field. The table
// below is the single list of roles: file loading, RoleNames and the tests
// that every built-in sets every role all walk it, so a new role cannot be
// forgotten in one of them.
type role struct {
	name  string
	field func(*Theme) *color.Color
}

var roles = []role{
	{"foreground", func(t *Theme) *color.Color { return &t.Foreground }},
	{"muted", func(t *Theme) *color.Color { return &t.Muted }},
	{"background", func(t *Theme) *color.Color { return &t.Background }},
	{"accent", func(t *Theme) *color.Color { return &t.Accent }},
	{"selection", func(t *Theme) *color.Color { return &t.Selection }},
	{"selectionForeground", func(t *Theme) *color.Color { return &t.SelectionForeground }},
	{"border", func(t *Theme) *color.Color { return &t.Border }},
	{"header", func(t *Theme) *color.Color { return &t.Header }},
	{"inSync", func(t *Theme) *color.Color { return &t.InSync }},
	{"drifted", func(t *Theme) *color.Color { return &t.Drifted }},
	{"missing", func(t *Theme) *color.Color { return &t.Missing }},
	{"unmanaged", func(t *Theme) *color.Color { return &t.Unmanaged }},
	{"error", func(t *Theme) *color.Color { return &t.Error }},
	{"warning", func(t *Theme) *color.Color { return &t.Warning }},
	{"diffAdd", func(t *Theme) *color.Color { return &t.DiffAdd }},
	{"diffRemove", func(t *Theme) *color.Color { return &t.DiffRemove }},
	{"diffHunk", func(t *Theme) *color.Color { return &t.DiffHunk }},
	{"diffContext", func(t *Theme) *color.Color { return &t.DiffContext }},
	{"yamlKey", func(t *Theme) *color.Color { return &t.YAMLKey }},
	{"yamlString", func(t *Theme) *color.Color { return &t.YAMLString }},
	{"yamlNumber", func(t *Theme) *color.Color { return &t.YAMLNumber }},
	{"yamlComment", func(t *Theme) *color.Color { return &t.YAMLComment }},
	{"yamlPunctuation", func(t *Theme) *color.Color { return &t.YAMLPunctuation }},
}

// backgroundRole is the only role that may be nil in a complete theme, and so
// the only one a user theme file may set to "none".
const backgroundRole = "background"

// RoleNames returns the role names accepted in the colors: map of a user theme
// file, in the order of the Theme fields (grouped by purpose, not sorted), so
// that help text and error messages can list them.
func RoleNames() []string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.name
	}
	return names
}

// lookupRole finds a role by name, ignoring case, '-' and '_' so that users
// need not remember the exact spelling ("in-sync" works as well as "inSync").
func lookupRole(name string) (role, bool) {
	key := normalize(name)
	for _, r := range roles {
		if normalize(r.name) == key {
			return r, true
		}
	}
	return role{}, false
}

// normalize lower-cases s and drops spaces, '-' and '_', the characters people
// vary when typing multi-word names such as "in sync" or "diff-add".
func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}

// PlainName is the theme name that selects [Plain] explicitly, for example
// --theme=none, for people who want no colour without setting NO_COLOR.
const PlainName = "none"

// Plain returns the theme without any colour: every role is nil, so styles
// built from it carry only attributes such as bold and reverse video. It is
// what NO_COLOR selects.
func Plain() Theme {
	return Theme{Name: PlainName}
}

// Builtin returns the built-in theme with the given name, matched ignoring
// case. The result is a copy; changing it does not affect later calls.
func Builtin(name string) (Theme, bool) {
	t, ok := builtins[strings.ToLower(strings.TrimSpace(name))]
	return t, ok
}

// Names returns the names of the built-in themes, sorted, for flag help and
// error messages. It does not include user themes or [PlainName].
func Names() []string {
	names := make([]string, 0, len(builtins))
	for name := range builtins {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
