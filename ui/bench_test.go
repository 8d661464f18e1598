package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/themes"
)

// BenchmarkKeyPress measures one key press on a list of 10,000 objects:
// Update and the View that follows, as the program runs them.
func BenchmarkKeyPress(b *testing.B) {
	results := make([]drift.Result, 10000)
	base := sample()
	for i := range results {
		r := base[i%len(base)]
		r.Ref.Name = fmt.Sprintf("%s-%05d", r.Ref.Name, i)
		results[i] = r
	}
	dark, _ := themes.Builtin("dark")
	m := New(b.Context(), Options{Checker: &fakeChecker{}, Styles: dark.Styles(), Now: func() time.Time { return now }})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	next, _ = next.(Model).Update(loadedMsg{rep: &drift.Report{Results: results}})
	m = next.(Model)
	down, up := keyPress("down"), keyPress("k")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := down
		if i%200 >= 100 {
			k = up
		}
		next, _ := m.Update(k)
		m = next.(Model)
		_ = m.View()
	}
}

// BenchmarkDiffScroll measures one key press in the side-by-side diff of a
// ConfigMap of about 5 MB: the view draws only the lines on the screen.
func BenchmarkDiffScroll(b *testing.B) {
	data := map[string]any{}
	for i := range 50000 {
		data[fmt.Sprintf("key-%05d", i)] = fmt.Sprintf("value %05d %s", i, strings.Repeat("x", 80))
	}
	live := obj("ConfigMap", "big", map[string]any{"data": data})
	want := live.DeepCopy()
	want.Object["data"].(map[string]any)["key-25000"] = "changed"
	big := drift.Result{Ref: ref("ConfigMap", "shop", "big"), Status: drift.Drifted, Live: live, Want: want,
		Changes: []drift.Change{{Path: `data["key-25000"]`, Live: "value", Want: "changed"}}}
	dark, _ := themes.Builtin("dark")
	m := New(b.Context(), Options{Checker: &fakeChecker{}, Styles: dark.Styles(), Now: func() time.Time { return now }})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
	next, _ = next.(Model).Update(loadedMsg{rep: &drift.Report{Results: []drift.Result{big}}})
	next, write := next.(Model).Update(keyPress("enter"))
	next, _ = next.(Model).Update(write()) // the diff, written in the background
	next, _ = next.(Model).Update(keyPress("v"))
	m = next.(Model)
	if !strings.Contains(m.View().Content, "changed") {
		b.Fatal("the diff is not on the screen")
	}
	down, up := keyPress("down"), keyPress("k")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := down
		if i%20 >= 10 {
			k = up
		}
		next, _ := m.Update(k)
		m = next.(Model)
		_ = m.View()
	}
}
