package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
)

// keyMap is every key the UI answers to. The help screen (?) lists them all,
// from here, so that the two cannot disagree.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Back, Filter, QuickFilter, Sort   key.Binding
	Reconcile, Delete, Reload, Help, Quit   key.Binding
	NextHunk, PrevHunk, Wrap, SideBySide    key.Binding
	Ignore, Problems                        key.Binding
	// The answers to a question (a reconcile, an ignore rule, a filter
	// or a name being typed).
	Yes, No, Cancel, Force, Recreate, Confirm key.Binding
	// Interrupt quits from any view, a question or text entry included.
	Interrupt key.Binding
}

func newKeyMap(readOnly bool) keyMap {
	k := keyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:      key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "space"), key.WithHelp("pgdn", "page down")),
		Top:         key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
		Open:        key.NewBinding(key.WithKeys("enter", "l", "right"), key.WithHelp("enter", "diff")),
		Back:        key.NewBinding(key.WithKeys("esc", "h", "left", "backspace"), key.WithHelp("esc", "back")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		QuickFilter: key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "quick filter")),
		Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		Reconcile:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "reconcile")),
		Delete:      key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "delete unmanaged")),
		Reload:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload sources")),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:        key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		NextHunk:    key.NewBinding(key.WithKeys("n"), key.WithHelp("n/N", "hunks")),
		PrevHunk:    key.NewBinding(key.WithKeys("N")),
		Wrap:        key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wrap lines")),
		SideBySide:  key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "side by side")),
		Ignore:      key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "ignore field")),
		Problems:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "show problems")),
		Yes:         key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "applies")),
		No:          key.NewBinding(key.WithKeys("n"), key.WithHelp("n or esc", "cancels")),
		Cancel:      key.NewBinding(key.WithKeys("esc")),
		Force:       key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "forces conflicts")),
		Recreate:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "recreates")),
		Confirm:     key.NewBinding(key.WithKeys("enter")),
		Interrupt:   key.NewBinding(key.WithKeys("ctrl+c")),
	}
	if readOnly {
		k.Reconcile.SetEnabled(false)
		k.Delete.SetEnabled(false)
	}
	return k
}

// listHelp is the footer of the object list: the most useful keys.
func (k keyMap) listHelp() []key.Binding {
	return []key.Binding{k.Open, k.Reconcile, k.Filter, k.QuickFilter, k.Sort, k.Help, k.Quit}
}

// diffHelp is the footer of the diff view.
func (k keyMap) diffHelp() []key.Binding {
	// q is left out for room; it quits here too.
	return []key.Binding{k.Back, k.Reconcile, k.NextHunk, k.SideBySide, k.Ignore, k.Help}
}

// questionHelp says in a sentence the answers a reconcile asks for, for the
// help screen: "y applies, F forces conflicts, ...".
func (k keyMap) questionHelp() string {
	var parts []string
	for _, b := range []key.Binding{k.Yes, k.Force, k.Recreate, k.No} {
		parts = append(parts, b.Help().Key+" "+b.Help().Desc)
	}
	return strings.Join(parts, ", ") + "."
}

// all is every binding, in groups, for the help screen.
func (k keyMap) all() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Open, k.Back, k.Filter, k.QuickFilter, k.Sort, k.Reload, k.Problems},
		{k.NextHunk, k.Wrap, k.SideBySide, k.Ignore},
		{k.Reconcile, k.Delete, k.Help, k.Quit},
	}
}

// newTextInput returns a text entry (a filter, a name to confirm) whose
// text the views draw themselves, with the terminal's own cursor in it.
func newTextInput() textinput.Model {
	ti := textinput.New()
	ti.Prompt = ""
	ti.SetVirtualCursor(false)
	return ti
}
