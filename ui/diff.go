package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubedrift/kubedrift/drift"
)

// diffState is the diff view of one object: its lines, built once per
// verdict, and where the view is.
type diffState struct {
	ref drift.Ref
	// gen tells this view from the ones before it, so that a diff written
	// in the background for an older one is not shown in it.
	gen   int
	lines []string // the attribution, then the unified diff, unstyled
	hunks []int    // the lines that start a hunk
	// pairs are the same lines laid out side by side, and pairHunks the
	// rows that start a hunk there.
	pairs     []pairRow
	pairHunks []int
	// offset is the first line (or row, side by side) on the screen.
	offset int
	wrap   bool
}

// refreshDiff rebuilds the diff view from the selected object's verdict,
// keeping the scroll position when it is the same object. The diff of a
// large object takes a while to write (a 5 MB ConfigMap, seconds), so it is
// written in the background while the view says so; the command returned
// does that.
func (m *Model) refreshDiff() tea.Cmd {
	r, ok := m.list.selected()
	if !ok || m.view != diffView && m.view != confirmView && m.view != ignoreView {
		return nil
	}
	m.diffGen++
	d := diffState{ref: r.Ref, gen: m.diffGen}
	if m.diff.ref == r.Ref {
		d.offset, d.wrap = m.diff.offset, m.diff.wrap
	}
	now := m.opts.Now()
	d.lines = append(d.lines, fmt.Sprintf("%s  %s  %s", r.Status, r.Ref, r.Origin))
	if r.Note != "" {
		d.lines = append(d.lines, "  ("+r.Note+")")
	}
	if c := r.Controller; c != nil {
		d.lines = append(d.lines, "  managed by "+c.String()+": "+c.Fights())
	}
	if r.Status == drift.Error {
		d.lines = append(d.lines, fmt.Sprintf("  %s: %v", r.Reason, r.Err), "", "  "+errorAdvice(r.Reason))
	}
	for _, c := range r.Changes {
		d.lines = append(d.lines, "  "+c.Describe(now))
	}
	for _, f := range r.Foreign {
		d.lines = append(d.lines, "  foreign "+f.Describe(now))
	}
	for _, s := range r.Spared {
		d.lines = append(d.lines, "  "+s.Describe())
	}
	d.lines = append(d.lines, "")
	if approxSize(r.Live)+approxSize(r.Want) < largeObject {
		d.fill(r.Diff(), r.Status)
		m.diff = d
		return nil
	}
	head := len(d.lines)
	d.lines = append(d.lines, "  writing the diff of a large object…")
	d.pairs, d.pairHunks = pairLines(d.lines, len(d.lines))
	m.diff = d
	gen := d.gen
	return func() tea.Msg {
		return diffWrittenMsg{gen: gen, head: head, text: r.Diff(), status: r.Status}
	}
}

// diffWrittenMsg is the diff of a large object, written in the background
// for the view of generation gen, whose first head lines it follows.
type diffWrittenMsg struct {
	gen, head int
	text      string
	status    drift.Status
}

// diffWritten puts a diff written in the background in its view, unless the
// view has moved on to another verdict meanwhile.
func (m *Model) diffWritten(msg diffWrittenMsg) {
	if msg.gen != m.diff.gen {
		return
	}
	m.diff.lines = m.diff.lines[:msg.head]
	m.diff.fill(msg.text, msg.status)
}

// fill appends the unified diff text to the view's lines, and lays them out
// side by side.
func (d *diffState) fill(text string, status drift.Status) {
	diffStart := len(d.lines)
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\n")
		if strings.HasPrefix(line, "@@") {
			d.hunks = append(d.hunks, len(d.lines))
		}
		d.lines = append(d.lines, line)
	}
	if status == drift.InSync {
		d.lines = append(d.lines, "  in sync: a reconcile would change nothing")
	}
	d.pairs, d.pairHunks = pairLines(d.lines, diffStart)
}

// largeObject is the size, roughly in bytes of YAML, of the live and the
// desired object together from which a diff is written in the background.
const largeObject = 256 << 10

// approxSize estimates the length of obj written as YAML: its keys and
// scalars, a few bytes each for the rest. It reads the object once, much
// faster than writing it.
func approxSize(obj *unstructured.Unstructured) int {
	if obj == nil {
		return 0
	}
	var size func(v any) int
	size = func(v any) int {
		switch v := v.(type) {
		case map[string]any:
			n := 0
			for k, e := range v {
				n += len(k) + 4 + size(e)
			}
			return n
		case []any:
			n := 0
			for _, e := range v {
				n += 4 + size(e)
			}
			return n
		case string:
			return len(v)
		}
		return 8
	}
	return size(obj.Object)
}

// errorAdvice says what to do about an error verdict.
func errorAdvice(reason drift.Reason) string {
	switch reason {
	case drift.ReasonForbidden:
		return "Ask for the permission named above, or use --mode=offline, which needs only get and list."
	case drift.ReasonNoKind:
		return "Check apiVersion and kind, or install the CRD first."
	case drift.ReasonUnreachable:
		return "Check that the cluster is up and --context is right; r reloads."
	case drift.ReasonInvalid:
		return "The API server rejected the manifest: fix it at the file and line above, then r reloads."
	case drift.ReasonImmutable:
		return "The object must be deleted and created again: reconcile (a) offers that."
	}
	return "r reloads the sources and judges again."
}

// diffHeight is how many diff lines fit on the screen.
func (m Model) diffHeight() int {
	return max(m.height-2, 1)
}

// sideBySide reports whether the diff is shown side by side: the user asked
// for it, and the terminal is wide enough.
func (m Model) sideBySide() bool {
	return m.pairView && m.width >= sideBySideMinWidth
}

// layout returns how many lines (or rows, side by side) the diff has, and
// where its hunks start.
func (m Model) layout() (n int, hunks []int) {
	if m.sideBySide() {
		return len(m.diff.pairs), m.diff.pairHunks
	}
	return len(m.diff.lines), m.diff.hunks
}

// scroll moves the diff n lines down (up when negative), within the n
// lines of the layout shown.
func (d *diffState) scroll(n, lines, height int) {
	d.offset = max(min(d.offset+n, lines-height), 0)
}

// diffKey handles a key press in the diff view.
func (m Model) diffKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	d, h := &m.diff, m.diffHeight()
	n, hunks := m.layout()
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m, tea.Quit
	case key.Matches(msg, m.keys.Back):
		m.view = listView
	case key.Matches(msg, m.keys.Up):
		d.scroll(-1, n, h)
	case key.Matches(msg, m.keys.Down):
		d.scroll(1, n, h)
	case key.Matches(msg, m.keys.PageUp):
		d.scroll(-h, n, h)
	case key.Matches(msg, m.keys.PageDown):
		d.scroll(h, n, h)
	case key.Matches(msg, m.keys.Top):
		d.offset = 0
	case key.Matches(msg, m.keys.Bottom):
		d.scroll(n, n, h)
	case key.Matches(msg, m.keys.NextHunk):
		for _, line := range hunks {
			if line > d.offset {
				d.offset = 0
				d.scroll(line, n, h)
				break
			}
		}
	case key.Matches(msg, m.keys.PrevHunk):
		for i := len(hunks) - 1; i >= 0; i-- {
			if hunks[i] < d.offset {
				d.offset = 0
				d.scroll(hunks[i], n, h)
				break
			}
		}
	case key.Matches(msg, m.keys.Wrap):
		d.wrap = !d.wrap
	case key.Matches(msg, m.keys.SideBySide):
		if !m.pairView && m.width < sideBySideMinWidth {
			m.message = fmt.Sprintf("side by side needs a terminal %d columns wide; this one has %d", sideBySideMinWidth, m.width)
			return m, nil
		}
		// Lines and rows do not match one to one: start again from the top.
		m.pairView, d.offset = !m.pairView, 0
	case key.Matches(msg, m.keys.Ignore):
		return m.startIgnore()
	case key.Matches(msg, m.keys.Reconcile), key.Matches(msg, m.keys.Delete):
		return m.startReconcile(key.Matches(msg, m.keys.Delete))
	case key.Matches(msg, m.keys.Help):
		m.prev, m.view = m.view, helpView
	}
	return m, nil
}

// renderDiff draws the diff view: the lines from the offset, coloured,
// unified or side by side.
func (m Model) renderDiff() string {
	var out []string
	h := m.diffHeight()
	if m.sideBySide() {
		for _, row := range m.diff.pairs[min(m.diff.offset, len(m.diff.pairs)):] {
			if len(out) >= h {
				break
			}
			out = append(out, m.renderPair(row, m.width, m.diff.wrap)...)
		}
	} else {
		for _, line := range m.diff.lines[min(m.diff.offset, len(m.diff.lines)):] {
			if len(out) >= h {
				break
			}
			if m.diff.wrap {
				for _, part := range wrapLine(line, m.width) {
					out = append(out, m.styleDiffLine(part))
				}
				continue
			}
			out = append(out, m.styleDiffLine(truncate(line, m.width)))
		}
	}
	return fillHeight(out, h) + "\n" + m.footer(m.keys.diffHelp())
}

// wrapLine cuts a line into pieces of at most width cells.
func wrapLine(line string, width int) []string {
	r := []rune(line)
	if width < 1 || len(r) <= width {
		return []string{line}
	}
	var parts []string
	for len(r) > width {
		parts = append(parts, string(r[:width]))
		r = r[width:]
	}
	return append(parts, string(r))
}

// styleDiffLine colours a diff line: the file headers, added and removed
// lines whole, hunk headers, and the YAML of context lines by syntax.
func (m Model) styleDiffLine(line string) string {
	s := m.opts.Styles
	switch {
	case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
		return s.DiffHeader.Render(line)
	case strings.HasPrefix(line, "+"):
		return s.DiffAdd.Render(line)
	case strings.HasPrefix(line, "-"):
		return s.DiffRemove.Render(line)
	case strings.HasPrefix(line, "@@"):
		return s.DiffHunk.Render(line)
	case strings.HasPrefix(line, " "):
		return m.yamlLine(line)
	}
	return line
}
