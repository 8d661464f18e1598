// Package ui is kubedrift's terminal UI: the objects of a drift check by
// status, their diffs, and a reconcile per object, kept up to date while it
// is open. It is a Bubble Tea v2 program that knows the cluster only
// through the Checker and Reconciler interfaces, so that tests can drive it
// with fakes.
package ui

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/themes"
)

// Checker judges the desired state against the cluster.
type Checker interface {
	// Check loads the desired state afresh and judges all of it. It calls
	// found with each verdict as it is reached, with how many of total
	// are judged so far, from any goroutine; it returns the report and
	// the problems with the input (a bad manifest, an unreachable cluster).
	Check(ctx context.Context, found func(r drift.Result, judged, total int)) (*drift.Report, []error)
	// The report is nil when nothing could be judged, as when the cluster
	// cannot be reached; the UI then tries again by itself.
	//
	// Recheck judges one desired object again, as the cluster has it now.
	// ok is false when ref is not part of the desired state.
	Recheck(ctx context.Context, ref drift.Ref) (r drift.Result, ok bool)
}

// Reconciler writes to the cluster, one object at a time.
type Reconciler interface {
	// Reconcile makes the live object of ref what its manifest says.
	Reconcile(ctx context.Context, ref drift.Ref, opts ReconcileOptions) Outcome
	// Delete deletes the unmanaged live object ref.
	Delete(ctx context.Context, ref drift.Ref) Outcome
}

// ReconcileOptions are the consents beyond the first.
type ReconcileOptions struct {
	// Force takes fields other managers own; Recreate deletes and creates
	// an object whose manifest changes an immutable field.
	Force, Recreate bool
	// LeftOut are the fields the shown verdict left out of the comparison
	// (drift.LeftOut), which the apply leaves as they are.
	LeftOut []string
}

// Action is what a reconcile did to an object.
type Action string

// The actions of a reconcile, as reconcile.Action names them.
const (
	ActionCreate   Action = "create"
	ActionApply    Action = "apply"
	ActionRecreate Action = "recreate"
	ActionDelete   Action = "delete"
)

// Outcome is what a reconcile did (see reconcile.Outcome).
type Outcome struct {
	// Action is what was done, and Manager the field manager it was done
	// as.
	Action  Action
	Manager string
	// Verdict is the object's verdict afterwards, when it was judged again.
	Verdict *drift.Result
	// Conflicts name the fields other managers own that stopped the apply.
	Conflicts []string
	// Taken name the fields the apply took back from the tools people
	// change objects with: "spec.replicas from kubectl scale".
	Taken []string
	// Kept are the fields the comparison leaves out, which the apply left
	// as the live object has them: "/spec/replicas".
	Kept []string
	// Immutable says the object must be recreated to be reconciled.
	Immutable bool
	// Err says why the object is not reconciled.
	Err error
}

// Options configure the UI.
type Options struct {
	Checker Checker
	// Reconciler writes; nil, or ReadOnly, hides every write action.
	Reconciler Reconciler
	// PersonsTool names the tool a person changed a field with, by the
	// field manager that owns it (reconcile.PersonsTool): a reconcile
	// takes such a field back without force. Nil knows no tool.
	PersonsTool func(manager string) (tool string, ok bool)
	ReadOnly    bool
	// Ignorer writes ignore rules from the diff view; nil turns that off.
	Ignorer Ignorer
	// Changes names live objects that changed while the UI is open, which it
	// judges again. Nil means no live updates.
	Changes <-chan drift.Ref
	// Errors are problems of the live updates (a lost watch), shown as they
	// come.
	Errors <-chan error
	// Reconnects says that a lost cluster answers again: the UI judges
	// everything again, since the watches may have missed changes.
	Reconnects <-chan struct{}
	// Styles colour the UI; themes.Plain().Styles() for none.
	Styles themes.Styles
	// Restyle, when set, gives the styles for a dark (or light) terminal
	// background, once the terminal has told its colour: the default theme
	// adapts, a theme the user named does not.
	Restyle func(dark bool) themes.Styles
	// Title names what is checked, such as the kubeconfig context.
	Title string
	// Now tells the time, for the age of changes; nil is time.Now.
	Now func() time.Time
}

// view is what the screen shows.
type view int

const (
	listView view = iota
	diffView
	confirmView
	ignoreView
	helpView
	problemsView
)

// Model is the UI's state. It is a value, as Bubble Tea wants: Update
// returns the next one.
type Model struct {
	opts   Options
	ctx    context.Context
	keys   keyMap
	help   help.Model
	width  int
	height int
	view   view
	prev   view // the view help returns to
	// pairView is the user's choice of a side-by-side diff, kept from one
	// object to the next.
	pairView bool

	list    list
	diff    diffState
	diffGen int // counts the diff views built, for diffState.gen
	confirm confirmModel
	ignore  ignoreModel

	loading       bool
	judged, total int
	inputErrs     []error
	message       string // the last outcome or error, in the footer
	reloadNote    string // the message of the reload under way, cleared when it ends
}

// New returns the UI for opts, bound to ctx: ending ctx ends its work.
func New(ctx context.Context, opts Options) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Reconciler == nil {
		opts.ReadOnly = true
	}
	m := Model{opts: opts, ctx: ctx, keys: newKeyMap(opts.ReadOnly), help: help.New(), list: newList(), width: 80, height: 24, loading: true}
	m.restyle(opts.Styles)
	return m
}

// restyle colours the UI with styles.
func (m *Model) restyle(styles themes.Styles) {
	m.opts.Styles = styles
	h := &m.help.Styles
	h.ShortKey, h.FullKey = styles.HelpKey, styles.HelpKey
	h.ShortDesc, h.FullDesc = styles.HelpDesc, styles.HelpDesc
	h.ShortSeparator, h.FullSeparator, h.Ellipsis = styles.HelpSeparator, styles.HelpSeparator, styles.HelpSeparator
}

// Run runs the UI on the terminal until the user quits.
func Run(ctx context.Context, opts Options, programOpts ...tea.ProgramOption) error {
	_, err := tea.NewProgram(New(ctx, opts), append([]tea.ProgramOption{tea.WithContext(ctx)}, programOpts...)...).Run()
	return err
}

// Messages.
type (
	// resultMsg is one verdict of a check under way; more come on ch.
	resultMsg struct {
		r             drift.Result
		judged, total int
		ch            <-chan tea.Msg
	}
	// loadedMsg ends a check.
	loadedMsg struct {
		rep  *drift.Report
		errs []error
	}
	// recheckedMsg is a fresh verdict on one object.
	recheckedMsg struct {
		ref drift.Ref
		r   drift.Result
		ok  bool
	}
	// outcomeMsg is the end of a reconcile.
	outcomeMsg struct {
		ref drift.Ref
		out Outcome
	}
	// changeMsg names a live object that changed.
	changeMsg struct{ ref drift.Ref }
	// watchErrMsg is a problem of the live updates.
	watchErrMsg struct{ err error }
	// retryMsg is the time to try a check that reached no cluster again.
	retryMsg struct{}
	// reconnectedMsg says that a lost cluster answers again.
	reconnectedMsg struct{}
)

// retryEvery is how long the UI waits before it checks again when a check
// judged nothing (the cluster could not be reached).
const retryEvery = 5 * time.Second

// Init starts the check, and listens for live changes.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.check(), listenChanges(m.opts.Changes), listenErrors(m.opts.Errors), listenReconnects(m.opts.Reconnects), tea.RequestBackgroundColor)
}

// reload judges everything again, from the sources up.
func (m *Model) reload(message string) tea.Cmd {
	m.loading, m.judged, m.total = true, 0, 0
	m.message, m.reloadNote = message, message
	return m.check()
}

// check runs a check in the background, streaming its verdicts.
func (m Model) check() tea.Cmd {
	ch := make(chan tea.Msg, 256)
	checker, ctx := m.opts.Checker, m.ctx
	go func() {
		defer close(ch)
		rep, errs := checker.Check(ctx, func(r drift.Result, judged, total int) {
			select {
			case ch <- resultMsg{r: r, judged: judged, total: total}:
			case <-ctx.Done():
			}
		})
		select {
		case ch <- loadedMsg{rep: rep, errs: errs}:
		case <-ctx.Done():
		}
	}()
	return listen(ch)
}

// listen returns the next message of a running check.
func listen(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		if r, isResult := msg.(resultMsg); isResult {
			r.ch = ch
			return r
		}
		return msg
	}
}

func listenChanges(ch <-chan drift.Ref) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		ref, ok := <-ch
		if !ok {
			return nil
		}
		return changeMsg{ref}
	}
}

func listenReconnects(ch <-chan struct{}) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		if _, ok := <-ch; !ok {
			return nil
		}
		return reconnectedMsg{}
	}
}

func listenErrors(ch <-chan error) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		err, ok := <-ch
		if !ok {
			return nil
		}
		return watchErrMsg{err}
	}
}

// Update handles one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.list.fit(m.listHeight())
		return m, nil
	case resultMsg:
		m.judged, m.total = msg.judged, msg.total
		m.list.upsert(msg.r)
		m.list.fit(m.listHeight())
		return m, listen(msg.ch)
	case loadedMsg:
		m.loading = false
		m.inputErrs = msg.errs
		if m.message == m.reloadNote {
			m.message = ""
		}
		m.list.fit(m.listHeight())
		if msg.rep == nil {
			// Nothing was judged: the verdicts shown, if any, are from the
			// last check that reached the cluster, and stay until the next.
			return m, tea.Tick(retryEvery, func(time.Time) tea.Msg { return retryMsg{} })
		}
		m.list.replace(msg.rep.Results)
		m.list.fit(m.listHeight())
		return m, m.refreshDiff()
	case retryMsg:
		if m.loading {
			return m, nil // the user reloaded meanwhile
		}
		return m, m.reload("trying again")
	case tea.BackgroundColorMsg:
		if m.opts.Restyle != nil {
			m.restyle(m.opts.Restyle(msg.IsDark()))
		}
		return m, nil
	case recheckedMsg:
		if msg.ok {
			m.list.upsert(msg.r)
		}
		return m, m.refreshDiff()
	case diffWrittenMsg:
		m.diffWritten(msg)
		return m, nil
	case outcomeMsg:
		return m.finishReconcile(msg)
	case ignoredMsg:
		return m.finishIgnore(msg)
	case reconcileConfirmed:
		return m.write(msg.opts, msg.del)
	case confirmClosed:
		m.view, m.message = m.confirm.back, msg.message
		return m, nil
	case ignoreClosed:
		m.view, m.message = diffView, msg.message
		return m, nil
	case noticeMsg:
		m.message = msg.text
		return m, nil
	case changeMsg:
		checker, ctx, ref := m.opts.Checker, m.ctx, msg.ref
		recheck := func() tea.Msg {
			r, ok := checker.Recheck(ctx, ref)
			return recheckedMsg{ref: ref, r: r, ok: ok}
		}
		return m, tea.Batch(recheck, listenChanges(m.opts.Changes))
	case watchErrMsg:
		m.message = fmt.Sprintf("live updates: %v; r reloads", msg.err)
		return m, listenErrors(m.opts.Errors)
	case reconnectedMsg:
		cmd := m.reload("reconnected to the cluster; judging again")
		return m, tea.Batch(cmd, listenReconnects(m.opts.Reconnects))
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.MouseWheelMsg:
		if m.view == diffView {
			n, _ := m.layout()
			m.diff.scroll(wheelStep(msg), n, m.diffHeight())
		} else if m.view == listView {
			m.list.move(wheelStep(msg), m.listHeight())
		}
		return m, nil
	case tea.MouseClickMsg:
		if m.view == listView && msg.Button == tea.MouseLeft {
			if row := msg.Y - listTop; row >= 0 {
				m.list.click(row, m.listHeight())
			}
		}
		return m, nil
	}
	return m, nil
}

func wheelStep(msg tea.MouseWheelMsg) int {
	if msg.Button == tea.MouseWheelUp {
		return -3
	}
	return 3
}

// key handles a key press in the current view.
func (m Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if key.Matches(msg, m.keys.Interrupt) {
		return m, tea.Quit
	}
	switch m.view {
	case confirmView:
		var cmd tea.Cmd
		m.confirm, cmd = m.confirm.update(msg)
		return m, cmd
	case ignoreView:
		var cmd tea.Cmd
		m.ignore, cmd = m.ignore.update(msg)
		return m, cmd
	case helpView, problemsView:
		m.view = m.prev
		return m, nil
	case diffView:
		return m.diffKey(msg)
	}
	return m.listKey(msg)
}

// listHeight is how many rows of objects fit on the screen: the header,
// column titles, message line and footer take the rest.
func (m Model) listHeight() int {
	return max(m.height-listTop-2, 1)
}

// listTop is the screen line of the first object row.
const listTop = 2
