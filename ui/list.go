package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubedrift/kubedrift/drift"
)

// sortOrder is what the list is sorted by first.
type sortOrder int

const (
	byStatus sortOrder = iota
	byKind
	byNamespace
)

func (s sortOrder) String() string {
	return [...]string{"status", "kind", "namespace"}[s]
}

// shortStatus names the statuses in the header of a narrow screen.
var shortStatus = map[drift.Status]string{
	drift.InSync: "ok", drift.Drifted: "drift", drift.Missing: "miss", drift.Unmanaged: "unmgd", drift.Error: "err",
}

// quickFilters are the statuses the f key steps through; -1 shows all.
var quickFilters = []drift.Status{-1, drift.Drifted, drift.Missing, drift.Unmanaged, drift.Error}

// list is the object list: every verdict, and the rows that the filter and
// sort order make of them.
type list struct {
	results []drift.Result
	byRef   map[drift.Ref]int
	rows    []int // indexes into results, in display order
	cursor  int   // index into rows
	offset  int   // first row shown

	touched bool // the user has moved the cursor: keep it on its object

	sort  sortOrder
	quick int // index into quickFilters
	// filter holds the text the rows must match; it is focused while the
	// text is typed.
	filter textinput.Model
}

// newList returns an empty list.
func newList() list {
	return list{filter: newTextInput()}
}

// upsert adds r, or replaces the verdict on the same object.
func (l *list) upsert(r drift.Result) {
	if l.byRef == nil {
		l.byRef = map[drift.Ref]int{}
	}
	if i, ok := l.byRef[r.Ref]; ok {
		l.results[i] = r
	} else {
		l.byRef[r.Ref] = len(l.results)
		l.results = append(l.results, r)
	}
	l.refilter()
}

// replace sets every verdict at once, keeping the cursor on its object.
func (l *list) replace(results []drift.Result) {
	selected, hasSelected := l.selected()
	l.results = slices.Clone(results)
	l.byRef = make(map[drift.Ref]int, len(results))
	for i, r := range l.results {
		l.byRef[r.Ref] = i
	}
	l.refilter()
	if hasSelected && l.touched {
		l.selectRef(selected.Ref)
	}
}

// selected returns the verdict under the cursor.
func (l *list) selected() (drift.Result, bool) {
	if l.cursor < 0 || l.cursor >= len(l.rows) {
		return drift.Result{}, false
	}
	return l.results[l.rows[l.cursor]], true
}

func (l *list) selectRef(ref drift.Ref) {
	for i, j := range l.rows {
		if l.results[j].Ref == ref {
			l.cursor = i
			return
		}
	}
}

// refilter rebuilds the rows from the results, the filters and the sort
// order, keeping the cursor on the object it was on.
func (l *list) refilter() {
	var keep drift.Ref
	hadCursor := l.cursor < len(l.rows)
	if hadCursor {
		keep = l.results[l.rows[l.cursor]].Ref
	}
	l.rows = l.rows[:0]
	want := quickFilters[l.quick]
	for i, r := range l.results {
		if (want < 0 || r.Status == want) && matches(r, l.filter.Value()) {
			l.rows = append(l.rows, i)
		}
	}
	slices.SortStableFunc(l.rows, func(a, b int) int {
		ra, rb := &l.results[a], &l.results[b]
		switch l.sort {
		case byKind:
			return cmp.Or(cmp.Compare(ra.Ref.Kind, rb.Ref.Kind), statusRank(ra.Status)-statusRank(rb.Status), compareRefs(ra.Ref, rb.Ref))
		case byNamespace:
			return cmp.Or(cmp.Compare(ra.Ref.Namespace, rb.Ref.Namespace), statusRank(ra.Status)-statusRank(rb.Status), compareRefs(ra.Ref, rb.Ref))
		}
		return cmp.Or(statusRank(ra.Status)-statusRank(rb.Status), compareRefs(ra.Ref, rb.Ref))
	})
	l.cursor = min(l.cursor, max(len(l.rows)-1, 0))
	switch {
	case !l.touched:
		// While verdicts stream in, the cursor stays on the first row
		// rather than follow an object down the list.
		l.cursor = 0
	case hadCursor:
		l.selectRef(keep)
	}
}

func compareRefs(a, b drift.Ref) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

// statusRank orders statuses by how much they need a person: errors and
// drift first, what is in sync last.
func statusRank(s drift.Status) int {
	switch s {
	case drift.Error:
		return 0
	case drift.Drifted:
		return 1
	case drift.Missing:
		return 2
	case drift.Unmanaged:
		return 3
	}
	return 4
}

// matches reports whether r's status, kind, namespace or name contains
// filter, or holds its characters in order (a fuzzy match: "dpweb" finds
// Deployment shop/web). Case is ignored.
func matches(r drift.Result, filter string) bool {
	if filter == "" {
		return true
	}
	text := strings.ToLower(r.Status.String() + " " + r.Ref.String())
	filter = strings.ToLower(filter)
	if strings.Contains(text, filter) {
		return true
	}
	i := 0
	for _, c := range text {
		if i < len(filter) && rune(filter[i]) == c {
			i++
		}
	}
	return i == len(filter)
}

// fit keeps the cursor's row on a screen of height rows.
func (l *list) fit(height int) {
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+height {
		l.offset = l.cursor - height + 1
	}
	l.offset = max(min(l.offset, len(l.rows)-height), 0)
}

// move moves the cursor by n rows.
func (l *list) move(n, height int) {
	l.touched = true
	l.cursor = max(min(l.cursor+n, len(l.rows)-1), 0)
	l.fit(height)
}

// click selects the row-th row on the screen.
func (l *list) click(row, height int) {
	if i := l.offset + row; row < height && i < len(l.rows) {
		l.cursor, l.touched = i, true
	}
}

// listKey handles a key press on the object list.
func (m Model) listKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	l, h := &m.list, m.listHeight()
	if l.filter.Focused() {
		var cmd tea.Cmd
		switch {
		case key.Matches(msg, m.keys.Confirm):
			l.filter.Blur()
		case key.Matches(msg, m.keys.Cancel):
			l.filter.Blur()
			l.filter.Reset()
		default:
			l.filter, cmd = l.filter.Update(msg)
		}
		l.refilter()
		l.fit(h)
		return m, cmd
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m, tea.Quit
	case key.Matches(msg, m.keys.Up):
		l.move(-1, h)
	case key.Matches(msg, m.keys.Down):
		l.move(1, h)
	case key.Matches(msg, m.keys.PageUp):
		l.move(-h, h)
	case key.Matches(msg, m.keys.PageDown):
		l.move(h, h)
	case key.Matches(msg, m.keys.Top):
		l.move(-len(l.rows), h)
	case key.Matches(msg, m.keys.Bottom):
		l.move(len(l.rows), h)
	case key.Matches(msg, m.keys.Filter):
		return m, l.filter.Focus()
	case key.Matches(msg, m.keys.Back):
		l.filter.Reset()
		l.quick = 0
		l.refilter()
	case key.Matches(msg, m.keys.QuickFilter):
		l.quick = (l.quick + 1) % len(quickFilters)
		l.refilter()
	case key.Matches(msg, m.keys.Sort):
		l.sort = (l.sort + 1) % 3
		l.refilter()
	case key.Matches(msg, m.keys.Open):
		if _, ok := l.selected(); ok {
			l.touched = true // the object opened stays selected as verdicts change
			m.view = diffView
			m.diff = diffState{}
			cmd := m.refreshDiff()
			l.fit(h)
			return m, cmd
		}
	case key.Matches(msg, m.keys.Reconcile), key.Matches(msg, m.keys.Delete):
		return m.startReconcile(key.Matches(msg, m.keys.Delete))
	case key.Matches(msg, m.keys.Reload):
		return m, m.reload("reloading the sources")
	case key.Matches(msg, m.keys.Help):
		m.prev, m.view = m.view, helpView
	case key.Matches(msg, m.keys.Problems):
		if len(m.inputErrs) > 0 {
			m.prev, m.view = m.view, problemsView
		}
	}
	l.fit(h)
	return m, nil
}

// renderList draws the object list screen.
func (m Model) renderList() string {
	var b strings.Builder
	b.WriteString(m.header() + "\n")
	b.WriteString(m.opts.Styles.Muted.Render(truncate(fmt.Sprintf("%-9s  %-40s  %s", "STATUS", "OBJECT", "DRIFT"), m.width)) + "\n")
	l := &m.list
	h := m.listHeight()
	if len(l.results) == 0 && len(m.inputErrs) > 0 {
		// Nothing to list, and something to say why.
		b.WriteString(m.problems(h))
		b.WriteString(m.footer(m.keys.listHelp()))
		return b.String()
	}
	now := m.opts.Now()
	for i := l.offset; i < l.offset+h; i++ {
		if i >= len(l.rows) {
			b.WriteString("\n")
			continue
		}
		r := &l.results[l.rows[i]]
		status := m.opts.Styles.StatusStyle(r.Status.String()).Render(fmt.Sprintf("%-9s", r.Status))
		line := fmt.Sprintf("  %-40s  %s", r.Ref, summary(r, now))
		line = truncate(line, m.width-9)
		if i == l.cursor {
			b.WriteString(m.opts.Styles.SelectedRow.Render(fmt.Sprintf("%-9s", r.Status)+padRight(line, m.width-9)) + "\n")
			continue
		}
		b.WriteString(status + line + "\n")
	}
	b.WriteString(m.footer(m.keys.listHelp()))
	return b.String()
}

// header is the top line: what is checked, the counts per status, and the
// filters in force.
func (m Model) header() string {
	parts, _ := m.headerParts()
	return truncateStyled(strings.Join(parts, " · "), m.width)
}

// filterCursor places the terminal's cursor in the filter being typed, in
// the header; nil when no filter is typed or the place is off the screen.
func (m Model) filterCursor() *tea.Cursor {
	f := m.list.filter
	if !f.Focused() {
		return nil
	}
	parts, at := m.headerParts()
	typed := []rune(f.Value())[:f.Position()]
	x := lipgloss.Width(strings.Join(parts[:at+1], " · ")) - lipgloss.Width(f.Value()) + lipgloss.Width(string(typed))
	if x >= m.width {
		return nil
	}
	return tea.NewCursor(x, 0)
}

// headerParts are the header's parts, and the index of the filter's part,
// -1 when there is none.
func (m Model) headerParts() (parts []string, filterAt int) {
	counts := map[drift.Status]int{}
	for _, r := range m.list.results {
		counts[r.Status]++
	}
	s := m.opts.Styles
	parts, filterAt = []string{s.Title.Render("kubedrift")}, -1
	if m.opts.Title != "" {
		parts = append(parts, m.opts.Title)
	}
	for _, st := range []drift.Status{drift.InSync, drift.Drifted, drift.Missing, drift.Unmanaged, drift.Error} {
		if n := counts[st]; n > 0 || st != drift.Unmanaged {
			label := st.String()
			if m.width < 100 {
				label = shortStatus[st] // the counts fit 80 columns
			}
			parts = append(parts, s.StatusStyle(st.String()).Render(fmt.Sprintf("%d %s", n, label)))
		}
	}
	if m.loading {
		parts = append(parts, fmt.Sprintf("judging %d/%d…", m.judged, m.total))
	}
	if q := quickFilters[m.list.quick]; q >= 0 {
		parts = append(parts, "only "+q.String())
	}
	if f := m.list.filter; f.Value() != "" || f.Focused() {
		parts, filterAt = append(parts, "/"+f.Value()), len(parts)
	}
	if m.list.sort != byStatus {
		parts = append(parts, "by "+m.list.sort.String())
	}
	if m.opts.ReadOnly {
		parts = append(parts, s.Muted.Render("read-only"))
	}
	return parts, filterAt
}

// footer is the message line and the key help.
func (m Model) footer(bindings []key.Binding) string {
	msg := m.message
	if msg == "" && len(m.inputErrs) > 0 {
		msg = fmt.Sprintf("%d problem(s), e shows them: %v", len(m.inputErrs), m.inputErrs[0])
	}
	if msg == "" && m.opts.ReadOnly {
		msg = "read-only: reconcile is off (--read-only, or no permission to write)"
	}
	return truncate(msg, m.width) + "\n" + truncateStyled(m.help.ShortHelpView(bindings), m.width)
}

// summary is a row's short account of the drift: the first changed field
// with its values, who changed it and when, and how many more changed.
func summary(r *drift.Result, now time.Time) string {
	switch r.Status {
	case drift.Error:
		return fmt.Sprintf("%s: %v", r.Reason, r.Err)
	case drift.Missing, drift.Unmanaged:
		return r.Note
	case drift.InSync:
		if len(r.Foreign) > 0 {
			return fmt.Sprintf("%d foreign field(s)", len(r.Foreign))
		}
		return ""
	}
	if len(r.Changes) == 0 {
		return r.Note
	}
	c := r.Changes[0]
	field := c.Path
	if i := strings.LastIndexAny(field, ".]"); i >= 0 && i+1 < len(field) {
		field = field[i+1:]
	}
	s := fmt.Sprintf("%s %s→%s", field, short(c.Live), short(c.Want))
	if c.Manager != "" {
		s += " · " + c.Manager
	}
	if !c.Time.IsZero() {
		s += " · " + duration.HumanDuration(max(now.Sub(c.Time), 0))
	}
	if n := len(r.Changes) - 1; n > 0 {
		s += fmt.Sprintf(" · +%d more", n)
	}
	return s
}

// short renders a value for a row: compact, at most 20 characters.
func short(v any) string {
	if v == nil {
		return "∅"
	}
	s := fmt.Sprint(v)
	if _, isMap := v.(map[string]any); isMap {
		s = "{…}"
	}
	if _, isList := v.([]any); isList {
		s = "[…]"
	}
	return truncate(s, 20)
}

// truncate cuts plain text to width cells, with an ellipsis.
func truncate(s string, width int) string {
	if lipgloss.Width(s) <= width {
		return s
	}
	if width <= 1 {
		return ""
	}
	r := []rune(s)
	for len(r) > 0 && lipgloss.Width(string(r))+1 > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// truncateStyled cuts styled text to width cells.
func truncateStyled(s string, width int) string {
	return lipgloss.NewStyle().MaxWidth(width).Render(s)
}

func padRight(s string, width int) string {
	if w := lipgloss.Width(s); w < width {
		return s + strings.Repeat(" ", width-w)
	}
	return s
}
