package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/kubedrift/kubedrift/drift"
)

// Ignorer keeps the ignore rules of the desired state (.kubedrift.yaml).
type Ignorer interface {
	// IgnoreRule returns the rule that would ignore the field at pointer
	// (a JSON pointer) of the object ref, as YAML, and the file that
	// AddIgnoreRule would add it to.
	IgnoreRule(ref drift.Ref, pointer string) (rule, file string, err error)
	// AddIgnoreRule adds that rule to that file. The next Check obeys it.
	AddIgnoreRule(ref drift.Ref, pointer string) error
}

// ignoreModel is a field being picked, and its rule confirmed, for an
// ignore rule. It writes the rule itself (ignoredMsg ends the write) and
// tells the Model the rest by intents (ignoreClosed, noticeMsg).
type ignoreModel struct {
	keys    keyMap
	ignorer Ignorer
	ref     drift.Ref
	fields  []ignoreField
	cursor  int
	// rule and file are the rule for the field picked, shown before it is
	// written; rule is empty while the field is being picked.
	rule, file string
	writing    bool
}

// ignoreField is a field the picker offers: a changed field or a foreign
// one.
type ignoreField struct {
	label, pointer string
}

// ignoredMsg ends the writing of an ignore rule.
type ignoredMsg struct {
	file string
	err  error
}

// ignoreClosed is the intent to leave the picker for the diff, saying
// message.
type ignoreClosed struct{ message string }

// startIgnore opens the picker on the fields of the object in the diff view.
func (m Model) startIgnore() (tea.Model, tea.Cmd) {
	r, ok := m.list.selected()
	switch {
	case !ok:
		return m, nil
	case m.opts.Ignorer == nil:
		m.message = "ignore rules cannot be written here"
		return m, nil
	}
	s := ignoreModel{keys: m.keys, ignorer: m.opts.Ignorer, ref: r.Ref}
	for _, c := range r.Changes {
		s.fields = append(s.fields, ignoreField{label: c.Path, pointer: c.Pointer})
	}
	for _, f := range r.Foreign {
		s.fields = append(s.fields, ignoreField{label: f.Path + " (foreign)", pointer: f.Pointer})
	}
	if len(s.fields) == 0 {
		m.message = fmt.Sprintf("%s has no changed or foreign field to ignore", r.Ref)
		return m, nil
	}
	m.ignore, m.view, m.message = s, ignoreView, ""
	return m, nil
}

// update handles a key press while a field is picked or its rule
// confirmed.
func (s ignoreModel) update(msg tea.KeyPressMsg) (ignoreModel, tea.Cmd) {
	if s.writing {
		return s, nil
	}
	if key.Matches(msg, s.keys.Back, s.keys.No) {
		if s.rule != "" {
			s.rule, s.file = "", "" // back to the fields
			return s, nil
		}
		return s, intent(ignoreClosed{"nothing ignored"})
	}
	if s.rule != "" {
		if !key.Matches(msg, s.keys.Yes) {
			return s, nil
		}
		s.writing = true
		ig, ref, pointer, file := s.ignorer, s.ref, s.fields[s.cursor].pointer, s.file
		return s, func() tea.Msg {
			return ignoredMsg{file: file, err: ig.AddIgnoreRule(ref, pointer)}
		}
	}
	switch {
	case key.Matches(msg, s.keys.Up):
		s.cursor = max(s.cursor-1, 0)
	case key.Matches(msg, s.keys.Down):
		s.cursor = min(s.cursor+1, len(s.fields)-1)
	case key.Matches(msg, s.keys.Confirm):
		rule, file, err := s.ignorer.IgnoreRule(s.ref, s.fields[s.cursor].pointer)
		if err != nil {
			return s, intent(noticeMsg{err.Error()})
		}
		s.rule, s.file = rule, file
	}
	return s, nil
}

// finishIgnore shows how the rule was written, and judges everything again
// under the new rules.
func (m Model) finishIgnore(msg ignoredMsg) (tea.Model, tea.Cmd) {
	m.ignore.writing = false
	if msg.err != nil {
		m.ignore.rule = ""
		m.message = "ignore rule not written: " + msg.err.Error()
		return m, nil
	}
	m.view = diffView
	cmd := m.reload("judging again")
	m.message = "added the rule to " + msg.file + "; judging again"
	return m, cmd
}

// renderIgnore draws the field picker, or the rule about to be written.
func (m Model) renderIgnore() string {
	s := m.ignore
	st := m.opts.Styles
	b := []string{st.Title.Render("Ignore a field of " + s.ref.String()), ""}
	if s.rule == "" {
		b = append(b, "Which field should kubedrift stop comparing?", "")
		for i, f := range s.fields {
			line := "  " + f.label
			if i == s.cursor {
				line = st.SelectedRow.Render(padRight("> "+f.label, m.width))
			}
			b = append(b, line)
		}
		b = append(b, "", st.HelpKey.Render("enter")+" show the rule   "+st.HelpKey.Render("esc")+" cancel")
	} else {
		b = append(b, "This rule will be added to "+s.file+":", "")
		for line := range strings.Lines(s.rule) {
			b = append(b, "  "+strings.TrimSuffix(line, "\n"))
		}
		b = append(b, "", "The field then changes neither the verdict nor the diff, here and in --check.", "")
		if s.writing {
			b = append(b, "writing…")
		} else {
			b = append(b, st.HelpKey.Render("y")+" write it and judge again   "+st.HelpKey.Render("n/esc")+" back")
		}
	}
	return fillHeight(wrapAll(b, m.width), m.height-2) + "\n" + m.footer(nil)
}
