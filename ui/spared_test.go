package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/themes"
)

// TestDiffSaysWhatSpared: the diff view lists each field left out of the
// comparison, with the preset or the reason that spared it.
func TestDiffSaysWhatSpared(t *testing.T) {
	results := sample()
	results[0].Spared = []drift.Spared{{Pointer: "/spec/replicas", By: "preset autoscaled-replicas (HorizontalPodAutoscaler shop/web)"}}
	checker := &fakeChecker{results: results}
	m := New(t.Context(), Options{Checker: checker, Styles: themes.Plain().Styles(), Now: func() time.Time { return now }})
	m = update(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = update(t, m, loadedMsg{rep: &drift.Report{Results: results}})
	m = keys(t, m, "down", "enter") // the drifted Deployment sorts first
	assertScreen(t, m, "spared /spec/replicas: preset autoscaled-replicas (HorizontalPodAutoscaler shop/web)")
}

// TestReconcileLeavesSparedFields: the reconcile is told the fields the
// verdict on screen left out, which the apply leaves as they are.
func TestReconcileLeavesSparedFields(t *testing.T) {
	results := sample()
	results[0].Spared = []drift.Spared{{Pointer: "/spec/replicas", By: "preset autoscaled-replicas"}}
	results[0].Ignored = []string{"/metadata/labels/team"}
	rec := &fakeReconciler{outcomes: []Outcome{{Action: ActionApply, Manager: "kubedrift"}}}
	m := New(t.Context(), Options{Checker: &fakeChecker{results: results}, Reconciler: rec, Styles: themes.Plain().Styles(), Now: func() time.Time { return now }})
	m = update(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = update(t, m, loadedMsg{rep: &drift.Report{Results: results}})
	keys(t, m, "down", "a", "y")
	want := "reconcile " + results[0].Ref.String() + " force=false recreate=false leftOut=[/metadata/labels/team /spec/replicas]"
	if len(rec.calls) != 1 || rec.calls[0] != want {
		t.Errorf("calls %q, want %q", rec.calls, want)
	}
}
