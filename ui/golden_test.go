package ui

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/kubedrift/kubedrift/themes"
)

// TestGolden runs the real program (teatest) at two sizes, colour off, and
// compares the final screen of each situation with testdata/TestGolden/*.
// Run `go test ./ui -run TestGolden -update` after a deliberate change and
// read the new files before committing them.
func TestGolden(t *testing.T) {
	situations := []struct {
		name string
		keys []string
	}{
		{"list", nil},
		{"filter", []string{"/", "w", "e", "b"}},
		{"diff", []string{"down", "enter"}},
		{"side-by-side", []string{"down", "enter", "v"}},
		{"confirm", []string{"down", "a"}},
		{"help", []string{"?"}},
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, s := range situations {
			t.Run(fmt.Sprintf("%s-%dx%d", s.name, size[0], size[1]), func(t *testing.T) {
				m := New(t.Context(), Options{
					Checker: &fakeChecker{results: sample()}, Reconciler: &fakeReconciler{},
					Styles: themes.Plain().Styles(), Title: "kind-shop", Now: func() time.Time { return now },
				})
				tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size[0], size[1]))
				teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Service shop/web")) },
					teatest.WithDuration(5*time.Second))
				for _, k := range s.keys {
					tm.Send(keyPress(k))
				}
				if err := tm.Quit(); err != nil {
					t.Fatal(err)
				}
				golden.RequireEqual(t, screen(tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)))
			})
		}
	}
}
