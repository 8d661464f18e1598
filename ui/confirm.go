package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/kubedrift/kubedrift/drift"
)

// stage is where a reconcile's confirmation stands.
type stage int

const (
	askApply    stage = iota // y applies the dry run shown
	askForce                 // the apply conflicted: F forces
	askRecreate              // an immutable field: R, then y, recreates
	askRecreateAgain
	askDelete // an unmanaged object: type its name
	working   // the write is under way
)

// confirmModel is a reconcile being confirmed: the question its stage asks,
// and, for a delete, the name typed to confirm it. It tells the Model what
// the person decided by an intent message (reconcileConfirmed,
// confirmClosed, noticeMsg) rather than acting itself.
type confirmModel struct {
	keys      keyMap
	result    drift.Result
	stage     stage
	conflicts []string
	name      textinput.Model // the name typed to confirm a delete
	back      view            // the view to return to
}

// Intents: what a part of the screen asks the Model to do.
type (
	// reconcileConfirmed asks for the write the person confirmed: a
	// reconcile as opts say, or the delete of the object when del is set.
	reconcileConfirmed struct {
		opts ReconcileOptions
		del  bool
	}
	// confirmClosed ends the confirmation, saying message.
	confirmClosed struct{ message string }
	// noticeMsg says text in the footer.
	noticeMsg struct{ text string }
)

// intent returns the command that delivers msg to the Model.
func intent(msg tea.Msg) tea.Cmd {
	return func() tea.Msg { return msg }
}

// startReconcile asks to reconcile the selected object, or to delete it
// when it is unmanaged and del is set.
func (m Model) startReconcile(del bool) (tea.Model, tea.Cmd) {
	r, ok := m.list.selected()
	if !ok {
		return m, nil
	}
	if m.opts.ReadOnly {
		m.message = "read-only: reconcile is off (--read-only, or no permission to write)"
		return m, nil
	}
	c := confirmModel{keys: m.keys, result: r, back: m.view}
	var cmd tea.Cmd
	switch {
	case r.Status == drift.Unmanaged && del:
		c.stage = askDelete
		c.name = newTextInput()
		cmd = c.name.Focus()
	case r.Status == drift.Drifted, r.Status == drift.Missing:
		c.stage = askApply
	case r.Status == drift.Error && r.Reason == drift.ReasonImmutable:
		c.stage = askRecreate
	default:
		m.message = fmt.Sprintf("%s is %s: nothing to reconcile", r.Ref, r.Status)
		if r.Status == drift.Unmanaged {
			m.message = fmt.Sprintf("%s is unmanaged: X deletes it", r.Ref)
		}
		return m, nil
	}
	m.confirm, m.view = c, confirmView
	return m, cmd
}

// update handles a key press while the reconcile is being confirmed.
func (c confirmModel) update(msg tea.KeyPressMsg) (confirmModel, tea.Cmd) {
	keys := c.keys
	// While a name is typed, n is a letter of it.
	if key.Matches(msg, keys.Cancel) || (c.stage != askDelete && key.Matches(msg, keys.No)) {
		if c.stage == working {
			return c, nil
		}
		return c, intent(confirmClosed{"reconcile cancelled"})
	}
	confirmed := func(opts ReconcileOptions, del bool) (confirmModel, tea.Cmd) {
		c.stage = working
		return c, intent(reconcileConfirmed{opts: opts, del: del})
	}
	switch c.stage {
	case askApply:
		if key.Matches(msg, keys.Yes) {
			return confirmed(ReconcileOptions{}, false)
		}
	case askForce:
		if key.Matches(msg, keys.Force) {
			return confirmed(ReconcileOptions{Force: true}, false)
		}
	case askRecreate:
		if key.Matches(msg, keys.Recreate) {
			c.stage = askRecreateAgain
		}
	case askRecreateAgain:
		if key.Matches(msg, keys.Yes) {
			return confirmed(ReconcileOptions{Force: true, Recreate: true}, false)
		}
	case askDelete:
		if key.Matches(msg, keys.Confirm) {
			if c.name.Value() == c.result.Ref.Name {
				return confirmed(ReconcileOptions{}, true)
			}
			return c, intent(noticeMsg{"the name does not match: type it exactly, or esc"})
		}
		var cmd tea.Cmd
		c.name, cmd = c.name.Update(msg)
		return c, cmd
	}
	return c, nil
}

// write sends the confirmed reconcile (or delete) in the background.
func (m Model) write(opts ReconcileOptions, del bool) (tea.Model, tea.Cmd) {
	rec, ctx, ref := m.opts.Reconciler, m.ctx, m.confirm.result.Ref
	opts.LeftOut = drift.LeftOut(m.confirm.result)
	return m, func() tea.Msg {
		if del {
			return outcomeMsg{ref: ref, out: rec.Delete(ctx, ref)}
		}
		return outcomeMsg{ref: ref, out: rec.Reconcile(ctx, ref, opts)}
	}
}

// finishReconcile shows what a reconcile did, and updates the row.
func (m Model) finishReconcile(msg outcomeMsg) (Model, tea.Cmd) {
	out := msg.out
	c := &m.confirm
	switch {
	case len(out.Conflicts) > 0:
		c.stage, c.conflicts = askForce, out.Conflicts
		return m, nil
	case out.Immutable:
		c.stage = askRecreate
		return m, nil
	case out.Err != nil:
		m.message = fmt.Sprintf("%s: %v", msg.ref, out.Err)
	case out.Action == ActionDelete:
		m.message = fmt.Sprintf("deleted %s", msg.ref)
		m.list.remove(msg.ref)
	case out.Verdict != nil:
		m.list.upsert(*out.Verdict)
		m.message = fmt.Sprintf("%s %s as %s: now %s", out.Action, msg.ref, out.Manager, out.Verdict.Status)
		if len(out.Taken) > 0 {
			m.message += "; took back " + strings.Join(out.Taken, ", ")
		}
		if len(out.Kept) > 0 {
			m.message += "; left " + strings.Join(out.Kept, ", ") + " as it was (not compared)"
		}
	default:
		m.message = fmt.Sprintf("%s %s as %s", out.Action, msg.ref, out.Manager)
	}
	m.view = c.back
	return m, m.refreshDiff()
}

// remove drops the verdict on ref.
func (l *list) remove(ref drift.Ref) {
	i, ok := l.byRef[ref]
	if !ok {
		return
	}
	l.results = slices.Delete(l.results, i, i+1)
	delete(l.byRef, ref)
	for r, j := range l.byRef {
		if j > i {
			l.byRef[r] = j - 1
		}
	}
	// rows index results too: the removed object's row goes, those after
	// it shift. The cursor stays on its object, or, on the removed one's
	// row, moves to the object that takes its place.
	at := slices.Index(l.rows, i)
	l.rows = slices.DeleteFunc(l.rows, func(j int) bool { return j == i })
	for k, j := range l.rows {
		if j > i {
			l.rows[k] = j - 1
		}
	}
	if at >= 0 && at < l.cursor {
		l.cursor--
	}
	l.cursor = min(l.cursor, max(len(l.rows)-1, 0))
	l.refilter()
}

// renderConfirm draws the confirmation: what the reconcile will do, from
// the dry run the verdict holds, and the keys that go on.
func (m Model) renderConfirm() string {
	return fillHeight(m.confirmLines(), m.height-2) + "\n" + m.footer(nil)
}

// confirmCursor places the terminal's cursor in the name being typed to
// confirm a delete, the last of the confirmation's lines; nil otherwise.
func (m Model) confirmCursor() *tea.Cursor {
	c := m.confirm
	if c.stage != askDelete {
		return nil
	}
	lines := m.confirmLines()
	typed := []rune(c.name.Value())[:c.name.Position()]
	x, y := len("> ")+lipgloss.Width(string(typed)), len(lines)-1
	if x >= m.width || y >= m.height-2 {
		return nil
	}
	return tea.NewCursor(x, y)
}

// confirmLines are the confirmation's lines, wrapped to the screen.
func (m Model) confirmLines() []string {
	c := m.confirm
	r := c.result
	s := m.opts.Styles
	var b []string
	b = append(b, s.Title.Render("Reconcile "+r.Ref.String()), "")
	if c := r.Controller; c != nil {
		b = append(b, s.Warning.Render("Managed by "+c.String()+": "+c.Fights()+"."), "")
	}
	switch c.stage {
	case askApply, working:
		if r.Status == drift.Missing {
			b = append(b, "Create it by server-side apply of its manifest ("+r.Origin.String()+").")
		} else {
			b = append(b, "Server-side apply of its manifest ("+r.Origin.String()+") will change, as the dry run shows:")
			for _, ch := range r.Changes {
				line := "  " + ch.Describe(m.opts.Now())
				if ch.Conflict {
					line += s.Warning.Render("  " + m.conflictNote(ch.Manager))
				}
				b = append(b, line)
			}
		}
		if c.stage == working {
			b = append(b, "", "applying…")
		} else {
			b = append(b, "", s.HelpKey.Render("y")+" apply   "+s.HelpKey.Render("n/esc")+" cancel")
		}
	case askForce:
		b = append(b, s.Warning.Render("The apply was refused: other field managers own fields the manifest sets:"))
		for _, f := range c.conflicts {
			b = append(b, "  "+f)
		}
		b = append(b, "", "Forcing takes these fields from them; a controller among them may take them back.",
			"", s.HelpKey.Render("F")+" force   "+s.HelpKey.Render("n/esc")+" cancel")
	case askRecreate:
		b = append(b, s.Warning.Render("The manifest changes a field that cannot change in place."),
			"The object must be deleted and created again; what depends on it may be disrupted meanwhile.",
			"", s.HelpKey.Render("R")+" delete and recreate   "+s.HelpKey.Render("n/esc")+" cancel")
	case askRecreateAgain:
		b = append(b, s.Error.Render("Delete "+r.Ref.String()+" and create it again from its manifest?"),
			"", s.HelpKey.Render("y")+" yes, delete and recreate   "+s.HelpKey.Render("n/esc")+" cancel")
	case askDelete:
		b = append(b, s.Error.Render("Delete the unmanaged object "+r.Ref.String()+"?"),
			"No manifest declares it; deleting cannot be undone.",
			"", "Type its name ("+r.Ref.Name+") and press enter, or esc:", "> "+c.name.Value())
	}
	return wrapAll(b, m.width)
}

// fillHeight returns lines cut, or padded with empty lines, to height lines
// (one at the least), joined by newlines: a screen that fills the terminal.
func fillHeight(lines []string, height int) string {
	height = max(height, 1)
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines[:height], "\n")
}

// wrapAll wraps styled lines at word boundaries to width cells.
func wrapAll(lines []string, width int) []string {
	wrap := lipgloss.NewStyle().Width(width)
	var out []string
	for _, l := range lines {
		out = append(out, strings.Split(wrap.Render(l), "\n")...)
	}
	return out
}

// renderHelp lists every key.
func (m Model) renderHelp() string {
	m.help.ShowAll = true
	groups := m.keys.all()
	keys := m.help.FullHelpView(groups)
	if lipgloss.Width(keys) > m.width {
		// Two rows of columns fit 80 columns.
		half := (len(groups) + 1) / 2
		keys = m.help.FullHelpView(groups[:half]) + "\n\n" + m.help.FullHelpView(groups[half:])
	}
	text := m.opts.Styles.Title.Render("Keys") + "\n\n" + keys +
		"\n\nf shows only drifted, missing, unmanaged or error objects in turn; s sorts by status, kind or namespace." +
		"\nWhile a reconcile asks: " + m.keys.questionHelp() +
		"\nAny key closes this help."
	return fillHeight(wrapAll(strings.Split(text, "\n"), m.width), m.height)
}

// View draws the screen.
func (m Model) View() tea.View {
	var content string
	switch m.view {
	case diffView:
		content = m.renderDiff()
	case confirmView:
		content = m.renderConfirm()
	case ignoreView:
		content = m.renderIgnore()
	case problemsView:
		content = m.renderProblems()
	case helpView:
		content = m.renderHelp()
	default:
		content = m.renderList()
	}
	v := tea.NewView(content)
	switch m.view {
	case listView:
		v.Cursor = m.filterCursor()
	case confirmView:
		v.Cursor = m.confirmCursor()
	}
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "kubedrift"
	return v
}

// conflictNote says what a reconcile does about a field that manager owns:
// takes it back from a person's tool, or needs force.
func (m Model) conflictNote(manager string) string {
	if m.opts.PersonsTool != nil {
		if tool, ok := m.opts.PersonsTool(manager); ok {
			return "[taken back from " + tool + "]"
		}
	}
	return "[needs force]"
}
