package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/kubedrift/kubedrift/drift"
)

// listOf returns a list of sample's verdicts, the cursor moved to the row
// of ref as a person would move it.
func listOf(t *testing.T, filter string, at drift.Ref) *list {
	t.Helper()
	lv := newList()
	l := &lv
	for _, r := range sample() {
		l.upsert(r)
	}
	l.filter.SetValue(filter)
	l.touched = true
	l.refilter()
	l.selectRef(at)
	if r, ok := l.selected(); !ok || r.Ref != at {
		t.Fatalf("cannot select %s", at)
	}
	return l
}

// rowRefs are the objects of the rows, in order.
func rowRefs(l *list) []drift.Ref {
	var refs []drift.Ref
	for _, i := range l.rows {
		refs = append(refs, l.results[i].Ref)
	}
	return refs
}

// After a delete, every row is an object still listed, each once, and the
// cursor is on the object it was on, or on the one that took the deleted
// one's row.
func TestListRemove(t *testing.T) {
	rows := rowRefs(listOf(t, "", ref("Deployment", "shop", "web")))
	first, last := rows[0], rows[len(rows)-1]
	tests := []struct {
		name       string
		filter     string
		at, remove drift.Ref
		cursor     drift.Ref
	}{
		{name: "the last row, under the cursor", at: last, remove: last, cursor: rows[len(rows)-2]},
		{name: "the first row, under the cursor", at: first, remove: first, cursor: rows[1]},
		{name: "the first row, the cursor below", at: last, remove: first, cursor: last},
		{name: "an object the filter hides", filter: "web", at: ref("Service", "shop", "web"), remove: ref("ConfigMap", "shop", "leftover"), cursor: ref("Service", "shop", "web")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := listOf(t, tt.filter, tt.at)
			before := rowRefs(l)
			l.remove(tt.remove)
			got := rowRefs(l)
			seen := map[drift.Ref]bool{}
			for _, r := range got {
				if r == tt.remove || seen[r] {
					t.Errorf("rows %v: %s listed after the delete, or twice", got, r)
				}
				seen[r] = true
			}
			wantRows := len(before)
			for _, r := range before {
				if r == tt.remove {
					wantRows--
				}
			}
			if len(got) != wantRows || len(l.results) != len(sample())-1 {
				t.Errorf("%d rows of %d results after the delete, want %d of %d", len(got), len(l.results), wantRows, len(sample())-1)
			}
			if r, ok := l.selected(); !ok || r.Ref != tt.cursor {
				t.Errorf("cursor on %v, want %s", r.Ref, tt.cursor)
			}
			for r, i := range l.byRef {
				if l.results[i].Ref != r {
					t.Errorf("byRef[%s] = %d, which holds %s", r, i, l.results[i].Ref)
				}
			}
		})
	}
}

// The filter is a text entry: typed, edited, and shown with the terminal's
// cursor where the next letter goes, in the header.
func TestFilterIsEdited(t *testing.T) {
	m := loaded(t, 100, 24, nil)
	m = keys(t, m, "/", "w", "x", "backspace", "e", "b")
	if got := m.list.filter.Value(); got != "web" {
		t.Fatalf("filter %q, want web", got)
	}
	header := strings.Split(screen(m), "\n")[0]
	at := strings.Index(header, "/web")
	if at < 0 {
		t.Fatalf("header %q does not show the filter", header)
	}
	end := lipgloss.Width(header[:at]) + len("/web")
	if c := m.View().Cursor; c == nil || c.X != end || c.Y != 0 {
		t.Errorf("cursor %+v, want at column %d of the header", c, end)
	}
	m = update(t, m, tea.KeyPressMsg{Code: tea.KeyLeft})
	if c := m.View().Cursor; c == nil || c.X != end-1 {
		t.Errorf("cursor %+v after left, want at column %d", c, end-1)
	}
	m = keys(t, m, "enter")
	if c := m.View().Cursor; c != nil {
		t.Errorf("cursor %+v after enter, want none", c)
	}
	if got := m.list.filter.Value(); got != "web" {
		t.Errorf("filter %q after enter, want web kept", got)
	}
	m = keys(t, m, "esc")
	if got := m.list.filter.Value(); got != "" {
		t.Errorf("filter %q after esc, want none", got)
	}
}
