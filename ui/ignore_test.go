package ui

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/drift/ignore"
	"github.com/kubedrift/kubedrift/themes"
)

// fakeIgnorer keeps the rules it is asked to add.
type fakeIgnorer struct {
	mu    sync.Mutex
	added []string // "ref pointer"
	err   error
}

func (f *fakeIgnorer) IgnoreRule(ref drift.Ref, pointer string) (string, string, error) {
	rule, err := ignore.RuleYAML(ref.IgnoreObject(), pointer)
	return rule, "k8s/.kubedrift.yaml", err
}

func (f *fakeIgnorer) AddIgnoreRule(ref drift.Ref, pointer string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.added = append(f.added, ref.String()+" "+pointer)
	return nil
}

// withIgnorer is the sample loaded at 100x30, with web's replicas and a
// foreign label to ignore.
func withIgnorer(t *testing.T, ig Ignorer) (Model, *fakeChecker) {
	t.Helper()
	results := sample()
	results[0].Changes[0].Pointer = "/spec/replicas"
	results[0].Foreign = []drift.ForeignField{{Path: "metadata.labels.team", Pointer: "/metadata/labels/team", Value: "a", Manager: "kubectl-label"}}
	checker := &fakeChecker{results: results}
	m := New(t.Context(), Options{Checker: checker, Ignorer: ig, Styles: themes.Plain().Styles(), Now: func() time.Time { return now }})
	m = update(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	return update(t, m, loadedMsg{rep: &drift.Report{Results: results}}), checker
}

func TestIgnoreAFieldShowsTheRuleThenWritesItAndJudgesAgain(t *testing.T) {
	ig := &fakeIgnorer{}
	m, checker := withIgnorer(t, ig)
	m = keys(t, m, "down", "enter", "i") // the drifted Deployment sorts first
	assertScreen(t, m, "Ignore a field of Deployment.apps shop/web", "spec.replicas", "metadata.labels.team (foreign)")

	m = keys(t, m, "enter")
	assertScreen(t, m, "This rule will be added to k8s/.kubedrift.yaml:", "kind: Deployment", "namespace: shop", "- /spec/replicas")
	if len(ig.added) != 0 {
		t.Fatal("the rule was written before y")
	}
	checksBefore := checker.checks
	m = keys(t, m, "y")
	if got := strings.Join(ig.added, ","); got != "Deployment.apps shop/web /spec/replicas" {
		t.Errorf("added %q", got)
	}
	if checker.checks != checksBefore+1 {
		t.Errorf("%d checks after the rule, want %d: judged again", checker.checks, checksBefore+1)
	}
	if m.view != diffView {
		t.Errorf("view %v after writing, want the diff", m.view)
	}
	assertScreen(t, m, "added the rule to k8s/.kubedrift.yaml")
}

func TestIgnorePicksAForeignFieldAndCancels(t *testing.T) {
	ig := &fakeIgnorer{}
	m, _ := withIgnorer(t, ig)
	m = keys(t, m, "down", "enter", "i", "down", "enter")
	assertScreen(t, m, "- /metadata/labels/team")
	m = keys(t, m, "esc") // back to the fields
	assertScreen(t, m, "Which field should kubedrift stop comparing?")
	m = keys(t, m, "esc")
	if m.view != diffView || len(ig.added) != 0 {
		t.Errorf("view %v, added %v: want the diff and nothing written", m.view, ig.added)
	}
}

func TestIgnoreWriteFailureIsShown(t *testing.T) {
	ig := &fakeIgnorer{err: errors.New(".kubedrift.yaml:3: unknown key \"pahts\"")}
	m, _ := withIgnorer(t, ig)
	m = keys(t, m, "down", "enter", "i", "enter", "y")
	assertScreen(t, m, `ignore rule not written: .kubedrift.yaml:3: unknown key "pahts"`)
	if m.view != ignoreView {
		t.Errorf("view %v, want the picker still open", m.view)
	}
}

func TestIgnoreWithoutIgnorerOrFields(t *testing.T) {
	m := loaded(t, 100, 30, nil) // no Ignorer
	m = keys(t, m, "down", "enter", "i")
	assertScreen(t, m, "ignore rules cannot be written here")

	m, _ = withIgnorer(t, &fakeIgnorer{})
	m = keys(t, m, "G", "enter", "i") // the in-sync Service, last
	if m.view != diffView {
		t.Errorf("view %v: an object with no field to ignore opened the picker", m.view)
	}
}
