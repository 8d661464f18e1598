package themes

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles are the lipgloss styles the UI renders with, built from a [Theme] by
// [Theme.Styles]. It is a plain struct so the ui can read, copy and adjust
// any field (add padding, a width, another border) without this package
// knowing about layout.
//
// Styles carry only colours and text attributes. When the theme has a
// Background every style paints it, because an inner style's reset sequence
// would otherwise punch a hole in the background of the text around it.
type Styles struct {
	// Base is ordinary text on the theme background; wrap a whole view in it.
	Base lipgloss.Style

	// Title is the application title ("kubedrift · context/namespace").
	Title lipgloss.Style
	// Header is for table column headers and section headings.
	Header lipgloss.Style
	// HelpKey is a key in the help bar ("enter").
	HelpKey lipgloss.Style
	// HelpDesc is what the key does ("show diff").
	HelpDesc lipgloss.Style
	// HelpSeparator goes between help entries ("•").
	HelpSeparator lipgloss.Style

	// Row is an unselected list row.
	Row lipgloss.Style
	// SelectedRow is the row under the cursor. Without colours (NO_COLOR) it
	// is reverse video, so the cursor stays visible.
	SelectedRow lipgloss.Style

	// Status colours a drift status label; see also [Styles.StatusStyle].
	Status StatusStyles

	// DiffHeader is for the "--- live" / "+++ desired" file header lines.
	DiffHeader lipgloss.Style
	// DiffAdd is for lines only in the desired state ("+").
	DiffAdd lipgloss.Style
	// DiffRemove is for lines only in the live state ("-").
	DiffRemove lipgloss.Style
	// DiffHunk is for hunk headers ("@@ -1,4 +1,5 @@").
	DiffHunk lipgloss.Style
	// DiffContext is for unchanged lines around a change.
	DiffContext lipgloss.Style

	// Muted is secondary text: namespaces, ages, hints.
	Muted lipgloss.Style
	// Error is an error message (bold, so it stands out without colour too).
	Error lipgloss.Style
	// Warning is a warning message.
	Warning lipgloss.Style

	// YAMLKey is a mapping key in a YAML view.
	YAMLKey lipgloss.Style
	// YAMLString is a string scalar.
	YAMLString lipgloss.Style
	// YAMLNumber is any other scalar: number, boolean, null.
	YAMLNumber lipgloss.Style
	// YAMLComment is a comment.
	YAMLComment lipgloss.Style
	// YAMLPunctuation is ':', '-', '---', brackets and braces.
	YAMLPunctuation lipgloss.Style
}

// StatusStyles holds one style per drift status, so that a status is shown
// the same way in the list, the diff view and the footer counts.
type StatusStyles struct {
	// InSync: live matches desired.
	InSync lipgloss.Style
	// Drifted: live differs from desired.
	Drifted lipgloss.Style
	// Missing: desired but not in the cluster.
	Missing lipgloss.Style
	// Unmanaged: in the cluster, ours by selector or release, not desired.
	Unmanaged lipgloss.Style
	// Error: could not be compared.
	Error lipgloss.Style
}

// StatusStyle returns the style for a status given by name: "in sync",
// "drifted", "missing", "unmanaged" or "error". Case, spaces, '-' and '_' are
// ignored, so "InSync" and "in-sync" work too, which lets the ui pass a
// status's String() directly. An unknown name gets [Styles.Row], so a new
// status is shown plainly rather than crashing the UI.
func (s Styles) StatusStyle(name string) lipgloss.Style {
	switch normalize(name) {
	case "insync":
		return s.Status.InSync
	case "drifted":
		return s.Status.Drifted
	case "missing":
		return s.Status.Missing
	case "unmanaged":
		return s.Status.Unmanaged
	case "error":
		return s.Status.Error
	}
	return s.Row
}

// SelectedStatusStyle is [Styles.StatusStyle] for a status label drawn inside
// the selected row: it keeps the status colour but takes the selected row's
// background, bold and reverse, so the selection bar is not interrupted where
// the label's own style ends.
func (s Styles) SelectedStatusStyle(name string) lipgloss.Style {
	st := s.StatusStyle(name)
	if bg := s.SelectedRow.GetBackground(); hasColour(bg) {
		st = st.Background(bg)
	}
	if s.SelectedRow.GetReverse() {
		st = st.Reverse(true)
	}
	if s.SelectedRow.GetBold() {
		st = st.Bold(true)
	}
	return st
}

// NoColorStyles returns the styles of [Plain]: no colour at all, only bold
// for titles, keys and errors and reverse video for the selected row.
func NoColorStyles() Styles {
	return Plain().Styles()
}

// Styles builds the lipgloss styles for t. Roles that are nil leave the
// corresponding colour unset, which is how [Plain] yields colourless styles
// through the same code path as every other theme: the text attributes
// (bold, reverse) are therefore identical with and without colour.
func (t Theme) Styles() Styles {
	// base carries the background, if any, into every style.
	base := lipgloss.NewStyle()
	if hasColour(t.Background) {
		base = base.Background(t.Background)
	}
	fg := func(c color.Color) lipgloss.Style {
		if hasColour(c) {
			return base.Foreground(c)
		}
		return base
	}

	selected := lipgloss.NewStyle().Bold(true)
	if hasColour(t.Selection) {
		selected = selected.Background(t.Selection)
		if hasColour(t.SelectionForeground) {
			selected = selected.Foreground(t.SelectionForeground)
		}
	} else {
		// No selection colour: reverse video is visible on any terminal.
		selected = selected.Reverse(true)
	}

	return Styles{
		Base: fg(t.Foreground),

		Title:         fg(t.Accent).Bold(true),
		Header:        fg(t.Header).Bold(true),
		HelpKey:       fg(t.Accent).Bold(true),
		HelpDesc:      fg(t.Muted),
		HelpSeparator: fg(t.Border),

		Row:         fg(t.Foreground),
		SelectedRow: selected,

		Status: StatusStyles{
			InSync:    fg(t.InSync),
			Drifted:   fg(t.Drifted),
			Missing:   fg(t.Missing),
			Unmanaged: fg(t.Unmanaged),
			Error:     fg(t.Error),
		},

		DiffHeader:  fg(t.Header).Bold(true),
		DiffAdd:     fg(t.DiffAdd),
		DiffRemove:  fg(t.DiffRemove),
		DiffHunk:    fg(t.DiffHunk),
		DiffContext: fg(t.DiffContext),

		Muted:   fg(t.Muted),
		Error:   fg(t.Error).Bold(true),
		Warning: fg(t.Warning),

		YAMLKey:         fg(t.YAMLKey),
		YAMLString:      fg(t.YAMLString),
		YAMLNumber:      fg(t.YAMLNumber),
		YAMLComment:     fg(t.YAMLComment),
		YAMLPunctuation: fg(t.YAMLPunctuation),
	}
}

// hasColour reports whether c is an actual colour. lipgloss uses NoColor{}
// to mean "unset", and a Theme uses nil; both mean the same here.
func hasColour(c color.Color) bool {
	if c == nil {
		return false
	}
	_, none := c.(lipgloss.NoColor)
	return !none
}
